/*
 * store.h — where the OAuth tokens of a profile are kept between
 * runs (oauth.h gets them):
 *
 * - the refresh token: one line in oauth_refresh_token_file, by default
 *   $XDG_STATE_HOME/mailout/oauth-PROFILE.refresh-token (that is,
 *   ~/.local/state/mailout/...). Written by --oauth-login, and replaced
 *   atomically (temporary file, fsync, rename) when the endpoint rotates
 *   it, so a crash leaves the old token or the new one, never neither.
 * - the access token and when it expires: $XDG_CACHE_HOME/mailout/
 *   oauth-HASH (~/.cache/mailout/...), HASH standing for what the token
 *   is good for (endpoint, client, scope, refresh token file).
 *
 * Both are created 0600. A file that is not the user's own, or that
 * others may read, is refused: the refresh token with an error (the
 * login may have leaked: say so), the cache entry is skipped.
 *
 * Error codes: EX_NOPERM (no refresh token: nobody signed in), EX_CONFIG
 * (a refresh token file that is not private, or not one line of token),
 * EX_CANTCREAT, EX_IOERR.
 */
#ifndef MAILOUT_STORE_H
#define MAILOUT_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <time.h>

#include "config/settings.h"
#include "lib/err.h"

struct oauth_store {
	char refresh_path[PATH_MAX];
	char cache_path[PATH_MAX];	/* "" with no cache directory */
	int lock_fd;			/* -1 when not locked */
};

/* Whether t can be a token: visible ASCII, no blank (RFC 6750's
 * b64token is a subset). Only such a token is stored or sent. */
bool oauth_token_ok(const char *t);

/* The paths for st's tokens; no file is touched yet. */
int oauth_store_init(struct oauth_store *s, const struct settings *st,
    struct err *e);

/*
 * Hold the profile's lock until oauth_store_unlock, so that two mailout
 * processes do not both spend the refresh token (an endpoint that
 * rotates it may take a second use for theft and revoke the login).
 * Without a cache directory there is no lock, and no error either.
 */
void oauth_store_lock(struct oauth_store *s);
void oauth_store_unlock(struct oauth_store *s);

/* The refresh token, into buf (n octets). */
int oauth_refresh_read(const struct oauth_store *s, char *buf, size_t n,
    struct err *e);

/* Store a new refresh token: 0600, atomically, its directory made if
 * need be. */
int oauth_refresh_write(const struct oauth_store *s, const char *token,
    struct err *e);

/* The cached access token, if there is one that stays valid until at
 * least now + margin seconds. */
bool oauth_cache_read(const struct oauth_store *s, time_t now, long margin,
    char *buf, size_t n);

/* Keep the access token until expires; failing to is no error. */
void oauth_cache_write(const struct oauth_store *s, const char *token,
    time_t expires);

/* Drop the cached access token: the server refused it. */
void oauth_cache_forget(const struct oauth_store *s);

#endif
