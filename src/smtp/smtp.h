/*
 * smtp.h — the SMTP/LMTP client's side of one connection: greeting, EHLO
 * (HELO fallback) or LHLO, STARTTLS, sending commands and message data,
 * reading replies, RSET, QUIT. It owns the rules of what may still be sent:
 * nothing after a 421, no QUIT in the middle of a command or of the
 * message data. It knows nothing of argv, config files, TLS or SASL
 * internals: TLS is started by the connection's transport (net.h).
 *
 * Error codes: those of net.h and reply.h, plus EX_UNAVAILABLE (5xx
 * greeting or HELO, STARTTLS impossible) and EX_TEMPFAIL (4xx, 421).
 */
#ifndef MAILOUT_SMTP_H
#define MAILOUT_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"
#include "smtp/reply.h"
#include "transport/net.h"

/* Where the dialogue stands, for what may be sent next. */
enum smtp_state {
	SMTP_IDLE,		/* between commands: QUIT would be understood */
	SMTP_WAITING,		/* commands sent, their replies due */
	SMTP_IN_DATA,		/* sending message text: a QUIT would be text */
	SMTP_HANDSHAKE,		/* STARTTLS said 220: only a handshake now */
	SMTP_CLOSING,		/* the server said 421: send nothing more */
};

struct smtp {
	struct conn *conn;
	bool lmtp;
	enum smtp_state state;
	struct caps caps;
	struct reply greeting;
	struct reply hello;	/* the last EHLO/LHLO reply, for --serverinfo */
};

void smtp_init(struct smtp *s, struct conn *c, bool lmtp);

int smtp_greeting(struct smtp *s, struct err *e);

/* What the session needs from EHLO: with TLS or AUTH required, an old
 * HELO-only server cannot do, so there is no HELO fallback; nor when
 * more commands were pipelined behind the EHLO. */
enum hello_need {
	HELLO_NEEDS_NOTHING,
	HELLO_NEEDS_TLS,	/* fails with EX_UNAVAILABLE */
	HELLO_NEEDS_AUTH,	/* fails with EX_NOPERM */
	HELLO_PIPELINED,	/* fails as smtp_expect says */
};

/* EHLO (LHLO), with HELO as the fallback only when nothing is needed. */
int smtp_hello(struct smtp *s, const char *helo, enum hello_need need,
    struct err *e);

/* The two halves of smtp_hello, for early pipelining: queue the EHLO
 * (forgetting the capabilities), and later read its reply. */
int smtp_hello_queue(struct smtp *s, const char *helo, struct err *e);
int smtp_hello_reply(struct smtp *s, const char *helo, enum hello_need need,
    struct err *e);

/*
 * STARTTLS (RFC 3207): refuse unless offered and answered 220, refuse any
 * byte the server sent before the handshake (response injection), have
 * the transport start TLS (net_start_tls), then forget every pre-TLS
 * capability. The caller says EHLO again. smtp_starttls_reply is the
 * second half, when STARTTLS was queued behind an early EHLO.
 */
int smtp_starttls(struct smtp *s, struct err *e);
int smtp_starttls_reply(struct smtp *s, struct err *e);

/* Send one command line (CRLF added; CR/LF in it are refused) and read
 * its reply. A 421 reply is turned into an EX_TEMPFAIL error. */
int smtp_command(struct smtp *s, struct reply *r, struct err *e,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* PIPELINING (RFC 2920): queue a command without sending it; smtp_flush
 * sends everything queued in one write; the replies are then read in
 * order with smtp_read_reply. */
int smtp_queue(struct smtp *s, struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int smtp_flush(struct smtp *s, struct err *e);

/* Queue a line whose transcript shows `shown` instead (AUTH's secrets). */
int smtp_queue_secret(struct smtp *s, const char *line, const char *shown,
    struct err *e);

/* Read one more reply (pipelined commands, LMTP's per-recipient replies). */
int smtp_read_reply(struct smtp *s, struct reply *r, struct err *e);

/* Whether the server has sent something not read yet: a reply can be read
 * without waiting for one. */
bool smtp_reply_waiting(struct smtp *s);

/* Fail with e unless r has the expected first digit; what names the step. */
int smtp_expect(const struct reply *r, int digit, const char *what,
    struct err *e);

/* RSET and its 2xx: the transaction in progress is dropped. */
int smtp_rset(struct smtp *s, struct err *e);

/* Message text, already in wire form (filter.h), after DATA's 354 or as
 * a BDAT chunk's payload; queued like a command. */
int smtp_data(struct smtp *s, const void *buf, size_t len, struct err *e);

/* The "." that ends DATA's text, flushed. */
int smtp_data_end(struct smtp *s, struct err *e);

/* Queue "BDAT len [LAST]" and the chunk (RFC 3030); the caller flushes. */
int smtp_bdat(struct smtp *s, const void *chunk, size_t len, bool last,
    struct err *e);

/* Say goodbye without waiting for the 221; nothing after a 421, nor in
 * the middle of a command or of the message data. */
void smtp_quit(struct smtp *s);

#endif
