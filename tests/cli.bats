#!/usr/bin/env bats
# The command line itself (issue 20): --help and the man page name every
# option; an unknown option, a missing value, a value given to a flag and
# an ambiguous abbreviation each get their own message (exit 64, nothing
# sent); a near miss gets the option probably meant, as an unknown key of
# mailout.conf gets the key (src/suggest.c serves both).

bats_require_minimum_version 1.5.0
load helpers

teardown() {
	scripted_teardown
}

# The long options of the getopt_long table in src/, one per line.
long_options() {
	sed -n 's/^\t{ "\([a-z-]*\)", [a-z_]*, NULL, OPT_[A-Z_]* },$/\1/p' \
		$(grep -rl --include='*.c' 'struct option long_options' "$TOP_DIR/src")
}

# usage_error ARGS... -- LINE: mailout ARGS exits 64 with LINE and the
# --help hint as its whole stderr, and nothing on stdout.
usage_error() {
	local args=()
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	run --separate-stderr timeout 20 "$MAILOUT" "${args[@]}" </dev/null
	assert_failure 64
	assert_output ""
	assert_equal "$stderr" "mailout: $2
Try 'mailout --help' for more information."
}

@test "--help and mailout(1) name every long option, and -t -F -B -N -R -V" {
	local opt missing_help= missing_man=
	run -0 "$MAILOUT" --help
	[ "$(long_options | wc -l)" -gt 25 ] || fail "the option table was not found"
	for opt in $(long_options); do
		[[ $output == *"--$opt"* ]] || missing_help+=" --$opt"
		# roff: "\-\-tls-cert" or "\-\-tls\-cert"
		grep -Eq -- "\\\\-\\\\-${opt//-/(\\\\)?-}([^a-z-]|\$)" \
			"$TOP_DIR/man/mailout.1" || missing_man+=" --$opt"
	done
	for opt in t F B N R V; do
		assert_line --regexp "^  -$opt[ ,]"
	done
	assert_equal "$missing_help" ""
	assert_equal "$missing_man" ""
}

@test "unknown option: its own message, the nearest option when one is near" {
	scripted_start <<'EOF'
send 554 5.3.2 this connection should not have happened
expect-eof
EOF
	usage_error --hots 127.0.0.1 a@example.org -- \
		'unknown option --hots; did you mean --host?'
	usage_error --tiemout=5 a@example.org -- \
		'unknown option --tiemout; did you mean --timeout?'
	usage_error a@example.org --HOST x -- \
		'unknown option --HOST; did you mean --host?'
	usage_error --frobnicate a@example.org -- 'unknown option --frobnicate'
	usage_error -x a@example.org -- 'unknown option -x'
	assert_no_connection
}

@test "missing value, value to a flag, ambiguous abbreviation: each its own message" {
	usage_error a@example.org --host -- 'option --host needs a value'
	usage_error a@example.org -f -- 'option -f needs a value'
	usage_error --dry-run=yes a@example.org -- \
		'option --dry-run takes no value'
	usage_error --so 127.0.0.1 a@example.org -- \
		'option --so is ambiguous: --socket, --source-address'
	usage_error a@example.org --tls- -- \
		'option --tls- is ambiguous: --tls-trust-file, --tls-fingerprint, --tls-cert, --tls-key, --tls-priorities'
}

@test "an abbreviation that begins one option only is that option" {
	run --separate-stderr "$MAILOUT" --dry --sou 127.0.0.2 --time off \
		a@example.org </dev/null
	assert_success
	assert_line 'source_address = 127.0.0.2'
	assert_line 'timeout = 86400'
}

@test "unknown config key: the nearest key, settings and profile keys alike" {
	local conf=$BATS_TEST_TMPDIR/mailout.conf key
	for key in 'hots:host' 'Timeout:timeout' 'inherits:inherit' \
		'pasword_command:password_command' 'match-from:match_from'; do
		printf '[p]\n%s = x\n' "${key%%:*}" >"$conf"
		run --separate-stderr "$MAILOUT" --config "$conf" --dry-run \
			a@example.org </dev/null
		assert_failure 78
		assert_equal "$stderr" "mailout: $conf:2: unknown key \"${key%%:*}\"; did you mean \"${key#*:}\"?"
	done
	printf '[p]\nfrobnicate = x\n' >"$conf"
	run --separate-stderr "$MAILOUT" --config "$conf" --dry-run a@example.org
	assert_failure 78
	assert_equal "$stderr" "mailout: $conf:2: unknown key \"frobnicate\""
}
