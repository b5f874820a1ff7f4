/*
 * xtext.h — RFC 3461 section 4's xtext, the encoding of DSN parameters
 * (ENVID, ORCPT) and of the mailout service's XPROFILE: "+HH" for "+",
 * "=" and every octet that is not printable ASCII.
 */
#ifndef MAILOUT_XTEXT_H
#define MAILOUT_XTEXT_H

#include <stddef.h>

/* Encode in into out (size n), cut short rather than overflow. */
void xtext_encode(const char *in, char *out, size_t n);

/* Decode in into out (size n); -1 when it is not xtext, does not fit, or
 * decodes to anything but printable ASCII. */
int xtext_decode(const char *in, char *out, size_t n);

#endif
