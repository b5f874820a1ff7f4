/*
 * handoff.h — the client's side of the mailout service (service/): an
 * invocation with no configuration of its own hands its message to the
 * service on its unix socket instead of sending it, and -q and mailq go
 * through the service too, so that every local user shares one
 * configuration they cannot read and one queue.
 *
 * The session is LMTP on the socket: no TLS, no AUTH, no early
 * pipelining, no queue of the client's (the service queues). The
 * service's LHLO reply says XMAILOUT DOMAIN=...: that domain qualifies
 * bare addresses and is the one of the From, Date and Message-ID the
 * client adds, the same for every caller. Its replies after the data
 * (the reply extension of service/submit.h) become the outcome a direct
 * send would have had, so the report, --report json and the exit status
 * are those of a direct send.
 */
#ifndef MAILOUT_HANDOFF_H
#define MAILOUT_HANDOFF_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/options.h"
#include "config/settings.h"
#include "smtp/outcome.h"
#include "smtp/session.h"

struct handoff {
	struct session ss;
	struct settings st;		/* the message's settings */
	char path[PATH_MAX];		/* the service's socket */
	char domain[256];		/* the service's, from XMAILOUT */
	char mail_extra[600];		/* XPROFILE=... XQUEUEONLY XNOQUEUE */
};

/* Whether o's action would go through the service: it has no -C, no
 * $MAILOUT_CONFIG, no user configuration file and no option that says
 * where or how to connect, and the socket (sysdirs_service_socket) is
 * there and is a socket. */
bool handoff_wanted(const struct options *o);

/*
 * Run o's action (a send, -q, -bp) through the service; *status is its
 * exit status. Returns false when the service turned out not to be
 * there (a stale socket: nobody listens): the caller goes on without it,
 * as if there were none.
 */
bool handoff_run(const struct options *o, int *status);

/* After transaction_send to the service: each recipient's reply in the
 * reply extension made its state, stage, code and reply as a direct
 * send would have them; what the service said of the queue, the
 * outcome's queue id and session error. */
void handoff_decode(struct outcome *o);

#endif
