/*
 * sink.c — a fast SMTP server for benchmarks: accepts everything, keeps
 * nothing.
 *
 *   sink [-p PORT] [-f PORT-FILE] [-l LOG] [-s SIZE-MAX]
 *
 * Listens on 127.0.0.1 (port 0: a free one, written to PORT-FILE once it
 * listens) and forks one process per connection.  EHLO offers PIPELINING,
 * CHUNKING, 8BITMIME, DSN, ENHANCEDSTATUSCODES and SIZE (SIZE-MAX, default
 * no limit).  MAIL and RCPT are accepted; DATA is read up to the "." line
 * and BDAT chunks are read and dropped, the octets counted.  LOG gets one
 * line per message: "message N octets, R recipient(s)" (DATA: the
 * dot-stuffed text without the final ".").  Replies to pipelined commands
 * are sent together, when no further command is waiting (RFC 2920).
 * Not a real server: no TLS, no limits on anything else.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUF (1 << 20)

static int fd;
static char in[BUF];
static size_t pos, len;
static char out[65536];
static size_t outlen;
static FILE *logf;
static unsigned long long size_max;

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static void
flush_out(void)
{
	size_t off = 0;

	while (off < outlen) {
		ssize_t n = write(fd, out + off, outlen - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			exit(0);
		off += (size_t)n;
	}
	outlen = 0;
}

static void
reply(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (outlen + 1024 > sizeof(out))
		flush_out();
	va_start(ap, fmt);
	n = vsnprintf(out + outlen, sizeof(out) - outlen - 2, fmt, ap);
	va_end(ap);
	outlen += (size_t)n;
	memcpy(out + outlen, "\r\n", 2);
	outlen += 2;
}

/* More input after what is buffered; replies go out before blocking. */
static void
fill(void)
{
	ssize_t n;

	if (pos == len)
		pos = len = 0;
	else if (pos > 0 && len == sizeof(in)) {
		memmove(in, in + pos, len - pos);
		len -= pos;
		pos = 0;
	}
	if (len == sizeof(in))
		exit(1);	/* a line of a megabyte */
	flush_out();
	do
		n = read(fd, in + len, sizeof(in) - len);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		exit(0);
	len += (size_t)n;
}

/* One command line, NUL-terminated, without its CRLF. */
static char *
command(void)
{
	char *lf, *line;

	while ((lf = memchr(in + pos, '\n', len - pos)) == NULL)
		fill();
	line = in + pos;
	*lf = '\0';
	if (lf > line && lf[-1] == '\r')
		lf[-1] = '\0';
	pos = (size_t)(lf - in) + 1;
	return line;
}

/* DATA: up to CRLF.CRLF; the octets before the final ".". */
static unsigned long long
data(void)
{
	unsigned long long total = 0;
	/* where we are in matching "\r\n.\r\n" (the DATA line's CRLF counts) */
	int state = 2;
	static const char term[] = "\r\n.\r\n";

	flush_out();
	for (;;) {
		while (pos < len) {
			char c = in[pos++];

			total++;
			if (c == term[state])
				state++;
			else
				state = c == '\r' ? 1 : 0;
			if (state == 5)
				return total - 3;
		}
		fill();
	}
}

static void
discard(unsigned long long n)
{
	while (n > 0) {
		size_t have = len - pos;

		if (have == 0) {
			fill();
			continue;
		}
		if (have > n)
			have = (size_t)n;
		pos += have;
		n -= have;
	}
}

static void
note(unsigned long long octets, int rcpts)
{
	if (logf) {
		fprintf(logf, "message %llu octets, %d recipient(s)\n", octets,
		    rcpts);
		fflush(logf);
	}
}

static void
session(void)
{
	unsigned long long message = 0;
	int rcpts = 0;

	reply("220 sink.test ESMTP discard sink");
	for (;;) {
		char *c = command();

		if (strncasecmp(c, "EHLO", 4) == 0 ||
		    strncasecmp(c, "LHLO", 4) == 0) {
			reply("250-sink.test");
			reply("250-PIPELINING");
			reply("250-CHUNKING");
			reply("250-8BITMIME");
			reply("250-DSN");
			reply("250-ENHANCEDSTATUSCODES");
			if (size_max)
				reply("250 SIZE %llu", size_max);
			else
				reply("250 SIZE");
		} else if (strncasecmp(c, "HELO", 4) == 0) {
			reply("250 sink.test");
		} else if (strncasecmp(c, "MAIL", 4) == 0) {
			rcpts = 0;
			message = 0;
			reply("250 2.1.0 Ok");
		} else if (strncasecmp(c, "RCPT", 4) == 0) {
			rcpts++;
			reply("250 2.1.5 Ok");
		} else if (strcasecmp(c, "DATA") == 0) {
			reply("354 End data with <CR><LF>.<CR><LF>");
			note(data(), rcpts);
			reply("250 2.0.0 Ok: discarded");
		} else if (strncasecmp(c, "BDAT ", 5) == 0) {
			char *end;
			unsigned long long n = strtoull(c + 5, &end, 10);
			int last = strcasecmp(end, " LAST") == 0;

			if (end == c + 5 || (*end != '\0' && !last)) {
				reply("501 5.5.4 Syntax: BDAT n [LAST]");
				continue;
			}
			discard(n);
			message += n;
			if (last) {
				note(message, rcpts);
				message = 0;
				reply("250 2.0.0 Ok: discarded");
			} else
				reply("250 2.0.0 %llu octets", n);
		} else if (strcasecmp(c, "RSET") == 0 ||
		    strcasecmp(c, "NOOP") == 0) {
			reply("250 2.0.0 Ok");
		} else if (strcasecmp(c, "QUIT") == 0) {
			reply("221 2.0.0 Bye");
			flush_out();
			return;
		} else
			reply("502 5.5.2 Command not recognized");
	}
}

int
main(int argc, char **argv)
{
	const char *port_file = NULL;
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	int port = 0, srv, opt, one = 1;

	while ((opt = getopt(argc, argv, "p:f:l:s:")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'f': port_file = optarg; break;
		case 'l':
			if ((logf = fopen(optarg, "a")) == NULL)
				die(optarg);
			break;
		case 's': size_max = strtoull(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: sink [-p PORT] [-f PORT-FILE] "
			    "[-l LOG] [-s SIZE-MAX]\n");
			return 2;
		}
	}
	signal(SIGCHLD, SIG_IGN);	/* no zombies */
	signal(SIGPIPE, SIG_IGN);
	if ((srv = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		die("socket");
	setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(srv, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind");
	if (listen(srv, 64) < 0)
		die("listen");
	if (getsockname(srv, (struct sockaddr *)&sa, &salen) < 0)
		die("getsockname");
	if (port_file) {
		char tmp[4096];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp.%d", port_file, (int)getpid());
		if ((f = fopen(tmp, "w")) == NULL)
			die(tmp);
		fprintf(f, "%d\n", ntohs(sa.sin_port));
		fclose(f);
		if (rename(tmp, port_file) < 0)
			die("rename");
	}
	for (;;) {
		int c = accept(srv, NULL, NULL);

		if (c < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		if (fork() == 0) {
			close(srv);
			fd = c;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			session();
			_exit(0);
		}
		close(c);
	}
}
