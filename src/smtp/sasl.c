/* sasl.c — the SASL mechanisms, with GnuTLS's crypto. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "lib/base64.h"
#include "smtp/sasl.h"
#include "transport/tls.h"

static const char *const mech_names[SASL_MECH_COUNT] = {
	[SASL_SCRAM_SHA_256] = "SCRAM-SHA-256",
	[SASL_SCRAM_SHA_1] = "SCRAM-SHA-1",
	[SASL_CRAM_MD5] = "CRAM-MD5",
	[SASL_PLAIN] = "PLAIN",
	[SASL_LOGIN] = "LOGIN",
	[SASL_XOAUTH2] = "XOAUTH2",
	[SASL_OAUTHBEARER] = "OAUTHBEARER",
	[SASL_EXTERNAL] = "EXTERNAL",
};

/* Strongest first; the enum order. Only these are chosen by "on". */
#define SASL_AUTOMATIC_LAST SASL_LOGIN

const char *
sasl_name(enum sasl_mech m)
{
	return mech_names[m];
}

int
sasl_lookup(const char *name)
{
	int m;

	for (m = 0; m < SASL_MECH_COUNT; m++)
		if (strcasecmp(name, mech_names[m]) == 0)
			return m;
	return -1;
}

static bool
offered_has(const char *offered, const char *name)
{
	size_t n = strlen(name);
	const char *p = offered;

	while (*p != '\0') {
		size_t len = strcspn(p, " ");

		if (len == n && strncasecmp(p, name, n) == 0)
			return true;
		p += len;
		p += strspn(p, " ");
	}
	return false;
}

int
sasl_choose(const char *offered, const char *wanted, enum sasl_mech *m,
    struct err *e)
{
	int i;

	if (wanted != NULL) {
		if ((i = sasl_lookup(wanted)) < 0)
			return err_set(e, EX_USAGE, "unknown AUTH mechanism %s",
			    wanted);
		if (!offered_has(offered, wanted))
			return err_set(e, EX_NOPERM, "the server does not offer "
			    "AUTH %s (it offers: %s)", mech_names[i],
			    *offered ? offered : "nothing");
		*m = (enum sasl_mech)i;
		return 0;
	}
	for (i = 0; i <= SASL_AUTOMATIC_LAST; i++) {
		if (offered_has(offered, mech_names[i])) {
			*m = (enum sasl_mech)i;
			return 0;
		}
	}
	return err_set(e, EX_NOPERM, "no usable AUTH mechanism (the server "
	    "offers: %s)", *offered ? offered : "nothing");
}

void
sasl_begin(struct sasl *s, enum sasl_mech m, const struct sasl_creds *c)
{
	tls_library_init();	/* for the hashes, HMAC and random numbers */
	memset(s, 0, sizeof(*s));
	s->mech = m;
	s->creds = c;
}

static int
put(char *out, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Format a response into out (SASL_DATA_MAX octets). NUL and ^A
 * separators are passed as %c, and vsnprintf counts them like any octet. */
static int
put(char *out, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, SASL_DATA_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= SASL_DATA_MAX)
		return -1;
	*len = (size_t)n;
	return 0;
}

static int
too_long(struct err *e)
{
	return err_set(e, EX_NOPERM, "AUTH response too long");
}

/* RFC 5801/5802 saslname: "=" and "," in a user name are escaped. */
static void
gs2_saslname(const char *user, char *out, size_t cap)
{
	size_t o = 0;

	for (; *user != '\0' && o + 4 < cap; user++) {
		if (*user == '=' || *user == ',') {
			memcpy(out + o, *user == '=' ? "=3D" : "=2C", 3);
			o += 3;
		} else {
			out[o++] = *user;
		}
	}
	out[o] = '\0';
}

static int
scram_nonce(struct sasl *s, struct err *e)
{
	const char *fixed = getenv("MAILOUT_TEST_SCRAM_NONCE");	/* RFC vectors */
	unsigned char raw[18];

	if (fixed != NULL && *fixed != '\0') {
		snprintf(s->nonce, sizeof(s->nonce), "%s", fixed);
		return 0;
	}
	if (gnutls_rnd(GNUTLS_RND_NONCE, raw, sizeof(raw)) < 0)
		return err_set(e, EX_SOFTWARE, "cannot make a SCRAM nonce");
	if (b64_encode((const char *)raw, sizeof(raw), s->nonce,
	    sizeof(s->nonce)) < 0)
		return err_set(e, EX_SOFTWARE, "cannot make a SCRAM nonce");
	return 0;
}

static int
scram_first(struct sasl *s, char *out, size_t *len, struct err *e)
{
	char name[400];

	if (scram_nonce(s, e) < 0)
		return -1;
	gs2_saslname(s->creds->user, name, sizeof(name));
	snprintf(s->client_first_bare, sizeof(s->client_first_bare),
	    "n=%s,r=%s", name, s->nonce);
	if (put(out, len, "n,,%s", s->client_first_bare) < 0)
		return too_long(e);
	return 1;
}

static int
bad_challenge(struct err *e, const char *what)
{
	return err_set(e, EX_NOPERM, "malformed AUTH challenge: %s", what);
}

/* The value of "k=" at the start of attr (up to the next comma). */
static const char *
scram_attr(const char *attr, char key, size_t *len)
{
	if (attr[0] != key || attr[1] != '=')
		return NULL;
	*len = strcspn(attr + 2, ",");
	return attr + 2;
}

/* What scram_final needs from the server-first message. */
struct scram_first {
	char text[1024];	/* the message, for AuthMessage */
	char nonce[256];	/* ours with the server's appended */
	char salt[192];
	size_t salt_len;
	long iterations;
};

/* "r=NONCE,s=SALT,i=COUNT" (RFC 5802 7), checked against our nonce. */
static int
scram_parse_first(const struct sasl *s, const char *in, size_t inlen,
    struct scram_first *sf, struct err *e)
{
	char salt_b64[256];
	const char *n, *sa, *it;
	size_t nlen, slen, ilen;

	if (inlen >= sizeof(sf->text))
		return bad_challenge(e, "SCRAM server-first too long");
	memcpy(sf->text, in, inlen);
	sf->text[inlen] = '\0';
	n = scram_attr(sf->text, 'r', &nlen);
	if (n == NULL || nlen >= sizeof(sf->nonce) || n[nlen] != ',' ||
	    strncmp(n, s->nonce, strlen(s->nonce)) != 0 ||
	    nlen <= strlen(s->nonce))
		return bad_challenge(e, "SCRAM nonce missing or not ours");
	sa = scram_attr(n + nlen + 1, 's', &slen);
	if (sa == NULL || slen >= sizeof(salt_b64) || sa[slen] != ',')
		return bad_challenge(e, "SCRAM salt missing");
	it = scram_attr(sa + slen + 1, 'i', &ilen);
	sf->iterations = it ? strtol(it, NULL, 10) : 0;
	/* A bound, so a hostile server cannot make us spin for minutes. */
	if (sf->iterations < 1 || sf->iterations > 1000000)
		return bad_challenge(e, "SCRAM iteration count out of range");
	memcpy(sf->nonce, n, nlen);
	sf->nonce[nlen] = '\0';
	memcpy(salt_b64, sa, slen);
	salt_b64[slen] = '\0';
	if (b64_decode(salt_b64, sf->salt, sizeof(sf->salt), &sf->salt_len) < 0)
		return bad_challenge(e, "SCRAM salt is not base64");
	return 0;
}

static int
scram_failed(struct err *e)
{
	return err_set(e, EX_SOFTWARE, "SCRAM computation failed");
}

static int
scram_final(struct sasl *s, const char *in, size_t inlen, char *out,
    size_t *outlen, struct err *e)
{
	bool sha256 = s->mech == SASL_SCRAM_SHA_256;
	gnutls_mac_algorithm_t mac = sha256 ? GNUTLS_MAC_SHA256 : GNUTLS_MAC_SHA1;
	gnutls_digest_algorithm_t dig = sha256 ? GNUTLS_DIG_SHA256 :
	    GNUTLS_DIG_SHA1;
	size_t hlen = sha256 ? 32 : 20, i;
	unsigned char salted[32], client_key[32], stored_key[32], sig[32],
	    proof[32], server_key[32];
	char without[600], auth_msg[2400], proof_b64[64];
	struct scram_first sf;
	gnutls_datum_t pw, sl;

	if (scram_parse_first(s, in, inlen, &sf, e) < 0)
		return -1;
	pw.data = (unsigned char *)s->creds->secret;
	pw.size = (unsigned)strlen(s->creds->secret);
	sl.data = (unsigned char *)sf.salt;
	sl.size = (unsigned)sf.salt_len;
	snprintf(without, sizeof(without), "c=biws,r=%s", sf.nonce);
	snprintf(auth_msg, sizeof(auth_msg), "%s,%s,%s", s->client_first_bare,
	    sf.text, without);
	if (gnutls_pbkdf2(mac, &pw, &sl, (unsigned)sf.iterations, salted,
	    hlen) < 0)
		return scram_failed(e);
	/* RFC 5802 3: the keys, in the order the RFC derives them */
	if (gnutls_hmac_fast(mac, salted, hlen, "Client Key", 10,
	    client_key) < 0)
		return scram_failed(e);
	if (gnutls_hash_fast(dig, client_key, hlen, stored_key) < 0)
		return scram_failed(e);
	if (gnutls_hmac_fast(mac, stored_key, hlen, auth_msg,
	    strlen(auth_msg), sig) < 0)
		return scram_failed(e);
	if (gnutls_hmac_fast(mac, salted, hlen, "Server Key", 10,
	    server_key) < 0)
		return scram_failed(e);
	if (gnutls_hmac_fast(mac, server_key, hlen, auth_msg,
	    strlen(auth_msg), s->server_signature) < 0)
		return scram_failed(e);
	s->signature_len = hlen;
	for (i = 0; i < hlen; i++)
		proof[i] = client_key[i] ^ sig[i];
	gnutls_memset(salted, 0, sizeof(salted));
	gnutls_memset(client_key, 0, sizeof(client_key));
	if (b64_encode((const char *)proof, hlen, proof_b64,
	    sizeof(proof_b64)) < 0)
		return too_long(e);
	if (put(out, outlen, "%s,p=%s", without, proof_b64) < 0)
		return too_long(e);
	return 0;
}

/* server-final "v=SIGNATURE" (or "e=error"). */
static int
scram_verify(struct sasl *s, const char *in, size_t inlen, struct err *e)
{
	char text[256], got[64];
	size_t got_len, i;
	unsigned char diff = 0;

	if (inlen >= sizeof(text))
		return bad_challenge(e, "SCRAM server-final too long");
	memcpy(text, in, inlen);
	text[inlen] = '\0';
	if (strncmp(text, "e=", 2) == 0)
		return err_set(e, EX_NOPERM, "SCRAM: the server says %s",
		    text + 2);
	if (strncmp(text, "v=", 2) != 0 ||
	    b64_decode(text + 2, got, sizeof(got), &got_len) < 0 ||
	    got_len != s->signature_len)
		return bad_challenge(e, "SCRAM server-final");
	for (i = 0; i < got_len; i++)
		diff |= (unsigned char)got[i] ^ s->server_signature[i];
	if (diff != 0)
		return err_set(e, EX_NOPERM, "SCRAM: wrong server signature "
		    "(the server does not know the password: impostor?)");
	s->server_proven = true;
	return 0;
}

static int
cram_md5(struct sasl *s, const char *in, size_t inlen, char *out,
    size_t *outlen, struct err *e)
{
	unsigned char digest[16];
	char hex[33];
	size_t i;

	if (gnutls_hmac_fast(GNUTLS_MAC_MD5, s->creds->secret,
	    strlen(s->creds->secret), in, inlen, digest) < 0)
		return err_set(e, EX_SOFTWARE, "HMAC-MD5 failed");
	for (i = 0; i < sizeof(digest); i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	if (put(out, outlen, "%s %s", s->creds->user, hex) < 0)
		return too_long(e);
	return 0;
}

int
sasl_initial(struct sasl *s, char *out, size_t *len, struct err *e)
{
	const struct sasl_creds *c = s->creds;
	char authzid[400];
	int rc = 0;

	switch (s->mech) {
	case SASL_PLAIN:
		rc = put(out, len, "%c%s%c%s", 0, c->user, 0, c->secret);
		break;
	case SASL_XOAUTH2:
		rc = put(out, len, "user=%s%cauth=Bearer %s%c%c", c->user, 1,
		    c->secret, 1, 1);
		break;
	case SASL_OAUTHBEARER:
		gs2_saslname(c->user, authzid, sizeof(authzid));
		rc = put(out, len, "n,a=%s,%chost=%s%cport=%s%cauth=Bearer "
		    "%s%c%c", authzid, 1, c->host ? c->host : "", 1,
		    c->port ? c->port : "", 1, c->secret, 1, 1);
		break;
	case SASL_EXTERNAL:
		*len = 0;	/* authorize as the certificate's identity */
		return 1;
	case SASL_SCRAM_SHA_256:
	case SASL_SCRAM_SHA_1:
		return scram_first(s, out, len, e);
	default:
		return 0;	/* LOGIN, CRAM-MD5: the server speaks first */
	}
	return rc < 0 ? too_long(e) : 1;
}

int
sasl_respond(struct sasl *s, const char *in, size_t inlen, char *out,
    size_t *outlen, struct err *e)
{
	int step = s->step++;

	*outlen = 0;
	switch (s->mech) {
	case SASL_LOGIN:
		if (step > 1)
			break;
		return put(out, outlen, "%s", step == 0 ? s->creds->user :
		    s->creds->secret) < 0 ? too_long(e) : 0;
	case SASL_CRAM_MD5:
		if (step > 0)
			break;
		return cram_md5(s, in, inlen, out, outlen, e);
	case SASL_SCRAM_SHA_256:
	case SASL_SCRAM_SHA_1:
		if (step == 0)
			return scram_final(s, in, inlen, out, outlen, e);
		if (step == 1)
			return scram_verify(s, in, inlen, e);	/* reply empty */
		break;
	case SASL_XOAUTH2:
		if (step > 0)
			break;
		return 0;	/* an error report in JSON: answer empty */
	case SASL_OAUTHBEARER:
		if (step > 0)
			break;
		out[0] = 1;	/* RFC 7628 3.2.3: acknowledge the error */
		*outlen = 1;
		return 0;
	default:
		break;
	}
	return bad_challenge(e, "more challenges than the mechanism has");
}

int
sasl_finish(struct sasl *s, struct err *e)
{
	if ((s->mech == SASL_SCRAM_SHA_256 || s->mech == SASL_SCRAM_SHA_1) &&
	    !s->server_proven)
		return err_set(e, EX_NOPERM, "SCRAM: the server accepted us "
		    "without proving it knows the password");
	return 0;
}

void
sasl_end(struct sasl *s)
{
	gnutls_memset(s, 0, sizeof(*s));
}
