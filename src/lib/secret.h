/*
 * secret.h — getting a password or token without it touching argv:
 * password_command runs through /bin/sh -c with stdin from /dev/null (the
 * message must not be eaten) and its first output line is the secret.
 * Its stderr goes straight to ours, so the user sees why it failed.
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

#endif
