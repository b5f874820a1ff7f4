/*
 * sasl.c — fuzz the SASL mechanisms' handling of server challenges.
 *
 * Input: one octet choosing the mechanism (SCRAM-SHA-256, SCRAM-SHA-1,
 * CRAM-MD5, XOAUTH2, OAUTHBEARER, LOGIN, PLAIN: by its value modulo 7),
 * then LF-separated lines: the user, the secret, and each decoded
 * challenge in turn. The exchange runs as smtp.c runs it: sasl_begin,
 * sasl_initial, sasl_respond per challenge until one fails, then
 * sasl_finish (as after 235) and sasl_end. The user line also serves as
 * the server's AUTH list for sasl_choose. SCRAM uses RFC 5802's client
 * nonce, so the RFC's exchange is a seed that reaches server-final.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lib/util.h"
#include "smtp/sasl.h"

#define ITERATIONS_MAX 4096

static const enum sasl_mech mechs[] = {
	SASL_SCRAM_SHA_256, SASL_SCRAM_SHA_1, SASL_CRAM_MD5, SASL_XOAUTH2,
	SASL_OAUTHBEARER, SASL_LOGIN, SASL_PLAIN,
};

/* The next LF-ended piece of data[*pos..size), NUL-terminated (malloc'ed). */
static char *
next_line(const uint8_t *data, size_t size, size_t *pos, size_t *len)
{
	const uint8_t *lf = memchr(data + *pos, '\n', size - *pos);
	char *line;

	*len = (lf ? (size_t)(lf - data) : size) - *pos;
	line = fuzz_string(data + *pos, *len);
	*pos += *len + (lf != NULL);
	return line;
}

/* PBKDF2 with up to a million iterations (sasl.c's bound) takes a
 * second; skip such inputs, or the fuzzer spends its time hashing. */
static bool
too_slow(const uint8_t *data, size_t size)
{
	size_t i, j;

	for (i = 0; i + 2 < size; i++) {
		long n = 0;

		if (data[i] != 'i' || data[i + 1] != '=')
			continue;
		for (j = i + 2; j < size && data[j] >= '0' && data[j] <= '9' &&
		    n <= ITERATIONS_MAX; j++)
			n = n * 10 + (data[j] - '0');
		if (n > ITERATIONS_MAX)
			return true;
	}
	return false;
}

static void
exchange(struct sasl *s, const uint8_t *data, size_t size, size_t pos)
{
	char out[SASL_DATA_MAX];
	size_t len;
	struct err e;

	if (sasl_initial(s, out, &len, &e) < 0)
		return;
	while (pos < size) {
		char *challenge = next_line(data, size, &pos, &len);

		/* As smtp_auth: decoded into one buffer (one octet short of
		 * it), answered in place. */
		if (len > sizeof(out) - 1)
			len = sizeof(out) - 1;
		memcpy(out, challenge, len);
		free(challenge);
		if (sasl_respond(s, out, len, out, &len, &e) < 0)
			return;
		if (len > SASL_DATA_MAX)
			fuzz_fail("response longer than SASL_DATA_MAX");
	}
	sasl_finish(s, &e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sasl_creds creds = { .host = "mail.example.org", .port = "587" };
	enum sasl_mech mech, chosen;
	char *user, *secret;
	size_t pos = 1, len;
	struct sasl s;
	struct err e;

	if (size < 1 || too_slow(data, size))
		return 0;
	mech = mechs[data[0] % nitems(mechs)];
	setenv("MAILOUT_TEST_SCRAM_NONCE", "fyko+d2lbbFgONRv9qkxdawL", 0);
	creds.user = user = next_line(data, size, &pos, &len);
	creds.secret = secret = next_line(data, size, &pos, &len);
	sasl_choose(user, NULL, &chosen, &e);
	sasl_choose(user, sasl_name(mech), &chosen, &e);
	sasl_begin(&s, mech, &creds);
	exchange(&s, data, size, pos);
	sasl_end(&s);
	free(user);
	free(secret);
	return 0;
}
