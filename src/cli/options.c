/* options.c — the command line: sendmail flags and long options. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/options.h"
#include "config/settings.h"
#include "lib/suggest.h"
#include "lib/util.h"

enum {
	OPT_FILE = 256, OPT_FROM, OPT_DEBUG, OPT_REPORT, OPT_HELP, OPT_VERSION,
	OPT_SERVERINFO, OPT_CONFIG, OPT_PROFILE, OPT_DRY_RUN, OPT_SETTING,
	OPT_FLUSH, OPT_VRFY, OPT_QUEUE_OP, OPT_HEALTH, OPT_FORMAT,
	OPT_OAUTH_LOGIN, OPT_IMPORT,
};

/* OPT_SETTING: the option sets a key of mailout.conf(5); see
 * setting_options[]. */
static const struct option long_options[] = {
	{ "file", required_argument, NULL, OPT_FILE },
	{ "host", required_argument, NULL, OPT_SETTING },
	{ "port", required_argument, NULL, OPT_SETTING },
	{ "socket", required_argument, NULL, OPT_SETTING },
	{ "protocol", required_argument, NULL, OPT_SETTING },
	{ "helo", required_argument, NULL, OPT_SETTING },
	{ "timeout", required_argument, NULL, OPT_SETTING },
	{ "source-address", required_argument, NULL, OPT_SETTING },
	{ "proxy", required_argument, NULL, OPT_SETTING },
	{ "proxy-password-command", required_argument, NULL, OPT_SETTING },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "debug", optional_argument, NULL, OPT_DEBUG },
	{ "no-queue", no_argument, NULL, OPT_SETTING },
	{ "queue-dir", required_argument, NULL, OPT_SETTING },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "tls", required_argument, NULL, OPT_SETTING },
	{ "tls-trust-file", required_argument, NULL, OPT_SETTING },
	{ "tls-fingerprint", required_argument, NULL, OPT_SETTING },
	{ "tls-cert", required_argument, NULL, OPT_SETTING },
	{ "tls-key", required_argument, NULL, OPT_SETTING },
	{ "tls-priorities", required_argument, NULL, OPT_SETTING },
	{ "serverinfo", no_argument, NULL, OPT_SERVERINFO },
	{ "auth", required_argument, NULL, OPT_SETTING },
	{ "user", required_argument, NULL, OPT_SETTING },
	{ "password-command", required_argument, NULL, OPT_SETTING },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "flush", optional_argument, NULL, OPT_FLUSH },
	{ "vrfy", no_argument, NULL, OPT_VRFY },
	{ "listen", required_argument, NULL, OPT_SETTING },
	{ "remove", no_argument, NULL, OPT_QUEUE_OP },
	{ "bounce", no_argument, NULL, OPT_QUEUE_OP },
	{ "hold", no_argument, NULL, OPT_QUEUE_OP },
	{ "release", no_argument, NULL, OPT_QUEUE_OP },
	{ "send", no_argument, NULL, OPT_QUEUE_OP },
	{ "health", no_argument, NULL, OPT_HEALTH },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "oauth-login", required_argument, NULL, OPT_OAUTH_LOGIN },
	{ "import-msmtprc", no_argument, NULL, OPT_IMPORT },
	{ NULL, 0, NULL, 0 },
};

/* The key each OPT_SETTING option sets, and the value of those that take
 * none. The command line beats the configuration files (main.c). */
static const struct {
	const char *option, *key, *value;
} setting_options[] = {
	{ "host", "host", NULL },
	{ "port", "port", NULL },
	{ "socket", "socket", NULL },
	{ "protocol", "protocol", NULL },
	{ "helo", "helo", NULL },
	{ "timeout", "timeout", NULL },
	{ "source-address", "source_address", NULL },
	{ "proxy", "proxy", NULL },
	{ "proxy-password-command", "proxy_password_command", NULL },
	{ "no-queue", "queue", "off" },
	{ "queue-dir", "queue_dir", NULL },
	{ "tls", "tls", NULL },
	{ "tls-trust-file", "tls_trust_file", NULL },
	{ "tls-fingerprint", "tls_fingerprint", NULL },
	{ "tls-cert", "tls_cert_file", NULL },
	{ "tls-key", "tls_key_file", NULL },
	{ "tls-priorities", "tls_priorities", NULL },
	{ "auth", "auth", NULL },
	{ "user", "user", NULL },
	{ "password-command", "password_command", NULL },
	{ "N", "dsn_notify", NULL },	/* sendmail's -N and -R */
	{ "R", "dsn_return", NULL },
	{ "listen", "listen", NULL },	/* mailout serve's */
};

_Static_assert(nitems(setting_options) <= CLI_SETTINGS_MAX,
    "struct options cannot hold every setting option");

/* The leading ':' makes getopt tell a missing value (':') from an
 * unknown option ('?'). */
static const char short_options[] =
    ":a:A:B:b:C:F:f:Gh:iL:N:nO:o:q::R:r:tUvV:X:";

/* The options of a send: the message, the envelope, the server. */
static void
usage_send(const char *progname)
{
	printf("Usage: %s [OPTION]... [--] [RECIPIENT]...\n"
	    "Submit the message on standard input over SMTP or LMTP.\n"
	    "\n"
	    "  -f, -r ADDR          envelope sender (-f '<>' for the null sender)\n"
	    "      --from ADDR      the same\n"
	    "  -t                   also send to the To, Cc and Bcc of the message\n"
	    "  -F NAME              full name for a From: field mailout adds\n"
	    "  -i, -oi              a line with a single '.' does not end input\n"
	    "  -B 7BIT|8BITMIME     the body type, declared as BODY=\n"
	    "  -N never|success,failure,delay  DSN notify (dsn_notify)\n"
	    "  -R full|hdrs         DSN return (dsn_return)\n"
	    "  -V ENVID             DSN envelope id\n"
	    "  -v                   show the SMTP dialogue on stderr\n"
	    "      --debug[=1|2]    the same; 2 adds timestamps\n"
	    "  -C, --config FILE    read only this configuration file\n"
	    "  -a, --profile NAME   use this profile of the configuration\n"
	    "      --dry-run        show the profile and settings that would be\n"
	    "                       used; connect to nothing\n"
	    "      --file PATH      read the message from PATH\n"
	    "      --host HOST[,HOST]...  server, or relays tried in turn; each\n"
	    "                       may be NAME:PORT or [ADDRESS]:PORT\n"
	    "                       (default localhost)\n"
	    "      --port PORT      port (default 25; 24 for LMTP, 465 for\n"
	    "                       --tls implicit)\n"
	    "      --socket PATH    connect to a unix socket instead of --host\n"
	    "      --protocol smtp|lmtp\n"
	    "      --helo NAME      name sent with EHLO/HELO/LHLO\n"
	    "      --timeout SEC|off  limit for each connect, read and write (60)\n"
	    "      --source-address ADDR  local address to connect from\n"
	    "      --proxy socks5://[USER@]HOST[:PORT]  reach the server through\n"
	    "                       this SOCKS5 proxy, which resolves its name\n"
	    "      --proxy-password-command CMD  the proxy USER's password\n"
	    "      --tls off|starttls|implicit|auto\n"
	    "                       auto: implicit on port 465, required STARTTLS\n"
	    "                       for every host that is not loopback\n"
	    "      --tls-trust-file FILE  CA certificates (default: system trust)\n"
	    "      --tls-fingerprint sha256:HEX  accept only this certificate\n"
	    "      --tls-cert FILE, --tls-key FILE  client certificate\n"
	    "      --tls-priorities STRING  GnuTLS priority string\n"
	    "      --auth on|off|MECH  SMTP AUTH; on picks the strongest offered\n"
	    "                       (default: on when --user is given)\n"
	    "      --user NAME      user name for AUTH\n"
	    "      --password-command CMD  run CMD; its first output line is\n"
	    "                       the password or OAuth token\n"
	    "      --serverinfo     show the server's greeting, capabilities, TLS\n"
	    "                       session and certificate; send nothing\n"
	    "      --oauth-login PROFILE  sign in to the OAuth provider of PROFILE\n"
	    "                       (device flow) and store its refresh token\n"
	    "      --no-queue       report temporary failures (exit 75) instead\n"
	    "                       of queueing the message\n"
	    "      --queue-dir DIR  the queue (default: ~/.local/state/mailout/\n"
	    "                       queue; for root the system spool)\n", progname);
}

/* The queue's options, the service, and what else is accepted. */
static void
usage_queue(const char *progname)
{
	printf("  -odq                 queue the message without trying to send it\n"
	    "  -q                   send everything in the queue now\n"
	    "      --flush[=all]    send what is due (all: everything, as -q)\n"
	    "  -bp                  list the queue (also as 'mailq'); with\n"
	    "                       --report json, as one JSON array\n"
	    "      --remove ID...   take messages out of the queue, no notice\n"
	    "      --bounce ID...   give them up: the sender gets a notice\n"
	    "      --hold ID...     keep them out of every flush\n"
	    "      --release ID...  end a hold: due now\n"
	    "      --send ID...     try them now, whatever the backoff\n"
	    "      --health [--format nagios|prometheus]  the queue's health\n"
	    "                       as a monitoring plugin (exit 0-3)\n"
	    "  -bi                  do nothing (also as 'newaliases'): the\n"
	    "                       aliases file needs no database\n"
	    "  -bv                  verify the recipients: MAIL and RCPT, then\n"
	    "                       RSET; with --vrfy, VRFY instead\n"
	    "      --report text|json  every recipient's fate on stderr, or one\n"
	    "                       JSON object on stdout\n"
	    "      --import-msmtprc [FILE]  print the mailout.conf that does what\n"
	    "                       msmtp's FILE does (default ~/.msmtprc, then\n"
	    "                       ~/.config/msmtp/config, /etc/msmtprc)\n"
	    "      --help, --version\n"
	    "\n"
	    "Without a configuration of its own, and when the mailout service\n"
	    "runs, the message is handed to the service ($MAILOUT_SERVICE).\n"
	    "  %s serve [-C FILE] [--queue-dir DIR] [--socket PATH]\n"
	    "        [--listen ADDR:PORT]  run the service (as its own user)\n"
	    "\n"
	    "sendmail flags -oem -oee -oep -oeq -oew -om -oX -O -Am -Ac -G -U -L\n"
	    "-h -n -X -odi -odb -bm are accepted. Options given here override the\n"
	    "configuration file; see mailout(1) and mailout.conf(5).\n", progname);
}

bool
cli_prometheus(const struct options *o)
{
	return o->format != NULL && strcmp(o->format, "prometheus") == 0;
}

void
cli_usage(const char *progname)
{
	usage_send(progname);
	usage_queue(progname);
}

static int
parse_number(const char *arg, long min, long max, long *out)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* -o: sendmail's option letters; only -oi and -od change anything. */
static int
parse_o(struct options *o, const char *arg, struct err *e)
{
	if (strcmp(arg, "i") == 0) {
		o->dot_ends = false;
	} else if (arg[0] == 'd') {
		if (strcmp(arg, "dq") == 0)
			o->queue_only = true;
		else if (strcmp(arg, "di") != 0 && strcmp(arg, "db") != 0)
			return err_set(e, EX_USAGE, "unsupported delivery "
			    "mode -o%s", arg);
	}
	return 0;
}

/* -b: the mode. Delivering (-bm), verifying, listing the queue, and
 * -bi, which has no aliases database to rebuild; MTA modes are refused. */
static int
parse_b(struct options *o, const char *arg, struct err *e)
{
	if (strcmp(arg, "m") == 0)
		return 0;
	if (strcmp(arg, "v") == 0 || strcmp(arg, "p") == 0 ||
	    strcmp(arg, "i") == 0) {
		o->action = arg[0] == 'v' ? ACTION_VERIFY : arg[0] == 'p' ?
		    ACTION_LIST : ACTION_NEWALIASES;
		return 0;
	}
	return err_set(e, EX_USAGE, "mode -b%s is not supported: mailout "
	    "only submits mail (it is not a mail server)", arg);
}

/* An option that sets a configuration key: checked now by the key's
 * parser, kept in command-line order for main.c to apply over the
 * configuration files. Given again, it moves to its new place. */
static int
add_setting(struct options *o, const char *option, const char *arg,
    struct err *e)
{
	struct settings scratch;
	struct setting_override *set = o->settings;
	size_t i;
	int j;

	for (i = 0; i < nitems(setting_options) &&
	    strcmp(setting_options[i].option, option) != 0; i++)
		;
	if (i == nitems(setting_options))	/* the two tables disagree */
		return err_set(e, EX_SOFTWARE, "--%s: no key", option);
	if (setting_options[i].value != NULL)
		arg = setting_options[i].value;
	settings_defaults(&scratch);
	if (settings_set(&scratch, setting_options[i].key, arg, e) < 0) {
		err_prefix(e, "%s%s", option[1] ? "--" : "-", option);
		e->code = EX_USAGE;
		return -1;
	}
	for (j = 0; j < o->nsettings; j++) {
		if (strcmp(set[j].key, setting_options[i].key) == 0) {
			memmove(&set[j], &set[j + 1],
			    (size_t)(o->nsettings - j - 1) * sizeof(*set));
			o->nsettings--;
			break;
		}
	}
	set[o->nsettings].key = setting_options[i].key;
	set[o->nsettings].value = arg;
	set[o->nsettings].option = setting_options[i].option;
	o->nsettings++;
	return 0;
}

/* --remove, --bounce, --hold, --release, --send: one of them. */
static int
set_queue_op(struct options *o, const char *name, struct err *e)
{
	enum queue_op op = queue_op_lookup(name);

	if (o->queue_op != QUEUE_OP_NONE && o->queue_op != op)
		return err_set(e, EX_USAGE, "--%s and --%s cannot be combined",
		    queue_op_name(o->queue_op), name);
	o->action = ACTION_QUEUE_OP;
	o->queue_op = op;
	return 0;
}

static int
parse_long(struct options *o, int opt, const char *name, const char *arg,
    struct err *e)
{
	long n;

	switch (opt) {
	case OPT_SETTING: return add_setting(o, name, arg, e);
	case OPT_FILE: o->file = arg; break;
	case OPT_FROM: o->sender = arg; break;
	case OPT_HELP: o->action = ACTION_HELP; break;
	case OPT_VERSION: o->action = ACTION_VERSION; break;
	case OPT_SERVERINFO: o->action = ACTION_SERVERINFO; break;
	case OPT_CONFIG: o->config = arg; break;
	case OPT_PROFILE: o->profile = arg; break;
	case OPT_DRY_RUN: o->dry_run = true; break;
	case OPT_DEBUG:
		if (arg == NULL)
			n = 1;
		else if (parse_number(arg, 1, 2, &n) < 0)
			return err_set(e, EX_USAGE, "--debug: expected 1 or "
			    "2, got %s", arg);
		o->verbose = (int)n;
		break;
	case OPT_REPORT:
		if (strcmp(arg, "json") == 0)
			o->report = REPORT_JSON;
		else if (strcmp(arg, "text") == 0)
			o->report = REPORT_TEXT;
		else
			return err_set(e, EX_USAGE, "--report: expected text "
			    "or json, got %s", arg);
		break;
	case OPT_FLUSH:
		if (arg != NULL && strcmp(arg, "all") != 0)
			return err_set(e, EX_USAGE, "--flush: expected no value "
			    "or all, got %s", arg);
		o->action = ACTION_FLUSH;
		o->flush_due = arg == NULL;
		break;
	case OPT_VRFY: o->vrfy = true; break;
	case OPT_QUEUE_OP: return set_queue_op(o, name, e);
	case OPT_HEALTH: o->action = ACTION_HEALTH; break;
	case OPT_FORMAT:
		if (strcmp(arg, "prometheus") != 0 &&
		    strcmp(arg, "nagios") != 0)
			return err_set(e, EX_USAGE, "--format: expected nagios "
			    "or prometheus, got %s", arg);
		o->format = arg;
		break;
	case OPT_OAUTH_LOGIN:
		o->action = ACTION_OAUTH_LOGIN;
		o->profile = arg;
		break;
	case OPT_IMPORT: o->action = ACTION_IMPORT; break;
	default:
		return err_set(e, EX_SOFTWARE, "--%s: not handled", name);
	}
	return 0;
}

static int
parse_short(struct options *o, int opt, const char *arg, struct err *e)
{
	switch (opt) {
	case 'f':
	case 'r': o->sender = arg; break;
	case 'i': o->dot_ends = false; break;
	case 'v': o->verbose = o->verbose ? o->verbose : 1; break;
	case 'o': return parse_o(o, arg, e);
	case 'b': return parse_b(o, arg, e);
	/* accepted and ignored, as sendmail callers pass them */
	case 'A': case 'G': case 'h': case 'L': case 'n': case 'O': case 'U':
	case 'X':
		break;
	case 't': o->from_headers = true; break;
	case 'q': o->action = ACTION_FLUSH; break;	/* -qINTERVAL: now */
	case 'F':
		if (strpbrk(arg, "\r\n") != NULL)	/* it goes into From: */
			return err_set(e, EX_DATAERR, "-F: the name must be "
			    "one line");
		o->full_name = arg;
		break;
	case 'N': return add_setting(o, "N", arg, e);
	case 'R': return add_setting(o, "R", arg, e);
	case 'V':
		/* RFC 3461 4.4: at most 100 printable characters */
		if (strlen(arg) > 100 || strpbrk(arg, "\r\n") != NULL)
			return err_set(e, EX_USAGE, "-V: an envelope id is at "
			    "most 100 characters on one line");
		o->envid = arg;
		break;
	case 'B':
		if (strcasecmp(arg, "7BIT") != 0 &&
		    strcasecmp(arg, "8BITMIME") != 0)
			return err_set(e, EX_USAGE, "-B: expected 7BIT or "
			    "8BITMIME, got %s", arg);
		o->body = arg;
		break;
	case 'C': o->config = arg; break;
	case 'a': o->profile = arg; break;
	default:
		return err_set(e, EX_USAGE, "unknown option -%c", opt);
	}
	return 0;
}

/* What only makes sense with something else. */
static int
check_combination(const struct options *o, struct err *e)
{
	if (o->action == ACTION_QUEUE_OP && o->nrecipients == 0)
		return err_set(e, EX_USAGE, "--%s: give the queue IDs of the "
		    "messages (mailq lists them)", queue_op_name(o->queue_op));
	if (o->format != NULL && o->action != ACTION_HEALTH)
		return err_set(e, EX_USAGE, "--format goes with --health");
	if (o->action == ACTION_SERVE && o->nrecipients > 0)
		return err_set(e, EX_USAGE, "serve: unexpected argument %s",
		    o->recipients[0]);
	if (o->action == ACTION_IMPORT && o->nrecipients > 1)
		return err_set(e, EX_USAGE, "--import-msmtprc takes one file, "
		    "not %d", o->nrecipients);
	return 0;
}

/* The name in "--name" or "--name=value". */
static void
typed_name(const char *arg, char *name, size_t n)
{
	snprintf(name, n, "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
}

/* An abbreviation that begins more than one option is refused, naming
 * them. getopt_long takes the first of several that set a key, since
 * they share OPT_SETTING: "--so" would be --socket, not --source-address. */
static int
check_abbreviation(const char *name, struct err *e)
{
	char list[ERR_MSG_MAX / 2];
	size_t len = strlen(name), i, n = 0, used = 0;

	list[0] = '\0';
	for (i = 0; long_options[i].name != NULL; i++) {
		if (strcmp(long_options[i].name, name) == 0)
			return 0;	/* the whole name */
		if (len > 0 && strncmp(long_options[i].name, name, len) == 0 &&
		    used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) -
			    used, "%s--%s", n++ ? ", " : "",
			    long_options[i].name);
	}
	return n > 1 ? err_set(e, EX_USAGE, "option --%s is ambiguous: %s",
	    name, list) : 0;
}

/* "--name" that is no option: ambiguous, near a name, or unknown. */
static int
unknown_long(const char *arg, struct err *e)
{
	char name[SUGGEST_WORD_MAX + 1];
	struct suggestion s;
	size_t i;

	typed_name(arg, name, sizeof(name));
	if (check_abbreviation(name, e) < 0)
		return -1;
	suggest_init(&s, name);
	for (i = 0; long_options[i].name != NULL; i++)
		suggest_consider(&s, long_options[i].name);
	if (suggest_result(&s) != NULL)
		return err_set(e, EX_USAGE, "unknown option --%s; did you mean "
		    "--%s?", name, suggest_result(&s));
	return err_set(e, EX_USAGE, "unknown option --%s", name);
}

/* The argv element of the long option getopt_long just returned: the
 * one before its value when that came as the next element. */
static int
check_long_taken(char **argv, int index, struct err *e)
{
	const char *arg = argv[optind - 1];
	char name[SUGGEST_WORD_MAX + 1];

	if (long_options[index].has_arg == required_argument && optarg == arg)
		arg = argv[optind - 2];
	typed_name(arg, name, sizeof(name));
	return check_abbreviation(name, e);
}

/*
 * What getopt_long refused: opt is ':' for a missing value, '?' for the
 * rest; optopt is the letter of a short option, the value of a long one
 * given a value it does not take, and 0 for a name that is no option.
 */
static int
option_error(int opt, const char *arg, struct err *e)
{
	char shown[SUGGEST_WORD_MAX + 3];

	if (optopt > 0 && optopt < 256)
		snprintf(shown, sizeof(shown), "-%c", optopt);
	else
		snprintf(shown, sizeof(shown), "%.*s", (int)strcspn(arg, "="),
		    arg);
	if (opt == ':' && optopt >= 256 &&
	    check_abbreviation(shown + 2, e) < 0)
		return -1;
	if (opt == ':')
		return err_set(e, EX_USAGE, "option %s needs a value", shown);
	if (optopt >= 256)
		return err_set(e, EX_USAGE, "option %s takes no value", shown);
	if (optopt > 0)
		return err_set(e, EX_USAGE, "unknown option %s", shown);
	return unknown_long(arg, e);
}

int
cli_parse(int argc, char **argv, const char *progname, struct options *o,
    struct err *e)
{
	int opt, index;

	memset(o, 0, sizeof(*o));
	o->dot_ends = true;
	if (strcmp(progname, "mailq") == 0)
		o->action = ACTION_LIST;
	else if (strcmp(progname, "newaliases") == 0)
		o->action = ACTION_NEWALIASES;
	opterr = 0;
	optind = 1;
	/* "mailout serve [OPTION]...": a command, not a recipient (but
	 * "sendmail serve" mails the user serve) */
	if (argc > 1 && strcmp(argv[1], "serve") == 0 &&
	    strcmp(progname, "sendmail") != 0) {
		o->action = ACTION_SERVE;
		optind = 2;
	}
	while ((opt = getopt_long(argc, argv, short_options, long_options,
	    &index)) != -1) {
		const char *name = opt >= 256 ? long_options[index].name : NULL;
		int rc;

		if (opt == '?' || opt == ':')
			return option_error(opt, argv[optind - 1], e);
		if (opt >= 256 && check_long_taken(argv, index, e) < 0)
			return -1;
		rc = opt >= 256 ? parse_long(o, opt, name, optarg, e) :
		    parse_short(o, opt, optarg, e);
		if (rc < 0)
			return -1;
	}
	o->recipients = argv + optind;
	o->nrecipients = argc - optind;
	return check_combination(o, e);
}
