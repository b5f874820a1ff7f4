/* data.c — the message after DATA, or in BDAT chunks. */
#include "lib/trace.h"
#include "smtp/data.h"

int
data_send(struct smtp *s, struct message_source *src, bool dot_ends,
    struct err *e)
{
	unsigned long long octets = 0;
	struct chunk_reader cr;
	int rc = -1;

	if (chunk_reader_init(&cr, src, dot_ends, true, e) < 0)
		return -1;
	while (!cr.eof) {
		if (chunk_fill(&cr, e) < 0)
			goto out;
		if (smtp_data(s, cr.buf, cr.len, e) < 0)
			goto out;
		octets += cr.len;
	}
	trace_note("%llu octets of message data sent", octets);
	rc = smtp_data_end(s, e);
out:
	chunk_reader_free(&cr);
	return rc;
}

int
data_send_empty(struct smtp *s, struct err *e)
{
	return smtp_data_end(s, e);
}

int
data_send_chunk(struct smtp *s, const struct chunk_reader *cr,
    struct err *e)
{
	return smtp_bdat(s, cr->buf, cr->len, cr->eof, e);
}
