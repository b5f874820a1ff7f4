/* flush.c — sending the queue: groups, one session each, backoff, expiry. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/hostname.h"
#include "lib/trace.h"
#include "message/envelope.h"
#include "message/notice.h"
#include "queue/flush.h"
#include "report/maillog.h"
#include "report/report.h"
#include "smtp/session.h"
#include "smtp/transaction.h"

struct flusher {
	struct queue *q;
	const struct resolve_request *cmd;
	time_t now;
	bool all;		/* ignore backoff */
	flush_say *say;
	void *say_arg;
	/* the group being sent */
	struct queue_entry group;	/* what its entries share */
	bool in_group;
	struct setting_override *overrides;
	struct conf *cf;
	struct settings st;
	bool resolved;
	struct session ss;		/* usable when SESSION_READY */
	int sent_on_session;
	struct err group_err;	/* the group cannot be sent (code != 0) */
};

/* What became of an entry. */
enum entry_fate { ENTRY_WAITING, ENTRY_DONE, ENTRY_KEPT };

time_t
flush_next_try(time_t now, int attempts)
{
	long delay = BACKOFF_FIRST;

	while (--attempts > 0 && delay < BACKOFF_MAX)
		delay *= 2;
	return now + (delay < BACKOFF_MAX ? delay : BACKOFF_MAX);
}

static void
say_stderr(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "mailout: %s\n", line);
}

static void
say(struct flusher *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(struct flusher *f, const char *fmt, ...)
{
	char line[2 * ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	f->say(f->say_arg, line);
}

/* ---- loading and grouping ---- */

/* NULL (not given) sorts before any string. */
static int
compare_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/*
 * 0 when a and b are sent with the same settings, so over the same
 * connection: the same configuration file, profile and original options,
 * and without a profile the same sender (match_from may choose by it).
 */
static int
compare_groups(const struct queue_entry *a, const struct queue_entry *b)
{
	size_t i;
	int c;

	if ((c = compare_text(a->config, b->config)) != 0 ||
	    (c = compare_text(a->profile, b->profile)) != 0)
		return c;
	if (a->nsettings != b->nsettings)
		return a->nsettings < b->nsettings ? -1 : 1;
	for (i = 0; i < a->nsettings; i++)
		if ((c = strcmp(a->settings[i].key, b->settings[i].key)) != 0 ||
		    (c = strcmp(a->settings[i].value, b->settings[i].value)) != 0)
			return c;
	return a->profile == NULL ? strcmp(a->env.sender, b->env.sender) : 0;
}

/* By group, then oldest first. */
static int
compare_entries(const void *pa, const void *pb)
{
	const struct queue_entry *a = pa, *b = pb;
	int c = compare_groups(a, b);

	return c != 0 ? c : strcmp(a->id, b->id);
}

static bool
wanted(const struct flush_request *fr, const struct queue_entry *qe)
{
	return !fr->by_owner ||
	    (qe->owner.known && qe->owner.uid == fr->owner_uid);
}

/* Every entry the request names, grouped (whether one is due or expired
 * depends on its group's settings). An entry that cannot be read is
 * reported and left alone. */
static struct queue_entry *
load_entries(struct flusher *f, const struct flush_request *fr, size_t *n,
    struct err *e)
{
	char **ids;
	struct queue_entry *entries;
	size_t i, count = 0;

	if (queue_ids(f->q, &ids, e) < 0)
		return NULL;
	for (i = 0; ids[i] != NULL; i++)
		;
	if ((entries = calloc(i + 1, sizeof(*entries))) == NULL) {
		queue_ids_free(ids);
		err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	for (i = 0; ids[i] != NULL; i++) {
		struct err le = { 0, "" };

		if (queue_load(f->q, ids[i], &entries[count], &le) < 0) {
			if (!fr->by_owner)	/* whose it is, nobody knows */
				say(f, "%s", le.msg);
		} else if (wanted(fr, &entries[count])) {
			count++;
			continue;
		}
		queue_entry_free(&entries[count]);
	}
	queue_ids_free(ids);
	qsort(entries, count, sizeof(*entries), compare_entries);
	*n = count;
	return entries;
}

/* ---- a group's settings and session ---- */

static bool
session_ready(const struct flusher *f)
{
	return f->ss.state == SESSION_READY;
}

static void
end_group(struct flusher *f)
{
	if (session_ready(f))
		session_close(&f->ss);
	f->sent_on_session = 0;
	conf_free(f->cf);
	f->cf = NULL;
	free(f->overrides);
	f->overrides = NULL;
	f->resolved = false;
	f->group_err.code = 0;
	queue_entry_free(&f->group);
	f->in_group = false;
}

/* ne is sent the way qe is: its configuration, profile and settings. */
static int
copy_route(struct queue_entry *ne, const struct queue_entry *qe,
    struct err *e)
{
	size_t i;

	for (i = 0; i < qe->nsettings; i++)
		if (queue_entry_add_setting(ne, qe->settings[i].key,
		    qe->settings[i].value, e) < 0)
			return -1;
	if (queue_entry_set(&ne->config, qe->config, e) < 0)
		return -1;
	return queue_entry_set(&ne->profile, qe->profile, e);
}

/* The entry's command line, then the flush's own over it. */
static int
begin_group(struct flusher *f, const struct queue_entry *qe)
{
	struct resolve_request rq = *f->cmd;
	struct conf_choice ch;
	size_t i, n = qe->nsettings + (size_t)f->cmd->noverrides;

	end_group(f);
	f->in_group = true;
	snprintf(f->group.env.sender, sizeof(f->group.env.sender), "%s",
	    qe->env.sender);
	if (copy_route(&f->group, qe, &f->group_err) < 0)
		return -1;
	if ((f->overrides = calloc(n + 1, sizeof(*f->overrides))) == NULL)
		return err_set(&f->group_err, EX_SOFTWARE, "out of memory");
	for (i = 0; i < qe->nsettings; i++) {
		f->overrides[i].key = qe->settings[i].key;
		f->overrides[i].value = qe->settings[i].value;
		f->overrides[i].option = qe->settings[i].key;
	}
	memcpy(f->overrides + qe->nsettings, f->cmd->overrides,
	    (size_t)f->cmd->noverrides * sizeof(*f->overrides));
	rq.overrides = f->overrides;
	rq.noverrides = (int)n;
	if (qe->config != NULL)
		rq.config = qe->config;
	if (qe->profile != NULL)
		rq.profile = qe->profile;
	rq.sender = qe->env.sender;
	if (resolve_settings(&rq, &f->cf, &f->st, &ch, &f->group_err) < 0)
		return -1;
	f->st.dot_ends = false;		/* queued text is complete */
	f->st.file = NULL;
	f->resolved = true;
	return 0;
}

/* The group's session, ready for the next message: RSET after one was
 * sent on it, a new session when that fails or there is none. */
static int
ensure_session(struct flusher *f, enum stage *stage, struct err *e)
{
	struct err rset_err;

	if (f->group_err.code != 0) {
		*e = f->group_err;
		return -1;
	}
	if (session_ready(f) && f->sent_on_session > 0 &&
	    smtp_rset(&f->ss.smtp, &rset_err) < 0) {
		trace_note("RSET failed (%s); a new session", rset_err.msg);
		session_close(&f->ss);
	}
	if (session_ready(f))
		return 0;
	f->sent_on_session = 0;
	if (session_open(&f->ss, &f->st, true, stage, e) < 0) {
		session_close(&f->ss);
		f->group_err = *e;	/* the same for every entry here */
		return -1;
	}
	return 0;
}

/* ---- one entry ---- */

static enum entry_fate flush_entry(struct flusher *f, struct queue_entry *qe,
    struct outcome *o, bool notices, bool due);

/* An outcome for qe's recipients, each pointing at qe's address. */
static int
outcome_for(struct outcome *o, const struct queue_entry *qe)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	o->n = qe->env.rcpts.n;
	if ((o->rcpts = calloc(o->n + 1, sizeof(*o->rcpts))) == NULL)
		return -1;
	for (i = 0; i < o->n; i++)
		o->rcpts[i].addr = qe->env.rcpts.v[i];
	return 0;
}

/* The notice as a queue entry of its own, to qe's sender; returns its
 * lock. */
static int
queue_notice(struct flusher *f, const struct queue_entry *qe,
    struct notice *nt, struct queue_entry *ne, struct err *e)
{
	struct message_source original, text = { .fd = -1 };
	int rc;

	ne->created = f->now;
	if (queue_message(f->q, qe->id, &original, e) < 0)
		return -1;
	nt->original = &original;
	rc = notice_build(nt, &text, e);
	message_close(&original);
	if (rc == 0)
		rc = copy_route(ne, qe, e);
	if (rc == 0)
		rc = addr_list_add(&ne->env.rcpts, qe->env.sender, e);
	if (rc == 0)
		rc = queue_add_locked(f->q, ne, &text, false, e);
	message_close(&text);
	return rc;
}

/* Queue a failure notice for the given-up recipients, then try it now. */
static void
notify_sender(struct flusher *f, const struct queue_entry *qe,
    const struct notice_rcpt *gone, size_t n, bool expired)
{
	struct notice nt = { qe->env.sender, NULL, qe->id, qe->created,
	    expired, gone, n, NULL };
	struct queue_entry ne;
	struct outcome o;
	struct err e = { 0, "" };
	int lock;

	if (qe->env.sender[0] == '\0' || n == 0)
		return;		/* a notice never gets a notice */
	nt.domain = f->resolved && f->st.domain ? f->st.domain :
	    local_hostname();
	memset(&ne, 0, sizeof(ne));
	if ((lock = queue_notice(f, qe, &nt, &ne, &e)) < 0) {
		say(f, "%s: cannot queue a failure notice to <%s>: %s", qe->id,
		    qe->env.sender, e.msg);
	} else {
		if (outcome_for(&o, &ne) == 0)
			flush_entry(f, &ne, &o, true, true);
		free(o.rcpts);
		queue_unlock(lock);
	}
	queue_entry_free(&ne);
}

/* Take the refused (and, when expired, all) recipients out of qe and
 * tell the sender about them, when notices. */
static void
give_up(struct flusher *f, struct queue_entry *qe, const struct outcome *o,
    bool expired, bool notices)
{
	struct notice_rcpt *gone = calloc(qe->env.rcpts.n + 1, sizeof(*gone));
	size_t i, n = 0;

	if (gone == NULL)
		return;		/* they stay queued: nothing is lost */
	for (i = 0; i < o->n; i++) {
		const struct rcpt_result *rr = &o->rcpts[i];

		if (!expired && rr->state != RCPT_REFUSED)
			continue;
		gone[n].addr = rr->addr;
		gone[n].reply = rr->reply[0] ? rr->reply :
		    qe->last_error ? qe->last_error : "";
		gone[n].enhanced = rr->enhanced;
		say(f, "%s: <%s>: %s: %s", qe->id, rr->addr, expired ?
		    "expired after queue_lifetime" : "refused", gone[n].reply);
		n++;
	}
	if (notices)
		notify_sender(f, qe, gone, n, expired);
	free(gone);
}

/* Keep only what is still to do; save or remove the entry. */
static enum entry_fate
update_entry(struct flusher *f, struct queue_entry *qe,
    const struct outcome *o)
{
	struct addr_list keep = { 0 };
	const char *why = o->session.code ? o->session.msg : NULL;
	struct err e = { 0, "" };
	size_t i;

	for (i = 0; i < o->n && e.code == 0; i++) {
		const struct rcpt_result *rr = &o->rcpts[i];

		if (rr->state == RCPT_ACCEPTED || rr->state == RCPT_REFUSED)
			continue;
		if (why == NULL && rr->reply[0] != '\0')
			why = rr->reply;
		addr_list_add(&keep, rr->addr, &e);
	}
	if (e.code == 0 && keep.n == 0) {
		queue_remove(f->q, qe->id, &e);
	} else if (e.code == 0) {
		queue_entry_set(&qe->last_error, why ? why : "not sent", &e);
		addr_list_free(&qe->env.rcpts);
		qe->env.rcpts = keep;
		keep = (struct addr_list){ 0 };
		qe->attempts++;
		qe->next_try = flush_next_try(f->now, qe->attempts);
		if (e.code == 0)
			queue_save(f->q, qe, &e);
		trace_note("%s: still queued: %s", qe->id, qe->last_error);
	}
	addr_list_free(&keep);
	if (e.code != 0)
		say(f, "%s: %s", qe->id, e.msg);
	return qe->env.rcpts.n == 0 || e.code != 0 ? ENTRY_DONE : ENTRY_KEPT;
}

/*
 * A 5xx to MAIL or to the message itself: no retry can help. refused =
 * abort (a recipient was refused, the message went to nobody): the
 * others are not sent either, later.
 */
static void
refuse_undecided(struct outcome *o)
{
	bool whole = o->session.code == EX_UNAVAILABLE &&
	    (o->session_stage == STAGE_MAIL || o->session_stage == STAGE_DATA);
	size_t i;

	if (!whole && o->session.code != EX_NOUSER)
		return;
	for (i = 0; i < o->n; i++) {
		struct rcpt_result *rr = &o->rcpts[i];

		if (rr->state != RCPT_PENDING)
			continue;
		rr->state = RCPT_REFUSED;
		rr->by_session = true;
		rr->stage = o->session_stage;
		rr->code = o->session_code;
		snprintf(rr->reply, sizeof(rr->reply), "%s", o->session.msg);
		/* not RCPT's 2.1.5 */
		memcpy(rr->enhanced, o->session_enhanced, sizeof(rr->enhanced));
	}
}

static void
send_entry(struct flusher *f, struct queue_entry *qe, struct outcome *o)
{
	struct message_source src;

	if (ensure_session(f, &o->session_stage, &o->session) < 0)
		return;
	if (queue_message(f->q, qe->id, &src, &o->session) < 0)
		return;
	f->st.dsn_envid = qe->envid;
	transaction_send(&f->ss, &f->st, &qe->env, &src, o);
	message_close(&src);
	f->sent_on_session++;
	if (o->session.code != 0)	/* the session's state is unknown */
		session_close(&f->ss);
	refuse_undecided(o);
}

static void
log_entry(struct flusher *f, const struct queue_entry *qe,
    const struct outcome *o)
{
	struct message_info mi;

	if (!f->resolved)
		return;
	message_info_init(&mi, &f->st, qe->env.sender, qe->message_id,
	    qe->size);
	maillog_write(&f->st, &mi, o, outcome_exit_code(o));
}

/* due: send it even when it is backing off. The log is written before
 * the entry changes: o's addresses may be qe's own. */
static enum entry_fate
flush_entry(struct flusher *f, struct queue_entry *qe, struct outcome *o,
    bool notices, bool due)
{
	bool expired = f->resolved &&
	    f->now - qe->created >= f->st.queue_lifetime;
	struct err e;

	if (!expired && !due && !f->all && qe->next_try > f->now)
		return ENTRY_WAITING;	/* backing off */
	if (expired) {
		err_set(&o->session, EX_TEMPFAIL, "%s", qe->last_error ?
		    qe->last_error : "expired");
		give_up(f, qe, o, true, true);
		log_entry(f, qe, o);
		if (queue_remove(f->q, qe->id, &e) < 0)
			say(f, "%s: %s", qe->id, e.msg);
		return ENTRY_DONE;
	}
	send_entry(f, qe, o);
	give_up(f, qe, o, false, notices);
	log_entry(f, qe, o);
	return update_entry(f, qe, o);
}

/* ---- the flusher ---- */

struct flusher *
flusher_new(struct queue *q, const struct resolve_request *cmd,
    flush_say *say_to, void *arg)
{
	struct flusher *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->q = q;
	f->cmd = cmd;
	f->say = say_to ? say_to : say_stderr;
	f->say_arg = arg;
	f->ss.state = SESSION_CLOSED;
	return f;
}

void
flusher_idle(struct flusher *f)
{
	end_group(f);
}

void
flusher_free(struct flusher *f)
{
	if (f == NULL)
		return;
	end_group(f);
	free(f);
}

/* The group's settings, when qe is not in the group of the last. */
static void
join_group(struct flusher *f, const struct queue_entry *qe)
{
	if (f->in_group && compare_groups(&f->group, qe) == 0)
		return;
	if (begin_group(f, qe) < 0)	/* its group stays queued */
		say(f, "%s: %s", qe->id, f->group_err.msg);
}

void
flusher_send(struct flusher *f, struct queue_entry *qe, struct outcome *o,
    bool notices)
{
	f->now = time(NULL);
	/* each message its own try, as a direct send: a relay that failed
	 * the last one may take this one (a flush, which sends many at once,
	 * keeps the group's failure for the rest of it instead) */
	if (f->group_err.code != 0)
		end_group(f);
	join_group(f, qe);
	flush_entry(f, qe, o, notices, true);
}

/* Lock the entry, read it again (its holder may have changed or removed
 * it), send it when due. */
static void
run_one(struct flusher *f, struct queue_entry *qe,
    struct flush_counts *counts)
{
	struct outcome o;
	struct err e;
	char id[QUEUE_ID_MAX];
	int lock;

	snprintf(id, sizeof(id), "%s", qe->id);
	if ((lock = queue_lock_entry(f->q, id, &e)) < 0) {
		counts->busy += e.code == EX_TEMPFAIL;
		return;
	}
	queue_entry_free(qe);
	if (queue_load(f->q, id, qe, &e) < 0 || outcome_for(&o, qe) < 0) {
		queue_unlock(lock);
		return;		/* gone meanwhile, or out of memory */
	}
	join_group(f, qe);
	switch (flush_entry(f, qe, &o, true, false)) {
	case ENTRY_DONE:
		counts->done++;
		break;
	case ENTRY_KEPT:
		counts->kept++;
		break;
	default:
		break;
	}
	free(o.rcpts);
	queue_unlock(lock);
}

int
flusher_run(struct flusher *f, const struct flush_request *fr,
    struct flush_counts *counts, struct err *e)
{
	struct queue_entry *entries;
	size_t i, n;

	memset(counts, 0, sizeof(*counts));
	f->now = time(NULL);
	f->all = fr->all;
	if ((entries = load_entries(f, fr, &n, e)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (fr->stop == NULL || !*fr->stop)
			run_one(f, &entries[i], counts);
		queue_entry_free(&entries[i]);
	}
	free(entries);
	return 0;
}

int
flush_queue(const struct settings *st, const struct resolve_request *cmd,
    bool all, struct err *e)
{
	struct flush_request fr = { .all = all };
	struct flush_counts counts;
	struct flusher *f;
	struct queue q;
	int lock, rc = -1;

	if (queue_open(&q, st, e) < 0)
		return -1;
	if ((lock = queue_lock(&q, e)) < 0) {
		queue_close(&q);
		return -1;
	}
	queue_sweep(&q);
	if ((f = flusher_new(&q, cmd, NULL, NULL)) == NULL)
		err_set(e, EX_SOFTWARE, "out of memory");
	else
		rc = flusher_run(f, &fr, &counts, e);
	flusher_free(f);
	close(lock);
	queue_close(&q);
	return rc;
}
