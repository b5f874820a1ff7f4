/*
 * flush.h — sending the queue (SPEC §7): `mailout -q` (everything now),
 * `--flush` (what is due: the timer, the service), `--send ID` and
 * `--bounce ID` (queue/ops.h). Entries are sent in groups that share
 * their settings (profile, config and the original command line), one
 * connection per group with RSET between messages. What the server
 * accepts leaves the queue; 4xx stays with exponential backoff;
 * recipients refused, still deferred after queue_lifetime, or bounced,
 * are given up and the sender gets a failure notice (itself queued
 * first, so it cannot be lost either). A lock keeps two flushes from
 * running at once, and each entry's lock (queue.h) keeps any other
 * process from acting on an entry while it is sent.
 *
 * Error codes: those of queue.h; EX_TEMPFAIL when another flush runs.
 */
#ifndef MAILOUT_FLUSH_H
#define MAILOUT_FLUSH_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "config/resolve.h"
#include "config/settings.h"
#include "queue/queue.h"
#include "smtp/outcome.h"

#define BACKOFF_FIRST 300		/* seconds after the first failure */
#define BACKOFF_MAX (4 * 60 * 60)

/* When to try again after the attempts-th failed attempt. */
time_t flush_next_try(time_t now, int attempts);

enum flush_mode {
	FLUSH_DUE,		/* --flush: what is due */
	FLUSH_NOW,		/* -q, --flush=all, --send: whatever the
				 * backoff says */
	FLUSH_GIVE_UP,		/* --bounce: no attempt, the sender told */
};

/* What became of one entry. */
enum flush_result {
	FLUSH_SENT,		/* every recipient accepted; gone */
	FLUSH_DEFERRED,		/* some recipients still queued */
	FLUSH_GAVE_UP,		/* the rest refused, expired or bounced; gone */
	FLUSH_WAITING,		/* not tried: backing off */
	FLUSH_HELD,		/* not tried: --hold */
	FLUSH_BUSY,		/* not tried: another process has it */
	FLUSH_RESULTS
};

/* One entry's fate, for the caller's told() and -v's line
 * "mailout: ID: RCPTS: DETAIL". */
struct flush_report {
	const char *id;
	enum flush_result result;
	size_t accepted, refused, deferred, given_up;	/* recipients */
	char rcpts[256];	/* "<a@example.org> and 3 more" */
	char detail[ERR_MSG_MAX];	/* "sent", "deferred: 451 ..." */
};

struct flush_request {
	const struct resolve_request *cmd;	/* over each entry's own */
	enum flush_mode mode;
	char *const *ids;	/* only these, NULL-terminated; NULL: all */
	uid_t actor;		/* only its entries, all for root */
	/* told what became of each entry (NULL: nobody) */
	void (*told)(void *arg, const struct flush_report *r);
	void *arg;
	bool shared;		/* beside other flushes (the service's
				 * XFLUSH): the entries' locks suffice,
				 * not the queue's flush lock */
	const volatile sig_atomic_t *stop;	/* set: end between entries */
};

/*
 * Flush the queue of st (the flush's own settings) as rq says. With -v
 * (trace_level 1) each entry gets a line on stderr, then a summary. Each
 * flush also runs alert_command when the oldest entry left is past
 * health_warn_age. counts (NULL: not wanted), on success: how many
 * entries had each result.
 */
int flush_run(const struct settings *st, const struct flush_request *rq,
    size_t counts[FLUSH_RESULTS], struct err *e);

/*
 * A flusher that outlives one flush: the mailout service relays each
 * message it takes through one (service/relay.h), its session to the
 * relay kept open from one message to the next (RSET between).
 */
struct flusher;

/* For the open queue q (which must outlive it, and which it does not
 * close), st and rq as flush_run's (kept, not copied); NULL when out of
 * memory. */
struct flusher *flusher_new(struct queue *q, const struct settings *st,
    const struct flush_request *rq);

/* Its session (QUIT) and the group's settings go; it stays usable. */
void flusher_idle(struct flusher *f);
void flusher_free(struct flusher *f);

/*
 * Send qe now, loaded and locked by the caller, through the session of
 * its group (the one kept open, after RSET, when the group is the last
 * one's), and update it as a flush does: accepted and refused recipients
 * leave it, the rest stay with backoff, and it is removed when none
 * stays. o: n and each rcpts[i].addr set by the caller, in qe's order,
 * to strings that outlive the call; each recipient's fate on return.
 * caller_told: the caller reports the refusals itself, so the sender
 * gets no failure notice for them and alert_command hears nothing.
 */
void flusher_send(struct flusher *f, struct queue_entry *qe,
    struct outcome *o, bool caller_told);

#endif
