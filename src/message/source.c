/* source.c — the message's input: stdin or a file, mark, rewind, spool. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	for (;;) {
		ssize_t n = read(src->fd, buf, len);

		if (n >= 0)
			return n;
		if (errno != EINTR)
			return err_set(e, EX_IOERR, "cannot read %s: %s",
			    src->name, strerror(errno));
	}
}

void
message_mark(struct message_source *src)
{
	struct stat sb;

	src->body_offset = lseek(src->fd, 0, SEEK_CUR);
	src->seekable = src->body_offset >= 0 && fstat(src->fd, &sb) == 0 &&
	    S_ISREG(sb.st_mode);
}

int
message_rewind(struct message_source *src, struct err *e)
{
	src->front_pos = 0;
	if (lseek(src->fd, src->body_offset, SEEK_SET) < 0)
		return err_set(e, EX_IOERR, "cannot reread %s: %s", src->name,
		    strerror(errno));
	return 0;
}

long long
message_size(const struct message_source *src)
{
	struct stat sb;

	long long crs = 0;
	size_t i;

	if (!src->seekable || fstat(src->fd, &sb) < 0)
		return -1;
	/* The header is kept with LF line ends; the wire has CRLF. The
	 * body's own line ends are not scanned: this can be an estimate. */
	for (i = 0; i < src->front_len; i++)
		crs += src->front[i] == '\n' && (i == 0 ||
		    src->front[i - 1] != '\r');
	return (long long)src->front_len + crs + (sb.st_size -
	    src->body_offset);
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
message_spool(struct message_source *src, struct err *e)
{
	struct message_source rest = { .fd = src->fd, .name = src->name };
	char buf[65536];
	int fd = spool_file(e);
	ssize_t n;

	if (fd < 0)
		return -1;
	/* Only the file part: the front stays in memory, so message_size
	 * still counts its line ends right. */
	while ((n = message_read(&rest, buf, sizeof(buf), e)) > 0) {
		if (write(fd, buf, (size_t)n) != n) {
			close(fd);
			return err_set(e, EX_IOERR, "cannot write the spool "
			    "file: %s", strerror(errno));
		}
	}
	if (n < 0) {
		close(fd);
		return -1;
	}
	if (src->fd > STDIN_FILENO)
		close(src->fd);
	src->fd = fd;
	src->name = "the spooled message";
	src->front_pos = 0;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return err_set(e, EX_IOERR, "spool file: %s", strerror(errno));
	message_mark(src);
	return 0;
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
	src->fd = -1;
}
