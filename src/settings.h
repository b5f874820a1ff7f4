/*
 * settings.h — everything one submission needs, resolved from the
 * command line (and, later, a config profile). Read-only after main()
 * fills it.
 */
#ifndef MAILOUT_SETTINGS_H
#define MAILOUT_SETTINGS_H

#include <stdbool.h>

#include "addr.h"
#include "tls.h"

enum tls_mode {
	TLS_AUTO,		/* implicit on 465, STARTTLS unless loopback */
	TLS_OFF,
	TLS_STARTTLS,		/* required */
	TLS_IMPLICIT,
};

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
	const char *auth;		/* "off", "on" (strongest) or a mechanism */
	const char *user;
	const char *password_command;
	enum tls_mode tls;
	struct tls_options tls_options;	/* server_name is filled in at connect */
};

struct envelope {
	const char *sender;		/* "" = null sender <> */
	struct addr_list rcpts;
};

#endif
