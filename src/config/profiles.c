/*
 * profiles.c — choosing the profile of mailout.conf(5) for a message
 * (--profile, match_from, default_profile, the profile named default),
 * applying it over the defaults, and --dry-run's account of it: walks
 * what files.c read (model.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/files.h"
#include "config/lists.h"
#include "config/model.h"

/* Whether en's match_from ranks before best's: the user file's first,
 * then in file order. */
static bool
ranks_before(const struct entry *en, const struct entry *best)
{
	if (best == NULL || en->file_index != best->file_index)
		return best == NULL || en->file_index > best->file_index;
	return en->line < best->line;
}

/* The first profile whose match_from matches sender. */
static bool
choose_by_sender(const struct conf *cf, const char *sender,
    struct conf_choice *ch)
{
	char pattern[CONF_PATTERN_MAX];
	const struct entry *m, *best = NULL;
	size_t i;

	for (i = 0; i < cf->n; i++) {
		m = conf_last_entry(&cf->v[i], "match_from");
		if (m == NULL || !ranks_before(m, best) ||
		    !patterns_match(m->value, sender, pattern, sizeof(pattern)))
			continue;
		best = m;
		ch->profile = cf->v[i].name;
		memcpy(ch->pattern, pattern, sizeof(ch->pattern));
	}
	if (best == NULL)
		return false;
	ch->reason = CONF_BY_MATCH_FROM;
	snprintf(ch->sender, sizeof(ch->sender), "%s", sender);
	return true;
}

static int
unknown_profile(const struct conf *cf, const char *name, struct err *e)
{
	char known[ERR_MSG_MAX / 2];
	size_t i, len = 0;

	known[0] = '\0';
	for (i = 0; i < cf->n && len < sizeof(known); i++)
		if (conf_find_profile(cf, cf->v[i].name) != NULL)
			len += (size_t)snprintf(known + len,
			    sizeof(known) - len, "%s%s", len ? ", " : "",
			    cf->v[i].name);
	if (cf->nfiles == 0)
		return err_set(e, EX_CONFIG, "unknown profile \"%s\": no "
		    "configuration file was read", name);
	if (len == 0)
		return err_set(e, EX_CONFIG, "unknown profile \"%s\": the "
		    "configuration defines none", name);
	return err_set(e, EX_CONFIG, "unknown profile \"%s\" (profiles: %s)",
	    name, known);
}

int
conf_choose(const struct conf *cf, const char *profile, const char *sender,
    struct conf_choice *ch, struct err *e)
{
	const struct section *d = conf_find_section(cf, DEFAULTS), *s;
	const struct entry *dp = d ? conf_last_entry(d, "default_profile") : NULL;
	size_t i;

	memset(ch, 0, sizeof(*ch));
	for (i = 0; i < cf->nfiles; i++)
		ch->files[i] = cf->files[i];
	ch->nfiles = cf->nfiles;
	if (profile != NULL) {
		if ((s = conf_find_profile(cf, profile)) == NULL)
			return unknown_profile(cf, profile, e);
		ch->profile = s->name;
		ch->reason = CONF_BY_OPTION;
	} else if (sender != NULL && choose_by_sender(cf, sender, ch)) {
		/* ch is filled in */
	} else if (dp != NULL) {
		ch->profile = conf_find_profile(cf, dp->value)->name;
		ch->reason = CONF_BY_DEFAULT_PROFILE;
	} else if ((s = conf_find_profile(cf, "default")) != NULL) {
		ch->profile = s->name;
		ch->reason = CONF_BY_NAME;
	}
	return 0;
}

/*
 * Applying
 */

static void
apply_section(const struct section *s, struct settings *st)
{
	struct err ignored;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (conf_find_meta(s->v[i].key) == NULL)	/* checked when read */
			(void)settings_set(st, s->v[i].key, s->v[i].value,
			    &ignored);
}

/* The base first, so that the profile's own lines override it. The
 * chain is finite: check_references ruled out loops. */
static void
apply_profile(const struct conf *cf, const struct section *s,
    struct settings *st)
{
	const struct section *base = conf_base_of(cf, s);

	if (base != NULL)
		apply_profile(cf, base, st);
	apply_section(s, st);
}

void
conf_apply(const struct conf *cf, const struct conf_choice *ch,
    struct settings *st)
{
	const struct section *d = conf_find_section(cf, DEFAULTS);

	settings_defaults(st);
	if (d != NULL)
		apply_section(d, st);
	if (ch->profile != NULL)
		apply_profile(cf, conf_find_profile(cf, ch->profile), st);
	st->profile = ch->profile;
}

const char *
conf_profile_value(const struct conf *cf, const char *profile,
    const char *key)
{
	const struct section *s;
	const struct entry *en;

	/* the chain is finite: check_references ruled out loops */
	for (s = profile ? conf_find_profile(cf, profile) : NULL; s != NULL;
	    s = conf_base_of(cf, s))
		if ((en = conf_last_entry(s, key)) != NULL)
			return en->value;
	return NULL;
}

/* No file was read: the search path's files are all missing. */
static void
print_no_file(FILE *out)
{
	struct conf_search cs;
	struct err e;
	size_t i;

	fprintf(out, "config file: none (built-in defaults");
	if (conf_search(&cs, NULL, &e) == 0)
		for (i = 0; i < cs.n; i++)
			fprintf(out, "%s%s", i == 0 ? "; no " : " nor ",
			    cs.path[i]);
	fprintf(out, ")\n");
}

void
conf_print(const struct settings *st, const struct conf_choice *ch,
    FILE *out)
{
	size_t i;

	for (i = 0; i < ch->nfiles; i++)
		fprintf(out, "config file: %s\n", ch->files[i]);
	if (ch->nfiles == 0)
		print_no_file(out);
	switch (ch->reason) {
	case CONF_NO_PROFILE:
		fprintf(out, "profile: none (no profile: defaults only)\n");
		break;
	case CONF_BY_OPTION:
		fprintf(out, "profile: %s (--profile %s)\n", ch->profile,
		    ch->profile);
		break;
	case CONF_BY_MATCH_FROM:
		fprintf(out, "profile: %s (match_from %s matched sender %s)\n",
		    ch->profile, ch->pattern, ch->sender);
		break;
	case CONF_BY_DEFAULT_PROFILE:
		fprintf(out, "profile: %s (default_profile)\n", ch->profile);
		break;
	case CONF_BY_NAME:
		fprintf(out, "profile: %s (profile named default)\n",
		    ch->profile);
		break;
	}
	settings_print(st, out);
}

