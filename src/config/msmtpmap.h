/*
 * msmtpmap.h — msmtp's configuration commands (msmtp(1), "Commands")
 * and what each becomes in mailout.conf(5), for msmtprc.c. Commands
 * that are other spellings of one setting (keepbcc, connect_timeout,
 * add_missing_from_header, tls_nostarttls ...) are folded into it as
 * they are read, so the conversion sees each setting once.
 */
#ifndef MAILOUT_MSMTPMAP_H
#define MAILOUT_MSMTPMAP_H

/* msmtp's settings, one per key whatever its spelling. */
enum mkey {
	MK_HOST, MK_PORT, MK_SOCKET, MK_PROTOCOL, MK_TIMEOUT, MK_SOURCE_IP,
	MK_PROXY_HOST, MK_PROXY_PORT, MK_DOMAIN, MK_AUTH, MK_USER,
	MK_PASSWORD, MK_PASSWORDEVAL, MK_NTLMDOMAIN, MK_TLS, MK_TLS_STARTTLS,
	MK_TLS_TRUST_FILE, MK_TLS_CRL_FILE, MK_TLS_FINGERPRINT,
	MK_TLS_KEY_FILE, MK_TLS_CERT_FILE, MK_TLS_CERTCHECK,
	MK_TLS_MIN_DH_PRIME_BITS, MK_TLS_PRIORITIES, MK_TLS_HOST_OVERRIDE,
	MK_FROM, MK_FROM_FULL_NAME, MK_ALLOW_FROM_OVERRIDE, MK_DSN_NOTIFY,
	MK_DSN_RETURN, MK_SET_FROM_HEADER, MK_SET_DATE_HEADER,
	MK_SET_MSGID_HEADER, MK_SET_TO_HEADER, MK_REMOVE_BCC_HEADERS,
	MK_LOGFILE, MK_LOGFILE_TIME_FORMAT, MK_SYSLOG, MK_ALIASES,
	MK_AUTO_FROM, MK_MAILDOMAIN,
	MK_COUNT,
	MK_NONE = MK_COUNT	/* eval, tls_force_sslv3: set nothing */
};

/* One line "command argument" as a setting. */
struct mline {
	enum mkey key;
	const char *value;	/* the argument, or what it stands for */
	const char *note;	/* why mailout has nothing like it, or NULL */
};

/* Read one command. Returns -1 for a command msmtp does not know. */
int msmtp_command(const char *cmd, const char *arg, struct mline *ml);

/* The mailout keys the importer writes, in the order of
 * mailout.conf(5); OK_MATCH_FROM is a profile's only. */
enum okey {
	OK_MATCH_FROM, OK_HOST, OK_PORT, OK_SOCKET, OK_PROTOCOL, OK_TLS,
	OK_TLS_TRUST_FILE, OK_TLS_FINGERPRINT, OK_TLS_CERT_FILE,
	OK_TLS_KEY_FILE, OK_TLS_PRIORITIES, OK_AUTH, OK_USER, OK_PASSWORD,
	OK_PASSWORD_COMMAND, OK_FROM, OK_HELO, OK_SOURCE_ADDRESS, OK_PROXY,
	OK_TIMEOUT,
	OK_ALIASES, OK_DOMAIN, OK_ADD_MISSING_HEADERS, OK_REMOVE_BCC,
	OK_DSN_NOTIFY, OK_DSN_RETURN, OK_LOG, OK_SYSLOG_FACILITY,
	OK_COUNT
};

/* A mailout setting: its value (malloc'ed; NULL: the built-in default)
 * and what to say about it where it is written. */
struct ovalue {
	char *value;
	const char *note;
};

const char *msmtp_okey_name(enum okey k);

/*
 * The mailout settings that do what msmtp does with the settings eff
 * (NULL where msmtp's default applies). home expands a leading "~/" in
 * file names, as msmtp does; mailname is /etc/mailname's line for %M,
 * or NULL.
 */
void msmtp_convert(char *const eff[MK_COUNT], const char *home,
    const char *mailname, struct ovalue out[OK_COUNT]);

void msmtp_ovalues_free(struct ovalue out[OK_COUNT]);

#endif
