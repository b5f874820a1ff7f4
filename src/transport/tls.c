/* tls.c — GnuTLS client sessions: handshake, verification, pinning. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "lib/trace.h"
#include "transport/tls.h"

#define SHA256_HEX_LEN 64

/*
 * GnuTLS pushes each record of at most 16 KiB with a system call of its
 * own: eight where plain text takes one, most of the CPU time TLS added
 * (issue 18). tls_send gathers the records of up to TLS_OUT_MAX octets
 * here and sends them at once: room for the records of a whole chunk
 * of the message (128 KiB), which took half the time to Exim that half
 * the room took.
 */
#define TLS_OUT_MAX (256 * 1024)
/* The room one record may need: its ciphertext is at most 2^14 + 2048
 * octets (RFC 5246 6.2.3; RFC 8446 5.2 allows less), after a 5-octet
 * header. */
#define TLS_RECORD_ROOM (16384 + 2048 + 5)

struct tls {
	gnutls_session_t session;
	gnutls_certificate_credentials_t cred;
	char verdict[256];	/* how the certificate was judged */
	bool verified;
	char desc[256];
	int fd;
	char *out;		/* records gathered, not all sent yet */
	size_t out_pos, out_len;	/* sent up to out_pos of out_len */
	bool gathering;		/* within tls_send: push appends to out */
};

static struct tls *
tls_of(struct conn *c)
{
	return c->io_ctx;
}

static ssize_t
gnutls_result(ssize_t n)
{
	if (n >= 0)
		return n;
	if (n == GNUTLS_E_AGAIN)
		errno = EAGAIN;
	else if (n == GNUTLS_E_INTERRUPTED)
		errno = EINTR;
	else if (n == GNUTLS_E_PREMATURE_TERMINATION)
		return 0;	/* closed without close_notify: plain EOF */
	else
		errno = EPROTO;
	return -1;
}

static ssize_t
tls_recv(struct conn *c, void *buf, size_t len)
{
	return gnutls_result(gnutls_record_recv(tls_of(c)->session, buf, len));
}

/* The gathered records to the socket: 0 once all are sent, else -1 with
 * errno (EAGAIN: the socket is full). */
static int
out_send(struct tls *t)
{
	while (t->out_pos < t->out_len) {
		ssize_t n = send(t->fd, t->out + t->out_pos,
		    t->out_len - t->out_pos, MSG_NOSIGNAL);

		if (n < 0)
			return -1;
		t->out_pos += (size_t)n;
	}
	t->out_pos = t->out_len = 0;
	return 0;
}

/* GnuTLS's push: a record gathered while tls_send runs; else (handshake,
 * alerts, bye) sent at once, after what was gathered before. */
static ssize_t
tls_push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
	struct tls *t = ptr;
	struct msghdr mh = { .msg_iov = (struct iovec *)iov,
	    .msg_iovlen = (size_t)iovcnt };
	size_t total = 0;
	ssize_t n;
	int i;

	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (t->gathering && total <= TLS_OUT_MAX - t->out_len) {
		for (i = 0; i < iovcnt; i++) {
			memcpy(t->out + t->out_len, iov[i].iov_base,
			    iov[i].iov_len);
			t->out_len += iov[i].iov_len;
		}
		return (ssize_t)total;
	}
	if ((n = out_send(t)) == 0)
		n = sendmsg(t->fd, &mh, MSG_NOSIGNAL);
	if (n < 0)
		gnutls_transport_set_errno(t->session, errno);
	return n;
}

/* As many records of the iovecs (a command and a chunk) as TLS_OUT_MAX
 * holds, sent in one system call (what the socket does not take yet,
 * tls_flush sends); the caller comes back for the rest. */
static ssize_t
tls_send(struct conn *c, const struct iovec *iov, int iovcnt)
{
	struct tls *t = tls_of(c);
	size_t done = 0, at = 0;	/* octets taken; of them, in iov[0] */
	ssize_t n = 0;

	if (out_send(t) < 0)
		return -1;
	t->gathering = true;
	while (iovcnt > 0 && TLS_OUT_MAX - t->out_len >= TLS_RECORD_ROOM) {
		if (at == iov[0].iov_len) {
			iov++;
			iovcnt--;
			at = 0;
			continue;
		}
		n = gnutls_record_send(t->session, (const char *)
		    iov[0].iov_base + at, iov[0].iov_len - at);
		if (n < 0)
			break;
		at += (size_t)n;
		done += (size_t)n;
	}
	t->gathering = false;
	if (done == 0)
		return gnutls_result(n);
	if (out_send(t) < 0 && errno != EAGAIN && errno != EINTR)
		return -1;
	return (ssize_t)done;
}

static int
tls_flush(struct conn *c)
{
	return out_send(tls_of(c));
}

static size_t
tls_pending(struct conn *c)
{
	return gnutls_record_check_pending(tls_of(c)->session);
}

static const struct conn_io tls_io = {
	tls_recv, tls_send, tls_pending, tls_flush
};

int
tls_fingerprint_valid(const char *pin)
{
	size_t digits = 0;

	if (strncasecmp(pin, "sha256:", 7) != 0)
		return 0;
	for (pin += 7; *pin != '\0'; pin++) {
		if (isxdigit((unsigned char)*pin))
			digits++;
		else if (*pin != ':')
			return 0;
	}
	return digits == SHA256_HEX_LEN;
}

/* The pin's hex digits, lower case, without "sha256:" and colons. */
static void
pin_digits(const char *pin, char *out)
{
	size_t n = 0;

	for (pin += 7; *pin != '\0' && n < SHA256_HEX_LEN; pin++)
		if (*pin != ':')
			out[n++] = (char)tolower((unsigned char)*pin);
	out[n] = '\0';
}

static int
load_credentials(struct tls *t, const struct tls_options *o, struct err *e)
{
	int rc;

	if (gnutls_certificate_allocate_credentials(&t->cred) < 0)
		return err_set(e, EX_SOFTWARE, "TLS: out of memory");
	if (o->trust_file != NULL) {
		rc = gnutls_certificate_set_x509_trust_file(t->cred,
		    o->trust_file, GNUTLS_X509_FMT_PEM);
		if (rc <= 0)
			return err_set(e, EX_CONFIG, "tls_trust_file %s: %s",
			    o->trust_file, rc < 0 ? gnutls_strerror(rc) :
			    "no certificates in it");
	} else if (o->fingerprint == NULL) {
		gnutls_certificate_set_x509_system_trust(t->cred);
	}
	if (o->cert_file != NULL || o->key_file != NULL) {
		if (o->cert_file == NULL || o->key_file == NULL)
			return err_set(e, EX_CONFIG, "tls_cert_file and "
			    "tls_key_file must be given together");
		rc = gnutls_certificate_set_x509_key_file(t->cred, o->cert_file,
		    o->key_file, GNUTLS_X509_FMT_PEM);
		if (rc < 0)
			return err_set(e, EX_CONFIG, "client certificate %s with "
			    "key %s: %s", o->cert_file, o->key_file,
			    gnutls_strerror(rc));
	}
	return 0;
}

static bool
is_ip_literal(const char *name)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, buf) == 1 ||
	    inet_pton(AF_INET6, name, buf) == 1;
}

/*
 * The system's default, with AES-128-GCM first: TLS 1.3's mandatory
 * cipher, as safe in practice as GnuTLS's first choice AES-256-GCM,
 * whose 14 rounds cost a tenth more CPU time on a large message (issue
 * 18). The others keep their order behind it: each in turn is removed
 * and appended again ("-NAME:+NAME"), so none that the system leaves out
 * comes back.
 */
static int
set_default_priority(gnutls_session_t session)
{
	char moves[1024];
	gnutls_priority_t def;
	const unsigned int *list;
	const char *name;
	bool first = false, fits = true;
	size_t len = 0;
	int i, n, w;

	if (gnutls_priority_init(&def, NULL, NULL) < 0)
		return gnutls_set_default_priority(session);
	n = gnutls_priority_cipher_list(def, &list);
	for (i = 0; i < n && fits; i++) {
		if (list[i] == GNUTLS_CIPHER_AES_128_GCM) {
			first = true;
			continue;
		}
		name = gnutls_cipher_get_name(list[i]);
		w = name == NULL ? -1 : snprintf(moves + len,
		    sizeof(moves) - len, "%s-%s:+%s", len > 0 ? ":" : "",
		    name, name);
		fits = w > 0 && (size_t)w < sizeof(moves) - len;
		len += fits ? (size_t)w : 0;
	}
	gnutls_priority_deinit(def);
	/* the default itself, should GnuTLS not take the names it gave */
	if (!first || !fits || len == 0 ||
	    gnutls_set_default_priority_append(session, moves, NULL, 0) < 0)
		return gnutls_set_default_priority(session);
	return 0;
}

static int
setup_session(struct tls *t, struct conn *c, const struct tls_options *o,
    struct err *e)
{
	const char *errpos = NULL;
	int rc;

	if (gnutls_init(&t->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL) < 0)
		return err_set(e, EX_SOFTWARE, "TLS: cannot start a session");
	if (o->priorities != NULL)
		rc = gnutls_priority_set_direct(t->session, o->priorities,
		    &errpos);
	else
		rc = set_default_priority(t->session);
	if (rc < 0)
		return err_set(e, EX_CONFIG, "tls_priorities: %s%s%s",
		    gnutls_strerror(rc), errpos ? " at " : "",
		    errpos ? errpos : "");
	gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, t->cred);
	/* SNI carries DNS names only (RFC 6066 3). */
	if (o->server_name != NULL && !is_ip_literal(o->server_name))
		gnutls_server_name_set(t->session, GNUTLS_NAME_DNS,
		    o->server_name, strlen(o->server_name));
	if ((t->out = malloc(TLS_OUT_MAX)) == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	t->fd = c->fd;
	/* GnuTLS reads the socket itself; its records go through tls_push */
	gnutls_transport_set_ptr2(t->session,
	    (gnutls_transport_ptr_t)(intptr_t)c->fd, t);
	gnutls_transport_set_vec_push_function(t->session, tls_push);
	return 0;
}

static int
handshake(struct tls *t, struct conn *c, struct err *e)
{
	int rc;

	net_start_deadline(c);
	while ((rc = gnutls_handshake(t->session)) < 0) {
		if (gnutls_error_is_fatal(rc)) {
			c->handshake_failed = true;
			return err_set(e, EX_UNAVAILABLE, "TLS handshake "
			    "failed: %s", gnutls_strerror(rc));
		}
		if (net_wait(c, gnutls_record_get_direction(t->session) ?
		    POLLOUT : POLLIN, "in the TLS handshake", e) < 0)
			return -1;
	}
	return 0;
}

static int
leaf_certificate(struct tls *t, gnutls_x509_crt_t *crt)
{
	unsigned int n = 0;
	const gnutls_datum_t *chain = gnutls_certificate_get_peers(t->session,
	    &n);

	if (chain == NULL || n == 0 || gnutls_x509_crt_init(crt) < 0)
		return -1;
	if (gnutls_x509_crt_import(*crt, &chain[0], GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(*crt);
		return -1;
	}
	return 0;
}

static void
sha256_hex(struct tls *t, char *out)
{
	unsigned char digest[32];
	unsigned int n = 0;
	const gnutls_datum_t *chain = gnutls_certificate_get_peers(t->session,
	    &n);
	size_t i;

	out[0] = '\0';
	if (chain == NULL || n == 0 || gnutls_hash_fast(GNUTLS_DIG_SHA256,
	    chain[0].data, chain[0].size, digest) < 0)
		return;
	for (i = 0; i < sizeof(digest); i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

static void
add_reason(char *buf, size_t n, const char *reason)
{
	size_t used = strlen(buf);

	snprintf(buf + used, n - used, "%s%s", used ? "; " : "", reason);
}

/* One line saying why verification failed, most telling reason first. */
static void
describe_failure(struct tls *t, unsigned status, const char *name, char *buf,
    size_t n)
{
	gnutls_x509_crt_t crt;
	bool self_signed = false;
	char line[300];

	buf[0] = '\0';
	if (leaf_certificate(t, &crt) == 0) {
		self_signed = gnutls_x509_crt_check_issuer(crt, crt) != 0;
		gnutls_x509_crt_deinit(crt);
	}
	if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
		add_reason(buf, n, self_signed ? "certificate is self-signed" :
		    "certificate issuer is unknown");
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER) {
		snprintf(line, sizeof(line), "certificate does not match the "
		    "host name %s", name ? name : "");
		add_reason(buf, n, line);
	}
	if (status & GNUTLS_CERT_EXPIRED)
		add_reason(buf, n, "certificate has expired");
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		add_reason(buf, n, "certificate is not yet valid");
	if (status & GNUTLS_CERT_REVOKED)
		add_reason(buf, n, "certificate is revoked");
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		add_reason(buf, n, "certificate uses an insecure algorithm");
	if (buf[0] == '\0')
		add_reason(buf, n, "certificate is not trusted");
}

static int
verify(struct tls *t, const struct tls_options *o, struct err *e)
{
	char got[SHA256_HEX_LEN + 1], want[SHA256_HEX_LEN + 1];
	unsigned status = 0;
	int rc;

	if (o->fingerprint != NULL) {
		sha256_hex(t, got);
		pin_digits(o->fingerprint, want);
		if (strcmp(got, want) == 0) {
			snprintf(t->verdict, sizeof(t->verdict), "pinned "
			    "SHA-256 fingerprint matches");
			t->verified = true;
			return 0;
		}
		snprintf(t->verdict, sizeof(t->verdict), "certificate "
		    "fingerprint mismatch: server has sha256:%s", got);
	} else {
		rc = gnutls_certificate_verify_peers3(t->session,
		    o->server_name, &status);
		if (rc == 0 && status == 0) {
			snprintf(t->verdict, sizeof(t->verdict), "certificate "
			    "verified for %s", o->server_name ? o->server_name :
			    "(no name)");
			t->verified = true;
			return 0;
		}
		if (rc < 0)
			snprintf(t->verdict, sizeof(t->verdict), "no usable "
			    "certificate: %s", gnutls_strerror(rc));
		else
			describe_failure(t, status, o->server_name, t->verdict,
			    sizeof(t->verdict));
	}
	if (!o->verify)
		return 0;
	return err_set(e, EX_UNAVAILABLE, "TLS certificate check failed: %s",
	    t->verdict);
}

void
tls_library_init(void)
{
	static bool done;

	if (!done)
		done = gnutls_global_init() == GNUTLS_E_SUCCESS;
}

int
tls_start(struct conn *c, const struct tls_options *o, struct err *e)
{
	struct tls *t = calloc(1, sizeof(*t));
	char *desc;

	tls_library_init();
	if (t == NULL)
		return err_set(e, EX_SOFTWARE, "out of memory");
	c->io_ctx = t;	/* tls_end frees it, whatever happens next */
	if (load_credentials(t, o, e) < 0)
		return -1;
	if (setup_session(t, c, o, e) < 0)
		return -1;
	if (handshake(t, c, e) < 0)
		return -1;
	if (verify(t, o, e) < 0) {
		/* Tell the server why we leave; best effort, never waits. */
		gnutls_alert_send(t->session, GNUTLS_AL_FATAL,
		    GNUTLS_A_BAD_CERTIFICATE);
		return -1;
	}
	c->io = &tls_io;
	desc = gnutls_session_get_desc(t->session);
	snprintf(t->desc, sizeof(t->desc), "%s", desc ? desc : "?");
	gnutls_free(desc);
	trace_note("TLS session %s", t->desc);
	trace_note("%s", t->verdict);
	if (trace_level() >= 2)
		tls_print_info(c, stderr);
	return 0;
}

bool
tls_verified(struct conn *c)
{
	return tls_of(c) != NULL && tls_of(c)->verified;
}

const char *
tls_description(struct conn *c)
{
	return tls_of(c) ? tls_of(c)->desc : "";
}

static void
print_time(FILE *out, const char *label, time_t when)
{
	struct tm tm;
	char buf[64];

	gmtime_r(&when, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(out, "  %s %s\n", label, buf);
}

static void
print_dn(FILE *out, const char *label, gnutls_x509_crt_t crt, int issuer)
{
	gnutls_datum_t dn = { NULL, 0 };
	int rc = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) :
	    gnutls_x509_crt_get_dn3(crt, &dn, 0);

	fprintf(out, "  %s %s\n", label, rc == 0 ? (char *)dn.data : "?");
	gnutls_free(dn.data);
}

static void
print_sans(FILE *out, gnutls_x509_crt_t crt)
{
	unsigned i;

	for (i = 0;; i++) {
		char name[256], ip[INET6_ADDRSTRLEN];
		size_t len = sizeof(name) - 1;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, name,
		    &len, NULL);

		if (type < 0)
			break;
		name[len] = '\0';
		if (type == GNUTLS_SAN_IPADDRESS)
			fprintf(out, "  SAN IP:       %s\n", inet_ntop(len == 4 ?
			    AF_INET : AF_INET6, name, ip, sizeof(ip)) ? ip : "?");
		else if (type == GNUTLS_SAN_DNSNAME ||
		    type == GNUTLS_SAN_RFC822NAME)
			fprintf(out, "  SAN %s %s\n", type == GNUTLS_SAN_DNSNAME ?
			    "DNS:     " : "email:   ", name);
	}
}

void
tls_print_info(struct conn *c, FILE *out)
{
	struct tls *t = tls_of(c);
	gnutls_x509_crt_t crt;
	char fp[SHA256_HEX_LEN + 1];

	if (t == NULL)
		return;
	fprintf(out, "TLS session:\n  %s\n", t->desc);
	if (leaf_certificate(t, &crt) < 0) {
		fprintf(out, "  (no server certificate)\n");
		return;
	}
	fprintf(out, "Server certificate:\n");
	print_dn(out, "subject:     ", crt, 0);
	print_dn(out, "issuer:      ", crt, 1);
	print_sans(out, crt);
	print_time(out, "valid from:  ", gnutls_x509_crt_get_activation_time(crt));
	print_time(out, "valid until: ", gnutls_x509_crt_get_expiration_time(crt));
	sha256_hex(t, fp);
	fprintf(out, "  SHA-256:      sha256:%s\n", fp);
	fprintf(out, "  verification: %s\n", t->verdict);
	gnutls_x509_crt_deinit(crt);
}

void
tls_end(struct conn *c)
{
	struct tls *t = tls_of(c);

	if (t == NULL)
		return;
	if (t->session != NULL) {
		if (c->io == &tls_io)
			gnutls_bye(t->session, GNUTLS_SHUT_WR);	/* best effort */
		gnutls_deinit(t->session);
	}
	if (t->cred != NULL)
		gnutls_certificate_free_credentials(t->cred);
	free(t->out);
	free(t);
	net_set_plain(c);
}
