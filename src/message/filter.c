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

/*
 * One octet where the rules apply: after a CR, after a leading dot, at a
 * line end or start, at the split point, a NUL. Returns the octets
 * written, or -1 (EX_DATAERR on a NUL); sets f->ended at the "." line.
 */
static ssize_t
filter_octet(struct body_filter *f, char ch, char *out, struct err *e)
{
	size_t o = 0;

	if (f->after_cr) {
		f->after_cr = false;
		if (ch == '\n')
			return 0;	/* CRLF: already sent */
	}
	if (f->dot_pending) {
		f->dot_pending = false;
		if (ch == '\n' || ch == '\r') {
			f->ended = true;
			return 0;
		}
		o += put_octet(f, out, '.');
	}
	if (ch == '\0')
		return err_set(e, EX_DATAERR, "message contains a NUL octet "
		    "(line %lld)", (long long)f->lines + 1 + f->line_offset);
	if (ch == '\n' || ch == '\r') {
		f->after_cr = ch == '\r';
		return (ssize_t)(o + end_line(f, out + o));
	}
	if (ch == '.' && f->col == 0 && f->dot_ends) {
		f->dot_pending = true;
		return (ssize_t)o;
	}
	return (ssize_t)(o + put_octet(f, out + o, ch));
}

/* Where the next octet c is, at p or after it (end: none); *found keeps
 * the last answer, so each search covers the input once. */
static const char *
next_of(const char **found, const char *p, const char *end, int c)
{
	if (*found == NULL || *found < p) {
		*found = memchr(p, c, (size_t)(end - p));
		if (*found == NULL)
			*found = end;
	}
	return *found;
}

/* In blocks of a fixed size, which compilers turn into vector code. */
static bool
has_eight_bit(const char *s, size_t n)
{
	unsigned char any = 0;
	size_t i = 0, j;

	for (; i + 64 <= n; i += 64)
		for (j = 0; j < 64; j++)
			any |= (unsigned char)s[i + j];
	for (; i < n; i++)
		any |= (unsigned char)s[i];
	return any >= 0x80;
}

/*
 * Whole lines that need nothing but CR before their LF: no CR or NUL
 * (none before stop), no leading dot, within the split point. The
 * common case, so the state stays in locals. Returns where it stopped.
 */
static const char *
plain_lines(struct body_filter *f, const char *p, const char *stop,
    char **out)
{
	size_t col = f->col, n, room;
	const char *lf;
	char *o = *out;

	while (p < stop && (col > 0 || *p != '.')) {
		room = LINE_OCTETS_MAX - col + 1;	/* the content, and LF */
		n = (size_t)(stop - p);
		if ((lf = memchr(p, '\n', n < room ? n : room)) == NULL)
			break;
		n = (size_t)(lf - p);
		memcpy(o, p, n);
		o[n] = '\r';
		o[n + 1] = '\n';
		o += n + 2;
		if (col + n == 0)
			f->in_headers = false;	/* the blank line */
		col = 0;
		f->lines++;
		p = lf + 1;
	}
	f->col = col;
	*out = o;
	return p;
}

/*
 * Spans of plain octets (without LF, CR or NUL, inside a line, before its
 * split point) are copied whole, by plain_lines where they make a line;
 * filter_octet takes the octets around them. The eight-bit test runs
 * over what was taken, once.
 */
ssize_t
body_filter_run(struct body_filter *f, const char *in, size_t len, char *out,
    struct err *e)
{
	const char *p = in, *end = in + len, *lf = NULL, *cr = NULL,
	    *nul = NULL, *stop;
	char *o = out;
	size_t n;
	ssize_t m;

	while (p < end && !f->ended) {
		stop = next_of(&cr, p, end, '\r');
		if (next_of(&nul, p, end, '\0') < stop)
			stop = nul;
		if (!f->after_cr && !f->dot_pending &&
		    (p = plain_lines(f, p, stop, &o)) == end)
			break;
		if (f->after_cr || f->dot_pending || f->col >= LINE_OCTETS_MAX ||
		    *p == '\n' || *p == '\r' || *p == '\0' ||
		    (*p == '.' && f->col == 0)) {
			if ((m = filter_octet(f, *p, o, e)) < 0)
				return -1;
			o += m;
			p += !f->ended;
			continue;
		}
		if (next_of(&lf, p, end, '\n') < stop)
			stop = lf;
		n = (size_t)(stop - p);
		if (n > LINE_OCTETS_MAX - f->col)
			n = LINE_OCTETS_MAX - f->col;
		memcpy(o, p, n);
		o += n;
		p += n;
		f->col += n;
	}
	if (!f->eight_bit)
		f->eight_bit = has_eight_bit(in, (size_t)(p - in));
	return o - out;
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
