#!/usr/bin/env bats
# Progress on long work (issue 19): with -v and stderr a terminal, a
# message over 1 MB shows one progress line (octets sent, rate), redrawn
# at most 10 times a second and erased at the end; nothing when stderr is
# not a terminal. A flush with -v prints one line per message and a
# summary. The terminal is script(1)'s pseudo-terminal; delivery is to
# real Exim.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	exim_start
	# 4 MB of base64 lines: well past the 1 MB from which progress shows
	{
		printf 'From: sender@example.org\nTo: a@example.org\nSubject: big\n\n'
		head -c 3000000 /dev/urandom | base64 -w 76
	} >"$BATS_FILE_TMPDIR/big"
}

teardown_file() {
	exim_stop
}

setup() {
	maildir_clear "$EXIM_MAILDIR"
	queueops_setup
}

# on_terminal ARGS...: mailout -v ARGS with stdout and stderr on a
# pseudo-terminal; what it wrote there is $BATS_TEST_TMPDIR/typescript.
# ELAPSED: how long it ran, in seconds (rounded up).
on_terminal() {
	local start=$SECONDS command
	printf -v command '%q ' "$MAILOUT" -v --host 127.0.0.1 --port "$EXIM_PORT" \
		--helo client.test -f sender@example.org "$@"
	run timeout 60 script -q -e -c "$command" "$BATS_TEST_TMPDIR/typescript" </dev/null
	ELAPSED=$((SECONDS - start + 1))
}

# progress_lines FILE: each drawing of the progress line, one per line.
progress_lines() {
	grep -ao $'\r-- sending the message: [0-9.]* MB\\(, [0-9.]* MB/s\\)\\?\e\\[K' "$1" |
		tr -d '\r' || true
}

@test "-v on a terminal: a progress line for a big message, at most 10 a second, erased at the end" {
	on_terminal --file "$BATS_FILE_TMPDIR/big" a@example.org
	assert_success
	maildir_wait 1 "$EXIM_MAILDIR"
	local drawn
	drawn=$(progress_lines "$BATS_TEST_TMPDIR/typescript" | wc -l)
	[ "$drawn" -ge 1 ] || fail "no progress line: $(cat -v "$BATS_TEST_TMPDIR/typescript")"
	[ "$drawn" -le $((ELAPSED * 10 + 1)) ] ||
		fail "$drawn drawings in at most $ELAPSED s"
	# the first drawing comes past 1 MB; the amounts only grow
	progress_lines "$BATS_TEST_TMPDIR/typescript" | python3 -c '
import re, sys
sent = [float(re.search(r"message: ([0-9.]+) MB", l).group(1)) for l in sys.stdin]
assert sent[0] >= 1.0 and sent == sorted(sent) and sent[-1] <= 4.1, sent'
	# each drawing is erased before anything else is written
	python3 - "$BATS_TEST_TMPDIR/typescript" <<'PY'
import re, sys
text = open(sys.argv[1], "rb").read()
for m in re.finditer(rb"\r-- sending the message: [^\r\n]*?\x1b\[K", text):
    rest = text[m.end():]
    assert rest.startswith(b"\r\x1b[K") or rest.startswith(b"\r-- sending"), rest[:80]
assert b"octets of message data" in text
PY
}

@test "-v, stderr not a terminal: no progress line; a small message on a terminal: none either" {
	run --separate-stderr timeout 60 "$MAILOUT" -v --host 127.0.0.1 --port "$EXIM_PORT" \
		--helo client.test -f sender@example.org --file "$BATS_FILE_TMPDIR/big" a@example.org
	assert_success
	assert_regex "$stderr" 'octets of message data'
	[[ $stderr != *'sending the message'* && $stderr != *$'\e'* ]] ||
		fail "progress on a stderr that is not a terminal"
	on_terminal --file "$BATS_TEST_TMPDIR/message" a@example.org
	assert_success
	assert_equal "$(progress_lines "$BATS_TEST_TMPDIR/typescript")" ""
	grep -q 'octets of message data' "$BATS_TEST_TMPDIR/typescript"
}

@test "a flush with -v: one line per message (id, recipients, result), then a summary" {
	queued good@example.org
	local good=$QUEUED
	queued busy1@example.org
	local busy=$QUEUED
	queued nouser1@example.org x@example.org
	local refused=$QUEUED
	queued held@example.org
	local held=$QUEUED
	to_exim --hold "$held"
	to_exim -v -q
	assert_success
	maildir_wait 3 "$EXIM_MAILDIR"	# good, x and the notice to sender
	local lines
	lines=$(grep '^mailout: ' <<<"$stderr")
	run python3 - "$lines" "$good" "$busy" "$refused" "$held" "$Q" <<'PY'
import re, sys
lines, good, busy, refused, held, q = sys.argv[1:]
lines = lines.splitlines()
assert "mailout: %s: <good@example.org>: sent" % good in lines, lines
assert any(re.fullmatch(r"mailout: %s: <busy1@example\.org>: deferred: 451 4\.2\.1 .*" % busy, l)
           for l in lines), lines
assert any(re.fullmatch(r"mailout: %s: <nouser1@example\.org>, <x@example\.org>: 1 sent, 1 refused: 550 5\.1\.1 .*" % refused, l)
           for l in lines), lines
assert "mailout: %s: <held@example.org>: held" % held in lines, lines
# the failure notice to the sender is a message of the flush too
assert any(re.fullmatch(r"mailout: \d{14}\.\w{10}: <sender@example\.org>: sent", l)
           for l in lines), lines
assert lines[-1] == ("mailout: flush of %s: 2 sent, 1 deferred, 1 given up, "
                     "0 waiting, 1 held, 0 busy" % q), lines[-1]
PY
	assert_success
	# without -v: only what was given up
	to_exim --flush
	assert_success
	assert_equal "$stderr" ""
}
