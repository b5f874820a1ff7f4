/*
 * policy.h — who may send what through the mailout service, from its
 * configuration: which profiles a user may use (users = alice, @staff
 * in a profile; everyone when it is not set), which envelope senders
 * (allow_from_override = off: only USER@domain and the patterns of
 * allowed_from), and how many messages a minute (rate_limit), counted
 * for each user across all the workers in a table they share. Root, the
 * administrator, is held to none of them.
 */
#ifndef MAILOUT_POLICY_H
#define MAILOUT_POLICY_H

#include <stdbool.h>
#include <time.h>

#include "config/settings.h"
#include "queue/queue.h"

/* Whether caller is one of users ("alice, @staff"; NULL: everyone). A
 * client over TCP is no user: never in a list. */
bool policy_user_allowed(const char *users, const struct queue_caller *caller);

/* Whether caller may give sender as the envelope sender, under st's
 * allow_from_override and allowed_from; domain: the service's. The
 * null sender (<>) is always allowed: it claims nobody. */
bool policy_sender_allowed(const struct settings *st,
    const struct queue_caller *caller, const char *domain, const char *sender);

struct rate_table;

/* Made by the master, shared by the workers it forks; NULL when it
 * cannot be (then there is no limit). */
struct rate_table *rate_table_new(void);
void rate_table_free(struct rate_table *t);

/* Count one message of caller in the minute of now: false when that is
 * over limit (0: no limit). */
bool rate_take(struct rate_table *t, const struct queue_caller *caller,
    int limit, time_t now);

#endif
