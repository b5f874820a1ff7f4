/*
 * socks.h — reaching the relay through a SOCKS5 proxy (RFC 1928):
 * connect to the proxy (connect.c, its addresses raced), authenticate
 * with a user name and password when the URL names a user (RFC 1929),
 * and have the proxy connect to the relay by name, so that the proxy
 * resolves it. The connection is then the relay's; TLS on top of it
 * checks the relay's name, which is the caller's to give.
 *
 * Error codes: those of net.h for the proxy itself; EX_TEMPFAIL when the
 * proxy cannot reach the relay (unreachable, refused, TTL, failure),
 * EX_UNAVAILABLE when it will not (ruleset, unsupported), EX_NOPERM when
 * it wants authentication we cannot give or refuses ours, EX_PROTOCOL
 * when it does not speak SOCKS5, EX_CONFIG for a password it cannot take.
 */
#ifndef MAILOUT_SOCKS_H
#define MAILOUT_SOCKS_H

#include <stdbool.h>

#include "lib/err.h"
#include "transport/net.h"

#define SOCKS_FIELD_MAX 256	/* RFC 1929: names and passwords of 255 */

/* "socks5://[user@]host[:port]" */
struct socks_proxy {
	char user[SOCKS_FIELD_MAX];	/* "" for none */
	char host[SOCKS_FIELD_MAX];	/* a name or address, no brackets */
	char port[8];			/* 1080 unless given */
};

/* Parse url into p; -1 when it is not a socks5:// URL of that form (a
 * password in it is refused: it belongs in proxy_password_command). */
int socks_url_parse(const char *url, struct socks_proxy *p);

/* Whether url parses (the proxy key's check). */
bool socks_url_valid(const char *url);

/* Connect c to host:port through the proxy p; password is used when p
 * names a user. c->peer becomes "LABEL via SOCKS5 proxy PROXY": label
 * is how the caller names the relay ("name:port", "[address]:port"). */
int socks_connect(struct conn *c, const struct socks_proxy *p,
    const char *password, const char *host, const char *port,
    const char *label, const char *source_address, struct err *e);

#endif
