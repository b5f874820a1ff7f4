/* control.c — XFLUSH and XQUEUE: mailout -q and mailq through the service. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "queue/flush.h"
#include "queue/mailq.h"
#include "service/control.h"
#include "service/submit.h"

/* An entry a flush gave up on (refused, expired) or could not send: a
 * reply line to the client, as a flush says it ("ID: <rcpt>: refused:
 * 550 ..."); the rest it learns from the summary. */
static void
told(void *arg, const struct flush_report *r)
{
	struct server *s = arg;
	struct submission *sub = s->ctx;
	char line[SERVICE_TEXT_MAX + sizeof(r->rcpts) + sizeof(r->detail)];

	sub->counts[r->result]++;
	if (r->refused == 0 && r->given_up == 0)
		return;
	snprintf(line, sizeof(line), "%s: %s: %s", r->id, r->rcpts, r->detail);
	line[SERVICE_TEXT_MAX - 1] = '\0';	/* a reply line's bound */
	server_reply_line(s, 250, false, "", line);
	server_flush(s);
}

/* mailout -q through the service: the caller's entries now, ignoring
 * their backoff, each locked while it is sent, beside the service's own
 * flush and relays. */
void
control_xflush(struct server *s, const struct command *c)
{
	struct submission *sub = s->ctx;
	struct flush_request fr = { &sub->sv->rq, FLUSH_NOW, NULL,
	    (uid_t)sub->caller.uid, told, s, true, sub->sv->stop };
	const size_t *n = sub->counts;
	struct service_reply r;
	struct err e = { 0, "" };

	(void)c;
	memset(sub->counts, 0, sizeof(sub->counts));
	if (flush_run(&sub->sv->st, &fr, &e) < 0)
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

/* mailq through the service: the caller's entries (root: all, with
 * their owners), as a text after the reply. */
void
control_xqueue(struct server *s, const struct command *c)
{
	struct submission *sub = s->ctx;
	bool json = strcasecmp(c->arg, "JSON") == 0;
	cookie_io_functions_t io = { NULL, write_text, NULL, NULL };
	struct service_reply r;
	struct err e;
	FILE *f;

	if ((f = fopencookie(s, "w", io)) == NULL) {
		service_reply_set(&r, 451, "4.3.0", "Out of memory");
		server_reply(s, &r);
		return;
	}
	service_reply_set(&r, 250, "2.0.0", "The queue follows, up to \".\"");
	server_reply(s, &r);
	if (mailq_list(&sub->sv->st, json, (uid_t)sub->caller.uid, f, &e) < 0)
		fprintf(f, "mailout: %s\n", e.msg);
	fclose(f);
	server_text_end(s);
}
