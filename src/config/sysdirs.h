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

/* The directory of the system mailout.conf; $MAILOUT_SYSCONFDIR moves it
 * (for tests, which cannot write to /etc). */
const char *sysdirs_config(void);

/* The system queue: root's, and the service's. */
const char *sysdirs_spool(void);

/* The system service's unix socket: $MAILOUT_SERVICE when set, else the
 * built-in path. */
const char *sysdirs_service_socket(void);

#endif
