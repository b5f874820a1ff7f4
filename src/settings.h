/*
 * settings.h — everything one submission needs, resolved from the
 * command line (and, later, a config profile). Read-only after main()
 * fills it.
 */
#ifndef MAILOUT_SETTINGS_H
#define MAILOUT_SETTINGS_H

#include <stdbool.h>

#include "addr.h"

struct settings {
	const char *host;		/* TCP host, when socket is NULL */
	const char *port;
	const char *socket;		/* unix socket path */
	bool lmtp;
	const char *helo;
	int timeout;			/* seconds per connect/read/write */
	const char *source_address;
	bool dot_ends;			/* classic "." end of input (no -i) */
	const char *file;		/* message file; NULL = stdin */
};

struct envelope {
	const char *sender;		/* "" = null sender <> */
	struct addr_list rcpts;
};

#endif
