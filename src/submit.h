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
#include "settings.h"

/* outcome->rcpts must have one entry per envelope recipient. */
void submit(const struct settings *st, const struct envelope *env,
    struct message_source *src, struct outcome *out);

#endif
