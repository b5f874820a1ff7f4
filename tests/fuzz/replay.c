/*
 * replay.c — a main() for the harnesses without libFuzzer: runs
 * LLVMFuzzerTestOneInput once on each file named, or on each file in
 * each directory named, so make check replays the seed corpora and the
 * saved crashers under any compiler. Stops at the first unreadable file;
 * a failing input aborts (fuzz_fail) or trips a sanitizer.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
replay_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	struct stat sb;
	uint8_t *data;
	size_t n;

	if (fp == NULL || fstat(fileno(fp), &sb) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (fp != NULL)
			fclose(fp);
		return -1;
	}
	/* Exactly the input's size, so ASan sees reads past its end. */
	data = malloc(sb.st_size > 0 ? (size_t)sb.st_size : 1);
	n = data ? fread(data, 1, (size_t)sb.st_size, fp) : 0;
	fclose(fp);
	if (data == NULL || n != (size_t)sb.st_size) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		free(data);
		return -1;
	}
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	return 0;
}

static int
replay_dir(const char *dir, int *count)
{
	struct dirent **names;
	char path[4096];
	int i, n = scandir(dir, &names, NULL, alphasort), rc = 0;

	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && rc == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir,
			    names[i]->d_name);
			rc = replay_file(path);
			++*count;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	struct stat sb;
	int i, count = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			if (replay_dir(argv[i], &count) < 0)
				return 1;
		} else if (count++, replay_file(argv[i]) < 0) {
			return 1;
		}
	}
	printf("replay: %d inputs, no failure\n", count);
	return 0;
}
