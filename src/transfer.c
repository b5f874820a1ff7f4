/* transfer.c — DATA and BDAT. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "transfer.h"

#define INPUT_CHUNK 16384

int
transfer_data(struct smtp *s, struct message_source *src, bool dot_ends,
    struct err *e)
{
	static char in[INPUT_CHUNK], out[BODY_FILTER_OUT_MAX(INPUT_CHUNK)];
	unsigned long long octets = 0;
	struct body_filter f;
	ssize_t n, m;

	body_filter_init(&f, dot_ends, true);
	s->idle = false;	/* a QUIT now would be message text */
	while (!f.ended && (n = message_read(src, in, sizeof(in), e)) != 0) {
		if (n < 0 || (m = body_filter_run(&f, in, (size_t)n, out, e)) < 0)
			return -1;
		if (net_put(s->conn, out, (size_t)m, e) < 0)
			return -1;
		octets += (unsigned long long)m;
	}
	m = (ssize_t)body_filter_finish(&f, out);
	memcpy(out + m, ".\r\n", 3);
	if (net_put(s->conn, out, (size_t)m + 3, e) < 0 ||
	    net_flush(s->conn, e) < 0)
		return -1;
	log_note("%llu octets of message data sent", octets + (unsigned long long)m);
	log_line('C', ".", 1);
	return 0;
}

int
transfer_empty(struct smtp *s, struct err *e)
{
	s->idle = false;
	log_line('C', ".", 1);
	if (net_put(s->conn, ".\r\n", 3, e) < 0)
		return -1;
	return net_flush(s->conn, e);
}

int
chunk_reader_init(struct chunk_reader *cr, struct message_source *src,
    bool dot_ends, struct err *e)
{
	memset(cr, 0, sizeof(*cr));
	cr->src = src;
	body_filter_init(&cr->filter, dot_ends, false);	/* BDAT: no stuffing */
	if ((cr->buf = malloc(CHUNK_SIZE)) == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

int
chunk_fill(struct chunk_reader *cr, struct err *e)
{
	static char in[INPUT_CHUNK];
	ssize_t n, m;

	cr->len = 0;
	while (!cr->eof &&
	    cr->len + BODY_FILTER_OUT_MAX(INPUT_CHUNK) <= CHUNK_SIZE) {
		if (cr->filter.ended)
			n = 0;
		else if ((n = message_read(cr->src, in, sizeof(in), e)) < 0)
			return -1;
		if (n == 0) {
			cr->len += body_filter_finish(&cr->filter,
			    cr->buf + cr->len);
			cr->eof = true;
			break;
		}
		if ((m = body_filter_run(&cr->filter, in, (size_t)n,
		    cr->buf + cr->len, e)) < 0)
			return -1;
		cr->len += (size_t)m;
	}
	return 0;
}

int
transfer_bdat(struct smtp *s, const struct chunk_reader *cr, struct err *e)
{
	if (smtp_queue(s, e, "BDAT %zu%s", cr->len, cr->eof ? " LAST" : "") < 0)
		return -1;
	if (cr->len > 0)
		log_note("%zu octets of message data", cr->len);
	return net_put(s->conn, cr->buf, cr->len, e);
}

void
chunk_reader_free(struct chunk_reader *cr)
{
	free(cr->buf);
	cr->buf = NULL;
}
