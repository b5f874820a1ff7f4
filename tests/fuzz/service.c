/*
 * service.c — fuzz the server side of the mailout service: the command
 * parser and the session's state machine, and the reading of message
 * text up to its ".".
 *
 * Input: lines (split at LF, a CR before it dropped, as net_read_line
 * does), each parsed by command_parse and, when valid, given to
 * server_command with ops that accept everything. A rejected line must
 * get a 5xx syntax reply; a parsed MAIL or RCPT must carry a path that
 * addr_check accepts and parameters named in upper case; the machine
 * must answer every command with a valid code and never leave its
 * states' rules (no recipients in MAIL, some in RCPT, at most
 * SERVER_RCPTS_MAX, DATA only after a recipient).
 *
 * Then the whole input as message text: dot-stuffed the way RFC 5321
 * 4.5.2 says and ended with CRLF "." CRLF, it goes through
 * server_unstuff in pieces of pseudo-random sizes, which must give back
 * the text exactly and stop exactly at the end: no bare LF or stray dot
 * may end a message early (SMTP smuggling) or late.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "service/server.h"

static int
accept_command(struct server *s, const struct command *c,
    struct service_reply *r)
{
	(void)s;
	(void)c;
	(void)r;
	return 0;
}

static int
accept_data(struct server *s, struct service_reply *r)
{
	(void)s;
	(void)r;
	return 0;
}

static int
take_text(struct server *s, const char *buf, size_t len)
{
	(void)s;
	(void)buf;
	(void)len;
	return 0;
}

static void
nothing(struct server *s)
{
	(void)s;
}

static void
no_command(struct server *s, const struct command *c)
{
	(void)s;
	(void)c;
}

static const struct server_ops accept_all = {
	accept_command, accept_command, accept_data, take_text, nothing,
	nothing, no_command,
};

static void
check_parsed(const struct command *c)
{
	struct err e;
	int i;
	size_t j;

	if (c->verb == VERB_UNKNOWN || c->verb == VERB_UNSUPPORTED)
		fuzz_fail("an unknown command parsed");
	if ((c->verb == VERB_MAIL || c->verb == VERB_RCPT) &&
	    addr_check(c->path, &e) < 0)
		fuzz_fail("a path addr_check refuses parsed");
	if (c->verb == VERB_RCPT && c->path[0] == '\0')
		fuzz_fail("RCPT TO:<> parsed");
	if (c->nparams > COMMAND_PARAMS_MAX)
		fuzz_fail("too many parameters");
	for (i = 0; i < c->nparams; i++)
		for (j = 0; c->params[i].name[j] != '\0'; j++)
			if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
			    c->params[i].name[j]) == NULL)
				fuzz_fail("a parameter name not in upper case");
}

static void
check_machine(const struct server *s, enum server_action act,
    const struct service_reply *r)
{
	/* the service's own commands: the ops answer */
	if (act != ACT_CONTROL &&
	    (r->code < 200 || r->code > 559))
		fuzz_fail("reply code out of range");
	if (memchr(r->text, '\0', sizeof(r->text)) == NULL)
		fuzz_fail("reply text not terminated");
	if (s->nrcpts > SERVER_RCPTS_MAX)
		fuzz_fail("more recipients than SERVER_RCPTS_MAX");
	if ((s->state == SERVER_MAIL && s->nrcpts != 0) ||
	    (s->state == SERVER_RCPT && s->nrcpts == 0))
		fuzz_fail("recipient count does not fit the state");
	if ((act == ACT_DATA) != (s->state == SERVER_DATA))
		fuzz_fail("DATA began outside a transaction");
	if (act == ACT_DATA && r->code != 354)
		fuzz_fail("DATA began without 354");
}

/* One line through the parser and the machine; false after QUIT. */
static bool
one_line(struct server *s, const char *line, size_t len)
{
	struct service_reply r;
	struct command c;
	enum server_action act;

	memset(&r, 0, sizeof(r));
	if (command_parse(line, len, &c, &r) < 0) {
		if (r.code < 500 || r.code > 559 || r.text[0] == '\0')
			fuzz_fail("a refused line without a 5xx reply");
		return true;
	}
	check_parsed(&c);
	act = server_command(s, &c, &r);
	check_machine(s, act, &r);
	if (act == ACT_DATA)
		server_message_end(s);
	return act != ACT_CLOSE;
}

static void
run_commands(const uint8_t *data, size_t size)
{
	char line[COMMAND_LINE_MAX + 3];
	struct server s;
	size_t pos = 0;

	server_init(&s, -1, data[0] & 1, 60, &accept_all, NULL);
	s.domain = "example.org";
	while (pos < size) {
		const uint8_t *lf = memchr(data + pos, '\n', size - pos);
		size_t len = (lf ? (size_t)(lf - data) : size) - pos;
		size_t next = pos + len + 1;

		if (len > 0 && data[pos + len - 1] == '\r')
			len--;
		if (len > sizeof(line) - 1)
			len = sizeof(line) - 1;	/* net_read_line's bound */
		memcpy(line, data + pos, len);
		line[len] = '\0';
		pos = next;
		if (!one_line(&s, line, len))
			break;
	}
}

/* RFC 5321 4.5.2: a "." starting a line (after CRLF) is doubled; then
 * CRLF "." CRLF, or "." CRLF when the text ends with CRLF. */
static char *
stuff(const uint8_t *text, size_t len, size_t *wlen, size_t *tlen)
{
	char *w = malloc(2 * len + 8);
	size_t i, o = 0;

	if (w == NULL)
		fuzz_fail("out of memory");
	for (i = 0; i < len; i++) {
		if (text[i] == '.' && (i == 0 || (i >= 2 &&
		    text[i - 1] == '\n' && text[i - 2] == '\r')))
			w[o++] = '.';
		w[o++] = (char)text[i];
	}
	*tlen = len;
	if (len < 2 || text[len - 2] != '\r' || text[len - 1] != '\n') {
		memcpy(w + o, "\r\n", 2);
		o += 2;
		*tlen += 2;	/* unstuffing keeps that CRLF */
	}
	memcpy(w + o, ".\r\n", 3);
	*wlen = o + 3;
	return w;
}

static void
round_trip(const uint8_t *text, size_t len)
{
	size_t wlen, tlen, pos = 0, o = 0, used;
	unsigned seed = len ? text[0] : 0;
	char *wire = stuff(text, len, &wlen, &tlen);
	char *out = malloc(wlen + 1);
	enum data_at at = AT_LINE_START;

	if (out == NULL)
		fuzz_fail("out of memory");
	while (pos < wlen && at != AT_END) {
		size_t n;

		seed = seed * 1103515245u + 12345u;
		n = 1 + (seed >> 16) % 64;
		if (n > wlen - pos)
			n = wlen - pos;
		o += server_unstuff(&at, wire + pos, n, out + o, &used);
		if (used > n)
			fuzz_fail("took more than it was given");
		pos += used;
		if (used < n && at != AT_END)
			fuzz_fail("stopped before the end without ending");
	}
	if (at != AT_END || pos != wlen)
		fuzz_fail("the message did not end exactly at CRLF . CRLF");
	if (o != tlen || (len > 0 && memcmp(out, text, len) != 0))
		fuzz_fail("unstuffing did not give the text back");
	free(wire);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	run_commands(data, size);
	round_trip(data, size);
	return 0;
}
