/*
 * connect.c — reaching the server: the addresses of a name raced the
 * Happy Eyeballs way (RFC 8305), or a unix socket.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/trace.h"
#include "lib/when.h"
#include "transport/net.h"

/* RFC 8305 5: the Connection Attempt Delay it recommends. */
#define ATTEMPT_DELAY_MS 250
/* Of one name's addresses, at most this many are tried. */
#define ADDRESSES_MAX 32

struct attempt {
	const struct addrinfo *ai;
	int fd;				/* -1: not started, or over */
	long long deadline;
	char peer[sizeof(((struct conn *)0)->peer)];
};

/* The addresses of one name and their connection attempts. */
struct race {
	struct conn *c;
	const char *source;		/* source_address, or NULL */
	struct attempt a[ADDRESSES_MAX];
	size_t n;			/* in the order they are tried */
	size_t next;			/* the next one to start */
	size_t running;
	long long next_start;		/* when the next one starts anyway */
	struct err failure;		/* why the last one failed */
	bool failure_timed_out;
};

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

/* "host [addr]:port", or the socket's path. */
static void
describe_peer(char *buf, size_t n, const char *host,
    const struct addrinfo *ai)
{
	char addr[INET6_ADDRSTRLEN + 8] = "?", port[16] = "?";

	if (ai->ai_family == AF_UNIX) {
		snprintf(buf, n, "%s", host);
		return;
	}
	getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr), port,
	    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(buf, n, "%s [%s]:%s", host, addr, port);
}

static void
add_address(struct race *r, const char *host, const struct addrinfo *ai)
{
	struct attempt *a = &r->a[r->n++];

	a->ai = ai;
	a->fd = -1;
	describe_peer(a->peer, sizeof(a->peer), host, ai);
}

/*
 * RFC 8305 4: the resolver's order (RFC 6724), but the two families
 * taking turns, starting with the family of the first address.
 */
static void
interleave(struct race *r, const char *host, const struct addrinfo *res)
{
	const struct addrinfo *family[2][ADDRESSES_MAX], *ai;
	size_t count[2] = { 0, 0 }, i, k;

	for (ai = res; ai != NULL; ai = ai->ai_next) {
		k = ai->ai_family != res->ai_family;
		if (count[k] < ADDRESSES_MAX)
			family[k][count[k]++] = ai;
	}
	for (i = 0; i < count[0] || i < count[1]; i++)
		for (k = 0; k < 2; k++)
			if (i < count[k] && r->n < ADDRESSES_MAX)
				add_address(r, host, family[k][i]);
}

static void
attempt_end(struct race *r, struct attempt *a)
{
	close(a->fd);
	a->fd = -1;
	r->running--;
}

/* Attempt a failed: the next one starts now (RFC 8305 5). */
static void
attempt_failed(struct race *r, struct attempt *a, bool timed_out,
    const char *why)
{
	if (r->n > 1)
		trace_note("%s: %s", a->peer, why);
	err_set(&r->failure, EX_TEMPFAIL, "cannot connect to %s: %s", a->peer,
	    why);
	r->failure_timed_out = timed_out;
	if (a->fd >= 0)
		attempt_end(r, a);
	r->next_start = when_now_ms();
}

/* Start the next attempt. 1: it connected at once; 0: under way or
 * over; -1 with e: no other attempt can do better (EX_NOHOST, EX_OSERR). */
static int
attempt_start(struct race *r, struct err *e)
{
	struct attempt *a = &r->a[r->next++];
	const struct addrinfo *ai = a->ai;
	struct err why;

	if (r->n > 1)
		trace_note("trying %s", a->peer);
	r->next_start = when_now_ms() + ATTEMPT_DELAY_MS;
	a->deadline = when_now_ms() + r->c->timeout_ms;
	a->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (a->fd < 0 && errno == EAFNOSUPPORT) {
		attempt_failed(r, a, false, strerror(errno));	/* no IPv6 */
		return 0;
	}
	if (a->fd < 0)
		return err_set(e, EX_OSERR, "socket: %s", strerror(errno));
	r->running++;
	if (r->source != NULL && bind_source(a->fd, ai->ai_family, r->source,
	    &why) < 0) {
		if (why.code != EX_TEMPFAIL) {
			attempt_end(r, a);
			*e = why;
			return -1;
		}
		attempt_failed(r, a, false, why.msg);
		return 0;
	}
	if (connect(a->fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 1;
	if (errno != EINPROGRESS) {
		r->c->connect_errno = errno;
		attempt_failed(r, a, false, strerror(errno));
	}
	return 0;
}

/* The first deadline to wake up for: the next start, an attempt's end,
 * the session's end. */
static long long
race_wakeup(const struct race *r)
{
	long long at = r->c->session_deadline;
	size_t i;

	if (r->next < r->n && r->next_start < at)
		at = r->next_start;
	for (i = 0; i < r->next; i++)
		if (r->a[i].fd >= 0 && r->a[i].deadline < at)
			at = r->a[i].deadline;
	return at;
}

/* Wait for an attempt to finish or the next to be due; *won is the
 * index of one that connected, or -1. */
static int
race_wait(struct race *r, int *won, struct err *e)
{
	struct pollfd pfd[ADDRESSES_MAX];
	size_t idx[ADDRESSES_MAX], i, k = 0;
	long long left = race_wakeup(r) - when_now_ms();
	int n;

	*won = -1;
	for (i = 0; i < r->next; i++) {
		if (r->a[i].fd < 0)
			continue;
		pfd[k] = (struct pollfd){ r->a[i].fd, POLLOUT, 0 };
		idx[k++] = i;
	}
	n = poll(pfd, k, left <= 0 ? 0 : left > 3600000 ? 3600000 : (int)left);
	if (n < 0 && errno != EINTR)
		return err_set(e, EX_OSERR, "poll: %s", strerror(errno));
	for (i = 0; n > 0 && i < k; i++) {
		struct attempt *a = &r->a[idx[i]];
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		if (pfd[i].revents == 0)
			continue;
		if (getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			soerr = errno;
		if (soerr == 0) {
			*won = (int)idx[i];
			return 0;
		}
		r->c->connect_errno = soerr;
		attempt_failed(r, a, false, strerror(soerr));
	}
	for (i = 0; i < r->next; i++)
		if (r->a[i].fd >= 0 && when_now_ms() >= r->a[i].deadline)
			attempt_failed(r, &r->a[i], true, "timeout connecting");
	return 0;
}

/* The winner is the connection; every other attempt is closed. */
static void
race_won(struct race *r, size_t w)
{
	struct conn *c = r->c;
	size_t i;

	for (i = 0; i < r->next; i++) {
		if (i == w || r->a[i].fd < 0)
			continue;
		trace_note("%s: abandoned, %s answered first", r->a[i].peer,
		    r->a[w].peer);
		attempt_end(r, &r->a[i]);
	}
	c->fd = r->a[w].fd;
	c->loopback = sockaddr_is_loopback(r->a[w].ai->ai_addr);
	snprintf(c->peer, sizeof(c->peer), "%s", r->a[w].peer);
}

static void
race_abandon(struct race *r)
{
	size_t i;

	for (i = 0; i < r->next; i++)
		if (r->a[i].fd >= 0)
			attempt_end(r, &r->a[i]);
}

/* Every attempt failed, or the session ran out of time. */
static int
race_lost(struct race *r, struct err *e)
{
	struct conn *c = r->c;

	race_abandon(r);
	if (when_now_ms() >= c->session_deadline && r->next > 0) {
		net_session_expired(c, "connecting", e);
		err_prefix(e, "cannot connect to %s", r->a[r->next - 1].peer);
		return -1;
	}
	c->timed_out = r->failure_timed_out;
	snprintf(c->peer, sizeof(c->peer), "%s", r->a[r->n - 1].peer);
	*e = r->failure;
	return -1;
}

/*
 * The next attempt starts ATTEMPT_DELAY_MS after the last, or at once
 * when none is left running; the first to connect wins.
 */
static int
race_run(struct race *r, struct err *e)
{
	int won;

	for (;;) {
		if (r->next < r->n && (r->running == 0 ||
		    when_now_ms() >= r->next_start)) {
			if ((won = attempt_start(r, e)) < 0) {
				race_abandon(r);
				return -1;
			}
			if (won > 0) {
				race_won(r, r->next - 1);
				return 0;
			}
			continue;
		}
		if (r->running == 0 || when_now_ms() >= r->c->session_deadline)
			return race_lost(r, e);
		if (race_wait(r, &won, e) < 0) {
			race_abandon(r);
			return -1;
		}
		if (won >= 0) {
			race_won(r, (size_t)won);
			return 0;
		}
	}
}

int
net_connect_tcp(struct conn *c, const char *host, const char *port,
    const char *source_address, struct err *e)
{
	struct addrinfo hints, *res;
	struct race r;
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
	memset(&r, 0, sizeof(r));
	r.c = c;
	r.source = source_address;
	interleave(&r, host, res);
	rc = race_run(&r, e);
	freeaddrinfo(res);
	return rc;
}

int
net_connect_unix(struct conn *c, const char *path, struct err *e)
{
	struct addrinfo ai;
	struct sockaddr_un sun;
	struct race r;

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
	memset(&r, 0, sizeof(r));
	r.c = c;
	interleave(&r, path, &ai);
	return race_run(&r, e);
}
