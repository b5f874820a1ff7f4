/* handoff.c — sending through the mailout service: decision, session,
 * replies, -q and mailq. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/handoff.h"
#include "cli/send.h"
#include "config/files.h"
#include "config/mailname.h"
#include "config/sysdirs.h"
#include "lib/trace.h"
#include "lib/util.h"
#include "lib/xtext.h"
#include "queue/health.h"
#include "queue/ops.h"

/* ---- the decision ---- */

/* The keys that say where or how to connect: an invocation that sets
 * one means a server of its own choice. */
static const char *const connection_keys[] = {
	"host", "port", "socket", "protocol", "helo", "source_address",
	"tls", "tls_trust_file", "tls_fingerprint", "tls_cert_file",
	"tls_key_file", "tls_priorities", "auth", "user", "password_command",
	"queue_dir", "proxy", "proxy_password_command",
};

static bool
sets_connection(const struct options *o)
{
	size_t i;
	int j;

	for (j = 0; j < o->nsettings; j++)
		for (i = 0; i < nitems(connection_keys); i++)
			if (strcmp(o->settings[j].key, connection_keys[i]) == 0)
				return true;
	return false;
}

static bool
has_own_config(const struct options *o)
{
	struct conf_search cs;
	struct err e;

	if (conf_search(&cs, o->config, &e) < 0 || cs.named)
		return true;
	/* the search path: the system file, then the user's */
	return cs.n > 1 && access(cs.path[1], F_OK) == 0;
}

bool
handoff_wanted(const struct options *o)
{
	struct stat sb;

	if (o->action != ACTION_SEND && o->action != ACTION_FLUSH &&
	    o->action != ACTION_LIST && o->action != ACTION_QUEUE_OP &&
	    o->action != ACTION_HEALTH)
		return false;
	if (has_own_config(o) || sets_connection(o))
		return false;
	return stat(sysdirs_service_socket(), &sb) == 0 &&
	    S_ISSOCK(sb.st_mode);
}

/* ---- the session ---- */

/* The message's settings: the built-in defaults, what the command line
 * may still say (timeout, -N, -R, --no-queue), and the service's socket. */
static int
service_settings(struct handoff *h, const struct options *o, struct err *e)
{
	struct settings *st = &h->st;
	int i;

	settings_defaults(st);
	for (i = 0; i < o->nsettings; i++)
		if (settings_set(st, o->settings[i].key, o->settings[i].value,
		    e) < 0)
			return -1;
	/* the service relays before it answers: its replies after the
	 * message may take as long as a whole session with the relay */
	if (st->timeout <= TIMEOUT_MAX / NET_SESSION_TIMEOUTS)
		st->timeout *= NET_SESSION_TIMEOUTS;
	st->socket = h->path;
	st->lmtp = true;
	st->tls = TLS_OFF;
	st->auth = "off";
	st->pipe_connect = false;
	st->chunking = false;
	st->profile = o->profile;
	settings_finish(st, local_hostname());
	return 0;
}

/* The extension's MAIL parameters: -a, -odq, --no-queue. */
static void
mail_extra(struct handoff *h, const struct options *o)
{
	char name[400];
	size_t len = 0;

	h->mail_extra[0] = '\0';
	if (o->profile != NULL) {
		xtext_encode(o->profile, name, sizeof(name));
		len += (size_t)snprintf(h->mail_extra, sizeof(h->mail_extra),
		    "XPROFILE=%s", name);
	}
	if (o->queue_only)
		len += (size_t)snprintf(h->mail_extra + len,
		    sizeof(h->mail_extra) - len, "%sXQUEUEONLY", len ? " " : "");
	if (!h->st.queue)
		snprintf(h->mail_extra + len, sizeof(h->mail_extra) - len,
		    "%sXNOQUEUE", len ? " " : "");
	h->st.queue = false;	/* the service queues, never the client */
	h->st.mail_extra = h->mail_extra[0] ? h->mail_extra : NULL;
}

/* "XMAILOUT DOMAIN=example.org" in the LHLO reply. */
static int
read_domain(struct handoff *h, struct err *e)
{
	const char *line = strstr(h->ss.smtp.hello.text, "\nXMAILOUT");
	const char *d = line ? strstr(line, " DOMAIN=") : NULL;
	size_t len;

	if (d == NULL)
		return err_set(e, EX_PROTOCOL, "%s is not the mailout service "
		    "(no XMAILOUT DOMAIN= in its LHLO reply)", h->path);
	d += strlen(" DOMAIN=");
	len = strcspn(d, " \n");
	if (len == 0 || len >= sizeof(h->domain))
		return err_set(e, EX_PROTOCOL, "the mailout service's domain "
		    "is not usable");
	memcpy(h->domain, d, len);
	h->domain[len] = '\0';
	if (settings_set(&h->st, "domain", h->domain, e) < 0)
		return -1;
	return 0;
}

/* Connect (again while its backlog is full), greeting, LHLO. 1: open;
 * 0: nobody listens on the socket; -1: e. Closed unless open. */
static int
open_session(struct handoff *h, struct err *e)
{
	enum stage stage = STAGE_CONNECT;
	time_t give_up = time(NULL) + h->st.timeout;

	for (;;) {
		if (session_open(&h->ss, &h->st, true, &stage, e) == 0)
			return 1;
		session_close(&h->ss);
		if (h->ss.state != SESSION_CLOSED || stage != STAGE_CONNECT)
			return -1;
		if (h->ss.conn.connect_errno == ECONNREFUSED ||
		    h->ss.conn.connect_errno == ENOENT)
			return 0;
		if (h->ss.conn.connect_errno != EAGAIN || time(NULL) > give_up)
			return -1;
		usleep(20000);
	}
}

static int
handoff_open(struct handoff *h, const struct options *o, struct err *e)
{
	int rc;

	memset(h, 0, sizeof(*h));
	snprintf(h->path, sizeof(h->path), "%s", sysdirs_service_socket());
	if (service_settings(h, o, e) < 0)
		return -1;
	mail_extra(h, o);
	trace_note("handing over to the mailout service at %s", h->path);
	if ((rc = open_session(h, e)) <= 0) {
		if (rc == 0)
			trace_note("nobody listens on %s: sending without the "
			    "service", h->path);
		return rc;
	}
	if (read_domain(h, e) < 0) {
		session_close(&h->ss);
		return -1;
	}
	return 1;
}

/* ---- the replies ---- */

/* "[marker] rest" at the start of rr's reply text. */
static bool
split_marker(const struct rcpt_result *rr, char *marker, size_t n,
    const char **rest)
{
	const char *t = rcpt_reply_text(rr), *end;

	if (*t != '[' || (end = strchr(t, ']')) == NULL ||
	    (size_t)(end - t) >= n)
		return false;
	snprintf(marker, n, "%.*s", (int)(end - t - 1), t + 1);
	*rest = end + 1 + (end[1] == ' ');
	return true;
}

/* rr's reply without the marker: "CODE ENH text". */
static void
set_reply(struct rcpt_result *rr, const char *text)
{
	char line[sizeof(rr->reply)];

	snprintf(line, sizeof(line), "%d%s%s %s", rr->code,
	    rr->enhanced[0] ? " " : "", rr->enhanced, text);
	memcpy(rr->reply, line, sizeof(rr->reply));
}

static bool
stage_word(const char *word, enum stage *s)
{
	return stage_of_key(word, strcspn(word, " "), s) == 0;
}

/* [failed STAGE] MSG: the transaction as a whole was refused, as a
 * direct send's session error says (69; 67 for refused = abort). */
static void
decode_failed(struct outcome *o, struct rcpt_result *rr, const char *word,
    const char *msg)
{
	enum stage stage;

	if (!stage_word(word, &stage))
		return;
	err_set(&o->session, stage == STAGE_RCPT ? EX_NOUSER : EX_UNAVAILABLE,
	    "%s", msg);
	o->session_stage = stage;
	rr->state = RCPT_PENDING;
	rr->code = 0;
	rr->reply[0] = rr->enhanced[0] = '\0';
	rr->stage = stage;
}

/* [queued ID STAGE] WHY: kept by the service; WHY is the upstream reply
 * that deferred it (4xx), or why the session ended. */
static void
decode_queued(struct outcome *o, struct rcpt_result *rr, const char *words,
    const char *why)
{
	size_t idlen = strcspn(words, " ");
	struct reply r;
	enum stage stage;

	if (words[idlen] != ' ' || !stage_word(words + idlen + 1, &stage) ||
	    idlen >= sizeof(o->queue_id))
		return;
	snprintf(o->queue_id, sizeof(o->queue_id), "%.*s", (int)idlen, words);
	rr->state = RCPT_QUEUED;
	rr->stage = stage;
	/* a 4xx reply of its own: parsed as the reply it was */
	memset(&r, 0, sizeof(r));
	if (why[0] == '4' && reply_add_line(&r, &(size_t){ 0 }, why,
	    strlen(why), &(struct err){ 0, "" }) == 1) {
		rr->code = r.code;
		memcpy(rr->enhanced, r.enhanced, sizeof(rr->enhanced));
		reply_oneline(&r, rr->reply, sizeof(rr->reply));
		return;
	}
	rr->code = 0;
	rr->reply[0] = rr->enhanced[0] = '\0';
	if (o->session.code == 0) {
		err_set(&o->session, EX_TEMPFAIL, "%s", why);
		o->session_stage = stage;
	}
}

static void
decode_one(struct outcome *o, struct rcpt_result *rr)
{
	char marker[128];
	const char *rest;
	enum stage stage;

	if (rr->stage != STAGE_DATA || rr->code == 0 ||
	    !split_marker(rr, marker, sizeof(marker), &rest))
		return;
	if (strcmp(marker, "sent") == 0) {
		set_reply(rr, rest);
	} else if (strncmp(marker, "failed ", 7) == 0) {
		decode_failed(o, rr, marker + 7, rest);
	} else if (strncmp(marker, "queued ", 7) == 0) {
		decode_queued(o, rr, marker + 7, rest);
	} else if (stage_word(marker, &stage)) {
		rr->stage = stage;	/* refused there, or deferred */
		set_reply(rr, rest);
	}
}

void
handoff_decode(struct outcome *o)
{
	size_t i, pending = 0;

	for (i = 0; i < o->n; i++)
		decode_one(o, &o->rcpts[i]);
	for (i = 0; i < o->n; i++)
		pending += o->rcpts[i].state == RCPT_PENDING &&
		    o->rcpts[i].rcpt_ok;
	/* the service took the message and said nothing of it: it may
	 * have kept it, it may not; the exit status says not sent */
	if (pending > 0 && o->session_stage == STAGE_DATA &&
	    (o->session.code == EX_TEMPFAIL || o->session.code == EX_PROTOCOL))
		err_set(&o->session, EX_TEMPFAIL, "the mailout service did not "
		    "answer after the message (%.300s): it may not have been "
		    "sent", o->session.msg);
}

/* ---- -q and mailq ---- */

/* One reply line of a long answer, each within its own time. */
static int
read_line(struct handoff *h, char *line, size_t n, struct err *e)
{
	size_t len;
	int rc;

	net_start_deadline(&h->ss.conn);
	if ((rc = net_read_line(&h->ss.conn, line, n, &len, e)) < 0)
		return -1;
	if (rc > 0)
		return err_set(e, EX_TEMPFAIL, "the mailout service closed "
		    "the connection");
	trace_line('S', line, len);
	return 0;
}

/* One line of a long answer as a reply of its own: 1 when it is the
 * last line, 0 when more follow, -1 on error. */
static int
read_reply_line(struct handoff *h, struct reply *r, struct err *e)
{
	char line[REPLY_LINE_MAX + 1];

	if (read_line(h, line, sizeof(line), e) < 0)
		return -1;
	memset(r, 0, sizeof(*r));
	return reply_add_line(r, &(size_t){ 0 }, line, strlen(line), e);
}

/* XFLUSH: the lines before the last are what a flush says (a refused
 * recipient, an entry it cannot send), shown as a flush shows them. */
static int
flush_through(struct handoff *h, struct err *e)
{
	struct reply r;
	int last;

	if (smtp_queue(&h->ss.smtp, e, "XFLUSH") < 0 ||
	    smtp_flush(&h->ss.smtp, e) < 0)
		return -1;
	/* a flush of many entries: each line within the timeout */
	h->ss.conn.session_deadline = LLONG_MAX;
	do {
		if ((last = read_reply_line(h, &r, e)) < 0)
			return -1;
		if (!last)
			fprintf(stderr, "mailout: %s\n", r.text);
	} while (!last);
	return smtp_expect(&r, 2, "XFLUSH", e);
}

/* The text after a reply, up to ".", dots unstuffed, copied to out. */
static int
read_text(struct handoff *h, FILE *out, struct err *e)
{
	char line[REPLY_LINE_MAX + 1];

	for (;;) {
		if (read_line(h, line, sizeof(line), e) < 0)
			return -1;
		if (strcmp(line, ".") == 0)
			return 0;
		fprintf(out, "%s\n", line + (line[0] == '.'));
	}
}

/* XQUEUE: a reply, then the listing up to "."; with json, mailq's JSON
 * (-bp --report json). */
static int
list_through(struct handoff *h, bool json, FILE *out, struct err *e)
{
	struct reply r;

	if (smtp_command(&h->ss.smtp, &r, e, "XQUEUE%s", json ? " JSON" :
	    "") < 0)
		return -1;
	if (smtp_expect(&r, 2, "XQUEUE", e) < 0)
		return -1;
	return read_text(h, out, e);
}

/* XHEALTH: "250 2.0.0 STATUS: ...", then the plugin's (or Prometheus')
 * text up to "."; returns the plugin's exit status. */
static int
health_through(struct handoff *h, bool prometheus, FILE *out,
    struct err *e)
{
	struct reply r;
	int status;

	if (smtp_command(&h->ss.smtp, &r, e, "XHEALTH%s", prometheus ?
	    " PROMETHEUS" : "") < 0)
		return -1;
	if (smtp_expect(&r, 2, "XHEALTH", e) < 0)
		return -1;
	if (sscanf(r.text + strlen(r.enhanced), " %d:", &status) != 1)
		return err_set(e, EX_PROTOCOL, "XHEALTH: no status in the "
		    "reply");
	if (read_text(h, out, e) < 0)
		return -1;
	return status;
}

/* IDs an XOP line carries at most: well within a command line. */
#define XOP_IDS_MAX 20
#define XOP_LINE_MAX 1000

/* One XOP command for up to XOP_IDS_MAX IDs; each "CODE ID: what became
 * of it" line is told as a direct run tells it; *status takes the first
 * CODE that is not 0. */
static int
queue_op_batch(struct handoff *h, const struct options *o, int first,
    int n, int *status, struct err *e)
{
	char cmd[XOP_LINE_MAX];
	struct reply r;
	size_t len;
	int i, code, last, used;

	len = (size_t)snprintf(cmd, sizeof(cmd), "XOP %s",
	    queue_op_name(o->queue_op));
	for (i = first; i < first + n && len < sizeof(cmd); i++)
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, " %s",
		    o->recipients[i]);
	if (len >= sizeof(cmd))
		return err_set(e, EX_USAGE, "an ID is too long");
	if (smtp_queue(&h->ss.smtp, e, "%s", cmd) < 0)
		return -1;
	if (smtp_flush(&h->ss.smtp, e) < 0)
		return -1;
	do {
		if ((last = read_reply_line(h, &r, e)) < 0)
			return -1;
		used = 0;
		if (last || sscanf(r.text, "%d %n", &code, &used) < 1 ||
		    used == 0)
			continue;
		if (code != 0 || o->verbose)
			fprintf(stderr, "mailout: %s\n", r.text + used);
		if (*status == EX_OK)
			*status = code;
	} while (!last);
	return smtp_expect(&r, 2, "XOP", e);
}

/* --remove, --bounce, --hold, --release, --send through the service. */
static int
queue_op_through(struct handoff *h, const struct options *o, struct err *e)
{
	int i, n, status = EX_OK;

	for (i = 0; i < o->nrecipients; i += n) {
		n = o->nrecipients - i < XOP_IDS_MAX ? o->nrecipients - i :
		    XOP_IDS_MAX;
		if (queue_op_batch(h, o, i, n, &status, e) < 0)
			return -1;
	}
	return status;
}

/* The action of the command line through the service; its exit status. */
static int
run_through(struct handoff *h, const struct options *o)
{
	bool prometheus = cli_prometheus(o);
	struct err e = { 0, "" };
	int status;

	switch (o->action) {
	case ACTION_FLUSH:
		return flush_through(h, &e) < 0 ? err_report(&e) : EX_OK;
	case ACTION_LIST:
		return list_through(h, o->report == REPORT_JSON, stdout,
		    &e) < 0 ? err_report(&e) : EX_OK;
	case ACTION_QUEUE_OP:
		status = queue_op_through(h, o, &e);
		return status < 0 ? err_report(&e) : status;
	case ACTION_HEALTH:
		status = health_through(h, prometheus, stdout, &e);
		return status < 0 ? health_unknown(&e, prometheus, stdout) :
		    status;
	default:
		return send_message(o, &h->st, NULL, &h->ss);
	}
}

bool
handoff_run(const struct options *o, int *status)
{
	struct handoff h;
	struct err e = { 0, "" };
	int rc = handoff_open(&h, o, &e);

	if (rc == 0)
		return false;
	if (rc < 0) {
		*status = err_report(&e);
		return true;
	}
	*status = run_through(&h, o);
	session_close(&h.ss);
	return true;
}
