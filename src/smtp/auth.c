/* auth.c — SMTP AUTH: the command, the challenges, the verdict. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/base64.h"
#include "smtp/auth.h"

#define AUTH_LINE_MAX 12288	/* RFC 4954 4: at least 12288 octets */

/* The client gives up an exchange with "*" (RFC 4954 4); the caller's
 * error already says why. */
static int
auth_cancel(struct smtp *s)
{
	struct err ignored;
	struct reply r;

	if (s->state != SMTP_CLOSING)
		smtp_command(s, &r, &ignored, "*");
	return -1;
}

/* The final reply to AUTH: 235, or a failure with RFC 4954's meaning. */
static int
auth_result(struct sasl *sasl, const struct reply *r, struct err *e)
{
	char line[REPLY_ONELINE_MAX];

	if (r->code == 235)
		return sasl_finish(sasl, e);
	reply_oneline(r, line, sizeof(line));
	if (r->code / 100 == 4)	/* 454 temporary failure, 432 ... */
		return err_set(e, EX_TEMPFAIL, "AUTH %s: %s",
		    sasl_name(sasl->mech), line);
	return err_set(e, EX_NOPERM, "authentication failed (AUTH %s): %s",
	    sasl_name(sasl->mech), line);
}

/* The AUTH line and the raw data of one step; static, for their size,
 * and wiped as soon as each step is sent. */
static char auth_raw[SASL_DATA_MAX], auth_line[AUTH_LINE_MAX];

static void
auth_wipe(void)
{
	explicit_bzero(auth_raw, sizeof(auth_raw));
	explicit_bzero(auth_line, sizeof(auth_line));
}

/* "AUTH MECH[ initial-response]" in auth_line; the transcript's version
 * in shown. */
static int
auth_command(struct sasl *sasl, char *shown, size_t n, struct err *e)
{
	size_t len, used;
	int rc;

	snprintf(auth_line, sizeof(auth_line), "AUTH %s",
	    sasl_name(sasl->mech));
	snprintf(shown, n, "AUTH %s", sasl_name(sasl->mech));
	if ((rc = sasl_initial(sasl, auth_raw, &len, e)) <= 0)
		return rc;
	/* an initial response; "=" is the empty one */
	used = strlen(auth_line);
	auth_line[used++] = ' ';
	if (len == 0)
		strcpy(auth_line + used, "=");
	else if (b64_encode(auth_raw, len, auth_line + used,
	    sizeof(auth_line) - used) < 0)
		return err_set(e, EX_SOFTWARE, "AUTH line too long");
	snprintf(shown, n, "AUTH %s <redacted>", sasl_name(sasl->mech));
	return 0;
}

int
auth_queue(struct smtp *s, const char *wanted,
    const struct sasl_creds *c, struct sasl *sasl, struct err *e)
{
	char shown[64];
	int rc;

	if (!(s->caps.flags & CAP_AUTH))
		return err_set(e, EX_NOPERM, "authentication is required but "
		    "the server offers no AUTH");
	if (sasl_choose(s->caps.auth, wanted, &sasl->mech, e) < 0)
		return -1;
	sasl_begin(sasl, sasl->mech, c);
	rc = auth_command(sasl, shown, sizeof(shown), e);
	if (rc == 0)
		rc = smtp_queue_secret(s, auth_line, shown, e);
	auth_wipe();
	if (rc < 0)
		sasl_end(sasl);
	return rc;
}

/* One response (in auth_line), redacted unless empty, and its reply. */
static int
send_response(struct smtp *s, bool secret, struct reply *r, struct err *e)
{
	if (smtp_queue_secret(s, auth_line, secret ? "<redacted>" : "", e) < 0)
		return -1;
	if (smtp_flush(s, e) < 0)
		return -1;
	return smtp_read_reply(s, r, e);
}

/* Answer the challenges until the final reply. */
static int
auth_exchange(struct smtp *s, struct sasl *sasl, struct reply *r,
    struct err *e)
{
	size_t n;

	/* Each mechanism knows how many challenges it takes (3 at most) and
	 * refuses one more, so a server looping on 334 is cut off there. */
	while (r->code == 334) {
		/* r->text is one line of base64 (the server's challenge). */
		if (b64_decode(r->text, auth_raw, sizeof(auth_raw) - 1,
		    &n) < 0) {
			err_set(e, EX_NOPERM, "AUTH %s: the server's challenge "
			    "is not base64", sasl_name(sasl->mech));
			return auth_cancel(s);
		}
		if (sasl_respond(sasl, auth_raw, n, auth_raw, &n, e) < 0)
			return auth_cancel(s);
		if (b64_encode(auth_raw, n, auth_line, sizeof(auth_line)) < 0)
			return err_set(e, EX_SOFTWARE, "AUTH response too long");
		if (send_response(s, n > 0, r, e) < 0)
			return -1;
	}
	return auth_result(sasl, r, e);
}

int
auth_reply(struct smtp *s, struct sasl *sasl, struct err *e)
{
	struct reply r;
	int rc = smtp_read_reply(s, &r, e);

	if (rc == 0)
		rc = auth_exchange(s, sasl, &r, e);
	sasl_end(sasl);
	auth_wipe();
	return rc;
}

