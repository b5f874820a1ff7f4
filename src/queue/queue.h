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
 * An entry is locked while a process acts on it (a flush sending it, an
 * operation by ID): an flock on ID.msg, which is never replaced. Whoever
 * takes the lock reads the entry again before acting, so what another
 * process did first (removed, held) is seen.
 *
 * Error codes: EX_CANTCREAT / EX_IOERR (file system), EX_CONFIG (no queue
 * directory), EX_DATAERR (an entry that cannot be read), EX_NOINPUT (no
 * such entry), EX_TEMPFAIL (the flush lock or the entry's lock is held).
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
#include "smtp/outcome.h"

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

/* Who handed the message to the mailout service (service/): from the
 * socket's SO_PEERCRED, never from what the client says. */
struct queue_caller {
	bool known;			/* false: not through the service */
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
	char **replies;			/* each recipient's own last reply
					 * (env.rcpts order), or NULL */
	size_t replies_cap;
	char *last_error;		/* one line; NULL before any attempt */
	enum failure_kind error_kind;	/* what last_error was */
	bool held;			/* --hold: no flush sends it */
	long long size;			/* of ID.msg, filled by queue_load */
	struct queue_caller caller;	/* who gave it to the service */
	uid_t owner;			/* who may act on it: the caller's uid
					 * (the service's queue), else the
					 * owner of its files (queue_load) */
};

/* A message being written into the queue: tmp.ID.msg, locked as the
 * entry's lock (queue_entry_lock) from its creation, so that no flush
 * takes the entry while its writer still sends it. */
struct queue_writer {
	char id[QUEUE_ID_MAX];
	int fd;				/* -1 when none */
	long long size;			/* octets written */
};

/*
 * The queue directory: queue_dir if set; root's system spool; else
 * $XDG_STATE_HOME/mailout/queue or ~/.local/state/mailout/queue.
 * queue_open creates it (mode 0700) when missing.
 */
int queue_dir_path(const struct settings *st, char *buf, size_t n,
    struct err *e);
int queue_open(struct queue *q, const struct settings *st, struct err *e);

/* The same for reading only (mailq, --health): nothing is created; 1
 * when the queue directory does not exist, which is an empty queue. */
int queue_open_existing(struct queue *q, const struct settings *st,
    struct err *e);
void queue_close(struct queue *q);

/* Store the rest of src (read through the body filter with dot_ends) and
 * the entry; fills qe->id. */
int queue_add(struct queue *q, struct queue_entry *qe,
    struct message_source *src, bool dot_ends, struct err *e);

/*
 * The same in three steps, for a message that arrives in pieces (the
 * mailout service): create tmp.ID.msg under a new id, locked; write the
 * message in wire form (CRLF, no dot-stuffing); commit it and then qe
 * (qe->id is set) durably. After queue_commit, w->fd still holds the
 * entry's lock: close it once the entry is sent or saved. queue_discard
 * drops what queue_create began.
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

/* Whether id can name an entry: no '/', no leading '.', not too long. */
bool queue_id_valid(const char *id);

/* Lock the entry id against every other process acting on it; returns
 * the lock's fd (close it to release). EX_TEMPFAIL when another process
 * holds it, EX_NOINPUT when there is no such entry (the message does not
 * name the ID: the caller does). */
int queue_entry_lock(struct queue *q, const char *id, struct err *e);

/* Whether actor may act on the entry: its owner, or root. */
bool queue_may_act(const struct queue_entry *qe, uid_t actor);

/* Remember that a message was delivered now; when, or 0 for never. Kept
 * in the queue directory, for --health. */
void queue_stamp_delivery(struct queue *q);
time_t queue_last_delivery(struct queue *q);

/* The same for a send, with st's queue (created if need be). */
void queue_note_delivery(const struct settings *st);

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

/* Add a recipient and its own last reply (or NULL); a duplicate is
 * dropped. */
int queue_entry_add_rcpt(struct queue_entry *qe, const char *addr,
    const char *reply, struct err *e);

/* Copy a string into the entry (or NULL); -1 when out of memory. */
int queue_entry_set(char **field, const char *value, struct err *e);
int queue_entry_add_setting(struct queue_entry *qe, const char *key,
    const char *value, struct err *e);
void queue_entry_free(struct queue_entry *qe);

#endif
