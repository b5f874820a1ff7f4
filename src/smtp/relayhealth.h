/*
 * relayhealth.h — which relays of a list failed to connect lately,
 * remembered between runs (each cron run is a new process) in a small
 * file beside the queue, so that a relay that is down is tried after the
 * others instead of costing every run its timeout first.
 *
 * The file is DIR/.relay-health in the queue directory (lib/dirs.h):
 * "mailout-relay-health 1", then one line per failure, "TIME LABEL"
 * (seconds since the epoch, "name:port"). A failure is forgotten after
 * RELAY_HEALTH_MEMORY seconds, or when the relay answers again. The file
 * is a hint: one that cannot be read or written changes nothing but the
 * order, and one that is not a regular file of ours, or that others may
 * write, is ignored.
 */
#ifndef MAILOUT_RELAYHEALTH_H
#define MAILOUT_RELAYHEALTH_H

#include <stdbool.h>
#include <stddef.h>

#include "config/relays.h"
#include "config/settings.h"

#define RELAY_HEALTH_MEMORY (10 * 60)

/* Put the relays that failed within the memory after the others, the
 * one that failed longest ago first; the others keep their order. */
void relayhealth_order(const struct settings *st, struct relay *r, size_t n);

/* Remember that r could not be reached (failed), or forget that it could
 * not (it answered). */
void relayhealth_note(const struct settings *st, const struct relay *r,
    bool failed);

#endif
