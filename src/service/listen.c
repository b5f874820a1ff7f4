/* listen.c — the service's sockets: systemd's, or bound here; accept. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "service/listen.h"

#define SD_LISTEN_FDS_START 3

static int
add(struct listeners *ls, int fd, bool local, const char *name,
    struct err *e)
{
	struct listener *l;

	if (ls->n == LISTEN_MAX) {
		close(fd);
		return err_set(e, EX_CONFIG, "more than %d sockets to listen "
		    "on", LISTEN_MAX);
	}
	/* several processes wait on it: accept must not block when
	 * another one took the client */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		close(fd);
		return err_set(e, EX_OSERR, "%s: %s", name, strerror(errno));
	}
	l = &ls->v[ls->n++];
	l->fd = fd;
	l->local = local;
	snprintf(l->name, sizeof(l->name), "%s", name);
	return 0;
}

/* What an inherited socket is called in messages. */
static void
socket_name(int fd, char *buf, size_t n, bool *local)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	*local = false;
	snprintf(buf, n, "fd %d", fd);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_UNIX) {
		*local = true;
		snprintf(buf, n, "%s", ((struct sockaddr_un *)&ss)->sun_path);
		return;
	}
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
		port = ntohs(in->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
		port = ntohs(in6->sin6_port);
	}
	snprintf(buf, n, "%s:%d", addr, port);
}

int
listen_inherited(struct listeners *ls, struct err *e)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char name[128];
	struct stat sb;
	long n, i;
	bool local;

	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid())
		return 0;
	n = atol(fds);
	/* sd_listen_fds(1): the variables are for this process only */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	for (i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + (int)i;

		if (fstat(fd, &sb) < 0 || !S_ISSOCK(sb.st_mode) ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
			return err_set(e, EX_OSERR, "socket activation: fd %d "
			    "is not a socket", fd);
		socket_name(fd, name, sizeof(name), &local);
		if (add(ls, fd, local, name, e) < 0)
			return -1;
	}
	ls->inherited = n > 0;
	return (int)n;
}

/* The directory of path, made 0755 when missing (one level, as
 * /run/mailout under /run). */
static int
make_parent(const char *path, struct err *e)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return err_set(e, EX_CANTCREAT, "cannot create %s: %s", dir,
		    strerror(errno));
	return 0;
}

/* A socket left by a service that is gone goes; a live one is an
 * error: two services on one socket would share nothing. */
static int
clear_stale(const struct sockaddr_un *sun, struct err *e)
{
	struct stat sb;
	int fd;

	if (lstat(sun->sun_path, &sb) < 0)
		return 0;
	if (!S_ISSOCK(sb.st_mode))
		return err_set(e, EX_CANTCREAT, "%s exists and is not a "
		    "socket", sun->sun_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return err_set(e, EX_OSERR, "socket: %s", strerror(errno));
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0) {
		close(fd);
		return err_set(e, EX_CANTCREAT, "%s: another service is "
		    "listening there", sun->sun_path);
	}
	close(fd);
	unlink(sun->sun_path);
	return 0;
}

int
listen_unix(struct listeners *ls, const char *path, struct err *e)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return err_set(e, EX_USAGE, "socket path too long: %s", path);
	strcpy(sun.sun_path, path);
	if (make_parent(path, e) < 0 || clear_stale(&sun, e) < 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return err_set(e, EX_OSERR, "socket: %s", strerror(errno));
	/* every local user may connect: who they are comes from the
	 * socket (SO_PEERCRED), and the policy decides what they may do */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(path, 0666) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		err_set(e, EX_CANTCREAT, "cannot listen on %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return add(ls, fd, true, path, e);
}

/* uid, gid and pid of the process at the other end of a unix socket. */
static int
peer_credentials(int fd, struct queue_owner *owner, struct err *e)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct passwd *pw;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return err_set(e, EX_OSERR, "SO_PEERCRED: %s",
		    strerror(errno));
	owner->known = true;
	owner->uid = cred.uid;
	owner->gid = cred.gid;
	owner->pid = cred.pid;
	if ((pw = getpwuid(cred.uid)) != NULL)
		snprintf(owner->name, sizeof(owner->name), "%s", pw->pw_name);
	else
		snprintf(owner->name, sizeof(owner->name), "#%ld",
		    (long)cred.uid);
	return 0;
}

static void
peer_address(const struct sockaddr_storage *ss, char *peer, size_t n)
{
	const void *addr = ss->ss_family == AF_INET6 ?
	    (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr :
	    (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (inet_ntop(ss->ss_family, addr, peer, (socklen_t)n) == NULL)
		snprintf(peer, n, "?");
}

int
listen_accept(const struct listener *l, int *fd, struct queue_owner *owner,
    char *peer, size_t n, struct err *e)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(owner, 0, sizeof(*owner));
	*fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (*fd < 0)
		return err_set(e, errno == EAGAIN || errno == EINTR ||
		    errno == ECONNABORTED ? EX_TEMPFAIL : EX_OSERR,
		    "accept on %s: %s", l->name, strerror(errno));
	if (l->local) {
		snprintf(peer, n, "local");
		if (peer_credentials(*fd, owner, e) == 0)
			return 0;
		close(*fd);
		return -1;
	}
	peer_address(&ss, peer, n);
	owner->known = true;
	owner->uid = owner->gid = owner->pid = -1;
	snprintf(owner->name, sizeof(owner->name), "tcp:%s", peer);
	return 0;
}

void
listen_close(struct listeners *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++) {
		if (ls->v[i].local && !ls->inherited)
			unlink(ls->v[i].name);
		close(ls->v[i].fd);
	}
	ls->n = 0;
}
