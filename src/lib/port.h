/*
 * port.h — a TCP port as written in a setting or a URL: 1 to 65535 in
 * at most five decimal digits. config/ and transport/ both check one,
 * and transport/ may not call config/.
 */
#ifndef MAILOUT_PORT_H
#define MAILOUT_PORT_H

#include <stdbool.h>
#include <stddef.h>

/* Whether s[0..len) (no NUL needed) is such a port: digits only, no
 * sign or blank, none but 1 to 65535 ("00025" is 25). */
bool port_valid(const char *s, size_t len);

#endif
