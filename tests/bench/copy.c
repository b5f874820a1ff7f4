/*
 * copy.c — the ceiling for make bench's throughput rows: the file copied
 * as it is into a socket to sink.c, as cat(1) would copy it, behind the
 * least SMTP that the sink needs (EHLO, MAIL, RCPT and one "BDAT n LAST"
 * for the whole file, pipelined).
 *
 *   copy PORT [SIZE] < FILE
 *
 * No filter, no line ends made CRLF: what a client that had nothing to do
 * but move the octets would take. Exits 0 once the sink accepted it.
 * SIZE is the octets to expect when the input is a pipe (BDAT needs it
 * first); else the file's size.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUF (128 * 1024)	/* what cat(1) reads at a time */

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write");
		p += w;
		n -= (size_t)w;
	}
}

/* The replies to the pipelined commands, then the final one: the last
 * of them must be a 250 to the BDAT. */
static void
expect_replies(int fd, int n)
{
	char buf[4096];
	size_t have = 0;
	int lines = 0;

	while (lines < n) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - have - 1);
		char *p, *q;

		if (r <= 0)
			die("read");
		have += (size_t)r;
		buf[have] = '\0';
		lines = 0;
		for (q = buf; (p = strstr(q, "\r\n")) != NULL; q = p + 2)
			lines += p - q < 4 || q[3] != '-';
	}
	if (strstr(buf, "250 2.0.0 Ok: discarded") == NULL) {
		fprintf(stderr, "copy: not accepted: %s", buf);
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	static char buf[BUF];
	struct sockaddr_in sa;
	struct stat sb;
	char head[256];
	long long size, copied = 0;
	int fd, len, one = 1;
	ssize_t n;

	if (argc < 2 || argc > 3 || fstat(STDIN_FILENO, &sb) < 0 ||
	    (argc == 2 && !S_ISREG(sb.st_mode))) {
		fprintf(stderr, "usage: copy PORT [SIZE] < FILE (SIZE when "
		    "the input is not a file)\n");
		return 2;
	}
	size = argc == 3 ? atoll(argv[2]) : (long long)sb.st_size;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		die("socket");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect");
	/* The sink says nothing until the whole chunk is in, so under
	 * Nagle the last short segment waited for its delayed ACK: 40 ms
	 * more in 12 of 30 runs, which flattered mailout's ratio. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		die("setsockopt");
	len = snprintf(head, sizeof(head), "EHLO copy.test\r\nMAIL FROM:<>\r\n"
	    "RCPT TO:<a@example.com>\r\nBDAT %lld LAST\r\n", size);
	write_all(fd, head, (size_t)len);
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
		write_all(fd, buf, (size_t)n);
		copied += n;
	}
	if (n < 0)
		die("read");
	/* a chunk short of its size would leave the sink waiting for ever */
	if (copied != size) {
		fprintf(stderr, "copy: %lld octets read, %lld announced\n",
		    copied, size);
		return 1;
	}
	/* greeting, EHLO (one final line), MAIL, RCPT, BDAT */
	expect_replies(fd, 5);
	write_all(fd, "QUIT\r\n", 6);
	close(fd);
	return 0;
}
