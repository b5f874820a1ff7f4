#!/usr/bin/env bats
# The local mail service (issue 16): mailout serve as its own user, on a
# private socket and spool, and callers as other users with HOME unset.

bats_require_minimum_version 1.5.0
load helpers

# The service's configuration: the relay is the real Exim, STARTTLS
# and AUTH, its password only here (0640 root:SVC_USER).
relay_config() {
	service_config "[defaults]" "domain = example.org" \
		"default_profile = relay" "aliases = $SVC_DIR/aliases" "$@" \
		"[relay]" "host = 127.0.0.1" "port = $EXIM_PORT" "tls = starttls" \
		"tls_trust_file = $EXIM_CERTS/ca.pem" "user = alice" \
		"password = secret-pw" \
		"[down]" "host = 127.0.0.1" "port = 1" "tls = off"
}

setup_file() {
	# the tests share the suite's service, queue and Exim
	BATS_NO_PARALLELIZE_WITHIN_FILE=true
	exim_start
	service_setup_file
	printf '%s\n' "root: admin@example.org" "team: a1@example.org, a2@example.org" \
		>"$SVC_DIR/aliases"
	chmod 644 "$SVC_DIR/aliases"
	relay_config
	service_start
}

teardown_file() {
	service_teardown_file
	exim_stop
}

teardown() {
	scripted_teardown
}

setup() {
	maildir_clear "$EXIM_MAILDIR"
	rm -f "$SVC_QUEUE"/*
	printf '%s\n' "Subject: through the service $BATS_TEST_NUMBER" "" "Hello," \
		".leading dot" "last line" >"$BATS_TEST_TMPDIR/message"
	chmod 644 "$BATS_TEST_TMPDIR/message"
	_servers_make_reachable "$BATS_TEST_TMPDIR"
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
		"MAIL FROM:<someone@example.org> XQUEUEONLY" "RCPT TO:<a@example.org>" "DATA" \
		"Subject: stored" "Message-ID: <stored@example.org>" "" "..a dot" \
		"body" "." "QUIT")
	assert_success
	assert_line --index 0 "220 mailout service LMTP ready"
	assert_line "250 XMAILOUT DOMAIN=example.org"
	assert_line "250-PIPELINING"
	assert_line --regexp '^250 2\.0\.0 \[queued [0-9]{14}\.[0-9a-f]{10} connect\] not tried \(-odq\)$'
	assert_line "221 2.0.0 Bye"
	id=$(grep -o '\[queued [^ ]*' <<<"$output" | cut -d' ' -f2)
	env=$SVC_QUEUE/$id.env
	run grep -x "caller $(id -u "$SVC_CALLER") $(id -g "$SVC_CALLER") [0-9]* $SVC_CALLER" "$env"
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
	lmtp "LHLO x" "MAIL FROM:<> XQUEUEONLY" "RCPT TO:<nobody>" "DATA" \
		"Subject: bare" "" "." "QUIT"
	id=$(grep -o '\[queued [^ ]*' <<<"$output" | cut -d' ' -f2)
	run grep -x "rcpt nobody@example.org" "$SVC_QUEUE/$id.env"
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
	assert_queue_empty
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
	assert_queue_empty
}

@test "serve: a bare LF before a dot does not end the message (SMTP smuggling)" {
	local id
	lmtp "LHLO x" "MAIL FROM:<a@example.org> XQUEUEONLY" "RCPT TO:<a@example.org>" \
		"DATA" 'Subject: smuggle' "" 'one\n.\nMAIL FROM:<evil@example.org>\!' \
		"two" "." "QUIT"
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
	assert_queue_empty
	[ -z "$(ls "$SVC_QUEUE")" ]
}

# bats test_tags=slow
@test "serve: an idle client, and a session that goes on too long, get 421 (timeout = 1)" {
	local -a noops=()
	service_stop
	relay_config "timeout = 1"
	service_start
	run lmtp_as "$SVC_CALLER" --idle 3 < <(printf '%s\n' "LHLO x")
	assert_line --index 2 "421 4.4.2 Timeout: closing the connection"
	# each command in time, but the whole session may last 10 timeouts
	for ((i = 0; i < 40; i++)); do noops+=("NOOP" "#SLEEP 0.5"); done
	run lmtp_as "$SVC_CALLER" --lines < <(printf '%s\n' "LHLO x" "${noops[@]}")
	assert_line --regexp '^421 4\.4\.2 '
	[ "${#lines[@]}" -lt 40 ]
	service_stop
	relay_config
	service_start
}

###########################################################################
# The client: a user without a configuration of its own hands the message
# to the service, which relays it at once and answers for each recipient.

# direct_config: FILE, root's own configuration for the same relay, to
# compare a direct send with one through the service.
direct_config() {
	printf '%s\n' "[defaults]" "domain = example.org" "host = 127.0.0.1" \
		"port = $EXIM_PORT" "tls = starttls" \
		"tls_trust_file = $EXIM_CERTS/ca.pem" "user = alice" \
		"password = secret-pw" "queue_dir = $BATS_TEST_TMPDIR/direct-queue" \
		>"$BATS_TEST_TMPDIR/direct.conf"
	chmod 600 "$BATS_TEST_TMPDIR/direct.conf"
	echo "$BATS_TEST_TMPDIR/direct.conf"
}

@test "client: a user with HOME unset hands the message over; Exim gets it over STARTTLS with AUTH" {
	local file log_start
	log_start=$(($(stat -c %s "$EXIM_LOG") + 1))
	sendmail_as "$SVC_CALLER" -i someone@example.org
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	maildir_wait 1 "$EXIM_MAILDIR"
	file=$(maildir_find_for someone@example.org "$EXIM_MAILDIR")
	assert_equal "$(mail_header Return-path "$file")" "<$SVC_CALLER@example.org>"
	assert_equal "$(mail_header From "$file")" "$SVC_CALLER@example.org"
	[[ $(mail_header Message-ID "$file") == *@example.org\> ]]
	grep -q "^Received: by .* (mailout service, from uid $(id -u "$SVC_CALLER") $SVC_CALLER)" "$file"
	assert_equal "$(mail_body "$file")" "$(tail -n +3 "$BATS_TEST_TMPDIR/message")"
	tail -c "+$log_start" "$EXIM_LOG" | grep -q "<= $SVC_CALLER@example.org .* P=esmtpsa .*A=.*:alice" ||
		fail "Exim did not get it with TLS and AUTH: $(tail -c "+$log_start" "$EXIM_LOG")"
	assert_queue_empty
}

@test "client: a refused recipient: 67 and the relay's text, the others delivered, as a direct send" {
	sendmail_as "$SVC_CALLER" -i someone@example.org nouser@example.org
	assert_failure 67
	assert_equal "$stderr" "mailout: <nouser@example.org>: refused at RCPT: 550 5.1.1 No such user"
	maildir_wait 1 "$EXIM_MAILDIR"
	found=$(maildir_find_for someone@example.org "$EXIM_MAILDIR")
	assert_queue_empty
	run --separate-stderr "$MAILOUT" -C "$(direct_config)" -f "$SVC_CALLER@example.org" \
		-i someone@example.org nouser@example.org <"$BATS_TEST_TMPDIR/message"
	assert_failure 67
	assert_equal "$stderr" "mailout: <nouser@example.org>: refused at RCPT: 550 5.1.1 No such user"
}

# json_fates: the recipients of a --report json object, without the
# accepted ones' texts (Exim's message ids differ).
json_fates() {
	python3 -c '
import json, sys
o = json.loads(sys.stdin.read())
print(o["status"], o["exit"], "queue_id" in o)
for r in o["recipients"]:
    print(r["address"], r["accepted"], r["queued"], r["stage"], r["code"],
          r["enhanced"], "" if r["accepted"] else r["text"])'
}

@test "client: --report json through the service says what a direct send says" {
	local via direct
	sendmail_as "$SVC_CALLER" --report json -i someone@example.org nouser@example.org \
		busy@example.org
	assert_failure 67
	via=$(json_fates <<<"$output")
	run --separate-stderr "$MAILOUT" -C "$(direct_config)" -f "$SVC_CALLER@example.org" \
		--report json -i someone@example.org nouser@example.org busy@example.org \
		<"$BATS_TEST_TMPDIR/message"
	assert_failure 67
	direct=$(json_fates <<<"$output")
	assert_equal "$via" "$direct"
	assert_equal "$(sed -n 4p <<<"$via")" "busy@example.org False True rcpt 451 4.2.1 451 4.2.1 Try again later"
}

@test "client: a deferral: 0 and 'queued as ID', in the system spool with the caller as owner" {
	local id
	sendmail_as "$SVC_CALLER" -i busy@example.org
	assert_success
	assert_equal "${stderr_lines[0]}" "mailout: <busy@example.org>: deferred at RCPT: 451 4.2.1 Try again later"
	[[ ${stderr_lines[1]} =~ ^mailout:\ queued\ as\ ([0-9.a-f]+)\ for\ 1\ recipient\;\ to\ send\ it\ now:\ mailout\ -q$ ]]
	id=${BASH_REMATCH[1]}
	assert_equal "$(queue_entries)" "$id"
	run grep -c -x -e "caller $(id -u "$SVC_CALLER") $(id -g "$SVC_CALLER") [0-9]* $SVC_CALLER" \
		-e "rcpt busy@example.org" -e "error 451 4.2.1 Try again later" "$SVC_QUEUE/$id.env"
	assert_output 3
}

@test "client: relay down: queued with the caller as owner, exit 0; relay back: mailout -q as the caller" {
	sendmail_as "$SVC_CALLER" -a down -i someone@example.org
	assert_success
	assert_equal "${stderr_lines[0]}" "mailout: cannot connect to 127.0.0.1 [127.0.0.1]:1: Connection refused"
	assert_regex "${stderr_lines[1]}" '^mailout: queued as [0-9.a-f]+ for 1 recipient; to send it now: mailout -q$'
	# mailq: the caller sees it, another user does not
	run as_user "$SVC_CALLER" "$SVC_BIN" -bp
	assert_success
	assert_line --partial "<someone@example.org>"
	assert_line --regexp "^    owner: $SVC_CALLER \(uid $(id -u "$SVC_CALLER"), pid [0-9]+\)\$"
	run as_user "$SVC_OTHER" "$SVC_BIN" -bp
	assert_success
	assert_output "Mail queue is empty"
	# another user's -q does not send it
	run as_user "$SVC_OTHER" "$SVC_BIN" -q
	assert_success
	[ -n "$(queue_entries)" ]
	# the relay is back (the profile "down" now reaches Exim): -q sends it
	sed -i "s/^port = 1\$/port = $EXIM_PORT/" "$SVC_CONF"
	run --separate-stderr as_user "$SVC_CALLER" "$SVC_BIN" -q
	assert_success
	assert_equal "$stderr" ""
	maildir_wait 1 "$EXIM_MAILDIR"
	assert_queue_empty
	relay_config
}

@test "client: -v shows the dialogue with the service and its markers; never the relay's password" {
	sendmail_as "$SVC_CALLER" -v -i someone@example.org nouser@example.org
	assert_failure 67
	assert_output ""
	[[ $stderr == *"C: LHLO "* ]]
	[[ $stderr == *"S: 250 XMAILOUT DOMAIN=example.org"* ]]
	[[ $stderr == *"S: 250 [sent] "* ]]
	[[ $stderr == *"S: 550 5.1.1 [rcpt] No such user"* ]]
	[[ $stderr != *secret-pw* && $stderr != *AUTH* && $stderr != *alice* ]]
}

@test "client: --dry-run names the service's socket and uses the service's domain" {
	sendmail_as "$SVC_CALLER" --dry-run root
	assert_success
	assert_line --index 0 "service: $SVC_SOCKET (the mailout service sends the message, with its own configuration)"
	assert_line "domain: example.org"
	assert_line "envelope sender: <$SVC_CALLER@example.org>"
	assert_line "envelope recipient: <root@example.org>"
	assert_line "From: $SVC_CALLER@example.org"
	maildir_wait 0 "$EXIM_MAILDIR" 1
}

@test "client: root uses the service too; not with -C, \$MAILOUT_CONFIG, a user file or --host" {
	local -a env=(env -u MAILOUT_CONFIG MAILOUT_SERVICE="$SVC_SOCKET"
		XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/xdg")
	run "${env[@]}" "$MAILOUT" --dry-run a@example.org </dev/null
	assert_line --index 0 --partial "service: $SVC_SOCKET"
	run "${env[@]}" "$MAILOUT" -C /dev/null --dry-run a@example.org </dev/null
	assert_line --index 0 "config file: /dev/null"
	run "${env[@]}" MAILOUT_CONFIG=/dev/null "$MAILOUT" --dry-run a@example.org </dev/null
	assert_line --index 0 "config file: /dev/null"
	run "${env[@]}" "$MAILOUT" --host 127.0.0.1 --dry-run a@example.org </dev/null
	refute_line --partial "service:"
	mkdir -p "$BATS_TEST_TMPDIR/xdg/mailout"
	echo "[defaults]" >"$BATS_TEST_TMPDIR/xdg/mailout/config"
	run "${env[@]}" "$MAILOUT" --dry-run a@example.org </dev/null
	assert_line "config file: $BATS_TEST_TMPDIR/xdg/mailout/config"
	refute_line --partial "service:"
}

@test "client: the service's aliases: cron's root reaches admin@example.org" {
	sendmail_as "$SVC_CALLER" -i root team
	assert_success
	assert_equal "$stderr" ""
	maildir_wait 3 "$EXIM_MAILDIR"
	found=$(maildir_find_for admin@example.org "$EXIM_MAILDIR")
	found=$(maildir_find_for a1@example.org "$EXIM_MAILDIR")
	found=$(maildir_find_for a2@example.org "$EXIM_MAILDIR")
}

@test "client: -a names one of the service's profiles; an unknown one is refused at MAIL" {
	sendmail_as "$SVC_CALLER" -a relay -i someone@example.org
	assert_success
	maildir_wait 1 "$EXIM_MAILDIR"
	sendmail_as "$SVC_CALLER" -a nosuch -i someone@example.org
	assert_failure 69
	assert_equal "$stderr" "mailout: MAIL FROM: 550 5.7.1 No profile \"nosuch\" in the service's configuration"
}

@test "client: a stale socket (no service behind it): sends without the service" {
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
		"$BATS_TEST_TMPDIR/stale"
	chmod 666 "$BATS_TEST_TMPDIR/stale"
	run --separate-stderr runuser -u "$SVC_CALLER" -- env -i PATH=/usr/bin:/bin \
		MAILOUT_SERVICE="$BATS_TEST_TMPDIR/stale" "$SVC_BIN" -v --dry-run a@example.org \
		</dev/null
	assert_success
	assert_line --index 0 --partial "config file: none (built-in defaults"
	[[ $stderr == *"-- nobody listens on $BATS_TEST_TMPDIR/stale: sending without the service"* ]]
}

@test "client: -odq through the service: kept, not tried; the caller's -q sends it" {
	sendmail_as "$SVC_CALLER" -odq -i someone@example.org
	assert_success
	assert_equal "$stderr" ""
	[ -n "$(queue_entries)" ]
	maildir_wait 0 "$EXIM_MAILDIR" 1
	run as_user "$SVC_CALLER" "$SVC_BIN" -q
	assert_success
	maildir_wait 1 "$EXIM_MAILDIR"
	assert_queue_empty
}

@test "client: --no-queue through the service: a deferral is 75 and nothing stays" {
	sendmail_as "$SVC_CALLER" --no-queue -i busy@example.org someone@example.org
	assert_failure 75
	assert_equal "$stderr" "mailout: <busy@example.org>: deferred at RCPT: 451 4.2.1 Try again later"
	maildir_wait 1 "$EXIM_MAILDIR"
	assert_queue_empty
}

# scripted_service LINE...: a scripted LMTP server in the service's
# place, these script lines after its greeting and LHLO.
scripted_service() {
	scripted_start --unix "$BATS_TEST_TMPDIR/fake.sock" < <(printf '%s\n' \
		"send 220 fake service" "expect LHLO .*" "send 250-fake" \
		"send 250-PIPELINING" "send 250-ENHANCEDSTATUSCODES" \
		"send 250 XMAILOUT DOMAIN=example.org" "$@")
}

via_fake() {
	run --separate-stderr env -u MAILOUT_CONFIG MAILOUT_SERVICE="$SERVER_SOCKET" \
		"$MAILOUT" -f s@example.org -i "$@" <"$BATS_TEST_TMPDIR/message"
}

@test "client: a service that closes without answering after the message: 75, may not have been sent" {
	scripted_service "expect MAIL FROM:<s@example\.org>" \
		"expect RCPT TO:<a@example\.org>.*" "expect DATA" "send 250 2.1.0 ok" \
		"send 250 2.1.5 ok" "send 354 go" "data"
	via_fake a@example.org
	assert_failure 75
	assert_regex "$stderr" '^mailout: the mailout service did not answer after the message \(.*\): it may not have been sent$'
}

@test "client: the service's [failed mail] and [queued ID STAGE] read as a direct send's outcome" {
	scripted_service "expect MAIL FROM:<s@example\.org>" \
		"expect RCPT TO:<a@example\.org>.*" "expect RCPT TO:<b@example\.org>.*" \
		"expect DATA" "send 250 2.1.0 ok" "send 250 2.1.5 ok" "send 250 2.1.5 ok" \
		"send 354 go" "data" \
		"send 553 5.7.1 [failed mail] MAIL FROM: 553 5.7.1 Sender not yours" \
		"send 553 5.7.1 [failed mail] MAIL FROM: 553 5.7.1 Sender not yours" \
		"expect QUIT" "send 221 bye"
	via_fake --report json a@example.org b@example.org
	assert_failure 69
	assert_equal "$stderr" "mailout: MAIL FROM: 553 5.7.1 Sender not yours"
	[[ $output == *'"status":"failed","exit":69,'* ]]
	[[ $output == *'"error":"MAIL FROM: 553 5.7.1 Sender not yours"'* ]]
	scripted_teardown
	scripted_service "expect MAIL FROM:<s@example\.org>" \
		"expect RCPT TO:<a@example\.org>.*" "expect RCPT TO:<b@example\.org>.*" \
		"expect DATA" "send 250 2.1.0 ok" "send 250 2.1.5 ok" "send 250 2.1.5 ok" \
		"send 354 go" "data" \
		"send 250 2.0.0 [queued 20260101000000.0123456789 rcpt] 452 4.2.2 Mailbox full" \
		"send 250 2.0.0 [queued 20260101000000.0123456789 connect] cannot connect to relay.example: Connection timed out" \
		"expect QUIT" "send 221 bye"
	via_fake a@example.org b@example.org
	assert_success
	assert_equal "$stderr" "mailout: <a@example.org>: deferred at RCPT: 452 4.2.2 Mailbox full
mailout: cannot connect to relay.example: Connection timed out
mailout: queued as 20260101000000.0123456789 for 2 recipients; to send it now: mailout -q"
}

###########################################################################
# The processes: workers, SIGTERM, socket activation, the periodic flush.

@test "pool: a master and its workers; SIGTERM: 421 to a waiting client, all end, the socket goes" {
	local client
	[ "$(pgrep -c -P "$(service_pid)")" -ge 2 ]
	lmtp_as "$SVC_CALLER" --idle 5 < <(printf '%s\n' "LHLO x") >"$BATS_TEST_TMPDIR/client" &
	client=$!
	sleep 0.5
	service_stop
	wait "$client"
	run cat "$BATS_TEST_TMPDIR/client"
	assert_line --index 2 "421 4.3.2 The service is shutting down"
	[ ! -e "$SVC_SOCKET" ]
	run tail -n 1 "$SVC_LOG"
	assert_output "mailout serve: stopped"
	service_start
}

@test "pool: when it starts, the service flushes what is due in its queue" {
	sendmail_as "$SVC_CALLER" -odq -i someone@example.org
	assert_success
	[ -n "$(queue_entries)" ]
	service_stop
	service_start
	maildir_wait 1 "$EXIM_MAILDIR" 10
	assert_queue_empty
}

@test "pool: systemd's socket activation (LISTEN_FDS, LISTEN_PID): the socket it passes is used" {
	local path=$SVC_DIR/run/activated
	service_stop
	# what systemd does: bind, then exec the service with the socket as fd 3
	setpriv --reuid="$SVC_USER" --regid="$SVC_USER" --init-groups -- \
		env -i PATH=/usr/bin:/bin python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666); s.listen(16)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
os.execv(sys.argv[2], sys.argv[2:])' "$path" "$SVC_BIN" serve -C "$SVC_CONF" \
		--queue-dir "$SVC_QUEUE" </dev/null >"$SVC_LOG" 2>&1 3>&- &
	echo $! >"$SVC_DIR/service.pid"
	for ((i = 0; i < 100; i++)); do
		grep -q listening "$SVC_LOG" && break
		sleep 0.05
	done
	run grep "listening" "$SVC_LOG"
	assert_output --partial "listening on $path"
	run --separate-stderr runuser -u "$SVC_CALLER" -- env -i PATH=/usr/bin:/bin \
		MAILOUT_SERVICE="$path" "$SVC_BIN" -i someone@example.org <"$BATS_TEST_TMPDIR/message"
	assert_success
	maildir_wait 1 "$EXIM_MAILDIR"
	service_stop
	# systemd's socket: not the service's to remove
	[ -S "$path" ]
	rm -f "$path"
	service_start
}

###########################################################################
# -q and mailq through the service, and what one user cannot do or see.

@test "privacy: mailq shows a user their own entries; root sees all, with their owners" {
	sendmail_as "$SVC_CALLER" -odq -i a@example.org
	sendmail_as "$SVC_OTHER" -odq -i b@example.org
	run as_user "$SVC_CALLER" "$SVC_BIN" -bp
	assert_line --partial "<a@example.org>"
	refute_line --partial "<b@example.org>"
	refute_line --partial "$SVC_OTHER"
	assert_line --regexp '^-- 1 message, [0-9]+ octets, in '
	ln -sf mailout "$SVC_DIR/bin/mailq"
	run as_user "$SVC_OTHER" "$SVC_DIR/bin/mailq"
	assert_line --partial "<b@example.org>"
	refute_line --partial "<a@example.org>"
	run env -u MAILOUT_CONFIG MAILOUT_SERVICE="$SVC_SOCKET" "$MAILOUT" -bp
	assert_success
	assert_line --partial "<a@example.org>"
	assert_line --partial "<b@example.org>"
	assert_line --regexp "^    owner: $SVC_CALLER \\(uid [0-9]+, pid [0-9]+\\)\$"
	assert_line --regexp "^    owner: $SVC_OTHER \\(uid [0-9]+, pid [0-9]+\\)\$"
}

@test "privacy: -q flushes the caller's own entries; a refusal on the way is said, and the sender notified" {
	local id
	sendmail_as "$SVC_CALLER" -odq -i nouser@example.org
	sendmail_as "$SVC_OTHER" -odq -i other@example.org
	id=$(grep -l "^caller $(id -u "$SVC_CALLER") " "$SVC_QUEUE"/*.env)
	id=$(basename "$id" .env)
	run --separate-stderr as_user "$SVC_CALLER" "$SVC_BIN" -q
	assert_success
	assert_equal "$stderr" "mailout: $id: <nouser@example.org>: refused: 550 5.1.1 No such user"
	# the failure notice to the caller; the other user's entry stays
	maildir_wait 1 "$EXIM_MAILDIR"
	found=$(maildir_find_for "$SVC_CALLER@example.org" "$EXIM_MAILDIR")
	assert_equal "$(queue_entries | wc -l)" 1
	grep -q "^caller $(id -u "$SVC_OTHER") " "$SVC_QUEUE"/*.env
}

@test "privacy: --hold, --release, --remove, --send through the service act on the caller's entries; another's is unknown" {
	local mine theirs
	sendmail_as "$SVC_CALLER" -odq -i a@example.org
	sendmail_as "$SVC_OTHER" -odq -i b@example.org
	mine=$(basename "$(grep -l "^caller $(id -u "$SVC_CALLER") " "$SVC_QUEUE"/*.env)" .env)
	theirs=$(basename "$(grep -l "^caller $(id -u "$SVC_OTHER") " "$SVC_QUEUE"/*.env)" .env)
	# the other user's entry is as unknown as no entry; the caller's own
	# is held, and the other IDs are still handled
	run --separate-stderr as_user "$SVC_CALLER" "$SVC_BIN" --hold "$theirs" "$mine"
	assert_failure 66
	assert_equal "$stderr" "mailout: $theirs: no such entry in the queue"
	grep -qx 'held yes' "$SVC_QUEUE/$mine.env"
	! grep -qx 'held yes' "$SVC_QUEUE/$theirs.env"
	run --separate-stderr as_user "$SVC_CALLER" "$SVC_BIN" -v --release "$mine"
	assert_success
	[[ $stderr == *"C: XOP release $mine"* ]]
	[[ $stderr == *$'\n'"mailout: $mine: released: due now"$'\n'* ]]
	! grep -qx 'held yes' "$SVC_QUEUE/$mine.env"
	run as_user "$SVC_CALLER" "$SVC_BIN" --remove "$theirs"
	assert_failure 66
	[ -e "$SVC_QUEUE/$theirs.env" ]
	# --send delivers the caller's own now
	run --separate-stderr as_user "$SVC_CALLER" "$SVC_BIN" --send "$mine"
	assert_success
	maildir_wait 1 "$EXIM_MAILDIR"
	[ ! -e "$SVC_QUEUE/$mine.env" ]
	# root acts on every entry
	run env -u MAILOUT_CONFIG MAILOUT_SERVICE="$SVC_SOCKET" "$MAILOUT" --remove "$theirs"
	assert_success
	assert_queue_empty
}

@test "XOP without an operation or an ID, or with an unknown one: 501, the entry untouched" {
	local id i
	sendmail_as "$SVC_CALLER" -odq -i a@example.org
	id=$(queue_entries)
	# the IDs of an earlier XOP are not taken for those of a later one
	lmtp "LHLO x" "XOP hold $id" "XOP" "XOP remove" "XOP remove " "XOP  remove" \
		"XOP frobnicate $id" "XOP $id" "QUIT"
	assert_success
	assert_line --index 2 "250 2.0.0 Done"
	for i in 3 4 5 6 7 8; do
		assert_line --index "$i" "501 5.5.4 Syntax: XOP remove|bounce|hold|release|send ID..."
	done
	assert_line --index 9 "221 2.0.0 Bye"
	assert_equal "$(queue_entries)" "$id"
}

@test "health: --health through the service counts the caller's entries (root: all)" {
	sendmail_as "$SVC_CALLER" -odq -i a@example.org
	sendmail_as "$SVC_OTHER" -odq -i b@example.org
	sendmail_as "$SVC_OTHER" -odq -i c@example.org
	run as_user "$SVC_CALLER" "$SVC_BIN" --health
	assert_success
	assert_output --regexp '^MAILOUT OK - 1 queued.*\|.*queued=1;'
	run as_user "$SVC_OTHER" "$SVC_BIN" --health --format prometheus
	assert_success
	assert_line --regexp '^mailout_queue_messages\{.*\} 2$'
	run env -u MAILOUT_CONFIG MAILOUT_SERVICE="$SVC_SOCKET" "$MAILOUT" --health
	assert_success
	assert_output --regexp 'queued=3;'
}

@test "privacy: a user cannot read the service's configuration or the queue, nor name a file or a host" {
	run as_user "$SVC_CALLER" cat "$SVC_CONF"
	assert_failure
	run as_user "$SVC_CALLER" ls "$SVC_QUEUE"
	assert_failure
	run as_user "$SVC_CALLER" "$SVC_BIN" -C "$SVC_CONF" --dry-run a@example.org </dev/null
	assert_failure 78
	assert_output --partial "Permission denied"
	# MAIL takes no parameter that would name a file, host or command
	lmtp "LHLO x" "MAIL FROM:<a@example.org> HOST=evil.example" \
		"MAIL FROM:<a@example.org> XPROFILE=../../etc/passwd" \
		"MAIL FROM:<a@example.org> XCONFIG=/etc/shadow" "QUIT"
	assert_line --index 2 "555 5.5.4 Unsupported parameter HOST"
	assert_line --index 3 "550 5.7.1 No profile \"../../etc/passwd\" in the service's configuration"
	assert_line --index 4 "555 5.5.4 Unsupported parameter XCONFIG"
}
