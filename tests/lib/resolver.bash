# A resolver of the test's own for the Bats suites (sourced by
# tests/helpers.bash): a hosts file, and hosts looked up in files only (no
# DNS), bound over /etc/hosts and /etc/nsswitch.conf in a private mount
# namespace, so that the addresses a name has, and their order, do not
# depend on the machine. Nothing outside that namespace sees them.
#
# own_resolver HOSTS-LINE...: the hosts file for with_resolver; skips the
# test (with the reason) where no private mount namespace can be had.
own_resolver() {
	if [ "$(id -u)" != 0 ]; then
		skip "needs root: the test gives mailout its own /etc/hosts (unshare -m)"
	fi
	command -v unshare >/dev/null || skip "needs unshare (util-linux)"
	unshare -m true 2>/dev/null || skip "unshare -m is not permitted here"
	printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/hosts"
	printf 'hosts: files\n' >"$BATS_TEST_TMPDIR/nsswitch.conf"
}

# with_resolver CMD...: run CMD with that hosts file as /etc/hosts.
with_resolver() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m sh -c 'mount --bind "$1/hosts" /etc/hosts &&
		mount --bind "$1/nsswitch.conf" /etc/nsswitch.conf && shift && exec "$@"' \
		sh "$BATS_TEST_TMPDIR" "$@"
}

# assert_resolves NAME ADDR...: in with_resolver, NAME resolves to exactly
# these addresses, in this order (the order mailout gets from getaddrinfo).
assert_resolves() {
	local name=$1 got
	shift
	got=$(with_resolver getent ahosts "$name" | awk '$2 == "STREAM" { printf "%s ", $1 }')
	assert_equal "$got" "$* "
}
