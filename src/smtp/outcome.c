/* outcome.c — an outcome set up, then read: stage names, retries, status,
 * exit code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/trace.h"
#include "lib/util.h"
#include "smtp/outcome.h"

int
outcome_init(struct outcome *o, const struct addr_list *rcpts,
    struct err *e)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	o->n = rcpts->n;
	if ((o->rcpts = calloc(o->n + 1, sizeof(*o->rcpts))) == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < o->n; i++)
		o->rcpts[i].addr = rcpts->v[i];
	return 0;
}

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

int
stage_of_key(const char *key, size_t len, enum stage *s)
{
	size_t i;

	for (i = 0; i < nitems(stage_names); i++) {
		if (strlen(stage_names[i][1]) == len &&
		    strncmp(stage_names[i][1], key, len) == 0) {
			*s = (enum stage)i;
			return 0;
		}
	}
	return -1;
}

const char *
rcpt_reply_text(const struct rcpt_result *rr)
{
	const char *t = rr->reply;
	size_t n = strlen(rr->enhanced);

	t += strspn(t, "0123456789");
	t += *t == ' ';
	if (n > 0 && strncmp(t, rr->enhanced, n) == 0 &&
	    (t[n] == ' ' || t[n] == '\0'))
		t += n + (t[n] == ' ');
	return t;
}

void
stage_set(enum stage *at, enum stage s)
{
	if (trace_level() >= 2 && *at != s)
		trace_note("stage: %s", stage_name(s));
	*at = s;
}

void
outcome_set_relay(struct outcome *o, const char *label)
{
	snprintf(o->relay, sizeof(o->relay), "%s", label);
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

int
outcome_exit_code(const struct outcome *o)
{
	bool queued = outcome_count(o, RCPT_QUEUED) > 0;

	if (o->session.code != 0 && !(queued && outcome_all_queued(o)))
		return o->session.code;
	if (outcome_count(o, RCPT_REFUSED) > 0)
		return EX_NOUSER;
	return outcome_count(o, RCPT_DEFERRED) > 0 ? EX_TEMPFAIL : EX_OK;
}

static const char *const failure_keys[] = {
	[FAILURE_NONE] = "",
	[FAILURE_TEMPORARY] = "temporary",
	[FAILURE_PERMANENT] = "permanent",
	[FAILURE_AUTH] = "auth",
	[FAILURE_TLS] = "tls",
};

enum failure_kind
outcome_failure(const struct outcome *o)
{
	if (o->session.code == EX_TEMPFAIL)
		return FAILURE_TEMPORARY;
	if (o->session.code != 0 && o->session_stage == STAGE_AUTH)
		return FAILURE_AUTH;
	if (o->session.code != 0 && o->session_stage == STAGE_TLS)
		return FAILURE_TLS;
	if (o->session.code != 0)
		return FAILURE_PERMANENT;
	return outcome_count(o, RCPT_DEFERRED) > 0 ? FAILURE_TEMPORARY :
	    FAILURE_NONE;
}

const char *
failure_key(enum failure_kind k)
{
	return failure_keys[k];
}

enum failure_kind
failure_of_key(const char *key)
{
	size_t i;

	for (i = FAILURE_TEMPORARY; i <= FAILURE_TLS; i++)
		if (strcmp(failure_keys[i], key) == 0)
			return (enum failure_kind)i;
	return FAILURE_NONE;
}
