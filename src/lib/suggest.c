/* suggest.c — the nearest known name to a mistyped one. */
#include <ctype.h>
#include <string.h>

#include "lib/suggest.h"

static size_t
min2(size_t a, size_t b)
{
	return a < b ? a : b;
}

static int
same(char a, char b)
{
	return tolower((unsigned char)a) == tolower((unsigned char)b);
}

/*
 * Edit distance with adjacent swaps (optimal string alignment), in three
 * rows: two back for the swap, the previous, the current. Both words are
 * at most SUGGEST_WORD_MAX long.
 */
static size_t
distance(const char *a, const char *b)
{
	size_t rows[3][SUGGEST_WORD_MAX + 1];
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t *back2 = rows[0], *prev = rows[1], *cur = rows[2], *t;

	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			cur[j] = min2(min2(prev[j] + 1, cur[j - 1] + 1),
			    prev[j - 1] + !same(a[i - 1], b[j - 1]));
			if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) &&
			    same(a[i - 2], b[j - 1]))
				cur[j] = min2(cur[j], back2[j - 2] + 1);
		}
		t = back2;
		back2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

void
suggest_init(struct suggestion *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->distance = 0;
}

void
suggest_consider(struct suggestion *s, const char *candidate)
{
	size_t d;

	if (strlen(s->word) > SUGGEST_WORD_MAX ||
	    strlen(candidate) > SUGGEST_WORD_MAX)
		return;
	d = distance(s->word, candidate);
	if (s->best == NULL || d < s->distance) {
		s->best = candidate;
		s->distance = d;
	}
}

const char *
suggest_result(const struct suggestion *s)
{
	size_t len = strlen(s->word);
	size_t allowed = len <= 4 ? 1 : len <= 8 ? 2 : 3;

	return s->best != NULL && s->distance <= allowed ? s->best : NULL;
}
