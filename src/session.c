/*
 * session.c — connect, TLS policy, greeting, EHLO and AUTH; with early
 * pipelining (ehlocache.h) when the server offered it last time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ehlocache.h"
#include "log.h"
#include "oauth.h"
#include "secret.h"
#include "session.h"

#define SMTPS_PORT 465
#define EARLY_RETRY 1	/* attempt(): try again without early pipelining */

/* One session_open: what the attempts share. */
struct opening {
	const struct settings *st;
	struct tls_options to;
	bool verify;
	bool early_allowed;	/* settings and purpose permit it */
	bool retrying;		/* early pipelining failed once: not again */
	bool early;		/* this attempt sends EHLO before the greeting */
	struct ehlo_cache cache;
	bool have_secret;	/* fetched once, even over two attempts */
	struct err secret_err;	/* ... or failed once: code != 0 */
	struct oauth_token oauth;	/* the secret is an OAuth token */
	bool auth_queued;	/* sasl is in use until smtp_auth_reply */
	struct err auth_err;	/* queueing AUTH early failed: code != 0 */
	struct sasl sasl;
	struct sasl_creds creds;
};

/* The password or token, wiped when session_open returns. */
static char secret[SECRET_MAX];

/* tls = auto: implicit TLS on 465; STARTTLS, required, for every host
 * that is not loopback; nothing for loopback and unix sockets. */
static enum tls_mode
tls_policy(const struct settings *st, const struct conn *c)
{
	if (st->tls != TLS_AUTO)
		return st->tls;
	if (st->socket == NULL && atoi(st->port) == SMTPS_PORT)
		return TLS_IMPLICIT;
	return c->loopback ? TLS_OFF : TLS_STARTTLS;
}

static bool
auth_configured(const struct settings *st)
{
	return st->auth != NULL && strcmp(st->auth, "off") != 0;
}

/* --serverinfo (verify false) never authenticates. */
static bool
auth_wanted(const struct opening *o)
{
	return o->verify && auth_configured(o->st);
}

static const char *
auth_mechanism(const struct settings *st)
{
	return strcmp(st->auth, "on") == 0 ? NULL : st->auth;
}

static int
fetch_secret(struct opening *o, struct err *e)
{
	const char *wanted = auth_mechanism(o->st);

	if (o->have_secret)
		return 0;
	if (o->secret_err.code != 0) {
		*e = o->secret_err;
		return -1;
	}
	secret[0] = '\0';
	if (oauth_configured(o->st))
		oauth_access_token(o->st, &o->oauth, secret, sizeof(secret),
		    &o->secret_err);
	else if (wanted == NULL || sasl_lookup(wanted) != SASL_EXTERNAL) {
		if (o->st->password != NULL)
			snprintf(secret, sizeof(secret), "%s", o->st->password);
		else if (o->st->password_command == NULL)
			err_set(&o->secret_err, EX_NOPERM, "AUTH needs a "
			    "password: give --password-command, or password "
			    "or password_command in the configuration");
		else
			secret_from_command(o->st->password_command, secret,
			    sizeof(secret), &o->secret_err);
	}
	if (o->secret_err.code != 0) {
		*e = o->secret_err;
		return -1;
	}
	o->have_secret = true;
	return 0;
}

/* Queue AUTH, but never with credentials readable on the wire. */
static int
auth_queue(struct session *ss, struct opening *o, struct err *e)
{
	const struct settings *st = o->st;

	if (!ss->conn.loopback && ss->conn.io_ctx == NULL)
		return err_set(e, EX_NOPERM, "refusing to send credentials "
		    "in clear to %s, which is not a loopback host; use TLS",
		    ss->conn.peer);
	if (fetch_secret(o, e) < 0)
		return -1;
	o->creds = (struct sasl_creds){ st->user ? st->user : "", secret,
	    st->host, st->port };
	if (smtp_auth_queue(&ss->smtp, auth_mechanism(st), &o->creds,
	    &o->sasl, e) < 0)
		return -1;
	o->auth_queued = true;
	return 0;
}

static int
authenticate(struct session *ss, struct opening *o, struct err *e)
{
	if (o->auth_err.code != 0) {
		*e = o->auth_err;
		return -1;
	}
	if (!o->auth_queued && (auth_queue(ss, o, e) < 0 ||
	    smtp_flush(&ss->smtp, e) < 0))
		return -1;
	o->auth_queued = false;
	if (smtp_auth_reply(&ss->smtp, &o->sasl, e) == 0)
		return 0;
	/* once more, with a fresh token for a cached one refused */
	if (!oauth_retry(o->st, &o->oauth, e))
		return -1;
	o->have_secret = false;
	e->code = 0;
	return authenticate(ss, o, e);
}

static void
auth_abandon(struct opening *o)
{
	if (o->auth_queued)
		sasl_end(&o->sasl);
	o->auth_queued = false;
}

static int
connect_server(const struct settings *st, struct conn *c, struct err *e)
{
	if (st->socket != NULL)
		return net_connect_unix(c, st->socket, e);
	return net_connect_tcp(c, st->host, st->port, st->source_address, e);
}

/* Early: EHLO and the command after it (STARTTLS when it comes next, else
 * AUTH chosen from the capabilities kept), in one write. */
static int
early_hello_send(struct session *ss, struct opening *o,
    const struct reply *kept, bool starttls_next, struct err *e)
{
	if (smtp_hello_queue(&ss->smtp, o->st->helo, e) < 0)
		return -1;
	if (starttls_next) {
		if (smtp_queue(&ss->smtp, e, "STARTTLS") < 0)
			return -1;
	} else if (auth_wanted(o)) {
		/* a failure is reported at the AUTH stage, where it belongs */
		caps_parse(kept, &ss->smtp.caps);
		auth_queue(ss, o, &o->auth_err);
	}
	return smtp_flush(&ss->smtp, e);
}

/* Early: the EHLO reply, which must offer what the kept one did, since
 * the command after it was chosen by that. */
static int
early_hello_check(struct session *ss, struct opening *o,
    const struct reply *kept, struct err *e)
{
	if (smtp_hello_reply(&ss->smtp, o->st->helo, HELLO_PIPELINED, e) < 0)
		return -1;
	if (!ehlo_same_offer(&ss->smtp.hello, kept))
		return err_set(e, EX_PROTOCOL, "the EHLO reply differs from "
		    "the one kept");
	return 0;
}

/*
 * A step of an early attempt failed before the server's EHLO reply
 * matched the kept one: the server may have refused the early commands
 * (Exim says "554 SMTP synchronization error" once it no longer offers
 * PIPECONNECT), so the caller tries once more the ordinary way; not
 * after a timeout, which would only double the wait.
 */
static int
early_failed(const struct session *ss, const struct opening *o)
{
	return o->early && !ss->conn.timed_out ? EARLY_RETRY : -1;
}

/* After an ordinary opening: keep the EHLO replies for next time when
 * each offered early pipelining. (An entry this server no longer earns
 * is dropped when early pipelining fails with it: session_open.) */
static void
remember_offer(const struct session *ss, const struct opening *o)
{
	const struct reply *first = ss->had_pre_tls_hello ?
	    &ss->pre_tls_hello : &ss->smtp.hello;
	struct caps caps;

	if (!o->early_allowed)
		return;
	caps_parse(first, &caps);
	if ((caps.flags & CAP_PIPE_CONNECT) &&
	    (ss->smtp.caps.flags & CAP_PIPE_CONNECT))
		ehlo_cache_store(&o->cache, first, ss->had_pre_tls_hello ?
		    &ss->smtp.hello : NULL);
}

static enum hello_need
hello_need(const struct session *ss, const struct opening *o)
{
	if (ss->tls != TLS_OFF)
		return HELLO_NEEDS_TLS;
	return auth_configured(o->st) ? HELLO_NEEDS_AUTH : HELLO_NEEDS_NOTHING;
}

/* STARTTLS and the EHLO after it. */
static int
start_tls(struct session *ss, struct opening *o, enum stage *stage,
    struct err *e)
{
	ss->pre_tls_hello = ss->smtp.hello;
	ss->had_pre_tls_hello = true;
	*stage = STAGE_TLS;
	if (!o->early)
		return smtp_starttls(&ss->smtp, &o->to, e) < 0 ||
		    smtp_hello(&ss->smtp, o->st->helo, HELLO_NEEDS_TLS, e) < 0 ?
		    -1 : 0;
	if (smtp_starttls_reply(&ss->smtp, &o->to, e) < 0)
		return -1;
	if (early_hello_send(ss, o, &o->cache.after_tls, false, e) < 0 ||
	    early_hello_check(ss, o, &o->cache.after_tls, e) < 0)
		return early_failed(ss, o);
	return 0;
}

static int
attempt(struct session *ss, struct opening *o, enum stage *stage,
    struct err *e)
{
	const struct settings *st = o->st;
	int rc;

	memset(ss, 0, sizeof(*ss));
	net_init(&ss->conn, st->timeout);
	smtp_init(&ss->smtp, &ss->conn, st->lmtp);
	*stage = STAGE_CONNECT;
	if (connect_server(st, &ss->conn, e) < 0)
		return -1;
	log_note("connected to %s", ss->conn.peer);
	ss->tls = tls_policy(st, &ss->conn);
	if (o->early_allowed && !o->retrying)
		ehlo_cache_load(&o->cache, st, ss->tls);
	o->early = o->cache.found && !o->retrying;
	o->auth_err.code = 0;
	*stage = STAGE_TLS;
	if (ss->tls == TLS_IMPLICIT && tls_start(&ss->conn, &o->to, e) < 0)
		return -1;
	*stage = STAGE_GREETING;
	if (o->early && early_hello_send(ss, o, &o->cache.before_tls,
	    ss->tls == TLS_STARTTLS, e) < 0)
		return early_failed(ss, o);
	if (smtp_greeting(&ss->smtp, e) < 0)
		return early_failed(ss, o);
	*stage = STAGE_HELLO;
	if ((o->early ? early_hello_check(ss, o, &o->cache.before_tls, e) :
	    smtp_hello(&ss->smtp, st->helo, hello_need(ss, o), e)) < 0)
		return early_failed(ss, o);
	if (ss->tls == TLS_STARTTLS && (rc = start_tls(ss, o, stage, e)) != 0)
		return rc;
	if (!o->early)
		remember_offer(ss, o);
	*stage = STAGE_AUTH;
	return auth_wanted(o) ? authenticate(ss, o, e) : 0;
}

int
session_open(struct session *ss, const struct settings *st, bool verify,
    enum stage *stage, struct err *e)
{
	struct opening o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.st = st;
	o.to = st->tls_options;
	o.to.server_name = st->socket ? NULL : st->host;
	o.to.verify = verify;
	o.verify = verify;
	/* --serverinfo shows the server as an ordinary client meets it */
	o.early_allowed = verify && st->pipelining && st->pipe_connect;
	rc = attempt(ss, &o, stage, e);
	if (rc == EARLY_RETRY) {
		log_note("early pipelining failed (%s); trying again without",
		    e->msg);
		auth_abandon(&o);
		ehlo_cache_forget(&o.cache);
		ss->smtp.closing = true;	/* replies still due: no QUIT */
		session_close(ss);
		o.retrying = true;
		rc = attempt(ss, &o, stage, e);
	}
	auth_abandon(&o);
	explicit_bzero(secret, sizeof(secret));
	return rc;
}

void
session_close(struct session *ss)
{
	smtp_quit(&ss->smtp);
	tls_end(&ss->conn);
	net_close(&ss->conn);
}
