/*
 * err.h — the one error value that travels up from every module.
 *
 * Functions that can fail return 0 on success or -1 after filling a
 * struct err; only main() turns err.code (a sysexits value) into an exit.
 */
#ifndef MAILOUT_ERR_H
#define MAILOUT_ERR_H

#include <sysexits.h>

#define ERR_MSG_MAX 512

struct err {
	int code;		/* EX_* from sysexits.h; 0 when no error */
	char msg[ERR_MSG_MAX];	/* one line, no trailing newline */
};

/* Record an error and return -1, so callers can write `return err_set(...)`. */
int err_set(struct err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the message already in e with more context ("while X: ..."). */
void err_prefix(struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The fatal error on stderr ("mailout: ..."), with a pointer to --help
 * for a usage error; returns e->code, the exit status. For main and the
 * actions it runs. */
int err_report(const struct err *e);

/* Copy text into buf (size n) with control and 8-bit bytes shown as \xHH,
 * truncated with "..." so a hostile peer cannot mess up a terminal or log. */
void err_quote(char *buf, size_t n, const char *text, size_t len);

#endif
