#!/usr/bin/env bats
# SOCKS5 (RFC 1928, issue 21): proxy = socks5://[user@]host:port, or
# --proxy, with the user's password (RFC 1929) from proxy_password_command.
# The proxy is a real one, Debian's microsocks, started and stopped by the
# suite on a free port of 127.0.0.1 (tests/servers/microsocks.sh). It alone
# resolves mail.test and other.test, so a relay reached by one of those
# names was resolved by the proxy. The relay is a real Exim; its
# certificate names mail.test and 127.0.0.1, not other.test: TLS checks
# the relay's name, never the proxy's (127.0.0.1).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	# the tests share the suite's servers and what they count
	BATS_NO_PARALLELIZE_WITHIN_FILE=true
	exim_start
	socks_start
}

teardown_file() {
	socks_stop
	exim_stop
}

setup() {
	relay_setup
	maildir_clear "$EXIM_MAILDIR"
}

# via ARGS...: relay_run through the proxy, as its user.
via() {
	relay_run --proxy "socks5://$SOCKS_USER@127.0.0.1:$SOCKS_PORT" \
		--proxy-password-command "echo $SOCKS_PASSWORD" "$@"
}

# assert_exim_got: one message for rcpt@example.com, this test's.
assert_exim_got() {
	local file
	maildir_wait 1 "$EXIM_MAILDIR"
	file=$(maildir_find_for rcpt@example.com "$EXIM_MAILDIR")
	grep -q "^Subject: relay test $BATS_TEST_NUMBER\$" "$file" ||
		fail "not this test's message: $(cat "$file")"
}

@test "through the proxy as its user: delivered; -v names the proxy and never shows the password" {
	via --host 127.0.0.1 --port "$EXIM_PORT" --tls off -v rcpt@example.com
	assert_success
	[[ $stderr == *"-- connected to 127.0.0.1:$EXIM_PORT via SOCKS5 proxy 127.0.0.1 [127.0.0.1]:$SOCKS_PORT"* ]] ||
		fail "stderr: $stderr"
	[[ $stderr != *"$SOCKS_PASSWORD"* ]] || fail "the password is shown: $stderr"
	assert_exim_got
}

@test "the proxy resolves the relay's name: mail.test, which mailout alone cannot" {
	relay_run --host mail.test --port "$EXIM_PORT" --tls off --no-queue rcpt@example.com
	assert_failure 68
	via --host mail.test --port "$EXIM_PORT" --tls off rcpt@example.com
	assert_success
	assert_exim_got
}

@test "TLS through the proxy checks the relay's name: mail.test is verified" {
	via --host mail.test --port "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" -v rcpt@example.com
	assert_success
	[[ $stderr == *'-- certificate verified for mail.test'* ]] || fail "stderr: $stderr"
	assert_exim_got
}

@test "TLS through the proxy: other.test is not in the certificate (the proxy's 127.0.0.1 is): exit 69" {
	via --host other.test --port "$EXIM_PORT" --tls starttls \
		--tls-trust-file "$EXIM_CERTS/ca.pem" --no-queue rcpt@example.com
	assert_failure 69
	[[ $stderr == *'certificate does not match the host name other.test'* ]] ||
		fail "stderr: $stderr"
	assert_equal "$(maildir_count "$EXIM_MAILDIR")" 0
}

@test "a relay behind a proxy is never loopback: tls = auto asks for STARTTLS" {
	via --host 127.0.0.1 --port "$EXIM_PORT" --tls-trust-file "$EXIM_CERTS/ca.pem" \
		-v rcpt@example.com
	assert_success
	[[ $stderr == *'C: STARTTLS'* ]] || fail "no STARTTLS: $stderr"
	assert_exim_got
}

@test "the wrong password: exit 77, nothing sent" {
	relay_run --proxy "socks5://$SOCKS_USER@127.0.0.1:$SOCKS_PORT" \
		--proxy-password-command 'echo wrong' --host 127.0.0.1 \
		--port "$EXIM_PORT" --tls off rcpt@example.com
	assert_failure 77
	[[ $stderr == *"SOCKS5 proxy 127.0.0.1 [127.0.0.1]:$SOCKS_PORT refused the user name and password of $SOCKS_USER"* ]] ||
		fail "stderr: $stderr"
	assert_equal "$(maildir_count "$EXIM_MAILDIR")" 0
}

@test "no user, but the proxy wants one: exit 77 saying so" {
	relay_run --proxy "socks5://127.0.0.1:$SOCKS_PORT" --host 127.0.0.1 \
		--port "$EXIM_PORT" --tls off rcpt@example.com
	assert_failure 77
	[[ $stderr == *'wants authentication: give a user (socks5://USER@host:port) and proxy_password_command'* ]] ||
		fail "stderr: $stderr"
}

@test "a user without proxy_password_command: exit 78" {
	relay_run --proxy "socks5://$SOCKS_USER@127.0.0.1:$SOCKS_PORT" \
		--host 127.0.0.1 --port "$EXIM_PORT" --tls off rcpt@example.com
	assert_failure 78
	[[ $stderr == *'the proxy names a user: give proxy_password_command'* ]] ||
		fail "stderr: $stderr"
}

@test "a proxy_password_command that fails or prints nothing is named: exit 77, nothing sent" {
	relay_run --proxy "socks5://$SOCKS_USER@127.0.0.1:$SOCKS_PORT" \
		--proxy-password-command 'exit 3' --host 127.0.0.1 \
		--port "$EXIM_PORT" --tls off --no-queue rcpt@example.com
	assert_failure 77
	[[ $stderr == *'proxy_password_command '*3* ]] || fail "stderr: $stderr"
	relay_run --proxy "socks5://$SOCKS_USER@127.0.0.1:$SOCKS_PORT" \
		--proxy-password-command 'true' --host 127.0.0.1 \
		--port "$EXIM_PORT" --tls off --no-queue rcpt@example.com
	assert_failure 77
	[[ $stderr == *'proxy_password_command printed nothing'* ]] || fail "stderr: $stderr"
	assert_equal "$(maildir_count "$EXIM_MAILDIR")" 0
}

@test "proxy URLs that are not socks5://[user@]host[:port]: exit 64 (option) or 78 (file)" {
	local url
	for url in http://127.0.0.1:1080 'socks5://alice:pw@127.0.0.1:1080' \
		socks5:// 'socks5://127.0.0.1:0' 'socks5://a b:1080'; do
		relay_run --proxy "$url" rcpt@example.com
		assert_failure 64
		[[ $stderr == *'--proxy: expected socks5://[user@]host[:port] (the password goes in proxy_password_command)'* ]] ||
			fail "$url: $stderr"
	done
	printf '[defaults]\nproxy = socks4://x\n' >"$BATS_TEST_TMPDIR/conf"
	relay_run -C "$BATS_TEST_TMPDIR/conf" rcpt@example.com
	assert_failure 78
}

@test "the proxy cannot reach the first relay: the next relay, through the proxy" {
	local dead
	dead=$(free_ports 1)
	via --host "127.0.0.1:$dead, mail.test:$EXIM_PORT" --tls off -v rcpt@example.com
	assert_success
	[[ $stderr == *"cannot connect to 127.0.0.1:$dead: connection refused; next relay: mail.test:$EXIM_PORT"* ]] ||
		fail "stderr: $stderr"
	assert_exim_got
}

@test "the proxy is down: exit 75 naming it, queued" {
	local dead
	dead=$(free_ports 1)
	relay_run --proxy "socks5://127.0.0.1:$dead" --host 127.0.0.1 \
		--port "$EXIM_PORT" --tls off rcpt@example.com
	assert_success
	[[ $stderr == *"mailout: SOCKS5 proxy: cannot connect to 127.0.0.1 [127.0.0.1]:$dead: Connection refused"* ]] ||
		fail "stderr: $stderr"
	[[ $stderr == *'queued as'* ]] || fail "stderr: $stderr"
}
