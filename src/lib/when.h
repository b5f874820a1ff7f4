/*
 * when.h — times and durations as people and programs read them.
 */
#ifndef MAILOUT_WHEN_H
#define MAILOUT_WHEN_H

#include <stddef.h>
#include <time.h>

/* "2026-12-07T10:15:00Z" (RFC 3339, UTC). */
void when_utc(char *buf, size_t n, time_t t);

/* "42s", "5m", "3h", "2d": enough to see what is stuck; below 0 is 0s. */
void when_age(char *buf, size_t n, long long seconds);

/* The monotonic clock in milliseconds, for deadlines. */
long long when_now_ms(void);

#endif
