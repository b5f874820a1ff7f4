/*
 * relays.h — the relays of the host key: one name, or a list tried in
 * order ("a.example.org, b.example.org:587, [2001:db8::1]:25"). Each
 * item is a name or address with an optional port of its own; a bare
 * IPv6 address (two colons or more) has none.
 */
#ifndef MAILOUT_RELAYS_H
#define MAILOUT_RELAYS_H

#include <stddef.h>

#include "config/settings.h"

#define RELAYS_MAX 8		/* relays in one host list */
#define RELAY_NAME_MAX 256
#define RELAY_LABEL_MAX (RELAY_NAME_MAX + 16)	/* "[name]:port" */

struct relay {
	char name[RELAY_NAME_MAX];	/* a host name or address, no brackets */
	char port[8];			/* its own port, else the port key's */
};

/* Whether text is a valid host list (the host key's parser). */
bool relays_valid(const char *text);

/* The relays of st->host, in the order written, into r (room for
 * RELAYS_MAX); returns how many. host was checked when it was set and
 * settings_finish gave it and port their defaults. */
size_t relays_of(const struct settings *st, struct relay *r);

/* "name:port" ("[address]:port" for IPv6), for reports and logs. */
void relay_label(const struct relay *r, char *buf, size_t n);

/* Every relay's label, ", " between them. */
void relays_text(const struct settings *st, char *buf, size_t n);

#endif
