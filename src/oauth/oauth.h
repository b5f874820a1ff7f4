/*
 * oauth.h — OAuth 2.0 access tokens for AUTH XOAUTH2 and OAUTHBEARER,
 * with no script of the user's in between: a profile with
 * oauth_token_endpoint gets its token there with the refresh_token grant
 * (RFC 6749 section 6) and keeps it until shortly before it expires
 * (store.h); `mailout --oauth-login PROFILE` signs in once with the
 * device authorization grant (RFC 8628) and stores the refresh token.
 *
 * Every failure names the endpoint and, when it said them, its `error`
 * and `error_description`. Error codes:
 *   EX_NOPERM    the endpoint refused (invalid_grant: the login has
 *                lapsed or was revoked; sign in again), no refresh token
 *                stored, the device code expired or was denied;
 *   EX_TEMPFAIL  the endpoint could not be reached, timed out, answered
 *                5xx or 429, or said temporarily_unavailable (the
 *                message is queued when the queue is on);
 *   EX_UNAVAILABLE  its certificate did not verify;
 *   EX_PROTOCOL  an answer that is not the JSON it should be, or too big;
 *   EX_CONFIG    a key missing, or auth not XOAUTH2 or OAUTHBEARER;
 *   and those of store.h and secret.h.
 */
#ifndef MAILOUT_OAUTH_H
#define MAILOUT_OAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config/settings.h"
#include "lib/err.h"

/* One session's dealings with its token. */
struct oauth_token {
	bool from_cache;	/* the token given was the cached one */
	bool refused;		/* ... and the server refused it */
};

/* Whether AUTH gets its secret from an OAuth token endpoint. */
bool oauth_configured(const struct settings *st);

/* The access token for st into buf (n octets): the cached one while it
 * lasts, else a fresh one, with the refresh token stored anew when the
 * endpoint rotates it. */
int oauth_access_token(const struct settings *st, struct oauth_token *t,
    char *buf, size_t n, struct err *e);

/*
 * AUTH failed with e: whether to try once more with a fresh token,
 * which is when the server refused (EX_NOPERM) a token from the cache
 * (revoked, or its expiry misjudged). The cached token is forgotten;
 * the next oauth_access_token asks the endpoint.
 */
bool oauth_retry(const struct settings *st, struct oauth_token *t,
    const struct err *e);

/* --oauth-login: the device flow for st's profile, talking to the user
 * on out. */
int oauth_login(const struct settings *st, FILE *out, struct err *e);

#endif
