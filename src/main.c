/*
 * main.c — wiring: argv → settings → the action (send, flush, list,
 * verify, serverinfo) → exit. Only main and the actions it calls print a
 * fatal error or choose the exit status.
 */
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "config.h"
#include "cli.h"
#include "flush.h"
#include "log.h"
#include "mailq.h"
#include "msmtprc.h"
#include "resolve.h"
#include "send.h"
#include "serverinfo.h"

/* GnuTLS is set up when first needed (tls_library_init), not at load. */
GNUTLS_SKIP_GLOBAL_INIT

/* The command line's part in choosing the settings. */
static struct resolve_request
request_of(const struct options *o)
{
	struct resolve_request rq = { o->config, o->profile, o->sender,
	    o->settings, o->nsettings };

	return rq;
}

/* The action chosen on the command line, once the settings are known. */
static int
run(const struct options *o, struct settings *st,
    const struct conf_choice *ch)
{
	struct resolve_request rq = request_of(o);
	struct err e = { 0, "" };

	st->file = o->file;
	st->dot_ends = o->dot_ends;
	st->dsn_envid = o->envid;
	switch (o->action) {
	case ACTION_SERVERINFO:
		if (o->dry_run)
			break;	/* prints the settings and the message */
		return serverinfo(st, &e) < 0 ? err_report(&e) : EX_OK;
	case ACTION_FLUSH:
		return flush_queue(st, &rq, o->flush_all, &e) < 0 ? err_report(&e) :
		    EX_OK;
	case ACTION_LIST:
		return mailq_list(st, stdout, &e) < 0 ? err_report(&e) : EX_OK;
	case ACTION_VERIFY:
		return verify_recipients(o, st);
	default:
		break;
	}
	return send_message(o, st, ch);
}

int
main(int argc, char **argv)
{
	const char *progname = strrchr(argv[0], '/');
	struct options o;
	struct settings st;
	struct conf_choice ch;
	struct conf *cf = NULL;
	struct resolve_request rq;
	struct err e = { 0, "" };
	int status;

	progname = progname ? progname + 1 : argv[0];
	if (cli_parse(argc, argv, progname, &o, &e) < 0)
		return err_report(&e);
	if (o.action == ACTION_HELP) {
		cli_usage(progname);
		return EX_OK;
	}
	if (o.action == ACTION_VERSION) {
		printf("mailout %s\n", PACKAGE_VERSION);
		return EX_OK;
	}
	if (o.action == ACTION_IMPORT)	/* needs no configuration of ours */
		return msmtprc_import(o.nrecipients ? o.recipients[0] : NULL,
		    stdout, &e) < 0 ? err_report(&e) : EX_OK;
	log_set_level(o.verbose);
	rq = request_of(&o);
	if (resolve_settings(&rq, &cf, &st, &ch, &e) < 0)
		status = err_report(&e);
	else
		status = run(&o, &st, &ch);
	conf_free(cf);
	return status;
}
