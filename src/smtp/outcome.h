/*
 * outcome.h — what happened to each recipient of a message, and to the
 * session: filled by the session and the transactions (session.h,
 * transaction.h), read by the report, the log and the queue.
 */
#ifndef MAILOUT_OUTCOME_H
#define MAILOUT_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>

#include "config/relays.h"
#include "lib/err.h"
#include "message/addr.h"
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
	char relay[RELAY_LABEL_MAX];	/* the relay that answered ("name:port"
					 * or the socket); "" if none did */
};

/* o, empty, with one pending result per address of rcpts (which must
 * outlive it), in their order; free(o->rcpts) when done. */
int outcome_init(struct outcome *o, const struct addr_list *rcpts,
    struct err *e);

/* The relay the session went to (session.h's relay_label). */
void outcome_set_relay(struct outcome *o, const char *label);

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

/*
 * What kind of failure kept a message back, for the queue entry, the
 * health check and alert_command: a person must act on the last three
 * (a changed password, a certificate that no longer verifies, a
 * configuration or a server that refuses for good).
 */
enum failure_kind {
	FAILURE_NONE,		/* nothing went wrong */
	FAILURE_TEMPORARY,	/* 4xx, a timeout, no connection: retried */
	FAILURE_PERMANENT,	/* anything else that ended the session */
	FAILURE_AUTH,		/* AUTH refused, or no credentials to send */
	FAILURE_TLS,		/* TLS could not be set up or verified */
};

/* The failure that ended the session, else FAILURE_TEMPORARY when a
 * recipient was deferred, else FAILURE_NONE. */
enum failure_kind outcome_failure(const struct outcome *o);

/* "temporary", "permanent", "auth", "tls" ("" for none): the word the
 * queue entry keeps. */
const char *failure_key(enum failure_kind k);

/* The kind a failure_key names; FAILURE_NONE for anything else. */
enum failure_kind failure_of_key(const char *key);

/* The exit status (SPEC §6): 0, or the session's error (unless its
 * recipients were queued), else 67 for a refusal, else 75 for a deferral
 * that is not queued. */
int outcome_exit_code(const struct outcome *o);

#endif
