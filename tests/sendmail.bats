#!/usr/bin/env bats
# sendmail compatibility (SPEC §2-3) against the scripted server
# (tests/server/scripted.py): the exact envelope (MAIL FROM / RCPT TO lines)
# and the exact DATA bytes for -t and its RFC 5322 address lists, Resent-*
# blocks, Bcc removal, added Date/Message-ID/From, -F, 998-octet lines, NUL
# octets, the header block cap, BODY= and SMTPUTF8, and the sendmail flags
# that are accepted and ignored or refused.

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	scripted_teardown
}

SENDER=sender@example.org

# Date, Message-ID and From present: nothing is added, the DATA bytes are
# exactly the input's (with CRLF).
STD='Date: Mon, 01 Jan 2024 00:00:00 +0000\nMessage-ID: <corpus@example.org>\nFrom: Sender <sender@example.org>\n'
BODY='\nBody of the message.\n'

# want FORMAT [ARGS...]: the message text the server must get between DATA
# and the final ".", given with LF line ends (converted to CRLF here).
want() {
	# shellcheck disable=SC2059
	printf -- "$@" | sed 's/$/\r/' >"$BATS_TEST_TMPDIR/want"
}

# want_msg: the server must get the input message unchanged (CRLF).
want_msg() {
	wire >"$BATS_TEST_TMPDIR/want"
}

# serve [--caps "CAP..."] MAIL-LINE [RCPT-ADDR...]: a server accepting one
# transaction: MAIL-LINE exactly (e.g. "MAIL FROM:<a@b> BODY=8BITMIME"),
# then exactly these RCPT TO:<ADDR> in this order, DATA, QUIT
# (dialogue_tail). EHLO offers CAPs (default: 8BITMIME).
serve() {
	local caps=8BITMIME
	if [ "$1" = --caps ]; then
		caps=$2
		shift 2
	fi
	DIALOGUE_MAIL=$1
	shift
	DIALOGUE_RCPTS=("$@")
	# shellcheck disable=SC2086 # one capability a word
	scripted_start < <(dialogue_greet $caps && dialogue_tail)
}

# serve_until_ehlo [--caps "CAP..."]: greeting and EHLO, then the client
# must close (whatever it sends is captured).
serve_until_ehlo() {
	local caps=8BITMIME
	if [ "$1" = --caps ]; then
		caps=$2
		shift 2
	fi
	# shellcheck disable=SC2086
	scripted_start < <(dialogue_greet $caps && echo expect-eof)
}

# A server that must not be connected to.
serve_nothing() {
	scripted_start <<'EOF'
send 554 5.3.2 this connection should not have happened
expect-eof
EOF
}

# sm ARGS...: mailout against the scripted server, message from msg.
sm() {
	scripted_mailout --helo client.test "$@"
}

# assert_sent: the whole dialogue the client sent was EHLO, the MAIL-LINE
# and RCPTs serve was given, DATA, the bytes of $BATS_TEST_TMPDIR/want, ".",
# QUIT.
assert_sent() {
	local f=$BATS_TEST_TMPDIR/expected-dialogue
	{
		printf 'EHLO client.test\r\n'
		dialogue_tail_sent "$BATS_TEST_TMPDIR/want"
	} >"$f"
	assert_capture "$f"
}

# sent_data: the message text of the capture (between DATA and "."), LF.
# Call scripted_wait first (in the test's shell, not in a subshell).
sent_data() {
	awk '/^\.\r$/ { d = 0 } d { sub(/\r$/, ""); print } /^DATA\r$/ { d = 1 }' \
		"$SERVER_CAPTURE"
}

# t_corpus HEADERS SENT-HEADERS RCPT...: mailout -t -f SENDER on
# STD + HEADERS + BODY must send exactly these RCPTs (in this order) and
# STD + SENT-HEADERS + BODY as the message ("=": SENT-HEADERS = HEADERS).
# Extra arguments for mailout (command-line recipients) in CORPUS_ARGS.
t_corpus() {
	local headers=$1 sent=$2
	shift 2
	[ "$sent" != = ] || sent=$headers
	msg "$STD$headers$BODY"
	want "$STD$sent$BODY"
	serve "MAIL FROM:<$SENDER>" "$@"
	sm -t -f "$SENDER" "${CORPUS_ARGS[@]}"
	assert_success
	assert_output ""
	assert_sent
}

###########################################################################
# -t corpus: RFC 5322 address lists

@test "-t: To and Cc with several addresses each" {
	t_corpus 'To: a@example.com, b@example.com\nCc: c@example.com,d@example.com\nSubject: plain\n' = \
		a@example.com b@example.com c@example.com d@example.com
}

@test "-t: groups, with display names inside, and an empty group" {
	t_corpus 'To: team: Alice <alice@example.com>, "B, b" <bob@example.com>;, carol@example.com\nCc: undisclosed-recipients:;\nSubject: groups\n' = \
		alice@example.com bob@example.com carol@example.com
}

@test "-t: only an empty group and a Bcc: the Bcc is the envelope" {
	t_corpus 'To: undisclosed-recipients:;\nBcc: hidden@example.com\nSubject: empty group\n' \
		'To: undisclosed-recipients:;\nSubject: empty group\n' \
		hidden@example.com
}

@test "-t: Bcc only: recipients from Bcc, no Bcc in the message" {
	t_corpus 'Subject: bcc only\nBcc: one@example.com,\n two@example.com\n' \
		'Subject: bcc only\n' \
		one@example.com two@example.com
}

@test "-t: comments in and around addresses" {
	t_corpus 'To: Alice (the boss) <alice@example.com>, bob@example.com (Bob, B.),\n (lead) carol(c)@example.com, dave@(home)example.com\nSubject: comments\n' = \
		alice@example.com bob@example.com carol@example.com dave@example.com
}

@test "-t: quoted local parts keep their quotes" {
	t_corpus 'To: "john doe"@example.com, "Smith, J" <"j,smith"@example.com>\nSubject: quoted\n' = \
		'"john doe"@example.com' '"j,smith"@example.com'
}

@test "-t: display names with commas, quotes and escaped quotes" {
	t_corpus 'To: "Doe, John" <john@example.com>, "O'"'"'Neil \\"Bob\\", Jr." <bob@example.com>\nCc: John Q. Public <jqp@example.com>\nSubject: names\n' = \
		john@example.com bob@example.com jqp@example.com
}

@test "-t: a display name that is a quoted address" {
	# Outlook and many web mailers write this form.
	t_corpus 'To: "alice@example.com" <alice@example.com>\nSubject: quoted address as name\n' = \
		alice@example.com
}

@test "-t: encoded-word display names" {
	t_corpus 'To: =?UTF-8?B?w6l0w6k=?= <ete@example.com>, =?ISO-8859-1?Q?Andr=E9_P=2E?= <andre@example.com>\nSubject: encoded\n' = \
		ete@example.com andre@example.com
}

@test "-t: several To and Cc lines, in any letter case, all used" {
	t_corpus 'To: a@example.com\nSubject: many\nTO: b@example.com\ncc: c@example.com\nCc: d@example.com\n' = \
		a@example.com b@example.com c@example.com d@example.com
}

@test "-t: a display name longer than an address may be is a name, not a too-long address" {
	# RFC 5322 bounds a phrase by the line only; ADDR_MAX is the address's.
	local name
	name=$(head -c 300 /dev/zero | tr '\0' N)
	msg "$STD"'To: "%s" <a@example.com>, %s <b@example.com>\n\nbody\n' "$name" "$name"
	want_msg
	serve "MAIL FROM:<$SENDER>" a@example.com b@example.com
	sm -t -f "$SENDER"
	assert_success
	assert_sent
	# the address itself still has its limit
	msg "$STD"'To: <%s@example.com>\n\nbody\n' "$name"
	serve_nothing
	sm -t -f "$SENDER"
	assert_failure 65
	assert_output 'mailout: To header: address longer than 256 octets'
}

@test "-t: folded To and Cc (LF and tab continuations, a name split over lines)" {
	t_corpus 'To: a@example.com,\n b@example.com,\n\t"Long,\n Name" <c@example.com>\nCc:\n d@example.com\nSubject: folded\n' = \
		a@example.com b@example.com c@example.com d@example.com
}

@test "-t: Cc and a folded Bcc: all are recipients, the Bcc field is gone" {
	t_corpus 'To: a@example.com\nBcc: secret1@example.com,\n secret2@example.com\nCc: b@example.com\nbcc: secret3@example.com\nSubject: bcc\n' \
		'To: a@example.com\nCc: b@example.com\nSubject: bcc\n' \
		a@example.com secret1@example.com secret2@example.com b@example.com secret3@example.com
}

@test "-t: a source route is dropped; no space after the colon" {
	t_corpus 'To:<@relay.example.net:a@example.com>,b@example.com\nSubject: route\n' = \
		a@example.com b@example.com
}

@test "-t: Resent block: the latest (topmost) wins, the older one and To/Cc are ignored" {
	t_corpus 'Received: from b by c; Tue, 02 Jan 2024 00:00:00 +0000\nResent-From: r2@example.org\nResent-To: new1@example.com\nResent-Cc: new2@example.com\nResent-Bcc: newbcc@example.com\nResent-Date: Tue, 02 Jan 2024 00:00:00 +0000\nReceived: from a by b; Mon, 01 Jan 2024 12:00:00 +0000\nResent-From: r1@example.org\nResent-To: old@example.com\nResent-Bcc: oldbcc@example.com\nResent-Date: Mon, 01 Jan 2024 12:00:00 +0000\nTo: orig@example.com\nCc: origcc@example.com\nSubject: resent\n' \
		'Received: from b by c; Tue, 02 Jan 2024 00:00:00 +0000\nResent-From: r2@example.org\nResent-To: new1@example.com\nResent-Cc: new2@example.com\nResent-Date: Tue, 02 Jan 2024 00:00:00 +0000\nReceived: from a by b; Mon, 01 Jan 2024 12:00:00 +0000\nResent-From: r1@example.org\nResent-To: old@example.com\nResent-Date: Mon, 01 Jan 2024 12:00:00 +0000\nTo: orig@example.com\nCc: origcc@example.com\nSubject: resent\n' \
		new1@example.com new2@example.com newbcc@example.com
}

@test "-t: two Resent blocks with nothing between them: only the topmost counts" {
	# RFC 5322 3.6.6: each resend prepends a block with its own
	# Resent-Date and Resent-From; a repeated field starts the older block.
	t_corpus 'Resent-Date: Tue, 02 Jan 2024 00:00:00 +0000\nResent-From: r2@example.org\nResent-To: new@example.com\nResent-Date: Mon, 01 Jan 2024 12:00:00 +0000\nResent-From: r1@example.org\nResent-To: old@example.com\nTo: orig@example.com\nSubject: resent twice\n' = \
		new@example.com
}

@test "-t: a Resent block that names no recipients: To and Cc are used" {
	t_corpus 'Resent-From: r@example.org\nResent-Date: Tue, 02 Jan 2024 00:00:00 +0000\nTo: orig@example.com\nCc: cc@example.com\nSubject: resent without recipients\n' = \
		orig@example.com cc@example.com
}

@test "-t: command-line recipients first, then the headers', duplicates once" {
	CORPUS_ARGS=(first@example.com 'Second <b@example.com>, a@example.com')
	t_corpus 'To: a@example.com, b@example.com\nCc: c@example.com, first@example.com\nSubject: union\n' = \
		first@example.com b@example.com a@example.com c@example.com
}

@test "-t: duplicates differing in case: domain case-insensitive, local part exact" {
	t_corpus 'To: Alice@Example.ORG, alice@example.org\nCc: ALICE@example.org, alice@EXAMPLE.ORG, Alice@example.org\nSubject: case\n' = \
		Alice@Example.ORG alice@example.org ALICE@example.org
}

@test "-t: a leading mbox From line is dropped" {
	msg 'From sender@example.org Mon Jan  1 00:00:00 2024\n'"$STD"'To: a@example.com\nSubject: mbox\n'"$BODY"
	want "$STD"'To: a@example.com\nSubject: mbox\n'"$BODY"
	serve "MAIL FROM:<$SENDER>" a@example.com
	sm -t -f "$SENDER"
	assert_success
	assert_sent
}

@test "-t: no blank line before the body: the header ends at the first non-header line" {
	msg "$STD"'To: a@example.com\nSubject: no blank line\nThis line is the body: it is no header\nsecond body line\n'
	want "$STD"'To: a@example.com\nSubject: no blank line\n\nThis line is the body: it is no header\nsecond body line\n'
	serve "MAIL FROM:<$SENDER>" a@example.com
	sm -t -f "$SENDER"
	assert_success
	assert_sent
}

@test "-t: To: in the body is not a recipient" {
	msg "$STD"'To: a@example.com\nSubject: body\n\nTo: notme@example.com\nCc: nor-me@example.com\n'
	want_msg
	serve "MAIL FROM:<$SENDER>" a@example.com
	sm -t -f "$SENDER"
	assert_success
	assert_sent
}

@test "-t: CRLF input, folded Cc, and -f with a display name" {
	msg "${STD//\\n/\\r\\n}"'To: a@example.com\r\nCc: b@example.com,\r\n c@example.com\r\n\r\nbody\r\n'
	want_msg
	sed -i 's/\r\r$/\r/' "$BATS_TEST_TMPDIR/want"
	serve "MAIL FROM:<robot@example.org>" a@example.com b@example.com c@example.com
	sm -t -f 'Robot <robot@example.org>'
	assert_success
	assert_sent
}

@test "-t: input ending inside the header (no final newline): header, blank line, empty body" {
	msg "$STD"'To: a@example.com\nSubject: no newline'
	want "$STD"'To: a@example.com\nSubject: no newline\n\n'
	serve "MAIL FROM:<$SENDER>" a@example.com
	sm -t -f "$SENDER"
	assert_success
	assert_sent
}

@test "-t: no recipients anywhere -> 64, no connection" {
	serve_nothing
	msg "$STD"'To: undisclosed-recipients:;\nSubject: nobody\n'"$BODY"
	sm -t -f "$SENDER"
	assert_failure 64
	assert_output --partial "no recipients"
	assert_no_connection
}

@test "-t: a To header that is not an address list -> 65, no connection" {
	serve_nothing
	msg "$STD"'To: a@example.com b@example.com\nSubject: broken\n'"$BODY"
	sm -t -f "$SENDER"
	assert_failure 65
	assert_output --partial "To header"
	assert_no_connection
}

@test "without -t the headers are not recipients and Bcc is still removed" {
	msg "$STD"'To: a@example.com\nBcc: b@example.com\nSubject: no -t\n'"$BODY"
	want "$STD"'To: a@example.com\nSubject: no -t\n'"$BODY"
	serve "MAIL FROM:<$SENDER>" other@example.com
	sm -f "$SENDER" other@example.com
	assert_success
	assert_sent
}

@test "Resent-Bcc (folded) is removed; Resent-To stays" {
	msg "$STD"'Resent-From: r@example.org\nResent-Date: Tue, 02 Jan 2024 00:00:00 +0000\nResent-To: new@example.com\nResent-Bcc: hidden@example.com,\n hidden2@example.com\nTo: orig@example.com\nSubject: resent bcc\n'"$BODY"
	want "$STD"'Resent-From: r@example.org\nResent-Date: Tue, 02 Jan 2024 00:00:00 +0000\nResent-To: new@example.com\nTo: orig@example.com\nSubject: resent bcc\n'"$BODY"
	serve "MAIL FROM:<$SENDER>" new@example.com hidden@example.com hidden2@example.com
	sm -t -f "$SENDER"
	assert_success
	assert_sent
}

@test "a lone CR inside a header field cannot put a Bcc line on the wire" {
	# The wire turns a lone CR into CRLF: the parsed header and the sent
	# one must agree, or "Bcc: secret" reaches every recipient.
	msg "$STD"'To: a@example.com\nSubject: hi\rBcc: secret@example.com\n\nbody\n'
	serve "MAIL FROM:<$SENDER>" a@example.com
	sm -f "$SENDER" a@example.com
	if [ "$status" -eq 65 ]; then
		assert_no_connection # refusing the message is fine too
		return
	fi
	assert_success
	scripted_wait
	sent_data | sed '/^$/q' >"$BATS_TEST_TMPDIR/sent-header"
	if grep -qi '^Bcc:' "$BATS_TEST_TMPDIR/sent-header"; then
		fail "a Bcc: line was sent: $(cat -A "$BATS_TEST_TMPDIR/sent-header")"
	fi
	if grep -v '^[!-9;-~]\{1,\}:\|^[ \t]\|^$' "$BATS_TEST_TMPDIR/sent-header"; then
		fail "a sent header line is neither a field nor a continuation"
	fi
}

###########################################################################
# Added headers, -F, envelope sender

DATE_RE='^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}$'

# The message text of the capture must be exactly the input's header, then
# the added fields (Date, Message-ID, From in this order, each matching
# its regex), the blank line and the body. Args: FROM-VALUE MSGID-DOMAIN.
assert_added() {
	local from=$1 domain=$2 data n_in
	scripted_wait || return
	data=$(sent_data) || return
	n_in=$(sed -n '/^$/q;p' "$BATS_TEST_TMPDIR/msg" | wc -l)
	local -a lines
	mapfile -t lines <<<"$data"
	# the original fields, unchanged and first
	assert_equal "$(printf '%s\n' "${lines[@]:0:n_in}")" \
		"$(sed -n '/^$/q;p' "$BATS_TEST_TMPDIR/msg")"
	if ! [[ ${lines[n_in]} =~ ^Date:\ (.*)$ && ${BASH_REMATCH[1]} =~ $DATE_RE ]]; then
		fail "expected a Date: line after the original fields, got '${lines[n_in]}'"
	fi
	[[ ${lines[n_in + 1]} =~ ^Message-ID:\ \<[A-Za-z0-9._-]+@([^@<>]+)\>$ ]] ||
		fail "expected a Message-ID: line, got '${lines[n_in + 1]}'"
	assert_equal "${BASH_REMATCH[1]}" "$domain"
	assert_equal "${lines[n_in + 2]}" "From: $from"
	assert_equal "${lines[n_in + 3]}" ""
	assert_equal "$(printf '%s\n' "${lines[@]:n_in+4}")" \
		"$(sed '1,/^$/d' "$BATS_TEST_TMPDIR/msg")"
}

@test "missing Date, Message-ID and From are added after the existing fields" {
	msg 'To: a@example.com\nSubject: bare\nX-Custom: kept\n\nHello.\n'
	serve "MAIL FROM:<$SENDER>" a@example.com
	sm -t -f "$SENDER"
	assert_success
	assert_added "$SENDER" example.org
}

@test "present Date, Message-ID and From (any letter case) are left alone" {
	msg 'DATE: Mon, 01 Jan 2024 00:00:00 +0000\nmessage-id: <lower@example.org>\nfrom: Someone Else <else@example.net>\nTo: a@example.com\n\nHello.\n'
	want_msg
	serve "MAIL FROM:<$SENDER>" a@example.com
	sm -t -f "$SENDER"
	assert_success
	assert_sent
}

@test "only what is missing is added: a message with Date gets Message-ID and From" {
	msg 'Date: Mon, 01 Jan 2024 00:00:00 +0000\nTo: a@example.com\n\nHello.\n'
	serve "MAIL FROM:<$SENDER>" a@example.com
	sm -t -f "$SENDER"
	assert_success
	scripted_wait
	run --keep-empty-lines sent_data
	assert_line --index 0 'Date: Mon, 01 Jan 2024 00:00:00 +0000'
	assert_line --index 1 'To: a@example.com'
	assert_line --index 2 --regexp '^Message-ID: <[^<>@ ]+@example\.org>$'
	assert_line --index 3 "From: $SENDER"
	assert_line --index 4 ''
	assert_line --index 5 'Hello.'
}

@test "-F plain name: From: Name <sender>" {
	msg 'To: a@example.com\n\nHello.\n'
	serve "MAIL FROM:<$SENDER>" a@example.com
	sm -t -f "$SENDER" -F 'Cron Daemon'
	assert_success
	assert_added "Cron Daemon <$SENDER>" example.org
}

@test "-F with a CR or LF is refused before anything is read or sent (65)" {
	# The name goes into From:; a line end in it would start a new field.
	# tests/fuzz/regressions/header/full-name-with-cr relies on this.
	local name
	msg 'To: a@example.com\n\nHello.\n'
	serve_nothing
	for name in $'Evil\rBcc: x@example.net' $'Evil\nBcc: x@example.net'; do
		sm -t -f "$SENDER" -F "$name"
		assert_failure 65
		assert_output 'mailout: -F: the name must be one line'
	done
}

@test "-F glued to the flag (-FCronDaemon), as cron passes it" {
	msg 'To: a@example.com\n\nHello.\n'
	serve "MAIL FROM:<$SENDER>" a@example.com
	sm -t -f "$SENDER" -FCronDaemon
	assert_success
	assert_added "CronDaemon <$SENDER>" example.org
}

@test "-F name with a comma and quotes: a quoted string" {
	msg 'To: a@example.com\n\nHello.\n'
	serve "MAIL FROM:<$SENDER>" a@example.com
	sm -t -f "$SENDER" -F 'Doe, John "JD"'
	assert_success
	assert_added "\"Doe, John \\\"JD\\\"\" <$SENDER>" example.org
}

@test "-F UTF-8 name: an RFC 2047 encoded word" {
	local name='Zoë Ünicode' b64
	b64=$(printf '%s' "$name" | base64 -w0)
	msg 'To: a@example.com\n\nHello.\n'
	serve "MAIL FROM:<$SENDER>" a@example.com
	sm -t -f "$SENDER" -F "$name"
	assert_success
	assert_added "=?UTF-8?B?$b64?= <$SENDER>" example.org
}

@test "-F long UTF-8 name: every encoded word is at most 75 octets (RFC 2047 2)" {
	local name='Jérôme-Alexandre de La Rochefoucauld-Montbéliard' from w
	msg 'To: a@example.com\n\nHello.\n'
	serve "MAIL FROM:<$SENDER>" a@example.com
	sm -t -f "$SENDER" -F "$name"
	assert_success
	scripted_wait
	sent_data >"$BATS_TEST_TMPDIR/sent"
	from=$(mail_header From "$BATS_TEST_TMPDIR/sent")
	[[ $from == *"<$SENDER>" ]] || fail "From: $from"
	for w in ${from% <*}; do
		[ "${#w}" -le 75 ] || fail "encoded word of ${#w} octets: $w"
		[[ $w =~ ^=\?UTF-8\?[BbQq]\?[^?]+\?=$ ]] || fail "not an encoded word: $w"
	done
	# the words decode back to the name
	local decoded
	decoded=$(python3 -c 'import email.header,sys; print(str(email.header.make_header(email.header.decode_header(sys.argv[1]))))' "${from% <*}")
	assert_equal "$decoded" "$name"
}

@test "-f '<>': null sender, From: MAILER-DAEMON@domain" {
	printf '[defaults]\ndomain = example.org\n' >"$BATS_TEST_TMPDIR/conf"
	msg 'To: a@example.com\nSubject: bounce\n\nHello.\n'
	serve "MAIL FROM:<>" a@example.com
	sm --config "$BATS_TEST_TMPDIR/conf" -t -f '<>'
	assert_success
	assert_added "MAILER-DAEMON@example.org" example.org
}

@test "envelope sender: -r is -f" {
	msg "$STD"'To: a@example.com\n\nHello.\n'
	want_msg
	serve "MAIL FROM:<r@example.org>" a@example.com
	sm -t -r r@example.org
	assert_success
	assert_sent
}

@test "envelope sender: without -f, user@ the mail name" {
	local me host
	me=$(id -un)
	host=$(mail_name)
	msg "$STD"'To: a@example.com\n\nHello.\n'
	want_msg
	serve "MAIL FROM:<$me@$host>" a@example.com
	sm -t
	assert_success
	assert_sent
}

@test "envelope sender: config from, overridden by -f; domain qualifies" {
	printf '[defaults]\nfrom = profile@example.org\n' >"$BATS_TEST_TMPDIR/conf"
	msg "$STD"'To: a@example.com\n\nHello.\n'
	want_msg
	serve "MAIL FROM:<profile@example.org>" a@example.com
	sm --config "$BATS_TEST_TMPDIR/conf" -t
	assert_success
	assert_sent
	scripted_teardown

	serve "MAIL FROM:<cmdline@example.org>" a@example.com
	sm --config "$BATS_TEST_TMPDIR/conf" -t -f cmdline@example.org
	assert_success
	assert_sent
	scripted_teardown

	printf '[defaults]\ndomain = example.net\n' >"$BATS_TEST_TMPDIR/conf"
	serve "MAIL FROM:<$(id -un)@example.net>" bare@example.net a@example.com
	sm --config "$BATS_TEST_TMPDIR/conf" -t bare
	assert_success
	assert_sent
}

@test "aliases then domain: root -> alias list, bare names qualified" {
	printf 'root: alice@example.org, ops\n# comment\nops: bob, carol@example.com\nmailer-daemon: root\n' >"$BATS_TEST_TMPDIR/aliases"
	printf '[defaults]\ndomain = example.org\naliases = %s\n' "$BATS_TEST_TMPDIR/aliases" >"$BATS_TEST_TMPDIR/conf"
	msg "$STD"'To: root, dave\n\nHello.\n'
	want_msg
	serve "MAIL FROM:<$SENDER>" alice@example.org bob@example.org carol@example.com dave@example.org
	sm --config "$BATS_TEST_TMPDIR/conf" -t -f "$SENDER"
	assert_success
	assert_sent
}

###########################################################################
# Long lines, NUL octets, the header block cap

@test "lines over 998 octets: folded with CRLF SP in the header, split in the body" {
	local x989 x1100 x998 x999 z1000 y997
	x989=$(x_times 989)  # "X-Exact: " + 989 = 998: not split
	x1100=$(x_times 1100)
	x998=$(x_times 998 b)
	x999=$(x_times 999 c)
	z1000=$(x_times 1000 z)
	y997=$(x_times 997 y)
	msg "$STD"'To: a@example.com\nX-Exact: %s\nSubject: %s\n\n%s\n%s\n.%s\n%s\n' \
		"$x989" "$x1100" "$x998" "$x999" "$z1000" "$y997"
	# Subject: + 989 x = 998, then " " + 111 x; a 998-octet body line stays,
	# 999 -> 998 + 1; the dot-stuffed line counts its added dot.
	want "$STD"'To: a@example.com\nX-Exact: %s\nSubject: %s\n %s\n\n%s\n%s\nc\n..%s\nzzzz\n%s\n' \
		"$x989" "$(x_times 989)" "$(x_times 111)" "$x998" "$(x_times 998 c)" \
		"$(x_times 996 z)" "$y997"
	serve "MAIL FROM:<$SENDER>" a@example.com
	sm -t -f "$SENDER"
	assert_success
	assert_sent
}

@test "a 3000-octet header line is folded into lines of at most 998" {
	local x
	x=$(x_times 3000)
	msg "$STD"'To: a@example.com\nX-Long: %s\n\nbody\n' "$x"
	want "$STD"'To: a@example.com\nX-Long: %s\n %s\n %s\n %s\n\nbody\n' \
		"$(x_times 990)" "$(x_times 997)" "$(x_times 997)" "$(x_times 16)"
	serve "MAIL FROM:<$SENDER>" a@example.com
	sm -t -f "$SENDER"
	assert_success
	assert_sent
}

@test "NUL in the header -> 65, no connection" {
	serve_nothing
	msg "$STD"'To: a@example.com\nSubject: a\0b\n\nbody\n'
	sm -t -f "$SENDER"
	assert_failure 65
	assert_output --partial NUL
	assert_no_connection
}

# A NUL octet in the body (issue 20): exit 65 and the input's own line
# number, whatever the network does, with nothing queued and no
# transaction completed.

# nul_message: line 2006 of the input has a NUL octet, after 400 kB (several
# BDAT chunks); mailout removes the Bcc: and adds Date: and Message-ID:, so
# its line numbers are not the input's.
nul_message() {
	local filler
	filler=$(x_times 200 f)
	{
		printf 'From: Sender <%s>\nTo: a@example.com\nBcc: b@example.com\nSubject: nul\n\n' "$SENDER"
		for _ in $(seq 1 2000); do printf '%s\n' "$filler"; done
		printf 'line with a \0 NUL\nmore\n'
	} >"$BATS_TEST_TMPDIR/msg"
	QDIR=$BATS_TEST_TMPDIR/queue
}

# nul_send file|pipe ARGS...: mailout on nul_message's message, from the
# file or from a pipe, with its own queue directory.
nul_send() {
	local how=$1
	shift
	if [ "$how" = file ]; then
		run timeout 60 "$MAILOUT" --helo client.test --queue-dir "$QDIR" \
			-f "$SENDER" "$@" <"$BATS_TEST_TMPDIR/msg"
	else
		run bash -c 'cat "$1" | timeout 60 "$MAILOUT" --helo client.test \
			--queue-dir "$2" -f "$3" "${@:4}"' nul_send \
			"$BATS_TEST_TMPDIR/msg" "$QDIR" "$SENDER" "$@"
	fi
}

# assert_nul_refused: exit 65, the NUL's line in the input named, nothing
# queued.
assert_nul_refused() {
	assert_failure 65
	assert_line 'mailout: message contains a NUL octet (line 2006)'
	if [ -n "$(find "$QDIR" -type f 2>/dev/null)" ]; then
		find "$QDIR" -type f
		fail "something was queued"
	fi
}

# nul_over_data file|pipe: the server takes the message with DATA; it must
# never get the final ".".
nul_over_data() {
	nul_message
	scripted_start <<'EOF'
send 220 server.test ESMTP
expect EHLO client\.test
send 250-server.test
send 250 8BITMIME
expect MAIL FROM:<sender@example\.org>
send 250 2.1.0 Ok
expect RCPT TO:<a@example\.com>
send 250 2.1.5 Ok
expect DATA
send 354 go ahead
expect-eof 20
EOF
	nul_send "$1" --host 127.0.0.1 --port "$SERVER_PORT" a@example.com
	assert_nul_refused
	scripted_wait
	# no line "." (nor anything after one): the message is not complete
	if grep -n -a -x $'.\r' "$SERVER_CAPTURE" >/dev/null; then
		fail "the server got a final '.' line: the truncated message was submitted"
	fi
	grep -q -a '^f\{200\}'$'\r$' "$SERVER_CAPTURE" ||
		fail "the message text before the NUL was not streamed"
}

# nul_over_bdat file|pipe: the server takes BDAT chunks; it gets some,
# never the LAST one.
nul_over_bdat() {
	nul_message
	scripted_start <<'EOF'
send 220 server.test ESMTP
expect EHLO client\.test
send 250-server.test
send 250-CHUNKING
send 250 8BITMIME
expect MAIL FROM:<sender@example\.org>
send 250 2.1.0 Ok
expect RCPT TO:<a@example\.com>
send 250 2.1.5 Ok
bdat-chunks 250 2.0.0 chunk received
EOF
	nul_send "$1" --host 127.0.0.1 --port "$SERVER_PORT" a@example.com
	assert_nul_refused
	scripted_reap # it fails: the client closes before the LAST chunk
	grep -q -a '^BDAT [0-9]*'$'\r$' "$SERVER_CAPTURE" ||
		fail "no chunk was sent before the NUL"
	if grep -a 'BDAT [0-9]* LAST' "$SERVER_CAPTURE"; then
		fail "the truncated message was sent as a whole"
	fi
}

@test "NUL in the body, DATA, from a file: 65, no final dot, nothing queued" {
	nul_over_data file
}

@test "NUL in the body, DATA, from a pipe: 65, no final dot, nothing queued" {
	nul_over_data pipe
}

@test "NUL in the body, BDAT, from a file: 65, no LAST chunk, nothing queued" {
	nul_over_bdat file
}

@test "NUL in the body, BDAT, from a pipe: 65, no LAST chunk, nothing queued" {
	nul_over_bdat pipe
}

@test "NUL in the body, server down, queue on: 65, nothing queued" {
	nul_message
	for how in file pipe; do
		nul_send "$how" --host 127.0.0.1 --port 1 --tls off a@example.com
		assert_nul_refused
	done
}

@test "NUL in the body, -odq: 65, nothing queued" {
	nul_message
	for how in file pipe; do
		nul_send "$how" -odq a@example.com
		assert_nul_refused
	done
}

@test "NUL in the body, --no-queue, server down: 65" {
	nul_message
	for how in file pipe; do
		nul_send "$how" --no-queue --host 127.0.0.1 --port 1 --tls off \
			a@example.com
		assert_nul_refused
	done
}

@test "header block over 1 MiB -> 65, no connection" {
	serve_nothing
	python3 -c '
import sys
o = sys.stdout
o.write("To: a@example.com\nX-Big: start\n")
for i in range(11000):
    o.write(" " + "f" * 99 + "\n")
o.write("\nbody\n")' >"$BATS_TEST_TMPDIR/msg"
	sm -t -f "$SENDER"
	assert_failure 65
	assert_output --partial "header block larger than"
	assert_no_connection
}

@test "header block just under 1 MiB is sent" {
	python3 -c '
import sys
o = sys.stdout
o.write("Date: Mon, 01 Jan 2024 00:00:00 +0000\nMessage-ID: <big@example.org>\nFrom: s@example.org\nTo: a@example.com\nX-Big: start\n")
for i in range(10300):
    o.write(" " + "f" * 99 + "\n")
o.write("\nbody\n")' >"$BATS_TEST_TMPDIR/msg"
	want_msg
	serve "MAIL FROM:<$SENDER>" a@example.com
	sm -t -f "$SENDER"
	assert_success
	assert_sent
}

###########################################################################
# BODY= and SMTPUTF8

@test "BODY: ASCII message and no -B: no BODY parameter" {
	msg "$STD"'To: a@example.com\n\nplain ascii\n'
	want_msg
	serve "MAIL FROM:<$SENDER>" a@example.com
	sm -t -f "$SENDER"
	assert_success
	assert_sent
}

@test "BODY: -B 8BITMIME -> BODY=8BITMIME" {
	msg "$STD"'To: a@example.com\n\nnon-ASCII body: grüße\n'
	want_msg
	serve "MAIL FROM:<$SENDER> BODY=8BITMIME" a@example.com
	sm -t -f "$SENDER" -B 8BITMIME
	assert_success
	assert_sent
}

@test "BODY: -B7BIT -> BODY=7BIT" {
	msg "$STD"'To: a@example.com\n\nplain\n'
	want_msg
	serve "MAIL FROM:<$SENDER> BODY=7BIT" a@example.com
	sm -t -f "$SENDER" -B7BIT
	assert_success
	assert_sent
}

@test "BODY: 8-bit header octets -> BODY=8BITMIME without -B" {
	msg "$STD"'To: a@example.com\nSubject: Grüße\n\nbody\n'
	want_msg
	serve "MAIL FROM:<$SENDER> BODY=8BITMIME" a@example.com
	sm -t -f "$SENDER"
	assert_success
	assert_sent
}

@test "BODY: Content-Transfer-Encoding 8bit or binary -> BODY=8BITMIME" {
	local cte
	for cte in 8bit BINARY; do
		msg "$STD"'To: a@example.com\nMIME-Version: 1.0\nContent-Transfer-Encoding: %s\n\nbody\n' "$cte"
		want_msg
		serve "MAIL FROM:<$SENDER> BODY=8BITMIME" a@example.com
		sm -t -f "$SENDER"
		assert_success
		assert_sent
		scripted_teardown
	done
}

@test "BODY: -B 8BITMIME to a server without 8BITMIME: no BODY parameter" {
	msg "$STD"'To: a@example.com\n\nbody\n'
	want_msg
	serve --caps "" "MAIL FROM:<$SENDER>" a@example.com
	sm -t -f "$SENDER" -B 8BITMIME
	assert_success
	assert_sent
}

@test "SMTPUTF8: non-ASCII recipient, server offers it -> SMTPUTF8 on MAIL FROM" {
	msg "$STD"'To: a@example.com\n\nbody\n'
	want_msg
	serve --caps "8BITMIME SMTPUTF8" "MAIL FROM:<$SENDER> SMTPUTF8" 'jürgen@exämple.de'
	sm -f "$SENDER" 'jürgen@exämple.de'
	assert_success
	assert_sent
}

@test "SMTPUTF8: non-ASCII sender, server offers it" {
	msg "$STD"'To: a@example.com\n\nbody\n'
	want_msg
	serve --caps "8BITMIME SMTPUTF8" "MAIL FROM:<pép@example.org> SMTPUTF8" a@example.com
	sm -f 'pép@example.org' a@example.com
	assert_success
	assert_sent
}

@test "SMTPUTF8: non-ASCII local part, server without it -> 65 naming it, nothing after EHLO" {
	msg "$STD"'To: a@example.com\n\nbody\n'
	serve_until_ehlo --caps "8BITMIME PIPELINING"
	sm -f "$SENDER" a@example.com 'jürgen@bücher.example'
	assert_failure 65
	assert_output 'mailout: <jürgen@bücher.example>: the local part is not ASCII and the server does not offer SMTPUTF8 (RFC 6531)'
	assert_capture_printf --allow-quit 'EHLO client.test\r\n'
}

@test "SMTPUTF8: non-ASCII address from -t To, server without it -> 65" {
	msg "$STD"'To: Jürgen <jürgen@example.de>\n\nbody\n'
	serve_until_ehlo
	sm -t -f "$SENDER"
	assert_failure 65
	assert_output 'mailout: <jürgen@example.de>: the local part is not ASCII and the server does not offer SMTPUTF8 (RFC 6531)'
	assert_capture_printf --allow-quit 'EHLO client.test\r\n'
}

@test "IDN: a U-label domain goes as its A-label to a server without SMTPUTF8" {
	# IDNA 2008 (libidn2): bücher -> xn--bcher-kva, MÜNCHEN -> münchen
	msg "$STD"'To: user@bücher.example\n\nbody\n'
	want_msg
	serve --caps "8BITMIME PIPELINING" "MAIL FROM:<me@xn--mnchen-3ya.example> BODY=8BITMIME" \
		user@xn--bcher-kva.example a@example.com
	sm -f 'me@MÜNCHEN.example' 'user@bücher.example' a@example.com
	assert_success
	assert_output ""
	assert_sent
}

@test "IDN: with SMTPUTF8 offered the address goes as written, with SMTPUTF8" {
	# What Postfix and Exim do: no conversion when the server takes UTF-8.
	msg "$STD"'To: a@example.com\n\nbody\n'
	want_msg
	serve --caps "8BITMIME SMTPUTF8" "MAIL FROM:<$SENDER> SMTPUTF8" 'user@bücher.example'
	sm -f "$SENDER" 'user@bücher.example'
	assert_success
	assert_sent
}

@test "IDN: a domain IDNA 2008 refuses is 65 before connecting, whatever the server" {
	msg "$STD"'To: a@example.com\n\nbody\n'
	serve_nothing
	sm -f "$SENDER" 'user@snow☃man.example'
	assert_failure 65
	assert_output 'mailout: <user@snow☃man.example>: snow☃man.example is not a valid internationalised domain name (IDNA 2008): string contains a disallowed character'
	sm -odq --queue-dir "$BATS_TEST_TMPDIR/queue" -f "$SENDER" 'user@ü-.example'
	assert_failure 65
	assert_output 'mailout: <user@ü-.example>: ü-.example is not a valid internationalised domain name (IDNA 2008): string start/ends with forbidden hyphen'
	assert [ -z "$(find "$BATS_TEST_TMPDIR/queue" -name '*.env' 2>/dev/null)" ]
}

###########################################################################
# Flags: ignored, refused; invoked as sendmail

@test "ignored sendmail flags: delivery works with all of them" {
	msg "$STD"'To: a@example.com\n\nbody\n.\nafter a dot line\n'
	want_msg
	sed -i 's/^\.\r$/..\r/' "$BATS_TEST_TMPDIR/want" # -oi: not an end
	serve "MAIL FROM:<$SENDER>" a@example.com b@example.com
	sm -oem -oee -oep -oeq -oew -om -oXfoo -O DeliveryMode=b -Am -Ac -G -U \
		-L tag -h 17 -n -X "$BATS_TEST_TMPDIR/traffic.log" -odi -odb -bm -oi \
		-f "$SENDER" -- a@example.com b@example.com
	assert_success
	assert_output ""
	assert_sent
	[ ! -e "$BATS_TEST_TMPDIR/traffic.log" ] || fail "-X created its file"
}

@test "ignored flags as separate words (-O opt, -L tag, -h N, -X file, -A m)" {
	msg "$STD"'To: a@example.com\n\nbody\n'
	want_msg
	serve "MAIL FROM:<$SENDER>" a@example.com
	sm -O ErrorMode=m -L mylabel -h 5 -X /dev/null -A c -oi -odb \
		-f "$SENDER" -t
	assert_success
	assert_sent
}

@test "unsupported modes -bs -bd -bD -bh -bH -bt -bP -ba -> 64 with a message, no connection" {
	serve_nothing
	msg "$STD"'To: a@example.com\n\nbody\n'
	local b
	for b in s d D h H t P a; do
		sm -b"$b" -f "$SENDER" a@example.com
		assert_failure 64
		assert_output --partial "-b$b"
		assert_output --partial "not supported"
	done
	sm -bs
	assert_failure 64
	assert_no_connection
}

@test "-bi, and newaliases (a symlink of that name), do nothing and exit 0" {
	serve_nothing
	msg "$STD"'To: a@example.com\n\nbody\n'
	sm -bi a@example.com
	assert_success
	assert_output ""
	ln -s "$MAILOUT" "$BATS_TEST_TMPDIR/newaliases"
	run "$BATS_TEST_TMPDIR/newaliases" </dev/null
	assert_success
	assert_output ""
	assert_no_connection
}

@test "bad values: -odx, -B 9BIT, -f with two addresses -> 64/65, no connection" {
	serve_nothing
	msg "$STD"'To: a@example.com\n\nbody\n'
	sm -odx -f "$SENDER" a@example.com
	assert_failure 64
	sm -B 9BIT -f "$SENDER" a@example.com
	assert_failure 64
	assert_output --partial -B
	sm -f 'a@example.org, b@example.org' a@example.com
	assert_failure 65
	assert_no_connection
}

@test "invoked through a symlink named sendmail: the same bytes on the wire" {
	ln -s "$MAILOUT" "$BATS_TEST_TMPDIR/sendmail"
	msg "$STD"'To: a@example.com\nBcc: b@example.com\nSubject: symlink\n\nbody\n'
	want "$STD"'To: a@example.com\nSubject: symlink\n\nbody\n'
	serve "MAIL FROM:<$SENDER>" c@example.com a@example.com b@example.com
	run timeout 60 "$BATS_TEST_TMPDIR/sendmail" --host 127.0.0.1 \
		--port "$SERVER_PORT" --helo client.test -oi -t -f "$SENDER" \
		c@example.com <"$BATS_TEST_TMPDIR/msg"
	assert_success
	assert_output ""
	assert_sent
	cp "$SERVER_CAPTURE" "$BATS_TEST_TMPDIR/as-sendmail"
	scripted_teardown

	serve "MAIL FROM:<$SENDER>" c@example.com a@example.com b@example.com
	sm -oi -t -f "$SENDER" c@example.com
	assert_success
	assert_sent
	cmp "$SERVER_CAPTURE" "$BATS_TEST_TMPDIR/as-sendmail"
}

@test "invoked as sendmail, refused modes and errors are the same" {
	ln -s "$MAILOUT" "$BATS_TEST_TMPDIR/sendmail"
	run "$BATS_TEST_TMPDIR/sendmail" -bd
	local s1=$status o1=$output
	run "$MAILOUT" -bd
	assert_equal "$s1" "$status"
	assert_equal "$o1" "$output"
	assert_equal "$s1" 64
}

@test "invoked as mailq: the same as -bp" {
	ln -s "$MAILOUT" "$BATS_TEST_TMPDIR/mailq"
	run timeout 20 "$BATS_TEST_TMPDIR/mailq" </dev/null
	local s1=$status o1=$output
	run timeout 20 "$MAILOUT" -bp </dev/null
	assert_equal "$s1" "$status"
	# a message may name the option; the listing itself must be the same
	assert_equal "${o1// (mailq)/}" "${output// (mailq)/}"
}
