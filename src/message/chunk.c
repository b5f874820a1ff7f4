/* chunk.c — filtered message text, a chunk at a time. */
#include <stdlib.h>
#include <string.h>

#include "message/chunk.h"

int
chunk_reader_init(struct chunk_reader *cr, struct message_source *src,
    bool dot_ends, struct err *e)
{
	memset(cr, 0, sizeof(*cr));
	cr->src = src;
	body_filter_init(&cr->filter, dot_ends, false);	/* no stuffing */
	if ((cr->buf = malloc(CHUNK_SIZE)) == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* The next input octets, or 0 once the filter has seen the end. */
static ssize_t
read_more(struct chunk_reader *cr, char *in, size_t len, struct err *e)
{
	if (cr->filter.ended)
		return 0;
	return message_read(cr->src, in, len, e);
}

int
chunk_fill(struct chunk_reader *cr, struct err *e)
{
	static char in[MESSAGE_READ_SIZE];
	ssize_t n, m;

	cr->len = 0;
	while (!cr->eof &&
	    cr->len + BODY_FILTER_OUT_MAX(sizeof(in)) <= CHUNK_SIZE) {
		if ((n = read_more(cr, in, sizeof(in), e)) < 0)
			return -1;
		if (n == 0) {
			cr->len += body_filter_finish(&cr->filter,
			    cr->buf + cr->len);
			cr->eof = true;
			break;
		}
		m = body_filter_run(&cr->filter, in, (size_t)n,
		    cr->buf + cr->len, e);
		if (m < 0)
			return -1;
		cr->len += (size_t)m;
	}
	return 0;
}

void
chunk_reader_free(struct chunk_reader *cr)
{
	free(cr->buf);
	cr->buf = NULL;
}
