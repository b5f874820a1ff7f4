/* store.c — the refresh token file and the access-token cache. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "lib/dirs.h"
#include "lib/fdio.h"
#include "lib/secret.h"
#include "lib/trace.h"
#include "oauth/store.h"
#include "transport/tls.h"

#define CACHE_FORMAT "mailout-oauth-cache 1"
#define FILE_MAX (SECRET_MAX + 128)	/* a token and a few words */

/* Why a file was not read. */
struct refusal {
	bool missing;		/* it does not exist */
	char why[160];
};

static int
refresh_path(char *buf, size_t n, const struct settings *st, struct err *e)
{
	char leaf[256];

	if (st->oauth_refresh_token_file != NULL) {
		if ((size_t)snprintf(buf, n, "%s", st->oauth_refresh_token_file)
		    >= n)
			return err_set(e, EX_CONFIG, "oauth_refresh_token_file: "
			    "path too long");
		return 0;
	}
	snprintf(leaf, sizeof(leaf), "%s",
	    st->profile != NULL ? st->profile : "default");
	dirs_safe_name(leaf);
	if (dirs_user(buf, n, "XDG_STATE_HOME", ".local/state", "mailout") < 0 ||
	    strlen(buf) + strlen(leaf) + 32 > n)
		return err_set(e, EX_CONFIG, "no place for the OAuth refresh "
		    "token: HOME is not set (or too long); set "
		    "oauth_refresh_token_file");
	strcat(buf, "/oauth-");
	strcat(buf, leaf);
	strcat(buf, ".refresh-token");
	return 0;
}

/* oauth-HASH in the cache directory, HASH a SHA-256 of all that makes
 * one token good for another send; "" when there is no such directory. */
static void
cache_path(char *buf, size_t n, const struct settings *st,
    const char *refresh)
{
	unsigned char digest[32];
	char dir[PATH_MAX], hex[2 * 16 + 1], key[3 * 1024 + PATH_MAX];
	int len;
	size_t i;

	buf[0] = '\0';
	len = snprintf(key, sizeof(key), "%s\n%s\n%s\n%s",
	    st->oauth_token_endpoint, st->oauth_client_id ?
	    st->oauth_client_id : "", st->oauth_scope ? st->oauth_scope : "",
	    refresh);
	tls_library_init();
	if (len < 0 || (size_t)len >= sizeof(key) ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, key, (size_t)len, digest) < 0 ||
	    dirs_user(dir, sizeof(dir), "XDG_CACHE_HOME", ".cache",
	    "mailout") < 0)
		return;
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	if ((size_t)snprintf(buf, n, "%s/oauth-%s", dir, hex) >= n)
		buf[0] = '\0';
}

int
oauth_store_init(struct oauth_store *s, const struct settings *st,
    struct err *e)
{
	s->lock_fd = -1;
	if (refresh_path(s->refresh_path, sizeof(s->refresh_path), st, e) < 0)
		return -1;
	cache_path(s->cache_path, sizeof(s->cache_path), st, s->refresh_path);
	return 0;
}

/* The directory part of path, for dirs_make and the fsync after a
 * rename. */
static void
dir_of(const char *path, char *buf, size_t n)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(buf, n, ".");
	else if (slash == path)
		snprintf(buf, n, "/");
	else
		snprintf(buf, n, "%.*s", (int)(slash - path), path);
}

void
oauth_store_lock(struct oauth_store *s)
{
	char path[PATH_MAX + 8], dir[PATH_MAX];
	struct err ignored;

	if (s->cache_path[0] == '\0' || s->lock_fd >= 0)
		return;
	dir_of(s->cache_path, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s.lock", s->cache_path);
	if (dirs_make(dir, "cache", &ignored) < 0 ||
	    (s->lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0)
		return;
	while (flock(s->lock_fd, LOCK_EX) < 0 && errno == EINTR)
		;
}

void
oauth_store_unlock(struct oauth_store *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd);	/* and with it the lock */
	s->lock_fd = -1;
}

/*
 * The whole of a small file that only its owner, the user, may read;
 * -1 with r filled in when it is not that.
 */
static ssize_t
read_private(const char *path, int flags, char *buf, size_t n,
    struct refusal *r)
{
	struct stat sb;
	ssize_t len = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | flags);

	r->missing = fd < 0 && errno == ENOENT;
	if (fd < 0) {
		snprintf(r->why, sizeof(r->why), "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		snprintf(r->why, sizeof(r->why), "not a regular file");
	else if (sb.st_uid != geteuid())
		snprintf(r->why, sizeof(r->why), "it belongs to uid %ld, not "
		    "to you (uid %ld)", (long)sb.st_uid, (long)geteuid());
	else if ((sb.st_mode & 077) != 0)
		snprintf(r->why, sizeof(r->why), "others may read it (its mode "
		    "is %04o): chmod 600 %s", (unsigned)(sb.st_mode & 07777),
		    path);
	else if (sb.st_size >= (off_t)n)
		snprintf(r->why, sizeof(r->why), "larger than %zu octets", n);
	else if ((len = read(fd, buf, n - 1)) < 0)
		snprintf(r->why, sizeof(r->why), "%s", strerror(errno));
	close(fd);
	if (len >= 0)
		buf[len] = '\0';
	return len;
}

bool
oauth_token_ok(const char *t)
{
	if (*t == '\0')
		return false;
	for (; *t != '\0'; t++)
		if (*t <= ' ' || *t >= 0x7f)
			return false;
	return true;
}

int
oauth_refresh_read(const struct oauth_store *s, char *buf, size_t n,
    struct err *e)
{
	char text[FILE_MAX];
	struct refusal r;
	int rc = 0;

	if (read_private(s->refresh_path, 0, text, sizeof(text), &r) < 0) {
		if (r.missing)
			return err_set(e, EX_NOPERM, "no OAuth refresh token "
			    "in %s: nobody has signed in", s->refresh_path);
		return err_set(e, EX_CONFIG, "the OAuth refresh token file "
		    "%s: %s", s->refresh_path, r.why);
	}
	text[strcspn(text, "\r\n")] = '\0';
	if (!oauth_token_ok(text) || strlen(text) >= n)
		rc = err_set(e, EX_CONFIG, "the OAuth refresh token file %s "
		    "does not hold a token on its first line", s->refresh_path);
	else
		memcpy(buf, text, strlen(text) + 1);
	explicit_bzero(text, sizeof(text));
	return rc;
}

/* text into path, 0600, through a temporary file, fsync and rename,
 * and the directory fsynced: the old file or the new, never half. */
static int
write_private(const char *path, const char *text, struct err *e)
{
	char tmp[PATH_MAX + 32], dir[PATH_MAX];
	size_t len = strlen(text);
	int fd, dfd, rc = 0;

	dir_of(path, dir, sizeof(dir));
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0)
		return err_set(e, EX_CANTCREAT, "cannot create %s: %s", tmp,
		    strerror(errno));
	if (fd_write_all(fd, text, len) < 0 || fsync(fd) < 0)
		rc = err_set(e, EX_IOERR, "cannot write %s: %s", tmp,
		    strerror(errno));
	if (close(fd) < 0 && rc == 0)
		rc = err_set(e, EX_IOERR, "cannot write %s: %s", tmp,
		    strerror(errno));
	if (rc == 0 && rename(tmp, path) < 0)
		rc = err_set(e, EX_CANTCREAT, "cannot rename %s to %s: %s",
		    tmp, path, strerror(errno));
	if (rc < 0) {
		unlink(tmp);
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int
oauth_refresh_write(const struct oauth_store *s, const char *token,
    struct err *e)
{
	char dir[PATH_MAX], line[SECRET_MAX + 2];
	int rc;

	dir_of(s->refresh_path, dir, sizeof(dir));
	if (dirs_make(dir, "state", e) < 0)
		return -1;
	snprintf(line, sizeof(line), "%s\n", token);
	rc = write_private(s->refresh_path, line, e);
	explicit_bzero(line, sizeof(line));
	return rc;
}

bool
oauth_cache_read(const struct oauth_store *s, time_t now, long margin,
    char *buf, size_t n)
{
	char text[FILE_MAX], token[FILE_MAX];
	struct refusal r;
	long long expires;
	bool found = false;

	if (s->cache_path[0] == '\0')
		return false;
	if (read_private(s->cache_path, O_NOFOLLOW, text, sizeof(text),
	    &r) < 0) {
		if (!r.missing)
			trace_note("OAuth: not using the cache %s: %s",
			    s->cache_path, r.why);
		return false;
	}
	if (sscanf(text, CACHE_FORMAT "\nexpires %lld\ntoken %s\n", &expires,
	    token) == 2 && oauth_token_ok(token) && strlen(token) < n &&
	    expires - margin > (long long)now) {
		memcpy(buf, token, strlen(token) + 1);
		found = true;
		trace_note("OAuth: the cached access token is good for %lld s "
		    "more", expires - (long long)now);
	}
	explicit_bzero(text, sizeof(text));
	explicit_bzero(token, sizeof(token));
	return found;
}

void
oauth_cache_write(const struct oauth_store *s, const char *token,
    time_t expires)
{
	char dir[PATH_MAX], text[FILE_MAX];
	struct err e;

	if (s->cache_path[0] == '\0')
		return;
	dir_of(s->cache_path, dir, sizeof(dir));
	snprintf(text, sizeof(text), CACHE_FORMAT "\nexpires %lld\ntoken %s\n",
	    (long long)expires, token);
	if (dirs_make(dir, "cache", &e) < 0 ||
	    write_private(s->cache_path, text, &e) < 0)
		trace_note("OAuth: cannot cache the access token: %s", e.msg);
	explicit_bzero(text, sizeof(text));
}

void
oauth_cache_forget(const struct oauth_store *s)
{
	if (s->cache_path[0] != '\0' && unlink(s->cache_path) == 0)
		trace_note("OAuth: forgot the cached access token");
}
