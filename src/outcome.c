/* outcome.c — reading an outcome: stage names, retries, the status word. */
#include <stdio.h>

#include "result.h"

static const char *const stage_names[][2] = {
	[STAGE_CONNECT] = { "connect", "connect" },
	[STAGE_TLS] = { "TLS", "tls" },
	[STAGE_GREETING] = { "greeting", "greeting" },
	[STAGE_HELLO] = { "hello", "hello" },
	[STAGE_AUTH] = { "AUTH", "auth" },
	[STAGE_MAIL] = { "MAIL", "mail" },
	[STAGE_RCPT] = { "RCPT", "rcpt" },
	[STAGE_DATA] = { "DATA", "data" },
	[STAGE_QUIT] = { "QUIT", "quit" },
};

const char *
stage_name(enum stage s)
{
	return stage_names[s][0];
}

const char *
stage_key(enum stage s)
{
	return stage_names[s][1];
}

bool
outcome_retryable(const struct outcome *o, size_t i)
{
	enum rcpt_state s = o->rcpts[i].state;

	return s == RCPT_DEFERRED ||
	    (s == RCPT_PENDING && o->session.code == EX_TEMPFAIL);
}

bool
outcome_all_queued(const struct outcome *o)
{
	size_t i;

	if (o->session.code != EX_TEMPFAIL)
		return false;
	for (i = 0; i < o->n; i++)
		if (o->rcpts[i].state == RCPT_PENDING)
			return false;
	return true;
}

size_t
outcome_count(const struct outcome *o, enum rcpt_state s)
{
	size_t i, n = 0;

	for (i = 0; i < o->n; i++)
		n += o->rcpts[i].state == s;
	return n;
}

const char *
outcome_status(const struct outcome *o)
{
	size_t accepted = outcome_count(o, RCPT_ACCEPTED);
	size_t refused = outcome_count(o, RCPT_REFUSED);
	size_t queued = outcome_count(o, RCPT_QUEUED);

	if (accepted == o->n)
		return "sent";
	if (refused > 0 && refused < o->n &&
	    refused + accepted + queued == o->n)
		return "partial";
	if (queued > 0 && queued + accepted == o->n)
		return "queued";
	return accepted + queued > 0 ? "partial" : "failed";
}

void
message_info_init(struct message_info *mi, const struct settings *st,
    const char *sender, const char *message_id, long long size)
{
	if (st->socket != NULL)
		snprintf(mi->host, sizeof(mi->host), "%s", st->socket);
	else
		snprintf(mi->host, sizeof(mi->host), "%s:%s", st->host,
		    st->port);
	mi->profile = st->profile;
	mi->sender = sender;
	mi->message_id = message_id;
	mi->size = size;
}
