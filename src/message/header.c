/* header.c — reading, searching, editing and rendering the header block. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lib/base64.h"
#include "message/header.h"

/* "Name:" with an RFC 5322 field name (obsolete space before ':' too). */
static size_t
field_name_len(const char *line, size_t len)
{
	size_t n = 0, colon;

	while (n < len && line[n] > 32 && line[n] < 127 && line[n] != ':')
		n++;
	for (colon = n; colon < len && (line[colon] == ' ' ||
	    line[colon] == '\t'); colon++)
		;
	return n > 0 && colon < len && line[colon] == ':' ? n : 0;
}

static int
add_field(struct header_block *hb, size_t off, size_t name_len,
    struct err *e)
{
	struct header_field *f;

	if (hb->nfields == HEADER_FIELDS_MAX)
		return err_set(e, EX_DATAERR, "more than %d header fields",
		    HEADER_FIELDS_MAX);
	if (hb->nfields % 64 == 0) {
		f = realloc(hb->fields, (hb->nfields + 64) * sizeof(*f));
		if (f == NULL)
			return err_set(e, EX_SOFTWARE, "out of memory");
		hb->fields = f;
	}
	f = &hb->fields[hb->nfields++];
	f->name_len = name_len;
	f->off = off;
	f->len = 0;
	f->removed = false;
	return 0;
}

/* Append one input line (without its line end) to the parsed block.
 * Returns 1 when the line ends the block, 0 to go on. */
static int
take_line(struct header_block *hb, const char *line, size_t len,
    struct err *e)
{
	size_t name_len = 0;
	bool continuation;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0) {
		hb->blank_seen = true;
		return 1;
	}
	continuation = (line[0] == ' ' || line[0] == '\t') && hb->nfields > 0;
	if (!continuation && hb->nfields == 0 && hb->text_len == 0 &&
	    len >= 5 && memcmp(line, "From ", 5) == 0)
		return 0;	/* mbox separator: not part of the message */
	if (!continuation && (name_len = field_name_len(line, len)) == 0)
		return 1;	/* the body starts here, without a blank line */
	if (memchr(line, '\0', len) != NULL)
		return err_set(e, EX_DATAERR, "NUL octet in the header");
	/* The wire filter would make a lone CR a line end: a field that
	 * hides a second one ("Subject: x\rBcc: y") must not pass. */
	if (memchr(line, '\r', len) != NULL)
		return err_set(e, EX_DATAERR, "lone CR in the header");
	if (continuation) {
		struct header_field *f = &hb->fields[hb->nfields - 1];

		hb->text[hb->text_len++] = '\n';
		memcpy(hb->text + hb->text_len, line, len);
		hb->text_len += len;
		f->len += 1 + len;
		return 0;
	}
	if (add_field(hb, hb->text_len, name_len, e) < 0)
		return -1;
	memcpy(hb->text + hb->text_len, line, len);
	hb->text_len += len;
	hb->fields[hb->nfields - 1].len = len;
	return 0;
}

/* Keep what was read past the header block for the body. */
static int
keep_rest(struct header_block *hb, const char *from, size_t len,
    struct err *e)
{
	if (len == 0)
		return 0;
	if ((hb->rest = malloc(len)) == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	memcpy(hb->rest, from, len);
	hb->rest_len = len;
	return 0;
}

int
header_read(struct header_block *hb, struct message_source *src,
    struct err *e)
{
	/* Everything up to the end of the block stays in raw: no line of
	 * it is longer than the block may be, so nothing needs moving. */
	size_t cap = HEADER_BLOCK_MAX + MESSAGE_READ_SIZE, have = 0, scan = 0;
	char *raw = malloc(cap);
	int rc = -1, done = 0;
	ssize_t n = 1;

	memset(hb, 0, sizeof(*hb));
	hb->text = malloc(cap);
	if (raw == NULL || hb->text == NULL) {
		err_set(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	while (!done) {
		char *lf = memchr(raw + scan, '\n', have - scan);
		size_t end;

		if (scan > HEADER_BLOCK_MAX || (lf == NULL && have == cap)) {
			err_set(e, EX_DATAERR, "header block larger than %d "
			    "octets", HEADER_BLOCK_MAX);
			goto out;
		}
		if (lf == NULL && n > 0) {	/* need more input */
			size_t want = cap - have < MESSAGE_READ_SIZE ? cap - have :
			    MESSAGE_READ_SIZE;

			if ((n = message_read(src, raw + have, want, e)) < 0)
				goto out;
			have += (size_t)n;
			continue;
		}
		if (lf == NULL && scan == have)
			break;	/* input ended at a line end */
		end = lf ? (size_t)(lf - raw) : have;
		if ((done = take_line(hb, raw + scan, end - scan, e)) < 0)
			goto out;
		if (done && !hb->blank_seen)
			break;	/* the non-header line belongs to the body */
		hb->input_lines++;
		scan = lf ? end + 1 : have;
	}
	rc = keep_rest(hb, raw + scan, have - scan, e);
out:
	free(raw);
	return rc;
}

static bool
field_is(const struct header_block *hb, const struct header_field *f,
    const char *name)
{
	return strlen(name) == f->name_len &&
	    strncasecmp(hb->text + f->off, name, f->name_len) == 0;
}

const struct header_field *
header_find(const struct header_block *hb, const char *name)
{
	size_t i;

	for (i = 0; i < hb->nfields; i++)
		if (field_is(hb, &hb->fields[i], name))
			return &hb->fields[i];
	return NULL;
}

char *
header_value(const struct header_block *hb, const struct header_field *f)
{
	const char *p = (const char *)memchr(hb->text + f->off, ':', f->len) + 1;
	const char *end = hb->text + f->off + f->len;
	char *value = malloc(f->len + 1), *o = value;

	if (value == NULL)
		return NULL;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (; p < end; p++)
		if (*p != '\n')	/* unfold: drop the line break, keep the WSP */
			*o++ = *p;
	*o = '\0';
	return value;
}

char *
header_message_id_of(const struct header_block *hb)
{
	const struct header_field *f = header_find(hb, "Message-ID");
	const char *added = hb->added ? strstr(hb->added, "Message-ID: ") :
	    NULL;

	if (f != NULL)
		return header_value(hb, f);
	if (added == NULL)
		return NULL;
	added += strlen("Message-ID: ");
	return strndup(added, strcspn(added, "\n"));
}

static int
add_addresses(const struct header_block *hb, const struct header_field *f,
    struct addr_list *list, struct err *e)
{
	char *value = header_value(hb, f);
	int rc;

	if (value == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	rc = addr_parse_list(list, value, 0, e);
	free(value);
	if (rc < 0)
		err_prefix(e, "%.*s header", (int)f->name_len, hb->text + f->off);
	return rc;
}

static bool
is_recipient_field(const struct header_block *hb, const struct header_field *f,
    bool resent)
{
	return resent ? field_is(hb, f, "Resent-To") ||
	    field_is(hb, f, "Resent-Cc") || field_is(hb, f, "Resent-Bcc") :
	    field_is(hb, f, "To") || field_is(hb, f, "Cc") ||
	    field_is(hb, f, "Bcc");
}

/* Does field j repeat the name of one in [first, j)? A block has each
 * Resent-* field once, so a repeat starts the next (older) block. */
static bool
name_seen(const struct header_block *hb, size_t first, size_t j)
{
	const struct header_field *f = &hb->fields[j];
	size_t k;

	for (k = first; k < j; k++)
		if (hb->fields[k].name_len == f->name_len &&
		    strncasecmp(hb->text + hb->fields[k].off,
		    hb->text + f->off, f->name_len) == 0)
			return true;
	return false;
}

/* RFC 5322 3.6.6: each resend prepends a block of Resent-* fields, so the
 * first run of them is the latest. [*first, *last) is that run. */
static bool
latest_resent_block(const struct header_block *hb, size_t *first,
    size_t *last)
{
	size_t i, j;
	bool names_rcpt = false;

	for (i = 0; i < hb->nfields; i++)
		if (strncasecmp(hb->text + hb->fields[i].off, "Resent-", 7) == 0)
			break;
	for (j = i; j < hb->nfields &&
	    strncasecmp(hb->text + hb->fields[j].off, "Resent-", 7) == 0 &&
	    !name_seen(hb, i, j); j++)
		names_rcpt |= is_recipient_field(hb, &hb->fields[j], true);
	*first = i;
	*last = j;
	return names_rcpt;
}

int
header_recipients(const struct header_block *hb, struct addr_list *list,
    struct err *e)
{
	size_t i, first, last;
	bool resent = latest_resent_block(hb, &first, &last);

	if (!resent) {
		first = 0;
		last = hb->nfields;
	}
	for (i = first; i < last; i++)
		if (is_recipient_field(hb, &hb->fields[i], resent) &&
		    add_addresses(hb, &hb->fields[i], list, e) < 0)
			return -1;
	return 0;
}

void
header_remove_bcc(struct header_block *hb)
{
	size_t i;

	for (i = 0; i < hb->nfields; i++)
		if (field_is(hb, &hb->fields[i], "Bcc") ||
		    field_is(hb, &hb->fields[i], "Resent-Bcc"))
			hb->fields[i].removed = true;
}

/* RFC 2047 B encoded words, each at most 75 octets (2): 45 octets of
 * UTF-8 make 60 of base64; a character is never cut in two. */
static int
encode_words(const char *name, char *out, size_t cap)
{
	size_t len = strlen(name), o = 0;

	out[0] = '\0';
	while (len > 0) {
		size_t take = len < 45 ? len : 45, cut = take;

		while (cut > 0 && cut < len &&
		    ((unsigned char)name[cut] & 0xc0) == 0x80)
			cut--;	/* back to the start of a character */
		if (cut > 0)
			take = cut;	/* else not UTF-8: cut anywhere */
		if (o + 16 >= cap)
			return -1;
		o += (size_t)snprintf(out + o, cap - o, "%s=?UTF-8?B?",
		    o ? " " : "");
		if (b64_encode(name, take, out + o, cap - o - 2) < 0)
			return -1;
		o += strlen(out + o);
		memcpy(out + o, "?=", 3);
		o += 2;
		name += take;
		len -= take;
	}
	return 0;
}

/* A display name as RFC 5322 wants it: atoms as they are, a quoted
 * string when it has specials, RFC 2047 base64 when it is not ASCII. */
static int
format_name(const char *name, char *out, size_t cap)
{
	bool ascii = true, plain = true;
	const char *p;
	size_t o = 0;

	for (p = name; *p != '\0'; p++) {
		ascii &= (unsigned char)*p < 0x80;
		plain &= isalnum((unsigned char)*p) || strchr(" !#$%&'*+-/=?^_`{|}~", *p);
	}
	if (!ascii)
		return encode_words(name, out, cap);
	if (plain)
		return snprintf(out, cap, "%s", name) < (int)cap ? 0 : -1;
	out[o++] = '"';
	for (p = name; *p != '\0' && o + 3 < cap; p++) {
		if (*p == '"' || *p == '\\')
			out[o++] = '\\';
		out[o++] = *p;
	}
	out[o++] = '"';
	out[o] = '\0';
	return *p == '\0' ? 0 : -1;
}

void
header_date(char *out, size_t cap, time_t when)
{
	struct tm tm;

	localtime_r(&when, &tm);
	strftime(out, cap, "%a, %d %b %Y %H:%M:%S %z", &tm);
}

void
header_message_id(char *out, size_t cap, const char *domain)
{
	unsigned char rnd[10];
	char hex[21];
	size_t i;

	/* unique, not secret: the kernel's numbers, without setting up
	 * GnuTLS for a session that may not need it (tls.h) */
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	snprintf(out, cap, "<%llx.%s@%s>", (unsigned long long)time(NULL), hex,
	    domain);
}

int
header_add_missing(struct header_block *hb, const char *sender,
    const char *full_name, const char *domain, struct err *e)
{
	char date[64], id[300], name[600];
	size_t cap = 3 * ADDR_MAX + sizeof(name) + 200, o = 0;
	const char *at = strrchr(sender, '@');

	if ((hb->added = malloc(cap)) == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	hb->added[0] = '\0';
	if (header_find(hb, "Date") == NULL) {
		header_date(date, sizeof(date), time(NULL));
		o += (size_t)snprintf(hb->added + o, cap - o, "Date: %s\n", date);
	}
	if (header_find(hb, "Message-ID") == NULL) {
		header_message_id(id, sizeof(id), at ? at + 1 : domain);
		o += (size_t)snprintf(hb->added + o, cap - o, "Message-ID: %s\n",
		    id);
	}
	if (header_find(hb, "From") != NULL)
		return 0;
	if (full_name == NULL || *full_name == '\0')
		snprintf(hb->added + o, cap - o, "From: %s\n", sender);
	else if (format_name(full_name, name, sizeof(name)) < 0)
		return err_set(e, EX_DATAERR, "full name (-F) too long");
	else
		snprintf(hb->added + o, cap - o, "From: %s <%s>\n", name, sender);
	return 0;
}

/* The header block as it goes out: kept fields, added ones, blank line. */
static void
render(const struct header_block *hb, void (*put)(const char *, size_t,
    void *), void *arg)
{
	size_t i;

	for (i = 0; i < hb->nfields; i++) {
		if (hb->fields[i].removed)
			continue;
		put(hb->text + hb->fields[i].off, hb->fields[i].len, arg);
		put("\n", 1, arg);
	}
	if (hb->added != NULL)
		put(hb->added, strlen(hb->added), arg);
	put("\n", 1, arg);
}

static void
put_file(const char *text, size_t len, void *out)
{
	fwrite(text, 1, len, out);
}

void
header_print(const struct header_block *hb, FILE *out)
{
	render(hb, put_file, out);
}

struct sink {
	char *buf;
	size_t len;
};

static void
put_buffer(const char *text, size_t len, void *arg)
{
	struct sink *s = arg;

	memcpy(s->buf + s->len, text, len);
	s->len += len;
}

int
header_attach(struct header_block *hb, struct message_source *src,
    struct err *e)
{
	size_t size = hb->text_len + hb->nfields + 1 + hb->rest_len +
	    (hb->added ? strlen(hb->added) : 0);
	struct sink s = { malloc(size), 0 };
	size_t i;
	long long rendered = 0;

	if (s.buf == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	render(hb, put_buffer, &s);
	/* errors in the body name the input's own lines */
	for (i = 0; i < s.len; i++)
		rendered += s.buf[i] == '\n';
	src->line_offset = (long long)hb->input_lines - rendered;
	if (hb->rest_len > 0)
		put_buffer(hb->rest, hb->rest_len, &s);
	message_unread(src, s.buf, s.len);
	return 0;
}

void
header_free(struct header_block *hb)
{
	free(hb->text);
	free(hb->fields);
	free(hb->rest);
	free(hb->added);
	memset(hb, 0, sizeof(*hb));
}
