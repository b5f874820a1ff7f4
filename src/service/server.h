/*
 * server.h — the server side of one session of the mailout service:
 * LMTP (RFC 2033) on its unix socket, SMTP (RFC 5321) on TCP. An
 * explicit state machine (enum server_state, one set_state that
 * --debug=2 traces) that owns the protocol's rules: which command may
 * come when, one reply per command in order (PIPELINING), the message
 * read up to its "." and unstuffed, and the bounds of a session (line
 * length, recipients, idle time per command, the whole session's time,
 * errors in a row). What a command means for the message (policy, the
 * queue, the relay) is the service's (struct server_ops: service/submit.h).
 *
 * server_command is the machine without I/O, so the fuzz harness can
 * drive it; server_run reads commands from the connection and writes the
 * replies. Nothing here calls exit() or prints.
 */
#ifndef MAILOUT_SERVER_H
#define MAILOUT_SERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "service/command.h"
#include "transport/net.h"

#define SERVER_RCPTS_MAX 1000		/* recipients of one message */
#define SERVER_ERRORS_MAX 20		/* refused commands in a row */

enum server_state {
	SERVER_HELLO,		/* greeted: HELO, EHLO or LHLO expected */
	SERVER_IDLE,		/* MAIL may begin a transaction */
	SERVER_MAIL,		/* MAIL accepted: RCPT */
	SERVER_RCPT,		/* a recipient accepted: RCPT or DATA */
	SERVER_DATA,		/* reading the message up to "." */
	SERVER_CLOSED,
};

/* What server_command asks the I/O to do after it. */
enum server_action {
	ACT_REPLY,		/* send the reply */
	ACT_HELLO,		/* send the reply and the extensions */
	ACT_DATA,		/* send the 354 reply, then read the message */
	ACT_CLOSE,		/* send the reply, then close */
	ACT_CONTROL,		/* the service's own commands (ops->control) */
};

struct server;

/* What the service does with the commands (service/submit.c). Each hook
 * returns 0 to accept, or -1 with the reply (4xx or 5xx) in r. */
struct server_ops {
	int (*mail)(struct server *s, const struct command *c,
	    struct service_reply *r);
	int (*rcpt)(struct server *s, const struct command *c,
	    struct service_reply *r);
	int (*data_begin)(struct server *s, struct service_reply *r);
	/* message text (unstuffed, line ends as sent); -1 stops taking it
	 * (the rest is read and dropped; data_end says why) */
	int (*data_write)(struct server *s, const char *buf, size_t len);
	/* the "." came: reply with server_reply, once per recipient (LMTP)
	 * or once (SMTP) */
	void (*data_end)(struct server *s);
	void (*rset)(struct server *s);	/* the transaction is dropped */
	/* XFLUSH, XQUEUE, XOP, XHEALTH (service/control.h): each writes
	 * its own replies */
	void (*control)(struct server *s, const struct command *c);
};

struct server {
	struct conn conn;		/* to the client */
	bool lmtp;			/* the unix socket (else SMTP on TCP) */
	enum server_state state;
	size_t nrcpts;			/* accepted in this transaction */
	int errors;			/* refused commands in a row */
	const char *hostname;		/* in the greeting and hello */
	const char *domain;		/* XMAILOUT DOMAIN=; NULL: not offered */
	long long size_max;		/* SIZE */
	const struct server_ops *ops;
	void *ctx;			/* the ops' */
	const volatile sig_atomic_t *stop;	/* 421 before the next command */
	bool text_midline;		/* server_text: inside a line */
};

/* Set up s on the accepted socket fd (it is closed by server_close);
 * each command must come within timeout seconds, the whole session
 * within NET_SESSION_TIMEOUTS times that. */
void server_init(struct server *s, int fd, bool lmtp, int timeout,
    const struct server_ops *ops, void *ctx);

/* The machine: what command c does in the state s is in, its reply and
 * what to do next. */
enum server_action server_command(struct server *s, const struct command *c,
    struct service_reply *r);

/* After ACT_DATA, once the message has been read to its end: the
 * replies (ops->data_end), and the next transaction may begin. */
void server_message_end(struct server *s);

/* Where the reader is in the dot-stuffed text (RFC 5321 4.5.2). */
enum data_at {
	AT_LINE_START, AT_LINE, AT_CR, AT_DOT, AT_DOT_CR, AT_END,
};

/*
 * Unstuff the octets in[0..len) into out (room for len + 1), up to the
 * "." line: returns the octets written, *used those taken (what follows
 * is the next command). Only CRLF "." CRLF ends the text, and only after
 * CRLF does a line start: a bare LF never ends a message early (SMTP
 * smuggling). Start at AT_LINE_START; AT_END once the "." was read.
 */
size_t server_unstuff(enum data_at *at, const char *in, size_t len,
    char *out, size_t *used);

/* The session from the greeting to the end. */
void server_run(struct server *s);

/* A client that may not use the service: a 554 greeting, and the end. */
void server_refuse(struct server *s);

/* Queue one reply line; last: "CODE " rather than "CODE-". */
int server_reply_line(struct server *s, int code, bool last,
    const char *enhanced, const char *text);
int server_reply(struct server *s, const struct service_reply *r);

/* A dot-terminated text after a reply (XQUEUE): lines are dot-stuffed. */
int server_text(struct server *s, const char *buf, size_t len);
int server_text_end(struct server *s);

/* Send what is queued now (a long answer in parts). */
int server_flush(struct server *s);

void server_close(struct server *s);

const char *server_state_name(enum server_state st);

#endif
