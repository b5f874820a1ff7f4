/* chunk.c — filtered message text, a chunk at a time. */
#include <stdlib.h>
#include <string.h>

#include "message/chunk.h"

/* Large reads: few system calls per megabyte. */
#define INPUT_CHUNK (64 * 1024)
/* A chunk is sent once it has less room than this left. */
#define CHUNK_SLACK 1024

/* The most input whose filtered output surely fits in room octets: the
 * inverse of BODY_FILTER_OUT_MAX (2n + 4n/900 + 16). */
static size_t
input_fitting(size_t room)
{
	return room > 16 ? (room - 16) * 900 / 1804 : 0;
}

int
chunk_reader_init(struct chunk_reader *cr, struct message_source *src,
    bool dot_ends, bool stuff, struct err *e)
{
	memset(cr, 0, sizeof(*cr));
	cr->src = src;
	body_filter_init(&cr->filter, dot_ends, stuff);
	cr->filter.line_offset = src->line_offset;
	cr->buf = malloc(CHUNK_SIZE);
	cr->in = malloc(INPUT_CHUNK);
	if (cr->buf == NULL || cr->in == NULL) {
		chunk_reader_free(cr);
		return err_set(e, EX_SOFTWARE, "out of memory");
	}
	return 0;
}

/* Input octets not yet filtered; 0 at the end of the message. */
static ssize_t
input_ready(struct chunk_reader *cr, struct err *e)
{
	ssize_t n;

	if (cr->in_pos < cr->in_len)
		return (ssize_t)(cr->in_len - cr->in_pos);
	if (cr->filter.ended)
		return 0;
	if ((n = message_read(cr->src, cr->in, INPUT_CHUNK, e)) <= 0)
		return n;
	cr->in_pos = 0;
	cr->in_len = (size_t)n;
	return n;
}

int
chunk_fill(struct chunk_reader *cr, struct err *e)
{
	size_t take;
	ssize_t n, m;

	cr->len = 0;
	while (!cr->eof && CHUNK_SIZE - cr->len >= CHUNK_SLACK) {
		if ((n = input_ready(cr, e)) < 0)
			return -1;
		if (n == 0) {
			cr->len += body_filter_finish(&cr->filter,
			    cr->buf + cr->len);
			cr->eof = true;
			break;
		}
		take = input_fitting(CHUNK_SIZE - cr->len);
		if (take > (size_t)n)
			take = (size_t)n;
		m = body_filter_run(&cr->filter, cr->in + cr->in_pos, take,
		    cr->buf + cr->len, e);
		if (m < 0)
			return -1;
		cr->len += (size_t)m;
		/* after the "." line the rest of the input is not read */
		cr->in_pos = cr->filter.ended ? cr->in_len : cr->in_pos + take;
	}
	return 0;
}

void
chunk_reader_free(struct chunk_reader *cr)
{
	free(cr->buf);
	free(cr->in);
	cr->buf = cr->in = NULL;
}

int
chunk_check(struct message_source *src, bool dot_ends, struct err *e)
{
	struct chunk_reader cr;
	int rc = 0;

	if (chunk_reader_init(&cr, src, dot_ends, false, e) < 0)
		return -1;
	while (rc == 0 && !cr.eof)
		rc = chunk_fill(&cr, e);
	chunk_reader_free(&cr);
	return rc;
}
