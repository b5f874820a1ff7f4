/* smtp.c — the client session: greeting, hello, commands, replies, QUIT. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "smtp.h"

#define COMMAND_MAX 1024

void
smtp_init(struct smtp *s, struct conn *c, bool lmtp)
{
	memset(s, 0, sizeof(*s));
	s->conn = c;
	s->lmtp = lmtp;
}

int
smtp_expect(const struct reply *r, int digit, const char *what,
    struct err *e)
{
	char line[REPLY_ONELINE_MAX];

	if (r->code / 100 == digit)
		return 0;
	reply_oneline(r, line, sizeof(line));
	switch (r->code / 100) {
	case 4:
		return err_set(e, EX_TEMPFAIL, "%s: %s", what, line);
	case 5:
		return err_set(e, EX_UNAVAILABLE, "%s: %s", what, line);
	default:
		return err_set(e, EX_PROTOCOL, "unexpected reply to %s: %s",
		    what, line);
	}
}

int
smtp_read_reply(struct smtp *s, struct reply *r, struct err *e)
{
	char line[REPLY_ONELINE_MAX];

	if (reply_read(s->conn, r, e) < 0)
		return -1;
	s->idle = true;
	if (r->code == 421) {
		s->closing = true;
		reply_oneline(r, line, sizeof(line));
		return err_set(e, EX_TEMPFAIL, "server is closing the "
		    "connection: %s", line);
	}
	return 0;
}

int
smtp_command(struct smtp *s, struct reply *r, struct err *e,
    const char *fmt, ...)
{
	char line[COMMAND_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		return err_set(e, EX_SOFTWARE, "command too long");
	/* Defence in depth: addresses were checked, but never inject. */
	if (strpbrk(line, "\r\n") != NULL)
		return err_set(e, EX_DATAERR, "refusing to send a command "
		    "containing CR or LF");
	log_line('C', line, (size_t)n);
	memcpy(line + n, "\r\n", 2);
	s->idle = false;
	if (net_put(s->conn, line, (size_t)n + 2, e) < 0 ||
	    net_flush(s->conn, e) < 0)
		return -1;
	return smtp_read_reply(s, r, e);
}

int
smtp_greeting(struct smtp *s, struct err *e)
{
	struct reply *r = &s->greeting;

	if (smtp_read_reply(s, r, e) < 0)
		return -1;
	if (r->code == 220)
		return 0;
	if (r->code / 100 == 2) {	/* 2xx but not 220 */
		struct reply odd = *r;

		odd.code = 0;
		return smtp_expect(&odd, 2, "greeting", e);
	}
	return smtp_expect(r, 2, "greeting", e);
}

int
smtp_hello(struct smtp *s, const char *helo, bool allow_helo, struct err *e)
{
	struct reply *r = &s->hello;

	memset(&s->caps, 0, sizeof(s->caps));
	if (smtp_command(s, r, e, "%s %s", s->lmtp ? "LHLO" : "EHLO",
	    helo) < 0)
		return -1;
	if (r->code / 100 == 2) {
		caps_parse(r, &s->caps);
		return 0;
	}
	if (s->lmtp || r->code / 100 != 5)
		return smtp_expect(r, 2, s->lmtp ? "LHLO" : "EHLO", e);
	if (!allow_helo)
		return err_set(e, EX_UNAVAILABLE, "the server does not "
		    "support EHLO, so the required TLS is impossible");
	/* An old server that knows only HELO: no extensions at all. */
	if (smtp_command(s, r, e, "HELO %s", helo) < 0)
		return -1;
	return smtp_expect(r, 2, "HELO", e);
}

int
smtp_starttls(struct smtp *s, const struct tls_options *o, const char *helo,
    struct err *e)
{
	char line[REPLY_ONELINE_MAX];
	struct reply r;

	if (!(s->caps.flags & CAP_STARTTLS))
		return err_set(e, EX_UNAVAILABLE, "TLS is required but the "
		    "server does not offer STARTTLS");
	if (smtp_command(s, &r, e, "STARTTLS") < 0)
		return -1;
	if (r.code != 220) {
		reply_oneline(&r, line, sizeof(line));
		return err_set(e, EX_UNAVAILABLE, "TLS is required but the "
		    "server refused STARTTLS: %s", line);
	}
	if (net_has_unread(s->conn))
		return err_set(e, EX_PROTOCOL, "response injection: the server "
		    "sent data after its STARTTLS reply, before the handshake");
	if (tls_start(s->conn, o, e) < 0)
		return -1;
	return smtp_hello(s, helo, false, e);
}

void
smtp_quit(struct smtp *s)
{
	struct err ignored;

	if (s->closing || !s->idle || s->conn->fd < 0)
		return;
	log_line('C', "QUIT", 4);
	/* RFC 5321 4.1.1.10 only asks the client to wait for 221; the
	 * message is already safe, so do not let a slow server hold us. */
	if (net_put(s->conn, "QUIT\r\n", 6, &ignored) == 0)
		net_flush(s->conn, &ignored);
}
