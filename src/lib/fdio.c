/* fdio.c — writing to a file descriptor until everything is written. */
#include <errno.h>
#include <unistd.h>

#include "lib/fdio.h"

int
fd_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}
