/* net.c — reading and writing with a deadline (connect.c connects). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/when.h"
#include "transport/net.h"

static ssize_t
plain_recv(struct conn *c, void *buf, size_t len)
{
	return recv(c->fd, buf, len, 0);
}

/* All of iov[0..n) in one system call, as far as the socket takes it. */
static ssize_t
plain_send(struct conn *c, const struct iovec *iov, int n)
{
	struct msghdr mh = { .msg_iov = (struct iovec *)iov,
	    .msg_iovlen = (size_t)n };

	return sendmsg(c->fd, &mh, MSG_NOSIGNAL);
}

static size_t
plain_pending(struct conn *c)
{
	(void)c;
	return 0;
}

static const struct conn_io plain_io = {
	plain_recv, plain_send, plain_pending, NULL
};

void
net_init(struct conn *c, int timeout_seconds)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->timeout_ms = timeout_seconds * 1000;
	c->session_deadline = when_now_ms() +
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
		long long left = deadline - when_now_ms();
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

int
net_session_expired(struct conn *c, const char *what, struct err *e)
{
	c->timed_out = true;
	return err_set(e, EX_TEMPFAIL, "timeout %s: the whole session may "
	    "take at most %d times the timeout (%lld s)", what,
	    NET_SESSION_TIMEOUTS,
	    (long long)NET_SESSION_TIMEOUTS * c->timeout_ms / 1000);
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
		net_session_expired(c, what, e);
	return -1;
}

void
net_start_deadline(struct conn *c)
{
	c->deadline = when_now_ms() + c->timeout_ms;
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
net_read_exact(struct conn *c, void *buf, size_t n, struct err *e)
{
	char *p = buf;

	while (n > 0) {
		size_t take;
		int rc;

		if (c->rpos == c->rlen && (rc = fill(c, e)) != 0)
			return rc < 0 ? -1 : err_set(e, EX_TEMPFAIL,
			    "connection closed by %s", c->peer);
		take = c->rlen - c->rpos < n ? c->rlen - c->rpos : n;
		memcpy(p, c->rbuf + c->rpos, take);
		c->rpos += take;
		p += take;
		n -= take;
	}
	return 0;
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

/* A send that took nothing (n <= 0): wait for room, or say why not. */
static int
send_wait(struct conn *c, ssize_t n, long long deadline, struct err *e)
{
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return err_set(e, EX_TEMPFAIL, "connection lost: %s",
		    strerror(errno));
	return wait_conn(c, c->fd, POLLOUT, deadline, "sending to the server",
	    e);
}

/* Send what is buffered, then data (not copied), then what the transport
 * holds back, within the timeout. */
static int
send_all(struct conn *c, const void *data, size_t len, struct err *e)
{
	long long deadline = when_now_ms() + c->timeout_ms;
	struct iovec iov[2] = { { c->wbuf, c->wlen }, { (void *)data, len } };
	int i = 0;

	while (i < 2) {
		ssize_t n;

		if (iov[i].iov_len == 0) {
			i++;
			continue;
		}
		if ((n = c->io->send(c, iov + i, 2 - i)) > 0) {
			for (; i < 2 && (size_t)n >= iov[i].iov_len; i++)
				n -= (ssize_t)iov[i].iov_len;
			if (i < 2) {
				iov[i].iov_base = (char *)iov[i].iov_base + n;
				iov[i].iov_len -= (size_t)n;
			}
			continue;
		}
		if (send_wait(c, n, deadline, e) < 0)
			return -1;
	}
	c->wlen = 0;
	while (c->io->flush != NULL && c->io->flush(c) < 0)
		if (send_wait(c, -1, deadline, e) < 0)
			return -1;
	return 0;
}

int
net_flush(struct conn *c, struct err *e)
{
	return send_all(c, NULL, 0, e);
}

int
net_put(struct conn *c, const void *data, size_t len, struct err *e)
{
	/* More than fits: the message text goes out from where it is. */
	if (len > sizeof(c->wbuf) - c->wlen)
		return send_all(c, data, len, e);
	memcpy(c->wbuf + c->wlen, data, len);
	c->wlen += len;
	return 0;
}

void
net_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
