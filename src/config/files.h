/*
 * files.h — the configuration files of mailout.conf(5): which are read
 * (--config alone, else $MAILOUT_CONFIG alone, else the system file and
 * then the user's, key by key over it), their [defaults] and profiles
 * with inherit, which profile applies (--profile, match_from,
 * default_profile, the profile named "default"), and the settings that
 * result. Every value of every profile is checked as the files are read,
 * so a mistake is reported wherever it is, chosen profile or not.
 *
 * Error codes: EX_CONFIG ("FILE:LINE: message" when a line is at fault),
 * EX_OSERR (out of memory).
 */
#ifndef MAILOUT_FILES_H
#define MAILOUT_FILES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config/settings.h"
#include "lib/err.h"
#include "message/addr.h"

#define CONF_FILES_MAX 2	/* the system file and the user's */
#define CONF_PATTERN_MAX 256	/* LIST_ITEM_MAX (lists.h) */

struct conf;

enum conf_reason {
	CONF_NO_PROFILE,	/* [defaults] and the built-in defaults alone */
	CONF_BY_OPTION,		/* --profile / -a */
	CONF_BY_MATCH_FROM,	/* a match_from pattern matched the sender */
	CONF_BY_DEFAULT_PROFILE, /* default_profile in [defaults] */
	CONF_BY_NAME,		/* the profile named "default" */
};

/* Which profile applies, and why: --dry-run says so. */
struct conf_choice {
	const char *profile;		/* NULL with CONF_NO_PROFILE */
	enum conf_reason reason;
	char pattern[CONF_PATTERN_MAX];	/* CONF_BY_MATCH_FROM: what matched */
	char sender[ADDR_MAX + 1];	/* ... and the sender it matched */
	const char *files[CONF_FILES_MAX]; /* the files read, in order */
	size_t nfiles;
};

/* The files conf_load reads, in order. */
struct conf_search {
	char path[CONF_FILES_MAX][PATH_MAX];
	size_t n;
	bool named;		/* --config or $MAILOUT_CONFIG: it must exist */
};

/* The system file: mailout.conf in sysdirs_config(). Error: a path too
 * long (EX_CONFIG). */
int conf_system_file(char *buf, size_t n, struct err *e);

/*
 * The file path alone (--config), or when path is NULL the file named by
 * $MAILOUT_CONFIG alone, or else the system file mailout.conf (in
 * sysdirs_config()) and then $XDG_CONFIG_HOME/mailout/config or
 * ~/.config/mailout/config (none without HOME); either of these two may
 * be missing. Error: a path too long (EX_CONFIG).
 */
int conf_search(struct conf_search *cs, const char *path, struct err *e);

/* Read the files of conf_search(path). *cfp is NULL after an error. */
int conf_load(struct conf **cfp, const char *path, struct err *e);

/*
 * Choose the profile: the one named (--profile), else the first whose
 * match_from matches sender (-f's address; NULL when there is none),
 * else default_profile, else the profile named "default", else none.
 * Error: no profile has that name.
 */
int conf_choose(const struct conf *cf, const char *profile,
    const char *sender, struct conf_choice *ch, struct err *e);

/*
 * Built-in defaults, then [defaults], then what the chosen profile
 * inherits (the furthest base first), then the profile itself. The
 * strings in st point into cf, which must outlive it.
 */
void conf_apply(const struct conf *cf, const struct conf_choice *ch,
    struct settings *st);

/* A key of a profile's own (users), from the profile or what it
 * inherits; NULL when none sets it, or profile is NULL. */
const char *conf_profile_value(const struct conf *cf, const char *profile,
    const char *key);

/* For --dry-run: the files read, the profile and why, and every
 * setting, the password masked. */
void conf_print(const struct settings *st, const struct conf_choice *ch,
    FILE *out);

void conf_free(struct conf *cf);

/* The longest line a configuration file may have (its line end aside). */
size_t conf_line_max(void);

/* Whether value is one key may take (a setting's, or match_from's,
 * inherit's, default_profile's), as a file line would be checked; the
 * error does not name the key. */
int conf_check_value(const char *key, const char *value, struct err *e);

#endif
