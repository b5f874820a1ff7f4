/*
 * msmtprc.h — mailout --import-msmtprc: an msmtp configuration file read
 * with msmtp's own rules (msmtp(1): defaults that apply to the accounts
 * after them, "account name : base, ...", commands and their older
 * spellings) and written out as the mailout.conf(5) that does the same:
 * a [defaults] section, a profile per account with inherit, match_from
 * for msmtp's choice of an account by -f, default_profile for
 * "account default : name". What mailout cannot do is a comment that
 * says so, next to where it was written; what mailout does differently
 * is a comment too.
 *
 * Error codes: EX_NOINPUT (no file, or unreadable), EX_CONFIG (a file
 * msmtp refuses: "FILE:LINE: message"), EX_OSERR (out of memory).
 */
#ifndef MAILOUT_MSMTPRC_H
#define MAILOUT_MSMTPRC_H

#include <stdio.h>

#include "lib/err.h"

/*
 * Convert path, or when it is NULL the first of ~/.msmtprc,
 * $XDG_CONFIG_HOME/msmtp/config (~/.config/msmtp/config) and
 * /etc/msmtprc that exists, as msmtp looks for them; print the result
 * on out.
 */
int msmtprc_import(const char *path, FILE *out, struct err *e);

#endif
