/*
 * suggest.h — "did you mean": the known name nearest to a mistyped one,
 * for command-line options and configuration keys alike. Nearness is the
 * edit distance with swaps (optimal string alignment), ignoring case, so
 * "hots" is one edit from "host".
 */
#ifndef MAILOUT_SUGGEST_H
#define MAILOUT_SUGGEST_H

#include <stddef.h>

#define SUGGEST_WORD_MAX 64	/* longer words get no suggestion */

struct suggestion {
	const char *word;	/* what was typed */
	const char *best;	/* the nearest candidate so far, or NULL */
	size_t distance;	/* its distance */
};

void suggest_init(struct suggestion *s, const char *word);

/* Weigh one known name; of equally near ones the first stays. */
void suggest_consider(struct suggestion *s, const char *candidate);

/* The nearest name if it is near enough to be what was meant (one edit
 * for up to four characters, two up to eight, three beyond), or NULL. */
const char *suggest_result(const struct suggestion *s);

#endif
