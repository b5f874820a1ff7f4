/* net.c — connecting, and reading and writing with a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "transport/net.h"

static ssize_t
plain_recv(struct conn *c, void *buf, size_t len)
{
	return recv(c->fd, buf, len, 0);
}

static ssize_t
plain_send(struct conn *c, const void *buf, size_t len)
{
	return send(c->fd, buf, len, MSG_NOSIGNAL);
}

static size_t
plain_pending(struct conn *c)
{
	(void)c;
	return 0;
}

static const struct conn_io plain_io = {
	plain_recv, plain_send, plain_pending
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
net_init(struct conn *c, int timeout_seconds)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->timeout_ms = timeout_seconds * 1000;
	c->session_deadline = now_ms() +
	    (long long)NET_SESSION_TIMEOUTS * c->timeout_ms;
	c->io = &plain_io;
}

/* Wait until fd is ready for events or the deadline passes, or a
 * signal sets *cancel. */
static int
wait_fd(int fd, short events, long long deadline, const char *what,
    const volatile sig_atomic_t *cancel, struct err *e)
{
	struct pollfd pfd = { fd, events, 0 };

	for (;;) {
		long long left = deadline - now_ms();
		int n;

		if (left <= 0)
			return err_set(e, EX_TEMPFAIL, "timeout %s", what);
		n = poll(&pfd, 1, left > 3600000 ? 3600000 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return err_set(e, EX_OSERR, "poll: %s", strerror(errno));
		if (n < 0 && cancel != NULL && *cancel)
			return err_set(e, EX_TEMPFAIL, "interrupted %s", what);
	}
}

/* wait_fd, and the session's deadline if that comes first. */
static int
wait_conn(struct conn *c, int fd, short events, long long deadline,
    const char *what, struct err *e)
{
	if (deadline <= c->session_deadline) {
		if (wait_fd(fd, events, deadline, what, c->cancel, e) == 0)
			return 0;
		c->timed_out = e->code == EX_TEMPFAIL;
		return -1;
	}
	if (wait_fd(fd, events, c->session_deadline, what, c->cancel, e) == 0)
		return 0;
	c->timed_out = e->code == EX_TEMPFAIL;
	if (c->timed_out)
		err_set(e, EX_TEMPFAIL, "timeout %s: the whole session may "
		    "take at most %d times the timeout (%lld s)", what,
		    NET_SESSION_TIMEOUTS,
		    (long long)NET_SESSION_TIMEOUTS * c->timeout_ms / 1000);
	return -1;
}

static bool
sockaddr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		const uint8_t *b = in6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127;
	}
	return sa->sa_family == AF_UNIX;
}

static int
bind_source(int fd, int family, const char *source, struct err *e)
{
	struct addrinfo hints, *res;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(source, NULL, &hints, &res);
	if (rc != 0) {
		/* A source of the other family: skip this server address
		 * (EX_TEMPFAIL lets the caller try the next one). */
		hints.ai_family = AF_UNSPEC;
		if (getaddrinfo(source, NULL, &hints, &res) == 0) {
			freeaddrinfo(res);
			return err_set(e, EX_TEMPFAIL, "source address %s is "
			    "not of this address family", source);
		}
		return err_set(e, EX_NOHOST, "source address %s: %s", source,
		    gai_strerror(rc));
	}
	rc = bind(fd, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (rc < 0)
		return err_set(e, EX_OSERR, "cannot bind to source address %s: %s",
		    source, strerror(errno));
	return 0;
}

/* One non-blocking connect attempt with the timeout; fd stays non-blocking. */
static int
connect_one(struct conn *c, const struct addrinfo *ai, const char *source,
    struct err *e)
{
	int fd, soerr = 0;
	socklen_t len = sizeof(soerr);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd < 0)
		return err_set(e, EX_OSERR, "socket: %s", strerror(errno));
	if (source != NULL && bind_source(fd, ai->ai_family, source, e) < 0)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			c->connect_errno = errno;
			err_set(e, EX_TEMPFAIL, "%s", strerror(errno));
			goto fail;
		}
		if (wait_conn(c, fd, POLLOUT, now_ms() + c->timeout_ms,
		    "connecting", e) < 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			soerr = errno;
		if (soerr != 0) {
			c->connect_errno = soerr;
			err_set(e, EX_TEMPFAIL, "%s", strerror(soerr));
			goto fail;
		}
	}
	c->fd = fd;
	c->loopback = sockaddr_is_loopback(ai->ai_addr);
	return 0;
fail:
	close(fd);
	return -1;
}

static void
describe_peer(struct conn *c, const char *host, const struct addrinfo *ai)
{
	char addr[INET6_ADDRSTRLEN + 8] = "?", port[16] = "?";

	getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr), port,
	    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(c->peer, sizeof(c->peer), "%s [%s]:%s", host, addr, port);
}

int
net_connect_tcp(struct conn *c, const char *host, const char *port,
    const char *source_address, struct err *e)
{
	struct addrinfo hints, *res, *ai;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		int code = (rc == EAI_AGAIN) ? EX_TEMPFAIL :
		    (rc == EAI_SYSTEM || rc == EAI_MEMORY) ? EX_OSERR : EX_NOHOST;
		return err_set(e, code, "cannot resolve %s: %s", host,
		    gai_strerror(rc));
	}
	rc = -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		describe_peer(c, host, ai);
		if (connect_one(c, ai, source_address, e) == 0) {
			rc = 0;
			memset(e, 0, sizeof(*e));	/* earlier tries failed */
			break;
		}
		if (e->code != EX_TEMPFAIL)
			break;
		err_prefix(e, "cannot connect to %s", c->peer);
	}
	freeaddrinfo(res);
	return rc;
}

int
net_connect_unix(struct conn *c, const char *path, struct err *e)
{
	struct addrinfo ai;
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return err_set(e, EX_USAGE, "socket path too long: %s", path);
	strcpy(sun.sun_path, path);
	memset(&ai, 0, sizeof(ai));
	ai.ai_family = AF_UNIX;
	ai.ai_socktype = SOCK_STREAM;
	ai.ai_addr = (struct sockaddr *)&sun;
	ai.ai_addrlen = sizeof(sun);
	snprintf(c->peer, sizeof(c->peer), "%s", path);
	if (connect_one(c, &ai, NULL, e) < 0) {
		err_prefix(e, "cannot connect to %s", path);
		return -1;
	}
	return 0;
}

void
net_start_deadline(struct conn *c)
{
	c->deadline = now_ms() + c->timeout_ms;
}

/* Refill rbuf (which the caller has found empty) before the deadline. */
static int
fill(struct conn *c, struct err *e)
{
	for (;;) {
		ssize_t n;

		if (c->io->pending(c) == 0 &&
		    wait_conn(c, c->fd, POLLIN, c->deadline,
		    "waiting for the server", e) < 0)
			return -1;
		n = c->io->recv(c, c->rbuf, sizeof(c->rbuf));
		if (n > 0) {
			c->rpos = 0;
			c->rlen = (size_t)n;
			return 0;
		}
		if (n == 0)
			return 1;
		if (errno != EAGAIN && errno != EINTR)
			return err_set(e, EX_TEMPFAIL, "connection lost: %s",
			    strerror(errno));
	}
}

int
net_read_line(struct conn *c, char *line, size_t cap, size_t *len,
    struct err *e)
{
	size_t n = 0;

	for (;;) {
		char *lf;
		size_t take;
		int rc;

		if (c->rpos == c->rlen) {
			rc = fill(c, e);
			if (rc < 0)
				return -1;
			if (rc > 0 && n == 0)
				return 1;
			if (rc > 0)
				return err_set(e, EX_PROTOCOL,
				    "connection closed in the middle of a line");
		}
		lf = memchr(c->rbuf + c->rpos, '\n', c->rlen - c->rpos);
		take = (lf ? (size_t)(lf - (c->rbuf + c->rpos)) + 1 :
		    c->rlen - c->rpos);
		if (n + take >= cap)
			return err_set(e, EX_PROTOCOL,
			    "server line longer than %zu bytes", cap - 1);
		memcpy(line + n, c->rbuf + c->rpos, take);
		n += take;
		c->rpos += take;
		if (lf != NULL)
			break;
	}
	n--;			/* the LF */
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	*len = n;
	return 0;
}

int
net_fill(struct conn *c, struct err *e)
{
	return c->rpos < c->rlen ? 0 : fill(c, e);
}

int
net_wait(struct conn *c, short events, const char *what, struct err *e)
{
	return wait_conn(c, c->fd, events, c->deadline, what, e);
}

void
net_set_plain(struct conn *c)
{
	c->io = &plain_io;
	c->io_ctx = NULL;
}

int
net_start_tls(struct conn *c, struct err *e)
{
	if (c->tls_start == NULL)
		return err_set(e, EX_SOFTWARE, "TLS is not set up for %s",
		    c->peer);
	return c->tls_start(c, c->tls_options, e);
}

bool
net_is_tls(const struct conn *c)
{
	return c->io != &plain_io;
}

bool
net_has_unread(struct conn *c)
{
	char byte;

	/* Peek rather than poll: POLLIN is also what a closed peer shows. */
	return c->rpos < c->rlen || c->io->pending(c) > 0 ||
	    recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

int
net_flush(struct conn *c, struct err *e)
{
	long long deadline = now_ms() + c->timeout_ms;
	size_t off = 0;

	while (off < c->wlen) {
		ssize_t n = c->io->send(c, c->wbuf + off, c->wlen - off);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return err_set(e, EX_TEMPFAIL, "connection lost: %s",
			    strerror(errno));
		if (wait_conn(c, c->fd, POLLOUT, deadline,
		    "sending to the server", e) < 0)
			return -1;
	}
	c->wlen = 0;
	return 0;
}

int
net_put(struct conn *c, const void *data, size_t len, struct err *e)
{
	const char *p = data;

	while (len > 0) {
		size_t room = sizeof(c->wbuf) - c->wlen;
		size_t take = len < room ? len : room;

		memcpy(c->wbuf + c->wlen, p, take);
		c->wlen += take;
		p += take;
		len -= take;
		if (c->wlen == sizeof(c->wbuf) && net_flush(c, e) < 0)
			return -1;
	}
	return 0;
}

void
net_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
