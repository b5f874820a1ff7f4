#!/usr/bin/env bats
# SPEC §7: a queued message is never lost by kill -9. Each iteration
# queues one message (-odq, or after a refused connection; from a pipe or
# from --file; 3-8 kB, or 1 MB so that a kill can land mid-write) and every
# other iteration flushes the queue into a real Exim; each run gets a
# SIGKILL at a random moment within how long such a run takes (some finish
# first). Some messages also have a recipient Exim defers (451), so their
# entries are rewritten by every flush and stay queued.
#
# Then one un-killed flush, and every message must be delivered intact
# (byte for byte) or still queued intact, unless the mailout that queued it
# was killed before it exited 0. Deliveries twice (the kill landed between
# Exim's 250 and the entry's removal) are allowed, and counted.
#
# CRASH_ITERATIONS (default 100) and CRASH_SEED (default: random, printed)
# repeat a run's choices (not its timing).

bats_require_minimum_version 1.5.0
load helpers

exim_suite

setup() {
	exim_test_setup
	QUEUE=$BATS_TEST_TMPDIR/queue
	WORK=$BATS_TEST_TMPDIR/work
	mkdir -p "$WORK"
	mkfifo "$WORK/watch"
}

# watch: the next background job inherits the only write end of a pipe
# whose read end, WATCH_FD, sees EOF once the job has exited: kill_after
# waits on it with read -t (no fork, sub-millisecond) and never kills a
# job that has already exited.
watch() {
	local rw
	# shellcheck disable=SC2094 # a FIFO: opened both ways on purpose
	exec {rw}<>"$WORK/watch" {WATCH_W}>"$WORK/watch" {WATCH_FD}<"$WORK/watch" {rw}<&-
}

# The hot loop forks no subshell: helpers set variables.

# now_us: NOW_US, the time in microseconds.
now_us() {
	local t=$EPOCHREALTIME
	NOW_US=$((10#${t/./}))
}

# make_messages: for each line "N LINES" of stdin, $WORK/msg-N and the
# body Exim must store, $WORK/body-N: a line naming the message, then LINES
# random base64 lines (no dots, no long lines). One process for them all.
make_messages() {
	head -c 800000 /dev/urandom | base64 -w 76 >"$WORK/pool"
	awk -v work="$WORK" -v seed="$RANDOM" '
		FILENAME != "-" { pool[++npool] = $0; next }
		{
			n = $1; lines = $2; off = int(rand() * (npool - lines)) + 1
			body = work "/body-" n; msg = work "/msg-" n
			printf "From: Sender <sender@example.org>\nTo: alice@example.org\n" \
				"Subject: crash-%d\nDate: Mon, 01 Jan 2024 12:00:00 +0000\n" \
				"Message-ID: <crash-%d@example.org>\n\n", n, n >msg
			line = "message crash-" n ": " lines " lines from line " off
			print line >body; print line >msg
			for (i = off; i < off + lines; i++) { print pool[i] >body; print pool[i] >msg }
			close(body); close(msg)
		}
		BEGIN { srand(seed) }' "$WORK/pool" -
}

# kill_after PID MAX_US: PID, started after watch, gets a SIGKILL at a
# random moment in [0, MAX_US] unless it has exited by then (MAX_US 0:
# never). Sets RC and ELAPSED_US (until it exited or was killed).
kill_after() {
	local pid=$1 max=$2 start us delay
	exec {WATCH_W}>&-
	now_us
	start=$NOW_US
	if [ "$max" -eq 0 ]; then
		read -r -u "$WATCH_FD" _ || :
	else
		us=$(((RANDOM * 32768 + RANDOM) % (max + 1)))
		printf -v delay '%d.%06d' $((us / 1000000)) $((us % 1000000))
		RC=0
		read -r -t "$delay" -u "$WATCH_FD" _ || RC=$?
		# (a job that exits just then may already be reaped by bash)
		[ "$RC" -le 128 ] || kill -9 "$pid" || :
	fi
	now_us
	ELAPSED_US=$((NOW_US - start))
	exec {WATCH_FD}<&-
	RC=0
	wait "$pid" || RC=$?
} 2>/dev/null # bash's "Killed" notices, printed as it reaps the job

# queue_kind N: KIND, how message N is queued: input (pipe or --file) x
# how (-odq, or a refused connection first) x size (small or large).
queue_kind() {
	local n=$1 input=file how=refused size=small
	[ $((n % 2)) -ne 0 ] || input=pipe
	[ $((n / 2 % 2)) -ne 0 ] || how=odq
	[ $((n % 7)) -ne 3 ] || size=large
	KIND=$input-$how-$size
}

# queue_killed N KIND MAX_US: queue message N the KIND way, killed at a
# random moment up to MAX_US (0: not killed).
queue_killed() {
	local n=$1 kind=$2 max=$3
	local -a args=(--queue-dir "$QUEUE" -f sender@example.org --helo client.test
		--timeout 20 alice@example.org)
	[ -z "${BUSY[n]:-}" ] || args+=("busy-$n@example.org")
	case $kind in
	*-odq-*) args+=(-odq) ;;
	*) args+=(--host 127.0.0.1 --port 1 --tls off) ;;
	esac
	watch
	case $kind in
	pipe-*) "$MAILOUT" "${args[@]}" < <(cat "$WORK/msg-$n") 2>"$WORK/err-$n" 3>&- & ;;
	*) "$MAILOUT" "${args[@]}" --file "$WORK/msg-$n" </dev/null 2>"$WORK/err-$n" 3>&- & ;;
	esac
	kill_after "$!" "$max"
	QUEUE_RC[n]=$RC
	case $RC in
	0 | 137) ;;
	*) fail "queueing crash-$n ($kind) exited $RC: $(cat "$WORK/err-$n")" ;;
	esac
}

# flush_killed MAX_US: flush the whole queue into Exim, killed at a random
# moment up to MAX_US (0: not killed).
flush_killed() {
	watch
	"$MAILOUT" --flush=all --queue-dir "$QUEUE" --host 127.0.0.1 \
		--port "$EXIM_PORT" --tls off --helo client.test --timeout 20 \
		</dev/null 2>"$WORK/flush-err" 3>&- &
	kill_after "$!" "$1"
	case $RC in
	0 | 137) ;;
	*) fail "a flush exited $RC: $(cat "$WORK/flush-err")" ;;
	esac
	# a flush reports an entry it cannot read (and leaves it), or one it
	# cannot update; with Exim up it has nothing else to say. A kill that
	# lands in the sanitizer's exit-time leak check makes its runtime
	# print "==PID==..." lines: those are not mailout's.
	! grep -v '^==[0-9]*==' "$WORK/flush-err" >"$WORK/flush-said" ||
		fail "the flush complained: $(cat "$WORK/flush-said")"
}

# queue_entries: ENTRIES, how many entries the queue holds.
queue_entries() {
	local -a ids
	mapfile -t ids < <(queue_ids_in "$QUEUE")
	ENTRIES=${#ids[@]}
}

# leftovers: LEFTOVERS, what kills left for queue_sweep (tmp. files, and
# messages without an entry).
leftovers() {
	local f
	LEFTOVERS=0
	for f in "$QUEUE"/tmp.* "$QUEUE"/*.msg; do
		if [[ $f == */tmp.* ]] || [ ! -e "${f%.msg}.env" ]; then
			[ ! -e "$f" ] || LEFTOVERS=$((LEFTOVERS + 1))
		fi
	done
}

# check_copies STRIP_CR FILE...: for each FILE, "N ok FILE" when its
# Subject: is crash-N and its body (line ends CRLF if STRIP_CR, else LF) is
# body-N line for line, else "N bad FILE". One process for them all.
check_copies() {
	awk -v work="$WORK" -v strip_cr="$1" '
		FNR == 1 && NR > 1 { done() }
		FNR == 1 { file = FILENAME }
		FNR > 1 && !inhead {
			if (strip_cr && !sub(/\r$/, "")) bad = 1
			if (!started) {
				started = 1
				if (subject ~ /^crash-[0-9]+$/) n = substr(subject, 7)
				expect = work "/body-" n
				bad = bad || n == ""
			}
			if (!bad && ((getline line <expect) <= 0 || line != $0)) bad = 1
		}
		'"$_MAIL_HEADERS_AWK"'
		function header(name, v) { if (name == "subject") subject = v }
		function done() {
			if (!started || (!bad && (getline line <expect) > 0)) bad = 1
			if (started) close(expect)
			print (n == "" ? "-" : n), (bad ? "bad" : "ok"), file
			started = bad = 0; n = subject = ""
		}
		END { if (NR > 0) done() }' "${@:2}"
}

# check_queue: -bp lists every entry without an error, each entry's message
# is intact; sets QUEUED[N] (entries) and QUEUED_RCPTS[N].
check_queue() {
	local line n id what file
	local -A crash_of=()
	QUEUED=() QUEUED_RCPTS=()
	"$MAILOUT" -bp --queue-dir "$QUEUE" >"$WORK/bp" 2>"$WORK/bp-err" ||
		fail "mailout -bp failed: $(cat "$WORK/bp-err")"
	[ ! -s "$WORK/bp-err" ] || fail "mailout -bp: $(cat "$WORK/bp-err")"
	local -a msgs=()
	while IFS= read -r line; do
		[[ ! $line =~ ^([0-9]{14}\.[0-9a-f]{10})\  ]] || msgs+=("$QUEUE/${BASH_REMATCH[1]}.msg")
	done <"$WORK/bp"
	[ ${#msgs[@]} -gt 0 ] || return 0
	while read -r n what file; do
		[ "$what" = ok ] || fail "queue entry $file (crash-$n): its message is corrupt"
		crash_of[$file]=$n
		QUEUED[n]=$((${QUEUED[n]:-0} + 1))
	done < <(check_copies 1 "${msgs[@]}")
	while IFS= read -r line; do
		if [[ $line =~ ^([0-9]{14}\.[0-9a-f]{10})\  ]]; then
			id=${BASH_REMATCH[1]}
			n=${crash_of[$QUEUE/$id.msg]}
		elif [[ $line =~ ^\ +\<(.*)\>$ ]]; then
			QUEUED_RCPTS[n]+="${BASH_REMATCH[1]} "
		fi
	done <"$WORK/bp"
}

# check_delivered: every message in the maildir is intact; sets
# DELIVERED[N].
check_delivered() {
	local n what file
	local -a files
	DELIVERED=()
	mapfile -t files < <(maildir_files "$EXIM_MAILDIR")
	[ ${#files[@]} -gt 0 ] || return 0
	while read -r n what file; do
		[ "$what" = ok ] || fail "$file (crash-$n): delivered corrupt"
		DELIVERED[n]=$((${DELIVERED[n]:-0} + 1))
	done < <(check_copies 0 "${files[@]}")
}

# bats test_tags=slow
@test "kill -9 while queueing and while flushing into Exim: no message lost or corrupt" {
	local iterations=${CRASH_ITERATIONS:-100} seed=${CRASH_SEED:-$((RANDOM * 32768 + RANDOM))}
	local n kind lines plan='' max entries started=$SECONDS
	local -A cost=()
	local -a QUEUE_RC=() BUSY=() QUEUED=() QUEUED_RCPTS=() DELIVERED=()
	local flush_cost=0 flush_entries=1 q_killed=0 f_killed=0 f_runs=0
	local dups=0 lost_killed=0 problems=""
	RANDOM=$seed
	echo "# seed: $seed (CRASH_SEED), $iterations iterations" >&3
	for ((n = 1; n <= iterations; n++)); do
		queue_kind "$n"
		lines=$((40 + RANDOM % 60)) # 3 to 8 kB
		[ "${KIND##*-}" = small ] || lines=13000 # 1 MB
		plan+="$n $lines"$'\n'
	done
	make_messages <<<"$plan"

	for ((n = 1; n <= iterations; n++)); do
		# some messages keep a recipient that Exim defers (451): their
		# entry is rewritten by every flush and never leaves the queue
		[ $((n % 9)) -ne 4 ] || BUSY[n]=1
		queue_kind "$n"
		kind=$KIND

		# The kill lands anywhere in how long a run of the kind takes (the
		# mean of those that were not killed; the first is not killed).
		max=$((${cost[$kind]:-0} * 5 / 4))
		queue_killed "$n" "$kind" "$max"
		if [ "${QUEUE_RC[n]}" -eq 137 ]; then
			q_killed=$((q_killed + 1))
		else
			cost[$kind]=$(((${cost[$kind]:-$ELAPSED_US} + ELAPSED_US) / 2))
		fi

		# the same for a flush (every other iteration, to save time),
		# which takes longer with more entries
		[ $((n % 2)) -eq 1 ] || continue
		queue_entries
		entries=$ENTRIES
		max=$((flush_cost * (entries + 2) * 5 / (flush_entries + 2) / 4))
		flush_killed "$max"
		f_runs=$((f_runs + 1))
		if [ "$RC" -eq 137 ]; then
			f_killed=$((f_killed + 1))
		else
			flush_cost=$ELAPSED_US flush_entries=$entries
		fi
	done
	queue_entries
	leftovers
	echo "# queueing: $q_killed of $iterations killed; flushing: $f_killed of $f_runs killed; left: $ENTRIES entries, $LEFTOVERS leftover files" >&3

	# What the kills left must be readable, intact entries.
	check_queue
	# The un-killed flush sends everything but the deferred recipients.
	flush_killed 0
	exim_wait_idle
	check_queue
	check_delivered

	for ((n = 1; n <= iterations; n++)); do
		local d=${DELIVERED[n]:-0} q=${QUEUED[n]:-0} rc=${QUEUE_RC[n]}
		[ "$d" -le 1 ] || dups=$((dups + d - 1))
		if [ "$q" -gt 1 ]; then
			problems+="crash-$n is queued $q times"$'\n'
		elif [ -n "${BUSY[n]:-}" ] && [ "$d" -gt 0 ] && [ "$q" -eq 0 ]; then
			problems+="crash-$n: delivered, but busy-$n@example.org is no longer queued"$'\n'
		elif [ -n "${BUSY[n]:-}" ] && [ "$q" -eq 1 ] &&
			[ "${QUEUED_RCPTS[n]}" != "busy-$n@example.org " ]; then
			problems+="crash-$n: queued for '${QUEUED_RCPTS[n]}', expected busy-$n@example.org only"$'\n'
		elif [ -n "${BUSY[n]:-}" ] && [ "$q" -eq 1 ] && [ "$d" -eq 0 ]; then
			problems+="crash-$n: queued for busy-$n@example.org only, never delivered to alice"$'\n'
		elif [ -z "${BUSY[n]:-}" ] && [ "$q" -gt 0 ]; then
			problems+="crash-$n: still queued after the final flush"$'\n'
		elif [ "$d" -eq 0 ] && [ "$q" -eq 0 ]; then
			if [ "$rc" -eq 0 ]; then
				problems+="crash-$n: LOST (queued with exit 0: $(cat "$WORK/err-$n"))"$'\n'
			else
				lost_killed=$((lost_killed + 1))
			fi
		fi
	done
	echo "# duplicates: $dups; absent after a killed queueing: $lost_killed; $((SECONDS - started))s" >&3
	[ -z "$problems" ] || fail "$problems"
}
