/*
 * msmtprc.c — fuzz mailout --import-msmtprc: the input is an msmtp
 * configuration file. Whatever it holds, what the importer prints when
 * it takes the file must read back as mailout.conf (conf_load), and the
 * profile mailout would choose must apply: never a broken file.
 */
#include <stdio.h>
#include <stdlib.h>

#include "config/files.h"
#include "config/msmtprc.h"
#include "config/settings.h"
#include "fuzz.h"

static void
read_back(const char *text, size_t len)
{
	struct conf_choice ch;
	struct settings st;
	struct conf *cf;
	struct err e;

	if (conf_load(&cf, fuzz_file(1, (const uint8_t *)text, len), &e) < 0) {
		fprintf(stderr, "fuzz: %s\n", e.msg);
		fuzz_fail("the imported configuration does not read back");
	}
	if (conf_choose(cf, NULL, NULL, &ch, &e) < 0)
		fuzz_fail("no profile chosen in the imported configuration");
	conf_apply(cf, &ch, &st);
	conf_free(cf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct err e;
	int rc;

	if (out == NULL)
		fuzz_fail("out of memory");
	rc = msmtprc_import(fuzz_file(0, data, size), out, &e);
	if (fclose(out) != 0)
		fuzz_fail("out of memory");
	if (rc == 0)
		read_back(text, len);
	free(text);
	return 0;
}
