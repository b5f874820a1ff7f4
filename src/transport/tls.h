/*
 * tls.h — a GnuTLS client session on top of a connected struct conn:
 * handshake within the timeout, certificate verification (system trust or
 * a trust file, host name, validity) or a SHA-256 pin, SNI, an optional
 * client certificate. Once started, the connection's reads and writes go
 * through TLS without the protocol code knowing.
 *
 * Error codes: EX_UNAVAILABLE (handshake or verification failed),
 * EX_TEMPFAIL (timeout, connection lost), EX_CONFIG (unusable trust,
 * certificate or key file, bad priority string), EX_SOFTWARE.
 */
#ifndef MAILOUT_TLS_H
#define MAILOUT_TLS_H

#include <stdbool.h>
#include <stdio.h>

#include "lib/err.h"
#include "transport/net.h"

struct tls_options {
	const char *server_name;	/* verified against the certificate; SNI */
	const char *trust_file;		/* NULL: the system trust store */
	const char *fingerprint;	/* "sha256:HEX": pin instead of trust */
	const char *cert_file;		/* client certificate and its key */
	const char *key_file;
	const char *priorities;		/* NULL: GnuTLS's system default */
	int verify;			/* 0 only for --serverinfo: report, go on */
};

/* Check a "sha256:HEX" pin (colons allowed between bytes). */
int tls_fingerprint_valid(const char *pin);

/*
 * GnuTLS's global set-up, done on first use (tls_start, SASL) rather than
 * when the library is loaded: main.c says GNUTLS_SKIP_GLOBAL_INIT, as a
 * session without TLS or AUTH never needs it and it costs 0.8 MB of
 * memory. Failure shows in the next GnuTLS call's error.
 */
void tls_library_init(void);

/* Handshake, verify, and switch c over to TLS. */
int tls_start(struct conn *c, const struct tls_options *o, struct err *e);

/* "TLS1.3 ... AES-256-GCM" for the transcript. */
const char *tls_description(struct conn *c);

/* For --serverinfo: session, certificate subject/issuer/SANs/validity,
 * SHA-256 fingerprint and the verification verdict. */
void tls_print_info(struct conn *c, FILE *out);

/* True when the certificate passed verification or matched the pin. */
bool tls_verified(struct conn *c);

/* Close the TLS layer (best effort close_notify) and free it. */
void tls_end(struct conn *c);

#endif
