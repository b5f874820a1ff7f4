/*
 * queue.h — the durable queue (SPEC §7): messages that met a temporary
 * failure wait here for `mailout -q`.
 *
 * An entry is two files in the queue directory: ID.msg, the message as it
 * goes on the wire (CRLF, lines split, no dot-stuffing), and ID.env, the
 * envelope and what the flush needs to know. Each is written to a tmp.
 * name, fsync'ed and renamed, then the directory is fsync'ed: ID.msg
 * first, so an ID.env always has its message. The entry exists exactly
 * when ID.env does; a kill -9 or a power cut at any point leaves either
 * the whole entry or no entry plus leftovers that queue_sweep removes.
 *
 * Error codes: EX_CANTCREAT / EX_IOERR (file system), EX_CONFIG (no queue
 * directory), EX_DATAERR (an entry that cannot be read), EX_TEMPFAIL
 * (the flush lock is held).
 */
#ifndef MAILOUT_QUEUE_H
#define MAILOUT_QUEUE_H

#include <limits.h>
#include <stdbool.h>
#include <time.h>

#include "envelope.h"
#include "err.h"
#include "message.h"
#include "settings.h"

#define QUEUE_ID_MAX 32

struct queue {
	char dir[PATH_MAX];
	int dirfd;
};

/* A setting given on the command line of the original invocation, so
 * the flush connects where that invocation would have. */
struct queue_setting {
	char *key, *value;
};

struct queue_entry {
	char id[QUEUE_ID_MAX];
	time_t created;
	time_t next_try;		/* not before this */
	int attempts;
	char *config;			/* --config given; NULL: the default */
	char *profile;			/* --profile given; NULL: chosen again */
	struct queue_setting *settings;
	size_t nsettings;
	char *envid;			/* -V */
	char *message_id;		/* of the message, for logs; or NULL */
	struct envelope env;		/* sender, recipients still to do */
	char *last_error;		/* one line; NULL before any attempt */
	long long size;			/* of ID.msg, filled by queue_load */
};

/*
 * The queue directory: queue_dir if set; root's system spool; else
 * $XDG_STATE_HOME/mailout/queue or ~/.local/state/mailout/queue. It is
 * created (mode 0700) when missing.
 */
int queue_open(struct queue *q, const struct settings *st, struct err *e);

/* The same for reading only (mailq): nothing is created; 1 when the
 * queue directory does not exist, which is an empty queue. */
int queue_open_existing(struct queue *q, const struct settings *st,
    struct err *e);
void queue_close(struct queue *q);

/* Store the rest of src (read through the body filter with dot_ends) and
 * the entry; fills qe->id. */
int queue_add(struct queue *q, struct queue_entry *qe,
    struct message_source *src, bool dot_ends, struct err *e);

/* Write qe's entry file, new or replacing the stored one, durably. */
int queue_save(struct queue *q, const struct queue_entry *qe, struct err *e);

int queue_load(struct queue *q, const char *id, struct queue_entry *qe,
    struct err *e);

/* The entry's message, ready for message_read. */
int queue_message(struct queue *q, const char *id,
    struct message_source *src, struct err *e);

int queue_remove(struct queue *q, const char *id, struct err *e);

/* The ids of all entries, oldest first; *ids is NULL-terminated and
 * freed with queue_ids_free. */
int queue_ids(struct queue *q, char ***ids, struct err *e);
void queue_ids_free(char **ids);

/* Remove what a kill left behind: tmp. files and messages without an
 * entry, once they are an hour old (younger ones may be in progress). */
void queue_sweep(struct queue *q);

/* Take the flush lock (released when the process ends); EX_TEMPFAIL
 * when another flush holds it. Returns the lock's fd. */
int queue_lock(struct queue *q, struct err *e);

/* Copy a string into the entry (or NULL); -1 when out of memory. */
int queue_entry_set(char **field, const char *value, struct err *e);
int queue_entry_add_setting(struct queue_entry *qe, const char *key,
    const char *value, struct err *e);
void queue_entry_free(struct queue_entry *qe);

#endif
