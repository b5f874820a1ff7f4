/*
 * transaction.h — one message through an open session: as many mail
 * transactions (MAIL, RCPT for each recipient, DATA or BDAT and the
 * message) as the recipients need. Every recipient ends with a state in
 * the outcome; what stopped the session early is in outcome->session.
 */
#ifndef MAILOUT_TRANSACTION_H
#define MAILOUT_TRANSACTION_H

#include "config/settings.h"
#include "message/envelope.h"
#include "message/source.h"
#include "smtp/outcome.h"
#include "smtp/session.h"

/*
 * Send the message in src to the recipients of env (outcome->rcpts has
 * one entry for each). The session is left open, usable for the next
 * message when out->session.code is 0 (the queue's flush sends several
 * through one); it may be a new one, when the server's LIMITS MAILMAX
 * needed that.
 */
void transaction_send(struct session *ss, const struct settings *st,
    const struct envelope *env, struct message_source *src,
    struct outcome *out);

/* -bv: MAIL and RCPT for every recipient (in batches), then RSET, so
 * each ends accepted, refused or deferred and nothing is sent; with vrfy,
 * VRFY for each instead. */
void transaction_verify(struct session *ss, const struct settings *st,
    const struct envelope *env, bool vrfy, struct outcome *out);

#endif
