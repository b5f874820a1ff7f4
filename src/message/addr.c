/* addr.c — address-list parsing and envelope address hygiene. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "message/addr.h"

/* The parser's view of one list element while it is being read. */
struct mailbox {
	char plain[ADDR_MAX + 1];	/* addr-spec written without <> */
	size_t plain_len;
	char angle[ADDR_MAX + 1];	/* the part inside <...> */
	size_t angle_len;
	bool has_angle;
	bool words;		/* two bare words: a phrase, not an address */
	bool gap;		/* whitespace since the last plain octet */
	bool plain_too_long;	/* the plain part outgrew ADDR_MAX: an error
				 * when it is the address, not when it is
				 * the display name before <...> */
	bool angle_too_long;
	bool malformed;		/* unclosed <, text after > */
	bool bare_at;		/* an unquoted @ outside <> */
};

static bool
is_control(unsigned char ch)
{
	return ch < 0x20 || ch == 0x7f;
}

int
addr_check(const char *addr, struct err *e)
{
	bool quoted = false;
	size_t i;

	if (strlen(addr) > ADDR_MAX)
		return err_set(e, EX_DATAERR, "address longer than %d octets",
		    ADDR_MAX);
	for (i = 0; addr[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)addr[i];

		if (is_control(ch) || ch == '<' || ch == '>' ||
		    (ch == ' ' && !quoted))
			return err_set(e, EX_DATAERR, "invalid character "
			    "0x%02x in address", ch);
		if (ch == '"')
			quoted = !quoted;
		else if (ch == '\\' && quoted && addr[i + 1] != '\0')
			i++;
	}
	if (quoted)
		return err_set(e, EX_DATAERR, "unbalanced quote in address");
	return 0;
}

static bool
addr_equal(const char *a, const char *b)
{
	const char *at_a = strrchr(a, '@'), *at_b = strrchr(b, '@');
	size_t la = at_a ? (size_t)(at_a - a) : strlen(a);
	size_t lb = at_b ? (size_t)(at_b - b) : strlen(b);

	if (la != lb || strncmp(a, b, la) != 0)
		return false;
	if ((at_a == NULL) != (at_b == NULL))
		return false;
	return at_a == NULL || strcasecmp(at_a, at_b) == 0;
}

int
addr_list_add(struct addr_list *list, const char *addr, struct err *e)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		if (addr_equal(list->v[i], addr))
			return 0;
	if (list->n == ADDR_LIST_MAX)
		return err_set(e, EX_DATAERR, "more than %d recipients",
		    ADDR_LIST_MAX);
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 8;
		char **v = realloc(list->v, cap * sizeof(*v));

		if (v == NULL)
			return err_set(e, EX_SOFTWARE, "out of memory");
		list->v = v;
		list->cap = cap;
	}
	if ((list->v[list->n] = strdup(addr)) == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	list->n++;
	return 0;
}

static void
append(char *buf, size_t *len, char ch, bool *too_long)
{
	if (*len >= ADDR_MAX) {
		*too_long = true;
		return;
	}
	buf[(*len)++] = ch;
	buf[*len] = '\0';
}

/* Skip a (possibly nested) comment starting at s[0] == '('. */
static const char *
skip_comment(const char *s)
{
	int depth = 0;

	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '(')
			depth++;
		else if (*s == ')' && --depth == 0)
			return s + 1;
	}
	return s;
}

/* Copy a quoted string starting at s[0] == '"', quotes included. */
static const char *
copy_quoted(const char *s, char *buf, size_t *len, bool *too_long)
{
	append(buf, len, *s++, too_long);
	for (; *s != '\0'; s++) {
		append(buf, len, *s, too_long);
		if (*s == '\\' && s[1] != '\0')
			append(buf, len, *++s, too_long); /* \" does not end it */
		else if (*s == '"')
			return s + 1;
	}
	return s;
}

/* Read "<...>" starting at s[0] == '<'; a source route "@a,@b:" is dropped. */
static const char *
read_angle(const char *s, struct mailbox *mb)
{
	mb->has_angle = true;
	mb->angle_len = 0;
	mb->angle[0] = '\0';
	for (s++; *s != '\0' && *s != '>'; ) {
		if (*s == '"') {
			s = copy_quoted(s, mb->angle, &mb->angle_len,
			    &mb->angle_too_long);
			continue;
		}
		if (*s == ':') {	/* end of a source route */
			mb->angle_len = 0;
			mb->angle[0] = '\0';
		} else if (*s != ' ' && *s != '\t') {
			append(mb->angle, &mb->angle_len, *s,
			    &mb->angle_too_long);
		}
		s++;
	}
	if (*s != '>') {
		mb->malformed = true;	/* "<" never closed */
		return s;
	}
	return s + 1;
}

static void
add_plain(struct mailbox *mb, char ch)
{
	char prev = mb->plain_len ? mb->plain[mb->plain_len - 1] : '\0';

	if (mb->gap && mb->plain_len > 0 && prev != '@' && prev != '.' &&
	    ch != '@' && ch != '.')
		mb->words = true;
	mb->gap = false;
	mb->bare_at |= ch == '@';
	append(mb->plain, &mb->plain_len, ch, &mb->plain_too_long);
}

static int
finish_mailbox(struct addr_list *list, struct mailbox *mb, int allow_null,
    struct err *e)
{
	const char *addr = mb->has_angle ? mb->angle : mb->plain;

	if (mb->has_angle ? mb->angle_too_long : mb->plain_too_long)
		return err_set(e, EX_DATAERR, "address longer than %d octets",
		    ADDR_MAX);
	if (!mb->has_angle && mb->plain_len == 0)
		goto done;	/* empty list element: ", ," */
	if (!mb->has_angle && mb->words)
		return err_set(e, EX_DATAERR, "\"%s\" is not an address "
		    "(a name needs <address>)", mb->plain);
	/* A display name cannot hold an unquoted "@": "a@b<c@d>" is two
	 * addresses run together, not a name and an address. */
	if (mb->malformed || (mb->has_angle && mb->bare_at))
		return err_set(e, EX_DATAERR, "malformed address: unbalanced "
		    "< > or stray text around <address>");
	if (addr[0] == '\0' && !allow_null)
		return err_set(e, EX_DATAERR, "empty address <>");
	if (addr_check(addr, e) < 0 || addr_list_add(list, addr, e) < 0)
		return -1;
done:
	memset(mb, 0, sizeof(*mb));
	return 0;
}

int
addr_parse_list(struct addr_list *list, const char *text, int allow_null,
    struct err *e)
{
	struct mailbox mb;
	const char *s = text;

	memset(&mb, 0, sizeof(mb));
	while (*s != '\0') {
		if (is_control((unsigned char)*s) && *s != '\t')
			return err_set(e, EX_DATAERR, "invalid character "
			    "0x%02x in address", (unsigned char)*s);
		switch (*s) {
		case '(':
			s = skip_comment(s);
			mb.gap = true;
			continue;
		case '"':
			if (mb.gap && mb.plain_len > 0)
				mb.words = true;
			mb.gap = false;
			s = copy_quoted(s, mb.plain, &mb.plain_len,
			    &mb.plain_too_long);
			continue;
		case '<':
			if (mb.has_angle)
				mb.malformed = true;
			s = read_angle(s, &mb);
			continue;
		case '>':
			mb.malformed = true;
			break;
		case ':':	/* "group:" — the name is not an address */
			memset(&mb, 0, sizeof(mb));
			break;
		case ',':
		case ';':
			if (finish_mailbox(list, &mb, allow_null, e) < 0)
				return -1;
			break;
		case ' ':
		case '\t':
			mb.gap = true;
			break;
		default:
			if (mb.has_angle)
				mb.malformed = true;	/* "<a@b>junk" */
			else
				add_plain(&mb, *s);
			break;
		}
		s++;
	}
	return finish_mailbox(list, &mb, allow_null, e);
}

void
addr_list_free(struct addr_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		free(list->v[i]);
	free(list->v);
	memset(list, 0, sizeof(*list));
}

bool
addr_is_ascii(const char *addr)
{
	for (; *addr != '\0'; addr++)
		if ((unsigned char)*addr >= 0x80)
			return false;
	return true;
}
