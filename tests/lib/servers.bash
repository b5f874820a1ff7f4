# Real mail servers for the Bats suites (sourced by tests/helpers.bash).
#
# In a .bats file:
#   setup_file()    { exim_start; }        # or dovecot_start
#   teardown_file() { exim_stop; }         # runs even when tests fail
# or, for a suite whose tests share one Exim (each test that uses it calls
# exim_test_setup first, in setup() or itself):
#   exim_suite
#
# exim_test_setup               this test has the suite's Exim to itself
#                               until it ends (a lock: under bats --jobs
#                               the suite's tests that do not use Exim run
#                               meanwhile), its maildir empty; EXIM_LOG_START:
#                               where this test's part of EXIM_LOG starts
# exim_log_since                the lines Exim logged since exim_test_setup
# mailout_exim PORT ARGS...     mailout to Exim's PORT, HELO client.test,
#                               -f sender@example.org, the message from
#                               $BATS_TEST_TMPDIR/msg, bounded in time
# exim_start exports EXIM_PORT EXIM_TLS_PORT EXIM_MAILDIR EXIM_LOG EXIM_CERTS
#   EXIM_DIR, EXIM_{UNTRUSTED,EXPIRED,WRONGNAME,SELFSIGNED}_PORT (STARTTLS)
#   and EXIM_{UNTRUSTED,EXPIRED,WRONGNAME,SELFSIGNED}_TLS_PORT (implicit TLS)
#   (see tests/servers/exim.sh for the server's behaviour).
# dovecot_start exports DOVECOT_PORT DOVECOT_SOCKET DOVECOT_MAILROOT
#   DOVECOT_LOG DOVECOT_DIR (see tests/servers/dovecot.sh).
# socks_start exports SOCKS_PORT SOCKS_USER SOCKS_PASSWORD SOCKS_DIR: a
#   SOCKS5 proxy (microsocks) that alone resolves mail.test and other.test
#   (see tests/servers/microsocks.sh); socks_stop stops it.
# A server that cannot start makes setup_file fail with the reason and the
# tail of the server's log: never a silent skip.
#
# Maildir helpers:
#   maildir_files DIR             the message files in DIR/new + DIR/cur
#   maildir_count DIR             number of messages in DIR/new + DIR/cur
#   maildir_wait N DIR [TIMEOUT]  wait until DIR holds exactly N messages
#   exim_wait_idle [TIMEOUT]      wait until Exim has delivered everything
#                                 it took (its spool is empty; 30 s)
#   maildir_clear DIR             delete the messages in DIR
#   maildir_find_for ADDR DIR     print the one message whose Envelope-to:
#                                 or Delivered-To: names ADDR
#   mail_body FILE                print everything after the first blank line
#   mail_header NAME FILE         print the value(s) of header NAME
#   dovecot_maildir USER          the maildir of Dovecot user USER

SERVERS_SCRIPTS_DIR="${TESTS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}/servers"

# The servers drop privileges (Exim to Debian-exim, Dovecot deliveries to
# nobody): every directory above their DIR must be searchable by others.
# Bats creates BATS_RUN_TMPDIR with mode 0700; open up (o+x only) the
# directories from BATS_RUN_TMPDIR down to DIR, nothing above it.
_servers_make_reachable() {
	local dir=$1 top d
	mkdir -p "$dir" || return 1
	d=$(cd "$dir" && pwd)
	[ -n "${BATS_RUN_TMPDIR:-}" ] || return 0
	top=$(cd "$BATS_RUN_TMPDIR" 2>/dev/null && pwd) || return 0
	[ "$top" != / ] || return 0
	while [ "$d" != / ] && [ -n "$d" ]; do
		case "$d/" in
		"$top"/*) chmod o+x "$d" 2>/dev/null ;;
		*) break ;;
		esac
		d=$(dirname "$d")
	done
}

# _servers_start NAME DIR: run tests/servers/NAME.sh start DIR, export DIR/env.
# The script picks free ports and then binds them: another process (another
# suite under bats --jobs) may take one in between.  It then picks again.
_servers_start() {
	local name=$1 dir=$2 out try
	if ! _servers_make_reachable "$dir"; then
		fail "${name}_start: cannot create $dir"
		return 1
	fi
	for try in 1 2 3; do
		if out=$("$SERVERS_SCRIPTS_DIR/$name.sh" start "$dir" 2>&1); then
			break
		fi
		if [ "$try" -lt 3 ] && [[ $out == *"Address already in use"* ]]; then
			continue
		fi
		fail "${name}_start: could not start the $name test server in $dir:
$out"
		return 1
	done
	[ -z "$out" ] || printf '%s\n' "$out" >&2
	if [ ! -s "$dir/env" ]; then
		fail "${name}_start: $dir/env missing after start"
		return 1
	fi
	set -a
	# shellcheck disable=SC1091
	. "$dir/env"
	set +a
}

# _servers_stop NAME DIR: tests/servers/NAME.sh stop DIR, if DIR is there.
_servers_stop() {
	[ -d "$2" ] || return 0
	"$SERVERS_SCRIPTS_DIR/$1.sh" stop "$2"
}

exim_start() {
	_servers_start exim "${1:-${BATS_FILE_TMPDIR:?}/exim}"
}

exim_stop() {
	_servers_stop exim "${1:-${EXIM_DIR:-${BATS_FILE_TMPDIR:-}/exim}}"
}

# exim_suite [serial]: define setup_file and teardown_file for a suite of
# tests that share one Exim; serial: its tests run one after the other
# (they count what Exim delivered or logged).
# shellcheck disable=SC2119,SC2317 # Bats calls them; the default DIR
exim_suite() {
	_EXIM_SUITE_SERIAL=${1:-}
	setup_file() {
		if [ "$_EXIM_SUITE_SERIAL" = serial ]; then
			BATS_NO_PARALLELIZE_WITHIN_FILE=true
		fi
		exim_start
	}
	teardown_file() {
		exim_stop
	}
}

# exim_test_lock: the tests of a suite share Exim's maildir and log; this
# lock (on a file of the suite's, held by the test's process until it
# exits, on the descriptor _EXIM_LOCK) lets one test at a time use them.
# A daemon started meanwhile must not inherit it: exim_start {_EXIM_LOCK}>&-
exim_test_lock() {
	if [ -z "${_EXIM_LOCK:-}" ]; then
		exec {_EXIM_LOCK}>"${BATS_FILE_TMPDIR:?}/exim.lock"
		flock "$_EXIM_LOCK"
	fi
}

exim_test_setup() {
	exim_test_lock
	maildir_clear "$EXIM_MAILDIR"
	EXIM_LOG_START=$(($(stat -c %s "$EXIM_LOG") + 1))
}

exim_log_since() {
	tail -c "+$EXIM_LOG_START" "$EXIM_LOG"
}

# A hanging client fails the test instead of hanging the suite.
mailout_exim() {
	local port=$1
	shift
	timeout 60 "$MAILOUT" --host 127.0.0.1 --port "$port" --timeout 20 \
		--helo client.test -f sender@example.org "$@" <"$BATS_TEST_TMPDIR/msg"
}

dovecot_start() {
	_servers_start dovecot "${1:-${BATS_FILE_TMPDIR:?}/dovecot}"
}

dovecot_stop() {
	_servers_stop dovecot "${1:-${DOVECOT_DIR:-${BATS_FILE_TMPDIR:-}/dovecot}}"
}

socks_start() {
	_servers_start microsocks "${1:-${BATS_FILE_TMPDIR:?}/socks}"
}

socks_stop() {
	_servers_stop microsocks "${1:-${SOCKS_DIR:-${BATS_FILE_TMPDIR:-}/socks}}"
}

dovecot_maildir() {
	printf '%s\n' "${DOVECOT_MAILROOT:?dovecot_start not run}/$1/Maildir"
}

# The messages of a maildir (complete ones: new/ and cur/, never tmp/).
maildir_files() {
	local f
	for f in "$1"/new/* "$1"/cur/*; do
		[ -f "$f" ] && printf '%s\n' "$f"
	done
}

maildir_count() {
	local n=0 f
	for f in "$1"/new/* "$1"/cur/*; do
		[ -f "$f" ] && n=$((n + 1))
	done
	echo "$n"
}

maildir_clear() {
	local dir=${1:?maildir_clear DIR}
	rm -f "$dir"/new/* "$dir"/cur/*
}

# The log of the server that owns maildir DIR, for failure messages.
_maildir_server_log() {
	case $1 in
	"${EXIM_DIR:-/nonexistent}"/*) [ -n "${EXIM_LOG:-}" ] && echo "$EXIM_LOG" ;;
	"${DOVECOT_DIR:-/nonexistent}"/*) [ -n "${DOVECOT_LOG:-}" ] && echo "$DOVECOT_LOG" ;;
	esac
}

# maildir_wait N DIR [TIMEOUT]: delivery is asynchronous (Exim delivers
# after it has said 250). Waits until DIR holds N messages, then a short
# moment more to catch extra deliveries; fails if the count is not exactly N.
maildir_wait() {
	local want=${1:?maildir_wait N DIR [TIMEOUT]} dir=${2:?maildir_wait N DIR [TIMEOUT]}
	local timeout=${3:-5} have log
	local deadline=$((SECONDS + timeout))
	while :; do
		have=$(maildir_count "$dir")
		[ "$have" -ge "$want" ] && break
		[ $SECONDS -ge $deadline ] && break
		sleep 0.05
	done
	if [ "$have" -ge "$want" ]; then
		sleep 0.05 # let a further (unwanted) delivery show up
		have=$(maildir_count "$dir")
	fi
	if [ "$have" -ne "$want" ]; then
		log=$(_maildir_server_log "$dir")
		{
			echo "maildir_wait: expected $want message(s) in $dir, found $have (waited up to ${timeout}s)"
			maildir_files "$dir" | sed 's/^/  /'
			if [ -n "$log" ] && [ -f "$log" ]; then
				echo "--- tail of $log:"
				tail -n 15 "$log"
			fi
		} | fail
		return 1
	fi
}

# Exim delivers after its 250: wait until its spool holds no message.
exim_wait_idle() {
	local timeout=${1:-30}
	local deadline=$((SECONDS + timeout))
	while [ -n "$(find "$EXIM_DIR/spool/input" -type f 2>/dev/null)" ]; do
		[ $SECONDS -lt $deadline ] || fail "Exim still has messages in its spool after ${timeout}s"
		sleep 0.1
	done
}

# awk program fragment: for each input file, collect its unfolded headers
# (continuation lines joined with a space, CR dropped) and call
# header(name_lowercased, value) for each; stops reading headers at the
# first empty line.
# shellcheck disable=SC2016 # awk, not shell
_MAIL_HEADERS_AWK='
	FNR == 1 { if (h != "") header_line(h); h = ""; inhead = 1 }
	!inhead { next }
	{ sub(/\r$/, "") }
	/^$/ { if (h != "") header_line(h); h = ""; inhead = 0; next }
	/^[ \t]/ { sub(/^[ \t]+/, " "); h = h $0; next }
	{ if (h != "") header_line(h); h = $0 }
	END { if (h != "") header_line(h) }
	function header_line(l,   i, v) {
		i = index(l, ":"); if (i == 0) return
		v = substr(l, i + 1); sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v)
		header(tolower(substr(l, 1, i - 1)), v)
	}
'

# mail_header NAME FILE: the value of every NAME: header, one a line.
mail_header() {
	local name=${1:?mail_header NAME FILE} file=${2:?mail_header NAME FILE}
	awk -v want="$name" "$_MAIL_HEADERS_AWK"'
		function header(n, v) { if (n == tolower(want)) print v }' "$file"
}

# maildir_find_for ADDR DIR: print the message delivered for ADDR, i.e. whose
# Envelope-to: (Exim) or Delivered-To: (Dovecot, single recipient) header
# names ADDR. Fails unless there is exactly one.
maildir_find_for() {
	local addr=${1:?maildir_find_for ADDR DIR} dir=${2:?maildir_find_for ADDR DIR}
	local files found
	files=$(maildir_files "$dir")
	if [ -n "$files" ]; then
		# shellcheck disable=SC2086
		found=$(awk -v addr="$addr" "$_MAIL_HEADERS_AWK"'
			function header(n, v,   k, i, a) {
				if (n != "envelope-to" && n != "delivered-to") return
				k = split(v, a, ",")
				for (i = 1; i <= k; i++) {
					gsub(/^[ \t<]+|[ \t>]+$/, "", a[i])
					if (tolower(a[i]) == tolower(addr)) { print FILENAME; return }
				}
			}' $files | sort -u)
	fi
	if [ -n "$found" ] && [ "$(printf '%s\n' "$found" | wc -l)" -eq 1 ]; then
		printf '%s\n' "$found"
		return 0
	fi
	{
		echo "maildir_find_for: expected one message for <$addr> in $dir, found $(printf '%s' "$found" | grep -c .)"
		if [ -n "$files" ]; then
			# shellcheck disable=SC2086
			awk "$_MAIL_HEADERS_AWK"'
				function header(n, v) {
					if (n == "envelope-to" || n == "delivered-to") print "  " FILENAME ": " n ": " v }' $files
		fi
	} | fail
	return 1
}

# mail_body FILE: the body, byte for byte (everything after the first empty
# line; an empty line is "" or "\r").
mail_body() {
	sed '1,/^\r\{0,1\}$/d' "${1:?mail_body FILE}"
}
