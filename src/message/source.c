/* source.c — the message's input: stdin or a file, mark, rewind, tee. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fdio.h"
#include "message/source.h"

int
message_open(struct message_source *src, const char *path, struct err *e)
{
	memset(src, 0, sizeof(*src));
	if (path == NULL) {
		src->fd = STDIN_FILENO;
		src->name = "standard input";
		return 0;
	}
	src->name = path;
	src->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (src->fd < 0)
		return err_set(e, EX_NOINPUT, "cannot open %s: %s", path,
		    strerror(errno));
	return 0;
}

/* From the fd; with the tee on, what was read goes to its file too. */
static ssize_t
read_fd(struct message_source *src, char *buf, size_t len, struct err *e)
{
	for (;;) {
		ssize_t n = read(src->fd, buf, len);

		if (n > 0 && src->tee && fd_write_all(src->tee_fd, buf,
		    (size_t)n) < 0)
			return err_set(e, EX_IOERR, "cannot write the spool "
			    "file: %s", strerror(errno));
		if (n >= 0) {
			src->consumed |= n > 0;
			return n;
		}
		if (errno != EINTR)
			return err_set(e, EX_IOERR, "cannot read %s: %s",
			    src->name, strerror(errno));
	}
}

ssize_t
message_read(struct message_source *src, char *buf, size_t len, struct err *e)
{
	if (src->front_pos < src->front_len) {
		size_t n = src->front_len - src->front_pos;

		if (n > len)
			n = len;
		memcpy(buf, src->front + src->front_pos, n);
		src->front_pos += n;
		return (ssize_t)n;
	}
	if (src->whole)
		return 0;	/* a terminal would wait for a second EOF */
	return read_fd(src, buf, len, e);
}

void
message_mark(struct message_source *src)
{
	struct stat sb;

	src->body_offset = lseek(src->fd, 0, SEEK_CUR);
	src->seekable = src->body_offset >= 0 && fstat(src->fd, &sb) == 0 &&
	    S_ISREG(sb.st_mode);
	src->consumed = false;
}

int
message_prefetch(struct message_source *src, size_t max, struct err *e)
{
	size_t want = src->front_len + max;
	char *more;
	ssize_t n = 1;

	if (src->seekable || src->whole || src->consumed || src->tee)
		return 0;
	if ((more = realloc(src->front, want)) == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	src->front = more;
	while (src->front_len < want &&
	    (n = read_fd(src, src->front + src->front_len,
	    want - src->front_len, e)) > 0)
		src->front_len += (size_t)n;
	src->consumed = false;	/* what was read is in the front */
	src->whole = n == 0;
	return n < 0 ? -1 : 0;
}

bool
message_flowing(const struct message_source *src)
{
	struct pollfd pfd = { src->fd, POLLIN, 0 };

	return src->seekable || src->whole || poll(&pfd, 1, 0) > 0;
}

static int
spool_file(struct err *e)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/mailout.XXXXXX", dir && *dir ? dir :
	    "/tmp");
	if ((fd = mkstemp(path)) < 0)
		return err_set(e, EX_IOERR, "cannot create a spool file in %s: "
		    "%s", dir && *dir ? dir : "/tmp", strerror(errno));
	unlink(path);	/* gone when we exit, whatever happens */
	return fd;
}

int
message_tee(struct message_source *src, struct err *e)
{
	if (message_kept(src))
		return 0;	/* it can be read again as it is */
	if (src->consumed)
		return err_set(e, EX_SOFTWARE, "the message cannot be kept: "
		    "part of it was read already");
	if ((src->tee_fd = spool_file(e)) < 0)
		return -1;
	src->tee = true;
	return 0;
}

/* The rest of the fd through the tee; its file then replaces the fd. */
static int
spool_rest(struct message_source *src, struct err *e)
{
	char buf[65536];
	ssize_t n;

	while ((n = read_fd(src, buf, sizeof(buf), e)) > 0)
		;
	if (n < 0)
		return -1;
	if (src->fd > STDIN_FILENO)
		close(src->fd);
	src->fd = src->tee_fd;
	src->tee = false;
	src->name = "the spooled message";
	src->body_offset = 0;
	src->seekable = true;
	return 0;
}

bool
message_kept(const struct message_source *src)
{
	return src->seekable || src->whole || src->tee;
}

bool
message_rewindable(const struct message_source *src)
{
	return message_kept(src) || !src->consumed;
}

int
message_rewind(struct message_source *src, struct err *e)
{
	src->front_pos = 0;
	if (src->tee && spool_rest(src, e) < 0)
		return -1;
	if (!src->seekable)
		return src->whole || !src->consumed ? 0 : err_set(e, EX_IOERR,
		    "cannot reread %s: it was a pipe", src->name);
	if (lseek(src->fd, src->body_offset, SEEK_SET) < 0)
		return err_set(e, EX_IOERR, "cannot reread %s: %s", src->name,
		    strerror(errno));
	return 0;
}

long long
message_size(const struct message_source *src)
{
	struct stat sb;
	long long crs = 0, rest = 0;
	size_t i;

	if (src->seekable && fstat(src->fd, &sb) == 0)
		rest = sb.st_size - src->body_offset;
	else if (!src->whole)
		return -1;
	/* The header is kept with LF line ends; the wire has CRLF. The
	 * body's own line ends are not scanned: this can be an estimate. */
	for (i = 0; i < src->front_len; i++)
		crs += src->front[i] == '\n' && (i == 0 ||
		    src->front[i - 1] != '\r');
	return (long long)src->front_len + crs + rest;
}

void
message_unread(struct message_source *src, char *buf, size_t len)
{
	free(src->front);
	src->front = buf;
	src->front_len = len;
	src->front_pos = 0;
}

void
message_close(struct message_source *src)
{
	free(src->front);
	src->front = NULL;
	src->front_len = src->front_pos = 0;
	if (src->fd > STDIN_FILENO)
		close(src->fd);
	if (src->tee)
		close(src->tee_fd);
	src->tee = false;
	src->fd = -1;
}
