/* secret.c — password_command and the like, and the same runner for
 * alert_command. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <stdbool.h>
#include <unistd.h>

#include "lib/fdio.h"
#include "lib/secret.h"
#include "lib/when.h"

/* In the child: stdin from in (-1: /dev/null), stdout to out, then sh. */
static void
run_child(const char *command, int in, int out)
{
	if (in < 0)
		in = open("/dev/null", O_RDONLY);
	if (in < 0 || dup2(in, STDIN_FILENO) < 0 ||
	    dup2(out, STDOUT_FILENO) < 0)
		_exit(126);
	execl("/bin/sh", "sh", "-c", command, (char *)NULL);
	_exit(127);
}

/* Fork command with stdin from in and stdout into a new pipe, whose read
 * end is *out. Its own process group, so that a timeout can end all of
 * it. */
static pid_t
start_command(const char *command, int in, bool group, int *out,
    struct err *e)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_set(e, EX_OSERR, "pipe: %s", strerror(errno));
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return err_set(e, EX_OSERR, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		if (group)
			setpgid(0, 0);
		run_child(command, in, fds[1]);
	}
	close(fds[1]);
	*out = fds[0];
	return pid;
}

static int
wait_child(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* "exit status 3" or "signal 9", for "... failed (%s %d)". */
static int
failed(struct err *e, int code, const char *what, int status)
{
	return err_set(e, code, "%s failed (%s %d)", what,
	    WIFEXITED(status) ? "exit status" : "signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/* Read all the child's output, keeping the first line in buf; *cut says
 * the line did not fit. */
static size_t
read_first_line(int fd, char *buf, size_t cap, bool *cut)
{
	char chunk[512];
	size_t len = 0;
	bool done = false;
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!done) {
			size_t take = (size_t)n, i;

			for (i = 0; i < take && chunk[i] != '\n'; i++)
				;
			done = i < take;
			take = i;
			if (len + take >= cap) {
				*cut = true;
				take = cap - 1 - len;
			}
			memcpy(buf + len, chunk, take);
			len += take;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return len;
}

int
secret_from_command(const char *command, char *buf, size_t cap,
    struct err *e)
{
	return secret_from_key_command("password_command", command, buf, cap,
	    e);
}

int
secret_from_key_command(const char *key, const char *command, char *buf,
    size_t cap, struct err *e)
{
	int out, status;
	bool cut = false;
	pid_t pid;
	size_t len;

	if ((pid = start_command(command, -1, false, &out, e)) < 0)
		return -1;
	len = read_first_line(out, buf, cap, &cut);
	close(out);
	status = wait_child(pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		explicit_bzero(buf, cap);
		return failed(e, EX_NOPERM, key, status);
	}
	if (len == 0)
		return err_set(e, EX_NOPERM, "%s printed nothing", key);
	if (cut) {
		explicit_bzero(buf, cap);
		return err_set(e, EX_NOPERM, "%s printed a line longer than "
		    "%zu octets", key, cap - 1);
	}
	return 0;
}

/* ---- a command fed on stdin ---- */

/* The input as a file of its own: the command may read it or not, and
 * no pipe can fill up and stall either side. */
static int
input_file(const char *input, size_t len, struct err *e)
{
	int fd = memfd_create("mailout-input", MFD_CLOEXEC);

	if (fd < 0)
		return err_set(e, EX_OSERR, "memfd_create: %s", strerror(errno));
	if (fd_write_all(fd, input, len) < 0) {
		err_set(e, EX_OSERR, "cannot write the input: %s",
		    strerror(errno));
		close(fd);
		return -1;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* Copy what the command prints to our stderr until it closes its end;
 * false when the deadline came first. */
static bool
pass_output(int fd, long long deadline)
{
	char buf[1024];

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long long left = deadline - when_now_ms();
		ssize_t n;

		if (left <= 0)
			return false;
		if (poll(&p, 1, left > 60000 ? 60000 : (int)left) < 0 &&
		    errno != EINTR)
			return false;
		if (p.revents == 0)
			continue;
		if ((n = read(fd, buf, sizeof(buf))) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return true;
		/* with stderr gone, the command still runs to its end */
		if (write(STDERR_FILENO, buf, (size_t)n) < 0)
			continue;
	}
}

int
command_feed(const char *what, const char *command, const char *input,
    size_t len, int timeout, struct err *e)
{
	int in, out, status;
	bool finished;
	pid_t pid;

	if ((in = input_file(input, len, e)) < 0)
		return -1;
	pid = start_command(command, in, true, &out, e);
	close(in);
	if (pid < 0)
		return -1;
	finished = pass_output(out, when_now_ms() + timeout * 1000LL);
	close(out);
	if (!finished)
		kill(-pid, SIGKILL);
	status = wait_child(pid);
	if (!finished)
		return err_set(e, EX_TEMPFAIL, "%s did not finish within %d "
		    "seconds: stopped", what, timeout);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return failed(e, EX_UNAVAILABLE, what, status);
	return 0;
}
