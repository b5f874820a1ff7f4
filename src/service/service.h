/*
 * service.h — what every session of the mailout service shares: its
 * settings and configuration (read once, when the process starts), the
 * system queue, its name and domain, and its limits.
 */
#ifndef MAILOUT_SERVICE_H
#define MAILOUT_SERVICE_H

#include <signal.h>

#include "config/files.h"
#include "config/resolve.h"
#include "config/settings.h"
#include "queue/queue.h"

#define SERVICE_SIZE_MAX (64LL * 1024 * 1024)	/* octets of a message */

struct rate_table;
struct upstream;

struct service {
	struct settings st;		/* its own: no profile, no sender */
	struct conf *cf;		/* its configuration files, read */
	struct resolve_request rq;	/* how: its -C and command line */
	struct queue q;			/* the system queue */
	const char *hostname;		/* in greetings and Received: */
	long long size_max;
	struct upstream *relay;		/* a worker's; NULL in the master */
	struct rate_table *rates;	/* rate_limit's, shared by workers */
	const volatile sig_atomic_t *stop;	/* SIGTERM came */
};

#endif
