/* lists.c — comma-separated values: items, and shell patterns. */
#include <fnmatch.h>
#include <string.h>

#include "config/lists.h"

bool
list_next(const char **list, char *buf, size_t n)
{
	const char *s = *list + strspn(*list, " \t");
	size_t len = strcspn(s, ",");

	if (*s == '\0')
		return false;
	*list = s[len] == ',' ? s + len + 1 : s + len;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len >= n)
		len = n - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return true;
}

int
patterns_check(const char *v, struct err *e)
{
	char pattern[LIST_ITEM_MAX];
	const char *p = v;
	bool ok = true;
	int n = 0;

	while (list_next(&p, pattern, sizeof(pattern))) {
		/* empty, or too long to have been copied whole */
		if (*pattern == '\0' || strlen(pattern) == sizeof(pattern) - 1)
			ok = false;
		n++;
	}
	if (!ok || n == 0)
		return err_set(e, EX_CONFIG, "expected comma-separated "
		    "patterns such as *@example.org, got \"%s\"", v);
	return 0;
}

bool
patterns_match(const char *list, const char *s, char *matched, size_t n)
{
	while (list_next(&list, matched, n))
		if (fnmatch(matched, s, FNM_CASEFOLD) == 0)
			return true;
	return false;
}
