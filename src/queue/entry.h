/*
 * entry.h — the text of a queue entry's file (ID.env): one "key value"
 * line each, values escaped so each stays on one line, the format's name
 * on the first line. queue.c writes and reads the files; this is what is
 * in them.
 *
 * Error code: EX_DATAERR (not an entry, a bad line), EX_SOFTWARE.
 */
#ifndef MAILOUT_ENTRY_H
#define MAILOUT_ENTRY_H

#include <stdio.h>

#include "lib/err.h"
#include "queue/queue.h"

/* The entry as its file holds it. */
void entry_print(FILE *f, const struct queue_entry *qe);

/* Fill qe (zeroed by the caller) from a file's text, which is changed. */
int entry_parse(struct queue_entry *qe, char *text, struct err *e);

#endif
