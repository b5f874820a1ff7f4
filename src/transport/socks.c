/* socks.c — the relay through a SOCKS5 proxy (RFC 1928, RFC 1929). */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/port.h"
#include "lib/util.h"
#include "transport/socks.h"

#define SOCKS_SCHEME "socks5://"
#define SOCKS_PORT "1080"
#define SOCKS_VERSION 5
#define AUTH_VERSION 1			/* RFC 1929's subnegotiation */
#define METHOD_NONE 0x00
#define METHOD_PASSWORD 0x02
#define METHOD_REFUSED 0xff
#define CMD_CONNECT 1
#define ATYP_IPV4 1
#define ATYP_NAME 3
#define ATYP_IPV6 4

/* RFC 1928 6: what a failed CONNECT means, and whether another relay,
 * or later, may do better (EX_TEMPFAIL) or not. */
static const struct {
	int code;
	const char *what;
	int ex;
} connect_replies[] = {
	{ 1, "general SOCKS server failure", EX_TEMPFAIL },
	{ 2, "connection not allowed by ruleset", EX_UNAVAILABLE },
	{ 3, "network unreachable", EX_TEMPFAIL },
	{ 4, "host unreachable", EX_TEMPFAIL },
	{ 5, "connection refused", EX_TEMPFAIL },
	{ 6, "TTL expired", EX_TEMPFAIL },
	{ 7, "command not supported", EX_UNAVAILABLE },
	{ 8, "address type not supported", EX_UNAVAILABLE },
};

/* Printable ASCII without the URL's delimiters; for a host name, only
 * letters, digits, ".", "-" and "_". */
static bool
field_valid(const char *s, size_t len, bool name)
{
	size_t i;

	if (len == 0 || len >= SOCKS_FIELD_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= ' ' || ch >= 0x7f || strchr("@/:[]", ch) != NULL)
			return false;
		if (name && !isalnum(ch) && strchr(".-_", ch) == NULL)
			return false;
	}
	return true;
}

static void
copy_field(char *dst, const char *src, size_t len)
{
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* host, [v6], host:port or [v6]:port, into p. */
static int
parse_hostport(const char *s, struct socks_proxy *p)
{
	const char *port = NULL, *end;

	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL || end - s - 1 <= 1 ||
		    end - s - 1 >= SOCKS_FIELD_MAX ||
		    strspn(s + 1, "0123456789abcdefABCDEF:.") !=
		    (size_t)(end - s - 1))
			return -1;
		copy_field(p->host, s + 1, (size_t)(end - s - 1));
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return -1;
	} else {
		end = s + strcspn(s, ":");
		if (!field_valid(s, (size_t)(end - s), true))
			return -1;
		copy_field(p->host, s, (size_t)(end - s));
		if (*end == ':')
			port = end + 1;
	}
	if (port != NULL && !port_valid(port, strlen(port)))
		return -1;
	snprintf(p->port, sizeof(p->port), "%s", port ? port : SOCKS_PORT);
	return 0;
}

int
socks_url_parse(const char *url, struct socks_proxy *p)
{
	const char *rest = url + strlen(SOCKS_SCHEME), *at;

	memset(p, 0, sizeof(*p));
	if (strncasecmp(url, SOCKS_SCHEME, strlen(SOCKS_SCHEME)) != 0)
		return -1;
	if ((at = strrchr(rest, '@')) != NULL) {
		if (!field_valid(rest, (size_t)(at - rest), false))
			return -1;
		copy_field(p->user, rest, (size_t)(at - rest));
		rest = at + 1;
	}
	return parse_hostport(rest, p);
}

bool
socks_url_valid(const char *url)
{
	struct socks_proxy p;

	return socks_url_parse(url, &p) == 0;
}

static int
send_bytes(struct conn *c, const unsigned char *b, size_t n, struct err *e)
{
	if (net_put(c, b, n, e) < 0)
		return -1;
	return net_flush(c, e);
}

static int
read_reply(struct conn *c, unsigned char *b, size_t n, struct err *e)
{
	net_start_deadline(c);
	if (net_read_exact(c, b, n, e) < 0)
		return -1;
	if (b[0] != SOCKS_VERSION && b[0] != AUTH_VERSION)
		return err_set(e, EX_PROTOCOL, "%s does not answer as a SOCKS5 "
		    "proxy", c->peer);
	return 0;
}

/* RFC 1928 3: one method offered, user name and password when there is
 * a user, else none. */
static int
choose_method(struct conn *c, const struct socks_proxy *p, struct err *e)
{
	unsigned char hello[3] = { SOCKS_VERSION, 1,
	    p->user[0] ? METHOD_PASSWORD : METHOD_NONE }, r[2];

	if (send_bytes(c, hello, sizeof(hello), e) < 0 ||
	    read_reply(c, r, sizeof(r), e) < 0)
		return -1;
	if (r[1] == hello[2])
		return 0;
	if (r[1] == METHOD_REFUSED && p->user[0] == '\0')
		return err_set(e, EX_NOPERM, "SOCKS5 proxy %s wants "
		    "authentication: give a user (socks5://USER@host:port) and "
		    "proxy_password_command", c->peer);
	if (r[1] == METHOD_REFUSED)
		return err_set(e, EX_NOPERM, "SOCKS5 proxy %s does not take a "
		    "user name and password", c->peer);
	return err_set(e, EX_PROTOCOL, "SOCKS5 proxy %s chose method %d, "
	    "which was not offered", c->peer, r[1]);
}

/* RFC 1929; the password leaves no copy in the write buffer. */
static int
authenticate(struct conn *c, const struct socks_proxy *p,
    const char *password, struct err *e)
{
	unsigned char msg[3 + 2 * (SOCKS_FIELD_MAX - 1)], r[2];
	size_t ulen = strlen(p->user), plen = strlen(password), n = 0;
	int rc;

	if (plen == 0 || plen >= SOCKS_FIELD_MAX)
		return err_set(e, EX_CONFIG, "the SOCKS5 proxy password must "
		    "be 1 to %d octets", SOCKS_FIELD_MAX - 1);
	msg[n++] = AUTH_VERSION;
	msg[n++] = (unsigned char)ulen;
	memcpy(msg + n, p->user, ulen);
	n += ulen;
	msg[n++] = (unsigned char)plen;
	memcpy(msg + n, password, plen);
	n += plen;
	rc = send_bytes(c, msg, n, e);
	explicit_bzero(msg, sizeof(msg));
	explicit_bzero(c->wbuf, n);
	if (rc < 0 || read_reply(c, r, sizeof(r), e) < 0)
		return -1;
	if (r[1] != 0)
		return err_set(e, EX_NOPERM, "SOCKS5 proxy %s refused the user "
		    "name and password of %s", c->peer, p->user);
	return 0;
}

/* RFC 1928 4: CONNECT by name, which the proxy resolves; an address
 * literal goes as the address it is. */
static int
request(struct conn *c, const char *host, const char *port, struct err *e)
{
	unsigned char msg[4 + 1 + 255 + 2];
	size_t n = 0, len = strlen(host);
	unsigned port_number = (unsigned)atoi(port);

	msg[n++] = SOCKS_VERSION;
	msg[n++] = CMD_CONNECT;
	msg[n++] = 0;
	if (inet_pton(AF_INET, host, msg + n + 1) == 1) {
		msg[n] = ATYP_IPV4;
		n += 1 + 4;
	} else if (inet_pton(AF_INET6, host, msg + n + 1) == 1) {
		msg[n] = ATYP_IPV6;
		n += 1 + 16;
	} else {
		if (len > 255)
			return err_set(e, EX_USAGE, "%s: too long a name for a "
			    "SOCKS5 proxy", host);
		msg[n++] = ATYP_NAME;
		msg[n++] = (unsigned char)len;
		memcpy(msg + n, host, len);
		n += len;
	}
	msg[n++] = (unsigned char)(port_number >> 8);
	msg[n++] = (unsigned char)(port_number & 0xff);
	return send_bytes(c, msg, n, e);
}

static int
connect_failed(struct conn *c, int code, const char *host, const char *port,
    struct err *e)
{
	size_t i;

	for (i = 0; i < nitems(connect_replies); i++)
		if (connect_replies[i].code == code)
			return err_set(e, connect_replies[i].ex, "SOCKS5 proxy "
			    "%s cannot connect to %s:%s: %s", c->peer, host,
			    port, connect_replies[i].what);
	return err_set(e, EX_PROTOCOL, "SOCKS5 proxy %s: unknown reply %d to "
	    "CONNECT", c->peer, code);
}

/* The reply to CONNECT, with the address the proxy bound (unused). */
static int
connect_reply(struct conn *c, const char *host, const char *port,
    struct err *e)
{
	unsigned char r[4], rest[1 + 255 + 2];
	size_t more;

	if (read_reply(c, r, sizeof(r), e) < 0)
		return -1;
	if (r[1] != 0)
		return connect_failed(c, r[1], host, port, e);
	if (r[3] == ATYP_IPV4 || r[3] == ATYP_IPV6)
		more = r[3] == ATYP_IPV4 ? 4 : 16;
	else if (r[3] == ATYP_NAME && net_read_exact(c, rest, 1, e) == 0)
		more = rest[0];
	else if (r[3] == ATYP_NAME)
		return -1;
	else
		return err_set(e, EX_PROTOCOL, "SOCKS5 proxy %s: address type "
		    "%d in its reply", c->peer, r[3]);
	return net_read_exact(c, rest, more + 2, e);
}

int
socks_connect(struct conn *c, const struct socks_proxy *p,
    const char *password, const char *host, const char *port,
    const char *label, const char *source_address, struct err *e)
{
	char proxy[sizeof(c->peer)];

	if (net_connect_tcp(c, p->host, p->port, source_address, e) < 0) {
		err_prefix(e, "SOCKS5 proxy");
		return -1;
	}
	if (choose_method(c, p, e) < 0 ||
	    (p->user[0] != '\0' && authenticate(c, p, password, e) < 0) ||
	    request(c, host, port, e) < 0 || connect_reply(c, host, port, e) < 0) {
		net_close(c);
		return -1;
	}
	/* Where the relay is, only the proxy knows: never loopback. */
	c->loopback = false;
	snprintf(proxy, sizeof(proxy), "%s", c->peer);
	if (snprintf(c->peer, sizeof(c->peer), "%s via SOCKS5 proxy %s", label,
	    proxy) >= (int)sizeof(c->peer))
		memcpy(c->peer + sizeof(c->peer) - 4, "...", 4);
	return 0;
}
