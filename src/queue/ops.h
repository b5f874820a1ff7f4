/*
 * ops.h — acting on queue entries by ID: --remove (no notice), --bounce
 * (the sender gets a failure notice), --hold (out of every flush),
 * --release (due now) and --send (tried now, whatever the backoff; a
 * held entry is released first). Each ID is handled on its own: one
 * that is unknown, or that belongs to another user when the actor is
 * not root, is an error naming it, and the other IDs are still handled.
 * An entry another process is sending is left alone (EX_TEMPFAIL).
 *
 * The system service calls queue_op_run with the caller's uid as the
 * actor: another user's entry then looks exactly like an unknown one.
 */
#ifndef MAILOUT_OPS_H
#define MAILOUT_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config/resolve.h"
#include "config/settings.h"
#include "lib/err.h"

enum queue_op {
	QUEUE_OP_NONE,
	QUEUE_OP_REMOVE,
	QUEUE_OP_BOUNCE,
	QUEUE_OP_HOLD,
	QUEUE_OP_RELEASE,
	QUEUE_OP_SEND,
};

/* "remove", "bounce" ...: the option without its dashes. */
const char *queue_op_name(enum queue_op op);

/* The operation of that name; QUEUE_OP_NONE for none. */
enum queue_op queue_op_lookup(const char *name);

struct queue_op_request {
	enum queue_op op;
	char *const *ids;
	size_t nids;
	uid_t actor;			/* root acts on every entry */
	const struct resolve_request *cmd;	/* --send, --bounce: over
						 * each entry's settings */
};

/* What became of one ID. */
struct queue_op_result {
	const char *id;
	int code;		/* 0; EX_USAGE (not an ID), EX_NOINPUT (no
				 * such entry), EX_TEMPFAIL (busy, or still
				 * queued after --send), EX_NOUSER (given up
				 * at --send), or a file system error */
	bool flushed;		/* told by the flush (its -v line says it) */
	char msg[ERR_MSG_MAX];	/* "removed", "no such entry in the queue" */
};

/*
 * rq->op on each of rq->ids, in the queue of st; results[i] (room for
 * rq->nids) says what became of ids[i]. -1 with e only when nothing
 * could be done (--send or --bounce while another flush runs:
 * EX_TEMPFAIL).
 */
int queue_op_run(const struct settings *st, const struct queue_op_request *rq,
    struct queue_op_result *results, struct err *e);

#endif
