/* command.c — parsing the command lines a client sends the service. */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "service/command.h"

static const struct {
	const char *name;
	enum verb verb;
} verbs[] = {
	{ "HELO", VERB_HELO }, { "EHLO", VERB_EHLO }, { "LHLO", VERB_LHLO },
	{ "MAIL", VERB_MAIL }, { "RCPT", VERB_RCPT }, { "DATA", VERB_DATA },
	{ "RSET", VERB_RSET }, { "NOOP", VERB_NOOP }, { "QUIT", VERB_QUIT },
	{ "VRFY", VERB_VRFY }, { "XFLUSH", VERB_XFLUSH },
	{ "XQUEUE", VERB_XQUEUE }, { "XOP", VERB_XOP },
	{ "XHEALTH", VERB_XHEALTH },
	{ "STARTTLS", VERB_UNSUPPORTED }, { "AUTH", VERB_UNSUPPORTED },
	{ "BDAT", VERB_UNSUPPORTED }, { "EXPN", VERB_UNSUPPORTED },
	{ "HELP", VERB_UNSUPPORTED }, { "ETRN", VERB_UNSUPPORTED },
	{ "TURN", VERB_UNSUPPORTED }, { "ATRN", VERB_UNSUPPORTED },
};

void
service_reply_set(struct service_reply *r, int code, const char *enhanced,
    const char *fmt, ...)
{
	va_list ap;

	r->code = code;
	snprintf(r->enhanced, sizeof(r->enhanced), "%s", enhanced);
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

const char *
verb_name(enum verb v)
{
	size_t i;

	for (i = 0; i < nitems(verbs); i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return "unknown command";
}

/* No control octet anywhere: a line is one command, never two. */
static bool
line_is_clean(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return false;
	}
	return true;
}

static enum verb
find_verb(const char *word, size_t len)
{
	size_t i;

	for (i = 0; i < nitems(verbs); i++)
		if (strlen(verbs[i].name) == len &&
		    strncasecmp(verbs[i].name, word, len) == 0)
			return verbs[i].verb;
	return VERB_UNKNOWN;
}

/* The '>' that closes the path opened at s[0] == '<', quoted strings
 * and their backslashes skipped; NULL when there is none. */
static char *
path_end(char *s)
{
	bool quoted = false;

	for (s++; *s != '\0'; s++) {
		if (*s == '\\' && quoted && s[1] != '\0')
			s++;
		else if (*s == '"')
			quoted = !quoted;
		else if (*s == '>' && !quoted)
			return s;
	}
	return NULL;
}

/* RFC 5321 4.1.2: "<" [ A-d-l ":" ] Mailbox ">"; a source route is
 * accepted and ignored (4.1.1.3, C). */
static int
take_path(struct command *c, char **p, struct service_reply *r)
{
	char *end, *in = *p;
	struct err why;

	if (*in != '<' || (end = path_end(in)) == NULL) {
		service_reply_set(r, 501, "5.5.4", "Syntax: %s <address>",
		    c->verb == VERB_MAIL ? "MAIL FROM:" : "RCPT TO:");
		return -1;
	}
	*end = '\0';
	in++;
	if (*in == '@' && strchr(in, ':') != NULL)
		in = strchr(in, ':') + 1;
	if (strlen(in) > ADDR_MAX || addr_check(in, &why) < 0) {
		service_reply_set(r, 553, "5.1.3", "Bad address syntax");
		return -1;
	}
	snprintf(c->path, sizeof(c->path), "%s", in);
	*p = end + 1;
	return 0;
}

/* RFC 5321 4.1.2 esmtp-param: keyword ["=" value], the keyword letters,
 * digits and "-", the value printable (UTF-8 allowed) without "=". */
static int
take_param(struct command *c, char *word, struct service_reply *r)
{
	struct command_param *pm = &c->params[c->nparams];
	char *eq = strchr(word, '=');
	size_t i, len = eq ? (size_t)(eq - word) : strlen(word);

	if (c->nparams == COMMAND_PARAMS_MAX) {
		service_reply_set(r, 555, "5.5.4", "Too many parameters");
		return -1;
	}
	if (len == 0 || len > COMMAND_PARAM_NAME_MAX || !isalnum(
	    (unsigned char)word[0]) || (eq != NULL && (eq[1] == '\0' ||
	    strchr(eq + 1, '=') != NULL))) {
		service_reply_set(r, 555, "5.5.4", "Bad parameter syntax");
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)word[i]) && word[i] != '-') {
			service_reply_set(r, 555, "5.5.4", "Bad parameter "
			    "syntax");
			return -1;
		}
		pm->name[i] = (char)toupper((unsigned char)word[i]);
	}
	pm->name[len] = '\0';
	pm->value = eq ? eq + 1 : NULL;
	c->nparams++;
	return 0;
}

static int
take_params(struct command *c, char *p, struct service_reply *r)
{
	char *word;

	if (*p != '\0' && *p != ' ') {
		service_reply_set(r, 501, "5.5.4", "Syntax: a space after "
		    "the address");
		return -1;
	}
	while ((word = strsep(&p, " ")) != NULL) {
		if (*word == '\0')
			continue;	/* more than one space */
		if (take_param(c, word, r) < 0)
			return -1;
	}
	return 0;
}

/* "FROM:<path> params" or "TO:<path> params". */
static int
parse_mail_rcpt(struct command *c, struct service_reply *r)
{
	const char *prefix = c->verb == VERB_MAIL ? "FROM:" : "TO:";
	size_t n = strlen(prefix);
	char *p = (char *)c->arg;

	if (strncasecmp(p, prefix, n) != 0) {
		service_reply_set(r, 501, "5.5.4", "Syntax: %s <address>",
		    c->verb == VERB_MAIL ? "MAIL FROM:" : "RCPT TO:");
		return -1;
	}
	p += n;
	p += strspn(p, " ");	/* "MAIL FROM: <a>", as many clients send */
	if (take_path(c, &p, r) < 0)
		return -1;
	if (c->verb == VERB_RCPT && c->path[0] == '\0') {
		service_reply_set(r, 553, "5.1.3", "A recipient cannot be <>");
		return -1;
	}
	return take_params(c, p, r);
}

/* What each verb takes after it. */
static int
check_arguments(struct command *c, struct service_reply *r)
{
	switch (c->verb) {
	case VERB_HELO:
	case VERB_EHLO:
	case VERB_LHLO:
		if (*c->arg == '\0') {
			service_reply_set(r, 501, "5.5.4", "Syntax: %s "
			    "hostname", verb_name(c->verb));
			return -1;
		}
		return 0;
	case VERB_MAIL:
	case VERB_RCPT:
		return parse_mail_rcpt(c, r);
	case VERB_DATA:
	case VERB_RSET:
	case VERB_QUIT:
		if (*c->arg != '\0') {
			service_reply_set(r, 501, "5.5.4", "Syntax: %s takes "
			    "no argument", verb_name(c->verb));
			return -1;
		}
		return 0;
	case VERB_UNSUPPORTED:
		service_reply_set(r, 502, "5.5.1", "Command not implemented");
		return -1;
	case VERB_UNKNOWN:
		service_reply_set(r, 500, "5.5.1", "Command unrecognized");
		return -1;
	default:
		return 0;
	}
}

int
command_parse(const char *line, size_t len, struct command *c,
    struct service_reply *r)
{
	size_t wlen;
	char *arg;

	memset(c, 0, sizeof(*c));
	c->arg = "";
	if (len > COMMAND_LINE_MAX) {
		service_reply_set(r, 500, "5.5.2", "Line too long");
		return -1;
	}
	if (!line_is_clean(line, len)) {
		service_reply_set(r, 500, "5.5.2", "Control character in the "
		    "command");
		return -1;
	}
	memcpy(c->line, line, len);
	c->line[len] = '\0';
	wlen = strcspn(c->line, " \t");
	c->verb = find_verb(c->line, wlen);
	arg = c->line + wlen;
	arg += strspn(arg, " \t");
	/* trailing blanks are no part of an argument */
	while (*arg != '\0' && (arg[strlen(arg) - 1] == ' ' ||
	    arg[strlen(arg) - 1] == '\t'))
		arg[strlen(arg) - 1] = '\0';
	c->arg = arg;
	return check_arguments(c, r);
}

const struct command_param *
command_param(const struct command *c, const char *name)
{
	int i;

	for (i = 0; i < c->nparams; i++)
		if (strcmp(c->params[i].name, name) == 0)
			return &c->params[i];
	return NULL;
}
