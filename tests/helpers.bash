# Shared set-up for every Bats suite: which binary to run, an isolated
# environment (no user or system config leaks in), and the two harness
# libraries (scripted fault server, real Exim/Dovecot servers).

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(cd "$TESTS_DIR/.." && pwd)

# make check points MAILOUT at the sanitizer build; default to the plain one.
: "${MAILOUT:=$TOP_DIR/src/mailout}"
export MAILOUT

# No config file of the machine or the user may influence a test, nor a
# mailout service running on the machine (tests/service.bats starts its
# own).
export MAILOUT_CONFIG=/dev/null
export MAILOUT_SERVICE="${BATS_TMPDIR:-/tmp}/mailout-no-service"
export XDG_CONFIG_HOME="${BATS_TMPDIR:-/tmp}/mailout-xdg-config"
export XDG_STATE_HOME="${BATS_TMPDIR:-/tmp}/mailout-xdg-state"
export XDG_CACHE_HOME="${BATS_TMPDIR:-/tmp}/mailout-xdg-cache"
export LC_ALL=C

# assert_success, assert_output, assert_line, fail... (Debian bats-assert).
bats_load_library bats-support
bats_load_library bats-assert

for lib in "$TESTS_DIR"/lib/*.bash; do
	if [ -e "$lib" ]; then . "$lib"; fi
done

# mail_name: the system's mail name as mailout finds it (/etc/mailname,
# else the host's FQDN), for tests about something else; how it is found
# is tests/mailname.bats's subject.
mail_name() {
	"$MAILOUT" --config /dev/null --dry-run root </dev/null |
		sed -n 's/^domain = //p'
}
