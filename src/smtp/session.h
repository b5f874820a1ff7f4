/*
 * session.h — opening a session the way the settings ask: connect, TLS
 * by policy (implicit, or STARTTLS required), greeting, EHLO, AUTH; with
 * early pipelining (ehlocache.h) when the server offered it last time.
 * Shared by a send, the queue's flush, -bv and --serverinfo.
 *
 * The relays of a host list (config/relays.h) are tried in order, those
 * that failed lately last (relayhealth.h). The next relay gets its turn
 * when this one gave no answer: a connect failure, a 421 greeting (or
 * the connection closed before a greeting), a timeout, or a TLS
 * handshake that failed. An answer ends the search: a 5xx, an AUTH
 * failure, a certificate that fails verification.
 *
 * The opening is a sequence of states, each entered through one setter
 * that --debug=2 traces by name and that keeps the outcome's stage (what
 * a report names as where a failure happened) in step.
 *
 * Error codes: those of net.h, tls.h, smtp.h and auth.h.
 */
#ifndef MAILOUT_SESSION_H
#define MAILOUT_SESSION_H

#include "config/relays.h"
#include "config/settings.h"
#include "smtp/outcome.h"
#include "smtp/smtp.h"
#include "transport/net.h"
#include "transport/tls.h"

enum session_state {
	SESSION_CONNECTING,
	SESSION_TLS,			/* implicit TLS: the handshake */
	SESSION_GREETING,
	SESSION_HELLO,
	SESSION_STARTTLS,		/* STARTTLS and the handshake */
	SESSION_HELLO_AFTER_TLS,
	SESSION_AUTH,
	SESSION_READY,			/* open: transactions may begin */
	SESSION_CLOSED,
};

struct session {
	struct conn conn;
	struct smtp smtp;
	enum session_state state;	/* where the opening got to */
	enum stage *stage;		/* the outcome's, kept in step */
	enum tls_mode tls;		/* the mode in force (never TLS_AUTO) */
	struct tls_options tls_options;	/* what conn's TLS uses */
	struct reply pre_tls_hello;	/* EHLO reply before STARTTLS; code 0
					 * without STARTTLS */
	struct relay relay;		/* the one tried last: the settings of
					 * the opening point into it */
	char relay_label[RELAY_LABEL_MAX];	/* its "name:port", or the
						 * socket's path; "" when no
						 * relay could be reached */
	unsigned transactions;		/* MAIL commands sent on it */
};

/*
 * Open the session; *stage follows how far it got. With verify false
 * (--serverinfo) a certificate that fails verification is reported in
 * the TLS information instead of ending the session, and there is no
 * AUTH and no early pipelining.
 */
int session_open(struct session *ss, const struct settings *st, bool verify,
    enum stage *stage, struct err *e);

/* Whether the session has had as many transactions as the server's
 * LIMITS MAILMAX allows (RFC 9422): the next needs a new session. */
bool session_spent(const struct session *ss);

/* QUIT when that is still polite, end TLS, close. */
void session_close(struct session *ss);

#endif
