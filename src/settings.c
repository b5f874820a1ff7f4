/* settings.c — the built-in defaults. */
#include <string.h>

#include "settings.h"

#define QUEUE_LIFETIME_DEFAULT (5 * 24 * 3600L)

void
settings_defaults(struct settings *st)
{
	memset(st, 0, sizeof(*st));
	st->host = "localhost";
	st->timeout = 60;
	st->dot_ends = true;
	st->auth = "off";
	st->tls = TLS_AUTO;
	st->add_missing_headers = true;
	st->remove_bcc = true;
	st->pipelining = true;
	st->chunking = true;
	st->queue = true;
	st->queue_lifetime = QUEUE_LIFETIME_DEFAULT;
	st->syslog_facility = "mail";
}
