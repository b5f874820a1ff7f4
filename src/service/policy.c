/* policy.c — profiles by user and group, envelope senders, rate limit. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config/lists.h"
#include "service/policy.h"

#define RATE_SLOTS 1024
#define GROUPS_MAX 256

static bool
is_root(const struct queue_caller *o)
{
	return o->known && o->uid == 0;
}

/* Whether the user is in the group named name (its primary group, as
 * SO_PEERCRED said, or one of its others). */
static bool
in_group(const struct queue_caller *o, const char *name)
{
	gid_t groups[GROUPS_MAX];
	int i, n = GROUPS_MAX;
	struct group *gr = getgrnam(name);

	if (gr == NULL)
		return false;
	if ((gid_t)o->gid == gr->gr_gid)
		return true;
	if (getgrouplist(o->name, (gid_t)o->gid, groups, &n) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (groups[i] == gr->gr_gid)
			return true;
	return false;
}

bool
policy_user_allowed(const char *users, const struct queue_caller *caller)
{
	char item[LIST_ITEM_MAX];

	if (users == NULL || is_root(caller))
		return true;
	if (!caller->known || caller->uid < 0)
		return false;
	while (list_next(&users, item, sizeof(item))) {
		if (item[0] == '@' ? in_group(caller, item + 1) :
		    strcmp(item, caller->name) == 0)
			return true;
	}
	return false;
}

bool
policy_sender_allowed(const struct settings *st,
    const struct queue_caller *caller, const char *domain, const char *sender)
{
	char own[ADDR_MAX + 1], matched[LIST_ITEM_MAX];

	if (st->allow_from_override || is_root(caller) || *sender == '\0')
		return true;
	if (caller->known && caller->uid >= 0) {
		snprintf(own, sizeof(own), "%s@%s", caller->name, domain);
		if (strcasecmp(own, sender) == 0)
			return true;
	}
	return st->allowed_from != NULL &&
	    patterns_match(st->allowed_from, sender, matched, sizeof(matched));
}

/* ---- the rate ---- */

struct rate_slot {
	long long key;		/* uid + 1 (0: free), or an address's */
	long long minute;
	int count;
};

struct rate_table {
	int fd;			/* its memory, and its lock */
	struct rate_slot *slots;
};

struct rate_table *
rate_table_new(void)
{
	struct rate_table *t = calloc(1, sizeof(*t));
	size_t size = RATE_SLOTS * sizeof(struct rate_slot);

	if (t == NULL)
		return NULL;
	t->fd = memfd_create("mailout-rates", MFD_CLOEXEC);
	if (t->fd < 0 || ftruncate(t->fd, (off_t)size) < 0 ||
	    (t->slots = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    t->fd, 0)) == MAP_FAILED) {
		if (t->fd >= 0)
			close(t->fd);
		free(t);
		return NULL;
	}
	return t;
}

void
rate_table_free(struct rate_table *t)
{
	if (t == NULL)
		return;
	munmap(t->slots, RATE_SLOTS * sizeof(struct rate_slot));
	close(t->fd);
	free(t);
}

/* A POSIX record lock: each worker is a process of its own, and a
 * worker killed while it holds it lets it go. */
static void
lock(struct rate_table *t, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };

	while (fcntl(t->fd, F_SETLKW, &fl) < 0 && errno == EINTR)
		;
}

/* Who is counted: a user by uid, a TCP client by its address. */
static long long
rate_key(const struct queue_caller *o)
{
	unsigned long long h = 1469598103934665603ULL;
	const char *p;

	if (o->uid >= 0)
		return o->uid + 1;
	for (p = o->name; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return -(long long)(h >> 2) - 1;
}

/* key's slot, or a free one, or one last used before minute. */
static struct rate_slot *
find_slot(struct rate_table *t, long long key, long long minute)
{
	size_t i, start = (size_t)((unsigned long long)key % RATE_SLOTS);
	struct rate_slot *s, *spare = NULL;

	for (i = 0; i < RATE_SLOTS; i++) {
		s = &t->slots[(start + i) % RATE_SLOTS];
		if (s->key == key)
			return s;
		if (spare == NULL && (s->key == 0 || s->minute < minute))
			spare = s;
	}
	return spare;
}

bool
rate_take(struct rate_table *t, const struct queue_caller *caller, int limit,
    time_t now)
{
	long long key = rate_key(caller), minute = (long long)now / 60;
	struct rate_slot *s;
	bool ok = true;

	if (t == NULL || limit == 0 || is_root(caller))
		return true;
	lock(t, F_WRLCK);
	if ((s = find_slot(t, key, minute)) != NULL) {
		if (s->key != key || s->minute != minute)
			*s = (struct rate_slot){ key, minute, 0 };
		ok = s->count < limit;
		s->count += ok;
	}
	lock(t, F_UNLCK);
	return ok;
}
