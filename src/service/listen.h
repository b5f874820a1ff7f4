/*
 * listen.h — the service's listening sockets: those systemd passes
 * (socket activation: LISTEN_PID and LISTEN_FDS, descriptors from 3, as
 * sd_listen_fds(3) says, without libsystemd), else its unix socket
 * bound here (mode 0666, its directory created 0755 when missing, a
 * stale socket replaced) and its TCP listeners; accepting a client and
 * learning who it is (SO_PEERCRED for the unix socket, the address and
 * the allow-list for TCP).
 *
 * Error codes: EX_OSERR, EX_CANTCREAT (socket, bind, listen), EX_CONFIG
 * (a TCP address that is not loopback without listen_allow), EX_TEMPFAIL
 * (accept: try again).
 */
#ifndef MAILOUT_LISTEN_H
#define MAILOUT_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"
#include "queue/queue.h"

#define LISTEN_MAX 8
#define LISTEN_BACKLOG 512	/* 200 callers at once wait, none refused */

struct listener {
	int fd;
	bool local;		/* a unix socket: LMTP, SO_PEERCRED */
	char name[128];		/* the path or ADDR:PORT, for messages */
	const char *allow;	/* TCP: listen_allow (loopback always) */
};

struct listeners {
	struct listener v[LISTEN_MAX];
	size_t n;
	bool inherited;		/* from systemd: not ours to unlink */
};

/* Take the sockets systemd passed; 0 when there are none. */
int listen_inherited(struct listeners *ls, struct err *e);

/* Bind the unix socket at path. */
int listen_unix(struct listeners *ls, const char *path, struct err *e);

/*
 * The TCP listeners of list ("ADDR:PORT, ...", numeric: 127.0.0.1:2525,
 * [::1]:2525): SMTP. An address that is not loopback needs allow (the
 * networks that may connect, listen_allow): without it, EX_CONFIG.
 */
int listen_tcp(struct listeners *ls, const char *list, const char *allow,
    struct err *e);

/* One item of listen or of listen_allow, checked: 0 or -1. */
int listen_address_check(const char *item);
int listen_network_check(const char *item);

/* One client from l, non-blocking wait already done by the caller:
 * *fd its socket; for a unix socket its uid, gid and pid (never what
 * the client says), for TCP its address in caller->name ("tcp:ADDR")
 * and peer, and *allowed whether it is loopback or in l->allow.
 * Returns 0, or -1 (EX_TEMPFAIL when another took it). */
int listen_accept(const struct listener *l, int *fd,
    struct queue_caller *caller, char *peer, size_t n, bool *allowed,
    struct err *e);

/* Close every socket; a unix socket bound here is unlinked. */
void listen_close(struct listeners *ls);

#endif
