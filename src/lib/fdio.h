/*
 * fdio.h — writing to a file descriptor until everything is written.
 */
#ifndef MAILOUT_FDIO_H
#define MAILOUT_FDIO_H

#include <stddef.h>

/* Write all len octets (retrying short writes and EINTR); -1 with errno
 * on failure. */
int fd_write_all(int fd, const char *buf, size_t len);

#endif
