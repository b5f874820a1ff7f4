/* sysdirs.c — the machine-wide paths of this build (paths.h). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config/sysdirs.h"
#include "lib/dirs.h"
#include "paths.h"

/* The environment's value of name when it is set and not empty. */
static const char *
env_or(const char *name, const char *built_in)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : built_in;
}

const char *
sysdirs_config(void)
{
	return env_or("MAILOUT_SYSCONFDIR", SYSCONFDIR);
}

const char *
sysdirs_spool(void)
{
	return QUEUE_DIR_SYSTEM;
}

int
sysdirs_queue(const char *queue_dir, char *buf, size_t n)
{
	int len;

	if (queue_dir != NULL)
		len = snprintf(buf, n, "%s", queue_dir);
	else if (geteuid() == 0)
		len = snprintf(buf, n, "%s", sysdirs_spool());
	else
		return dirs_user(buf, n, "XDG_STATE_HOME", ".local/state",
		    "mailout/queue");
	return len < 0 || (size_t)len >= n ? -1 : 0;
}

const char *
sysdirs_service_socket(void)
{
	return env_or("MAILOUT_SERVICE", SERVICE_SOCKET);
}
