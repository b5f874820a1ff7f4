/*
 * mailname.h — the system's mail name (Debian policy 11.6): the first
 * line of /etc/mailname when it holds a domain name, else the host's
 * fully qualified name (the resolver's canonical name for the host
 * name), else the bare host name, else "localhost". It is the default
 * domain of unqualified addresses, the default EHLO name and the domain
 * of an added Message-ID.
 */
#ifndef MAILOUT_MAILNAME_H
#define MAILOUT_MAILNAME_H

#include <stddef.h>

/* The mail name in buf (n bytes; 256 holds any domain name). */
void mailname_get(char *buf, size_t n);

/* The same, looked up once: the default domain and HELO name. */
const char *local_hostname(void);

#endif
