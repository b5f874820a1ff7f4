/*
 * http.h — one HTTPS POST of a form, for the OAuth endpoints (oauth.h),
 * through libcurl (its GnuTLS flavour, the TLS library mailout uses),
 * loaded on first use (libs.h).
 *
 * HTTPS only, no redirects, the server verified (name and chain) against
 * a CA file or the system trust store. The answer is bounded in size
 * (HTTP_BODY_MAX) and the whole exchange in time. Neither the form nor
 * the answer ever reaches the transcript: they carry tokens.
 *
 * Error codes: EX_TEMPFAIL (no connection, timeout, the connection lost),
 * EX_UNAVAILABLE (TLS handshake or verification failed), EX_PROTOCOL (an
 * answer over HTTP_BODY_MAX), EX_CONFIG (a URL libcurl refuses),
 * EX_SOFTWARE (out of memory, libcurl failed to start), and those of
 * libs.h.
 */
#ifndef MAILOUT_HTTP_H
#define MAILOUT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

#define HTTP_FORM_MAX (32 * 1024)
#define HTTP_BODY_MAX (64 * 1024)

/* An application/x-www-form-urlencoded body, built field by field. */
struct http_form {
	char text[HTTP_FORM_MAX];
	size_t len;
	bool full;		/* a field did not fit: http_post refuses it */
};

struct http_answer {
	long status;		/* the HTTP status code */
	char *body;		/* NUL-terminated; http_answer_free frees it */
	size_t len;
	bool too_big;
};

void http_form_init(struct http_form *f);

/* Add name=value, both percent-encoded; a NULL value adds nothing. */
void http_form_add(struct http_form *f, const char *name, const char *value);

/*
 * POST form to url. trust_file: the CA certificates (PEM) to verify the
 * server with; NULL for the system trust store. timeout: seconds for
 * the whole exchange. Any HTTP status is a success here: a refusal
 * comes with a JSON body that the caller reads. Errors do not name
 * the URL: the caller says what it is.
 */
int http_post(const char *url, const struct http_form *form,
    const char *trust_file, int timeout, struct http_answer *a,
    struct err *e);

/* Wipe the form, which may hold secrets. */
void http_form_wipe(struct http_form *f);

/* Wipe and free the answer (a success of http_post made it). */
void http_answer_free(struct http_answer *a);

#endif
