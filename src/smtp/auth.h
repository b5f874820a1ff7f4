/*
 * auth.h — SMTP AUTH (RFC 4954) over an SMTP dialogue: the AUTH command
 * with the mechanism chosen from what the server offers (sasl.h), each
 * challenge answered, the final reply judged. Secrets never reach the
 * transcript, and the buffers that held them are wiped after each step.
 *
 * Error codes: EX_NOPERM (refused, nothing usable offered, bad
 * challenge, SCRAM server not proven), EX_TEMPFAIL (4xx such as 454),
 * and those of smtp.h.
 */
#ifndef MAILOUT_AUTH_H
#define MAILOUT_AUTH_H

#include "lib/err.h"
#include "smtp/sasl.h"
#include "smtp/smtp.h"

/*
 * Queue the AUTH command (with its initial response) for the named
 * mechanism, or the strongest offered when wanted is NULL. On success
 * sasl is in use until auth_reply, which always ends it (a caller that
 * gives up in between calls sasl_end).
 */
int auth_queue(struct smtp *s, const char *wanted, const struct sasl_creds *c,
    struct sasl *sasl, struct err *e);

/* Read AUTH's reply, answer each challenge, judge the final reply. */
int auth_reply(struct smtp *s, struct sasl *sasl, struct err *e);

#endif
