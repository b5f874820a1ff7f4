#!/bin/sh
# make demo: send a sample message to three recipients (one refused) through
# src/mailout -v, against the scripted test server on a free port, and show
# the transcript, the refused-recipient report and the exit status.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
trap 'kill "$server" 2>/dev/null; rm -rf "$dir"' EXIT INT TERM

cat >"$dir/script" <<'SCRIPT'
send 220 demo.test ESMTP scripted demo server
expect EHLO .*
send 250-demo.test
send 250 8BITMIME
expect MAIL FROM:<.*>
send 250 2.1.0 Ok
expect RCPT TO:<alice@example\.org>
send 250 2.1.5 Ok
expect RCPT TO:<nouser@example\.org>
send 550 5.1.1 <nouser@example.org>: No such user
expect RCPT TO:<bob@example\.org>
send 250 2.1.5 Ok
expect DATA
send 354 End data with <CR><LF>.<CR><LF>
data
send 250 2.0.0 Ok: queued as DEMO1
SCRIPT

python3 "$top/tests/server/scripted.py" --port-file "$dir/port" \
	--capture "$dir/capture" --log "$dir/log" "$dir/script" \
	</dev/null >"$dir/server.out" 2>&1 &
server=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$dir/port" ] || { echo "demo: test server did not start" >&2; cat "$dir/server.out"; exit 1; }
port=$(cat "$dir/port")

cat <<MSG >"$dir/message"
From: Demo Sender <demo@example.org>
To: alice@example.org, nouser@example.org, bob@example.org
Subject: mailout demo
Date: $(LC_ALL=C date -R)
Message-ID: <demo.$$@example.org>

Hello from mailout.
.A line that starts with a dot goes out dot-stuffed.
MSG

echo "\$ src/mailout -v --host 127.0.0.1 --port $port -f demo@example.org \\"
echo "      --file message alice@example.org nouser@example.org bob@example.org"
echo
"$top/src/mailout" -v --host 127.0.0.1 --port "$port" -f demo@example.org \
	--file "$dir/message" alice@example.org nouser@example.org bob@example.org 2>&1
status=$?
echo
echo "exit status: $status (67 = EX_NOUSER: a recipient was refused, the others got the message)"
wait "$server" 2>/dev/null
echo
echo "The bytes the server received:"
sed 's/\r$/\\r/' "$dir/capture"
exit 0
