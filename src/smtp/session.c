/*
 * session.c — opening a session: connect, TLS policy, greeting, EHLO,
 * STARTTLS, AUTH; the ordinary way, or with early pipelining, where each
 * EHLO and the command after it go out before the reply they follow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/secret.h"
#include "lib/trace.h"
#include "lib/util.h"
#include "oauth/oauth.h"
#include "smtp/auth.h"
#include "smtp/ehlocache.h"
#include "smtp/relayhealth.h"
#include "smtp/session.h"
#include "transport/socks.h"

#define SMTPS_PORT 465

static const char *const state_names[] = {
	[SESSION_CONNECTING] = "connecting",
	[SESSION_TLS] = "TLS handshake",
	[SESSION_GREETING] = "greeting",
	[SESSION_HELLO] = "hello",
	[SESSION_STARTTLS] = "STARTTLS",
	[SESSION_HELLO_AFTER_TLS] = "hello after TLS",
	[SESSION_AUTH] = "AUTH",
	[SESSION_READY] = "ready",
	[SESSION_CLOSED] = "closed",
};

/* The stage a report names for a failure in each step of the opening;
 * an open or closed session leaves the outcome's stage alone. */
static const enum stage state_stages[] = {
	[SESSION_CONNECTING] = STAGE_CONNECT,
	[SESSION_TLS] = STAGE_TLS,
	[SESSION_GREETING] = STAGE_GREETING,
	[SESSION_HELLO] = STAGE_HELLO,
	[SESSION_STARTTLS] = STAGE_TLS,
	[SESSION_HELLO_AFTER_TLS] = STAGE_TLS,
	[SESSION_AUTH] = STAGE_AUTH,
};

_Static_assert(nitems(state_names) == SESSION_CLOSED + 1 &&
    nitems(state_stages) == SESSION_READY, "a state without a name");

/* Early pipelining for one session_open. */
enum early_mode {
	EARLY_OFF,		/* not for these settings or this purpose */
	EARLY_TRY,		/* use the kept EHLO reply if there is one */
	EARLY_FAILED,		/* it failed: the ordinary way, keep anew */
};

/* A password or token: fetched once, even across attempts and relays. */
enum secret_state { SECRET_NOT_YET, SECRET_READY, SECRET_FAILED };

struct secret_once {
	enum secret_state state;
	struct err err;			/* SECRET_FAILED: why */
};

/* AUTH: queued early behind EHLO, or refused before it could be. */
enum auth_state { AUTH_NOT_SENT, AUTH_QUEUED, AUTH_FAILED_EARLY };

/* One session_open: what its attempts share. */
struct opening {
	struct session *ss;
	const struct settings *all;	/* the host list's */
	struct settings relay_st;	/* the relay being tried's */
	enum stage *stage;
	bool verify;			/* false: --serverinfo */
	enum early_mode early;
	struct ehlo_cache cache;	/* found: this attempt is early */
	struct secret_once secret;	/* AUTH's */
	struct oauth_token oauth;	/* ... when it is an OAuth token */
	struct secret_once proxy_secret;	/* the SOCKS5 proxy's */
	enum auth_state auth;
	struct err auth_err;		/* AUTH_FAILED_EARLY: why */
	struct sasl sasl;		/* in use while AUTH_QUEUED */
	struct sasl_creds creds;
};

/* The password or token, and the proxy's password, wiped when
 * session_open returns. */
static char secret[SECRET_MAX];
static char proxy_secret[SECRET_MAX];

static void
set_state(struct session *ss, enum session_state state)
{
	ss->state = state;
	if (trace_level() >= 2)
		trace_note("session: %s", state_names[state]);
	if (state < SESSION_READY)
		stage_set(ss->stage, state_stages[state]);
}

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
	return o->verify && auth_configured(&o->relay_st);
}

static const char *
auth_mechanism(const struct settings *st)
{
	return strcmp(st->auth, "on") == 0 ? NULL : st->auth;
}

/* The secret AUTH sends, into secret[]: an OAuth access token, the
 * password, or none for EXTERNAL. */
static int
read_secret(struct opening *o, struct err *e)
{
	const struct settings *st = &o->relay_st;
	const char *wanted = auth_mechanism(st);

	secret[0] = '\0';
	if (oauth_configured(st))
		return oauth_access_token(st, &o->oauth, secret,
		    sizeof(secret), e);
	if (wanted != NULL && sasl_lookup(wanted) == SASL_EXTERNAL)
		return 0;
	if (st->password != NULL) {
		snprintf(secret, sizeof(secret), "%s", st->password);
		return 0;
	}
	if (st->password_command == NULL)
		return err_set(e, EX_NOPERM, "AUTH needs a password: give "
		    "--password-command, or password or password_command in "
		    "the configuration");
	return secret_from_command(st->password_command, secret,
	    sizeof(secret), e);
}

/* The proxy user's password, into proxy_secret[]. */
static int
read_proxy_secret(struct opening *o, struct err *e)
{
	const struct settings *st = &o->relay_st;

	if (st->proxy_password_command == NULL)
		return err_set(e, EX_CONFIG, "the proxy names a user: give "
		    "proxy_password_command (--proxy-password-command)");
	return secret_from_key_command("proxy_password_command",
	    st->proxy_password_command, proxy_secret, sizeof(proxy_secret), e);
}

static int
fetch_once(struct opening *o, struct secret_once *s,
    int (*read)(struct opening *, struct err *), struct err *e)
{
	if (s->state == SECRET_NOT_YET) {
		s->state = SECRET_READY;
		if (read(o, &s->err) < 0)
			s->state = SECRET_FAILED;
	}
	if (s->state == SECRET_FAILED) {
		*e = s->err;
		return -1;
	}
	return 0;
}

/* Queue AUTH, but never with credentials readable on the wire. */
static int
auth_send(struct opening *o, struct err *e)
{
	struct session *ss = o->ss;
	const struct settings *st = &o->relay_st;

	if (!ss->conn.loopback && !net_is_tls(&ss->conn))
		return err_set(e, EX_NOPERM, "refusing to send credentials "
		    "in clear to %s, which is not a loopback host; use TLS",
		    ss->conn.peer);
	if (fetch_once(o, &o->secret, read_secret, e) < 0)
		return -1;
	o->creds = (struct sasl_creds){ st->user ? st->user : "", secret,
	    st->host, st->port };
	if (auth_queue(&ss->smtp, auth_mechanism(st), &o->creds, &o->sasl,
	    e) < 0)
		return -1;
	o->auth = AUTH_QUEUED;
	return 0;
}

/* Early: queue AUTH behind EHLO; a failure is reported at the AUTH
 * stage, where it belongs. */
static void
auth_send_early(struct opening *o)
{
	if (auth_send(o, &o->auth_err) < 0)
		o->auth = AUTH_FAILED_EARLY;
}

static void
auth_abandon(struct opening *o)
{
	if (o->auth == AUTH_QUEUED)
		sasl_end(&o->sasl);
	o->auth = AUTH_NOT_SENT;
}

/* The last step of either opening. */
static int
authenticate(struct opening *o, struct err *e)
{
	struct session *ss = o->ss;

	set_state(ss, SESSION_AUTH);
	if (!auth_wanted(o))
		return 0;
	if (o->auth == AUTH_FAILED_EARLY) {
		*e = o->auth_err;
		return -1;
	}
	if (o->auth == AUTH_NOT_SENT) {
		if (auth_send(o, e) < 0)
			return -1;
		if (smtp_flush(&ss->smtp, e) < 0)
			return -1;	/* session_open abandons it */
	}
	o->auth = AUTH_NOT_SENT;	/* auth_reply ends sasl */
	if (auth_reply(&ss->smtp, &o->sasl, e) == 0)
		return 0;
	/* once more, with a fresh token for a cached one refused */
	if (!oauth_retry(&o->relay_st, &o->oauth, e))
		return -1;
	o->secret.state = SECRET_NOT_YET;
	e->code = 0;
	return authenticate(o, e);
}

/* The unix socket, the relay, or the relay through the proxy. */
static int
connect_server(struct opening *o, struct conn *c, struct err *e)
{
	const struct settings *st = &o->relay_st;
	struct socks_proxy proxy;

	if (st->socket != NULL)
		return net_connect_unix(c, st->socket, e);
	if (st->proxy == NULL)
		return net_connect_tcp(c, st->host, st->port,
		    st->source_address, e);
	if (socks_url_parse(st->proxy, &proxy) < 0)
		return err_set(e, EX_CONFIG, "proxy: not a socks5:// URL");
	if (proxy.user[0] != '\0' && fetch_once(o, &o->proxy_secret,
	    read_proxy_secret, e) < 0)
		return -1;
	return socks_connect(c, &proxy, proxy_secret, st->host, st->port,
	    o->ss->relay_label, st->source_address, e);
}

/* The first step of either opening: connect, and implicit TLS. */
static int
connect_step(struct opening *o, struct err *e)
{
	struct session *ss = o->ss;

	net_init(&ss->conn, o->relay_st.timeout);
	ss->conn.tls_start = tls_start;
	ss->conn.tls_options = &ss->tls_options;
	smtp_init(&ss->smtp, &ss->conn, o->relay_st.lmtp);
	memset(&ss->pre_tls_hello, 0, sizeof(ss->pre_tls_hello));
	set_state(ss, SESSION_CONNECTING);
	if (connect_server(o, &ss->conn, e) < 0)
		return -1;
	trace_note("connected to %s", ss->conn.peer);
	ss->tls = tls_policy(&o->relay_st, &ss->conn);
	if (ss->tls != TLS_IMPLICIT)
		return 0;
	set_state(ss, SESSION_TLS);
	return net_start_tls(&ss->conn, e);
}

static enum hello_need
hello_need(const struct opening *o)
{
	if (o->ss->tls != TLS_OFF)
		return HELLO_NEEDS_TLS;
	return auth_configured(&o->relay_st) ? HELLO_NEEDS_AUTH : HELLO_NEEDS_NOTHING;
}

/* After an ordinary opening: keep the EHLO replies for next time when
 * each offered early pipelining. (An entry this server no longer earns
 * is dropped when early pipelining fails with it: session_open.) */
static void
remember_offer(const struct opening *o)
{
	const struct session *ss = o->ss;
	bool starttls = ss->pre_tls_hello.code != 0;
	const struct reply *first = starttls ? &ss->pre_tls_hello :
	    &ss->smtp.hello;
	struct caps caps;

	if (o->early == EARLY_OFF)
		return;
	caps_parse(first, &caps);
	if ((caps.flags & CAP_PIPE_CONNECT) &&
	    (ss->smtp.caps.flags & CAP_PIPE_CONNECT))
		ehlo_cache_store(&o->cache, first, starttls ?
		    &ss->smtp.hello : NULL);
}

/* Each step waits for the reply to the last. */
static int
open_ordinary(struct opening *o, struct err *e)
{
	struct session *ss = o->ss;
	const char *helo = o->relay_st.helo;

	set_state(ss, SESSION_GREETING);
	if (smtp_greeting(&ss->smtp, e) < 0)
		return -1;
	set_state(ss, SESSION_HELLO);
	if (smtp_hello(&ss->smtp, helo, hello_need(o), e) < 0)
		return -1;
	if (ss->tls == TLS_STARTTLS) {
		ss->pre_tls_hello = ss->smtp.hello;
		set_state(ss, SESSION_STARTTLS);
		if (smtp_starttls(&ss->smtp, e) < 0)
			return -1;
		set_state(ss, SESSION_HELLO_AFTER_TLS);
		if (smtp_hello(&ss->smtp, helo, HELLO_NEEDS_TLS, e) < 0)
			return -1;
	}
	remember_offer(o);
	return authenticate(o, e);
}

/* Early: EHLO and the command after it (STARTTLS when it comes next, else
 * AUTH chosen from the capabilities kept), in one write. */
static int
early_hello_send(struct opening *o, const struct reply *kept,
    bool starttls_next, struct err *e)
{
	struct smtp *s = &o->ss->smtp;

	if (smtp_hello_queue(s, o->relay_st.helo, e) < 0)
		return -1;
	if (starttls_next) {
		if (smtp_queue(s, e, "STARTTLS") < 0)
			return -1;
	} else if (auth_wanted(o)) {
		caps_parse(kept, &s->caps);
		auth_send_early(o);
	}
	return smtp_flush(s, e);
}

/* Early: the EHLO reply, which must offer what the kept one did, since
 * the command after it was chosen by that. */
static int
early_hello_check(struct opening *o, const struct reply *kept,
    struct err *e)
{
	struct smtp *s = &o->ss->smtp;

	if (smtp_hello_reply(s, o->relay_st.helo, HELLO_PIPELINED, e) < 0)
		return -1;
	if (!ehlo_same_offer(&s->hello, kept))
		return err_set(e, EX_PROTOCOL, "the EHLO reply differs from "
		    "the one kept");
	return 0;
}

/* Each EHLO goes out before the reply it follows (the greeting, the
 * handshake), with the command after it. */
static int
open_early(struct opening *o, struct err *e)
{
	struct session *ss = o->ss;
	bool starttls = ss->tls == TLS_STARTTLS;

	set_state(ss, SESSION_GREETING);
	if (early_hello_send(o, &o->cache.before_tls, starttls, e) < 0)
		return -1;
	if (smtp_greeting(&ss->smtp, e) < 0)
		return -1;
	set_state(ss, SESSION_HELLO);
	if (early_hello_check(o, &o->cache.before_tls, e) < 0)
		return -1;
	if (starttls) {
		ss->pre_tls_hello = ss->smtp.hello;
		set_state(ss, SESSION_STARTTLS);
		if (smtp_starttls_reply(&ss->smtp, e) < 0)
			return -1;
		set_state(ss, SESSION_HELLO_AFTER_TLS);
		if (early_hello_send(o, &o->cache.after_tls, false, e) < 0)
			return -1;
		if (early_hello_check(o, &o->cache.after_tls, e) < 0)
			return -1;
	}
	return authenticate(o, e);
}

/*
 * An early attempt failed before the server's EHLO reply matched the
 * kept one: the server may have refused the early commands (Exim says
 * "554 SMTP synchronization error" once it no longer offers
 * PIPECONNECT), so it is worth once more the ordinary way; not after a
 * timeout, which would only double the wait.
 */
static bool
early_may_retry(const struct opening *o)
{
	enum session_state at = o->ss->state;

	return o->cache.found && !o->ss->conn.timed_out &&
	    (at == SESSION_GREETING || at == SESSION_HELLO ||
	    at == SESSION_HELLO_AFTER_TLS);
}

static int
open_once(struct opening *o, struct err *e)
{
	if (connect_step(o, e) < 0)
		return -1;
	if (o->early == EARLY_TRY)
		ehlo_cache_load(&o->cache, &o->relay_st, o->ss->tls);
	if (o->cache.found)
		return open_early(o, e);
	return open_ordinary(o, e);
}

/* Give up the early attempt: forget the entry, close without QUIT
 * (replies are still due). */
static void
abandon_early(struct opening *o, const struct err *e)
{
	trace_note("early pipelining failed (%s); trying again without",
	    e->msg);
	auth_abandon(o);
	ehlo_cache_forget(&o->cache);
	o->early = EARLY_FAILED;
	o->ss->smtp.state = SMTP_CLOSING;
	session_close(o->ss);
}

static void
opening_init(struct opening *o, struct session *ss, const struct settings *st,
    bool verify, enum stage *stage)
{
	memset(o, 0, sizeof(*o));
	o->ss = ss;
	o->all = st;
	o->verify = verify;
	o->stage = stage;
}

/* A fresh session and opening for relay r (NULL: the unix socket); the
 * settings of the opening are those of the list with r's name and port. */
static void
opening_relay(struct opening *o, const struct relay *r)
{
	struct session *ss = o->ss;
	const struct settings *st = &o->relay_st;

	memset(ss, 0, sizeof(*ss));
	ss->stage = o->stage;
	o->relay_st = *o->all;
	if (r != NULL) {
		ss->relay = *r;
		o->relay_st.host = ss->relay.name;
		o->relay_st.port = ss->relay.port;
		relay_label(r, ss->relay_label, sizeof(ss->relay_label));
	} else {
		snprintf(ss->relay_label, sizeof(ss->relay_label), "%s",
		    st->socket);
	}
	memset(&o->cache, 0, sizeof(o->cache));
	/* --serverinfo shows the server as an ordinary client meets it */
	o->early = o->verify && st->pipelining && st->pipe_connect ?
	    EARLY_TRY : EARLY_OFF;
	ss->tls_options = (struct tls_options){
		.server_name = st->socket ? NULL : st->host,
		.trust_file = st->tls_trust_file,
		.fingerprint = st->tls_fingerprint,
		.cert_file = st->tls_cert_file,
		.key_file = st->tls_key_file,
		.priorities = st->tls_priorities,
		.verify = o->verify,
	};
}

/* One relay: the ordinary way, or early and, if that fails early, once
 * more the ordinary way. */
static int
open_relay(struct opening *o, const struct relay *r, struct err *e)
{
	int rc;

	opening_relay(o, r);
	rc = open_once(o, e);
	if (rc < 0 && early_may_retry(o)) {
		abandon_early(o, e);
		rc = open_once(o, e);
	}
	auth_abandon(o);
	return rc;
}

/*
 * Whether the relay gave no answer, so the next one may try: it could
 * not be reached, said 421 or closed before its greeting, ran out of
 * time, or could not complete a TLS handshake. Anything else it said is
 * an answer (issue 21): a 5xx, an AUTH failure, a certificate that
 * fails verification, a protocol error.
 */
static bool
relay_unreachable(const struct session *ss, const struct err *e)
{
	if (ss->conn.timed_out)
		return true;
	switch (ss->state) {
	case SESSION_CONNECTING:
		return e->code == EX_TEMPFAIL || e->code == EX_NOHOST;
	case SESSION_GREETING:
		return e->code == EX_TEMPFAIL;
	case SESSION_TLS:
	case SESSION_STARTTLS:
		return ss->conn.handshake_failed;
	default:
		return false;
	}
}

/* The relays in turn until one answers; each that does not is
 * remembered (relayhealth.h) when there is a choice. */
static int
open_relays(struct opening *o, struct err *e)
{
	const struct settings *st = o->all;
	struct relay relays[RELAYS_MAX];
	size_t i, n = relays_of(st, relays);
	bool unreachable = true;
	int rc = -1;

	relayhealth_order(st, relays, n);
	for (i = 0; i < n && unreachable; i++) {
		if (i > 0) {
			char next[RELAY_LABEL_MAX];

			relay_label(&relays[i], next, sizeof(next));
			trace_note("%s; next relay: %s", e->msg, next);
			session_close(o->ss);
		}
		rc = open_relay(o, &relays[i], e);
		unreachable = rc < 0 && relay_unreachable(o->ss, e);
		if (n > 1)
			relayhealth_note(st, &relays[i], unreachable);
	}
	if (unreachable) {
		o->ss->relay_label[0] = '\0';
		if (n > 1)
			err_prefix(e, "none of the %zu relays could be "
			    "reached; the last", n);
	}
	return rc;
}

int
session_open(struct session *ss, const struct settings *st, bool verify,
    enum stage *stage, struct err *e)
{
	struct opening o;
	int rc;

	opening_init(&o, ss, st, verify, stage);
	if (st->socket != NULL)
		rc = open_relay(&o, NULL, e);
	else
		rc = open_relays(&o, e);
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(proxy_secret, sizeof(proxy_secret));
	if (rc == 0) {
		memset(e, 0, sizeof(*e));	/* what earlier attempts met */
		set_state(ss, SESSION_READY);
	}
	return rc;
}

bool
session_spent(const struct session *ss)
{
	unsigned max = ss->smtp.caps.mail_max;

	return max > 0 && ss->transactions >= max;
}

void
session_close(struct session *ss)
{
	smtp_quit(&ss->smtp);
	tls_end(&ss->conn);
	net_close(&ss->conn);
	set_state(ss, SESSION_CLOSED);
}
