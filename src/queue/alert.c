/* alert.c — alert_command: the event as JSON, once per kind per hour. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "lib/secret.h"
#include "lib/trace.h"
#include "lib/when.h"
#include "queue/alert.h"
#include "report/maillog.h"
#include "report/report.h"

#define STATE_FILE ".alerts"
#define STATE_MAX 1024

static const char *const kind_keys[] = {
	[ALERT_GIVEN_UP] = "given_up",
	[ALERT_AUTH] = "auth",
	[ALERT_TLS] = "tls",
	[ALERT_QUEUE_AGE] = "queue_age",
};

void
alert_init(struct alert *a, enum alert_kind kind, const char *id,
    const char *sender)
{
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->id = id;
	a->sender = sender;
}

void
alert_add_rcpt(struct alert *a, const char *addr)
{
	if (a->nrcpts < ALERT_RCPTS_MAX)
		a->rcpts[a->nrcpts++] = addr;
	else
		a->more++;
}

void
alert_given_up(const struct settings *st, struct queue *q,
    const struct queue_entry *qe, const struct notice_rcpt *gone, size_t n,
    enum notice_reason why)
{
	static const char *const words[] = {
		[NOTICE_REFUSED] = "refused by the server",
		[NOTICE_EXPIRED] = "expired after queue_lifetime",
		[NOTICE_BOUNCED] = "bounced (mailout --bounce)",
	};
	struct alert a;
	size_t i;

	alert_init(&a, ALERT_GIVEN_UP, qe->id, qe->env.sender);
	for (i = 0; i < n; i++)
		alert_add_rcpt(&a, gone[i].addr);
	a.reply = n > 0 && gone[0].reply[0] != '\0' ? gone[0].reply : NULL;
	snprintf(a.text, sizeof(a.text), "%zu recipient%s given up: %s; %s",
	    n, n == 1 ? "" : "s", words[why], qe->env.sender[0] != '\0' ?
	    "the sender gets a failure notice" : "no notice (null sender)");
	alert_raise(st, q, &a);
}

void
alert_queue_age(const struct settings *st, struct queue *q,
    const struct queue_entry *oldest, time_t now)
{
	long long age = (long long)(now - oldest->created);
	char waited[16], limit[16];
	struct alert a;
	size_t i;

	if (age < st->health_warn_age)
		return;
	alert_init(&a, ALERT_QUEUE_AGE, oldest->id, oldest->env.sender);
	for (i = 0; i < oldest->env.rcpts.n; i++)
		alert_add_rcpt(&a, oldest->env.rcpts.v[i]);
	a.reply = oldest->last_error;
	when_age(waited, sizeof(waited), age);
	when_age(limit, sizeof(limit), st->health_warn_age);
	snprintf(a.text, sizeof(a.text), "the oldest message in the queue "
	    "%.300s has waited %s (health_warn_age %s)", q->dir, waited, limit);
	alert_raise(st, q, &a);
}

bool
alert_of_outcome(struct alert *a, const struct outcome *o, const char *id,
    const char *sender, const char *server)
{
	enum failure_kind k = outcome_failure(o);
	size_t i;

	if (k != FAILURE_AUTH && k != FAILURE_TLS)
		return false;
	alert_init(a, k == FAILURE_AUTH ? ALERT_AUTH : ALERT_TLS, id, sender);
	for (i = 0; i < o->n; i++)
		alert_add_rcpt(a, o->rcpts[i].addr);
	a->reply = o->session.msg;
	snprintf(a->text, sizeof(a->text), "%s with %s failed: mail through "
	    "it is not going out", k == FAILURE_AUTH ? "authentication" :
	    "TLS", server);
	return true;
}

/* Append line and a newline to buf (size cap) when they fit. */
static void
append_line(char *buf, size_t cap, size_t *len, const char *line)
{
	size_t n = strlen(line);

	if (*len + n + 1 >= cap)
		return;
	memcpy(buf + *len, line, n);
	buf[*len + n] = '\n';
	*len += n + 1;
}

/*
 * Whether an alert of this kind may run now, none having run in the
 * last ALERT_INTERVAL; if so it is written down before it runs, so even
 * a failing command runs once an hour. The file holds "kind time"
 * lines. When it cannot be kept the alert runs: a repeat is better
 * than silence.
 */
static bool
alert_due(struct queue *q, const char *kind, time_t now)
{
	char text[STATE_MAX + 1], kept[STATE_MAX], mine[64], *line, *next;
	size_t len = 0, klen = strlen(kind);
	bool due = true;
	ssize_t n;
	int fd = openat(q->dirfd, STATE_FILE, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);

	if (fd < 0 || flock(fd, LOCK_EX) < 0 ||
	    (n = pread(fd, text, STATE_MAX, 0)) < 0) {
		if (fd >= 0)
			close(fd);
		return true;
	}
	text[n] = '\0';
	for (line = text; *line != '\0'; line = next) {
		next = line + strcspn(line, "\n");
		if (*next != '\0')
			*next++ = '\0';
		if (*line == '\0')
			continue;
		if (strncmp(line, kind, klen) == 0 && line[klen] == ' ') {
			long long t = strtoll(line + klen + 1, NULL, 10);

			due = now - t >= ALERT_INTERVAL || t > now;
			if (due)
				continue;
		}
		append_line(kept, sizeof(kept), &len, line);
	}
	if (due) {
		snprintf(mine, sizeof(mine), "%s %lld", kind, (long long)now);
		append_line(kept, sizeof(kept), &len, mine);
		if (ftruncate(fd, 0) < 0 || pwrite(fd, kept, len, 0) < 0)
			trace_note("cannot write %s/%s", q->dir, STATE_FILE);
	}
	close(fd);
	return due;
}

static void
json_or_null(FILE *f, const char *key, const char *value)
{
	fprintf(f, ",\"%s\":", key);
	json_string_or_null(f, value);
}

/* The event as one JSON object and a newline. */
static char *
alert_json(const struct alert *a, time_t now, size_t *len)
{
	char when[32], *text = NULL;
	size_t i;
	FILE *f = open_memstream(&text, len);

	if (f == NULL)
		return NULL;
	when_utc(when, sizeof(when), now);
	fprintf(f, "{\"kind\":\"%s\",\"time\":\"%s\"", kind_keys[a->kind],
	    when);
	json_or_null(f, "id", a->id);
	json_or_null(f, "sender", a->sender);
	fputs(",\"recipients\":[", f);
	for (i = 0; i < a->nrcpts; i++) {
		if (i > 0)
			fputc(',', f);
		json_string(f, a->rcpts[i]);
	}
	fputc(']', f);
	if (a->more > 0)
		fprintf(f, ",\"more_recipients\":%zu", a->more);
	json_or_null(f, "reply", a->reply);
	json_or_null(f, "text", a->text);
	fputs("}\n", f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static void
run_alert(const struct settings *st, const struct alert *a, time_t now)
{
	struct err e = { 0, "" };
	size_t len = 0;
	char *json = alert_json(a, now, &len);

	if (json == NULL)
		err_set(&e, EX_SOFTWARE, "alert_command: out of memory");
	else
		command_feed("alert_command", st->alert_command, json, len,
		    st->timeout, &e);
	free(json);
	if (e.code != 0) {
		fprintf(stderr, "mailout: warning: %s\n", e.msg);
		maillog_note(st, "warning: %s", e.msg);
	}
}

void
alert_raise(const struct settings *st, struct queue *q,
    const struct alert *a)
{
	struct queue own = { .dirfd = -1 };
	struct err e = { 0, "" };
	time_t now = time(NULL);

	if (st->alert_command == NULL)
		return;
	if (q == NULL && queue_open(&own, st, &e) == 0)
		q = &own;
	if (q != NULL && !alert_due(q, kind_keys[a->kind], now))
		trace_note("alert_command not run: a %s alert ran less than "
		    "an hour ago", kind_keys[a->kind]);
	else
		run_alert(st, a, now);
	queue_close(&own);
}
