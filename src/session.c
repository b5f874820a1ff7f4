/* session.c — connect, TLS policy, greeting and EHLO. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "secret.h"
#include "session.h"

#define SMTPS_PORT 465

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
auth_wanted(const struct settings *st)
{
	return st->auth != NULL && strcmp(st->auth, "off") != 0;
}

/* AUTH, but never with credentials readable on the wire. */
static int
authenticate(struct session *ss, const struct settings *st, struct err *e)
{
	static char secret[SECRET_MAX];
	const char *wanted = strcmp(st->auth, "on") == 0 ? NULL : st->auth;
	struct sasl_creds c = { st->user ? st->user : "", secret, st->host,
	    st->port };
	int rc;

	if (!ss->conn.loopback && ss->conn.io_ctx == NULL)
		return err_set(e, EX_NOPERM, "refusing to send credentials "
		    "in clear to %s, which is not a loopback host; use TLS",
		    ss->conn.peer);
	secret[0] = '\0';
	if (wanted == NULL || sasl_lookup(wanted) != SASL_EXTERNAL) {
		if (st->password != NULL)
			snprintf(secret, sizeof(secret), "%s", st->password);
		else if (st->password_command == NULL)
			return err_set(e, EX_NOPERM, "AUTH needs a password: "
			    "give --password-command, or password or "
			    "password_command in the configuration");
		else if (secret_from_command(st->password_command, secret,
		    sizeof(secret), e) < 0)
			return -1;
	}
	rc = smtp_auth(&ss->smtp, wanted, &c, e);
	explicit_bzero(secret, sizeof(secret));
	return rc;
}

static int
connect_server(const struct settings *st, struct conn *c, struct err *e)
{
	if (st->socket != NULL)
		return net_connect_unix(c, st->socket, e);
	return net_connect_tcp(c, st->host, st->port, st->source_address, e);
}

int
session_open(struct session *ss, const struct settings *st, bool verify,
    enum stage *stage, struct err *e)
{
	struct tls_options to = st->tls_options;

	memset(ss, 0, sizeof(*ss));
	to.server_name = st->socket ? NULL : st->host;
	to.verify = verify;
	net_init(&ss->conn, st->timeout);
	smtp_init(&ss->smtp, &ss->conn, st->lmtp);
	*stage = STAGE_CONNECT;
	if (connect_server(st, &ss->conn, e) < 0)
		return -1;
	log_note("connected to %s", ss->conn.peer);
	ss->tls = tls_policy(st, &ss->conn);
	*stage = STAGE_TLS;
	if (ss->tls == TLS_IMPLICIT && tls_start(&ss->conn, &to, e) < 0)
		return -1;
	*stage = STAGE_GREETING;
	if (smtp_greeting(&ss->smtp, e) < 0)
		return -1;
	*stage = STAGE_HELLO;
	if (smtp_hello(&ss->smtp, st->helo, ss->tls != TLS_OFF ?
	    HELLO_NEEDS_TLS : auth_wanted(st) ? HELLO_NEEDS_AUTH :
	    HELLO_NEEDS_NOTHING, e) < 0)
		return -1;
	if (ss->tls == TLS_STARTTLS) {
		ss->pre_tls_hello = ss->smtp.hello;
		ss->had_pre_tls_hello = true;
		*stage = STAGE_TLS;
		if (smtp_starttls(&ss->smtp, &to, st->helo, e) < 0)
			return -1;
	}
	*stage = STAGE_AUTH;
	return auth_wanted(st) && verify ? authenticate(ss, st, e) : 0;
}

void
session_close(struct session *ss)
{
	smtp_quit(&ss->smtp);
	tls_end(&ss->conn);
	net_close(&ss->conn);
}
