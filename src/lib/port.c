/* port.c — a TCP port as written: 1 to 65535, at most five digits. */
#include "lib/port.h"

bool
port_valid(const char *s, size_t len)
{
	long n = 0;
	size_t i;

	/* Five digits at most, so n cannot grow past 99999. */
	if (len == 0 || len > 5)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		n = n * 10 + (s[i] - '0');
	}
	return n >= 1 && n <= 65535;
}
