/*
 * version.h — --version: what this build is (its version, GnuTLS's, the
 * SASL mechanisms) and where it looks (the configuration files, the
 * queue, the service socket), as msmtp --version shows its settings.
 */
#ifndef MAILOUT_VERSION_H
#define MAILOUT_VERSION_H

#include <stdio.h>

#include "config/resolve.h"
#include "config/settings.h"

/* Print everything on out; the queue directory is the one the settings
 * of rq give. Returns the exit status: EX_OK, even when the
 * configuration has an error (it is shown). */
int version_print(const struct resolve_request *rq, FILE *out);

/* "queue directory: ..." and "service socket: ...", for --version and
 * --dry-run. */
void version_paths(const struct settings *st, FILE *out);

#endif
