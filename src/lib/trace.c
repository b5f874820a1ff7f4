/* trace.c — transcript on stderr for -v and --debug. */
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

#include "lib/err.h"
#include "lib/trace.h"

/* Process-wide diagnostic sink: set once from the command line. */
static int transcript_level;

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
	trace_timestamp();
	fprintf(stderr, "%c: %s\n", who, quoted);
}

void
trace_note(const char *fmt, ...)
{
	va_list ap;

	if (transcript_level < 1)
		return;
	trace_timestamp();
	fputs("-- ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
