/*
 * session.h — opening a session the way the settings ask: connect, TLS
 * by policy (implicit, or STARTTLS required), greeting, EHLO. Shared by
 * submission and --serverinfo.
 */
#ifndef MAILOUT_SESSION_H
#define MAILOUT_SESSION_H

#include <stdbool.h>

#include "net.h"
#include "result.h"
#include "settings.h"
#include "smtp.h"

struct session {
	struct conn conn;
	struct smtp smtp;
	enum tls_mode tls;		/* the mode in force (never TLS_AUTO) */
	struct reply pre_tls_hello;	/* EHLO reply before STARTTLS */
	bool had_pre_tls_hello;
};

/*
 * Open the session; *stage tells how far it got. With verify false
 * (--serverinfo) a certificate that fails verification is reported in
 * the TLS information instead of ending the session.
 */
int session_open(struct session *ss, const struct settings *st, bool verify,
    enum stage *stage, struct err *e);

/* QUIT when that is still polite, end TLS, close. */
void session_close(struct session *ss);

#endif
