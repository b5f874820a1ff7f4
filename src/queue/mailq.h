/* mailq.h — `mailout -bp` / `mailq`: what the queue holds. */
#ifndef MAILOUT_MAILQ_H
#define MAILOUT_MAILQ_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "config/settings.h"
#include "lib/err.h"

/*
 * One paragraph per entry: id, age, size, sender, each recipient (and
 * on a line of its own its own last reply, unless the entry's last error
 * is that reply), the last error and when the next try is due, or that
 * it is held. With json, one JSON array of objects instead:
 *
 *   [{"id":"...","owner":"alice","queued_at":"2026-12-07T10:15:00Z",
 *     "size":1234,"sender":"me@example.org",
 *     "recipients":[{"address":"a@example.org","status":"deferred",
 *       "attempts":2,"last_reply":"451 4.2.1 ..."}],
 *     "next_try":"2026-12-07T10:25:00Z","last_error":"451 ...",
 *     "held":false}]
 *
 * A recipient's status is "deferred" once tried, "pending" before. Only
 * the actor's entries are listed (root: all). A queue never created is
 * empty, and is not created.
 */
int mailq_list(const struct settings *st, bool json, uid_t actor, FILE *out,
    struct err *e);

#endif
