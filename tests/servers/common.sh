# Shared by the throwaway test servers' scripts (tests/servers/*.sh) and
# the Bats helpers that need a port: sourced, never run.

# free_ports N: N distinct free TCP ports on 127.0.0.1, space separated.
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

# alive PID: the process exists and is not a zombie
alive() {
	local st
	[ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
	st=$(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null) || return 1
	[ "${st:1:1}" != Z ]
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
