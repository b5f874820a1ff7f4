#!/usr/bin/env bats
# The local mail service (issue 16): mailout serve as its own user, on a
# private socket and spool, and callers as other users with HOME unset.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	service_setup_file "[defaults]" "domain = example.org"
	service_start
}

teardown_file() {
	service_teardown_file
}

# lmtp SCRIPT_LINES...: the test client as SVC_CALLER, one write.
lmtp() {
	run lmtp_as "$SVC_CALLER" < <(printf '%s\n' "$@")
}

@test "serve: refuses to run as root, which it never needs" {
	run "$MAILOUT" serve --socket "$BATS_TEST_TMPDIR/s"
	assert_failure 64
	assert_output --partial "refusing to run as root"
	[ ! -e "$BATS_TEST_TMPDIR/s" ]
}

@test "serve: the socket is 0666 in a 0755 directory; the queue is the service's alone" {
	run stat -c '%a %U' "$SVC_SOCKET" "$SVC_QUEUE"
	assert_output "666 $SVC_USER
700 $SVC_USER"
}

@test "serve: an LMTP session stores the message with its owner from SO_PEERCRED" {
	local id env
	run lmtp_as "$SVC_CALLER" --full < <(printf '%s\n' "LHLO client.example" \
		"MAIL FROM:<someone@example.org>" "RCPT TO:<a@example.org>" "DATA" \
		"Subject: stored" "Message-ID: <stored@example.org>" "" "..a dot" \
		"body" "." "QUIT")
	assert_success
	assert_line --index 0 "220 mailout service LMTP ready"
	assert_line "250 XMAILOUT DOMAIN=example.org"
	assert_line "250-PIPELINING"
	assert_line --regexp '^250 2\.0\.0 \[queued [0-9]{14}\.[0-9a-f]{10} data\] '
	assert_line "221 2.0.0 Bye"
	id=$(grep -o '\[queued [^ ]*' <<<"$output" | cut -d' ' -f2)
	env=$SVC_QUEUE/$id.env
	run grep -x "owner $(id -u "$SVC_CALLER") $(id -g "$SVC_CALLER") [0-9]* $SVC_CALLER" "$env"
	assert_success
	run grep -c -x -e "sender someone@example.org" -e "rcpt a@example.org" \
		-e "message-id <stored@example.org>" "$env"
	assert_output 3
	# the message as the queue keeps it: unstuffed, under a Received
	# field naming the caller
	run sed -n '1p;4,$p' "$SVC_QUEUE/$id.msg"
	assert_line --index 0 --regexp "^Received: by .* \(mailout service, from uid $(id -u "$SVC_CALLER") $SVC_CALLER\)"
	assert_line --index 3 $'.a dot\r'
	# and the caller cannot read it
	run as_user "$SVC_CALLER" cat "$SVC_QUEUE/$id.msg"
	assert_failure
	rm -f "$SVC_QUEUE/$id".*
}

@test "serve: a bare name gets the service's domain" {
	local id
	lmtp "LHLO x" "MAIL FROM:<>" "RCPT TO:<root>" "DATA" "Subject: bare" "" "." "QUIT"
	id=$(grep -o '\[queued [^ ]*' <<<"$output" | cut -d' ' -f2)
	run grep -x "rcpt root@example.org" "$SVC_QUEUE/$id.env"
	assert_success
	rm -f "$SVC_QUEUE/$id".*
}

@test "serve: commands out of order, unknown, unsupported, or SMTP's on the LMTP socket" {
	lmtp "MAIL FROM:<a@b>" "EHLO x" "LHLO x" "RCPT TO:<a@b>" "DATA" \
		"MAIL FROM:<a@b>" "DATA" "STARTTLS" "FROBNICATE" "RCPT TO:<>" \
		"MAIL FROM:<a@b>" "QUIT"
	assert_line --index 1 "503 5.5.1 Bad sequence of commands: send LHLO first"
	assert_line --index 2 "500 5.5.1 This is LMTP: say LHLO"
	assert_line --index 4 "503 5.5.1 Bad sequence of commands: send MAIL first"
	assert_line --index 5 "503 5.5.1 Bad sequence of commands: send MAIL first"
	assert_line --index 6 "250 2.1.0 Sender <a@b> OK"
	assert_line --index 7 "554 5.5.1 No valid recipients"
	assert_line --index 8 "502 5.5.1 Command not implemented"
	assert_line --index 9 "500 5.5.1 Command unrecognized"
	assert_line --index 10 "553 5.1.3 A recipient cannot be <>"
	assert_line --index 11 "503 5.5.1 Bad sequence of commands: send RCPT first"
	assert_line --index 12 "221 2.0.0 Bye"
	[ -z "$(queue_entries)" ]
}

@test "serve: a line too long gets 500 and the end of the session" {
	lmtp "LHLO x" "NOOP $(head -c 1200 /dev/zero | tr '\0' x)" "NOOP"
	assert_line --index 2 "500 5.5.2 Line too long; closing the connection"
	refute_line "250 2.0.0 OK"
}

@test "serve: twenty refused commands in a row end the session with 421" {
	local -a bad=()
	for ((i = 0; i < 25; i++)); do bad+=("BOGUS $i"); done
	lmtp "LHLO x" "${bad[@]}"
	assert_line --index 21 "500 5.5.1 Command unrecognized"
	assert_line --index 22 "421 4.7.0 Too many errors: closing the connection"
	[ "${#lines[@]}" -eq 23 ]
}

@test "serve: recipients beyond 1000 get 452; the message goes to the 1000" {
	local -a rcpts=()
	for ((i = 1; i <= 1001; i++)); do rcpts+=("RCPT TO:<r$i@example.org>"); done
	lmtp "LHLO x" "MAIL FROM:<a@example.org>" "${rcpts[@]}" "RSET" "QUIT"
	assert_line --index 1002 "250 2.1.5 Recipient <r1000@example.org> OK"
	assert_line --index 1003 "452 4.5.3 Too many recipients: at most 1000 in one message"
}

@test "serve: SIZE beyond the limit is refused at MAIL" {
	lmtp "LHLO x" "MAIL FROM:<a@example.org> SIZE=999999999" "QUIT"
	assert_line "552 5.3.4 Message too big: at most 67108864 octets"
}

@test "serve: a NUL octet or a header block over 1 MiB: refused after the dot, nothing kept" {
	lmtp "LHLO x" "MAIL FROM:<a@example.org>" "RCPT TO:<a@example.org>" \
		"RCPT TO:<b@example.org>" "DATA" 'Subject: nul\x00' "" "." "QUIT"
	assert_line --index 6 "554 5.6.0 The message contains a NUL octet"
	assert_line --index 7 "554 5.6.0 The message contains a NUL octet"
	{
		printf '%s\n' "LHLO x" "MAIL FROM:<a@example.org>" "RCPT TO:<a@example.org>" "DATA"
		for ((i = 0; i < 1100; i++)); do printf 'X-Filler-%d: %01000d\n' "$i" 0; done
		printf '%s\n' "" "body" "." "QUIT"
	} >"$BATS_TEST_TMPDIR/big"
	run lmtp_as "$SVC_CALLER" <"$BATS_TEST_TMPDIR/big"
	assert_line --index 5 "552 5.3.4 Header block larger than 1048576 octets"
	assert_line --index 6 "221 2.0.0 Bye"
	[ -z "$(queue_entries)" ]
}

@test "serve: a bare LF before a dot does not end the message (SMTP smuggling)" {
	local id
	lmtp "LHLO x" "MAIL FROM:<a@example.org>" "RCPT TO:<a@example.org>" "DATA" \
		'Subject: smuggle' "" 'one\n.\nMAIL FROM:<evil@example.org>\!' "two" "." "QUIT"
	assert_line --index 5 --regexp '^250 2\.0\.0 \[queued '
	assert_line --index 6 "221 2.0.0 Bye"
	id=$(grep -o '\[queued [^ ]*' <<<"$output" | cut -d' ' -f2)
	run grep -c "MAIL FROM:<evil" "$SVC_QUEUE/$id.msg"
	assert_output 1
	rm -f "$SVC_QUEUE/$id".*
}

@test "serve: a client that vanishes in the middle of the message leaves nothing" {
	printf '%s\n' "LHLO x" "MAIL FROM:<a@example.org>" "RCPT TO:<a@example.org>" \
		"DATA" "Subject: abandoned" "" "half a message" |
		lmtp_as "$SVC_CALLER" --send-only
	# the service goes on serving
	lmtp "LHLO x" "QUIT"
	assert_line --index 2 "221 2.0.0 Bye"
	[ -z "$(queue_entries)" ]
	[ -z "$(ls "$SVC_QUEUE")" ]
}

@test "serve: an idle client, and a session that goes on too long, get 421 (timeout = 1)" {
	local -a noops=()
	service_stop
	service_config "[defaults]" "domain = example.org" "timeout = 1"
	service_start
	run lmtp_as "$SVC_CALLER" --idle 3 < <(printf '%s\n' "LHLO x")
	assert_line --index 2 "421 4.4.2 Timeout: closing the connection"
	# each command in time, but the whole session may last 10 timeouts
	for ((i = 0; i < 40; i++)); do noops+=("NOOP" "#SLEEP 0.5"); done
	run lmtp_as "$SVC_CALLER" --lines < <(printf '%s\n' "LHLO x" "${noops[@]}")
	assert_line --regexp '^421 4\.4\.2 '
	[ "${#lines[@]}" -lt 40 ]
	service_stop
	service_config "[defaults]" "domain = example.org"
	service_start
}
