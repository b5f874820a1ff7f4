#!/usr/bin/env bats
# The system's mail name (Debian policy 11.6): with no `domain` in the
# configuration, the first line of /etc/mailname, else the host's fully
# qualified name, is the default domain of bare addresses, the EHLO name
# and the domain of an added Message-ID and From. Each test gives mailout
# its own /etc (an overlay over the real one: the test writes or hides
# mailname, hosts and nsswitch.conf there) and its own host name, in
# private mount and UTS namespaces, and reads the bytes on the wire from
# the scripted server. The real machine is not touched.

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	scripted_teardown
}

setup() {
	if [ "$(id -u)" != 0 ]; then
		skip "needs root: the test gives mailout its own /etc (unshare -m)"
	fi
	command -v unshare >/dev/null || skip "needs unshare (util-linux)"
	ETC=$BATS_TEST_TMPDIR/etc
	mkdir -p "$ETC/upper" "$ETC/work"
	# Names come from these files alone, never from DNS.
	printf 'hosts: files\n' >"$ETC/upper/nsswitch.conf"
	hosts '127.0.0.1 localhost'
	with_etc box true 2>/dev/null ||
		skip "no private overlay of /etc here (unshare -mu, overlayfs)"
	printf '%s\n' "Subject: mail name test $BATS_TEST_NUMBER" "" "Hello." \
		>"$BATS_TEST_TMPDIR/message"
}

# hosts LINE...: the /etc/hosts mailout sees.
hosts() {
	printf '%s\n' "$@" >"$ETC/upper/hosts"
}

# mailname TEXT: the /etc/mailname mailout sees; no_mailname: none at all
# (an overlay whiteout hides the real one).
mailname() {
	rm -f "$ETC/upper/mailname"
	printf '%s\n' "$1" >"$ETC/upper/mailname"
}

no_mailname() {
	rm -f "$ETC/upper/mailname"
	mknod "$ETC/upper/mailname" c 0 0
}

# with_etc HOSTNAME CMD...: run CMD with that host name and the overlay
# as /etc.
with_etc() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -mu sh -c 'mount -t overlay overlay \
		-o "lowerdir=/etc,upperdir=$1/upper,workdir=$1/work" /etc &&
		hostname "$2" && shift 2 && exec "$@"' sh "$ETC" "$@"
}

# serve NAME DOMAIN: a server that wants EHLO NAME, and the sender and the
# recipient (root, bare on the command line) qualified with DOMAIN.
serve() {
	local name=${1//./\\.} DIALOGUE_FROM=root@$2
	local DIALOGUE_RCPTS=("root@$2")
	scripted_start < <(printf '%s\n' 'send 220 server.test ESMTP' \
		"expect EHLO $name" 'send 250 server.test'; dialogue_tail)
}

# send_root HOSTNAME [ARGS...]: as root, with no -f, to the bare name root;
# a failure is not queued (root's queue is the machine's spool).
send_root() {
	local host=$1
	shift
	run --separate-stderr with_etc "$host" timeout 60 "$MAILOUT" --no-queue \
		--host 127.0.0.1 --port "$SERVER_PORT" "$@" root \
		<"$BATS_TEST_TMPDIR/message"
}

# assert_wire NAME DOMAIN: the exact envelope, and the Message-ID and From
# mailout added.
assert_wire() {
	assert_capture_prefix_printf 'EHLO %s\r\nMAIL FROM:<root@%s>\r\nRCPT TO:<root@%s>\r\nDATA\r\n' \
		"$1" "$2" "$2"
	grep -qE "^Message-ID: <[0-9a-f.]+@${2//./\\.}>"$'\r$' "$SERVER_CAPTURE" ||
		fail "no Message-ID @$2 in: $(cat -A "$SERVER_CAPTURE")"
	grep -q "^From: root@$2"$'\r$' "$SERVER_CAPTURE" ||
		fail "no From: root@$2 in: $(cat -A "$SERVER_CAPTURE")"
}

@test "/etc/mailname: the domain of root, of the sender, of the Message-ID, and the EHLO name" {
	mailname mail.example.test
	hosts '127.0.0.1 localhost' '127.0.1.1 box.example.net box'
	serve mail.example.test mail.example.test
	send_root box
	assert_success
	assert_wire mail.example.test mail.example.test
	scripted_wait
}

@test "/etc/mailname: only its first line counts; trailing blanks and CR do not" {
	printf 'mail.example.test  \r\nsecond.example.test\n' >"$ETC/upper/mailname"
	serve mail.example.test mail.example.test
	send_root box
	assert_success
	assert_wire mail.example.test mail.example.test
}

@test "no /etc/mailname: the host's fully qualified name from the resolver" {
	no_mailname
	hosts '127.0.0.1 localhost' '127.0.1.1 box.example.net box'
	serve box.example.net box.example.net
	send_root box
	assert_success
	assert_wire box.example.net box.example.net
}

@test "an /etc/mailname that is not a domain name (empty, junk) is ignored: the FQDN" {
	hosts '127.0.0.1 localhost' '127.0.1.1 box.example.net box'
	local junk
	for junk in '' 'not a domain' 'mail..example.test' '.example.test' 'bad/name' ' mail.example.test'; do
		mailname "$junk"
		serve box.example.net box.example.net
		send_root box
		assert_success
		assert_wire box.example.net box.example.net
		scripted_teardown
	done
}

@test "a host name with a dot is the FQDN already, without a lookup" {
	no_mailname
	hosts '127.0.0.1 localhost'
	serve box.example.org box.example.org
	send_root box.example.org
	assert_success
	assert_wire box.example.org box.example.org
}

@test "neither mailname nor a qualified name: the bare host name, and root is never bare" {
	no_mailname
	hosts '127.0.0.1 localhost'
	serve box box
	send_root box
	assert_success
	assert_wire box box
}

@test "domain in the configuration wins for addresses and Message-ID; EHLO is still the mail name" {
	mailname mail.example.test
	printf '[defaults]\ndomain = example.org\n' >"$BATS_TEST_TMPDIR/conf"
	serve mail.example.test example.org
	send_root box --config "$BATS_TEST_TMPDIR/conf"
	assert_success
	assert_wire mail.example.test example.org
}

@test "helo in the configuration wins for EHLO; the mail name still qualifies" {
	mailname mail.example.test
	serve client.example.com mail.example.test
	send_root box --helo client.example.com
	assert_success
	assert_wire client.example.com mail.example.test
}

@test "--dry-run shows the mail name as domain and helo; -t recipients are qualified too" {
	mailname mail.example.test
	printf 'To: root, alice\nSubject: x\n\nbody\n' >"$BATS_TEST_TMPDIR/message"
	run --separate-stderr with_etc box "$MAILOUT" --dry-run -t \
		<"$BATS_TEST_TMPDIR/message"
	assert_success
	assert_line 'domain = mail.example.test'
	assert_line 'helo = mail.example.test'
	assert_line 'envelope sender: <root@mail.example.test>'
	assert_line 'envelope recipient: <root@mail.example.test>'
	assert_line 'envelope recipient: <alice@mail.example.test>'
}
