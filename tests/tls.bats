#!/usr/bin/env bats
# TLS (issue 4, SPEC §5): STARTTLS and implicit TLS against a real Exim
# (tests/servers/exim.sh) with good and bad certificates, pinning,
# --serverinfo; injection, stripping and timeouts against the scripted
# server (tests/server/scripted.py, command "starttls CERT KEY").
#
# Against 127.0.0.1 --tls auto means no TLS, so every run names the mode.

bats_require_minimum_version 1.5.0
load helpers

exim_suite

setup() {
	# the tests named "exim ..." use the suite's Exim
	if [[ $BATS_TEST_DESCRIPTION == exim* ]]; then exim_test_setup; fi
	write_message tls
}

teardown() {
	scripted_teardown
}

FROM=sender@example.org

MESSAGE_BODY=("Hello over TLS.")
DIALOGUE_RCPTS=(rcpt@example.com)

# assert_exim_nothing_received: Exim saw our connection end without a MAIL
# command (its ACL logs every one as "MAIL FROM:<...>") or a received
# message ("<="), and the maildir stays empty.
assert_exim_nothing_received() {
	local i log
	for ((i = 0; i < 100; i++)); do
		log=$(exim_log_since)
		if grep -Eq 'SMTP connection from .*(lost|closed by)' <<<"$log"; then break; fi
		sleep 0.05
	done
	grep -Eq 'SMTP connection from .*(lost|closed by)' <<<"$log" ||
		fail "Exim did not log the end of the connection within 5 s:
$log" || return
	if grep -Eq 'MAIL FROM|<= ' <<<"$log"; then
		fail "Exim got a MAIL command or a message:
$log"
		return
	fi
	maildir_wait 0 "$EXIM_MAILDIR"
}

# assert_exim_delivered: exactly our message is in the maildir, and Exim
# received it over TLS (P=esmtps, or esmtpsa when authenticated).
assert_exim_delivered() {
	local file
	maildir_wait 1 "$EXIM_MAILDIR" || return
	file=$(maildir_find_for alice@example.org "$EXIM_MAILDIR") || return
	assert_equal "$(mail_header Message-ID "$file")" "<tls.$BATS_TEST_NUMBER@example.org>"
	assert_equal "$(mail_body "$file")" "Hello over TLS."
	exim_log_since | grep -Eq "<= $FROM .* P=esmtpsa? " ||
		fail "Exim's log shows no message received over TLS:
$(exim_log_since)"
}

# sha256_of PEM: the certificate's SHA-256 fingerprint (lower-case hex).
sha256_of() {
	certtool --fingerprint --hash sha256 --infile "$1"
}

# ---------------------------------------------------------------------------
# Exim: delivery with a trusted CA

@test "exim STARTTLS: trusted CA, delivered; -v shows the TLS session and the verification" {
	run -0 --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" -v alice@example.org
	assert_stderr_line "C: STARTTLS"
	assert_stderr_line --regexp '^-- TLS session \(TLS1\.[23]\)-'
	assert_stderr_line "-- certificate verified for 127.0.0.1"
	assert_exim_delivered
}

@test "exim implicit TLS: trusted CA, delivered; -v shows the TLS session" {
	run -0 --separate-stderr mailout_exim "$EXIM_TLS_PORT" --tls implicit \
		--tls-trust-file "$EXIM_CERTS/ca.pem" -v alice@example.org
	assert_stderr_line --regexp '^-- TLS session \(TLS1\.[23]\)-'
	assert_stderr_line "-- certificate verified for 127.0.0.1"
	local output=$stderr
	refute_output --partial "C: STARTTLS"
	assert_exim_delivered
}

@test "exim STARTTLS: without -v a successful delivery is silent" {
	run -0 --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" alice@example.org
	assert_equal "$stderr" ""
	assert_equal "$output" ""
	assert_exim_delivered
}

@test "exim STARTTLS: a 20 MB message in gathered records arrives byte for byte" {
	write_message tls
	# 20 MB in lines of every length up to 998 octets, dot lines among them
	awk 'BEGIN { x = sprintf("%998s", ""); gsub(/ /, "x", x)
		for (n = 0; n < 40000; n++) { s = sprintf("%d ", n)
			if (length(s) < n % 998) s = s substr(x, 1, n % 998 - length(s))
			print (n % 97 ? s : "." s) } }' >"$BATS_TEST_TMPDIR/body"
	sed -i '/^$/q' "$BATS_TEST_TMPDIR/msg"
	cat "$BATS_TEST_TMPDIR/body" >>"$BATS_TEST_TMPDIR/msg"
	run -0 --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" alice@example.org
	assert_equal "$stderr" ""
	maildir_wait 1 "$EXIM_MAILDIR"
	assert_body_is "$(maildir_find_for alice@example.org "$EXIM_MAILDIR")"
}

# ---------------------------------------------------------------------------
# Exim: bad certificates, both modes -> 69, the reason, nothing delivered

# bad_cert MODE PORT REASON
bad_cert() {
	run -69 --separate-stderr mailout_exim "$2" --tls "$1" \
		--tls-trust-file "$EXIM_CERTS/ca.pem" alice@example.org
	assert_equal "$stderr" "mailout: TLS certificate check failed: $3"
	assert_equal "$output" ""
	assert_exim_nothing_received
}

@test "exim STARTTLS: certificate from an untrusted CA -> 69, nothing delivered" {
	bad_cert starttls "$EXIM_UNTRUSTED_PORT" "certificate issuer is unknown"
}

@test "exim implicit TLS: certificate from an untrusted CA -> 69, nothing delivered" {
	bad_cert implicit "$EXIM_UNTRUSTED_TLS_PORT" "certificate issuer is unknown"
}

@test "exim STARTTLS: certificate for another host name -> 69, nothing delivered" {
	bad_cert starttls "$EXIM_WRONGNAME_PORT" "certificate does not match the host name 127.0.0.1"
}

@test "exim implicit TLS: certificate for another host name -> 69, nothing delivered" {
	bad_cert implicit "$EXIM_WRONGNAME_TLS_PORT" "certificate does not match the host name 127.0.0.1"
}

@test "exim STARTTLS: expired certificate -> 69, nothing delivered" {
	bad_cert starttls "$EXIM_EXPIRED_PORT" "certificate has expired"
}

@test "exim implicit TLS: expired certificate -> 69, nothing delivered" {
	bad_cert implicit "$EXIM_EXPIRED_TLS_PORT" "certificate has expired"
}

@test "exim STARTTLS: self-signed certificate -> 69, nothing delivered" {
	bad_cert starttls "$EXIM_SELFSIGNED_PORT" "certificate is self-signed"
}

@test "exim implicit TLS: self-signed certificate -> 69, nothing delivered" {
	bad_cert implicit "$EXIM_SELFSIGNED_TLS_PORT" "certificate is self-signed"
}

@test "exim STARTTLS: default (system) trust does not know the test CA -> 69" {
	run -69 --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls alice@example.org
	assert_equal "$stderr" "mailout: TLS certificate check failed: certificate issuer is unknown"
	assert_exim_nothing_received
}

@test "exim implicit TLS: default (system) trust does not know the test CA -> 69" {
	run -69 --separate-stderr mailout_exim "$EXIM_TLS_PORT" --tls implicit alice@example.org
	assert_equal "$stderr" "mailout: TLS certificate check failed: certificate issuer is unknown"
	assert_exim_nothing_received
}

# ---------------------------------------------------------------------------
# Exim: pinning

@test "exim STARTTLS: --tls-fingerprint with the self-signed cert's SHA-256 -> delivered" {
	local fp
	fp=$(sha256_of "$EXIM_CERTS/selfsigned.pem")
	run -0 --separate-stderr mailout_exim "$EXIM_SELFSIGNED_PORT" --tls starttls \
		--tls-fingerprint "sha256:$fp" alice@example.org
	assert_equal "$stderr" ""
	assert_exim_delivered
}

@test "exim implicit TLS: --tls-fingerprint with the self-signed cert's SHA-256 -> delivered" {
	local fp
	fp=$(sha256_of "$EXIM_CERTS/selfsigned.pem")
	# the pin replaces the trust file: a trust file that does not know the
	# certificate changes nothing
	run -0 --separate-stderr mailout_exim "$EXIM_SELFSIGNED_TLS_PORT" --tls implicit \
		--tls-trust-file "$EXIM_CERTS/ca.pem" --tls-fingerprint "sha256:$fp" alice@example.org
	assert_equal "$stderr" ""
	assert_exim_delivered
}

@test "exim STARTTLS: a wrong pin -> 69, mismatch shown, nothing delivered" {
	local fp
	fp=$(sha256_of "$EXIM_CERTS/selfsigned.pem")
	run -69 --separate-stderr mailout_exim "$EXIM_SELFSIGNED_PORT" --tls starttls \
		--tls-fingerprint "sha256:$(sha256_of "$EXIM_CERTS/server.pem")" alice@example.org
	assert_equal "$stderr" "mailout: TLS certificate check failed: certificate fingerprint mismatch: server has sha256:$fp"
	assert_exim_nothing_received
}

@test "exim implicit TLS: a wrong pin on a CA-signed certificate -> 69 even with the trusted CA" {
	local fp
	fp=$(sha256_of "$EXIM_CERTS/server.pem")
	run -69 --separate-stderr mailout_exim "$EXIM_TLS_PORT" --tls implicit \
		--tls-trust-file "$EXIM_CERTS/ca.pem" \
		--tls-fingerprint "sha256:$(sha256_of "$EXIM_CERTS/selfsigned.pem")" alice@example.org
	assert_equal "$stderr" "mailout: TLS certificate check failed: certificate fingerprint mismatch: server has sha256:$fp"
	assert_exim_nothing_received
}

# ---------------------------------------------------------------------------
# Exim: --serverinfo

@test "exim --serverinfo STARTTLS: greeting, capabilities before/after TLS, certificate; no mail" {
	local fp
	fp=$(sha256_of "$EXIM_CERTS/server.pem")
	run -0 --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" --serverinfo
	assert_equal "$stderr" ""
	assert_line "Greeting:"
	assert_line "  mail.test ESMTP Exim test server"
	assert_line "TLS session:"
	assert_line --regexp '^  \(TLS1\.[23]\)-'
	assert_line "Server certificate:"
	assert_line --regexp '^  subject: +CN=localhost,O=mailout tests$'
	assert_line --regexp '^  issuer: +CN=mailout test CA,O=mailout tests$'
	assert_line --regexp '^  SAN DNS: +mail\.test$'
	assert_line --regexp '^  SAN IP: +127\.0\.0\.1$'
	assert_line --regexp '^  valid from: '
	assert_line --regexp '^  valid until: '
	assert_line --regexp "^  SHA-256: +sha256:$fp\$"
	assert_line --regexp '^  verification: +certificate verified for 127\.0\.0\.1$'
	# STARTTLS among the capabilities before TLS, not after; AUTH after
	local before after
	before=$(sed -n '/^Capabilities before TLS:$/,/^[^ ]/p' <<<"$output")
	after=$(sed -n '/^Capabilities after TLS:$/,/^[^ ]/p' <<<"$output")
	grep -qx '  STARTTLS' <<<"$before" || fail "no STARTTLS before TLS: $output"
	grep -qx '  PIPELINING' <<<"$before" || fail "no PIPELINING before TLS: $output"
	grep -q '^  AUTH .*PLAIN' <<<"$after" || fail "no AUTH after TLS: $output"
	grep -qx '  STARTTLS' <<<"$after" && fail "STARTTLS after TLS: $output"
	assert_exim_nothing_received
}

@test "exim --serverinfo implicit TLS on an untrusted port: certificate shown, exit 69, no mail" {
	local fp
	fp=$(sha256_of "$EXIM_CERTS/untrusted.pem")
	run -69 --separate-stderr mailout_exim "$EXIM_UNTRUSTED_TLS_PORT" --tls implicit \
		--tls-trust-file "$EXIM_CERTS/ca.pem" --serverinfo
	assert_line "  mail.test ESMTP Exim test server"
	assert_line "Server certificate:"
	assert_line --regexp '^  issuer: +CN=mailout other CA,O=mailout tests$'
	assert_line --regexp "^  SHA-256: +sha256:$fp\$"
	assert_line --regexp '^  verification: +certificate issuer is unknown$'
	refute_line "Capabilities before TLS:"
	assert [ -n "$stderr" ]
	assert_exim_nothing_received
}

# ---------------------------------------------------------------------------
# Exim: client certificates. Exim asks every client for a certificate
# (optional), verifies it against the test CA and shows the result on the
# "<=" line of its log: CV=yes|no and DN="<subject>" (tests/servers/exim.sh).

# exim_received_line: Exim's "<=" log line(s) since setup().
exim_received_line() {
	exim_log_since | grep "<= $FROM "
}

# assert_exim_no_mail: no MAIL command and no message reached Exim and the
# maildir stays empty. Unlike assert_exim_nothing_received it does not
# require a connection: a client that finds a local error before connecting
# passes too.
assert_exim_no_mail() {
	local i log
	for ((i = 0; i < 100; i++)); do
		log=$(exim_log_since)
		if ! grep -q 'SMTP connection from' <<<"$log"; then
			# no connection logged yet: give one that did happen a moment
			sleep 0.2
			log=$(exim_log_since)
			grep -q 'SMTP connection from' <<<"$log" || break
		fi
		if grep -Eq 'SMTP connection from .*(lost|closed by)' <<<"$log"; then break; fi
		sleep 0.05
	done
	if grep -Eq 'MAIL FROM|<= ' <<<"$log"; then
		fail "Exim got a MAIL command or a message:
$log"
		return
	fi
	maildir_wait 0 "$EXIM_MAILDIR"
}

# the client certificate and key (certs.sh: CN client.test, signed by ca.pem)
client_cert() {
	printf '%s\n' --tls-cert "$EXIM_CERTS/client.pem" --tls-key "$EXIM_CERTS/client.key"
}

# assert_client_dn_logged: Exim verified our client certificate and logged its DN
assert_client_dn_logged() {
	local line
	line=$(exim_received_line)
	[[ $line =~ \ CV=yes\ DN=\"[^\"]*CN=client\.test[^\"]*\"\  ]] ||
		fail "Exim did not log a verified client certificate (CV=yes DN=\"...CN=client.test...\"):
$line"
}

@test "exim STARTTLS: --tls-cert/--tls-key: delivered; Exim verified the client certificate and logged its DN" {
	local -a cert
	mapfile -t cert < <(client_cert)
	run -0 --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" "${cert[@]}" alice@example.org
	assert_equal "$stderr" ""
	assert_exim_delivered
	assert_client_dn_logged
}

@test "exim implicit TLS: --tls-cert/--tls-key: delivered; Exim logged the client DN" {
	local -a cert
	mapfile -t cert < <(client_cert)
	run -0 --separate-stderr mailout_exim "$EXIM_TLS_PORT" --tls implicit \
		--tls-trust-file "$EXIM_CERTS/ca.pem" "${cert[@]}" alice@example.org
	assert_equal "$stderr" ""
	assert_exim_delivered
	assert_client_dn_logged
}

@test "exim STARTTLS: without --tls-cert no client certificate: CV=no, no DN logged" {
	run -0 --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" alice@example.org
	assert_exim_delivered
	local line
	line=$(exim_received_line)
	[[ $line == *" CV=no "* && $line != *" DN="* ]] ||
		fail "Exim logged a client certificate although none was given:
$line"
}

# bad_client_cert CERT KEY TEXT: exit 78, one error line that contains TEXT,
# nothing on stdout, no mail.
bad_client_cert() {
	run -78 --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" --tls-cert "$1" --tls-key "$2" alice@example.org
	assert_equal "$output" ""
	assert_equal "${#stderr_lines[@]}" 1
	[[ $stderr == "mailout: "*"$3"* ]] ||
		fail "expected one error line naming '$3', got: $stderr"
	assert_exim_no_mail
}

@test "exim: --tls-cert names a missing file -> 78, the message names it, no mail" {
	bad_client_cert "$BATS_TEST_TMPDIR/no-such-cert.pem" "$EXIM_CERTS/client.key" \
		"$BATS_TEST_TMPDIR/no-such-cert.pem"
}

@test "exim: --tls-key names a missing file -> 78, the message names it, no mail" {
	bad_client_cert "$EXIM_CERTS/client.pem" "$BATS_TEST_TMPDIR/no-such-key.pem" \
		"$BATS_TEST_TMPDIR/no-such-key.pem"
}

@test "exim: --tls-key that does not belong to --tls-cert -> 78, no mail" {
	bad_client_cert "$EXIM_CERTS/client.pem" "$EXIM_CERTS/server.key" "do not match"
}

@test "exim: --tls-cert without --tls-key -> 78, no mail" {
	run -78 --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" --tls-cert "$EXIM_CERTS/client.pem" alice@example.org
	assert_equal "${#stderr_lines[@]}" 1
	[[ $stderr == "mailout: "*"must be given together"* ]] || fail "stderr: $stderr"
	assert_exim_no_mail
}

# Exim offers AUTH EXTERNAL only to a client with a verified certificate; the
# identity is the certificate's CN.

@test "exim AUTH EXTERNAL with the client certificate: authenticated as its CN, delivered" {
	local -a cert
	mapfile -t cert < <(client_cert)
	run -0 --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" "${cert[@]}" --auth EXTERNAL -v alice@example.org
	assert_stderr_line --regexp '^C: AUTH EXTERNAL( |$)'
	assert_stderr_line --regexp '^S: 235 '
	assert_exim_delivered
	assert_client_dn_logged
	local line
	line=$(exim_received_line)
	[[ $line == *" P=esmtpsa "*" A=EXTERNAL:client.test "* ]] ||
		fail "Exim did not log an EXTERNAL authentication as client.test:
$line"
}

@test "exim AUTH EXTERNAL without a client certificate: not offered -> 77, no mail" {
	run -77 --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" --auth EXTERNAL alice@example.org
	assert_equal "$stderr" "mailout: the server does not offer AUTH EXTERNAL (it offers: PLAIN LOGIN CRAM-MD5)"
	assert_exim_nothing_received
}

# ---------------------------------------------------------------------------
# Exim: --tls-priorities

# assert_exim_received_over GLOB WHAT: Exim's line for the message has
# GLOB (its X= field: version, cipher) in it.
assert_exim_received_over() {
	local line
	line=$(exim_received_line)
	[[ $line == *$1* ]] || fail "Exim did not receive over $2:
$line"
}

# assert_exim_tls_version V: Exim received the message over TLS V (1.2, 1.3)
assert_exim_tls_version() {
	assert_exim_received_over " X=TLS$1:" "TLS$1"
}

# assert_exim_cipher AES_128_GCM:128: Exim received it with this cipher
assert_exim_cipher() {
	assert_exim_received_over "__$1 " "$1"
}

@test "exim STARTTLS: default priorities: a TLS 1.3 session with AES-128-GCM" {
	run -0 --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" -v alice@example.org
	assert_stderr_line --regexp '^-- TLS session \(TLS1\.3\)-.*-\(AES-128-GCM\)$'
	assert_exim_delivered
	assert_exim_tls_version 1.3
	assert_exim_cipher AES_128_GCM:128
}

@test "exim STARTTLS: a system default without AES-128-GCM is kept: AES-256-GCM" {
	printf '[overrides]\ndefault-priority-string = NORMAL:-AES-128-GCM\n' \
		>"$BATS_TEST_TMPDIR/gnutls.config"
	export GNUTLS_SYSTEM_PRIORITY_FILE=$BATS_TEST_TMPDIR/gnutls.config
	run -0 --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" -v alice@example.org
	assert_stderr_line --regexp '^-- TLS session \(TLS1\.3\)-.*-\(AES-256-GCM\)$'
	assert_exim_delivered
	assert_exim_cipher AES_256_GCM:256
}

@test "exim STARTTLS: --tls-priorities NORMAL: GnuTLS's own first choice, AES-256-GCM" {
	run -0 --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" --tls-priorities NORMAL \
		-v alice@example.org
	assert_stderr_line --regexp '^-- TLS session \(TLS1\.3\)-.*-\(AES-256-GCM\)$'
	assert_exim_delivered
	assert_exim_cipher AES_256_GCM:256
}

@test "exim STARTTLS: --tls-priorities NORMAL:-VERS-TLS1.3: a TLS 1.2 session" {
	run -0 --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" --tls-priorities NORMAL:-VERS-TLS1.3 \
		-v alice@example.org
	assert_stderr_line --regexp '^-- TLS session \(TLS1\.2\)-'
	assert_exim_delivered
	assert_exim_tls_version 1.2
}

@test "exim implicit TLS: --tls-priorities NORMAL:-VERS-TLS1.3: a TLS 1.2 session" {
	run -0 --separate-stderr mailout_exim "$EXIM_TLS_PORT" --tls implicit \
		--tls-trust-file "$EXIM_CERTS/ca.pem" --tls-priorities NORMAL:-VERS-TLS1.3 \
		-v alice@example.org
	assert_stderr_line --regexp '^-- TLS session \(TLS1\.2\)-'
	assert_exim_delivered
	assert_exim_tls_version 1.2
}

@test "exim: a malformed --tls-priorities -> 78 \"tls_priorities: ...\" naming the bad part, no mail" {
	run -78 --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" --tls-priorities 'NORMAL:-NO-SUCH-THING' \
		alice@example.org
	assert_equal "$output" ""
	assert_equal "${#stderr_lines[@]}" 1
	[[ $stderr == "mailout: tls_priorities: "*NO-SUCH-THING* ]] || fail "stderr: $stderr"
	assert_exim_no_mail
}

# ---------------------------------------------------------------------------
# Exim: --debug

TS='[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{3}'

# exim_transcript ARGS...: mailout (STARTTLS, test CA) with ARGS must deliver;
# prints its stderr with Exim's queue ids masked (they change every time).
exim_transcript() {
	run -0 --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" "$@" alice@example.org || return
	sed -E 's/id=[0-9A-Za-z-]+/id=QUEUEID/' <<<"$stderr"
}

@test "exim --debug=2: timestamped transcript lines, the certificate block after the TLS session" {
	local fp
	fp=$(sha256_of "$EXIM_CERTS/server.pem")
	run -0 --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" --debug=2 alice@example.org
	assert_equal "$output" ""
	assert_stderr_line --regexp "^$TS -- connected to 127\\.0\\.0\\.1 \\[127\\.0\\.0\\.1\\]:$EXIM_PORT\$"
	assert_stderr_line --regexp "^$TS S: 220 mail\\.test ESMTP Exim test server\$"
	assert_stderr_line --regexp "^$TS C: EHLO client\\.test\$"
	assert_stderr_line --regexp "^$TS C: STARTTLS\$"
	assert_stderr_line --regexp "^$TS -- TLS session \\(TLS1\\.3\\)-"
	assert_stderr_line --regexp "^$TS -- certificate verified for 127\\.0\\.0\\.1\$"
	assert_stderr_line --regexp "^$TS C: QUIT\$"
	# no transcript line without its timestamp
	local output=$stderr
	local -a lines=("${stderr_lines[@]}")
	refute_line --regexp '^(C: |S: |-- )'
	# the certificate block, between the TLS session and the EHLO over TLS
	local block
	block=$(sed -E "s/^$TS //" <<<"$stderr" |
		sed -n '/^-- TLS session /,/^C: EHLO/p')
	grep -Eq '^  subject: +CN=localhost,O=mailout tests$' <<<"$block" &&
		grep -Eq '^  issuer: +CN=mailout test CA,O=mailout tests$' <<<"$block" &&
		grep -Eq "^  SHA-256: +sha256:$fp\$" <<<"$block" ||
		fail "no certificate block (subject, issuer, SHA-256) after the TLS session:
$stderr"
	assert_exim_delivered
}

@test "exim --debug=2 without timestamps, certificate block and state trace is the -v transcript" {
	local v d2
	v=$(exim_transcript -v) || return
	d2=$(exim_transcript --debug=2) || return
	# drop the timestamps, then the certificate block (indented lines and
	# their "Title:" lines) and the session's states and stages
	d2=$(sed -E "s/^$TS //" <<<"$d2" |
		grep -Ev '^(  |[A-Z][A-Za-z -]*:$|-- (session|stage): )')
	assert_equal "$d2" "$v"
}

@test "exim --debug=2 traces the session's states and the stages by name, in order" {
	local d2 trace
	d2=$(exim_transcript --debug=2) || return
	trace=$(sed -E "s/^$TS //" <<<"$d2" | grep -E '^-- (session|stage): ' |
		tr '\n' '|')
	assert_equal "$trace" "-- session: connecting|-- session: greeting|-- stage: greeting|-- session: hello|-- stage: hello|-- session: STARTTLS|-- stage: TLS|-- session: hello after TLS|-- session: AUTH|-- stage: AUTH|-- session: ready|-- stage: MAIL|-- stage: RCPT|-- stage: DATA|-- session: closed|"
	# and without --debug=2, none of it
	d2=$(exim_transcript -v) || return
	[[ $d2 != *'-- session: '* && $d2 != *'-- stage: '* ]] ||
		fail "-v shows the state trace: $d2"
}

@test "exim --debug=1 is -v: the same transcript, no timestamps" {
	local v d1
	v=$(exim_transcript -v) || return
	d1=$(exim_transcript --debug=1) || return
	assert_equal "$d1" "$v"
	grep -q '^C: STARTTLS$' <<<"$v" || fail "no transcript from -v: $v"
}

# ---------------------------------------------------------------------------
# Scripted server (tests/server/scripted.py): the server side of STARTTLS
# uses Exim's certificates (server.pem: CN localhost, IP SAN 127.0.0.1).

# mailout_scripted ARGS...: mailout against the scripted server with
# required STARTTLS and the test CA; sets status/output/stderr, ELAPSED_MS.
mailout_scripted() {
	scripted_mailout --separate-stderr --helo client.test -f "$FROM" \
		--tls starttls --tls-trust-file "$EXIM_CERTS/ca.pem" "$@"
}

# the script line that turns on TLS on the server side
starttls_line() {
	echo "starttls $EXIM_CERTS/server.pem $EXIM_CERTS/server.key"
}

# The server's part up to the client's STARTTLS: it offers PIPELINING,
# SIZE, AUTH and STARTTLS.
before_starttls() {
	dialogue_greet PIPELINING 'SIZE 100' 'AUTH PLAIN LOGIN' STARTTLS
	echo 'expect STARTTLS'
}

# assert_nothing_after_starttls: the client's plaintext ended with its
# STARTTLS line: after it the capture holds at most TLS handshake bytes,
# no SMTP command (no QUIT, HELO, EHLO, AUTH, MAIL ...).
assert_nothing_after_starttls() {
	assert_capture_prefix_printf 'EHLO client.test\r\nSTARTTLS\r\n' || return
	local rest
	rest=$(tail -c +29 "$SERVER_CAPTURE" |
		LC_ALL=C grep -a -o -E '(QUIT|HELO|EHLO|AUTH|MAIL FROM|RCPT TO|DATA|RSET|STARTTLS)[ -~]*') || true
	if [ -n "$rest" ]; then
		_scripted_show_log
		fail "the client sent in clear after STARTTLS: $rest"
	fi
}

# assert_stderr_is LINE: stderr is exactly this one line
assert_stderr_is() {
	assert_equal "$stderr" "$1"
}

@test "scripted: after STARTTLS the client says EHLO again and uses only the post-TLS capabilities" {
	{
		before_starttls
		echo 'send 220 2.0.0 Ready to start TLS'
		starttls_line
		dialogue_ehlo 8BITMIME STARTTLS
		dialogue_tail
	} >"$BATS_TEST_TMPDIR/script.in"
	scripted_start <"$BATS_TEST_TMPDIR/script.in"
	mailout_scripted -v rcpt@example.com
	assert_success
	assert_stderr_line --regexp '^-- TLS session \(TLS1\.3\)-'
	assert_stderr_line '-- certificate verified for 127.0.0.1'
	# the pre-TLS SIZE 100 (the message is bigger) and AUTH are forgotten,
	# STARTTLS is not repeated: exactly this dialogue
	{
		printf 'EHLO client.test\r\nSTARTTLS\r\nEHLO client.test\r\n'
		wire | dialogue_tail_sent -
	} >"$BATS_TEST_TMPDIR/expected"
	assert_capture "$BATS_TEST_TMPDIR/expected"
	grep -q -- '-- .*TLS handshake done: TLSv1.3' "$SERVER_LOG" ||
		fail "the server log shows no TLS handshake"
}

@test "scripted: AUTH offered only before TLS and gone after it: exit 77, no credentials sent" {
	printf 'pw-that-must-not-leak\n' >"$BATS_TEST_TMPDIR/pw"
	{
		before_starttls
		echo 'send 220 2.0.0 Ready to start TLS'
		starttls_line
		dialogue_ehlo 8BITMIME
	} >"$BATS_TEST_TMPDIR/script.in"
	scripted_start <"$BATS_TEST_TMPDIR/script.in"
	mailout_scripted -v --user alice --password-command "cat $BATS_TEST_TMPDIR/pw" \
		rcpt@example.com
	[ "$status" -eq 77 ] || fail "expected exit 77, got $status: $stderr"
	assert_stderr_line 'mailout: authentication is required but the server offers no AUTH'
	# the pre-TLS "AUTH PLAIN LOGIN" is forgotten: no AUTH, no MAIL
	assert_capture_printf --allow-quit 'EHLO client.test\r\nSTARTTLS\r\nEHLO client.test\r\n'
	refute_output --partial 'pw-that-must-not-leak'
	[[ $stderr != *pw-that-must-not-leak* ]] || fail "the password is in stderr"
}

@test "scripted: implicit TLS: greeting and EHLO over TLS, no STARTTLS inside TLS" {
	{
		starttls_line
		dialogue_greet STARTTLS
		dialogue_tail
	} >"$BATS_TEST_TMPDIR/script.in"
	scripted_start <"$BATS_TEST_TMPDIR/script.in"
	mailout_scripted --tls implicit rcpt@example.com
	assert_success
	assert_capture_prefix_printf 'EHLO client.test\r\nMAIL FROM:<sender@example.org>\r\n'
}

@test "scripted: EHLO refused after TLS: exit 69, no HELO" {
	{
		before_starttls
		echo 'send 220 2.0.0 go'
		starttls_line
		echo 'expect EHLO client\.test'
		echo 'send 502 5.5.2 not now'
		echo 'expect-eof 5'
	} >"$BATS_TEST_TMPDIR/script.in"
	scripted_start <"$BATS_TEST_TMPDIR/script.in"
	mailout_scripted rcpt@example.com
	assert_failure 69
	assert_capture_printf --allow-quit 'EHLO client.test\r\nSTARTTLS\r\nEHLO client.test\r\n'
}

# -- response injection: bytes after the 220, before the handshake -> 76

# injection SENDRAW-ARG: the server answers STARTTLS with these bytes
injection() {
	{
		before_starttls
		echo "sendraw $1"
		echo 'expect-eof 5'
	} >"$BATS_TEST_TMPDIR/script.in"
	scripted_start <"$BATS_TEST_TMPDIR/script.in"
	mailout_scripted rcpt@example.com
	assert_failure 76
	assert_stderr_is "mailout: response injection: the server sent data after its STARTTLS reply, before the handshake"
	# not even a QUIT: the server is owed a TLS handshake, not plaintext
	assert_capture_printf 'EHLO client.test\r\nSTARTTLS\r\n'
}

@test "scripted injection: a reply pipelined after the 220 (with CRLF) -> 76, nothing sent after STARTTLS" {
	injection '220 2.0.0 go\r\n250 injected\r\n'
}

@test "scripted injection: bytes without a trailing CRLF after the 220 -> 76, nothing sent after STARTTLS" {
	injection '220 2.0.0 go\r\n250 injected'
}

@test "scripted injection: fake capabilities after the 220 -> 76, nothing sent after STARTTLS" {
	injection '220 2.0.0 go\r\n250-server.test\r\n250-AUTH PLAIN LOGIN\r\n250 PIPELINING\r\n'
}

@test "scripted injection: one stray byte after the 220 -> 76" {
	injection '220 2.0.0 go\r\nX'
}

@test "scripted injection: bytes just after the 220, in their own segment -> fails, nothing in clear after STARTTLS" {
	{
		before_starttls
		echo 'send 220 2.0.0 go'
		printf '%s\n' 'sendraw 250 injected\r\n'
		echo 'expect-eof 5'
	} >"$BATS_TEST_TMPDIR/script.in"
	scripted_start <"$BATS_TEST_TMPDIR/script.in"
	mailout_scripted rcpt@example.com
	# 76 when both arrived before the handshake, else the handshake fails
	[[ $status == 69 || $status == 76 ]] ||
		fail "exit status $status, expected 69 or 76 (stderr: $stderr)"
	assert_nothing_after_starttls
}

# -- stripping: required TLS not to be had -> 69 before MAIL/AUTH/HELO

@test "scripted stripping: STARTTLS not advertised -> 69, only EHLO sent" {
	scripted_start < <(
		dialogue_greet PIPELINING 'AUTH PLAIN LOGIN'
		echo 'expect-eof 5'
	)
	mailout_scripted rcpt@example.com
	assert_failure 69
	assert_stderr_is "mailout: TLS is required but the server does not offer STARTTLS"
	assert_capture_printf --allow-quit 'EHLO client.test\r\n'
}

# refused REPLY: the server answers STARTTLS with REPLY (and stays plaintext)
refused() {
	{
		before_starttls
		echo "send $1"
		echo 'expect-eof 5'
	} >"$BATS_TEST_TMPDIR/script.in"
	scripted_start <"$BATS_TEST_TMPDIR/script.in"
	mailout_scripted rcpt@example.com
	assert_failure 69
	assert_stderr_is "mailout: TLS is required but the server refused STARTTLS: $1"
	assert_capture_printf --allow-quit 'EHLO client.test\r\nSTARTTLS\r\n'
}

@test "scripted stripping: STARTTLS answered 454 -> 69, no MAIL/AUTH" {
	refused '454 4.7.0 TLS not available due to local problem'
}

@test "scripted stripping: STARTTLS answered 502 -> 69, no MAIL/AUTH" {
	refused '502 5.5.1 Command not implemented'
}

@test "scripted stripping: STARTTLS answered with an odd 2xx (250) -> 69" {
	refused '250 2.0.0 Ok'
}

@test "scripted stripping: STARTTLS answered with an odd 5xx (554) -> 69" {
	refused '554 5.7.0 no'
}

@test "scripted: STARTTLS answered 421 -> 75, nothing more" {
	{
		before_starttls
		echo 'send 421 4.3.2 Service shutting down'
		echo 'expect-eof 5'
	} >"$BATS_TEST_TMPDIR/script.in"
	scripted_start <"$BATS_TEST_TMPDIR/script.in"
	mailout_scripted --no-queue rcpt@example.com
	assert_failure 75
	assert_capture_printf --allow-quit 'EHLO client.test\r\nSTARTTLS\r\n'
}

@test "scripted stripping: HELO-only server (EHLO 502) while TLS is required -> 69, no HELO" {
	scripted_start <<'EOF'
send 220 server.test SMTP
expect EHLO client\.test
send 502 5.5.2 Error: command not recognized
expect-eof 5
EOF
	mailout_scripted rcpt@example.com
	assert_failure 69
	assert_capture_printf --allow-quit 'EHLO client.test\r\n'
}

@test "scripted stripping: 220 to STARTTLS, then the server closes -> 69, nothing in clear after" {
	{
		before_starttls
		echo 'send 220 2.0.0 go'
		echo 'close'
	} >"$BATS_TEST_TMPDIR/script.in"
	scripted_start <"$BATS_TEST_TMPDIR/script.in"
	mailout_scripted rcpt@example.com
	assert_failure 69
	[[ $stderr == "mailout: TLS handshake failed"* ]] || fail "stderr: $stderr"
	assert_nothing_after_starttls
}

# (waits for --timeout: make check-quick leaves it out)
# bats test_tags=slow
@test "scripted: handshake silence past --timeout -> 75 in bounded time" {
	{
		before_starttls
		echo 'send 220 2.0.0 go'
		echo 'sleep 1.8'
	} >"$BATS_TEST_TMPDIR/script.in"
	scripted_start <"$BATS_TEST_TMPDIR/script.in"
	mailout_scripted --timeout 1 --no-queue rcpt@example.com
	assert_failure 75
	[ "$ELAPSED_MS" -lt 2800 ] || fail "mailout took $ELAPSED_MS ms with --timeout 1"
	assert_nothing_after_starttls
}
