/*
 * pool.h — the processes of the mailout service. The master forks the
 * workers (at least two, up to service_workers; more while all are busy)
 * and replaces those that end; it runs the periodic flush of the system
 * queue in a child of its own (when it starts, then every minute); it
 * sends SIGTERM on to all of them and waits for them. A worker serves one
 * client at a time, from its greeting to its end, and keeps its upstream
 * session open a few seconds between clients (service/relay.h). A worker
 * or the flush ends when the master does (PR_SET_PDEATHSIG).
 *
 * Nothing here calls exit() but the children's own ends.
 */
#ifndef MAILOUT_POOL_H
#define MAILOUT_POOL_H

#include "service/listen.h"
#include "service/service.h"

#define POOL_MIN 2			/* workers always there */
#define POOL_FLUSH_INTERVAL 60		/* seconds between flushes */

/* SIGTERM and SIGINT end the service, SIGCHLD wakes the master; no
 * SA_RESTART, so that a wait ends and sees the flag (sv->stop). */
void pool_signals(struct service *sv);

/* Serve on ls until SIGTERM; returns when every child has ended. */
int pool_run(struct service *sv, const struct listeners *ls,
    struct err *e);

#endif
