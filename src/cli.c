/* cli.c — the command line: sendmail flags and long options. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "settings.h"
#include "suggest.h"

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

enum {
	OPT_FILE = 256, OPT_FROM, OPT_DEBUG, OPT_REPORT, OPT_HELP, OPT_VERSION,
	OPT_SERVERINFO, OPT_CONFIG, OPT_PROFILE, OPT_DRY_RUN, OPT_SETTING,
	OPT_FLUSH, OPT_VRFY, OPT_IMPORT,
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
};

_Static_assert(nitems(setting_options) <= CLI_SETTINGS_MAX,
    "struct options cannot hold every setting option");

/* The leading ':' makes getopt tell a missing value (':') from an
 * unknown option ('?'). */
static const char short_options[] =
    ":a:A:B:b:C:F:f:Gh:iL:N:nO:o:q::R:r:tUvV:X:";

void
cli_usage(const char *progname)
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
	    "      --host HOST      server (default localhost)\n"
	    "      --port PORT      port (default 25; 24 for LMTP, 465 for\n"
	    "                       --tls implicit)\n"
	    "      --socket PATH    connect to a unix socket instead of --host\n"
	    "      --protocol smtp|lmtp\n"
	    "      --helo NAME      name sent with EHLO/HELO/LHLO\n"
	    "      --timeout SEC|off  limit for each connect, read and write (60)\n"
	    "      --source-address ADDR  local address to connect from\n"
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
	    "      --no-queue       report temporary failures (exit 75) instead\n"
	    "                       of queueing the message\n"
	    "      --queue-dir DIR  the queue (default: ~/.local/state/mailout/\n"
	    "                       queue; for root the system spool)\n"
	    "  -odq                 queue the message without trying to send it\n"
	    "  -q, --flush[=all]    send what is due in the queue (all: ignore\n"
	    "                       the retry backoff)\n"
	    "  -bp                  list the queue (also as 'mailq')\n"
	    "  -bv                  verify the recipients: MAIL and RCPT, then\n"
	    "                       RSET; with --vrfy, VRFY instead\n"
	    "      --report text|json  every recipient's fate on stderr, or one\n"
	    "                       JSON object on stdout\n"
	    "      --import-msmtprc [FILE]  print the mailout.conf that does what\n"
	    "                       msmtp's FILE does (default ~/.msmtprc, then\n"
	    "                       /etc/msmtprc)\n"
	    "      --help, --version\n"
	    "\n"
	    "sendmail flags -oem -oee -oep -oeq -oew -om -oX -O -Am -Ac -G -U -L\n"
	    "-h -n -X -odi -odb -bm are accepted. Options given here override the\n"
	    "configuration file; see mailout(1) and mailout.conf(5).\n", progname);
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

/* -b: the mode. Only delivering (-bm) exists; MTA modes are refused. */
static int
parse_b(struct options *o, const char *arg, struct err *e)
{
	if (strcmp(arg, "m") == 0)
		return 0;
	if (strcmp(arg, "v") == 0 || strcmp(arg, "p") == 0) {
		o->action = arg[0] == 'v' ? ACTION_VERIFY : ACTION_LIST;
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
	struct cli_setting *set = o->settings;
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

const char *
cli_setting(const struct options *o, const char *key)
{
	int i;

	for (i = 0; i < o->nsettings; i++)
		if (strcmp(o->settings[i].key, key) == 0)
			return o->settings[i].value;
	return NULL;
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
		o->flush_all = arg != NULL;
		break;
	case OPT_VRFY: o->vrfy = true; break;
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
	opterr = 0;
	optind = 1;
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
	if (o->action == ACTION_IMPORT && o->nrecipients > 1)
		return err_set(e, EX_USAGE, "--import-msmtprc takes one file, "
		    "not %d", o->nrecipients);
	return 0;
}
