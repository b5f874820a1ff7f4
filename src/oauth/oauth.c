/* oauth.c — access tokens by the refresh_token grant, and the device
 * flow of --oauth-login. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/secret.h"
#include "lib/trace.h"
#include "oauth/http.h"
#include "oauth/libs.h"
#include "oauth/oauth.h"
#include "oauth/store.h"
#include "smtp/sasl.h"

#define JSON_DEPTH_MAX 8	/* a token answer is one flat object */
#define CACHE_MARGIN 120	/* seconds: a token this close to expiry is
				 * not worth a session */
#define DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"
#define POLL_DEFAULT 5		/* seconds, RFC 8628 3.2 */
#define POLL_MIN 1		/* never faster, whatever the endpoint says */
#define POLL_MAX 60
#define SLOW_DOWN_STEP 5	/* seconds more for each slow_down, 3.5 */
#define DEVICE_WAIT_MAX 3600	/* seconds, however long the code lasts */

/* What the endpoint said was wrong, as it said it. */
struct endpoint_error {
	char error[64];		/* "" when it named none */
	char description[256];
};

/* A successful answer of the token endpoint. */
struct token_answer {
	char access_token[SECRET_MAX];
	char refresh_token[SECRET_MAX];	/* "" when not rotated */
	long expires_in;		/* 0 when not said: not cached */
};

/* A successful answer of the device authorization endpoint. */
struct device_answer {
	char device_code[SECRET_MAX];
	char user_code[128];
	char uri[1024];
	char uri_complete[1024];	/* "" when not given */
	long expires_in;
	long interval;
};

/*
 * JSON
 */

/* json-c, loaded by endpoint_post before any JSON object exists. */
static const struct json_lib *J;

/* The answer's body as a JSON object, or NULL if it is not exactly one
 * (blanks around it aside). */
static struct json_object *
json_object_of(const struct http_answer *a)
{
	struct json_tokener *tok = J->tokener_new_ex(JSON_DEPTH_MAX);
	struct json_object *obj = NULL;
	size_t end;

	if (tok == NULL)
		return NULL;
	J->tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_ALLOW_TRAILING_CHARS);
	obj = J->tokener_parse_ex(tok, a->body, (int)a->len);
	end = J->tokener_get_parse_end(tok);
	if (J->tokener_get_error(tok) != json_tokener_success ||
	    a->body[end + strspn(a->body + end, " \t\r\n")] != '\0' ||
	    !J->object_is_type(obj, json_type_object)) {
		J->object_put(obj);
		obj = NULL;
	}
	J->tokener_free(tok);
	return obj;
}

/* json-c frees its copies of strings without wiping them: wipe the
 * secrets first, then free. */
static void
json_free_wiped(struct json_object *obj)
{
	static const char *const secrets[] = {
		"access_token", "refresh_token", "id_token", "device_code",
	};
	struct json_object *v;
	size_t i;

	if (obj == NULL)
		return;
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (J->object_object_get_ex(obj, secrets[i], &v) &&
		    J->object_is_type(v, json_type_string))
			explicit_bzero((char *)J->object_get_string(v),
			    (size_t)J->object_get_string_len(v));
	J->object_put(obj);
}

/* Member name, a string, into buf: 1, or 0 when absent (or null), or
 * -1 when it is something else or does not fit. */
static int
json_text(struct json_object *obj, const char *name, char *buf, size_t n)
{
	struct json_object *v;
	size_t len;

	buf[0] = '\0';
	if (!J->object_object_get_ex(obj, name, &v) || v == NULL)
		return 0;
	if (!J->object_is_type(v, json_type_string))
		return -1;
	len = (size_t)J->object_get_string_len(v);
	if (len >= n || memchr(J->object_get_string(v), '\0', len) != NULL)
		return -1;
	memcpy(buf, J->object_get_string(v), len + 1);
	return 1;
}

/* Member name, a count of seconds: a number, or a string of digits as
 * some endpoints send; dflt when absent, -1 when malformed. */
static long
json_seconds(struct json_object *obj, const char *name, long dflt)
{
	struct json_object *v;
	char digits[16], *end;
	long n;

	if (!J->object_object_get_ex(obj, name, &v) || v == NULL)
		return dflt;
	if (J->object_is_type(v, json_type_int)) {
		n = (long)J->object_get_int64(v);
		return n >= 0 ? n : -1;
	}
	if (json_text(obj, name, digits, sizeof(digits)) != 1 ||
	    digits[0] < '0' || digits[0] > '9')
		return -1;
	n = strtol(digits, &end, 10);
	return *end == '\0' ? n : -1;
}

/*
 * Talking to the endpoints
 */

/* The endpoint's words, quoted so that they cannot drive a terminal. */
static void
read_error(struct json_object *obj, struct endpoint_error *ee)
{
	char raw[sizeof(ee->description)];

	memset(ee, 0, sizeof(*ee));
	if (obj == NULL)
		return;
	/* an "error" that is no string is an error all the same */
	if (json_text(obj, "error", raw, sizeof(raw)) < 0)
		snprintf(raw, sizeof(raw), "(malformed)");
	err_quote(ee->error, sizeof(ee->error), raw, strlen(raw));
	if (json_text(obj, "error_description", raw, sizeof(raw)) > 0)
		err_quote(ee->description, sizeof(ee->description), raw,
		    strlen(raw));
}

/* Why an answer is no success, and whether that passes: 5xx, 429 and
 * temporarily_unavailable do; what the endpoint refuses does not. */
static int
refusal(const char *what, const char *url, long status,
    const struct endpoint_error *ee, struct err *e)
{
	char said[sizeof(ee->error) + sizeof(ee->description) + 8];
	bool passing = status >= 500 || status == 429 ||
	    strcmp(ee->error, "temporarily_unavailable") == 0;

	snprintf(said, sizeof(said), "%s%s%s", ee->error,
	    ee->description[0] != '\0' ? ": " : "", ee->description);
	if (passing || ee->error[0] == '\0')
		return err_set(e, passing ? EX_TEMPFAIL : EX_NOPERM, "OAuth "
		    "%s %s answered HTTP %ld%s%s", what, url, status,
		    said[0] != '\0' ? ": " : "", said);
	return err_set(e, EX_NOPERM, "OAuth %s %s refused: %s", what, url,
	    said);
}

/*
 * POST form to an endpoint (what names it in messages). A success (HTTP
 * 200 and a JSON object without "error") is that object, which the
 * caller frees with json_free_wiped; else NULL, e saying why and ee what
 * the endpoint said.
 */
static struct json_object *
endpoint_post(const struct settings *st, const char *what, const char *url,
    const struct http_form *form, struct endpoint_error *ee, struct err *e)
{
	struct http_answer a;
	struct json_object *obj;

	memset(ee, 0, sizeof(*ee));
	if ((J = oauthlibs_json(e)) == NULL)
		return NULL;
	if (http_post(url, form, st->oauth_trust_file, st->timeout, &a,
	    e) < 0) {
		err_prefix(e, "OAuth %s %s", what, url);
		return NULL;
	}
	obj = json_object_of(&a);
	read_error(obj, ee);
	if (a.status != 200 || ee->error[0] != '\0') {
		refusal(what, url, a.status, ee, e);
		json_free_wiped(obj);
		obj = NULL;
	} else if (obj == NULL) {
		err_set(e, EX_PROTOCOL, "OAuth %s %s: the answer is not a JSON "
		    "object", what, url);
	}
	http_answer_free(&a);
	return obj;
}

static int
malformed(const char *what, const char *url, const char *member,
    struct err *e)
{
	return err_set(e, EX_PROTOCOL, "OAuth %s %s: no valid \"%s\" in the "
	    "answer", what, url, member);
}

static int
read_tokens(const struct settings *st, struct json_object *obj,
    struct token_answer *ta, struct err *e)
{
	const char *url = st->oauth_token_endpoint;
	char type[32];

	if (json_text(obj, "access_token", ta->access_token,
	    sizeof(ta->access_token)) != 1 || !oauth_token_ok(ta->access_token))
		return malformed("token endpoint", url, "access_token", e);
	if (json_text(obj, "token_type", type, sizeof(type)) < 0 ||
	    (type[0] != '\0' && strcasecmp(type, "Bearer") != 0))
		return malformed("token endpoint", url, "token_type (Bearer)",
		    e);
	if (json_text(obj, "refresh_token", ta->refresh_token,
	    sizeof(ta->refresh_token)) < 0 || (ta->refresh_token[0] != '\0' &&
	    !oauth_token_ok(ta->refresh_token)))
		return malformed("token endpoint", url, "refresh_token", e);
	if ((ta->expires_in = json_seconds(obj, "expires_in", 0)) < 0)
		return malformed("token endpoint", url, "expires_in", e);
	return 0;
}

/* A grant at the token endpoint: the tokens, or the endpoint's error. */
static int
token_request(const struct settings *st, const struct http_form *form,
    struct token_answer *ta, struct endpoint_error *ee, struct err *e)
{
	struct json_object *obj;
	int rc;

	memset(ta, 0, sizeof(*ta));
	obj = endpoint_post(st, "token endpoint", st->oauth_token_endpoint,
	    form, ee, e);
	if (obj == NULL)
		return -1;
	rc = read_tokens(st, obj, ta, e);
	json_free_wiped(obj);
	return rc;
}

/* The client's secret, if it has one (a public client has none). */
static int
client_secret(const struct settings *st, char *buf, size_t n, struct err *e)
{
	buf[0] = '\0';
	if (st->oauth_client_secret_command != NULL)
		return secret_from_key_command("oauth_client_secret_command",
		    st->oauth_client_secret_command, buf, n, e);
	if (st->oauth_client_secret != NULL)
		snprintf(buf, n, "%s", st->oauth_client_secret);
	return 0;
}

/* client_id, and client_secret in the body (RFC 6749 2.3.1). */
static void
add_client(struct http_form *f, const struct settings *st,
    const char *secret)
{
	http_form_add(f, "client_id", st->oauth_client_id);
	if (secret[0] != '\0')
		http_form_add(f, "client_secret", secret);
}

static const char *
profile_name(const struct settings *st)
{
	return st->profile != NULL ? st->profile : "PROFILE";
}

/* Keep what a grant gave: a rotated refresh token, the access token. */
static void
keep_tokens(const struct oauth_store *store, const struct token_answer *ta,
    const char *old_refresh, time_t now)
{
	struct err e;

	if (ta->refresh_token[0] != '\0' &&
	    strcmp(ta->refresh_token, old_refresh) != 0) {
		if (oauth_refresh_write(store, ta->refresh_token, &e) == 0)
			trace_note("OAuth: the endpoint rotated the refresh "
			    "token; the new one is in %s", store->refresh_path);
		else	/* this message can still go; the next may not */
			fprintf(stderr, "mailout: warning: the new OAuth "
			    "refresh token could not be stored: %s\n", e.msg);
	}
	if (ta->expires_in > 0)
		oauth_cache_write(store, ta->access_token,
		    now + (time_t)ta->expires_in);
}

/*
 * The refresh_token grant (RFC 6749 6)
 */

static int
lapsed(const struct settings *st, struct err *e)
{
	char said[ERR_MSG_MAX];

	/* Issue 19's alert hook, once it lands, belongs here: only a
	 * person can sign in again, and until then nothing is sent. */
	snprintf(said, sizeof(said), "%s", e->msg);
	return err_set(e, EX_NOPERM, "%s; sign in with mailout --oauth-login "
	    "%s", said, profile_name(st));
}

static int
refresh(const struct settings *st, const struct oauth_store *store,
    time_t now, char *buf, size_t n, struct err *e)
{
	char refresh_token[SECRET_MAX], secret[SECRET_MAX];
	struct token_answer ta;
	struct endpoint_error ee;
	struct http_form form;
	int rc = -1;

	if (oauth_refresh_read(store, refresh_token, sizeof(refresh_token),
	    e) < 0)
		return e->code == EX_NOPERM ? lapsed(st, e) : -1;
	if (client_secret(st, secret, sizeof(secret), e) < 0)
		goto out;
	http_form_init(&form);
	http_form_add(&form, "grant_type", "refresh_token");
	http_form_add(&form, "refresh_token", refresh_token);
	add_client(&form, st, secret);
	http_form_add(&form, "scope", st->oauth_scope);
	rc = token_request(st, &form, &ta, &ee, e);
	http_form_wipe(&form);
	if (rc < 0 && strcmp(ee.error, "invalid_grant") == 0)
		lapsed(st, e);
	if (rc == 0 && strlen(ta.access_token) >= n)
		rc = err_set(e, EX_PROTOCOL, "OAuth: the access token is longer "
		    "than %zu octets", n - 1);
	if (rc == 0) {
		keep_tokens(store, &ta, refresh_token, now);
		memcpy(buf, ta.access_token, strlen(ta.access_token) + 1);
	}
	explicit_bzero(&ta, sizeof(ta));
out:
	explicit_bzero(refresh_token, sizeof(refresh_token));
	explicit_bzero(secret, sizeof(secret));
	return rc;
}

bool
oauth_configured(const struct settings *st)
{
	return st->oauth_token_endpoint != NULL;
}

/* The token goes into XOAUTH2 or OAUTHBEARER, and nowhere else. */
static int
check_settings(const struct settings *st, struct err *e)
{
	int m = st->auth != NULL ? sasl_lookup(st->auth) : -1;

	if (m != SASL_XOAUTH2 && m != SASL_OAUTHBEARER)
		return err_set(e, EX_CONFIG, "oauth_token_endpoint is set, so "
		    "auth must be XOAUTH2 or OAUTHBEARER, not %s",
		    st->auth != NULL ? st->auth : "off");
	if (st->oauth_client_id == NULL)
		return err_set(e, EX_CONFIG, "oauth_token_endpoint is set "
		    "without oauth_client_id");
	return 0;
}

int
oauth_access_token(const struct settings *st, struct oauth_token *t,
    char *buf, size_t n, struct err *e)
{
	struct oauth_store store;
	time_t now = time(NULL);
	int rc = 0;

	t->from_cache = false;
	if (check_settings(st, e) < 0 || oauth_store_init(&store, st, e) < 0)
		return -1;
	/* under the lock, the cache shows what another mailout just got */
	oauth_store_lock(&store);
	if (!t->refused && oauth_cache_read(&store, now, CACHE_MARGIN, buf, n))
		t->from_cache = true;
	else
		rc = refresh(st, &store, now, buf, n, e);
	oauth_store_unlock(&store);
	return rc;
}

bool
oauth_retry(const struct settings *st, struct oauth_token *t,
    const struct err *e)
{
	struct oauth_store store;
	struct err ignored;

	if (!t->from_cache || t->refused || e->code != EX_NOPERM)
		return false;
	t->refused = true;
	trace_note("OAuth: the server refused the cached access token; asking "
	    "the token endpoint for a new one");
	if (oauth_store_init(&store, st, &ignored) == 0)
		oauth_cache_forget(&store);
	return true;
}

/*
 * The device authorization grant (RFC 8628), for --oauth-login
 */

static int
read_device(const struct settings *st, struct json_object *obj,
    struct device_answer *da, struct err *e)
{
	const char *url = st->oauth_device_endpoint, *what = "device endpoint";

	if (json_text(obj, "device_code", da->device_code,
	    sizeof(da->device_code)) != 1 || !oauth_token_ok(da->device_code))
		return malformed(what, url, "device_code", e);
	if (json_text(obj, "user_code", da->user_code,
	    sizeof(da->user_code)) != 1)
		return malformed(what, url, "user_code", e);
	/* Google says verification_url, as drafts of RFC 8628 did */
	if (json_text(obj, "verification_uri", da->uri, sizeof(da->uri)) != 1 &&
	    json_text(obj, "verification_url", da->uri, sizeof(da->uri)) != 1)
		return malformed(what, url, "verification_uri", e);
	if (json_text(obj, "verification_uri_complete", da->uri_complete,
	    sizeof(da->uri_complete)) < 0)
		return malformed(what, url, "verification_uri_complete", e);
	if ((da->expires_in = json_seconds(obj, "expires_in", -1)) <= 0)
		return malformed(what, url, "expires_in", e);
	if ((da->interval = json_seconds(obj, "interval", POLL_DEFAULT)) < 0)
		return malformed(what, url, "interval", e);
	if (da->expires_in > DEVICE_WAIT_MAX)
		da->expires_in = DEVICE_WAIT_MAX;
	if (da->interval < POLL_MIN)
		da->interval = POLL_MIN;
	if (da->interval > POLL_MAX)
		da->interval = POLL_MAX;
	return 0;
}

static int
device_request(const struct settings *st, struct device_answer *da,
    struct err *e)
{
	struct endpoint_error ee;
	struct json_object *obj;
	struct http_form form;
	int rc;

	memset(da, 0, sizeof(*da));
	http_form_init(&form);
	http_form_add(&form, "client_id", st->oauth_client_id);
	http_form_add(&form, "scope", st->oauth_scope);
	obj = endpoint_post(st, "device endpoint", st->oauth_device_endpoint,
	    &form, &ee, e);
	if (obj == NULL)
		return -1;
	rc = read_device(st, obj, da, e);
	json_free_wiped(obj);
	return rc;
}

/* The endpoint's words on the user's terminal: quoted. */
static void
tell_user(FILE *out, const struct settings *st,
    const struct device_answer *da)
{
	char uri[sizeof(da->uri)], code[sizeof(da->user_code)];

	err_quote(uri, sizeof(uri), da->uri, strlen(da->uri));
	err_quote(code, sizeof(code), da->user_code, strlen(da->user_code));
	fprintf(out, "To sign in for profile %s, open\n  %s\nand enter the "
	    "code %s\n", profile_name(st), uri, code);
	if (da->uri_complete[0] != '\0') {
		err_quote(uri, sizeof(uri), da->uri_complete,
		    strlen(da->uri_complete));
		fprintf(out, "(or open %s, which carries the code)\n", uri);
	}
	fprintf(out, "Waiting for the sign-in (the code expires in %ld "
	    "s)...\n", da->expires_in);
	fflush(out);
}

static void
sleep_seconds(long s)
{
	struct timespec left = { s, 0 };

	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
}

/* Ask the token endpoint at the interval until the user has signed in:
 * authorization_pending asks again, slow_down 5 s slower from then on. */
static int
device_poll(const struct settings *st, const struct device_answer *da,
    const char *secret, struct token_answer *ta, struct err *e)
{
	time_t deadline = time(NULL) + da->expires_in;
	long interval = da->interval;
	struct endpoint_error ee;
	struct http_form form;
	int rc;

	for (;;) {
		if (time(NULL) + interval > deadline)
			return err_set(e, EX_NOPERM, "OAuth: the code expired "
			    "before the sign-in; run mailout --oauth-login %s "
			    "again", profile_name(st));
		sleep_seconds(interval);
		http_form_init(&form);
		http_form_add(&form, "grant_type", DEVICE_GRANT);
		http_form_add(&form, "device_code", da->device_code);
		add_client(&form, st, secret);
		rc = token_request(st, &form, ta, &ee, e);
		http_form_wipe(&form);
		if (rc == 0 || (strcmp(ee.error, "authorization_pending") != 0 &&
		    strcmp(ee.error, "slow_down") != 0))
			return rc;
		if (strcmp(ee.error, "slow_down") == 0) {
			interval += SLOW_DOWN_STEP;
			trace_note("OAuth: slow_down: asking every %ld s now",
			    interval);
		}
	}
}

static int
check_login_settings(const struct settings *st, struct err *e)
{
	const char *missing = st->oauth_device_endpoint == NULL ?
	    "oauth_device_endpoint" : st->oauth_token_endpoint == NULL ?
	    "oauth_token_endpoint" : st->oauth_client_id == NULL ?
	    "oauth_client_id" : NULL;

	if (missing != NULL)
		return err_set(e, EX_CONFIG, "--oauth-login: profile %s has no "
		    "%s", profile_name(st), missing);
	return 0;
}

int
oauth_login(const struct settings *st, FILE *out, struct err *e)
{
	struct device_answer da;
	struct token_answer ta;
	struct oauth_store store;
	char secret[SECRET_MAX];
	int rc = -1;

	memset(&ta, 0, sizeof(ta));
	if (check_login_settings(st, e) < 0 ||
	    oauth_store_init(&store, st, e) < 0 ||
	    client_secret(st, secret, sizeof(secret), e) < 0)
		return -1;
	if (device_request(st, &da, e) < 0)
		goto out;
	tell_user(out, st, &da);
	if (device_poll(st, &da, secret, &ta, e) < 0)
		goto out;
	if (ta.refresh_token[0] == '\0') {
		err_set(e, EX_NOPERM, "OAuth: the token endpoint gave no refresh "
		    "token (Microsoft gives one only with offline_access in "
		    "oauth_scope)");
		goto out;
	}
	oauth_store_lock(&store);
	rc = oauth_refresh_write(&store, ta.refresh_token, e);
	if (rc == 0)
		keep_tokens(&store, &ta, ta.refresh_token, time(NULL));
	oauth_store_unlock(&store);
	if (rc == 0)
		fprintf(out, "Signed in. The refresh token is in %s\n",
		    store.refresh_path);
out:
	explicit_bzero(&da, sizeof(da));
	explicit_bzero(&ta, sizeof(ta));
	explicit_bzero(secret, sizeof(secret));
	return rc;
}
