/* resolve.c — configuration files and overrides to struct settings. */
#include <stdio.h>
#include <string.h>

#include "config/mailname.h"
#include "config/resolve.h"
#include "message/addr.h"
#include "smtp/sasl.h"

/* -f's address, for match_from; "" when there is none to match (a bad
 * -f is reported when the envelope is built). */
static void
match_sender(const char *arg, char *buf, size_t n)
{
	struct addr_list one = { 0 };
	struct err ignored;

	buf[0] = '\0';
	if (arg != NULL && addr_parse_list(&one, arg, 1, &ignored) == 0 &&
	    one.n == 1)
		snprintf(buf, n, "%s", one.v[0]);
	addr_list_free(&one);
}

static const char *
override(const struct resolve_request *rq, const char *key)
{
	const char *value = NULL;
	int i;

	for (i = 0; i < rq->noverrides; i++)
		if (strcmp(rq->overrides[i].key, key) == 0)
			value = rq->overrides[i].value;
	return value;
}

/* AUTH needs a user name, except EXTERNAL (the certificate says who). */
static int
check_auth_user(const struct resolve_request *rq, const struct settings *st,
    struct err *e)
{
	const char *given = override(rq, "auth");

	if (strcmp(st->auth, "off") == 0 || st->user != NULL ||
	    sasl_lookup(st->auth) == SASL_EXTERNAL)
		return 0;
	if (given != NULL)
		return err_set(e, EX_USAGE, "--auth %s needs --user", given);
	return err_set(e, EX_CONFIG, "auth = %s needs a user: set user in "
	    "%s%s or give --user", st->auth, st->profile ? "profile " :
	    "the configuration", st->profile ? st->profile : "");
}

int
resolve_settings(const struct resolve_request *rq, struct conf **cf,
    struct settings *st, struct conf_choice *ch, struct err *e)
{
	if (conf_load(cf, rq->config, e) < 0)
		return -1;
	return resolve_loaded(rq, *cf, st, ch, e);
}

int
resolve_loaded(const struct resolve_request *rq, const struct conf *cf,
    struct settings *st, struct conf_choice *ch, struct err *e)
{
	char sender[ADDR_MAX + 1];
	int i;

	match_sender(rq->sender, sender, sizeof(sender));
	if (conf_choose(cf, rq->profile, *sender ? sender : NULL, ch, e) < 0)
		return -1;
	conf_apply(cf, ch, st);
	for (i = 0; i < rq->noverrides; i++)
		if (settings_set(st, rq->overrides[i].key,
		    rq->overrides[i].value, e) < 0) {
			err_prefix(e, "%s", rq->overrides[i].option);
			return -1;
		}
	settings_finish(st, local_hostname());
	return check_auth_user(rq, st, e);
}
