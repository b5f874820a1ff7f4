#!/usr/bin/env bats
# Operating the queue (issue 19): -q sends everything now while --flush
# honours the backoff, the "queued as" note's command, mailq --report
# json, and --remove, --bounce, --hold, --release, --send by ID; against
# real Exim (nouser* -> 550, busy* -> 451).

bats_require_minimum_version 1.5.0
load helpers

exim_suite serial

setup() {
	maildir_clear "$EXIM_MAILDIR"
	queueops_setup
}

teardown() {
	scripted_teardown
}

# nowhere ARGS...: a send that meets a refused connection: queued with
# the first backoff (5 minutes).
nowhere() {
	q --host 127.0.0.1 --port 1 "$@"
	assert_success
	QUEUED=$(queue_ids | tail -n 1)
}

@test "-q sends everything now, whatever the backoff; --flush only what is due" {
	nowhere a@example.org
	grep -qx 'attempts 1' "$Q/$QUEUED.env"
	to_exim --flush
	assert_success
	assert_equal "$(queue_ids)" "$QUEUED"	# backing off: not due
	sleep 0.5
	assert_equal "$(maildir_count "$EXIM_MAILDIR")" 0
	to_exim -q
	assert_success
	assert_equal "$stderr" ""
	maildir_wait 1 "$EXIM_MAILDIR"
	local file
	file=$(maildir_find_for a@example.org "$EXIM_MAILDIR")
	assert_equal "$(queue_ids)" ""
}

@test "the 'queued as' note names a command that really sends the message now" {
	Q="$BATS_TEST_TMPDIR/a queue's dir"
	printf '[defaults]\nhost = 127.0.0.1\nport = 1\n' >"$BATS_TEST_TMPDIR/conf"
	export MAILOUT_CONFIG=$BATS_TEST_TMPDIR/conf
	q a@example.org
	assert_success
	local id
	id=$(queue_ids)
	assert_regex "$stderr" "queued as $id for 1 recipient; to send it now: "
	local command=${stderr##*to send it now: }
	assert_equal "$command" "mailout --queue-dir '$BATS_TEST_TMPDIR/a queue'\\''s dir' --send $id"
	# the relay is back; the command, as printed, sends it
	printf '[defaults]\nhost = 127.0.0.1\nport = %s\n' "$EXIM_PORT" >"$MAILOUT_CONFIG"
	run --separate-stderr eval "\"\$MAILOUT\"${command#mailout}"
	assert_success
	maildir_wait 1 "$EXIM_MAILDIR"
	assert_equal "$(queue_ids)" ""
}

@test "mailq --report json: one array, every field of every entry" {
	to_exim --report json -bp
	assert_success
	assert_output "[]"
	[ ! -e "$Q" ] || fail "listing created the queue"
	# partial: busy1 deferred with its own 451, good delivered now
	q --host 127.0.0.1 --port "$EXIM_PORT" good@example.org busy1@example.org
	assert_success
	queued c@example.org
	local held=$QUEUED
	to_exim --hold "$held"
	assert_success
	ln -s "$MAILOUT" "$BATS_TEST_TMPDIR/mailq"
	run --separate-stderr "$BATS_TEST_TMPDIR/mailq" --queue-dir "$Q" --report json
	assert_success
	run python3 - "$output" "$held" <<'PY'
import json, re, sys
entries = json.loads(sys.argv[1])
assert isinstance(entries, list) and len(entries) == 2, entries
t = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
for e in entries:
    assert set(e) == {"id", "owner", "queued_at", "size", "sender",
                      "recipients", "next_try", "last_error", "held"}, e
    assert e["owner"] == "root" and e["sender"] == "sender@example.org", e
    assert t.match(e["queued_at"]) and t.match(e["next_try"]), e
    assert isinstance(e["size"], int) and e["size"] > 0, e
deferred, held = entries
assert held["id"] == sys.argv[2] and held["held"] is True, held
assert held["recipients"] == [{"address": "c@example.org", "status": "pending",
    "attempts": 0, "last_reply": "not tried (-odq)"}], held
assert deferred["held"] is False, deferred
[busy] = deferred["recipients"]
assert busy["address"] == "busy1@example.org" and busy["status"] == "deferred", busy
assert busy["attempts"] == 1 and busy["last_reply"].startswith("451 4.2.1"), busy
assert deferred["last_error"].startswith("451 4.2.1"), deferred
PY
	assert_success
	# the text listing says the same
	to_exim -bp
	assert_line '    <busy1@example.org>'
	assert_line --regexp '^    attempts: 1, next in [45]m; last error: 451 4\.2\.1 '
	assert_line "    held (mailout --release $held); last error: not tried (-odq)"
}

@test "each deferred recipient keeps its own reply, in mailq and its JSON" {
	scripted_start <<'EOF'
send 220 server.test ESMTP
expect EHLO client\.test
send 250 server.test
expect MAIL FROM:<sender@example\.org>
send 250 ok
expect RCPT TO:<a@example\.com>
send 451 4.2.1 a is busy
expect RCPT TO:<b@example\.com>
send 450 4.2.2 b is full
expect RSET|QUIT
send 250 ok
EOF
	q --host 127.0.0.1 --port "$SERVER_PORT" a@example.com b@example.com
	assert_success
	scripted_wait
	grep -qx 'reply 450 4.2.2 b is full' "$Q"/*.env
	run --separate-stderr "$MAILOUT" --queue-dir "$Q" -bp
	assert_success
	# a's reply is the entry's last error; b's is said under it
	assert_equal "$(sed -n '3,5p' <<<"$output")" "    <a@example.com>
    <b@example.com>
      450 4.2.2 b is full"
	assert_line --index 5 --regexp '^    attempts: 1, next in [45]m; last error: 451 4\.2\.1 a is busy$'
	run --separate-stderr "$MAILOUT" --queue-dir "$Q" -bp --report json
	run python3 -c '
import json, sys
[e] = json.loads(sys.argv[1])
a, b = e["recipients"]
assert a["last_reply"] == "451 4.2.1 a is busy", a
assert b["last_reply"] == "450 4.2.2 b is full", b' "$output"
	assert_success
}

@test "--remove: gone without a notice; unknown IDs are named, the others still done" {
	queued a@example.org
	local first=$QUEUED
	queued b@example.org
	to_exim --remove "$first" 20200101000000.0000000000 ../queue "$QUEUED"
	assert_failure 66
	assert_equal "$stderr" "mailout: 20200101000000.0000000000: no such entry in the queue
mailout: ../queue: not a queue ID"
	assert_equal "$(ls -A "$Q" | grep -v '^\.')" ""	# no entry, no notice
	to_exim -v --remove 20200101000000.0000000000
	assert_failure 66
}

@test "--hold keeps an entry out of -q and --flush; --release makes it due" {
	queued a@example.org
	to_exim --hold "$QUEUED"
	assert_success
	assert_equal "$stderr" ""
	grep -qx 'held yes' "$Q/$QUEUED.env"
	to_exim -q -v
	assert_success
	assert_regex "$stderr" "mailout: $QUEUED: <a@example\\.org>: held"
	to_exim --flush
	assert_success
	sleep 0.5
	assert_equal "$(maildir_count "$EXIM_MAILDIR")" 0
	assert_equal "$(queue_ids)" "$QUEUED"
	to_exim -v --release "$QUEUED"
	assert_success
	assert_equal "$stderr" "mailout: $QUEUED: released: due now"
	to_exim --flush
	assert_success
	maildir_wait 1 "$EXIM_MAILDIR"
	assert_equal "$(queue_ids)" ""
}

@test "--send tries the named entries now, whatever their backoff; a held one is released" {
	nowhere a@example.org
	local first=$QUEUED
	nowhere b@example.org
	local second=$QUEUED
	to_exim --send "$first"
	assert_success
	assert_equal "$stderr" ""
	maildir_wait 1 "$EXIM_MAILDIR"
	local file
	file=$(maildir_find_for a@example.org "$EXIM_MAILDIR")
	assert_equal "$(queue_ids)" "$second"
	to_exim --hold "$second"
	to_exim --send "$second"
	assert_success
	maildir_wait 2 "$EXIM_MAILDIR"
	assert_equal "$(queue_ids)" ""
	# still deferred: 75, and why, and it stays
	queued busy2@example.org
	to_exim --send "$QUEUED"
	assert_failure 75
	assert_regex "$stderr" "^mailout: $QUEUED: <busy2@example\\.org>: deferred: 451 4\\.2\\.1 "
	grep -qx 'attempts 1' "$Q/$QUEUED.env"
}

@test "--bounce gives up: the sender gets a failure notice, the entry goes" {
	nowhere -f owner@example.org a@example.org b@example.org
	to_exim --bounce "$QUEUED"
	assert_success
	assert_equal "$stderr" ""
	maildir_wait 1 "$EXIM_MAILDIR"
	local notice
	notice=$(maildir_find_for owner@example.org "$EXIM_MAILDIR")
	grep -q '^Subject: Undelivered Mail Returned to Sender' "$notice"
	grep -q 'the administrator of the mail queue told' "$notice"
	grep -q '^Final-Recipient: rfc822; a@example.org' "$notice"
	grep -q '^Final-Recipient: rfc822; b@example.org' "$notice"
	grep -q '^Status: 5.0.0' "$notice"
	grep -q '^Diagnostic-Code: smtp; cannot connect to' "$notice"
	assert_equal "$(queue_ids)" ""
}

@test "an entry another process is acting on is left alone, and said to be busy" {
	queued a@example.org
	# one process holds the entry's lock, as a flush sending it would
	python3 -c 'import fcntl, sys, time
f = open(sys.argv[1])
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(30)' "$Q/$QUEUED.msg" "$BATS_TEST_TMPDIR/locked" &
	local holder=$!
	while [ ! -e "$BATS_TEST_TMPDIR/locked" ]; do sleep 0.05; done
	to_exim --remove "$QUEUED"
	local status_remove=$status stderr_remove=$stderr
	to_exim -q -v
	kill "$holder"
	wait "$holder" || true
	[ "$status_remove" -eq 75 ] || fail "--remove exited $status_remove"
	assert_equal "$stderr_remove" "mailout: $QUEUED: another mailout is sending it or acting on it now"
	assert_success
	assert_regex "$stderr" "mailout: $QUEUED: <a@example\\.org>: busy: "
	assert_regex "$stderr" "0 sent, 0 deferred, 0 given up, 0 waiting, 0 held, 1 busy"
	assert_equal "$(queue_ids)" "$QUEUED"
	to_exim --remove "$QUEUED"
	assert_success
	assert_equal "$(queue_ids)" ""
}

@test "a user acts only on their own entries; another's looks unknown; root acts on all" {
	local bin=$BATS_TEST_TMPDIR/bin/mailout
	mkdir -p "$BATS_TEST_TMPDIR/bin" && cp "$MAILOUT" "$bin"
	_servers_make_reachable "$BATS_TEST_TMPDIR/bin"
	chmod 755 "$BATS_TEST_TMPDIR/bin" "$bin"
	queued root@example.org
	local roots=$QUEUED
	queued mine@example.org
	local mine=$QUEUED
	chown nobody "$Q" "$Q/$mine.env" "$Q/$mine.msg"
	chmod 644 "$Q/$roots.env" "$Q/$roots.msg"
	_servers_make_reachable "$Q"
	as_nobody() {
		run --separate-stderr runuser -u nobody -- env MAILOUT_CONFIG=/dev/null \
			"$bin" --queue-dir "$Q" --host 127.0.0.1 --port "$EXIM_PORT" "$@" </dev/null
	}
	as_nobody --hold "$roots" "$mine"
	assert_failure 66
	assert_equal "$stderr" "mailout: $roots: no such entry in the queue"
	grep -qx 'held yes' "$Q/$mine.env"
	as_nobody -bp --report json
	assert_success
	run python3 -c 'import json, sys
print(" ".join(e["id"] + ":" + e["owner"] for e in json.loads(sys.argv[1])))' "$output"
	assert_output "$mine:nobody"
	as_nobody --send "$roots" "$mine"
	assert_failure 66
	maildir_wait 1 "$EXIM_MAILDIR"
	local file
	file=$(maildir_find_for mine@example.org "$EXIM_MAILDIR")
	as_nobody -q
	assert_success
	assert_equal "$(queue_ids)" "$roots"
	# root acts on every entry, whoever owns it
	chown nobody "$Q/$roots.msg"
	to_exim --remove "$roots"
	assert_success
	assert_equal "$(queue_ids)" ""
}

@test "the queue options: IDs required, one operation at a time, --format with --health" {
	to_exim --remove
	assert_failure 64
	assert_regex "$stderr" '--remove: give the queue IDs'
	to_exim --hold --release 1
	assert_failure 64
	assert_regex "$stderr" '--hold and --release cannot be combined'
	to_exim --format prometheus -bp
	assert_failure 64
	assert_regex "$stderr" '--format goes with --health'
	to_exim --health --format xml
	assert_failure 64
}
