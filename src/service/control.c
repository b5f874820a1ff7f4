/* control.c — the service's own commands: -q, mailq, the queue operations
 * and --health through the service. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "queue/flush.h"
#include "queue/health.h"
#include "queue/mailq.h"
#include "queue/ops.h"
#include "service/control.h"
#include "service/submit.h"

/* An entry a flush gave up on (refused, expired) or could not send: a
 * reply line to the client, as a flush says it ("ID: <rcpt>: refused:
 * 550 ..."); the rest it learns from the summary. */
static void
told(void *arg, const struct flush_report *r)
{
	struct server *s = arg;
	/* room for all three, so gcc's -Wformat-truncation has no case;
	 * then cut to a reply line's bound */
	char line[SERVICE_TEXT_MAX + sizeof(r->rcpts) + sizeof(r->detail)];

	if (r->refused == 0 && r->given_up == 0)
		return;
	snprintf(line, sizeof(line), "%s: %s: %s", r->id, r->rcpts, r->detail);
	line[SERVICE_TEXT_MAX - 1] = '\0';
	server_reply_line(s, 250, false, "", line);
	server_flush(s);
}

/* mailout -q through the service: the caller's entries now, ignoring
 * their backoff, each locked while it is sent, beside the service's own
 * flush and relays. */
static void
control_xflush(struct server *s, const struct command *c)
{
	struct submission *sub = s->ctx;
	size_t n[FLUSH_RESULTS];
	struct flush_request fr = { &sub->sv->rq, FLUSH_NOW, NULL,
	    (uid_t)sub->caller.uid, told, s, true, sub->sv->stop };
	struct service_reply r;
	struct err e = { 0, "" };

	(void)c;
	if (flush_run(&sub->sv->st, &fr, n, &e) < 0)
		service_reply_set(&r, 451, "4.3.0", "Cannot flush the queue: %s",
		    e.msg);
	else
		service_reply_set(&r, 250, "2.0.0", "Flushed: %zu sent, %zu "
		    "deferred, %zu given up, %zu held, %zu busy", n[FLUSH_SENT],
		    n[FLUSH_DEFERRED], n[FLUSH_GAVE_UP], n[FLUSH_HELD],
		    n[FLUSH_BUSY]);
	server_reply(s, &r);
}

static ssize_t
write_text(void *cookie, const char *buf, size_t len)
{
	return server_text(cookie, buf, len) < 0 ? -1 : (ssize_t)len;
}

/* The client's text after a 250 reply, up to ".", as a stdio stream. */
static FILE *
open_text(struct server *s)
{
	cookie_io_functions_t io = { NULL, write_text, NULL, NULL };
	struct service_reply r;
	FILE *f = fopencookie(s, "w", io);

	if (f == NULL) {
		service_reply_set(&r, 451, "4.3.0", "Out of memory");
		server_reply(s, &r);
	}
	return f;
}

static void
close_text(struct server *s, FILE *f)
{
	fclose(f);
	server_text_end(s);
}

/* mailq through the service: the caller's entries (root: all, with
 * their owners), as a text after the reply. */
static void
control_xqueue(struct server *s, const struct command *c)
{
	struct submission *sub = s->ctx;
	bool json = strcasecmp(c->arg, "JSON") == 0;
	struct service_reply r;
	struct err e;
	FILE *f;

	if ((f = open_text(s)) == NULL)
		return;
	service_reply_set(&r, 250, "2.0.0", "The queue follows, up to \".\"");
	server_reply(s, &r);
	if (mailq_list(&sub->sv->st, json, (uid_t)sub->caller.uid, f, &e) < 0)
		fprintf(f, "mailout: %s\n", e.msg);
	close_text(s, f);
}

/* --health through the service: the figures of the caller's entries
 * (root: all) as a text after the reply, whose first word after the
 * enhanced code is the plugin's exit status. */
static void
control_xhealth(struct server *s, const struct command *c)
{
	struct submission *sub = s->ctx;
	bool prometheus = strcasecmp(c->arg, "PROMETHEUS") == 0;
	char *text = NULL;
	size_t len = 0;
	struct service_reply r;
	FILE *mem, *f;
	int status;

	if ((mem = open_memstream(&text, &len)) == NULL) {
		service_reply_set(&r, 451, "4.3.0", "Out of memory");
		server_reply(s, &r);
		return;
	}
	status = health_check(&sub->sv->st, (uid_t)sub->caller.uid,
	    prometheus, mem);
	fclose(mem);
	if ((f = open_text(s)) != NULL) {
		service_reply_set(&r, 250, "2.0.0", "%d: the health follows, "
		    "up to \".\"", status);
		server_reply(s, &r);
		fputs(text, f);
		close_text(s, f);
	}
	free(text);
}

/* The words of an XOP line (the operation, then IDs): up to max of
 * them, in place. */
static size_t
split_words(char *list, char **words, size_t max)
{
	size_t n = 0;
	char *w, *save = NULL;

	for (w = strtok_r(list, " ", &save); w != NULL && n < max;
	    w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	return n;
}

/* One result a line: "250-CODE ID: what became of it". */
static void
reply_results(struct server *s, const struct queue_op_result *res, size_t n)
{
	char line[SERVICE_TEXT_MAX];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%d %s: %s", res[i].code,
		    res[i].id, res[i].msg);
		server_reply_line(s, 250, false, "", line);
	}
}

/* --remove, --bounce, --hold, --release, --send through the service:
 * "XOP OP ID...", on the caller's entries only (root: all): another
 * user's entry is an unknown one. */
static void
control_xop(struct server *s, const struct command *c)
{
	struct submission *sub = s->ctx;
	char list[COMMAND_LINE_MAX + 1], *words[COMMAND_LINE_MAX / 2 + 1];
	struct queue_op_request qr = { QUEUE_OP_NONE, words + 1, 0,
	    (uid_t)sub->caller.uid, &sub->sv->rq };
	struct queue_op_result res[COMMAND_LINE_MAX / 2];
	struct service_reply r;
	struct err e = { 0, "" };
	size_t n;

	snprintf(list, sizeof(list), "%s", c->arg);
	if ((n = split_words(list, words, nitems(words))) > 0) {
		qr.op = queue_op_lookup(words[0]);
		qr.nids = n - 1;
	}
	if (qr.op == QUEUE_OP_NONE || qr.nids == 0) {
		service_reply_set(&r, 501, "5.5.4", "Syntax: XOP remove|bounce|"
		    "hold|release|send ID...");
	} else if (queue_op_run(&sub->sv->st, &qr, res, &e) < 0) {
		service_reply_set(&r, 451, "4.3.0", "%s", e.msg);
	} else {
		reply_results(s, res, qr.nids);
		service_reply_set(&r, 250, "2.0.0", "Done");
	}
	server_reply(s, &r);
}

void
control_run(struct server *s, const struct command *c)
{
	switch (c->verb) {
	case VERB_XFLUSH:
		control_xflush(s, c);
		break;
	case VERB_XQUEUE:
		control_xqueue(s, c);
		break;
	case VERB_XOP:
		control_xop(s, c);
		break;
	default:
		control_xhealth(s, c);
		break;
	}
}
