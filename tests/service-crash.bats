#!/usr/bin/env bats
# The mailout service under load and under kill -9 (issue 16): 200
# callers at once are all served, and a SIGKILL to the whole service at
# any moment, while callers hand messages over or while it flushes its
# queue, loses no message whose caller was told it was taken (exit 0).
# Deliveries twice (a kill between the relay's 250 and the entry's
# removal) are allowed, and counted.
#
# CRASH_ITERATIONS (default 20) and CRASH_SEED (default: random, printed).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	# the tests share the suite's service, queue and Exim
	BATS_NO_PARALLELIZE_WITHIN_FILE=true
	exim_start
	service_setup_file
	service_config "[defaults]" "domain = example.org" "timeout = 20" \
		"host = 127.0.0.1" "port = $EXIM_PORT" "tls = off" \
		"[down]" "host = 127.0.0.1" "port = 1" "tls = off"
	service_start
}

teardown_file() {
	service_teardown_file
	exim_stop
}

setup() {
	[ -n "$(service_pid)" ] || service_start
	maildir_clear "$EXIM_MAILDIR"
	WORK=$BATS_TEST_TMPDIR/work
	CALLERS=()
	mkdir -p "$WORK"
	_servers_make_reachable "$WORK"
	chmod 755 "$WORK"
}

# message N: a small message whose Subject names it.
message() {
	printf '%s\n' "Subject: crash-$1" "" "message $1" >"$WORK/msg-$1"
	chmod 644 "$WORK/msg-$1"
}

# caller N [ARGS...]: message N handed over as SVC_CALLER, in the
# background; its exit status lands in $WORK/rc-N.
caller() {
	local n=$1
	shift
	(
		rc=0
		as_user "$SVC_CALLER" "$SVC_BIN" -i "$@" "rcpt-$n@example.org" \
			<"$WORK/msg-$n" >/dev/null 2>"$WORK/err-$n" || rc=$?
		echo "$rc" >"$WORK/rc-$n"
	) 3>&- &
	CALLERS+=($!)
}

# wait_callers: until every caller started so far has ended (a plain
# wait would wait for a service this shell started, too).
wait_callers() {
	if [ "${#CALLERS[@]}" -gt 0 ]; then wait "${CALLERS[@]}" || :; fi
	CALLERS=()
}

# count_subjects: DELIVERED[N] and QUEUED[N], how many copies of message
# N Exim delivered and how many queue entries hold it; one pass over
# each directory (one grep per message would take minutes for 200).
count_subjects() {
	local n m
	declare -gA DELIVERED=() QUEUED=()
	while read -r n; do
		DELIVERED[$n]=$((${DELIVERED[$n]:-0} + 1))
	done < <(maildir_files "$EXIM_MAILDIR" | xargs -r grep -hx 'Subject: crash-[0-9]*' |
		sed 's/^Subject: crash-//')
	while IFS=: read -r m n; do
		[ -e "${m%.msg}.env" ] && QUEUED[$n]=$((${QUEUED[$n]:-0} + 1))
	done < <(grep -Hx 'Subject: crash-[0-9]*' "$SVC_QUEUE"/*.msg 2>/dev/null |
		sed 's/:Subject: crash-/:/')
	return 0
}

@test "200 callers at once: all served, each message delivered once, none queued" {
	local n bad=0 started=$SECONDS
	for ((n = 1; n <= 200; n++)); do message "$n"; done
	for ((n = 1; n <= 200; n++)); do caller "$n"; done
	wait_callers
	for ((n = 1; n <= 200; n++)); do
		[ "$(cat "$WORK/rc-$n")" = 0 ] || {
			bad=$((bad + 1))
			echo "# caller $n: exit $(cat "$WORK/rc-$n"): $(cat "$WORK/err-$n")" >&3
		}
	done
	echo "# 200 callers served in $((SECONDS - started))s" >&3
	[ "$bad" -eq 0 ]
	maildir_wait 200 "$EXIM_MAILDIR" 120
	count_subjects
	for ((n = 1; n <= 200; n++)); do
		[ "${DELIVERED[$n]:-0}" -eq 1 ] || fail "crash-$n delivered ${DELIVERED[$n]:-0} times"
	done
	assert_queue_empty
}

# kill_at_random MAX_MS: SIGKILL the whole service within MAX_MS.
kill_at_random() {
	local ms=$((RANDOM % ($1 + 1)))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	service_kill9
}

# check_all N_FROM N_TO: after a clean flush, every message whose caller
# exited 0 is delivered (once or more) or still queued; sets DUPS and
# ABSENT (messages not delivered whose caller did not exit 0).
check_all() {
	local n d q rc problems=""
	DUPS=0 ABSENT=0
	count_subjects
	for ((n = $1; n <= $2; n++)); do
		d=${DELIVERED[$n]:-0} q=${QUEUED[$n]:-0}
		rc=$(cat "$WORK/rc-$n" 2>/dev/null || echo 0)
		[ "$d" -le 1 ] || DUPS=$((DUPS + d - 1))
		[ "$q" -le 1 ] || problems+="crash-$n is queued $q times"$'\n'
		if [ "$d" -eq 0 ] && [ "$q" -eq 0 ]; then
			if [ "$rc" -eq 0 ]; then
				problems+="crash-$n: LOST (exit 0: $(cat "$WORK/err-$n" 2>/dev/null))"$'\n'
			else
				ABSENT=$((ABSENT + 1))
			fi
		fi
	done
	[ -z "$problems" ] || fail "$problems"
}

# flush_everything: a clean service, root's -q (every entry, now) until
# the queue is empty (the service's own flush may hold some entries when
# it starts), and Exim done delivering.
flush_everything() {
	local until=$((SECONDS + 60))
	service_start
	# a loaded machine's Exim may defer some for a while
	while [ "$SECONDS" -lt "$until" ]; do
		run as_user root "$SVC_BIN" -q
		assert_success
		[ -n "$(queue_entries)" ] || break
		sleep 0.5
	done
	exim_wait_idle
	service_stop
}

# bats test_tags=slow
@test "kill -9 of the whole service while callers hand messages over: none told 'taken' is lost" {
	local iterations=${CRASH_ITERATIONS:-20} seed=${CRASH_SEED:-$((RANDOM * 32768 + RANDOM))}
	local i n=0 first killed_ok=0
	RANDOM=$seed
	echo "# seed: $seed (CRASH_SEED), $iterations iterations" >&3
	service_stop
	for ((i = 1; i <= iterations; i++)); do
		service_start
		first=$((n + 1))
		for ((j = 0; j < 4; j++)); do
			n=$((n + 1))
			message "$n"
			caller "$n"
		done
		kill_at_random 600
		wait_callers
		for ((j = first; j <= n; j++)); do
			[ "$(cat "$WORK/rc-$j")" != 0 ] || killed_ok=$((killed_ok + 1))
		done
	done
	flush_everything
	check_all 1 "$n"
	echo "# $n messages, $killed_ok told taken; duplicates: $DUPS; absent after a failed hand-over: $ABSENT" >&3
	assert_queue_empty
	service_start
}

# bats test_tags=slow
@test "kill -9 of the whole service while it flushes its queue: nothing lost" {
	local iterations=${CRASH_ITERATIONS:-20} seed=${CRASH_SEED:-$((RANDOM * 32768 + RANDOM))}
	local i n
	RANDOM=$seed
	echo "# seed: $seed (CRASH_SEED), $iterations iterations" >&3
	for ((n = 1; n <= 80; n++)); do
		message "$n"
		caller "$n" -odq
	done
	wait_callers
	for ((n = 1; n <= 80; n++)); do
		[ "$(cat "$WORK/rc-$n")" = 0 ] || fail "queueing crash-$n: $(cat "$WORK/err-$n")"
	done
	service_stop
	# each start flushes what is due; a kill lands anywhere in it
	for ((i = 1; i <= iterations; i++)); do
		service_start
		kill_at_random 300
		[ -n "$(queue_entries)" ] || break
	done
	flush_everything
	check_all 1 80
	echo "# $i starts killed; duplicates: $DUPS" >&3
	[ "$ABSENT" -eq 0 ]
	assert_queue_empty
	service_start
}
