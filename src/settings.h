/*
 * settings.h — everything one submission needs: built-in defaults, then
 * the config file's [defaults], then the chosen profile (config.c), then
 * the command line (main.c). Read-only once resolved. Strings point into
 * argv or into memory config.c keeps for the life of the process.
 */
#ifndef MAILOUT_SETTINGS_H
#define MAILOUT_SETTINGS_H

#include <stdbool.h>

#include "addr.h"
#include "tls.h"

enum tls_mode {
	TLS_AUTO,		/* implicit on 465, STARTTLS unless loopback */
	TLS_OFF,
	TLS_STARTTLS,		/* required */
	TLS_IMPLICIT,
};

struct settings {
	const char *host;		/* TCP host, when socket is NULL */
	const char *port;
	const char *socket;		/* unix socket path */
	bool lmtp;
	const char *helo;
	int timeout;			/* seconds per connect/read/write */
	const char *source_address;
	bool dot_ends;			/* classic "." end of input (no -i) */
	const char *file;		/* message file; NULL = stdin */
	const char *auth;		/* "off", "on" (strongest) or a mechanism */
	const char *user;
	const char *password_command;
	const char *password;		/* from a config file only, never argv */
	enum tls_mode tls;
	struct tls_options tls_options;	/* server_name is filled in at connect */

	const char *profile;		/* chosen profile, NULL for none */
	const char *from;		/* envelope sender when -f is not given */
	const char *aliases;		/* aliases file ("name: addr, addr") */
	const char *domain;		/* qualifies addresses without @ */
	bool add_missing_headers;	/* Date, Message-ID, From */
	bool remove_bcc;		/* strip Bcc/Resent-Bcc from the message */
	bool pipelining;		/* use PIPELINING when offered */
	bool chunking;			/* use CHUNKING/BDAT when offered */
	const char *dsn_notify;		/* "never" or "success,failure,delay" */
	const char *dsn_return;		/* "full" or "hdrs" */
	bool refused_abort;		/* refused = abort: all or nothing */
	bool queue;			/* queue temporary failures */
	long queue_lifetime;		/* seconds */
	const char *log;		/* log file, "syslog" or NULL */
	const char *syslog_facility;
};

/* The built-in defaults: localhost:25, tls auto, timeout 60, headers
 * added, Bcc removed, pipelining and chunking on, queue on for 5 days. */
void settings_defaults(struct settings *st);

#endif
