/*
 * filter.h — the message as it goes on the wire: a streaming filter that
 * turns input bytes into RFC 5321 text (CRLF line ends, lone CR made CRLF,
 * leading dots doubled for DATA, lines over 998 octets split) and notices
 * the classic sendmail end-of-input "." line. Memory use is fixed: the
 * filter keeps a few flags, never a line.
 *
 * Error code: EX_DATAERR (NUL octet).
 */
#ifndef MAILOUT_FILTER_H
#define MAILOUT_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/err.h"

#define LINE_OCTETS_MAX 998	/* RFC 5321 4.5.3.1.6, without the CRLF */

struct body_filter {
	bool dot_ends;		/* no -i: a line "." ends the input */
	bool stuff;		/* DATA: double a leading dot (not for BDAT) */
	bool in_headers;	/* long lines fold with CRLF SP until the blank line */
	bool after_cr;		/* last byte was CR, already sent as CRLF */
	bool dot_pending;	/* saw "." at the start of an input line */
	bool ended;		/* the "." line was seen: stop reading */
	bool eight_bit;		/* some octet >= 0x80 was seen */
	size_t col;		/* octets already on the current output line */
	unsigned long long lines;	/* input lines ended so far */
	long long line_offset;	/* the input's own line number of line 1 is
				 * 1 + line_offset (error messages) */
};

/* Upper bound of body_filter_run's output for n input octets. */
#define BODY_FILTER_OUT_MAX(n) (2 * (n) + 4 * ((n) / 900 + 2) + 8)

void body_filter_init(struct body_filter *f, bool dot_ends, bool stuff);

/*
 * Filter in[0..len) into out (room for BODY_FILTER_OUT_MAX(len)); stops
 * early once the "." line is seen. Returns the octets written, or -1 with
 * EX_DATAERR on a NUL octet.
 */
ssize_t body_filter_run(struct body_filter *f, const char *in, size_t len,
    char *out, struct err *e);

/* End of input: close an unterminated last line. Returns octets written
 * (at most 4). */
size_t body_filter_finish(struct body_filter *f, char *out);

#endif
