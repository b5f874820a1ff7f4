#!/usr/bin/env bats
# RFC 9422 LIMITS (issue 21) against the scripted server: a relay that
# advertises "LIMITS RCPTMAX=n MAILMAX=m" never gets more than n RCPTs in a
# transaction nor more than m transactions in a session; a send and a queue
# flush both open a new session when one has had its m; --serverinfo shows
# the limits. The scripts expect exactly the commands the limits allow, so
# one command too many fails the server.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	relay_setup
}

teardown() {
	scripted_teardown
}

# lim ARGS...: relay_run against the scripted server, no TLS.
lim() {
	relay_run --host 127.0.0.1 --port "$SERVER_PORT" --tls off "$@"
}

@test "RCPTMAX=2: five recipients in transactions of 2, 2 and 1, one session" {
	scripted_start < <(
		dialogue_greet 'LIMITS RCPTMAX=2'
		script_txn r1@example.com r2@example.com
		script_txn r3@example.com r4@example.com
		script_txn r5@example.com
		script_quit
	)
	lim --report json r1@example.com r2@example.com r3@example.com \
		r4@example.com r5@example.com
	assert_success
	[[ $output == *'"status":"sent"'* ]] || fail "report: $output"
	scripted_wait
}

@test "RCPTMAX=2 with PIPELINING: two RCPTs, then DATA, in each write" {
	scripted_start < <(
		dialogue_greet PIPELINING 'LIMITS RCPTMAX=2'
		for pair in 'r1 r2' 'r3'; do
			read -ra batch <<<"$pair"
			echo "expect-group $((${#batch[@]} + 2))"
			echo 'expect MAIL FROM:<sender@example\.org>'
			for r in "${batch[@]}"; do echo "expect RCPT TO:<$r@example\\.com>"; done
			echo 'expect DATA'
			echo 'send 250 ok'
			for r in "${batch[@]}"; do echo 'send 250 ok'; done
			echo 'send 354 go ahead'
			echo 'data'
			echo 'send 250 queued'
		done
		script_quit
	)
	lim r1@example.com r2@example.com r3@example.com
	assert_success
	scripted_wait
}

@test "RCPTMAX above 100: transactions still of at most 100" {
	local -a rcpts=()
	local i
	for ((i = 1; i <= 101; i++)); do rcpts+=("r$i@example.com"); done
	scripted_start < <(
		dialogue_greet 'LIMITS RCPTMAX=500'
		script_txn "${rcpts[@]:0:100}"
		script_txn "${rcpts[100]}"
		script_quit
	)
	lim "${rcpts[@]}"
	assert_success
	scripted_wait
}

@test "MAILMAX=1, RCPTMAX=2: the third recipient goes in a second session" {
	scripted_start --connections 2 < <(
		dialogue_greet 'LIMITS RCPTMAX=2 MAILMAX=1'
		script_txn r1@example.com r2@example.com
		script_quit
		echo connection
		dialogue_greet 'LIMITS RCPTMAX=2 MAILMAX=1'
		script_txn r3@example.com
		script_quit
	)
	lim -v r1@example.com r2@example.com r3@example.com
	assert_success
	[[ $stderr == *'-- the server takes 1 transactions per session (LIMITS MAILMAX): a new session'* ]] ||
		fail "no new session in the transcript: $stderr"
	scripted_wait
}

@test "MAILMAX=1 through a pipe: the message is kept for the second session" {
	scripted_start --connections 2 < <(
		dialogue_greet 'LIMITS RCPTMAX=1 MAILMAX=1'
		script_txn r1@example.com
		script_quit
		echo connection
		dialogue_greet 'LIMITS RCPTMAX=1 MAILMAX=1'
		script_txn r2@example.com
		script_quit
	)
	run --separate-stderr bash -c 'cat "$1" | timeout 60 "$MAILOUT" \
		--queue-dir "$2" --no-queue --helo client.test -f sender@example.org \
		--host 127.0.0.1 --port "$3" --tls off r1@example.com r2@example.com' \
		sh "$BATS_TEST_TMPDIR/msg" "$Q" "$SERVER_PORT"
	assert_success
	scripted_wait
	# both transactions carried the whole message
	assert_equal "$(grep -c '^Hello\.' "$SERVER_CAPTURE")" 2
}

@test "a queue flush: MAILMAX=2, three messages: two in one session, RSET between, the third in a new one" {
	local i
	for i in 1 2 3; do
		relay_run -odq --host 127.0.0.1 --port 9 --tls off "m$i@example.com"
		assert_success
	done
	# the queue's order among entries of one second is its own: any m
	scripted_start --connections 2 < <(
		dialogue_greet 'LIMITS MAILMAX=2'
		script_txn 'm[123]@example.com'
		echo 'expect RSET'
		echo 'send 250 reset'
		script_txn 'm[123]@example.com'
		script_quit
		echo connection
		dialogue_greet 'LIMITS MAILMAX=2'
		script_txn 'm[123]@example.com'
		script_quit
	)
	run --separate-stderr timeout 60 "$MAILOUT" --queue-dir "$Q" -q \
		--port "$SERVER_PORT" </dev/null
	assert_success
	scripted_wait
	run "$MAILOUT" --queue-dir "$Q" -bp
	assert_output "Mail queue is empty"
}

@test "-bv with RCPTMAX=1 and MAILMAX=2: one RCPT per transaction, a new session for the third" {
	scripted_start --connections 2 < <(
		dialogue_greet 'LIMITS RCPTMAX=1 MAILMAX=2'
		for r in v1 v2; do
			echo 'expect MAIL FROM:<sender@example\.org>'
			echo 'send 250 ok'
			echo "expect RCPT TO:<$r@example\\.com>"
			echo 'send 250 ok'
			echo 'expect RSET'
			echo 'send 250 reset'
		done
		script_quit
		echo connection
		dialogue_greet 'LIMITS RCPTMAX=1 MAILMAX=2'
		echo 'expect MAIL FROM:<sender@example\.org>'
		echo 'send 250 ok'
		echo 'expect RCPT TO:<v3@example\.com>'
		echo 'send 550 no such user'
		echo 'expect RSET'
		echo 'send 250 reset'
		script_quit
	)
	lim -bv v1@example.com v2@example.com v3@example.com
	assert_failure 67
	[[ $stderr == *'<v3@example.com>: refused at RCPT: 550 no such user'* ]] ||
		fail "stderr: $stderr"
	scripted_wait
}

@test "--serverinfo shows the limits" {
	scripted_start < <(dialogue_greet PIPELINING 'LIMITS MAILMAX=10 RCPTMAX=50 RCPTDOMAINMAX=3'; script_quit)
	lim --serverinfo
	assert_success
	assert_line 'Limits:'
	assert_line '  RCPTMAX=50: recipients per transaction'
	assert_line '  MAILMAX=10: messages per session'
	scripted_wait
}

@test "--serverinfo: no LIMITS, or limits that do not parse, are none" {
	local lim
	local -a caps
	for lim in '' 'LIMITS' 'LIMITS RCPTMAX=0x5 MAILMAX=1234567 RCPTMAX'; do
		caps=()
		if [ -n "$lim" ]; then caps=("$lim"); fi
		scripted_start < <(dialogue_greet "${caps[@]}"; script_quit)
		lim --serverinfo
		assert_success
		assert_line 'Limits:'
		assert_line '  none advertised'
		scripted_wait
	done
}
