/*
 * relay.h — relaying what the service has just stored: upstream at once
 * through the flush's code (queue/flush.h: the same groups, sessions,
 * RSET and entry updates), the upstream session kept open between
 * clients for a few seconds so that a burst goes over few sessions; and
 * what the relay said turned into one reply for each of the client's
 * recipients, in the reply extension of service/submit.h.
 */
#ifndef MAILOUT_RELAY_H
#define MAILOUT_RELAY_H

#include <stdbool.h>

#include "queue/flush.h"
#include "service/command.h"
#include "service/service.h"
#include "smtp/outcome.h"

#define RELAY_LINGER 5	/* seconds an idle upstream session stays open */

struct relay {
	struct flusher *flusher;
	time_t last_used;	/* when the session last sent; 0: none open */
};

/* A line of the flush (flush_say) for the service's log: stderr. */
void relay_log(void *arg, const char *line);

/* Log lines go to the service's stderr. NULL when out of memory. */
struct relay *relay_new(struct service *sv);
void relay_free(struct relay *r);

/* Send qe (stored and locked by the caller) now; o as flusher_send. The
 * refused ones are the client's to report: no failure notice. */
void relay_send(struct relay *r, struct queue_entry *qe, struct outcome *o);

/* After RELAY_LINGER seconds without use, close the upstream session;
 * returns the seconds until that is due, or -1 when none is open. */
int relay_linger(struct relay *r);

/*
 * The reply for one of the client's recipients, whose addresses after
 * aliases are targets (their fates in o, the entry id): a refusal if any
 * was refused, else [queued] if any stays, else [sent]. With noqueue
 * (XNOQUEUE: the client wants no queue), what stays is a 4xx instead.
 */
void relay_reply(const struct outcome *o, const struct addr_list *targets,
    const char *id, bool noqueue, struct service_reply *r);

#endif
