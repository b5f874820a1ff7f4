/* filter.c — input octets to wire-format text (filter.h). */
#include <string.h>

#include "message/filter.h"

void
body_filter_init(struct body_filter *f, bool dot_ends, bool stuff)
{
	memset(f, 0, sizeof(*f));
	f->dot_ends = dot_ends;
	f->stuff = stuff;
	f->in_headers = true;
}

static size_t
end_line(struct body_filter *f, char *out)
{
	if (f->col == 0)
		f->in_headers = false;	/* the blank line after the headers */
	f->col = 0;
	f->lines++;
	out[0] = '\r';
	out[1] = '\n';
	return 2;
}

/* Emit one octet of line content, splitting and dot-stuffing as needed. */
static size_t
put_octet(struct body_filter *f, char *out, char ch)
{
	size_t o = 0;

	if (f->col >= LINE_OCTETS_MAX) {
		out[o++] = '\r';
		out[o++] = '\n';
		f->col = 0;
		f->lines++;
		if (f->in_headers) {
			out[o++] = ' ';	/* fold: the line continues the header */
			f->col = 1;
		}
	}
	if (f->col == 0 && ch == '.' && f->stuff) {
		out[o++] = '.';
		f->col++;
	}
	out[o++] = ch;
	f->col++;
	return o;
}

ssize_t
body_filter_run(struct body_filter *f, const char *in, size_t len, char *out,
    struct err *e)
{
	size_t i, o = 0;

	for (i = 0; i < len && !f->ended; i++) {
		char ch = in[i];

		if (f->after_cr) {
			f->after_cr = false;
			if (ch == '\n')
				continue;	/* CRLF: already sent */
		}
		if (f->dot_pending) {
			f->dot_pending = false;
			if (ch == '\n' || ch == '\r') {
				f->ended = true;
				break;
			}
			o += put_octet(f, out + o, '.');
		}
		if (ch == '\0')
			return err_set(e, EX_DATAERR, "message contains a NUL "
			    "octet (line %llu)", f->lines + 1);
		if (ch == '\n' || ch == '\r') {
			f->after_cr = ch == '\r';
			o += end_line(f, out + o);
			continue;
		}
		if (ch == '.' && f->col == 0 && f->dot_ends) {
			f->dot_pending = true;
			continue;
		}
		if ((unsigned char)ch >= 0x80)
			f->eight_bit = true;
		o += put_octet(f, out + o, ch);
	}
	return (ssize_t)o;
}

size_t
body_filter_finish(struct body_filter *f, char *out)
{
	/* A "." alone on the last, unterminated line also ends the input. */
	if (f->dot_pending) {
		f->dot_pending = false;
		f->ended = true;
	}
	return f->col > 0 ? end_line(f, out) : 0;
}
