/* msmtpmap.c — msmtp's commands and their mailout.conf(5) equivalents. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/msmtpmap.h"
#include "lib/util.h"
#include "smtp/sasl.h"


/* keepbcc on is remove_bcc_headers off, and the other way round. */
static const char *
invert(const char *v)
{
	return strcmp(v, "on") == 0 ? "off" : strcmp(v, "off") == 0 ? "on" : v;
}

/* add_missing_*_header on is set_*_header auto. */
static const char *
on_is_auto(const char *v)
{
	return strcmp(v, "on") == 0 ? "auto" : v;
}

/* undisclosed_recipients on is set_to_header undisclosed_recipients. */
static const char *
on_is_undisclosed(const char *v)
{
	return strcmp(v, "on") == 0 ? "undisclosed_recipients" : v;
}

/* tls_nocertcheck, tls_nostarttls (msmtp 1.2): take no argument. */
static const char *
always_off(const char *v)
{
	(void)v;
	return "off";
}

/* Every command of msmtp's conf.c, under the key it sets. */
static const struct command {
	const char *name;
	enum mkey key;
	const char *empty;	/* what an empty argument stands for */
	const char *(*fold)(const char *v);	/* spelling to key's value */
} commands[] = {
	{ "host", MK_HOST, NULL, NULL },
	{ "port", MK_PORT, NULL, NULL },
	{ "socket", MK_SOCKET, NULL, NULL },
	{ "protocol", MK_PROTOCOL, NULL, NULL },
	{ "timeout", MK_TIMEOUT, NULL, NULL },
	{ "connect_timeout", MK_TIMEOUT, NULL, NULL },
	{ "source_ip", MK_SOURCE_IP, NULL, NULL },
	{ "proxy_host", MK_PROXY_HOST, NULL, NULL },
	{ "proxy_port", MK_PROXY_PORT, NULL, NULL },
	{ "domain", MK_DOMAIN, NULL, NULL },
	{ "auth", MK_AUTH, "on", NULL },
	{ "user", MK_USER, NULL, NULL },
	{ "password", MK_PASSWORD, NULL, NULL },
	{ "passwordeval", MK_PASSWORDEVAL, NULL, NULL },
	{ "ntlmdomain", MK_NTLMDOMAIN, NULL, NULL },
	{ "tls", MK_TLS, "on", NULL },
	{ "tls_starttls", MK_TLS_STARTTLS, "on", NULL },
	{ "tls_nostarttls", MK_TLS_STARTTLS, "", always_off },
	{ "tls_trust_file", MK_TLS_TRUST_FILE, NULL, NULL },
	{ "tls_crl_file", MK_TLS_CRL_FILE, NULL, NULL },
	{ "tls_fingerprint", MK_TLS_FINGERPRINT, NULL, NULL },
	{ "tls_key_file", MK_TLS_KEY_FILE, NULL, NULL },
	{ "tls_cert_file", MK_TLS_CERT_FILE, NULL, NULL },
	{ "tls_certcheck", MK_TLS_CERTCHECK, "on", NULL },
	{ "tls_nocertcheck", MK_TLS_CERTCHECK, "", always_off },
	{ "tls_min_dh_prime_bits", MK_TLS_MIN_DH_PRIME_BITS, NULL, NULL },
	{ "tls_priorities", MK_TLS_PRIORITIES, NULL, NULL },
	{ "tls_host_override", MK_TLS_HOST_OVERRIDE, NULL, NULL },
	{ "tls_force_sslv3", MK_NONE, NULL, NULL },
	{ "from", MK_FROM, NULL, NULL },
	{ "from_full_name", MK_FROM_FULL_NAME, NULL, NULL },
	{ "allow_from_override", MK_ALLOW_FROM_OVERRIDE, NULL, NULL },
	{ "dsn_notify", MK_DSN_NOTIFY, NULL, NULL },
	{ "dsn_return", MK_DSN_RETURN, NULL, NULL },
	{ "set_from_header", MK_SET_FROM_HEADER, "auto", NULL },
	{ "add_missing_from_header", MK_SET_FROM_HEADER, "on", on_is_auto },
	{ "set_date_header", MK_SET_DATE_HEADER, "auto", NULL },
	{ "add_missing_date_header", MK_SET_DATE_HEADER, "on", on_is_auto },
	{ "set_msgid_header", MK_SET_MSGID_HEADER, "auto", NULL },
	{ "set_to_header", MK_SET_TO_HEADER, "on", NULL },
	{ "undisclosed_recipients", MK_SET_TO_HEADER, "on", on_is_undisclosed },
	{ "remove_bcc_headers", MK_REMOVE_BCC_HEADERS, "on", NULL },
	{ "keepbcc", MK_REMOVE_BCC_HEADERS, "on", invert },
	{ "logfile", MK_LOGFILE, NULL, NULL },
	{ "logfile_time_format", MK_LOGFILE_TIME_FORMAT, NULL, NULL },
	{ "syslog", MK_SYSLOG, "on", NULL },
	{ "aliases", MK_ALIASES, NULL, NULL },
	{ "auto_from", MK_AUTO_FROM, "on", NULL },
	{ "maildomain", MK_MAILDOMAIN, NULL, NULL },
	{ "eval", MK_NONE, NULL, NULL },
};

static bool
is(const char *v, const char *word)
{
	return v != NULL && strcmp(v, word) == 0;
}

/* A from that substitutes what convert_substituted_from cannot. */
static bool
substitutes_more(const char *v)
{
	const char *rest = strncmp(v, "%U@", 3) == 0 ? v + 3 : "%";

	return strchr(v, '%') != NULL && strchr(rest, '%') != NULL &&
	    !is(rest, "%H") && !is(rest, "%M");
}

/* What a line with this value says that mailout cannot say, or NULL. */
static const char *
line_note(enum mkey k, const char *v)
{
	bool has = *v != '\0';

	switch (k) {
	case MK_FROM:
		return substitutes_more(v) ? "mailout substitutes nothing in "
		    "from: give the sender with -f, or an address here" : NULL;
	case MK_NTLMDOMAIN:
		return "mailout has no NTLM authentication";
	case MK_TLS_CRL_FILE:
		return has ? "mailout reads no certificate revocation list" :
		    NULL;
	case MK_TLS_CERTCHECK:
		return is(v, "off") ? "mailout always verifies the server's "
		    "certificate; pin it with tls_fingerprint instead "
		    "(mailout --serverinfo prints it)" : NULL;
	case MK_TLS_MIN_DH_PRIME_BITS:
		return has ? "tls_priorities (a GnuTLS priority string) "
		    "chooses what is accepted" : NULL;
	case MK_TLS_HOST_OVERRIDE:
		return has ? "the certificate is checked against host" : NULL;
	case MK_TLS_FINGERPRINT:
		return has && strlen(v) != 95 ? "mailout pins SHA-256 "
		    "fingerprints only (mailout --serverinfo prints it)" : NULL;
	case MK_TLS_TRUST_FILE:
		return has ? NULL : "mailout trusts the system's CAs or a "
		    "file's, unless tls_fingerprint pins the certificate";
	case MK_FROM_FULL_NAME:
		return has ? "no full name in the configuration: give it "
		    "with -F" : NULL;
	case MK_ALLOW_FROM_OVERRIDE:
		return is(v, "off") ? "-f always sets the envelope sender" :
		    NULL;
	case MK_SET_FROM_HEADER:
		return is(v, "on") ? "mailout adds a missing From but never "
		    "replaces one" : NULL;
	case MK_SET_TO_HEADER:
		return is(v, "off") ? NULL : "mailout does not rewrite To, Cc "
		    "and Bcc";
	case MK_LOGFILE_TIME_FORMAT:
		return has ? "mailout's log lines start with an ISO 8601 "
		    "time" : NULL;
	case MK_LOGFILE:
		return is(v, "-") ? "mailout logs to a file or to syslog, not "
		    "to standard output" : NULL;
	default:
		return NULL;
	}
}

int
msmtp_command(const char *cmd, const char *arg, struct mline *ml)
{
	const struct command *c = NULL;
	size_t i;

	for (i = 0; i < nitems(commands) && c == NULL; i++)
		if (strcmp(commands[i].name, cmd) == 0)
			c = &commands[i];
	if (c == NULL)
		return -1;
	ml->key = c->key;
	ml->value = *arg == '\0' && c->empty != NULL ? c->empty : arg;
	if (c->fold != NULL)
		ml->value = c->fold(ml->value);
	if (c->key == MK_NONE)
		ml->note = strcmp(cmd, "eval") == 0 ? "mailout runs no command "
		    "while reading its configuration (password_command runs "
		    "when the password is needed): run it and write here the "
		    "line it prints" : "ignored by msmtp too";
	else
		ml->note = line_note(c->key, ml->value);
	return 0;
}

static const char *const okey_names[OK_COUNT] = {
	"match_from", "host", "port", "socket", "protocol", "tls",
	"tls_trust_file", "tls_fingerprint", "tls_cert_file", "tls_key_file",
	"tls_priorities", "auth", "user", "password", "password_command",
	"from", "helo", "source_address", "proxy", "timeout", "aliases",
	"domain",
	"add_missing_headers", "remove_bcc", "dsn_notify", "dsn_return", "log",
	"syslog_facility",
};

const char *
msmtp_okey_name(enum okey k)
{
	return okey_names[k];
}

/* out[k] = the formatted value (and note); a value that cannot be
 * allocated is left out, as if msmtp had not set it. */
static void
put(struct ovalue *out, enum okey k, const char *note, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
put(struct ovalue *out, enum okey k, const char *note, const char *fmt, ...)
{
	va_list ap;

	free(out[k].value);
	va_start(ap, fmt);
	if (vasprintf(&out[k].value, fmt, ap) < 0)
		out[k].value = NULL;
	va_end(ap);
	out[k].note = note;
}

static bool
given(const char *v)
{
	return v != NULL && *v != '\0';
}

/* A value used as it is, when given. */
static void
copy(struct ovalue *out, enum okey k, const char *v)
{
	if (given(v))
		put(out, k, NULL, "%s", v);
}

/* A file name: msmtp replaces a leading ~ with $HOME; mailout does
 * not, so the name is written out whole. */
static void
path(struct ovalue *out, enum okey k, const char *v, const char *home)
{
	if (given(v) && v[0] == '~' && (v[1] == '/' || v[1] == '\0') &&
	    home != NULL)
		put(out, k, NULL, "%s%s", home, v + 1);
	else
		copy(out, k, v);
}

static void
convert_tls(char *const eff[MK_COUNT], const char *home,
    struct ovalue *out)
{
	const char *trust = eff[MK_TLS_TRUST_FILE];
	const char *print = eff[MK_TLS_FINGERPRINT];

	if (is(eff[MK_TLS], "on"))
		put(out, OK_TLS, NULL, "%s", is(eff[MK_TLS_STARTTLS], "off") ?
		    "implicit" : "starttls");
	else if (is(eff[MK_TLS], "off"))
		put(out, OK_TLS, NULL, "off");
	if (!is(trust, "system"))
		path(out, OK_TLS_TRUST_FILE, trust, home);
	if (given(print) && strlen(print) == 95)	/* SHA-256, with colons */
		put(out, OK_TLS_FINGERPRINT, NULL, "sha256:%s", print);
	path(out, OK_TLS_CERT_FILE, eff[MK_TLS_CERT_FILE], home);
	path(out, OK_TLS_KEY_FILE, eff[MK_TLS_KEY_FILE], home);
	copy(out, OK_TLS_PRIORITIES, eff[MK_TLS_PRIORITIES]);
}

/* msmtp authenticates only when told auth; mailout as soon as there is
 * a user. A password alone (no passwordeval, no password) came from a
 * key ring, ~/.netrc or the terminal, which mailout does not ask. */
static void
convert_auth(char *const eff[MK_COUNT], struct ovalue *out)
{
	const char *auth = eff[MK_AUTH];

	copy(out, OK_USER, eff[MK_USER]);
	if (given(eff[MK_PASSWORD]))
		put(out, OK_PASSWORD, "keep this file private (chmod 600), or "
		    "mailout refuses the password in it", "%s",
		    eff[MK_PASSWORD]);
	else if (given(eff[MK_PASSWORDEVAL]))
		put(out, OK_PASSWORD_COMMAND, NULL, "%s", eff[MK_PASSWORDEVAL]);
	if (auth == NULL && given(eff[MK_USER]))
		put(out, OK_AUTH, "msmtp authenticates only when told auth on",
		    "off");
	else if (is(auth, "on") || is(auth, "off"))
		put(out, OK_AUTH, NULL, "%s", auth);
	else if (given(auth) && sasl_lookup(auth) >= 0)
		put(out, OK_AUTH, NULL, "%s", sasl_name(sasl_lookup(auth)));
	else if (given(auth))
		put(out, OK_AUTH, "mailout has no such mechanism: on picks the "
		    "strongest the server offers", "on");
	if (given(auth) && !is(auth, "off") && given(eff[MK_USER]) &&
	    !given(eff[MK_PASSWORD]) && !given(eff[MK_PASSWORDEVAL]) &&
	    out[OK_AUTH].note == NULL)
		out[OK_AUTH].note = "msmtp found the password in a key ring, "
		    "~/.netrc or the terminal: give mailout a password_command "
		    "(such as secret-tool lookup host HOST service smtp user "
		    "USER)";
}

/* from "%U@domain" (or auto_from with maildomain) is what mailout does
 * by default with domain set: the login name at that domain. */
static void
convert_substituted_from(const char *from, const char *mailname,
    struct ovalue *out)
{
	static const char note[] = "mailout's default sender is "
	    "user@domain (and it appends @domain to recipients without one)";
	const char *rest = strncmp(from, "%U@", 3) == 0 ? from + 3 : NULL;

	if (rest != NULL && strchr(rest, '%') == NULL)
		put(out, OK_DOMAIN, note, "%s", rest);
	else if (is(rest, "%M") && mailname != NULL)
		put(out, OK_DOMAIN, note, "%s", mailname);
	/* "%U@%H" is mailout's default sender; the rest, line_note */
}

/* A plain address: the sender (unless auto_from replaces it), and what
 * -f is matched against to choose the account, user+detail@domain
 * matching user@domain as in msmtp. */
static void
convert_address_from(const char *from, bool auto_from, struct ovalue *out)
{
	const char *at = strrchr(from, '@');

	if (!auto_from)
		put(out, OK_FROM, NULL, "%s", from);
	if (at != NULL && memchr(from, '+', (size_t)(at - from)) == NULL)
		put(out, OK_MATCH_FROM, NULL, "%s, %.*s+*%s", from,
		    (int)(at - from), from, at);
	else
		put(out, OK_MATCH_FROM, NULL, "%s", from);
}

/* msmtp's from: the sender, a pattern, or a substitution. */
static void
convert_from(char *const eff[MK_COUNT], const char *mailname,
    struct ovalue *out)
{
	const char *from = eff[MK_FROM];
	bool auto_from = is(eff[MK_AUTO_FROM], "on");

	/* msmtp's auto_from replaces from with user@maildomain */
	if (auto_from && given(eff[MK_MAILDOMAIN]))
		put(out, OK_DOMAIN, "auto_from: mailout's default sender is "
		    "user@domain", "%s", eff[MK_MAILDOMAIN]);
	if (!given(from))
		return;
	if (strpbrk(from, "*?[") != NULL)
		put(out, OK_MATCH_FROM, "msmtp's from is a pattern here: it "
		    "chooses this profile, the sender is -f's", "%s", from);
	else if (strchr(from, '%') != NULL)
		convert_substituted_from(from, mailname, out);
	else
		convert_address_from(from, auto_from, out);
}

/* msmtp's proxy is SOCKS5, as mailout's; both default to port 1080. */
static void
convert_proxy(const char *host, const char *port, struct ovalue *out)
{
	if (!given(host))
		return;
	put(out, OK_PROXY, NULL, strchr(host, ':') != NULL ? "socks5://[%s]%s%s" :
	    "socks5://%s%s%s", host, given(port) ? ":" : "",
	    given(port) ? port : "");
}

/* msmtp's domain is the EHLO name; mailout's domain is something else. */
static void
convert_helo(const char *domain, const char *mailname, struct ovalue *out)
{
	static const char note[] = "msmtp's domain is the EHLO name: helo "
	    "here (mailout's domain is the mail domain of bare addresses)";

	if (!given(domain) || is(domain, "%H"))
		return;		/* mailout's default: the host name */
	if (is(domain, "%M") && mailname != NULL)
		put(out, OK_HELO, note, "%s", mailname);
	else if (strchr(domain, '%') == NULL)
		put(out, OK_HELO, note, "%s", domain);
}

static void
convert_message(char *const eff[MK_COUNT], struct ovalue *out)
{
	int off = is(eff[MK_SET_FROM_HEADER], "off") +
	    is(eff[MK_SET_DATE_HEADER], "off") +
	    is(eff[MK_SET_MSGID_HEADER], "off");

	if (off == 3)
		put(out, OK_ADD_MISSING_HEADERS, NULL, "off");
	else if (off > 0)
		out[OK_ADD_MISSING_HEADERS].note = "msmtp adds only some of "
		    "Date, Message-ID and From here; mailout adds the three "
		    "together, or none";
	if (is(eff[MK_REMOVE_BCC_HEADERS], "off"))
		put(out, OK_REMOVE_BCC, NULL, "off");
	if (given(eff[MK_DSN_NOTIFY]) && !is(eff[MK_DSN_NOTIFY], "off"))
		put(out, OK_DSN_NOTIFY, NULL, "%s", eff[MK_DSN_NOTIFY]);
	if (is(eff[MK_DSN_RETURN], "headers"))
		put(out, OK_DSN_RETURN, NULL, "hdrs");
	else if (is(eff[MK_DSN_RETURN], "full"))
		put(out, OK_DSN_RETURN, NULL, "full");
}

/* One log: the file, else syslog (LOG_USER by default, as in msmtp). */
static void
convert_log(char *const eff[MK_COUNT], const char *home,
    struct ovalue *out)
{
	const char *file = eff[MK_LOGFILE], *facility = eff[MK_SYSLOG];
	bool syslog = given(facility) && !is(facility, "off");

	if (given(file) && !is(file, "-")) {
		path(out, OK_LOG, file, home);
		if (syslog)
			out[OK_LOG].note = "msmtp also logged to syslog; "
			    "mailout logs to one place: the file";
		return;
	}
	if (!syslog)
		return;
	put(out, OK_LOG, NULL, "syslog");
	if (is(facility, "on") || is(facility, "LOG_USER"))
		put(out, OK_SYSLOG_FACILITY, NULL, "user");
	else if (strncmp(facility, "LOG_LOCAL", 9) == 0)
		put(out, OK_SYSLOG_FACILITY, NULL, "local%s", facility + 9);
	else if (is(facility, "LOG_MAIL"))
		put(out, OK_SYSLOG_FACILITY, NULL, "mail");
}

void
msmtp_convert(char *const eff[MK_COUNT], const char *home,
    const char *mailname, struct ovalue out[OK_COUNT])
{
	memset(out, 0, OK_COUNT * sizeof(*out));
	copy(out, OK_HOST, eff[MK_HOST]);
	copy(out, OK_PORT, eff[MK_PORT]);
	copy(out, OK_SOCKET, eff[MK_SOCKET]);
	copy(out, OK_PROTOCOL, eff[MK_PROTOCOL]);
	copy(out, OK_SOURCE_ADDRESS, eff[MK_SOURCE_IP]);
	convert_proxy(eff[MK_PROXY_HOST], eff[MK_PROXY_PORT], out);
	copy(out, OK_TIMEOUT, eff[MK_TIMEOUT]);
	path(out, OK_ALIASES, eff[MK_ALIASES], home);
	if (out[OK_ALIASES].value != NULL)
		out[OK_ALIASES].note = "the same format as msmtp's, but an "
		    "entry named default is only the name default: mailout "
		    "has no catch-all";
	convert_tls(eff, home, out);
	convert_auth(eff, out);
	convert_from(eff, mailname, out);
	convert_helo(eff[MK_DOMAIN], mailname, out);
	convert_message(eff, out);
	convert_log(eff, home, out);
}

void
msmtp_ovalues_free(struct ovalue out[OK_COUNT])
{
	size_t i;

	for (i = 0; i < OK_COUNT; i++) {
		if (out[i].value != NULL)
			explicit_bzero(out[i].value, strlen(out[i].value));
		free(out[i].value);
		out[i].value = NULL;
	}
}
