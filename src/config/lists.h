/*
 * lists.h — the comma-separated lists of mailout.conf(5) values
 * (match_from, allowed_from, users, listen, listen_allow): their items,
 * and lists of shell patterns (fnmatch, case-insensitive) matched
 * against an address.
 */
#ifndef MAILOUT_LISTS_H
#define MAILOUT_LISTS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

#define LIST_ITEM_MAX 256

/* The next item of *list (blanks around it dropped) into buf; false at
 * the end of the list. An item too long for buf is cut short. */
bool list_next(const char **list, char *buf, size_t n);

/* Patterns such as *@example.org, at least one, none empty or longer
 * than LIST_ITEM_MAX - 1 (EX_CONFIG, saying what was expected). */
int patterns_check(const char *v, struct err *e);

/* Whether a pattern of list matches s; the one that did into matched. */
bool patterns_match(const char *list, const char *s, char *matched,
    size_t n);

#endif
