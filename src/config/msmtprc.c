/*
 * msmtprc.c — an msmtp configuration read as msmtp reads it (its
 * conf.c: read_conffile), then written as mailout.conf(5).
 *
 * Each account ends up with msmtp's settings for it (eff): the defaults
 * as they stood when the account began, then what its bases set, then
 * its own lines. msmtpmap.c turns those into mailout settings. A
 * section then writes only what differs from what mailout would give it
 * anyway ([defaults], then what it inherits), so that every profile
 * comes out with exactly the settings msmtp's account had, however
 * msmtp's defaults moved between accounts.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/files.h"
#include "config/msmtpmap.h"
#include "config/msmtprc.h"
#include "lib/dirs.h"

#define LINE_OCTETS_MAX 4096	/* msmtp's own limit is 500 */
#define NAME_MAX_OCTETS 256	/* an account name, so its lines fit */
#define ECHO_MAX 160		/* of msmtp's text quoted in a comment */
#define NO_BASE ((size_t)-1)

struct note {
	int line;
	char *text;
};

/* msmtp's defaults, or one account. */
struct block {
	char *name;		/* the account; NULL for the defaults */
	char *profile;		/* its section: the name, made one */
	char *set[MK_COUNT];	/* its own lines' settings and its bases' */
	char *eff[MK_COUNT];	/* ... over the defaults it began with */
	struct note *notes;	/* remarks on its own lines, in order */
	size_t nnotes;
	size_t base;		/* the first account it inherits, or NO_BASE */
	size_t nbases;
	bool own;		/* lines of its own */
	struct ovalue out[OK_COUNT];	/* the mailout settings it needs */
	char *written[OK_COUNT];	/* what its section says (NULL: */
	bool has[OK_COUNT];		/* the default) where has is set */
};

struct msmtprc {
	const char *file;
	int line;
	struct block defaults;	/* msmtp's, as they stand */
	struct block first;	/* as they stood at the first account */
	struct block *v;	/* the accounts, in file order */
	size_t n, cap;
	struct block *cur;	/* where lines go; NULL before any */
	const char *home;
	char *mailname;		/* /etc/mailname's line, for %M */
	struct err *e;
};

static int fail(struct msmtprc *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "FILE:LINE: message", as msmtp would refuse the file. */
static int
fail(struct msmtprc *m, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(m->e, EX_CONFIG, "%s:%d: %s", m->file, m->line, msg);
}

static int
oom(struct msmtprc *m)
{
	return err_set(m->e, EX_OSERR, "out of memory");
}

/* text cut to what a comment quotes of it, "..." marking the cut. */
static const char *
clip(char *buf, size_t n, const char *text)
{
	if ((size_t)snprintf(buf, n, "%s", text) >= n)
		memcpy(buf + n - 4, "...", 4);
	return buf;
}

/* A setting's new value; the old one may have been a password. */
static int
replace(struct msmtprc *m, char **slot, const char *value)
{
	char *copy = value != NULL ? strdup(value) : NULL;

	if (value != NULL && copy == NULL)
		return oom(m);
	if (*slot != NULL)
		explicit_bzero(*slot, strlen(*slot));
	free(*slot);
	*slot = copy;
	return 0;
}

static int add_note(struct msmtprc *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A remark on the current line, kept with the block it belongs to. */
static int
add_note(struct msmtprc *m, const char *fmt, ...)
{
	struct block *b = m->cur;
	struct note *v;
	va_list ap;
	int rc;

	if ((v = reallocarray(b->notes, b->nnotes + 1, sizeof(*v))) == NULL)
		return oom(m);
	b->notes = v;
	v = &b->notes[b->nnotes];
	v->line = m->line;
	va_start(ap, fmt);
	rc = vasprintf(&v->text, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return oom(m);
	b->nnotes++;
	return 0;
}

/*
 * Reading
 */

/* msmtp's trim_string: blanks off both ends, then one pair of double
 * quotes around what is left. */
static char *
trim(char *s)
{
	size_t len;

	s += strspn(s, " \t");
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	s[len] = '\0';
	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		s[len - 1] = '\0';
		s++;
	}
	return s;
}

/* msmtp's get_cmd: the first word, and the rest trimmed; false for a
 * blank line or a comment. */
static bool
split_line(char *line, char **cmd, char **arg)
{
	size_t len = strcspn(line, "\n");

	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	line += strspn(line, " \t");
	if (*line == '#' || *line == '\0')
		return false;
	*cmd = line;
	line += strcspn(line, " \t");
	if (*line != '\0')
		*line++ = '\0';
	*arg = trim(line);
	return true;
}

static struct block *
find_account(const struct msmtprc *m, const char *name, size_t before)
{
	size_t i;

	for (i = 0; i < before && i < m->n; i++)
		if (strcmp(m->v[i].name, name) == 0)
			return &m->v[i];
	return NULL;
}

/* Copy a block's settings: the defaults into [defaults]'s model. */
static int
copy_settings(struct msmtprc *m, char *to[MK_COUNT],
    char *const from[MK_COUNT])
{
	size_t k;

	for (k = 0; k < MK_COUNT; k++)
		if (replace(m, &to[k], from[k]) < 0)
			return -1;
	return 0;
}

/*
 * The section of an account: its name, with '[', ']', ';' and control
 * characters (which end or break a section line) made '_', and "_"
 * added while it is "defaults" or an earlier account's section.
 */
static int
name_profile(struct msmtprc *m, struct block *b)
{
	size_t len = strlen(b->name), i;
	char *p = malloc(len + m->n + 2);

	if ((b->profile = p) == NULL)
		return oom(m);
	for (i = 0; i < len; i++)
		p[i] = strchr("[];", b->name[i]) != NULL ||
		    (unsigned char)b->name[i] < 0x20 ? '_' : b->name[i];
	p[len] = '\0';
	if (strcmp(p, "defaults") == 0)
		strcat(p, "_");
	for (i = 0; i + 1 < m->n; i++)
		if (strcmp(p, m->v[i].profile) == 0) {
			strcat(p, "_");
			i = (size_t)-1;	/* check the new name from the start */
		}
	if (strcmp(p, b->name) == 0)
		return 0;
	return add_note(m, "account %s is the profile %s: a section name "
	    "holds no '[', ']' or ';', and [defaults] is taken", b->name, p);
}

/* A new account, beginning with the defaults as they stand. */
static int
add_account(struct msmtprc *m, const char *name)
{
	struct block *b;

	/* [defaults] is what the first one got */
	if (m->n == 0 && copy_settings(m, m->first.set, m->defaults.set) < 0)
		return -1;
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 8;
		if ((b = reallocarray(m->v, m->cap, sizeof(*b))) == NULL)
			return oom(m);
		m->v = b;
	}
	b = &m->v[m->n];
	memset(b, 0, sizeof(*b));
	b->base = NO_BASE;
	m->cur = b;
	m->n++;
	if ((b->name = strdup(name)) == NULL)
		return oom(m);
	return name_profile(m, b) < 0 ? -1 :
	    copy_settings(m, b->eff, m->defaults.set);
}

/* "account name : a, b": what a and then b set (their own lines and
 * their bases'), over the defaults, as msmtp's override_account does. */
static int
inherit_bases(struct msmtprc *m, char *list)
{
	struct block *b = m->cur, *base;
	char *name, *next;
	size_t k;

	for (; list != NULL; list = next) {
		if ((next = strchr(list, ',')) != NULL)
			*next++ = '\0';
		name = trim(list);
		if (*name == '\0')
			return fail(m, "missing account name");
		if ((base = find_account(m, name, m->n - 1)) == NULL)
			return fail(m, "account %s not (yet) defined", name);
		if (b->nbases++ == 0)
			b->base = (size_t)(base - m->v);
		else if (add_note(m, "\"account %s : ...\" inherits %s too: a "
		    "mailout profile inherits one, so what %s sets is written "
		    "out here", b->name, name, name) < 0)
			return -1;
		for (k = 0; k < MK_COUNT; k++)
			if (base->set[k] != NULL &&
			    (replace(m, &b->set[k], base->set[k]) < 0 ||
			    replace(m, &b->eff[k], base->set[k]) < 0))
				return -1;
	}
	return 0;
}

static int
begin_account(struct msmtprc *m, char *arg)
{
	char *colon = strchr(arg, ':'), *name;

	if (colon != NULL)
		*colon = '\0';
	name = trim(arg);
	if (*name == '\0')
		return fail(m, "missing account name");
	if (strchr(name, ',') != NULL)
		return fail(m, "an account name must not contain colons or "
		    "commas");
	if (strlen(name) > NAME_MAX_OCTETS)
		return fail(m, "account name longer than %d octets",
		    NAME_MAX_OCTETS);
	if (find_account(m, name, m->n) != NULL)
		return fail(m, "account %s was already defined", name);
	if (add_account(m, name) < 0)
		return -1;
	return colon != NULL ? inherit_bases(m, colon + 1) : 0;
}

/* A command of the current block. */
static int
set_line(struct msmtprc *m, const char *cmd, const char *arg)
{
	struct block *b = m->cur;
	char line[ECHO_MAX], whole[LINE_OCTETS_MAX + 2];
	struct mline ml;

	b->own = true;
	snprintf(whole, sizeof(whole), "%s%s%s", cmd, *arg ? " " : "", arg);
	clip(line, sizeof(line), whole);
	if (msmtp_command(cmd, arg, &ml) < 0)
		return add_note(m, "\"%s\": not an msmtp command (msmtp "
		    "refuses the file); left out", line);
	if (ml.note != NULL && add_note(m, "\"%s\": no equivalent: %s", line,
	    ml.note) < 0)
		return -1;
	if (ml.key == MK_NONE)
		return 0;
	if (replace(m, &b->set[ml.key], ml.value) < 0)
		return -1;
	return b == &m->defaults ? 0 : replace(m, &b->eff[ml.key], ml.value);
}

static int
take_line(struct msmtprc *m, char *line)
{
	char *cmd, *arg;

	if (!split_line(line, &cmd, &arg))
		return 0;
	if (strcmp(cmd, "defaults") == 0) {
		if (*arg != '\0')
			return fail(m, "command defaults does not take an "
			    "argument");
		m->cur = &m->defaults;
		return 0;
	}
	if (strcmp(cmd, "account") == 0)
		return begin_account(m, arg);
	/* msmtp 1.2: lines before any account are the account "default" */
	if (m->cur == NULL && add_account(m, "default") < 0)
		return -1;
	return set_line(m, cmd, arg);
}

static int
read_lines(struct msmtprc *m, FILE *fp)
{
	char buf[LINE_OCTETS_MAX + 3];
	size_t len;

	while (fgets(buf, sizeof(buf), fp) != NULL) {
		m->line++;
		len = strlen(buf);
		if (len == sizeof(buf) - 1 && buf[len - 1] != '\n')
			return fail(m, "line longer than %d octets",
			    LINE_OCTETS_MAX);
		if (take_line(m, buf) < 0)
			return -1;
	}
	if (ferror(fp))
		return err_set(m->e, EX_NOINPUT, "cannot read %s: %s",
		    m->file, strerror(errno));
	if (m->n == 0)
		return copy_settings(m, m->first.set, m->defaults.set);
	return 0;
}

/*
 * Writing
 */

static const char *
profile_of(const struct msmtprc *m, size_t i)
{
	return m->v[i].profile;
}

/* "account default : x" with nothing of its own names the default:
 * default_profile = x (its profile stays, for -a default). */
static bool
is_default_alias(const struct msmtprc *m, size_t i)
{
	return strcmp(m->v[i].name, "default") == 0 && !m->v[i].own &&
	    m->v[i].nbases == 1;
}

/* The section that gives b's section its k before b's own lines: the
 * nearest one it inherits that says k, else [defaults] if it does; NULL
 * for mailout's built-in default. match_from is not inherited. */
static const struct block *
provider(const struct msmtprc *m, const struct block *b, enum okey k)
{
	size_t i;

	if (k == OK_MATCH_FROM || b == &m->first)
		return NULL;
	for (i = b->base; i != NO_BASE; i = m->v[i].base)
		if (m->v[i].has[k])
			return &m->v[i];
	return m->first.has[k] ? &m->first : NULL;
}

static const char *
inherited(const struct msmtprc *m, const struct block *b, enum okey k)
{
	const struct block *p = provider(m, b, k);

	return p != NULL ? p->written[k] : NULL;
}

static bool
same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* Whether mailout.conf can hold value for key: "key = value" within
 * its line length; inih cuts a value at a ';' after white space and
 * drops white space (isspace) at its ends. */
static bool
representable(const char *key, const char *value)
{
	size_t len = strlen(value), i;

	if (strlen(key) + 3 + len > conf_line_max() || value[0] == ';' ||
	    (len > 0 && (isspace((unsigned char)value[0]) ||
	    isspace((unsigned char)value[len - 1]))))
		return false;
	for (i = 1; i < len; i++)
		if (value[i] == ';' && isspace((unsigned char)value[i - 1]))
			return false;
	return true;
}

/* What puts k back to mailout's built-in default: an empty value for
 * the keys that take one, else the default itself (auth: no user, so
 * off); NULL when mailout cannot say it. */
static const char *
reset_value(enum okey k)
{
	static const char *const words[OK_COUNT] = {
		[OK_PROTOCOL] = "smtp", [OK_TLS] = "auto", [OK_AUTH] = "off",
		[OK_TIMEOUT] = "60", [OK_ADD_MISSING_HEADERS] = "on",
		[OK_REMOVE_BCC] = "on", [OK_SYSLOG_FACILITY] = "mail",
	};
	struct err e;

	if (conf_check_value(msmtp_okey_name(k), "", &e) == 0)
		return "";
	return words[k];
}

/* Write k = value, or say why it cannot be written. */
static void
write_value(FILE *out, struct block *b, enum okey k, const char *value)
{
	const char *key = msmtp_okey_name(k);
	char shown[ECHO_MAX], reason[ECHO_MAX];
	struct err why;

	clip(shown, sizeof(shown), k == OK_PASSWORD ? "(the password)" : value);
	if (!representable(key, value)) {
		fprintf(out, "# %s: cannot be written in mailout.conf (a ';' "
		    "after a blank, blanks at an end, or too long): %s\n", key,
		    shown);
		return;
	}
	if (conf_check_value(key, value, &why) < 0) {
		fprintf(out, "# %s = %s: mailout refuses it: %s\n", key, shown,
		    clip(reason, sizeof(reason), why.msg));
		return;
	}
	if (b->out[k].note != NULL)
		fprintf(out, "# %s: %s\n", key, b->out[k].note);
	fprintf(out, "%s = %s\n", key, value);
	b->has[k] = true;
	b->written[k] = *value != '\0' ? b->out[k].value : NULL;
}

/* An inherited value that means something else here ("both logfile
 * and syslog") keeps its note. */
static void
write_kept_note(const struct msmtprc *m, const struct block *b, enum okey k,
    FILE *out)
{
	const struct block *p = provider(m, b, k);

	if (b->out[k].note != NULL &&
	    (p == NULL || p->out[k].note != b->out[k].note))
		fprintf(out, "# %s: %s\n", msmtp_okey_name(k),
		    b->out[k].note);
}

/* Every key whose value is not the one the section gets anyway. */
static void
write_keys(const struct msmtprc *m, struct block *b, FILE *out)
{
	const char *want, *reset;
	size_t k;

	for (k = 0; k < OK_COUNT; k++) {
		want = b->out[k].value;
		if (b == &m->first && k == OK_MATCH_FROM)
			continue;
		if (same(want, inherited(m, b, k))) {
			write_kept_note(m, b, k, out);
			continue;
		}
		if (want != NULL) {
			write_value(out, b, k, want);
		} else if ((reset = reset_value(k)) != NULL) {
			fprintf(out, "%s =%s%s\n", msmtp_okey_name(k),
			    *reset ? " " : "", reset);
			b->has[k] = true;
		} else {
			fprintf(out, "# %s: msmtp leaves it to the server here, "
			    "which mailout cannot say after a value inherited\n",
			    msmtp_okey_name(k));
		}
	}
}

static void
write_notes(const struct block *b, FILE *out)
{
	size_t i;

	for (i = 0; i < b->nnotes; i++)
		fprintf(out, "# msmtp line %d, %s\n", b->notes[i].line,
		    b->notes[i].text);
}

/* Whether [defaults] has anything to say. */
static bool
defaults_needed(const struct msmtprc *m)
{
	size_t i;
	bool any = m->defaults.nnotes > 0;

	for (i = 0; i < m->n && !any; i++)
		any = is_default_alias(m, i);
	for (i = 0; i < OK_COUNT && !any; i++)
		any = i != OK_MATCH_FROM && m->first.out[i].value != NULL;
	return any;
}

static void
write_defaults(struct msmtprc *m, FILE *out)
{
	size_t i;

	if (!defaults_needed(m))
		return;
	fprintf(out, "\n[defaults]\n");
	write_notes(&m->defaults, out);
	for (i = 0; i < m->n; i++)
		if (is_default_alias(m, i))
			fprintf(out, "# \"account default : %s\": the default "
			    "profile\ndefault_profile = %s\n",
			    profile_of(m, m->v[i].base),
			    profile_of(m, m->v[i].base));
	write_keys(m, &m->first, out);
}

/* A profile needs a key to exist: one that restates where it sends. */
static void
write_anchor(const struct msmtprc *m, struct block *b, FILE *out)
{
	const char *socket = inherited(m, b, OK_SOCKET);
	const char *host = inherited(m, b, OK_HOST);

	if (socket != NULL)
		fprintf(out, "socket = %s\n", socket);
	else
		fprintf(out, "host = %s\n", host != NULL ? host : "localhost");
}

static void
write_profile(struct msmtprc *m, size_t i, FILE *out)
{
	struct block *b = &m->v[i];
	size_t k;
	bool any = b->base != NO_BASE;

	fprintf(out, "\n[%s]\n", profile_of(m, i));
	write_notes(b, out);
	if (b->base != NO_BASE)
		fprintf(out, "inherit = %s\n", profile_of(m, b->base));
	write_keys(m, b, out);
	for (k = 0; k < OK_COUNT && !any; k++)
		any = b->has[k];
	if (!any)
		write_anchor(m, b, out);
}

/* msmtp sends in the clear unless told tls on: say what mailout does. */
static void
write_header(const struct msmtprc *m, FILE *out)
{
	size_t i;
	bool clear = false;

	fprintf(out, "# mailout.conf(5) from %.1024s, by mailout "
	    "--import-msmtprc.\n"
	    "# Every msmtp account is a profile; check one with\n"
	    "#   mailout --config THIS-FILE --dry-run --profile NAME\n",
	    m->file);
	for (i = 0; i < m->n; i++)
		clear |= m->v[i].eff[MK_TLS] == NULL;
	if (clear)
		fprintf(out, "# msmtp uses no TLS unless told tls on. mailout's "
		    "default, tls = auto,\n# requires STARTTLS for every host "
		    "that is not loopback: a profile below\n# without a tls "
		    "line keeps it; write tls = off there to send in the clear.\n");
}

static void
write_all(struct msmtprc *m, FILE *out)
{
	size_t i;

	msmtp_convert(m->first.set, m->home, m->mailname, m->first.out);
	for (i = 0; i < m->n; i++)
		msmtp_convert(m->v[i].eff, m->home, m->mailname, m->v[i].out);
	write_header(m, out);
	write_defaults(m, out);
	for (i = 0; i < m->n; i++)
		write_profile(m, i, out);
}

/*
 * The file
 */

static void
free_block(struct block *b)
{
	size_t k;

	for (k = 0; k < MK_COUNT; k++) {
		if (b->set[k] != NULL)
			explicit_bzero(b->set[k], strlen(b->set[k]));
		if (b->eff[k] != NULL)
			explicit_bzero(b->eff[k], strlen(b->eff[k]));
		free(b->set[k]);
		free(b->eff[k]);
	}
	for (k = 0; k < b->nnotes; k++)
		free(b->notes[k].text);
	free(b->notes);
	free(b->name);
	free(b->profile);
	msmtp_ovalues_free(b->out);
}

/* /etc/mailname's line, which msmtp puts for %M. */
static char *
read_mailname(void)
{
	char buf[256], *line = NULL;
	FILE *fp = fopen("/etc/mailname", "re");

	if (fp == NULL)
		return NULL;
	if (fgets(buf, sizeof(buf), fp) != NULL) {
		buf[strcspn(buf, "\r\n")] = '\0';
		if (buf[0] != '\0')
			line = strdup(buf);
	}
	fclose(fp);
	return line;
}

/* The i-th place msmtp looks for its configuration, into path. */
static bool
candidate(int i, char *path, size_t n)
{
	const char *home = getenv("HOME");

	if (i == 0)
		return home != NULL && *home == '/' &&
		    snprintf(path, n, "%s/.msmtprc", home) < (int)n;
	if (i == 1)
		return dirs_user(path, n, "XDG_CONFIG_HOME", ".config",
		    "msmtp/config") == 0;
	snprintf(path, n, "/etc/msmtprc");
	return true;
}

/* msmtp's user files, then its system file: the first that is there,
 * open. One that is there but cannot be read is an error, as it is to
 * msmtp, not a reason to take the next. */
static FILE *
open_default(char *path, size_t n, struct err *e)
{
	FILE *fp;
	int i;

	for (i = 0; i < 3; i++) {
		if (!candidate(i, path, n))
			continue;
		if ((fp = fopen(path, "re")) != NULL)
			return fp;
		if (errno != ENOENT && errno != ENOTDIR) {
			err_set(e, EX_NOINPUT, "cannot read %s: %s", path,
			    strerror(errno));
			return NULL;
		}
	}
	err_set(e, EX_NOINPUT, "no msmtp configuration: none of ~/.msmtprc, "
	    "~/.config/msmtp/config, /etc/msmtprc");
	return NULL;
}

/* The file named, or msmtp's own choice. */
static FILE *
open_msmtprc(const char **path, char *found, size_t n, struct err *e)
{
	FILE *fp;

	if (*path == NULL) {
		*path = found;
		return open_default(found, n, e);
	}
	if ((fp = fopen(*path, "re")) == NULL)
		err_set(e, EX_NOINPUT, "cannot read %s: %s", *path,
		    strerror(errno));
	return fp;
}

int
msmtprc_import(const char *path, FILE *out, struct err *e)
{
	struct msmtprc m;
	char found[4096];
	FILE *fp;
	size_t i;
	int rc;

	if ((fp = open_msmtprc(&path, found, sizeof(found), e)) == NULL)
		return -1;
	memset(&m, 0, sizeof(m));
	m.file = path;
	m.e = e;
	m.home = getenv("HOME");
	m.mailname = read_mailname();
	m.defaults.base = m.first.base = NO_BASE;
	m.cur = NULL;
	if ((rc = read_lines(&m, fp)) == 0) {
		write_all(&m, out);
		/* a full disk must not leave half a configuration and 0 */
		if (fflush(out) != 0 || ferror(out))
			rc = err_set(e, EX_IOERR, "cannot write the mailout "
			    "configuration: %s", strerror(errno));
	}
	fclose(fp);
	for (i = 0; i < m.n; i++)
		free_block(&m.v[i]);
	free(m.v);
	free_block(&m.defaults);
	free_block(&m.first);
	free(m.mailname);
	return rc;
}
