/*
 * sysdirs.h — the machine-wide paths of this build: where the system
 * configuration, the system spool and the service socket are. They come
 * from configure's sysconfdir, localstatedir and runstatedir through
 * paths.h, which make writes (and rewrites when make install is given
 * other directories), so that the binary agrees with its man pages and
 * units.
 */
#ifndef MAILOUT_SYSDIRS_H
#define MAILOUT_SYSDIRS_H

#include <stddef.h>

/* The directory of the system mailout.conf; $MAILOUT_SYSCONFDIR moves it
 * (for tests, which cannot write to /etc). */
const char *sysdirs_config(void);

/* The system queue: root's, and the service's. */
const char *sysdirs_spool(void);

/*
 * The queue directory: queue_dir when set; root's system spool; else
 * $XDG_STATE_HOME/mailout/queue or ~/.local/state/mailout/queue. -1 when
 * there is none (no absolute HOME) or it does not fit.
 */
int sysdirs_queue(const char *queue_dir, char *buf, size_t n);

/* The system service's unix socket: $MAILOUT_SERVICE when set, else the
 * built-in path. */
const char *sysdirs_service_socket(void);

#endif
