#!/usr/bin/env bats
# Hostile servers (the hardening issue): at every stage of a submission the
# scripted server (tests/server/scripted.py) disconnects, answers 421, a
# 4xx or a 5xx, stays silent past --timeout, or trickles its reply one byte
# a second.  For each case mailout must
#   - exit as SPEC §6 says,
#   - end within a bound (--timeout for each reply it waited for, + 5 s),
#   - send nothing after a 421 (RFC 5321 3.8: the server is closing; no
#     RSET, no QUIT), and after any other failure nothing but QUIT,
#   - and either deliver (exit 0: the server read the whole message and
#     answered 250) or say on stderr that it did not (non-zero exit).
# The dialogue and its stages: tests/lib/dialogue.bash.
#
# --timeout bounds each whole reply, not each read: a reply trickled one
# byte a second fails after --timeout however steadily the bytes come (the
# "trickle" rows; their line would take 45 s), and one that completes
# within --timeout is taken normally (the "trickle-ok" rows, and a bare
# "250" at one byte a second, 4 s, under --timeout 8).
#
# The rows that only wait for --timeout (silence, trickle) are tagged slow:
# make check-quick leaves them out.
#
# Not every (stage, fault) pair means something; the table leaves out:
#   - 4xx/5xx at QUIT: mailout does not wait for the reply to QUIT (the
#     message is already accepted); the 421 and silence rows show that.
#   - 5xx to STARTTLS: the same path as 454 here; tests/tls.bats has both.
#   - 421/4xx/5xx/trickle as the TLS handshake: SMTP text where a handshake
#     belongs is response injection or a failed handshake, tests/tls.bats.
#   - 4xx/5xx/trickle during the body: a server answers the dot, so an
#     early reply is read as the "dot" row's; the 421 row shows it.
#   - trickle at the other stages: every reply goes through the same reader
#     (reply.c, net.c), so the trickle rows are a representative subset
#     (plain and TLS, single and multi-line, before and after the data),
#     which keeps the suite's time down.

load helpers

# Temporary failures are reported (exit 75), not queued.  The queue-on
# variant changes these two lines: QUEUE_ARGS=() and TEMPFAIL=0.
QUEUE_ARGS=(--no-queue)
TEMPFAIL=75

TIMEOUT=2

setup_file() {
	export DIALOGUE_CERTS=$BATS_FILE_TMPDIR/certs
	"$TESTS_DIR/servers/certs.sh" "$DIALOGUE_CERTS"
}

teardown() {
	scripted_teardown
}

# fault_lines STAGE FAULT: the server's script lines in place of STAGE's
# reply.  Sets EXTRA_SENT: what the client sends after STAGE's command in
# answer to them (printf format), when it goes on.
fault_lines() {
	local stage=$1 fault=$2
	EXTRA_SENT=
	case $fault:$stage in
	disconnect:body) printf '%s\n' readline reset ;;
	disconnect:*) echo close ;;
	421:body)
		printf '%s\n' readline 'send 421 4.3.2 Service shutting down' \
			data expect-eof
		;;
	421:*) printf '%s\n' 'send 421 4.3.2 Service shutting down' expect-eof ;;
	4xx:starttls | 4xx:auth)
		printf '%s\n' 'send 454 4.7.0 Temporary failure' expect-eof
		;;
	4xx:rcpt*) echo 'send 451 4.2.1 Try later' ;;
	4xx:*) printf '%s\n' 'send 451 4.3.0 Temporary failure' expect-eof ;;
	5xx:ehlo)
		printf '%s\n' 'send 500 5.5.1 EHLO not understood' \
			'expect HELO client\.test' 'send 550 5.7.1 Go away' expect-eof
		EXTRA_SENT='HELO client.test\r\n'
		;;
	5xx:auth)
		printf '%s\n' 'send 535 5.7.8 Authentication credentials invalid' \
			expect-eof
		;;
	5xx:rcpt*) echo 'send 550 5.1.1 No such user' ;;
	5xx:*) printf '%s\n' 'send 554 5.7.1 Refused' expect-eof ;;
	silence:body) echo "stall $((TIMEOUT + 2))" ;;
	silence:*) echo 'expect-eof 10' ;;
	trickle:*)
		dialogue_reply "$stage" | sed -n '1s/^send \(.*\)$/trickle 1 \1 trickled one byte a second/p'
		echo expect-eof
		;;
	trickle-ok:*) dialogue_reply "$stage" | sed 's/^send /trickle 0.02 /' ;;
	trickle-bare:*) echo 'trickle 1 250' ;;
	*) fail "no such fault: $fault at $stage" ;;
	esac
}

# shape STAGE: the dialogue that has STAGE (TLS, AUTH or CHUNKING on).
# shellcheck disable=SC2034 # read by tests/lib/dialogue.bash
shape() {
	DIALOGUE_TLS='' DIALOGUE_AUTH='' DIALOGUE_CHUNKING=''
	case $1 in
	starttls | tls | ehlo-tls) DIALOGUE_TLS=1 ;;
	auth) DIALOGUE_AUTH=1 ;;
	bdat) DIALOGUE_CHUNKING=1 ;;
	esac
}

# stage_before STAGE: the stage whose command came last before STAGE's.
stage_before() {
	local prev='' s
	for s in $(dialogue_stages); do
		if [ "$s" = "$1" ]; then break; fi
		prev=$s
	done
	echo "$prev"
}

# The capture: nothing after a 421; after other failures nothing but QUIT;
# a delivery has the whole dialogue.
assert_sent() {
	local stage=$1 fault=$2 want=$3
	case $fault:$stage:$want in
	421:body:*)
		assert_capture_prefix_printf "$(dialogue_sent data)" || return
		[ "$(tail -c 3 "$SERVER_CAPTURE")" = $'.\r' ] ||
			fail "the client sent more than the message after the 421"
		;;
	421:*) assert_capture_printf "$(dialogue_sent "$stage")" ;;
	*:body:* | *:tls:*)
		assert_capture_prefix_printf "$(dialogue_sent "$(stage_before "$stage")")"
		;;
	*:quit:*) assert_capture_printf --allow-quit "$(dialogue_sent "$(stage_before quit)")" ;;
	*:0 | [45]xx:rcpt*) assert_capture_printf "$(dialogue_sent quit)" ;;
	*) assert_capture_printf --allow-quit "$(dialogue_sent "$stage")$EXTRA_SENT" ;;
	esac
}

# hostile STAGE FAULT EXIT: the table's row; EXIT "tempfail" is $TEMPFAIL.
hostile() {
	local stage=$1 fault=$2 want=$3 lines n=0 s bound
	if [ "$want" = tempfail ]; then want=$TEMPFAIL; fi
	shape "$stage"
	fault_lines "$stage" "$fault" >"$BATS_TEST_TMPDIR/fault" || return
	mapfile -t lines <"$BATS_TEST_TMPDIR/fault"
	scripted_start < <(dialogue_script "$stage" "${lines[@]}")
	dialogue_message "$BATS_TEST_TMPDIR/msg"
	if [ "$stage" = body ]; then
		# big enough that the client is still writing when the fault hits
		yes 'All work and no play makes Jack a dull boy.' |
			head -c 20000000 >>"$BATS_TEST_TMPDIR/msg"
	fi
	dialogue_run --timeout "$TIMEOUT" "${QUEUE_ARGS[@]}"
	assert_equal "$status" "$want" || return
	if [ "$want" = 0 ]; then
		assert_output ""
	else
		assert_line --regexp '^mailout: '
	fi
	case $fault:$stage in
	4xx:rcpt1 | 5xx:rcpt1) assert_line --regexp "^mailout: <a@example.com>: (deferred|refused) at RCPT: " ;;
	4xx:rcpt2 | 5xx:rcpt2) assert_line --regexp "^mailout: <b@example.com>: (deferred|refused) at RCPT: " ;;
	esac
	for s in $(dialogue_stages); do
		n=$((n + 1))
		if [ "$s" = "$stage" ]; then break; fi
	done
	bound=$((TIMEOUT * n + 5))
	# the message is accepted: mailout does not wait for the reply to QUIT
	if [ "$stage" = quit ]; then bound=$TIMEOUT; fi
	if [ "$ELAPSED_MS" -ge $((bound * 1000)) ]; then
		fail "mailout took $ELAPSED_MS ms, more than the bound of $bound s"
		return
	fi
	assert_sent "$stage" "$fault" "$want"
}

@test "greeting: disconnect -> 75" { hostile greeting disconnect tempfail; }
@test "greeting: 421 -> 75" { hostile greeting 421 tempfail; }
@test "greeting: 4xx -> 75" { hostile greeting 4xx tempfail; }
@test "greeting: 5xx -> 69" { hostile greeting 5xx 69; }
# bats test_tags=slow
@test "greeting: silence -> 75" { hostile greeting silence tempfail; }
# bats test_tags=slow
@test "greeting: trickle -> 75" { hostile greeting trickle tempfail; }
@test "greeting: trickle-ok -> 0" { hostile greeting trickle-ok 0; }

@test "ehlo: disconnect -> 75" { hostile ehlo disconnect tempfail; }
@test "ehlo: 421 -> 75" { hostile ehlo 421 tempfail; }
@test "ehlo: 4xx -> 75" { hostile ehlo 4xx tempfail; }
@test "ehlo: 5xx, HELO 5xx too -> 69" { hostile ehlo 5xx 69; }
# bats test_tags=slow
@test "ehlo: silence -> 75" { hostile ehlo silence tempfail; }
# bats test_tags=slow
@test "ehlo: trickle -> 75" { hostile ehlo trickle tempfail; }
@test "ehlo: trickle-ok -> 0" { hostile ehlo trickle-ok 0; }

@test "starttls: disconnect -> 75" { hostile starttls disconnect tempfail; }
@test "starttls: 421 -> 75" { hostile starttls 421 tempfail; }
@test "starttls: 4xx -> 69 (TLS required)" { hostile starttls 4xx 69; }
# bats test_tags=slow
@test "starttls: silence -> 75" { hostile starttls silence tempfail; }

@test "tls handshake: disconnect -> 69 (TLS failed)" { hostile tls disconnect 69; }
# bats test_tags=slow
@test "tls handshake: silence -> 75" { hostile tls silence tempfail; }

@test "ehlo after TLS: disconnect -> 75" { hostile ehlo-tls disconnect tempfail; }
@test "ehlo after TLS: 421 -> 75" { hostile ehlo-tls 421 tempfail; }
@test "ehlo after TLS: 4xx -> 75" { hostile ehlo-tls 4xx tempfail; }
# bats test_tags=slow
@test "ehlo after TLS: silence -> 75" { hostile ehlo-tls silence tempfail; }
@test "ehlo after TLS: trickle-ok -> 0" { hostile ehlo-tls trickle-ok 0; }

@test "auth: disconnect -> 75" { hostile auth disconnect tempfail; }
@test "auth: 421 -> 75" { hostile auth 421 tempfail; }
@test "auth: 4xx -> 75" { hostile auth 4xx tempfail; }
@test "auth: 5xx -> 77" { hostile auth 5xx 77; }
# bats test_tags=slow
@test "auth: silence -> 75" { hostile auth silence tempfail; }
@test "auth: trickle-ok -> 0" { hostile auth trickle-ok 0; }

@test "mail: disconnect -> 75" { hostile mail disconnect tempfail; }
@test "mail: 421 -> 75" { hostile mail 421 tempfail; }
@test "mail: 4xx -> 75" { hostile mail 4xx tempfail; }
@test "mail: 5xx -> 69" { hostile mail 5xx 69; }
# bats test_tags=slow
@test "mail: silence -> 75" { hostile mail silence tempfail; }
# bats test_tags=slow
@test "mail: trickle -> 75" { hostile mail trickle tempfail; }
# bats test_tags=slow
@test "mail: a bare 250 at 1 byte/s, done within --timeout 8 -> 0" { TIMEOUT=8 hostile mail trickle-bare 0; }

@test "first rcpt: disconnect -> 75" { hostile rcpt1 disconnect tempfail; }
@test "first rcpt: 421 -> 75" { hostile rcpt1 421 tempfail; }
@test "first rcpt: 4xx -> 75, the other delivered" { hostile rcpt1 4xx tempfail; }
@test "first rcpt: 5xx -> 67, the other delivered" { hostile rcpt1 5xx 67; }
# bats test_tags=slow
@test "first rcpt: silence -> 75" { hostile rcpt1 silence tempfail; }

@test "second rcpt: disconnect -> 75" { hostile rcpt2 disconnect tempfail; }
@test "second rcpt: 421 -> 75" { hostile rcpt2 421 tempfail; }
@test "second rcpt: 4xx -> 75, the other delivered" { hostile rcpt2 4xx tempfail; }
@test "second rcpt: 5xx -> 67, the other delivered" { hostile rcpt2 5xx 67; }
# bats test_tags=slow
@test "second rcpt: silence -> 75" { hostile rcpt2 silence tempfail; }
# bats test_tags=slow
@test "second rcpt: trickle -> 75" { hostile rcpt2 trickle tempfail; }

@test "data: disconnect -> 75" { hostile data disconnect tempfail; }
@test "data: 421 -> 75" { hostile data 421 tempfail; }
@test "data: 4xx -> 75" { hostile data 4xx tempfail; }
@test "data: 5xx -> 69" { hostile data 5xx 69; }
# bats test_tags=slow
@test "data: silence -> 75" { hostile data silence tempfail; }

@test "body: disconnect (RST) while the client sends -> 75" { hostile body disconnect tempfail; }
@test "body: 421 while the client sends -> 75" { hostile body 421 tempfail; }
# bats test_tags=slow
@test "body: server stops reading -> 75" { hostile body silence tempfail; }

@test "dot: disconnect -> 75" { hostile dot disconnect tempfail; }
@test "dot: 421 -> 75" { hostile dot 421 tempfail; }
@test "dot: 4xx -> 75" { hostile dot 4xx tempfail; }
@test "dot: 5xx -> 69" { hostile dot 5xx 69; }
# bats test_tags=slow
@test "dot: silence -> 75" { hostile dot silence tempfail; }
# bats test_tags=slow
@test "dot: trickle -> 75" { hostile dot trickle tempfail; }
@test "dot: trickle-ok -> 0" { hostile dot trickle-ok 0; }

@test "bdat last: disconnect -> 75" { hostile bdat disconnect tempfail; }
@test "bdat last: 421 -> 75" { hostile bdat 421 tempfail; }
@test "bdat last: 4xx -> 75" { hostile bdat 4xx tempfail; }
@test "bdat last: 5xx -> 69" { hostile bdat 5xx 69; }
# bats test_tags=slow
@test "bdat last: silence -> 75" { hostile bdat silence tempfail; }

@test "quit: disconnect -> 0 (already accepted)" { hostile quit disconnect 0; }
@test "quit: 421 -> 0 (already accepted)" { hostile quit 421 0; }
@test "quit: silence -> 0, without waiting" { hostile quit silence 0; }
