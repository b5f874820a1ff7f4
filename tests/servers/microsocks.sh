#!/bin/bash
# A throwaway SOCKS5 proxy (Debian's microsocks) for the test suite.
#
#   tests/servers/microsocks.sh start DIR   start it; writes DIR/env
#   tests/servers/microsocks.sh stop DIR    stop it
#
# It listens on 127.0.0.1 and wants a user name and password (RFC 1929).
# It resolves names with a hosts file of its own, in a private mount
# namespace (so it needs root): mail.test and other.test are 127.0.0.1
# for the proxy and for nobody else, which shows who resolved a name.
#
# DIR/env (shell assignments, safe to `.`):
#   SOCKS_PORT       the proxy's port on 127.0.0.1
#   SOCKS_USER       the user name it wants
#   SOCKS_PASSWORD   and its password
#   SOCKS_DIR        DIR
set -uo pipefail

# shellcheck source=tests/servers/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"
START_TIMEOUT=${SOCKS_START_TIMEOUT:-10}
USER_NAME=relay-user
PASSWORD=relay-secret

die() { echo "microsocks.sh: $*" >&2; exit 1; }

start() {
	local dir=$1 port pid deadline
	command -v microsocks >/dev/null || die "microsocks not found (apt-get install microsocks)"
	[ "$(id -u)" = 0 ] || die "must run as root (a private /etc/hosts)"
	mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || die "cannot create $dir"
	printf '127.0.0.1 localhost mail.test other.test\n' >"$dir/hosts"
	printf 'hosts: files\n' >"$dir/nsswitch.conf"
	port=$(free_ports 1) || die "cannot find a free port"
	# unshare and sh exec: $! is microsocks itself. It must not hold the
	# caller's stdout or stderr (Bats would wait for them).
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m sh -c 'mount --bind "$1/hosts" /etc/hosts &&
		mount --bind "$1/nsswitch.conf" /etc/nsswitch.conf &&
		exec microsocks -i 127.0.0.1 -p "$2" -u "$3" -P "$4"' \
		sh "$dir" "$port" "$USER_NAME" "$PASSWORD" \
		</dev/null >"$dir/microsocks.log" 2>&1 3>&- &
	pid=$!
	echo "$pid" >"$dir/microsocks.pid"
	deadline=$((SECONDS + START_TIMEOUT))
	until port_open "$port"; do
		if ! alive "$pid" || [ $SECONDS -ge $deadline ]; then
			echo "microsocks.sh: not listening on 127.0.0.1:$port" >&2
			cat "$dir/microsocks.log" >&2
			stop "$dir"
			exit 1
		fi
		sleep 0.05
	done
	cat >"$dir/env" <<EOF
SOCKS_PORT=$port
SOCKS_USER=$USER_NAME
SOCKS_PASSWORD=$PASSWORD
SOCKS_DIR=$dir
EOF
}

stop() {
	local dir=$1 pid i
	pid=$(cat "$dir/microsocks.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 40; i++)); do
		alive "$pid" || break
		sleep 0.05
	done
	alive "$pid" && kill -KILL "$pid" 2>/dev/null
	rm -f "$dir/microsocks.pid"
	return 0
}

[ $# -eq 2 ] || die "usage: microsocks.sh start|stop DIR"
case $1 in
start) start "$2" ;;
stop) stop "$2" ;;
*) die "usage: microsocks.sh start|stop DIR" ;;
esac
