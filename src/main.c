/*
 * main.c — wiring: argv → settings and envelope → submit → report → exit.
 * The only place that prints a fatal error or chooses the exit status.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "addr.h"
#include "cli.h"
#include "log.h"
#include "message.h"
#include "report.h"
#include "serverinfo.h"
#include "settings.h"
#include "submit.h"

static int
fail(const struct err *e)
{
	fprintf(stderr, "mailout: %s\n", e->msg);
	if (e->code == EX_USAGE)
		fprintf(stderr, "Try 'mailout --help' for more information.\n");
	return e->code;
}

static const char *
local_hostname(void)
{
	static char name[256];

	if (gethostname(name, sizeof(name) - 1) < 0 || name[0] == '\0')
		strcpy(name, "localhost");
	return name;
}

/* user@host, the sender when nothing else names one. */
static int
default_sender(char *buf, size_t n, struct err *e)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw == NULL)
		return err_set(e, EX_NOUSER, "cannot find the current user; "
		    "give the sender with -f");
	snprintf(buf, n, "%s@%s", pw->pw_name, local_hostname());
	return 0;
}

/* -f: one address, or "<>" / "" for the null sender. */
static int
resolve_sender(const char *arg, char *buf, size_t n, struct err *e)
{
	struct addr_list one = { 0 };

	if (arg == NULL)
		return default_sender(buf, n, e);
	if (addr_parse_list(&one, arg, 1, e) < 0)
		goto bad;
	if (one.n > 1) {
		err_set(e, EX_DATAERR, "more than one sender address");
		goto bad;
	}
	snprintf(buf, n, "%s", one.n ? one.v[0] : "");
	addr_list_free(&one);
	return 0;
bad:
	addr_list_free(&one);
	err_prefix(e, "sender");
	return -1;
}

static int
resolve_recipients(const struct options *o, struct addr_list *rcpts,
    struct err *e)
{
	int i;

	for (i = 0; i < o->nrecipients; i++) {
		if (addr_parse_list(rcpts, o->recipients[i], 0, e) < 0) {
			err_prefix(e, "recipient");
			return -1;
		}
	}
	if (rcpts->n == 0)
		return err_set(e, EX_USAGE, "no recipients given");
	return 0;
}

static void
settings_from_options(const struct options *o, struct settings *st)
{
	memset(st, 0, sizeof(*st));
	st->host = o->host ? o->host : "localhost";
	st->port = o->port ? o->port : (o->lmtp ? "24" : "25");
	st->socket = o->socket;
	st->lmtp = o->lmtp;
	st->helo = o->helo ? o->helo : local_hostname();
	st->timeout = o->timeout;
	st->source_address = o->source_address;
	st->dot_ends = o->dot_ends;
	st->file = o->file;
	st->tls = !o->tls || strcmp(o->tls, "auto") == 0 ? TLS_AUTO :
	    strcmp(o->tls, "off") == 0 ? TLS_OFF :
	    strcmp(o->tls, "starttls") == 0 ? TLS_STARTTLS : TLS_IMPLICIT;
	st->tls_options.trust_file = o->tls_trust_file;
	st->tls_options.fingerprint = o->tls_fingerprint;
	st->tls_options.cert_file = o->tls_cert;
	st->tls_options.key_file = o->tls_key;
	st->tls_options.priorities = o->tls_priorities;
	st->auth = o->auth ? o->auth : o->user ? "on" : "off";
	st->user = o->user;
	st->password_command = o->password_command;
}

static int
send_message(const struct options *o)
{
	char sender[ADDR_MAX + 1];
	struct settings st;
	struct envelope env = { sender, { 0 } };
	struct message_source src;
	struct outcome out;
	struct err e = { 0, "" };
	size_t i;
	int status;

	settings_from_options(o, &st);
	if (resolve_sender(o->sender, sender, sizeof(sender), &e) < 0 ||
	    resolve_recipients(o, &env.rcpts, &e) < 0 ||
	    message_open(&src, st.file, &e) < 0) {
		addr_list_free(&env.rcpts);
		return fail(&e);
	}
	memset(&out, 0, sizeof(out));
	out.n = env.rcpts.n;
	out.rcpts = calloc(out.n, sizeof(*out.rcpts));
	if (out.rcpts == NULL) {
		err_set(&e, EX_SOFTWARE, "out of memory");
		addr_list_free(&env.rcpts);
		return fail(&e);
	}
	for (i = 0; i < out.n; i++)
		out.rcpts[i].addr = env.rcpts.v[i];
	submit(&st, &env, &src, &out);
	message_close(&src);
	report_text(&out);
	status = report_exit_code(&out);
	free(out.rcpts);
	addr_list_free(&env.rcpts);
	return status;
}

int
main(int argc, char **argv)
{
	const char *progname = strrchr(argv[0], '/');
	struct options o;
	struct err e = { 0, "" };

	progname = progname ? progname + 1 : argv[0];
	if (cli_parse(argc, argv, progname, &o, &e) < 0)
		return fail(&e);
	if (o.action == ACTION_HELP) {
		cli_usage(progname);
		return EX_OK;
	}
	if (o.action == ACTION_VERSION) {
		printf("mailout %s\n", PACKAGE_VERSION);
		return EX_OK;
	}
	if (o.not_yet != NULL) {
		err_set(&e, EX_USAGE, "%s is not supported yet", o.not_yet);
		return fail(&e);
	}
	if (o.auth != NULL && strcmp(o.auth, "off") != 0 && o.user == NULL &&
	    strcasecmp(o.auth, "EXTERNAL") != 0) {
		err_set(&e, EX_USAGE, "--auth %s needs --user", o.auth);
		return fail(&e);
	}
	log_set_level(o.verbose);
	if (o.action == ACTION_SERVERINFO) {
		struct settings st;

		settings_from_options(&o, &st);
		return serverinfo(&st, &e) < 0 ? fail(&e) : EX_OK;
	}
	return send_message(&o);
}
