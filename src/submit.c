/*
 * submit.c — one message through one session: as many transactions as
 * the recipients need (at most 100 each, and more after a 452), each with
 * its commands pipelined when the server offers PIPELINING, the message
 * sent with BDAT when it offers CHUNKING, else with DATA.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "idn.h"
#include "log.h"
#include "session.h"
#include "submit.h"
#include "transfer.h"

/* RFC 5321 4.5.3.1.8: a server must take at least 100 recipients. */
#define BATCH_MAX 100

struct txn {
	struct smtp *s;
	const struct settings *st;
	const struct envelope *env;
	struct message_source *src;
	struct outcome *out;
	size_t batch[BATCH_MAX];	/* indices into out->rcpts */
	size_t n;
	size_t accepted;
	bool pipelining, chunking;
	bool open;		/* MAIL accepted, transaction not ended */
};

/* The reply that last spoke about rr, kept for the report. */
static void
keep_reply(struct rcpt_result *rr, enum stage stage, const struct reply *r)
{
	rr->stage = stage;
	rr->code = r->code;
	reply_oneline(r, rr->reply, sizeof(rr->reply));
	memcpy(rr->enhanced, r->enhanced, sizeof(rr->enhanced));
}

static void
record(struct rcpt_result *rr, enum stage stage, const struct reply *r)
{
	keep_reply(rr, stage, r);
	if (r->code == 452 && stage == STAGE_RCPT) {
		rr->retry = true;	/* too many recipients: next time */
		return;
	}
	rr->state = r->code / 100 == 2 ? RCPT_ACCEPTED :
	    r->code / 100 == 4 ? RCPT_DEFERRED : RCPT_REFUSED;
}

/* RFC 3461 4: xtext, "+HH" for "+", "=" and anything not printable. */
static void
xtext(const char *in, char *out, size_t n)
{
	size_t o = 0;

	for (; *in != '\0' && o + 4 < n; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 33 || c > 126 || c == '+' || c == '=')
			o += (size_t)snprintf(out + o, n - o, "+%02X", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

/* Append " NAME=value" (name given with its "=") to a parameter list. */
static void
append(char *buf, size_t n, const char *name, const char *value)
{
	size_t used = strlen(buf);

	snprintf(buf + used, n - used, " %s%s", name, value);
}

/* MAIL FROM parameters: what the envelope needs and the server offers. */
static int
mail_parameters(const struct txn *t, char *buf, size_t n, struct err *e)
{
	const struct caps *caps = &t->s->caps;
	long long size = t->src ? message_size(t->src) : -1;
	char envid[300], num[32];

	buf[0] = '\0';
	if (size >= 0 && caps->size_max > 0 &&
	    (unsigned long long)size > caps->size_max)
		return err_set(e, EX_UNAVAILABLE, "the message (%lld octets) is "
		    "larger than the server's limit of %llu octets", size,
		    caps->size_max);
	if (size >= 0 && (caps->flags & CAP_SIZE)) {
		snprintf(num, sizeof(num), "%lld", size);
		append(buf, n, "SIZE=", num);
	}
	if (t->env->body != BODY_UNDECLARED && (caps->flags & CAP_8BITMIME))
		append(buf, n, "BODY=", t->env->body == BODY_7BIT ? "7BIT" :
		    "8BITMIME");
	if (t->env->needs_smtputf8 && (caps->flags & CAP_SMTPUTF8))
		append(buf, n, "SMTPUTF8", "");
	if (!(caps->flags & CAP_DSN))
		return 0;
	if (t->st->dsn_return != NULL)
		append(buf, n, "RET=", strcmp(t->st->dsn_return, "hdrs") == 0 ?
		    "HDRS" : "FULL");
	if (t->st->dsn_envid != NULL) {
		xtext(t->st->dsn_envid, envid, sizeof(envid));
		append(buf, n, "ENVID=", envid);
	}
	return 0;
}

/* RCPT parameters: DSN NOTIFY and the original recipient (RFC 3461). */
static void
rcpt_parameters(const struct txn *t, const char *addr, char *buf, size_t n)
{
	char orcpt[3 * ADDR_MAX + 1];

	buf[0] = '\0';
	if (!(t->s->caps.flags & CAP_DSN))
		return;
	if (t->st->dsn_notify != NULL) {
		char notify[64];
		size_t i;

		/* upper case, as sendmail and Postfix send it */
		for (i = 0; t->st->dsn_notify[i] != '\0' &&
		    i + 1 < sizeof(notify); i++)
			notify[i] = (char)toupper(
			    (unsigned char)t->st->dsn_notify[i]);
		notify[i] = '\0';
		append(buf, n, "NOTIFY=", notify);
	}
	if (addr_is_ascii(addr)) {
		xtext(addr, orcpt, sizeof(orcpt));
		append(buf, n, "ORCPT=rfc822;", orcpt);
	}
}

static int
reply_mail(struct txn *t, struct err *e)
{
	struct reply r;

	if (smtp_read_reply(t->s, &r, e) < 0 ||
	    smtp_expect(&r, 2, "MAIL FROM", e) < 0) {
		if (r.code == 552 && t->s->caps.size_max > 0)
			err_prefix(e, "the server's size limit is %llu octets",
			    t->s->caps.size_max);
		return -1;
	}
	t->open = true;
	return 0;
}

static int
reply_rcpt(struct txn *t, size_t i, struct err *e)
{
	struct rcpt_result *rr = &t->out->rcpts[t->batch[i]];
	struct reply r;

	if (smtp_read_reply(t->s, &r, e) < 0)
		return -1;
	if (r.code / 100 == 1 || r.code / 100 == 3)
		return smtp_expect(&r, 2, "RCPT TO", e);
	if (r.code / 100 == 2) {
		rr->rcpt_ok = true;	/* accepted for now; the data decides */
		t->accepted++;
		keep_reply(rr, STAGE_RCPT, &r);
		return 0;
	}
	record(rr, STAGE_RCPT, &r);
	return 0;
}

/* addr as this server takes it (idn.h): as written when it offers
 * SMTPUTF8 or addr is ASCII, else with its domain in A-labels. */
static const char *
on_wire(const struct txn *t, const char *addr, char *buf, size_t n,
    struct err *e)
{
	if ((t->s->caps.flags & CAP_SMTPUTF8) || addr_is_ascii(addr))
		return addr;
	return idn_downgrade(addr, buf, n, e) == 0 ? buf : NULL;
}

/* Every address of the transaction has a form the server takes, before
 * MAIL: none is found wanting half way through the envelope. */
static int
check_wire_forms(const struct txn *t, struct err *e)
{
	char buf[ADDR_MAX + 1];
	size_t i;

	if (on_wire(t, t->env->sender, buf, sizeof(buf), e) == NULL)
		return -1;
	for (i = 0; i < t->n; i++)
		if (on_wire(t, t->out->rcpts[t->batch[i]].addr, buf,
		    sizeof(buf), e) == NULL)
			return -1;
	return 0;
}

/* MAIL and every RCPT; without PIPELINING each waits for its reply, with
 * it the replies are read by read_envelope_replies after the caller has
 * queued DATA or the first BDAT behind them. */
static int
send_envelope(struct txn *t, struct err *e)
{
	char params[1024], wire[ADDR_MAX + 1];
	const char *sender;
	size_t i;

	t->out->session_stage = STAGE_MAIL;
	if (check_wire_forms(t, e) < 0 ||
	    mail_parameters(t, params, sizeof(params), e) < 0 ||
	    (sender = on_wire(t, t->env->sender, wire, sizeof(wire), e)) ==
	    NULL ||
	    smtp_queue(t->s, e, "MAIL FROM:<%s>%s", sender, params) < 0)
		return -1;
	if (!t->pipelining && (smtp_flush(t->s, e) < 0 || reply_mail(t, e) < 0))
		return -1;
	t->out->session_stage = STAGE_RCPT;
	for (i = 0; i < t->n; i++) {
		const char *addr = t->out->rcpts[t->batch[i]].addr, *to;

		rcpt_parameters(t, addr, params, sizeof(params));
		if ((to = on_wire(t, addr, wire, sizeof(wire), e)) == NULL ||
		    smtp_queue(t->s, e, "RCPT TO:<%s>%s", to, params) < 0)
			return -1;
		if (!t->pipelining && (smtp_flush(t->s, e) < 0 ||
		    reply_rcpt(t, i, e) < 0))
			return -1;
	}
	return 0;
}

static int
read_envelope_replies(struct txn *t, struct err *e)
{
	size_t i;

	if (!t->pipelining)
		return 0;
	if (smtp_flush(t->s, e) < 0 || reply_mail(t, e) < 0)
		return -1;
	for (i = 0; i < t->n; i++)
		if (reply_rcpt(t, i, e) < 0)
			return -1;
	return 0;
}

/* refused = abort: one refusal and nobody gets the message. */
static int
abort_on_refusal(struct txn *t, struct err *e)
{
	struct reply r;
	size_t i;

	if (!t->st->refused_abort)
		return 0;
	for (i = 0; i < t->n; i++)
		if (t->out->rcpts[t->batch[i]].state == RCPT_REFUSED)
			break;
	if (i == t->n)
		return 0;
	if (smtp_command(t->s, &r, e, "RSET") == 0)
		t->open = false;
	return err_set(e, EX_NOUSER, "not sent to anyone: a recipient was "
	    "refused and refused = abort");
}

/* The reply (SMTP) or replies (LMTP, one per accepted recipient, RFC 2033
 * 4.2) to the end of the message. */
static int
read_final_replies(struct txn *t, struct err *e)
{
	struct reply r;
	size_t i;

	t->open = false;
	for (i = 0; i < t->n; i++) {
		struct rcpt_result *rr = &t->out->rcpts[t->batch[i]];

		if (!rr->rcpt_ok)
			continue;
		if (smtp_read_reply(t->s, &r, e) < 0)
			return -1;
		if (r.code / 100 == 1 || r.code / 100 == 3)
			return smtp_expect(&r, 2, "end of data", e);
		if (!t->s->lmtp) {
			/* 4xx: each recipient deferred, the session goes on */
			if (r.code / 100 != 4 &&
			    smtp_expect(&r, 2, "end of data", e) < 0)
				return -1;
			for (; i < t->n; i++)
				if (t->out->rcpts[t->batch[i]].rcpt_ok)
					record(&t->out->rcpts[t->batch[i]],
					    STAGE_DATA, &r);
			return 0;
		}
		record(rr, STAGE_DATA, &r);
	}
	return 0;
}

static int
via_data(struct txn *t, struct err *e)
{
	bool pipe_data = t->pipelining && !t->st->refused_abort;
	struct reply r;

	if (send_envelope(t, e) < 0 ||
	    (pipe_data && smtp_queue(t->s, e, "DATA") < 0) ||
	    read_envelope_replies(t, e) < 0 || abort_on_refusal(t, e) < 0)
		return -1;
	t->out->session_stage = STAGE_DATA;
	if (pipe_data) {
		if (smtp_read_reply(t->s, &r, e) < 0)
			return -1;
		if (t->accepted == 0) {
			/* RFC 2920 3.1: a 354 despite no recipient gets an
			 * empty message; the server then refuses it. */
			if (r.code == 354 && (transfer_empty(t->s, e) < 0 ||
			    smtp_read_reply(t->s, &r, e) < 0))
				return -1;
			return 0;
		}
	} else {
		if (t->accepted == 0)
			return 0;	/* every recipient refused */
		if (smtp_command(t->s, &r, e, "DATA") < 0)
			return -1;
	}
	if (smtp_expect(&r, 3, "DATA", e) < 0 ||
	    transfer_data(t->s, t->src, t->st->dot_ends, e) < 0)
		return -1;
	return read_final_replies(t, e);
}

static int
via_bdat(struct txn *t, struct chunk_reader *cr, struct err *e)
{
	/* The whole message in one chunk rides with the envelope. */
	bool pipe_chunk, first = true;
	struct reply r;

	if (chunk_fill(cr, e) < 0)
		return -1;
	pipe_chunk = t->pipelining && cr->eof && !t->st->refused_abort;
	if (send_envelope(t, e) < 0 ||
	    (pipe_chunk && transfer_bdat(t->s, cr, e) < 0) ||
	    read_envelope_replies(t, e) < 0 || abort_on_refusal(t, e) < 0)
		return -1;
	t->out->session_stage = STAGE_DATA;
	if (t->accepted == 0)
		return pipe_chunk ? smtp_read_reply(t->s, &r, e) : 0;
	for (;;) {
		if (!(first && pipe_chunk) && (transfer_bdat(t->s, cr, e) < 0 ||
		    smtp_flush(t->s, e) < 0))
			return -1;
		first = false;
		if (cr->eof)
			return read_final_replies(t, e);
		/* The chunk is in the kernel's hands: read the next one while
		 * the server takes it, then hear what it said. */
		if (chunk_fill(cr, e) < 0 || smtp_read_reply(t->s, &r, e) < 0 ||
		    smtp_expect(&r, 2, "BDAT", e) < 0)
			return -1;
	}
}

/* Up to BATCH_MAX recipients not yet tried, or sent back by a 452. */
static size_t
next_batch(struct txn *t)
{
	size_t i;

	t->n = 0;
	t->accepted = 0;
	for (i = 0; i < t->out->n && t->n < BATCH_MAX; i++) {
		struct rcpt_result *rr = &t->out->rcpts[i];

		if (rr->state != RCPT_PENDING || (rr->tried && !rr->retry))
			continue;
		rr->tried = true;
		rr->retry = false;
		rr->rcpt_ok = false;
		t->batch[t->n++] = i;
	}
	return t->n;
}

/* Recipients a 452 sent back that cannot get another try. */
static void
defer_retries(struct txn *t)
{
	size_t i;

	for (i = 0; i < t->out->n; i++)
		if (t->out->rcpts[i].retry) {
			t->out->rcpts[i].retry = false;
			t->out->rcpts[i].state = RCPT_DEFERRED;
		}
}

static int
transaction(struct txn *t, struct err *e)
{
	struct chunk_reader cr;
	int rc;

	if (!t->chunking)
		return via_data(t, e);
	if (chunk_reader_init(&cr, t->src, t->st->dot_ends, e) < 0)
		return -1;
	rc = via_bdat(t, &cr, e);
	chunk_reader_free(&cr);
	return rc;
}

static void
run_transactions(struct txn *t, struct err *e)
{
	bool first = true;
	struct reply r;

	for (;;) {
		if (!first && !t->src->seekable) {
			defer_retries(t);	/* a pipe cannot be sent again */
			return;
		}
		if (next_batch(t) == 0)
			return;
		if ((!first && message_rewind(t->src, e) < 0) ||
		    (t->open && smtp_command(t->s, &r, e, "RSET") < 0) ||
		    (t->open && smtp_expect(&r, 2, "RSET", e) < 0) ||
		    transaction(t, e) < 0)
			return;
		if (t->accepted == 0 && t->n > 0 &&
		    t->out->rcpts[t->batch[0]].retry) {
			defer_retries(t);	/* 452 for the first: no progress */
			return;
		}
		first = false;
	}
}

/* src is NULL for -bv: no message, no SIZE=. */
static void
txn_init(struct txn *t, struct session *ss, const struct settings *st,
    const struct envelope *env, struct message_source *src,
    struct outcome *out)
{
	memset(t, 0, sizeof(*t));
	t->s = &ss->smtp;
	t->st = st;
	t->env = env;
	t->src = src;
	t->out = out;
	t->pipelining = st->pipelining &&
	    (ss->smtp.caps.flags & CAP_PIPELINING);
	t->chunking = st->chunking && (ss->smtp.caps.flags & CAP_CHUNKING);
}

void
submit_on(struct session *ss, const struct settings *st,
    const struct envelope *env, struct message_source *src,
    struct outcome *out)
{
	struct txn t;

	message_mark(src);
	/* More than one transaction means sending the message again. */
	if (out->n > BATCH_MAX && !src->seekable &&
	    message_spool(src, &out->session) < 0)
		return;
	txn_init(&t, ss, st, env, src, out);
	run_transactions(&t, &out->session);
}

void
submit(const struct settings *st, const struct envelope *env,
    struct message_source *src, struct outcome *out)
{
	struct session ss;

	if (session_open(&ss, st, true, &out->session_stage,
	    &out->session) == 0)
		submit_on(&ss, st, env, src, out);
	session_close(&ss);
}

/* -bv: the envelope of a batch, then RSET; RCPT's 2xx is the answer. */
static int
verify_batch(struct txn *t, struct err *e)
{
	struct reply r;
	size_t i;

	if (send_envelope(t, e) < 0 || read_envelope_replies(t, e) < 0)
		return -1;
	for (i = 0; i < t->n; i++)
		if (t->out->rcpts[t->batch[i]].rcpt_ok)
			t->out->rcpts[t->batch[i]].state = RCPT_ACCEPTED;
	if (smtp_command(t->s, &r, e, "RSET") < 0 ||
	    smtp_expect(&r, 2, "RSET", e) < 0)
		return -1;
	t->open = false;
	return 0;
}

/* -bv --vrfy: RFC 5321 3.5.3; 252 means "cannot verify, will try". */
static int
verify_vrfy(struct txn *t, struct err *e)
{
	char wire[ADDR_MAX + 1];
	struct reply r;
	size_t i;

	t->out->session_stage = STAGE_RCPT;
	for (i = 0; i < t->out->n; i++) {
		struct rcpt_result *rr = &t->out->rcpts[i];
		const char *addr = on_wire(t, rr->addr, wire, sizeof(wire), e);

		if (addr == NULL ||
		    smtp_command(t->s, &r, e, "VRFY %s", addr) < 0)
			return -1;
		if (r.code == 500 || r.code == 502 || r.code == 504)
			return err_set(e, EX_UNAVAILABLE, "the server does not "
			    "offer VRFY: %d; try -bv without --vrfy", r.code);
		if (r.code / 100 != 2 && r.code / 100 != 4 &&
		    r.code / 100 != 5)
			return smtp_expect(&r, 2, "VRFY", e);
		record(rr, STAGE_RCPT, &r);
	}
	return 0;
}

void
verify_on(struct session *ss, const struct settings *st,
    const struct envelope *env, bool vrfy, struct outcome *out)
{
	struct txn t;

	txn_init(&t, ss, st, env, NULL, out);
	if (vrfy) {
		verify_vrfy(&t, &out->session);
		return;
	}
	while (next_batch(&t) > 0) {
		if (verify_batch(&t, &out->session) < 0)
			return;
		if (t.accepted == 0 && out->rcpts[t.batch[0]].retry)
			break;	/* 452 for the first: no progress */
	}
	defer_retries(&t);
}
