/* notice.c — a delivery status notification for recipients given up on. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "message/header.h"
#include "message/notice.h"

#define QUOTED_HEADER_MAX (64 * 1024)

static const char *const reasons[] = {
	[NOTICE_REFUSED] = ": their mail server refused it",
	[NOTICE_EXPIRED] = ": it stayed in the queue longer than\n"
	    "queue_lifetime allows, and mailout has stopped trying",
	[NOTICE_BOUNCED] = ": the administrator of the mail queue told\n"
	    "mailout to stop trying",
};

/* RFC 3463: 4.4.7, delivery time expired; 5.0.0 for a cancelled one. */
static const char *
status_of(const struct notice *n, size_t i)
{
	if (n->reason == NOTICE_EXPIRED)
		return "4.4.7";
	if (n->reason == NOTICE_BOUNCED || n->rcpts[i].enhanced[0] == '\0')
		return "5.0.0";
	return n->rcpts[i].enhanced;
}

static void
human_part(FILE *f, const struct notice *n, const char *boundary)
{
	size_t i;

	fprintf(f, "--%s\nContent-Type: text/plain; charset=utf-8\n"
	    "Content-Description: Notification\n\n", boundary);
	fprintf(f, "This is mailout on %s. A message you sent could not be "
	    "delivered to\nthe recipients below%s.\n\n", n->domain,
	    reasons[n->reason]);
	for (i = 0; i < n->n; i++)
		fprintf(f, "<%s>: %s\n", n->rcpts[i].addr,
		    n->rcpts[i].reply[0] ? n->rcpts[i].reply : "no reply");
	fputc('\n', f);
}

static void
status_part(FILE *f, const struct notice *n, const char *boundary)
{
	char date[64];
	size_t i;

	header_date(date, sizeof(date), n->arrival);
	fprintf(f, "--%s\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; %s\nX-Mailout-Queue-ID: %s\n"
	    "Arrival-Date: %s\n", boundary, n->domain, n->queue_id, date);
	for (i = 0; i < n->n; i++) {
		fprintf(f, "\nFinal-Recipient: rfc822; %s\nAction: failed\n"
		    "Status: %s\n", n->rcpts[i].addr, status_of(n, i));
		if (n->rcpts[i].reply[0] != '\0')
			fprintf(f, "Diagnostic-Code: smtp; %s\n",
			    n->rcpts[i].reply);
	}
	fputc('\n', f);
}

/* The original header block, up to its blank line (bounded). */
static int
header_part(FILE *f, const struct notice *n, const char *boundary,
    struct err *e)
{
	char buf[4096];
	size_t total = 0;
	int state = 0;		/* how much of "\n\r?\n" was seen */
	ssize_t got = 0;

	fprintf(f, "--%s\nContent-Type: text/rfc822-headers\n\n", boundary);
	while (state < 2 && total < QUOTED_HEADER_MAX &&
	    (got = message_read(n->original, buf, sizeof(buf), e)) > 0) {
		ssize_t i;

		for (i = 0; i < got && state < 2; i++, total++) {
			if (buf[i] == '\n')
				state++;
			else if (buf[i] != '\r')
				state = 0;
			if (buf[i] != '\r' && state < 2)
				fputc(buf[i], f);
		}
	}
	if (got < 0)
		return -1;
	fprintf(f, "\n--%s--\n", boundary);
	return 0;
}

int
notice_build(const struct notice *n, struct message_source *src,
    struct err *e)
{
	char date[64], id[300], boundary[128];
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	header_date(date, sizeof(date), time(NULL));
	header_message_id(id, sizeof(id), n->domain);
	snprintf(boundary, sizeof(boundary), "%s/%s", n->queue_id, n->domain);
	fprintf(f, "From: Mail Delivery System <MAILER-DAEMON@%s>\n"
	    "To: <%s>\nSubject: Undelivered Mail Returned to Sender\n"
	    "Date: %s\nMessage-ID: %s\nAuto-Submitted: auto-replied\n"
	    "MIME-Version: 1.0\nContent-Type: multipart/report; "
	    "report-type=delivery-status;\n\tboundary=\"%s\"\n\n"
	    "This is a MIME-encapsulated message.\n\n", n->domain, n->sender,
	    date, id, boundary);
	human_part(f, n, boundary);
	status_part(f, n, boundary);
	if (header_part(f, n, boundary, e) < 0) {
		fclose(f);
		free(text);
		return -1;
	}
	if (fclose(f) != 0) {
		free(text);
		return err_set(e, EX_SOFTWARE, "out of memory");
	}
	memset(src, 0, sizeof(*src));
	src->name = "the failure notice";
	if ((src->fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		free(text);
		return err_set(e, EX_OSERR, "cannot open /dev/null");
	}
	message_unread(src, text, len);
	return 0;
}
