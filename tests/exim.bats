#!/usr/bin/env bats
# mailout against a real Exim (tests/servers/exim.sh): refused, deferred and
# accepted recipients, and the bytes that end up in the mailbox.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	exim_start
}

teardown_file() {
	exim_stop
}

setup() {
	maildir_clear "$EXIM_MAILDIR"
}

# The message given to mailout (LF line endings) and, separately, the body
# Exim must store (Exim stores LF line endings). The body has lines starting
# with dots (dot-stuffing both ways), blank lines, trailing blanks and tabs.
write_message() {
	local subject=$1
	printf '%s\n' \
		"From: Sender <sender@example.org>" \
		"To: alice@example.org, bob@example.org" \
		"Subject: $subject" \
		"Date: Mon, 01 Jan 2024 12:00:00 +0000" \
		"Message-ID: <$subject.$BATS_TEST_NUMBER@example.org>" \
		"" >"$BATS_TEST_TMPDIR/message"
	write_body >>"$BATS_TEST_TMPDIR/message"
	write_body >"$BATS_TEST_TMPDIR/body"
}

write_body() {
	printf '%s\n' \
		"Hello," \
		"" \
		".leading dot" \
		"..two leading dots" \
		". dot space" \
		"trailing blanks   " \
		"	tab	inside" \
		"" \
		"-- " \
		"last line"
}

# mailout with the fixed options the contract promises, bounded in time so a
# hanging client fails the test instead of hanging the suite.
mailout_exim() {
	timeout 60 "$MAILOUT" --host 127.0.0.1 --port "$EXIM_PORT" --timeout 20 \
		--helo client.test -f sender@example.org "$@" <"$BATS_TEST_TMPDIR/message"
}

# assert_line / refute_line on the stderr of `run --separate-stderr`.
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

# assert_body_is FILE: FILE's body is byte for byte the body we sent.
assert_body_is() {
	mail_body "$1" >"$BATS_TEST_TMPDIR/got-body"
	if ! cmp -s "$BATS_TEST_TMPDIR/body" "$BATS_TEST_TMPDIR/got-body"; then
		{
			echo "body of $1 differs from the one sent:"
			diff -u "$BATS_TEST_TMPDIR/body" "$BATS_TEST_TMPDIR/got-body" | cat -A
		} | fail
	fi
}

assert_return_path() {
	local got
	got=$(mail_header Return-path "$1")
	[ "$got" = "<sender@example.org>" ] ||
		fail "Return-path of $1 is '$got', expected '<sender@example.org>'"
}

@test "exim: one recipient refused at RCPT among three: exit 67, the other two get the message" {
	write_message refused
	run -67 --separate-stderr mailout_exim alice@example.org nouser1@example.org bob@example.org
	assert_stderr_line "mailout: <nouser1@example.org>: refused at RCPT: 550 5.1.1 No such user"
	refute_stderr_line --partial "alice@example.org"
	refute_stderr_line --partial "bob@example.org"

	maildir_wait 2 "$EXIM_MAILDIR"
	local alice bob
	alice=$(maildir_find_for alice@example.org "$EXIM_MAILDIR")
	bob=$(maildir_find_for bob@example.org "$EXIM_MAILDIR")
	assert_body_is "$alice"
	assert_body_is "$bob"
	assert_return_path "$alice"
	assert_return_path "$bob"
	assert_equal "$(mail_header Subject "$alice")" refused
	assert_equal "$(mail_header Message-ID "$alice")" "<refused.$BATS_TEST_NUMBER@example.org>"
}

@test "exim: all recipients accepted: exit 0, silent, delivered with the envelope sender" {
	write_message accepted
	run -0 --separate-stderr mailout_exim alice@example.org bob@example.org
	assert_equal "$stderr" ""
	assert_equal "$output" ""

	maildir_wait 2 "$EXIM_MAILDIR"
	local alice bob
	alice=$(maildir_find_for alice@example.org "$EXIM_MAILDIR")
	bob=$(maildir_find_for bob@example.org "$EXIM_MAILDIR")
	assert_body_is "$alice"
	assert_body_is "$bob"
	assert_return_path "$alice"
	assert_return_path "$bob"
	# the header block arrives unchanged too (Exim prepends its own headers)
	assert_equal "$(mail_header From "$alice")" "Sender <sender@example.org>"
	assert_equal "$(mail_header To "$alice")" "alice@example.org, bob@example.org"
	# Exim's Received: header records our HELO name
	mail_header Received "$alice" | grep -q "helo=client.test" ||
		fail "Received: header does not show helo=client.test: $(mail_header Received "$alice")"
}

@test "exim: a recipient deferred at RCPT: exit 75, the good one gets the message" {
	write_message deferred
	run -75 --separate-stderr mailout_exim --no-queue busy1@example.org alice@example.org
	assert_stderr_line "mailout: <busy1@example.org>: deferred at RCPT: 451 4.2.1 Try again later"
	refute_stderr_line --partial "alice@example.org"

	maildir_wait 1 "$EXIM_MAILDIR"
	local alice
	alice=$(maildir_find_for alice@example.org "$EXIM_MAILDIR")
	assert_body_is "$alice"
	assert_return_path "$alice"
}

@test "exim: CRLF input is stored exactly like LF input" {
	write_message crlf
	sed 's/$/\r/' "$BATS_TEST_TMPDIR/message" >"$BATS_TEST_TMPDIR/message.crlf"
	mv "$BATS_TEST_TMPDIR/message.crlf" "$BATS_TEST_TMPDIR/message"
	run -0 --separate-stderr mailout_exim alice@example.org
	assert_equal "$stderr" ""

	maildir_wait 1 "$EXIM_MAILDIR"
	assert_body_is "$(maildir_find_for alice@example.org "$EXIM_MAILDIR")"
}
