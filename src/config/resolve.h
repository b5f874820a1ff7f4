/*
 * resolve.h — the settings one message is sent with: built-in defaults <
 * [defaults] < inherited profiles < the profile < overrides (the command
 * line; for a queued message, its original command line first), then
 * what depends on the rest (port, helo, auth). Shared by a send and by
 * the queue's flush.
 *
 * Error codes: those of files.h; EX_USAGE / EX_CONFIG when AUTH is asked
 * for without a user.
 */
#ifndef MAILOUT_RESOLVE_H
#define MAILOUT_RESOLVE_H

#include "config/files.h"
#include "config/settings.h"

struct resolve_request {
	const char *config;		/* --config; NULL: the usual files */
	const char *profile;		/* --profile; NULL: choose */
	const char *sender;		/* -f, for match_from; may be NULL */
	const struct setting_override *overrides;	/* applied in order */
	int noverrides;
};

/* The strings of st point into *cf and the request: free *cf (conf_free)
 * after st's last use. */
int resolve_settings(const struct resolve_request *rq, struct conf **cf,
    struct settings *st, struct conf_choice *ch, struct err *e);

/* The same with files already read (rq->config is not looked at): the
 * service reads its configuration once and resolves each message's. */
int resolve_loaded(const struct resolve_request *rq, const struct conf *cf,
    struct settings *st, struct conf_choice *ch, struct err *e);

#endif
