#!/usr/bin/env bats
# SMTP AUTH (issue 5, SPEC §5).
#
# Scripted server (tests/server/scripted.py, 127.0.0.1, --tls off, where plain
# AUTH is allowed because the peer is loopback): known-answer tests for every
# mechanism with the exact client lines asserted (RFC 2195 CRAM-MD5, RFC 5802
# SCRAM-SHA-1 and RFC 7677 SCRAM-SHA-256 examples replayed byte for byte with
# MAILOUT_TEST_SCRAM_NONCE), mechanism selection, failure codes, malformed
# and endless challenges, password_command, secrets never shown by -v.
#
# Real Exim (tests/servers/exim.sh: AUTH PLAIN LOGIN CRAM-MD5, alice /
# secret-pw): PLAIN, LOGIN and CRAM-MD5 over STARTTLS; a wrong password.
#
# Secrets always come from --password-command "cat FILE" so that they are on
# no command line: a secret found in mailout's output was printed by mailout.

bats_require_minimum_version 1.5.0
load helpers

exim_suite

setup() {
	# the tests named "exim ..." use the suite's Exim
	if [[ $BATS_TEST_DESCRIPTION == exim* ]]; then exim_test_setup; fi
	write_message auth
	PWFILE=$BATS_TEST_TMPDIR/secret
	PWCMD="cat $PWFILE"
}

teardown() {
	scripted_teardown
}

FROM=sender@example.org
MESSAGE_TO='<rcpt@example.com>'
MESSAGE_BODY=("Hello after AUTH.")
DIALOGUE_RCPTS=(rcpt@example.com)

###########################################################################
# Helpers

# b64 FORMAT [ARG...]: the base64 (one line, no newline) of printf's bytes.
b64() {
	# shellcheck disable=SC2059
	printf -- "$@" | base64 -w0
}

# set_secret VALUE: what --password-command "$PWCMD" prints (and SECRET).
set_secret() {
	SECRET=$1
	printf '%s\n' "$1" >"$PWFILE"
}

# mailout_run ARGS...: mailout against the scripted server, one recipient,
# bounded in time; `run --separate-stderr` (stdout in $output).
mailout_run() {
	scripted_mailout --separate-stderr --tls off --timeout 10 \
		--helo client.test -f "$FROM" "$@" rcpt@example.com
}

# assert_delivered_after LINE...: the client sent EHLO, exactly LINEs (the
# AUTH dialogue), then the whole transaction and QUIT.
assert_delivered_after() {
	{
		printf '%s\r\n' "EHLO client.test" "$@"
		wire | dialogue_tail_sent -
	} >"$BATS_TEST_TMPDIR/expected"
	assert_capture "$BATS_TEST_TMPDIR/expected"
}

# assert_stopped_after LINE...: the client sent EHLO and exactly LINEs, then
# nothing but (perhaps) QUIT: no MAIL FROM.
assert_stopped_after() {
	assert_capture_printf --allow-quit '%s\r\n' "EHLO client.test" "$@"
}

# refute_shown STRING...: no STRING appears on stdout or stderr.
refute_shown() {
	local s
	for s in "$@"; do
		[ -n "$s" ] || continue
		if [[ "$output$stderr" == *"$s"* ]]; then
			fail "a secret ('$s') was shown:
--- stdout:
$output
--- stderr:
$stderr"
			return 1
		fi
	done
}

# the single error line of a failed run
assert_error() {
	assert_stderr_line "mailout: $1"
}

###########################################################################
# Known answers: the exact client lines for each mechanism

@test "PLAIN: AUTH PLAIN with the initial response \\0user\\0password, then the mail" {
	set_secret secret-pw
	scripted_start < <(
		dialogue_greet "AUTH PLAIN"
		echo 'expect AUTH PLAIN AGFsaWNlAHNlY3JldC1wdw=='
		echo 'send 235 2.7.0 Authentication successful'
		dialogue_tail
	)
	mailout_run --user alice --password-command "$PWCMD"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$output" ""
	assert_delivered_after "AUTH PLAIN AGFsaWNlAHNlY3JldC1wdw=="
}

@test "LOGIN: user and password answer the Username:/Password: prompts" {
	set_secret secret-pw
	scripted_start < <(
		dialogue_greet "AUTH LOGIN"
		echo 'expect AUTH LOGIN'
		echo 'send 334 VXNlcm5hbWU6'
		echo 'readline'
		echo 'send 334 UGFzc3dvcmQ6'
		echo 'readline'
		echo 'send 235 2.7.0 Authentication successful'
		dialogue_tail
	)
	mailout_run --user alice --auth LOGIN --password-command "$PWCMD"
	assert_success
	assert_equal "$stderr" ""
	assert_delivered_after "AUTH LOGIN" "YWxpY2U=" "c2VjcmV0LXB3"
}

@test "CRAM-MD5: RFC 2195 example (tim / tanstaaftanstaaf)" {
	set_secret tanstaaftanstaaf
	scripted_start < <(
		dialogue_greet "AUTH CRAM-MD5"
		echo 'expect AUTH CRAM-MD5'
		# <1896.697170952@postoffice.reston.mci.net>
		echo 'send 334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+'
		echo 'readline'
		echo 'send 235 2.7.0 Authentication successful'
		dialogue_tail
	)
	mailout_run --user tim --auth CRAM-MD5 --password-command "$PWCMD"
	assert_success
	assert_equal "$stderr" ""
	# RFC 2195: "tim b913a602c7eda7a495b4e6e7334d3890"
	assert_equal "$(b64 'tim b913a602c7eda7a495b4e6e7334d3890')" \
		dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw
	assert_delivered_after "AUTH CRAM-MD5" "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"
}

# The RFC 5802 section 5 example (user "user", password "pencil").
SCRAM1_NONCE='fyko+d2lbbFgONRv9qkxdawL'
SCRAM1_CLIENT_FIRST='n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL'
# shellcheck disable=SC2034
SCRAM1_SERVER_FIRST='r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096'
SCRAM1_CLIENT_FINAL='c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts='
SCRAM1_SERVER_FINAL='v=rmF9pqV8S7suAoZWja4dJRkFsKQ='

# The RFC 7677 section 3 example (user "user", password "pencil").
# (SCRAM*_SERVER_FIRST are used by scram_script through ${!name}; the
# single quotes keep the "$" of the RFC's nonce.)
SCRAM256_NONCE='rOprNGfwEbeRWgbNEkqO'
SCRAM256_CLIENT_FIRST='n,,n=user,r=rOprNGfwEbeRWgbNEkqO'
# shellcheck disable=SC2016,SC2034
SCRAM256_SERVER_FIRST='r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'
# shellcheck disable=SC2016
SCRAM256_CLIENT_FINAL='c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='
SCRAM256_SERVER_FINAL='v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='

# scram_script MECH VECTOR SERVER-FINAL-LINE...: greeting, EHLO offering
# MECH, the AUTH command, the RFC's server-first; after the client-final the
# SERVER-FINAL-LINEs (script lines).
scram_script() {
	local mech=$1 v=$2 first
	shift 2
	first=${v}_SERVER_FIRST
	dialogue_greet "AUTH $mech"
	echo "expect AUTH $mech .*"
	echo "send 334 $(b64 '%s' "${!first}")"
	echo 'readline'
	printf '%s\n' "$@"
}

# scram_replayed MECH VECTOR [ARG...]: the RFC example VECTOR (SCRAM1,
# SCRAM256) end to end: the server sends its first and final messages, 235
# and takes the mail; mailout (with ARGs) succeeds, having sent exactly the
# client-first, the client-final and an empty answer to the server-final,
# then the transaction.
scram_replayed() {
	local mech=$1 v=$2 nonce first fin server_final
	shift 2
	nonce=${v}_NONCE first=${v}_CLIENT_FIRST fin=${v}_CLIENT_FINAL
	server_final=${v}_SERVER_FINAL
	set_secret pencil
	scripted_start < <(
		scram_script "$mech" "$v" "send 334 $(b64 '%s' "${!server_final}")" \
			'readline' 'send 235 2.7.0 Authentication successful'
		dialogue_tail
	)
	MAILOUT_TEST_SCRAM_NONCE=${!nonce} \
		mailout_run --user user --password-command "$PWCMD" "$@"
	assert_success
	assert_delivered_after "AUTH $mech $(b64 '%s' "${!first}")" \
		"$(b64 '%s' "${!fin}")" ""
}

@test "SCRAM-SHA-1: RFC 5802 example replayed byte for byte, server signature verified" {
	scram_replayed SCRAM-SHA-1 SCRAM1 --auth SCRAM-SHA-1
	assert_equal "$stderr" ""
}

@test "SCRAM-SHA-256: RFC 7677 example replayed byte for byte, server signature verified" {
	scram_replayed SCRAM-SHA-256 SCRAM256 --auth SCRAM-SHA-256
	assert_equal "$stderr" ""
}

@test "SCRAM: ',' and '=' in the user name are sent as =2C and =3D (RFC 5802 5.1)" {
	set_secret pencil
	scripted_start < <(
		dialogue_greet "AUTH SCRAM-SHA-256"
		echo 'readline'
		echo 'send 535 5.7.8 no'
	)
	MAILOUT_TEST_SCRAM_NONCE=$SCRAM256_NONCE \
		mailout_run --user 'a,b=c' --password-command "$PWCMD"
	assert_failure 77
	assert_stopped_after "AUTH SCRAM-SHA-256 $(b64 'n,,n=a=2Cb=3Dc,r=%s' "$SCRAM256_NONCE")"
}

@test "SCRAM without MAILOUT_TEST_SCRAM_NONCE: a fresh random nonce each time" {
	set_secret pencil
	local i nonces=()
	for i in 1 2; do
		scripted_start < <(
			dialogue_greet "AUTH SCRAM-SHA-1"
			echo 'readline'
			echo 'send 535 5.7.8 no'
		)
		mailout_run --user user --password-command "$PWCMD"
		assert_failure 77
		scripted_wait
		local line
		line=$(head -n 2 "$SERVER_CAPTURE" | tail -n 1 | tr -d '\r')
		[[ $line == "AUTH SCRAM-SHA-1 "* ]] || fail "not a SCRAM AUTH line: $line"
		nonces+=("$(printf '%s' "${line#AUTH SCRAM-SHA-1 }" | base64 -d)")
	done
	# RFC 5802: printable = %x21-2B / %x2D-7E (no comma)
	for i in 0 1; do
		[[ ${nonces[i]} =~ ^n,,n=user,r=([^,[:space:][:cntrl:]]{16,})$ ]] ||
			fail "client-first ${nonces[i]} is not n,,n=user,r=<printable nonce of 16+ chars>"
	done
	[ "${nonces[0]}" != "${nonces[1]}" ] || fail "the same nonce twice: ${nonces[0]}"
}

@test "XOAUTH2: user=U^Aauth=Bearer TOKEN^A^A with the token from --password-command" {
	set_secret ya29.a0AfH6SMBx-token_from.the-command
	local ir
	ir=$(b64 'user=alice@gmail.com\x01auth=Bearer %s\x01\x01' "$SECRET")
	scripted_start < <(
		dialogue_greet "AUTH LOGIN PLAIN XOAUTH2"
		echo "expect AUTH XOAUTH2 $ir"
		echo 'send 235 2.7.0 Accepted'
		dialogue_tail
	)
	mailout_run --user alice@gmail.com --auth XOAUTH2 --password-command "$PWCMD"
	assert_success
	assert_equal "$stderr" ""
	assert_delivered_after "AUTH XOAUTH2 $ir"
}

@test "XOAUTH2: a 334 JSON error is answered with an empty line, then 535 -> 77" {
	set_secret expired-token
	local ir err
	ir=$(b64 'user=alice@gmail.com\x01auth=Bearer %s\x01\x01' "$SECRET")
	err=$(b64 '{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}')
	scripted_start < <(
		dialogue_greet "AUTH XOAUTH2"
		echo 'readline'
		echo "send 334 $err"
		echo 'readline'
		echo 'send 535-5.7.8 Username and Password not accepted.'
		echo 'send 535 5.7.8 Learn more'
	)
	mailout_run --user alice@gmail.com --auth XOAUTH2 --password-command "$PWCMD"
	assert_failure 77
	assert_stderr_line --regexp '^mailout: authentication failed \(AUTH XOAUTH2\): 535.*Username and Password not accepted'
	assert_stopped_after "AUTH XOAUTH2 $ir" ""
}

@test "OAUTHBEARER: n,a=U,^Ahost=H^Aport=P^Aauth=Bearer TOKEN^A^A (RFC 7628)" {
	set_secret vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==
	local ir
	scripted_start < <(
		dialogue_greet "AUTH OAUTHBEARER"
		echo 'readline'
		echo 'send 235 2.7.0 Accepted'
		dialogue_tail
	)
	ir=$(b64 'n,a=user@example.com,\x01host=127.0.0.1\x01port=%s\x01auth=Bearer %s\x01\x01' \
		"$SERVER_PORT" "$SECRET")
	mailout_run --user user@example.com --auth OAUTHBEARER --password-command "$PWCMD"
	assert_success
	assert_equal "$stderr" ""
	assert_delivered_after "AUTH OAUTHBEARER $ir"
}

@test "OAUTHBEARER: a 334 error is acknowledged with AQ== (^A), then 535 -> 77" {
	set_secret bad-token
	local ir err
	err=$(b64 '{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}')
	scripted_start < <(
		dialogue_greet "AUTH OAUTHBEARER"
		echo 'readline'
		echo "send 334 $err"
		echo 'readline'
		echo 'send 535 5.7.8 invalid token'
	)
	ir=$(b64 'n,a=user@example.com,\x01host=127.0.0.1\x01port=%s\x01auth=Bearer %s\x01\x01' \
		"$SERVER_PORT" "$SECRET")
	mailout_run --user user@example.com --auth OAUTHBEARER --password-command "$PWCMD"
	assert_failure 77
	assert_error "authentication failed (AUTH OAUTHBEARER): 535 5.7.8 invalid token"
	assert_stopped_after "AUTH OAUTHBEARER $ir" "AQ=="
}

@test "OAUTHBEARER: ',' and '=' in the authzid are sent as =2C and =3D (RFC 5801 gs2-header)" {
	set_secret tok
	local ir
	scripted_start < <(
		dialogue_greet "AUTH OAUTHBEARER"
		echo 'readline'
		echo 'send 535 5.7.8 no'
	)
	ir=$(b64 'n,a=a=2Cb=3Dc,\x01host=127.0.0.1\x01port=%s\x01auth=Bearer tok\x01\x01' "$SERVER_PORT")
	mailout_run --user 'a,b=c' --auth OAUTHBEARER --password-command "$PWCMD"
	assert_failure 77
	assert_stopped_after "AUTH OAUTHBEARER $ir"
}

@test "EXTERNAL: AUTH EXTERNAL = (empty initial response), no --user or password needed" {
	scripted_start < <(
		dialogue_greet "AUTH PLAIN EXTERNAL"
		echo 'expect AUTH EXTERNAL ='
		echo 'send 235 2.7.0 Authentication successful'
		dialogue_tail
	)
	mailout_run --auth EXTERNAL
	assert_success
	assert_equal "$stderr" ""
	assert_delivered_after "AUTH EXTERNAL ="
}

@test "--auth off with --user: no AUTH even though it is offered" {
	set_secret secret-pw
	scripted_start < <(
		dialogue_greet "AUTH PLAIN LOGIN"
		dialogue_tail
	)
	mailout_run --auth off --user alice --password-command "$PWCMD"
	assert_success
	assert_delivered_after
}

@test "without --user and --auth: no AUTH even though it is offered" {
	scripted_start < <(
		dialogue_greet "AUTH PLAIN LOGIN"
		dialogue_tail
	)
	mailout_run
	assert_success
	assert_delivered_after
}

###########################################################################
# Mechanism selection

# picks OFFERED MECH [ARGS...]: with AUTH OFFERED advertised, mailout (user
# alice, ARGS) starts AUTH MECH; the server then refuses it (535 -> 77).
picks() {
	local offered=$1 mech=$2
	shift 2
	set_secret secret-pw
	scripted_start < <(
		dialogue_greet "AUTH $offered"
		echo "expect AUTH ${mech}( .*)?"
		echo 'send 535 5.7.8 no thanks'
	)
	mailout_run --user alice --password-command "$PWCMD" "$@"
	assert_failure 77 || fail "offered: AUTH $offered, args: $*"
	assert_error "authentication failed (AUTH $mech): 535 5.7.8 no thanks" ||
		fail "offered: AUTH $offered, args: $*"
	scripted_wait || fail "offered: AUTH $offered, args: $*, expected AUTH $mech"
	refute grep -q '^MAIL' "$SERVER_CAPTURE"
}

@test "selection with --user: SCRAM-SHA-256 > SCRAM-SHA-1 > CRAM-MD5 > PLAIN > LOGIN" {
	picks "LOGIN PLAIN" PLAIN
	picks "LOGIN" LOGIN
	picks "PLAIN LOGIN CRAM-MD5" CRAM-MD5
	picks "CRAM-MD5 PLAIN SCRAM-SHA-1" SCRAM-SHA-1
	picks "LOGIN SCRAM-SHA-1 SCRAM-SHA-256 CRAM-MD5 PLAIN" SCRAM-SHA-256
	# --auth on is the default with --user; saying it changes nothing
	picks "PLAIN CRAM-MD5 LOGIN" CRAM-MD5 --auth on
}

@test "selection: unknown ones skipped, OAuth/EXTERNAL only when named, names case-insensitive" {
	picks "GSSAPI NTLM SCRAM-SHA-256-PLUS PLAIN" PLAIN
	picks "XOAUTH2 OAUTHBEARER EXTERNAL LOGIN" LOGIN
	picks "plain login" PLAIN
}

@test "selection: --auth MECH is used although stronger ones are offered; case-insensitive" {
	picks "SCRAM-SHA-256 CRAM-MD5 PLAIN LOGIN" LOGIN --auth LOGIN
	picks "SCRAM-SHA-256 PLAIN CRAM-MD5" CRAM-MD5 --auth cram-md5
	picks "SCRAM-SHA-256 SCRAM-SHA-1" SCRAM-SHA-1 --auth SCRAM-SHA-1
}

@test "selection: old-style AUTH=LOGIN PLAIN alone is understood" {
	set_secret secret-pw
	scripted_start < <(
		dialogue_greet 'AUTH=LOGIN PLAIN'
		echo 'expect AUTH PLAIN AGFsaWNlAHNlY3JldC1wdw=='
		echo 'send 535 5.7.8 no thanks'
	)
	mailout_run --user alice --password-command "$PWCMD"
	assert_failure 77
	assert_error "authentication failed (AUTH PLAIN): 535 5.7.8 no thanks"
	assert_stopped_after "AUTH PLAIN AGFsaWNlAHNlY3JldC1wdw=="
}

@test "only GSSAPI NTLM offered: 77, names what the server offers, nothing sent" {
	set_secret secret-pw
	scripted_start < <(dialogue_greet "AUTH GSSAPI NTLM")
	mailout_run --user alice --password-command "$PWCMD"
	assert_failure 77
	assert_error "no usable AUTH mechanism (the server offers: GSSAPI NTLM)"
	assert_stopped_after
}

@test "only XOAUTH2 offered and --auth on: 77 (OAuth only when named)" {
	set_secret secret-pw
	scripted_start < <(dialogue_greet "AUTH XOAUTH2 OAUTHBEARER")
	mailout_run --user alice --auth on --password-command "$PWCMD"
	assert_failure 77
	assert_error "no usable AUTH mechanism (the server offers: XOAUTH2 OAUTHBEARER)"
	assert_stopped_after
}

@test "--auth CRAM-MD5 not offered: 77, names what is offered, nothing sent" {
	set_secret secret-pw
	scripted_start < <(dialogue_greet "AUTH PLAIN LOGIN")
	mailout_run --user alice --auth CRAM-MD5 --password-command "$PWCMD"
	assert_failure 77
	assert_stderr_line --regexp '^mailout: .*CRAM-MD5.*PLAIN LOGIN'
	assert_stopped_after
}

@test "AUTH not advertised at all: 77 'offers no AUTH', no MAIL" {
	set_secret secret-pw
	scripted_start < <(dialogue_greet)
	mailout_run --user alice --password-command "$PWCMD"
	assert_failure 77
	assert_stderr_line --partial "offers no AUTH"
	assert_stopped_after
}

@test "AUTH required and EHLO refused: no HELO fallback, 77 (AUTH impossible), no MAIL" {
	set_secret secret-pw
	scripted_start <<'EOF'
send 220 server.test ESMTP
expect EHLO client\.test
send 502 5.5.2 Error: command not recognized
EOF
	# --tls off: nothing about TLS is required here, AUTH is
	mailout_run --user alice --password-command "$PWCMD"
	assert_failure 77
	assert_stderr_line --regexp '^mailout: .*AUTH'
	refute_stderr_line --partial "TLS"
	assert_stopped_after
}

###########################################################################
# Usage errors

@test "usage: --auth on / --auth PLAIN without --user, unknown --auth -> 64, no connection" {
	scripted_start < <(dialogue_greet "AUTH PLAIN")
	mailout_run --auth on
	assert_failure 64
	assert_stderr_line --partial -- "--user"
	mailout_run --auth PLAIN --password-command 'echo x'
	assert_failure 64
	assert_stderr_line --partial -- "--user"
	mailout_run --auth BOGUS-MECH --user alice --password-command 'echo x'
	assert_failure 64
	assert_stderr_line --partial "BOGUS-MECH"
	assert_no_connection
}

@test "--user without a password source -> 77, no AUTH sent" {
	scripted_start < <(dialogue_greet "AUTH PLAIN")
	mailout_run --user alice
	assert_failure 77
	scripted_reap
	refute grep -Eq '^(AUTH|MAIL)' "$SERVER_CAPTURE"
}

###########################################################################
# Failure replies

# auth_refused CODE-LINE EXIT: PLAIN answered with CODE-LINE -> EXIT, the
# reply shown, nothing sent after the AUTH command but QUIT.
auth_refused() {
	local reply=$1 want=$2
	set_secret secret-pw
	scripted_start < <(
		dialogue_greet "AUTH PLAIN"
		echo 'expect AUTH PLAIN AGFsaWNlAHNlY3JldC1wdw=='
		echo "send $reply"
	)
	mailout_run --user alice --password-command "$PWCMD" --no-queue
	assert_failure "$want"
	assert_stopped_after "AUTH PLAIN AGFsaWNlAHNlY3JldC1wdw=="
}

@test "535 -> 77, the reply shown, no MAIL FROM" {
	auth_refused "535 5.7.8 Authentication credentials invalid" 77
	assert_error "authentication failed (AUTH PLAIN): 535 5.7.8 Authentication credentials invalid"
}

@test "534, 538 and 530 -> 77, the reply shown, no MAIL FROM" {
	local reply
	for reply in "534 5.7.9 Authentication mechanism is too weak" \
		"538 5.7.11 Encryption required for requested authentication mechanism" \
		"530 5.7.0 Authentication required"; do
		auth_refused "$reply" 77
		assert_error "authentication failed (AUTH PLAIN): $reply"
	done
}

@test "454 (temporary failure) -> 75, the reply shown, no MAIL FROM" {
	auth_refused "454 4.7.0 Temporary authentication failure" 75
	assert_stderr_line --partial "454 4.7.0 Temporary authentication failure"
}

@test "a multi-line 535 is shown and -> 77" {
	auth_refused $'535-5.7.8 Username and Password not accepted.\nsend 535 5.7.8 See https://support.example/auth' 77
	assert_stderr_line --regexp '^mailout: authentication failed \(AUTH PLAIN\): 535.*Username and Password not accepted'
}

###########################################################################
# Malformed and endless challenges

@test "garbage base64 challenge (LOGIN): the client cancels with *, 77" {
	set_secret secret-pw
	scripted_start < <(
		dialogue_greet "AUTH LOGIN"
		echo 'expect AUTH LOGIN'
		echo 'send 334 !!not*base64@@'
		echo 'expect \*'
		echo 'send 501 5.7.0 Authentication cancelled'
	)
	mailout_run --user alice --password-command "$PWCMD"
	assert_failure 77
	assert_stderr_line --regexp '^mailout: .*base64'
	assert_stopped_after "AUTH LOGIN" "*"
	refute_shown "$SECRET" "$(b64 '%s' "$SECRET")"
}

@test "garbage base64 challenge (CRAM-MD5): the client cancels with *, 77" {
	set_secret secret-pw
	scripted_start < <(
		dialogue_greet "AUTH CRAM-MD5"
		echo 'expect AUTH CRAM-MD5'
		echo 'send 334 <1896.697170952@postoffice.reston.mci.net>'
		echo 'expect \*'
		echo 'send 501 5.7.0 Authentication cancelled'
	)
	mailout_run --user alice --password-command "$PWCMD"
	assert_failure 77
	assert_stopped_after "AUTH CRAM-MD5" "*"
}

# scram_first_refused SERVER-FIRST: SCRAM-SHA-256 where the server answers
# the client-first with SERVER-FIRST (the 334 line's text): the client
# cancels with *, 77, having sent nothing else.
scram_first_refused() {
	set_secret pencil
	scripted_start < <(
		dialogue_greet "AUTH SCRAM-SHA-256"
		echo 'readline'
		echo "send 334 $1"
		echo 'expect \*'
		echo 'send 501 5.7.0 Authentication cancelled'
	)
	MAILOUT_TEST_SCRAM_NONCE=$SCRAM256_NONCE \
		mailout_run --user user --password-command "$PWCMD"
	assert_failure 77
	assert_stopped_after "AUTH SCRAM-SHA-256 $(b64 '%s' "$SCRAM256_CLIENT_FIRST")" "*"
}

@test "garbage base64 SCRAM server-first: the client cancels with *, 77" {
	scram_first_refused 'r=not-base64,s=%%%,i=4096'
}

@test "SCRAM server-first whose nonce does not extend ours: *, 77" {
	scram_first_refused "$(b64 'r=SomebodyElsesNonce%%hvYDpWUa2RaTCAfuxFIlj,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')"
}

# scram_final_refused MECH VECTOR SERVER-FINAL [ARG...]: the RFC example
# VECTOR (SCRAM1, SCRAM256) up to the client-final, which the server answers
# with SERVER-FINAL (base64-encoded here): mailout (with ARGs) cancels with
# *, 77, having sent its client-first, its client-final and * only.
scram_final_refused() {
	local mech=$1 v=$2 final=$3 nonce first fin
	shift 3
	nonce=${v}_NONCE first=${v}_CLIENT_FIRST fin=${v}_CLIENT_FINAL
	set_secret pencil
	scripted_start < <(
		scram_script "$mech" "$v" "send 334 $(b64 '%s' "$final")" \
			'expect \*' 'send 501 5.7.0 Authentication cancelled'
	)
	MAILOUT_TEST_SCRAM_NONCE=${!nonce} \
		mailout_run --user user --password-command "$PWCMD" "$@"
	assert_failure 77
	assert_stopped_after "AUTH $mech $(b64 '%s' "${!first}")" \
		"$(b64 '%s' "${!fin}")" "*"
}

@test "SCRAM-SHA-256: wrong server signature -> *, 77 'wrong server signature', no MAIL" {
	# RFC 7677's v= with its first byte changed: well-formed, 32 bytes, wrong
	scram_final_refused SCRAM-SHA-256 SCRAM256 \
		'v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='
	assert_stderr_line --partial "wrong server signature"
}

@test "SCRAM-SHA-1: wrong server signature (the SHA-256 one) -> *, 77, no MAIL" {
	scram_final_refused SCRAM-SHA-1 SCRAM1 'v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=' \
		--auth SCRAM-SHA-1
}

@test "SCRAM-SHA-256: 235 without a server-final (server never proved itself) -> 77, no MAIL" {
	set_secret pencil
	scripted_start < <(
		scram_script SCRAM-SHA-256 SCRAM256 \
			'send 235 2.7.0 Authentication successful'
	)
	MAILOUT_TEST_SCRAM_NONCE=$SCRAM256_NONCE \
		mailout_run --user user --password-command "$PWCMD"
	assert_failure 77
	assert_stopped_after \
		"AUTH SCRAM-SHA-256 $(b64 '%s' "$SCRAM256_CLIENT_FIRST")" \
		"$(b64 '%s' "$SCRAM256_CLIENT_FINAL")"
}

@test "SCRAM-SHA-256: server-final e=invalid-proof -> *, 77, no MAIL" {
	scram_final_refused SCRAM-SHA-256 SCRAM256 'e=invalid-proof'
	assert_stderr_line --partial "invalid-proof"
}

# endless_334 MECH [--auth ...] PRELUDE-LINE...: after the AUTH command (and
# PRELUDE, script lines for a mechanism's legitimate steps) the server keeps
# sending "334 eA==" (x) and reading the answer, 12 times.  The client must
# give up with "*" after at most 8 answers in all, send no MAIL, exit 77.
endless_334() {
	local mech=$1 i
	shift
	set_secret pencil
	scripted_start < <(
		dialogue_greet "AUTH $mech"
		echo "expect AUTH $mech( .*)?"
		printf '%s\n' "$@"
		for ((i = 0; i < 12; i++)); do
			echo 'send 334 eA=='
			echo 'readline'
		done
		echo 'send 501 5.7.0 enough'
	)
	MAILOUT_TEST_SCRAM_NONCE=$SCRAM1_NONCE \
		mailout_run --user user --auth "$mech" --password-command "$PWCMD"
	assert_failure 77 || fail "AUTH $mech"
	# the server's script cannot know when the client stops: do not judge it
	scripted_reap
	local -a sent
	mapfile -t sent < <(tr -d '\r' <"$SERVER_CAPTURE")
	# drop a trailing QUIT
	if [ "${sent[-1]}" = QUIT ]; then unset 'sent[-1]'; fi
	[ "${sent[0]}" = "EHLO client.test" ] || fail "AUTH $mech: first line: ${sent[0]}"
	[[ ${sent[1]} == "AUTH $mech"* ]] || fail "AUTH $mech: second line: ${sent[1]}"
	[ "${sent[-1]}" = "*" ] || fail "AUTH $mech: the client did not end with *: $(printf '%s|' "${sent[@]}")"
	# EHLO, AUTH, at most 8 answers, "*"
	[ "${#sent[@]}" -le 11 ] || fail "AUTH $mech: the client answered $((${#sent[@]} - 3)) challenges: $(printf '%s|' "${sent[@]}")"
	refute grep -q '^MAIL' "$SERVER_CAPTURE"
}

@test "334 loop: PLAIN, LOGIN, CRAM-MD5, XOAUTH2, OAUTHBEARER cut off with *, 77" {
	local mech
	for mech in PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER; do
		endless_334 "$mech"
	done
}

@test "334 loop after a verified SCRAM-SHA-1 server-final: cut off with *, 77" {
	endless_334 SCRAM-SHA-1 \
		"send 334 $(b64 '%s' "$SCRAM1_SERVER_FIRST")" \
		'readline' \
		"send 334 $(b64 '%s' "$SCRAM1_SERVER_FINAL")" \
		'readline'
}

###########################################################################
# password_command

@test "password_command: only the first line is the password (CRLF stripped)" {
	scripted_start < <(
		dialogue_greet "AUTH PLAIN"
		echo 'expect AUTH PLAIN AGFsaWNlAHNlY3JldC1wdw=='
		echo 'send 235 2.7.0 ok'
		dialogue_tail
	)
	mailout_run --user alice --password-command "printf 'secret-pw\r\nsecond line\n'"
	assert_success
	assert_delivered_after "AUTH PLAIN AGFsaWNlAHNlY3JldC1wdw=="
}

@test "password_command: stdin is /dev/null (the message is not eaten)" {
	scripted_start < <(
		dialogue_greet "AUTH PLAIN"
		echo 'expect AUTH PLAIN AGFsaWNlAHNlY3JldC1wdw=='
		echo 'send 235 2.7.0 ok'
		dialogue_tail
	)
	# reading stdin would put the message's first line in front
	mailout_run --user alice --password-command 'cat; echo secret-pw'
	assert_success
	assert_delivered_after "AUTH PLAIN AGFsaWNlAHNlY3JldC1wdw=="
}

@test "password_command: runs via /bin/sh -c (pipes, quoting)" {
	scripted_start < <(
		dialogue_greet "AUTH PLAIN"
		echo 'expect AUTH PLAIN AGFsaWNlAHNlY3JldC1wdw=='
		echo 'send 235 2.7.0 ok'
		dialogue_tail
	)
	mailout_run --user alice --password-command "echo 'wp-terces' | rev"
	assert_success
	assert_delivered_after "AUTH PLAIN AGFsaWNlAHNlY3JldC1wdw=="
}

@test "password_command fails: 77, its stderr and 'password_command failed' shown, no AUTH" {
	scripted_start < <(dialogue_greet "AUTH PLAIN")
	mailout_run --user alice --password-command 'echo "vault is locked" >&2; exit 3'
	assert_failure 77
	assert_stderr_line "vault is locked"
	assert_stderr_line --partial "password_command failed"
	scripted_reap
	refute grep -Eq '^(AUTH|MAIL)' "$SERVER_CAPTURE"
}

@test "password_command prints nothing: 77, no AUTH" {
	scripted_start < <(dialogue_greet "AUTH PLAIN")
	mailout_run --user alice --password-command 'true'
	assert_failure 77
	assert_stderr_line --regexp '^mailout: .*password_command'
	scripted_reap
	refute grep -Eq '^(AUTH|MAIL)' "$SERVER_CAPTURE"
}

@test "password_command: a 4000-character OAuth token is sent whole (XOAUTH2)" {
	local token
	token=$(head -c 3000 /dev/urandom | base64 -w0 | head -c 4000)
	set_secret "$token"
	local ir
	ir=$(b64 'user=alice@gmail.com\x01auth=Bearer %s\x01\x01' "$token")
	scripted_start < <(
		dialogue_greet "AUTH XOAUTH2"
		echo 'readline'
		echo 'send 235 2.7.0 Accepted'
		dialogue_tail
	)
	mailout_run --user alice@gmail.com --auth XOAUTH2 --password-command "$PWCMD"
	assert_success
	assert_delivered_after "AUTH XOAUTH2 $ir"
}

@test "password_command: a secret too long to handle is refused, never sent truncated" {
	local long
	long=$(head -c 9000 /dev/zero | tr '\0' x)
	set_secret "$long"
	scripted_start < <(
		dialogue_greet "AUTH LOGIN"
		echo 'expect AUTH LOGIN'
		echo 'send 334 VXNlcm5hbWU6'
		echo 'readline'
		echo 'send 334 UGFzc3dvcmQ6'
		echo 'readline'
		echo 'send 535 5.7.8 Authentication credentials invalid'
	)
	mailout_run --user alice --auth LOGIN --password-command "$PWCMD"
	assert_failure
	scripted_reap
	local -a sent
	mapfile -t sent < <(tr -d '\r' <"$SERVER_CAPTURE")
	# EHLO, AUTH LOGIN, user, password: if a password went out, all of it
	if [ "${#sent[@]}" -ge 4 ] && [ "${sent[3]}" != QUIT ] && [ "${sent[3]}" != "*" ]; then
		local got
		got=$(printf '%s' "${sent[3]}" | base64 -d | wc -c)
		assert_equal "$got" 9000
	else
		assert_failure 77
	fi
}

###########################################################################
# -v never shows a secret

@test "-v with PLAIN: 'C: AUTH PLAIN <redacted>', no password or base64 anywhere" {
	set_secret 'S3cr3t-Pa55w0rd!'
	local ir
	ir=$(b64 '\x00alice\x00%s' "$SECRET")
	scripted_start < <(
		dialogue_greet "AUTH PLAIN"
		echo "expect AUTH PLAIN $ir"
		echo 'send 235 2.7.0 Authentication successful'
		dialogue_tail
	)
	mailout_run -v --user alice --password-command "$PWCMD"
	assert_success
	assert_stderr_line "C: AUTH PLAIN <redacted>"
	assert_stderr_line "S: 235 2.7.0 Authentication successful"
	refute_shown "$SECRET" "$ir" "$(b64 '%s' "$SECRET")" "$(b64 'alice\x00%s' "$SECRET")"
	assert_delivered_after "AUTH PLAIN $ir"
}

@test "--debug=2 with PLAIN: no password or base64 anywhere" {
	set_secret 'S3cr3t-Pa55w0rd!'
	local ir
	ir=$(b64 '\x00alice\x00%s' "$SECRET")
	scripted_start < <(
		dialogue_greet "AUTH PLAIN"
		echo "expect AUTH PLAIN $ir"
		echo 'send 235 2.7.0 Authentication successful'
		dialogue_tail
	)
	mailout_run --debug=2 --user alice --password-command "$PWCMD"
	assert_success
	assert_stderr_line --regexp 'C: AUTH PLAIN <redacted>$'
	refute_shown "$SECRET" "$ir" "$(b64 '%s' "$SECRET")" "$(b64 'alice\x00%s' "$SECRET")"
}

@test "-v with LOGIN: the user and password lines show as 'C: <redacted>'" {
	set_secret 'S3cr3t-Pa55w0rd!'
	scripted_start < <(
		dialogue_greet "AUTH LOGIN"
		echo 'expect AUTH LOGIN'
		echo 'send 334 VXNlcm5hbWU6'
		echo 'readline'
		echo 'send 334 UGFzc3dvcmQ6'
		echo 'readline'
		echo 'send 235 2.7.0 Authentication successful'
		dialogue_tail
	)
	mailout_run -v --user alice --password-command "$PWCMD"
	assert_success
	assert_stderr_line "C: AUTH LOGIN"
	assert_stderr_line "S: 334 VXNlcm5hbWU6"
	assert_stderr_line "S: 334 UGFzc3dvcmQ6"
	local n
	n=$(grep -c '^C: <redacted>$' <<<"$stderr")
	assert_equal "$n" 2
	refute_shown "$SECRET" "$(b64 '%s' "$SECRET")"
	assert_delivered_after "AUTH LOGIN" "$(b64 alice)" "$(b64 '%s' "$SECRET")"
}

@test "-v with LOGIN refused (535): still no password or base64 anywhere" {
	set_secret 'S3cr3t-Pa55w0rd!'
	scripted_start < <(
		dialogue_greet "AUTH LOGIN"
		echo 'expect AUTH LOGIN'
		echo 'send 334 VXNlcm5hbWU6'
		echo 'readline'
		echo 'send 334 UGFzc3dvcmQ6'
		echo 'readline'
		echo 'send 535 5.7.8 Authentication credentials invalid'
	)
	mailout_run -v --user alice --password-command "$PWCMD"
	assert_failure 77
	refute_shown "$SECRET" "$(b64 '%s' "$SECRET")"
	assert_stopped_after "AUTH LOGIN" "$(b64 alice)" "$(b64 '%s' "$SECRET")"
}

@test "-v with SCRAM-SHA-256: no password, client-final redacted" {
	scram_replayed SCRAM-SHA-256 SCRAM256 -v
	assert_stderr_line "C: AUTH SCRAM-SHA-256 <redacted>"
	refute_shown "$SECRET" "$(b64 '%s' "$SECRET")" "$(b64 '%s' "$SCRAM256_CLIENT_FINAL")" \
		"dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
}

@test "-v with XOAUTH2 and OAUTHBEARER: the token is never shown" {
	set_secret ya29.a0AfH6SMBx-VerySecretToken
	local mech
	for mech in XOAUTH2 OAUTHBEARER; do
		scripted_start < <(
			dialogue_greet "AUTH $mech"
			echo 'readline'
			echo 'send 235 2.7.0 Accepted'
			dialogue_tail
		)
		mailout_run -v --user alice@gmail.com --auth "$mech" --password-command "$PWCMD"
		assert_success
		assert_stderr_line "C: AUTH $mech <redacted>"
		scripted_wait
		local ir
		ir=$(tr -d '\r' <"$SERVER_CAPTURE" | sed -n 2p)
		ir=${ir#"AUTH $mech "}
		[ ${#ir} -gt 40 ] || fail "no initial response in: $(cat "$SERVER_CAPTURE")"
		refute_shown "$SECRET" "$(b64 '%s' "$SECRET")" "$ir"
	done
}

###########################################################################
# Against Exim (alice / secret-pw; AUTH PLAIN LOGIN CRAM-MD5) over STARTTLS

# exim_auth ARGS...: `run` mailout to alice@example.org through Exim with
# STARTTLS and its CA, user alice, password from $PWFILE.
exim_auth() {
	run --separate-stderr mailout_exim "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" --user alice \
		--password-command "$PWCMD" "$@" alice@example.org
}

# assert_exim_authenticated MECH: the message is in the maildir, and Exim
# received it over TLS from the authenticated alice with MECH (its log line
# "<= sender ... P=esmtpsa ... A=MECH:alice").
assert_exim_authenticated() {
	local mech=$1 file i
	maildir_wait 1 "$EXIM_MAILDIR" || return
	file=$(maildir_find_for alice@example.org "$EXIM_MAILDIR") || return
	assert_equal "$(mail_header Message-ID "$file")" "<auth.$BATS_TEST_NUMBER@example.org>"
	assert_equal "$(mail_body "$file")" "Hello after AUTH."
	for ((i = 0; i < 50; i++)); do
		exim_log_since | grep -q "<= $FROM " && break
		sleep 0.05
	done
	exim_log_since | grep -q "<= $FROM .* P=esmtpsa .*A=$mech:alice" ||
		fail "Exim's log shows no message from an authenticated alice ($mech) over TLS:
$(exim_log_since)"
}

@test "exim STARTTLS: AUTH PLAIN succeeds, delivered as alice" {
	set_secret secret-pw
	exim_auth --auth PLAIN
	assert_success
	assert_equal "$stderr" ""
	assert_exim_authenticated PLAIN
}

@test "exim STARTTLS: AUTH LOGIN succeeds, delivered as alice" {
	set_secret secret-pw
	exim_auth --auth LOGIN
	assert_success
	assert_equal "$stderr" ""
	assert_exim_authenticated LOGIN
}

@test "exim STARTTLS: AUTH CRAM-MD5 succeeds, delivered as alice" {
	set_secret secret-pw
	exim_auth --auth CRAM-MD5
	assert_success
	assert_equal "$stderr" ""
	assert_exim_authenticated CRAM
}

@test "exim STARTTLS: --user alone picks CRAM-MD5 (strongest of PLAIN LOGIN CRAM-MD5); -v hides the secret" {
	set_secret secret-pw
	exim_auth -v
	assert_success
	assert_stderr_line "C: STARTTLS"
	assert_stderr_line "C: AUTH CRAM-MD5"
	assert_stderr_line --regexp '^S: 235 '
	refute_shown "$SECRET" "$(b64 '%s' "$SECRET")"
	assert_exim_authenticated CRAM
}

# exim_wrong_password MECH: --auth MECH with a wrong password: 77, the
# server's 535 shown, no secret in -v output, Exim got no MAIL, nothing
# delivered.
exim_wrong_password() {
	local mech=$1
	set_secret 'wrong-Pa55word'
	exim_auth -v --auth "$mech"
	assert_failure 77
	assert_stderr_line --regexp "^mailout: authentication failed \\(AUTH $mech\\): 535 "
	refute_shown "$SECRET" "$(b64 '%s' "$SECRET")" "$(b64 '\x00alice\x00%s' "$SECRET")" \
		"$(b64 'alice\x00%s' "$SECRET")"
	local output=$stderr
	refute_output --partial "C: MAIL"
	sleep 0.3 # a delivery Exim would have made
	assert_equal "$(maildir_count "$EXIM_MAILDIR")" 0
	if exim_log_since | grep -Eq 'MAIL FROM|<= '; then
		fail "Exim got a MAIL command or a message:
$(exim_log_since)"
	fi
}

@test "exim STARTTLS: wrong password with PLAIN -> 77, nothing delivered, no secret in -v" {
	exim_wrong_password PLAIN
}

@test "exim STARTTLS: wrong password with LOGIN -> 77, nothing delivered, no secret in -v" {
	exim_wrong_password LOGIN
}

@test "exim STARTTLS: wrong password with CRAM-MD5 -> 77, nothing delivered, no secret in -v" {
	exim_wrong_password CRAM-MD5
}
