#!/usr/bin/env bats
# Fuzz harnesses (tests/fuzz, make fuzz) replayed without libFuzzer: each
# harness runs once on every seed of tests/fuzz/corpus/NAME and every
# input it once failed on, kept in tests/fuzz/regressions/NAME, under
# ASan and UBSan (replay-NAME, built by make check-build). A harness
# aborts on a broken property; the sanitizers abort on memory errors,
# leaks and undefined behaviour.

load helpers

FUZZ_DIR=$TESTS_DIR/fuzz

# replay NAME: build replay-NAME when needed (bats run alone), run it.
replay() {
	local dirs=("$FUZZ_DIR/corpus/$1")

	make -s -C "$TOP_DIR" "tests/fuzz/build/replay-$1" >&2
	if [ -d "$FUZZ_DIR/regressions/$1" ]; then
		dirs+=("$FUZZ_DIR/regressions/$1")
	fi
	run "$FUZZ_DIR/build/replay-$1" "${dirs[@]}"
	assert_success
	assert_output --regexp '^replay: [1-9][0-9]* inputs, no failure$'
}

@test "fuzz: reply parser and EHLO capabilities" {
	replay reply
}

@test "fuzz: header block, -t recipients and address lists" {
	replay header
}

@test "fuzz: body filter round trip" {
	replay body
}

@test "fuzz: configuration file, profile choice and settings" {
	replay conf
}

@test "fuzz: SASL challenges (SCRAM, CRAM-MD5, OAuth errors)" {
	replay sasl
}

@test "fuzz: the service's commands, session states and message end" {
	replay service
}

@test "fuzz: msmtp configuration imported, and read back as mailout.conf" {
	replay msmtprc
}
