/* smtp.c — the client session: greeting, hello, commands, replies, QUIT. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "log.h"
#include "smtp.h"

#define COMMAND_MAX 1024
#define AUTH_LINE_MAX 12288	/* RFC 4954 4: at least 12288 octets */

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
	log_line('C', shown, strlen(shown));
	s->idle = false;
	if (net_put(s->conn, line, strlen(line), e) < 0 ||
	    net_put(s->conn, "\r\n", 2, e) < 0)
		return -1;
	return 0;
}

static int
send_line(struct smtp *s, const char *line, const char *shown,
    struct reply *r, struct err *e)
{
	if (queue_line(s, line, shown, e) < 0 || net_flush(s->conn, e) < 0)
		return -1;
	return smtp_read_reply(s, r, e);
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

int
smtp_command(struct smtp *s, struct reply *r, struct err *e,
    const char *fmt, ...)
{
	char line[COMMAND_MAX];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = format_command(line, sizeof(line), fmt, ap, e);
	va_end(ap);
	return rc < 0 ? -1 : send_line(s, line, line, r, e);
}

int
smtp_queue(struct smtp *s, struct err *e, const char *fmt, ...)
{
	char line[COMMAND_MAX];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = format_command(line, sizeof(line), fmt, ap, e);
	va_end(ap);
	return rc < 0 ? -1 : queue_line(s, line, line, e);
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
	if (smtp_hello_queue(s, helo, e) < 0 || smtp_flush(s, e) < 0)
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
smtp_starttls_reply(struct smtp *s, const struct tls_options *o,
    struct err *e)
{
	char line[REPLY_ONELINE_MAX];
	struct reply r;

	if (starttls_offered(s, e) < 0 || smtp_read_reply(s, &r, e) < 0)
		return -1;
	if (r.code != 220) {
		reply_oneline(&r, line, sizeof(line));
		return err_set(e, EX_UNAVAILABLE, "TLS is required but the "
		    "server refused STARTTLS: %s", line);
	}
	/* From here the server expects a handshake: a QUIT in clear would
	 * be garbage to it, so nothing is sent until TLS is up. */
	s->idle = false;
	if (net_has_unread(s->conn))
		return err_set(e, EX_PROTOCOL, "response injection: the server "
		    "sent data after its STARTTLS reply, before the handshake");
	if (tls_start(s->conn, o, e) < 0)
		return -1;
	s->idle = true;
	memset(&s->caps, 0, sizeof(s->caps));
	return 0;
}

int
smtp_starttls(struct smtp *s, const struct tls_options *o, struct err *e)
{
	if (starttls_offered(s, e) < 0 || smtp_queue(s, e, "STARTTLS") < 0 ||
	    smtp_flush(s, e) < 0)
		return -1;
	return smtp_starttls_reply(s, o, e);
}

/* The client gives up an exchange with "*" (RFC 4954 4); the caller's
 * error already says why. */
static int
auth_cancel(struct smtp *s)
{
	struct err ignored;
	struct reply r;

	if (!s->closing)
		send_line(s, "*", "*", &r, &ignored);
	return -1;
}

/* The final reply to AUTH: 235, or a failure with RFC 4954's meaning. */
static int
auth_result(struct sasl *sasl, const struct reply *r, struct err *e)
{
	char line[REPLY_ONELINE_MAX];

	if (r->code == 235)
		return sasl_finish(sasl, e);
	reply_oneline(r, line, sizeof(line));
	if (r->code / 100 == 4)	/* 454 temporary failure, 432 ... */
		return err_set(e, EX_TEMPFAIL, "AUTH %s: %s",
		    sasl_name(sasl->mech), line);
	return err_set(e, EX_NOPERM, "authentication failed (AUTH %s): %s",
	    sasl_name(sasl->mech), line);
}

/* The AUTH line and the raw data of one step; static, for their size,
 * and wiped as soon as each step is sent. */
static char auth_raw[SASL_DATA_MAX], auth_line[AUTH_LINE_MAX];

static void
auth_wipe(void)
{
	explicit_bzero(auth_raw, sizeof(auth_raw));
	explicit_bzero(auth_line, sizeof(auth_line));
}

/* "AUTH MECH[ initial-response]" in auth_line; the transcript's version
 * in shown. */
static int
auth_command(struct sasl *sasl, char *shown, size_t n, struct err *e)
{
	size_t len, used;
	int rc;

	snprintf(auth_line, sizeof(auth_line), "AUTH %s",
	    sasl_name(sasl->mech));
	snprintf(shown, n, "AUTH %s", sasl_name(sasl->mech));
	if ((rc = sasl_initial(sasl, auth_raw, &len, e)) <= 0)
		return rc;
	/* an initial response; "=" is the empty one */
	used = strlen(auth_line);
	auth_line[used++] = ' ';
	if (len == 0)
		strcpy(auth_line + used, "=");
	else if (b64_encode(auth_raw, len, auth_line + used,
	    sizeof(auth_line) - used) < 0)
		return err_set(e, EX_SOFTWARE, "AUTH line too long");
	snprintf(shown, n, "AUTH %s <redacted>", sasl_name(sasl->mech));
	return 0;
}

int
smtp_auth_queue(struct smtp *s, const char *wanted,
    const struct sasl_creds *c, struct sasl *sasl, struct err *e)
{
	char shown[64];
	int rc;

	if (!(s->caps.flags & CAP_AUTH))
		return err_set(e, EX_NOPERM, "authentication is required but "
		    "the server offers no AUTH");
	if (sasl_choose(s->caps.auth, wanted, &sasl->mech, e) < 0)
		return -1;
	sasl_begin(sasl, sasl->mech, c);
	rc = auth_command(sasl, shown, sizeof(shown), e);
	if (rc == 0)
		rc = queue_line(s, auth_line, shown, e);
	auth_wipe();
	if (rc < 0)
		sasl_end(sasl);
	return rc;
}

/* Answer the challenges until the final reply. */
static int
auth_exchange(struct smtp *s, struct sasl *sasl, struct reply *r,
    struct err *e)
{
	size_t n;

	/* Each mechanism knows how many challenges it takes (3 at most) and
	 * refuses one more, so a server looping on 334 is cut off there. */
	while (r->code == 334) {
		/* r->text is one line of base64 (the server's challenge). */
		if (b64_decode(r->text, auth_raw, sizeof(auth_raw) - 1,
		    &n) < 0) {
			err_set(e, EX_NOPERM, "AUTH %s: the server's challenge "
			    "is not base64", sasl_name(sasl->mech));
			return auth_cancel(s);
		}
		if (sasl_respond(sasl, auth_raw, n, auth_raw, &n, e) < 0)
			return auth_cancel(s);
		if (b64_encode(auth_raw, n, auth_line, sizeof(auth_line)) < 0)
			return err_set(e, EX_SOFTWARE, "AUTH response too long");
		if (send_line(s, auth_line, n ? "<redacted>" : "", r, e) < 0)
			return -1;
	}
	return auth_result(sasl, r, e);
}

int
smtp_auth_reply(struct smtp *s, struct sasl *sasl, struct err *e)
{
	struct reply r;
	int rc = smtp_read_reply(s, &r, e);

	if (rc == 0)
		rc = auth_exchange(s, sasl, &r, e);
	sasl_end(sasl);
	auth_wipe();
	return rc;
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
