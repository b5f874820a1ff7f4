/* cli.c — the command line: sendmail flags and long options. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "sasl.h"
#include "tls.h"

enum {
	OPT_FILE = 256, OPT_HOST, OPT_PORT, OPT_SOCKET, OPT_PROTOCOL, OPT_HELO,
	OPT_TIMEOUT, OPT_SOURCE, OPT_FROM, OPT_DEBUG, OPT_NO_QUEUE, OPT_REPORT,
	OPT_HELP, OPT_VERSION, OPT_TLS, OPT_TLS_TRUST, OPT_TLS_PIN, OPT_TLS_CERT,
	OPT_TLS_KEY, OPT_TLS_PRIORITIES, OPT_SERVERINFO, OPT_AUTH, OPT_USER,
	OPT_PASSWORD_COMMAND, OPT_LATER,
};

/* Options that parse today and belong to a later part of mailout: they
 * fail with "not yet supported" rather than being silently ignored. */
static const struct option long_options[] = {
	{ "file", required_argument, NULL, OPT_FILE },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "protocol", required_argument, NULL, OPT_PROTOCOL },
	{ "helo", required_argument, NULL, OPT_HELO },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "source-address", required_argument, NULL, OPT_SOURCE },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "debug", optional_argument, NULL, OPT_DEBUG },
	{ "no-queue", no_argument, NULL, OPT_NO_QUEUE },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "profile", required_argument, NULL, OPT_LATER },
	{ "config", required_argument, NULL, OPT_LATER },
	{ "tls", required_argument, NULL, OPT_TLS },
	{ "tls-trust-file", required_argument, NULL, OPT_TLS_TRUST },
	{ "tls-fingerprint", required_argument, NULL, OPT_TLS_PIN },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "tls-priorities", required_argument, NULL, OPT_TLS_PRIORITIES },
	{ "serverinfo", no_argument, NULL, OPT_SERVERINFO },
	{ "auth", required_argument, NULL, OPT_AUTH },
	{ "user", required_argument, NULL, OPT_USER },
	{ "password-command", required_argument, NULL, OPT_PASSWORD_COMMAND },
	{ "dry-run", no_argument, NULL, OPT_LATER },
	{ "flush", no_argument, NULL, OPT_LATER },
	{ NULL, 0, NULL, 0 },
};

static const char short_options[] = "a:A:B:b:C:F:f:Gh:iL:N:nO:o:q::R:r:tUvV:X:";

void
cli_usage(const char *progname)
{
	printf("Usage: %s [OPTION]... [--] [RECIPIENT]...\n"
	    "Submit the message on standard input over SMTP or LMTP.\n"
	    "\n"
	    "  -f, -r ADDR          envelope sender (-f '<>' for the null sender)\n"
	    "      --from ADDR      the same\n"
	    "  -i, -oi              a line with a single '.' does not end input\n"
	    "  -v                   show the SMTP dialogue on stderr\n"
	    "      --debug[=1|2]    the same; 2 adds timestamps\n"
	    "      --file PATH      read the message from PATH\n"
	    "      --host HOST      server (default localhost)\n"
	    "      --port PORT      port (default 25; 24 for LMTP)\n"
	    "      --socket PATH    connect to a unix socket instead\n"
	    "      --protocol smtp|lmtp\n"
	    "      --helo NAME      name sent with EHLO/HELO/LHLO\n"
	    "      --timeout SEC    limit for each connect, read and write (60)\n"
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
	    "      --no-queue       report temporary failures (exit 75)\n"
	    "      --report text    report format\n"
	    "      --help, --version\n"
	    "\n"
	    "sendmail flags -oem -oee -oep -oeq -oew -om -oX -O -Am -Ac -G -U -L\n"
	    "-h -n -X -odi -odb -bm are accepted. See mailout(1).\n", progname);
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

/* Remember the first option that a later part of mailout implements. */
static void
later(struct options *o, const char *name)
{
	if (o->not_yet == NULL)
		o->not_yet = name;
}

/* -o: sendmail's option letters; only -oi and -od change anything. */
static int
parse_o(struct options *o, const char *arg, struct err *e)
{
	if (strcmp(arg, "i") == 0) {
		o->dot_ends = false;
	} else if (arg[0] == 'd') {
		if (strcmp(arg, "dq") == 0)
			later(o, "-odq");
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
		later(o, arg[0] == 'v' ? "-bv" : "-bp");
		return 0;
	}
	return err_set(e, EX_USAGE, "mode -b%s is not supported: mailout "
	    "only submits mail (it is not a mail server)", arg);
}

static int
parse_long(struct options *o, int opt, const char *name, const char *arg,
    struct err *e)
{
	long n;

	switch (opt) {
	case OPT_FILE: o->file = arg; break;
	case OPT_HOST: o->host = arg; break;
	case OPT_SOCKET: o->socket = arg; break;
	case OPT_HELO: o->helo = arg; break;
	case OPT_SOURCE: o->source_address = arg; break;
	case OPT_FROM: o->sender = arg; break;
	case OPT_NO_QUEUE: break;	/* nothing is queued yet: the default */
	case OPT_HELP: o->action = ACTION_HELP; break;
	case OPT_VERSION: o->action = ACTION_VERSION; break;
	case OPT_SERVERINFO: o->action = ACTION_SERVERINFO; break;
	case OPT_TLS_TRUST: o->tls_trust_file = arg; break;
	case OPT_TLS_CERT: o->tls_cert = arg; break;
	case OPT_TLS_KEY: o->tls_key = arg; break;
	case OPT_TLS_PRIORITIES: o->tls_priorities = arg; break;
	case OPT_USER: o->user = arg; break;
	case OPT_PASSWORD_COMMAND: o->password_command = arg; break;
	case OPT_AUTH:
		if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0 &&
		    sasl_lookup(arg) < 0)
			return err_set(e, EX_USAGE, "--auth: expected on, off "
			    "or a mechanism (SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 "
			    "PLAIN LOGIN XOAUTH2 OAUTHBEARER EXTERNAL), got %s",
			    arg);
		o->auth = arg;
		break;
	case OPT_TLS:
		if (strcmp(arg, "off") != 0 && strcmp(arg, "starttls") != 0 &&
		    strcmp(arg, "implicit") != 0 && strcmp(arg, "auto") != 0)
			return err_set(e, EX_USAGE, "--tls: expected off, "
			    "starttls, implicit or auto, got %s", arg);
		o->tls = arg;
		break;
	case OPT_TLS_PIN:
		if (!tls_fingerprint_valid(arg))
			return err_set(e, EX_USAGE, "--tls-fingerprint: expected "
			    "sha256: and 64 hex digits, got %s", arg);
		o->tls_fingerprint = arg;
		break;
	case OPT_PORT:
		if (parse_number(arg, 1, 65535, &n) < 0)
			return err_set(e, EX_USAGE, "--port: not a port "
			    "number: %s", arg);
		o->port = arg;
		break;
	case OPT_TIMEOUT:
		if (parse_number(arg, 1, 86400, &n) < 0)
			return err_set(e, EX_USAGE, "--timeout: expected "
			    "seconds from 1 to 86400, got %s", arg);
		o->timeout = (int)n;
		break;
	case OPT_PROTOCOL:
		if (strcmp(arg, "smtp") != 0 && strcmp(arg, "lmtp") != 0)
			return err_set(e, EX_USAGE, "--protocol: expected "
			    "smtp or lmtp, got %s", arg);
		o->lmtp = arg[0] == 'l';
		break;
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
			later(o, "--report json");
		else if (strcmp(arg, "text") != 0)
			return err_set(e, EX_USAGE, "--report: expected text "
			    "or json, got %s", arg);
		break;
	default:
		later(o, name);
		break;
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
	case 'q': later(o, "-q"); break;
	case 'F':
		if (strpbrk(arg, "\r\n") != NULL)	/* it goes into From: */
			return err_set(e, EX_DATAERR, "-F: the name must be "
			    "one line");
		o->full_name = arg;
		break;
	case 'N': later(o, "-N"); break;
	case 'R': later(o, "-R"); break;
	case 'V': later(o, "-V"); break;
	case 'B':
		if (strcasecmp(arg, "7BIT") != 0 &&
		    strcasecmp(arg, "8BITMIME") != 0)
			return err_set(e, EX_USAGE, "-B: expected 7BIT or "
			    "8BITMIME, got %s", arg);
		o->body = arg;
		break;
	case 'C': later(o, "-C"); break;
	case 'a': later(o, "-a"); break;
	default:
		return err_set(e, EX_USAGE, "unknown option -%c", opt);
	}
	return 0;
}

int
cli_parse(int argc, char **argv, const char *progname, struct options *o,
    struct err *e)
{
	int opt, index;

	memset(o, 0, sizeof(*o));
	o->dot_ends = true;
	o->timeout = 60;
	if (strcmp(progname, "mailq") == 0)
		o->not_yet = "-bp (mailq)";
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, short_options, long_options,
	    &index)) != -1) {
		const char *name = opt >= 256 ? long_options[index].name : NULL;
		int rc;

		if (opt == '?' && optopt > 0 && optopt < 256)
			return err_set(e, EX_USAGE, "unknown option or missing "
			    "value: -%c", optopt);
		if (opt == '?')
			return err_set(e, EX_USAGE, "unknown option or missing "
			    "value: %s", argv[optind - 1]);
		rc = opt >= 256 ? parse_long(o, opt, name, optarg, e) :
		    parse_short(o, opt, optarg, e);
		if (rc < 0)
			return -1;
	}
	o->recipients = argv + optind;
	o->nrecipients = argc - optind;
	return 0;
}
