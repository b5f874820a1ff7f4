/*
 * envelope.h — who the message is from and to.
 *
 * Sender: -f/-r/--from, else the profile's `from`, else user@domain (or
 * user@hostname). Recipients: the command line, plus with -t those of the
 * header (union, duplicates removed); names without "@" go through the
 * aliases file, then get `domain` appended — so cron's "root" reaches a
 * real mailbox.
 *
 * Error codes: EX_DATAERR (bad address), EX_USAGE (no recipients),
 * EX_CONFIG (aliases file unreadable or looping), EX_NOUSER, EX_SOFTWARE.
 */
#ifndef MAILOUT_ENVELOPE_H
#define MAILOUT_ENVELOPE_H

#include <stdbool.h>

#include "config/settings.h"
#include "message/addr.h"
#include "message/header.h"

/* The BODY= parameter (RFC 6152): -B, or what the header block says. */
enum body_type {
	BODY_UNDECLARED,	/* 7-bit as far as we know: no BODY= */
	BODY_7BIT,		/* -B7BIT */
	BODY_8BITMIME,		/* -B8BITMIME, 8-bit headers, or a
				 * Content-Transfer-Encoding of 8bit/binary */
};

struct envelope {
	char sender[ADDR_MAX + 1];	/* "" = the null sender <> */
	struct addr_list rcpts;
	bool needs_smtputf8;		/* an address is not ASCII */
	enum body_type body;
};

struct envelope_request {
	const char *sender;		/* -f; NULL when not given */
	char *const *args;		/* command-line recipients */
	int nargs;
	bool from_headers;		/* -t */
	const char *body;		/* -B: "7BIT", "8BITMIME" or NULL */
};

int envelope_build(struct envelope *env, const struct envelope_request *req,
    const struct settings *st, const struct header_block *hb, struct err *e);

/* One recipient the way envelope_build takes each: a name without "@"
 * through the aliases file, then qualified with domain; to out. */
int envelope_add_recipient(const struct settings *st, const char *addr,
    struct addr_list *out, struct err *e);

void envelope_free(struct envelope *env);

#endif
