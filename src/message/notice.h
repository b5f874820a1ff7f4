/*
 * notice.h — the failure notice a flush sends to the sender when it gives
 * up on recipients (refused, queue_lifetime expired, or --bounce): a
 * delivery status notification (RFC 3464, multipart/report) with the
 * original header.
 */
#ifndef MAILOUT_NOTICE_H
#define MAILOUT_NOTICE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lib/err.h"
#include "message/source.h"

/* Why the recipients were given up. */
enum notice_reason {
	NOTICE_REFUSED,			/* their server refused them */
	NOTICE_EXPIRED,			/* queue_lifetime ran out */
	NOTICE_BOUNCED,			/* mailout --bounce */
};

struct notice_rcpt {
	const char *addr;
	const char *reply;	/* the server's last word, "" if none */
	const char *enhanced;	/* its enhanced status code, "" if none */
};

struct notice {
	const char *sender;		/* who gets the notice */
	const char *domain;		/* for MAILER-DAEMON and Message-ID */
	const char *queue_id;
	time_t arrival;
	enum notice_reason reason;
	const struct notice_rcpt *rcpts;
	size_t n;
	struct message_source *original;	/* its header is quoted */
};

/* The notice as message text in *src (owned by src; message_close). */
int notice_build(const struct notice *n, struct message_source *src,
    struct err *e);

#endif
