/* reply.c — the reply parser and the capability list. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/trace.h"
#include "lib/util.h"
#include "smtp/reply.h"
#include "transport/net.h"

static int
bad_line(struct err *e, const char *why, const char *line, size_t len)
{
	char quoted[200];

	err_quote(quoted, sizeof(quoted), line, len);
	return err_set(e, EX_PROTOCOL, "malformed reply (%s): \"%s\"", why,
	    quoted);
}

int
reply_parse_line(const char *line, size_t len, int *code, bool *last,
    const char **text, struct err *e)
{
	size_t i;

	if (len < 3 || !isdigit((unsigned char)line[0]) ||
	    !isdigit((unsigned char)line[1]) || !isdigit((unsigned char)line[2]))
		return bad_line(e, "no 3-digit code", line, len);
	if (line[0] < '2' || line[0] > '5' || line[1] > '5')
		return bad_line(e, "reply code out of range", line, len);
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return bad_line(e, "bad separator after the code", line, len);
	for (i = 3; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return bad_line(e, "control character", line, len);
	}
	*code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	*last = len == 3 || line[3] == ' ';
	*text = len > 3 ? line + 4 : line + 3;
	return 0;
}

/* RFC 3463 "class.subject.detail" at the start of the text, class = code/100. */
static void
parse_enhanced(struct reply *r)
{
	const char *t = r->text;
	size_t n = strspn(t, "0123456789.");
	int cls, sub, det, used = 0;

	r->enhanced[0] = '\0';
	if (n == 0 || n >= sizeof(r->enhanced) || (t[n] != ' ' && t[n] != '\0' &&
	    t[n] != '\n'))
		return;
	if (sscanf(t, "%1d.%3d.%3d%n", &cls, &sub, &det, &used) != 3 ||
	    (size_t)used != n || cls != r->code / 100)
		return;
	memcpy(r->enhanced, t, n);
	r->enhanced[n] = '\0';
}

static void
append_text(struct reply *r, size_t *used, const char *text)
{
	size_t room = sizeof(r->text) - *used;
	int n;

	if (room <= 1)
		return;
	n = snprintf(r->text + *used, room, "%s%s", *used ? "\n" : "", text);
	*used += (size_t)n < room ? (size_t)n : room - 1;
}

int
reply_add_line(struct reply *r, size_t *used, const char *line, size_t len,
    struct err *e)
{
	const char *text;
	bool last;
	int code;

	if (reply_parse_line(line, len, &code, &last, &text, e) < 0)
		return -1;
	if (r->nlines > 0 && code != r->code)
		return bad_line(e, "reply code changed between lines", line, len);
	if (++r->nlines > REPLY_LINES_MAX)
		return err_set(e, EX_PROTOCOL, "reply longer than %d lines",
		    REPLY_LINES_MAX);
	r->code = code;
	append_text(r, used, text);
	if (last)
		parse_enhanced(r);
	return last;
}

int
reply_read(struct conn *c, struct reply *r, struct err *e)
{
	char line[REPLY_LINE_MAX + 1];
	size_t len, used = 0;
	int last = 0;

	memset(r, 0, sizeof(*r));
	net_start_deadline(c);
	while (!last) {
		int rc = net_read_line(c, line, sizeof(line), &len, e);

		if (rc < 0)
			return -1;
		if (rc > 0 && r->nlines > 0)
			return err_set(e, EX_PROTOCOL, "connection closed in "
			    "the middle of a multi-line reply");
		if (rc > 0)
			return err_set(e, EX_TEMPFAIL,
			    "connection closed by server");
		trace_line('S', line, len);
		if ((last = reply_add_line(r, &used, line, len, e)) < 0)
			return -1;
	}
	return 0;
}

void
reply_oneline(const struct reply *r, char *buf, size_t n)
{
	char joined[REPLY_TEXT_MAX];
	size_t i;

	for (i = 0; r->text[i] != '\0'; i++)
		joined[i] = r->text[i] == '\n' ? ' ' : r->text[i];
	joined[i] = '\0';
	if (joined[0] == '\0')
		snprintf(buf, n, "%d", r->code);
	else
		snprintf(buf, n, "%d %s", r->code, joined);
}

static const struct {
	const char *keyword;
	unsigned flag;
} cap_keywords[] = {
	{ "PIPELINING", CAP_PIPELINING },
	{ "CHUNKING", CAP_CHUNKING },
	{ "SIZE", CAP_SIZE },
	{ "8BITMIME", CAP_8BITMIME },
	{ "DSN", CAP_DSN },
	{ "SMTPUTF8", CAP_SMTPUTF8 },
	{ "STARTTLS", CAP_STARTTLS },
	{ "AUTH", CAP_AUTH },
	{ "ENHANCEDSTATUSCODES", CAP_ENHANCEDSTATUSCODES },
	{ "PIPECONNECT", CAP_PIPE_CONNECT },	/* Exim 4.94 and later */
	{ "X_PIPE_CONNECT", CAP_PIPE_CONNECT },	/* Exim 4.92, 4.93 */
	{ "LIMITS", CAP_LIMITS },
};

/* RFC 9422's "LIMITS RCPTMAX=n MAILMAX=m ...": the two limits mailout
 * keeps to, each 1 to 6 digits; others, and malformed ones, are ignored. */
static void
limits_parse(struct caps *caps, const char *params, size_t len)
{
	const char *p = params, *end = params + len;

	while (p < end) {
		size_t item = strcspn(p, " "), name = strcspn(p, "=");
		unsigned *limit = NULL;

		if (item > (size_t)(end - p))
			item = (size_t)(end - p);
		if (name < item && name == 7 && strncasecmp(p, "RCPTMAX", 7) == 0)
			limit = &caps->rcpt_max;
		if (name < item && name == 7 && strncasecmp(p, "MAILMAX", 7) == 0)
			limit = &caps->mail_max;
		if (limit != NULL && item - name - 1 >= 1 &&
		    item - name - 1 <= 6 &&
		    strspn(p + name + 1, "0123456789") == item - name - 1)
			*limit = (unsigned)strtoul(p + name + 1, NULL, 10);
		p += item;
		while (p < end && *p == ' ')
			p++;
	}
}

/* One capability line: "KEYWORD[ params]". */
static void
caps_add(struct caps *caps, const char *line, size_t len)
{
	size_t kw = 0, i;
	const char *params;

	while (kw < len && line[kw] != ' ' && line[kw] != '=')
		kw++;
	params = line + kw + (kw < len);
	for (i = 0; i < nitems(cap_keywords); i++) {
		if (strlen(cap_keywords[i].keyword) != kw ||
		    strncasecmp(line, cap_keywords[i].keyword, kw) != 0)
			continue;
		caps->flags |= cap_keywords[i].flag;
		/* Only digits right after "SIZE ": strtoull would skip the
		 * line end and read the next capability's ("8BITMIME"). */
		if (cap_keywords[i].flag == CAP_SIZE)
			caps->size_max = params < line + len &&
			    isdigit((unsigned char)*params) ?
			    strtoull(params, NULL, 10) : 0;
		/* "AUTH=LOGIN PLAIN" is the pre-RFC 2554 form some servers
		 * still send; the standard "AUTH ..." line wins if both come. */
		if (cap_keywords[i].flag == CAP_LIMITS)
			limits_parse(caps, params, (size_t)(line + len - params));
		if (cap_keywords[i].flag == CAP_AUTH &&
		    (line[kw] != '=' || caps->auth[0] == '\0'))
			snprintf(caps->auth, sizeof(caps->auth), "%.*s",
			    (int)(len - (size_t)(params - line)), params);
	}
}

void
caps_parse(const struct reply *ehlo, struct caps *caps)
{
	const char *line = strchr(ehlo->text, '\n');	/* skip the greeting line */

	memset(caps, 0, sizeof(*caps));
	while (line != NULL) {
		const char *end;

		line++;
		end = strchr(line, '\n');
		caps_add(caps, line, end ? (size_t)(end - line) : strlen(line));
		line = end;
	}
}
