# What the suites give mailout: messages, config files, long strings
# (sourced by tests/helpers.bash).
#
#   write_message NAME          $BATS_TEST_TMPDIR/msg: a complete header
#                               (From sender@example.org, To $MESSAGE_TO,
#                               Subject NAME, a fixed Date, Message-ID
#                               <NAME.TEST-NUMBER@example.org>), a blank
#                               line and the lines of MESSAGE_BODY (LF);
#                               the body alone in $BATS_TEST_TMPDIR/body
#   conf [FILE] <<EOF           write a config file, mode 600: FILE, or
#                               $CONF (default $BATS_TEST_TMPDIR/mailout.conf)
#   x_times N [CHAR]            N times CHAR (default x)
#   nobody_dir                  $SHARED: a new directory nobody may enter,
#                               with a copy of $MAILOUT in it
#   as_nobody CMD...            CMD as nobody when the suite runs as root
#                               (root reads every file), else as it is

MESSAGE_TO=alice@example.org
MESSAGE_BODY=(Hello.)

write_message() {
	printf '%s\n' \
		"From: Sender <sender@example.org>" \
		"To: $MESSAGE_TO" \
		"Subject: $1" \
		"Date: Mon, 01 Jan 2024 12:00:00 +0000" \
		"Message-ID: <$1.$BATS_TEST_NUMBER@example.org>" \
		"" >"$BATS_TEST_TMPDIR/msg"
	printf '%s\n' "${MESSAGE_BODY[@]}" >"$BATS_TEST_TMPDIR/body"
	cat "$BATS_TEST_TMPDIR/body" >>"$BATS_TEST_TMPDIR/msg"
}

conf() {
	local file=${1:-${CONF:=$BATS_TEST_TMPDIR/mailout.conf}}
	mkdir -p "$(dirname "$file")"
	cat >"$file"
	chmod 600 "$file"
}

x_times() {
	head -c "$1" /dev/zero | tr '\0' "${2:-x}"
}

nobody_dir() {
	# nobody may not reach $MAILOUT's directory (a distcheck's is private)
	SHARED=$(mktemp -d)
	chmod 755 "$SHARED"
	cp "$MAILOUT" "$SHARED/mailout"
}

as_nobody() {
	if [ "$(id -u)" != 0 ]; then
		"$@"
		return
	fi
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}
