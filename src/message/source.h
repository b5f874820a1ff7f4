/*
 * source.h — where the message comes from: standard input or --file,
 * with the header block put back in front (header.h), a mark to read it
 * again from (a further transaction, the queue), and a private spool
 * copy when a pipe must be read twice.
 *
 * Error codes: EX_NOINPUT (file unreadable), EX_IOERR (read error).
 */
#ifndef MAILOUT_SOURCE_H
#define MAILOUT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/err.h"
#include "message/filter.h"

/* Octets asked for by each read of the input. */
#define MESSAGE_READ_SIZE 16384

/* Where the message comes from: stdin or --file. */
struct message_source {
	int fd;
	const char *name;	/* for error messages */
	char *front;		/* bytes to give before reading fd (owned) */
	size_t front_len, front_pos;
	bool seekable;		/* fd can be read again from body_offset */
	bool consumed;		/* fd octets read since the mark */
	bool whole;		/* the front holds the rest: the fd is at EOF */
	bool tee;		/* what is read from fd also goes to tee_fd */
	int tee_fd;
	off_t body_offset;	/* fd offset where front ends */
	long long line_offset;	/* for body_filter: input lines before the
				 * front, less the lines in it (header_attach) */
};

int message_open(struct message_source *src, const char *path, struct err *e);
/* Read up to len octets; returns the count (0 at end), or -1 (EX_IOERR). */
ssize_t message_read(struct message_source *src, char *buf, size_t len,
    struct err *e);
/* Remember this point (after header_attach): message_rewind comes back
 * here, for a further transaction or the queue. */
void message_mark(struct message_source *src);

/*
 * A pipe (or terminal), at the marked point and not read yet: read up to
 * max more octets into the front. When that reaches the end of the input
 * the message is whole in memory: it can be read again, its size is
 * known, and the fd is not read any more.
 */
int message_prefetch(struct message_source *src, size_t max, struct err *e);

/* Whether more input is there to be read now (or its end): a pipe whose
 * writer is not lagging behind, a file. */
bool message_flowing(const struct message_source *src);

/*
 * From now on, keep what is read from a pipe in an unlinked temporary
 * file (EX_IOERR), so that message_rewind can go back: it then reads the
 * rest of the pipe into that file and reads from there. Call it at the
 * marked point, before reading; nothing to do for a file or a message
 * whole in memory.
 */
int message_tee(struct message_source *src, struct err *e);

/* Whether reading the message loses nothing, so that it can be read
 * again afterwards: a regular file, a message whole in memory, a tee. */
bool message_kept(const struct message_source *src);

/* Whether message_rewind can go back to the marked point: the message
 * is kept, or nothing was read since. */
bool message_rewindable(const struct message_source *src);

/* Back to the marked point; EX_IOERR on failure. */
int message_rewind(struct message_source *src, struct err *e);

/* Octets left from the marked point (front + file), or -1 when unknown
 * (a pipe not yet read to its end). */
long long message_size(const struct message_source *src);

/* Give buf (malloc'ed; src takes it) before anything still unread. */
void message_unread(struct message_source *src, char *buf, size_t len);
void message_close(struct message_source *src);

#endif
