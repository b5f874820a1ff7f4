/*
 * outcome.h — what happened to each recipient of a message, and to the
 * session: filled by the session and the transactions (session.h,
 * transaction.h), read by the report, the log and the queue.
 */
#ifndef MAILOUT_OUTCOME_H
#define MAILOUT_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"
#include "smtp/reply.h"

enum stage {
	STAGE_CONNECT, STAGE_TLS, STAGE_GREETING, STAGE_HELLO, STAGE_AUTH,
	STAGE_MAIL,
	STAGE_RCPT, STAGE_DATA, STAGE_QUIT,
};

const char *stage_name(enum stage s);		/* "RCPT", for people */
const char *stage_key(enum stage s);		/* "rcpt", for JSON and logs */

/* The stage whose key is key; -1 when none is. */
int stage_of_key(const char *key, size_t len, enum stage *s);

/* The one way a stage is set: *at = s, traced with --debug=2. */
void stage_set(enum stage *at, enum stage s);

enum rcpt_state {
	RCPT_PENDING,		/* not decided: the session ended first */
	RCPT_ACCEPTED,		/* the server took responsibility */
	RCPT_REFUSED,		/* 5xx: permanent */
	RCPT_DEFERRED,		/* 4xx: try again later */
	RCPT_QUEUED,		/* deferred, and now in the queue */
};


struct rcpt_result {
	const char *addr;
	enum rcpt_state state;
	bool rcpt_ok;		/* RCPT got 2xx: this one is in the transaction */
	bool tried;		/* it was in a transaction */
	bool retry;		/* 452 too many recipients: in the next one */
	bool by_session;	/* refused with the transaction as a whole (a
				 * 5xx to MAIL or to the message, refused =
				 * abort), not by a reply of its own */
	enum stage stage;	/* where state was decided */
	int code;		/* the deciding reply code, 0 if none */
	char reply[REPLY_ONELINE_MAX];	/* that reply on one line */
	char enhanced[sizeof(((struct reply *)0)->enhanced)];	/* "5.1.1" or "" */
};

struct outcome {
	struct rcpt_result *rcpts;
	size_t n;
	struct err session;	/* what ended the session early; code 0 if nothing */
	enum stage session_stage;
	int session_code;	/* the reply that did, 0 if none was one */
	char session_enhanced[sizeof(((struct reply *)0)->enhanced)];
	char queue_id[40];	/* the queue entry of the RCPT_QUEUED ones */
};

/* The text of rr's reply without its code and enhanced code ("No such
 * user" of "550 5.1.1 No such user"). */
const char *rcpt_reply_text(const struct rcpt_result *rr);

/* Worth another try: a 4xx, or left undecided by a temporary failure. */
bool outcome_retryable(const struct outcome *o, size_t i);

/* Whether a temporary session failure left nothing unqueued behind. */
bool outcome_all_queued(const struct outcome *o);

/* How many recipients are in state s. */
size_t outcome_count(const struct outcome *o, enum rcpt_state s);

/* "sent", "partial", "queued" or "failed" (SPEC §6). */
const char *outcome_status(const struct outcome *o);

/* The exit status (SPEC §6): 0, or the session's error (unless its
 * recipients were queued), else 67 for a refusal, else 75 for a deferral
 * that is not queued. */
int outcome_exit_code(const struct outcome *o);

#endif
