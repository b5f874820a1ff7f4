/*
 * libs.h — libcurl and json-c, loaded (dlopen) the first time OAuth
 * needs them rather than when mailout starts: linked, libcurl-gnutls
 * and the twenty libraries it brings would cost every run, OAuth or
 * not, about 3 ms and 3.5 MB (twice the peak memory of a plain send).
 *
 * The files are the ones configure saw the linker pick for -lcurl and
 * -ljson-c (CURL_SONAME, JSONC_SONAME in config.h), so the GnuTLS
 * flavour of libcurl; each function's type is the one its header
 * declares, so calls through the tables are checked as direct calls are.
 *
 * Error code: EX_UNAVAILABLE (the library or one of its functions is
 * missing: the package is not installed).
 */
#ifndef MAILOUT_LIBS_H
#define MAILOUT_LIBS_H

#include <curl/curl.h>
#include <json-c/json.h>

#include "lib/err.h"

struct curl_lib {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_perform) *easy_perform;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_strerror) *easy_strerror;
};

struct json_lib {
	__typeof__(json_tokener_new_ex) *tokener_new_ex;
	__typeof__(json_tokener_set_flags) *tokener_set_flags;
	__typeof__(json_tokener_parse_ex) *tokener_parse_ex;
	__typeof__(json_tokener_get_error) *tokener_get_error;
	__typeof__(json_tokener_get_parse_end) *tokener_get_parse_end;
	__typeof__(json_tokener_free) *tokener_free;
	__typeof__(json_object_put) *object_put;
	__typeof__(json_object_is_type) *object_is_type;
	__typeof__(json_object_object_get_ex) *object_object_get_ex;
	__typeof__(json_object_get_string) *object_get_string;
	__typeof__(json_object_get_string_len) *object_get_string_len;
	__typeof__(json_object_get_int64) *object_get_int64;
};

/* The library, loaded and initialised once (libcurl's global init
 * included); NULL after saying why in e. */
const struct curl_lib *oauthlibs_curl(struct err *e);
const struct json_lib *oauthlibs_json(struct err *e);

#endif
