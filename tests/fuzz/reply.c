/*
 * reply.c — fuzz the SMTP reply parser: the input is what a server sends,
 * split into lines at LF (a CR before it dropped, as net_read_line does).
 * Each line goes through reply_add_line; each complete reply through
 * reply_oneline and caps_parse, as after EHLO; a bad line starts over.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "smtp/reply.h"

/* Each capability line parsed alone gives what it gives in the whole
 * list: a keyword's parameter never comes from the next line. */
static void
check_caps_per_line(const struct reply *r, const struct caps *all)
{
	const char *line = strchr(r->text, '\n');
	unsigned long long size = 0;
	unsigned flags = 0;
	struct reply one;
	struct caps caps;

	memset(&one, 0, sizeof(one));
	while (line != NULL) {
		const char *end = strchr(++line, '\n');

		snprintf(one.text, sizeof(one.text), "greeting\n%.*s",
		    (int)(end ? (size_t)(end - line) : strlen(line)), line);
		caps_parse(&one, &caps);
		flags |= caps.flags;
		if (caps.flags & CAP_SIZE)
			size = caps.size_max;
		line = end;
	}
	if (flags != all->flags || size != all->size_max)
		fuzz_fail("capabilities differ when parsed line by line");
}

/* Checks on a complete reply that the rest of mailout relies on. */
static void
check_reply(const struct reply *r)
{
	char one[REPLY_ONELINE_MAX];
	struct caps caps;

	if (r->code < 200 || r->code > 559 || r->nlines < 1 ||
	    r->nlines > REPLY_LINES_MAX)
		fuzz_fail("reply code or line count out of range");
	if (memchr(r->text, '\0', sizeof(r->text)) == NULL ||
	    memchr(r->enhanced, '\0', sizeof(r->enhanced)) == NULL)
		fuzz_fail("reply text not terminated");
	if (r->enhanced[0] != '\0' && r->enhanced[0] - '0' != r->code / 100)
		fuzz_fail("enhanced code class differs from the reply code");
	reply_oneline(r, one, sizeof(one));
	caps_parse(r, &caps);
	if (memchr(caps.auth, '\0', sizeof(caps.auth)) == NULL)
		fuzz_fail("AUTH list not terminated");
	check_caps_per_line(r, &caps);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[REPLY_LINE_MAX + 1];
	struct reply r;
	struct err e;
	size_t pos = 0, used = 0;

	memset(&r, 0, sizeof(r));
	while (pos < size) {
		const uint8_t *lf = memchr(data + pos, '\n', size - pos);
		size_t len = (lf ? (size_t)(lf - data) : size) - pos;
		size_t next = pos + len + 1;
		int rc;

		if (len > 0 && data[pos + len - 1] == '\r')
			len--;
		if (len > REPLY_LINE_MAX)
			len = REPLY_LINE_MAX;	/* net_read_line's bound */
		memcpy(line, data + pos, len);
		line[len] = '\0';
		pos = next;
		if ((rc = reply_add_line(&r, &used, line, len, &e)) != 0) {
			if (rc > 0)
				check_reply(&r);
			memset(&r, 0, sizeof(r));
			used = 0;
		}
	}
	return 0;
}
