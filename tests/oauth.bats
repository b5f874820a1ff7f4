#!/usr/bin/env bats
# OAuth 2.0 without outside scripts (issue 22): the refresh_token grant,
# the access-token cache, rotated refresh tokens, a cached token refused
# and retried, a lapsed login, an endpoint down, and --oauth-login's device
# flow (RFC 8628).
#
# The token endpoint is tests/servers/oauth.py: HTTPS on a free port of
# 127.0.0.1 with the test CA's certificate (tests/servers/certs.sh),
# answering from a script and logging each request it gets (time, path,
# form). The SMTP side is the scripted server, which checks that the
# XOAUTH2 or OAUTHBEARER string carries the token the endpoint just gave.

bats_require_minimum_version 1.5.0
load helpers

OAUTH_PY="$TESTS_DIR/servers/oauth.py"
FROM=sender@example.org
USER_NAME=alice@example.com

setup_file() {
	# the tests share the suite's servers and what they count
	BATS_NO_PARALLELIZE_WITHIN_FILE=true
	export OAUTH_CERTS=$BATS_FILE_TMPDIR/certs
	"$TESTS_DIR/servers/certs.sh" "$OAUTH_CERTS"
}

setup() {
	# each test its own tokens, cache and queue
	export XDG_STATE_HOME=$BATS_TEST_TMPDIR/state
	export XDG_CACHE_HOME=$BATS_TEST_TMPDIR/cache
	QUEUE=$BATS_TEST_TMPDIR/queue
	CONF=$BATS_TEST_TMPDIR/mailout.conf
	REFRESH_FILE=$XDG_STATE_HOME/mailout/oauth-work.refresh-token
	OAUTH_PIDS=()
	printf '%s\n' \
		"From: Sender <$FROM>" \
		"To: <rcpt@example.com>" \
		"Subject: oauth test $BATS_TEST_NUMBER" \
		"Date: Mon, 01 Jan 2024 00:00:00 +0000" \
		"Message-ID: <oauth.$BATS_TEST_NUMBER@example.org>" \
		"" \
		"Sent with a fresh token." >"$BATS_TEST_TMPDIR/msg"
}

teardown() {
	scripted_teardown
	local pid
	for pid in "${OAUTH_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -s "${OAUTH_LOG:-}" ]; then
		echo "---- token endpoint log ----"
		cat "$OAUTH_LOG"
	fi
}

###########################################################################
# Helpers

# oauth_start <<SCRIPT: the token endpoint answering from SCRIPT
# (oauth.py's "PATH STATUS BODY" lines). Sets OAUTH_PORT and OAUTH_LOG.
oauth_start() {
	local port_file=$BATS_TEST_TMPDIR/oauth.port i
	OAUTH_LOG=$BATS_TEST_TMPDIR/oauth.log
	cat >"$BATS_TEST_TMPDIR/oauth.script"
	: >"$OAUTH_LOG"
	python3 "$OAUTH_PY" --cert "$OAUTH_CERTS/server.pem" \
		--key "$OAUTH_CERTS/server.key" --port-file "$port_file" \
		--log "$OAUTH_LOG" "$BATS_TEST_TMPDIR/oauth.script" \
		</dev/null >"$BATS_TEST_TMPDIR/oauth.out" 2>&1 3>&- &
	OAUTH_PIDS+=("$!")
	for ((i = 0; i < 400; i++)); do
		[ -s "$port_file" ] && break
		kill -0 "$!" 2>/dev/null || fail "oauth.py exited: $(cat "$BATS_TEST_TMPDIR/oauth.out")"
		sleep 0.025
	done
	OAUTH_PORT=$(<"$port_file")
}

# oauth_stop: the endpoint goes away; its port is closed from now on.
oauth_stop() {
	kill "${OAUTH_PIDS[@]}"
	wait "${OAUTH_PIDS[@]}" 2>/dev/null || true
	OAUTH_PIDS=()
}

# token JSON: a token endpoint answer with access token TOKEN and the
# rest of the members in JSON (e.g. ',"refresh_token":"rt-2"').
token() {
	printf '{"access_token":"%s","token_type":"Bearer","expires_in":3600%s}' \
		"$1" "${2:-}"
}

# write_conf [MECH [EXTRA LINES]]: profile "work" for the scripted server
# and the token endpoint, AUTH MECH (XOAUTH2), the queue in QUEUE.
write_conf() {
	cat >"$CONF" <<EOF
[work]
host = 127.0.0.1
port = ${SERVER_PORT:-25}
tls = off
helo = client.test
timeout = 10
user = $USER_NAME
auth = ${1:-XOAUTH2}
queue_dir = $QUEUE
oauth_token_endpoint = https://127.0.0.1:$OAUTH_PORT/token
oauth_device_endpoint = https://127.0.0.1:$OAUTH_PORT/device
oauth_client_id = mailout-test
oauth_scope = https://mail.example/.default offline_access
oauth_trust_file = $OAUTH_CERTS/ca.pem
${2:-}
EOF
	chmod 600 "$CONF"
}

# write_conf_signed_in: write_conf, and signed in with refresh token rt-1.
write_conf_signed_in() {
	write_conf "$@"
	signed_in rt-1
}

# signed_in TOKEN: the refresh token file as --oauth-login leaves it.
signed_in() {
	mkdir -p "$(dirname "$REFRESH_FILE")"
	(umask 077 && printf '%s\n' "$1" >"$REFRESH_FILE")
}

# The regex that matches exactly the text $1 (for scripted.py's expect).
re() {
	printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'
}

# The XOAUTH2 / OAUTHBEARER initial response carrying TOKEN.
xoauth2() {
	printf 'user=%s\x01auth=Bearer %s\x01\x01' "$USER_NAME" "$1" | base64 -w0
}
oauthbearer() {
	printf 'n,a=%s,\x01host=127.0.0.1\x01port=%s\x01auth=Bearer %s\x01\x01' \
		"$USER_NAME" "$SERVER_PORT" "$1" | base64 -w0
}

# Script lines: greeting and EHLO offering AUTH MECHS.
greet() {
	echo 'send 220 server.test ESMTP'
	echo 'expect EHLO client\.test'
	echo 'send 250-server.test'
	echo "send 250-AUTH ${1:-XOAUTH2 OAUTHBEARER}"
	echo 'send 250 HELP'
}

# Script lines: AUTH XOAUTH2 with TOKEN accepted.
accept_xoauth2() {
	echo "expect AUTH XOAUTH2 $(re "$(xoauth2 "$1")")"
	echo 'send 235 2.7.0 Accepted'
}

# Script lines: AUTH XOAUTH2 with TOKEN refused, as Gmail does (RFC 7628
# style error, the client's empty answer, 535).
refuse_xoauth2() {
	local err
	err=$(printf '{"status":"401","schemes":"bearer"}' | base64 -w0)
	echo "expect AUTH XOAUTH2 $(re "$(xoauth2 "$1")")"
	echo "send 334 $err"
	echo 'expect '
	echo 'send 535 5.7.8 Username and Password not accepted'
}

# serve_twice TOKEN1 TOKEN2: the scripted server for two sends, the first
# accepting AUTH XOAUTH2 with TOKEN1, the second with TOKEN2.
serve_twice() {
	scripted_start --connections 2 < <(
		greet; accept_xoauth2 "$1"; transaction
		echo connection
		greet; accept_xoauth2 "$2"; transaction
	)
}

# serve_no_auth: a server that gets no AUTH (the token could not be had)
# and sees the client leave politely.
serve_no_auth() {
	scripted_start < <(greet "${1:-}"; echo 'expect QUIT'; echo 'send 221 Bye')
}

transaction() {
	local DIALOGUE_RCPTS=(rcpt@example.com)
	dialogue_tail
}

mailout_run() {
	run --separate-stderr timeout 60 "$MAILOUT" -C "$CONF" -a work \
		-f "$FROM" "$@" rcpt@example.com <"$BATS_TEST_TMPDIR/msg"
}

# The requests the endpoint got for PATH: their form bodies, in order.
requests() {
	awk -v p="$1" '$2 == p { print $3 }' "$OAUTH_LOG"
}

assert_requests() {
	local path=$1 n=$2 got
	got=$(requests "$path" | wc -l)
	[ "$got" -eq "$n" ] || fail "expected $n requests for $path, got $got:
$(cat "$OAUTH_LOG")"
}

assert_mode_600() {
	assert_equal "$(stat -c %a "$1")" 600
}

# The only entry of the cache directory that is a token cache.
cache_file() {
	find "$XDG_CACHE_HOME/mailout" -name 'oauth-*' ! -name '*.lock'
}

assert_queue_size() {
	run "$MAILOUT" --queue-dir "$QUEUE" -bp
	if [ "$1" -eq 0 ]; then
		assert_output 'Mail queue is empty'
	else
		assert_equal "$(grep -c '^[0-9]\{14\}\.' <<<"$output")" "$1"
	fi
}

###########################################################################
# The refresh_token grant and the cache

@test "refresh grant: the endpoint's fresh token goes into AUTH XOAUTH2; the form is RFC 6749 section 6" {
	oauth_start <<EOF
/token 200 $(token at-1)
EOF
	scripted_start < <(greet; accept_xoauth2 at-1; transaction)
	write_conf_signed_in
	mailout_run
	assert_success
	assert_equal "$stderr" ""
	scripted_wait
	assert_requests /token 1
	assert_equal "$(requests /token)" \
		"grant_type=refresh_token&refresh_token=rt-1&client_id=mailout-test&scope=https%3A%2F%2Fmail.example%2F.default%20offline_access"
	# cached for next time: 0600, and the refresh token left as it was
	assert_mode_600 "$(cache_file)"
	assert_equal "$(cat "$REFRESH_FILE")" rt-1
}

@test "refresh grant: OAUTHBEARER carries the fresh token (RFC 7628)" {
	oauth_start <<EOF
/token 200 $(token at-bearer)
EOF
	scripted_start < <(
		greet OAUTHBEARER
		echo 'readline'
		echo 'send 235 2.7.0 Accepted'
		transaction
	)
	write_conf OAUTHBEARER
	signed_in rt-1
	mailout_run
	assert_success
	# the port is in the string: known only now
	assert_capture_prefix_printf '%s\r\n' "EHLO client.test" \
		"AUTH OAUTHBEARER $(oauthbearer at-bearer)" "MAIL FROM:<$FROM>"
	assert_requests /token 1
}

@test "refresh grant: the client secret goes in the form, from oauth_client_secret_command" {
	oauth_start <<EOF
/token 200 $(token at-1)
EOF
	scripted_start < <(greet; accept_xoauth2 at-1; transaction)
	printf 's3cr3t&=x\n' >"$BATS_TEST_TMPDIR/client-secret"
	write_conf XOAUTH2 "oauth_client_secret_command = cat $BATS_TEST_TMPDIR/client-secret"
	signed_in rt-1
	mailout_run
	assert_success
	scripted_wait
	assert_equal "$(requests /token)" \
		"grant_type=refresh_token&refresh_token=rt-1&client_id=mailout-test&client_secret=s3cr3t%26%3Dx&scope=https%3A%2F%2Fmail.example%2F.default%20offline_access"
}

@test "cache: two sends within the hour make one token request" {
	# one answer only: a second request would get a 500
	oauth_start <<EOF
/token 200 $(token at-1)
EOF
	serve_twice at-1 at-1
	write_conf_signed_in
	mailout_run
	assert_success
	mailout_run -v
	assert_success
	[[ $stderr == *"-- OAuth: the cached access token is good for"* ]] ||
		fail "no note of the cached token: $stderr"
	scripted_wait
	assert_requests /token 1
}

@test "cache: a token about to expire is not used; the endpoint is asked again" {
	oauth_start <<EOF
/token 200 {"access_token":"at-short","expires_in":60}
/token 200 $(token at-2)
EOF
	serve_twice at-short at-2
	write_conf_signed_in
	mailout_run
	assert_success
	mailout_run
	assert_success
	scripted_wait
	assert_requests /token 2
}

# send_once_then_again: a token endpoint that hands out at-1, then at-2,
# a server that accepts either, and one message sent (at-1 cached).
send_once_then_again() {
	oauth_start <<EOF
/token 200 $(token at-1)
/token 200 $(token at-2)
EOF
	serve_twice at-1 at-2
	write_conf_signed_in
	mailout_run
	assert_success
}

@test "cache: an entry others may read is not used, and is replaced by a private one" {
	send_once_then_again
	chmod 644 "$(cache_file)"
	mailout_run -v
	assert_success
	[[ $stderr == *"not using the cache"*"others may read it"* ]] ||
		fail "no note of the refused cache: $stderr"
	scripted_wait
	assert_requests /token 2
	assert_mode_600 "$(cache_file)"
}

@test "rotation: the new refresh token is stored (0600, no temporary file left) and used next" {
	oauth_start <<EOF
/token 200 $(token at-1 ',"refresh_token":"rt-2"')
/token 200 $(token at-2 ',"refresh_token":"rt-3"')
EOF
	serve_twice at-1 at-2
	write_conf_signed_in
	mailout_run
	assert_success
	assert_equal "$(cat "$REFRESH_FILE")" rt-2
	assert_mode_600 "$REFRESH_FILE"
	assert_equal "$(ls "$(dirname "$REFRESH_FILE")")" oauth-work.refresh-token
	# the cache gone, the next send spends the new refresh token
	rm "$(cache_file)"
	mailout_run
	assert_success
	scripted_wait
	assert_equal "$(requests /token | sed -n 2p)" \
		"grant_type=refresh_token&refresh_token=rt-2&client_id=mailout-test&scope=https%3A%2F%2Fmail.example%2F.default%20offline_access"
	assert_equal "$(cat "$REFRESH_FILE")" rt-3
}

@test "rotation: oauth_refresh_token_file names where the token is kept and rotated" {
	oauth_start <<EOF
/token 200 $(token at-1 ',"refresh_token":"rt-2"')
EOF
	scripted_start < <(greet; accept_xoauth2 at-1; transaction)
	local file=$BATS_TEST_TMPDIR/tokens/work
	write_conf XOAUTH2 "oauth_refresh_token_file = $file"
	mkdir -p "$(dirname "$file")"
	(umask 077 && echo rt-1 >"$file")
	mailout_run
	assert_success
	scripted_wait
	assert_equal "$(cat "$file")" rt-2
	assert_mode_600 "$file"
	[ ! -e "$REFRESH_FILE" ] || fail "the default file was written too"
}

@test "refused cached token: a fresh one from the endpoint, AUTH retried once on the same connection" {
	oauth_start <<EOF
/token 200 $(token at-1)
/token 200 $(token at-2)
EOF
	scripted_start --connections 2 < <(
		greet; accept_xoauth2 at-1; transaction
		echo connection
		greet; refuse_xoauth2 at-1; accept_xoauth2 at-2; transaction
	)
	write_conf_signed_in
	mailout_run
	assert_success
	mailout_run
	assert_success
	assert_equal "$stderr" ""
	scripted_wait
	assert_requests /token 2
	# the new token is the one cached now
	grep -qx 'token at-2' "$(cache_file)" || fail "at-2 not cached"
}

@test "refused again: a fresh token refused too ends with exit 77, after one retry" {
	oauth_start <<EOF
/token 200 $(token at-1)
/token 200 $(token at-2)
/token 200 $(token at-3)
EOF
	scripted_start --connections 2 < <(
		greet; accept_xoauth2 at-1; transaction
		echo connection
		greet; refuse_xoauth2 at-1; refuse_xoauth2 at-2
		echo 'expect QUIT'
		echo 'send 221 2.0.0 Bye'
	)
	write_conf_signed_in
	mailout_run
	assert_success
	mailout_run
	assert_failure 77
	assert_equal "$stderr" "mailout: authentication failed (AUTH XOAUTH2): 535 5.7.8 Username and Password not accepted"
	scripted_wait
	assert_requests /token 2
	assert_queue_size 0
}

###########################################################################
# Failures

@test "invalid_grant: exit 77 naming error and error_description, not queued, the refresh token kept" {
	oauth_start <<EOF
/token 400 {"error":"invalid_grant","error_description":"AADSTS70008: The refresh token has expired due to inactivity."}
EOF
	serve_no_auth
	write_conf_signed_in
	mailout_run
	assert_failure 77
	assert_equal "$stderr" "mailout: OAuth token endpoint https://127.0.0.1:$OAUTH_PORT/token refused: invalid_grant: AADSTS70008: The refresh token has expired due to inactivity.; sign in with mailout --oauth-login work"
	scripted_wait
	assert_queue_size 0
	assert_equal "$(cat "$REFRESH_FILE")" rt-1
}

@test "another error of the endpoint (invalid_client): exit 77 with its words, control bytes shown safely" {
	oauth_start <<'EOF'
/token 401 {"error":"invalid_client","error_description":"bad \u001b[31mclient"}
EOF
	serve_no_auth
	write_conf_signed_in
	mailout_run
	assert_failure 77
	assert_equal "$stderr" "mailout: OAuth token endpoint https://127.0.0.1:$OAUTH_PORT/token refused: invalid_client: bad \\x1b[31mclient"
}

@test "no refresh token stored: exit 77, sign in with --oauth-login" {
	oauth_start </dev/null
	serve_no_auth
	write_conf
	mailout_run
	assert_failure 77
	assert_equal "$stderr" "mailout: no OAuth refresh token in $REFRESH_FILE: nobody has signed in; sign in with mailout --oauth-login work"
	assert_requests /token 0
}

@test "a refresh token file others may read is refused (78), and no request is made" {
	oauth_start </dev/null
	serve_no_auth
	write_conf_signed_in
	chmod 644 "$REFRESH_FILE"
	mailout_run
	assert_failure 78
	assert_equal "$stderr" "mailout: the OAuth refresh token file $REFRESH_FILE: others may read it (its mode is 0644): chmod 600 $REFRESH_FILE"
	assert_requests /token 0
}

@test "a cache entry of another user is not used" {
	send_once_then_again
	chown nobody "$(cache_file)"
	mailout_run
	assert_success
	scripted_wait
	assert_requests /token 2
}

@test "a refresh token file of another user is refused (78), and no request is made" {
	oauth_start </dev/null
	serve_no_auth
	write_conf_signed_in
	chown nobody "$REFRESH_FILE"
	mailout_run
	assert_failure 78
	assert_equal "$stderr" "mailout: the OAuth refresh token file $REFRESH_FILE: it belongs to uid $(id -u nobody), not to you (uid $(id -u))"
	assert_requests /token 0
}

@test "endpoint down, queue on: a temporary failure, the message queued, exit 0" {
	oauth_start </dev/null
	oauth_stop
	serve_no_auth
	write_conf_signed_in
	mailout_run
	assert_success
	[[ $stderr == *"queued"* ]] || fail "no 'queued' note: $stderr"
	[[ $stderr == *"https://127.0.0.1:$OAUTH_PORT/token"* ]] ||
		fail "the endpoint is not named: $stderr"
	assert_queue_size 1
}

@test "endpoint down, queue off: exit 75, nothing queued" {
	oauth_start </dev/null
	oauth_stop
	serve_no_auth
	write_conf_signed_in
	mailout_run --no-queue
	assert_failure 75
	[[ $stderr == "mailout: OAuth token endpoint https://127.0.0.1:$OAUTH_PORT/token: "* ]] ||
		fail "unexpected message: $stderr"
	assert_queue_size 0
}

@test "endpoint answers 503, queue on: queued, exit 0; the queue run later sends it" {
	oauth_start <<EOF
/token 503 {"error":"temporarily_unavailable"}
/token 200 $(token at-1)
EOF
	scripted_start --connections 2 < <(
		greet; echo 'expect QUIT'; echo 'send 221 Bye'
		echo connection
		greet; accept_xoauth2 at-1; transaction
	)
	write_conf_signed_in
	mailout_run
	assert_success
	[[ $stderr == *"answered HTTP 503: temporarily_unavailable"* ]] ||
		fail "no reason given: $stderr"
	assert_queue_size 1
	run timeout 60 "$MAILOUT" -C "$CONF" --queue-dir "$QUEUE" --flush=all
	assert_success
	scripted_wait
	assert_queue_size 0
}

@test "an endpoint that does not answer: a temporary failure after timeout seconds (75 without the queue)" {
	oauth_start <<EOF
/token stall 30
EOF
	serve_no_auth
	write_conf_signed_in
	mailout_run --no-queue --timeout 2
	assert_failure 75
	[[ $stderr == "mailout: OAuth token endpoint https://127.0.0.1:$OAUTH_PORT/token: "*"timed out"* ]] ||
		fail "unexpected message: $stderr"
}

@test "an endpoint whose certificate does not verify (system trust only): exit 69, not queued" {
	oauth_start </dev/null
	serve_no_auth
	write_conf
	sed -i '/^oauth_trust_file/d' "$CONF"
	signed_in rt-1
	mailout_run
	assert_failure 69
	[[ $stderr == "mailout: OAuth token endpoint https://127.0.0.1:$OAUTH_PORT/token: "* ]] ||
		fail "unexpected message: $stderr"
	assert_requests /token 0
	assert_queue_size 0
}

@test "an answer over 64 KiB: exit 76, the size named" {
	local big
	big=$(head -c 70000 /dev/zero | tr '\0' a)
	oauth_start <<EOF
/token 200 {"access_token":"$big"}
EOF
	serve_no_auth
	write_conf_signed_in
	mailout_run
	assert_failure 76
	assert_equal "$stderr" "mailout: OAuth token endpoint https://127.0.0.1:$OAUTH_PORT/token: the answer is longer than 65536 octets"
}

@test "an answer that is not JSON: exit 76" {
	oauth_start <<EOF
/token 200 <html>hello</html>
EOF
	serve_no_auth
	write_conf_signed_in
	mailout_run
	assert_failure 76
	assert_equal "$stderr" "mailout: OAuth token endpoint https://127.0.0.1:$OAUTH_PORT/token: the answer is not a JSON object"
}

@test "auth other than XOAUTH2 or OAUTHBEARER with oauth_token_endpoint: exit 78, said plainly" {
	oauth_start </dev/null
	serve_no_auth PLAIN
	write_conf PLAIN
	signed_in rt-1
	mailout_run
	assert_failure 78
	assert_equal "$stderr" "mailout: oauth_token_endpoint is set, so auth must be XOAUTH2 or OAUTHBEARER, not PLAIN"
}

@test "config: an endpoint that is not https:// is refused with FILE:LINE (78)" {
	printf '[work]\noauth_token_endpoint = http://login.example/token\n' >"$CONF"
	run --separate-stderr "$MAILOUT" -C "$CONF" -a work --dry-run rcpt@example.com </dev/null
	assert_failure 78
	assert_equal "$stderr" "mailout: $CONF:2: oauth_token_endpoint: expected an https:// URL, got \"http://login.example/token\""
}

@test "config: oauth_client_secret in a file others may read is refused (78); --dry-run masks it" {
	printf '[work]\noauth_client_secret = s3cr3t\n' >"$CONF"
	chmod 644 "$CONF"
	run --separate-stderr "$MAILOUT" -C "$CONF" -a work --dry-run rcpt@example.com </dev/null
	assert_failure 78
	assert_equal "$stderr" "mailout: $CONF:2: oauth_client_secret: $CONF must be private (its mode is 0644): chmod 600 $CONF (or 640 with a group of your own), or use oauth_client_secret_command"
	chmod 600 "$CONF"
	run --separate-stderr "$MAILOUT" -C "$CONF" -a work --dry-run rcpt@example.com </dev/null
	assert_success
	assert_line 'oauth_client_secret = <set>'
	refute_output --partial s3cr3t
}

###########################################################################
# --oauth-login: the device authorization grant

# bats test_tags=slow
@test "--oauth-login: device flow, authorization_pending twice, slow_down (+5 s), then the token; refresh token stored" {
	oauth_start <<EOF
/device 200 {"device_code":"dc-1","user_code":"ABCD-EFGH","verification_uri":"https://login.example/device","verification_uri_complete":"https://login.example/device?code=ABCD-EFGH","expires_in":600,"interval":1}
/token 400 {"error":"authorization_pending"}
/token 400 {"error":"authorization_pending"}
/token 400 {"error":"slow_down"}
/token 200 $(token at-1 ',"refresh_token":"rt-new"')
EOF
	write_conf
	run --separate-stderr timeout 60 "$MAILOUT" -C "$CONF" --oauth-login work -v
	assert_success
	assert_line --index 0 'To sign in for profile work, open'
	assert_line --index 1 '  https://login.example/device'
	assert_line --index 2 'and enter the code ABCD-EFGH'
	assert_line --index 3 '(or open https://login.example/device?code=ABCD-EFGH, which carries the code)'
	assert_line "Signed in. The refresh token is in $REFRESH_FILE"
	[[ $stderr == *"slow_down: asking every 6 s now"* ]] ||
		fail "no slow_down note: $stderr"
	assert_equal "$(cat "$REFRESH_FILE")" rt-new
	assert_mode_600 "$REFRESH_FILE"
	assert_equal "$(requests /device)" \
		"client_id=mailout-test&scope=https%3A%2F%2Fmail.example%2F.default%20offline_access"
	assert_requests /token 4
	assert_equal "$(requests /token | sort -u)" \
		"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=dc-1&client_id=mailout-test"
	# polled at the endpoint's interval, 5 s slower after slow_down (the
	# gaps are at least what was waited: lower bounds only)
	run awk '$2 == "/token" { if (n++) print $1 - last; last = $1 }' "$OAUTH_LOG"
	assert_equal "${#lines[@]}" 3
	awk -v g="${lines[0]}" 'BEGIN { exit !(g >= 0.99) }' || fail "gap 1: ${lines[0]}"
	awk -v g="${lines[1]}" 'BEGIN { exit !(g >= 0.99) }' || fail "gap 2: ${lines[1]}"
	awk -v g="${lines[2]}" 'BEGIN { exit !(g >= 5.99) }' || fail "gap after slow_down: ${lines[2]}"
}

@test "--oauth-login, then a send: the stored refresh token and the cached access token serve it" {
	oauth_start <<EOF
/device 200 {"device_code":"dc-1","user_code":"WDJB-MJHT","verification_url":"https://www.google.com/device","expires_in":1800,"interval":1}
/token 200 $(token at-login ',"refresh_token":"rt-login"')
EOF
	scripted_start < <(greet; accept_xoauth2 at-login; transaction)
	write_conf
	run --separate-stderr timeout 60 "$MAILOUT" -C "$CONF" --oauth-login work
	assert_success
	assert_line '  https://www.google.com/device'
	mailout_run
	assert_success
	scripted_wait
	assert_requests /token 1
	assert_equal "$(cat "$REFRESH_FILE")" rt-login
}

@test "--oauth-login: access_denied ends it with exit 77 and the endpoint's words; nothing stored" {
	oauth_start <<EOF
/device 200 {"device_code":"dc-1","user_code":"ABCD","verification_uri":"https://login.example/device","expires_in":600,"interval":1}
/token 400 {"error":"access_denied","error_description":"The user declined."}
EOF
	write_conf
	run --separate-stderr timeout 60 "$MAILOUT" -C "$CONF" --oauth-login work
	assert_failure 77
	assert_equal "$stderr" "mailout: OAuth token endpoint https://127.0.0.1:$OAUTH_PORT/token refused: access_denied: The user declined."
	[ ! -e "$REFRESH_FILE" ] || fail "a refresh token was stored"
}

@test "--oauth-login: a token without a refresh token is an error that names offline_access" {
	oauth_start <<EOF
/device 200 {"device_code":"dc-1","user_code":"ABCD","verification_uri":"https://login.example/device","expires_in":600,"interval":1}
/token 200 $(token at-1)
EOF
	write_conf
	run --separate-stderr timeout 60 "$MAILOUT" -C "$CONF" --oauth-login work
	assert_failure 77
	[[ $stderr == *"no refresh token"*offline_access* ]] || fail "$stderr"
}

@test "--oauth-login: a profile without oauth_device_endpoint exits 78; an unknown profile too" {
	printf '[work]\noauth_token_endpoint = https://127.0.0.1:1/token\noauth_client_id = x\n' >"$CONF"
	run --separate-stderr "$MAILOUT" -C "$CONF" --oauth-login work
	assert_failure 78
	assert_equal "$stderr" "mailout: --oauth-login: profile work has no oauth_device_endpoint"
	run --separate-stderr "$MAILOUT" -C "$CONF" --oauth-login nosuch
	assert_failure 78
}

###########################################################################
# Secrets

@test "secrets: no token, refresh token or client secret in -v output, nor in any argv" {
	oauth_start <<EOF
/token 200 $(token at-SECRET-1 ',"refresh_token":"rt-SECRET-2"')
EOF
	scripted_start < <(greet; accept_xoauth2 at-SECRET-1; transaction)
	# the client secret command records the command lines of itself, its
	# shell and mailout, while mailout holds the refresh token
	cat >"$BATS_TEST_TMPDIR/secret.sh" <<'EOF'
#!/bin/sh
for p in $$ $PPID $(ps -o ppid= -p $PPID); do
	tr '\0' ' ' </proc/$p/cmdline; echo
done >>"$ARGV_LOG"
echo cs-SECRET-3
EOF
	chmod 755 "$BATS_TEST_TMPDIR/secret.sh"
	export ARGV_LOG=$BATS_TEST_TMPDIR/argv
	write_conf XOAUTH2 "oauth_client_secret_command = $BATS_TEST_TMPDIR/secret.sh"
	signed_in rt-SECRET-0
	mailout_run --debug=2
	assert_success
	scripted_wait
	[[ $stderr == *"OAuth: POST https://127.0.0.1:$OAUTH_PORT/token"* ]] ||
		fail "the transcript does not show the request: $stderr"
	[[ $stderr == *"AUTH XOAUTH2 <redacted>"* ]] || fail "$stderr"
	grep -q mailout "$ARGV_LOG" || fail "mailout's argv not recorded"
	if grep -n SECRET <<<"$output$stderr"; then
		fail "a secret was shown"
	fi
	if grep -n SECRET "$ARGV_LOG"; then
		fail "a secret was in an argv"
	fi
}


###########################################################################
# libcurl and json-c are loaded on first use (src/oauth/libs.c)

# maps_when PID PATTERN: PID's memory map, once PATTERN shows in it or in
# the scripted server's log (at most 10 s).
maps_when() {
	local pid=$1 pattern=$2 i
	for ((i = 0; i < 400; i++)); do
		if grep -q -- "$pattern" "/proc/$pid/maps" 2>/dev/null ||
			grep -q -- "$pattern" "$SERVER_LOG" 2>/dev/null; then
			break
		fi
		sleep 0.025
	done
	cat "/proc/$pid/maps"
}

@test "libcurl and json-c are loaded only when a send needs an OAuth token" {
	# a server that greets late: mailout waits, connected, meanwhile
	scripted_start < <(echo 'sleep 3'; echo 'close')
	"$MAILOUT" --host 127.0.0.1 --port "$SERVER_PORT" --tls off \
		-f "$FROM" --no-queue rcpt@example.com <"$BATS_TEST_TMPDIR/msg" \
		>/dev/null 2>&1 3>&- &
	local pid=$! maps
	maps=$(maps_when "$pid" 'connection 1 from')
	wait "$pid" || true
	[[ $maps == *libgnutls* || $maps == *libc.so* ]] || fail "no map read"
	[[ $maps != *libcurl* && $maps != *libjson-c* ]] ||
		fail "loaded without OAuth: $(grep -E 'libcurl|libjson' <<<"$maps")"
	# and with OAuth, while the endpoint keeps it waiting
	oauth_start <<<"/token stall 3"
	scripted_start < <(greet; echo 'expect QUIT'; echo 'send 221 Bye')
	write_conf_signed_in
	"$MAILOUT" -C "$CONF" -a work -f "$FROM" --no-queue rcpt@example.com \
		<"$BATS_TEST_TMPDIR/msg" >/dev/null 2>&1 3>&- &
	pid=$!
	maps=$(maps_when "$pid" libcurl)
	wait "$pid" || true
	[[ $maps == *libcurl-gnutls* && $maps == *libjson-c* ]] ||
		fail "libcurl-gnutls and json-c not loaded for OAuth"
}
