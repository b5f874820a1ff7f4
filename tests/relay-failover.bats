#!/usr/bin/env bats
# A list of relays (issue 21): host = a, b is tried in order. No answer
# moves on to the next relay: a connect failure, a 421 greeting (or a close
# before it), a timeout, a TLS handshake that fails. An answer does not: a
# 5xx, an AUTH failure, a certificate that fails verification, anything
# once a transaction has begun. The report, the JSON and the log name the
# relay that took the message; a queued message is tried against the whole
# list again; a relay that failed lately is tried last, for a while.
#
# Relays are the scripted server and a real Exim on several loopback ports
# and addresses: they listen on 127.0.0.1 only, so 127.0.0.2 refuses.

bats_require_minimum_version 1.5.0
load helpers

exim_suite serial

setup() {
	relay_setup
	maildir_clear "$EXIM_MAILDIR"
}

teardown() {
	scripted_teardown
}

# deliver_script: a relay that takes the message for rcpt@example.com.
deliver_script() {
	dialogue_greet
	script_txn rcpt@example.com
	script_quit
}

# fo HOSTS ARGS...: relay_run to the relays HOSTS, no TLS.
fo() {
	local hosts=$1
	shift
	relay_run --host "$hosts" --tls off "$@"
}

# A relay that gives no answer, started as server A; B delivers. Each test
# then runs fo "127.0.0.1:$A_PORT, 127.0.0.1:$B_PORT".
start_a_then_b() {
	scripted_start "$@"
	server_save A
	scripted_start < <(deliver_script)
	server_save B
}

assert_b_delivered() {
	assert_success
	server_use B
	scripted_wait
}

# --------------------------------------------------------------------------
# No answer: the next relay

@test "127.0.0.2 refuses, 127.0.0.1 answers: delivered; JSON, log and --report text name 127.0.0.1" {
	printf '[defaults]\nlog = %s\n' "$BATS_TEST_TMPDIR/log" >"$BATS_TEST_TMPDIR/conf"
	scripted_start < <(deliver_script)
	fo "127.0.0.2:$SERVER_PORT, 127.0.0.1:$SERVER_PORT" --report json \
		-C "$BATS_TEST_TMPDIR/conf" rcpt@example.com
	assert_success
	[[ $output == '{"status":"sent","exit":0,"host":"127.0.0.1:'"$SERVER_PORT"'",'* ]] ||
		fail "JSON: $output"
	assert_equal "$stderr" ""
	grep -q " host=\"127.0.0.1:$SERVER_PORT\" .* status=sent " "$BATS_TEST_TMPDIR/log" ||
		fail "log: $(cat "$BATS_TEST_TMPDIR/log")"
	scripted_wait
	scripted_start < <(deliver_script)
	fo "127.0.0.2:$SERVER_PORT, 127.0.0.1:$SERVER_PORT" --report text rcpt@example.com
	assert_success
	[[ $stderr == *"mailout: relay 127.0.0.1:$SERVER_PORT"* ]] || fail "stderr: $stderr"
}

@test "-v: each relay that gives no answer is named, and the next one" {
	local dead
	dead=$(free_ports 1)
	scripted_start < <(deliver_script)
	fo "127.0.0.1:$dead, 127.0.0.1:$SERVER_PORT" -v rcpt@example.com
	assert_success
	[[ $stderr == *"-- cannot connect to 127.0.0.1 [127.0.0.1]:$dead: Connection refused; next relay: 127.0.0.1:$SERVER_PORT"* ]] ||
		fail "stderr: $stderr"
	scripted_wait
}

@test "a 421 greeting: the next relay" {
	start_a_then_b <<<$'send 421 4.3.2 busy, try later\nexpect-eof'
	fo "127.0.0.1:$A_PORT, 127.0.0.1:$B_PORT" rcpt@example.com
	assert_b_delivered
	server_use A
	scripted_wait
}

@test "the connection closed before the greeting: the next relay" {
	start_a_then_b <<<'close'
	fo "127.0.0.1:$A_PORT, 127.0.0.1:$B_PORT" rcpt@example.com
	assert_b_delivered
}

@test "no greeting within --timeout: the next relay" {
	start_a_then_b <<<'stall 20'
	fo "127.0.0.1:$A_PORT, 127.0.0.1:$B_PORT" --timeout 2 rcpt@example.com
	assert_b_delivered
}

@test "a connect that hangs (full accept queue): the next relay" {
	start_a_then_b --no-accept <<<'send 220 never'
	fo "127.0.0.1:$A_PORT, 127.0.0.1:$B_PORT" --timeout 2 rcpt@example.com
	assert_b_delivered
}

@test "a name that does not resolve: the next relay" {
	scripted_start < <(deliver_script)
	fo "nonexistent.invalid, 127.0.0.1:$SERVER_PORT" rcpt@example.com
	assert_success
	scripted_wait
}

@test "a TLS handshake that fails: the next relay, real Exim with STARTTLS" {
	# the garbage comes once the client has begun its handshake (sent
	# along with the 220 it would be a response injection, exit 76)
	scripted_start < <(dialogue_greet STARTTLS; echo 'expect STARTTLS';
		echo 'send 220 2.0.0 go ahead'; echo 'sleep 0.5'
		echo 'sendraw garbage, not TLS'; echo close)
	relay_run --host "127.0.0.1:$SERVER_PORT, 127.0.0.1:$EXIM_PORT" \
		--tls starttls --tls-trust-file "$EXIM_CERTS/ca.pem" rcpt@example.com
	assert_success
	maildir_wait 1 "$EXIM_MAILDIR"
	file=$(maildir_find_for rcpt@example.com "$EXIM_MAILDIR")
	grep -q "^Subject: relay test $BATS_TEST_NUMBER" "$file"
}

@test "real Exim behind a relay that refuses (127.0.0.2): delivered once" {
	relay_run --host "127.0.0.2:$EXIM_PORT, 127.0.0.1:$EXIM_PORT" --tls off \
		--report json rcpt@example.com
	assert_success
	[[ $output == *'"host":"127.0.0.1:'"$EXIM_PORT"'"'* ]] || fail "JSON: $output"
	maildir_wait 1 "$EXIM_MAILDIR"
	file=$(maildir_find_for rcpt@example.com "$EXIM_MAILDIR")
	grep -q "^Subject: relay test $BATS_TEST_NUMBER" "$file"
}

# --------------------------------------------------------------------------
# An answer: no other relay is asked

@test "a 554 greeting is an answer: exit 69, the next relay is not asked" {
	start_a_then_b <<<$'send 554 5.3.2 no service for you\nexpect QUIT\nsend 221 bye'
	fo "127.0.0.1:$A_PORT, 127.0.0.1:$B_PORT" rcpt@example.com
	assert_failure 69
	[[ $stderr == *'554 5.3.2 no service for you'* ]] || fail "stderr: $stderr"
	server_use B
	assert_no_connection
}

@test "an AUTH failure is an answer: exit 77, the next relay is not asked" {
	start_a_then_b < <(dialogue_greet 'AUTH PLAIN';
		echo 'expect AUTH PLAIN .*'; echo 'send 535 5.7.8 bad credentials';
		script_quit)
	fo "127.0.0.1:$A_PORT, 127.0.0.1:$B_PORT" --auth plain --user alice \
		--password-command 'echo pw' rcpt@example.com
	assert_failure 77
	server_use B
	assert_no_connection
}

@test "a certificate that fails verification is an answer: exit 69, the next relay is not asked" {
	scripted_start < <(deliver_script)
	relay_run --host "127.0.0.1:$EXIM_UNTRUSTED_PORT, 127.0.0.1:$SERVER_PORT" \
		--tls starttls --tls-trust-file "$EXIM_CERTS/ca.pem" rcpt@example.com
	assert_failure 69
	[[ $stderr == *'TLS certificate check failed'* ]] || fail "stderr: $stderr"
	assert_no_connection
}

@test "a 421 once the transaction began is not failover: queued, the next relay is not asked" {
	start_a_then_b < <(dialogue_greet; echo 'expect MAIL FROM:.*';
		echo 'send 421 4.3.0 shutting down'; echo 'expect-eof')
	fo "127.0.0.1:$A_PORT, 127.0.0.1:$B_PORT" rcpt@example.com
	assert_success
	[[ $stderr == *'queued as'* ]] || fail "stderr: $stderr"
	server_use B
	assert_no_connection
}

# --------------------------------------------------------------------------
# Every relay down; the queue; the memory of failures

@test "no relay answers: exit 75 naming both, queued; the flush tries the whole list and the second takes it" {
	local dead later
	read -r dead later <<<"$(free_ports 2)"
	fo "127.0.0.1:$dead, 127.0.0.1:$later" --no-queue --report json rcpt@example.com
	assert_failure 75
	[[ $stderr == "mailout: none of the 2 relays could be reached; the last: cannot connect to 127.0.0.1 [127.0.0.1]:$later: Connection refused"* ]] ||
		fail "stderr: $stderr"
	[[ $output == *"\"host\":\"127.0.0.1:$dead, 127.0.0.1:$later\""* ]] ||
		fail "JSON: $output"
	fo "127.0.0.1:$dead, 127.0.0.1:$later" rcpt@example.com
	assert_success
	[[ $stderr == *'queued as'* ]] || fail "stderr: $stderr"
	scripted_start --port "$later" < <(deliver_script)
	run --separate-stderr timeout 60 "$MAILOUT" --queue-dir "$Q" --flush=all </dev/null
	assert_success
	scripted_wait
	run "$MAILOUT" --queue-dir "$Q" -bp
	assert_output "Mail queue is empty"
}

@test "health: a relay that could not be reached is written down beside the queue, private" {
	local dead
	dead=$(free_ports 1)
	scripted_start < <(deliver_script)
	fo "127.0.0.1:$dead, 127.0.0.1:$SERVER_PORT" rcpt@example.com
	assert_success
	run stat -c '%a' "$(health_file)"
	assert_output 600
	run cat "$(health_file)"
	assert_line --index 0 'mailout-relay-health 1'
	assert_line --index 1 --regexp "^[0-9]+ 127\\.0\\.0\\.1:$dead\$"
	assert_equal "${#lines[@]}" 2
}

@test "health: a relay that failed a minute ago is tried after the others; it answers again and is forgotten" {
	start_a_then_b < <(deliver_script)
	health_write 60 "127.0.0.1:$A_PORT"
	fo "127.0.0.1:$A_PORT, 127.0.0.1:$B_PORT" -v rcpt@example.com
	assert_success
	[[ $stderr == *"-- 127.0.0.1:$A_PORT could not be reached 60 s ago: tried after the others"* ||
		$stderr == *"-- 127.0.0.1:$A_PORT could not be reached 61 s ago: tried after the others"* ]] ||
		fail "stderr: $stderr"
	server_use B
	scripted_wait
	server_use A
	assert_no_connection
	# B is gone now: A, tried last, takes it and its failure is forgotten
	server_use A
	fo "127.0.0.1:$A_PORT, 127.0.0.1:$B_PORT" rcpt@example.com
	assert_success
	scripted_wait
	run cat "$(health_file)"
	refute_line --partial "127.0.0.1:$A_PORT"
	assert_line --regexp "^[0-9]+ 127\\.0\\.0\\.1:$B_PORT\$"
}

@test "health: the memory expires: a failure 11 minutes ago no longer changes the order" {
	start_a_then_b < <(deliver_script)
	health_write 660 "127.0.0.1:$A_PORT"
	fo "127.0.0.1:$A_PORT, 127.0.0.1:$B_PORT" rcpt@example.com
	assert_success
	server_use A
	scripted_wait
	server_use B
	assert_no_connection
}

@test "health: a file others may write is not believed" {
	start_a_then_b < <(deliver_script)
	health_write 60 "127.0.0.1:$A_PORT"
	chmod 666 "$(health_file)"
	fo "127.0.0.1:$A_PORT, 127.0.0.1:$B_PORT" rcpt@example.com
	assert_success
	server_use A
	scripted_wait
}

# --------------------------------------------------------------------------
# The list itself

@test "host lists that do not parse: exit 64 on the command line, 78 in a file; --dry-run shows a good one" {
	local list
	for list in 'a.example, , b.example' 'a.example:0' 'a b.example' '[::1' \
		'[::1]x' 'a,b,c,d,e,f,g,h,i'; do
		relay_run --host "$list" rcpt@example.com
		assert_failure 64
		[[ $stderr == *'--host: expected a host name, or a comma-separated list of up to 8 relays'* ]] ||
			fail "$list: $stderr"
	done
	printf '[defaults]\nhost = a.example,,b.example\n' >"$BATS_TEST_TMPDIR/conf"
	relay_run -C "$BATS_TEST_TMPDIR/conf" rcpt@example.com
	assert_failure 78
	relay_run --dry-run --host 'a.example, [2001:db8::1]:2525, ::1, b.example:587' rcpt@example.com
	assert_success
	assert_line 'host = a.example, [2001:db8::1]:2525, ::1, b.example:587'
}
