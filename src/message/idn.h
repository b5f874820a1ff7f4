/*
 * idn.h — internationalised domains in envelope addresses. A server that
 * offers SMTPUTF8 (RFC 6531) takes an address as it is written; to one
 * that does not, a domain in U-labels goes as its A-labels (IDNA 2008,
 * RFC 5891, with libidn2: "user@bücher.example" becomes
 * "user@xn--bcher-kva.example"), as Postfix and Exim send it. A local
 * part that is not ASCII has no such form: only SMTPUTF8 carries it.
 *
 * Error code: EX_DATAERR, naming the address.
 */
#ifndef MAILOUT_IDN_H
#define MAILOUT_IDN_H

#include <stddef.h>

#include "lib/err.h"

/* Whether the domain of addr has an A-label form: always when it is
 * ASCII. Checked before anything is sent, whatever the server offers. */
int idn_check(const char *addr, struct err *e);

/*
 * addr as a server without SMTPUTF8 takes it, into out (n octets): the
 * domain as A-labels, an ASCII address unchanged. Fails when the local
 * part is not ASCII, the domain is no IDNA 2008 name, or the result
 * does not fit.
 */
int idn_downgrade(const char *addr, char *out, size_t n, struct err *e);

#endif
