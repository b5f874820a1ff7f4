/*
 * settings.c — the built-in defaults, and one parser per key of
 * mailout.conf(5). Config files and command-line options both go through
 * keys[], so a value is checked, and means, the same wherever it is
 * written. Each key names its field and the type that parses and shows it.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/lists.h"
#include "config/relays.h"
#include "config/settings.h"
#include "lib/util.h"
#include "service/listen.h"
#include "smtp/sasl.h"
#include "transport/socks.h"
#include "transport/tls.h"

#define QUEUE_LIFETIME_DEFAULT (5 * 24 * 3600L)
#define QUEUE_LIFETIME_MAX (365 * 24 * 3600L)
#define HEALTH_WARN_AGE_DEFAULT 3600L
#define HEALTH_CRIT_AGE_DEFAULT (24 * 3600L)
#define SHOW_MAX 32		/* a number or word as dry-run shows it */
#define WORKERS_MAX 256
#define RATE_LIMIT_MAX 1000000

struct key;

/* How one kind of value is parsed into its field and shown back. */
struct type {
	int (*parse)(const struct key *k, void *field, const char *v,
	    struct err *e);
	const char *(*show)(const struct key *k, const void *field,
	    char *buf, size_t n);
};

struct key {
	const char *name;
	const struct type *type;
	size_t offset;			/* of the field in struct settings */
	const char *const *words;	/* a choice's words, NULL-terminated */
	const char *unsets;		/* the key this one replaces */
};

void
settings_defaults(struct settings *st)
{
	memset(st, 0, sizeof(*st));
	st->host = "localhost";
	st->timeout = 60;
	st->dot_ends = true;
	st->tls = TLS_AUTO;
	st->add_missing_headers = true;
	st->remove_bcc = true;
	st->pipelining = true;
	st->pipe_connect = true;
	st->chunking = true;
	st->queue = true;
	st->queue_lifetime = QUEUE_LIFETIME_DEFAULT;
	st->syslog_facility = "mail";
	st->health_warn_age = HEALTH_WARN_AGE_DEFAULT;
	st->health_crit_age = HEALTH_CRIT_AGE_DEFAULT;
	st->allow_from_override = true;
	st->service_workers = 16;
}

/* 'expected WHAT, got "VALUE"', the value quoted safely. */
static int
expected(struct err *e, const char *what, const char *v)
{
	char shown[128];

	err_quote(shown, sizeof(shown), v, strlen(v));
	return err_set(e, EX_CONFIG, "expected %s, got \"%s\"", what, shown);
}

static int
parse_long(const char *v, long min, long max, long *out)
{
	char *end;
	long n;

	if (*v < '0' || *v > '9')
		return -1;
	n = strtol(v, &end, 10);
	if (*end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static int
find_word(const char *const *words, const char *v)
{
	int i;

	for (i = 0; words[i] != NULL; i++)
		if (strcasecmp(words[i], v) == 0)
			return i;
	return -1;
}

/* "a, b or c" from a choice's words, for messages. */
static const char *
list_words(const char *const *words, char *buf, size_t n)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; words[i] != NULL && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s",
		    i == 0 ? "" : words[i + 1] == NULL ? " or " : ", ",
		    words[i]);
	return buf;
}

/* Text: any string; empty unsets it. */
static int
parse_text(const struct key *k, void *field, const char *v, struct err *e)
{
	(void)k;
	(void)e;
	*(const char **)field = *v == '\0' ? NULL : v;
	return 0;
}

static const char *
show_text(const struct key *k, const void *field, char *buf, size_t n)
{
	const char *v = *(const char *const *)field;

	(void)k;
	(void)buf;
	(void)n;
	return v != NULL ? v : "";
}

/* The password itself is never shown. */
static const char *
show_secret(const struct key *k, const void *field, char *buf, size_t n)
{
	(void)k;
	(void)buf;
	(void)n;
	return *(const char *const *)field != NULL ? "<set>" : "";
}

static int
parse_port(const struct key *k, void *field, const char *v, struct err *e)
{
	long n;

	if (*v != '\0' && parse_long(v, 1, 65535, &n) < 0)
		return expected(e, "a port number from 1 to 65535", v);
	return parse_text(k, field, v, e);
}

/* One relay or a list of them (relays.h). */
static int
parse_hosts(const struct key *k, void *field, const char *v, struct err *e)
{
	if (*v != '\0' && !relays_valid(v))
		return expected(e, "a host name, or a comma-separated list of "
		    "up to 8 relays: name, name:port, [address] or "
		    "[address]:port", v);
	return parse_text(k, field, v, e);
}

/* A name that goes on the wire (EHLO, user@domain): no blanks, no
 * control characters, nothing that would make it an address. */
static int
parse_name(const struct key *k, void *field, const char *v, struct err *e)
{
	const char *p;

	for (p = v; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("@<>", *p) != NULL)
			return expected(e, "a host or domain name", v);
	return parse_text(k, field, v, e);
}

static int
parse_address(const struct key *k, void *field, const char *v,
    struct err *e)
{
	struct err why;

	if (*v != '\0' && addr_check(v, &why) < 0)
		return expected(e, "an address such as me@example.org", v);
	return parse_text(k, field, v, e);
}

/* An OAuth endpoint: tokens travel there, so HTTPS only (http.h). */
static int
parse_https_url(const struct key *k, void *field, const char *v,
    struct err *e)
{
	const char *p;

	for (p = v; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return expected(e, "an https:// URL", v);
	if (*v != '\0' && (strncasecmp(v, "https://", 8) != 0 || v[8] == '\0'))
		return expected(e, "an https:// URL", v);
	return parse_text(k, field, v, e);
}

static int
parse_proxy(const struct key *k, void *field, const char *v, struct err *e)
{
	if (*v != '\0' && !socks_url_valid(v))
		return expected(e, "socks5://[user@]host[:port] (the password "
		    "goes in proxy_password_command)", v);
	return parse_text(k, field, v, e);
}

static int
parse_fingerprint(const struct key *k, void *field, const char *v,
    struct err *e)
{
	if (*v != '\0' && !tls_fingerprint_valid(v))
		return expected(e, "sha256: and 64 hex digits", v);
	return parse_text(k, field, v, e);
}

/* on, off or a mechanism, kept in its canonical spelling, which is what
 * session.c compares against. */
static int
parse_auth(const struct key *k, void *field, const char *v, struct err *e)
{
	const char **out = field;
	int m;

	(void)k;
	if (strcasecmp(v, "on") == 0 || strcasecmp(v, "off") == 0)
		*out = strcasecmp(v, "on") == 0 ? "on" : "off";
	else if ((m = sasl_lookup(v)) >= 0)
		*out = sasl_name((enum sasl_mech)m);
	else
		return expected(e, "on, off or a mechanism (SCRAM-SHA-256 "
		    "SCRAM-SHA-1 CRAM-MD5 PLAIN LOGIN XOAUTH2 OAUTHBEARER "
		    "EXTERNAL)", v);
	return 0;
}

/* Seconds; msmtp's "off" (no timeout of its own) is the longest there
 * is, since mailout never waits without a limit. */
static int
parse_seconds(const struct key *k, void *field, const char *v,
    struct err *e)
{
	long n;

	(void)k;
	if (strcasecmp(v, "off") == 0)
		n = TIMEOUT_MAX;
	else if (parse_long(v, 1, TIMEOUT_MAX, &n) < 0)
		return expected(e, "seconds from 1 to 86400, or off", v);
	*(int *)field = (int)n;
	return 0;
}

/* An int field shown as a number. */
static const char *
show_seconds(const struct key *k, const void *field, char *buf, size_t n)
{
	(void)k;
	snprintf(buf, n, "%d", *(const int *)field);
	return buf;
}

/* rate_limit: messages a minute, 0 for no limit. */
static int
parse_rate(const struct key *k, void *field, const char *v, struct err *e)
{
	long n;

	(void)k;
	if (parse_long(v, 0, RATE_LIMIT_MAX, &n) < 0)
		return expected(e, "messages a minute, from 0 (no limit) to "
		    "1000000", v);
	*(int *)field = (int)n;
	return 0;
}

static int
parse_patterns(const struct key *k, void *field, const char *v,
    struct err *e)
{
	if (*v != '\0' && patterns_check(v, e) < 0)
		return -1;
	return parse_text(k, field, v, e);
}

/* A list each of whose items check() accepts. */
static int
parse_items(const struct key *k, void *field, const char *v,
    int (*check)(const char *), const char *what, struct err *e)
{
	char item[LIST_ITEM_MAX];
	const char *p = v;

	while (list_next(&p, item, sizeof(item)))
		if (check(item) < 0)
			return expected(e, what, v);
	return parse_text(k, field, v, e);
}

static int
parse_listen(const struct key *k, void *field, const char *v,
    struct err *e)
{
	return parse_items(k, field, v, listen_address_check, "numeric "
	    "addresses and ports such as 127.0.0.1:2525 or [::1]:2525", e);
}

static int
parse_networks(const struct key *k, void *field, const char *v,
    struct err *e)
{
	return parse_items(k, field, v, listen_network_check, "networks "
	    "such as 10.0.0.0/8, 192.0.2.7 or fd00::/8", e);
}

/* service_workers: the service's processes. */
static int
parse_workers(const struct key *k, void *field, const char *v,
    struct err *e)
{
	long n;

	(void)k;
	if (parse_long(v, 1, WORKERS_MAX, &n) < 0)
		return expected(e, "a number from 1 to 256", v);
	*(int *)field = (int)n;
	return 0;
}

/* A duration: seconds, or a number with s, m, h, d or w after it. */
static int
parse_duration(const struct key *k, void *field, const char *v,
    struct err *e)
{
	static const char units[] = "smhdw";
	static const long scale[] = { 1, 60, 3600, 86400, 7 * 86400 };
	char digits[24];
	size_t len = strlen(v);
	const char *u;
	long n, unit = 1;

	(void)k;
	if (len > 0 && (u = strchr(units, v[len - 1])) != NULL) {
		unit = scale[u - units];
		len--;
	}
	if (len == 0 || len >= sizeof(digits))
		return expected(e, "a duration such as 3600, 30m, 12h or 5d",
		    v);
	memcpy(digits, v, len);
	digits[len] = '\0';
	if (parse_long(digits, 1, QUEUE_LIFETIME_MAX / unit, &n) < 0)
		return expected(e, "a duration from 1 second to 365 days, "
		    "such as 3600, 30m, 12h or 5d", v);
	*(long *)field = n * unit;
	return 0;
}

/* In the largest unit that says it exactly: 432000 is 5d. */
static const char *
show_duration(const struct key *k, const void *field, char *buf, size_t n)
{
	static const char units[] = "wdhm";
	static const long scale[] = { 7 * 86400, 86400, 3600, 60 };
	long v = *(const long *)field;
	size_t i;

	(void)k;
	for (i = 0; i < nitems(scale); i++) {
		if (v % scale[i] == 0) {
			snprintf(buf, n, "%ld%c", v / scale[i], units[i]);
			return buf;
		}
	}
	snprintf(buf, n, "%ld", v);
	return buf;
}

/* on/off, yes/no, true/false, 1/0: a word at an odd index is true. */
static const char *const booleans[] = {
	"off", "on", "no", "yes", "false", "true", "0", "1", NULL
};

static int
parse_boolean(const struct key *k, void *field, const char *v,
    struct err *e)
{
	int i = find_word(booleans, v);

	(void)k;
	if (i < 0)
		return expected(e, "on or off", v);
	*(bool *)field = i % 2 == 1;
	return 0;
}

static const char *
show_boolean(const struct key *k, const void *field, char *buf, size_t n)
{
	(void)k;
	(void)buf;
	(void)n;
	return *(const bool *)field ? "on" : "off";
}

/* The index of v in k->words, or -1 after saying which were expected. */
static int
choose(const struct key *k, const char *v, struct err *e)
{
	char list[128];
	int i = find_word(k->words, v);

	if (i < 0)
		expected(e, list_words(k->words, list, sizeof(list)), v);
	return i;
}

/* Two words for a bool: words[0] is false, words[1] true. */
static int
parse_pair(const struct key *k, void *field, const char *v, struct err *e)
{
	int i = choose(k, v, e);

	if (i < 0)
		return -1;
	*(bool *)field = i == 1;
	return 0;
}

static const char *
show_pair(const struct key *k, const void *field, char *buf, size_t n)
{
	(void)buf;
	(void)n;
	return k->words[*(const bool *)field ? 1 : 0];
}

/* The TLS modes, words in enum tls_mode order; msmtp's "tls on" means
 * STARTTLS, required (its tls_starttls is on unless said otherwise). */
static int
parse_tls(const struct key *k, void *field, const char *v, struct err *e)
{
	int i = strcasecmp(v, "on") == 0 ? TLS_STARTTLS : choose(k, v, e);

	if (i < 0)
		return -1;
	*(enum tls_mode *)field = (enum tls_mode)i;
	return 0;
}

/* A CA file; msmtp's "system" names the system's trust, the default. */
static int
parse_trust_file(const struct key *k, void *field, const char *v,
    struct err *e)
{
	return parse_text(k, field, strcmp(v, "system") == 0 ? "" : v, e);
}

static const char *
show_tls(const struct key *k, const void *field, char *buf, size_t n)
{
	(void)buf;
	(void)n;
	return k->words[*(const enum tls_mode *)field];
}

/* One of k->words, stored as the word itself in its canonical case. */
static int
parse_word(const struct key *k, void *field, const char *v, struct err *e)
{
	int i = choose(k, v, e);

	if (i < 0)
		return -1;
	*(const char **)field = k->words[i];
	return 0;
}

/* DSN NOTIFY (RFC 3461): never, or a list of success, failure, delay. */
static int
parse_dsn_notify(const struct key *k, void *field, const char *v,
    struct err *e)
{
	static const char *const kinds[] = {
		"success", "failure", "delay", NULL
	};
	char item[16];
	const char *p = v;
	size_t len;

	if (strcasecmp(v, "never") == 0)
		return parse_text(k, field, v, e);
	do {
		len = strcspn(p, ",");
		if (len >= sizeof(item))
			len = sizeof(item) - 1;
		memcpy(item, p, len);
		item[len] = '\0';
		if (find_word(kinds, item) < 0)
			return expected(e, "never, or a comma-separated list "
			    "of success, failure and delay", v);
		p += strcspn(p, ",");
	} while (*p++ != '\0');
	return parse_text(k, field, v, e);
}

static const struct type type_text = { parse_text, show_text };
static const struct type type_trust_file = { parse_trust_file, show_text };
static const struct type type_secret = { parse_text, show_secret };
static const struct type type_hosts = { parse_hosts, show_text };
static const struct type type_port = { parse_port, show_text };
static const struct type type_name = { parse_name, show_text };
static const struct type type_address = { parse_address, show_text };
static const struct type type_https_url = { parse_https_url, show_text };
static const struct type type_fingerprint = { parse_fingerprint, show_text };
static const struct type type_proxy = { parse_proxy, show_text };
static const struct type type_auth = { parse_auth, show_text };
static const struct type type_seconds = { parse_seconds, show_seconds };
static const struct type type_workers = { parse_workers, show_seconds };
static const struct type type_rate = { parse_rate, show_seconds };
static const struct type type_patterns = { parse_patterns, show_text };
static const struct type type_listen = { parse_listen, show_text };
static const struct type type_networks = { parse_networks, show_text };
static const struct type type_duration = { parse_duration, show_duration };
static const struct type type_boolean = { parse_boolean, show_boolean };
static const struct type type_pair = { parse_pair, show_pair };
static const struct type type_tls = { parse_tls, show_tls };
static const struct type type_word = { parse_word, show_text };
static const struct type type_dsn_notify = { parse_dsn_notify, show_text };

static const char *const protocols[] = { "smtp", "lmtp", NULL };
static const char *const tls_modes[] = {
	"auto", "off", "starttls", "implicit", NULL	/* enum tls_mode */
};
static const char *const refused_modes[] = { "continue", "abort", NULL };
static const char *const dsn_returns[] = { "full", "hdrs", NULL };
static const char *const facilities[] = {
	"mail", "user", "daemon", "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7", NULL
};

#define F(member) offsetof(struct settings, member)

/* In the order of mailout.conf(5), which --dry-run follows too. */
static const struct key keys[] = {
	{ "host", &type_hosts, F(host), NULL, "socket" },
	{ "port", &type_port, F(port), NULL, NULL },
	{ "socket", &type_text, F(socket), NULL, "host" },
	{ "protocol", &type_pair, F(lmtp), protocols, NULL },
	{ "tls", &type_tls, F(tls), tls_modes, NULL },
	{ "tls_trust_file", &type_trust_file, F(tls_trust_file), NULL, NULL },
	{ "tls_fingerprint", &type_fingerprint, F(tls_fingerprint),
	    NULL, NULL },
	{ "tls_cert_file", &type_text, F(tls_cert_file), NULL, NULL },
	{ "tls_key_file", &type_text, F(tls_key_file), NULL, NULL },
	{ "tls_priorities", &type_text, F(tls_priorities), NULL, NULL },
	{ "auth", &type_auth, F(auth), NULL, NULL },
	{ "user", &type_text, F(user), NULL, NULL },
	{ "password", &type_secret, F(password), NULL, "password_command" },
	{ "password_command", &type_text, F(password_command), NULL,
	    "password" },
	{ "from", &type_address, F(from), NULL, NULL },
	{ "helo", &type_name, F(helo), NULL, NULL },
	{ "source_address", &type_text, F(source_address), NULL, NULL },
	{ "proxy", &type_proxy, F(proxy), NULL, NULL },
	{ "proxy_password_command", &type_text, F(proxy_password_command),
	    NULL, NULL },
	{ "timeout", &type_seconds, F(timeout), NULL, NULL },
	{ "aliases", &type_text, F(aliases), NULL, NULL },
	{ "domain", &type_name, F(domain), NULL, NULL },
	{ "add_missing_headers", &type_boolean, F(add_missing_headers), NULL,
	    NULL },
	{ "remove_bcc", &type_boolean, F(remove_bcc), NULL, NULL },
	{ "pipelining", &type_boolean, F(pipelining), NULL, NULL },
	{ "pipe_connect", &type_boolean, F(pipe_connect), NULL, NULL },
	{ "chunking", &type_boolean, F(chunking), NULL, NULL },
	{ "dsn_notify", &type_dsn_notify, F(dsn_notify), NULL, NULL },
	{ "dsn_return", &type_word, F(dsn_return), dsn_returns, NULL },
	{ "refused", &type_pair, F(refused_abort), refused_modes, NULL },
	{ "queue", &type_boolean, F(queue), NULL, NULL },
	{ "queue_dir", &type_text, F(queue_dir), NULL, NULL },
	{ "queue_lifetime", &type_duration, F(queue_lifetime), NULL, NULL },
	{ "log", &type_text, F(log), NULL, NULL },
	{ "syslog_facility", &type_word, F(syslog_facility), facilities, NULL },
	{ "health_warn_age", &type_duration, F(health_warn_age), NULL, NULL },
	{ "health_crit_age", &type_duration, F(health_crit_age), NULL, NULL },
	{ "alert_command", &type_text, F(alert_command), NULL, NULL },
	{ "oauth_token_endpoint", &type_https_url, F(oauth_token_endpoint),
	    NULL, NULL },
	{ "oauth_device_endpoint", &type_https_url, F(oauth_device_endpoint),
	    NULL, NULL },
	{ "oauth_client_id", &type_text, F(oauth_client_id), NULL, NULL },
	{ "oauth_client_secret", &type_secret, F(oauth_client_secret), NULL,
	    "oauth_client_secret_command" },
	{ "oauth_client_secret_command", &type_text,
	    F(oauth_client_secret_command), NULL, "oauth_client_secret" },
	{ "oauth_scope", &type_text, F(oauth_scope), NULL, NULL },
	{ "oauth_trust_file", &type_text, F(oauth_trust_file), NULL, NULL },
	{ "oauth_refresh_token_file", &type_text, F(oauth_refresh_token_file),
	    NULL, NULL },
	{ "allow_from_override", &type_boolean, F(allow_from_override), NULL,
	    NULL },
	{ "allowed_from", &type_patterns, F(allowed_from), NULL, NULL },
	{ "rate_limit", &type_rate, F(rate_limit), NULL, NULL },
	{ "listen", &type_listen, F(listen), NULL, NULL },
	{ "listen_allow", &type_networks, F(listen_allow), NULL, NULL },
	{ "service_workers", &type_workers, F(service_workers), NULL, NULL },
};

/* The mailout service's own keys, which only [defaults] may set. */
static const char *const service_keys[] = {
	"rate_limit", "listen", "listen_allow", "service_workers",
};

static const struct key *
find_key(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static void *
field_of(struct settings *st, const struct key *k)
{
	return (char *)st + k->offset;
}

bool
settings_key_exists(const char *key)
{
	return find_key(key) != NULL;
}

bool
settings_key_defaults_only(const char *key)
{
	size_t i;

	for (i = 0; i < nitems(service_keys); i++)
		if (strcmp(service_keys[i], key) == 0)
			return true;
	return false;
}

bool
settings_key_is_secret(const char *key)
{
	const struct key *k = find_key(key);

	return k != NULL && k->type == &type_secret;
}

const char *
settings_key_at(size_t i)
{
	return i < nitems(keys) ? keys[i].name : NULL;
}

int
settings_set(struct settings *st, const char *key, const char *value,
    struct err *e)
{
	const struct key *k = find_key(key), *other;

	if (k == NULL)
		return err_set(e, EX_CONFIG, "unknown key \"%s\"", key);
	if (k->type->parse(k, field_of(st, k), value, e) < 0)
		return -1;
	if (k->unsets != NULL && *value != '\0' &&
	    (other = find_key(k->unsets)) != NULL)
		*(const char **)field_of(st, other) = NULL;
	return 0;
}

void
settings_finish(struct settings *st, const char *mailname)
{
	if (st->host == NULL)
		st->host = "localhost";
	if (st->port == NULL)
		st->port = st->lmtp ? "24" : st->tls == TLS_IMPLICIT ?
		    "465" : "25";
	if (st->helo == NULL)
		st->helo = mailname;
	if (st->domain == NULL)
		st->domain = mailname;
	if (st->auth == NULL)
		st->auth = st->user != NULL ? "on" : "off";
}

void
settings_print(const struct settings *st, FILE *out)
{
	char buf[SHOW_MAX];
	const char *v;
	size_t i;

	for (i = 0; i < nitems(keys); i++) {
		v = keys[i].type->show(&keys[i],
		    (const char *)st + keys[i].offset, buf, sizeof(buf));
		fprintf(out, "%s =%s%s\n", keys[i].name, *v ? " " : "", v);
	}
}
