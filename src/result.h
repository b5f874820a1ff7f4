/*
 * result.h — what happened to each recipient, and to the session.
 * Filled by submit.c, read by report.c and main.c.
 */
#ifndef MAILOUT_RESULT_H
#define MAILOUT_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "reply.h"

enum stage {
	STAGE_CONNECT, STAGE_TLS, STAGE_GREETING, STAGE_HELLO, STAGE_AUTH,
	STAGE_MAIL,
	STAGE_RCPT, STAGE_DATA, STAGE_QUIT,
};

const char *stage_name(enum stage s);

enum rcpt_state {
	RCPT_PENDING,		/* not decided: the session ended first */
	RCPT_ACCEPTED,		/* the server took responsibility */
	RCPT_REFUSED,		/* 5xx: permanent */
	RCPT_DEFERRED,		/* 4xx: try again later */
};


struct rcpt_result {
	const char *addr;
	enum rcpt_state state;
	bool rcpt_ok;		/* RCPT got 2xx: this one is in the transaction */
	bool tried;		/* it was in a transaction */
	bool retry;		/* 452 too many recipients: in the next one */
	enum stage stage;	/* where state was decided */
	int code;		/* the deciding reply code, 0 if none */
	char reply[REPLY_ONELINE_MAX];	/* that reply on one line */
};

struct outcome {
	struct rcpt_result *rcpts;
	size_t n;
	struct err session;	/* what ended the session early; code 0 if nothing */
	enum stage session_stage;
};

#endif
