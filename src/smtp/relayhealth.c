/* relayhealth.c — the relays that failed lately, in a file beside the queue. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/sysdirs.h"
#include "lib/dirs.h"
#include "lib/trace.h"
#include "smtp/relayhealth.h"

#define HEALTH_FILE ".relay-health"
#define HEALTH_FORMAT "mailout-relay-health 1"
#define FAILURES_MAX 64
#define HEALTH_FILE_MAX (FAILURES_MAX * (RELAY_LABEL_MAX + 24))

struct failure {
	long long at;			/* seconds since the epoch */
	char label[RELAY_LABEL_MAX];
};

struct memory {
	struct failure f[FAILURES_MAX];
	size_t n;
};

static int
health_path(const struct settings *st, char *buf, size_t n)
{
	char dir[PATH_MAX];
	int len;

	if (sysdirs_queue(st->queue_dir, dir, sizeof(dir)) < 0)
		return -1;
	len = snprintf(buf, n, "%s/%s", dir, HEALTH_FILE);
	return len < 0 || (size_t)len >= n ? -1 : 0;
}

/* A regular file of ours that nobody else may write. */
static bool
trustworthy(int fd)
{
	struct stat sb;

	return fstat(fd, &sb) == 0 && dirs_file_ours(&sb);
}

/* The failures in the file that are still remembered at now. */
static void
memory_parse(struct memory *m, char *text, long long now)
{
	char *line, *save = NULL;
	bool first = true;

	m->n = 0;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		struct failure *f = &m->f[m->n];
		char *end;

		if (first && strcmp(line, HEALTH_FORMAT) != 0)
			return;
		if (first || m->n == FAILURES_MAX) {
			first = false;
			continue;
		}
		f->at = strtoll(line, &end, 10);
		if (end == line || *end != ' ' || strlen(end + 1) == 0 ||
		    strlen(end + 1) >= sizeof(f->label))
			continue;
		/* forgotten, or from a clock that was wrong */
		if (now - f->at >= RELAY_HEALTH_MEMORY || f->at > now + 60)
			continue;
		snprintf(f->label, sizeof(f->label), "%s", end + 1);
		m->n++;
	}
}

static void
memory_read(struct memory *m, int fd, long long now)
{
	char text[HEALTH_FILE_MAX + 1];
	ssize_t len;

	m->n = 0;
	if (!trustworthy(fd) || (len = pread(fd, text, HEALTH_FILE_MAX, 0)) <=
	    0)
		return;
	text[len] = '\0';
	memory_parse(m, text, now);
}

/* When label failed, or 0. */
static long long
failed_at(const struct memory *m, const char *label)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->f[i].label, label) == 0)
			return m->f[i].at;
	return 0;
}

static long long
relay_failed_at(const struct memory *m, const struct relay *r)
{
	char label[RELAY_LABEL_MAX];

	relay_label(r, label, sizeof(label));
	return failed_at(m, label);
}

void
relayhealth_order(const struct settings *st, struct relay *r, size_t n)
{
	char path[PATH_MAX];
	struct memory m;
	struct relay sorted[RELAYS_MAX];
	long long now = time(NULL), at[RELAYS_MAX];
	size_t i, k = 0;
	int fd;

	if (n < 2 || health_path(st, path, sizeof(path)) < 0 ||
	    (fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	if (flock(fd, LOCK_SH) == 0)
		memory_read(&m, fd, now);
	else
		m.n = 0;
	close(fd);
	for (i = 0; i < n; i++)
		if ((at[i] = relay_failed_at(&m, &r[i])) == 0)
			sorted[k++] = r[i];
	/* then the failed ones, the one that failed longest ago first */
	while (k < n) {
		char label[RELAY_LABEL_MAX];
		size_t oldest = n;

		for (i = 0; i < n; i++)
			if (at[i] != 0 && (oldest == n || at[i] < at[oldest]))
				oldest = i;
		relay_label(&r[oldest], label, sizeof(label));
		trace_note("%s could not be reached %lld s ago: tried after "
		    "the others", label, now - at[oldest]);
		sorted[k++] = r[oldest];
		at[oldest] = 0;
	}
	memcpy(r, sorted, n * sizeof(*r));
}

static int
memory_write(int fd, const struct memory *m)
{
	char text[HEALTH_FILE_MAX + 1];
	size_t i, used;

	used = (size_t)snprintf(text, sizeof(text), "%s\n", HEALTH_FORMAT);
	for (i = 0; i < m->n && used < sizeof(text); i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    "%lld %s\n", m->f[i].at, m->f[i].label);
	if (used >= sizeof(text))
		return -1;
	if (pwrite(fd, text, used, 0) != (ssize_t)used)
		return -1;
	return ftruncate(fd, (off_t)used);
}

/* Take label out of m; whether it was there. */
static bool
memory_forget(struct memory *m, const char *label)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (strcmp(m->f[i].label, label) != 0)
			continue;
		memmove(&m->f[i], &m->f[i + 1], (m->n - i - 1) * sizeof(*m->f));
		m->n--;
		return true;
	}
	return false;
}

/* Open the file for a change: created (with its directory) only when
 * there is a failure to write down. */
static int
open_for_change(const struct settings *st, bool failed)
{
	char path[PATH_MAX], *slash;
	struct err ignored;
	int fd;

	if (health_path(st, path, sizeof(path)) < 0)
		return -1;
	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT || !failed)
		return fd;
	slash = strrchr(path, '/');
	*slash = '\0';
	if (dirs_make(path, "queue", &ignored) < 0)
		return -1;
	*slash = '/';
	return open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
}

void
relayhealth_note(const struct settings *st, const struct relay *r,
    bool failed)
{
	char label[RELAY_LABEL_MAX];
	struct memory m;
	long long now = time(NULL);
	bool changed;
	int fd = open_for_change(st, failed);

	if (fd < 0)
		return;
	if (flock(fd, LOCK_EX) < 0 || !trustworthy(fd)) {
		close(fd);
		return;
	}
	memory_read(&m, fd, now);
	relay_label(r, label, sizeof(label));
	changed = memory_forget(&m, label);
	if (failed) {
		if (m.n == FAILURES_MAX)
			memory_forget(&m, m.f[0].label);
		m.f[m.n].at = now;
		snprintf(m.f[m.n].label, sizeof(m.f[m.n].label), "%s", label);
		m.n++;
		changed = true;
	}
	if (changed && memory_write(fd, &m) < 0)
		trace_note("cannot write the relay health file: %s",
		    strerror(errno));
	close(fd);
}
