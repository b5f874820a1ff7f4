/* mailq.c — listing the queue, as text or JSON. */
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/when.h"
#include "queue/mailq.h"
#include "queue/queue.h"
#include "report/report.h"

static void
print_entry(FILE *out, const struct queue_entry *qe, time_t now)
{
	char age[32], next[32];
	size_t i;

	when_age(age, sizeof(age), (long long)(now - qe->created));
	fprintf(out, "%s  %6s  %10lld  <%s>\n", qe->id, age, qe->size,
	    qe->env.sender);
	for (i = 0; i < qe->env.rcpts.n; i++) {
		const char *reply = qe->replies[i];

		fprintf(out, "    <%s>\n", qe->env.rcpts.v[i]);
		/* its own reply, when the last error below does not say it */
		if (reply != NULL && (qe->last_error == NULL ||
		    strcmp(reply, qe->last_error) != 0))
			fprintf(out, "      %s\n", reply);
	}
	if (qe->caller.known)	/* who gave it to the mailout service */
		fprintf(out, "    owner: %s (uid %lld, pid %lld)\n",
		    qe->caller.name, qe->caller.uid, qe->caller.pid);
	when_age(next, sizeof(next), (long long)(qe->next_try - now));
	if (qe->held)
		fprintf(out, "    held (mailout --release %s)%s%s\n", qe->id,
		    qe->last_error ? "; last error: " : "",
		    qe->last_error ? qe->last_error : "");
	else if (qe->last_error != NULL)
		fprintf(out, "    attempts: %d, next in %s; last error: %s\n",
		    qe->attempts, next, qe->last_error);
}

static void
json_time(FILE *out, time_t t)
{
	char when[32];

	when_utc(when, sizeof(when), t);
	fprintf(out, "\"%s\"", when);
}

/* The user name of the entry's owner, else the number. */
static void
json_owner(FILE *out, uid_t uid)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		json_string(out, pw->pw_name);
	else
		fprintf(out, "\"%lu\"", (unsigned long)uid);
}

static void
json_entry(FILE *out, const struct queue_entry *qe)
{
	size_t i;

	fputs("{\"id\":", out);
	json_string(out, qe->id);
	fputs(",\"owner\":", out);
	json_owner(out, qe->owner);
	fputs(",\"queued_at\":", out);
	json_time(out, qe->created);
	fprintf(out, ",\"size\":%lld,\"sender\":", qe->size);
	json_string(out, qe->env.sender);
	fputs(",\"recipients\":[", out);
	for (i = 0; i < qe->env.rcpts.n; i++) {
		fputs(i > 0 ? ",{\"address\":" : "{\"address\":", out);
		json_string(out, qe->env.rcpts.v[i]);
		fprintf(out, ",\"status\":\"%s\",\"attempts\":%d,"
		    "\"last_reply\":", qe->attempts > 0 ? "deferred" :
		    "pending", qe->attempts);
		json_string_or_null(out, qe->replies[i] ? qe->replies[i] :
		    qe->last_error);
		fputc('}', out);
	}
	fputs("],\"next_try\":", out);
	json_time(out, qe->next_try);
	fputs(",\"last_error\":", out);
	json_string_or_null(out, qe->last_error);
	fprintf(out, ",\"held\":%s}", qe->held ? "true" : "false");
}

/* The n-th entry listed (from 0), as text or JSON. */
static void
list_one(FILE *out, const struct queue_entry *qe, bool json, size_t n,
    time_t now)
{
	if (json) {
		fputs(n > 0 ? ",\n" : "\n", out);
		json_entry(out, qe);
		return;
	}
	if (n == 0)
		fprintf(out, "%-25s  %6s  %10s  %s\n", "id", "age", "size",
		    "sender / recipients");
	print_entry(out, qe, now);
}

/* Each entry of the actor's that can be read, in order (another user's
 * gets not a word); what cannot be read is said on stderr. Returns how
 * many, and their octets in *total. */
static size_t
list_entries(struct queue *q, bool json, uid_t actor, FILE *out,
    long long *total, struct err *e)
{
	time_t now = time(NULL);
	char **ids;
	size_t i, n = 0;

	if (queue_ids(q, &ids, e) < 0)
		return (size_t)-1;
	for (i = 0; ids[i] != NULL; i++) {
		struct queue_entry qe;
		struct err le = { 0, "" };

		if (queue_load(q, ids[i], &qe, &le) < 0) {
			fprintf(stderr, "mailout: %s\n", le.msg);
		} else if (queue_may_act(&qe, actor)) {
			list_one(out, &qe, json, n++, now);
			*total += qe.size;
		}
		queue_entry_free(&qe);
	}
	queue_ids_free(ids);
	return n;
}

int
mailq_list(const struct settings *st, bool json, uid_t actor, FILE *out,
    struct err *e)
{
	struct queue q;
	long long total = 0;
	size_t n = 0;
	int rc;

	/* Listing changes nothing: a queue never used stays uncreated. */
	if ((rc = queue_open_existing(&q, st, e)) < 0)
		return -1;
	if (json)
		fputc('[', out);
	if (rc == 0 && (n = list_entries(&q, json, actor, out, &total, e)) ==
	    (size_t)-1) {
		queue_close(&q);
		return -1;
	}
	if (json)
		fputs(n > 0 ? "\n]\n" : "]\n", out);
	else if (n == 0)
		fprintf(out, "Mail queue is empty\n");
	else
		fprintf(out, "-- %zu message%s, %lld octets, in %s\n", n,
		    n == 1 ? "" : "s", total, q.dir);
	queue_close(&q);
	return 0;
}
