#!/usr/bin/env bats
# Happy Eyeballs v2 (RFC 8305, issue 21) for the addresses of one name:
# IPv6 and IPv4 attempts take turns, each starts 250 ms after the last (at
# once when the last failed), the first to connect wins and the others are
# closed. The name's addresses come from a hosts file of the test's own
# (tests/lib/resolver.bash). An address that swallows SYNs is a scripted
# server on ::1 whose accept queue is full; the interleaving is shown in a
# network namespace the test creates, with addresses of its own on its
# loopback. Only loopback and that namespace are used. How long the
# attempts take is make bench's business; here the order of events.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	relay_setup
	NETNS=
}

teardown() {
	scripted_teardown
	if [ -n "$NETNS" ]; then ip netns del "$NETNS" 2>/dev/null || true; fi
}

# he_run ARGS...: relay_run's mailout with the test's own resolver.
he_run() {
	run --separate-stderr with_resolver timeout 60 "$MAILOUT" --queue-dir "$Q" \
		--helo client.test -f sender@example.org --tls off "$@" \
		<"$BATS_TEST_TMPDIR/msg"
}

# stderr_notes: the "-- " lines of the transcript, in order.
stderr_notes() {
	grep '^-- ' <<<"$stderr"
}

# syn_swallower_and_server: a scripted server on ::1 that never accepts
# (connects to it hang), and one on 127.0.0.1 on the same port that
# delivers; PORT is that port.
syn_swallower_and_server() {
	scripted_start --address ::1 --no-accept <<<'send 220 never'
	PORT=$SERVER_PORT
	scripted_start --port "$PORT" < <(dialogue_greet; script_txn rcpt@example.com; script_quit)
}

@test "IPv6 swallows SYNs, IPv4 answers: IPv4 starts while IPv6 still hangs, wins, IPv6 is abandoned" {
	own_resolver '::1 relay.test' '127.0.0.1 relay.test'
	assert_resolves relay.test ::1 127.0.0.1
	syn_swallower_and_server
	he_run --timeout 30 -v --host relay.test --port "$PORT" rcpt@example.com
	assert_success
	scripted_wait
	run stderr_notes
	assert_line --index 0 "-- trying relay.test [::1]:$PORT"
	assert_line --index 1 "-- trying relay.test [127.0.0.1]:$PORT"
	assert_line --index 2 "-- relay.test [::1]:$PORT: abandoned, relay.test [127.0.0.1]:$PORT answered first"
	assert_line --index 3 "-- connected to relay.test [127.0.0.1]:$PORT"
}

@test "the hanging address costs a fraction of --timeout, not all of it" {
	own_resolver '::1 relay.test' '127.0.0.1 relay.test'
	syn_swallower_and_server
	local t0=$SECONDS
	he_run --timeout 60 --host relay.test --port "$PORT" rcpt@example.com
	assert_success
	# generous: a whole --timeout would be 60 s
	[ $((SECONDS - t0)) -lt 30 ] || fail "took $((SECONDS - t0)) s"
	scripted_wait
}

@test "both addresses swallow SYNs: both attempts run at once, each ends in its timeout, exit 75" {
	own_resolver '::1 relay.test' '127.0.0.1 relay.test'
	scripted_start --address ::1 --no-accept <<<'send 220 never'
	PORT=$SERVER_PORT
	scripted_start --address 127.0.0.1 --port "$PORT" --no-accept <<<'send 220 never'
	he_run --timeout 2 -v --no-queue --host relay.test --port "$PORT" rcpt@example.com
	assert_failure 75
	run stderr_notes
	assert_line --index 0 "-- trying relay.test [::1]:$PORT"
	assert_line --index 1 "-- trying relay.test [127.0.0.1]:$PORT"
	assert_line --index 2 "-- relay.test [::1]:$PORT: timeout connecting"
	assert_line --index 3 "-- relay.test [127.0.0.1]:$PORT: timeout connecting"
	[[ $stderr == *"mailout: cannot connect to relay.test [127.0.0.1]:$PORT: timeout connecting"* ]] ||
		fail "stderr: $stderr"
}

@test "an address that refuses: its failure is noted, the next one takes over, nothing abandoned" {
	own_resolver '::1 relay.test' '127.0.0.1 relay.test'
	scripted_start < <(dialogue_greet; script_txn rcpt@example.com; script_quit)
	he_run -v --host relay.test --port "$SERVER_PORT" rcpt@example.com
	assert_success
	run stderr_notes
	assert_line --index 0 "-- trying relay.test [::1]:$SERVER_PORT"
	assert_line --index 1 "-- relay.test [::1]:$SERVER_PORT: Connection refused"
	assert_line --index 2 "-- trying relay.test [127.0.0.1]:$SERVER_PORT"
	assert_line --index 3 "-- connected to relay.test [127.0.0.1]:$SERVER_PORT"
	refute_line --partial abandoned
	scripted_wait
}

@test "netns: two IPv6 and two IPv4 addresses are tried in turns by family, v6 first" {
	command -v ip >/dev/null || skip "needs ip (iproute2)"
	NETNS=mailout-he-$$-$BATS_TEST_NUMBER
	ip netns add "$NETNS" 2>/dev/null || { NETNS=; skip "ip netns add is not permitted here"; }
	ip -n "$NETNS" link set lo up
	ip -n "$NETNS" addr add 2001:db8::1/128 dev lo nodad
	ip -n "$NETNS" addr add 2001:db8::2/128 dev lo nodad
	# the hosts file lists them mixed; the resolver puts IPv6 first
	own_resolver '127.0.0.2 relay.test' '2001:db8::1 relay.test' \
		'127.0.0.3 relay.test' '2001:db8::2 relay.test'
	# nothing listens in the namespace: every attempt is refused
	run --separate-stderr with_resolver ip netns exec "$NETNS" timeout 60 \
		"$MAILOUT" --queue-dir "$Q" -f sender@example.org --tls off --no-queue \
		-v --host relay.test --port 2525 rcpt@example.com <"$BATS_TEST_TMPDIR/msg"
	assert_failure 75
	run grep '^-- trying' <<<"$stderr"
	assert_output "-- trying relay.test [2001:db8::1]:2525
-- trying relay.test [127.0.0.2]:2525
-- trying relay.test [2001:db8::2]:2525
-- trying relay.test [127.0.0.3]:2525"
}
