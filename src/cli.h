/*
 * cli.h — argv to struct options: sendmail's flags and mailout's long
 * options. Knows nothing of config files or sockets.
 *
 * Error code: EX_USAGE.
 */
#ifndef MAILOUT_CLI_H
#define MAILOUT_CLI_H

#include <stdbool.h>

#include "err.h"

enum cli_action {
	ACTION_SEND,
	ACTION_HELP,
	ACTION_VERSION,
	ACTION_SERVERINFO,
};

struct options {
	enum cli_action action;
	const char *sender;		/* -f / -r / --from; "" = null sender */
	const char *file;		/* --file; NULL = stdin */
	bool dot_ends;			/* false with -i / -oi */
	int verbose;			/* -v = 1, --debug=N */
	const char *host;
	const char *port;
	const char *socket;
	bool lmtp;			/* --protocol lmtp */
	const char *helo;
	int timeout;			/* seconds */
	const char *source_address;
	const char *tls;		/* off|starttls|implicit|auto; NULL = auto */
	const char *tls_trust_file;
	const char *tls_fingerprint;
	const char *tls_cert;
	const char *tls_key;
	const char *tls_priorities;
	const char *auth;		/* off|on|MECHANISM; NULL: on if user set */
	const char *user;
	const char *password_command;
	bool from_headers;		/* -t */
	const char *full_name;		/* -F */
	const char *body;		/* -B 7BIT|8BITMIME */
	char *const *recipients;	/* the rest of argv */
	int nrecipients;
	/* first option given that a later part of mailout will implement */
	const char *not_yet;
};

/* progname is argv[0]'s basename ("sendmail", "mailq" change defaults). */
int cli_parse(int argc, char **argv, const char *progname,
    struct options *o, struct err *e);

void cli_usage(const char *progname);

#endif
