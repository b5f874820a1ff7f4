/* submit.c — the service's side of each command: envelope, queue, replies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/xtext.h"
#include "message/header.h"
#include "service/control.h"
#include "service/policy.h"
#include "service/relay.h"
#include "service/submit.h"

void
submission_init(struct submission *sub, struct service *sv)
{
	memset(sub, 0, sizeof(*sub));
	sub->sv = sv;
	sub->w.fd = -1;
}

/* The transaction's state goes; who the client is stays. */
static void
forget_transaction(struct submission *sub)
{
	size_t i;

	for (i = 0; i < sub->nrcpts; i++) {
		free(sub->rcpts[i].addr);
		addr_list_free(&sub->rcpts[i].targets);
	}
	free(sub->rcpts);
	sub->rcpts = NULL;
	sub->nrcpts = 0;
	envelope_free(&sub->env);
	memset(&sub->env, 0, sizeof(sub->env));
	free(sub->profile);
	sub->profile = NULL;
	sub->envid[0] = sub->dsn_notify[0] = '\0';
	sub->dsn_return = NULL;
	sub->queue_only = sub->noqueue = false;
	queue_discard(&sub->sv->q, &sub->w);
	sub->failed.code = 0;
	sub->header_at = 0;
	sub->header_octets = 0;
	sub->message_id[0] = '\0';
}

void
submission_free(struct submission *sub)
{
	forget_transaction(sub);
}

/* ---- MAIL ---- */

static int
bad_parameter(const struct command_param *pm, struct service_reply *r)
{
	service_reply_set(r, 555, "5.5.4", "Unsupported parameter %s",
	    pm->name);
	return -1;
}

/* The reply extension's parameters (submit.h), for local clients that
 * were offered it. */
static int
service_parameter(struct submission *sub, const struct command_param *pm,
    char *profile, size_t n, struct service_reply *r)
{
	if (strcmp(pm->name, "XPROFILE") == 0 && pm->value != NULL) {
		if (xtext_decode(pm->value, profile, n) < 0 || *profile == '\0')
			return bad_parameter(pm, r);
	} else if (strcmp(pm->name, "XQUEUEONLY") == 0 && pm->value == NULL) {
		sub->queue_only = true;
	} else if (strcmp(pm->name, "XNOQUEUE") == 0 && pm->value == NULL) {
		sub->noqueue = true;
	} else {
		return bad_parameter(pm, r);
	}
	return 0;
}

/* One MAIL parameter (RFC 1870, 6152, 6531, 3461), or the extension's. */
static int
mail_parameter(struct server *s, struct submission *sub,
    const struct command_param *pm, char *profile, size_t n,
    struct service_reply *r)
{
	const char *v = pm->value ? pm->value : "";

	if (strcmp(pm->name, "SIZE") == 0) {
		if (strtoll(v, NULL, 10) > sub->sv->size_max) {
			service_reply_set(r, 552, "5.3.4", "Message too big: "
			    "at most %lld octets", sub->sv->size_max);
			return -1;
		}
	} else if (strcmp(pm->name, "BODY") == 0) {
		if (strcasecmp(v, "7BIT") != 0 && strcasecmp(v, "8BITMIME") != 0)
			return bad_parameter(pm, r);
		sub->env.body = strcasecmp(v, "7BIT") == 0 ? BODY_7BIT :
		    BODY_8BITMIME;
	} else if (strcmp(pm->name, "SMTPUTF8") == 0 && pm->value == NULL) {
		sub->env.needs_smtputf8 = true;
	} else if (strcmp(pm->name, "RET") == 0) {
		if (strcasecmp(v, "FULL") != 0 && strcasecmp(v, "HDRS") != 0)
			return bad_parameter(pm, r);
		sub->dsn_return = strcasecmp(v, "FULL") == 0 ? "full" : "hdrs";
	} else if (strcmp(pm->name, "ENVID") == 0) {
		if (xtext_decode(v, sub->envid, sizeof(sub->envid)) < 0)
			return bad_parameter(pm, r);
	} else if (pm->name[0] == 'X' && s->domain != NULL) {
		return service_parameter(sub, pm, profile, n, r);
	} else if (strcmp(pm->name, "AUTH") != 0) {
		return bad_parameter(pm, r);
	}
	return 0;
}

/* The profile the message goes out with: the one named (XPROFILE),
 * else the one the service's configuration chooses for the sender. */
static int
choose_profile(struct submission *sub, const char *named,
    struct conf_choice *ch, struct service_reply *r)
{
	struct err e;

	if (conf_choose(sub->sv->cf, named, *sub->env.sender ?
	    sub->env.sender : NULL, ch, &e) < 0) {
		service_reply_set(r, 550, "5.7.1", "No profile \"%.100s\" in "
		    "the service's configuration", named);
		return -1;
	}
	if (ch->profile != NULL && (sub->profile = strdup(ch->profile)) ==
	    NULL) {
		service_reply_set(r, 452, "4.3.0", "Out of memory");
		return -1;
	}
	return 0;
}

/* The policy (policy.h): the profile is one the caller may use, the
 * sender one it may give, and it has not sent too many this minute. */
static int
check_policy(struct submission *sub, const struct conf_choice *ch,
    struct service_reply *r)
{
	struct service *sv = sub->sv;
	struct resolve_request rq = sv->rq;
	struct conf_choice again;
	struct settings st;
	struct err e;

	rq.profile = ch->profile;
	rq.sender = sub->env.sender;
	if (resolve_loaded(&rq, sv->cf, &st, &again, &e) < 0) {
		fprintf(stderr, "mailout serve: %s\n", e.msg);
		service_reply_set(r, 451, "4.3.0", "The service's "
		    "configuration is broken; its administrator is told");
		return -1;
	}
	if (!policy_user_allowed(conf_profile_value(sv->cf, ch->profile,
	    "users"), &sub->caller)) {
		service_reply_set(r, 550, "5.7.1", "You may not use profile "
		    "\"%s\"", ch->profile);
		return -1;
	}
	if (!policy_sender_allowed(&st, &sub->caller, sv->st.domain,
	    sub->env.sender)) {
		service_reply_set(r, 550, "5.7.1", "You may not send as <%s>: "
		    "allow_from_override is off", sub->env.sender);
		return -1;
	}
	if (!rate_take(sv->rates, &sub->caller, sv->st.rate_limit,
	    time(NULL))) {
		service_reply_set(r, 451, "4.7.1", "Rate limit: at most %d "
		    "messages a minute; try again later", sv->st.rate_limit);
		return -1;
	}
	return 0;
}

static int
submit_mail(struct server *s, const struct command *c,
    struct service_reply *r)
{
	struct submission *sub = s->ctx;
	char profile[COMMAND_LINE_MAX] = "";
	struct conf_choice ch;
	int i;

	forget_transaction(sub);
	snprintf(sub->env.sender, sizeof(sub->env.sender), "%s", c->path);
	for (i = 0; i < c->nparams; i++)
		if (mail_parameter(s, sub, &c->params[i], profile,
		    sizeof(profile), r) < 0)
			return -1;
	sub->env.needs_smtputf8 |= !addr_is_ascii(sub->env.sender);
	if (choose_profile(sub, *profile ? profile : NULL, &ch, r) < 0)
		return -1;
	return check_policy(sub, &ch, r);
}

/* ---- RCPT ---- */

/* The address the way the service's configuration sees it: a name
 * without "@", or one at the service's own domain, goes through its
 * aliases (cron's "root"). */
static int
expand(struct submission *sub, const char *addr, struct addr_list *out,
    struct service_reply *r)
{
	const struct settings *st = &sub->sv->st;
	const char *at = strrchr(addr, '@');
	char local[ADDR_MAX + 1];
	struct err e;

	if (at != NULL && st->aliases != NULL &&
	    strcasecmp(at + 1, sub->sv->st.domain) == 0) {
		snprintf(local, sizeof(local), "%.*s", (int)(at - addr), addr);
		addr = local;
	}
	if (envelope_add_recipient(st, addr, out, &e) < 0) {
		service_reply_set(r, 451, "4.3.0", "Cannot expand <%.256s>: "
		    "%s", addr, e.msg);
		return -1;
	}
	return 0;
}

static int
rcpt_parameter(struct submission *sub, const struct command_param *pm,
    struct service_reply *r)
{
	if (strcmp(pm->name, "ORCPT") == 0)
		return 0;
	if (strcmp(pm->name, "NOTIFY") != 0 || pm->value == NULL ||
	    strlen(pm->value) >= sizeof(sub->dsn_notify))
		return bad_parameter(pm, r);
	/* one NOTIFY for the message (a setting of the queue entry): the
	 * first recipient's */
	if (sub->dsn_notify[0] == '\0')
		snprintf(sub->dsn_notify, sizeof(sub->dsn_notify), "%s",
		    pm->value);
	return 0;
}

static int
add_targets(struct submission *sub, struct rcpt_in *in,
    struct service_reply *r)
{
	struct err e;
	size_t i;

	if (sub->env.rcpts.n + in->targets.n > ADDR_LIST_MAX) {
		service_reply_set(r, 452, "4.5.3", "Too many recipients after "
		    "aliases");
		return -1;
	}
	for (i = 0; i < in->targets.n; i++) {
		if (addr_list_add(&sub->env.rcpts, in->targets.v[i], &e) < 0) {
			service_reply_set(r, 452, "4.3.0", "Out of memory");
			return -1;
		}
		sub->env.needs_smtputf8 |= !addr_is_ascii(in->targets.v[i]);
	}
	return 0;
}

static int
submit_rcpt(struct server *s, const struct command *c,
    struct service_reply *r)
{
	struct submission *sub = s->ctx;
	struct rcpt_in in = { 0 }, *more;
	int i;

	for (i = 0; i < c->nparams; i++)
		if (rcpt_parameter(sub, &c->params[i], r) < 0)
			return -1;
	if (expand(sub, c->path, &in.targets, r) < 0)
		goto fail;
	if (in.targets.n == 0) {
		service_reply_set(r, 550, "5.1.1", "<%.256s>: its alias names "
		    "no address", c->path);
		goto fail;
	}
	if ((in.addr = strdup(c->path)) == NULL || (more = reallocarray(
	    sub->rcpts, sub->nrcpts + 1, sizeof(*more))) == NULL) {
		service_reply_set(r, 452, "4.3.0", "Out of memory");
		goto fail;
	}
	sub->rcpts = more;
	if (add_targets(sub, &in, r) < 0)
		goto fail;
	sub->rcpts[sub->nrcpts++] = in;
	return 0;
fail:
	free(in.addr);
	addr_list_free(&in.targets);
	return -1;
}

/* ---- DATA ---- */

/* "Received:" on top (RFC 5321 4.4): who handed the message over. */
static int
write_received(struct submission *sub, struct server *s, struct err *e)
{
	char date[64], text[700];
	int n;

	header_date(date, sizeof(date), time(NULL));
	if (s->lmtp)
		n = snprintf(text, sizeof(text), "Received: by %s (mailout "
		    "service, from uid %lld %s)\r\n\tid %s; %s\r\n",
		    sub->sv->hostname, sub->caller.uid, sub->caller.name,
		    sub->w.id, date);
	else
		n = snprintf(text, sizeof(text), "Received: from [%s] by %s "
		    "(mailout service) with ESMTP\r\n\tid %s; %s\r\n",
		    sub->peer, sub->sv->hostname, sub->w.id, date);
	return queue_write(&sub->sv->q, &sub->w, text, (size_t)n, e);
}

static int
submit_data_begin(struct server *s, struct service_reply *r)
{
	struct submission *sub = s->ctx;
	struct err e;

	if (queue_create(&sub->sv->q, &sub->w, &e) < 0 ||
	    write_received(sub, s, &e) < 0) {
		fprintf(stderr, "mailout serve: %s\n", e.msg);
		queue_discard(&sub->sv->q, &sub->w);
		service_reply_set(r, 451, "4.3.0", "Cannot queue the message "
		    "now");
		return -1;
	}
	return 0;
}

enum { HDR_LINE_START, HDR_LINE, HDR_BODY };

/* The Message-ID at buf[i..len), for the log: only when the whole
 * field is in this piece of the message, which it nearly always is. */
static void
take_message_id(struct submission *sub, const char *buf, size_t i,
    size_t len)
{
	static const char mid[] = "Message-ID:";
	size_t v = i + sizeof(mid) - 1, end;

	if (len - i < sizeof(mid) || strncasecmp(buf + i, mid,
	    sizeof(mid) - 1) != 0)
		return;
	while (v < len && (buf[v] == ' ' || buf[v] == '\t'))
		v++;
	for (end = v; end < len && buf[end] != '\r' && buf[end] != '\n';
	    end++)
		;
	if (end < len)
		snprintf(sub->message_id, sizeof(sub->message_id), "%.*s",
		    (int)(end - v), buf + v);
}

/* Follow the header block as it streams by: its size, its end (the
 * first empty line), and the Message-ID for the log. */
static void
header_scan(struct submission *sub, const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len && sub->header_at != HDR_BODY; i++) {
		sub->header_octets++;
		if (buf[i] == '\n') {
			sub->header_at = sub->header_at == HDR_LINE_START ?
			    HDR_BODY : HDR_LINE_START;
			continue;
		}
		if (buf[i] == '\r')
			continue;
		if (sub->header_at == HDR_LINE_START)
			take_message_id(sub, buf, i, len);
		sub->header_at = HDR_LINE;
	}
}

static int
submit_data_write(struct server *s, const char *buf, size_t len)
{
	struct submission *sub = s->ctx;

	if (memchr(buf, '\0', len) != NULL)
		return err_set(&sub->failed, EX_DATAERR, "554 5.6.0 The "
		    "message contains a NUL octet");
	header_scan(sub, buf, len);
	if (sub->header_at != HDR_BODY &&
	    sub->header_octets > HEADER_BLOCK_MAX)
		return err_set(&sub->failed, EX_DATAERR, "552 5.3.4 Header "
		    "block larger than %d octets", HEADER_BLOCK_MAX);
	if (sub->w.size + (long long)len > sub->sv->size_max)
		return err_set(&sub->failed, EX_DATAERR, "552 5.3.4 Message "
		    "too big: at most %lld octets", sub->sv->size_max);
	if (queue_write(&sub->sv->q, &sub->w, buf, len, &sub->failed) < 0) {
		fprintf(stderr, "mailout serve: %s\n", sub->failed.msg);
		return err_set(&sub->failed, EX_IOERR, "451 4.3.0 Cannot "
		    "queue the message now");
	}
	return 0;
}

/* The entry for the stored message; its recipients a copy of sub's,
 * which stay the outcome's addresses while the relay changes the
 * entry's. */
static int
fill_entry(struct submission *sub, struct queue_entry *qe, struct err *e)
{
	size_t i;

	memset(qe, 0, sizeof(*qe));
	qe->created = qe->next_try = time(NULL);
	qe->caller = sub->caller;
	snprintf(qe->env.sender, sizeof(qe->env.sender), "%s",
	    sub->env.sender);
	qe->env.body = sub->env.body;
	qe->env.needs_smtputf8 = sub->env.needs_smtputf8;
	for (i = 0; i < sub->env.rcpts.n; i++)
		if (queue_entry_add_rcpt(qe, sub->env.rcpts.v[i], NULL, e) < 0)
			return -1;
	if (queue_entry_set(&qe->profile, sub->profile, e) < 0 ||
	    queue_entry_set(&qe->envid, sub->envid[0] ? sub->envid : NULL,
	    e) < 0 || queue_entry_set(&qe->message_id, sub->message_id[0] ?
	    sub->message_id : NULL, e) < 0)
		return -1;
	if (sub->dsn_notify[0] != '\0' && queue_entry_add_setting(qe,
	    "dsn_notify", sub->dsn_notify, e) < 0)
		return -1;
	if (sub->dsn_return != NULL && queue_entry_add_setting(qe,
	    "dsn_return", sub->dsn_return, e) < 0)
		return -1;
	return 0;
}

/* Every recipient gets the same reply. */
static void
reply_all(struct server *s, const struct service_reply *r)
{
	struct submission *sub = s->ctx;
	size_t i, n = s->lmtp ? sub->nrcpts : 1;

	for (i = 0; i < n; i++)
		server_reply(s, r);
}

/* "552 5.3.4 text" from data_write's error into a reply. */
static void
failure_reply(const struct err *e, struct service_reply *r)
{
	int code = atoi(e->msg);
	char enhanced[sizeof(r->enhanced)];
	const char *enh = strchr(e->msg, ' ');
	const char *text = enh ? strchr(enh + 1, ' ') : NULL;

	if (code < 400 || enh == NULL || text == NULL) {
		service_reply_set(r, 451, "4.3.0", "%s", e->msg);
		return;
	}
	snprintf(enhanced, sizeof(enhanced), "%.*s", (int)(text - enh - 1),
	    enh + 1);
	service_reply_set(r, code, enhanced, "%s", text + 1);
}

/* The service's log line for a message. */
static void
log_message(const struct submission *sub, const struct queue_entry *qe,
    const struct outcome *o)
{
	fprintf(stderr, "mailout serve: %s: from %s (uid %lld, pid %lld): "
	    "<%s>, %zu recipient%s, %lld octets: %zu sent, %zu refused, "
	    "%zu queued\n", qe->id, sub->caller.name, sub->caller.uid,
	    sub->caller.pid, sub->env.sender, o->n, o->n == 1 ? "" : "s",
	    qe->size, outcome_count(o, RCPT_ACCEPTED),
	    outcome_count(o, RCPT_REFUSED), o->n -
	    outcome_count(o, RCPT_ACCEPTED) - outcome_count(o, RCPT_REFUSED));
}

/* With XNOQUEUE, what the relay kept goes: the client was told 4xx. */
static void
drop_kept(struct submission *sub, const struct queue_entry *qe,
    const struct outcome *o)
{
	struct err e;

	if (outcome_count(o, RCPT_ACCEPTED) + outcome_count(o, RCPT_REFUSED) <
	    o->n && queue_remove(&sub->sv->q, qe->id, &e) < 0)
		fprintf(stderr, "mailout serve: %s: %s\n", qe->id, e.msg);
}

/* The stored entry upstream now; one reply per recipient of the client
 * (LMTP), or, over SMTP, "queued" at once and the relay after it, with
 * failure notices as a flush sends them. */
static void
relay_and_reply(struct server *s, struct queue_entry *qe)
{
	struct submission *sub = s->ctx;
	struct outcome o;
	struct service_reply r;
	struct err e;
	size_t i;

	if (outcome_init(&o, &sub->env.rcpts, &e) < 0) {
		service_reply_set(&r, 250, "2.0.0", "[queued %s connect] not "
		    "tried now", qe->id);
		reply_all(s, &r);
		return;
	}
	if (!s->lmtp) {
		service_reply_set(&r, 250, "2.0.0", "Queued as %s", qe->id);
		reply_all(s, &r);
		server_flush(s);
	}
	if (sub->sv->relay != NULL && !sub->queue_only) {
		upstream_send(sub->sv->relay, qe, &o, s->lmtp);
		if (sub->noqueue)
			drop_kept(sub, qe, &o);
	} else {
		for (i = 0; i < o.n; i++)
			o.rcpts[i].state = RCPT_QUEUED;
		err_set(&o.session, EX_TEMPFAIL, "%s", sub->queue_only ?
		    "not tried (-odq)" : "not tried now");
	}
	log_message(sub, qe, &o);
	for (i = 0; s->lmtp && i < sub->nrcpts; i++) {
		upstream_reply(&o, &sub->rcpts[i].targets, qe->id, sub->noqueue,
		    &r);
		server_reply(s, &r);
	}
	free(o.rcpts);
}

static void
submit_data_end(struct server *s)
{
	struct submission *sub = s->ctx;
	struct service_reply r;
	struct queue_entry qe;
	struct err e = { 0, "" };

	if (sub->failed.code != 0) {
		failure_reply(&sub->failed, &r);
		reply_all(s, &r);
		forget_transaction(sub);
		return;
	}
	if (fill_entry(sub, &qe, &e) < 0 ||
	    queue_commit(&sub->sv->q, &sub->w, &qe, &e) < 0) {
		fprintf(stderr, "mailout serve: %s\n", e.msg);
		service_reply_set(&r, 451, "4.3.0", "Cannot queue the message "
		    "now");
		reply_all(s, &r);
	} else {
		relay_and_reply(s, &qe);
	}
	if (sub->w.fd >= 0)
		close(sub->w.fd);	/* the entry's lock */
	sub->w.fd = -1;
	queue_entry_free(&qe);
	forget_transaction(sub);
}

static void
submit_rset(struct server *s)
{
	forget_transaction(s->ctx);
}

const struct server_ops submit_ops = {
	submit_mail, submit_rcpt, submit_data_begin, submit_data_write,
	submit_data_end, submit_rset, control_run,
};
