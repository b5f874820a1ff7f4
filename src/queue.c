/* queue.c — queue entries on disk: durable writes, reading, listing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "dirs.h"
#include "queue.h"
#include "transfer.h"

#define QUEUE_FORMAT "mailout-queue 1"
#define ENTRY_FILE_MAX (4 * 1024 * 1024)	/* 10000 recipients fit */
#define LEFTOVER_AGE (60 * 60)
#define TMP_PREFIX "tmp."

/* ---- the directory ---- */

static int
queue_path(const struct settings *st, char *buf, size_t n, struct err *e)
{
	if (st->queue_dir != NULL)
		snprintf(buf, n, "%s", st->queue_dir);
	else if (geteuid() == 0)
		snprintf(buf, n, "%s", QUEUE_DIR_SYSTEM);
	else if (dirs_user(buf, n, "XDG_STATE_HOME", ".local/state",
	    "mailout/queue") < 0)
		return err_set(e, EX_CONFIG, "no queue directory: HOME is not "
		    "set (or too long); set queue_dir");
	return 0;
}

static int
open_dir(struct queue *q, struct err *e)
{
	q->dirfd = open(q->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (q->dirfd < 0)
		return err_set(e, EX_CANTCREAT, "cannot open the queue "
		    "directory %s: %s", q->dir, strerror(errno));
	return 0;
}

int
queue_open(struct queue *q, const struct settings *st, struct err *e)
{
	q->dirfd = -1;
	if (queue_path(st, q->dir, sizeof(q->dir), e) < 0 ||
	    dirs_make(q->dir, "queue", e) < 0)
		return -1;
	return open_dir(q, e);
}

int
queue_open_existing(struct queue *q, const struct settings *st,
    struct err *e)
{
	struct stat sb;

	q->dirfd = -1;
	if (queue_path(st, q->dir, sizeof(q->dir), e) < 0)
		return -1;
	if (stat(q->dir, &sb) < 0 && errno == ENOENT)
		return 1;
	return open_dir(q, e);
}

void
queue_close(struct queue *q)
{
	if (q->dirfd >= 0)
		close(q->dirfd);
	q->dirfd = -1;
}

/* ---- durable files ---- */

static int
io_error(struct err *e, const struct queue *q, const char *what)
{
	return err_set(e, EX_IOERR, "queue %s: cannot %s: %s", q->dir, what,
	    strerror(errno));
}

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync and close fd, rename tmp.NAME to NAME, fsync the directory. */
static int
commit_file(struct queue *q, int fd, const char *name, struct err *e)
{
	char tmp[QUEUE_ID_MAX + 16];
	int rc = fsync(fd);

	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s", name);
	if (close(fd) < 0 || rc < 0) {
		unlinkat(q->dirfd, tmp, 0);
		return io_error(e, q, "write a file");
	}
	if (renameat(q->dirfd, tmp, q->dirfd, name) < 0 || fsync(q->dirfd) < 0)
		return io_error(e, q, "rename a file");
	return 0;
}

static int
create_tmp(struct queue *q, const char *name, struct err *e)
{
	char tmp[QUEUE_ID_MAX + 16];
	int fd;

	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s", name);
	fd = openat(q->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return err_set(e, EX_CANTCREAT, "queue %s: cannot create %s: %s",
		    q->dir, tmp, strerror(errno));
	return fd;
}

static void
drop_tmp(struct queue *q, int fd, const char *name)
{
	char tmp[QUEUE_ID_MAX + 16];

	close(fd);
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s", name);
	unlinkat(q->dirfd, tmp, 0);
}

/* ---- the entry file ---- */

/* Values go on one line: "%", CR and LF are written as %25, %0D, %0A. */
static void
put_escaped(FILE *f, const char *key, const char *value)
{
	fputs(key, f);
	fputc(' ', f);
	for (; *value != '\0'; value++) {
		if (*value == '%' || *value == '\r' || *value == '\n')
			fprintf(f, "%%%02X", (unsigned char)*value);
		else
			fputc(*value, f);
	}
	fputc('\n', f);
}

static void
unescape(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++) {
		unsigned int c;

		if (*s == '%' && sscanf(s + 1, "%2x", &c) == 1) {
			*o++ = (char)c;
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static void
print_entry(FILE *f, const struct queue_entry *qe)
{
	size_t i;

	fprintf(f, QUEUE_FORMAT "\ncreated %lld\nattempts %d\nnext %lld\n",
	    (long long)qe->created, qe->attempts, (long long)qe->next_try);
	if (qe->config != NULL)
		put_escaped(f, "config", qe->config);
	if (qe->profile != NULL)
		put_escaped(f, "profile", qe->profile);
	for (i = 0; i < qe->nsettings; i++) {
		char key[64];

		snprintf(key, sizeof(key), "set %s", qe->settings[i].key);
		put_escaped(f, key, qe->settings[i].value);
	}
	if (qe->envid != NULL)
		put_escaped(f, "envid", qe->envid);
	if (qe->message_id != NULL)
		put_escaped(f, "message-id", qe->message_id);
	if (qe->env.body != BODY_UNDECLARED)
		fprintf(f, "body %s\n", qe->env.body == BODY_7BIT ? "7BIT" :
		    "8BITMIME");
	if (qe->env.needs_smtputf8)
		fputs("smtputf8 yes\n", f);
	put_escaped(f, "sender", qe->env.sender);
	for (i = 0; i < qe->env.rcpts.n; i++)
		put_escaped(f, "rcpt", qe->env.rcpts.v[i]);
	if (qe->last_error != NULL)
		put_escaped(f, "error", qe->last_error);
}

int
queue_save(struct queue *q, const struct queue_entry *qe, struct err *e)
{
	char name[QUEUE_ID_MAX + 8];
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int fd;

	if ((f = open_memstream(&text, &len)) == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	print_entry(f, qe);
	if (fclose(f) != 0) {
		free(text);
		return err_set(e, EX_SOFTWARE, "out of memory");
	}
	snprintf(name, sizeof(name), "%s.env", qe->id);
	if ((fd = create_tmp(q, name, e)) < 0) {
		free(text);
		return -1;
	}
	if (write_all(fd, text, len) < 0) {
		free(text);
		drop_tmp(q, fd, name);
		return io_error(e, q, "write an entry");
	}
	free(text);
	return commit_file(q, fd, name, e);
}

/* ---- adding ---- */

/* Time-ordered and unique: YYYYMMDDHHMMSS.<5 hex digits of the
 * microsecond><5 random hex digits>. */
static int
new_id(char *id, size_t n, struct err *e)
{
	unsigned char rnd[3];
	struct timespec now;
	struct tm tm;
	size_t len;

	/* unique, not secret: getrandom(2), as for Message-ID (header.c) */
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return err_set(e, EX_SOFTWARE, "no random numbers");
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	len = strftime(id, n, "%Y%m%d%H%M%S.", &tm);
	snprintf(id + len, n - len, "%05lx%05x", now.tv_nsec / 1000,
	    ((unsigned)rnd[0] << 12 | (unsigned)rnd[1] << 4 | rnd[2] >> 4));
	return 0;
}

static int
copy_message(int fd, struct message_source *src, bool dot_ends,
    struct err *e)
{
	struct chunk_reader cr;
	int rc = 0;

	if (chunk_reader_init(&cr, src, dot_ends, e) < 0)
		return -1;
	while (rc == 0 && !cr.eof) {
		if ((rc = chunk_fill(&cr, e)) == 0 &&
		    write_all(fd, cr.buf, cr.len) < 0)
			rc = err_set(e, EX_IOERR, "cannot write the queued "
			    "message: %s", strerror(errno));
	}
	chunk_reader_free(&cr);
	return rc;
}

int
queue_add(struct queue *q, struct queue_entry *qe,
    struct message_source *src, bool dot_ends, struct err *e)
{
	char name[QUEUE_ID_MAX + 8];
	int fd;

	if (new_id(qe->id, sizeof(qe->id), e) < 0)
		return -1;
	snprintf(name, sizeof(name), "%s.msg", qe->id);
	if ((fd = create_tmp(q, name, e)) < 0)
		return -1;
	if (copy_message(fd, src, dot_ends, e) < 0) {
		drop_tmp(q, fd, name);
		return -1;
	}
	if (commit_file(q, fd, name, e) < 0)
		return -1;
	if (queue_save(q, qe, e) < 0) {
		char env[QUEUE_ID_MAX + 8];

		/* only a message without its entry is garbage: when the
		 * rename happened but the directory fsync failed, both stay */
		snprintf(env, sizeof(env), "%s.env", qe->id);
		if (faccessat(q->dirfd, env, F_OK, 0) < 0)
			unlinkat(q->dirfd, name, 0);
		return -1;
	}
	return 0;
}

/* ---- reading ---- */

static int
entry_line(struct queue_entry *qe, char *key, char *value, struct err *e)
{
	char *sp;

	if (strcmp(key, "created") == 0)
		qe->created = (time_t)strtoll(value, NULL, 10);
	else if (strcmp(key, "attempts") == 0)
		qe->attempts = atoi(value);
	else if (strcmp(key, "next") == 0)
		qe->next_try = (time_t)strtoll(value, NULL, 10);
	else if (strcmp(key, "config") == 0)
		return queue_entry_set(&qe->config, value, e);
	else if (strcmp(key, "profile") == 0)
		return queue_entry_set(&qe->profile, value, e);
	else if (strcmp(key, "envid") == 0)
		return queue_entry_set(&qe->envid, value, e);
	else if (strcmp(key, "message-id") == 0)
		return queue_entry_set(&qe->message_id, value, e);
	else if (strcmp(key, "error") == 0)
		return queue_entry_set(&qe->last_error, value, e);
	else if (strcmp(key, "set") == 0 && (sp = strchr(value, ' ')) != NULL) {
		*sp = '\0';
		return queue_entry_add_setting(qe, value, sp + 1, e);
	} else if (strcmp(key, "body") == 0)
		qe->env.body = strcmp(value, "7BIT") == 0 ? BODY_7BIT :
		    BODY_8BITMIME;
	else if (strcmp(key, "smtputf8") == 0)
		qe->env.needs_smtputf8 = true;
	else if (strcmp(key, "sender") == 0 && strlen(value) <= ADDR_MAX)
		snprintf(qe->env.sender, sizeof(qe->env.sender), "%s", value);
	else if (strcmp(key, "rcpt") == 0)
		return addr_check(value, e) < 0 ? -1 :
		    addr_list_add(&qe->env.rcpts, value, e);
	else
		return err_set(e, EX_DATAERR, "unknown line '%s'", key);
	return 0;
}

static int
parse_entry(struct queue_entry *qe, char *text, struct err *e)
{
	char *line, *next;

	if (strncmp(text, QUEUE_FORMAT "\n", sizeof(QUEUE_FORMAT)) != 0)
		return err_set(e, EX_DATAERR, "not a mailout queue entry");
	for (line = text + sizeof(QUEUE_FORMAT); *line != '\0'; line = next) {
		char *sp;

		if ((next = strchr(line, '\n')) == NULL)
			return err_set(e, EX_DATAERR, "truncated");
		*next++ = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			return err_set(e, EX_DATAERR, "bad line '%s'", line);
		*sp = '\0';
		unescape(sp + 1);
		if (entry_line(qe, line, sp + 1, e) < 0)
			return -1;
	}
	return 0;
}

static char *
read_small_file(int dirfd, const char *name, long long max, struct err *e)
{
	struct stat sb;
	char *text;
	ssize_t n;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) < 0 || sb.st_size > max) {
		err_set(e, EX_DATAERR, "cannot read %s: %s", name, fd < 0 ?
		    strerror(errno) : "too large");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if ((text = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	n = read(fd, text, (size_t)sb.st_size);
	close(fd);
	if (n != sb.st_size) {
		free(text);
		err_set(e, EX_IOERR, "cannot read %s", name);
		return NULL;
	}
	text[n] = '\0';
	return text;
}

int
queue_load(struct queue *q, const char *id, struct queue_entry *qe,
    struct err *e)
{
	char name[QUEUE_ID_MAX + 8];
	struct stat sb;
	char *text;
	int rc;

	memset(qe, 0, sizeof(*qe));
	snprintf(qe->id, sizeof(qe->id), "%s", id);
	snprintf(name, sizeof(name), "%s.env", id);
	if ((text = read_small_file(q->dirfd, name, ENTRY_FILE_MAX, e)) == NULL)
		return -1;
	rc = parse_entry(qe, text, e);
	free(text);
	snprintf(name, sizeof(name), "%s.msg", id);
	if (rc == 0 && fstatat(q->dirfd, name, &sb, 0) < 0)
		rc = err_set(e, EX_DATAERR, "its message is missing");
	if (rc < 0) {
		err_prefix(e, "queue entry %s", id);
		return -1;
	}
	qe->size = (long long)sb.st_size;
	return 0;
}

int
queue_message(struct queue *q, const char *id, struct message_source *src,
    struct err *e)
{
	char path[PATH_MAX + QUEUE_ID_MAX + 8];

	snprintf(path, sizeof(path), "%s/%s.msg", q->dir, id);
	return message_open(src, path, e);
}

int
queue_remove(struct queue *q, const char *id, struct err *e)
{
	char name[QUEUE_ID_MAX + 8];

	snprintf(name, sizeof(name), "%s.env", id);
	if (unlinkat(q->dirfd, name, 0) < 0 || fsync(q->dirfd) < 0)
		return io_error(e, q, "remove an entry");
	snprintf(name, sizeof(name), "%s.msg", id);
	unlinkat(q->dirfd, name, 0);	/* else queue_sweep removes it */
	return 0;
}

/* ---- listing ---- */

static bool
has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && strcmp(name + n - s, suffix) == 0;
}

/* A fresh listing of the queue directory (dirfd itself stays open). */
static DIR *
open_listing(struct queue *q)
{
	int fd = dup(q->dirfd);
	DIR *dir;

	if (fd < 0)
		return NULL;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return NULL;
	}
	rewinddir(dir);
	return dir;
}

static int
compare_ids(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
queue_ids(struct queue *q, char ***ids, struct err *e)
{
	size_t n = 0, cap = 16;
	struct dirent *d = NULL;
	DIR *dir = open_listing(q);

	*ids = NULL;
	if (dir == NULL)
		return io_error(e, q, "read the directory");
	*ids = calloc(cap + 1, sizeof(**ids));
	while (*ids != NULL && (d = readdir(dir)) != NULL) {
		if (!has_suffix(d->d_name, ".env") ||
		    strncmp(d->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0 ||
		    strlen(d->d_name) >= QUEUE_ID_MAX + 4)
			continue;
		if (n == cap) {
			char **more = realloc(*ids, (2 * cap + 1) * sizeof(**ids));

			if (more == NULL)
				break;
			*ids = more;
			cap *= 2;
		}
		if (((*ids)[n] = strndup(d->d_name, strlen(d->d_name) - 4)) ==
		    NULL)
			break;
		(*ids)[++n] = NULL;
	}
	closedir(dir);
	if (*ids == NULL || d != NULL) {
		queue_ids_free(*ids);
		*ids = NULL;
		return err_set(e, EX_SOFTWARE, "out of memory");
	}
	qsort(*ids, n, sizeof(**ids), compare_ids);
	return 0;
}

void
queue_ids_free(char **ids)
{
	size_t i;

	for (i = 0; ids != NULL && ids[i] != NULL; i++)
		free(ids[i]);
	free(ids);
}

static bool
is_leftover(int dirfd, const char *name, time_t now)
{
	char env[QUEUE_ID_MAX + 16];
	struct stat sb;

	if (fstatat(dirfd, name, &sb, 0) < 0 || !S_ISREG(sb.st_mode) ||
	    now - sb.st_mtime < LEFTOVER_AGE)
		return false;
	if (strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0)
		return true;
	if (!has_suffix(name, ".msg") || strlen(name) >= QUEUE_ID_MAX + 4)
		return false;
	snprintf(env, sizeof(env), "%.*s.env", (int)strlen(name) - 4, name);
	return faccessat(dirfd, env, F_OK, 0) < 0 && errno == ENOENT;
}

void
queue_sweep(struct queue *q)
{
	time_t now = time(NULL);
	struct dirent *d;
	DIR *dir = open_listing(q);

	if (dir == NULL)
		return;
	while ((d = readdir(dir)) != NULL)
		if (is_leftover(q->dirfd, d->d_name, now))
			unlinkat(q->dirfd, d->d_name, 0);
	closedir(dir);
}

int
queue_lock(struct queue *q, struct err *e)
{
	int fd = openat(q->dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return err_set(e, EX_CANTCREAT, "queue %s: cannot create the "
		    "lock: %s", q->dir, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return err_set(e, EX_TEMPFAIL, "another flush of %s is running",
		    q->dir);
	}
	return fd;
}

/* ---- entries in memory ---- */

int
queue_entry_set(char **field, const char *value, struct err *e)
{
	free(*field);
	*field = NULL;
	if (value != NULL && (*field = strdup(value)) == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

int
queue_entry_add_setting(struct queue_entry *qe, const char *key,
    const char *value, struct err *e)
{
	struct queue_setting *more = realloc(qe->settings,
	    (qe->nsettings + 1) * sizeof(*more));

	if (more == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	qe->settings = more;
	more[qe->nsettings].key = strdup(key);
	more[qe->nsettings].value = strdup(value);
	if (more[qe->nsettings].key == NULL ||
	    more[qe->nsettings].value == NULL) {
		free(more[qe->nsettings].key);
		free(more[qe->nsettings].value);
		return err_set(e, EX_SOFTWARE, "out of memory");
	}
	qe->nsettings++;
	return 0;
}

void
queue_entry_free(struct queue_entry *qe)
{
	size_t i;

	for (i = 0; i < qe->nsettings; i++) {
		free(qe->settings[i].key);
		free(qe->settings[i].value);
	}
	free(qe->settings);
	free(qe->config);
	free(qe->profile);
	free(qe->envid);
	free(qe->message_id);
	free(qe->last_error);
	envelope_free(&qe->env);
	memset(qe, 0, sizeof(*qe));
}
