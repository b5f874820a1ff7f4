/* relay.c — the stored message upstream, and each recipient's reply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "service/relay.h"

struct upstream *
upstream_new(struct service *sv)
{
	struct upstream *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->rq.cmd = &sv->rq;
	r->rq.mode = FLUSH_NOW;
	r->rq.actor = 0;		/* it acts for each caller */
	if ((r->flusher = flusher_new(&sv->q, &sv->st, &r->rq)) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void
upstream_free(struct upstream *r)
{
	if (r == NULL)
		return;
	flusher_free(r->flusher);
	free(r);
}

void
upstream_send(struct upstream *r, struct queue_entry *qe,
    struct outcome *o, bool caller_told)
{
	flusher_send(r->flusher, qe, o, caller_told);
	r->last_used = time(NULL);
}

int
upstream_linger(struct upstream *r)
{
	time_t left;

	if (r->last_used == 0)
		return -1;
	left = r->last_used + UPSTREAM_LINGER - time(NULL);
	if (left > 0)
		return (int)left;
	flusher_idle(r->flusher);
	r->last_used = 0;
	return -1;
}

/* ---- replies ---- */

static const struct rcpt_result *
find(const struct outcome *o, const char *addr)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcasecmp(o->rcpts[i].addr, addr) == 0)
			return &o->rcpts[i];
	return NULL;
}

/* Which of a recipient's targets speaks for it: a refusal first (it
 * must be reported), then one that stays queued, then one sent. */
static int
rank(const struct rcpt_result *rr)
{
	switch (rr->state) {
	case RCPT_REFUSED:
		return 3;
	case RCPT_ACCEPTED:
		return 1;
	default:
		return 2;
	}
}

/* The upstream reply's code and enhanced code are passed on as they
 * were: no enhanced code where it gave none, so that the client reports
 * exactly what a direct send would. */
static void
refused(const struct rcpt_result *rr, struct service_reply *r)
{
	int code = rr->code >= 500 && rr->code < 600 ? rr->code : 550;
	const char *enh = rr->enhanced[0] == '5' ? rr->enhanced : "";

	if (rr->by_session)	/* the message's error line, as is */
		service_reply_set(r, code, enh, "[failed %s] %s",
		    stage_key(rr->stage), rr->reply);
	else
		service_reply_set(r, code, enh, "[%s] %s",
		    stage_key(rr->stage), rcpt_reply_text(rr));
}

/* Still to do: [queued ID STAGE] and the reply or the session's error;
 * with noqueue a 4xx, as a direct send with --no-queue says. */
static void
waiting(const struct outcome *o, const struct rcpt_result *rr,
    const char *id, bool noqueue, struct service_reply *r)
{
	bool own = rr->code != 0;
	enum stage at = own ? rr->stage : o->session_stage;
	const char *why = own ? rr->reply : o->session.msg;

	if (noqueue)
		service_reply_set(r, own && rr->code / 100 == 4 ? rr->code : 451,
		    own && rr->enhanced[0] == '4' ? rr->enhanced : "",
		    "[%s] %s", stage_key(at), own ? rcpt_reply_text(rr) : why);
	else
		service_reply_set(r, 250, "2.0.0", "[queued %s %s] %s", id,
		    stage_key(at), why);
}

void
upstream_reply(const struct outcome *o, const struct addr_list *targets,
    const char *id, bool noqueue, struct service_reply *r)
{
	const struct rcpt_result *best = NULL, *rr;
	size_t i;

	for (i = 0; i < targets->n; i++)
		if ((rr = find(o, targets->v[i])) != NULL &&
		    (best == NULL || rank(rr) > rank(best)))
			best = rr;
	if (best == NULL)
		service_reply_set(r, 250, "2.0.0", "[queued %s connect] not "
		    "tried", id);
	else if (best->state == RCPT_ACCEPTED)
		service_reply_set(r, 250, best->enhanced[0] == '2' ?
		    best->enhanced : "", "[sent] %s", rcpt_reply_text(best));
	else if (best->state == RCPT_REFUSED)
		refused(best, r);
	else
		waiting(o, best, id, noqueue, r);
}
