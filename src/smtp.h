/*
 * smtp.h — the SMTP/LMTP client session: greeting, EHLO (HELO fallback) or
 * LHLO, sending commands and reading their replies, QUIT. It owns the
 * rule that after a 421 nothing more is sent. It knows nothing of argv,
 * config files or exit policy beyond the EX_* code on each error.
 *
 * Error codes: those of net.c and reply.c, plus EX_UNAVAILABLE (5xx
 * greeting or HELO) and EX_TEMPFAIL (4xx, 421).
 */
#ifndef MAILOUT_SMTP_H
#define MAILOUT_SMTP_H

#include <stdbool.h>

#include "err.h"
#include "net.h"
#include "reply.h"
#include "sasl.h"
#include "tls.h"

struct smtp {
	struct conn *conn;
	bool lmtp;
	bool closing;		/* server said 421: send nothing more */
	bool idle;		/* between commands: QUIT would be understood */
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
 * byte the server sent before the handshake (response injection), then
 * forget every pre-TLS capability. The caller says EHLO again.
 * smtp_starttls_reply is the second half, when STARTTLS was queued
 * (smtp_queue) behind an early EHLO.
 */
int smtp_starttls(struct smtp *s, const struct tls_options *o, struct err *e);
int smtp_starttls_reply(struct smtp *s, const struct tls_options *o,
    struct err *e);

/*
 * AUTH (RFC 4954) with the named mechanism, or the strongest offered when
 * wanted is NULL: smtp_auth_queue queues the AUTH command (with its
 * initial response), smtp_auth_reply reads the reply, answers each
 * challenge, and always ends sasl (a caller that gives up in between
 * calls sasl_end). Secrets never reach the transcript. Error codes:
 * EX_NOPERM (refused, nothing usable offered, bad challenge, SCRAM server
 * not proven), EX_TEMPFAIL (4xx such as 454).
 */
int smtp_auth_queue(struct smtp *s, const char *wanted,
    const struct sasl_creds *c, struct sasl *sasl, struct err *e);
int smtp_auth_reply(struct smtp *s, struct sasl *sasl, struct err *e);

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

/* Read one more reply (pipelined commands, LMTP's per-recipient replies). */
int smtp_read_reply(struct smtp *s, struct reply *r, struct err *e);

/* Fail with e unless r has the expected first digit; what names the step. */
int smtp_expect(const struct reply *r, int digit, const char *what,
    struct err *e);

/* Say goodbye without waiting for the 221; nothing after a 421, nor in
 * the middle of a command or of the message data. */
void smtp_quit(struct smtp *s);

#endif
