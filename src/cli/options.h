/*
 * options.h — argv to struct options: sendmail's flags and mailout's long
 * options. Knows nothing of config files or sockets; an option that sets
 * a configuration key is checked by that key's parser (settings.h).
 *
 * Error code: EX_USAGE.
 */
#ifndef MAILOUT_OPTIONS_H
#define MAILOUT_OPTIONS_H

#include <stdbool.h>

#include "config/settings.h"
#include "lib/err.h"
#include "queue/ops.h"

#define CLI_SETTINGS_MAX 24		/* >= the options that set a key */

enum cli_action {
	ACTION_SEND,
	ACTION_HELP,
	ACTION_VERSION,
	ACTION_SERVERINFO,
	ACTION_FLUSH,		/* -q, --flush */
	ACTION_LIST,		/* -bp, mailq */
	ACTION_VERIFY,		/* -bv */
	ACTION_QUEUE_OP,	/* --remove, --bounce, --hold, --release,
				 * --send: the IDs are the operands */
	ACTION_HEALTH,		/* --health */
	ACTION_OAUTH_LOGIN,	/* --oauth-login PROFILE */
	ACTION_NEWALIASES,	/* -bi, newaliases: nothing to rebuild */
	ACTION_SERVE,		/* mailout serve: the local mail service */
	ACTION_IMPORT,		/* --import-msmtprc [FILE] */
};

enum report_format {
	REPORT_DEFAULT,		/* problems only, on stderr */
	REPORT_TEXT,		/* --report text: every recipient */
	REPORT_JSON,		/* --report json: one object on stdout */
};

struct options {
	enum cli_action action;
	const char *sender;		/* -f / -r / --from; "" = null sender */
	const char *file;		/* --file; NULL = stdin */
	bool dot_ends;			/* false with -i / -oi */
	int verbose;			/* -v = 1, --debug=N */
	const char *config;		/* --config / -C: the only file read */
	const char *profile;		/* --profile / -a / --oauth-login */
	bool dry_run;			/* --dry-run: print, send nothing */
	/* options that set a key of mailout.conf(5) (--host, --no-queue...),
	 * in command-line order, a repeated key only at its last place */
	struct setting_override settings[CLI_SETTINGS_MAX];
	int nsettings;
	bool from_headers;		/* -t */
	const char *full_name;		/* -F */
	const char *body;		/* -B 7BIT|8BITMIME */
	const char *envid;		/* -V: DSN envelope id */
	char *const *recipients;	/* the rest of argv */
	int nrecipients;
	bool queue_only;		/* -odq */
	bool flush_due;			/* --flush: only what is due (-q and
					 * --flush=all: everything now) */
	enum queue_op queue_op;		/* with ACTION_QUEUE_OP */
	const char *format;		/* --health --format: NULL (nagios)
					 * or "prometheus" */
	bool vrfy;			/* -bv with VRFY, not MAIL+RCPT */
	enum report_format report;
};

/* progname is argv[0]'s basename ("mailq" and "newaliases" change the
 * action). */
int cli_parse(int argc, char **argv, const char *progname,
    struct options *o, struct err *e);

void cli_usage(const char *progname);

/* Whether --health is to speak Prometheus' text format (--format). */
bool cli_prometheus(const struct options *o);

#endif
