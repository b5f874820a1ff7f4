#!/usr/bin/env bats
# --version: the version, GnuTLS's, the SASL mechanisms, the configuration
# files read (in order, and which exist), the queue directory and the
# service socket; and the same two paths in --dry-run. The built-in paths
# are the ones make wrote into paths.h for this build.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	unset MAILOUT_CONFIG MAILOUT_SERVICE
	export MAILOUT_SYSCONFDIR=$BATS_TEST_TMPDIR/etc
	export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/xdg
	mkdir -p "$MAILOUT_SYSCONFDIR" "$XDG_CONFIG_HOME/mailout"
}

teardown() {
	if [ -n "${SOCKET_PID:-}" ]; then kill "$SOCKET_PID" 2>/dev/null || true; fi
	if [ -n "${SHARED:-}" ]; then rm -rf "$SHARED"; fi
}

# built_in NAME: the string paths.h defines as NAME.
built_in() {
	sed -n "s/^#define $1 \"\\(.*\\)\"\$/\\1/p" "$TOP_DIR/paths.h"
}

version() {
	run --separate-stderr "$MAILOUT" "$@" --version
}

@test "--version: version, GnuTLS, SASL mechanisms; exit 0, nothing on stderr" {
	local want
	want=$(sed -n 's/^AC_INIT(\[mailout\], \[\([^]]*\)\].*/\1/p' "$TOP_DIR/configure.ac")
	version
	assert_success
	# shellcheck disable=SC2154 # stderr: set by run
	assert_equal "$stderr" ""
	assert_line --index 0 "mailout $want"
	assert_line --index 1 --regexp '^GnuTLS [0-9]+\.[0-9]+\.[0-9]+$'
	assert_line --index 2 'SASL mechanisms: SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 PLAIN LOGIN XOAUTH2 OAUTHBEARER EXTERNAL'
	assert_line --partial 'ISC'
}

@test "--version: the system file, then the user's, each marked exists or missing" {
	version
	assert_line --index 3 "config file: $MAILOUT_SYSCONFDIR/mailout.conf (missing)"
	assert_line --index 4 "config file: $XDG_CONFIG_HOME/mailout/config (missing)"
	: >"$MAILOUT_SYSCONFDIR/mailout.conf"
	version
	assert_line --index 3 "config file: $MAILOUT_SYSCONFDIR/mailout.conf (exists)"
	assert_line --index 4 "config file: $XDG_CONFIG_HOME/mailout/config (missing)"
	unset XDG_CONFIG_HOME
	HOME=$BATS_TEST_TMPDIR/home version
	assert_line --index 4 "config file: $BATS_TEST_TMPDIR/home/.config/mailout/config (missing)"
}

@test "--version: the system file of this build without \$MAILOUT_SYSCONFDIR" {
	unset MAILOUT_SYSCONFDIR
	version
	assert_line --index 3 --regexp "^config file: $(built_in SYSCONFDIR)/mailout\\.conf \\((exists|missing)\\)\$"
}

@test "--version: --config and \$MAILOUT_CONFIG are read alone" {
	printf '[defaults]\n' >"$BATS_TEST_TMPDIR/my.conf"
	version --config "$BATS_TEST_TMPDIR/my.conf"
	assert_line --index 3 "config file: $BATS_TEST_TMPDIR/my.conf (exists; --config, read alone)"
	refute_line --partial "$MAILOUT_SYSCONFDIR"
	MAILOUT_CONFIG=$BATS_TEST_TMPDIR/none version
	assert_success
	assert_line --index 3 "config file: $BATS_TEST_TMPDIR/none (missing; \$MAILOUT_CONFIG, read alone)"
	assert_line --partial "configuration error: cannot read $BATS_TEST_TMPDIR/none"
}

@test "--version: a file this user cannot read is named so" {
	nobody_dir
	printf '[defaults]\n' >"$SHARED/mailout.conf"
	chmod 000 "$SHARED/mailout.conf"
	run --separate-stderr as_nobody env HOME=/nonexistent MAILOUT_SYSCONFDIR="$SHARED" \
		XDG_STATE_HOME="$SHARED/state" "$SHARED/mailout" --version
	assert_success
	assert_line --index 3 "config file: $SHARED/mailout.conf (exists, not readable by this user)"
	assert_line --partial "configuration error: cannot read $SHARED/mailout.conf: Permission denied"
	# a user's queue, not the system spool
	assert_line "queue directory: $SHARED/state/mailout/queue"
}

@test "--version: the queue directory is root's spool of this build, or queue_dir" {
	[ "$(id -u)" = 0 ] || skip "the system spool is root's"
	version
	assert_line "queue directory: $(built_in QUEUE_DIR_SYSTEM)"
	printf '[defaults]\nqueue_dir = /srv/q\n' >"$XDG_CONFIG_HOME/mailout/config"
	version
	assert_line "queue directory: /srv/q"
}

@test "--version: a configuration mistake is shown, not fatal" {
	printf '[defaults]\nhots = x\n' >"$MAILOUT_SYSCONFDIR/mailout.conf"
	version
	assert_success
	assert_line "configuration error: $MAILOUT_SYSCONFDIR/mailout.conf:2: unknown key \"hots\"; did you mean \"host\"?"
	assert_line --regexp '^queue directory: '
}

@test "--version: the service socket of this build, or \$MAILOUT_SERVICE, and whether it is there" {
	local sock=$BATS_TEST_TMPDIR/submit
	version
	assert_line --regexp "^service socket: $(built_in SERVICE_SOCKET) \\((present|not present)\\)\$"
	MAILOUT_SERVICE=$sock version
	assert_line "service socket: $sock (not present)"
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); time.sleep(60)' \
		"$sock" </dev/null >/dev/null 2>&1 3>&- &
	SOCKET_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do [ -S "$sock" ] && break; sleep 0.05; done
	MAILOUT_SERVICE=$sock version
	assert_line "service socket: $sock (present)"
	: >"$BATS_TEST_TMPDIR/file"
	MAILOUT_SERVICE=$BATS_TEST_TMPDIR/file version
	assert_line "service socket: $BATS_TEST_TMPDIR/file (not a socket)"
}

@test "--dry-run names the queue directory and the service socket too" {
	printf '[defaults]\nqueue_dir = /srv/q\n' >"$XDG_CONFIG_HOME/mailout/config"
	run --separate-stderr env MAILOUT_SERVICE=/run/x/submit "$MAILOUT" \
		--dry-run a@example.org </dev/null
	assert_success
	assert_line "queue directory: /srv/q"
	assert_line "service socket: /run/x/submit (not present)"
}
