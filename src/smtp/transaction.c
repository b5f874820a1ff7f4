/*
 * transaction.c — one message through one session: as many transactions
 * as the recipients need (at most 100 each, or the server's LIMITS
 * RCPTMAX, and more after a 452), each with its commands pipelined when
 * the server offers PIPELINING, the message sent with BDAT when it offers
 * CHUNKING, else with DATA; a new session when the server's LIMITS
 * MAILMAX says this one has had its transactions.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "lib/trace.h"
#include "lib/xtext.h"
#include "message/idn.h"
#include "smtp/data.h"
#include "smtp/transaction.h"

/* RFC 5321 4.5.3.1.8: a server must take at least 100 recipients. */
#define BATCH_MAX 100

struct txn;

static int make_room(struct txn *t, struct err *e);

struct txn {
	struct session *ss;
	struct smtp *s;
	const struct settings *st;
	const struct envelope *env;
	struct message_source *src;
	struct outcome *out;
	size_t batch[BATCH_MAX];	/* indices into out->rcpts */
	size_t batch_max;		/* BATCH_MAX, or RCPTMAX below it */
	size_t n;
	size_t accepted;
	bool pipelining, chunking;	/* offered and not turned off */
	bool open;		/* MAIL accepted, transaction not ended */
	struct chunk_reader *chunks;	/* with BDAT: the message's */
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

/* smtp_expect, keeping in the outcome the reply that ends the
 * transaction when it is not the one expected (the service passes its
 * code on to its client). */
static int
expect(struct txn *t, const struct reply *r, int digit, const char *what,
    struct err *e)
{
	if (smtp_expect(r, digit, what, e) == 0)
		return 0;
	t->out->session_code = r->code;
	memcpy(t->out->session_enhanced, r->enhanced,
	    sizeof(t->out->session_enhanced));
	return -1;
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
	if (t->st->mail_extra != NULL)
		append(buf, n, t->st->mail_extra, "");
	if (!(caps->flags & CAP_DSN))
		return 0;
	if (t->st->dsn_return != NULL)
		append(buf, n, "RET=", strcmp(t->st->dsn_return, "hdrs") == 0 ?
		    "HDRS" : "FULL");
	if (t->st->dsn_envid != NULL) {
		xtext_encode(t->st->dsn_envid, envid, sizeof(envid));
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
		xtext_encode(addr, orcpt, sizeof(orcpt));
		append(buf, n, "ORCPT=rfc822;", orcpt);
	}
}

static int
reply_mail(struct txn *t, struct err *e)
{
	struct reply r;

	if (smtp_read_reply(t->s, &r, e) < 0)
		return -1;
	if (expect(t, &r, 2, "MAIL FROM", e) < 0) {
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
		return expect(t, &r, 2, "RCPT TO", e);
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

	stage_set(&t->out->session_stage, STAGE_MAIL);
	/* an address that cannot go on the wire fails before any command */
	if (check_wire_forms(t, e) < 0)
		return -1;
	if (mail_parameters(t, params, sizeof(params), e) < 0)
		return -1;
	if ((sender = on_wire(t, t->env->sender, wire, sizeof(wire), e)) ==
	    NULL)
		return -1;
	if (smtp_queue(t->s, e, "MAIL FROM:<%s>%s", sender, params) < 0)
		return -1;
	t->ss->transactions++;
	if (!t->pipelining) {
		if (smtp_flush(t->s, e) < 0)
			return -1;
		if (reply_mail(t, e) < 0)
			return -1;
	}
	stage_set(&t->out->session_stage, STAGE_RCPT);
	for (i = 0; i < t->n; i++) {
		const char *addr = t->out->rcpts[t->batch[i]].addr, *to;

		rcpt_parameters(t, addr, params, sizeof(params));
		if ((to = on_wire(t, addr, wire, sizeof(wire), e)) == NULL)
			return -1;
		if (smtp_queue(t->s, e, "RCPT TO:<%s>%s", to, params) < 0)
			return -1;
		if (t->pipelining)
			continue;
		if (smtp_flush(t->s, e) < 0)
			return -1;
		if (reply_rcpt(t, i, e) < 0)
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
	if (smtp_flush(t->s, e) < 0)
		return -1;
	if (reply_mail(t, e) < 0)
		return -1;
	for (i = 0; i < t->n; i++)
		if (reply_rcpt(t, i, e) < 0)
			return -1;
	return 0;
}

/* Recipients a 452 sent back need the message again in a further
 * transaction: from a pipe, keep a copy of what is now going to be read
 * (nothing is yet). Should that fail, they end deferred. */
static void
keep_for_retry(struct txn *t)
{
	struct err ignored;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->out->rcpts[t->batch[i]].retry) {
			message_tee(t->src, &ignored);
			return;
		}
}

/* refused = abort: one refusal and nobody gets the message. */
static int
abort_on_refusal(struct txn *t, struct err *e)
{
	size_t i;

	if (!t->st->refused_abort)
		return 0;
	for (i = 0; i < t->n; i++)
		if (t->out->rcpts[t->batch[i]].state == RCPT_REFUSED)
			break;
	if (i == t->n)
		return 0;
	if (smtp_rset(t->s, e) == 0)
		t->open = false;
	return err_set(e, EX_NOUSER, "not sent to anyone: a recipient was "
	    "refused and refused = abort");
}

/* The envelope, with the first command of the data queued behind it when
 * pipelining (queue_first, may be NULL); then every reply to it, and a
 * copy of the message kept if a 452 will want it again. */
static int
envelope(struct txn *t, int (*queue_first)(struct txn *, struct err *),
    struct err *e)
{
	if (send_envelope(t, e) < 0)
		return -1;
	if (queue_first != NULL && queue_first(t, e) < 0)
		return -1;
	if (read_envelope_replies(t, e) < 0)
		return -1;
	if (abort_on_refusal(t, e) < 0)
		return -1;
	keep_for_retry(t);
	return 0;
}

/* SMTP's one reply to the end of the data, for every recipient still in
 * the transaction; a 4xx defers them and the session goes on. */
static int
read_smtp_final_reply(struct txn *t, size_t first, const struct reply *r,
    struct err *e)
{
	size_t i;

	if (r->code / 100 != 4 && expect(t, r, 2, "end of data", e) < 0)
		return -1;
	for (i = first; i < t->n; i++)
		if (t->out->rcpts[t->batch[i]].rcpt_ok)
			record(&t->out->rcpts[t->batch[i]], STAGE_DATA, r);
	return 0;
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
			return expect(t, &r, 2, "end of data", e);
		if (!t->s->lmtp)
			return read_smtp_final_reply(t, i, &r, e);
		record(rr, STAGE_DATA, &r);
	}
	return 0;
}

static int
queue_data(struct txn *t, struct err *e)
{
	return smtp_queue(t->s, e, "DATA");
}

/* RFC 2920 3.1: a 354 to a pipelined DATA despite no recipient gets an
 * empty message; the server then refuses it. */
static int
end_unwanted_data(struct txn *t, const struct reply *r, struct err *e)
{
	struct reply last;

	if (r->code != 354)
		return 0;
	if (data_send_empty(t->s, e) < 0)
		return -1;
	return smtp_read_reply(t->s, &last, e);
}

static int
via_data(struct txn *t, struct err *e)
{
	bool pipe_data = t->pipelining && !t->st->refused_abort;
	struct reply r;

	if (envelope(t, pipe_data ? queue_data : NULL, e) < 0)
		return -1;
	stage_set(&t->out->session_stage, STAGE_DATA);
	if (!pipe_data && t->accepted == 0)
		return 0;	/* every recipient refused */
	if (pipe_data) {
		if (smtp_read_reply(t->s, &r, e) < 0)
			return -1;
		if (t->accepted == 0)
			return end_unwanted_data(t, &r, e);
	} else if (smtp_command(t->s, &r, e, "DATA") < 0) {
		return -1;
	}
	if (expect(t, &r, 3, "DATA", e) < 0)
		return -1;
	if (data_send(t->s, t->src, t->st->dot_ends, e) < 0)
		return -1;
	return read_final_replies(t, e);
}

static int
queue_chunk(struct txn *t, struct err *e)
{
	return data_send_chunk(t->s, t->chunks, e);
}

/*
 * With PIPELINING, BDAT chunks follow one another without waiting for
 * their replies (RFC 3030: the server must then take and discard chunks
 * already in the pipeline after one it failed): each reply is read once
 * it is there, or once this many chunks are out (4 MiB). Waiting for
 * each one would cost a round trip per 128 KiB chunk, 2.6 MB/s at 50 ms.
 */
#define BDAT_IN_FLIGHT 32

/* The replies to BDAT chunks sent before (not the LAST): those already
 * there, and as many as bring *unread down to max. A failure stops the
 * chunks (RFC 3030: none is sent after it). */
static int
read_chunk_replies(struct txn *t, size_t *unread, size_t max,
    struct err *e)
{
	struct reply r;

	while (*unread > 0 && (*unread > max || smtp_reply_waiting(t->s))) {
		if (smtp_read_reply(t->s, &r, e) < 0)
			return -1;
		if (expect(t, &r, 2, "BDAT", e) < 0)
			return -1;
		(*unread)--;
	}
	return 0;
}

/* The chunks after the envelope; the first one rode with it when
 * sent_first. Without PIPELINING each waits for its reply. */
static int
send_chunks(struct txn *t, bool sent_first, struct err *e)
{
	struct chunk_reader *cr = t->chunks;
	size_t unread = 0, max = t->pipelining ? BDAT_IN_FLIGHT - 1 : 0;

	for (;;) {
		if (!sent_first) {
			if (data_send_chunk(t->s, cr, e) < 0)
				return -1;
			if (smtp_flush(t->s, e) < 0)
				return -1;
		}
		sent_first = false;
		if (cr->eof)
			return read_chunk_replies(t, &unread, 0, e) < 0 ? -1 :
			    read_final_replies(t, e);
		unread++;
		/* The chunk is in the kernel's hands: read the next one while
		 * the server takes it, then hear what it said. */
		if (chunk_fill(cr, e) < 0)
			return -1;
		if (read_chunk_replies(t, &unread, max, e) < 0)
			return -1;
	}
}

static int
via_bdat(struct txn *t, struct err *e)
{
	/* The whole message in one chunk rides with the envelope. It is
	 * read ahead of the replies only when it can be read again: a pipe
	 * must wait for them, a 452 may need a copy (keep_for_retry). */
	bool ahead = message_kept(t->src), pipe_chunk;
	struct reply r;

	if (ahead && chunk_fill(t->chunks, e) < 0)
		return -1;
	pipe_chunk = ahead && t->pipelining && t->chunks->eof &&
	    !t->st->refused_abort;
	if (envelope(t, pipe_chunk ? queue_chunk : NULL, e) < 0)
		return -1;
	stage_set(&t->out->session_stage, STAGE_DATA);
	if (t->accepted == 0)
		return pipe_chunk ? smtp_read_reply(t->s, &r, e) : 0;
	if (!ahead && chunk_fill(t->chunks, e) < 0)
		return -1;
	return send_chunks(t, pipe_chunk, e);
}

/* Up to batch_max recipients not yet tried, or sent back by a 452. */
static size_t
next_batch(struct txn *t)
{
	size_t i;

	t->n = 0;
	t->accepted = 0;
	for (i = 0; i < t->out->n && t->n < t->batch_max; i++) {
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
	if (chunk_reader_init(&cr, t->src, t->st->dot_ends, false, e) < 0)
		return -1;
	t->chunks = &cr;
	rc = via_bdat(t, e);
	t->chunks = NULL;
	chunk_reader_free(&cr);
	return rc;
}

/* Before a further transaction: the message from its start again, and
 * the last transaction ended. */
static int
prepare_again(struct txn *t, struct err *e)
{
	if (message_rewind(t->src, e) < 0)
		return -1;
	if (!t->open)
		return 0;
	if (smtp_rset(t->s, e) < 0)
		return -1;
	t->open = false;
	return 0;
}

/* A 452 for the first recipient of a batch: no progress is possible. */
static bool
no_progress(const struct txn *t)
{
	return t->accepted == 0 && t->n > 0 &&
	    t->out->rcpts[t->batch[0]].retry;
}

static void
run_transactions(struct txn *t, struct err *e)
{
	bool first = true;

	for (;;) {
		if (!first && !message_rewindable(t->src)) {
			defer_retries(t);	/* a pipe cannot be sent again */
			return;
		}
		if (next_batch(t) == 0)
			return;
		if (make_room(t, e) < 0)
			return;
		if (!first && prepare_again(t, e) < 0)
			return;
		if (transaction(t, e) < 0)
			return;
		if (no_progress(t)) {
			defer_retries(t);
			return;
		}
		first = false;
	}
}

/* What the session's server offers and allows. */
static void
txn_caps(struct txn *t)
{
	const struct caps *caps = &t->ss->smtp.caps;

	t->s = &t->ss->smtp;
	t->pipelining = t->st->pipelining && (caps->flags & CAP_PIPELINING);
	t->chunking = t->st->chunking && (caps->flags & CAP_CHUNKING);
	t->batch_max = caps->rcpt_max > 0 && caps->rcpt_max < BATCH_MAX ?
	    caps->rcpt_max : BATCH_MAX;
}

/* src is NULL for -bv: no message, no SIZE=. */
static void
txn_init(struct txn *t, struct session *ss, const struct settings *st,
    const struct envelope *env, struct message_source *src,
    struct outcome *out)
{
	memset(t, 0, sizeof(*t));
	t->ss = ss;
	t->st = st;
	t->env = env;
	t->src = src;
	t->out = out;
	txn_caps(t);
}

/* LIMITS MAILMAX (RFC 9422): a session that has had its transactions
 * ends, and a new one (the relays tried again) takes the rest. */
static int
make_room(struct txn *t, struct err *e)
{
	if (!session_spent(t->ss))
		return 0;
	trace_note("the server takes %u transactions per session (LIMITS "
	    "MAILMAX): a new session", t->ss->smtp.caps.mail_max);
	session_close(t->ss);
	t->open = false;
	if (session_open(t->ss, t->st, true, &t->out->session_stage, e) < 0)
		return -1;
	txn_caps(t);
	return 0;
}

void
transaction_send(struct session *ss, const struct settings *st,
    const struct envelope *env, struct message_source *src,
    struct outcome *out)
{
	struct txn t;

	message_mark(src);
	txn_init(&t, ss, st, env, src, out);
	/* More than one transaction means sending the message again. */
	if (out->n > t.batch_max && message_tee(src, &out->session) < 0)
		return;
	run_transactions(&t, &out->session);
	trace_progress_end();
}

/* -bv: the envelope of a batch, then RSET; RCPT's 2xx is the answer. */
static int
verify_batch(struct txn *t, struct err *e)
{
	size_t i;

	if (send_envelope(t, e) < 0)
		return -1;
	if (read_envelope_replies(t, e) < 0)
		return -1;
	for (i = 0; i < t->n; i++)
		if (t->out->rcpts[t->batch[i]].rcpt_ok)
			t->out->rcpts[t->batch[i]].state = RCPT_ACCEPTED;
	if (smtp_rset(t->s, e) < 0)
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

	stage_set(&t->out->session_stage, STAGE_RCPT);
	for (i = 0; i < t->out->n; i++) {
		struct rcpt_result *rr = &t->out->rcpts[i];
		const char *addr = on_wire(t, rr->addr, wire, sizeof(wire), e);
		int kind;

		if (addr == NULL)
			return -1;
		if (smtp_command(t->s, &r, e, "VRFY %s", addr) < 0)
			return -1;
		if (r.code == 500 || r.code == 502 || r.code == 504)
			return err_set(e, EX_UNAVAILABLE, "the server does not "
			    "offer VRFY: %d; try -bv without --vrfy", r.code);
		kind = r.code / 100;
		if (kind != 2 && kind != 4 && kind != 5)
			return smtp_expect(&r, 2, "VRFY", e);
		record(rr, STAGE_RCPT, &r);
	}
	return 0;
}

void
transaction_verify(struct session *ss, const struct settings *st,
    const struct envelope *env, bool vrfy, struct outcome *out)
{
	struct txn t;

	txn_init(&t, ss, st, env, NULL, out);
	if (vrfy) {
		verify_vrfy(&t, &out->session);
		return;
	}
	while (next_batch(&t) > 0) {
		if (make_room(&t, &out->session) < 0)
			return;
		if (verify_batch(&t, &out->session) < 0)
			return;
		if (no_progress(&t))
			break;
	}
	defer_retries(&t);
}
