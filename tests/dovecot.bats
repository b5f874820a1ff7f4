#!/usr/bin/env bats
# mailout --protocol lmtp against a real Dovecot LMTP server
# (tests/servers/dovecot.sh), over its unix socket and over TCP: per-recipient
# replies after the data, recipients refused at RCPT, exact stored bytes.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	# one Dovecot, its mailboxes emptied before each test
	BATS_NO_PARALLELIZE_WITHIN_FILE=true
	dovecot_start
}

teardown_file() {
	dovecot_stop
}

setup() {
	# a fresh mailbox for every user (Dovecot recreates them on delivery)
	rm -rf "${DOVECOT_MAILROOT:?}"/*
}

# Dovecot's replies (Dovecot 2.3.19), as the client must report them.
TINY_REFUSED="mailout: <tiny@example.org>: refused at DATA: 552 5.2.2 <tiny@example.org> Quota exceeded (mailbox for user is full)"
NOSUCH_REFUSED="mailout: <nosuch@example.org>: refused at RCPT: 550 5.1.1 <nosuch@example.org> User doesn't exist: nosuch@example.org"

# The message (LF line endings) and, in $BATS_TEST_TMPDIR/body, the body
# each recipient's maildir must hold byte for byte.
MESSAGE_BODY=(
	"Hello over LMTP,"
	""
	".leading dot"
	"..two leading dots"
	"trailing blanks   "
	"	tab	inside"
	"last line"
)

# mailout_lmtp socket|tcp RCPT...: bounded in time so that a hanging client
# fails the test instead of hanging the suite.
mailout_lmtp() {
	local how=$1
	shift
	local -a where
	case $how in
	socket) where=(--socket "$DOVECOT_SOCKET") ;;
	tcp) where=(--host 127.0.0.1 --port "$DOVECOT_PORT") ;;
	*) fail "mailout_lmtp: socket or tcp, not '$how'" ;;
	esac
	timeout 60 "$MAILOUT" "${where[@]}" --protocol lmtp --timeout 20 \
		--helo client.test -f sender@example.org "$@" <"$BATS_TEST_TMPDIR/msg"
}

# assert_delivered USER: USER's maildir holds exactly one message, with the
# body we sent byte for byte and our envelope sender.
assert_delivered() {
	local dir f
	dir=$(dovecot_maildir "$1")
	maildir_wait 1 "$dir" 5
	f=$(maildir_files "$dir" | head -n 1)
	assert_body_is "$f"
	assert_equal "$(mail_header Return-Path "$f")" "<sender@example.org>"
}

assert_not_delivered() {
	local n
	n=$(maildir_count "$(dovecot_maildir "$1")")
	[ "$n" -eq 0 ] || fail "$1 got $n message(s), expected none"
}

# --- one refused after the data (quota), one delivered ---------------------

quota_case() {
	write_message quota
	run -67 --separate-stderr mailout_lmtp "$1" alice@example.org tiny@example.org
	assert_stderr_line "$TINY_REFUSED"
	refute_stderr_line --partial "alice@example.org"
	assert_delivered alice
	assert_not_delivered tiny
}

@test "dovecot socket: recipient over quota refused at DATA, exit 67, the other delivered" {
	quota_case socket
}

@test "dovecot tcp: recipient over quota refused at DATA, exit 67, the other delivered" {
	quota_case tcp
}

# --- unknown user refused at RCPT -------------------------------------------

unknown_alone_case() {
	write_message unknown
	run -67 --separate-stderr mailout_lmtp "$1" nosuch@example.org
	assert_stderr_line "$NOSUCH_REFUSED"
	assert_equal "$(maildir_count "$(dovecot_maildir nosuch)")" 0
}

@test "dovecot socket: unknown user refused at RCPT 550, exit 67" {
	unknown_alone_case socket
}

@test "dovecot tcp: unknown user refused at RCPT 550, exit 67" {
	unknown_alone_case tcp
}

# The accepted recipient must still get the message, and the client must read
# exactly one post-data reply (for bob only, not for the refused one).
unknown_mixed_case() {
	write_message mixed
	run -67 --separate-stderr mailout_lmtp "$1" nosuch@example.org bob@example.org
	assert_stderr_line "$NOSUCH_REFUSED"
	refute_stderr_line --partial "bob@example.org"
	assert_delivered bob
}

@test "dovecot socket: unknown user and a good one: exit 67, the good one delivered" {
	unknown_mixed_case socket
}

@test "dovecot tcp: unknown user and a good one: exit 67, the good one delivered" {
	unknown_mixed_case tcp
}

# --- everything accepted ------------------------------------------------------

all_ok_case() {
	write_message allok
	run -0 --separate-stderr mailout_lmtp "$1" alice@example.org bob@example.org
	assert_equal "$stderr" ""
	assert_equal "$output" ""
	assert_delivered alice
	assert_delivered bob
}

@test "dovecot socket: all recipients accepted: exit 0, silent, both delivered" {
	all_ok_case socket
}

@test "dovecot tcp: all recipients accepted: exit 0, silent, both delivered" {
	all_ok_case tcp
}
