/* mailq.c — listing the queue. */
#include <stdio.h>
#include <time.h>

#include "mailq.h"
#include "queue.h"

/* "42s", "5m", "3h", "2d": enough to see what is stuck. */
static void
format_age(char *buf, size_t n, long long seconds)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds < 60)
		snprintf(buf, n, "%llds", seconds);
	else if (seconds < 3600)
		snprintf(buf, n, "%lldm", seconds / 60);
	else if (seconds < 86400)
		snprintf(buf, n, "%lldh", seconds / 3600);
	else
		snprintf(buf, n, "%lldd", seconds / 86400);
}

static void
print_entry(FILE *out, const struct queue_entry *qe, time_t now)
{
	char age[32], next[32];
	size_t i;

	format_age(age, sizeof(age), (long long)(now - qe->created));
	fprintf(out, "%s  %6s  %10lld  <%s>\n", qe->id, age, qe->size,
	    qe->env.sender);
	for (i = 0; i < qe->env.rcpts.n; i++)
		fprintf(out, "    <%s>\n", qe->env.rcpts.v[i]);
	if (qe->last_error != NULL) {
		format_age(next, sizeof(next), (long long)(qe->next_try - now));
		fprintf(out, "    attempts: %d, next in %s; last error: %s\n",
		    qe->attempts, next, qe->last_error);
	}
}

int
mailq_list(const struct settings *st, FILE *out, struct err *e)
{
	struct queue q;
	char **ids;
	time_t now = time(NULL);
	long long total = 0;
	size_t i, n = 0;
	int rc;

	/* Listing changes nothing: a queue never used stays uncreated. */
	if ((rc = queue_open_existing(&q, st, e)) != 0) {
		if (rc > 0)
			fprintf(out, "Mail queue is empty\n");
		return rc < 0 ? -1 : 0;
	}
	if (queue_ids(&q, &ids, e) < 0) {
		queue_close(&q);
		return -1;
	}
	for (i = 0; ids[i] != NULL; i++) {
		struct queue_entry qe;
		struct err le = { 0, "" };

		if (queue_load(&q, ids[i], &qe, &le) < 0) {
			fprintf(stderr, "mailout: %s\n", le.msg);
		} else {
			if (n++ == 0)
				fprintf(out, "%-25s  %6s  %10s  %s\n", "id", "age",
				    "size", "sender / recipients");
			print_entry(out, &qe, now);
			total += qe.size;
		}
		queue_entry_free(&qe);
	}
	if (n == 0)
		fprintf(out, "Mail queue is empty\n");
	else
		fprintf(out, "-- %zu message%s, %lld octets, in %s\n", n,
		    n == 1 ? "" : "s", total, q.dir);
	queue_ids_free(ids);
	queue_close(&q);
	return 0;
}
