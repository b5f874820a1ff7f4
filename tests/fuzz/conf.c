/*
 * conf.c — fuzz mailout.conf(5): the input is a configuration file,
 * given as --config would give it. When conf_load takes it, a profile is
 * chosen as mailout would (by --profile, by the sender, by default) and
 * applied, and the settings are printed as --dry-run does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/files.h"
#include "config/settings.h"
#include "fuzz.h"

static void
choose_and_apply(const struct conf *cf, const char *profile,
    const char *sender, FILE *out)
{
	struct conf_choice ch;
	struct settings st;
	struct err e;

	if (conf_choose(cf, profile, sender, &ch, &e) < 0)
		return;
	conf_apply(cf, &ch, &st);
	settings_finish(&st, "client.example.org");
	conf_print(&st, &ch, out);
}

/* The name in the first "[...]" of the input, to choose by --profile. */
static char *
first_section(const uint8_t *data, size_t size)
{
	const uint8_t *open = memchr(data, '[', size), *close;

	if (open == NULL)
		return NULL;
	close = memchr(open, ']', size - (size_t)(open - data));
	return close ? fuzz_string(open + 1, (size_t)(close - open) - 1) : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *out;
	struct conf *cf;
	struct err e;
	char *name;

	if (out == NULL && (out = fopen("/dev/null", "we")) == NULL)
		fuzz_fail("cannot open /dev/null");
	if (conf_load(&cf, fuzz_file(0, data, size), &e) < 0) {
		if (cf != NULL)
			fuzz_fail("conf_load failed but returned a conf");
		return 0;
	}
	choose_and_apply(cf, NULL, NULL, out);
	choose_and_apply(cf, NULL, "alice@example.org", out);
	choose_and_apply(cf, NULL, "bob@work.example.com", out);
	if ((name = first_section(data, size)) != NULL) {
		choose_and_apply(cf, name, "alice@example.org", out);
		free(name);
	}
	choose_and_apply(cf, "default", NULL, out);
	conf_free(cf);
	return 0;
}
