/* trace.c — transcript on stderr for -v and --debug. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/trace.h"

#define PROGRESS_MIN (1024 * 1024)	/* octets before a line is shown */
#define PROGRESS_INTERVAL 100		/* ms between two drawings */
#define MIB (1024.0 * 1024.0)

/* Process-wide diagnostic sink: set once from the command line. */
static int transcript_level;

/* The message being sent, for its progress line. */
static struct {
	int terminal;			/* stderr is one: 1; not: 0; -1 */
	unsigned long long done;	/* octets */
	struct timespec start, drawn;
	bool shown;			/* the line is on the screen */
} progress = { -1, 0, { 0, 0 }, { 0, 0 }, false };

static void
progress_erase(void)
{
	if (progress.shown)
		fputs("\r\033[K", stderr);
	progress.shown = false;
}

void
trace_set_level(int level)
{
	transcript_level = level;
}

int
trace_level(void)
{
	return transcript_level;
}

static void
trace_timestamp(void)
{
	struct timeval tv;
	struct tm tm;
	char buf[32];

	if (transcript_level < 2)
		return;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld ", buf, (long)(tv.tv_usec / 1000));
}

void
trace_line(char who, const char *line, size_t len)
{
	char quoted[1024];

	if (transcript_level < 1)
		return;
	err_quote(quoted, sizeof(quoted), line, len);
	progress_erase();
	trace_timestamp();
	fprintf(stderr, "%c: %s\n", who, quoted);
}

void
trace_note(const char *fmt, ...)
{
	va_list ap;

	if (transcript_level < 1)
		return;
	progress_erase();
	trace_timestamp();
	fputs("-- ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static long long
ms_between(const struct timespec *a, const struct timespec *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000 +
	    (b->tv_nsec - a->tv_nsec) / 1000000;
}

void
trace_progress(size_t n)
{
	struct timespec now;
	long long ms;

	if (transcript_level < 1)
		return;
	if (progress.terminal < 0)
		progress.terminal = isatty(STDERR_FILENO);
	if (!progress.terminal)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (progress.done == 0)
		progress.start = now;
	progress.done += n;
	/* a line of the transcript may have erased it since: it waits */
	if (progress.done < PROGRESS_MIN ||
	    ms_between(&progress.drawn, &now) < PROGRESS_INTERVAL)
		return;
	progress.drawn = now;
	ms = ms_between(&progress.start, &now);
	fprintf(stderr, "\r-- sending the message: %.1f MB", progress.done /
	    MIB);
	if (ms > 0)
		fprintf(stderr, ", %.1f MB/s", progress.done / MIB * 1000 /
		    (double)ms);
	fputs("\033[K", stderr);
	progress.shown = true;
}

void
trace_progress_end(void)
{
	progress_erase();
	progress.done = 0;
}
