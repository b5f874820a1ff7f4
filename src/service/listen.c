/* listen.c — the service's sockets: systemd's, or bound here; accept. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
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

#include "config/lists.h"
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

/* ---- TCP ---- */

/* "ADDR:PORT" (IPv4) or "[ADDR]:PORT" (IPv6), numeric, into ss. */
static int
parse_address(const char *item, struct sockaddr_storage *ss,
    socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h = item;
	size_t hlen;
	long port;
	char *end;

	if (*item == '[') {
		h = item + 1;
		colon = strchr(item, ']');
		if (colon == NULL || colon[1] != ':')
			return -1;
		hlen = (size_t)(colon - h);
		colon++;
	} else if ((colon = strrchr(item, ':')) == NULL ||
	    memchr(item, ':', (size_t)(colon - item)) != NULL) {
		return -1;
	} else {
		hlen = (size_t)(colon - item);
	}
	port = strtol(colon + 1, &end, 10);
	if (hlen == 0 || hlen >= sizeof(host) || *end != '\0' || port < 1 ||
	    port > 65535 || colon[1] < '0' || colon[1] > '9')
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (*item != '[' && inet_pton(AF_INET, host,
	    &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		*len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (*item == '[' && inet_pton(AF_INET6, host,
	    &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
		*len = sizeof(struct sockaddr_in6);
		return 0;
	}
	return -1;
}

int
listen_address_check(const char *item)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return parse_address(item, &ss, &len);
}

/* A network: an address and how many of its leading bits count. */
struct network {
	int family;
	unsigned char bytes[16];
	int bits;
};

/* "ADDR" or "ADDR/BITS", IPv4 or IPv6. */
static int
parse_network(const char *item, struct network *net)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(item, '/');
	size_t alen = slash ? (size_t)(slash - item) : strlen(item);
	char *end;
	long bits;

	if (alen == 0 || alen >= sizeof(addr))
		return -1;
	memcpy(addr, item, alen);
	addr[alen] = '\0';
	memset(net, 0, sizeof(*net));
	if (inet_pton(AF_INET, addr, net->bytes) == 1)
		net->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, net->bytes) == 1)
		net->family = AF_INET6;
	else
		return -1;
	bits = net->family == AF_INET ? 32 : 128;
	if (slash != NULL) {
		long max = bits;

		bits = strtol(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' ||
		    bits > max)
			return -1;
	}
	net->bits = (int)bits;
	return 0;
}

int
listen_network_check(const char *item)
{
	struct network net;

	return parse_network(item, &net);
}

/* The peer's address as a network of all its bits; an IPv4 address
 * that came over IPv6 (::ffff:a.b.c.d) as IPv4. */
static void
peer_network(const struct sockaddr_storage *ss, struct network *net)
{
	memset(net, 0, sizeof(*net));
	if (ss->ss_family == AF_INET) {
		net->family = AF_INET;
		net->bits = 32;
		memcpy(net->bytes, &((const struct sockaddr_in *)ss)->sin_addr,
		    4);
		return;
	}
	net->family = AF_INET6;
	net->bits = 128;
	memcpy(net->bytes, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)net->bytes)) {
		net->family = AF_INET;
		net->bits = 32;
		memmove(net->bytes, net->bytes + 12, 4);
	}
}

static bool
in_network(const struct network *addr, const struct network *net)
{
	int full = net->bits / 8, rest = net->bits % 8;

	if (addr->family != net->family ||
	    memcmp(addr->bytes, net->bytes, (size_t)full) != 0)
		return false;
	return rest == 0 || ((addr->bytes[full] ^ net->bytes[full]) &
	    (0xff << (8 - rest))) == 0;
}

static bool
is_loopback(const struct network *addr)
{
	static const unsigned char v6[16] = { [15] = 1 };

	return addr->family == AF_INET ? addr->bytes[0] == 127 :
	    memcmp(addr->bytes, v6, 16) == 0;
}

/* Loopback, or in one of the networks of allow. */
static bool
allowed_peer(const struct sockaddr_storage *ss, const char *allow)
{
	char item[LIST_ITEM_MAX];
	struct network peer, net;

	peer_network(ss, &peer);
	if (is_loopback(&peer))
		return true;
	while (allow != NULL && list_next(&allow, item, sizeof(item)))
		if (parse_network(item, &net) == 0 && in_network(&peer, &net))
			return true;
	return false;
}

static int
bind_tcp(struct listeners *ls, const char *item, const char *allow,
    struct err *e)
{
	struct sockaddr_storage ss;
	struct network addr;
	socklen_t len;
	int fd, one = 1;

	if (parse_address(item, &ss, &len) < 0)
		return err_set(e, EX_CONFIG, "listen: expected ADDRESS:PORT, "
		    "got \"%s\"", item);
	peer_network(&ss, &addr);
	if (!is_loopback(&addr) && (allow == NULL || *allow == '\0'))
		return err_set(e, EX_CONFIG, "listen = %s is not a loopback "
		    "address: set listen_allow to the networks that may use "
		    "it", item);
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return err_set(e, EX_OSERR, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0) {
		err_set(e, EX_CANTCREAT, "cannot listen on %s: %s", item,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (add(ls, fd, false, item, e) < 0)
		return -1;
	ls->v[ls->n - 1].allow = allow;
	return 0;
}

int
listen_tcp(struct listeners *ls, const char *list, const char *allow,
    struct err *e)
{
	char item[LIST_ITEM_MAX];

	while (list != NULL && list_next(&list, item, sizeof(item)))
		if (bind_tcp(ls, item, allow, e) < 0)
			return -1;
	return 0;
}

/* ---- accepting ---- */

/* uid, gid and pid of the process at the other end of a unix socket. */
static int
peer_credentials(int fd, struct queue_caller *caller, struct err *e)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct passwd *pw;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return err_set(e, EX_OSERR, "SO_PEERCRED: %s",
		    strerror(errno));
	caller->known = true;
	caller->uid = cred.uid;
	caller->gid = cred.gid;
	caller->pid = cred.pid;
	if ((pw = getpwuid(cred.uid)) != NULL)
		snprintf(caller->name, sizeof(caller->name), "%s", pw->pw_name);
	else
		snprintf(caller->name, sizeof(caller->name), "#%ld",
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
listen_accept(const struct listener *l, int *fd, struct queue_caller *caller,
    char *peer, size_t n, bool *allowed, struct err *e)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(caller, 0, sizeof(*caller));
	*fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (*fd < 0)
		return err_set(e, errno == EAGAIN || errno == EINTR ||
		    errno == ECONNABORTED ? EX_TEMPFAIL : EX_OSERR,
		    "accept on %s: %s", l->name, strerror(errno));
	*allowed = true;
	if (l->local) {
		snprintf(peer, n, "local");
		if (peer_credentials(*fd, caller, e) == 0)
			return 0;
		close(*fd);
		return -1;
	}
	peer_address(&ss, peer, n);
	*allowed = allowed_peer(&ss, l->allow);
	caller->known = true;
	caller->uid = caller->gid = caller->pid = -1;
	snprintf(caller->name, sizeof(caller->name), "tcp:%s", peer);
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
