/*
 * conf.c — mailout.conf(5). Each file is read once into sections of
 * key/value entries, every value checked on the way by the key's parser
 * (settings.c) or, for the keys about profiles, by meta_keys[]. Choosing
 * and applying a profile then only walks that model.
 */
#include <errno.h>
#include <fnmatch.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "conf.h"
#include "suggest.h"

#define DEFAULTS "defaults"	/* the section that is not a profile */
#define CONF_LINE_MAX 4096	/* octets in a line, its line end aside */

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

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

/* One file being read. */
struct reader {
	struct conf *cf;
	const char *file;
	size_t file_index;
	FILE *fp;
	struct stat sb;
	char *buf;		/* getline's */
	size_t cap;
	int line;
	int error_line;		/* of the first error; 0 while there is none */
	struct err *e;
};

static int check_name(const char *v, struct err *e);
static int check_patterns(const char *v, struct err *e);

/* Keys about profiles rather than settings: where each belongs and how
 * its value is checked. The profiles they name are checked once every
 * file is read (check_references). */
static const struct meta_key {
	const char *name;
	bool in_defaults;	/* only in [defaults]; else only in profiles */
	int (*check)(const char *v, struct err *e);
} meta_keys[] = {
	{ "default_profile", true, check_name },
	{ "inherit", false, check_name },
	{ "match_from", false, check_patterns },
};

static const struct meta_key *
find_meta(const char *key)
{
	size_t i;

	for (i = 0; i < nitems(meta_keys); i++)
		if (strcmp(meta_keys[i].name, key) == 0)
			return &meta_keys[i];
	return NULL;
}

static int
check_name(const char *v, struct err *e)
{
	if (*v == '\0')
		return err_set(e, EX_CONFIG, "expected a profile name");
	return 0;
}

/* The next pattern of a match_from list (blanks around it dropped) into
 * buf; false at the end of the list. */
static bool
next_pattern(const char **list, char *buf, size_t n)
{
	const char *s = *list + strspn(*list, " \t");
	size_t len = strcspn(s, ",");

	if (*s == '\0')
		return false;
	*list = s[len] == ',' ? s + len + 1 : s + len;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len >= n)
		len = n - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return true;
}

static int
check_patterns(const char *v, struct err *e)
{
	char pattern[CONF_PATTERN_MAX];
	const char *p = v;
	bool ok = true;
	int n = 0;

	while (next_pattern(&p, pattern, sizeof(pattern))) {
		/* empty, or too long to have been copied whole */
		if (*pattern == '\0' || strlen(pattern) == sizeof(pattern) - 1)
			ok = false;
		n++;
	}
	if (!ok || n == 0)
		return err_set(e, EX_CONFIG, "expected comma-separated "
		    "patterns such as *@example.org, got \"%s\"", v);
	return 0;
}

/* "FILE:LINE: message" about entry en. */
static int
entry_error(struct err *e, const struct entry *en, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
entry_error(struct err *e, const struct entry *en, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(e, EX_CONFIG, "%s:%d: %s", en->file, en->line, msg);
}

static struct section *
find_section(const struct conf *cf, const char *name)
{
	size_t i;

	for (i = 0; i < cf->n; i++)
		if (strcmp(cf->v[i].name, name) == 0)
			return &cf->v[i];
	return NULL;
}

static const struct section *
find_profile(const struct conf *cf, const char *name)
{
	return strcmp(name, DEFAULTS) == 0 ? NULL : find_section(cf, name);
}

/* The entry of key that counts (the last), or NULL. */
static const struct entry *
last_entry(const struct section *s, const char *key)
{
	size_t i;

	for (i = s->n; i > 0; i--)
		if (strcmp(s->v[i - 1].key, key) == 0)
			return &s->v[i - 1];
	return NULL;
}

/* The profile s inherits from, or NULL. */
static const struct section *
base_of(const struct conf *cf, const struct section *s)
{
	const struct entry *in = last_entry(s, "inherit");

	return in != NULL ? find_profile(cf, in->value) : NULL;
}

/*
 * Reading
 */

/* A password must be in a file only its owner can read or change, as
 * msmtp and ssh insist: refuse it, since a warning goes unread in cron. */
static int
check_private(const struct reader *r)
{
	if (r->sb.st_uid != geteuid())
		return err_set(r->e, EX_CONFIG, "password: %s belongs to uid "
		    "%ld, not to you (uid %ld); use password_command, or a "
		    "file of your own", r->file, (long)r->sb.st_uid,
		    (long)geteuid());
	if ((r->sb.st_mode & 077) != 0)
		return err_set(r->e, EX_CONFIG, "password: %s must be "
		    "private (its mode is %04o): chmod 600 %s, or use "
		    "password_command", r->file,
		    (unsigned)(r->sb.st_mode & 07777), r->file);
	return 0;
}

int
conf_check_value(const char *key, const char *value, struct err *e)
{
	const struct meta_key *m = find_meta(key);
	struct settings scratch;

	if (m != NULL)
		return m->check(value, e);
	settings_defaults(&scratch);
	return settings_set(&scratch, key, value, e);
}

/* "unknown key", with the key that was probably meant. */
static int
unknown_key(const char *key, struct err *e)
{
	struct suggestion s;
	const char *k;
	size_t i;

	suggest_init(&s, key);
	for (i = 0; (k = settings_key_at(i)) != NULL; i++)
		suggest_consider(&s, k);
	for (i = 0; i < nitems(meta_keys); i++)
		suggest_consider(&s, meta_keys[i].name);
	if (suggest_result(&s) != NULL)
		return err_set(e, EX_CONFIG, "unknown key \"%s\"; did you mean "
		    "\"%s\"?", key, suggest_result(&s));
	return err_set(e, EX_CONFIG, "unknown key \"%s\"", key);
}

static int
check_entry(const struct reader *r, const char *section, const char *key,
    const char *value)
{
	const struct meta_key *m = find_meta(key);

	if (*section == '\0')
		return err_set(r->e, EX_CONFIG, "\"%s\" is outside any "
		    "section: put it under [defaults] or a [profile]", key);
	if (m == NULL && !settings_key_exists(key))
		return unknown_key(key, r->e);
	if (m != NULL && m->in_defaults != (strcmp(section, DEFAULTS) == 0))
		return err_set(r->e, EX_CONFIG, "%s belongs in %s", key,
		    m->in_defaults ? "[defaults]" :
		    "a profile, not [defaults]");
	if (conf_check_value(key, value, r->e) < 0) {
		err_prefix(r->e, "%s", key);
		return -1;
	}
	return strcmp(key, "password") == 0 ? check_private(r) : 0;
}

static struct section *
add_section(struct conf *cf, const char *name, struct err *e)
{
	struct section *s = find_section(cf, name), *v;

	if (s != NULL)
		return s;
	if (cf->n == cf->cap) {
		cf->cap = cf->cap ? 2 * cf->cap : 8;
		if ((v = reallocarray(cf->v, cf->cap, sizeof(*v))) == NULL)
			goto oom;
		cf->v = v;
	}
	s = &cf->v[cf->n];
	memset(s, 0, sizeof(*s));
	if ((s->name = strdup(name)) == NULL)
		goto oom;
	cf->n++;
	return s;
oom:
	err_set(e, EX_OSERR, "out of memory");
	return NULL;
}

static int
add_entry(const struct reader *r, const char *section, const char *key,
    const char *value)
{
	struct section *s = add_section(r->cf, section, r->e);
	struct entry *en, *v;

	if (s == NULL)
		return -1;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		if ((v = reallocarray(s->v, s->cap, sizeof(*v))) == NULL)
			return err_set(r->e, EX_OSERR, "out of memory");
		s->v = v;
	}
	en = &s->v[s->n];
	en->key = strdup(key);
	en->value = strdup(value);
	en->file = r->file;
	en->file_index = r->file_index;
	en->line = r->line;
	if (en->key == NULL || en->value == NULL) {
		free(en->key);
		free(en->value);
		return err_set(r->e, EX_OSERR, "out of memory");
	}
	s->n++;
	return 0;
}

/* inih's handler for each key = value line. */
static int
on_entry(void *user, const char *section, const char *key, const char *value)
{
	struct reader *r = user;

	if (r->error_line != 0)
		return 1;	/* the first error is the one reported */
	if (check_entry(r, section, key, value) < 0 ||
	    add_entry(r, section, key, value) < 0) {
		err_prefix(r->e, "%s:%d", r->file, r->line);
		r->error_line = r->line;
		return 0;
	}
	return 1;
}

/* The length of a line without its line end (LF or CRLF). */
static size_t
line_length(const char *line, size_t n)
{
	if (n > 0 && line[n - 1] == '\n')
		n--;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	return n;
}

/*
 * inih's line source: whole lines, counted here so that errors found in
 * on_entry know their line. Leading blanks are dropped, because inih
 * would take an indented line for the continuation of the value above
 * it, and indenting the keys of a profile is common.
 */
static char *
read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	ssize_t n;
	size_t skip, len;

	if (r->error_line != 0)
		return NULL;
	if ((n = getline(&r->buf, &r->cap, r->fp)) < 0) {
		if (ferror(r->fp)) {
			err_set(r->e, EX_CONFIG, "cannot read %s: %s", r->file,
			    strerror(errno));
			r->error_line = INT_MAX;
		}
		return NULL;
	}
	r->line++;
	skip = strspn(r->buf, " \t");
	len = (size_t)n - skip;
	/* inih needs room for the line, CR, LF and NUL: "3 more" */
	if (line_length(r->buf, (size_t)n) > (size_t)num - 3) {
		err_set(r->e, EX_CONFIG, "%s:%d: line longer than %d "
		    "octets", r->file, r->line, num - 3);
		r->error_line = r->line;
		return NULL;
	}
	if (memchr(r->buf, '\0', (size_t)n) != NULL) {
		err_set(r->e, EX_CONFIG, "%s:%d: NUL character", r->file,
		    r->line);
		r->error_line = r->line;
		return NULL;
	}
	memcpy(str, r->buf + skip, len + 1);
	return str;
}

/*
 * inih parses a line in a buffer of 200 octets as it is built by
 * default, which a long password_command outgrows. Debian's libinih
 * lets that buffer be sized at run time: CONF_LINE_MAX and inih's three
 * octets more, allocated once per file and not grown (read_line hands
 * over whole lines).
 */
static void
size_line_buffer(void)
{
#ifdef HAVE_INI_RUNTIME_LINE
	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_max_line = CONF_LINE_MAX + 3;
	ini_initial_alloc = CONF_LINE_MAX + 3;
#endif
}

static int
parse_file(struct reader *r)
{
	int rc;

	size_line_buffer();
	rc = ini_parse_stream(read_line, r, on_entry, r);

	/* inih's own errors (syntax) count when they come first. */
	if (rc > 0 && (r->error_line == 0 || rc < r->error_line))
		return err_set(r->e, EX_CONFIG, "%s:%d: syntax error: "
		    "expected [profile] or key = value", r->file, rc);
	if (r->error_line != 0)
		return -1;
	if (rc < 0)
		return err_set(r->e, EX_OSERR, "out of memory");
	return 0;
}

/* Read one file into cf. A missing file is no error unless it was
 * named (--config, $MAILOUT_CONFIG). */
static int
read_file(struct conf *cf, const char *path, bool required, struct err *e)
{
	struct reader r;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if ((r.fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT && !required)
			return 0;
		return err_set(e, EX_CONFIG, "cannot read %s: %s", path,
		    strerror(errno));
	}
	if (fstat(fileno(r.fp), &r.sb) < 0) {
		err_set(e, EX_CONFIG, "cannot read %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if ((cf->files[cf->nfiles] = strdup(path)) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		goto out;
	}
	r.cf = cf;
	r.file = cf->files[cf->nfiles];
	r.file_index = cf->nfiles++;
	r.e = e;
	rc = parse_file(&r);
out:
	if (r.buf != NULL)
		explicit_bzero(r.buf, r.cap);	/* it held password lines */
	free(r.buf);
	fclose(r.fp);
	return rc;
}

static int
join_path(char *buf, size_t n, const char *dir, const char *file,
    struct err *e)
{
	if ((size_t)snprintf(buf, n, "%s/%s", dir, file) >= n)
		return err_set(e, EX_CONFIG, "path too long: %s/%s", dir,
		    file);
	return 0;
}

/* The system file, then the user's, which overrides it key by key. */
static int
read_search_path(struct conf *cf, struct err *e)
{
	const char *sysdir = getenv("MAILOUT_SYSCONFDIR");
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char path[PATH_MAX];

	if (sysdir == NULL || *sysdir == '\0')
		sysdir = SYSCONFDIR;
	if (join_path(path, sizeof(path), sysdir, "mailout.conf", e) < 0 ||
	    read_file(cf, path, false, e) < 0)
		return -1;
	if (xdg != NULL && *xdg == '/') {
		if (join_path(path, sizeof(path), xdg, "mailout/config", e) < 0)
			return -1;
	} else if (home != NULL && *home != '\0') {
		if (join_path(path, sizeof(path), home,
		    ".config/mailout/config", e) < 0)
			return -1;
	} else {
		return 0;
	}
	return read_file(cf, path, false, e);
}

/*
 * Checks across files
 */

/* The loop s's inherit chain ends in, named from its first profile in
 * file order, e.g. "a -> b -> a", reported at the line that closes it. */
static int
cycle_error(const struct conf *cf, const struct section *s, struct err *e)
{
	const struct section *start = s, *p;
	char names[ERR_MSG_MAX];
	size_t len;

	for (p = base_of(cf, s); p != s; p = base_of(cf, p))
		if (p < start)
			start = p;
	len = (size_t)snprintf(names, sizeof(names), "%s", start->name);
	p = start;
	do {
		if (len < sizeof(names))
			len += (size_t)snprintf(names + len,
			    sizeof(names) - len, " -> %s",
			    base_of(cf, p)->name);
		s = p;
		p = base_of(cf, p);
	} while (p != start);
	return entry_error(e, last_entry(s, "inherit"), "inherit: cycle %s",
	    names);
}

/* Every inherit names a profile, and no chain of them loops. */
static int
check_inherit(const struct conf *cf, const struct section *s,
    struct err *e)
{
	const struct entry *in = last_entry(s, "inherit");
	size_t steps;

	if (in != NULL && find_profile(cf, in->value) == NULL)
		return entry_error(e, in, "inherit: no profile named \"%s\"",
		    in->value);
	/* A chain longer than the number of profiles must loop. */
	for (steps = 0; s != NULL && steps < cf->n; steps++)
		s = base_of(cf, s);
	return s == NULL ? 0 : cycle_error(cf, s, e);
}

static int
check_references(const struct conf *cf, struct err *e)
{
	const struct section *d = find_section(cf, DEFAULTS);
	const struct entry *dp = d ? last_entry(d, "default_profile") : NULL;
	size_t i;

	if (dp != NULL && find_profile(cf, dp->value) == NULL)
		return entry_error(e, dp, "default_profile: no profile named "
		    "\"%s\"", dp->value);
	for (i = 0; i < cf->n; i++)
		if (check_inherit(cf, &cf->v[i], e) < 0)
			return -1;
	return 0;
}

int
conf_load(struct conf **cfp, const char *path, struct err *e)
{
	const char *env = getenv("MAILOUT_CONFIG");
	struct conf *cf;
	int rc;

	*cfp = NULL;
	if ((cf = calloc(1, sizeof(*cf))) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	if (path != NULL)
		rc = read_file(cf, path, true, e);
	else if (env != NULL && *env != '\0')
		rc = read_file(cf, env, true, e);
	else
		rc = read_search_path(cf, e);
	if (rc == 0)
		rc = check_references(cf, e);
	if (rc < 0) {
		conf_free(cf);
		return -1;
	}
	*cfp = cf;
	return 0;
}

/*
 * Choosing
 */

/* Whether en's match_from ranks before best's: the user file's first,
 * then in file order. */
static bool
ranks_before(const struct entry *en, const struct entry *best)
{
	if (best == NULL || en->file_index != best->file_index)
		return best == NULL || en->file_index > best->file_index;
	return en->line < best->line;
}

static bool
match_list(const char *list, const char *sender, char *pattern, size_t n)
{
	while (next_pattern(&list, pattern, n))
		if (fnmatch(pattern, sender, FNM_CASEFOLD) == 0)
			return true;
	return false;
}

/* The first profile whose match_from matches sender. */
static bool
choose_by_sender(const struct conf *cf, const char *sender,
    struct conf_choice *ch)
{
	char pattern[CONF_PATTERN_MAX];
	const struct entry *m, *best = NULL;
	size_t i;

	for (i = 0; i < cf->n; i++) {
		m = last_entry(&cf->v[i], "match_from");
		if (m == NULL || !ranks_before(m, best) ||
		    !match_list(m->value, sender, pattern, sizeof(pattern)))
			continue;
		best = m;
		ch->profile = cf->v[i].name;
		memcpy(ch->pattern, pattern, sizeof(ch->pattern));
	}
	if (best == NULL)
		return false;
	ch->reason = CONF_BY_MATCH_FROM;
	snprintf(ch->sender, sizeof(ch->sender), "%s", sender);
	return true;
}

static int
unknown_profile(const struct conf *cf, const char *name, struct err *e)
{
	char known[ERR_MSG_MAX / 2];
	size_t i, len = 0;

	known[0] = '\0';
	for (i = 0; i < cf->n && len < sizeof(known); i++)
		if (find_profile(cf, cf->v[i].name) != NULL)
			len += (size_t)snprintf(known + len,
			    sizeof(known) - len, "%s%s", len ? ", " : "",
			    cf->v[i].name);
	if (cf->nfiles == 0)
		return err_set(e, EX_CONFIG, "unknown profile \"%s\": no "
		    "configuration file was read", name);
	if (len == 0)
		return err_set(e, EX_CONFIG, "unknown profile \"%s\": the "
		    "configuration defines none", name);
	return err_set(e, EX_CONFIG, "unknown profile \"%s\" (profiles: %s)",
	    name, known);
}

int
conf_choose(const struct conf *cf, const char *profile, const char *sender,
    struct conf_choice *ch, struct err *e)
{
	const struct section *d = find_section(cf, DEFAULTS), *s;
	const struct entry *dp = d ? last_entry(d, "default_profile") : NULL;
	size_t i;

	memset(ch, 0, sizeof(*ch));
	for (i = 0; i < cf->nfiles; i++)
		ch->files[i] = cf->files[i];
	ch->nfiles = cf->nfiles;
	if (profile != NULL) {
		if ((s = find_profile(cf, profile)) == NULL)
			return unknown_profile(cf, profile, e);
		ch->profile = s->name;
		ch->reason = CONF_BY_OPTION;
	} else if (sender != NULL && choose_by_sender(cf, sender, ch)) {
		/* ch is filled in */
	} else if (dp != NULL) {
		ch->profile = find_profile(cf, dp->value)->name;
		ch->reason = CONF_BY_DEFAULT_PROFILE;
	} else if ((s = find_profile(cf, "default")) != NULL) {
		ch->profile = s->name;
		ch->reason = CONF_BY_NAME;
	}
	return 0;
}

/*
 * Applying
 */

static void
apply_section(const struct section *s, struct settings *st)
{
	struct err ignored;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (find_meta(s->v[i].key) == NULL)	/* checked when read */
			(void)settings_set(st, s->v[i].key, s->v[i].value,
			    &ignored);
}

/* The base first, so that the profile's own lines override it. The
 * chain is finite: check_references ruled out loops. */
static void
apply_profile(const struct conf *cf, const struct section *s,
    struct settings *st)
{
	const struct section *base = base_of(cf, s);

	if (base != NULL)
		apply_profile(cf, base, st);
	apply_section(s, st);
}

void
conf_apply(const struct conf *cf, const struct conf_choice *ch,
    struct settings *st)
{
	const struct section *d = find_section(cf, DEFAULTS);

	settings_defaults(st);
	if (d != NULL)
		apply_section(d, st);
	if (ch->profile != NULL)
		apply_profile(cf, find_profile(cf, ch->profile), st);
	st->profile = ch->profile;
}

void
conf_print(const struct settings *st, const struct conf_choice *ch,
    FILE *out)
{
	size_t i;

	for (i = 0; i < ch->nfiles; i++)
		fprintf(out, "config file: %s\n", ch->files[i]);
	if (ch->nfiles == 0)
		fprintf(out, "config file: none (built-in defaults)\n");
	switch (ch->reason) {
	case CONF_NO_PROFILE:
		fprintf(out, "profile: none (no profile: defaults only)\n");
		break;
	case CONF_BY_OPTION:
		fprintf(out, "profile: %s (--profile %s)\n", ch->profile,
		    ch->profile);
		break;
	case CONF_BY_MATCH_FROM:
		fprintf(out, "profile: %s (match_from %s matched sender %s)\n",
		    ch->profile, ch->pattern, ch->sender);
		break;
	case CONF_BY_DEFAULT_PROFILE:
		fprintf(out, "profile: %s (default_profile)\n", ch->profile);
		break;
	case CONF_BY_NAME:
		fprintf(out, "profile: %s (profile named default)\n",
		    ch->profile);
		break;
	}
	settings_print(st, out);
}

void
conf_free(struct conf *cf)
{
	size_t i, j;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->n; i++) {
		for (j = 0; j < cf->v[i].n; j++) {
			struct entry *en = &cf->v[i].v[j];

			explicit_bzero(en->value, strlen(en->value));
			free(en->key);
			free(en->value);
		}
		free(cf->v[i].v);
		free(cf->v[i].name);
	}
	free(cf->v);
	for (i = 0; i < cf->nfiles; i++)
		free(cf->files[i]);
	free(cf);
}
