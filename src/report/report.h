/*
 * report.h — turning an outcome into what the user sees: one stderr line
 * per problem (and per recipient with --report text), or one JSON object
 * on stdout (--report json), and the sysexits status.
 */
#ifndef MAILOUT_REPORT_H
#define MAILOUT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "config/settings.h"
#include "smtp/outcome.h"

/* What a report or log line says about the message besides the outcome. */
struct message_info {
	const char *profile;	/* NULL: none */
	char host[300];		/* every relay (host:port, ...) or the
				 * socket path */
	const char *sender;
	const char *message_id;	/* NULL: none */
	long long size;		/* octets; -1: unknown */
};

void message_info_init(struct message_info *mi, const struct settings *st,
    const char *sender, const char *message_id, long long size);

/* The relay that answered, else every relay the settings name: the
 * report's and the log's "host". */
const char *report_host(const struct outcome *o,
    const struct message_info *mi);

/* "mailout: <bob@example.com>: refused at RCPT: 550 5.1.1 No such user";
 * with all, accepted recipients get a line too, and the relay one. A
 * queued message's line names send_now, the command that sends it now. */
void report_text(const struct outcome *o, bool all, const char *send_now);

/* SPEC §6's object, one line, on out. */
void report_json(const struct outcome *o, const struct message_info *mi,
    int exit_code, FILE *out);

/* Write s as a JSON string: quoted, escaped, invalid UTF-8 replaced. */
void json_string(FILE *out, const char *s);
/* The same, or null when s is NULL. */
void json_string_or_null(FILE *out, const char *s);

#endif
