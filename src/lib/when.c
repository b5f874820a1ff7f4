/* when.c — RFC 3339 times, short durations, the clock for deadlines. */
#include <stdio.h>

#include "lib/when.h"

void
when_utc(char *buf, size_t n, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
when_age(char *buf, size_t n, long long seconds)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds < 60)
		snprintf(buf, n, "%llds", seconds);
	else if (seconds < 3600)
		snprintf(buf, n, "%lldm", seconds / 60);
	else if (seconds < 86400)
		snprintf(buf, n, "%lldh", seconds / 3600);
	else
		snprintf(buf, n, "%lldd", seconds / 86400);
}

long long
when_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
