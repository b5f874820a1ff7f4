/*
 * transfer.h — the message on the wire, streamed through the body
 * filter: after DATA's 354 with dot-stuffing and the "." line, or as
 * BDAT chunks (RFC 3030) sent exactly as they are.
 *
 * Error codes: those of net.c and message.c, EX_DATAERR (NUL octet).
 */
#ifndef MAILOUT_TRANSFER_H
#define MAILOUT_TRANSFER_H

#include <stdbool.h>

#include "message.h"
#include "smtp.h"

/* Big enough that a BDAT round trip per chunk costs little (the next
 * chunk is read while the server takes one), small enough for the
 * memory goal: it is most of the heap that a message touches. */
#define CHUNK_SIZE (128 * 1024)

/* Send the message after a 354 and the final ".", flushed. */
int transfer_data(struct smtp *s, struct message_source *src, bool dot_ends,
    struct err *e);

/* Read the message through the filter to its end, sending nothing:
 * EX_DATAERR when it cannot be sent (a NUL octet). */
int transfer_check(struct message_source *src, bool dot_ends,
    struct err *e);

/* Only the "." line: the end of an empty message. */
int transfer_empty(struct smtp *s, struct err *e);

/* Filtered message text, a chunk at a time, for BDAT. */
struct chunk_reader {
	struct message_source *src;
	struct body_filter filter;
	char *buf;		/* CHUNK_SIZE octets */
	size_t len;
	bool eof;		/* the chunk in buf is the last */
	char *in;		/* input read but not yet filtered */
	size_t in_pos, in_len;
};

int chunk_reader_init(struct chunk_reader *cr, struct message_source *src,
    bool dot_ends, struct err *e);

/* Fill buf with the next chunk (possibly empty when the last). */
int chunk_fill(struct chunk_reader *cr, struct err *e);

/* Queue "BDAT n [LAST]" and the chunk; the caller flushes and reads. */
int transfer_bdat(struct smtp *s, const struct chunk_reader *cr,
    struct err *e);

void chunk_reader_free(struct chunk_reader *cr);

#endif
