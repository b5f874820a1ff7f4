/* report.c — per-recipient lines, the JSON report and the exit status. */
#include <stdio.h>
#include <string.h>

#include "config/relays.h"
#include "report/report.h"

static const char *const state_words[] = {
	[RCPT_PENDING] = "not sent",
	[RCPT_ACCEPTED] = "accepted",
	[RCPT_REFUSED] = "refused",
	[RCPT_DEFERRED] = "deferred",
	[RCPT_QUEUED] = "deferred",
};

void
report_text(const struct outcome *o, bool all, const char *send_now)
{
	size_t i, accepted = outcome_count(o, RCPT_ACCEPTED);
	size_t queued = outcome_count(o, RCPT_QUEUED);

	for (i = 0; i < o->n; i++) {
		const struct rcpt_result *rr = &o->rcpts[i];

		/* queued without a reply of their own: the session line
		 * below says why */
		if (rr->state == RCPT_PENDING ||
		    (rr->state == RCPT_ACCEPTED && !all) ||
		    (rr->state == RCPT_QUEUED && rr->code == 0))
			continue;
		fprintf(stderr, "mailout: <%s>: %s at %s: %s\n", rr->addr,
		    state_words[rr->state], stage_name(rr->stage), rr->reply);
	}
	if (o->session.code != 0) {
		fprintf(stderr, "mailout: %s\n", o->session.msg);
		/* An earlier transaction may have delivered: a retry must
		 * know. */
		if (accepted > 0)
			fprintf(stderr, "mailout: the message was accepted for "
			    "%zu of %zu recipients before that\n", accepted,
			    o->n);
	}
	if (queued > 0)
		fprintf(stderr, "mailout: queued as %s for %zu recipient%s; "
		    "to send it now: %s\n", o->queue_id, queued,
		    queued == 1 ? "" : "s", send_now ? send_now : "mailout -q");
	if (all && o->relay[0] != '\0')
		fprintf(stderr, "mailout: relay %s\n", o->relay);
}

const char *
report_host(const struct outcome *o, const struct message_info *mi)
{
	return o->relay[0] != '\0' ? o->relay : mi->host;
}

void
message_info_init(struct message_info *mi, const struct settings *st,
    const char *sender, const char *message_id, long long size)
{
	if (st->socket != NULL)
		snprintf(mi->host, sizeof(mi->host), "%s", st->socket);
	else
		relays_text(st, mi->host, sizeof(mi->host));
	mi->profile = st->profile;
	mi->sender = sender;
	mi->message_id = message_id;
	mi->size = size;
}

/* ---- JSON ---- */

/* Length of the valid UTF-8 sequence at s, or 0 (RFC 3629). */
static size_t
utf8_length(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 :
	    s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
	if (n == 0 || s[0] >= 0xf5)
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong three- and four-octet forms, surrogates, > U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

void
json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	while (*p != '\0') {
		size_t n = utf8_length(p);

		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else if (n == 0)
			fputs("\\ufffd", out);
		else
			fwrite(p, 1, n, out);
		p += n ? n : 1;
	}
	fputc('"', out);
}

void
json_string_or_null(FILE *out, const char *s)
{
	if (s != NULL)
		json_string(out, s);
	else
		fputs("null", out);
}

static void
json_recipient(FILE *out, const struct outcome *o, size_t i)
{
	const struct rcpt_result *rr = &o->rcpts[i];
	/* no reply of its own: the session's end decided */
	bool decided = rr->state != RCPT_PENDING &&
	    !(rr->state == RCPT_QUEUED && rr->code == 0);
	fputs("{\"address\":", out);
	json_string(out, rr->addr);
	fprintf(out, ",\"accepted\":%s,\"queued\":%s,\"stage\":\"%s\","
	    "\"code\":", rr->state == RCPT_ACCEPTED ? "true" : "false",
	    rr->state == RCPT_QUEUED ? "true" : "false",
	    stage_key(decided ? rr->stage : o->session_stage));
	if (decided && rr->code > 0)
		fprintf(out, "%d", rr->code);
	else
		fputs("null", out);
	fputs(",\"enhanced\":", out);
	json_string_or_null(out, decided && rr->enhanced[0] != '\0' ?
	    rr->enhanced : NULL);
	fputs(",\"text\":", out);
	json_string(out, decided ? rr->reply : o->session.msg);
	fputc('}', out);
}

void
report_json(const struct outcome *o, const struct message_info *mi,
    int exit_code, FILE *out)
{
	size_t i;

	fprintf(out, "{\"status\":\"%s\",\"exit\":%d,\"host\":",
	    outcome_status(o), exit_code);
	json_string(out, report_host(o, mi));
	fputs(",\"sender\":", out);
	json_string(out, mi->sender);
	fputs(",\"message_id\":", out);
	json_string_or_null(out, mi->message_id);
	if (mi->size >= 0)
		fprintf(out, ",\"size\":%lld", mi->size);
	else
		fputs(",\"size\":null", out);
	if (o->queue_id[0] != '\0') {
		fputs(",\"queue_id\":", out);
		json_string(out, o->queue_id);
	}
	if (o->session.code != 0) {
		fputs(",\"error\":", out);
		json_string(out, o->session.msg);
	}
	fputs(",\"recipients\":[", out);
	for (i = 0; i < o->n; i++) {
		if (i > 0)
			fputc(',', out);
		json_recipient(out, o, i);
	}
	fputs("]}\n", out);
}
