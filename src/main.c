/*
 * main.c — wiring: argv → settings and envelope → submit → report → exit.
 * The only place that prints a fatal error or chooses the exit status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "addr.h"
#include "cli.h"
#include "envelope.h"
#include "header.h"
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

static void
settings_from_options(const struct options *o, struct settings *st)
{
	settings_defaults(st);
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

/*
 * Everything decided before connecting: the header block is read, the
 * envelope built (with -t from the headers), Bcc removed and missing
 * headers added, and the edited block put back in front of the body.
 */
static int
prepare(const struct options *o, const struct settings *st,
    struct message_source *src, struct header_block *hb,
    struct envelope *env, struct err *e)
{
	struct envelope_request req = { o->sender, o->recipients,
	    o->nrecipients, o->from_headers, o->body };
	char mailer_daemon[ADDR_MAX + 1];
	const char *domain = st->domain ? st->domain : local_hostname();

	if (message_open(src, st->file, e) < 0 || header_read(hb, src, e) < 0 ||
	    envelope_build(env, &req, st, hb, e) < 0)
		return -1;
	if (st->remove_bcc)
		header_remove_bcc(hb);
	/* A bounce (null sender) is From: MAILER-DAEMON, as sendmail does. */
	snprintf(mailer_daemon, sizeof(mailer_daemon), "MAILER-DAEMON@%s",
	    domain);
	if (st->add_missing_headers && header_add_missing(hb, env->sender[0] ?
	    env->sender : mailer_daemon, o->full_name, domain, e) < 0)
		return -1;
	return header_attach(hb, src, e);
}

static int
send_message(const struct options *o)
{
	struct settings st;
	struct envelope env;
	struct header_block hb;
	struct message_source src = { -1, NULL, NULL, 0, 0 };
	struct outcome out;
	struct err e = { 0, "" };
	size_t i;
	int status;

	settings_from_options(o, &st);
	memset(&env, 0, sizeof(env));
	memset(&hb, 0, sizeof(hb));
	memset(&out, 0, sizeof(out));
	if (prepare(o, &st, &src, &hb, &env, &e) < 0) {
		status = fail(&e);
		goto out;
	}
	out.n = env.rcpts.n;
	if ((out.rcpts = calloc(out.n, sizeof(*out.rcpts))) == NULL) {
		err_set(&e, EX_SOFTWARE, "out of memory");
		status = fail(&e);
		goto out;
	}
	for (i = 0; i < out.n; i++)
		out.rcpts[i].addr = env.rcpts.v[i];
	submit(&st, &env, &src, &out);
	report_text(&out);
	status = report_exit_code(&out);
out:
	message_close(&src);
	header_free(&hb);
	free(out.rcpts);
	envelope_free(&env);
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
