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
	off_t body_offset;	/* fd offset where front ends */
};

int message_open(struct message_source *src, const char *path, struct err *e);
/* Read up to len octets; returns the count (0 at end), or -1 (EX_IOERR). */
ssize_t message_read(struct message_source *src, char *buf, size_t len,
    struct err *e);
/* Remember this point (after header_attach) so the message can be sent
 * again in a further transaction; the fd must be a regular file. */
void message_mark(struct message_source *src);

/* Back to the marked point; EX_IOERR on failure. */
int message_rewind(struct message_source *src, struct err *e);

/* Copy the rest of the fd to an unlinked temporary file and read from
 * there, so a pipe can be sent more than once (EX_IOERR). Call it at the
 * marked point, before reading. */
int message_spool(struct message_source *src, struct err *e);

/* Octets left from the marked point (front + file), or -1 for a pipe. */
long long message_size(const struct message_source *src);

/* Give buf (malloc'ed; src takes it) before anything still unread. */
void message_unread(struct message_source *src, char *buf, size_t len);
void message_close(struct message_source *src);

#endif
