/* sysdirs.c — the machine-wide paths of this build (paths.h). */
#include <stdlib.h>

#include "config/sysdirs.h"
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

const char *
sysdirs_service_socket(void)
{
	return env_or("MAILOUT_SERVICE", SERVICE_SOCKET);
}
