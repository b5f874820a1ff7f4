/* envelope.c — sender and recipients: -t, aliases, domain. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "message/envelope.h"
#include "message/idn.h"

#define ALIAS_DEPTH_MAX 8	/* an alias naming an alias naming ... */
#define ALIAS_LINE_MAX 4096

static int
default_sender(const struct settings *st, char *buf, size_t n, struct err *e)
{
	struct passwd *pw;

	if (st->from != NULL) {
		snprintf(buf, n, "%s", st->from);
		return 0;
	}
	if ((pw = getpwuid(getuid())) == NULL)
		return err_set(e, EX_NOUSER, "cannot find the current user; "
		    "give the sender with -f");
	snprintf(buf, n, "%s@%s", pw->pw_name, st->domain);
	return 0;
}

/* -f: one address, or "<>" / "" for the null sender. */
static int
resolve_sender(const char *arg, char *buf, size_t n, struct err *e)
{
	struct addr_list one = { 0 };
	int rc = -1;

	if (addr_parse_list(&one, arg, 1, e) < 0)
		goto out;
	if (one.n > 1) {
		err_set(e, EX_DATAERR, "more than one sender address");
		goto out;
	}
	snprintf(buf, n, "%s", one.n ? one.v[0] : "");
	rc = 0;
out:
	addr_list_free(&one);
	if (rc < 0)
		err_prefix(e, "sender");
	return rc;
}

/* "name: addr, addr" for name in the aliases file; NULL if none. */
static char *
alias_lookup(const char *path, const char *name, struct err *e, int *failed)
{
	char line[ALIAS_LINE_MAX];
	size_t len = strlen(name);
	char *found = NULL;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		*failed = 1;
		err_set(e, EX_CONFIG, "aliases file %s: cannot open it", path);
		return NULL;
	}
	while (found == NULL && fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (line[0] == '#' || colon == NULL ||
		    (size_t)(colon - line) != len ||
		    strncasecmp(line, name, len) != 0)
			continue;
		colon[strcspn(colon, "\r\n")] = '\0';
		found = strdup(colon + 1);
	}
	fclose(f);
	return found;
}

/* Add addr to out, expanding aliases and qualifying a bare name. */
static int
add_recipient(const struct settings *st, const char *addr,
    struct addr_list *out, int depth, struct err *e)
{
	char qualified[ADDR_MAX + 1];
	struct addr_list expanded = { 0 };
	char *alias = NULL;
	int failed = 0, rc = 0;
	size_t i;

	if (strchr(addr, '@') == NULL && st->aliases != NULL) {
		alias = alias_lookup(st->aliases, addr, e, &failed);
		if (failed)
			return -1;
	}
	if (alias != NULL) {
		if (depth == ALIAS_DEPTH_MAX)
			rc = err_set(e, EX_CONFIG, "aliases nest deeper than "
			    "%d (a loop?) at %s", ALIAS_DEPTH_MAX, addr);
		else if ((rc = addr_parse_list(&expanded, alias, 0, e)) < 0)
			err_prefix(e, "alias %s", addr);
		for (i = 0; rc == 0 && i < expanded.n; i++)
			rc = strcasecmp(expanded.v[i], addr) == 0 ?
			    addr_list_add(out, addr, e) :
			    add_recipient(st, expanded.v[i], out, depth + 1, e);
		free(alias);
		addr_list_free(&expanded);
		return rc;
	}
	if (strchr(addr, '@') == NULL) {
		if ((size_t)snprintf(qualified, sizeof(qualified), "%s@%s",
		    addr, st->domain) >= sizeof(qualified))
			return err_set(e, EX_DATAERR, "address too long: %s@%s",
			    addr, st->domain);
		addr = qualified;
	}
	return addr_list_add(out, addr, e);
}

int
envelope_add_recipient(const struct settings *st, const char *addr,
    struct addr_list *out, struct err *e)
{
	return add_recipient(st, addr, out, 0, e);
}

/* A message is 8-bit when its caller says so, when its header has 8-bit
 * octets, or when it declares an 8-bit Content-Transfer-Encoding: the body
 * is streamed, so it is not scanned before MAIL FROM. */
static enum body_type
body_type(const char *option, const struct header_block *hb)
{
	const struct header_field *cte;
	bool eight = false;
	char *value;
	size_t i;

	if (option != NULL)
		return strcasecmp(option, "7BIT") == 0 ? BODY_7BIT :
		    BODY_8BITMIME;
	for (i = 0; i < hb->text_len && !eight; i++)
		eight = (unsigned char)hb->text[i] >= 0x80;
	if (!eight && (cte = header_find(hb, "Content-Transfer-Encoding")) &&
	    (value = header_value(hb, cte)) != NULL) {
		eight = strncasecmp(value, "8bit", 4) == 0 ||
		    strncasecmp(value, "binary", 6) == 0;
		free(value);
	}
	return eight ? BODY_8BITMIME : BODY_UNDECLARED;
}

/* Every domain that is not ASCII has an A-label form, whatever server
 * the message meets later: bad input is refused before anything is sent
 * or queued. */
static int
check_domains(const struct envelope *env, struct err *e)
{
	size_t i;

	if (idn_check(env->sender, e) < 0)
		return -1;
	for (i = 0; i < env->rcpts.n; i++)
		if (idn_check(env->rcpts.v[i], e) < 0)
			return -1;
	return 0;
}

static int
collect_recipients(const struct envelope_request *req,
    const struct header_block *hb, struct addr_list *raw, struct err *e)
{
	int i;

	for (i = 0; i < req->nargs; i++) {
		if (addr_parse_list(raw, req->args[i], 0, e) < 0) {
			err_prefix(e, "recipient");
			return -1;
		}
	}
	if (req->from_headers && header_recipients(hb, raw, e) < 0)
		return -1;
	return 0;
}

int
envelope_build(struct envelope *env, const struct envelope_request *req,
    const struct settings *st, const struct header_block *hb, struct err *e)
{
	struct addr_list raw = { 0 };
	size_t i;
	int rc = -1;

	memset(env, 0, sizeof(*env));
	if ((req->sender ? resolve_sender(req->sender, env->sender,
	    sizeof(env->sender), e) : default_sender(st, env->sender,
	    sizeof(env->sender), e)) < 0)
		return -1;
	if (env->sender[0] != '\0' && strchr(env->sender, '@') == NULL)
		snprintf(env->sender + strlen(env->sender),
		    sizeof(env->sender) - strlen(env->sender), "@%s", st->domain);
	if (addr_check(env->sender, e) < 0)
		goto out;
	if (collect_recipients(req, hb, &raw, e) < 0)
		goto out;
	for (i = 0; i < raw.n; i++)
		if (add_recipient(st, raw.v[i], &env->rcpts, 0, e) < 0)
			goto out;
	if (env->rcpts.n == 0) {
		err_set(e, EX_USAGE, req->from_headers ? "no recipients given "
		    "or found in To, Cc or Bcc" : "no recipients given");
		goto out;
	}
	env->body = body_type(req->body, hb);
	env->needs_smtputf8 = !addr_is_ascii(env->sender);
	for (i = 0; i < env->rcpts.n; i++)
		env->needs_smtputf8 |= !addr_is_ascii(env->rcpts.v[i]);
	rc = check_domains(env, e);
out:
	addr_list_free(&raw);
	return rc;
}

void
envelope_free(struct envelope *env)
{
	addr_list_free(&env->rcpts);
}
