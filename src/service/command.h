/*
 * command.h — one command line of the server side of a session (the
 * mailout service, service/server.h): the verb, the path of MAIL and
 * RCPT (RFC 5321 4.1.2), their parameters, or the argument of the rest.
 * Pure and bounded: no I/O, no allocation; a line that is not a valid
 * command gets the reply to send for it (500, 501, 502, 553, 555).
 * The parser is fuzzed (tests/fuzz/service.c).
 */
#ifndef MAILOUT_COMMAND_H
#define MAILOUT_COMMAND_H

#include <stddef.h>

#include "message/addr.h"

/* RFC 5321 4.5.3.1.4 says 512 octets; SMTPUTF8 addresses and the DSN
 * parameters of RFC 3461 need more. */
#define COMMAND_LINE_MAX 1000
#define COMMAND_PARAMS_MAX 8
#define COMMAND_PARAM_NAME_MAX 20
#define SERVICE_TEXT_MAX 512	/* a reply line's text */

enum verb {
	VERB_UNKNOWN,
	VERB_HELO, VERB_EHLO, VERB_LHLO,
	VERB_MAIL, VERB_RCPT, VERB_DATA,
	VERB_RSET, VERB_NOOP, VERB_QUIT, VERB_VRFY,
	VERB_XFLUSH,		/* mailout -q through the service */
	VERB_XQUEUE,		/* mailq through the service */
	VERB_XOP,		/* --remove, --hold ... through the service */
	VERB_XHEALTH,		/* --health through the service */
	VERB_UNSUPPORTED,	/* known, not offered: STARTTLS, AUTH, BDAT... */
};

struct command_param {
	char name[COMMAND_PARAM_NAME_MAX + 1];	/* upper case */
	const char *value;	/* into command.line; NULL without "=" */
};

struct command {
	enum verb verb;
	char line[COMMAND_LINE_MAX + 1];	/* a copy, cut into pieces */
	const char *arg;	/* the text after the verb, "" if none */
	char path[ADDR_MAX + 1];	/* MAIL, RCPT: without <>; "" = <> */
	struct command_param params[COMMAND_PARAMS_MAX];
	int nparams;
};

/* A reply of the server: "250 2.1.0 text". */
struct service_reply {
	int code;
	char enhanced[16];	/* "" for none */
	char text[SERVICE_TEXT_MAX];
};

void service_reply_set(struct service_reply *r, int code,
    const char *enhanced, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Parse line[0..len) (no CRLF). Returns 0, or -1 with the error reply
 * in r. */
int command_parse(const char *line, size_t len, struct command *c,
    struct service_reply *r);

/* The parameter called name (upper case), or NULL. */
const struct command_param *command_param(const struct command *c,
    const char *name);

/* The name of a verb, for the transcript and messages. */
const char *verb_name(enum verb v);

#endif
