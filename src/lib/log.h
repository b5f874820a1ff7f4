/*
 * log.h — the protocol transcript shown by -v / --debug on stderr.
 *
 * Level 0 is silent; 1 shows each line as "C: ..." / "S: ..."; 2 adds a
 * timestamp to each. Lines are quoted so server bytes cannot drive the
 * terminal.
 */
#ifndef MAILOUT_LOG_H
#define MAILOUT_LOG_H

#include <stddef.h>

void log_set_level(int level);
int log_level(void);

/* One protocol line without its CRLF; who is 'C' (client) or 'S' (server). */
void log_line(char who, const char *line, size_t len);

/* A free-form note in the transcript ("connected to ..."). */
void log_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
