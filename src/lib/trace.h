/*
 * trace.h — the protocol transcript shown by -v / --debug on stderr.
 *
 * Level 0 is silent; 1 shows each line as "C: ..." / "S: ..." and notes
 * as "-- ..."; 2 adds a timestamp to each, the TLS details and the
 * session's states. Lines are quoted so server bytes cannot drive the
 * terminal. (The `log` setting's one line per message is report/maillog.)
 */
#ifndef MAILOUT_TRACE_H
#define MAILOUT_TRACE_H

#include <stddef.h>

void trace_set_level(int level);
int trace_level(void);

/* One protocol line without its CRLF; who is 'C' (client) or 'S' (server). */
void trace_line(char who, const char *line, size_t len);

/* A free-form note in the transcript ("connected to ..."). */
void trace_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * n more octets of message text went to the server. At level 1 and up,
 * with stderr a terminal, a message past 1 MB shows one progress line
 * (octets sent, rate), redrawn at most 10 times a second; the next line
 * of the transcript, or trace_progress_end, erases it.
 */
void trace_progress(size_t n);

/* The message is over (sent or not): erase the line, start again at 0. */
void trace_progress_end(void);

#endif
