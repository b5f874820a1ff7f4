/* flush.c — sending the queue: groups, one session each, backoff, expiry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/mailname.h"
#include "lib/trace.h"
#include "lib/when.h"
#include "message/envelope.h"
#include "message/notice.h"
#include "queue/alert.h"
#include "queue/flush.h"
#include "queue/queue.h"
#include "report/maillog.h"
#include "report/report.h"
#include "smtp/session.h"
#include "smtp/transaction.h"

#define LINE_RCPTS_MAX 3		/* recipients a -v line names */

struct flusher {
	struct queue q;
	const struct settings *own;	/* the flush's own settings */
	const struct flush_request *rq;
	time_t now;
	size_t counts[FLUSH_RESULTS];	/* what became of the entries */
	bool caller_told;	/* refusals are the caller's to report */
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
	enum stage group_stage;	/* where group_err happened */
};

time_t
flush_next_try(time_t now, int attempts)
{
	long delay = BACKOFF_FIRST;

	while (--attempts > 0 && delay < BACKOFF_MAX)
		delay *= 2;
	return now + (delay < BACKOFF_MAX ? delay : BACKOFF_MAX);
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

/* The entries asked for (every one, or rq->ids) that the actor may act
 * on, grouped (whether one is due or expired depends on its group's
 * settings). An entry that cannot be read is reported and left alone. */
static struct queue_entry *
load_entries(struct flusher *f, size_t *n, struct err *e)
{
	char **listed = NULL;
	char *const *ids = f->rq->ids;
	struct queue_entry *entries;
	size_t i, count = 0;

	if (ids == NULL && queue_ids(&f->q, &listed, e) < 0)
		return NULL;
	if (ids == NULL)
		ids = listed;
	for (i = 0; ids[i] != NULL; i++)
		;
	if ((entries = calloc(i + 1, sizeof(*entries))) == NULL) {
		queue_ids_free(listed);
		err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	for (i = 0; ids[i] != NULL; i++) {
		struct err le = { 0, "" };

		if (queue_load(&f->q, ids[i], &entries[count], &le) < 0)
			fprintf(stderr, "mailout: %s\n", le.msg);
		else if (queue_may_act(&entries[count], f->rq->actor))
			count++;
		else
			le.code = EX_NOPERM;	/* not a word about it */
		if (le.code != 0)
			queue_entry_free(&entries[count]);
	}
	queue_ids_free(listed);
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
	f->group_stage = STAGE_CONNECT;
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
	const struct resolve_request *cmd = f->rq->cmd;
	struct resolve_request rq = *cmd;
	struct conf_choice ch;
	size_t i, n = qe->nsettings + (size_t)cmd->noverrides;

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
	memcpy(f->overrides + qe->nsettings, cmd->overrides,
	    (size_t)cmd->noverrides * sizeof(*f->overrides));
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
		*stage = f->group_stage;
		return -1;
	}
	if (session_ready(f) && session_spent(&f->ss))
		session_close(&f->ss);	/* LIMITS MAILMAX: a new one */
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
		f->group_stage = *stage;
		return -1;
	}
	return 0;
}

/* ---- one entry ---- */

static enum flush_result flush_one(struct flusher *f, struct queue_entry *qe,
    enum flush_mode mode);

/* The notice as a queue entry of its own, to qe's sender. */
static int
queue_notice(struct flusher *f, const struct queue_entry *qe,
    struct notice *nt, struct queue_entry *ne, struct err *e)
{
	struct message_source original, text = { .fd = -1 };
	int rc;

	ne->created = f->now;
	if (queue_message(&f->q, qe->id, &original, e) < 0)
		return -1;
	nt->original = &original;
	rc = notice_build(nt, &text, e);
	message_close(&original);
	if (rc == 0)
		rc = copy_route(ne, qe, e);
	if (rc == 0)
		rc = addr_list_add(&ne->env.rcpts, qe->env.sender, e);
	if (rc == 0)
		rc = queue_add(&f->q, ne, &text, false, e);
	message_close(&text);
	return rc;
}

/* Queue a failure notice for the given-up recipients, then try it now. */
static void
notify_sender(struct flusher *f, const struct queue_entry *qe,
    const struct notice_rcpt *gone, size_t n, enum notice_reason why)
{
	struct notice nt = { qe->env.sender, NULL, qe->id, qe->created,
	    why, gone, n, NULL };
	struct queue_entry ne;
	struct err e = { 0, "" };

	if (qe->env.sender[0] == '\0' || n == 0)
		return;		/* a notice never gets a notice */
	nt.domain = f->resolved ? f->st.domain : local_hostname();
	memset(&ne, 0, sizeof(ne));
	if (queue_notice(f, qe, &nt, &ne, &e) < 0)
		fprintf(stderr, "mailout: %s: cannot queue a failure notice "
		    "to <%s>: %s\n", qe->id, qe->env.sender, e.msg);
	else
		flush_one(f, &ne, FLUSH_NOW);
	queue_entry_free(&ne);
}

/* The settings alert_command and the log go by: the group's, else the
 * flush's own. */
static const struct settings *
settings_of(const struct flusher *f)
{
	return f->resolved ? &f->st : f->own;
}

/* Take the refused (or, when expired or bounced, all) recipients out of
 * qe, tell the sender and alert_command about them; how many. */
static size_t
give_up(struct flusher *f, struct queue_entry *qe, const struct outcome *o,
    enum notice_reason why)
{
	struct notice_rcpt *gone = calloc(qe->env.rcpts.n + 1, sizeof(*gone));
	size_t i, n = 0;

	if (gone == NULL)
		return 0;	/* they stay queued: nothing is lost */
	for (i = 0; i < o->n; i++) {
		const struct rcpt_result *rr = &o->rcpts[i];

		if (why == NOTICE_REFUSED && rr->state != RCPT_REFUSED)
			continue;
		gone[n].addr = rr->addr;
		gone[n].reply = rr->reply[0] ? rr->reply :
		    qe->last_error ? qe->last_error : "";
		gone[n].enhanced = rr->enhanced;
		if (why != NOTICE_BOUNCED)	/* --bounce was asked for */
			fprintf(stderr, "mailout: %s: <%s>: %s: %s\n", qe->id,
			    rr->addr, why == NOTICE_EXPIRED ? "expired after "
			    "queue_lifetime" : "refused", gone[n].reply);
		n++;
	}
	if (n > 0 && !(why == NOTICE_REFUSED && f->caller_told)) {
		notify_sender(f, qe, gone, n, why);
		alert_given_up(settings_of(f), &f->q, qe, gone, n, why);
	}
	free(gone);
	return n;
}

static void
swap_rcpts(struct queue_entry *a, struct queue_entry *b)
{
	struct queue_entry t = *a;

	a->env.rcpts = b->env.rcpts;
	a->replies = b->replies;
	a->replies_cap = b->replies_cap;
	b->env.rcpts = t.env.rcpts;
	b->replies = t.replies;
	b->replies_cap = t.replies_cap;
}

/* Keep only what is still to do, each with its own last reply; save or
 * remove the entry. The recipients it had, which o points into, move to
 * old, freed after the log line. Returns how many are kept. */
static size_t
update_entry(struct flusher *f, struct queue_entry *qe,
    const struct outcome *o, struct queue_entry *old)
{
	const char *why = o->session.code ? o->session.msg : NULL;
	struct err e = { 0, "" };
	size_t i;

	for (i = 0; i < o->n && e.code == 0; i++) {
		const struct rcpt_result *rr = &o->rcpts[i];

		if (rr->state == RCPT_ACCEPTED || rr->state == RCPT_REFUSED)
			continue;
		if (why == NULL && rr->reply[0] != '\0')
			why = rr->reply;
		queue_entry_add_rcpt(old, rr->addr, rr->state ==
		    RCPT_DEFERRED && rr->reply[0] ? rr->reply : NULL, &e);
	}
	if (e.code == 0)
		swap_rcpts(qe, old);
	if (e.code == 0 && qe->env.rcpts.n == 0) {
		queue_remove(&f->q, qe->id, &e);
	} else if (e.code == 0) {
		queue_entry_set(&qe->last_error, why ? why : "not sent", &e);
		qe->error_kind = outcome_failure(o);
		if (qe->error_kind == FAILURE_NONE)
			qe->error_kind = FAILURE_TEMPORARY;
		qe->attempts++;
		qe->next_try = flush_next_try(f->now, qe->attempts);
		if (e.code == 0)
			queue_save(&f->q, qe, &e);
		trace_note("%s: still queued: %s", qe->id, qe->last_error);
	}
	if (e.code != 0)
		fprintf(stderr, "mailout: %s: %s\n", qe->id, e.msg);
	return qe->env.rcpts.n;
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
		/* the reply's own, not RCPT's 2.1.5 */
		memcpy(rr->enhanced, o->session_enhanced, sizeof(rr->enhanced));
	}
}

/* The group's session could not be opened for an AUTH or TLS reason. */
static void
alert_session(struct flusher *f, const struct queue_entry *qe,
    const struct outcome *o)
{
	struct message_info mi;
	struct alert a;

	if (!f->resolved)
		return;
	message_info_init(&mi, &f->st, qe->env.sender, NULL, -1);
	if (alert_of_outcome(&a, o, qe->id, qe->env.sender, mi.host))
		alert_raise(&f->st, &f->q, &a);
}

static void
send_entry(struct flusher *f, struct queue_entry *qe, struct outcome *o)
{
	struct message_source src;
	bool known = f->group_err.code != 0;

	if (ensure_session(f, &o->session_stage, &o->session) < 0) {
		if (!known)	/* once for the group */
			alert_session(f, qe, o);
		return;
	}
	if (queue_message(&f->q, qe->id, &src, &o->session) < 0)
		return;
	f->st.dsn_envid = qe->envid;
	transaction_send(&f->ss, &f->st, &qe->env, &src, o);
	outcome_set_relay(o, f->ss.relay_label);
	message_close(&src);
	f->sent_on_session++;
	if (o->session.code != 0)	/* the session's state is unknown */
		session_close(&f->ss);
	refuse_undecided(o);
}

/* "sent", "deferred", or "1 sent, 2 deferred" when they are mixed; then
 * the reason. */
static void
describe(struct flush_report *r, const char *gone_word, const char *why)
{
	const size_t counts[] = { r->accepted, r->refused, r->given_up,
	    r->deferred };
	const char *const words[] = { "sent", "refused", gone_word,
	    "deferred" };
	size_t i, kinds = 0, len = 0;

	for (i = 0; i < 4; i++)
		kinds += counts[i] > 0;
	for (i = 0; i < 4 && len < sizeof(r->detail); i++) {
		if (counts[i] == 0)
			continue;
		if (kinds == 1)
			len += (size_t)snprintf(r->detail, sizeof(r->detail),
			    "%s", words[i]);
		else
			len += (size_t)snprintf(r->detail + len,
			    sizeof(r->detail) - len, "%s%zu %s",
			    len ? ", " : "", counts[i], words[i]);
	}
	if (why != NULL && why[0] != '\0' && len < sizeof(r->detail))
		snprintf(r->detail + len, sizeof(r->detail) - len, ": %s", why);
}

/* The first refusal's reply, for the line of an entry given up. */
static const char *
first_refusal(const struct outcome *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->rcpts[i].state == RCPT_REFUSED)
			return o->rcpts[i].reply;
	return NULL;
}

/* Try qe now, or give it up (expired, or --bounce); the queue is
 * updated and the log written. o: its recipients, their fates. */
static void
attempt_with(struct flusher *f, struct queue_entry *qe, bool expired,
    enum flush_mode mode, struct flush_report *r, struct outcome *o)
{
	struct queue_entry old;
	struct message_info mi;

	memset(&old, 0, sizeof(old));
	if (expired || mode == FLUSH_GIVE_UP) {
		err_set(&o->session, EX_TEMPFAIL, "%s", qe->last_error ?
		    qe->last_error : expired ? "expired" : "bounced");
		r->given_up = give_up(f, qe, o, expired ? NOTICE_EXPIRED :
		    NOTICE_BOUNCED);
		queue_remove(&f->q, qe->id, &o->session);
		r->result = FLUSH_GAVE_UP;
		describe(r, expired ? "expired" : "bounced", qe->last_error);
	} else {
		send_entry(f, qe, o);
		r->refused = give_up(f, qe, o, NOTICE_REFUSED);
		r->accepted = outcome_count(o, RCPT_ACCEPTED);
		r->deferred = update_entry(f, qe, o, &old);
		if (r->accepted > 0)
			queue_stamp_delivery(&f->q);
		r->result = r->deferred > 0 ? FLUSH_DEFERRED :
		    r->accepted == o->n ? FLUSH_SENT : FLUSH_GAVE_UP;
		describe(r, "given up", r->deferred > 0 ? qe->last_error :
		    first_refusal(o));
	}
	if (f->resolved) {
		message_info_init(&mi, &f->st, qe->env.sender, qe->message_id,
		    qe->size);
		maillog_write(&f->st, &mi, o, outcome_exit_code(o));
	}
	queue_entry_free(&old);
}

/* attempt_with, for qe's own recipients. */
static void
attempt(struct flusher *f, struct queue_entry *qe, bool expired,
    enum flush_mode mode, struct flush_report *r)
{
	struct outcome o;
	struct err e;

	if (outcome_init(&o, &qe->env.rcpts, &e) < 0) {
		r->result = FLUSH_DEFERRED;	/* as it was: still queued */
		snprintf(r->detail, sizeof(r->detail), "not tried: out of "
		    "memory");
		return;
	}
	attempt_with(f, qe, expired, mode, r, &o);
	free(o.rcpts);
}

/* What another process may have changed in qe since it was listed, from
 * fresh. The rest stays: the group's settings point into it. */
static void
refresh_entry(struct queue_entry *qe, struct queue_entry *fresh)
{
	char *error = qe->last_error;

	swap_rcpts(qe, fresh);
	qe->last_error = fresh->last_error;
	fresh->last_error = error;
	qe->error_kind = fresh->error_kind;
	qe->held = fresh->held;
	qe->attempts = fresh->attempts;
	qe->next_try = fresh->next_try;
	qe->owner = fresh->owner;
}

/*
 * Lock qe and read it again: another process may have changed it since
 * it was listed (held, removed, sent). 1: it is ours, *lock holds it;
 * 0: another process has it; -1: it is gone.
 */
static int
take_entry(struct flusher *f, struct queue_entry *qe, int *lock)
{
	struct queue_entry fresh;
	struct err e = { 0, "" };

	if ((*lock = queue_entry_lock(&f->q, qe->id, &e)) < 0)
		return e.code == EX_TEMPFAIL ? 0 : -1;
	if (queue_load(&f->q, qe->id, &fresh, &e) < 0) {
		queue_entry_free(&fresh);
		close(*lock);
		*lock = -1;
		return -1;
	}
	refresh_entry(qe, &fresh);
	queue_entry_free(&fresh);
	return 1;
}

/* "<a@example.org>, <b@example.org> and 3 more" */
static void
name_rcpts(char *buf, size_t n, const struct queue_entry *qe)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < qe->env.rcpts.n && i < LINE_RCPTS_MAX && len < n;
	    i++)
		len += (size_t)snprintf(buf + len, n - len, "%s<%s>",
		    i ? ", " : "", qe->env.rcpts.v[i]);
	if (i < qe->env.rcpts.n && len < n)
		snprintf(buf + len, n - len, " and %zu more",
		    qe->env.rcpts.n - i);
}

static void
tell(struct flusher *f, const struct flush_report *r)
{
	f->counts[r->result]++;
	if (trace_level() >= 1)
		fprintf(stderr, "mailout: %s: %s: %s\n", r->id, r->rcpts,
		    r->detail);
	if (f->rq->told != NULL)
		f->rq->told(f->rq->arg, r);
}

/* What mode asks of qe, told; FLUSH_RESULTS when it is gone. */
static enum flush_result
flush_one(struct flusher *f, struct queue_entry *qe, enum flush_mode mode)
{
	struct flush_report r;
	bool expired;
	int lock, taken = take_entry(f, qe, &lock);
	char next[16];

	if (taken < 0)
		return FLUSH_RESULTS;	/* removed meanwhile */
	memset(&r, 0, sizeof(r));
	r.id = qe->id;
	name_rcpts(r.rcpts, sizeof(r.rcpts), qe);
	expired = f->resolved && f->now - qe->created >= f->st.queue_lifetime;
	if (taken == 0) {
		r.result = FLUSH_BUSY;
		snprintf(r.detail, sizeof(r.detail), "busy: another mailout "
		    "is sending it or acting on it");
	} else if (qe->held && mode != FLUSH_GIVE_UP) {
		r.result = FLUSH_HELD;
		snprintf(r.detail, sizeof(r.detail), "held");
	} else if (!expired && mode == FLUSH_DUE && qe->next_try > f->now) {
		r.result = FLUSH_WAITING;
		when_age(next, sizeof(next), (long long)(qe->next_try - f->now));
		snprintf(r.detail, sizeof(r.detail), "waiting: next try in %s",
		    next);
	} else {
		attempt(f, qe, expired, mode, &r);
	}
	if (lock >= 0)
		close(lock);
	tell(f, &r);
	return r.result;
}

/* ---- the whole queue ---- */

static void
print_summary(const struct flusher *f)
{
	const size_t *c = f->counts;

	fprintf(stderr, "mailout: flush of %s: %zu sent, %zu deferred, %zu "
	    "given up, %zu waiting, %zu held, %zu busy\n", f->q.dir,
	    c[FLUSH_SENT], c[FLUSH_DEFERRED], c[FLUSH_GAVE_UP],
	    c[FLUSH_WAITING], c[FLUSH_HELD], c[FLUSH_BUSY]);
}

/* Whether an entry with this result is still in the queue and waits to
 * be sent (a held one waits for a person, not for the queue). */
static bool
still_waits(enum flush_result r)
{
	return r == FLUSH_DEFERRED || r == FLUSH_WAITING || r == FLUSH_BUSY;
}

int
flush_run(const struct settings *st, const struct flush_request *rq,
    size_t counts[FLUSH_RESULTS], struct err *e)
{
	struct flusher f;
	struct queue_entry *entries;
	const struct queue_entry *oldest = NULL;
	size_t i, n;
	int lock;

	memset(&f, 0, sizeof(f));
	f.own = st;
	f.rq = rq;
	f.now = time(NULL);
	if (queue_open(&f.q, st, e) < 0)
		return -1;
	lock = -1;
	if (!rq->shared && (lock = queue_lock(&f.q, e)) < 0) {
		queue_close(&f.q);
		return -1;
	}
	if (!rq->shared)
		queue_sweep(&f.q);
	if ((entries = load_entries(&f, &n, e)) == NULL) {
		if (lock >= 0)
			close(lock);
		queue_close(&f.q);
		return -1;
	}
	for (i = 0; i < n && (rq->stop == NULL || !*rq->stop); i++) {
		if ((i == 0 || compare_groups(&entries[i - 1], &entries[i]) != 0)
		    && begin_group(&f, &entries[i]) < 0)
			fprintf(stderr, "mailout: %s: %s\n", entries[i].id,
			    f.group_err.msg);	/* its group stays queued */
		if (still_waits(flush_one(&f, &entries[i], rq->mode)) &&
		    (oldest == NULL || entries[i].created < oldest->created))
			oldest = &entries[i];
	}
	end_group(&f);
	if (counts != NULL)
		memcpy(counts, f.counts, sizeof(f.counts));
	if (trace_level() >= 1)
		print_summary(&f);
	if (rq->ids == NULL && oldest != NULL)
		alert_queue_age(st, &f.q, oldest, f.now);
	for (i = 0; i < n; i++)
		queue_entry_free(&entries[i]);
	free(entries);
	if (lock >= 0)
		close(lock);
	queue_close(&f.q);
	return 0;
}

/* ---- a flusher that lasts ---- */

struct flusher *
flusher_new(struct queue *q, const struct settings *st,
    const struct flush_request *rq)
{
	struct flusher *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->q = *q;
	f->own = st;
	f->rq = rq;
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

void
flusher_send(struct flusher *f, struct queue_entry *qe, struct outcome *o,
    bool caller_told)
{
	struct flush_report r;

	f->now = time(NULL);
	f->caller_told = caller_told;
	/* each message its own try, as a direct send: a relay that failed
	 * the last one may take this one (a flush, which sends many at once,
	 * keeps the group's failure for the rest of it instead) */
	if (f->group_err.code != 0 ||
	    (f->in_group && compare_groups(&f->group, qe) != 0))
		end_group(f);
	if (!f->in_group && begin_group(f, qe) < 0)
		fprintf(stderr, "mailout: %s: %s\n", qe->id, f->group_err.msg);
	memset(&r, 0, sizeof(r));
	r.id = qe->id;
	name_rcpts(r.rcpts, sizeof(r.rcpts), qe);
	attempt_with(f, qe, false, FLUSH_NOW, &r, o);
	tell(f, &r);
}
