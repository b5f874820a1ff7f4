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
#include "conf.h"
#include "envelope.h"
#include "header.h"
#include "log.h"
#include "message.h"
#include "report.h"
#include "sasl.h"
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

/* -f's address, for match_from; "" when there is none to match (a bad
 * -f is reported when the envelope is built). */
static void
match_sender(const char *arg, char *buf, size_t n)
{
	struct addr_list one = { 0 };
	struct err ignored;

	buf[0] = '\0';
	if (arg != NULL && addr_parse_list(&one, arg, 1, &ignored) == 0 &&
	    one.n == 1)
		snprintf(buf, n, "%s", one.v[0]);
	addr_list_free(&one);
}

/* AUTH needs a user name, except EXTERNAL (the certificate says who). */
static int
check_auth_user(const struct options *o, const struct settings *st,
    struct err *e)
{
	const char *given = cli_setting(o, "auth");

	if (strcmp(st->auth, "off") == 0 || st->user != NULL ||
	    sasl_lookup(st->auth) == SASL_EXTERNAL)
		return 0;
	if (given != NULL)
		return err_set(e, EX_USAGE, "--auth %s needs --user", given);
	return err_set(e, EX_CONFIG, "auth = %s needs a user: set user in "
	    "%s%s or give --user", st->auth, st->profile ? "profile " :
	    "the configuration", st->profile ? st->profile : "");
}

/*
 * Built-in defaults < [defaults] < inherited profiles < the profile <
 * the command line, then what depends on the rest (port, helo, auth).
 * The strings of st point into *cf: free it after st's last use.
 */
static int
settings_from_options(const struct options *o, struct conf **cf,
    struct settings *st, struct conf_choice *ch, struct err *e)
{
	char sender[ADDR_MAX + 1];
	int i;

	if (conf_load(cf, o->config, e) < 0)
		return -1;
	match_sender(o->sender, sender, sizeof(sender));
	if (conf_choose(*cf, o->profile, *sender ? sender : NULL, ch, e) < 0)
		return -1;
	conf_apply(*cf, ch, st);
	for (i = 0; i < o->nsettings; i++)
		if (settings_set(st, o->settings[i].key, o->settings[i].value,
		    e) < 0)
			return -1;	/* cli_parse checked them: never */
	st->file = o->file;
	st->dot_ends = o->dot_ends;
	settings_finish(st, local_hostname());
	st->dsn_envid = o->envid;
	return check_auth_user(o, st, e);
}

/* --dry-run, after the settings: the envelope and the header block. */
static void
print_plan(const struct envelope *env, const struct header_block *hb)
{
	size_t i;

	printf("envelope sender: <%s>\n", env->sender);
	for (i = 0; i < env->rcpts.n; i++)
		printf("envelope recipient: <%s>\n", env->rcpts.v[i]);
	printf("header:\n");
	header_print(hb, stdout);
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

/* Send the message, or with --dry-run show what would be sent. */
static int
send_message(const struct options *o, const struct settings *st,
    const struct conf_choice *ch)
{
	struct envelope env;
	struct header_block hb;
	struct message_source src = { .fd = -1 };
	struct outcome out;
	struct err e = { 0, "" };
	size_t i;
	int status;

	memset(&env, 0, sizeof(env));
	memset(&hb, 0, sizeof(hb));
	memset(&out, 0, sizeof(out));
	if (o->dry_run)
		conf_print(st, ch, stdout);
	if (prepare(o, st, &src, &hb, &env, &e) < 0) {
		status = fail(&e);
		goto out;
	}
	if (o->dry_run) {
		print_plan(&env, &hb);
		status = EX_OK;
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
	submit(st, &env, &src, &out);
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
	struct settings st;
	struct conf_choice ch;
	struct conf *cf = NULL;
	struct err e = { 0, "" };
	int status;

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
	log_set_level(o.verbose);
	if (settings_from_options(&o, &cf, &st, &ch, &e) < 0)
		status = fail(&e);
	else if (o.action == ACTION_SERVERINFO && !o.dry_run)
		status = serverinfo(&st, &e) < 0 ? fail(&e) : EX_OK;
	else
		status = send_message(&o, &st, &ch);
	conf_free(cf);
	return status;
}
