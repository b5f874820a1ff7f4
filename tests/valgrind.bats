#!/usr/bin/env bats
# Memory errors and leaks: end-to-end sends against the scripted server
# (tests/lib/dialogue.bash) with the plain build (src/mailout, whatever
# MAILOUT says: valgrind and ASan do not mix) under valgrind.  Any error
# or definite/indirect leak fails; still-reachable blocks (GnuTLS' global
# state) do not count.

load helpers

setup_file() {
	command -v valgrind >/dev/null || skip "valgrind is not installed (make deps)"
	export DIALOGUE_CERTS=$BATS_FILE_TMPDIR/certs
	"$TESTS_DIR/servers/certs.sh" "$DIALOGUE_CERTS"
}

setup() {
	VG_LOG=$BATS_TEST_TMPDIR/valgrind.log
	# dialogue_run runs $MAILOUT: here, mailout under valgrind
	MAILOUT=$BATS_TEST_TMPDIR/mailout-valgrind
	cat >"$MAILOUT" <<EOF
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full \\
	--errors-for-leak-kinds=definite,indirect \\
	--show-leak-kinds=definite,indirect --log-file="$VG_LOG" \\
	"$TOP_DIR/src/mailout" "\$@"
EOF
	chmod +x "$MAILOUT"
	dialogue_message "$BATS_TEST_TMPDIR/msg"
}

teardown() {
	scripted_teardown
}

# under_valgrind WANT STAGE [LINE...]: the dialogue with LINEs at STAGE;
# mailout must exit WANT with a clean valgrind report.
under_valgrind() {
	local want=$1
	shift
	scripted_start < <(dialogue_script "$@")
	dialogue_run --no-queue
	[ -e "$VG_LOG" ] || fail "valgrind did not run: $output" || return
	if [ "$status" = 99 ] || [ -s "$VG_LOG" ]; then
		fail "valgrind found errors (exit $status):
$(cat "$VG_LOG")"
		return
	fi
	assert_equal "$status" "$want"
	scripted_wait
}

@test "valgrind: plain SMTP, delivered" {
	under_valgrind 0 none
}

@test "valgrind: STARTTLS and AUTH PLAIN, delivered" {
	DIALOGUE_TLS=1 DIALOGUE_AUTH=1 under_valgrind 0 none
}

@test "valgrind: a refused recipient -> 67" {
	under_valgrind 67 rcpt2 'send 550 5.1.1 No such user'
}

@test "valgrind: a malformed reply -> 76" {
	under_valgrind 76 ehlo 'send 2x0 malformed' expect-eof
}
