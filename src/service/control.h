/*
 * control.h — the mailout service's own commands, for its local clients
 * that were offered XMAILOUT (service/submit.h), between transactions:
 * XFLUSH, mailout -q through the service (the caller's entries now,
 * whatever their backoff; root's: all), and XQUEUE, mailq through it (the
 * caller's entries; root's: all, with their owners). Room for more (issue
 * 19: remove, hold, release, bounce, send by id).
 */
#ifndef MAILOUT_CONTROL_H
#define MAILOUT_CONTROL_H

#include "service/server.h"

/* What the flush gave up on goes to the client as 250- lines as it goes
 * ("ID: <rcpt>: refused: 550 ..."), then a summary: "250 2.0.0 Flushed:
 * N sent, N deferred, N given up, N held, N busy". Root's: every entry
 * (the actor's uid is the caller's, root's sees all). */
void control_xflush(struct server *s, const struct command *c);

/* 250, then the listing (mailq_list's; XQUEUE JSON: its JSON) as a
 * dot-terminated text. */
void control_xqueue(struct server *s, const struct command *c);

#endif
