#!/usr/bin/env bats
# The mailout service's policy keys (issue 16): which users and groups
# may use a profile, allow_from_override and allowed_from, rate_limit;
# and its TCP listener (SMTP), loopback only unless listen_allow.

bats_require_minimum_version 1.5.0
load helpers

# policy_config LINES...: the service's configuration, LINES in its
# [defaults]; the relay is Exim, plain SMTP.
policy_config() {
	service_config "[defaults]" "domain = example.org" "default_profile = open" \
		"$@" \
		"[open]" "host = 127.0.0.1" "port = $EXIM_PORT" "tls = off" \
		"[staff]" "inherit = open" "users = @$SVC_STAFF" \
		"[caller-only]" "inherit = open" "users = $SVC_CALLER" \
		"[free]" "inherit = open" "allow_from_override = on"
}

setup_file() {
	# the tests share the suite's service, queue and Exim
	BATS_NO_PARALLELIZE_WITHIN_FILE=true
	exim_start
	service_setup_file
	TCP_PORT=$(free_port)
	export TCP_PORT
	policy_config "allow_from_override = off" "allowed_from = *@lists.example.org" \
		"listen = 127.0.0.1:$TCP_PORT"
	service_start
}

teardown_file() {
	service_teardown_file
	exim_stop
}

setup() {
	maildir_clear "$EXIM_MAILDIR"
	rm -f "$SVC_QUEUE"/*
	printf '%s\n' "Subject: policy $BATS_TEST_NUMBER" "" "body" >"$BATS_TEST_TMPDIR/message"
	chmod 644 "$BATS_TEST_TMPDIR/message"
	_servers_make_reachable "$BATS_TEST_TMPDIR"
}

@test "users: a profile for a group and one for a user; others are refused at MAIL (69)" {
	sendmail_as "$SVC_CALLER" -a staff -i a@example.org
	assert_success
	sendmail_as "$SVC_CALLER" -a caller-only -i b@example.org
	assert_success
	maildir_wait 2 "$EXIM_MAILDIR"
	sendmail_as "$SVC_OTHER" -a staff -i c@example.org
	assert_failure 69
	assert_equal "$stderr" "mailout: MAIL FROM: 550 5.7.1 You may not use profile \"staff\""
	sendmail_as "$SVC_OTHER" -a caller-only -i c@example.org
	assert_failure 69
	# root, the administrator, may
	run env -u MAILOUT_CONFIG MAILOUT_SERVICE="$SVC_SOCKET" "$MAILOUT" -a caller-only \
		-i d@example.org <"$BATS_TEST_TMPDIR/message"
	assert_success
	maildir_wait 3 "$EXIM_MAILDIR"
}

@test "allow_from_override = off: only USER@domain, allowed_from and <>; a profile may turn it on" {
	sendmail_as "$SVC_CALLER" -f "$SVC_CALLER@example.org" -i a@example.org
	assert_success
	sendmail_as "$SVC_CALLER" -f news@lists.example.org -i a@example.org
	assert_success
	sendmail_as "$SVC_CALLER" -f '<>' -i a@example.org
	assert_success
	sendmail_as "$SVC_CALLER" -f boss@example.org -i a@example.org
	assert_failure 69
	assert_equal "$stderr" "mailout: MAIL FROM: 550 5.7.1 You may not send as <boss@example.org>: allow_from_override is off"
	sendmail_as "$SVC_OTHER" -f "$SVC_CALLER@example.org" -i a@example.org
	assert_failure 69
	sendmail_as "$SVC_CALLER" -a free -f boss@example.org -i a@example.org
	assert_success
	maildir_wait 4 "$EXIM_MAILDIR"
}

@test "rate_limit: beyond it a user gets 451 at MAIL (75); another user does not" {
	service_stop
	policy_config "rate_limit = 3"
	service_start
	# the count is a minute's: not across the turn of one
	[ "$(date +%S)" -lt 45 ] || sleep $((61 - 10#$(date +%S)))
	for i in 1 2 3; do
		sendmail_as "$SVC_CALLER" -i "r$i@example.org"
		assert_success
	done
	sendmail_as "$SVC_CALLER" -i r4@example.org
	assert_failure 75
	assert_equal "$stderr" "mailout: MAIL FROM: 451 4.7.1 Rate limit: at most 3 messages a minute; try again later"
	sendmail_as "$SVC_OTHER" -i r5@example.org
	assert_success
	maildir_wait 4 "$EXIM_MAILDIR"
	service_stop
	policy_config "allow_from_override = off" "allowed_from = *@lists.example.org" \
		"listen = 127.0.0.1:$TCP_PORT"
	service_start
}

@test "listen: SMTP on TCP with PIPELINING, 8BITMIME, SIZE, SMTPUTF8, DSN; no LMTP, no XMAILOUT" {
	run python3 "$SVC_CLIENT_PY" --tcp "127.0.0.1:$TCP_PORT" --full < <(printf '%s\n' \
		"LHLO x" "EHLO client.example" "MAIL FROM:<news@lists.example.org> XPROFILE=open" \
		"MAIL FROM:<news@lists.example.org> SIZE=100" "RCPT TO:<a@example.org>" \
		"RCPT TO:<nouser@example.org>" "DATA" "Subject: over TCP" "" "body" "." \
		"XFLUSH" "QUIT")
	assert_line --index 0 "220 mailout service ESMTP ready"
	assert_line --index 1 "500 5.5.1 This is SMTP: say EHLO"
	for ext in PIPELINING 8BITMIME SMTPUTF8 DSN "SIZE 67108864"; do
		assert_line --regexp "^250[- ]$ext\$"
	done
	refute_line --partial XMAILOUT
	assert_line "555 5.5.4 Unsupported parameter XPROFILE"
	assert_line --regexp '^250 2\.0\.0 Queued as [0-9.a-f]+$'
	assert_line "500 5.5.1 Command unrecognized"
	assert_line "221 2.0.0 Bye"
	# a@ delivered; nouser@ refused by Exim: a failure notice to the sender
	maildir_wait 2 "$EXIM_MAILDIR"
	found=$(maildir_find_for a@example.org "$EXIM_MAILDIR")
	found=$(maildir_find_for news@lists.example.org "$EXIM_MAILDIR")
	grep -q "nouser@example.org" "$found"
	grep -q "^Received: from \[127.0.0.1\] by .* (mailout service) with ESMTP" \
		"$(maildir_find_for a@example.org "$EXIM_MAILDIR")"
}

@test "listen: an address that is not loopback needs listen_allow; a client outside it gets 554" {
	local addr port
	addr=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -m1 -E '^[0-9]+\.')
	[ -n "$addr" ] || skip "this machine has no IPv4 address but loopback"
	port=$(free_port)
	service_stop
	policy_config "listen = 0.0.0.0:$port"
	run setpriv --reuid="$SVC_USER" --regid="$SVC_USER" --init-groups -- env -i \
		"$SVC_BIN" serve -C "$SVC_CONF" --queue-dir "$SVC_QUEUE" --socket "$SVC_SOCKET"
	assert_failure 78
	assert_output "mailout: listen = 0.0.0.0:$port is not a loopback address: set listen_allow to the networks that may use it"
	policy_config "listen = 0.0.0.0:$port" "listen_allow = 10.0.0.0/8, fd00::/8"
	service_start
	run python3 "$SVC_CLIENT_PY" --tcp "$addr:$port" --source "$addr" < <(printf '%s\n' "EHLO x")
	assert_output "554 5.7.1 You may not use this service"
	run python3 "$SVC_CLIENT_PY" --tcp "127.0.0.1:$port" < <(printf '%s\n' "QUIT")
	assert_line --index 0 "220 mailout service ESMTP ready"
	service_stop
	policy_config "listen = 0.0.0.0:$port" "listen_allow = $addr/32"
	service_start
	run python3 "$SVC_CLIENT_PY" --tcp "$addr:$port" --source "$addr" < <(printf '%s\n' "QUIT")
	assert_line --index 0 "220 mailout service ESMTP ready"
	service_stop
	policy_config "allow_from_override = off" "allowed_from = *@lists.example.org" \
		"listen = 127.0.0.1:$TCP_PORT"
	service_start
}

@test "the service's keys are checked: where they belong, and their values" {
	local conf=$BATS_TEST_TMPDIR/check.conf
	check() {
		printf '%s\n' "$@" >"$conf"
		run --separate-stderr "$MAILOUT" --config "$conf" --dry-run a@example.org </dev/null
	}
	check "[p]" "rate_limit = 5"
	assert_failure 78
	assert_equal "$stderr" "mailout: $conf:2: rate_limit belongs in [defaults]: it is the mailout service's"
	check "[p]" "users = al ice"
	assert_equal "$stderr" "mailout: $conf:2: users: expected users and @groups such as alice, @staff, got \"al ice\""
	check "[defaults]" "users = alice"
	assert_equal "$stderr" "mailout: $conf:2: users belongs in a profile, not [defaults]"
	check "[defaults]" "listen = 127.0.0.1"
	assert_equal "$stderr" "mailout: $conf:2: listen: expected numeric addresses and ports such as 127.0.0.1:2525 or [::1]:2525, got \"127.0.0.1\""
	check "[defaults]" "listen_allow = 10.0.0.0/33"
	assert_equal "$stderr" "mailout: $conf:2: listen_allow: expected networks such as 10.0.0.0/8, 192.0.2.7 or fd00::/8, got \"10.0.0.0/33\""
	check "[defaults]" "rate_limit = -1"
	assert_failure 78
	check "[defaults]" "allowed_from = ," "[p]" "allowed_from = *@x.example"
	assert_equal "$stderr" "mailout: $conf:2: allowed_from: expected comma-separated patterns such as *@example.org, got \",\""
	check "[defaults]" "rate_limit = 30" "listen = [::1]:2525, 127.0.0.1:2525" \
		"listen_allow = 10.0.0.0/8, fd00::/8" "service_workers = 4" \
		"allow_from_override = off" "allowed_from = *@x.example" "[p]" "users = a, @b"
	assert_success
	assert_line "rate_limit = 30"
	assert_line "listen = [::1]:2525, 127.0.0.1:2525"
}
