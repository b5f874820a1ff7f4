/*
 * util.h — the small helpers every layer shares.
 */
#ifndef MAILOUT_UTIL_H
#define MAILOUT_UTIL_H

/* The number of elements of an array (not of a pointer). */
#define nitems(a) (sizeof(a) / sizeof((a)[0]))

#endif
