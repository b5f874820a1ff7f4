/* relays.c — the host key's list of relays, each with its port. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config/relays.h"
#include "lib/port.h"

/* Letters, digits and what names and addresses are made of ("%" is an
 * IPv6 zone, "_" a label some hosts files use, 8-bit octets a name in
 * UTF-8); colons only inside an address. */
static bool
name_valid(const char *s, size_t len, bool colons)
{
	size_t i;

	if (len == 0 || len >= RELAY_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && strchr(".-_%", s[i]) == NULL
		    && (unsigned char)s[i] < 0x80 && !(colons && s[i] == ':'))
			return false;
	return true;
}

/* One item of the list, s[0..len), blanks already trimmed. */
static int
relay_parse(const char *s, size_t len, struct relay *r)
{
	const char *colon = memchr(s, ':', len), *name = s, *port = NULL;
	size_t name_len = len, port_len = 0;
	bool address = false;

	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (close == NULL)
			return -1;
		name = s + 1;
		name_len = (size_t)(close - name);
		address = true;
		if (close + 1 < s + len) {
			if (close[1] != ':')
				return -1;
			port = close + 2;
			port_len = (size_t)(s + len - port);
		}
	} else if (colon != NULL && memchr(colon + 1, ':',
	    len - (size_t)(colon + 1 - s)) != NULL) {
		address = true;		/* a bare IPv6 address */
	} else if (colon != NULL) {
		name_len = (size_t)(colon - s);
		port = colon + 1;
		port_len = len - name_len - 1;
	}
	if (!name_valid(name, name_len, address))
		return -1;
	if (port != NULL && !port_valid(port, port_len))
		return -1;
	memcpy(r->name, name, name_len);
	r->name[name_len] = '\0';
	r->port[0] = '\0';
	if (port != NULL) {
		memcpy(r->port, port, port_len);
		r->port[port_len] = '\0';
	}
	return 0;
}

/* Split text at commas; -1 for an item that is not a relay or one too
 * many. */
static int
relays_parse(const char *text, struct relay *r, size_t *n)
{
	const char *p = text;

	*n = 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		const char *end = p + len;

		while (p < end && isblank((unsigned char)*p))
			p++;
		while (end > p && isblank((unsigned char)end[-1]))
			end--;
		if (*n == RELAYS_MAX || relay_parse(p, (size_t)(end - p),
		    &r[*n]) < 0)
			return -1;
		(*n)++;
		p += strcspn(p, ",");
		if (*p++ == '\0')
			return 0;
	}
}

bool
relays_valid(const char *text)
{
	struct relay r[RELAYS_MAX];
	size_t n;

	return relays_parse(text, r, &n) == 0;
}

size_t
relays_of(const struct settings *st, struct relay *r)
{
	size_t i, n;

	if (relays_parse(st->host, r, &n) < 0)
		return 0;
	for (i = 0; i < n; i++)
		if (r[i].port[0] == '\0')
			snprintf(r[i].port, sizeof(r[i].port), "%s", st->port);
	return n;
}

void
relay_label(const struct relay *r, char *buf, size_t n)
{
	bool v6 = strchr(r->name, ':') != NULL;

	snprintf(buf, n, "%s%.*s%s:%s", v6 ? "[" : "", RELAY_NAME_MAX - 1,
	    r->name, v6 ? "]" : "", r->port);
}

void
relays_text(const struct settings *st, char *buf, size_t n)
{
	struct relay r[RELAYS_MAX];
	size_t i, count = relays_of(st, r), used = 0;
	char label[RELAY_LABEL_MAX];

	buf[0] = '\0';
	for (i = 0; i < count && used < n; i++) {
		relay_label(&r[i], label, sizeof(label));
		used += (size_t)snprintf(buf + used, n - used, "%s%s",
		    i ? ", " : "", label);
	}
}
