/* entry.c — a queue entry: its file's text, and the entry in memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/entry.h"

#define QUEUE_FORMAT "mailout-queue 1"

/* ---- the entry file ---- */

/* Values go on one line: "%", CR and LF are written as %25, %0D, %0A. */
static void
put_escaped(FILE *f, const char *key, const char *value)
{
	fputs(key, f);
	fputc(' ', f);
	for (; *value != '\0'; value++) {
		if (*value == '%' || *value == '\r' || *value == '\n')
			fprintf(f, "%%%02X", (unsigned char)*value);
		else
			fputc(*value, f);
	}
	fputc('\n', f);
}

static void
unescape(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++) {
		unsigned int c;

		if (*s == '%' && sscanf(s + 1, "%2x", &c) == 1) {
			*o++ = (char)c;
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

void
entry_print(FILE *f, const struct queue_entry *qe)
{
	size_t i;

	fprintf(f, QUEUE_FORMAT "\ncreated %lld\nattempts %d\nnext %lld\n",
	    (long long)qe->created, qe->attempts, (long long)qe->next_try);
	if (qe->config != NULL)
		put_escaped(f, "config", qe->config);
	if (qe->profile != NULL)
		put_escaped(f, "profile", qe->profile);
	for (i = 0; i < qe->nsettings; i++) {
		char key[64];

		snprintf(key, sizeof(key), "set %s", qe->settings[i].key);
		put_escaped(f, key, qe->settings[i].value);
	}
	if (qe->envid != NULL)
		put_escaped(f, "envid", qe->envid);
	if (qe->message_id != NULL)
		put_escaped(f, "message-id", qe->message_id);
	if (qe->env.body != BODY_UNDECLARED)
		fprintf(f, "body %s\n", qe->env.body == BODY_7BIT ? "7BIT" :
		    "8BITMIME");
	if (qe->env.needs_smtputf8)
		fputs("smtputf8 yes\n", f);
	if (qe->held)
		fputs("held yes\n", f);
	if (qe->caller.known) {
		char key[96];

		snprintf(key, sizeof(key), "caller %lld %lld %lld",
		    qe->caller.uid, qe->caller.gid, qe->caller.pid);
		put_escaped(f, key, qe->caller.name);
	}
	put_escaped(f, "sender", qe->env.sender);
	for (i = 0; i < qe->env.rcpts.n; i++) {
		put_escaped(f, "rcpt", qe->env.rcpts.v[i]);
		if (qe->replies != NULL && qe->replies[i] != NULL)
			put_escaped(f, "reply", qe->replies[i]);
	}
	if (qe->last_error != NULL)
		put_escaped(f, "error", qe->last_error);
	if (qe->error_kind != FAILURE_NONE)
		fprintf(f, "error-kind %s\n", failure_key(qe->error_kind));
}

/* ---- reading ---- */

/* "UID GID PID NAME" */
static int
parse_caller(struct queue_caller *c, const char *value, struct err *e)
{
	int used = 0;

	if (sscanf(value, "%lld %lld %lld %n", &c->uid, &c->gid, &c->pid,
	    &used) < 3 || used == 0 || strlen(value + used) >= sizeof(c->name))
		return err_set(e, EX_DATAERR, "bad caller line");
	snprintf(c->name, sizeof(c->name), "%s", value + used);
	c->known = true;
	return 0;
}

static int
entry_line(struct queue_entry *qe, char *key, char *value, struct err *e)
{
	char *sp;

	if (strcmp(key, "created") == 0)
		qe->created = (time_t)strtoll(value, NULL, 10);
	else if (strcmp(key, "attempts") == 0)
		qe->attempts = atoi(value);
	else if (strcmp(key, "next") == 0)
		qe->next_try = (time_t)strtoll(value, NULL, 10);
	else if (strcmp(key, "config") == 0)
		return queue_entry_set(&qe->config, value, e);
	else if (strcmp(key, "profile") == 0)
		return queue_entry_set(&qe->profile, value, e);
	else if (strcmp(key, "envid") == 0)
		return queue_entry_set(&qe->envid, value, e);
	else if (strcmp(key, "message-id") == 0)
		return queue_entry_set(&qe->message_id, value, e);
	else if (strcmp(key, "error") == 0)
		return queue_entry_set(&qe->last_error, value, e);
	else if (strcmp(key, "set") == 0 && (sp = strchr(value, ' ')) != NULL) {
		*sp = '\0';
		return queue_entry_add_setting(qe, value, sp + 1, e);
	} else if (strcmp(key, "body") == 0)
		qe->env.body = strcmp(value, "7BIT") == 0 ? BODY_7BIT :
		    BODY_8BITMIME;
	else if (strcmp(key, "smtputf8") == 0)
		qe->env.needs_smtputf8 = true;
	else if (strcmp(key, "sender") == 0 && strlen(value) <= ADDR_MAX)
		snprintf(qe->env.sender, sizeof(qe->env.sender), "%s", value);
	else if (strcmp(key, "rcpt") == 0)
		return addr_check(value, e) < 0 ? -1 :
		    queue_entry_add_rcpt(qe, value, NULL, e);
	else if (strcmp(key, "reply") == 0 && qe->env.rcpts.n > 0)
		return queue_entry_set(&qe->replies[qe->env.rcpts.n - 1],
		    value, e);
	else if (strcmp(key, "held") == 0)
		qe->held = strcmp(value, "yes") == 0;
	else if (strcmp(key, "error-kind") == 0)
		qe->error_kind = failure_of_key(value);
	else if (strcmp(key, "caller") == 0)
		return parse_caller(&qe->caller, value, e);
	else
		return err_set(e, EX_DATAERR, "unknown line '%s'", key);
	return 0;
}

int
entry_parse(struct queue_entry *qe, char *text, struct err *e)
{
	char *line, *next;

	if (strncmp(text, QUEUE_FORMAT "\n", sizeof(QUEUE_FORMAT)) != 0)
		return err_set(e, EX_DATAERR, "not a mailout queue entry");
	for (line = text + sizeof(QUEUE_FORMAT); *line != '\0'; line = next) {
		char *sp;

		if ((next = strchr(line, '\n')) == NULL)
			return err_set(e, EX_DATAERR, "truncated");
		*next++ = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			return err_set(e, EX_DATAERR, "bad line '%s'", line);
		*sp = '\0';
		unescape(sp + 1);
		if (entry_line(qe, line, sp + 1, e) < 0)
			return -1;
	}
	return 0;
}

/* ---- entries in memory ---- */

int
queue_entry_add_rcpt(struct queue_entry *qe, const char *addr,
    const char *reply, struct err *e)
{
	size_t n = qe->env.rcpts.n;

	if (addr_list_add(&qe->env.rcpts, addr, e) < 0)
		return -1;
	if (qe->env.rcpts.n == n)
		return 0;	/* a duplicate */
	if (n == qe->replies_cap) {
		size_t cap = n ? 2 * n : 8;
		char **more = realloc(qe->replies, cap * sizeof(*more));

		if (more == NULL) {
			free(qe->env.rcpts.v[--qe->env.rcpts.n]);
			return err_set(e, EX_SOFTWARE, "out of memory");
		}
		qe->replies = more;
		qe->replies_cap = cap;
	}
	qe->replies[n] = NULL;
	return queue_entry_set(&qe->replies[n], reply, e);
}

int
queue_entry_set(char **field, const char *value, struct err *e)
{
	free(*field);
	*field = NULL;
	if (value != NULL && (*field = strdup(value)) == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

int
queue_entry_add_setting(struct queue_entry *qe, const char *key,
    const char *value, struct err *e)
{
	struct queue_setting *more = realloc(qe->settings,
	    (qe->nsettings + 1) * sizeof(*more));

	if (more == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	qe->settings = more;
	more[qe->nsettings].key = strdup(key);
	more[qe->nsettings].value = strdup(value);
	if (more[qe->nsettings].key == NULL ||
	    more[qe->nsettings].value == NULL) {
		free(more[qe->nsettings].key);
		free(more[qe->nsettings].value);
		return err_set(e, EX_SOFTWARE, "out of memory");
	}
	qe->nsettings++;
	return 0;
}

void
queue_entry_free(struct queue_entry *qe)
{
	size_t i;

	for (i = 0; i < qe->nsettings; i++) {
		free(qe->settings[i].key);
		free(qe->settings[i].value);
	}
	free(qe->settings);
	for (i = 0; i < qe->env.rcpts.n && qe->replies != NULL; i++)
		free(qe->replies[i]);
	free(qe->replies);
	free(qe->config);
	free(qe->profile);
	free(qe->envid);
	free(qe->message_id);
	free(qe->last_error);
	envelope_free(&qe->env);
	memset(qe, 0, sizeof(*qe));
}
