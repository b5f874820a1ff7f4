/*
 * model.h — what config/files.c reads mailout.conf(5) into, and
 * config/profiles.c walks: the files' sections of key/value entries, each
 * entry knowing its file and line. Private to config/.
 */
#ifndef MAILOUT_MODEL_H
#define MAILOUT_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "config/files.h"
#include "lib/err.h"

#define DEFAULTS "defaults"	/* the section that is not a profile */

struct entry {
	char *key;
	char *value;
	const char *file;	/* one of conf.files */
	size_t file_index;	/* 0: the first file read */
	int line;
};

struct section {
	char *name;
	struct entry *v;	/* in the order read: the last of a key wins */
	size_t n, cap;
};

struct conf {
	char *files[CONF_FILES_MAX];
	size_t nfiles;
	struct section *v;	/* in the order first seen */
	size_t n, cap;
};

/* A key about profiles rather than settings: where it belongs and how
 * its value is checked. */
struct meta_key {
	const char *name;
	bool in_defaults;	/* only in [defaults]; else only in profiles */
	int (*check)(const char *v, struct err *e);
};

const struct meta_key *conf_find_meta(const char *key);
struct section *conf_find_section(const struct conf *cf, const char *name);

/* The profile of that name ([defaults] is none), or NULL. */
const struct section *conf_find_profile(const struct conf *cf,
    const char *name);

/* The entry of key that counts (the last), or NULL. */
const struct entry *conf_last_entry(const struct section *s,
    const char *key);

/* The profile s inherits from, or NULL. */
const struct section *conf_base_of(const struct conf *cf,
    const struct section *s);

#endif
