/*
 * report.h — turning an outcome into what the user sees: one stderr line
 * per problem (and per recipient with --report text), or one JSON object
 * on stdout (--report json), and the sysexits status.
 */
#ifndef MAILOUT_REPORT_H
#define MAILOUT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "result.h"

/* "mailout: <bob@example.com>: refused at RCPT: 550 5.1.1 No such user";
 * with all, accepted recipients get a line too. */
void report_text(const struct outcome *o, bool all);

/* SPEC §6's object, one line, on out. */
void report_json(const struct outcome *o, const struct message_info *mi,
    int exit_code, FILE *out);

/* 0, or the session's error (unless its recipients were queued), else 67
 * for a refusal, else 75 for a deferral that is not queued. */
int report_exit_code(const struct outcome *o);

/* Write s as a JSON string: quoted, escaped, invalid UTF-8 replaced. */
void json_string(FILE *out, const char *s);

#endif
