# The mailout service (mailout serve) for the Bats suites (sourced by
# tests/helpers.bash). The service runs as a system user the suite
# creates and removes; callers are other users it creates. Everything
# lives in one directory every user can reach (the checkout may be under
# /root): the binary under test is copied there.
#
#   setup_file()    { service_setup_file; service_start; }
#   teardown_file() { service_teardown_file; }
#
# service_setup_file [CONFIG_LINES...]
#     creates the users, named for the suite (SVC_USER, the service;
#     SVC_CALLER and SVC_OTHER, callers; SVC_STAFF, a group SVC_CALLER is
#     in), SVC_DIR
#     with the binary SVC_BIN, the queue SVC_QUEUE (owner SVC_USER, 0700),
#     the socket's directory and SVC_SOCKET, and the configuration
#     SVC_CONF (0640 root:SVC_USER) holding CONFIG_LINES.
# service_config LINE...   rewrite SVC_CONF with these lines
# service_start [ARGS...]  start mailout serve as SVC_USER (-C SVC_CONF
#     --queue-dir SVC_QUEUE --socket SVC_SOCKET, then ARGS) and wait for its
#     socket; its log SVC_LOG
# service_pid              the master's pid
# service_stop             SIGTERM, and wait for it to end
# service_kill9            SIGKILL to it and all its children
# as_user USER CMD...      run CMD as USER with HOME unset and the
#     environment of a cron job (PATH, MAILOUT_SERVICE=SVC_SOCKET)
# sendmail_as USER ARGS... as_user USER SVC_BIN ARGS..., the message
#     $BATS_TEST_TMPDIR/message on stdin; run's status, stdout and stderr
# free_port                a free TCP port of 127.0.0.1
# lmtp_as USER [client.py ARGS...]  the test client as USER on the socket,
#     the script on stdin
# queue_entries            the ids in SVC_QUEUE, one a line
# assert_queue_empty       SVC_QUEUE has no entry; else fails with its mailq

SVC_CLIENT_PY="$(cd "$(dirname "${BASH_SOURCE[0]}")/../server" && pwd)/client.py"

service_setup_file() {
	local tag

	# the suites run at once: each its own users, which its teardown
	# removes
	tag=$(printf '%s' "${BATS_TEST_FILENAME##*/}" | cksum | cut -c1-6)
	SVC_USER=mosvc$tag SVC_CALLER=mocaller$tag SVC_OTHER=moother$tag
	SVC_STAFF=mostaff$tag
	groupadd -f "$SVC_STAFF"
	id "$SVC_USER" >/dev/null 2>&1 ||
		useradd --system --no-create-home --shell /usr/sbin/nologin "$SVC_USER"
	id "$SVC_CALLER" >/dev/null 2>&1 ||
		useradd --no-create-home --shell /bin/sh -G "$SVC_STAFF" "$SVC_CALLER"
	id "$SVC_OTHER" >/dev/null 2>&1 ||
		useradd --no-create-home --shell /bin/sh "$SVC_OTHER"
	SVC_DIR=$BATS_FILE_TMPDIR/svc
	_servers_make_reachable "$SVC_DIR"
	chmod 755 "$SVC_DIR"
	mkdir -p "$SVC_DIR/bin" "$SVC_DIR/run" "$SVC_DIR/queue"
	cp "$MAILOUT" "$SVC_DIR/bin/mailout"
	chmod 755 "$SVC_DIR/bin" "$SVC_DIR/bin/mailout"
	SVC_BIN=$SVC_DIR/bin/mailout
	SVC_QUEUE=$SVC_DIR/queue
	SVC_SOCKET=$SVC_DIR/run/submit
	SVC_CONF=$SVC_DIR/mailout.conf
	SVC_LOG=$SVC_DIR/service.log
	chown "$SVC_USER" "$SVC_DIR/run" "$SVC_QUEUE"
	chmod 755 "$SVC_DIR/run"
	chmod 700 "$SVC_QUEUE"
	service_config "$@"
	export SVC_USER SVC_CALLER SVC_OTHER SVC_STAFF SVC_DIR SVC_BIN \
		SVC_QUEUE SVC_SOCKET SVC_CONF SVC_LOG
}

service_config() {
	printf '%s\n' "$@" >"$SVC_CONF"
	chown "root:$SVC_USER" "$SVC_CONF"
	chmod 640 "$SVC_CONF"
}

service_start() {
	local i
	: >"$SVC_LOG"
	chmod 644 "$SVC_LOG"
	# the log is written by the service user through its stderr; setsid
	# and setpriv exec, so that the pid is the service's master itself,
	# the leader of a process group of its own (service_kill9)
	setsid setpriv --reuid="$SVC_USER" --regid="$SVC_USER" --init-groups -- \
		env -i PATH=/usr/bin:/bin "$SVC_BIN" serve -C "$SVC_CONF" --queue-dir "$SVC_QUEUE" \
		--socket "$SVC_SOCKET" "$@" </dev/null >>"$SVC_LOG" 2>&1 3>&- &
	echo $! >"$SVC_DIR/service.pid"
	for ((i = 0; i < 200; i++)); do
		[ -S "$SVC_SOCKET" ] && grep -q listening "$SVC_LOG" && return 0
		kill -0 "$(service_pid)" 2>/dev/null || break
		sleep 0.05
	done
	fail "mailout serve did not start: $(cat "$SVC_LOG")"
}

# The master's pid: a test may have restarted the service since
# setup_file.
service_pid() {
	cat "$SVC_DIR/service.pid" 2>/dev/null
}

# (it may have been started by another shell: setup_file's)
service_stop() {
	local i pid
	pid=$(service_pid) || return 0
	kill -TERM "$pid" 2>/dev/null || :
	for ((i = 0; i < 600; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	wait "$pid" 2>/dev/null || :
	rm -f "$SVC_DIR/service.pid"
	service_check_log
}

# service_check_log: the sanitizers found nothing in the service.
service_check_log() {
	if grep -q "Sanitizer" "$SVC_LOG" 2>/dev/null; then
		fail "the service's log: $(cat "$SVC_LOG")"
	fi
}

# service_kill9: SIGKILL to the service's master and every child of it,
# at once (a crash, or systemd's last word). Bash's "Killed" notices, as
# it reaps the job, are not news.
service_kill9() {
	_service_kill9 2>/dev/null
}

_service_kill9() {
	local i pid
	pid=$(service_pid) || return 0
	kill -9 -- "-$pid" 2>/dev/null || :
	for ((i = 0; i < 200; i++)); do
		pgrep -g "$pid" >/dev/null || break
		sleep 0.02
	done
	wait "$pid" 2>/dev/null || :
	rm -f "$SVC_DIR/service.pid"
}

service_teardown_file() {
	service_stop
	userdel "$SVC_CALLER" 2>/dev/null || :
	userdel "$SVC_OTHER" 2>/dev/null || :
	userdel "$SVC_USER" 2>/dev/null || :
	groupdel "$SVC_STAFF" 2>/dev/null || :
}

as_user() {
	local user=$1
	shift
	runuser -u "$user" -- env -i PATH=/usr/bin:/bin LC_ALL=C \
		MAILOUT_SERVICE="$SVC_SOCKET" "$@"
}

sendmail_as() {
	local user=$1
	shift
	run --separate-stderr as_user "$user" "$SVC_BIN" "$@" \
		<"$BATS_TEST_TMPDIR/message"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

lmtp_as() {
	local user=$1
	shift
	as_user "$user" python3 "$SVC_CLIENT_PY" --unix "$SVC_SOCKET" "$@"
}

queue_entries() {
	queue_ids_in "$SVC_QUEUE"
}

assert_queue_empty() {
	[ -z "$(queue_entries)" ] ||
		fail "left in $SVC_QUEUE:
$(MAILOUT_SERVICE=/nonexistent "$SVC_BIN" --queue-dir "$SVC_QUEUE" -bp 2>&1)"
}
