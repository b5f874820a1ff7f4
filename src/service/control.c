/* control.c — XFLUSH and XQUEUE: mailout -q and mailq through the service. */
#include <stdbool.h>
#include <stdio.h>

#include "queue/flush.h"
#include "queue/mailq.h"
#include "service/control.h"
#include "service/submit.h"

/* What the flush says goes to the client, a reply line each, and to
 * the log. */
static void
say_to_client(void *arg, const char *line)
{
	struct server *s = arg;

	fprintf(stderr, "mailout serve: %s\n", line);
	server_reply_line(s, 250, false, "", line);
	server_flush(s);
}

/* Root's entries are all of them: root is the administrator. */
static bool
sees_all(const struct submission *sub)
{
	return sub->owner.uid == 0;
}

/* mailout -q through the service: the caller's entries now, ignoring
 * their backoff, each locked while it is sent. */
void
control_xflush(struct server *s, const struct command *c)
{
	struct submission *sub = s->ctx;
	struct flush_request fr = { true, !sees_all(sub), sub->owner.uid,
	    sub->sv->stop };
	struct flush_counts counts;
	struct service_reply r;
	struct flusher *f;
	struct err e = { 0, "" };
	int rc = -1;

	(void)c;
	if ((f = flusher_new(&sub->sv->q, &sub->sv->rq, say_to_client, s)) ==
	    NULL)
		err_set(&e, EX_OSERR, "out of memory");
	else
		rc = flusher_run(f, &fr, &counts, &e);
	flusher_free(f);
	if (rc < 0)
		service_reply_set(&r, 451, "4.3.0", "Cannot flush the queue: %s",
		    e.msg);
	else
		service_reply_set(&r, 250, "2.0.0", "Flushed: %zu done, %zu "
		    "still queued, %zu being sent already", counts.done,
		    counts.kept, counts.busy);
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
	struct mailq_view v = { !sees_all(sub), sub->owner.uid };
	cookie_io_functions_t io = { NULL, write_text, NULL, NULL };
	struct service_reply r;
	struct err e;
	FILE *f;

	(void)c;
	if ((f = fopencookie(s, "w", io)) == NULL) {
		service_reply_set(&r, 451, "4.3.0", "Out of memory");
		server_reply(s, &r);
		return;
	}
	service_reply_set(&r, 250, "2.0.0", "The queue follows, up to \".\"");
	server_reply(s, &r);
	if (mailq_print(&sub->sv->q, f, &v, &e) < 0)
		fprintf(f, "mailout: %s\n", e.msg);
	fclose(f);
	server_text_end(s);
}
