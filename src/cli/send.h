/*
 * send.h — the message on standard input (or --file) from the command
 * line to the server: prepare the header and envelope, send it in one
 * session (smtp/session.h, smtp/transaction.h), queue what
 * met a temporary failure (or everything with -odq), report, log.
 * Returns the exit status; prints every problem itself.
 */
#ifndef MAILOUT_SEND_H
#define MAILOUT_SEND_H

#include "cli/options.h"
#include "config/files.h"
#include "config/settings.h"
#include "smtp/session.h"

/* service: the session with the mailout service (cli/handoff.h) that
 * takes the message, already open; NULL to send it oneself (ch says why
 * these settings, for --dry-run). */
int send_message(const struct options *o, const struct settings *st,
    const struct conf_choice *ch, struct session *service);

/* -bv: the recipients of the command line checked with the server. */
int verify_recipients(const struct options *o, const struct settings *st);

#endif
