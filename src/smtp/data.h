/*
 * data.h — the message on the wire: after DATA's 354, streamed through
 * the body filter with dot-stuffing and ended by the "." line; or as BDAT
 * chunks (RFC 3030) of the chunk reader, sent exactly as they are.
 *
 * Error codes: those of smtp.h and source.h, EX_DATAERR (NUL octet).
 */
#ifndef MAILOUT_DATA_H
#define MAILOUT_DATA_H

#include <stdbool.h>

#include "message/chunk.h"
#include "message/source.h"
#include "smtp/smtp.h"

/* Send the message after a 354 and the final ".", flushed. */
int data_send(struct smtp *s, struct message_source *src, bool dot_ends,
    struct err *e);

/* Only the "." line: the end of an empty message. */
int data_send_empty(struct smtp *s, struct err *e);

/* Queue "BDAT n [LAST]" and the chunk in cr; the caller flushes. */
int data_send_chunk(struct smtp *s, const struct chunk_reader *cr,
    struct err *e);

#endif
