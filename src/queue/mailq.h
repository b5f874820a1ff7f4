/* mailq.h — `mailout -bp` / `mailq`: what the queue holds. */
#ifndef MAILOUT_MAILQ_H
#define MAILOUT_MAILQ_H

#include <stdbool.h>
#include <stdio.h>

#include "config/settings.h"
#include "lib/err.h"
#include "queue/queue.h"

/* Which entries a listing shows, and how. */
struct mailq_view {
	bool by_owner;			/* only those of owner_uid: the
					 * service's listing for a user */
	long long owner_uid;
};

/* One paragraph per entry: id, age, size, sender, each recipient, the
 * owner (in the service's queue), the last error and when the next try
 * is due. */
int mailq_list(const struct settings *st, FILE *out, struct err *e);

/* The same for the open queue q, as v says. An entry that cannot be
 * read is reported on stderr, unless the view is one owner's. */
int mailq_print(struct queue *q, FILE *out, const struct mailq_view *v,
    struct err *e);

#endif
