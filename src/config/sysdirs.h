/*
 * sysdirs.h — the machine-wide paths of this build that are not the
 * configuration file's (files.h) nor the queue's (queue.h): where the
 * mailout service listens.
 */
#ifndef MAILOUT_SYSDIRS_H
#define MAILOUT_SYSDIRS_H

/* The system service's unix socket: $MAILOUT_SERVICE when set, else the
 * built-in path (configure's runstatedir/mailout/submit). */
const char *sysdirs_service_socket(void);

#endif
