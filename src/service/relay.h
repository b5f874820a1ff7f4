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

#define UPSTREAM_LINGER 5	/* seconds an idle upstream session stays open */

struct upstream {
	struct flush_request rq;	/* now, whatever the backoff */
	struct flusher *flusher;
	time_t last_used;	/* when the session last sent; 0: none open */
};

/* What the flush says goes to the service's stderr. NULL when out of
 * memory. */
struct upstream *upstream_new(struct service *sv);
void upstream_free(struct upstream *r);

/* Send qe (stored and locked by the caller) now; o and caller_told as
 * flusher_send's: an LMTP client is told each refusal (no failure
 * notice), an SMTP one is not. */
void upstream_send(struct upstream *r, struct queue_entry *qe,
    struct outcome *o, bool caller_told);

/* After UPSTREAM_LINGER seconds without use, close the upstream session;
 * returns the seconds until that is due, or -1 when none is open. */
int upstream_linger(struct upstream *r);

/*
 * The reply for one of the client's recipients, whose addresses after
 * aliases are targets (their fates in o, the entry id): a refusal if any
 * was refused, else [queued] if any stays, else [sent]. With noqueue
 * (XNOQUEUE: the client wants no queue), what stays is a 4xx instead.
 */
void upstream_reply(const struct outcome *o, const struct addr_list *targets,
    const char *id, bool noqueue, struct service_reply *r);

#endif
