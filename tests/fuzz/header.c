/*
 * header.c — fuzz the header block and -t: the input is a message on
 * standard input. header_read parses it; then, as cli/send.c does,
 * header_recipients (-t), header_remove_bcc, header_add_missing (the
 * first line of the input is the full name, given as -F to cli_parse,
 * which refuses what the command line refuses) and header_attach, whose
 * result is checked. The first line is also parsed on its own by
 * addr_parse_list, as a -f or command-line recipient list would be, and
 * quoted as a display name before an address, which must come out alone
 * and unchanged.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/options.h"
#include "fuzz.h"
#include "message/addr.h"
#include "message/header.h"
#include "message/source.h"

/* An fd at end of input: the harness hands the message over as the
 * source's front buffer, so nothing is read from it. */
static int
empty_fd(void)
{
	static int fd = -1;

	if (fd < 0 && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		fuzz_fail("cannot open /dev/null");
	return fd;
}

static void
check_addresses(const struct addr_list *list)
{
	struct err e;
	size_t i;

	for (i = 0; i < list->n; i++)
		if (addr_check(list->v[i], &e) < 0)
			fuzz_fail("a parsed address fails addr_check");
}

/*
 * What header_attach put in front of the body: LF-ended lines, each a
 * field ("Name:") or the continuation of one, then the blank line; no
 * NUL and no CR, which the wire filter would take as a line end.
 */
static void
check_rendered(const char *text, size_t len)
{
	size_t pos = 0;

	if (len == 0 || text[len - 1] != '\n')
		fuzz_fail("rendered header does not end with a line end");
	if (memchr(text, '\0', len) != NULL || memchr(text, '\r', len) != NULL)
		fuzz_fail("NUL or CR in the rendered header");
	while (pos < len - 1) {
		const char *lf = memchr(text + pos, '\n', len - pos);
		size_t n = (size_t)(lf - text) - pos;

		if (n == 0 || (text[pos] != ' ' && text[pos] != '\t' &&
		    memchr(text + pos, ':', n) == NULL))
			fuzz_fail("rendered header line is not a field");
		pos += n + 1;
	}
}

static void
header_flow(const uint8_t *data, size_t size, const char *full_name)
{
	struct message_source src = { .fd = empty_fd(), .name = "fuzz" };
	struct addr_list rcpts = { 0 };
	struct header_block hb;
	struct err e;

	message_unread(&src, fuzz_string(data, size), size);
	if (header_read(&hb, &src, &e) == 0) {
		if (header_recipients(&hb, &rcpts, &e) == 0)
			check_addresses(&rcpts);
		header_remove_bcc(&hb);
		if (header_add_missing(&hb, "sender@example.org", full_name,
		    "example.org", &e) == 0 &&
		    header_attach(&hb, &src, &e) == 0)
			check_rendered(src.front, src.front_len - hb.rest_len);
	}
	header_free(&hb);
	addr_list_free(&rcpts);
	free(src.front);
}

static void
addr_flow(const char *text)
{
	struct addr_list list = { 0 };
	struct err e;

	if (addr_parse_list(&list, text, text[0] == '<', &e) == 0)
		check_addresses(&list);
	addr_list_free(&list);
}

/*
 * The first line made a display name, quoted as RFC 5322 3.2.4 says
 * (quoted-pairs for '"' and '\\', control characters dropped): whatever
 * it says, the list "NAME" <user@example.org> is that one address.
 */
static void
display_name_flow(const uint8_t *data, size_t size)
{
	char *text = malloc(2 * size + 32), *o = text;
	struct addr_list list = { 0 };
	struct err e;
	size_t i;

	if (text == NULL)
		fuzz_fail("out of memory");
	*o++ = '"';
	for (i = 0; i < size && data[i] != '\n'; i++) {
		if (data[i] < 0x20 || data[i] == 0x7f)
			continue;
		if (data[i] == '"' || data[i] == '\\')
			*o++ = '\\';
		*o++ = (char)data[i];
	}
	strcpy(o, "\" <user@example.org>");
	if (addr_parse_list(&list, text, 0, &e) < 0 || list.n != 1 ||
	    strcmp(list.v[0], "user@example.org") != 0)
		fuzz_fail("a quoted display name changed the address list");
	addr_list_free(&list);
	free(text);
}

/*
 * The full name as the command line passes it: through cli_parse, so a
 * name it refuses (a CR or LF would end the From: line early) never
 * reaches header_add_missing, as in mailout itself.
 */
static const char *
full_name_option(char *first)
{
	char *argv[] = { "mailout", "-F", first, NULL };
	struct options o;
	struct err e;

	if (cli_parse(3, argv, "mailout", &o, &e) < 0)
		return NULL;
	return o.full_name;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *lf = memchr(data, '\n', size);
	char *first = fuzz_string(data, lf ? (size_t)(lf - data) : size);

	header_flow(data, size, full_name_option(first));
	addr_flow(first);
	display_name_flow(data, size);
	free(first);
	return 0;
}
