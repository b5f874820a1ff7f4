/* report.c — per-recipient lines and the exit status. */
#include <stdio.h>

#include "report.h"

static const char *const stage_names[] = {
	[STAGE_CONNECT] = "connect",
	[STAGE_TLS] = "TLS",
	[STAGE_GREETING] = "greeting",
	[STAGE_HELLO] = "hello",
	[STAGE_AUTH] = "AUTH",
	[STAGE_MAIL] = "MAIL",
	[STAGE_RCPT] = "RCPT",
	[STAGE_DATA] = "DATA",
	[STAGE_QUIT] = "QUIT",
};

const char *
stage_name(enum stage s)
{
	return stage_names[s];
}

void
report_text(const struct outcome *o)
{
	size_t i, accepted;

	for (i = 0; i < o->n; i++) {
		const struct rcpt_result *rr = &o->rcpts[i];

		if (rr->state != RCPT_REFUSED && rr->state != RCPT_DEFERRED)
			continue;
		fprintf(stderr, "mailout: <%s>: %s at %s: %s\n", rr->addr,
		    rr->state == RCPT_REFUSED ? "refused" : "deferred",
		    stage_name(rr->stage), rr->reply);
	}
	if (o->session.code == 0)
		return;
	fprintf(stderr, "mailout: %s\n", o->session.msg);
	/* An earlier transaction may have delivered: a retry must know. */
	for (i = 0, accepted = 0; i < o->n; i++)
		accepted += o->rcpts[i].state == RCPT_ACCEPTED;
	if (accepted > 0)
		fprintf(stderr, "mailout: the message was accepted for %zu of "
		    "%zu recipients before that\n", accepted, o->n);
}

int
report_exit_code(const struct outcome *o)
{
	size_t i, refused = 0, deferred = 0;

	if (o->session.code != 0)
		return o->session.code;
	for (i = 0; i < o->n; i++) {
		refused += o->rcpts[i].state == RCPT_REFUSED;
		deferred += o->rcpts[i].state == RCPT_DEFERRED;
	}
	if (refused > 0)
		return EX_NOUSER;
	return deferred > 0 ? EX_TEMPFAIL : EX_OK;
}
