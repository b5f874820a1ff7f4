/*
 * hostname.h — the machine's own name: what EHLO says by default and
 * what completes user@host when no domain is configured.
 */
#ifndef MAILOUT_HOSTNAME_H
#define MAILOUT_HOSTNAME_H

/* gethostname(2), or "localhost" when it has none. */
const char *local_hostname(void);

#endif
