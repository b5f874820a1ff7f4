/* version.c — --version, and the paths --dry-run shows too. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "cli/version.h"
#include "config.h"
#include "config/sysdirs.h"
#include "queue/queue.h"
#include "smtp/sasl.h"

/* Whether a configuration file is there for this user to read. */
static const char *
file_state(const char *path)
{
	if (access(path, R_OK) == 0)
		return "exists";
	if (errno == ENOENT)
		return "missing";
	if (errno == EACCES)
		return "exists, not readable by this user";
	return strerror(errno);
}

static const char *
socket_state(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return errno == ENOENT ? "not present" : strerror(errno);
	return S_ISSOCK(sb.st_mode) ? "present" : "not a socket";
}

void
version_paths(const struct settings *st, FILE *out)
{
	char dir[PATH_MAX];
	struct err e = { 0, "" };

	if (queue_dir_path(st, dir, sizeof(dir), &e) < 0)
		fprintf(out, "queue directory: none (%s)\n", e.msg);
	else
		fprintf(out, "queue directory: %s\n", dir);
	fprintf(out, "service socket: %s (%s)\n", sysdirs_service_socket(),
	    socket_state(sysdirs_service_socket()));
}

/* The files conf_load reads, in order, and which of them exist. */
static void
print_files(const struct resolve_request *rq, FILE *out)
{
	struct conf_search cs;
	struct err e = { 0, "" };
	size_t i;

	if (conf_search(&cs, rq->config, &e) < 0) {
		fprintf(out, "config file: none (%s)\n", e.msg);
		return;
	}
	for (i = 0; i < cs.n; i++)
		fprintf(out, "config file: %s (%s%s)\n", cs.path[i],
		    file_state(cs.path[i]), !cs.named ? "" :
		    rq->config != NULL ? "; --config, read alone" :
		    "; $MAILOUT_CONFIG, read alone");
}

int
version_print(const struct resolve_request *rq, FILE *out)
{
	struct settings st;
	struct conf_choice ch;
	struct conf *cf = NULL;
	struct err e = { 0, "" };
	int m;

	fprintf(out, "mailout %s\n", PACKAGE_VERSION);
	fprintf(out, "GnuTLS %s\n", gnutls_check_version(NULL));
	fprintf(out, "SASL mechanisms:");
	for (m = 0; m < SASL_MECH_COUNT; m++)
		fprintf(out, " %s", sasl_name((enum sasl_mech)m));
	fprintf(out, "\n");
	print_files(rq, out);
	if (resolve_settings(rq, &cf, &st, &ch, &e) < 0) {
		fprintf(out, "configuration error: %s\n", e.msg);
		settings_defaults(&st);
	}
	version_paths(&st, out);
	conf_free(cf);
	fprintf(out, "\nCopyright (c) the mailout authors; ISC licence.\n");
	return EX_OK;
}
