/* libs.c — libcurl and json-c, loaded when OAuth first needs them. */
#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "lib/util.h"
#include "oauth/libs.h"


/* A function to look up, and where its address goes. POSIX lets a
 * function pointer be written through void ** for dlsym's sake. */
struct symbol {
	const char *name;
	void **slot;
};

/* One library, loaded once: 1 ready, -1 failed (e said why), 0 not yet
 * tried. */
struct lazy {
	const char *file;
	int state;
	struct err why;
};

static int
load(struct lazy *l, const struct symbol *syms, size_t n)
{
	void *h;
	size_t i;

	if (l->state != 0)
		return l->state;
	l->state = -1;
	if ((h = dlopen(l->file, RTLD_NOW | RTLD_LOCAL)) == NULL)
		return err_set(&l->why, EX_UNAVAILABLE, "OAuth needs %s, which "
		    "cannot be loaded: %s", l->file, dlerror());
	for (i = 0; i < n; i++)
		if ((*syms[i].slot = dlsym(h, syms[i].name)) == NULL)
			return err_set(&l->why, EX_UNAVAILABLE, "OAuth needs "
			    "%s() of %s: not found", syms[i].name, l->file);
	l->state = 1;
	return 1;
}

#define SYM(lib, fn, member) { #fn, (void **)&lib.member }

static struct curl_lib curl;

const struct curl_lib *
oauthlibs_curl(struct err *e)
{
	static struct lazy l = { CURL_SONAME, 0, { 0, "" } };
	static const struct symbol syms[] = {
		SYM(curl, curl_global_init, global_init),
		SYM(curl, curl_easy_init, easy_init),
		SYM(curl, curl_easy_setopt, easy_setopt),
		SYM(curl, curl_easy_perform, easy_perform),
		SYM(curl, curl_easy_getinfo, easy_getinfo),
		SYM(curl, curl_easy_cleanup, easy_cleanup),
		SYM(curl, curl_easy_strerror, easy_strerror),
	};
	bool first = l.state == 0;

	if (load(&l, syms, nitems(syms)) == 1 && first &&
	    curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		l.state = -1;
		err_set(&l.why, EX_SOFTWARE, "libcurl failed to start");
	}
	if (l.state < 0) {
		*e = l.why;
		return NULL;
	}
	return &curl;
}

static struct json_lib json;

const struct json_lib *
oauthlibs_json(struct err *e)
{
	static struct lazy l = { JSONC_SONAME, 0, { 0, "" } };
	static const struct symbol syms[] = {
		SYM(json, json_tokener_new_ex, tokener_new_ex),
		SYM(json, json_tokener_set_flags, tokener_set_flags),
		SYM(json, json_tokener_parse_ex, tokener_parse_ex),
		SYM(json, json_tokener_get_error, tokener_get_error),
		SYM(json, json_tokener_get_parse_end, tokener_get_parse_end),
		SYM(json, json_tokener_free, tokener_free),
		SYM(json, json_object_put, object_put),
		SYM(json, json_object_is_type, object_is_type),
		SYM(json, json_object_object_get_ex, object_object_get_ex),
		SYM(json, json_object_get_string, object_get_string),
		SYM(json, json_object_get_string_len, object_get_string_len),
		SYM(json, json_object_get_int64, object_get_int64),
	};

	if (load(&l, syms, nitems(syms)) < 0) {
		*e = l.why;
		return NULL;
	}
	return &json;
}
