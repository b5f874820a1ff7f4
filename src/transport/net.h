/*
 * net.h — a connection to the server: connect (connect.c: the addresses
 * of a name raced, Happy Eyeballs, or a unix socket), buffered line
 * reads and buffered writes,
 * each bounded by the timeout. TLS plugs in underneath through
 * struct conn_io, so the protocol code never knows which it is using.
 *
 * Error codes: EX_NOHOST (name unknown), EX_TEMPFAIL (connect failure,
 * timeout, connection lost, DNS temporary failure), EX_PROTOCOL (line too
 * long, EOF in the middle of a line), EX_OSERR.
 */
#ifndef MAILOUT_NET_H
#define MAILOUT_NET_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "lib/err.h"

#define NET_RBUF_SIZE 16384
#define NET_WBUF_SIZE 65536
/* The whole session (connect to the last reply, the message included)
 * ends within this many times the timeout, however the server paces it. */
#define NET_SESSION_TIMEOUTS 10

struct conn;
struct tls_options;

/* How bytes move: plain socket calls, or a TLS session (tls.c). Both
 * return what read(2)/writev(2) would; -1 with errno EAGAIN means "poll".
 * send may take less than all of iov[0..n), even of iov[0] (TLS sends a
 * record of iov[0] only), but takes something when it returns > 0. */
struct conn_io {
	ssize_t (*recv)(struct conn *c, void *buf, size_t len);
	ssize_t (*send)(struct conn *c, const struct iovec *iov, int n);
	/* bytes already decrypted and waiting inside the transport */
	size_t (*pending)(struct conn *c);
	/* Send what send() accepted but the transport still holds (TLS
	 * records gathered for one system call): 0 once nothing is held,
	 * else -1 as send() fails. NULL: the transport holds nothing. */
	int (*flush)(struct conn *c);
};

struct conn {
	int fd;
	int timeout_ms;		/* per connect/read/write */
	bool loopback;		/* peer is 127.0.0.0/8, ::1 or a unix socket */
	char peer[128];		/* "host [addr]:port" or the socket path */
	long long deadline;	/* monotonic ms by which the current reply is due */
	long long session_deadline;	/* ... and the whole session ends */
	bool timed_out;		/* a wait ran out of time */
	int connect_errno;	/* why the last connect failed, 0 if it did not */
	bool handshake_failed;	/* TLS could not start (not: a certificate
				 * that failed verification) */
	const struct conn_io *io;
	void *io_ctx;		/* the transport's state (TLS session) */
	/* How TLS starts when the protocol asks for it (STARTTLS) or the
	 * opener does (implicit TLS): set by whoever opened the connection,
	 * since the TLS settings are theirs (session.c: tls.h's tls_start).
	 * NULL: TLS is impossible. */
	int (*tls_start)(struct conn *c, const struct tls_options *o,
	    struct err *e);
	const struct tls_options *tls_options;
	/* When set and non-zero after a signal, a wait ends at once with
	 * EX_TEMPFAIL (the service's SIGTERM); NULL: signals are ignored. */
	const volatile sig_atomic_t *cancel;
	char rbuf[NET_RBUF_SIZE];
	size_t rpos, rlen;
	char wbuf[NET_WBUF_SIZE];
	size_t wlen;
};

/* Also starts the session's clock (NET_SESSION_TIMEOUTS). */
void net_init(struct conn *c, int timeout_seconds);

/* RFC 8305: the addresses of host in turns by family, each attempt
 * 250 ms after the last (at once when it failed), the first to connect
 * winning and the others closed; each attempt gets the timeout. */
int net_connect_tcp(struct conn *c, const char *host, const char *port,
    const char *source_address, struct err *e);
int net_connect_unix(struct conn *c, const char *path, struct err *e);

/* Start the clock for the next reply: every read until the next call
 * must finish within timeout_ms, however slowly the bytes trickle in. */
void net_start_deadline(struct conn *c);

/*
 * Read one line up to LF into line (size cap, NUL-terminated, CR/LF
 * stripped). Returns 0, or 1 when the server closed the connection
 * cleanly before the first byte, or -1: a close in mid-line or a line
 * longer than cap-1 is EX_PROTOCOL, a timeout or reset EX_TEMPFAIL.
 */
int net_read_line(struct conn *c, char *line, size_t cap, size_t *len,
    struct err *e);

/* Wait until the deadline for unread octets, for a reader that takes only
 * part of them (the service's message data): they are c->rbuf[c->rpos ..
 * c->rlen). Returns 0, 1 when the peer closed the connection, or -1
 * (EX_TEMPFAIL: timeout, connection lost). */
int net_fill(struct conn *c, struct err *e);
/* Read exactly n bytes (a binary reply, SOCKS5) before c->deadline; a
 * close before the last is EX_TEMPFAIL. */
int net_read_exact(struct conn *c, void *buf, size_t n, struct err *e);

/* The session's clock (NET_SESSION_TIMEOUTS) ran out while what
 * ("connecting"): sets c->timed_out, and e (EX_TEMPFAIL) with the limit
 * in seconds; returns -1. net.c's waits and connect.c's race end by it,
 * so the limit is told one way. */
int net_session_expired(struct conn *c, const char *what, struct err *e);

/* Wait for POLLIN/POLLOUT on the socket until c->deadline (TLS handshake). */
int net_wait(struct conn *c, short events, const char *what, struct err *e);

/* Go back to plain socket I/O (after the TLS layer is torn down). */
void net_set_plain(struct conn *c);

/* Start TLS on the connection as its opener set up (tls_start). */
int net_start_tls(struct conn *c, struct err *e);

/* Whether the connection's bytes go through TLS. */
bool net_is_tls(const struct conn *c);

/* True when bytes the server sent are waiting unread (injection check). */
bool net_has_unread(struct conn *c);

/* Queue bytes for sending. What does not fit in the buffer goes out at
 * once behind what is queued, straight from data: message text is not
 * copied. */
int net_put(struct conn *c, const void *data, size_t len, struct err *e);
int net_flush(struct conn *c, struct err *e);

void net_close(struct conn *c);

#endif
