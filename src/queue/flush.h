/*
 * flush.h — `mailout -q` (SPEC §7): deliver what is due in the queue.
 * Entries are sent in groups that share their settings (profile, config
 * and the original command line), one connection per group with RSET
 * between messages. What the server accepts leaves the queue; 4xx stays
 * with exponential backoff; recipients refused, or still deferred after
 * queue_lifetime, are given up and the sender gets a failure notice
 * (itself queued first, so it cannot be lost either). Each entry is
 * locked while it is sent (queue_lock_entry): an entry another process
 * is sending is left alone, and a whole flush also takes the queue's
 * flush lock, so two flushes never send the same message.
 *
 * A flusher sends one entry at a time through the session of its group,
 * kept open from one entry to the next: the mailout service relays each
 * message it takes that way (service/relay.h).
 *
 * Error codes: those of queue.h; EX_TEMPFAIL when another flush runs.
 */
#ifndef MAILOUT_FLUSH_H
#define MAILOUT_FLUSH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config/resolve.h"
#include "config/settings.h"
#include "queue/queue.h"
#include "smtp/outcome.h"

#define BACKOFF_FIRST 300		/* seconds after the first failure */
#define BACKOFF_MAX (4 * 60 * 60)

/* When to try again after the attempts-th failed attempt. */
time_t flush_next_try(time_t now, int attempts);

/*
 * st: the flush's own settings (the queue directory); cmd: its command
 * line, applied over each entry's own settings. all: ignore backoff.
 */
int flush_queue(const struct settings *st, const struct resolve_request *cmd,
    bool all, struct err *e);

struct flusher;

/* What a flusher says (a refused recipient, an entry it cannot read or
 * update): one line, without "mailout: "; by default to stderr. */
typedef void flush_say(void *arg, const char *line);

/* A flusher of the queue q (which must outlive it): settings resolved
 * for each group from cmd (kept, not copied) and the entry's own. */
struct flusher *flusher_new(struct queue *q,
    const struct resolve_request *cmd, flush_say *say, void *arg);

/* Its session (QUIT) and settings go; it stays usable. */
void flusher_idle(struct flusher *f);
void flusher_free(struct flusher *f);

/*
 * Send qe, loaded and locked by the caller and due now, through the
 * session of its group (the one kept open, after RSET, when the group is
 * the last one's; else a new one), then update it the way a flush does:
 * accepted and refused recipients leave it, the rest stay with backoff,
 * and it is removed when none stays. o: n and each rcpts[i].addr set by
 * the caller, in qe's order, to strings that outlive the call; each
 * recipient's fate on return. notices: failure notices to the sender
 * for the refused (false when the caller tells the sender itself).
 */
void flusher_send(struct flusher *f, struct queue_entry *qe,
    struct outcome *o, bool notices);

/* What flusher_run did. */
struct flush_counts {
	size_t done;		/* entries that left the queue */
	size_t kept;		/* entries that stay (deferred, backing off) */
	size_t busy;		/* entries another process was sending */
};

/* Which entries flusher_run sends. */
struct flush_request {
	bool all;			/* even those backing off */
	bool by_owner;			/* only those of owner_uid */
	long long owner_uid;
	const volatile sig_atomic_t *stop;	/* end between entries */
};

/* Every entry the request names, oldest first in each group, each
 * locked while it is sent. */
int flusher_run(struct flusher *f, const struct flush_request *fr,
    struct flush_counts *counts, struct err *e);

#endif
