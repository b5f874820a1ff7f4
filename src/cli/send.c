/* send.c — one message from the command line, and -bv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/handoff.h"
#include "cli/send.h"
#include "cli/version.h"
#include "message/chunk.h"
#include "message/envelope.h"
#include "message/header.h"
#include "message/source.h"
#include "queue/alert.h"
#include "queue/flush.h"
#include "queue/queue.h"
#include "report/maillog.h"
#include "report/report.h"
#include "smtp/session.h"
#include "smtp/transaction.h"

/* --dry-run, after the settings: the envelope and the header block. */
static void
print_plan(const struct envelope *env, const struct header_block *hb)
{
	size_t i;

	printf("envelope sender: <%s>\n", env->sender);
	for (i = 0; i < env->rcpts.n; i++)
		printf("envelope recipient: <%s>\n", env->rcpts.v[i]);
	printf("header:\n");
	header_print(hb, stdout);
}

/*
 * Everything decided before connecting: the header block is read, the
 * envelope built (with -t from the headers), Bcc removed and missing
 * headers added, and the edited block put back in front of the body.
 */
static int
prepare(const struct options *o, const struct settings *st,
    struct message_source *src, struct header_block *hb,
    struct envelope *env, struct err *e)
{
	struct envelope_request req = { o->sender, o->recipients,
	    o->nrecipients, o->from_headers, o->body };
	char mailer_daemon[ADDR_MAX + 1];
	const char *domain = st->domain;

	if (message_open(src, st->file, e) < 0)
		return -1;
	if (header_read(hb, src, e) < 0)
		return -1;
	if (envelope_build(env, &req, st, hb, e) < 0)
		return -1;
	if (st->remove_bcc)
		header_remove_bcc(hb);
	/* A bounce (null sender) is From: MAILER-DAEMON, as sendmail does. */
	snprintf(mailer_daemon, sizeof(mailer_daemon), "MAILER-DAEMON@%s",
	    domain);
	if (st->add_missing_headers) {
		const char *from = env->sender[0] ? env->sender : mailer_daemon;

		if (header_add_missing(hb, from, o->full_name, domain, e) < 0)
			return -1;
	}
	return header_attach(hb, src, e);
}

/* The queue entry for the retryable recipients of out. */
static int
fill_entry(struct queue_entry *qe, const struct options *o,
    const struct settings *st, const struct envelope *env,
    const char *message_id, const struct outcome *out, struct err *e)
{
	const char *why = out->session.code ? out->session.msg : NULL;
	size_t i;
	int j;

	snprintf(qe->env.sender, sizeof(qe->env.sender), "%s", env->sender);
	qe->env.body = env->body;
	qe->env.needs_smtputf8 = env->needs_smtputf8;
	for (i = 0; i < out->n; i++) {
		const struct rcpt_result *rr = &out->rcpts[i];

		if (!outcome_retryable(out, i))
			continue;
		if (why == NULL && rr->reply[0] != '\0')
			why = rr->reply;
		if (queue_entry_add_rcpt(qe, rr->addr, rr->state ==
		    RCPT_DEFERRED && rr->reply[0] ? rr->reply : NULL, e) < 0)
			return -1;
	}
	qe->error_kind = FAILURE_TEMPORARY;
	for (j = 0; j < o->nsettings; j++)
		if (queue_entry_add_setting(qe, o->settings[j].key,
		    o->settings[j].value, e) < 0)
			return -1;
	if (queue_entry_set(&qe->config, o->config, e) < 0)
		return -1;
	if (queue_entry_set(&qe->profile, st->profile, e) < 0)
		return -1;
	if (queue_entry_set(&qe->envid, o->envid, e) < 0)
		return -1;
	if (queue_entry_set(&qe->message_id, message_id, e) < 0)
		return -1;
	return queue_entry_set(&qe->last_error, why, e);
}

/* A recipient the session's end left undecided keeps no reply of its
 * own (an RCPT 250 is no answer about the message): the report shows
 * the session's. */
static void
mark_queued(const struct outcome *out, struct rcpt_result *rr)
{
	if (rr->state == RCPT_PENDING) {
		rr->code = 0;
		rr->reply[0] = '\0';
		rr->enhanced[0] = '\0';
		rr->stage = out->session_stage;
	}
	rr->state = RCPT_QUEUED;
}

/* Store the entry qe and the message (from its start again when tried)
 * in the queue. */
static int
store_entry(const struct settings *st, struct queue_entry *qe,
    struct message_source *src, bool tried, struct err *e)
{
	struct queue q = { .dirfd = -1 };
	int rc = -1;

	if (queue_open(&q, st, e) < 0)
		goto out;
	if (tried && message_rewind(src, e) < 0)
		goto out;
	rc = queue_add(&q, qe, src, st->dot_ends, e);
out:
	queue_close(&q);
	return rc;
}

/* Put the recipients worth another try in the queue, durably; they
 * become RCPT_QUEUED. tried: src was sent (or partly) and needs a rewind. */
static void
queue_rest(const struct options *o, const struct settings *st,
    const struct envelope *env, const char *message_id,
    struct message_source *src, struct outcome *out, bool tried)
{
	struct queue_entry qe;
	struct err e = { 0, "" };
	time_t now = time(NULL);
	size_t i;

	memset(&qe, 0, sizeof(qe));
	qe.created = now;
	qe.attempts = tried ? 1 : 0;
	qe.next_try = tried ? flush_next_try(now, 1) : now;
	if (fill_entry(&qe, o, st, env, message_id, out, &e) < 0)
		goto out;
	if (qe.env.rcpts.n == 0)
		goto out;	/* nothing is worth another try */
	if (store_entry(st, &qe, src, tried, &e) < 0)
		goto out;
	for (i = 0; i < out->n; i++)
		if (outcome_retryable(out, i))
			mark_queued(out, &out->rcpts[i]);
	snprintf(out->queue_id, sizeof(out->queue_id), "%s", qe.id);
out:
	if (e.code == EX_DATAERR)
		out->session = e;	/* the message itself cannot be sent */
	else if (e.code != 0)
		fprintf(stderr, "mailout: cannot queue the message: %s\n",
		    e.msg);
	queue_entry_free(&qe);
}

/* One session for this message. */
static void
submit(const struct settings *st, const struct envelope *env,
    struct message_source *src, struct outcome *out)
{
	struct session ss;

	if (session_open(&ss, st, true, &out->session_stage,
	    &out->session) == 0)
		transaction_send(&ss, st, env, src, out);
	outcome_set_relay(out, ss.relay_label);
	session_close(&ss);
}

/*
 * Bad input is EX_DATAERR whatever the network did: a message that went
 * nowhere because the session failed first (or that nobody took) is read
 * through the filter now, when it can be read again.
 */
static void
check_unsent(const struct settings *st, struct message_source *src,
    struct outcome *out)
{
	struct err e = { 0, "" };

	if (out->session.code == EX_DATAERR ||
	    outcome_count(out, RCPT_ACCEPTED) > 0 ||
	    outcome_count(out, RCPT_QUEUED) > 0 || !message_rewindable(src))
		return;
	if (message_rewind(src, &e) < 0)
		return;
	if (chunk_check(src, st->dot_ends, &e) < 0 && e.code == EX_DATAERR)
		out->session = e;
}

/* What is read ahead of a message from a pipe: most are smaller. */
#define PREFETCH_MAX (16 * 1024)

/*
 * A message from a pipe may have to be read again (for the queue, for a
 * further transaction after a 452). A small one is read whole into
 * memory; with the queue on, the rest of a large one is kept in a
 * temporary file as it is read and sent. Input that is not flowing (a
 * cron job still running, a terminal) is read to its end first, so that
 * no session waits on it.
 */
static int
keep_rereadable(const struct settings *st, struct message_source *src,
    struct err *e)
{
	if (message_prefetch(src, PREFETCH_MAX, e) < 0)
		return -1;
	if (!st->queue)
		return 0;
	if (message_tee(src, e) < 0)
		return -1;
	return message_flowing(src) ? 0 : message_rewind(src, e);
}

/* Deliver now, keeping a way to read the message again for the queue;
 * or hand it to the mailout service, which queues (-odq too). */
static void
deliver(const struct options *o, const struct settings *st,
    const struct envelope *env, const char *message_id,
    struct message_source *src, struct outcome *out,
    struct session *service)
{
	message_mark(src);
	if (service != NULL) {
		if (keep_rereadable(st, src, &out->session) < 0)
			return;
		transaction_send(service, st, env, src, out);
		handoff_decode(out);
		return;
	}
	if (o->queue_only) {	/* -odq: nobody asked the server */
		err_set(&out->session, EX_TEMPFAIL, "not tried (-odq)");
		queue_rest(o, st, env, message_id, src, out, false);
		return;
	}
	if (keep_rereadable(st, src, &out->session) < 0)
		return;
	submit(st, env, src, out);
	/* refused = abort sent to nobody: queueing the deferred ones
	 * would send to some */
	if (st->queue && out->session.code != EX_NOUSER)
		queue_rest(o, st, env, message_id, src, out, true);
	check_unsent(st, src, out);
}

/* s as one shell word: as it is when that is safe, else in '...'. */
static void
shell_word(char *buf, size_t n, const char *s)
{
	size_t len = 0;

	if (s[0] != '\0' && s[strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:@%,=")] == '\0') {
		snprintf(buf, n, "%s", s);
		return;
	}
	for (buf[len++] = '\''; *s != '\0' && len + 5 < n; s++) {
		if (*s == '\'')
			len += (size_t)snprintf(buf + len, n - len, "'\\''");
		else
			buf[len++] = *s;
	}
	snprintf(buf + len, n - len, "'");
}

/* The command that sends the queued message now: the same queue, this
 * entry, whatever its backoff says. */
static void
send_now(char *buf, size_t n, const struct settings *st, const char *id)
{
	char dir[PATH_MAX + 64];

	if (st->queue_dir == NULL) {
		snprintf(buf, n, "mailout --send %s", id);
		return;
	}
	shell_word(dir, sizeof(dir), st->queue_dir);
	snprintf(buf, n, "mailout --queue-dir %s --send %s", dir, id);
}

/* What a session that failed on AUTH or TLS means for all mail through
 * that server: alert_command hears of it. */
static void
alert_failure(const struct settings *st, const struct outcome *out,
    const struct message_info *mi)
{
	struct alert a;

	if (alert_of_outcome(&a, out, out->queue_id[0] ? out->queue_id : NULL,
	    mi->sender, mi->host))
		alert_raise(st, NULL, &a);
}

/* For --health: when mail last went out. */
static void
stamp_delivery(const struct settings *st, const struct outcome *out)
{
	if (st->queue && outcome_count(out, RCPT_ACCEPTED) > 0)
		queue_note_delivery(st);
}

/* service: the mailout service queued it; -q asks it to send it. */
static void
report(const struct options *o, const struct settings *st,
    const struct outcome *out, const struct message_info *mi, int status,
    bool service)
{
	char command[PATH_MAX + 128];

	if (service)
		snprintf(command, sizeof(command), "mailout -q");
	else
		send_now(command, sizeof(command), st, out->queue_id);
	/* -odq asked for the queue: only a failure to queue is news */
	if (!o->queue_only || out->queue_id[0] == '\0' ||
	    o->report == REPORT_TEXT)
		report_text(out, o->report == REPORT_TEXT, command);
	if (o->report == REPORT_JSON)
		report_json(out, mi, status, stdout);
	maillog_write(st, mi, out, status);
}

int
send_message(const struct options *o, const struct settings *st,
    const struct conf_choice *ch, struct session *service)
{
	struct envelope env;
	struct header_block hb;
	struct message_source src = { .fd = -1 };
	struct outcome out = { 0 };
	struct message_info mi;
	struct err e = { 0, "" };
	char *message_id = NULL;
	int status;

	memset(&env, 0, sizeof(env));
	memset(&hb, 0, sizeof(hb));
	if (o->dry_run && service != NULL) {
		printf("service: %s (the mailout service sends the message, "
		    "with its own configuration)\ndomain: %s\n", st->socket,
		    st->domain);
	} else if (o->dry_run) {
		conf_print(st, ch, stdout);
		version_paths(st, stdout);
	}
	if (prepare(o, st, &src, &hb, &env, &e) < 0) {
		status = err_report(&e);
		goto out;
	}
	if (outcome_init(&out, &env.rcpts, &e) < 0) {
		status = err_report(&e);
		goto out;
	}
	if (o->dry_run) {
		print_plan(&env, &hb);
		status = EX_OK;
		goto out;
	}
	message_id = header_message_id_of(&hb);
	deliver(o, st, &env, message_id, &src, &out, service);
	status = outcome_exit_code(&out);
	message_info_init(&mi, st, env.sender, message_id,
	    message_size(&src));
	report(o, st, &out, &mi, status, service != NULL);
	stamp_delivery(st, &out);
	alert_failure(st, &out, &mi);
out:
	free(message_id);
	message_close(&src);
	header_free(&hb);
	free(out.rcpts);
	envelope_free(&env);
	return status;
}

/* -bv on an envelope: ask the server, report every recipient. */
static int
verify_envelope(const struct options *o, const struct settings *st,
    const struct envelope *env, struct outcome *out)
{
	struct message_info mi;
	struct session ss;
	int status;

	if (session_open(&ss, st, true, &out->session_stage,
	    &out->session) == 0)
		transaction_verify(&ss, st, env, o->vrfy, out);
	outcome_set_relay(out, ss.relay_label);
	session_close(&ss);
	status = outcome_exit_code(out);
	message_info_init(&mi, st, env->sender, NULL, -1);
	report_text(out, true, NULL);
	if (o->report == REPORT_JSON)
		report_json(out, &mi, status, stdout);
	return status;
}

int
verify_recipients(const struct options *o, const struct settings *st)
{
	struct envelope_request req = { o->sender, o->recipients,
	    o->nrecipients, false, NULL };
	struct header_block none;
	struct envelope env;
	struct outcome out = { 0 };
	struct err e = { 0, "" };
	int status;

	memset(&none, 0, sizeof(none));
	memset(&env, 0, sizeof(env));
	if (envelope_build(&env, &req, st, &none, &e) < 0)
		status = err_report(&e);
	else if (outcome_init(&out, &env.rcpts, &e) < 0)
		status = err_report(&e);
	else
		status = verify_envelope(o, st, &env, &out);
	free(out.rcpts);
	envelope_free(&env);
	return status;
}
