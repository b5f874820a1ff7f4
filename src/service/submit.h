/*
 * submit.h — what the mailout service does with a session's commands
 * (the struct server_ops of service/server.h): checks the envelope
 * against the policy, expands the service's aliases, stores the message
 * durably in the system queue with its owner (from SO_PEERCRED), relays
 * it at once (service/relay.h) and answers each recipient with what the
 * relay said; XFLUSH and XQUEUE are service/control.h's.
 *
 * The reply extension, offered as XMAILOUT in the LHLO reply, so that
 * a client reports what a direct send would (cli/handoff.h), after
 * the final ".", one reply per recipient:
 *   250 X.Y.Z [sent] TEXT          accepted upstream (its enhanced code,
 *                                  none when it gave none)
 *   CODE X.Y.Z [rcpt] TEXT         refused upstream at RCPT (or [data])
 *   CODE X.Y.Z [failed STAGE] MSG  the whole transaction was refused at
 *                                  STAGE (mail, data; rcpt: refused =
 *                                  abort); MSG is the error line
 *   250 2.0.0 [queued ID STAGE] WHY  kept in the queue as ID: WHY is the
 *                                  upstream reply (CODE X.Y.Z text) or
 *                                  why the session ended
 * and these MAIL parameters: XPROFILE=NAME (xtext: the client's -a),
 * XQUEUEONLY (-odq: store, do not try now), XNOQUEUE (--no-queue: what
 * cannot be sent now gets its 4xx, "[STAGE] text", and is not kept).
 */
#ifndef MAILOUT_SUBMIT_H
#define MAILOUT_SUBMIT_H

#include <stdbool.h>

#include "message/envelope.h"
#include "queue/queue.h"
#include "service/server.h"
#include "service/service.h"

/* One RCPT of the client, and the addresses it became (aliases). */
struct rcpt_in {
	char *addr;
	struct addr_list targets;
};

/* A session's state beyond the protocol's: who, and the message. */
struct submission {
	struct service *sv;
	struct queue_caller caller;	/* who is on the other end */
	char peer[64];			/* TCP: the client's address */
	struct envelope env;		/* the recipients after aliases */
	struct rcpt_in *rcpts;		/* as the client gave them */
	size_t nrcpts;
	char *profile;			/* XPROFILE, or the one chosen */
	char envid[101];		/* ENVID=, decoded */
	char dsn_notify[40];		/* NOTIFY= of the first RCPT */
	const char *dsn_return;		/* RET= */
	bool queue_only;		/* XQUEUEONLY: -odq, not tried now */
	bool noqueue;			/* XNOQUEUE: --no-queue, 4xx not kept */
	struct queue_writer w;
	struct err failed;		/* why the message cannot be kept */
	int header_at;			/* header_scan's */
	long long header_octets;
	char message_id[256];
};

extern const struct server_ops submit_ops;

/* s->ctx is sub; caller and peer are filled by the accepting code. */
void submission_init(struct submission *sub, struct service *sv);
void submission_free(struct submission *sub);

#endif
