/* secret.c — password_command and the like. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <stdbool.h>
#include <unistd.h>

#include "lib/secret.h"

static void
run_child(const char *command, int out)
{
	int null = open("/dev/null", O_RDONLY);

	if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
	    dup2(out, STDOUT_FILENO) < 0)
		_exit(126);
	execl("/bin/sh", "sh", "-c", command, (char *)NULL);
	_exit(127);
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
	int fds[2], status;
	bool cut = false;
	pid_t pid;
	size_t len;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_set(e, EX_OSERR, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return err_set(e, EX_OSERR, "fork: %s", strerror(errno));
	}
	if (pid == 0)
		run_child(command, fds[1]);
	close(fds[1]);
	len = read_first_line(fds[0], buf, cap, &cut);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		explicit_bzero(buf, cap);
		return err_set(e, EX_NOPERM, "%s failed (%s %d)", key,
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
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
