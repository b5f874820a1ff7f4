/* smtp.c — the client's side of the dialogue: commands, replies, data. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/trace.h"
#include "smtp/smtp.h"

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
	s->state = SMTP_IDLE;
	if (r->code == 421) {
		s->state = SMTP_CLOSING;
		reply_oneline(r, line, sizeof(line));
		return err_set(e, EX_TEMPFAIL, "server is closing the "
		    "connection: %s", line);
	}
	return 0;
}

bool
smtp_reply_waiting(struct smtp *s)
{
	return net_has_unread(s->conn);
}

/* Queue line (without CRLF) for sending; the transcript shows `shown`
 * instead, so secrets never reach it. */
static int
queue_line(struct smtp *s, const char *line, const char *shown,
    struct err *e)
{
	/* Defence in depth: addresses were checked, but never inject. */
	if (strpbrk(line, "\r\n") != NULL)
		return err_set(e, EX_DATAERR, "refusing to send a command "
		    "containing CR or LF");
	trace_line('C', shown, strlen(shown));
	s->state = SMTP_WAITING;
	if (net_put(s->conn, line, strlen(line), e) < 0)
		return -1;
	return net_put(s->conn, "\r\n", 2, e);
}

int
smtp_queue_secret(struct smtp *s, const char *line, const char *shown,
    struct err *e)
{
	return queue_line(s, line, shown, e);
}

static int
format_command(char *line, size_t n, const char *fmt, va_list ap,
    struct err *e)
{
	int len = vsnprintf(line, n, fmt, ap);

	if (len < 0 || (size_t)len >= n)
		return err_set(e, EX_SOFTWARE, "command too long");
	return 0;
}

static int
queue_command(struct smtp *s, struct err *e, const char *fmt, va_list ap)
{
	char line[COMMAND_MAX];

	if (format_command(line, sizeof(line), fmt, ap, e) < 0)
		return -1;
	return queue_line(s, line, line, e);
}

int
smtp_command(struct smtp *s, struct reply *r, struct err *e,
    const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = queue_command(s, e, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	if (net_flush(s->conn, e) < 0)
		return -1;
	return smtp_read_reply(s, r, e);
}

int
smtp_queue(struct smtp *s, struct err *e, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = queue_command(s, e, fmt, ap);
	va_end(ap);
	return rc;
}

int
smtp_flush(struct smtp *s, struct err *e)
{
	return net_flush(s->conn, e);
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
smtp_hello_queue(struct smtp *s, const char *helo, struct err *e)
{
	memset(&s->caps, 0, sizeof(s->caps));
	return smtp_queue(s, e, "%s %s", s->lmtp ? "LHLO" : "EHLO", helo);
}

int
smtp_hello_reply(struct smtp *s, const char *helo, enum hello_need need,
    struct err *e)
{
	struct reply *r = &s->hello;

	if (smtp_read_reply(s, r, e) < 0)
		return -1;
	if (r->code / 100 == 2) {
		caps_parse(r, &s->caps);
		return 0;
	}
	if (s->lmtp || r->code / 100 != 5 || need == HELLO_PIPELINED)
		return smtp_expect(r, 2, s->lmtp ? "LHLO" : "EHLO", e);
	if (need == HELLO_NEEDS_TLS)
		return err_set(e, EX_UNAVAILABLE, "the server does not "
		    "support EHLO, so the required TLS is impossible");
	if (need == HELLO_NEEDS_AUTH)
		return err_set(e, EX_NOPERM, "the server does not support "
		    "EHLO, so the required AUTH is impossible");
	/* An old server that knows only HELO: no extensions at all. */
	if (smtp_command(s, r, e, "HELO %s", helo) < 0)
		return -1;
	return smtp_expect(r, 2, "HELO", e);
}

int
smtp_hello(struct smtp *s, const char *helo, enum hello_need need,
    struct err *e)
{
	if (smtp_hello_queue(s, helo, e) < 0)
		return -1;
	if (smtp_flush(s, e) < 0)
		return -1;
	return smtp_hello_reply(s, helo, need, e);
}

static int
starttls_offered(const struct smtp *s, struct err *e)
{
	if (!(s->caps.flags & CAP_STARTTLS))
		return err_set(e, EX_UNAVAILABLE, "TLS is required but the "
		    "server does not offer STARTTLS");
	return 0;
}

int
smtp_starttls_reply(struct smtp *s, struct err *e)
{
	char line[REPLY_ONELINE_MAX];
	struct reply r;

	if (starttls_offered(s, e) < 0)
		return -1;
	if (smtp_read_reply(s, &r, e) < 0)
		return -1;
	if (r.code != 220) {
		reply_oneline(&r, line, sizeof(line));
		return err_set(e, EX_UNAVAILABLE, "TLS is required but the "
		    "server refused STARTTLS: %s", line);
	}
	/* From here the server expects a handshake: a QUIT in clear would
	 * be garbage to it, so nothing is sent until TLS is up. */
	s->state = SMTP_HANDSHAKE;
	if (net_has_unread(s->conn))
		return err_set(e, EX_PROTOCOL, "response injection: the server "
		    "sent data after its STARTTLS reply, before the handshake");
	if (net_start_tls(s->conn, e) < 0)
		return -1;
	s->state = SMTP_IDLE;
	memset(&s->caps, 0, sizeof(s->caps));
	return 0;
}

int
smtp_starttls(struct smtp *s, struct err *e)
{
	if (starttls_offered(s, e) < 0)
		return -1;
	if (smtp_queue(s, e, "STARTTLS") < 0)
		return -1;
	if (smtp_flush(s, e) < 0)
		return -1;
	return smtp_starttls_reply(s, e);
}

int
smtp_rset(struct smtp *s, struct err *e)
{
	struct reply r;

	if (smtp_command(s, &r, e, "RSET") < 0)
		return -1;
	return smtp_expect(&r, 2, "RSET", e);
}

int
smtp_data(struct smtp *s, const void *buf, size_t len, struct err *e)
{
	s->state = SMTP_IN_DATA;
	trace_progress(len);
	return net_put(s->conn, buf, len, e);
}

int
smtp_data_end(struct smtp *s, struct err *e)
{
	trace_line('C', ".", 1);
	if (smtp_data(s, ".\r\n", 3, e) < 0)
		return -1;
	return net_flush(s->conn, e);
}

int
smtp_bdat(struct smtp *s, const void *chunk, size_t len, bool last,
    struct err *e)
{
	if (smtp_queue(s, e, "BDAT %zu%s", len, last ? " LAST" : "") < 0)
		return -1;
	if (len > 0)
		trace_note("%zu octets of message data", len);
	return smtp_data(s, chunk, len, e);
}

void
smtp_quit(struct smtp *s)
{
	struct err ignored;

	if (s->state != SMTP_IDLE || s->conn->fd < 0)
		return;
	trace_line('C', "QUIT", 4);
	/* RFC 5321 4.1.1.10 only asks the client to wait for 221; the
	 * message is already safe, so do not let a slow server hold us. */
	s->state = SMTP_WAITING;
	if (net_put(s->conn, "QUIT\r\n", 6, &ignored) == 0)
		net_flush(s->conn, &ignored);
}
