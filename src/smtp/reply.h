/*
 * reply.h — reading and checking SMTP/LMTP replies (RFC 5321 4.2), and
 * the EHLO capability list.
 *
 * A reply is one or more lines "DDD-text" ... "DDD text" (or a bare
 * "DDD"). Every line must carry the same valid code; lines may be up to
 * REPLY_LINE_MAX octets; at most REPLY_LINES_MAX lines. Anything else is
 * EX_PROTOCOL, with the offending line quoted in the message.
 */
#ifndef MAILOUT_REPLY_H
#define MAILOUT_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

struct conn;

#define REPLY_LINE_MAX 8192	/* hard bound; RFC 5321 only promises 512 */
#define REPLY_LINES_MAX 100
#define REPLY_TEXT_MAX 4096	/* kept text; longer replies are truncated */

struct reply {
	int code;		/* 200..599 */
	char enhanced[16];	/* "5.1.1" when the text starts with one */
	char text[REPLY_TEXT_MAX];	/* lines after the code, '\n'-separated */
	int nlines;
};

/*
 * Parse one line: sets *code, *last (no '-' continuation) and *text (the
 * part after the separator). Returns 0, or -1 with e (EX_PROTOCOL).
 */
int reply_parse_line(const char *line, size_t len, int *code, bool *last,
    const char **text, struct err *e);

/*
 * Add one line (NUL-terminated at len) to r, which is zeroed before the
 * first; *used is the length of r->text so far (0 at first). Returns 1
 * when the line ends the reply, 0 when more follow, -1 with e
 * (EX_PROTOCOL). reply_read's loop body, apart so it can be fuzzed.
 */
int reply_add_line(struct reply *r, size_t *used, const char *line,
    size_t len, struct err *e);

/* Read a whole reply from the connection, logging each line. */
int reply_read(struct conn *c, struct reply *r, struct err *e);

/* "550 5.1.1 No such user" — code and text on one line, for reports. */
#define REPLY_ONELINE_MAX 512
void reply_oneline(const struct reply *r, char *buf, size_t n);

/* Capabilities from an EHLO/LHLO reply. */
enum {
	CAP_PIPELINING = 1 << 0,
	CAP_CHUNKING = 1 << 1,
	CAP_SIZE = 1 << 2,
	CAP_8BITMIME = 1 << 3,
	CAP_DSN = 1 << 4,
	CAP_SMTPUTF8 = 1 << 5,
	CAP_STARTTLS = 1 << 6,
	CAP_AUTH = 1 << 7,
	CAP_ENHANCEDSTATUSCODES = 1 << 8,
	CAP_PIPE_CONNECT = 1 << 9,	/* early pipelining (ehlocache.h) */
	CAP_LIMITS = 1 << 10,		/* RFC 9422 */
};

struct caps {
	unsigned flags;
	unsigned long long size_max;	/* SIZE n; 0 = no limit given */
	unsigned rcpt_max;		/* LIMITS RCPTMAX: RCPTs per
					 * transaction; 0 = none given */
	unsigned mail_max;		/* LIMITS MAILMAX: transactions per
					 * session; 0 = none given */
	char auth[256];			/* AUTH mechanism list, space-separated */
};

void caps_parse(const struct reply *ehlo, struct caps *caps);

#endif
