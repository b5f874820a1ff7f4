/*
 * serve.h — `mailout serve`: the local mail service. It runs as an
 * unprivileged user (mailout), reads the system configuration and owns
 * the system queue; it takes messages on its unix socket (LMTP) and on
 * TCP listeners (SMTP), stores each durably, relays it at once and
 * answers each recipient with the relay's reply. Runs in the foreground
 * until SIGTERM, logging to stderr.
 *
 * Returns the exit status; prints its own errors.
 */
#ifndef MAILOUT_SERVE_H
#define MAILOUT_SERVE_H

#include "cli/options.h"

int serve_main(const struct options *o);

#endif
