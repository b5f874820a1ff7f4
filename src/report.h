/*
 * report.h — turning an outcome into what the user sees: one stderr line
 * per problem, and the sysexits status.
 */
#ifndef MAILOUT_REPORT_H
#define MAILOUT_REPORT_H

#include "result.h"

/* "mailout: <bob@example.com>: refused at RCPT: 550 5.1.1 No such user" */
void report_text(const struct outcome *o);

/* 0, or the session's error, else 67 for a refusal, else 75 for a deferral. */
int report_exit_code(const struct outcome *o);

#endif
