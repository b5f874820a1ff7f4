/*
 * body.c — fuzz the wire-format body filter with a round-trip check.
 *
 * Input: one octet of flags (bit 0: a "." line ends the input, as
 * without -i; bit 1: dot-stuff, as for DATA), one octet seeding the
 * split points, then the message. The message goes through
 * body_filter_run in pieces of pseudo-random sizes, then
 * body_filter_finish. The output must be CRLF lines of at most 998
 * octets; once un-stuffed, and with the lines the filter split joined
 * again (in the header, a split line is folded: the next piece starts
 * with a space the filter added), it must be the input's lines — cut at
 * the "." line — with every line end (LF, CRLF, lone CR) made CRLF.
 * A NUL octet before the end must be refused, and only then.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "message/source.h"

/* The input cut into lines, independently of the filter. */
struct model {
	const char *text;
	size_t len;
	size_t *start, *end;	/* line i is text[start[i]..end[i]) */
	size_t n;
	bool has_nul;		/* a NUL octet before the end */
	bool ended;		/* a "." line ended the input */
	bool eight_bit;
};

static void
model_add(struct model *m, size_t start, size_t end)
{
	m->start[m->n] = start;
	m->end[m->n] = end;
	m->n++;
}

/* Split at LF, CRLF and lone CR; stop at a "." line when dot_ends. */
static void
model_build(struct model *m, const char *text, size_t len, bool dot_ends)
{
	size_t i, start = 0;

	memset(m, 0, sizeof(*m));
	m->text = text;
	m->len = len;
	m->start = calloc(len + 1, sizeof(size_t));
	m->end = calloc(len + 1, sizeof(size_t));
	if (m->start == NULL || m->end == NULL)
		fuzz_fail("out of memory");
	for (i = 0; i <= len; i++) {
		bool eol = i < len && (text[i] == '\n' || text[i] == '\r');

		if (i < len && !eol) {
			m->has_nul |= text[i] == '\0';
			m->eight_bit |= (unsigned char)text[i] >= 0x80;
			continue;
		}
		if (dot_ends && i - start == 1 && text[start] == '.') {
			m->ended = true;
			return;
		}
		if (i == len && i == start)
			return;	/* no unterminated last line */
		if (m->has_nul)
			return;	/* the filter stops at the NUL */
		model_add(m, start, i);
		if (i < len && text[i] == '\r' && i + 1 < len &&
		    text[i + 1] == '\n')
			i++;
		start = i + 1;
	}
}

static void
model_free(struct model *m)
{
	free(m->start);
	free(m->end);
}

/* Pseudo-random piece sizes, mostly small, sometimes past 998. */
static size_t
next_piece(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) % 4 == 0 ? 1 + (*seed >> 18) % 3000 :
	    1 + (*seed >> 18) % 8;
}

/* Run the filter; returns the output (malloc'ed, *outlen octets), or
 * NULL when it refused the input. */
static char *
run_filter(struct body_filter *f, const char *in, size_t len, unsigned seed,
    size_t *outlen)
{
	char *out = malloc(BODY_FILTER_OUT_MAX(len) + 4);
	size_t pos = 0, o = 0;
	struct err e;

	if (out == NULL)
		fuzz_fail("out of memory");
	while (pos < len && !f->ended) {
		size_t n = next_piece(&seed);
		char *piece;
		ssize_t got;

		if (n > len - pos)
			n = len - pos;
		/* Exactly the documented room, so ASan sees an overrun. */
		if ((piece = malloc(BODY_FILTER_OUT_MAX(n))) == NULL)
			fuzz_fail("out of memory");
		got = body_filter_run(f, in + pos, n, piece, &e);
		if (got > (ssize_t)BODY_FILTER_OUT_MAX(n))
			fuzz_fail("output larger than BODY_FILTER_OUT_MAX");
		if (got > 0)
			memcpy(out + o, piece, (size_t)got);
		free(piece);
		if (got < 0) {
			free(out);
			return NULL;
		}
		o += (size_t)got;
		pos += n;
	}
	o += body_filter_finish(f, out + o);
	*outlen = o;
	return out;
}

/* Wire lines: CRLF-terminated, no other CR or LF, at most 998 octets. */
static size_t
wire_lines(const char *out, size_t len, size_t *start, size_t *end)
{
	size_t i, n = 0, s = 0;

	for (i = 0; i < len; i++) {
		if (out[i] == '\r' && (i + 1 == len || out[i + 1] != '\n'))
			fuzz_fail("bare CR in the output");
		if (out[i] == '\n' && (i == 0 || out[i - 1] != '\r'))
			fuzz_fail("bare LF in the output");
		if (out[i] != '\n')
			continue;
		if (i - 1 - s > LINE_OCTETS_MAX)
			fuzz_fail("output line longer than 998 octets");
		start[n] = s;
		end[n++] = i - 1;
		s = i + 1;
	}
	if (s != len)
		fuzz_fail("output does not end with CRLF");
	return n;
}

/* Join the wire lines back into input lines and compare with the model. */
static void
round_trip(const struct model *m, const char *out, size_t len, bool stuff)
{
	size_t *ws = calloc(len + 1, sizeof(size_t));
	size_t *we = calloc(len + 1, sizeof(size_t));
	size_t nw, w = 0, i;
	bool in_headers = true;

	if (ws == NULL || we == NULL)
		fuzz_fail("out of memory");
	nw = wire_lines(out, len, ws, we);
	for (i = 0; i < m->n; i++) {
		size_t want = m->end[i] - m->start[i], got = 0;
		const char *line = m->text + m->start[i];
		bool first = true;

		do {
			size_t s, e;

			if (w == nw)
				fuzz_fail("output has fewer lines than input");
			s = ws[w];
			e = we[w];
			if (!first && we[w - 1] - ws[w - 1] != LINE_OCTETS_MAX)
				fuzz_fail("line split before 998 octets");
			if (stuff && s < e && out[s] == '.' &&
			    (e - s < 2 || out[++s] != '.'))
				fuzz_fail("leading dot not doubled");
			if (!first && in_headers && (s == e || out[s++] != ' '))
				fuzz_fail("split header line not folded");
			if (got + (e - s) > want ||
			    memcmp(line + got, out + s, e - s) != 0)
				fuzz_fail("output line differs from input");
			got += e - s;
			first = false;
			w++;
		} while (got < want);
		if (want == 0)
			in_headers = false;
	}
	if (w != nw)
		fuzz_fail("output has more lines than input");
	free(ws);
	free(we);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct body_filter f;
	struct model m;
	bool dot_ends, stuff;
	size_t outlen;
	char *out;

	if (size < 2)
		return 0;
	dot_ends = data[0] & 1;
	stuff = data[0] & 2;
	body_filter_init(&f, dot_ends, stuff);
	model_build(&m, (const char *)data + 2, size - 2, dot_ends);
	out = run_filter(&f, m.text, m.len, data[1], &outlen);
	if ((out == NULL) != m.has_nul)
		fuzz_fail(m.has_nul ? "NUL octet accepted" : "input refused");
	if (out != NULL) {
		if (f.ended != m.ended)
			fuzz_fail("end-of-input \".\" line missed or invented");
		if (f.eight_bit != m.eight_bit)
			fuzz_fail("eight_bit flag wrong");
		round_trip(&m, out, outlen, stuff);
	}
	free(out);
	model_free(&m);
	return 0;
}
