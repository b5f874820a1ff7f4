/* serverinfo.c — what a server offers, for people choosing settings. */
#include <stdio.h>
#include <string.h>

#include "cli/serverinfo.h"
#include "smtp/session.h"

/* The lines of a reply, indented; skip_first drops the EHLO greeting. */
static void
print_lines(const char *title, const struct reply *r, int skip_first)
{
	const char *line = r->text, *end;

	printf("%s:\n", title);
	if (skip_first)
		line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "";
	for (; *line != '\0'; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		printf("  %.*s\n", (int)(end - line), line);
	}
}

/* RFC 9422's limits, those mailout keeps to. */
static void
print_limits(const struct caps *caps)
{
	printf("Limits:\n");
	if (caps->rcpt_max > 0)
		printf("  RCPTMAX=%u: recipients per transaction\n",
		    caps->rcpt_max);
	if (caps->mail_max > 0)
		printf("  MAILMAX=%u: messages per session\n", caps->mail_max);
	if (caps->rcpt_max == 0 && caps->mail_max == 0)
		printf("  none advertised\n");
}

int
serverinfo(const struct settings *st, struct err *e)
{
	struct session ss;
	enum stage stage;
	int rc = session_open(&ss, st, false, &stage, e);

	printf("Server %s\n", ss.conn.peer);
	if (ss.smtp.greeting.code != 0)
		print_lines("Greeting", &ss.smtp.greeting, 0);
	if (ss.pre_tls_hello.code != 0)
		print_lines("Capabilities before TLS", &ss.pre_tls_hello, 1);
	tls_print_info(&ss.conn, stdout);	/* nothing without TLS */
	if (rc == 0) {
		print_lines(net_is_tls(&ss.conn) ? "Capabilities after TLS" :
		    "Capabilities", &ss.smtp.hello, 1);
		print_limits(&ss.smtp.caps);
	}
	if (rc == 0 && net_is_tls(&ss.conn) && !tls_verified(&ss.conn))
		rc = err_set(e, EX_UNAVAILABLE, "the server certificate "
		    "failed verification (see above)");
	session_close(&ss);
	return rc;
}
