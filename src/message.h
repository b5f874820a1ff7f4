/*
 * message.h — the message as it goes on the wire: a streaming filter that
 * turns input bytes into RFC 5321 text (CRLF line ends, lone CR made CRLF,
 * leading dots doubled for DATA, lines over 998 octets split) and notices
 * the classic sendmail end-of-input "." line. Memory use is fixed: the
 * filter keeps a few flags, never a line.
 *
 * Error codes: EX_DATAERR (NUL octet), EX_NOINPUT (file unreadable),
 * EX_IOERR (read error).
 */
#ifndef MAILOUT_MESSAGE_H
#define MAILOUT_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

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

/* Where the message comes from: stdin or --file. */
struct message_source {
	int fd;
	const char *name;	/* for error messages */
	char *front;		/* bytes to give before reading fd (owned) */
	size_t front_len, front_pos;
	bool seekable;		/* fd can be read again from body_offset */
	bool consumed;		/* fd octets read since the mark */
	off_t body_offset;	/* fd offset where front ends */
	long long line_offset;	/* for body_filter: input lines before the
				 * front, less the lines in it (header_attach) */
};

int message_open(struct message_source *src, const char *path, struct err *e);
/* Read up to len octets; returns the count (0 at end), or -1 (EX_IOERR). */
ssize_t message_read(struct message_source *src, char *buf, size_t len,
    struct err *e);
/* Remember this point (after header_attach) so the message can be sent
 * again in a further transaction; the fd must be a regular file. */
void message_mark(struct message_source *src);

/* Whether message_rewind can go back to the marked point: the fd is a
 * regular file, or nothing was read from it since the mark. */
bool message_rewindable(const struct message_source *src);

/* Back to the marked point; EX_IOERR on failure. */
int message_rewind(struct message_source *src, struct err *e);

/* Copy the rest of the fd to an unlinked temporary file and read from
 * there, so a pipe can be sent more than once (EX_IOERR). Call it at the
 * marked point, before reading. */
int message_spool(struct message_source *src, struct err *e);

/* Octets left from the marked point (front + file), or -1 for a pipe. */
long long message_size(const struct message_source *src);

/* Give buf (malloc'ed; src takes it) before anything still unread. */
void message_unread(struct message_source *src, char *buf, size_t len);
void message_close(struct message_source *src);

#endif
