/* xtext.c — RFC 3461 xtext. */
#include <ctype.h>
#include <stdio.h>

#include "lib/xtext.h"

void
xtext_encode(const char *in, char *out, size_t n)
{
	size_t o = 0;

	for (; *in != '\0' && o + 4 < n; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 33 || c > 126 || c == '+' || c == '=')
			o += (size_t)snprintf(out + o, n - o, "+%02X", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

int
xtext_decode(const char *in, char *out, size_t n)
{
	size_t o = 0;
	unsigned int c;

	for (; *in != '\0'; in++) {
		if (o + 1 >= n)
			return -1;
		if (*in == '+') {
			if (!isxdigit((unsigned char)in[1]) ||
			    !isxdigit((unsigned char)in[2]) ||
			    sscanf(in + 1, "%2x", &c) != 1)
				return -1;
			in += 2;
		} else {
			c = (unsigned char)*in;
		}
		if (c < 0x20 || c > 0x7e)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}
