/*
 * dirs.h — the user's own directories (XDG base directories) and making
 * a directory path, for the queue, the EHLO cache and the OAuth tokens.
 */
#ifndef MAILOUT_DIRS_H
#define MAILOUT_DIRS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "lib/err.h"

/*
 * "$xdg_var/leaf" when that variable holds an absolute path, else
 * "$HOME/home_dir/leaf" ("~/.cache/mailout"). Returns -1 when neither
 * is usable (no absolute HOME) or the result does not fit.
 */
int dirs_user(char *buf, size_t n, const char *xdg_var, const char *home_dir,
    const char *leaf);

/* Make s fit in a file name: anything but [A-Za-z0-9.-] becomes "_". */
void dirs_safe_name(char *s);

/* Whether sb is a regular file of this user that nobody else may write:
 * one whose contents a cache of ours may believe. */
bool dirs_file_ours(const struct stat *sb);

/* mkdir -p with mode 0700 for what it creates; what names the directory
 * in the error (EX_CANTCREAT). */
int dirs_make(const char *path, const char *what, struct err *e);

#endif
