/*
 * files.c — mailout.conf(5) read: each file once, into sections of
 * key/value entries (model.h), every value checked on the way by the
 * key's parser (settings.c) or, for the keys about profiles, by
 * meta_keys[]; references across files checked. Choosing and applying a
 * profile then only walks that model (profiles.c).
 */
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config/files.h"
#include "config/model.h"
#include "config/lists.h"
#include "config/sysdirs.h"
#include "lib/suggest.h"
#include "lib/util.h"

#define CONF_LINE_MAX 4096	/* octets in a line, its line end aside */

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
static int check_users(const char *v, struct err *e);

/* Keys about profiles rather than settings: where each belongs and how
 * its value is checked. The profiles they name are checked once every
 * file is read (check_references). */
static const struct meta_key meta_keys[] = {
	{ "default_profile", true, check_name },
	{ "inherit", false, check_name },
	{ "match_from", false, patterns_check },
	{ "users", false, check_users },
};

const struct meta_key *
conf_find_meta(const char *key)
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

/* users: names and @groups, as the system spells them. */
static int
check_users(const char *v, struct err *e)
{
	char item[LIST_ITEM_MAX];
	const char *p = v, *name;
	int n = 0;

	while (list_next(&p, item, sizeof(item))) {
		name = item + (item[0] == '@');
		if (*name == '\0' || strspn(name, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-$") != strlen(name))
			n = -1000;
		n++;
	}
	if (n <= 0)
		return err_set(e, EX_CONFIG, "expected users and @groups "
		    "such as alice, @staff, got \"%s\"", v);
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

struct section *
conf_find_section(const struct conf *cf, const char *name)
{
	size_t i;

	for (i = 0; i < cf->n; i++)
		if (strcmp(cf->v[i].name, name) == 0)
			return &cf->v[i];
	return NULL;
}

const struct section *
conf_find_profile(const struct conf *cf, const char *name)
{
	return strcmp(name, DEFAULTS) == 0 ? NULL : conf_find_section(cf, name);
}

/* The entry of key that counts (the last), or NULL. */
const struct entry *
conf_last_entry(const struct section *s, const char *key)
{
	size_t i;

	for (i = s->n; i > 0; i--)
		if (strcmp(s->v[i - 1].key, key) == 0)
			return &s->v[i - 1];
	return NULL;
}

/* The profile s inherits from, or NULL. */
const struct section *
conf_base_of(const struct conf *cf, const struct section *s)
{
	const struct entry *in = conf_last_entry(s, "inherit");

	return in != NULL ? conf_find_profile(cf, in->value) : NULL;
}

/*
 * Reading
 */

/* Whether gid is one of our groups. */
static bool
our_group(gid_t gid)
{
	gid_t groups[NGROUPS_MAX];
	int i, n;

	if (gid == getegid())
		return true;
	if ((n = getgroups(NGROUPS_MAX, groups)) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/*
 * A password or other secret must be in a file nobody else can read or
 * change, as msmtp and ssh insist: refuse it, since a warning goes
 * unread in cron. The file is ours or root's; others have no access; the
 * group may read it only when it is ours (the service's
 * /etc/mailout.conf, 0640 root:mailout), and never write it.
 */
static int
check_private(const struct reader *r, const char *key)
{
	mode_t mode = r->sb.st_mode;

	if (r->sb.st_uid != geteuid() && r->sb.st_uid != 0)
		return err_set(r->e, EX_CONFIG, "%s: %s belongs to uid %ld, "
		    "not to you (uid %ld) nor to root; use %s_command, or a "
		    "file of your own", key, r->file, (long)r->sb.st_uid,
		    (long)geteuid(), key);
	if ((mode & 027) != 0 || ((mode & 040) && !our_group(r->sb.st_gid)))
		return err_set(r->e, EX_CONFIG, "%s: %s must be private (its "
		    "mode is %04o): chmod 600 %s (or 640 with a group of your "
		    "own), or use %s_command", key, r->file,
		    (unsigned)(mode & 07777), r->file, key);
	return 0;
}

int
conf_check_value(const char *key, const char *value, struct err *e)
{
	const struct meta_key *m = conf_find_meta(key);
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
	const struct meta_key *m = conf_find_meta(key);

	if (*section == '\0')
		return err_set(r->e, EX_CONFIG, "\"%s\" is outside any "
		    "section: put it under [defaults] or a [profile]", key);
	if (m == NULL && !settings_key_exists(key))
		return unknown_key(key, r->e);
	if (m != NULL && m->in_defaults != (strcmp(section, DEFAULTS) == 0))
		return err_set(r->e, EX_CONFIG, "%s belongs in %s", key,
		    m->in_defaults ? "[defaults]" :
		    "a profile, not [defaults]");
	if (settings_key_defaults_only(key) && strcmp(section, DEFAULTS) != 0)
		return err_set(r->e, EX_CONFIG, "%s belongs in [defaults]: it "
		    "is the mailout service's", key);
	if (conf_check_value(key, value, r->e) < 0) {
		err_prefix(r->e, "%s", key);
		return -1;
	}
	return settings_key_is_secret(key) ? check_private(r, key) : 0;
}

static struct section *
add_section(struct conf *cf, const char *name, struct err *e)
{
	struct section *s = conf_find_section(cf, name), *v;

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

size_t
conf_line_max(void)
{
#ifdef HAVE_INI_RUNTIME_LINE
	return CONF_LINE_MAX;
#else
	return INI_MAX_LINE - 3;	/* inih's buffer as it was built */
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

int
conf_system_file(char *buf, size_t n, struct err *e)
{
	return join_path(buf, n, sysdirs_config(), "mailout.conf", e);
}

/* The system file, then the user's, which overrides it key by key. */
static int
search_path(struct conf_search *cs, struct err *e)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (conf_system_file(cs->path[cs->n], PATH_MAX, e) < 0)
		return -1;
	cs->n++;
	if (xdg != NULL && *xdg == '/') {
		if (join_path(cs->path[cs->n], PATH_MAX, xdg,
		    "mailout/config", e) < 0)
			return -1;
	} else if (home != NULL && *home != '\0') {
		if (join_path(cs->path[cs->n], PATH_MAX, home,
		    ".config/mailout/config", e) < 0)
			return -1;
	} else {
		return 0;
	}
	cs->n++;
	return 0;
}

int
conf_search(struct conf_search *cs, const char *path, struct err *e)
{
	const char *env = getenv("MAILOUT_CONFIG");

	cs->n = 0;
	cs->named = path != NULL || (env != NULL && *env != '\0');
	if (!cs->named)
		return search_path(cs, e);
	if (path == NULL)
		path = env;
	if (strlen(path) >= PATH_MAX)
		return err_set(e, EX_CONFIG, "path too long: %s", path);
	strcpy(cs->path[cs->n++], path);
	return 0;
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

	for (p = conf_base_of(cf, s); p != s; p = conf_base_of(cf, p))
		if (p < start)
			start = p;
	len = (size_t)snprintf(names, sizeof(names), "%s", start->name);
	p = start;
	do {
		if (len < sizeof(names))
			len += (size_t)snprintf(names + len,
			    sizeof(names) - len, " -> %s",
			    conf_base_of(cf, p)->name);
		s = p;
		p = conf_base_of(cf, p);
	} while (p != start);
	return entry_error(e, conf_last_entry(s, "inherit"), "inherit: cycle %s",
	    names);
}

/* Every inherit names a profile, and no chain of them loops. */
static int
check_inherit(const struct conf *cf, const struct section *s,
    struct err *e)
{
	const struct entry *in = conf_last_entry(s, "inherit");
	size_t steps;

	if (in != NULL && conf_find_profile(cf, in->value) == NULL)
		return entry_error(e, in, "inherit: no profile named \"%s\"",
		    in->value);
	/* A chain longer than the number of profiles must loop. */
	for (steps = 0; s != NULL && steps < cf->n; steps++)
		s = conf_base_of(cf, s);
	return s == NULL ? 0 : cycle_error(cf, s, e);
}

static int
check_references(const struct conf *cf, struct err *e)
{
	const struct section *d = conf_find_section(cf, DEFAULTS);
	const struct entry *dp = d ? conf_last_entry(d, "default_profile") : NULL;
	size_t i;

	if (dp != NULL && conf_find_profile(cf, dp->value) == NULL)
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
	struct conf_search cs;
	struct conf *cf;
	size_t i;
	int rc;

	*cfp = NULL;
	if (conf_search(&cs, path, e) < 0)
		return -1;
	if ((cf = calloc(1, sizeof(*cf))) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	for (rc = 0, i = 0; rc == 0 && i < cs.n; i++)
		rc = read_file(cf, cs.path[i], cs.named, e);
	if (rc == 0)
		rc = check_references(cf, e);
	if (rc < 0) {
		conf_free(cf);
		return -1;
	}
	*cfp = cf;
	return 0;
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
