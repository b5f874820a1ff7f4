/*
 * ehlocache.h — what a server said to EHLO last time, kept so the next
 * session can use early pipelining (PIPECONNECT, draft-harris-early-pipe,
 * offered by Exim 4.94 and later): send EHLO and the command after it
 * without waiting for the greeting, and after STARTTLS send EHLO and
 * AUTH together.
 *
 * One small file per server under $XDG_CACHE_HOME/mailout (by default
 * ~/.cache/mailout), written only when every EHLO reply of the session
 * offered PIPECONNECT. An entry is a hint, never trusted beyond that: the
 * session compares the server's real replies with it and starts over
 * without it when they differ. Anything odd about the file (not ours,
 * writable by others, malformed, for another key) reads as no entry.
 * Failing to write it is never an error.
 */
#ifndef MAILOUT_EHLOCACHE_H
#define MAILOUT_EHLOCACHE_H

#include <limits.h>
#include <stdbool.h>

#include "config/settings.h"
#include "smtp/reply.h"

struct ehlo_cache {
	char path[PATH_MAX];	/* "" when there is nowhere to keep it */
	char key[1024];		/* what the entry must be for */
	bool found;		/* an entry for key was read */
	struct reply before_tls;	/* the first EHLO reply */
	struct reply after_tls;	/* after STARTTLS; code 0 without */
};

/* Find the entry for this server as st and the TLS mode in force reach
 * it (host, port, mode, EHLO name, client certificate). */
void ehlo_cache_load(struct ehlo_cache *c, const struct settings *st,
    enum tls_mode mode);

/* Keep these replies (after_tls NULL without STARTTLS) for next time. */
void ehlo_cache_store(const struct ehlo_cache *c,
    const struct reply *before_tls, const struct reply *after_tls);

/* Drop the entry: the server no longer matches it. */
void ehlo_cache_forget(struct ehlo_cache *c);

/* Whether two EHLO replies offer the same: every line but the first
 * (which names the client and may change from one session to the next). */
bool ehlo_same_offer(const struct reply *a, const struct reply *b);

#endif
