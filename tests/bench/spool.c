/*
 * spool.c — the least that a copy of a message from a pipe costs, for
 * make bench's note beside the pipe row: SIZE octets written 64 KiB at
 * a time (what a pipe gives a read) into an unlinked file in DIR, where
 * mailout keeps its copy of a piped message (TMPDIR, else /tmp), and the
 * file closed.
 *
 *   spool DIR SIZE
 *
 * Nothing is read: only the writes, which mailout adds to the reads and
 * the sending that the message from a file costs too.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF (64 * 1024)

int
main(int argc, char **argv)
{
	static char buf[BUF];
	long long left;
	int fd;

	if (argc != 3 || (left = atoll(argv[2])) < 0) {
		fprintf(stderr, "usage: spool DIR SIZE\n");
		return 2;
	}
	memset(buf, 'x', sizeof(buf));
	if ((fd = open(argv[1], O_TMPFILE | O_RDWR, 0600)) < 0) {
		perror(argv[1]);
		return 1;
	}
	while (left > 0) {
		size_t n = left < BUF ? (size_t)left : BUF;
		ssize_t w = write(fd, buf, n);

		if (w <= 0) {
			perror("write");
			return 1;
		}
		left -= w;
	}
	return close(fd) < 0;
}
