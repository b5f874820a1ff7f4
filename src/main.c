/*
 * main.c — wiring: argv → settings → the action (send, flush, list,
 * verify, serverinfo, queue operations, health) → exit. Only main and
 * the actions it calls print a fatal error or choose the exit status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "cli/handoff.h"
#include "cli/options.h"
#include "cli/send.h"
#include "cli/serverinfo.h"
#include "cli/version.h"
#include "config.h"
#include "config/msmtprc.h"
#include "config/resolve.h"
#include "lib/trace.h"
#include "oauth/oauth.h"
#include "queue/flush.h"
#include "queue/health.h"
#include "queue/mailq.h"
#include "queue/ops.h"
#include "service/serve.h"

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

/* -q and --flush: the queue of this user (root: every entry). */
static int
flush(const struct options *o, const struct settings *st,
    const struct resolve_request *rq)
{
	struct flush_request fr = { rq, o->flush_due ? FLUSH_DUE : FLUSH_NOW,
	    NULL, geteuid(), NULL, NULL, false, NULL };
	struct err e = { 0, "" };

	return flush_run(st, &fr, NULL, &e) < 0 ? err_report(&e) : EX_OK;
}

/* --remove, --bounce ... on the operands: a line for each ID that
 * failed (with -v for each), and the first failure's status. */
static int
queue_op(const struct options *o, const struct settings *st,
    const struct resolve_request *rq)
{
	struct queue_op_request qr = { o->queue_op, o->recipients,
	    (size_t)o->nrecipients, geteuid(), rq };
	struct queue_op_result *res = calloc(qr.nids, sizeof(*res));
	struct err e = { 0, "" };
	int status = EX_OK;
	size_t i;

	if (res == NULL)
		err_set(&e, EX_SOFTWARE, "out of memory");
	else if (queue_op_run(st, &qr, res, &e) == 0) {
		for (i = 0; i < qr.nids; i++) {
			if (res[i].code != 0 || (o->verbose && !res[i].flushed))
				fprintf(stderr, "mailout: %s: %s\n",
				    res[i].id, res[i].msg);
			if (status == EX_OK)
				status = res[i].code;
		}
	}
	free(res);
	return e.code != 0 ? err_report(&e) : status;
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
		return flush(o, st, &rq);
	case ACTION_QUEUE_OP:
		return queue_op(o, st, &rq);
	case ACTION_HEALTH:
		return health_check(st, geteuid(), cli_prometheus(o), stdout);
	case ACTION_LIST:
		return mailq_list(st, o->report == REPORT_JSON, geteuid(), stdout,
		    &e) < 0 ? err_report(&e) : EX_OK;
	case ACTION_VERIFY:
		return verify_recipients(o, st);
	case ACTION_OAUTH_LOGIN:
		return oauth_login(st, stdout, &e) < 0 ? err_report(&e) : EX_OK;
	default:
		break;
	}
	return send_message(o, st, ch, NULL);
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
	if (o.action == ACTION_NEWALIASES)
		return EX_OK;
	if (o.action == ACTION_IMPORT)	/* needs no configuration of ours */
		return msmtprc_import(o.nrecipients ? o.recipients[0] : NULL,
		    stdout, &e) < 0 ? err_report(&e) : EX_OK;
	trace_set_level(o.verbose);
	if (o.action == ACTION_SERVE)
		return serve_main(&o);
	/* without a configuration of its own, through the mailout service */
	if (handoff_wanted(&o) && handoff_run(&o, &status))
		return status;
	rq = request_of(&o);
	if (o.action == ACTION_VERSION)
		return version_print(&rq, stdout);
	if (resolve_settings(&rq, &cf, &st, &ch, &e) < 0 &&
	    o.action == ACTION_HEALTH)
		status = health_unknown(&e, cli_prometheus(&o), stdout);
	else if (e.code != 0)
		status = err_report(&e);
	else
		status = run(&o, &st, &ch);
	conf_free(cf);
	return status;
}
