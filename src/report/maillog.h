/*
 * maillog.h — `log = FILE|syslog` (SPEC §8): one line per delivery
 * attempt of a message, by a send or by a flush. A log that cannot be
 * written gets a warning on stderr; it never changes the exit status.
 */
#ifndef MAILOUT_MAILLOG_H
#define MAILOUT_MAILLOG_H

#include "config/settings.h"
#include "report/report.h"
#include "smtp/outcome.h"

void maillog_write(const struct settings *st, const struct message_info *mi,
    const struct outcome *o, int exit_code);

/* A line about something else that went wrong (alert_command failed),
 * to the same log, as a warning. */
void maillog_note(const struct settings *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
