/* data.c — the message after DATA, or in BDAT chunks. */
#include "lib/trace.h"
#include "smtp/data.h"

int
data_send(struct smtp *s, struct message_source *src, bool dot_ends,
    struct err *e)
{
	static char in[MESSAGE_READ_SIZE], out[BODY_FILTER_OUT_MAX(sizeof(in))];
	unsigned long long octets = 0;
	struct body_filter f;
	ssize_t n, m;

	body_filter_init(&f, dot_ends, true);
	while (!f.ended && (n = message_read(src, in, sizeof(in), e)) != 0) {
		if (n < 0)
			return -1;
		if ((m = body_filter_run(&f, in, (size_t)n, out, e)) < 0)
			return -1;
		if (smtp_data(s, out, (size_t)m, e) < 0)
			return -1;
		octets += (unsigned long long)m;
	}
	m = (ssize_t)body_filter_finish(&f, out);
	if (smtp_data(s, out, (size_t)m, e) < 0)
		return -1;
	trace_note("%llu octets of message data sent",
	    octets + (unsigned long long)m);
	return smtp_data_end(s, e);
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
