/* mailname.c — the system's mail name: /etc/mailname, else the FQDN. */
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config/mailname.h"

#define MAILNAME_FILE "/etc/mailname"
#define DOMAIN_MAX 253		/* RFC 1035, without the root's dot */

/* Letters, digits, hyphens and dots (IDN as A-labels), no empty label:
 * what may follow the @ of an address or EHLO. */
static bool
is_domain(const char *s)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > DOMAIN_MAX || s[0] == '.' || s[len - 1] == '.' ||
	    strstr(s, "..") != NULL)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.'))
			return false;
	return true;
}

/* The first line of /etc/mailname, if it is a domain name. Anything else
 * (a missing or empty file, junk) is ignored, as Debian's MTAs do. */
static bool
read_mailname(char *buf, size_t n)
{
	FILE *f = fopen(MAILNAME_FILE, "re");
	size_t len;
	bool got;

	if (f == NULL)
		return false;
	got = fgets(buf, (int)n, f) != NULL;
	fclose(f);
	if (!got)
		return false;
	len = strlen(buf);
	while (len > 0 && strchr(" \t\r\n", buf[len - 1]) != NULL)
		buf[--len] = '\0';
	return is_domain(buf);
}

/* The resolver's canonical name for host, when it has a dot. */
static bool
canonical_name(const char *host, char *buf, size_t n)
{
	struct addrinfo hints, *res;
	bool got = false;

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return false;
	if (res->ai_canonname != NULL && strchr(res->ai_canonname, '.') &&
	    is_domain(res->ai_canonname) && strlen(res->ai_canonname) < n) {
		strcpy(buf, res->ai_canonname);
		got = true;
	}
	freeaddrinfo(res);
	return got;
}

void
mailname_get(char *buf, size_t n)
{
	char host[256];

	if (read_mailname(buf, n))
		return;
	if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0') {
		snprintf(buf, n, "localhost");
		return;
	}
	host[sizeof(host) - 1] = '\0';
	/* A name with a dot is qualified already: no lookup. */
	if (strchr(host, '.') == NULL && canonical_name(host, buf, n))
		return;
	snprintf(buf, n, "%s", host);
}

const char *
local_hostname(void)
{
	static char name[256];

	if (name[0] == '\0')
		mailname_get(name, sizeof(name));
	return name;
}
