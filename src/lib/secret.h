/*
 * secret.h — the commands of the configuration, run through /bin/sh -c
 * with their stderr straight to ours, so the user sees why one failed.
 * password_command gets a password or token without it touching argv:
 * its stdin is /dev/null (the message must not be eaten) and its first
 * output line is the secret. alert_command is fed its event on stdin.
 *
 * Error code: EX_NOPERM (the command failed or printed nothing), EX_OSERR.
 */
#ifndef MAILOUT_SECRET_H
#define MAILOUT_SECRET_H

#include <stddef.h>

#include "lib/err.h"

#define SECRET_MAX 8192

int secret_from_command(const char *command, char *buf, size_t cap,
    struct err *e);

/* The same for another key (oauth_client_secret_command), named in the
 * errors. */
int secret_from_key_command(const char *key, const char *command, char *buf,
    size_t cap, struct err *e);

/*
 * Run command the same way, with input on its stdin and its stdout
 * copied to our stderr, for at most timeout seconds (then it and what it
 * started are killed). what names it in errors ("alert_command").
 *
 * Error code: EX_UNAVAILABLE (it failed), EX_TEMPFAIL (it timed out),
 * EX_OSERR.
 */
int command_feed(const char *what, const char *command, const char *input,
    size_t len, int timeout, struct err *e);

#endif
