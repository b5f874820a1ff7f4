/* queue.c — queue entries on disk: durable writes, reading, listing, locks. */
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

#include "config/sysdirs.h"
#include "lib/dirs.h"
#include "lib/fdio.h"
#include "message/chunk.h"
#include "queue/entry.h"
#include "queue/queue.h"

#define ENTRY_FILE_MAX (4 * 1024 * 1024)	/* 10000 recipients fit */
#define LEFTOVER_AGE (60 * 60)
#define TMP_PREFIX "tmp."
#define DELIVERED_FILE ".delivered"

/* ---- the directory ---- */

int
queue_dir_path(const struct settings *st, char *buf, size_t n, struct err *e)
{
	if (sysdirs_queue(st->queue_dir, buf, n) < 0)
		return err_set(e, EX_CONFIG, "no queue directory: HOME is not "
		    "set (or too long); set queue_dir");
	return 0;
}

static int
open_dir(struct queue *q, struct err *e)
{
	struct stat sb;

	q->dirfd = open(q->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (q->dirfd < 0 || fstat(q->dirfd, &sb) < 0)
		return err_set(e, EX_CANTCREAT, "cannot open the queue "
		    "directory %s: %s", q->dir, strerror(errno));
	q->uid = sb.st_uid;
	q->gid = sb.st_gid;
	return 0;
}

int
queue_open(struct queue *q, const struct settings *st, struct err *e)
{
	q->dirfd = -1;
	if (queue_dir_path(st, q->dir, sizeof(q->dir), e) < 0)
		return -1;
	if (dirs_make(q->dir, "queue", e) < 0)
		return -1;
	return open_dir(q, e);
}

int
queue_open_existing(struct queue *q, const struct settings *st,
    struct err *e)
{
	struct stat sb;

	q->dirfd = -1;
	if (queue_dir_path(st, q->dir, sizeof(q->dir), e) < 0)
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

/* fsync fd, rename tmp.NAME to NAME, fsync the directory; fd stays
 * open (it may hold the entry's lock). */
static int
sync_file(struct queue *q, int fd, const char *name, struct err *e)
{
	char tmp[QUEUE_ID_MAX + 16];

	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s", name);
	if (fsync(fd) < 0) {
		unlinkat(q->dirfd, tmp, 0);
		return io_error(e, q, "write a file");
	}
	if (renameat(q->dirfd, tmp, q->dirfd, name) < 0 || fsync(q->dirfd) < 0)
		return io_error(e, q, "rename a file");
	return 0;
}

/* sync_file, and close fd. */
static int
commit_file(struct queue *q, int fd, const char *name, struct err *e)
{
	int rc = sync_file(q, fd, name, e);

	if (close(fd) < 0 && rc == 0)
		rc = io_error(e, q, "write a file");
	return rc;
}

/* What root creates in the queue of another user (the service's system
 * queue) belongs to that user, who must go on reading it. */
static int
give_to_queue_owner(const struct queue *q, int fd)
{
	if (geteuid() != 0 || q->uid == 0)
		return 0;
	return fchown(fd, q->uid, q->gid);
}

static void
drop_tmp(struct queue *q, int fd, const char *name)
{
	char tmp[QUEUE_ID_MAX + 16];

	close(fd);
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s", name);
	unlinkat(q->dirfd, tmp, 0);
}

static int
create_tmp(struct queue *q, const char *name, struct err *e)
{
	char tmp[QUEUE_ID_MAX + 16];
	int fd;

	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s", name);
	fd = openat(q->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);
	if (fd < 0 || give_to_queue_owner(q, fd) < 0) {
		err_set(e, EX_CANTCREAT, "queue %s: cannot create %s: %s",
		    q->dir, tmp, strerror(errno));
		if (fd >= 0)
			drop_tmp(q, fd, name);
		return -1;
	}
	return fd;
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
	entry_print(f, qe);
	if (fclose(f) != 0) {
		free(text);
		return err_set(e, EX_SOFTWARE, "out of memory");
	}
	snprintf(name, sizeof(name), "%s.env", qe->id);
	if ((fd = create_tmp(q, name, e)) < 0) {
		free(text);
		return -1;
	}
	if (fd_write_all(fd, text, len) < 0) {
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

int
queue_create(struct queue *q, struct queue_writer *w, struct err *e)
{
	char name[QUEUE_ID_MAX + 8];

	w->fd = -1;
	w->size = 0;
	if (new_id(w->id, sizeof(w->id), e) < 0)
		return -1;
	snprintf(name, sizeof(name), "%s.msg", w->id);
	if ((w->fd = create_tmp(q, name, e)) < 0)
		return -1;
	/* the inode keeps the lock through the rename (queue_entry_lock) */
	if (flock(w->fd, LOCK_EX | LOCK_NB) < 0) {
		drop_tmp(q, w->fd, name);
		w->fd = -1;
		return io_error(e, q, "lock a new entry");
	}
	return 0;
}

int
queue_write(struct queue *q, struct queue_writer *w, const void *buf,
    size_t len, struct err *e)
{
	if (fd_write_all(w->fd, buf, len) < 0)
		return io_error(e, q, "write the queued message");
	w->size += (long long)len;
	return 0;
}

void
queue_discard(struct queue *q, struct queue_writer *w)
{
	char name[QUEUE_ID_MAX + 8];

	if (w->fd < 0)
		return;
	snprintf(name, sizeof(name), "%s.msg", w->id);
	drop_tmp(q, w->fd, name);
	w->fd = -1;
}

int
queue_commit(struct queue *q, struct queue_writer *w, struct queue_entry *qe,
    struct err *e)
{
	char name[QUEUE_ID_MAX + 8], env[QUEUE_ID_MAX + 8];

	snprintf(name, sizeof(name), "%s.msg", w->id);
	if (sync_file(q, w->fd, name, e) < 0) {
		close(w->fd);
		w->fd = -1;
		return -1;
	}
	snprintf(qe->id, sizeof(qe->id), "%s", w->id);
	qe->size = w->size;
	if (queue_save(q, qe, e) < 0) {
		/* only a message without its entry is garbage: when the
		 * rename happened but the directory fsync failed, both stay */
		snprintf(env, sizeof(env), "%s.env", qe->id);
		if (faccessat(q->dirfd, env, F_OK, 0) < 0)
			unlinkat(q->dirfd, name, 0);
		close(w->fd);
		w->fd = -1;
		return -1;
	}
	return 0;
}

static int
copy_message(struct queue *q, struct queue_writer *w,
    struct message_source *src, bool dot_ends, struct err *e)
{
	struct chunk_reader cr;
	int rc = 0;

	if (chunk_reader_init(&cr, src, dot_ends, false, e) < 0)
		return -1;
	while (rc == 0 && !cr.eof)
		if ((rc = chunk_fill(&cr, e)) == 0)
			rc = queue_write(q, w, cr.buf, cr.len, e);
	chunk_reader_free(&cr);
	return rc;
}

int
queue_add(struct queue *q, struct queue_entry *qe,
    struct message_source *src, bool dot_ends, struct err *e)
{
	struct queue_writer w;

	if (queue_create(q, &w, e) < 0)
		return -1;
	if (copy_message(q, &w, src, dot_ends, e) < 0) {
		queue_discard(q, &w);
		return -1;
	}
	if (queue_commit(q, &w, qe, e) < 0)
		return -1;
	close(w.fd);	/* the entry's lock: it is whole now */
	return 0;
}

/* ---- reading ---- */

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
	rc = entry_parse(qe, text, e);
	free(text);
	snprintf(name, sizeof(name), "%s.msg", id);
	if (rc == 0 && fstatat(q->dirfd, name, &sb, 0) < 0)
		rc = err_set(e, EX_DATAERR, "its message is missing");
	if (rc < 0) {
		err_prefix(e, "queue entry %s", id);
		return -1;
	}
	qe->size = (long long)sb.st_size;
	/* in the service's queue every file is the service's: the entry is
	 * its caller's */
	qe->owner = qe->caller.known && qe->caller.uid >= 0 ?
	    (uid_t)qe->caller.uid : sb.st_uid;
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

bool
queue_id_valid(const char *id)
{
	size_t len = strspn(id, "0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-_");

	return len > 0 && id[len] == '\0' && len < QUEUE_ID_MAX &&
	    id[0] != '.' && strncmp(id, TMP_PREFIX, strlen(TMP_PREFIX)) != 0;
}

int
queue_entry_lock(struct queue *q, const char *id, struct err *e)
{
	char name[QUEUE_ID_MAX + 8];
	int fd;

	snprintf(name, sizeof(name), "%s.msg", id);
	if ((fd = openat(q->dirfd, name, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(e, errno == ENOENT ? EX_NOINPUT : EX_IOERR,
		    "%s", errno == ENOENT ? "no such entry in the queue" :
		    strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return err_set(e, EX_TEMPFAIL, "another mailout is sending "
		    "it or acting on it now");
	}
	return fd;
}

bool
queue_may_act(const struct queue_entry *qe, uid_t actor)
{
	return actor == 0 || qe->owner == actor;
}

/* Its time is the file's mtime: no write to fsync, nothing to parse.
 * -1 when the file cannot be opened (errno says why). */
static int
touch_delivered(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	futimens(fd, NULL);
	close(fd);
	return 0;
}

void
queue_stamp_delivery(struct queue *q)
{
	touch_delivered(q->dirfd, DELIVERED_FILE);
}

/* A send's stamp: three system calls when the queue exists (the usual
 * case), queue_open's mkdir -p only when it does not. */
void
queue_note_delivery(const struct settings *st)
{
	char path[PATH_MAX + sizeof(DELIVERED_FILE) + 1];
	struct queue q;
	struct err e;

	if (queue_dir_path(st, q.dir, sizeof(q.dir), &e) < 0)
		return;
	snprintf(path, sizeof(path), "%s/%s", q.dir, DELIVERED_FILE);
	if (touch_delivered(AT_FDCWD, path) == 0 || errno != ENOENT)
		return;
	if (queue_open(&q, st, &e) == 0)
		queue_stamp_delivery(&q);
	queue_close(&q);
}

time_t
queue_last_delivery(struct queue *q)
{
	struct stat sb;

	if (fstatat(q->dirfd, DELIVERED_FILE, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	return sb.st_mtime;
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

	if (fd < 0 || give_to_queue_owner(q, fd) < 0) {
		err_set(e, EX_CANTCREAT, "queue %s: cannot create the lock: "
		    "%s", q->dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return err_set(e, EX_TEMPFAIL, "another flush of %s is running",
		    q->dir);
	}
	return fd;
}
