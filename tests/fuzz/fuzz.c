/* fuzz.c — helpers shared by the harnesses (see fuzz.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static char paths[FUZZ_FILES][64];

static void
remove_files(void)
{
	int i;

	for (i = 0; i < FUZZ_FILES; i++)
		if (paths[i][0] != '\0')
			unlink(paths[i]);
}

const char *
fuzz_file(int slot, const uint8_t *data, size_t size)
{
	static int fds[FUZZ_FILES] = { -1, -1 };
	char *path = paths[slot];

	if (fds[slot] < 0) {
		strcpy(path, "/dev/shm/mailout-fuzz.XXXXXX");
		if ((fds[slot] = mkstemp(path)) < 0) {
			strcpy(path, "/tmp/mailout-fuzz.XXXXXX");
			fds[slot] = mkstemp(path);
		}
		if (fds[slot] < 0)
			fuzz_fail("cannot create a temporary file");
		atexit(remove_files);
	}
	if (ftruncate(fds[slot], 0) < 0 ||
	    pwrite(fds[slot], data, size, 0) != (ssize_t)size)
		fuzz_fail("cannot write the temporary file");
	return path;
}

void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz: property violated: %s\n", what);
	abort();
}

char *
fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		fuzz_fail("out of memory");
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
