# Helpers for the suites about operating the queue (issue 19):
# tests/queue-ops.bats, tests/health.bats, tests/progress.bats; the
# crash and service suites list their queues with queue_ids_in too.
# Sourced by tests/helpers.bash. Each test has its own queue, $Q.

# queueops_setup: $Q, and $BATS_TEST_TMPDIR/message (a small message).
queueops_setup() {
	Q=$BATS_TEST_TMPDIR/queue
	printf '%s\n' "From: Sender <sender@example.org>" "To: a@example.org" \
		"Subject: ops $BATS_TEST_NUMBER" "" "Hello," "last line" \
		>"$BATS_TEST_TMPDIR/message"
}

# q ARGS...: mailout with this test's queue, the message on stdin.
q() {
	run --separate-stderr timeout 60 "$MAILOUT" --queue-dir "$Q" --timeout 20 \
		--helo client.test -f sender@example.org "$@" <"$BATS_TEST_TMPDIR/message"
}

# to_exim ARGS...: mailout on this test's queue, no message, to Exim.
to_exim() {
	run --separate-stderr timeout 60 "$MAILOUT" --queue-dir "$Q" \
		--host 127.0.0.1 --port "$EXIM_PORT" "$@" </dev/null
}

# queued ARGS...: queue the message for ARGS (recipients) without trying
# it (-odq) for a flush to Exim; prints nothing; QUEUED is its ID.
queued() {
	q --host 127.0.0.1 --port "$EXIM_PORT" -odq "$@"
	assert_success
	QUEUED=$(queue_ids | tail -n 1)
	[ -n "$QUEUED" ] || fail "nothing queued"
}

# queue_ids_in DIR: the IDs of the entries of the queue DIR, one per line,
# oldest first. IDs start with a digit; tmp.ID.env is what a kill left
# while writing an entry, not an entry (mailout sweeps it later).
queue_ids_in() {
	local f
	for f in "$1"/[0-9]*.env; do
		[ -e "$f" ] || continue
		f=${f##*/}
		echo "${f%.env}"
	done
}

# The IDs in this test's queue.
queue_ids() {
	queue_ids_in "$Q"
}

# age_entry ID SECONDS: the entry was queued SECONDS ago (and is due).
age_entry() {
	local when=$(($(date +%s) - $2))
	sed -i -e "s/^created .*/created $when/" -e "s/^next .*/next $when/" \
		"$Q/$1.env"
}

# alert_recorder: $BATS_TEST_TMPDIR/record-alert appends its stdin to
# $ALERTS (one JSON object per line); $CONF sets it as alert_command,
# with any further config lines from stdin.
alert_recorder() {
	ALERTS=$BATS_TEST_TMPDIR/alerts
	printf '#!/bin/sh\ncat >>"%s"\n' "$ALERTS" >"$BATS_TEST_TMPDIR/record-alert"
	chmod +x "$BATS_TEST_TMPDIR/record-alert"
	CONF=$BATS_TEST_TMPDIR/conf
	{ printf '[defaults]\nalert_command = %s\n' "$BATS_TEST_TMPDIR/record-alert"
		cat; } >"$CONF"
	export MAILOUT_CONFIG=$CONF
}

# alert_count: how many alerts were recorded.
alert_count() {
	if [ -e "$ALERTS" ]; then wc -l <"$ALERTS"; else echo 0; fi
}
