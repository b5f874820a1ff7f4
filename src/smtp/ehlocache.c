/* ehlocache.c — the EHLO replies kept for early pipelining. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/dirs.h"
#include "lib/trace.h"
#include "smtp/ehlocache.h"

#define CACHE_FORMAT "mailout-ehlo-cache 1"
#define CACHE_FILE_MAX (3 * REPLY_TEXT_MAX)

static const char *const mode_names[] = {
	[TLS_AUTO] = "auto", [TLS_OFF] = "off", [TLS_STARTTLS] = "starttls",
	[TLS_IMPLICIT] = "implicit",
};

/* The file name: the host with anything but [A-Za-z0-9.-] made "_", and
 * the port. Two hosts that map to one name just take turns: the key line
 * inside tells them apart. */
static int
cache_file_name(char *buf, size_t n, const struct settings *st)
{
	char dir[PATH_MAX], host[256];
	int len;

	if (dirs_user(dir, sizeof(dir), "XDG_CACHE_HOME", ".cache",
	    "mailout") < 0)
		return -1;
	snprintf(host, sizeof(host), "%s", st->host);
	dirs_safe_name(host);
	len = snprintf(buf, n, "%s/ehlo-%s-%s", dir, host, st->port);
	return len < 0 || (size_t)len >= n ? -1 : 0;
}

/* The whole file, if it is a small regular file of ours that nobody
 * else may write. */
static ssize_t
read_entry(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat sb;
	ssize_t n = -1;

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) == 0 && dirs_file_ours(&sb) &&
	    sb.st_size < (off_t)cap) {
		n = read(fd, buf, cap - 1);
		if (n >= 0)
			buf[n] = '\0';
	}
	close(fd);
	return n;
}

/* Append one capability line to a reply rebuilt from the file. */
static bool
add_line(struct reply *r, const char *line)
{
	size_t used = strlen(r->text), len = strlen(line);

	if (used + 1 + len + 1 > sizeof(r->text) || r->nlines >= REPLY_LINES_MAX)
		return false;
	r->text[used] = '\n';
	memcpy(r->text + used + 1, line, len + 1);
	r->nlines++;
	return true;
}

static void
start_reply(struct reply *r)
{
	memset(r, 0, sizeof(*r));
	r->code = 250;
	snprintf(r->text, sizeof(r->text), "(cached)");
	r->nlines = 1;
}

/* "FORMAT\nkey K\nbefore LINE\n...after LINE\n..."; false if malformed
 * or for another key. */
static bool
parse_entry(struct ehlo_cache *c, char *text)
{
	char *line, *next;
	bool header = false, keyed = false;

	start_reply(&c->before_tls);
	memset(&c->after_tls, 0, sizeof(c->after_tls));
	for (line = text; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next == NULL)
			return false;	/* cut short */
		*next++ = '\0';
		if (!header) {
			if (strcmp(line, CACHE_FORMAT) != 0)
				return false;
			header = true;
		} else if (strncmp(line, "key ", 4) == 0) {
			if (strcmp(line + 4, c->key) != 0)
				return false;
			keyed = true;
		} else if (strncmp(line, "before ", 7) == 0) {
			if (!add_line(&c->before_tls, line + 7))
				return false;
		} else if (strncmp(line, "after ", 6) == 0) {
			if (c->after_tls.code == 0)
				start_reply(&c->after_tls);
			if (!add_line(&c->after_tls, line + 6))
				return false;
		} else {
			return false;
		}
	}
	return keyed;
}

void
ehlo_cache_load(struct ehlo_cache *c, const struct settings *st,
    enum tls_mode mode)
{
	char text[CACHE_FILE_MAX];
	int len;

	memset(c, 0, sizeof(*c));
	if (st->socket != NULL || cache_file_name(c->path, sizeof(c->path),
	    st) < 0) {
		c->path[0] = '\0';
		return;
	}
	len = snprintf(c->key, sizeof(c->key), "%s %s %s %s %s%s", st->host,
	    st->port, mode_names[mode], st->helo, st->lmtp ? "lmtp " : "",
	    st->tls_cert_file ? st->tls_cert_file : "-");
	if (len < 0 || (size_t)len >= sizeof(c->key) ||
	    strchr(c->key, '\n') != NULL) {
		c->path[0] = '\0';
		return;
	}
	if (read_entry(c->path, text, sizeof(text)) < 0)
		return;
	/* after STARTTLS there is a second reply, and only then */
	c->found = parse_entry(c, text) &&
	    (mode == TLS_STARTTLS) == (c->after_tls.code != 0);
	if (c->found)
		trace_note("early pipelining: using the EHLO reply kept in %s",
		    c->path);
}

/* The lines after the first, each prefixed with tag. */
static void
put_lines(FILE *f, const char *tag, const struct reply *r)
{
	const char *line = strchr(r->text, '\n');

	while (line != NULL) {
		const char *end = strchr(++line, '\n');
		int len = end ? (int)(end - line) : (int)strlen(line);

		fprintf(f, "%s %.*s\n", tag, len, line);
		line = end;
	}
}

void
ehlo_cache_store(const struct ehlo_cache *c, const struct reply *before_tls,
    const struct reply *after_tls)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 32];
	struct err ignored;
	FILE *f;
	int fd;

	if (c->path[0] == '\0')
		return;
	snprintf(dir, sizeof(dir), "%s", c->path);
	*strrchr(dir, '/') = '\0';
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", c->path, (long)getpid());
	if (dirs_make(dir, "cache", &ignored) < 0)
		return;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(tmp);
		return;
	}
	fprintf(f, "%s\nkey %s\n", CACHE_FORMAT, c->key);
	put_lines(f, "before", before_tls);
	if (after_tls != NULL)
		put_lines(f, "after", after_tls);
	/* rename: a reader sees the old entry or the new one, never half */
	if (fclose(f) != 0 || rename(tmp, c->path) < 0)
		unlink(tmp);
}

void
ehlo_cache_forget(struct ehlo_cache *c)
{
	c->found = false;
	if (c->path[0] != '\0' && unlink(c->path) == 0)
		trace_note("early pipelining: forgot %s", c->path);
}

bool
ehlo_same_offer(const struct reply *a, const struct reply *b)
{
	const char *la = strchr(a->text, '\n'), *lb = strchr(b->text, '\n');

	if (la == NULL || lb == NULL)
		return la == lb;
	return strcmp(la, lb) == 0;
}
