/*
 * serverinfo.h — --serverinfo: connect as a submission would, print the
 * greeting, the capabilities before and after TLS, the TLS session and
 * the server certificate, the limits (RFC 9422) mailout keeps to; send
 * no mail.
 *
 * Error codes: those of session_open; EX_UNAVAILABLE when the certificate
 * fails verification (after everything is printed).
 */
#ifndef MAILOUT_SERVERINFO_H
#define MAILOUT_SERVERINFO_H

#include "config/settings.h"
#include "lib/err.h"

int serverinfo(const struct settings *st, struct err *e);

#endif
