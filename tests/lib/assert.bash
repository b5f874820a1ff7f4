# Assertions more than one suite makes (sourced by tests/helpers.bash).
#
#   assert_stderr_line ARGS...  assert_line ARGS on the stderr of
#   refute_stderr_line ARGS...  `run --separate-stderr` (refute_line)
#   assert_body_is FILE         the body of the mail FILE (everything after
#                               its first blank line) is, byte for byte,
#                               $BATS_TEST_TMPDIR/body (see write_message)

# (stderr, stderr_lines: set by run; output, lines: read by assert_line)
# shellcheck disable=SC2154,SC2034
assert_stderr_line() {
	local output=$stderr
	local -a lines=("${stderr_lines[@]}")
	assert_line "$@"
}

# shellcheck disable=SC2154,SC2034
refute_stderr_line() {
	local output=$stderr
	local -a lines=("${stderr_lines[@]}")
	refute_line "$@"
}

assert_body_is() {
	mail_body "$1" >"$BATS_TEST_TMPDIR/got-body"
	if ! cmp -s "$BATS_TEST_TMPDIR/body" "$BATS_TEST_TMPDIR/got-body"; then
		{
			echo "body of $1 differs from the one sent:"
			diff -u "$BATS_TEST_TMPDIR/body" "$BATS_TEST_TMPDIR/got-body" | cat -A
		} | fail
	fi
}
