/*
 * alert.h — alert_command (mailout.conf(5)): telling a person, by a way
 * that does not travel by mail, that mail is not going out. The command
 * runs through the runner of password_command (lib/secret.h) with one
 * JSON object on stdin:
 *
 *   {"kind":"auth","time":"2026-12-07T10:15:00Z","id":null,
 *    "sender":"me@example.org","recipients":["a@example.org"],
 *    "reply":"535 5.7.8 ...","text":"..."}
 *
 * It runs at most once per kind per hour: the time of the last alert of
 * each kind is kept in a small file in the queue directory (.alerts).
 * Its failure is a warning on stderr and in the log, never an error.
 */
#ifndef MAILOUT_ALERT_H
#define MAILOUT_ALERT_H

#include <stddef.h>
#include <time.h>

#include "config/settings.h"
#include "message/notice.h"
#include "queue/queue.h"
#include "smtp/outcome.h"

#define ALERT_RCPTS_MAX 100	/* listed in the JSON; the rest counted */
#define ALERT_INTERVAL 3600	/* seconds between two of a kind */

enum alert_kind {
	ALERT_GIVEN_UP,		/* expired, refused at a flush, --bounce */
	ALERT_AUTH,		/* authentication failed */
	ALERT_TLS,		/* TLS could not be set up or verified */
	ALERT_QUEUE_AGE,	/* the oldest entry is past health_warn_age */
};

struct alert {
	enum alert_kind kind;
	const char *id;			/* the queue entry, or NULL */
	const char *sender;		/* NULL: none */
	const char *rcpts[ALERT_RCPTS_MAX];
	size_t nrcpts;			/* listed */
	size_t more;			/* not listed */
	const char *reply;		/* the server's last word, or NULL */
	char text[512];			/* one line for people */
};

/* An alert of kind about the message of sender (NULL: none); add the
 * recipients with alert_add_rcpt, then alert_raise. */
void alert_init(struct alert *a, enum alert_kind kind, const char *id,
    const char *sender);
void alert_add_rcpt(struct alert *a, const char *addr);

/* The alert for an AUTH or TLS failure in o; false for any other
 * outcome. */
bool alert_of_outcome(struct alert *a, const struct outcome *o,
    const char *id, const char *sender, const char *server);

/* Recipients of qe given up at a flush (gone, n of them), and why. */
void alert_given_up(const struct settings *st, struct queue *q,
    const struct queue_entry *qe, const struct notice_rcpt *gone, size_t n,
    enum notice_reason why);

/* The oldest entry a flush left, when it has waited past
 * health_warn_age. */
void alert_queue_age(const struct settings *st, struct queue *q,
    const struct queue_entry *oldest, time_t now);

/* Run st's alert_command, unless none is set or one of this kind ran
 * less than ALERT_INTERVAL ago in q (NULL: st's queue, opened here). */
void alert_raise(const struct settings *st, struct queue *q,
    const struct alert *a);

#endif
