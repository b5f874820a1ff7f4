# Shared set-up for every Bats suite: which binary to run, an isolated
# environment (no user or system config leaks in), and the libraries of
# tests/lib: the scripted fault server and its dialogues, the real
# Exim/Dovecot servers, the assertions and inputs several suites share.

# Every test sources this file: it forks nothing it can do without.
TESTS_DIR=${BASH_SOURCE[0]%/*}
[[ $TESTS_DIR == /* ]] || TESTS_DIR=$(cd "$TESTS_DIR" && pwd)
TOP_DIR=${TESTS_DIR%/*}

# make check points MAILOUT at the sanitizer build; default to the plain one.
: "${MAILOUT:=$TOP_DIR/src/mailout}"
export MAILOUT

# No config file of the machine or the user may influence a test, nor a
# mailout service running on the machine (tests/service.bats starts its
# own), and no test another (suites run at once under bats --jobs): the
# user's directories (config, queue, EHLO cache) are the test's own.
export MAILOUT_CONFIG=/dev/null
_xdg=${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-${BATS_RUN_TMPDIR:-/tmp}}}
export MAILOUT_SERVICE="$_xdg/mailout-no-service"
export XDG_CONFIG_HOME="$_xdg/xdg-config"
export XDG_STATE_HOME="$_xdg/xdg-state"
export XDG_CACHE_HOME="$_xdg/xdg-cache"
unset _xdg
export LC_ALL=C

# assert_success, assert_output, assert_line, fail... (Debian's bats-support
# and bats-assert). Their load.bash runs dirname for each file it sources,
# 16 forks a test (a third of what a trivial test costs): their files,
# function definitions only, are sourced here directly.
_dir=
for _d in ${BATS_LIB_PATH//:/ }; do
	if [ -d "$_d/bats-support/src" ] && [ -d "$_d/bats-assert/src" ]; then
		_dir=$_d
		break
	fi
done
if [ -n "$_dir" ]; then
	for _f in "$_dir"/bats-support/src/*.bash "$_dir"/bats-assert/src/*.bash; do
		# shellcheck disable=SC1090
		. "$_f"
	done
else
	bats_load_library bats-support
	bats_load_library bats-assert
fi
unset _d _dir _f

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
