/* mailq.h — `mailout -bp` / `mailq`: what the queue holds. */
#ifndef MAILOUT_MAILQ_H
#define MAILOUT_MAILQ_H

#include <stdio.h>

#include "config/settings.h"
#include "lib/err.h"

/* One paragraph per entry: id, age, size, sender, each recipient, the
 * last error and when the next try is due. */
int mailq_list(const struct settings *st, FILE *out, struct err *e);

#endif
