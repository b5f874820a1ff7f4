#!/usr/bin/env bats
# Core delivery paths against the scripted server (tests/server/scripted.py,
# which listens on 127.0.0.1 only): every address a host name resolves to is
# tried in turn, name-resolution failures, and memory use that does not grow
# with the size of the message.

bats_require_minimum_version 1.5.0
load helpers

# The memory tests measure the plain binary: the sanitizer build ($MAILOUT
# under make check) has a far larger footprint.
: "${MAILOUT_PLAIN:=$TOP_DIR/src/mailout}"

teardown() {
	scripted_teardown
}

FROM=sender@example.org

setup() {
	printf '%s\n' \
		"From: Sender <sender@example.org>" \
		"To: rcpt@example.com" \
		"Subject: core test $BATS_TEST_NUMBER" \
		"Date: Mon, 01 Jan 2024 12:00:00 +0000" \
		"Message-ID: <core.$BATS_TEST_NUMBER@example.org>" \
		"" \
		"Hello." >"$BATS_TEST_TMPDIR/message"
}

# assert_stderr_line / refute_stderr_line: assert_line / refute_line on the
# stderr of `run --separate-stderr`.
# shellcheck disable=SC2154 # stderr, stderr_lines: set by run
assert_stderr_line() {
	local output=$stderr
	local -a lines=("${stderr_lines[@]}")
	assert_line "$@"
}

refute_stderr_line() {
	local output=$stderr
	local -a lines=("${stderr_lines[@]}")
	refute_line "$@"
}

# A complete, successful dialogue for one recipient; the message text is
# read by "data" whatever its size.
ONE_MESSAGE_SCRIPT='send 220 server.test ESMTP
expect EHLO client\.test
send 250-server.test
send 250 PIPELINING
expect MAIL FROM:<sender@example\.org>
send 250 2.1.0 Ok
expect RCPT TO:<rcpt@example\.com>
send 250 2.1.5 Ok
expect DATA
send 354 go ahead
data
send 250 2.0.0 queued
expect QUIT
send 221 bye'

# What the client sends for that dialogue, up to DATA and after the text.
SENT_BEFORE_TEXT='EHLO client.test\r\nMAIL FROM:<sender@example.org>\r\nRCPT TO:<rcpt@example.com>\r\nDATA\r\n'
SENT_AFTER_TEXT='.\r\nQUIT\r\n'

# ---------------------------------------------------------------------------
# Name resolution. The test gives mailout its own /etc/hosts
# (tests/lib/resolver.bash), so that the addresses and their order do not
# depend on the machine.

# mailout_resolved ARGS...: mailout in with_resolver, message from setup().
mailout_resolved() {
	with_resolver timeout 60 "$MAILOUT" --helo client.test -f "$FROM" "$@" \
		<"$BATS_TEST_TMPDIR/message"
}

@test "--host localhost resolving to ::1 then 127.0.0.1: ::1 is refused, delivered over 127.0.0.1" {
	own_resolver '::1 localhost' '127.0.0.1 localhost'
	assert_resolves localhost ::1 127.0.0.1
	scripted_start <<<"$ONE_MESSAGE_SCRIPT"
	run --separate-stderr mailout_resolved --host localhost --port "$SERVER_PORT" \
		-v rcpt@example.com
	[ "$status" -eq 0 ] || fail "exit status $status, expected 0; stderr:
$stderr" || return
	assert_equal "$output" ""
	assert_stderr_line "-- connected to localhost [127.0.0.1]:$SERVER_PORT"
	# the refused ::1 is not reported as the outcome of a delivery that worked
	refute_stderr_line --partial "mailout: "
	{
		printf %b "$SENT_BEFORE_TEXT"
		sed 's/$/\r/' "$BATS_TEST_TMPDIR/message"
		printf %b "$SENT_AFTER_TEXT"
	} >"$BATS_TEST_TMPDIR/expected"
	assert_capture "$BATS_TEST_TMPDIR/expected"
}

@test "--host localhost (::1, 127.0.0.1) with --source-address 127.0.0.1: the IPv6 address is skipped, delivered" {
	own_resolver '::1 localhost' '127.0.0.1 localhost'
	assert_resolves localhost ::1 127.0.0.1
	scripted_start <<<"$ONE_MESSAGE_SCRIPT"
	run --separate-stderr mailout_resolved --host localhost --port "$SERVER_PORT" \
		--source-address 127.0.0.1 -v rcpt@example.com
	[ "$status" -eq 0 ] || fail "exit status $status, expected 0; stderr:
$stderr" || return
	assert_stderr_line "-- connected to localhost [127.0.0.1]:$SERVER_PORT"
	refute_stderr_line --partial "mailout: "
	scripted_wait
}

@test "--host localhost (::1, 127.0.0.1), nothing listening on either -> 75" {
	own_resolver '::1 localhost' '127.0.0.1 localhost'
	local port
	# a port that was free a moment ago
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	run --separate-stderr mailout_resolved --host localhost --port "$port" \
		--no-queue rcpt@example.com
	assert_equal "$status" 75
	assert_stderr_line --regexp "^mailout: cannot connect to localhost \\[(::1|127\\.0\\.0\\.1)\\]:$port: Connection refused\$"
}

@test "--host nonexistent.invalid: the name does not resolve -> 68" {
	own_resolver '127.0.0.1 localhost'
	run --separate-stderr mailout_resolved --host nonexistent.invalid --port 25 \
		rcpt@example.com
	assert_equal "$status" 68
	assert_equal "$output" ""
	[[ $stderr == "mailout: cannot resolve nonexistent.invalid: "* ]] ||
		fail "stderr: $stderr"
}

# ---------------------------------------------------------------------------
# Memory: the message is streamed, never held whole. Peak RSS (GNU time's
# %M, KiB) of the plain binary sending 100 MB must stay small and within
# 1 MiB of what it needs for 1 MB.

RSS_LIMIT_KB=8192
RSS_GROWTH_KB=1024

# big_message MB: a message of MB MiB (complete headers, then lines of 63
# characters, none starting with "."; the last line is "last line.") in
# $BATS_TEST_TMPDIR; prints its path.
big_message() {
	local mb=$1 f="$BATS_TEST_TMPDIR/message-${1}M" line
	if [ ! -s "$f" ]; then
		line=$(printf '%063d' 0 | tr 0 x)
		{
			printf '%s\n' \
				"From: Sender <sender@example.org>" \
				"To: rcpt@example.com" \
				"Subject: ${mb} MB" \
				"Date: Mon, 01 Jan 2024 12:00:00 +0000" \
				"Message-ID: <big.$mb@example.org>" \
				""
			yes "$line" | head -c $((mb * 1024 * 1024 - 1024))
			echo "last line."
		} >"$f"
	fi
	echo "$f"
}

# send_big FILE HOW: the plain mailout sends FILE to the scripted server,
# with --file (HOW=file) or through a pipe on stdin (HOW=pipe); checks the
# exit status and that the server got the whole text; sets RSS_KB.
send_big() {
	local file=$1 how=$2 rss="$BATS_TEST_TMPDIR/rss" status=0
	local -a cmd=(timeout 60 /usr/bin/time -f %M -o "$rss" "$MAILOUT_PLAIN"
		--host 127.0.0.1 --port "$SERVER_PORT" --helo client.test -f "$FROM")
	rm -f "$rss"
	if [ "$how" = file ]; then
		"${cmd[@]}" --file "$file" rcpt@example.com </dev/null \
			>"$BATS_TEST_TMPDIR/out" 2>&1 || status=$?
	else
		# shellcheck disable=SC2002 # a pipe, not a file, on stdin
		cat "$file" | "${cmd[@]}" rcpt@example.com \
			>"$BATS_TEST_TMPDIR/out" 2>&1 || status=$?
	fi
	if [ "$status" != 0 ]; then
		fail "mailout ($how, $(stat -c %s "$file") bytes) exited $status:
$(cat "$BATS_TEST_TMPDIR/out")" || return
	fi
	RSS_KB=$(tail -n 1 "$rss")
	[[ $RSS_KB =~ ^[0-9]+$ ]] || fail "no peak RSS from /usr/bin/time: $(cat "$rss")" || return
	assert_whole_text_received "$file"
}

# assert_whole_text_received FILE: the capture is exactly the dialogue around
# the text, and the text (between DATA and the final ".") has FILE's size
# with every LF turned into CRLF and ends with its last line.
assert_whole_text_received() {
	local file=$1 before after size want got
	scripted_wait || return
	before=$(printf %b "$SENT_BEFORE_TEXT" | wc -c)
	after=$(printf %b "$SENT_AFTER_TEXT" | wc -c)
	size=$(stat -c %s "$SERVER_CAPTURE")
	want=$(($(stat -c %s "$file") + $(wc -l <"$file")))
	got=$((size - before - after))
	cmp -s <(head -c "$before" "$SERVER_CAPTURE") <(printf %b "$SENT_BEFORE_TEXT") ||
		fail "the dialogue before the text differs: $(head -c 200 "$SERVER_CAPTURE" | cat -A)" || return
	cmp -s <(tail -c "$after" "$SERVER_CAPTURE") <(printf %b "$SENT_AFTER_TEXT") ||
		fail "the dialogue after the text differs: $(tail -c 40 "$SERVER_CAPTURE" | cat -A)" || return
	[ "$got" -eq "$want" ] ||
		fail "the server got $got bytes of message text, expected $want" || return
	cmp -s <(tail -c $((after + 12)) "$SERVER_CAPTURE" | head -c 12) <(printf 'last line.\r\n') ||
		fail "the text does not end with its last line: $(tail -c 40 "$SERVER_CAPTURE" | cat -A)" || return
	rm -f "$SERVER_CAPTURE" # 100 MB
}

# rss_flat HOW: 1 MB then 100 MB, both sent HOW; the peak RSS limits hold.
rss_flat() {
	local how=$1 small big rss_small
	[ -x "$MAILOUT_PLAIN" ] || fail "no plain binary $MAILOUT_PLAIN (make build)" || return
	[ -x /usr/bin/time ] || fail "/usr/bin/time missing (apt-get install time)" || return
	small=$(big_message 1)
	big=$(big_message 100)
	scripted_start <<<"$ONE_MESSAGE_SCRIPT"
	send_big "$small" "$how" || return
	rss_small=$RSS_KB
	scripted_start <<<"$ONE_MESSAGE_SCRIPT"
	send_big "$big" "$how" || return
	[ "$RSS_KB" -le "$RSS_LIMIT_KB" ] ||
		fail "peak RSS for 100 MB ($how) is $RSS_KB KiB, limit $RSS_LIMIT_KB KiB (1 MB: $rss_small KiB)" || return
	[ $((RSS_KB - rss_small)) -le "$RSS_GROWTH_KB" ] ||
		fail "peak RSS grew from $rss_small KiB (1 MB) to $RSS_KB KiB (100 MB) ($how), more than $RSS_GROWTH_KB KiB" || return
}

@test "memory: --file 1 MB and 100 MB: peak RSS <= 8 MiB and flat, whole text received" {
	rss_flat file
}

@test "memory: stdin (a pipe) 1 MB and 100 MB: peak RSS <= 8 MiB and flat, whole text received" {
	rss_flat pipe
}
