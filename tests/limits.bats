#!/usr/bin/env bats
# The limits of man/mailout.1 (LIMITS), each at the limit and one past it:
# reply line length and lines per reply (src/reply.h), header block size
# (src/header.h), recipients per invocation (src/addr.h), the session
# deadline (src/net.h).  Dialogues: tests/lib/dialogue.bash.

load helpers

setup() {
	dialogue_message "$BATS_TEST_TMPDIR/msg"
}

teardown() {
	scripted_teardown
}

# ehlo_reply WANT LINE...: the EHLO reply is the script LINEs; WANT 0: the
# message goes through; else mailout exits WANT, sending nothing after EHLO
# but QUIT.
ehlo_reply() {
	local want=$1
	shift
	scripted_start < <(dialogue_script ehlo "$@")
	dialogue_run --no-queue
	assert_equal "$status" "$want" || return
	if [ "$want" = 0 ]; then
		assert_capture_printf "$(dialogue_sent quit)"
	else
		assert_capture_printf --allow-quit "$(dialogue_sent ehlo)"
	fi
}

@test "a reply line of 8192 octets (CRLF included) is accepted" {
	ehlo_reply 0 'send 250-server.test' "send 250 $(x_times 8186)"
}

@test "a reply line of 8193 octets -> 76" {
	ehlo_reply 76 'send 250-server.test' "send 250 $(x_times 8187)" expect-eof
	assert_output 'mailout: server line longer than 8192 bytes'
}

# reply_of N: script lines of an EHLO reply of N lines.
reply_of() {
	local i
	echo 'send 250-server.test'
	for ((i = 2; i < $1; i++)); do echo "send 250-X-LINE-$i"; done
	echo 'send 250 HELP'
}

@test "a reply of 100 lines is accepted" {
	local lines
	mapfile -t lines < <(reply_of 100)
	ehlo_reply 0 "${lines[@]}"
}

@test "a reply of 101 lines -> 76" {
	local lines
	mapfile -t lines < <(reply_of 101)
	ehlo_reply 76 "${lines[@]}" expect-eof
	assert_output 'mailout: reply longer than 100 lines'
}

# dry_run ARGS...: mailout --dry-run ARGS, the message from
# $BATS_TEST_TMPDIR/msg; the plan (stdout, big here) goes to $PLAN, so
# status and output are the exit and stderr.
dry_run() {
	PLAN=$BATS_TEST_TMPDIR/plan
	run bash -c '"$@" >"$0"' "$PLAN" "$MAILOUT" --dry-run "$@" \
		<"$BATS_TEST_TMPDIR/msg"
}

# header_of N: a message whose header lines are N octets (the empty line
# after them not counted).
header_of() {
	python3 - "$1" <<'PY'
import sys
n = int(sys.argv[1])
head = "From: s@example.org\nTo: a@example.com\nX-Big: start\n"
fold = " " + "f" * 99 + "\n"
k = (n - len(head) - 3) // len(fold)
last = n - len(head) - k * len(fold)
sys.stdout.write(head + fold * k + " " + "g" * (last - 2) + "\n" + "\nbody\n")
PY
}

@test "a header block of 1 MiB is accepted" {
	header_of 1048576 >"$BATS_TEST_TMPDIR/msg"
	dry_run -t -f s@example.org
	assert_success
	grep -qx 'envelope recipient: <a@example.com>' "$PLAN"
}

@test "a header block of 1 MiB + 1 octet -> 65" {
	header_of 1048577 >"$BATS_TEST_TMPDIR/msg"
	dry_run -t -f s@example.org
	assert_failure 65
	assert_output 'mailout: header block larger than 1048576 octets'
}

@test "10000 recipients are accepted" {
	# shellcheck disable=SC2046
	dry_run -f s@example.org $(seq -f 'r%g@example.com' 10000)
	assert_success
	[ "$(grep -c '^envelope recipient: <r[0-9]*@example.com>$' "$PLAN")" = 10000 ]
}

@test "10001 recipients -> 65" {
	# shellcheck disable=SC2046
	dry_run -f s@example.org $(seq -f 'r%g@example.com' 10001)
	assert_failure 65
	assert_output 'mailout: recipient: more than 10000 recipients'
}

# paced_script SECONDS: a server that waits SECONDS before each of its 25
# replies (greeting, EHLO, MAIL, 20 RCPT, DATA, the dot).
paced_script() {
	local i
	echo "sleep $1"
	echo 'send 220 server.test ESMTP'
	echo 'expect EHLO client\.test'
	echo "sleep $1"
	echo 'send 250 server.test'
	echo 'expect MAIL FROM:<sender@example\.org>'
	echo "sleep $1"
	echo 'send 250 2.1.0 Ok'
	for ((i = 1; i <= 20; i++)); do
		echo "expect RCPT TO:<r$i@example\.com>"
		echo "sleep $1"
		echo 'send 250 2.1.5 Ok'
		done
	echo 'expect DATA'
	echo "sleep $1"
	echo 'send 354 go ahead'
	echo data
	echo "sleep $1"
	echo 'send 250 2.0.0 Ok: queued'
	echo 'expect QUIT'
}

# paced SECONDS: paced_script against mailout --timeout 1: each reply is in
# time, and the session has 10 s. (These rows only wait: tagged slow, make
# check-quick leaves them out.)
paced() {
	scripted_start < <(paced_script "$1")
	# shellcheck disable=SC2207,SC2034 # read by dialogue_run
	DIALOGUE_RCPTS=($(seq -f 'r%g@example.com' 20))
	dialogue_run --no-queue --timeout 1
}

# bats test_tags=slow
@test "a session of 25 replies 0.25 s apart (6 s) fits in 10 x --timeout 1" {
	paced 0.25
	assert_success
	scripted_wait
}

# bats test_tags=slow
@test "a session of 25 replies 0.6 s apart (15 s) -> 75 after 10 x --timeout 1" {
	paced 0.6
	assert_failure 75
	assert_output --partial 'the whole session may take at most 10 times the timeout (10 s)'
	if [ "$ELAPSED_MS" -lt 9500 ] || [ "$ELAPSED_MS" -ge 14000 ]; then
		fail "mailout gave up after $ELAPSED_MS ms, not about 10 s"
	fi
}
