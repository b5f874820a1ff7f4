/*
 * dirs.h — the user's own directories (XDG base directories), the
 * queue's, and making a directory path, for the queue, the EHLO cache and
 * the relays' health.
 */
#ifndef MAILOUT_DIRS_H
#define MAILOUT_DIRS_H

#include <stddef.h>

#include "lib/err.h"

/*
 * "$xdg_var/leaf" when that variable holds an absolute path, else
 * "$HOME/home_dir/leaf" ("~/.cache/mailout"). Returns -1 when neither
 * is usable (no absolute HOME) or the result does not fit.
 */
int dirs_user(char *buf, size_t n, const char *xdg_var, const char *home_dir,
    const char *leaf);

/*
 * The queue directory: queue_dir when set; root's system spool; else
 * $XDG_STATE_HOME/mailout/queue or ~/.local/state/mailout/queue. -1 when
 * there is none (no absolute HOME) or it does not fit.
 */
int dirs_queue(const char *queue_dir, char *buf, size_t n);

/* mkdir -p with mode 0700 for what it creates; what names the directory
 * in the error (EX_CANTCREAT). */
int dirs_make(const char *path, const char *what, struct err *e);

#endif
