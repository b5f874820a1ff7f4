/*
 * settings.h — everything one submission needs: built-in defaults, then
 * the config file's [defaults], then the chosen profile (files.c), then
 * the command line (main.c). Read-only once resolved. Strings point into
 * argv or into memory files.c keeps until conf_free().
 */
#ifndef MAILOUT_SETTINGS_H
#define MAILOUT_SETTINGS_H

#include <stdbool.h>
#include <stdio.h>

#include "lib/err.h"
#include "message/addr.h"

#define TIMEOUT_MAX 86400	/* seconds: the timeout key's bound */

enum tls_mode {
	TLS_AUTO,		/* implicit on 465, STARTTLS unless loopback */
	TLS_OFF,
	TLS_STARTTLS,		/* required */
	TLS_IMPLICIT,
};

struct settings {
	const char *host;		/* TCP host, or a list of relays
					 * (relays.h), when socket is NULL */
	const char *port;		/* NULL: by protocol and tls */
	const char *socket;		/* unix socket path */
	bool lmtp;
	const char *helo;		/* NULL: the mail name */
	int timeout;			/* seconds per connect/read/write */
	const char *source_address;
	const char *proxy;		/* "socks5://[user@]host[:port]" */
	const char *proxy_password_command;	/* the proxy user's password */
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
	const char *tls_trust_file;	/* NULL: the system trust store */
	const char *tls_fingerprint;	/* "sha256:HEX": pin instead of trust */
	const char *tls_cert_file;	/* client certificate and its key */
	const char *tls_key_file;
	const char *tls_priorities;	/* NULL: GnuTLS's system default */

	const char *profile;		/* chosen profile, NULL for none */
	const char *from;		/* envelope sender when -f is not given */
	const char *aliases;		/* aliases file ("name: addr, addr") */
	const char *domain;		/* qualifies addresses without @;
					 * NULL: the mail name */
	bool add_missing_headers;	/* Date, Message-ID, From */
	bool remove_bcc;		/* strip Bcc/Resent-Bcc from the message */
	bool pipelining;		/* use PIPELINING when offered */
	bool pipe_connect;		/* early pipelining (ehlocache.h) */
	bool chunking;			/* use CHUNKING/BDAT when offered */
	const char *dsn_notify;		/* "never" or "success,failure,delay" */
	const char *dsn_return;		/* "full" or "hdrs" */
	const char *dsn_envid;		/* -V */
	const char *mail_extra;		/* more MAIL parameters, for the
					 * mailout service (cli/handoff.h);
					 * no key sets it */
	bool refused_abort;		/* refused = abort: all or nothing */
	bool queue;			/* queue temporary failures */
	const char *queue_dir;		/* NULL: by user (queue.c) */
	long queue_lifetime;		/* seconds */
	const char *log;		/* log file, "syslog" or NULL */
	const char *syslog_facility;
	long health_warn_age;		/* seconds: --health warns, and */
	long health_crit_age;		/* alerts, past these ages */
	const char *alert_command;	/* told of trouble (queue/alert.h) */

	/* OAuth 2.0 (oauth.h): with a token endpoint, AUTH XOAUTH2 and
	 * OAUTHBEARER get their access token there */
	const char *oauth_token_endpoint;	/* https URL */
	const char *oauth_device_endpoint;	/* https URL, --oauth-login */
	const char *oauth_client_id;
	const char *oauth_client_secret;	/* it and the _command exclude
						 * each other, as password does */
	const char *oauth_client_secret_command;
	const char *oauth_scope;
	const char *oauth_trust_file;		/* NULL: the system trust */
	const char *oauth_refresh_token_file;	/* NULL: in the state dir */

	/* the mailout service's policy (mailout serve) */
	bool allow_from_override;	/* any envelope sender; off: only
					 * user@domain and allowed_from */
	const char *allowed_from;	/* patterns, with the override off */
	/* and the service's own, only in [defaults] */
	int rate_limit;			/* messages a minute per user; 0: any */
	const char *listen;		/* "ADDR:PORT, ..." for SMTP on TCP */
	const char *listen_allow;	/* networks beyond loopback */
	int service_workers;		/* processes serving clients, at most */
};

/* A setting given outside the configuration files, by an option of the
 * command line (or of a queued message's original one), applied over
 * them; the key's own parser checks it as if it were a line of
 * mailout.conf. */
struct setting_override {
	const char *key;		/* "tls_cert_file" */
	const char *value;
	const char *option;		/* "tls-cert", for messages */
};

/* The built-in defaults: localhost, tls auto, timeout 60, headers
 * added, Bcc removed, pipelining, early pipelining and chunking on,
 * queue on for 5 days, health warning at 1 hour and critical at 24.
 * Port, helo and auth stay NULL until settings_finish(). */
void settings_defaults(struct settings *st);

/* Whether key is a setting of mailout.conf(5) (host, port, ...). */
bool settings_key_exists(const char *key);

/* The i-th setting's key, in the order of mailout.conf(5); NULL past
 * the last. */
const char *settings_key_at(size_t i);

/* Whether key holds a secret itself (password, oauth_client_secret): a
 * file that sets it must be private (conf.c), and --dry-run masks it. */
bool settings_key_is_secret(const char *key);

/* Whether key belongs in [defaults] only: the service's own keys. */
bool settings_key_defaults_only(const char *key);

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
 * implicit TLS, else 25; helo and domain = mailname, the system's mail
 * name (mailname.h); auth on when user is set. Afterwards none of host,
 * port, helo, domain and auth is NULL: resolve.h's settings have had it. */
void settings_finish(struct settings *st, const char *mailname);

/* Every setting as a "key = value" line, as mailout.conf(5) would say
 * it; the secrets show as <set>. */
void settings_print(const struct settings *st, FILE *out);

#endif
