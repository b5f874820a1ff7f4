# Shared set-up for every Bats suite: which binary to run, an isolated
# environment (no user or system config leaks in), and the libraries of
# tests/lib: the scripted fault server and its dialogues, the real
# Exim/Dovecot servers, the assertions and inputs several suites share.

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(cd "$TESTS_DIR/.." && pwd)

# make check points MAILOUT at the sanitizer build; default to the plain one.
: "${MAILOUT:=$TOP_DIR/src/mailout}"
export MAILOUT

# No config file of the machine or the user may influence a test, and no
# test another (suites run at once under bats --jobs): the user's
# directories (config, queue, EHLO cache) are the test's own.
export MAILOUT_CONFIG=/dev/null
_xdg=${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-${BATS_RUN_TMPDIR:-/tmp}}}
export XDG_CONFIG_HOME="$_xdg/xdg-config"
export XDG_STATE_HOME="$_xdg/xdg-state"
export XDG_CACHE_HOME="$_xdg/xdg-cache"
unset _xdg
export LC_ALL=C

# assert_success, assert_output, assert_line, fail... (Debian bats-assert).
bats_load_library bats-support
bats_load_library bats-assert

for lib in "$TESTS_DIR"/lib/*.bash; do
	if [ -e "$lib" ]; then . "$lib"; fi
done
