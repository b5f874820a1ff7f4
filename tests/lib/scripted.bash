# Bats helpers for tests/server/scripted.py, the scripted fault-injecting
# SMTP/LMTP server.  Sourced by tests/helpers.bash.
#
#   scripted_start [ARGS...] <<'EOF'      start a server running the script on
#   send 220 server.test ESMTP            stdin; ARGS go to scripted.py (e.g.
#   expect EHLO client\.test              --unix PATH, --connections N,
#   ...                                   --no-accept).  Exports SERVER_PORT
#   EOF                                   (or SERVER_SOCKET with --unix),
#                                         SERVER_PID, SERVER_CAPTURE,
#                                         SERVER_LOG.
#   scripted_wait                         wait (<= 10 s) for the server to
#                                         exit; fail with its log unless 0.
#   scripted_reap                         the same wait, recording the status
#                                         without judging it
#   assert_capture FILE                   the client sent exactly FILE's bytes
#   assert_capture_printf [--allow-quit] FORMAT [ARGS...]
#                                         ... exactly printf's bytes (with
#                                         --allow-quit, a trailing "QUIT\r\n"
#                                         is tolerated too)
#   assert_capture_prefix_printf FORMAT [ARGS...]
#                                         the capture starts with these bytes
#   assert_no_connection                  the server got no connection at all
#   msg FORMAT [ARGS...]                  write the message mailout reads,
#                                         $BATS_TEST_TMPDIR/msg (printf)
#   wire                                  that message as it goes on the
#                                         wire (CRLF; no dot-stuffing)
#   scripted_mailout [--separate-stderr] ARGS...
#                                         `run` mailout with ARGS against
#                                         the server (--socket or --host
#                                         127.0.0.1 --port), the message from
#                                         msg, bounded by timeout
#                                         $SCRIPTED_RUN_BOUND (60 s); sets
#                                         ELAPSED_MS too
#   timed_run ARGS...                     `run` ARGS; sets ELAPSED_MS too
#   re_quote TEXT                         a regex for expect matching TEXT
#                                         literally
#   scripted_teardown                     kill every server of the test (call
#                                         it from teardown()); prints the
#                                         server logs when the test failed.
#
# The assert_capture* helpers first wait for the server to exit (the client
# may be gone while the server is still reading what it sent).

SCRIPTED_PY=$TESTS_DIR/server/scripted.py
# The system interpreter starts in 40 ms; a pyenv shim takes 300 ms.
if [ -z "${SCRIPTED_PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then
		SCRIPTED_PYTHON=/usr/bin/python3
	else
		SCRIPTED_PYTHON=python3
	fi
fi

scripted_start() {
	local dir="${BATS_TEST_TMPDIR:?scripted_start needs Bats}" suffix=
	local n=${#SCRIPTED_PIDS[@]}
	if [ "$n" -gt 0 ]; then suffix=".$((n + 1))"; fi
	local script="$dir/script$suffix" port_file="$dir/server$suffix.port"
	SERVER_CAPTURE="$dir/capture$suffix"
	SERVER_LOG="$dir/server$suffix.log"
	SERVER_OUT="$dir/server$suffix.out"
	cat >"$script"
	rm -f "$port_file"
	: >"$SERVER_CAPTURE"
	: >"$SERVER_LOG"
	# Never let the daemon hold Bats' stdout/stderr or fd 3: Bats would hang.
	"$SCRIPTED_PYTHON" "$SCRIPTED_PY" --port-file "$port_file" \
		--capture "$SERVER_CAPTURE" --log "$SERVER_LOG" "$@" "$script" \
		</dev/null >"$SERVER_OUT" 2>&1 3>&- &
	SERVER_PID=$!
	SCRIPTED_PIDS+=("$SERVER_PID")
	unset SERVER_STATUS
	local i
	for ((i = 0; i < 400; i++)); do
		if [ -s "$port_file" ]; then break; fi
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			{
				echo "scripted.py exited before listening:"
				cat "$SERVER_OUT"
			} | fail || return
		fi
		sleep 0.025
	done
	if [ ! -s "$port_file" ]; then
		fail "scripted.py is not listening after 10 s" || return
	fi
	local where
	where=$(<"$port_file")
	if [[ $where =~ ^[0-9]+$ ]]; then
		SERVER_PORT=$where
		unset SERVER_SOCKET
	else
		SERVER_SOCKET=$where
		unset SERVER_PORT
	fi
	export SERVER_PORT SERVER_SOCKET SERVER_PID SERVER_CAPTURE SERVER_LOG
}

# scripted_reap [PID]: wait (<= 10 s, then kill) for the server to exit and
# record its status, without judging it.  Must run in the shell that started
# the server (not inside "run").
scripted_reap() {
	local pid=${1:-$SERVER_PID} i status=0 var
	var="_SCRIPTED_STATUS_$pid"
	if [ -n "${!var:-}" ]; then return 0; fi
	for ((i = 0; i < 400; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then break; fi
		sleep 0.025
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		printf -v "$var" %s timeout
	else
		wait "$pid" 2>/dev/null || status=$?
		printf -v "$var" %s "$status"
	fi
}

# scripted_wait [PID]: the server's exit status must be 0.
scripted_wait() {
	local pid=${1:-$SERVER_PID} var
	var="_SCRIPTED_STATUS_$pid"
	scripted_reap "$pid"
	if [ "${!var}" = timeout ]; then
		_scripted_show_log
		fail "scripted server still running after 10 s (killed)"
		return 1
	fi
	if [ "${!var}" != 0 ]; then
		_scripted_show_log
		fail "scripted server exited with status ${!var} (see its log above)"
		return 1
	fi
	SERVER_STATUS=0
}

_scripted_show_log() {
	_SCRIPTED_LOG_SHOWN=1
	echo "---- scripted server log ($SERVER_LOG) ----"
	cat "$SERVER_LOG" 2>/dev/null
	if [ -s "${SERVER_OUT:-}" ]; then
		echo "---- scripted server output ----"
		cat "$SERVER_OUT"
	fi
	echo "----"
}

# _scripted_compare MODE EXPECTED_FILE ACTUAL_FILE
# MODE: exact | allow-quit | prefix.  Shows both as Python reprs on mismatch.
_scripted_compare() {
	local mode=$1 expected=$2 actual=$3
	if [ "$mode" != prefix ] && cmp -s "$expected" "$actual"; then
		return 0
	fi
	"$SCRIPTED_PYTHON" - "$mode" "$expected" "$actual" <<'PY'
import difflib, re, sys
mode, ef, af = sys.argv[1:4]
e = open(ef, "rb").read()
a = open(af, "rb").read()
if mode == "exact" and a == e:
    sys.exit(0)
if mode == "allow-quit" and a in (e, e + b"QUIT\r\n"):
    sys.exit(0)
if mode == "prefix" and a.startswith(e):
    sys.exit(0)
LIMIT = 4000
def lines(b):
    b = b[:LIMIT]
    return [repr(x)[1:] for x in re.split(rb"(?<=\n)", b) if x]
what = {"exact": "exactly", "allow-quit": "exactly (optionally + QUIT\\r\\n)",
        "prefix": "starting with"}[mode]
print("capture mismatch: expected the client to send %s:" % what)
for x in lines(e):
    print("  " + x)
print("but it sent (%d bytes%s):" % (len(a), ", first %d shown" % LIMIT
                                     if len(a) > LIMIT else ""))
for x in lines(a):
    print("  " + x)
n = 0
while n < min(len(a), len(e)) and a[n] == e[n]:
    n += 1
print("first difference at byte %d" % n)
print("diff (- expected, + sent):")
for d in difflib.unified_diff(lines(e), lines(a), lineterm="", n=2):
    print("  " + d)
sys.exit(1)
PY
}

_scripted_check() {
	local diff
	if ! diff=$(_scripted_compare "$1" "$2" "$SERVER_CAPTURE"); then
		fail "$diff"
		return 1
	fi
}

_scripted_settle() {
	if [ -z "${SERVER_STATUS:-}" ]; then
		scripted_wait "$SERVER_PID" || return
	fi
}

assert_capture() {
	_scripted_settle || return
	_scripted_check exact "$1"
}

assert_capture_printf() {
	local mode=exact
	if [ "$1" = --allow-quit ]; then
		mode=allow-quit
		shift
	fi
	local expected="$BATS_TEST_TMPDIR/expected-capture"
	# shellcheck disable=SC2059
	printf -- "$@" >"$expected"
	_scripted_settle || return
	_scripted_check "$mode" "$expected"
}

assert_capture_prefix_printf() {
	local expected="$BATS_TEST_TMPDIR/expected-capture"
	# shellcheck disable=SC2059
	printf -- "$@" >"$expected"
	_scripted_settle || return
	_scripted_check prefix "$expected"
}

# The server must not have seen a connection.  It is still waiting in
# accept(), so give a connect that did happen a moment to show in the log.
assert_no_connection() {
	sleep 0.2
	if grep -q -- '-- .*connection 1 from' "$SERVER_LOG" ||
		[ -s "$SERVER_CAPTURE" ]; then
		_scripted_show_log
		fail "the scripted server got a connection (expected none)"
		return 1
	fi
}

msg() {
	# shellcheck disable=SC2059
	printf -- "$@" >"$BATS_TEST_TMPDIR/msg"
}

wire() {
	sed 's/$/\r/' "$BATS_TEST_TMPDIR/msg"
}

scripted_mailout() {
	local -a how=() target
	if [ "${1:-}" = --separate-stderr ]; then
		how=(--separate-stderr)
		shift
	fi
	if [ -n "${SERVER_SOCKET:-}" ]; then
		target=(--socket "$SERVER_SOCKET")
	else
		target=(--host 127.0.0.1 --port "$SERVER_PORT")
	fi
	timed_run "${how[@]}" timeout "${SCRIPTED_RUN_BOUND:-60}" "$MAILOUT" \
		"${target[@]}" "$@" <"$BATS_TEST_TMPDIR/msg"
}

timed_run() {
	local t0=${EPOCHREALTIME/./}
	run "$@"
	# shellcheck disable=SC2034 # for the caller
	ELAPSED_MS=$(((${EPOCHREALTIME/./} - t0) / 1000))
}

# re_quote TEXT: expect matches the line decoded as Latin-1: the regex
# characters escaped, other octets but printable ASCII as \xHH.
re_quote() {
	local -
	set +T # (see tests/lib/dialogue.bash)
	_re_quote "$1"
	printf '%s' "$REPLY"
}

# _re_quote TEXT: the same in REPLY (no subshell; few commands, as each
# costs under Bats' traps: one substitution, where "&" is the match, as
# with bash 5.2's patsub_replacement, on by default).
shopt -s patsub_replacement
_re_quote() {
	local LC_ALL=C c i
	REPLY=${1//[.^\$*+?\{\}\[\]\\|()]/"\\"&}
	if [[ $REPLY != *[![:print:]]* ]]; then return; fi
	local s=$REPLY
	REPLY=
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		if [[ $c == [![:print:]] ]]; then printf -v c '\\x%02x' "'$c"; fi
		REPLY+=$c
	done
}

scripted_teardown() {
	local pid
	for pid in "${SCRIPTED_PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null
			# its verdict is scripted_wait's to judge; one that was
			# ending anyway may die of the kill (143)
			wait "$pid" 2>/dev/null || :
		fi
	done
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -z "${_SCRIPTED_LOG_SHOWN:-}" ] &&
		[ "${#SCRIPTED_PIDS[@]}" -gt 0 ]; then
		local log
		for log in "$BATS_TEST_TMPDIR"/server*.log; do
			[ -s "$log" ] || continue
			echo "---- $log ----"
			cat "$log"
		done
	fi
	SCRIPTED_PIDS=()
}
