/* err.c — building and quoting error messages. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"

int
err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void
err_prefix(struct err *e, const char *fmt, ...)
{
	char prefix[ERR_MSG_MAX], joined[2 * ERR_MSG_MAX + 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	snprintf(joined, sizeof(joined), "%s: %s", prefix, e->msg);
	memcpy(e->msg, joined, sizeof(e->msg) - 1);	/* truncate if need be */
	e->msg[sizeof(e->msg) - 1] = '\0';
}

void
err_quote(char *buf, size_t n, const char *text, size_t len)
{
	static const char ellipsis[] = "...";
	size_t o = 0, i;

	if (n == 0)
		return;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		int need = (c >= 0x20 && c < 0x7f) ? 1 : 4;

		if (o + need + sizeof(ellipsis) > n) {
			memcpy(buf + o, ellipsis, sizeof(ellipsis));
			return;
		}
		if (need == 1)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", c);
	}
	buf[o] = '\0';
}

int
err_report(const struct err *e)
{
	fprintf(stderr, "mailout: %s\n", e->msg);
	if (e->code == EX_USAGE)
		fprintf(stderr, "Try 'mailout --help' for more information.\n");
	return e->code;
}
