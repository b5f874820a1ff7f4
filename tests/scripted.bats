#!/usr/bin/env bats
# mailout against the scripted fault-injecting server (tests/server/scripted.py):
# exact bytes on the wire, reply parsing, faults, timeouts, exit codes.
# Script language: see the top of tests/server/scripted.py; helpers:
# tests/lib/scripted.bash.

load helpers

teardown() {
	scripted_teardown
}

FROM=sender@example.org

# Every message carries complete headers (a later issue adds missing ones).
# The dialogues (tests/lib/dialogue.bash) have one recipient and this
# message; its stages: greeting ehlo mail rcpt1 data body dot quit.
HDR='From: Sender <sender@example.org>\nTo: <rcpt@example.com>\nSubject: scripted test\nDate: Mon, 01 Jan 2024 00:00:00 +0000\nMessage-ID: <scripted.1@example.org>\n\n'
HDR_CRLF=${HDR//'\n'/'\r\n'}
BODY_CRLF=${DIALOGUE_BODY//'\n'/'\r\n'}
DIALOGUE_HDR=$HDR
DIALOGUE_RCPTS=(rcpt@example.com)

setup() {
	dialogue_message "$BATS_TEST_TMPDIR/msg"
}

# mailout_run ARGS...: scripted_mailout (bounded by timeout 20) with the
# envelope sender and HELO name of the dialogues.
SCRIPTED_RUN_BOUND=20
mailout_run() {
	scripted_mailout --helo client.test -f "$FROM" "$@"
}

assert_elapsed_below() {
	if [ "$ELAPSED_MS" -ge "$1" ]; then
		fail "mailout took ${ELAPSED_MS} ms (limit $1 ms)"
	fi
}

###########################################################################
# The harness itself (so that a failure below points at mailout)

# bats test_tags=slow
@test "harness: scripted.py self-tests pass" {
	run "$SCRIPTED_PYTHON" "$TESTS_DIR/server/test_scripted.py"
	assert_success
}

@test "harness: /dev/tcp client, capture assertions and their report" {
	scripted_start <<'EOF'
send 220 server.test ESMTP
expect EHLO client\.test
send 250 server.test
expect QUIT
send 221 bye
EOF
	local line
	exec 5<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
	IFS= read -r -t 5 line <&5
	[ "$line" = $'220 server.test ESMTP\r' ]
	printf 'EHLO client.test\r\n' >&5
	IFS= read -r -t 5 line <&5
	[ "$line" = $'250 server.test\r' ]
	printf 'QUIT\r\n' >&5
	IFS= read -r -t 5 line <&5
	exec 5>&-
	scripted_wait
	assert_capture_printf 'EHLO client.test\r\nQUIT\r\n'
	assert_capture_prefix_printf 'EHLO client.test\r\n'
	printf 'EHLO client.test\r\nQUIT\r\n' >"$BATS_TEST_TMPDIR/want"
	assert_capture "$BATS_TEST_TMPDIR/want"
	run assert_capture_printf 'EHLO client.test\nQUIT\r\n'
	assert_failure
	assert_output --partial "first difference at byte 16"
	assert_output --partial "'EHLO client.test\\r\\n'"
	run assert_capture_printf --allow-quit 'EHLO client.test\r\n'
	assert_success
	run assert_capture_printf 'EHLO client.test\r\n'
	assert_failure
	run assert_capture_prefix_printf 'HELO'
	assert_failure
}

@test "harness: a failed script fails scripted_wait; assert_no_connection" {
	scripted_start <<'EOF'
send 220 server.test ESMTP
expect EHLO client\.test
EOF
	run assert_no_connection
	assert_success
	exec 5<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
	printf 'HELO client.test\r\n' >&5
	exec 5>&-
	run assert_no_connection
	assert_failure
	scripted_reap
	run scripted_wait
	assert_failure
	assert_output --partial "expected 'EHLO client\\\\.test', got b'HELO client.test\\r\\n'"
}

###########################################################################
# Normal dialogues

@test "delivers: exact dialogue bytes, silent on success, exit 0" {
	scripted_start < <(dialogue_script none)
	mailout_run rcpt@example.com
	assert_success
	assert_output ""
	assert_capture_printf "$(dialogue_sent none)"
}

@test "EHLO answered 502: falls back to HELO and delivers" {
	scripted_start < <(
		dialogue_script ehlo 'send 502 5.5.2 Error: command not recognized' \
			'expect HELO client\.test' 'send 250 server.test'
	)
	mailout_run rcpt@example.com
	assert_success
	assert_output ""
	assert_capture_printf "$(dialogue_sent ehlo)"'HELO client.test\r\n'"$(dialogue_sent mail quit)"
}

@test "multi-line replies and bare 250 lines are accepted" {
	scripted_start <<'EOF'
send 220-server.test ESMTP
send 220-a second greeting line
send 220 and a third
expect EHLO client\.test
send 250-server.test
send 250-X-ONE
send 250-X-TWO with arguments
send 250
expect MAIL FROM:<sender@example\.org>
send 250
expect RCPT TO:<rcpt@example\.com>
send 250-2.1.5 Ok
send 250 2.1.5 Still ok
expect DATA
send 354 go ahead
data
send 250-2.0.0 Ok
send 250 2.0.0 queued
expect QUIT
send 221 Bye
EOF
	mailout_run rcpt@example.com
	assert_success
	assert_output ""
	assert_capture_printf "$(dialogue_sent none)"
}

@test "reply lines of 512 octets are accepted" {
	local x506
	x506=$(x_times 506) # "220 " + 506 + CRLF = 512 octets
	scripted_start < <(
		echo "send 220 $x506"
		dialogue_script none | sed 1d | sed "s/^send 250 HELP\$/send 250 $x506/"
	)
	grep -q "^send 250 $x506\$" "$BATS_TEST_TMPDIR/script"
	mailout_run rcpt@example.com
	assert_success
	assert_capture_printf "$(dialogue_sent none)"
}

@test "-v shows the dialogue as C: and S: lines" {
	scripted_start < <(dialogue_script none)
	mailout_run -v rcpt@example.com
	assert_success
	assert_line "S: 220 server.test ESMTP ready"
	assert_line "C: EHLO client.test"
	assert_line "S: 250-server.test"
	assert_line "S: 250 HELP"
	assert_line "C: MAIL FROM:<sender@example.org>"
	assert_line "C: RCPT TO:<rcpt@example.com>"
	assert_line "S: 250 2.1.5 Ok"
	assert_line "C: QUIT"
	assert_capture_printf "$(dialogue_sent none)"
}

###########################################################################
# Malformed replies -> 76

# malformed_at_ehlo SCRIPT-LINE...: the EHLO reply is SCRIPT-LINEs; mailout
# must exit 76 having sent nothing after EHLO (QUIT tolerated).
malformed_at_ehlo() {
	scripted_start < <(dialogue_script ehlo "$@")
	mailout_run rcpt@example.com
	assert_failure 76
	assert_line --regexp '^mailout: '
	assert_capture_printf --allow-quit 'EHLO client.test\r\n'
}

@test "malformed reply: bad code 2x0 -> 76" {
	malformed_at_ehlo 'send 2x0 ok' 'expect-eof'
}

@test "malformed reply: two-digit code 25 -> 76" {
	malformed_at_ehlo 'send 25 ok' 'expect-eof'
}

@test "malformed reply: bad separator 250*ok -> 76" {
	malformed_at_ehlo 'send 250*ok' 'expect-eof'
}

@test "malformed reply: mixed codes in a multi-line reply -> 76" {
	malformed_at_ehlo 'send 250-server.test' 'send 251 HELP' 'expect-eof'
}

@test "malformed reply: a 10000-byte line -> 76" {
	malformed_at_ehlo "send 250 $(x_times 9996)" 'expect-eof'
}

@test "EOF after the first line of a multi-line reply -> 76" {
	malformed_at_ehlo 'sendraw 250-first\r\n' 'close'
}

@test "EOF in the middle of a reply line -> 76" {
	malformed_at_ehlo 'sendraw 250 partial' 'close'
}

@test "EOF before any byte of a reply -> 75" {
	scripted_start < <(dialogue_script mail 'close')
	mailout_run --no-queue rcpt@example.com
	assert_failure 75
	assert_capture_printf --allow-quit "$(dialogue_sent mail)"
}

###########################################################################
# Greeting, 421 at every stage

@test "greeting 554 -> 69" {
	scripted_start < <(dialogue_script greeting 'send 554 5.3.2 No service for you' 'expect-eof')
	mailout_run rcpt@example.com
	assert_failure 69
	assert_output --partial 554
	assert_capture_printf --allow-quit ''
}

# at_421 STAGE: 421 as the reply at STAGE -> 75, and nothing (no RSET, no
# QUIT) after the command that got it.
at_421() {
	scripted_start < <(dialogue_script "$1" 'send 421 4.3.2 Service shutting down' 'expect-eof')
	mailout_run --no-queue rcpt@example.com
	assert_failure 75
	assert_output --partial 421
	assert_capture_printf "$(dialogue_sent "$1")"
}

@test "421 greeting -> 75, nothing sent" {
	at_421 greeting
}

@test "421 to EHLO -> 75, nothing sent after EHLO" {
	at_421 ehlo
}

@test "421 to MAIL -> 75, nothing sent after MAIL" {
	at_421 mail
}

@test "421 to RCPT -> 75, nothing sent after RCPT" {
	at_421 rcpt1
}

@test "421 to DATA -> 75, nothing sent after DATA" {
	at_421 data
}

@test "421 after the final dot -> 75, no QUIT" {
	at_421 dot
}

###########################################################################
# Timeouts (--timeout 1): the server stays silent and waits (at most 5 s)
# for mailout to close; mailout must give up after about a second. These
# rows only wait: tagged slow, make check-quick leaves them out.

# silent_at STAGE
silent_at() {
	scripted_start < <(dialogue_script "$1" 'expect-eof')
	mailout_run --no-queue --timeout 1 rcpt@example.com
	assert_failure 75
	assert_elapsed_below 4000
	assert_capture_printf --allow-quit "$(dialogue_sent "$1")"
}

# bats test_tags=slow
@test "timeout waiting for the greeting -> 75" {
	silent_at greeting
}

# bats test_tags=slow
@test "timeout waiting for the EHLO reply -> 75" {
	silent_at ehlo
}

# bats test_tags=slow
@test "timeout waiting for the MAIL reply -> 75" {
	silent_at mail
}

# bats test_tags=slow
@test "timeout waiting for the RCPT reply -> 75" {
	silent_at rcpt1
}

# bats test_tags=slow
@test "timeout waiting for the DATA reply -> 75" {
	silent_at data
}

# bats test_tags=slow
@test "timeout waiting for the reply to the final dot -> 75" {
	silent_at dot
}

@test "replies arriving one byte at a time are fine" {
	scripted_start <<'EOF'
trickle 0.01 220 server.test ESMTP ready
expect EHLO client\.test
trickle 0.01 250-server.test
trickle 0.01 250 HELP
expect MAIL FROM:<sender@example\.org>
trickle 0.01 250 2.1.0 Ok
expect RCPT TO:<rcpt@example\.com>
send 250 2.1.5 Ok
expect DATA
send 354 go ahead
data
trickle 0.01 250 2.0.0 Ok: queued
expect QUIT
send 221 Bye
EOF
	mailout_run rcpt@example.com
	assert_success
	assert_capture_printf "$(dialogue_sent none)"
}

# bats test_tags=slow
@test "write timeout: server stops reading during a 20 MB message -> 75" {
	local big="$BATS_TEST_TMPDIR/big.eml"
	{
		# shellcheck disable=SC2059
		printf -- "$HDR"
		yes 'All work and no play makes Jack a dull boy. All work and no play makes Jack.' |
			head -c 20000000
	} >"$big"
	scripted_start < <(dialogue_script data 'send 354 go ahead' 'stall 10')
	mailout_run --no-queue --timeout 1 --file "$big" rcpt@example.com
	assert_failure 75
	assert_elapsed_below 8000
	# The server is still stalling; teardown kills it.
}

# bats test_tags=slow
@test "connect timeout: accept queue full, connect() hangs -> 75" {
	scripted_start --no-accept <<<'send 220 never'
	mailout_run --no-queue --timeout 1 rcpt@example.com
	assert_failure 75
	assert_elapsed_below 4000
}

@test "connection refused -> 75" {
	scripted_start <<<'send 220 x'
	kill "$SERVER_PID"
	wait "$SERVER_PID" || true
	mailout_run --no-queue --timeout 5 rcpt@example.com
	assert_failure 75
}

###########################################################################
# Message text: CRLF, dot-stuffing, lone "."

@test "-i: LF, CRLF, lone CR, leading dots, no final newline -> exact DATA bytes" {
	msg "$HDR"'line one\ncrlf line\r\nlone\rcr\n.leading dot\n..two dots\n. dot space\nlast line no newline'
	scripted_start < <(dialogue_script none)
	mailout_run -i rcpt@example.com
	assert_success
	assert_capture_printf "$(dialogue_sent data)$HDR_CRLF"'line one\r\ncrlf line\r\nlone\r\ncr\r\n..leading dot\r\n...two dots\r\n.. dot space\r\nlast line no newline\r\n.\r\n''QUIT\r\n'
}

@test "lone CRs: consecutive, before CRLF, at the end of input" {
	msg "$HDR"'a\r\rb\r\r\nc\r'
	scripted_start < <(dialogue_script none)
	mailout_run -i rcpt@example.com
	assert_success
	assert_capture_printf "$(dialogue_sent data)$HDR_CRLF"'a\r\n\r\nb\r\n\r\nc\r\n.\r\nQUIT\r\n'
}

@test "without -i a lone . line (LF) ends the message" {
	msg "$HDR"'before\n.\nafter\n'
	scripted_start < <(dialogue_script none)
	mailout_run rcpt@example.com
	assert_success
	assert_capture_printf "$(dialogue_sent data)$HDR_CRLF"'before\r\n.\r\nQUIT\r\n'
}

@test "without -i a lone . line (CRLF) ends the message" {
	msg "$HDR"'before\r\n.\r\nafter\r\n'
	scripted_start < <(dialogue_script none)
	mailout_run rcpt@example.com
	assert_success
	assert_capture_printf "$(dialogue_sent data)$HDR_CRLF"'before\r\n.\r\nQUIT\r\n'
}

@test "with -i a lone . line is sent as .." {
	msg "$HDR"'before\n.\nafter\n'
	scripted_start < <(dialogue_script none)
	mailout_run -i rcpt@example.com
	assert_success
	assert_capture_printf "$(dialogue_sent data)$HDR_CRLF"'before\r\n..\r\nafter\r\n.\r\nQUIT\r\n'
}

@test "with -oi a lone . line is sent as .." {
	msg "$HDR"'before\r\n.\r\nafter\r\n'
	scripted_start < <(dialogue_script none)
	mailout_run -oi rcpt@example.com
	assert_success
	assert_capture_printf "$(dialogue_sent data)$HDR_CRLF"'before\r\n..\r\nafter\r\n.\r\nQUIT\r\n'
}

###########################################################################
# Address hygiene -> 65 before connecting

# bad_address_cases "SENDER|RECIPIENT..." ...: run mailout once per case
# (FROM=SENDER, recipients as given) against a server that would answer any
# connection with 554 (-> 69); every case must exit 65 and the server must
# see no connection.  All cases run; the failures are listed together.
bad_address_cases() {
	scripted_start --connections 50 <<'EOF'
send 554 5.3.2 this connection should not have happened
expect-eof
EOF
	local c bad='' sender
	for c in "$@"; do
		sender=${c%%|*}
		local -a rcpts
		IFS='|' read -r -d '' -a rcpts < <(printf %s "${c#*|}") || true
		FROM=$sender
		mailout_run "${rcpts[@]}"
		if [ "$status" != 65 ]; then
			bad+="$(printf 'exit %s for -f %q to %s: %s' "$status" "$sender" \
				"$(printf '%q ' "${rcpts[@]}")" "$output")"$'\n'
		fi
	done
	FROM=sender@example.org
	if [ -n "$bad" ]; then
		fail "expected exit 65 before connecting:"$'\n'"$bad"
		return 1
	fi
	assert_no_connection
}

@test "CR or LF in the sender or a recipient -> 65, no connection" {
	bad_address_cases \
		$'sender@example.org\r\nRCPT TO:<evil@example.com>|rcpt@example.com' \
		$'sender@example.org\n|rcpt@example.com' \
		$'sender@example.org\r|rcpt@example.com' \
		$'sender@example.org|rcpt@example.com\r\nRCPT TO:<evil@example.com>' \
		$'sender@example.org|rcpt@example.com\nDATA' \
		$'sender@example.org|rcpt@example.com|second@example.com\r'
}

@test "< > or control characters in the sender or a recipient -> 65, no connection" {
	bad_address_cases \
		'send<er@example.org|rcpt@example.com' \
		'sender@example.org>|rcpt@example.com' \
		$'sen\x01der@example.org|rcpt@example.com' \
		'sender@example.org|rcpt@exa<mple.com' \
		'sender@example.org|rcpt>@example.com' \
		$'sender@example.org|rcpt\x01@example.com' \
		$'sender@example.org|rcpt@example.com|esc\x1b@example.com'
}

###########################################################################
# Refused and deferred recipients

@test "one of three recipients refused: DATA still sent, report line, exit 67" {
	DIALOGUE_RCPTS=(good1@example.com bad@example.com good2@example.com)
	scripted_start < <(dialogue_script rcpt2 'send 550 5.1.1 No such user')
	mailout_run good1@example.com bad@example.com good2@example.com
	assert_failure 67
	assert_line 'mailout: <bad@example.com>: refused at RCPT: 550 5.1.1 No such user'
	refute_output --partial 'good1@example.com>: refused'
	refute_output --partial 'good2@example.com>: refused'
	assert_capture_printf 'EHLO client.test\r\nMAIL FROM:<sender@example.org>\r\nRCPT TO:<good1@example.com>\r\nRCPT TO:<bad@example.com>\r\nRCPT TO:<good2@example.com>\r\nDATA\r\n'"$HDR_CRLF$BODY_CRLF"'.\r\nQUIT\r\n'
}

@test "all recipients refused: no DATA, QUIT, exit 67" {
	scripted_start < <(dialogue_greet; cat <<'EOF'
expect MAIL FROM:<sender@example\.org>
send 250 2.1.0 Ok
expect RCPT TO:<bad1@example\.com>
send 550 5.1.1 No such user
expect RCPT TO:<bad2@example\.com>
send 550-5.7.1 Relaying denied
send 550 go away
expect QUIT
send 221 Bye
EOF
)
	mailout_run bad1@example.com bad2@example.com
	assert_failure 67
	assert_line 'mailout: <bad1@example.com>: refused at RCPT: 550 5.1.1 No such user'
	assert_line 'mailout: <bad2@example.com>: refused at RCPT: 550 5.7.1 Relaying denied go away'
	assert_capture_printf 'EHLO client.test\r\nMAIL FROM:<sender@example.org>\r\nRCPT TO:<bad1@example.com>\r\nRCPT TO:<bad2@example.com>\r\nQUIT\r\n'
}

@test "a 451 recipient is deferred: report line, others delivered, exit 75" {
	DIALOGUE_RCPTS=(good@example.com later@example.com)
	scripted_start < <(dialogue_script rcpt2 'send 451 4.2.1 Try later')
	mailout_run --no-queue good@example.com later@example.com
	assert_failure 75
	assert_line 'mailout: <later@example.com>: deferred at RCPT: 451 4.2.1 Try later'
	refute_output --partial 'good@example.com>:'
	assert_capture_printf 'EHLO client.test\r\nMAIL FROM:<sender@example.org>\r\nRCPT TO:<good@example.com>\r\nRCPT TO:<later@example.com>\r\nDATA\r\n'"$HDR_CRLF$BODY_CRLF"'.\r\nQUIT\r\n'
}

###########################################################################
# LMTP

@test "LMTP over a unix socket: one reply per recipient after the data" {
	scripted_start --unix "$BATS_TEST_TMPDIR/lmtp.sock" <<'EOF'
send 220 lmtp.test LMTP ready
expect LHLO client\.test
send 250-lmtp.test
send 250 HELP
expect MAIL FROM:<sender@example\.org>
send 250 2.1.0 Ok
expect RCPT TO:<ok@example\.org>
send 250 2.1.5 Ok
expect RCPT TO:<tiny@example\.org>
send 250 2.1.5 Ok
expect DATA
send 354 go ahead
data
send 250 2.0.0 <ok@example.org> delivered
send 552 5.2.2 Quota exceeded
expect QUIT
send 221 Bye
EOF
	[ -S "$SERVER_SOCKET" ]
	mailout_run --protocol lmtp ok@example.org tiny@example.org
	assert_failure 67
	assert_line 'mailout: <tiny@example.org>: refused at DATA: 552 5.2.2 Quota exceeded'
	refute_output --partial '<ok@example.org>: refused'
	assert_capture_printf 'LHLO client.test\r\nMAIL FROM:<sender@example.org>\r\nRCPT TO:<ok@example.org>\r\nRCPT TO:<tiny@example.org>\r\nDATA\r\n'"$HDR_CRLF$BODY_CRLF"'.\r\nQUIT\r\n'
}
