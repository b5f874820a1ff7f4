/* serve.c — mailout serve: set-up, signals, sessions. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config/hostname.h"
#include "config/sysdirs.h"
#include "lib/trace.h"
#include "service/listen.h"
#include "service/relay.h"
#include "service/serve.h"
#include "service/submit.h"

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* SIGTERM and SIGINT end the service after the command in progress;
 * no SA_RESTART, so that a wait ends and sees the flag. */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* ---- set-up ---- */

/* The overrides of the command line but --socket, which for serve says
 * where to listen, not where to send. */
static const char *
take_socket(const struct options *o, struct setting_override *kept,
    int *nkept)
{
	const char *socket = NULL;
	int i;

	*nkept = 0;
	for (i = 0; i < o->nsettings; i++) {
		if (strcmp(o->settings[i].key, "socket") == 0)
			socket = o->settings[i].value;
		else
			kept[(*nkept)++] = o->settings[i];
	}
	return socket;
}

/* Its configuration: -C, else $MAILOUT_CONFIG, else the system file, or
 * none at all; never a user's file. */
static int
choose_config(const struct options *o, char *buf, size_t n,
    const char **config, struct err *e)
{
	const char *env = getenv("MAILOUT_CONFIG");

	*config = o->config;
	if (*config != NULL || (env != NULL && *env != '\0'))
		return 0;
	if (conf_system_file(buf, n, e) < 0)
		return -1;
	*config = access(buf, F_OK) == 0 ? buf : "/dev/null";
	return 0;
}

static int
setup(struct service *sv, const struct options *o,
    const struct setting_override *overrides, int noverrides,
    const char *config, struct err *e)
{
	struct conf_choice ch;

	memset(sv, 0, sizeof(*sv));
	sv->q.dirfd = -1;
	sv->rq.config = config;
	sv->rq.overrides = overrides;
	sv->rq.noverrides = noverrides;
	(void)o;
	if (resolve_settings(&sv->rq, &sv->cf, &sv->st, &ch, e) < 0)
		return -1;
	/* the service is no user: its queue is the system's */
	if (sv->st.queue_dir == NULL)
		sv->st.queue_dir = QUEUE_DIR_SYSTEM;
	if (queue_open(&sv->q, &sv->st, e) < 0)
		return -1;
	sv->hostname = local_hostname();
	/* bare names get the service's domain, whoever sends them */
	if (sv->st.domain == NULL)
		sv->st.domain = sv->hostname;
	sv->domain = sv->st.domain;
	sv->size_max = SERVICE_SIZE_MAX;
	sv->stop = &stopping;
	if ((sv->relay = relay_new(sv)) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	return 0;
}

static void
teardown(struct service *sv)
{
	relay_free(sv->relay);
	queue_close(&sv->q);
	conf_free(sv->cf);
}

/* ---- sessions ---- */

/* One client, from its greeting to its end. */
static void
serve_client(struct service *sv, const struct listener *l)
{
	struct submission sub;
	struct server s;
	struct err e;
	int fd;

	submission_init(&sub, sv);
	if (listen_accept(l, &fd, &sub.owner, sub.peer, sizeof(sub.peer),
	    &e) < 0) {
		if (e.code != EX_TEMPFAIL)
			fprintf(stderr, "mailout serve: %s\n", e.msg);
		return;
	}
	server_init(&s, fd, l->local, sv->st.timeout, &submit_ops, &sub);
	s.hostname = sv->hostname;
	s.domain = l->local ? sv->domain : NULL;
	s.size_max = sv->size_max;
	s.stop = sv->stop;
	server_run(&s);
	server_close(&s);
	submission_free(&sub);
}

/* Wait for a client on any listener; serve it. */
static void
serve_loop(struct service *sv, const struct listeners *ls)
{
	struct pollfd pfd[LISTEN_MAX];
	size_t i;

	for (i = 0; i < ls->n; i++) {
		pfd[i].fd = ls->v[i].fd;
		pfd[i].events = POLLIN;
	}
	while (!stopping) {
		int linger = relay_linger(sv->relay);

		if (poll(pfd, ls->n, linger < 0 ? -1 : linger * 1000) < 0) {
			if (errno != EINTR)
				break;
			continue;
		}
		for (i = 0; i < ls->n && !stopping; i++)
			if (pfd[i].revents & POLLIN)
				serve_client(sv, &ls->v[i]);
	}
}

static int
open_listeners(struct listeners *ls, const char *socket, struct err *e)
{
	memset(ls, 0, sizeof(*ls));
	if (listen_inherited(ls, e) < 0)
		return -1;
	if (ls->n > 0)
		return 0;
	return listen_unix(ls, socket ? socket : sysdirs_service_socket(), e);
}

int
serve_main(const struct options *o)
{
	struct setting_override kept[CLI_SETTINGS_MAX];
	char sysfile[PATH_MAX];
	const char *socket, *config;
	struct listeners ls;
	struct service sv;
	struct err e = { 0, "" };
	int nkept;

	if (geteuid() == 0) {
		err_set(&e, EX_USAGE, "serve: refusing to run as root: the "
		    "service needs no privilege; run it as its own user "
		    "(User=mailout in mailout.service, or runuser -u mailout "
		    "-- mailout serve)");
		return err_report(&e);
	}
	socket = take_socket(o, kept, &nkept);
	if (choose_config(o, sysfile, sizeof(sysfile), &config, &e) < 0 ||
	    setup(&sv, o, kept, nkept, config, &e) < 0)
		return err_report(&e);
	catch_signals();
	if (open_listeners(&ls, socket, &e) < 0) {
		teardown(&sv);
		return err_report(&e);
	}
	fprintf(stderr, "mailout serve: listening on %s; queue %s\n",
	    ls.v[0].name, sv.q.dir);
	serve_loop(&sv, &ls);
	fprintf(stderr, "mailout serve: stopped\n");
	listen_close(&ls);
	teardown(&sv);
	return EX_OK;
}
