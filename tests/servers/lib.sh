# What the throwaway servers' scripts (exim.sh, dovecot.sh) share; sourced
# by them.
#
#   die MESSAGE...         print "SCRIPT: MESSAGE" on stderr, exit 1
#   alive PID              the process exists and is not a zombie
#   port_open PORT         something listens on 127.0.0.1:PORT
#   free_ports N           N distinct free TCP ports on 127.0.0.1
#   show_logs FILE...      the tail of each non-empty FILE, on stderr (what
#                          a failed start shows)
#   kill_rest PID PIDS     KILL the PIDS, then wait (1 s at most) for PID
#   servers_main ARGS...   run start DIR or stop DIR (the script's functions)

SCRIPT_NAME=${0##*/}

die() {
	echo "$SCRIPT_NAME: $*" >&2
	exit 1
}

alive() {
	local st
	[ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
	st=$(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null) || return 1
	[ "${st:1:1}" != Z ]
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_ports() {
	python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

show_logs() {
	local f
	for f in "$@"; do
		if [ -s "$f" ]; then
			echo "--- tail of $f:" >&2
			tail -n 20 "$f" >&2
		fi
	done
}

kill_rest() {
	local pid=$1 i
	shift
	[ $# -gt 0 ] || return 0
	kill -KILL "$@" 2>/dev/null
	for ((i = 0; i < 20; i++)); do
		alive "$pid" || break
		sleep 0.05
	done
}

servers_main() {
	[ $# -eq 2 ] || die "usage: $SCRIPT_NAME start|stop DIR"
	case $1 in
	start) start "$2" ;;
	stop) stop "$2" ;;
	*) die "usage: $SCRIPT_NAME start|stop DIR" ;;
	esac
}
