/* server.c — the server side of a session: states, replies, the message. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/trace.h"
#include "lib/util.h"
#include "service/server.h"

static const char *const state_names[] = {
	[SERVER_HELLO] = "hello",
	[SERVER_IDLE] = "idle",
	[SERVER_MAIL] = "mail",
	[SERVER_RCPT] = "rcpt",
	[SERVER_DATA] = "data",
	[SERVER_CLOSED] = "closed",
};

_Static_assert(nitems(state_names) == SERVER_CLOSED + 1,
    "a server state without a name");

const char *
server_state_name(enum server_state st)
{
	return state_names[st];
}

static void
set_state(struct server *s, enum server_state st)
{
	s->state = st;
	if (trace_level() >= 2)
		trace_note("server: %s", state_names[st]);
}

void
server_init(struct server *s, int fd, bool lmtp, int timeout,
    const struct server_ops *ops, void *ctx)
{
	memset(s, 0, sizeof(*s));
	net_init(&s->conn, timeout);
	s->conn.fd = fd;
	s->lmtp = lmtp;
	s->ops = ops;
	s->ctx = ctx;
	s->hostname = "localhost";
	s->state = SERVER_HELLO;
}

/* ---- the machine ---- */

/* The transaction in progress, if any, is dropped. */
static void
reset(struct server *s)
{
	if (s->state == SERVER_MAIL || s->state == SERVER_RCPT ||
	    s->state == SERVER_DATA)
		s->ops->rset(s);
	s->nrcpts = 0;
	if (s->state != SERVER_HELLO)
		set_state(s, SERVER_IDLE);
}

static enum server_action
hello(struct server *s, const struct command *c, struct service_reply *r)
{
	bool lhlo = c->verb == VERB_LHLO;

	if (lhlo != s->lmtp) {
		service_reply_set(r, 500, "5.5.1", "This is %s: say %s",
		    s->lmtp ? "LMTP" : "SMTP", s->lmtp ? "LHLO" : "EHLO");
		return ACT_REPLY;
	}
	if (s->state != SERVER_HELLO)
		reset(s);
	set_state(s, SERVER_IDLE);
	service_reply_set(r, 250, "", "%s mailout service, hello %.100s",
	    s->hostname, c->arg);
	return c->verb == VERB_HELO ? ACT_REPLY : ACT_HELLO;
}

/* A command that is not allowed in this state: 503, with a hint. */
static enum server_action
out_of_order(struct server *s, struct service_reply *r)
{
	const char *hint = s->state == SERVER_HELLO ?
	    (s->lmtp ? "send LHLO first" : "send EHLO first") :
	    s->state == SERVER_IDLE ? "send MAIL first" :
	    s->state == SERVER_MAIL ? "send RCPT first" :
	    "a transaction is in progress";

	service_reply_set(r, 503, "5.5.1", "Bad sequence of commands: %s",
	    hint);
	return ACT_REPLY;
}

static enum server_action
mail(struct server *s, const struct command *c, struct service_reply *r)
{
	if (s->state != SERVER_IDLE)
		return out_of_order(s, r);
	if (s->ops->mail(s, c, r) < 0)
		return ACT_REPLY;
	s->nrcpts = 0;
	set_state(s, SERVER_MAIL);
	service_reply_set(r, 250, "2.1.0", "Sender <%s> OK", c->path);
	return ACT_REPLY;
}

static enum server_action
rcpt(struct server *s, const struct command *c, struct service_reply *r)
{
	if (s->state != SERVER_MAIL && s->state != SERVER_RCPT)
		return out_of_order(s, r);
	if (s->nrcpts == SERVER_RCPTS_MAX) {
		service_reply_set(r, 452, "4.5.3", "Too many recipients: at "
		    "most %d in one message", SERVER_RCPTS_MAX);
		return ACT_REPLY;
	}
	if (s->ops->rcpt(s, c, r) < 0)
		return ACT_REPLY;
	s->nrcpts++;
	set_state(s, SERVER_RCPT);
	service_reply_set(r, 250, "2.1.5", "Recipient <%s> OK", c->path);
	return ACT_REPLY;
}

static enum server_action
data(struct server *s, struct service_reply *r)
{
	if (s->state == SERVER_MAIL) {
		service_reply_set(r, 554, "5.5.1", "No valid recipients");
		return ACT_REPLY;
	}
	if (s->state != SERVER_RCPT)
		return out_of_order(s, r);
	if (s->ops->data_begin(s, r) < 0)
		return ACT_REPLY;
	set_state(s, SERVER_DATA);
	service_reply_set(r, 354, "", "Send the message; end with "
	    "<CRLF>.<CRLF>");
	return ACT_DATA;
}

/* XFLUSH, XQUEUE, XOP and XHEALTH: the service's own, for its local
 * clients that said LHLO and were offered XMAILOUT, between
 * transactions. */
static enum server_action
service_command(struct server *s, struct service_reply *r)
{
	if (!s->lmtp || s->domain == NULL) {
		service_reply_set(r, 500, "5.5.1", "Command unrecognized");
		return ACT_REPLY;
	}
	if (s->state != SERVER_IDLE)
		return out_of_order(s, r);
	return ACT_CONTROL;
}

enum server_action
server_command(struct server *s, const struct command *c,
    struct service_reply *r)
{
	switch (c->verb) {
	case VERB_HELO:
	case VERB_EHLO:
	case VERB_LHLO:
		return hello(s, c, r);
	case VERB_MAIL:
		return mail(s, c, r);
	case VERB_RCPT:
		return rcpt(s, c, r);
	case VERB_DATA:
		return data(s, r);
	case VERB_RSET:
		reset(s);
		service_reply_set(r, 250, "2.0.0", "OK");
		return ACT_REPLY;
	case VERB_QUIT:
		reset(s);
		set_state(s, SERVER_CLOSED);
		service_reply_set(r, 221, "2.0.0", "Bye");
		return ACT_CLOSE;
	case VERB_VRFY:
		service_reply_set(r, 252, "2.5.0", "Cannot VRFY; send the "
		    "message and see");
		return ACT_REPLY;
	case VERB_XFLUSH:
	case VERB_XQUEUE:
	case VERB_XOP:
	case VERB_XHEALTH:
		return service_command(s, r);
	case VERB_NOOP:
	default:
		service_reply_set(r, 250, "2.0.0", "OK");
		return ACT_REPLY;
	}
}

void
server_message_end(struct server *s)
{
	s->ops->data_end(s);
	s->nrcpts = 0;
	set_state(s, SERVER_IDLE);
}

/* ---- writing ---- */

int
server_reply_line(struct server *s, int code, bool last,
    const char *enhanced, const char *text)
{
	char line[SERVICE_TEXT_MAX + 32];
	struct err e;
	int n;

	n = snprintf(line, sizeof(line), "%03d%c%s%s%s", code, last ? ' ' : '-',
	    enhanced, *enhanced ? " " : "", text);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	trace_line('S', line, (size_t)n);
	if (net_put(&s->conn, line, (size_t)n, &e) < 0)
		return -1;
	return net_put(&s->conn, "\r\n", 2, &e);
}

int
server_reply(struct server *s, const struct service_reply *r)
{
	return server_reply_line(s, r->code, true, r->enhanced, r->text);
}

int
server_flush(struct server *s)
{
	struct err e;

	return net_flush(&s->conn, &e);
}

int
server_text(struct server *s, const char *buf, size_t len)
{
	struct err e;
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (!s->text_midline && buf[i] == '.' &&
		    net_put(&s->conn, ".", 1, &e) < 0)
			return -1;
		s->text_midline = buf[i] != '\n';
		if (buf[i] != '\n')
			continue;
		if (net_put(&s->conn, buf + start, i - start, &e) < 0 ||
		    net_put(&s->conn, "\r\n", 2, &e) < 0)
			return -1;
		start = i + 1;
	}
	return net_put(&s->conn, buf + start, len - start, &e);
}

int
server_text_end(struct server *s)
{
	struct err e;

	if (s->text_midline && net_put(&s->conn, "\r\n", 2, &e) < 0)
		return -1;
	s->text_midline = false;
	return net_put(&s->conn, ".\r\n", 3, &e);
}

/* EHLO/LHLO: the first line, then one extension a line. */
static int
send_hello(struct server *s, const struct service_reply *r)
{
	char size[40], domain[300];
	const char *ext[8];
	size_t n = 0, i;

	ext[n++] = "PIPELINING";
	ext[n++] = "ENHANCEDSTATUSCODES";
	ext[n++] = "8BITMIME";
	ext[n++] = "SMTPUTF8";
	ext[n++] = "DSN";
	snprintf(size, sizeof(size), "SIZE %lld", s->size_max);
	ext[n++] = size;
	if (s->lmtp && s->domain != NULL) {
		snprintf(domain, sizeof(domain), "XMAILOUT DOMAIN=%s",
		    s->domain);
		ext[n++] = domain;
	}
	if (server_reply_line(s, r->code, false, "", r->text) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (server_reply_line(s, 250, i + 1 == n, "", ext[i]) < 0)
			return -1;
	return 0;
}

/* ---- reading the message ---- */

size_t
server_unstuff(enum data_at *at, const char *in, size_t len, char *out,
    size_t *used)
{
	size_t i, o = 0;

	for (i = 0; i < len && *at != AT_END; i++) {
		char ch = in[i];

		if (*at == AT_DOT && ch == '\r') {
			*at = AT_DOT_CR;
			continue;
		}
		if (*at == AT_DOT_CR) {
			if (ch == '\n') {
				*at = AT_END;
				continue;
			}
			out[o++] = '\r';	/* ".\r" and more: a line */
			*at = AT_CR;
		}
		if (*at == AT_LINE_START && ch == '.') {
			*at = AT_DOT;
			continue;
		}
		out[o++] = ch;
		*at = ch == '\r' ? AT_CR : (ch == '\n' && *at == AT_CR) ?
		    AT_LINE_START : AT_LINE;
	}
	*used = i;
	return o;
}

/* The message up to its ".", to ops->data_write; false when the client
 * is gone or too slow (the transaction is then dropped). */
static bool
read_message(struct server *s)
{
	static char out[NET_RBUF_SIZE + 1];
	enum data_at at = AT_LINE_START;
	bool taking = true;
	struct err e;
	size_t used, n;

	while (at != AT_END) {
		net_start_deadline(&s->conn);
		if (net_fill(&s->conn, &e) != 0)
			return false;
		n = server_unstuff(&at, s->conn.rbuf + s->conn.rpos,
		    s->conn.rlen - s->conn.rpos, out, &used);
		s->conn.rpos += used;
		if (taking && n > 0 && s->ops->data_write(s, out, n) < 0)
			taking = false;
	}
	trace_note("the message, up to its \".\"");
	return true;
}

/* ---- the session ---- */

static void
say(struct server *s, int code, const char *enhanced, const char *text)
{
	server_reply_line(s, code, true, enhanced, text);
	server_flush(s);
}

/* A line could not be read: say why, when the client can still hear. */
static void
read_failed(struct server *s, const struct err *e)
{
	if (e->code == EX_PROTOCOL)	/* too long: the rest is garbage */
		say(s, 500, "5.5.2", "Line too long; closing the connection");
	else if (s->stop != NULL && *s->stop)
		say(s, 421, "4.3.2", "The service is shutting down");
	else if (s->conn.timed_out)
		say(s, 421, "4.4.2", "Timeout: closing the connection");
}

/* Act on one command line; false ends the session. */
static bool
handle_line(struct server *s, const char *line, size_t len)
{
	struct service_reply r;
	struct command c;
	enum server_action act = ACT_REPLY;

	trace_line('C', line, len);
	if (command_parse(line, len, &c, &r) == 0)
		act = server_command(s, &c, &r);
	s->errors = r.code >= 400 ? s->errors + 1 : 0;
	switch (act) {
	case ACT_HELLO:
		send_hello(s, &r);
		break;
	case ACT_DATA:
		say(s, r.code, r.enhanced, r.text);
		if (!read_message(s)) {
			reset(s);
			return false;
		}
		server_message_end(s);
		break;
	case ACT_CONTROL:
		s->ops->control(s, &c);
		break;
	default:
		server_reply(s, &r);
		break;
	}
	if (s->errors >= SERVER_ERRORS_MAX) {
		reset(s);
		say(s, 421, "4.7.0", "Too many errors: closing the connection");
		return false;
	}
	return act != ACT_CLOSE;
}

void
server_run(struct server *s)
{
	char line[COMMAND_LINE_MAX + 3];
	struct err e;
	size_t len;
	int rc;

	s->conn.cancel = s->stop;
	server_reply_line(s, 220, true, "", s->lmtp ?
	    "mailout service LMTP ready" : "mailout service ESMTP ready");
	for (;;) {
		/* PIPELINING: the replies go out when no command waits */
		if (s->conn.rpos == s->conn.rlen && server_flush(s) < 0)
			break;
		if (s->stop != NULL && *s->stop) {
			say(s, 421, "4.3.2", "The service is shutting down");
			break;
		}
		net_start_deadline(&s->conn);
		if ((rc = net_read_line(&s->conn, line, sizeof(line), &len,
		    &e)) != 0) {
			if (rc < 0)
				read_failed(s, &e);
			break;
		}
		if (!handle_line(s, line, len))
			break;
	}
	server_flush(s);
	reset(s);
	set_state(s, SERVER_CLOSED);
}

void
server_refuse(struct server *s)
{
	say(s, 554, "5.7.1", "You may not use this service");
	set_state(s, SERVER_CLOSED);
}

void
server_close(struct server *s)
{
	net_close(&s->conn);
}
