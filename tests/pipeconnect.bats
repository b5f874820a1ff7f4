#!/usr/bin/env bats
# Early pipelining (PIPECONNECT): the EHLO reply kept from one session lets
# the next send EHLO and the command after it before the greeting, and EHLO
# with AUTH after STARTTLS. Against a real Exim offering it (its log line
# says L* when it was used, L. when offered but not), an Exim that does not
# offer it and refuses early input ("554 SMTP synchronization error"), and
# the scripted server for the exact byte groups.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	exim_start "$BATS_FILE_TMPDIR/exim-sync" || return 1
	export SYNC_PORT=$EXIM_PORT SYNC_DIR=$EXIM_DIR SYNC_LOG=$EXIM_LOG \
		SYNC_MAILDIR=$EXIM_MAILDIR SYNC_CERTS=$EXIM_CERTS
	EXIM_PIPE_CONNECT=1 exim_start "$BATS_FILE_TMPDIR/exim"
}

teardown_file() {
	exim_stop "$BATS_FILE_TMPDIR/exim"
	exim_stop "$BATS_FILE_TMPDIR/exim-sync"
}

setup() {
	maildir_clear "$EXIM_MAILDIR"
	maildir_clear "$SYNC_MAILDIR"
	export XDG_CACHE_HOME=$BATS_TEST_TMPDIR/cache
	CACHE=$XDG_CACHE_HOME/mailout
	printf 'Subject: early %s\n\nhello\n' "$BATS_TEST_NUMBER" \
		>"$BATS_TEST_TMPDIR/message"
}

teardown() {
	scripted_teardown
}

# send PORT TLS-MODE [OPTIONS...]: a message to bob as alice, with the
# transcript (--debug) on stderr; CA: that server's trust anchor.
send() {
	local port=$1 tls=$2
	shift 2
	timeout 60 "$MAILOUT" --host localhost --port "$port" --tls "$tls" \
		--tls-trust-file "${CA:-$EXIM_CERTS/ca.pem}" --timeout 20 \
		--helo client.test -f sender@example.org --user alice \
		--password-command 'echo secret-pw' --debug "$@" \
		bob@example.org <"$BATS_TEST_TMPDIR/message"
}

# The pipelining field (L, L., L*) of the "<=" lines of an Exim log, in order.
pipelining_fields() {
	grep ' <= ' "$1" | grep -o ' L[.*]\? ' | tr -d ' '
}

# The transcript lines (C:/S:) of stderr, without the EHLO keywords and
# with the message size (which the added header fields make vary) as N.
dialogue() {
	printf '%s\n' "$stderr" | grep -E '^(C|S): ' | grep -v '^S: 250-' |
		sed -E 's/SIZE=[0-9]+/SIZE=N/; s/^C: BDAT [0-9]+/C: BDAT N/'
}

# assert_dialogue <<EOF: the dialogue starts with these lines.
assert_dialogue() {
	local want
	want=$(cat)
	assert_equal "$(dialogue | head -n "$(printf '%s\n' "$want" | wc -l)")" "$want"
}

@test "STARTTLS + AUTH: the second session sends EHLO+STARTTLS before the greeting, then EHLO+AUTH together" {
	run -0 --separate-stderr send "$EXIM_PORT" starttls --auth plain
	assert_dialogue <<'EOF'
S: 220 mail.test ESMTP Exim test server
C: EHLO client.test
S: 250 HELP
C: STARTTLS
S: 220 TLS go ahead
C: EHLO client.test
S: 250 HELP
C: AUTH PLAIN <redacted>
S: 235 Authentication succeeded
EOF
	run -0 --separate-stderr send "$EXIM_PORT" starttls --auth plain
	assert_dialogue <<'EOF'
C: EHLO client.test
C: STARTTLS
S: 220 mail.test ESMTP Exim test server
S: 250 HELP
S: 220 TLS go ahead
C: EHLO client.test
C: AUTH PLAIN <redacted>
S: 250 HELP
S: 235 Authentication succeeded
EOF
	maildir_wait 2 "$EXIM_MAILDIR"
	assert_equal "$(pipelining_fields "$EXIM_LOG" | tail -n 2 | paste -sd ' ')" "L. L*"
}

@test "implicit TLS + CRAM-MD5: EHLO and AUTH go with the TLS handshake's end, before the greeting" {
	run -0 --separate-stderr send "$EXIM_TLS_PORT" implicit --auth cram-md5
	run -0 --separate-stderr send "$EXIM_TLS_PORT" implicit --auth cram-md5
	assert_equal "$(dialogue | head -n 5 | sed 's/^S: 334 .*/S: 334 challenge/')" \
		"C: EHLO client.test
C: AUTH CRAM-MD5
S: 220 mail.test ESMTP Exim test server
S: 250 HELP
S: 334 challenge"
	maildir_wait 2 "$EXIM_MAILDIR"
	assert_equal "$(pipelining_fields "$EXIM_LOG" | tail -n 2 | paste -sd ' ')" "L. L*"
}

@test "the kept entry: one private file naming the server, both EHLO replies' keywords" {
	run -0 --separate-stderr send "$EXIM_PORT" starttls
	run stat -c '%a %U' "$CACHE" "$CACHE/ehlo-localhost-$EXIM_PORT"
	assert_output "700 root
600 root"
	run cat "$CACHE/ehlo-localhost-$EXIM_PORT"
	assert_line --index 0 'mailout-ehlo-cache 1'
	assert_line --index 1 "key localhost $EXIM_PORT starttls client.test -"
	assert_line 'before STARTTLS'
	assert_line 'before PIPECONNECT'
	assert_line 'after PIPECONNECT'
	refute_line 'after STARTTLS'
	refute_line --partial 'Hello'
}

@test "a server that stopped offering it refuses the early EHLO: once more the ordinary way, delivered once, entry dropped" {
	run -0 --separate-stderr send "$EXIM_PORT" starttls
	sed "s/^key localhost $EXIM_PORT /key localhost $SYNC_PORT /" \
		"$CACHE/ehlo-localhost-$EXIM_PORT" >"$CACHE/ehlo-localhost-$SYNC_PORT"
	CA=$SYNC_CERTS/ca.pem run -0 --separate-stderr send "$SYNC_PORT" starttls
	# Exim answers the early EHLO with 554 before its greeting, or, when
	# the EHLO reaches it only after it has greeted, after it: either way
	# the early attempt fails and the ordinary one starts over
	assert_equal "$(dialogue | head -n 2)" "C: EHLO client.test
C: STARTTLS"
	assert_equal "$(dialogue | sed -n 3,4p | sort)" "S: 220 mail.test ESMTP Exim test server
S: 554 SMTP synchronization error"
	[[ $stderr == *"early pipelining failed ("@(greeting|EHLO)": 554 SMTP synchronization error); trying again without"* ]] ||
		fail "no retry without early pipelining: $stderr"
	maildir_wait 1 "$SYNC_MAILDIR"
	assert [ ! -e "$CACHE/ehlo-localhost-$SYNC_PORT" ]
	CA=$SYNC_CERTS/ca.pem run -0 --separate-stderr send "$SYNC_PORT" starttls
	assert_equal "$(dialogue | head -n 1)" "S: 220 mail.test ESMTP Exim test server"
}

@test "an EHLO reply that changed since it was kept: once more the ordinary way, and the new one is kept" {
	run -0 --separate-stderr send "$EXIM_PORT" starttls
	sed -i '/^before CHUNKING$/d' "$CACHE/ehlo-localhost-$EXIM_PORT"
	run -0 --separate-stderr send "$EXIM_PORT" starttls
	[[ $stderr == *"early pipelining failed (the EHLO reply differs from the one kept); trying again without"* ]]
	maildir_wait 2 "$EXIM_MAILDIR"
	grep -qx 'before CHUNKING' "$CACHE/ehlo-localhost-$EXIM_PORT"
	run -0 --separate-stderr send "$EXIM_PORT" starttls
	assert_equal "$(dialogue | head -n 2)" "C: EHLO client.test
C: STARTTLS"
}

@test "pipe_connect = off: nothing before the greeting, nothing kept" {
	printf '[defaults]\npipe_connect = off\n' >"$BATS_TEST_TMPDIR/conf"
	MAILOUT_CONFIG=$BATS_TEST_TMPDIR/conf run -0 --separate-stderr send "$EXIM_PORT" starttls
	MAILOUT_CONFIG=$BATS_TEST_TMPDIR/conf run -0 --separate-stderr send "$EXIM_PORT" starttls
	assert_equal "$(dialogue | head -n 1)" "S: 220 mail.test ESMTP Exim test server"
	assert [ ! -e "$CACHE/ehlo-localhost-$EXIM_PORT" ]
	maildir_wait 2 "$EXIM_MAILDIR"
	assert_equal "$(pipelining_fields "$EXIM_LOG" | tail -n 2 | paste -sd ' ')" "L. L."
}

@test "an entry others may write, or one that does not parse, is not used" {
	run -0 --separate-stderr send "$EXIM_PORT" starttls
	entry=$CACHE/ehlo-localhost-$EXIM_PORT
	chmod 0620 "$entry"
	run -0 --separate-stderr send "$EXIM_PORT" starttls
	assert_equal "$(dialogue | head -n 1)" "S: 220 mail.test ESMTP Exim test server"
	for garbage in 'mailout-ehlo-cache 2' 'before PIPECONNECT' \
		"$(printf 'mailout-ehlo-cache 1\nkey localhost %s starttls other.helo -' "$EXIM_PORT")" \
		"$(head -c 3000 /dev/urandom | base64 -w 0)"; do
		printf '%s\n' "$garbage" >"$entry"
		chmod 0600 "$entry"
		run -0 --separate-stderr send "$EXIM_PORT" starttls
		assert_equal "$(dialogue | head -n 1)" "S: 220 mail.test ESMTP Exim test server"
	done
	maildir_wait 6 "$EXIM_MAILDIR"
}

# The scripted server: on the second connection the EHLO and AUTH PLAIN
# must have arrived in one write before anything was sent to the client.
@test "scripted: EHLO and AUTH PLAIN in one write before the greeting; the same replies as ever" {
	ehlo='send 250-server.test\nsend 250-PIPELINING\nsend 250-PIPECONNECT\nsend 250 AUTH PLAIN'
	# after the AUTH: its 235, the pipelined envelope and the message
	rest='send 235 ok\nexpect MAIL FROM:<sender@example\\.org>\nexpect RCPT TO:<bob@example\\.org>\nexpect DATA\nsend 250 ok\nsend 250 ok\nsend 354 go\ndata\nsend 250 queued\nexpect QUIT\nsend 221 bye'
	scripted_start --connections 2 <<EOF
send 220 server.test ESMTP
expect EHLO client\.test
$(printf "$ehlo")
expect AUTH PLAIN AHVzZXIAcHc=
$(printf "$rest")
connection
expect-group 2
expect EHLO client\.test
expect AUTH PLAIN AHVzZXIAcHc=
send 220 server.test ESMTP
$(printf "$ehlo")
$(printf "$rest")
EOF
	for i in 1 2; do
		timeout 30 "$MAILOUT" --host 127.0.0.1 --port "$SERVER_PORT" \
			--helo client.test --timeout 10 -f sender@example.org \
			--user user --password-command 'echo pw' bob@example.org \
			<"$BATS_TEST_TMPDIR/message"
	done
	scripted_wait
	run cat "$CACHE/ehlo-127.0.0.1-$SERVER_PORT"
	assert_line "key 127.0.0.1 $SERVER_PORT off client.test -"
}

@test "scripted: no retry after a timeout: one connection, exit 75" {
	scripted_start --connections 2 --tail-seconds 1 <<'EOF'
send 220 server.test ESMTP
expect EHLO client\.test
send 250-server.test
send 250-PIPELINING
send 250 PIPECONNECT
expect MAIL FROM:<sender@example\.org>
expect RCPT TO:<bob@example\.org>
expect DATA
send 250 ok
send 250 ok
send 354 go
data
send 250 queued
expect QUIT
connection
stall 4
EOF
	run -0 timeout 30 "$MAILOUT" --host 127.0.0.1 --port "$SERVER_PORT" \
		--helo client.test -f sender@example.org bob@example.org \
		<"$BATS_TEST_TMPDIR/message"
	run -75 --separate-stderr timeout 30 "$MAILOUT" --host 127.0.0.1 \
		--port "$SERVER_PORT" --helo client.test --timeout 2 --no-queue \
		-f sender@example.org --debug bob@example.org \
		<"$BATS_TEST_TMPDIR/message"
	[[ $stderr == *"timeout"* ]]
	[[ $stderr != *"trying again without"* ]]
	assert_equal "$(printf '%s\n' "$stderr" | grep -c -- '-- connected to')" 1
	scripted_reap
}
