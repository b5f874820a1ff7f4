/* idn.c — A-labels for the domains of envelope addresses (libidn2). */
#include <idn2.h>
#include <stdio.h>
#include <string.h>

#include "message/addr.h"
#include "message/idn.h"

/* The domain of addr: after its last '@' (a quoted local part may hold
 * one); the empty end of addr when there is none. */
static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL ? at + 1 : strchr(addr, '\0');
}

/*
 * The A-label form of a domain that is not ASCII (malloc'ed, freed with
 * idn2_free), or NULL with an error. UTS 46 non-transitional processing
 * maps what IDNA 2008 leaves to the application (upper case, NFC), as
 * libidn2 users (curl, wget) do.
 */
static char *
a_labels(const char *addr, const char *domain, struct err *e)
{
	char *ascii = NULL;
	int rc = idn2_to_ascii_8z(domain, &ascii,
	    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);

	if (rc != IDN2_OK) {
		err_set(e, EX_DATAERR, "<%s>: %s is not a valid "
		    "internationalised domain name (IDNA 2008): %s", addr,
		    domain, idn2_strerror(rc));
		return NULL;
	}
	return ascii;
}

int
idn_check(const char *addr, struct err *e)
{
	const char *domain = domain_of(addr);
	char *ascii;

	if (addr_is_ascii(domain))
		return 0;
	if ((ascii = a_labels(addr, domain, e)) == NULL)
		return -1;
	idn2_free(ascii);
	return 0;
}

int
idn_downgrade(const char *addr, char *out, size_t n, struct err *e)
{
	const char *domain = domain_of(addr);
	size_t i, local = (size_t)(domain - addr);	/* with its '@' */
	char *ascii = NULL;
	int len;

	for (i = 0; i < local; i++)
		if ((unsigned char)addr[i] >= 0x80)
			return err_set(e, EX_DATAERR, "<%s>: the local part is "
			    "not ASCII and the server does not offer SMTPUTF8 "
			    "(RFC 6531)", addr);
	if (!addr_is_ascii(domain) &&
	    (ascii = a_labels(addr, domain, e)) == NULL)
		return -1;
	len = snprintf(out, n, "%.*s%s", (int)local, addr,
	    ascii != NULL ? ascii : domain);
	idn2_free(ascii);
	if (len < 0 || (size_t)len >= n)
		return err_set(e, EX_DATAERR, "<%s>: longer than %zu octets "
		    "with its domain in A-labels", addr, n - 1);
	return 0;
}
