/*
 * settings.h — everything one submission needs: built-in defaults, then
 * the config file's [defaults], then the chosen profile (conf.c), then
 * the command line (main.c). Read-only once resolved. Strings point into
 * argv or into memory conf.c keeps until conf_free().
 */
#ifndef MAILOUT_SETTINGS_H
#define MAILOUT_SETTINGS_H

#include <stdbool.h>
#include <stdio.h>

#include "addr.h"
#include "err.h"
#include "tls.h"

enum tls_mode {
	TLS_AUTO,		/* implicit on 465, STARTTLS unless loopback */
	TLS_OFF,
	TLS_STARTTLS,		/* required */
	TLS_IMPLICIT,
};

struct settings {
	const char *host;		/* TCP host, when socket is NULL */
	const char *port;		/* NULL: by protocol and tls */
	const char *socket;		/* unix socket path */
	bool lmtp;
	const char *helo;		/* NULL: the host name */
	int timeout;			/* seconds per connect/read/write */
	const char *source_address;
	bool dot_ends;			/* classic "." end of input (no -i) */
	const char *file;		/* message file; NULL = stdin */
	const char *auth;		/* "off", "on" (strongest) or a
					 * mechanism; NULL: on if user is set */
	const char *user;
	const char *password_command;
	const char *password;		/* from a config file only, never argv;
					 * it and password_command exclude
					 * each other: the last one set wins */
	enum tls_mode tls;
	struct tls_options tls_options;	/* server_name is filled in at connect */

	const char *profile;		/* chosen profile, NULL for none */
	const char *from;		/* envelope sender when -f is not given */
	const char *aliases;		/* aliases file ("name: addr, addr") */
	const char *domain;		/* qualifies addresses without @ */
	bool add_missing_headers;	/* Date, Message-ID, From */
	bool remove_bcc;		/* strip Bcc/Resent-Bcc from the message */
	bool pipelining;		/* use PIPELINING when offered */
	bool pipe_connect;		/* early pipelining (ehlocache.h) */
	bool chunking;			/* use CHUNKING/BDAT when offered */
	const char *dsn_notify;		/* "never" or "success,failure,delay" */
	const char *dsn_return;		/* "full" or "hdrs" */
	const char *dsn_envid;		/* -V */
	bool refused_abort;		/* refused = abort: all or nothing */
	bool queue;			/* queue temporary failures */
	const char *queue_dir;		/* NULL: by user (queue.c) */
	long queue_lifetime;		/* seconds */
	const char *log;		/* log file, "syslog" or NULL */
	const char *syslog_facility;
};

/* The built-in defaults: localhost, tls auto, timeout 60, headers
 * added, Bcc removed, pipelining, early pipelining and chunking on,
 * queue on for 5 days.
 * Port, helo and auth stay NULL until settings_finish(). */
void settings_defaults(struct settings *st);

/* Whether key is a setting of mailout.conf(5) (host, port, ...). */
bool settings_key_exists(const char *key);

/* The i-th setting's key, in the order of mailout.conf(5); NULL past
 * the last. */
const char *settings_key_at(size_t i);

/*
 * Parse value as the setting key and store it in st: the one parser of
 * each key, for a config file line and a command-line option alike. An
 * empty value unsets a text setting (back to its built-in default).
 * Values are not copied: they must outlive st. Setting host unsets
 * socket and setting password unsets password_command, and the other
 * way round: of each pair, the last one set wins.
 *
 * Error code: EX_CONFIG, with a message saying what was expected and
 * what was found, but not the key (the caller knows where it came from).
 */
int settings_set(struct settings *st, const char *key, const char *value,
    struct err *e);

/* The defaults that depend on the rest: port 24 for LMTP, 465 for
 * implicit TLS, else 25; helo = hostname; auth on when user is set. */
void settings_finish(struct settings *st, const char *hostname);

/* Every setting as a "key = value" line, as mailout.conf(5) would say
 * it; the password shows as <set>. */
void settings_print(const struct settings *st, FILE *out);

#endif
