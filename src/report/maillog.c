/* maillog.c — the one-line-per-attempt log, to a file or syslog. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"
#include "report/maillog.h"

static const struct {
	const char *name;
	int facility;
} facilities[] = {
	{ "mail", LOG_MAIL }, { "user", LOG_USER }, { "daemon", LOG_DAEMON },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

/* The server's last word on the message: what ended the session, else
 * the first problem, else the first acceptance. */
static const char *
last_reply(const struct outcome *o)
{
	size_t i;

	if (o->session.code != 0)
		return o->session.msg;
	for (i = 0; i < o->n; i++)
		if (o->rcpts[i].state != RCPT_ACCEPTED && o->rcpts[i].reply[0])
			return o->rcpts[i].reply;
	return o->n > 0 ? o->rcpts[0].reply : "";
}

/* A value that cannot break the line: quotes and backslashes escaped,
 * control octets shown as \xHH by err_quote. */
static void
put_quoted(FILE *f, const char *s)
{
	char q[1024];

	err_quote(q, sizeof(q), s, strlen(s));
	fputc('"', f);
	for (s = q; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
format_line(FILE *f, const struct message_info *mi, const struct outcome *o,
    int exit_code)
{
	size_t i;

	fputs("profile=", f);
	put_quoted(f, mi->profile ? mi->profile : "");
	fputs(" host=", f);
	put_quoted(f, report_host(o, mi));
	fprintf(f, " sender=<%s> recipients=", mi->sender);
	for (i = 0; i < o->n; i++)
		fprintf(f, "%s<%s>", i ? "," : "", o->rcpts[i].addr);
	fprintf(f, " size=%lld message-id=", mi->size);
	put_quoted(f, mi->message_id ? mi->message_id : "");
	fprintf(f, " status=%s reply=", outcome_status(o));
	put_quoted(f, last_reply(o));
	fprintf(f, " exit=%d", exit_code);
}

static void
to_syslog(const struct settings *st, const char *line, int priority)
{
	int facility = LOG_MAIL;
	size_t i;

	for (i = 0; i < nitems(facilities); i++)
		if (strcmp(facilities[i].name, st->syslog_facility) == 0)
			facility = facilities[i].facility;
	openlog("mailout", LOG_PID, facility);
	syslog(priority, "%s", line);
	closelog();
}

/* One write(2) of the whole line with O_APPEND: concurrent mailouts
 * never interleave inside a line. */
static void
to_file(const char *path, const char *line)
{
	char stamp[40], *text;
	time_t now = time(NULL);
	struct tm tm;
	int fd, len;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S%z", &tm);
	if ((len = asprintf(&text, "%s mailout[%ld]: %s\n", stamp,
	    (long)getpid(), line)) < 0)
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, (size_t)len) != len)
		fprintf(stderr, "mailout: warning: cannot write the log %s: "
		    "%s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(text);
}

/* line to the log of st: syslog at priority, or the file it names. */
static void
to_log(const struct settings *st, const char *line, int priority)
{
	if (strcmp(st->log, "syslog") == 0)
		to_syslog(st, line, priority);
	else
		to_file(st->log, line);
}

void
maillog_write(const struct settings *st, const struct message_info *mi,
    const struct outcome *o, int exit_code)
{
	char *line = NULL;
	size_t len = 0;
	FILE *f;

	if (st->log == NULL || (f = open_memstream(&line, &len)) == NULL)
		return;
	format_line(f, mi, o, exit_code);
	if (fclose(f) == 0)
		to_log(st, line, exit_code == 0 ? LOG_INFO : LOG_WARNING);
	free(line);
}

void
maillog_note(const struct settings *st, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (st->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	to_log(st, line, LOG_WARNING);
}
