/*
 * submit.h — one submission: connect, greet, hello, the mail transaction
 * (MAIL, RCPT for each recipient, DATA and the message), QUIT. Every
 * recipient ends with a state in the outcome; what stopped the session
 * early is in outcome->session.
 */
#ifndef MAILOUT_SUBMIT_H
#define MAILOUT_SUBMIT_H

#include "envelope.h"
#include "message.h"
#include "result.h"
#include "session.h"
#include "settings.h"

/* outcome->rcpts must have one entry per envelope recipient. */
void submit(const struct settings *st, const struct envelope *env,
    struct message_source *src, struct outcome *out);

/* The same on a session already open (the queue's flush sends several
 * messages through one); the session is left open, usable when
 * out->session.code is 0. */
void submit_on(struct session *ss, const struct settings *st,
    const struct envelope *env, struct message_source *src,
    struct outcome *out);

/* -bv: MAIL and RCPT for every recipient (in batches), then RSET, so
 * each ends accepted, refused or deferred and nothing is sent; with vrfy,
 * VRFY for each instead. */
void verify_on(struct session *ss, const struct settings *st,
    const struct envelope *env, bool vrfy, struct outcome *out);

#endif
