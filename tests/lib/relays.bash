# Helpers of the relay suites (issue 21: tests/relay-*.bats), sourced by
# tests/helpers.bash. Every test has its own queue directory, so the relay
# health file (.relay-health beside the queue) is its own too.

# shellcheck source=tests/servers/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../servers" && pwd)/lib.sh"
#
#   relay_setup                the message ($BATS_TEST_TMPDIR/msg) and the
#                              queue directory ($Q)
#   relay_run ARGS...          mailout --queue-dir $Q --helo client.test
#                              -f sender@example.org ARGS, the message on
#                              stdin; sets status, output, stderr and
#                              ELAPSED_MS
#   script_txn RCPT...         script lines: one transaction (no
#                              PIPELINING) taking the message for RCPTs,
#                              after dialogue_greet (tests/lib/dialogue.bash)
#   script_quit                script lines: QUIT and its reply
#   health_file                the path of the relay health file
#   health_write AGE LABEL...  a health file in which each LABEL
#                              ("name:port") failed AGE seconds ago
#   free_ports N               N ports of 127.0.0.1 free a moment ago
#                              (tests/servers/lib.sh)
#   server_save NAME           keep the scripted server's SERVER_* as NAME_*
#   server_use NAME            make NAME's the current SERVER_* again

relay_setup() {
	Q=$BATS_TEST_TMPDIR/queue
	printf '%s\n' "From: Sender <sender@example.org>" "To: a@example.com" \
		"Subject: relay test $BATS_TEST_NUMBER" \
		"Date: Mon, 01 Jan 2024 12:00:00 +0000" \
		"Message-ID: <relay.$BATS_TEST_NUMBER@example.org>" "" "Hello." \
		>"$BATS_TEST_TMPDIR/msg"
}

relay_run() {
	timed_run --separate-stderr timeout 60 "$MAILOUT" --queue-dir "$Q" \
		--helo client.test -f sender@example.org "$@" <"$BATS_TEST_TMPDIR/msg"
}

script_txn() {
	local r
	echo 'expect MAIL FROM:<sender@example\.org>'
	echo 'send 250 2.1.0 Ok'
	for r in "$@"; do
		echo "expect RCPT TO:<${r//./\\.}>"
		echo 'send 250 2.1.5 Ok'
	done
	echo 'expect DATA'
	echo 'send 354 go ahead'
	echo 'data'
	echo 'send 250 2.0.0 queued'
}

script_quit() {
	echo 'expect QUIT'
	echo 'send 221 bye'
}

health_file() {
	echo "$Q/.relay-health"
}

health_write() {
	local age=$1 label
	shift
	mkdir -p "$Q"
	{
		echo 'mailout-relay-health 1'
		for label in "$@"; do echo "$(($(date +%s) - age)) $label"; done
	} >"$(health_file)"
	chmod 600 "$(health_file)"
}

# server_save NAME / server_use NAME: keep the SERVER_* variables of the
# scripted server started last under NAME, and make NAME's current again
# (for scripted_wait, assert_no_connection...), when a test runs several.
server_save() {
	local v n
	for v in PORT PID CAPTURE LOG; do
		n=SERVER_$v
		printf -v "${1}_$v" %s "${!n:-}"
	done
}

server_use() {
	local v n
	for v in PORT PID CAPTURE LOG; do
		n="${1}_$v"
		printf -v "SERVER_$v" %s "${!n}"
	done
	SERVER_OUT=${SERVER_LOG%.log}.out
	unset SERVER_STATUS
}
