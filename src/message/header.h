/*
 * header.h — the message's header block: read from the input before
 * anything is sent (capped at HEADER_BLOCK_MAX, beyond which the message
 * is refused), parsed into fields, searched for -t recipients, edited
 * (Bcc removed, Date/Message-ID/From added) and rendered back as text.
 * The body is never held in memory.
 *
 * Error codes: EX_DATAERR (block too large, NUL octet, too many fields),
 * EX_IOERR, EX_SOFTWARE.
 */
#ifndef MAILOUT_HEADER_H
#define MAILOUT_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "lib/err.h"
#include "message/addr.h"
#include "message/source.h"

#define HEADER_BLOCK_MAX (1024 * 1024)
#define HEADER_FIELDS_MAX 10000

struct header_field {
	size_t name_len;	/* the name is text[0..name_len) */
	size_t off, len;	/* field text in block->text, folding kept,
				 * lines separated by '\n', no final newline */
	bool removed;
};

struct header_block {
	char *text;		/* the raw header lines, CR stripped */
	size_t text_len;
	struct header_field *fields;
	size_t nfields;
	bool blank_seen;	/* ended by the blank line (else the body
				 * starts with a non-header line) */
	char *rest;		/* input read past the header block */
	size_t rest_len;
	char *added;		/* Date/Message-ID/From we add, '\n' ended */
	size_t input_lines;	/* lines of input the block took */
};

/*
 * Read and parse the header block from src. A leading mbox "From " line
 * is dropped, as sendmail does. Stops at the blank line (consumed) or at
 * the first line that is not a header field (kept for the body).
 */
int header_read(struct header_block *hb, struct message_source *src,
    struct err *e);

/* The field named name (case-insensitive), or NULL. */
const struct header_field *header_find(const struct header_block *hb,
    const char *name);

/* The unfolded value of a field (after "Name:"), malloc'ed. */
char *header_value(const struct header_block *hb,
    const struct header_field *f);

/* The Message-ID the message goes out with (its own or the one added),
 * malloc'ed; NULL when it has none. */
char *header_message_id_of(const struct header_block *hb);

/*
 * -t: append the addresses of To, Cc and Bcc — or of Resent-To,
 * Resent-Cc and Resent-Bcc when the topmost Resent block names any.
 */
int header_recipients(const struct header_block *hb, struct addr_list *list,
    struct err *e);

/* Mark Bcc and Resent-Bcc as not to be sent. */
void header_remove_bcc(struct header_block *hb);

/* Add Date, Message-ID and From when missing; From is "name <sender>"
 * (name from -F, RFC 2047-encoded when not ASCII). */
int header_add_missing(struct header_block *hb, const char *sender,
    const char *full_name, const char *domain, struct err *e);

/* Put the edited header block, the blank line and what was read past it
 * in front of the rest of src, so the sender streams them all. */
int header_attach(struct header_block *hb, struct message_source *src,
    struct err *e);

/* Write the header block as it will be sent (LF line ends, then the
 * blank line) to out; for --dry-run. */
void header_print(const struct header_block *hb, FILE *out);

void header_free(struct header_block *hb);

/* RFC 5322 3.3 date-time of when, in local time. */
void header_date(char *out, size_t cap, time_t when);

/* A new "<time.random@domain>" for a Message-ID field. */
void header_message_id(char *out, size_t cap, const char *domain);

#endif
