/* submit.c — one message through one session. */
#include <string.h>

#include "log.h"
#include "session.h"
#include "submit.h"

#define INPUT_CHUNK 16384

static void
record(struct rcpt_result *rr, enum stage stage, const struct reply *r)
{
	rr->stage = stage;
	rr->code = r->code;
	reply_oneline(r, rr->reply, sizeof(rr->reply));
	switch (r->code / 100) {
	case 2:
		rr->state = RCPT_ACCEPTED;
		break;
	case 4:
		rr->state = RCPT_DEFERRED;
		break;
	default:
		rr->state = RCPT_REFUSED;
		break;
	}
}

static int
send_recipients(struct smtp *s, struct outcome *out, size_t *accepted,
    struct err *e)
{
	struct reply r;
	size_t i;

	*accepted = 0;
	for (i = 0; i < out->n; i++) {
		struct rcpt_result *rr = &out->rcpts[i];

		if (smtp_command(s, &r, e, "RCPT TO:<%s>", rr->addr) < 0)
			return -1;
		if (r.code / 100 == 1 || r.code / 100 == 3)
			return smtp_expect(&r, 2, "RCPT TO", e);
		if (r.code / 100 == 2) {
			rr->rcpt_ok = true;
			(*accepted)++;
			continue;	/* accepted for now; DATA decides */
		}
		record(rr, STAGE_RCPT, &r);
	}
	return 0;
}

/* Stream the message through the filter, then the "." terminator. */
static int
send_message(struct smtp *s, const struct settings *st,
    struct message_source *src, struct err *e)
{
	static char in[INPUT_CHUNK], out[BODY_FILTER_OUT_MAX(INPUT_CHUNK)];
	unsigned long long octets = 0;
	struct body_filter f;
	ssize_t n, m;

	body_filter_init(&f, st->dot_ends, true);
	s->idle = false;	/* a QUIT now would be message text */
	while (!f.ended && (n = message_read(src, in, sizeof(in), e)) != 0) {
		if (n < 0 || (m = body_filter_run(&f, in, (size_t)n, out, e)) < 0)
			return -1;
		if (net_put(s->conn, out, (size_t)m, e) < 0)
			return -1;
		octets += (unsigned long long)m;
	}
	m = (ssize_t)body_filter_finish(&f, out);
	memcpy(out + m, ".\r\n", 3);
	if (net_put(s->conn, out, (size_t)m + 3, e) < 0 ||
	    net_flush(s->conn, e) < 0)
		return -1;
	log_note("%llu octets of message data sent", octets + (unsigned long long)m);
	log_line('C', ".", 1);
	return 0;
}

/* LMTP (RFC 2033 4.2): one reply per accepted recipient, in order. */
static int
read_lmtp_replies(struct smtp *s, struct outcome *out, struct err *e)
{
	struct reply r;
	size_t i;

	for (i = 0; i < out->n; i++) {
		if (!out->rcpts[i].rcpt_ok)
			continue;
		if (smtp_read_reply(s, &r, e) < 0)
			return -1;
		if (r.code / 100 == 1 || r.code / 100 == 3)
			return smtp_expect(&r, 2, "end of data", e);
		record(&out->rcpts[i], STAGE_DATA, &r);
	}
	return 0;
}

/* MAIL FROM parameters from the envelope and what the server offers. */
static int
mail_parameters(const struct smtp *s, const struct envelope *env,
    char *buf, size_t n, struct err *e)
{
	buf[0] = '\0';
	if (env->needs_smtputf8 && !(s->caps.flags & CAP_SMTPUTF8))
		return err_set(e, EX_DATAERR, "an address is not ASCII and the "
		    "server does not offer SMTPUTF8 (RFC 6531)");
	if (env->body != BODY_UNDECLARED && (s->caps.flags & CAP_8BITMIME))
		snprintf(buf, n, " BODY=%s", env->body == BODY_7BIT ? "7BIT" :
		    "8BITMIME");
	if (env->needs_smtputf8)
		strncat(buf, " SMTPUTF8", n - strlen(buf) - 1);
	return 0;
}

static int
transaction(struct smtp *s, const struct settings *st,
    const struct envelope *env, struct message_source *src,
    struct outcome *out, struct err *e)
{
	char params[64];
	struct reply r;
	size_t accepted, i;

	out->session_stage = STAGE_MAIL;
	if (mail_parameters(s, env, params, sizeof(params), e) < 0 ||
	    smtp_command(s, &r, e, "MAIL FROM:<%s>%s", env->sender, params) < 0 ||
	    smtp_expect(&r, 2, "MAIL FROM", e) < 0)
		return -1;
	out->session_stage = STAGE_RCPT;
	if (send_recipients(s, out, &accepted, e) < 0)
		return -1;
	if (accepted == 0)
		return 0;	/* every recipient refused: nothing to send */
	out->session_stage = STAGE_DATA;
	if (smtp_command(s, &r, e, "DATA") < 0 ||
	    smtp_expect(&r, 3, "DATA", e) < 0 ||
	    send_message(s, st, src, e) < 0)
		return -1;
	if (s->lmtp)
		return read_lmtp_replies(s, out, e);
	if (smtp_read_reply(s, &r, e) < 0 ||
	    smtp_expect(&r, 2, "end of data", e) < 0)
		return -1;
	for (i = 0; i < out->n; i++)
		if (out->rcpts[i].rcpt_ok)
			record(&out->rcpts[i], STAGE_DATA, &r);
	return 0;
}

void
submit(const struct settings *st, const struct envelope *env,
    struct message_source *src, struct outcome *out)
{
	struct session ss;

	if (session_open(&ss, st, true, &out->session_stage,
	    &out->session) == 0)
		transaction(&ss.smtp, st, env, src, out, &out->session);
	session_close(&ss);
}
