/*
 * sasl.h — SASL mechanisms for SMTP AUTH (RFC 4954) behind one
 * interface: choosing one from what the server offers, the initial
 * response, each challenge/response step, and the check on success
 * (SCRAM's server signature). Works on raw bytes; smtp.c does base64.
 * All hashing, HMAC, PBKDF2 and randomness come from GnuTLS.
 *
 * Error codes: EX_NOPERM (no usable mechanism, malformed challenge,
 * server not proven), EX_SOFTWARE.
 */
#ifndef MAILOUT_SASL_H
#define MAILOUT_SASL_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

enum sasl_mech {
	SASL_SCRAM_SHA_256, SASL_SCRAM_SHA_1, SASL_CRAM_MD5, SASL_PLAIN,
	SASL_LOGIN, SASL_XOAUTH2, SASL_OAUTHBEARER, SASL_EXTERNAL,
	SASL_MECH_COUNT
};

#define SASL_DATA_MAX 8192	/* raw response; OAuth tokens can be long */

struct sasl_creds {
	const char *user;
	const char *secret;	/* password or OAuth token */
	const char *host;	/* OAUTHBEARER's host= and port= */
	const char *port;
};

struct sasl {
	enum sasl_mech mech;
	const struct sasl_creds *creds;
	int step;
	bool server_proven;	/* SCRAM: server signature verified */
	char nonce[64];		/* SCRAM client nonce */
	char client_first_bare[600];
	unsigned char server_signature[32];
	size_t signature_len;
};

const char *sasl_name(enum sasl_mech m);

/* Name → mechanism; -1 if unknown. */
int sasl_lookup(const char *name);

/*
 * Pick a mechanism from the server's space-separated list: the named one
 * (wanted != NULL), or the strongest of SCRAM-SHA-256, SCRAM-SHA-1,
 * CRAM-MD5, PLAIN, LOGIN (OAuth and EXTERNAL only when named).
 */
int sasl_choose(const char *offered, const char *wanted, enum sasl_mech *m,
    struct err *e);

void sasl_begin(struct sasl *s, enum sasl_mech m, const struct sasl_creds *c);

/* The initial response, if the mechanism sends one (*len may be 0 for
 * an empty one); returns 1 when there is one, 0 when not, -1 on error. */
int sasl_initial(struct sasl *s, char *out, size_t *len, struct err *e);

/* Answer one decoded challenge. */
int sasl_respond(struct sasl *s, const char *in, size_t inlen, char *out,
    size_t *outlen, struct err *e);

/* After 235: fail if the mechanism needed the server to prove itself. */
int sasl_finish(struct sasl *s, struct err *e);

/* Forget the secrets and state. */
void sasl_end(struct sasl *s);

#endif
