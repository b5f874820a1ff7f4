/*
 * control.h — the mailout service's own commands, for its local clients
 * that were offered XMAILOUT (service/submit.h), between transactions,
 * each on the caller's entries (root's: all; another user's entry looks
 * like an unknown one):
 *
 *   XFLUSH           mailout -q: the entries now, whatever their backoff;
 *                    what the flush gave up on as 250- lines ("ID: <rcpt>:
 *                    refused: 550 ..."), then "250 2.0.0 Flushed: N sent,
 *                    N deferred, N given up, N held, N busy"
 *   XQUEUE [JSON]    mailq (-bp --report json): 250, then the listing as
 *                    a dot-terminated text
 *   XOP OP ID...     --remove, --bounce, --hold, --release, --send: one
 *                    "250-CODE ID: what became of it" line each (CODE the
 *                    exit status of that ID, 0 when done), then 250
 *   XHEALTH [PROMETHEUS]  --health: "250 2.0.0 STATUS: ...", STATUS the
 *                    plugin's exit status, then its text up to "."
 */
#ifndef MAILOUT_CONTROL_H
#define MAILOUT_CONTROL_H

#include "service/server.h"

void control_run(struct server *s, const struct command *c);

#endif
