/*
 * health.h — `mailout --health`: the queue as a monitoring system sees
 * it. With Nagios/Icinga plugin conventions, one line of text with
 * performance data and the exit status 0 OK, 1 WARNING, 2 CRITICAL, 3
 * UNKNOWN; or the same figures as Prometheus text, for node-exporter's
 * textfile collector.
 *
 * CRITICAL: an entry needs a person (its last error was permanent, AUTH
 * or TLS, or it cannot be read), or the oldest entry waits longer than
 * health_crit_age; WARNING: longer than health_warn_age. Held entries
 * are counted, but they wait for a person on purpose: no alarm.
 */
#ifndef MAILOUT_HEALTH_H
#define MAILOUT_HEALTH_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "config/settings.h"
#include "lib/err.h"
#include "queue/queue.h"

enum health_status {
	HEALTH_OK, HEALTH_WARNING, HEALTH_CRITICAL, HEALTH_UNKNOWN,
};

struct health {
	char dir[PATH_MAX];
	size_t queued;			/* entries, held ones too */
	size_t held;
	size_t failing;			/* need a person */
	char failing_id[QUEUE_ID_MAX];	/* the first of them, */
	char failing_why[256];		/* and its last error */
	long long oldest;		/* seconds; -1: nothing waits */
	time_t last_delivery;		/* 0: never */
};

/* The figures of st's queue, counting only the actor's entries (all for
 * root). A queue never created is empty. */
int health_measure(const struct settings *st, uid_t actor, struct health *h,
    struct err *e);

enum health_status health_verdict(const struct health *h,
    const struct settings *st);

/* Measure (the actor's entries; root's: all), judge and print; returns
 * the exit status: the verdict as a plugin, or 0 for Prometheus text once
 * written. */
int health_check(const struct settings *st, uid_t actor, bool prometheus,
    FILE *out);

/* The plugin's answer when the settings themselves cannot be read:
 * "MAILOUT UNKNOWN - why", status 3 (for Prometheus the usual error). */
int health_unknown(const struct err *e, bool prometheus, FILE *out);

#endif
