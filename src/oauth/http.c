/* http.c — an HTTPS form POST with libcurl, bounded in size and time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "lib/trace.h"
#include "oauth/http.h"
#include "oauth/libs.h"

void
http_form_init(struct http_form *f)
{
	f->text[0] = '\0';
	f->len = 0;
	f->full = false;
}

static void
form_put(struct http_form *f, const char *s, size_t len)
{
	if (f->full || f->len + len + 1 > sizeof(f->text)) {
		f->full = true;
		return;
	}
	memcpy(f->text + f->len, s, len);
	f->len += len;
	f->text[f->len] = '\0';
}

/* Append s percent-encoded as a form wants it (RFC 3986: the
 * unreserved characters stay, every other octet is %HH). */
static void
form_put_encoded(struct http_form *f, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char pct[3] = "%";

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL) {
			form_put(f, (const char *)p, 1);
		} else {
			pct[1] = hex[*p >> 4];
			pct[2] = hex[*p & 15];
			form_put(f, pct, 3);
		}
	}
}

void
http_form_add(struct http_form *f, const char *name, const char *value)
{
	if (value == NULL)
		return;
	if (f->len > 0)
		form_put(f, "&", 1);
	form_put_encoded(f, name);
	form_put(f, "=", 1);
	form_put_encoded(f, value);
}

/* libcurl's write callback: keep the body, but no more than fits. */
static size_t
take_body(char *data, size_t size, size_t n, void *user)
{
	struct http_answer *a = user;
	size_t len = size * n;

	if (len > HTTP_BODY_MAX - a->len) {
		a->too_big = true;
		return 0;	/* libcurl stops with CURLE_WRITE_ERROR */
	}
	memcpy(a->body + a->len, data, len);
	a->len += len;
	a->body[a->len] = '\0';
	return len;
}

/* How a libcurl failure counts: the network comes back; a certificate
 * that does not verify, or a URL that is wrong, does not by itself. */
static int
curl_failure(const struct curl_lib *lib, CURLcode rc, const char *detail,
    const struct http_answer *a, struct err *e)
{
	const char *why = *detail != '\0' ? detail : lib->easy_strerror(rc);
	int code;

	if (rc == CURLE_FILESIZE_EXCEEDED || (rc == CURLE_WRITE_ERROR &&
	    a->too_big))
		return err_set(e, EX_PROTOCOL, "the answer is longer than %d "
		    "octets", HTTP_BODY_MAX);
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
		code = EX_UNAVAILABLE;
		break;
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		code = EX_CONFIG;
		break;
	case CURLE_WRITE_ERROR:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_FAILED_INIT:
		code = EX_SOFTWARE;
		break;
	default:
		code = EX_TEMPFAIL;
		break;
	}
	return err_set(e, code, "%s", why);
}

/* Every option of the one request; any that fails fails the request. */
static CURLcode
set_options(const struct curl_lib *lib, CURL *c, const char *url,
    const struct http_form *form, const char *trust_file, int timeout,
    char *errbuf, struct http_answer *a)
{
	CURLcode rc = CURLE_OK;

#define SET(opt, val) \
	do { if (rc == CURLE_OK) rc = lib->easy_setopt(c, opt, val); } while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (trust_file != NULL)
		SET(CURLOPT_CAINFO, trust_file);
	SET(CURLOPT_TIMEOUT, (long)timeout);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, "mailout/" PACKAGE_VERSION);
	SET(CURLOPT_POSTFIELDS, form->text);
	SET(CURLOPT_POSTFIELDSIZE, (long)form->len);
	SET(CURLOPT_MAXFILESIZE, (long)HTTP_BODY_MAX);
	SET(CURLOPT_WRITEFUNCTION, take_body);
	SET(CURLOPT_WRITEDATA, a);
	SET(CURLOPT_ERRORBUFFER, errbuf);
#undef SET
	return rc;
}

int
http_post(const char *url, const struct http_form *form,
    const char *trust_file, int timeout, struct http_answer *a,
    struct err *e)
{
	const struct curl_lib *lib = oauthlibs_curl(e);
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	CURL *c;
	int ret = 0;

	memset(a, 0, sizeof(*a));
	if (lib == NULL)
		return -1;
	if (form->full)
		return err_set(e, EX_SOFTWARE, "the request is longer than %d "
		    "octets", HTTP_FORM_MAX);
	if ((a->body = calloc(1, HTTP_BODY_MAX + 1)) == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	if ((c = lib->easy_init()) == NULL) {
		http_answer_free(a);
		return err_set(e, EX_SOFTWARE, "libcurl failed to start");
	}
	trace_note("OAuth: POST %s", url);
	rc = set_options(lib, c, url, form, trust_file, timeout, errbuf, a);
	if (rc == CURLE_OK)
		rc = lib->easy_perform(c);
	if (rc == CURLE_OK)
		rc = lib->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	if (rc != CURLE_OK)
		ret = curl_failure(lib, rc, errbuf, a, e);
	else
		trace_note("OAuth: HTTP %ld, %zu octets", a->status, a->len);
	lib->easy_cleanup(c);
	if (ret < 0)
		http_answer_free(a);
	return ret;
}

void
http_form_wipe(struct http_form *f)
{
	explicit_bzero(f->text, sizeof(f->text));
	f->len = 0;
}

void
http_answer_free(struct http_answer *a)
{
	if (a->body != NULL)
		explicit_bzero(a->body, HTTP_BODY_MAX + 1);
	free(a->body);
	a->body = NULL;
	a->len = 0;
}
