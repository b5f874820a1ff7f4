/* message.c — input, and the wire-format body filter. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "message.h"

void
body_filter_init(struct body_filter *f, bool dot_ends, bool stuff)
{
	memset(f, 0, sizeof(*f));
	f->dot_ends = dot_ends;
	f->stuff = stuff;
	f->in_headers = true;
}

static size_t
end_line(struct body_filter *f, char *out)
{
	if (f->col == 0)
		f->in_headers = false;	/* the blank line after the headers */
	f->col = 0;
	f->lines++;
	out[0] = '\r';
	out[1] = '\n';
	return 2;
}

/* Emit one octet of line content, splitting and dot-stuffing as needed. */
static size_t
put_octet(struct body_filter *f, char *out, char ch)
{
	size_t o = 0;

	if (f->col >= LINE_OCTETS_MAX) {
		out[o++] = '\r';
		out[o++] = '\n';
		f->col = 0;
		if (f->in_headers) {
			out[o++] = ' ';	/* fold: the line continues the header */
			f->col = 1;
		}
	}
	if (f->col == 0 && ch == '.' && f->stuff) {
		out[o++] = '.';
		f->col++;
	}
	out[o++] = ch;
	f->col++;
	return o;
}

/*
 * One octet where the rules apply: after a CR, after a leading dot, at a
 * line end or start, at the split point, a NUL. Returns the octets
 * written, or -1 (EX_DATAERR on a NUL); sets f->ended at the "." line.
 */
static ssize_t
filter_octet(struct body_filter *f, char ch, char *out, struct err *e)
{
	size_t o = 0;

	if (f->after_cr) {
		f->after_cr = false;
		if (ch == '\n')
			return 0;	/* CRLF: already sent */
	}
	if (f->dot_pending) {
		f->dot_pending = false;
		if (ch == '\n' || ch == '\r') {
			f->ended = true;
			return 0;
		}
		o += put_octet(f, out, '.');
	}
	if (ch == '\0')
		return err_set(e, EX_DATAERR, "message contains a NUL octet "
		    "(line %lld)", (long long)f->lines + 1 + f->line_offset);
	if (ch == '\n' || ch == '\r') {
		f->after_cr = ch == '\r';
		return (ssize_t)(o + end_line(f, out + o));
	}
	if (ch == '.' && f->col == 0 && f->dot_ends) {
		f->dot_pending = true;
		return (ssize_t)o;
	}
	return (ssize_t)(o + put_octet(f, out + o, ch));
}

/* Where the next octet c is, at p or after it (end: none); *found keeps
 * the last answer, so each search covers the input once. */
static const char *
next_of(const char **found, const char *p, const char *end, int c)
{
	if (*found == NULL || *found < p) {
		*found = memchr(p, c, (size_t)(end - p));
		if (*found == NULL)
			*found = end;
	}
	return *found;
}

/* In blocks of a fixed size, which compilers turn into vector code. */
static bool
has_eight_bit(const char *s, size_t n)
{
	unsigned char any = 0;
	size_t i = 0, j;

	for (; i + 64 <= n; i += 64)
		for (j = 0; j < 64; j++)
			any |= (unsigned char)s[i + j];
	for (; i < n; i++)
		any |= (unsigned char)s[i];
	return any >= 0x80;
}

/*
 * Whole lines that need nothing but CR before their LF: no CR or NUL
 * (none before stop), no leading dot, within the split point. The
 * common case, so the state stays in locals. Returns where it stopped.
 */
static const char *
plain_lines(struct body_filter *f, const char *p, const char *stop,
    char **out)
{
	size_t col = f->col, n, room;
	const char *lf;
	char *o = *out;

	while (p < stop && (col > 0 || *p != '.')) {
		room = LINE_OCTETS_MAX - col + 1;	/* the content, and LF */
		n = (size_t)(stop - p);
		if ((lf = memchr(p, '\n', n < room ? n : room)) == NULL)
			break;
		n = (size_t)(lf - p);
		memcpy(o, p, n);
		o[n] = '\r';
		o[n + 1] = '\n';
		o += n + 2;
		if (col + n == 0)
			f->in_headers = false;	/* the blank line */
		col = 0;
		f->lines++;
		p = lf + 1;
	}
	f->col = col;
	*out = o;
	return p;
}

/*
 * Spans of plain octets (without LF, CR or NUL, inside a line, before its
 * split point) are copied whole, by plain_lines where they make a line;
 * filter_octet takes the octets around them. The eight-bit test runs
 * over what was taken, once.
 */
ssize_t
body_filter_run(struct body_filter *f, const char *in, size_t len, char *out,
    struct err *e)
{
	const char *p = in, *end = in + len, *lf = NULL, *cr = NULL,
	    *nul = NULL, *stop;
	char *o = out;
	size_t n;
	ssize_t m;

	while (p < end && !f->ended) {
		stop = next_of(&cr, p, end, '\r');
		if (next_of(&nul, p, end, '\0') < stop)
			stop = nul;
		if (!f->after_cr && !f->dot_pending &&
		    (p = plain_lines(f, p, stop, &o)) == end)
			break;
		if (f->after_cr || f->dot_pending || f->col >= LINE_OCTETS_MAX ||
		    *p == '\n' || *p == '\r' || *p == '\0' ||
		    (*p == '.' && f->col == 0)) {
			if ((m = filter_octet(f, *p, o, e)) < 0)
				return -1;
			o += m;
			p += !f->ended;
			continue;
		}
		if (next_of(&lf, p, end, '\n') < stop)
			stop = lf;
		n = (size_t)(stop - p);
		if (n > LINE_OCTETS_MAX - f->col)
			n = LINE_OCTETS_MAX - f->col;
		memcpy(o, p, n);
		o += n;
		p += n;
		f->col += n;
	}
	if (!f->eight_bit)
		f->eight_bit = has_eight_bit(in, (size_t)(p - in));
	return o - out;
}

size_t
body_filter_finish(struct body_filter *f, char *out)
{
	/* A "." alone on the last, unterminated line also ends the input. */
	if (f->dot_pending) {
		f->dot_pending = false;
		f->ended = true;
	}
	return f->col > 0 ? end_line(f, out) : 0;
}

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
