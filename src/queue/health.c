/* health.c — --health: queue figures, a verdict, two formats. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/when.h"
#include "queue/health.h"

static const char *const status_words[] = {
	"OK", "WARNING", "CRITICAL", "UNKNOWN",
};

/* One line of text must not break the plugin's output: "|" starts the
 * performance data, so it becomes "/". */
static void
plain_copy(char *buf, size_t n, const char *s)
{
	snprintf(buf, n, "%s", s);
	for (; *buf != '\0'; buf++)
		if (*buf == '|' || *buf == '\n' || *buf == '\r')
			*buf = '/';
}

static void
count_failing(struct health *h, const char *id, const char *why)
{
	if (h->failing++ > 0)
		return;
	snprintf(h->failing_id, sizeof(h->failing_id), "%s", id);
	plain_copy(h->failing_why, sizeof(h->failing_why), why);
}

static void
count_entry(struct health *h, const struct queue_entry *qe, time_t now)
{
	h->queued++;
	if (qe->held) {
		h->held++;
		return;
	}
	if (h->oldest < now - qe->created)
		h->oldest = now - qe->created;
	if (qe->error_kind == FAILURE_PERMANENT ||
	    qe->error_kind == FAILURE_AUTH || qe->error_kind == FAILURE_TLS)
		count_failing(h, qe->id, qe->last_error ? qe->last_error : "");
}

int
health_measure(const struct settings *st, uid_t actor, struct health *h,
    struct err *e)
{
	struct queue q;
	time_t now = time(NULL);
	char **ids;
	size_t i;
	int rc;

	memset(h, 0, sizeof(*h));
	h->oldest = -1;
	if ((rc = queue_open_existing(&q, st, e)) < 0)
		return -1;
	snprintf(h->dir, sizeof(h->dir), "%s", q.dir);
	if (rc > 0)
		return 0;	/* never used: empty */
	if (queue_ids(&q, &ids, e) < 0) {
		queue_close(&q);
		return -1;
	}
	for (i = 0; ids[i] != NULL; i++) {
		struct queue_entry qe;
		struct err le = { 0, "" };

		if (queue_load(&q, ids[i], &qe, &le) < 0)
			count_failing(h, ids[i], le.msg);
		else if (queue_may_act(&qe, actor))
			count_entry(h, &qe, now);
		queue_entry_free(&qe);
	}
	h->last_delivery = queue_last_delivery(&q);
	queue_ids_free(ids);
	queue_close(&q);
	return 0;
}

enum health_status
health_verdict(const struct health *h, const struct settings *st)
{
	if (h->failing > 0 || h->oldest >= st->health_crit_age)
		return HEALTH_CRITICAL;
	if (h->oldest >= st->health_warn_age)
		return HEALTH_WARNING;
	return HEALTH_OK;
}

/* "MAILOUT WARNING - 3 queued (1 held), oldest 2h, 0 failing, last
 * delivery 5m ago | queued=3;;;0 ..." */
static void
print_plugin(FILE *out, const struct health *h, const struct settings *st,
    enum health_status s)
{
	char oldest[16], last[16];
	time_t now = time(NULL);

	when_age(oldest, sizeof(oldest), h->oldest);
	when_age(last, sizeof(last), (long long)(now - h->last_delivery));
	fprintf(out, "MAILOUT %s - %zu queued", status_words[s], h->queued);
	if (h->held > 0)
		fprintf(out, " (%zu held)", h->held);
	if (h->oldest >= 0)
		fprintf(out, ", oldest %s", oldest);
	fprintf(out, ", %zu failing", h->failing);
	if (h->failing > 0)
		fprintf(out, " (%s: %s)", h->failing_id, h->failing_why);
	if (h->last_delivery != 0)
		fprintf(out, ", last delivery %s ago", last);
	else
		fputs(", no delivery yet", out);
	fprintf(out, " | queued=%zu;;;0 held=%zu;;;0 failing=%zu;;0;0 "
	    "oldest=%llds;%ld;%ld;0", h->queued, h->held, h->failing,
	    h->oldest < 0 ? 0 : h->oldest, st->health_warn_age,
	    st->health_crit_age);
	if (h->last_delivery != 0)
		fprintf(out, " last_delivery=%llds;;;0\n",
		    (long long)(now - h->last_delivery));
	else
		fputs(" last_delivery=U\n", out);
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void
print_label(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void
print_metric(FILE *out, const struct health *h, const char *name,
    const char *help, long long value)
{
	fprintf(out, "# HELP mailout_%s %s\n# TYPE mailout_%s gauge\n"
	    "mailout_%s{queue=", name, help, name, name);
	print_label(out, h->dir);
	fprintf(out, "} %lld\n", value);
}

static void
print_prometheus(FILE *out, const struct health *h, enum health_status s)
{
	print_metric(out, h, "queue_messages", "Messages in the mailout "
	    "queue, held ones too.", (long long)h->queued);
	print_metric(out, h, "queue_held_messages", "Messages held by "
	    "mailout --hold.", (long long)h->held);
	print_metric(out, h, "queue_failing_messages", "Messages whose last "
	    "error needs a person: permanent, AUTH or TLS, or unreadable.",
	    (long long)h->failing);
	print_metric(out, h, "queue_oldest_age_seconds", "How long the "
	    "oldest message not held has waited (0: none).",
	    h->oldest < 0 ? 0 : h->oldest);
	print_metric(out, h, "last_delivery_timestamp_seconds", "When "
	    "mailout last delivered a message, in Unix time (0: never).",
	    (long long)h->last_delivery);
	print_metric(out, h, "health_status", "The verdict of mailout "
	    "--health: 0 OK, 1 warning, 2 critical.", (long long)s);
}

int
health_check(const struct settings *st, uid_t actor, bool prometheus,
    FILE *out)
{
	struct health h;
	struct err e = { 0, "" };
	enum health_status s;

	if (health_measure(st, actor, &h, &e) < 0)
		return health_unknown(&e, prometheus, out);
	s = health_verdict(&h, st);
	if (prometheus) {
		print_prometheus(out, &h, s);
		return EX_OK;
	}
	print_plugin(out, &h, st, s);
	return (int)s;
}

int
health_unknown(const struct err *e, bool prometheus, FILE *out)
{
	char why[ERR_MSG_MAX];

	if (prometheus)
		return err_report(e);
	plain_copy(why, sizeof(why), e->msg);
	fprintf(out, "MAILOUT UNKNOWN - %s\n", why);
	return HEALTH_UNKNOWN;
}
