/*
 * flush.h — `mailout -q` (SPEC §7): deliver what is due in the queue.
 * Entries are sent in groups that share their settings (profile, config
 * and the original command line), one connection per group with RSET
 * between messages. What the server accepts leaves the queue; 4xx stays
 * with exponential backoff; recipients refused, or still deferred after
 * queue_lifetime, are given up and the sender gets a failure notice
 * (itself queued first, so it cannot be lost either). A lock keeps two
 * flushes from sending the same message.
 *
 * Error codes: those of queue.h; EX_TEMPFAIL when another flush runs.
 */
#ifndef MAILOUT_FLUSH_H
#define MAILOUT_FLUSH_H

#include <stdbool.h>
#include <time.h>

#include "config/resolve.h"
#include "config/settings.h"

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

#endif
