/*
 * chunk.h — the message in wire form a chunk at a time: read from its
 * source through the body filter (filter.h) into one buffer, for DATA
 * (dot-stuffed), BDAT (RFC 3030, not stuffed) and the queue's copy of
 * the message.
 *
 * Error codes: those of source.h, EX_DATAERR (NUL octet), EX_SOFTWARE.
 */
#ifndef MAILOUT_CHUNK_H
#define MAILOUT_CHUNK_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"
#include "message/source.h"

/* Big enough that a BDAT round trip per chunk costs little (the next
 * chunk is read while the server takes one), small enough for the
 * memory goal: it is most of the heap that a message touches. */
#define CHUNK_SIZE (128 * 1024)

struct chunk_reader {
	struct message_source *src;
	struct body_filter filter;
	char *buf;		/* CHUNK_SIZE octets */
	size_t len;
	bool eof;		/* the chunk in buf is the last */
	char *in;		/* input read but not yet filtered */
	size_t in_pos, in_len;
};

/* stuff: double leading dots, for DATA. */
int chunk_reader_init(struct chunk_reader *cr, struct message_source *src,
    bool dot_ends, bool stuff, struct err *e);

/* Fill buf with the next chunk (possibly empty when the last). */
int chunk_fill(struct chunk_reader *cr, struct err *e);

void chunk_reader_free(struct chunk_reader *cr);

/* Read the message through the filter to its end, keeping nothing:
 * EX_DATAERR when it cannot be sent (a NUL octet). */
int chunk_check(struct message_source *src, bool dot_ends, struct err *e);

#endif
