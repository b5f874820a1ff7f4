/*
 * base64.h — base64 (RFC 4648) for SASL and RFC 2047 names, without line
 * breaks. Both return -1 on bad input or when out has no room.
 */
#ifndef MAILOUT_BASE64_H
#define MAILOUT_BASE64_H

#include <stddef.h>

int b64_encode(const char *in, size_t len, char *out, size_t cap);
int b64_decode(const char *in, char *out, size_t cap, size_t *len);

#endif
