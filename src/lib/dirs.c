/* dirs.c — the user's XDG directories, mkdir -p, files of ours to trust. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/dirs.h"

int
dirs_user(char *buf, size_t n, const char *xdg_var, const char *home_dir,
    const char *leaf)
{
	const char *xdg = getenv(xdg_var);
	const char *home = getenv("HOME");
	int len;

	if (xdg != NULL && xdg[0] == '/')
		len = snprintf(buf, n, "%s/%s", xdg, leaf);
	else if (home != NULL && home[0] == '/')
		len = snprintf(buf, n, "%s/%s/%s", home, home_dir, leaf);
	else
		return -1;
	return len < 0 || (size_t)len >= n ? -1 : 0;
}

void
dirs_safe_name(char *s)
{
	for (; *s != '\0'; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '.' && *s != '-')
			*s = '_';
}

bool
dirs_file_ours(const struct stat *sb)
{
	return S_ISREG(sb->st_mode) && sb->st_uid == geteuid() &&
	    (sb->st_mode & 022) == 0;
}

int
dirs_make(const char *path, const char *what, struct err *e)
{
	char buf[PATH_MAX];
	char *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return err_set(e, EX_CANTCREAT, "cannot create the %s "
			    "directory %s: %s", what, buf, strerror(errno));
		if ((*p = c) == '\0')
			return 0;
	}
}
