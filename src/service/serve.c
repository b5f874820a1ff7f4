/* serve.c — mailout serve: its set-up, then the pool of processes. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/mailname.h"
#include "config/sysdirs.h"
#include "service/listen.h"
#include "service/pool.h"
#include "service/serve.h"

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
		sv->st.queue_dir = sysdirs_spool();
	if (queue_open(&sv->q, &sv->st, e) < 0)
		return -1;
	sv->hostname = local_hostname();
	sv->size_max = SERVICE_SIZE_MAX;
	return 0;
}

static void
teardown(struct service *sv)
{
	queue_close(&sv->q);
	conf_free(sv->cf);
}

/* systemd's sockets; else the unix socket and the TCP listeners
 * (listen, --listen). */
static int
open_listeners(struct listeners *ls, const char *socket,
    const struct settings *st, struct err *e)
{
	size_t i;

	memset(ls, 0, sizeof(*ls));
	if (listen_inherited(ls, e) < 0)
		return -1;
	for (i = 0; i < ls->n; i++)
		ls->v[i].allow = st->listen_allow;
	if (ls->n > 0)
		return 0;
	if (listen_unix(ls, socket ? socket : sysdirs_service_socket(), e) < 0)
		return -1;
	return listen_tcp(ls, st->listen, st->listen_allow, e);
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
	int nkept, rc;
	size_t i;

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
	pool_signals(&sv);
	if (open_listeners(&ls, socket, &sv.st, &e) < 0) {
		listen_close(&ls);
		teardown(&sv);
		return err_report(&e);
	}
	for (i = 0; i < ls.n; i++)
		fprintf(stderr, "mailout serve: listening on %s%s\n",
		    ls.v[i].name, ls.v[i].local ? " (LMTP)" : " (SMTP)");
	fprintf(stderr, "mailout serve: queue %s\n", sv.q.dir);
	rc = pool_run(&sv, &ls, &e);
	fprintf(stderr, "mailout serve: stopped\n");
	listen_close(&ls);
	teardown(&sv);
	return rc < 0 ? err_report(&e) : EX_OK;
}
