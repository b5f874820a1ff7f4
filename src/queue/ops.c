/* ops.c — --remove, --bounce, --hold, --release and --send by ID. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "queue/flush.h"
#include "queue/ops.h"
#include "queue/queue.h"

static const char *const op_names[] = {
	[QUEUE_OP_NONE] = "",
	[QUEUE_OP_REMOVE] = "remove",
	[QUEUE_OP_BOUNCE] = "bounce",
	[QUEUE_OP_HOLD] = "hold",
	[QUEUE_OP_RELEASE] = "release",
	[QUEUE_OP_SEND] = "send",
};

const char *
queue_op_name(enum queue_op op)
{
	return op_names[op];
}

enum queue_op
queue_op_lookup(const char *name)
{
	int op;

	for (op = QUEUE_OP_REMOVE; op <= QUEUE_OP_SEND; op++)
		if (strcmp(queue_op_name((enum queue_op)op), name) == 0)
			return (enum queue_op)op;
	return QUEUE_OP_NONE;
}

static void
set_result(struct queue_op_result *r, const struct err *e, const char *done)
{
	r->code = e->code;
	snprintf(r->msg, sizeof(r->msg), "%s", e->code != 0 ? e->msg : done);
}

/* The change each operation makes under the entry's lock. */
static int
change_entry(struct queue *q, struct queue_entry *qe, enum queue_op op,
    struct err *e)
{
	switch (op) {
	case QUEUE_OP_REMOVE:
		return queue_remove(q, qe->id, e);
	case QUEUE_OP_HOLD:
		qe->held = true;
		return queue_save(q, qe, e);
	case QUEUE_OP_RELEASE:
		qe->held = false;
		qe->next_try = time(NULL);
		return queue_save(q, qe, e);
	case QUEUE_OP_SEND:	/* the flush sends it; held no more */
		if (!qe->held)
			return 0;
		qe->held = false;
		return queue_save(q, qe, e);
	default:		/* --bounce: the flush gives it up */
		return 0;
	}
}

/*
 * Lock the entry, read it, check that the actor may act on it and make
 * op's change. Another user's entry is "no such entry": not a word
 * about it.
 */
static int
act_on(struct queue *q, const struct queue_op_request *rq, const char *id,
    struct err *e)
{
	struct queue_entry qe;
	int lock, rc;

	if (!queue_id_valid(id))
		return err_set(e, EX_USAGE, "not a queue ID");
	if (q->dirfd < 0)
		return err_set(e, EX_NOINPUT, "no such entry in the queue");
	if ((lock = queue_entry_lock(q, id, e)) < 0)
		return -1;
	rc = queue_load(q, id, &qe, e);
	if (rc == 0 && !queue_may_act(&qe, rq->actor))
		rc = err_set(e, EX_NOINPUT, "no such entry in the queue");
	if (rc == 0)
		rc = change_entry(q, &qe, rq->op, e);
	queue_entry_free(&qe);
	close(lock);
	return rc;
}

/* ---- --send and --bounce: a flush of those entries ---- */

struct told {
	const struct queue_op_request *rq;
	struct queue_op_result *results;
};

/* The flush's word on one entry as that ID's result. */
static void
record(void *arg, const struct flush_report *fr)
{
	const struct told *t = arg;
	bool bounce = t->rq->op == QUEUE_OP_BOUNCE;
	size_t i;

	for (i = 0; i < t->rq->nids; i++) {
		struct queue_op_result *r = &t->results[i];

		if (strcmp(r->id, fr->id) != 0)
			continue;
		r->flushed = true;
		if (fr->result == FLUSH_SENT || (bounce &&
		    fr->result == FLUSH_GAVE_UP))
			r->code = 0;
		else if (fr->result == FLUSH_GAVE_UP)
			r->code = EX_NOUSER;
		else
			r->code = EX_TEMPFAIL;
		snprintf(r->msg, sizeof(r->msg), "%.200s: %.300s", fr->rcpts,
		    fr->detail);
	}
}

/* Flush the entries that passed act_on; the others keep their error. */
static int
flush_ids(const struct settings *st, const struct queue_op_request *rq,
    struct queue_op_result *results, struct err *e)
{
	struct told t = { rq, results };
	struct flush_request fr = { rq->cmd, rq->op == QUEUE_OP_SEND ?
	    FLUSH_NOW : FLUSH_GIVE_UP, NULL, rq->actor, record, &t, false,
	    NULL };
	char **ids = calloc(rq->nids + 1, sizeof(*ids));
	size_t i, n = 0;
	int rc;

	if (ids == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < rq->nids; i++) {
		if (results[i].code != 0)
			continue;
		ids[n++] = (char *)results[i].id;
		/* unless the flush tells otherwise, it vanished meanwhile */
		results[i].code = EX_NOINPUT;
		snprintf(results[i].msg, sizeof(results[i].msg), "no such "
		    "entry in the queue");
	}
	fr.ids = ids;
	rc = n > 0 ? flush_run(st, &fr, NULL, e) : 0;
	free(ids);
	return rc;
}

int
queue_op_run(const struct settings *st, const struct queue_op_request *rq,
    struct queue_op_result *results, struct err *e)
{
	static const char *const done[] = {
		[QUEUE_OP_REMOVE] = "removed",
		[QUEUE_OP_HOLD] = "held",
		[QUEUE_OP_RELEASE] = "released: due now",
		[QUEUE_OP_SEND] = "", [QUEUE_OP_BOUNCE] = "",
	};
	struct queue q = { .dirfd = -1 };
	size_t i;
	int rc = 0;

	if (queue_open_existing(&q, st, e) < 0)
		return -1;
	for (i = 0; i < rq->nids; i++) {
		struct err ie = { 0, "" };

		memset(&results[i], 0, sizeof(results[i]));
		results[i].id = rq->ids[i];
		act_on(&q, rq, rq->ids[i], &ie);
		set_result(&results[i], &ie, done[rq->op]);
	}
	queue_close(&q);
	if (rq->op == QUEUE_OP_SEND || rq->op == QUEUE_OP_BOUNCE)
		rc = flush_ids(st, rq, results, e);
	return rc;
}
