/* sysdirs.c — the machine-wide paths of this build. */
#include <stdlib.h>

#include "config.h"
#include "config/sysdirs.h"

const char *
sysdirs_service_socket(void)
{
	const char *env = getenv("MAILOUT_SERVICE");

	return env != NULL && *env != '\0' ? env : SERVICE_SOCKET;
}
