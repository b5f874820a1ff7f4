#!/usr/bin/env bats
# The durable queue (SPEC §7), -q/--flush, -bp, -odq, -bv, --report json and
# the log (SPEC §6, §8): against real Exim (nouser* -> 550, busy* -> 451) and
# the scripted server.

bats_require_minimum_version 1.5.0
load helpers

exim_suite

setup() {
	exim_test_setup
	Q=$BATS_TEST_TMPDIR/queue
	printf '%s\n' "From: Sender <sender@example.org>" "To: a@example.org" \
		"Subject: queued $BATS_TEST_NUMBER" \
		"Message-ID: <q$BATS_TEST_NUMBER@example.org>" "" >"$BATS_TEST_TMPDIR/message"
	printf '%s\n' "Hello," ".leading dot" "" "last line" >"$BATS_TEST_TMPDIR/body"
	cat "$BATS_TEST_TMPDIR/body" >>"$BATS_TEST_TMPDIR/message"
}

teardown() {
	scripted_teardown
}

# mq ARGS...: mailout with this test's queue, the message on stdin.
mq() {
	run --separate-stderr timeout 60 "$MAILOUT" --queue-dir "$Q" --timeout 20 \
		--helo client.test -f sender@example.org "$@" <"$BATS_TEST_TMPDIR/message"
}

# nowhere ARGS...: the same to a port nobody listens on (connection refused).
nowhere() {
	mq --host 127.0.0.1 --port 1 "$@"
}

# flush ARGS...: mailout --flush (what is due) of this test's queue, sent
# to Exim.
flush() {
	run --separate-stderr timeout 60 "$MAILOUT" --queue-dir "$Q" --flush \
		--host 127.0.0.1 --port "$EXIM_PORT" "$@" </dev/null
}

# one_message RCPT FINAL: a scripted dialogue taking one message for RCPT
# and answering FINAL to its data.
one_message() {
	printf '%s\n' 'send 220 server.test ESMTP' 'expect EHLO client\.test' \
		'send 250 server.test' 'expect MAIL FROM:<sender@example\.org>' \
		'send 250 ok' "expect RCPT TO:<${1//./\\.}>" 'send 250 ok' \
		'expect DATA' 'send 354 go' 'data' "send $2" 'expect QUIT' 'send 221 bye'
}

# queue_ids: the ids in $Q (tests/lib/queueops.bash).

assert_queue_empty() {
	assert_equal "$(queue_ids)" ""
	run "$MAILOUT" --queue-dir "$Q" -bp
	assert_success
	assert_output "Mail queue is empty"
}

# assert_delivered_to ADDR: ADDR got exactly one copy, with our body.
assert_delivered_to() {
	local file
	file=$(maildir_find_for "$1" "$EXIM_MAILDIR") || return
	assert_body_is "$file"
}

@test "connection refused: queued durably, exit 0, 'queued as' on stderr, -bp lists it" {
	nowhere a@example.org b@example.org
	assert_success
	assert_equal "$output" ""
	assert_regex "$stderr" 'cannot connect to 127\.0\.0\.1.*Connection refused'
	assert_regex "$stderr" 'queued as [0-9]{14}\.[0-9a-f]{10} for 2 recipients'
	assert_equal "$(queue_ids | wc -l)" 1
	run "$MAILOUT" --queue-dir "$Q" -bp
	assert_success
	assert_line --regexp '^[0-9]{14}\.[0-9a-f]{10} +[0-9]+s +[0-9]+  <sender@example\.org>$'
	assert_line '    <a@example.org>'
	assert_line '    <b@example.org>'
	assert_line --regexp '^    attempts: 1, next in [45]m; last error: cannot connect to .*Connection refused$'
	# what is queued is the message as it goes on the wire: CRLF, no stuffing
	grep -q $'^\\.leading dot\r$' "$Q"/*.msg
	[ -z "$(ls "$Q" | grep '^tmp\.')" ]
}

@test "--no-queue and queue = off: exit 75 and nothing queued" {
	nowhere --no-queue a@example.org
	assert_failure 75
	assert_equal "$(queue_ids)" ""
	printf '[defaults]\nqueue = off\n' >"$BATS_TEST_TMPDIR/conf"
	MAILOUT_CONFIG=$BATS_TEST_TMPDIR/conf nowhere a@example.org
	assert_failure 75
	assert_equal "$(queue_ids)" ""
}

@test "a flush delivers into Exim once the failure clears; the queue is then empty" {
	nowhere a@example.org b@example.org
	assert_success
	flush
	assert_output ""
	# backed off: nothing is due yet
	assert_equal "$(maildir_count "$EXIM_MAILDIR")" 0
	flush --flush=all
	assert_success
	maildir_wait 2 "$EXIM_MAILDIR"
	assert_delivered_to a@example.org
	assert_delivered_to b@example.org
	assert_queue_empty
}

@test "partial: a 451 recipient is queued alone, the 250 one delivered now" {
	mq --host 127.0.0.1 --port "$EXIM_PORT" --report json good@example.org busy1@example.org
	assert_success
	assert_regex "$stderr" '<busy1@example\.org>: deferred at RCPT: 451 4\.2\.1'
	assert_regex "$stderr" 'queued as .* for 1 recipient;'
	maildir_wait 1 "$EXIM_MAILDIR"
	assert_delivered_to good@example.org
	grep -qx 'rcpt busy1@example.org' "$Q"/*.env
	! grep -q 'good@' "$Q"/*.env
	python3 -m json.tool <<<"$output" >/dev/null
	run python3 -c '
import json, sys
r = json.loads(sys.argv[1])
assert r["status"] == "queued" and r["exit"] == 0, r
assert r["sender"] == "sender@example.org" and r["message_id"] == sys.argv[2], r
good, busy = r["recipients"]
assert good["accepted"] and not good["queued"] and good["stage"] == "data" and good["code"] == 250, good
assert not busy["accepted"] and busy["queued"] and busy["stage"] == "rcpt", busy
assert busy["code"] == 451 and busy["enhanced"] == "4.2.1", busy
' "$output" "<q$BATS_TEST_NUMBER@example.org>"
	assert_success
}

@test "--report json: sent and partial, one object on stdout" {
	mq --host 127.0.0.1 --port "$EXIM_PORT" --report json a@example.org nouser1@example.org
	assert_failure 67
	run python3 -c '
import json, sys
r = json.loads(sys.argv[1])
assert r["status"] == "partial" and r["exit"] == 67, r
assert r["host"] == "127.0.0.1:" + sys.argv[2] and isinstance(r["size"], int), r
a, n = r["recipients"]
assert a["accepted"] and a["code"] == 250, a
assert not n["accepted"] and n["code"] == 550 and n["enhanced"] == "5.1.1", n
assert n["stage"] == "rcpt" and "nouser1" in n["text"] or True, n
' "$output" "$EXIM_PORT"
	assert_success
	mq --host 127.0.0.1 --port "$EXIM_PORT" --report json a@example.org
	assert_success
	[[ $output == '{"status":"sent","exit":0,'* ]]
	assert_equal "$stderr" ""
}

@test "queue_lifetime expired: the sender gets a failure notice (RFC 3464) and the entry goes" {
	printf '[defaults]\nqueue_lifetime = 1\n' >"$BATS_TEST_TMPDIR/conf"
	export MAILOUT_CONFIG=$BATS_TEST_TMPDIR/conf
	nowhere -f owner@example.org a@example.org
	assert_success
	sleep 1.1
	flush
	assert_success
	assert_regex "$stderr" '<a@example\.org>: expired after queue_lifetime'
	maildir_wait 1 "$EXIM_MAILDIR"
	local notice
	notice=$(maildir_find_for owner@example.org "$EXIM_MAILDIR")
	grep -q '^Content-Type: multipart/report; report-type=delivery-status' "$notice"
	grep -q '^Subject: Undelivered Mail Returned to Sender' "$notice"
	grep -q '^Final-Recipient: rfc822; a@example.org' "$notice"
	grep -q '^Status: 4.4.7' "$notice"
	grep -q '^Subject: queued' "$notice"	# the original header, quoted
	grep -q '^Return-path: <>' "$notice"	# a notice has the null sender
	assert_queue_empty
}

@test "refused at flush time: the recipient is given up, the sender told, nothing retried" {
	nowhere -f owner@example.org a@example.org nouser2@example.org
	assert_success
	flush --flush=all
	assert_success
	assert_regex "$stderr" '<nouser2@example\.org>: refused: 550'
	maildir_wait 2 "$EXIM_MAILDIR"
	assert_delivered_to a@example.org
	grep -q '^Status: 5.1.1' "$(maildir_find_for owner@example.org "$EXIM_MAILDIR")"
	assert_queue_empty
}

@test "a flush sends several messages over one connection, RSET between them" {
	local i
	for i in 1 2 3; do
		run "$MAILOUT" --queue-dir "$Q" -odq --helo client.test \
			-f sender@example.org "r$i@example.com" <"$BATS_TEST_TMPDIR/message"
		assert_success
		assert_equal "$output" ""	# -odq is silent
	done
	scripted_start <<'EOF'
send 220 server.test ESMTP
expect EHLO client\.test
send 250 server.test
expect MAIL FROM:<sender@example\.org>
send 250 ok
expect RCPT TO:<r1@example\.com>
send 250 ok
expect DATA
send 354 go
data
send 250 one
expect RSET
send 250 ok
expect MAIL FROM:<sender@example\.org>
send 250 ok
expect RCPT TO:<r2@example\.com>
send 250 ok
expect DATA
send 354 go
data
send 250 two
expect RSET
send 250 ok
expect MAIL FROM:<sender@example\.org>
send 250 ok
expect RCPT TO:<r3@example\.com>
send 451 4.3.0 later
expect RSET|QUIT
send 250 ok
EOF
	run --separate-stderr timeout 60 "$MAILOUT" --queue-dir "$Q" -q \
		--host 127.0.0.1 --port "$SERVER_PORT" --helo client.test
	assert_success
	scripted_wait
	assert_equal "$(queue_ids | wc -l)" 1
	grep -qx 'rcpt r3@example.com' "$Q"/*.env
	grep -qx 'attempts 1' "$Q"/*.env
	grep -q '^error 451 4.3.0 later' "$Q"/*.env
}

# big_message: the test's message with 1 MB more body (more than is read
# ahead of a pipe), its lines numbered.
big_message() {
	awk 'BEGIN { for (i = 0; i < 13000; i++) printf "%06d %s\n", i, "big body line, the quick brown fox jumps over the lazy dog" }' \
		>>"$BATS_TEST_TMPDIR/message"
}

# deferred_then_flushed PRODUCER [DELAY]: the message, written to mailout's
# stdin by PRODUCER (a bash snippet run with the message's path as $1;
# mailout starts DELAY seconds after it), meets a 451 after its data and
# is queued; a flush then sends it again. The two DATA sections the
# server read must be identical, and the whole message.
deferred_then_flushed() {
	scripted_start --connections 2 < <(one_message x@example.com '451 4.3.0 disk full, later'
		echo connection; one_message x@example.com '250 done')
	run --separate-stderr bash -c "{ $1 ; } | { sleep ${2:-0}; exec timeout 60 \"\$2\" \
		--queue-dir \"\$3\" --host 127.0.0.1 --port \"\$4\" --helo client.test \
		-f sender@example.org x@example.com; }" _ "$BATS_TEST_TMPDIR/message" \
		"$MAILOUT" "$Q" "$SERVER_PORT"
	assert_success
	assert_regex "$stderr" '<x@example\.com>: deferred at DATA: 451 4\.3\.0'
	run --separate-stderr timeout 60 "$MAILOUT" --queue-dir "$Q" --flush=all \
		--host 127.0.0.1 --port "$SERVER_PORT" --helo client.test
	assert_success
	scripted_wait
	python3 - "$SERVER_CAPTURE" "$BATS_TEST_TMPDIR/message" <<'PY'
import re, sys
cap = open(sys.argv[1], "rb").read()
bodies = re.findall(rb"DATA\r\n(.*?\r\n)\.\r\n", cap, re.S)
assert len(bodies) == 2 and bodies[0] == bodies[1], [len(b) for b in bodies]
msg = open(sys.argv[2], "rb").read().replace(b"\n", b"\r\n")
msg = msg.replace(b"\r\n.", b"\r\n..")
assert bodies[0].endswith(msg.split(b"\r\n\r\n", 1)[1]), "body differs"
PY
	assert_queue_empty
}

@test "a piped message deferred after its data is queued byte for byte and resent the same" {
	deferred_then_flushed 'cat "$1"'
}

@test "a large piped message is streamed with a copy kept: deferred, it is queued whole" {
	big_message
	deferred_then_flushed 'cat "$1"'
}

@test "a pipe that stalls early (a cron job still running) is read before the session" {
	big_message
	# 32 kB in the pipe before mailout starts (what it reads with the
	# header and ahead of it), then nothing for a second: the server
	# must not have seen a connection by then.
	deferred_then_flushed 'head -c 32768 "$1"; sleep 1.5
		grep -c "connection 1 from" "'"$BATS_TEST_TMPDIR/server.log"'" >"'"$BATS_TEST_TMPDIR/early"'"
		tail -c +32769 "$1"' 0.5
	[ "$(cat "$BATS_TEST_TMPDIR/early")" = 0 ] ||
		fail "mailout connected while its input was stalled"
}

@test "two flushes at once: the second is refused by the lock, the message sent once" {
	nowhere a@example.org
	scripted_start < <(echo 'sleep 2'; one_message a@example.org '250 done')
	timeout 60 "$MAILOUT" --queue-dir "$Q" --flush=all --host 127.0.0.1 \
		--port "$SERVER_PORT" --helo client.test 2>"$BATS_TEST_TMPDIR/first" &
	local first=$!
	sleep 1
	run --separate-stderr timeout 60 "$MAILOUT" --queue-dir "$Q" --flush=all \
		--host 127.0.0.1 --port "$SERVER_PORT" --helo client.test
	assert_failure 75
	assert_regex "$stderr" 'another flush of .* is running'
	wait "$first"
	scripted_wait	# one connection, one transaction
	assert_equal "$(grep -c '^MAIL FROM' "$SERVER_CAPTURE")" 1
	assert_queue_empty
}

@test "-odq queues without connecting; mailq (by name) lists it" {
	mq --host 127.0.0.1 --port "$EXIM_PORT" -odq a@example.org
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(maildir_count "$EXIM_MAILDIR")" 0
	ln -s "$MAILOUT" "$BATS_TEST_TMPDIR/mailq"
	run "$BATS_TEST_TMPDIR/mailq" --queue-dir "$Q"
	assert_success
	assert_line '    <a@example.org>'
	flush
	assert_success
	maildir_wait 1 "$EXIM_MAILDIR"
	assert_delivered_to a@example.org
	assert_queue_empty
}

@test "mailq and -bp list a queue never used without creating it: listing changes nothing" {
	ln -s "$MAILOUT" "$BATS_TEST_TMPDIR/mailq"
	run --separate-stderr "$BATS_TEST_TMPDIR/mailq" --queue-dir "$Q/never/used"
	assert_success
	assert_output "Mail queue is empty"
	assert_equal "$stderr" ""
	run --separate-stderr "$MAILOUT" --queue-dir "$Q/never/used" -bp
	assert_success
	assert_output "Mail queue is empty"
	[ ! -e "$Q" ] || fail "listing created $(find "$Q" | head -1)"
	# An existing queue is listed and left exactly as it was.
	mq --host 127.0.0.1 --port "$EXIM_PORT" -odq a@example.org
	assert_success
	find "$Q" -printf '%p %m %T@\n' | sort >"$BATS_TEST_TMPDIR/before"
	run "$BATS_TEST_TMPDIR/mailq" --queue-dir "$Q"
	assert_success
	assert_line '    <a@example.org>'
	find "$Q" -printf '%p %m %T@\n' | sort >"$BATS_TEST_TMPDIR/after"
	cmp "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after" ||
		fail "listing changed the queue directory"
}

@test "log = FILE: one line per attempt, with every field" {
	printf '[defaults]\nlog = %s\n' "$BATS_TEST_TMPDIR/log" >"$BATS_TEST_TMPDIR/conf"
	export MAILOUT_CONFIG=$BATS_TEST_TMPDIR/conf
	mq --host 127.0.0.1 --port "$EXIM_PORT" a@example.org nouser3@example.org
	assert_failure 67
	nowhere b@example.org
	assert_success
	run cat "$BATS_TEST_TMPDIR/log"
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --regexp "^[0-9-]{10}T[0-9:]{8}[+-][0-9]{4} mailout\[[0-9]+\]: profile=\"\" host=\"127\.0\.0\.1:$EXIM_PORT\" sender=<sender@example\.org> recipients=<a@example\.org>,<nouser3@example\.org> size=[0-9]+ message-id=\"<q$BATS_TEST_NUMBER@example\.org>\" status=partial reply=\"550 5\.1\.1 .*\" exit=67$"
	assert_line --index 1 --regexp 'recipients=<b@example\.org> .* status=queued reply="cannot connect to .*Connection refused" exit=0$'
}

@test "log = syslog: the line reaches /dev/log with ident mailout" {
	command -v unshare >/dev/null || fail "unshare is needed"
	printf '[defaults]\nlog = syslog\nsyslog_facility = local3\n' >"$BATS_TEST_TMPDIR/conf"
	# a private /dev/log: a datagram socket bound over it in a mount namespace
	run timeout 30 unshare -m bash -c '
		python3 - "$1" <<"PY" &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
path = sys.argv[1] + "/devlog"
s.bind(path)
open(path + ".ready", "w").close()
s.settimeout(20)
print(s.recv(4096).decode(errors="replace"), flush=True)
PY
		while [ ! -e "$1/devlog.ready" ]; do sleep 0.05; done
		# without a syslog daemon there is no /dev/log to mount over:
		# a private tmpfs on /dev gets one, and the null device back
		if [ ! -e /dev/log ]; then
			mount -t tmpfs none /dev && mknod -m 666 /dev/null c 1 3 &&
				: >/dev/log
		fi
		mount --bind "$1/devlog" /dev/log
		MAILOUT_CONFIG=$1/conf "$2" --host 127.0.0.1 --port "$3" --helo client.test \
			-f sender@example.org a@example.org <"$1/message" 2>/dev/null
		wait
	' _ "$BATS_TEST_TMPDIR" "$MAILOUT" "$EXIM_PORT"
	assert_success
	# <local3.info> = 19 * 8 + 6
	assert_output --regexp '^<158>.*mailout\[[0-9]+\]: profile="" host="127\.0\.0\.1:[0-9]+" sender=<sender@example\.org> recipients=<a@example\.org> .* status=sent reply="250 .* exit=0$'
}

@test "-bv: MAIL and RCPT, then RSET; nothing is sent; 67 for a refused one" {
	run --separate-stderr timeout 60 "$MAILOUT" -bv --host 127.0.0.1 \
		--port "$EXIM_PORT" --helo client.test -f sender@example.org \
		a@example.org nouser4@example.org </dev/null
	assert_failure 67
	assert_regex "$stderr" '<a@example\.org>: accepted at RCPT: 250'
	assert_regex "$stderr" '<nouser4@example\.org>: refused at RCPT: 550 5\.1\.1'
	sleep 0.5
	assert_equal "$(maildir_count "$EXIM_MAILDIR")" 0
}

@test "-bv on the wire: pipelined MAIL+RCPT, RSET, QUIT; --vrfy uses VRFY, IDN as A-labels" {
	scripted_start <<'EOF'
send 220 server.test ESMTP
expect EHLO client\.test
send 250-server.test
send 250 PIPELINING
expect MAIL FROM:<sender@example\.org>
expect RCPT TO:<a@example\.com>
expect RCPT TO:<b@example\.com>
send 250 ok
send 250 2.1.5 a ok
send 550 5.1.1 no b
expect RSET
send 250 ok
expect QUIT
send 221 bye
EOF
	run --separate-stderr timeout 60 "$MAILOUT" -bv --host 127.0.0.1 \
		--port "$SERVER_PORT" --helo client.test -f sender@example.org \
		a@example.com b@example.com </dev/null
	assert_failure 67
	scripted_wait
	scripted_start <<'EOF'
send 220 server.test ESMTP
expect EHLO client\.test
send 250 server.test
expect VRFY a@example\.com
send 252 2.5.0 cannot verify, will try
expect VRFY b@xn--bcher-kva\.example
send 250 2.1.5 <b@xn--bcher-kva.example>
expect QUIT
send 221 bye
EOF
	run --separate-stderr timeout 60 "$MAILOUT" -bv --vrfy --host 127.0.0.1 \
		--port "$SERVER_PORT" --helo client.test a@example.com b@bücher.example </dev/null
	assert_success
	assert_regex "$stderr" '<a@example\.com>: accepted at RCPT: 252 2\.5\.0'
	scripted_wait
}

@test "an unreadable queue entry is reported and left alone, the rest still sent" {
	nowhere a@example.org
	mkdir -p "$Q"
	printf 'garbage\n' >"$Q/20200101000000.0000000000.env"
	printf 'x\r\n' >"$Q/20200101000000.0000000000.msg"
	flush --flush=all
	assert_success
	assert_regex "$stderr" 'queue entry 20200101000000\.0000000000: not a mailout queue entry'
	maildir_wait 1 "$EXIM_MAILDIR"
	assert_equal "$(queue_ids)" "20200101000000.0000000000"
}

@test "a queued message whose profile is gone is kept, the flush says why" {
	printf '[work]\nhost = 127.0.0.1\nport = 1\n' >"$BATS_TEST_TMPDIR/conf"
	mq --config "$BATS_TEST_TMPDIR/conf" --profile work a@example.org
	assert_success
	grep -qx 'profile work' "$Q"/*.env
	printf '[home]\nhost = 127.0.0.1\n' >"$BATS_TEST_TMPDIR/conf"
	flush --flush=all
	assert_success
	assert_regex "$stderr" '^mailout: [0-9.a-f]+: unknown profile "work"'
	assert_equal "$(queue_ids | wc -l)" 1
	grep -q "^error unknown profile" "$Q"/*.env
}

@test "refused = abort: a refusal sends to nobody, and nothing is queued for later either" {
	printf '[defaults]\nrefused = abort\n' >"$BATS_TEST_TMPDIR/conf"
	MAILOUT_CONFIG=$BATS_TEST_TMPDIR/conf mq --host 127.0.0.1 --port "$EXIM_PORT" \
		a@example.org nouser5@example.org busy5@example.org
	assert_failure 67
	assert_regex "$stderr" 'not sent to anyone'
	assert_equal "$(queue_ids)" ""
	sleep 0.5
	assert_equal "$(maildir_count "$EXIM_MAILDIR")" 0
}
