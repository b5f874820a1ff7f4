/* pool.c — the service's master, its workers and its periodic flush. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "service/policy.h"
#include "service/pool.h"
#include "service/relay.h"
#include "service/submit.h"

#define WORKERS_MAX 256

static volatile sig_atomic_t stopping;
static int wake_fd = -1;	/* the write end of the master's self-pipe */

/* What the workers show the master: which of them serve a client. */
struct board {
	volatile sig_atomic_t busy[WORKERS_MAX];
};

struct pool {
	struct service *sv;
	const struct listeners *ls;
	struct board *board;		/* shared with the workers */
	pid_t workers[WORKERS_MAX];	/* 0: a free slot */
	int max;
	pid_t flush;			/* the flush running, or 0 */
	time_t next_flush;
	int wake[2];			/* signals and busy workers wake it */
	pid_t master;
};

/* One byte on a self-pipe: poll wakes. A full pipe already wakes it,
 * so a failed write loses nothing. */
static void
wake(int fd)
{
	if (write(fd, "", 1) < 0)
		return;
}

static void
on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGTERM || sig == SIGINT)
		stopping = 1;
	if (wake_fd >= 0)
		wake(wake_fd);
	errno = saved;
}

void
pool_signals(struct service *sv)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sv->stop = &stopping;
}

/* A child ends with the master: the master may be killed (-9) and
 * leave none of its children serving without it. */
static void
child_begin(struct pool *p)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != p->master)
		stopping = 1;
	close(p->wake[0]);
}

/* ---- a worker ---- */

/* One client, from its greeting to its end; the board says busy. */
static void
serve_client(struct pool *p, int slot, const struct listener *l)
{
	struct service *sv = p->sv;
	struct submission sub;
	struct server s;
	struct err e;
	bool allowed;
	int fd;

	submission_init(&sub, sv);
	if (listen_accept(l, &fd, &sub.caller, sub.peer, sizeof(sub.peer),
	    &allowed, &e) < 0) {
		if (e.code != EX_TEMPFAIL)	/* another worker took it */
			fprintf(stderr, "mailout serve: %s\n", e.msg);
		return;
	}
	p->board->busy[slot] = 1;
	wake(p->wake[1]);		/* all busy: more workers */
	server_init(&s, fd, l->local, sv->st.timeout, &submit_ops, &sub);
	s.hostname = sv->hostname;
	s.domain = l->local ? sv->st.domain : NULL;
	s.size_max = sv->size_max;
	s.stop = sv->stop;
	if (allowed) {
		server_run(&s);
	} else {
		fprintf(stderr, "mailout serve: %s: not in listen_allow\n",
		    sub.peer);
		server_refuse(&s);
	}
	server_close(&s);
	submission_free(&sub);
	p->board->busy[slot] = 0;
}

/* Wait for a client on any listener, and serve it; between clients the
 * upstream session lingers, then goes. */
static void
worker(struct pool *p, int slot)
{
	const struct listeners *ls = p->ls;
	struct pollfd pfd[LISTEN_MAX];
	size_t i;

	child_begin(p);
	if ((p->sv->relay = upstream_new(p->sv)) == NULL) {
		fprintf(stderr, "mailout serve: out of memory\n");
		return;
	}
	for (i = 0; i < ls->n; i++) {
		pfd[i].fd = ls->v[i].fd;
		pfd[i].events = POLLIN;
	}
	while (!stopping) {
		int linger = upstream_linger(p->sv->relay);

		if (poll(pfd, ls->n, linger < 0 ? -1 : linger * 1000) < 0)
			continue;	/* a signal: see stopping */
		for (i = 0; i < ls->n && !stopping; i++)
			if (pfd[i].revents & POLLIN)
				serve_client(p, slot, &ls->v[i]);
	}
	upstream_free(p->sv->relay);
	p->sv->relay = NULL;
}

/* ---- the periodic flush ---- */

/* What is due in the system queue, each entry locked while it is sent:
 * nothing a worker sends is sent twice. Another flush may hold the
 * queue's lock (a root's mailout -q): then nothing now. */
static void
flush_queue_now(struct pool *p)
{
	struct flush_request fr = { &p->sv->rq, FLUSH_DUE, NULL, 0, NULL,
	    NULL, false, &stopping };
	struct err e = { 0, "" };

	child_begin(p);
	if (flush_run(&p->sv->st, &fr, NULL, &e) < 0 && e.code != EX_TEMPFAIL)
		fprintf(stderr, "mailout serve: flush: %s\n", e.msg);
}

/* ---- the master ---- */

/* Run fn in a child; its pid, or 0 when fork failed. */
static pid_t
spawn(struct pool *p, void (*fn)(struct pool *, int), int slot)
{
	pid_t pid = fork();

	if (pid < 0) {
		fprintf(stderr, "mailout serve: fork: %s\n", strerror(errno));
		return 0;
	}
	if (pid == 0) {
		fn(p, slot);
		exit(0);
	}
	return pid;
}

static void
flush_child(struct pool *p, int slot)
{
	(void)slot;
	flush_queue_now(p);
}

/* Reap every child that ended: its slot is free again. */
static void
reap(struct pool *p)
{
	pid_t pid;
	int status, i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == p->flush) {
			p->flush = 0;
			continue;
		}
		for (i = 0; i < p->max; i++) {
			if (p->workers[i] != pid)
				continue;
			p->workers[i] = 0;
			p->board->busy[i] = 0;
			if (!stopping && (WIFSIGNALED(status) ||
			    WEXITSTATUS(status) != 0))
				fprintf(stderr, "mailout serve: worker %ld "
				    "ended (status %d)\n", (long)pid, status);
		}
	}
}

/* POOL_MIN workers always, and one more while every one is busy. */
static void
keep_workers(struct pool *p)
{
	int i, live = 0, busy = 0, free_slot = -1;

	for (i = 0; i < p->max; i++) {
		if (p->workers[i] == 0) {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		live++;
		busy += p->board->busy[i] != 0;
	}
	for (i = 0; i < p->max && live < POOL_MIN; i++)
		if (p->workers[i] == 0 &&
		    (p->workers[i] = spawn(p, worker, i)) != 0)
			live++;
	if (live == busy && live < p->max && free_slot >= 0 &&
	    p->workers[free_slot] == 0)
		p->workers[free_slot] = spawn(p, worker, free_slot);
}

static void
drain(int fd)
{
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void
master_loop(struct pool *p)
{
	struct pollfd pfd = { p->wake[0], POLLIN, 0 };

	while (!stopping) {
		time_t now = time(NULL);

		reap(p);
		keep_workers(p);
		if (p->flush == 0 && now >= p->next_flush) {
			p->flush = spawn(p, flush_child, 0);
			p->next_flush = now + POOL_FLUSH_INTERVAL;
		}
		poll(&pfd, 1, p->next_flush > now ?
		    (int)(p->next_flush - now) * 1000 + 10 : 1000);
		drain(p->wake[0]);
	}
}

/* SIGTERM to every child, and wait for them all. */
static void
stop_children(struct pool *p)
{
	int i;

	for (i = 0; i < p->max; i++)
		if (p->workers[i] != 0)
			kill(p->workers[i], SIGTERM);
	if (p->flush != 0)
		kill(p->flush, SIGTERM);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

int
pool_run(struct service *sv, const struct listeners *ls, struct err *e)
{
	struct pool p;

	memset(&p, 0, sizeof(p));
	p.sv = sv;
	p.ls = ls;
	p.max = sv->st.service_workers < POOL_MIN ? POOL_MIN :
	    sv->st.service_workers;
	p.master = getpid();
	/* no rate table: no limit, rather than no service */
	if ((sv->rates = rate_table_new()) == NULL && sv->st.rate_limit > 0)
		fprintf(stderr, "mailout serve: no rate_limit: cannot share "
		    "a table among the workers\n");
	p.board = mmap(NULL, sizeof(*p.board), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p.board == MAP_FAILED) {
		rate_table_free(sv->rates);
		return err_set(e, EX_OSERR, "mmap: %s", strerror(errno));
	}
	if (pipe2(p.wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		munmap(p.board, sizeof(*p.board));
		rate_table_free(sv->rates);
		return err_set(e, EX_OSERR, "pipe: %s", strerror(errno));
	}
	wake_fd = p.wake[1];
	master_loop(&p);
	stop_children(&p);
	wake_fd = -1;
	close(p.wake[0]);
	close(p.wake[1]);
	munmap(p.board, sizeof(*p.board));
	rate_table_free(sv->rates);
	sv->rates = NULL;
	return 0;
}
