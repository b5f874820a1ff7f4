#!/usr/bin/env bats
# mailout against a real Exim (tests/servers/exim.sh): refused, deferred and
# accepted recipients, and the bytes that end up in the mailbox.

bats_require_minimum_version 1.5.0
load helpers

exim_suite

setup() {
	exim_test_setup
}

# The message given to mailout (LF line endings); Exim must store its body
# (in $BATS_TEST_TMPDIR/body) byte for byte (Exim stores LF line endings):
# lines starting with dots (dot-stuffing both ways), blank lines, trailing
# blanks and tabs.
MESSAGE_TO='alice@example.org, bob@example.org'
MESSAGE_BODY=(
	"Hello,"
	""
	".leading dot"
	"..two leading dots"
	". dot space"
	"trailing blanks   "
	"	tab	inside"
	""
	"-- "
	"last line"
)

# assert_intact ADDR...: each ADDR got one copy with the body we sent (byte
# for byte) and our envelope sender as its Return-path.
assert_intact() {
	local addr file got
	for addr in "$@"; do
		file=$(maildir_find_for "$addr" "$EXIM_MAILDIR") || return
		assert_body_is "$file" || return
		got=$(mail_header Return-path "$file")
		[ "$got" = "<sender@example.org>" ] ||
			fail "Return-path of $file is '$got', expected '<sender@example.org>'" ||
			return
	done
}

@test "exim: one recipient refused at RCPT among three: exit 67, the other two get the message" {
	write_message refused
	run -67 --separate-stderr mailout_exim "$EXIM_PORT" alice@example.org nouser1@example.org bob@example.org
	assert_stderr_line "mailout: <nouser1@example.org>: refused at RCPT: 550 5.1.1 No such user"
	refute_stderr_line --partial "alice@example.org"
	refute_stderr_line --partial "bob@example.org"

	maildir_wait 2 "$EXIM_MAILDIR"
	assert_intact alice@example.org bob@example.org
	local alice
	alice=$(maildir_find_for alice@example.org "$EXIM_MAILDIR")
	assert_equal "$(mail_header Subject "$alice")" refused
	assert_equal "$(mail_header Message-ID "$alice")" "<refused.$BATS_TEST_NUMBER@example.org>"
}

@test "exim: all recipients accepted: exit 0, silent, delivered with the envelope sender" {
	write_message accepted
	run -0 --separate-stderr mailout_exim "$EXIM_PORT" alice@example.org bob@example.org
	assert_equal "$stderr" ""
	assert_equal "$output" ""

	maildir_wait 2 "$EXIM_MAILDIR"
	assert_intact alice@example.org bob@example.org
	local alice
	alice=$(maildir_find_for alice@example.org "$EXIM_MAILDIR")
	# the header block arrives unchanged too (Exim prepends its own headers)
	assert_equal "$(mail_header From "$alice")" "Sender <sender@example.org>"
	assert_equal "$(mail_header To "$alice")" "alice@example.org, bob@example.org"
	# Exim's Received: header records our HELO name
	mail_header Received "$alice" | grep -q "helo=client.test" ||
		fail "Received: header does not show helo=client.test: $(mail_header Received "$alice")"
}

@test "exim: a recipient deferred at RCPT: exit 75, the good one gets the message" {
	write_message deferred
	run -75 --separate-stderr mailout_exim "$EXIM_PORT" --no-queue busy1@example.org alice@example.org
	assert_stderr_line "mailout: <busy1@example.org>: deferred at RCPT: 451 4.2.1 Try again later"
	refute_stderr_line --partial "alice@example.org"

	maildir_wait 1 "$EXIM_MAILDIR"
	assert_intact alice@example.org
}

@test "exim: CRLF input is stored exactly like LF input" {
	write_message crlf
	sed 's/$/\r/' "$BATS_TEST_TMPDIR/msg" >"$BATS_TEST_TMPDIR/msg.crlf"
	mv "$BATS_TEST_TMPDIR/msg.crlf" "$BATS_TEST_TMPDIR/msg"
	run -0 --separate-stderr mailout_exim "$EXIM_PORT" alice@example.org
	assert_equal "$stderr" ""

	maildir_wait 1 "$EXIM_MAILDIR"
	assert_body_is "$(maildir_find_for alice@example.org "$EXIM_MAILDIR")"
}
