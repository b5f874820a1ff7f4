/* base64.c — RFC 4648 base64 through GnuTLS, without line breaks. */
#include <string.h>

#include <gnutls/gnutls.h>

#include "lib/base64.h"

int
b64_encode(const char *in, size_t len, char *out, size_t cap)
{
	gnutls_datum_t raw = { (unsigned char *)in, (unsigned)len }, enc;
	size_t i, o = 0;

	if (len == 0) {
		out[0] = '\0';
		return 0;
	}
	if (gnutls_base64_encode2(&raw, &enc) < 0)
		return -1;
	for (i = 0; i < enc.size && o + 1 < cap; i++)
		if (enc.data[i] != '\n' && enc.data[i] != '\r')
			out[o++] = (char)enc.data[i];
	out[o] = '\0';
	gnutls_memset(enc.data, 0, enc.size);
	gnutls_free(enc.data);
	return i == enc.size ? 0 : -1;
}

int
b64_decode(const char *in, char *out, size_t cap, size_t *len)
{
	gnutls_datum_t enc = { (unsigned char *)in, (unsigned)strlen(in) }, raw;

	*len = 0;
	if (enc.size == 0)
		return 0;
	if (gnutls_base64_decode2(&enc, &raw) < 0)
		return -1;
	if (raw.size > cap) {
		gnutls_free(raw.data);
		return -1;
	}
	memcpy(out, raw.data, raw.size);
	*len = raw.size;
	gnutls_free(raw.data);
	return 0;
}
