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
#include <sys/types.h>
#include <time.h>

#include "config/settings.h"
#include "lib/err.h"
#include "message/envelope.h"
#include "message/source.h"

#define QUEUE_ID_MAX 32

struct queue {
	char dir[PATH_MAX];
	int dirfd;
	uid_t uid;		/* the directory's owner and group: what root */
	gid_t gid;		/* creates in another's queue is given to them */
};

/* A setting given on the command line of the original invocation, so
 * the flush connects where that invocation would have. */
struct queue_setting {
	char *key, *value;
};

/* Who handed the message to the service (service/): from the socket's
 * SO_PEERCRED, never from what the client says. */
struct queue_owner {
	bool known;			/* false: a direct invocation queued it */
	long long uid, gid, pid;	/* -1 for a client over TCP */
	char name[64];			/* the user's name, or "tcp:ADDRESS" */
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
	struct queue_owner owner;
	long long size;			/* of ID.msg, filled by queue_load */
};

/* A message being written into the queue: tmp.ID.msg, locked as the
 * entry's lock (queue_lock_entry) from its creation, so that no flush
 * takes the entry while its writer still sends it. */
struct queue_writer {
	char id[QUEUE_ID_MAX];
	int fd;				/* -1 when none */
	long long size;			/* octets written */
};

/*
 * The queue directory: queue_dir if set; root's system spool; else
 * $XDG_STATE_HOME/mailout/queue or ~/.local/state/mailout/queue. It is
 * created (mode 0700) when missing.
 */
int queue_open(struct queue *q, const struct settings *st, struct err *e);
void queue_close(struct queue *q);

/* Store the rest of src (read through the body filter with dot_ends) and
 * the entry; fills qe->id. */
int queue_add(struct queue *q, struct queue_entry *qe,
    struct message_source *src, bool dot_ends, struct err *e);

/* The same, the entry still locked: returns the lock (queue_unlock). */
int queue_add_locked(struct queue *q, struct queue_entry *qe,
    struct message_source *src, bool dot_ends, struct err *e);

/*
 * The same in three steps, for a message that arrives in pieces: create
 * tmp.ID.msg under a new id, locked; write the message in wire form
 * (CRLF, no dot-stuffing); commit it and then qe (qe->id is set) durably.
 * After queue_commit, w->fd still holds the entry's lock: close it
 * (queue_unlock) once the entry is sent or saved. queue_discard drops
 * what queue_create began.
 */
int queue_create(struct queue *q, struct queue_writer *w, struct err *e);
int queue_write(struct queue *q, struct queue_writer *w, const void *buf,
    size_t len, struct err *e);
int queue_commit(struct queue *q, struct queue_writer *w,
    struct queue_entry *qe, struct err *e);
void queue_discard(struct queue *q, struct queue_writer *w);

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

/* Take the lock of one entry (an exclusive flock on ID.msg, which is
 * never replaced) without waiting: EX_TEMPFAIL while another process
 * sends it, EX_NOINPUT when it is gone. Returns the lock's fd; load the
 * entry again after taking it, since its holder may have changed it. */
int queue_lock_entry(struct queue *q, const char *id, struct err *e);
void queue_unlock(int fd);

/* Copy a string into the entry (or NULL); -1 when out of memory. */
int queue_entry_set(char **field, const char *value, struct err *e);
int queue_entry_add_setting(struct queue_entry *qe, const char *key,
    const char *value, struct err *e);
void queue_entry_free(struct queue_entry *qe);

#endif
