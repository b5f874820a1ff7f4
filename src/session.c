/* session.c — connect, TLS policy, greeting and EHLO. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
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
	if (smtp_hello(&ss->smtp, st->helo, ss->tls == TLS_OFF, e) < 0)
		return -1;
	if (ss->tls != TLS_STARTTLS)
		return 0;
	ss->pre_tls_hello = ss->smtp.hello;
	ss->had_pre_tls_hello = true;
	*stage = STAGE_TLS;
	return smtp_starttls(&ss->smtp, &to, st->helo, e);
}

void
session_close(struct session *ss)
{
	smtp_quit(&ss->smtp);
	tls_end(&ss->conn);
	net_close(&ss->conn);
}
