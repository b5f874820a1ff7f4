#!/usr/bin/env bats
# The fast path (issue 7) against the scripted server
# (tests/server/scripted.py): the exact pipelined byte groups (PIPELINING,
# RFC 2920), BDAT framing (CHUNKING, RFC 3030), SIZE= (RFC 1870), the DSN
# parameters (RFC 3461), recipient lists split into transactions of at most
# 100 and after a 452 -- and, against a real Exim, a 20 MB message through
# BDAT and through DATA, byte for byte.
#
# "expect-group N" (scripted.py) asserts that the next N commands reached the
# server in one recv() of their own: the client wrote them in one write.

bats_require_minimum_version 1.5.0
load helpers

# Exim is started by the first test that needs it (the scripted tests do not
# depend on it) and stopped once at the end.
teardown_file() {
	exim_stop "$BATS_FILE_TMPDIR/exim"
}

teardown() {
	scripted_teardown
}

FROM=sender@example.org

# Complete headers: nothing is added, the wire text (wire) is the input with
# CRLF. The message mailout reads: msg "$HDR"'...'.
HDR='From: Sender <sender@example.org>\nTo: <rcpt@example.com>\nSubject: fast path\nDate: Mon, 01 Jan 2024 00:00:00 +0000\nMessage-ID: <fastpath.1@example.org>\n\n'
DIALOGUE_HDR=$HDR
DIALOGUE_RCPTS=(a@example.com)

setup() {
	dialogue_message "$BATS_TEST_TMPDIR/msg"
}

# wire_size: the octet count of the message on the wire.
wire_size() {
	wire | wc -c
}

# defaults LINE...: a configuration file ($CONF) with these lines in
# [defaults].
defaults() {
	conf < <(printf '[defaults]\n%s\n' "$@")
}

# fp ARGS...: mailout against the scripted server, the message on stdin
# from a regular file; sets status and output (stderr included).
fp() {
	scripted_mailout --helo client.test -f "$FROM" "$@"
}

# fp_pipe ARGS...: the same with the message coming through a pipe.
fp_pipe() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	run timeout 60 bash -c 'cat "$1" | "$2" --host 127.0.0.1 --port "$3" \
		--helo client.test -f "$4" "${@:5}"' fp_pipe \
		"$BATS_TEST_TMPDIR/msg" "$MAILOUT" "$SERVER_PORT" "$FROM" "$@"
}

# expect_capture FILE-WITH-PRINTF-PIECES...: the capture is exactly the
# concatenation of the files/strings given with -f FILE or -s STRING
# (printf %b, so \r\n work in strings).
expect_capture() {
	local want=$BATS_TEST_TMPDIR/want-capture
	: >"$want"
	while [ $# -gt 0 ]; do
		case $1 in
		-f) cat "$2" >>"$want" ;;
		-s) printf '%b' "$2" >>"$want" ;;
		esac
		shift 2
	done
	assert_capture "$want"
}

# bdat_sizes: the "octets" of every BDAT chunk the server read, in order,
# from its log, each followed by " LAST" for the last one.
bdat_sizes() {
	sed -n 's/^-- \[[0-9.]*\] bdat: \([0-9]*\) octets\( (LAST)\)\{0,1\}$/\1\2/p' \
		"$SERVER_LOG" | sed 's/ (LAST)/ LAST/'
}

# re_addr ADDR: ADDR as a regex (dots escaped).
re_addr() {
	printf '%s' "${1//./\\.}"
}

###########################################################################
# PIPELINING

@test "pipelining: MAIL, every RCPT and DATA in one write; replies matched in order, the middle one refused" {
	scripted_start < <(dialogue_greet PIPELINING; cat <<'EOF'
expect-group 5
expect MAIL FROM:<sender@example\.org>
expect RCPT TO:<a@example\.com>
expect RCPT TO:<b@example\.com>
expect RCPT TO:<c@example\.com>
expect DATA
sendraw 250 2.1.0 sender ok\r\n250 2.1.5 a ok\r\n550-5.1.1 <b@example.com>:\r\n550 5.1.1 no such user\r\n250 2.1.5 c ok\r\n354 go ahead\r\n
data
send 250 2.0.0 queued
expect-group 1
expect QUIT
send 221 bye
EOF
)
	fp a@example.com b@example.com c@example.com
	assert_failure 67
	# (the two lines of the 550 joined, as reply.c does)
	assert_output --regexp '^mailout: <b@example\.com>: refused at RCPT: 550 5\.1\.1 <b@example\.com>:.* no such user$'
	wire >"$BATS_TEST_TMPDIR/wire"
	expect_capture -s 'EHLO client.test\r\nMAIL FROM:<sender@example.org>\r\n' \
		-s 'RCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n' \
		-s 'RCPT TO:<c@example.com>\r\nDATA\r\n' \
		-f "$BATS_TEST_TMPDIR/wire" -s '.\r\nQUIT\r\n'
}

@test "pipelining: replies trickling in one byte at a time are matched in order; a 4xx in the middle is deferred" {
	scripted_start < <(dialogue_greet PIPELINING; cat <<'EOF'
expect-group 5
expect MAIL FROM:<sender@example\.org>
expect RCPT TO:<a@example\.com>
expect RCPT TO:<b@example\.com>
expect RCPT TO:<c@example\.com>
expect DATA
trickle 0.002 250 2.1.0 sender ok
trickle 0.002 250 2.1.5 a ok
trickle 0.002 451 4.3.0 b try later
trickle 0.002 250 2.1.5 c ok
trickle 0.002 354 go ahead
data
send 250 2.0.0 queued
expect QUIT
send 221 bye
EOF
)
	fp --no-queue a@example.com b@example.com c@example.com
	assert_failure 75
	assert_output "mailout: <b@example.com>: deferred at RCPT: 451 4.3.0 b try later"
	scripted_wait
}

@test "pipelining + chunking: MAIL, every RCPT, BDAT n LAST and the whole message in one write" {
	local n
	n=$(wire_size)
	scripted_start < <(dialogue_greet PIPELINING CHUNKING; cat <<EOF
expect-group 4
expect MAIL FROM:<sender@example\.org>
expect RCPT TO:<a@example\.com>
expect RCPT TO:<b@example\.com>
bdat BDAT $n LAST
send 250 2.1.0 sender ok
send 250 2.1.5 a ok
send 250 2.1.5 b ok
send 250 2.0.0 queued
expect-group 1
expect QUIT
send 221 bye
EOF
)
	fp a@example.com b@example.com
	assert_success
	assert_output ""
	wire >"$BATS_TEST_TMPDIR/wire"
	expect_capture -s 'EHLO client.test\r\nMAIL FROM:<sender@example.org>\r\n' \
		-s 'RCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n' \
		-s "BDAT $n LAST\r\n" -f "$BATS_TEST_TMPDIR/wire" -s 'QUIT\r\n'
}

@test "pipelining = off: one command per write, each after the reply to the one before" {
	local n
	n=$(wire_size)
	defaults 'pipelining = off'
	scripted_start < <(dialogue_greet PIPELINING CHUNKING; cat <<EOF
expect-group 1
expect MAIL FROM:<sender@example\.org>
send 250 2.1.0 sender ok
expect-group 1
expect RCPT TO:<a@example\.com>
send 250 2.1.5 a ok
expect-group 1
expect RCPT TO:<b@example\.com>
send 550 5.1.1 b unknown
expect-group 1
bdat BDAT $n LAST
send 250 2.0.0 queued
expect-group 1
expect QUIT
send 221 bye
EOF
)
	fp --config "$CONF" a@example.com b@example.com
	assert_failure 67
	assert_output "mailout: <b@example.com>: refused at RCPT: 550 5.1.1 b unknown"
	scripted_wait
}

@test "pipelining = off with DATA: DATA waits for the last RCPT reply and goes alone" {
	defaults 'pipelining = off'
	scripted_start < <(dialogue_greet PIPELINING; cat <<'EOF'
expect-group 1
expect MAIL FROM:<sender@example\.org>
send 250 2.1.0 sender ok
expect-group 1
expect RCPT TO:<a@example\.com>
send 250 2.1.5 a ok
expect-group 1
expect DATA
send 354 go ahead
data
send 250 2.0.0 queued
expect QUIT
send 221 bye
EOF
)
	fp --config "$CONF" a@example.com
	assert_success
	scripted_wait
}

@test "pipelining: every recipient refused, the pipelined DATA gets 554: exit 67, nothing but QUIT follows" {
	scripted_start < <(dialogue_greet PIPELINING; cat <<'EOF'
expect-group 4
expect MAIL FROM:<sender@example\.org>
send 250 2.1.0 sender ok
expect RCPT TO:<a@example\.com>
send 550 5.1.1 a unknown
expect RCPT TO:<b@example\.com>
send 550 5.1.1 b unknown
expect DATA
send 554 5.5.1 Error: no valid recipients
expect QUIT
send 221 bye
EOF
)
	fp a@example.com b@example.com
	assert_failure 67
	assert_line "mailout: <a@example.com>: refused at RCPT: 550 5.1.1 a unknown"
	assert_line "mailout: <b@example.com>: refused at RCPT: 550 5.1.1 b unknown"
	assert_equal "${#lines[@]}" 2
	expect_capture -s 'EHLO client.test\r\nMAIL FROM:<sender@example.org>\r\n' \
		-s 'RCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n' \
		-s 'DATA\r\nQUIT\r\n'
}

@test "pipelining: a 354 to the pipelined DATA although every recipient was refused: only the final dot, exit 67" {
	scripted_start < <(dialogue_greet PIPELINING; cat <<'EOF'
expect-group 3
expect MAIL FROM:<sender@example\.org>
send 250 2.1.0 sender ok
expect RCPT TO:<a@example\.com>
send 550 5.1.1 a unknown
expect DATA
send 354 go ahead
expect-group 1
expect \.
send 554 5.5.1 no valid recipients
expect QUIT
send 221 bye
EOF
)
	fp a@example.com
	assert_failure 67
	assert_output "mailout: <a@example.com>: refused at RCPT: 550 5.1.1 a unknown"
	expect_capture -s 'EHLO client.test\r\nMAIL FROM:<sender@example.org>\r\n' \
		-s 'RCPT TO:<a@example.com>\r\nDATA\r\n.\r\nQUIT\r\n'
}

@test "pipelining + chunking: every recipient refused, the pipelined BDAT LAST gets 554: exit 67, nothing but QUIT follows" {
	local n
	n=$(wire_size)
	scripted_start < <(dialogue_greet PIPELINING CHUNKING; cat <<EOF
expect-group 4
expect MAIL FROM:<sender@example\.org>
send 250 2.1.0 sender ok
expect RCPT TO:<a@example\.com>
send 550 5.1.1 a unknown
expect RCPT TO:<b@example\.com>
send 550 5.1.1 b unknown
bdat BDAT $n LAST
send 554 5.5.1 no valid recipients
expect QUIT
send 221 bye
EOF
)
	fp a@example.com b@example.com
	assert_failure 67
	assert_line "mailout: <a@example.com>: refused at RCPT: 550 5.1.1 a unknown"
	assert_line "mailout: <b@example.com>: refused at RCPT: 550 5.1.1 b unknown"
	assert_equal "${#lines[@]}" 2
	wire >"$BATS_TEST_TMPDIR/wire"
	expect_capture -s 'EHLO client.test\r\nMAIL FROM:<sender@example.org>\r\n' \
		-s 'RCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n' \
		-s "BDAT $n LAST\r\n" -f "$BATS_TEST_TMPDIR/wire" -s 'QUIT\r\n'
}

###########################################################################
# CHUNKING / BDAT framing

# chunking_envelope: a one-transaction script with PIPELINING (unless
# --no-pipe) and CHUNKING, up to the first BDAT.
chunking_envelope() {
	local caps="PIPELINING CHUNKING"
	if [ "${1:-}" = --no-pipe ]; then caps=CHUNKING; fi
	# shellcheck disable=SC2086
	dialogue_greet $caps
	cat <<'EOF'
expect MAIL FROM:<sender@example\.org>.*
send 250 2.1.0 sender ok
expect RCPT TO:<a@example\.com>
send 250 2.1.5 a ok
EOF
}

# A one-transaction script with CHUNKING (PIPELINING too unless --no-pipe):
# the chunks are read with bdat-chunks (250 to each), the LAST gets 250.
bdat_script() {
	chunking_envelope "$@"
	cat <<'EOF'
bdat-chunks 250 2.0.0 chunk ok
send 250 2.0.0 queued
expect QUIT
send 221 bye
EOF
}

@test "chunking: lines starting with '.' are sent as they are; a lone '.' line still ends the input (no -i)" {
	msg "$HDR"'a\n.dot\n..two dots\n. space\n.\nnot sent\n'
	scripted_start --bdat-out "$BATS_TEST_TMPDIR/chunks" < <(bdat_script)
	fp a@example.com
	assert_success
	scripted_wait
	msg "$HDR"'a\n.dot\n..two dots\n. space\n'
	wire >"$BATS_TEST_TMPDIR/want"
	assert_equal "$(bdat_sizes)" "$(wire_size) LAST"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/chunks" ||
		fail "the BDAT chunk is not the undotted CRLF message"
}

@test "chunking with -i: a lone '.' line is message text, not stuffed either" {
	msg "$HDR"'a\n.\n..\nafter\n.'
	scripted_start --bdat-out "$BATS_TEST_TMPDIR/chunks" < <(bdat_script)
	fp -i a@example.com
	assert_success
	scripted_wait
	msg "$HDR"'a\n.\n..\nafter\n.\n' # the unterminated last line gets its CRLF
	wire >"$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/chunks" ||
		fail "the BDAT chunk is not the undotted CRLF message"
}

# crlf_message SIZE FILE: a CRLF message of exactly SIZE octets (HDR, then
# 80-octet lines, the last one shorter).
crlf_message() {
	"$SCRIPTED_PYTHON" - "$1" "$2" "$HDR" <<'PY'
import sys
size, path, hdr = int(sys.argv[1]), sys.argv[2], sys.argv[3]
head = hdr.replace("\\n", "\r\n").encode()
out = bytearray(head)
i = 0
while len(out) < size:
    line = b"%06d " % i + b"." * 71 + b"\r\n"   # 80 octets
    out += line
    i += 1
del out[size:]
if not out.endswith(b"\r\n"):                   # end on a line end
    out[-2:] = b"\r\n"
assert len(out) == size
open(path, "wb").write(out)
PY
}

# first_chunk: the size of the first BDAT chunk of a 900 KB CRLF message
# (learnt from mailout: it depends on its read size and on its filter's
# worst-case expansion; 98310 today: 6 reads of 16 KiB fit under 128 KiB
# minus the filter's bound, + 1 CR per LF-rendered header line).
first_chunk() {
	crlf_message 900000 "$BATS_TEST_TMPDIR/msg"
	scripted_start < <(bdat_script)
	fp a@example.com >&2
	scripted_wait >&2
	bdat_sizes | head -n 1
}

@test "chunking: a message of exactly two chunks: BDAT C, then BDAT n LAST" {
	local c
	c=$(first_chunk)
	# chunks of most of 128 KiB, never over
	[ "$c" -gt 65536 ] && [ "$c" -le 131072 ] ||
		fail "first chunk of $c octets (expected 65536 < size <= 131072)"
	crlf_message $((c + 1000)) "$BATS_TEST_TMPDIR/msg"
	scripted_start --bdat-out "$BATS_TEST_TMPDIR/chunks" < <(bdat_script)
	fp a@example.com
	assert_success
	scripted_wait
	assert_equal "$(bdat_sizes)" "$c"$'\n'"1000 LAST"
	cmp "$BATS_TEST_TMPDIR/msg" "$BATS_TEST_TMPDIR/chunks" ||
		fail "the chunks are not the message"
}

@test "chunking: a message that fills its chunk exactly ends with BDAT 0 LAST" {
	local c
	c=$(first_chunk)
	crlf_message "$c" "$BATS_TEST_TMPDIR/msg"
	scripted_start --bdat-out "$BATS_TEST_TMPDIR/chunks" < <(bdat_script)
	fp a@example.com
	assert_success
	scripted_wait
	assert_equal "$(bdat_sizes)" "$c"$'\n'"0 LAST"
	grep -aq "^BDAT 0 LAST"$'\r'"\$" "$SERVER_CAPTURE" || fail "no BDAT 0 LAST"
	cmp "$BATS_TEST_TMPDIR/msg" "$BATS_TEST_TMPDIR/chunks" ||
		fail "the chunks are not the message"
}

# big_lf_message MB: an LF message of about MB megabytes with lines of
# varying lengths (up to 990 octets), many starting with "." or "..", blank
# ones, trailing blanks and tabs -- never a lone "." (that would end it).
big_lf_message() {
	"$SCRIPTED_PYTHON" - "$1" "$BATS_TEST_TMPDIR/msg" "$HDR" <<'PY'
import random, sys
mb, path, hdr = float(sys.argv[1]), sys.argv[2], sys.argv[3]
rnd = random.Random(7)
words = [b".", b"..", b". dot", b"abc", b"\t", b"tail  ", b"x" * 40, b""]
lines = []
size = 0
while size < mb * 1e6:
    k = rnd.randrange(0, 990)
    line = (rnd.choice(words) + b"y" * k)[:990]
    if line == b".":
        line = b".."
    lines.append(line)
    size += len(line) + 1
with open(path, "wb") as f:
    f.write(hdr.replace("\\n", "\n").encode())
    f.write(b"\n".join(lines) + b"\n")
PY
}

# assert_bdat_framing: one LAST chunk at the end, none over 128 KiB, and the
# chunks together are the CRLF message (the server checked that each BDAT n
# is followed by exactly n octets and a command).
assert_bdat_framing() {
	local sizes last n
	sizes=$(bdat_sizes)
	last=$(printf '%s\n' "$sizes" | tail -n 1)
	[[ $last == *" LAST" ]] || fail "the last chunk is not LAST: $sizes"
	[ "$(printf '%s\n' "$sizes" | grep -c LAST)" = 1 ] ||
		fail "more than one LAST: $sizes"
	for n in ${sizes// LAST/}; do
		[ "$n" -le 131072 ] || fail "a chunk of $n octets: $sizes"
	done
	[ "$(printf '%s\n' "$sizes" | wc -l)" -ge 5 ] ||
		fail "expected a message of several chunks: $sizes"
	wire >"$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/chunks" ||
		fail "the chunks together are not the CRLF message"
}

@test "chunking: a 3 MB message from a file: exact BDAT framing, the chunks are the undotted CRLF message" {
	big_lf_message 3
	scripted_start --bdat-out "$BATS_TEST_TMPDIR/chunks" < <(bdat_script)
	fp a@example.com
	assert_success
	scripted_wait
	assert_bdat_framing
}

# bdat_lines_sent: every "BDAT n [LAST]" line the client sent, read or not
# by the script (a chunk may end inside a line of the message, so the next
# BDAT need not start a line; the test messages never say "BDAT").
bdat_lines_sent() {
	grep -a -o -E 'BDAT [0-9]+( LAST)?'$'\r' "$SERVER_CAPTURE" | tr -d '\r'
}

@test "chunking with PIPELINING: the chunks follow one another before their replies; every reply is read, in order" {
	crlf_message 1000000 "$BATS_TEST_TMPDIR/msg"
	# the server reads three chunks before it says a word: a client
	# waiting for each reply would wait for ever here
	scripted_start --bdat-out "$BATS_TEST_TMPDIR/chunks" < <(chunking_envelope; cat <<'EOF'
bdat BDAT [0-9]+
bdat BDAT [0-9]+
bdat BDAT [0-9]+
send 250 2.0.0 chunk 1 ok
send 250 2.0.0 chunk 2 ok
send 250 2.0.0 chunk 3 ok
bdat-chunks 250 2.0.0 chunk ok
send 250 2.0.0 queued
expect QUIT
send 221 bye
EOF
)
	fp a@example.com
	assert_success
	scripted_wait
	cmp "$BATS_TEST_TMPDIR/msg" "$BATS_TEST_TMPDIR/chunks" ||
		fail "the chunks are not the message"
}

@test "chunking with PIPELINING: a 552 to the second chunk stops the chunks: no LAST, at most 32 out, the reply reported" {
	crlf_message 6000000 "$BATS_TEST_TMPDIR/msg"
	scripted_start < <(chunking_envelope; cat <<'EOF'
bdat BDAT [0-9]+
send 250 2.0.0 chunk 1 ok
bdat BDAT [0-9]+
send 552 5.3.4 message too big for this system
expect-eof 20
EOF
)
	fp --no-queue a@example.com
	assert_failure 69
	assert_output --partial '552 5.3.4 message too big for this system'
	scripted_wait
	local chunks
	chunks=$(bdat_lines_sent | grep -c -v LAST)
	[ "$chunks" -ge 2 ] && [ "$chunks" -le 33 ] ||
		fail "$chunks chunks sent (expected 2 to 33: the two answered, up to 31 more in flight)"
	if grep -a -q 'BDAT [0-9]* LAST' "$SERVER_CAPTURE"; then
		fail "the LAST chunk was sent after the 552"
	fi
}

@test "chunking without PIPELINING: each chunk waits for its reply (a server that never answers gets one)" {
	crlf_message 1000000 "$BATS_TEST_TMPDIR/msg"
	scripted_start < <(chunking_envelope --no-pipe; cat <<'EOF'
bdat BDAT [0-9]+
close
EOF
)
	fp --no-queue a@example.com
	assert_failure 75
	scripted_wait
	assert_equal "$(bdat_lines_sent)" "BDAT $(bdat_sizes)"
}

@test "chunking: a 3 MB message from a pipe, without PIPELINING: the same framing" {
	big_lf_message 3
	scripted_start --bdat-out "$BATS_TEST_TMPDIR/chunks" < <(bdat_script --no-pipe)
	fp_pipe a@example.com
	assert_success
	scripted_wait
	assert_bdat_framing
}

@test "chunking = off: DATA with dot-stuffing although CHUNKING is offered" {
	msg "$HDR"'a\n.dot\n..two\n'
	defaults 'chunking = off'
	scripted_start < <(
		dialogue_greet PIPELINING CHUNKING
		echo 'expect-group 3'
		dialogue_tail
	)
	fp --config "$CONF" a@example.com
	assert_success
	wire | sed 's/^\./../' >"$BATS_TEST_TMPDIR/stuffed"
	expect_capture -s 'EHLO client.test\r\n' -s "$(dialogue_sent mail data)" \
		-f "$BATS_TEST_TMPDIR/stuffed" -s "$(dialogue_sent dot quit)"
}

###########################################################################
# SIZE

# size_script MAIL-LINE: SIZE (no limit) and PIPELINING offered, exactly
# MAIL-LINE, one recipient, DATA.
size_script() {
	DIALOGUE_MAIL=$1
	dialogue_greet PIPELINING SIZE
	dialogue_tail
}

@test "SIZE: --file declares the message's size" {
	local n
	crlf_message 5000 "$BATS_TEST_TMPDIR/msg.crlf"
	n=$(stat -c %s "$BATS_TEST_TMPDIR/msg.crlf")
	scripted_start < <(size_script "MAIL FROM:<sender@example.org> SIZE=$n")
	run timeout 60 "$MAILOUT" --host 127.0.0.1 --port "$SERVER_PORT" \
		--helo client.test -f "$FROM" --file "$BATS_TEST_TMPDIR/msg.crlf" \
		a@example.com </dev/null
	assert_success
	scripted_wait
}

@test "SIZE: stdin from a regular file declares the size too" {
	crlf_message 5000 "$BATS_TEST_TMPDIR/msg"
	scripted_start < <(size_script 'MAIL FROM:<sender@example.org> SIZE=5000')
	fp a@example.com
	assert_success
	scripted_wait
}

@test "SIZE: a small message from a pipe is read whole and declares its size" {
	crlf_message 5000 "$BATS_TEST_TMPDIR/msg"
	scripted_start < <(size_script 'MAIL FROM:<sender@example.org> SIZE=5000')
	fp_pipe --no-queue a@example.com
	assert_success
	scripted_wait
}

@test "SIZE: a large message from a pipe is streamed, without SIZE=" {
	crlf_message 300000 "$BATS_TEST_TMPDIR/msg"
	scripted_start < <(size_script 'MAIL FROM:<sender@example.org>')
	fp_pipe --queue-dir "$BATS_TEST_TMPDIR/q" a@example.com
	assert_success
	scripted_wait
}

@test "SIZE: a --file over the advertised limit: exit 69 before MAIL, the limit shown" {
	scripted_start < <(dialogue_greet PIPELINING 'SIZE 100'; cat <<'EOF'
expect QUIT
send 221 bye
EOF
)
	crlf_message 5000 "$BATS_TEST_TMPDIR/big"
	run timeout 60 "$MAILOUT" --host 127.0.0.1 --port "$SERVER_PORT" \
		--helo client.test -f "$FROM" --file "$BATS_TEST_TMPDIR/big" \
		a@example.com </dev/null
	assert_failure 69
	assert_output --regexp '^mailout: the message \([0-9]+ octets\) is larger than the server.s limit of 100 octets$'
	expect_capture -s 'EHLO client.test\r\nQUIT\r\n'
}

@test "SIZE: 552 to MAIL: exit 69, the message names the server's limit" {
	scripted_start < <(dialogue_greet PIPELINING 'SIZE 4000'; cat <<'EOF'
expect-group 3
expect MAIL FROM:<sender@example\.org> SIZE=[0-9]+
expect RCPT TO:<a@example\.com>
expect DATA
send 552 5.3.4 Message size exceeds fixed limit
send 503 5.5.1 Error: need MAIL command
send 503 5.5.1 Error: need RCPT command
expect QUIT
send 221 bye
EOF
)
	fp a@example.com
	assert_failure 69
	assert_output --partial "4000 octets"
	assert_output --partial "552 5.3.4 Message size exceeds fixed limit"
	scripted_wait
}

###########################################################################
# DSN

# dsn_script MAIL-LINE RCPT-LINE...: exactly these commands (with their
# parameters), every one accepted, DATA; EHLO offers DSN_CAPS.
dsn_script() {
	local r
	DIALOGUE_MAIL=$1
	DIALOGUE_RCPTS=()
	DIALOGUE_RCPT_PARAMS=()
	shift
	for r in "$@"; do
		r=${r#'RCPT TO:<'}
		DIALOGUE_RCPTS+=("${r%%>*}")
		r=${r#*>}
		DIALOGUE_RCPT_PARAMS+=("${r# }")
	done
	# shellcheck disable=SC2086 # one capability a word
	dialogue_greet $DSN_CAPS
	dialogue_tail
}

@test "DSN: -N success,failure -R hdrs -V give NOTIFY, ORCPT (xtext), RET and ENVID (xtext)" {
	DSN_CAPS="PIPELINING DSN"
	scripted_start < <(dsn_script \
		'MAIL FROM:<sender@example.org> RET=HDRS ENVID=abc+2B+3D' \
		'RCPT TO:<a+x@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Bx@example.com' \
		'RCPT TO:<b=y@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+3Dy@example.com')
	fp -N success,failure -R hdrs -V 'abc+=' a+x@example.com b=y@example.com
	assert_success
	scripted_wait
}

@test "DSN: -N never and -R full" {
	DSN_CAPS="DSN"
	scripted_start < <(dsn_script \
		'MAIL FROM:<sender@example.org> RET=FULL' \
		'RCPT TO:<a@example.com> NOTIFY=NEVER ORCPT=rfc822;a@example.com')
	fp -N never -R full a@example.com
	assert_success
	scripted_wait
}

@test "DSN: without -N/-R/-V only ORCPT is sent when DSN is offered" {
	DSN_CAPS="PIPELINING DSN"
	scripted_start < <(dsn_script 'MAIL FROM:<sender@example.org>' \
		'RCPT TO:<a@example.com> ORCPT=rfc822;a@example.com')
	fp a@example.com
	assert_success
	scripted_wait
}

@test "DSN: none of the parameters when the server does not offer DSN" {
	DSN_CAPS="PIPELINING 8BITMIME"
	scripted_start < <(dsn_script 'MAIL FROM:<sender@example.org>' \
		'RCPT TO:<a+x@example.com>')
	fp -N success,failure -R hdrs -V abc a+x@example.com
	assert_success
	scripted_wait
}

###########################################################################
# More than 100 recipients, 452, refused = abort

# rcpts FIRST LAST: r001@example.com ... one a line.
rcpts() {
	local i
	for ((i = $1; i <= $2; i++)); do printf 'r%03d@example.com\n' "$i"; done
}

# txn_script MODE FIRST LAST: one pipelined transaction for rFIRST..rLAST,
# all accepted; MODE data or bdat (the whole small message in BDAT LAST).
txn_script() {
	local mode=$1 r
	echo "expect-group $(($3 - $2 + 3))"
	echo 'expect MAIL FROM:<sender@example\.org>'
	echo 'send 250 2.1.0 sender ok'
	for r in $(rcpts "$2" "$3"); do
		echo "expect RCPT TO:<$(re_addr "$r")>"
		echo 'send 250 2.1.5 ok'
	done
	if [ "$mode" = data ]; then
		printf '%s\n' 'expect DATA' 'send 354 go ahead' 'data'
	else
		echo "bdat BDAT [0-9]+ LAST"
	fi
	echo 'send 250 2.0.0 queued'
}

# txn_capture MODE FIRST LAST: printf format of what the client sends for it.
txn_capture() {
	local r
	printf 'MAIL FROM:<sender@example.org>\r\n'
	for r in $(rcpts "$2" "$3"); do printf 'RCPT TO:<%s>\r\n' "$r"; done
	if [ "$1" = data ]; then
		printf 'DATA\r\n'
		wire
		printf '.\r\n'
	else
		printf 'BDAT %d LAST\r\n' "$(wire_size)"
		wire
	fi
}

split_250() {
	local mode=$1 input=$2
	scripted_start < <(
		if [ "$mode" = data ]; then dialogue_greet PIPELINING; else dialogue_greet PIPELINING CHUNKING; fi
		txn_script "$mode" 1 100
		txn_script "$mode" 101 200
		txn_script "$mode" 201 250
		printf '%s\n' 'expect QUIT' 'send 221 bye'
	)
	# shellcheck disable=SC2046
	if [ "$input" = file ]; then
		run timeout 60 "$MAILOUT" --host 127.0.0.1 --port "$SERVER_PORT" \
			--helo client.test -f "$FROM" --file "$BATS_TEST_TMPDIR/msg" \
			$(rcpts 1 250) </dev/null
	else
		fp_pipe $(rcpts 1 250)
	fi
	assert_success
	assert_output ""
	{
		printf 'EHLO client.test\r\n'
		txn_capture "$mode" 1 100
		txn_capture "$mode" 101 200
		txn_capture "$mode" 201 250
		printf 'QUIT\r\n'
	} >"$BATS_TEST_TMPDIR/want"
	assert_capture "$BATS_TEST_TMPDIR/want"
	grep -q 'connection 1 from' "$SERVER_LOG"
	run ! grep -q 'connection 2' "$SERVER_LOG"
}

@test "250 recipients, --file, DATA: three transactions of 100, 100 and 50 on one connection, the message sent each time" {
	split_250 data file
}

@test "250 recipients through a pipe (spooled), BDAT: three transactions of 100, 100 and 50, the message sent each time" {
	msg "$HDR"'.dot\nbody\n'
	split_250 bdat pipe
}

@test "452 after the 3rd RCPT: the rest go in a further transaction, every recipient accepted" {
	scripted_start < <(dialogue_greet PIPELINING; cat <<'EOF'
expect-group 7
expect MAIL FROM:<sender@example\.org>
send 250 2.1.0 sender ok
expect RCPT TO:<r001@example\.com>
send 250 2.1.5 ok
expect RCPT TO:<r002@example\.com>
send 250 2.1.5 ok
expect RCPT TO:<r003@example\.com>
send 250 2.1.5 ok
expect RCPT TO:<r004@example\.com>
send 452 4.5.3 Too many recipients
expect RCPT TO:<r005@example\.com>
send 452 4.5.3 Too many recipients
expect DATA
send 354 go ahead
data
send 250 2.0.0 queued 1
expect-group 4
expect MAIL FROM:<sender@example\.org>
send 250 2.1.0 sender ok
expect RCPT TO:<r004@example\.com>
send 250 2.1.5 ok
expect RCPT TO:<r005@example\.com>
send 250 2.1.5 ok
expect DATA
send 354 go ahead
data
send 250 2.0.0 queued 2
expect QUIT
send 221 bye
EOF
)
	# shellcheck disable=SC2046
	fp --no-queue $(rcpts 1 5)
	assert_success
	assert_output ""
	{
		printf 'EHLO client.test\r\nMAIL FROM:<sender@example.org>\r\n'
		# shellcheck disable=SC2046
		printf 'RCPT TO:<%s>\r\n' $(rcpts 1 5)
		printf 'DATA\r\n'
		wire
		printf '.\r\nMAIL FROM:<sender@example.org>\r\n'
		# shellcheck disable=SC2046
		printf 'RCPT TO:<%s>\r\n' $(rcpts 4 5)
		printf 'DATA\r\n'
		wire
		printf '.\r\nQUIT\r\n'
	} >"$BATS_TEST_TMPDIR/want"
	assert_capture "$BATS_TEST_TMPDIR/want"
}

# r002_refused_by_452: the envelope of a pipelined transaction where the
# server takes r001 and sends r002 back with 452.
r002_refused_by_452() {
	cat <<'EOF'
expect MAIL FROM:<sender@example\.org>
send 250 2.1.0 sender ok
expect RCPT TO:<r001@example\.com>
send 250 2.1.5 ok
expect RCPT TO:<r002@example\.com>
send 452 4.5.3 Too many recipients
EOF
}

# r002_deferred_by_452: that transaction, the message accepted for r001.
r002_deferred_by_452() {
	r002_refused_by_452
	cat <<'EOF'
expect DATA
send 354 go ahead
data
send 250 2.0.0 queued
EOF
}

# r002_accepted_again: the further transaction, for r002 alone, accepted.
r002_accepted_again() {
	local DIALOGUE_RCPTS=(r002@example.com)
	dialogue_tail
}

@test "452 again for the first recipient of the further transaction: deferred, not retried forever" {
	scripted_start < <(dialogue_greet PIPELINING; r002_deferred_by_452; cat <<'EOF'
expect MAIL FROM:<sender@example\.org>
send 250 2.1.0 sender ok
expect RCPT TO:<r002@example\.com>
send 452 4.5.3 Too many recipients
expect DATA
send 554 5.5.1 no valid recipients
expect QUIT
send 221 bye
EOF
)
	# shellcheck disable=SC2046
	fp --no-queue $(rcpts 1 2)
	assert_failure 75
	assert_output "mailout: <r002@example.com>: deferred at RCPT: 452 4.5.3 Too many recipients"
	scripted_wait
}

@test "452 with a small message from a pipe: read whole with the header, sent again from memory" {
	scripted_start < <(dialogue_greet PIPELINING; r002_deferred_by_452; r002_accepted_again)
	# shellcheck disable=SC2046
	fp_pipe --no-queue $(rcpts 1 2)
	assert_success
	scripted_wait
	[ "$(grep -c -a -x $'Hello, world.\r' "$SERVER_CAPTURE")" -eq 2 ] ||
		fail "the message was not sent twice"
}

# sent_twice_whole: both transactions carried the whole message (the
# DATA sections of the capture, or the BDAT chunks in $BATS_TEST_TMPDIR/bdat).
sent_twice_whole() {
	"$SCRIPTED_PYTHON" - "$SERVER_CAPTURE" "$BATS_TEST_TMPDIR/msg" \
		"$BATS_TEST_TMPDIR/bdat" <<'PY'
import os, re, sys
cap, msg, bdat = sys.argv[1:4]
msg = open(msg, "rb").read()
if os.path.exists(bdat):
    chunks = open(bdat, "rb").read()
    assert chunks == msg + msg, (len(chunks), len(msg))
else:
    bodies = re.findall(rb"DATA\r\n(.*?\r\n)\.\r\n", open(cap, "rb").read(), re.S)
    assert bodies == [msg, msg], [len(b) for b in bodies]
PY
}

@test "452 with a large message from a pipe, DATA: a copy is kept, every recipient gets it" {
	crlf_message 300000 "$BATS_TEST_TMPDIR/msg"
	scripted_start < <(dialogue_greet PIPELINING; r002_deferred_by_452; r002_accepted_again)
	# shellcheck disable=SC2046
	fp_pipe --no-queue $(rcpts 1 2)
	assert_success
	scripted_wait
	sent_twice_whole
}

@test "452 with a large message from a pipe, BDAT: a copy is kept, every recipient gets it" {
	crlf_message 300000 "$BATS_TEST_TMPDIR/msg"
	scripted_start --bdat-out "$BATS_TEST_TMPDIR/bdat" < <(dialogue_greet PIPELINING CHUNKING
		r002_refused_by_452; cat <<'EOF'
bdat-chunks 250 2.0.0 chunk ok
send 250 2.0.0 queued
expect MAIL FROM:<sender@example\.org>
send 250 2.1.0 sender ok
expect RCPT TO:<r002@example\.com>
send 250 2.1.5 ok
bdat-chunks 250 2.0.0 chunk ok
send 250 2.0.0 queued
expect QUIT
send 221 bye
EOF
)
	# shellcheck disable=SC2046
	fp_pipe --no-queue $(rcpts 1 2)
	assert_success
	scripted_wait
	sent_twice_whole
}

@test "refused = abort: one recipient refused: RSET, no DATA/BDAT, exit 67" {
	defaults 'refused = abort'
	scripted_start < <(dialogue_greet PIPELINING CHUNKING; cat <<'EOF'
expect-group 4
expect MAIL FROM:<sender@example\.org>
send 250 2.1.0 sender ok
expect RCPT TO:<a@example\.com>
send 250 2.1.5 ok
expect RCPT TO:<b@example\.com>
send 550 5.1.1 b unknown
expect RCPT TO:<c@example\.com>
send 250 2.1.5 ok
expect-group 1
expect RSET
send 250 2.0.0 ok
expect QUIT
send 221 bye
EOF
)
	fp --config "$CONF" a@example.com b@example.com c@example.com
	assert_failure 67
	assert_line "mailout: <b@example.com>: refused at RCPT: 550 5.1.1 b unknown"
	assert_line --partial "refused = abort"
	expect_capture -s 'EHLO client.test\r\nMAIL FROM:<sender@example.org>\r\n' \
		-s 'RCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n' \
		-s 'RCPT TO:<c@example.com>\r\nRSET\r\nQUIT\r\n'
}

###########################################################################
# Exim: 20 MB byte for byte

# exim_up: this test has the suite's Exim (started if no test has yet) to
# itself, its maildir empty.
exim_up() {
	exim_test_lock
	if [ -s "$BATS_FILE_TMPDIR/exim/env" ]; then
		set -a
		# shellcheck disable=SC1091
		. "$BATS_FILE_TMPDIR/exim/env"
		set +a
	else
		exim_start "$BATS_FILE_TMPDIR/exim" {_EXIM_LOCK}>&-
	fi
	exim_test_setup
}

# exim_20mb ARGS...: a 20 MB message (LF, lone "." lines and leading dots
# included, hence -i) to alice through Exim; the stored body must be the
# input's byte for byte.  The -v transcript goes to $BATS_TEST_TMPDIR/v.
exim_20mb() {
	exim_up
	big_lf_message 20
	printf '.\n..\n.\n' >>"$BATS_TEST_TMPDIR/msg"
	sed '1,/^$/d' "$BATS_TEST_TMPDIR/msg" >"$BATS_TEST_TMPDIR/body"
	run --separate-stderr timeout 60 "$MAILOUT" --host 127.0.0.1 \
		--port "$EXIM_PORT" --timeout 30 --helo client.test -f "$FROM" \
		-i -v "$@" alice@example.org <"$BATS_TEST_TMPDIR/msg"
	# shellcheck disable=SC2154 # set by run --separate-stderr
	printf '%s\n' "$stderr" >"$BATS_TEST_TMPDIR/v"
	assert_success
	maildir_wait 1 "$EXIM_MAILDIR" 30
	mail_body "$(maildir_find_for alice@example.org "$EXIM_MAILDIR")" \
		>"$BATS_TEST_TMPDIR/got"
	cmp "$BATS_TEST_TMPDIR/body" "$BATS_TEST_TMPDIR/got" ||
		fail "the body stored by Exim differs from the one sent"
}

@test "exim: a 20 MB message through CHUNKING and PIPELINING is stored byte for byte" {
	exim_20mb
	grep -q 'BDAT [0-9]* LAST' "$BATS_TEST_TMPDIR/v" ||
		fail "no BDAT LAST in the transcript: $(grep -E 'BDAT|DATA' "$BATS_TEST_TMPDIR/v" | head)"
	[ "$(grep -c 'BDAT [0-9]*' "$BATS_TEST_TMPDIR/v")" -ge 40 ] ||
		fail "expected about 43 BDAT chunks: $(grep -c 'BDAT' "$BATS_TEST_TMPDIR/v")"
	run ! grep -q 'C: DATA' "$BATS_TEST_TMPDIR/v"
}

@test "exim: the same 20 MB message with chunking = off goes with DATA, byte for byte" {
	defaults 'chunking = off'
	exim_20mb --config "$CONF"
	grep -q 'DATA' "$BATS_TEST_TMPDIR/v" || fail "no DATA in the transcript"
	run ! grep -q 'BDAT' "$BATS_TEST_TMPDIR/v"
}
