/*
 * addr.h — mail addresses: RFC 5322 address lists ("Name <a@b>, c@d",
 * groups, comments, quoted local parts) reduced to envelope addresses,
 * and the hygiene check every envelope address passes before it can
 * reach the wire.
 *
 * Error code: EX_DATAERR (bad address), EX_SOFTWARE (out of memory).
 */
#ifndef MAILOUT_ADDR_H
#define MAILOUT_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

#define ADDR_MAX 256		/* RFC 5321 4.5.3.1.3: a path, without <> */
#define ADDR_LIST_MAX 10000	/* recipients per invocation */

struct addr_list {
	char **v;
	size_t n, cap;
};

/*
 * Append every address of the list in text to list, skipping duplicates
 * (compared case-insensitively in the domain, exactly in the local part).
 * An empty "<>" is kept as "" only when allow_null is set (for -f <>).
 */
int addr_parse_list(struct addr_list *list, const char *text, int allow_null,
    struct err *e);

/* Append one checked address unless it is already there. */
int addr_list_add(struct addr_list *list, const char *addr, struct err *e);

/* An envelope address safe to put between < and > in a command. */
int addr_check(const char *addr, struct err *e);

void addr_list_free(struct addr_list *list);

/* No octet >= 0x80: the address needs no SMTPUTF8 (RFC 6531). */
bool addr_is_ascii(const char *addr);

#endif
