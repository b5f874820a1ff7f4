#!/usr/bin/env bats
# Real sendmail callers, each invoking "sendmail" exactly as the real
# program does, delivering through a real Exim (tests/servers/exim.sh) into
# its maildir: cron, mutt, bsd-mailx (the real mailx), git send-email (the
# real one), PHP mail() and sudo.
#
# How the callers reach mailout: a "sendmail" wrapper in a bin directory
# records its arguments and standard input, then execs mailout under the
# name sendmail (argv[0] = "sendmail"), unchanged arguments. Server, HELO and
# (for cron and sudo) domain/aliases come from a config file named by
# $MAILOUT_CONFIG, as on a real system, so every caller runs unmodified:
#   - bsd-mailx: "set sendmail=/path/to/sendmail" in the file named by
#     $MAILRC (Debian's bsd-mailx runs "sendmail -i -t [-f addr]", the
#     recipients are in the To/Cc/Bcc it writes; it waits for sendmail and
#     reports a failure as "sendmail process failed with error code N")
#   - git send-email: --sendmail-cmd=PATH or "git config
#     sendemail.sendmailcmd PATH" (runs "PATH -i [-f sender] rcpt...")
#   - cron, mutt, PHP and sudo are not installed: their invocation and
#     message format are reproduced (Debian cron 3.0pl1, mutt 2.x,
#     PHP 8 mail() with sendmail_path "sendmail -t -i", sudo 1.9 mailer).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	exim_start || return
	BIN="$BATS_FILE_TMPDIR/bin"
	mkdir -p "$BIN"
	cat >"$BIN/sendmail" <<'EOF'
#!/bin/bash
# "sendmail" for the caller tests: record argv and stdin, run mailout.
printf '%s\n' "$@" >"$CALLER_DIR/argv"
cat >"$CALLER_DIR/stdin"
exec -a sendmail "$MAILOUT" "$@" <"$CALLER_DIR/stdin"
EOF
	chmod +x "$BIN/sendmail"
	export BIN
}

teardown_file() {
	exim_stop
}

setup() {
	maildir_clear "$EXIM_MAILDIR"
	export CALLER_DIR=$BATS_TEST_TMPDIR
	# a machine's mailout config: the local Exim, nothing else
	write_config
	export MAILOUT_CONFIG="$BATS_TEST_TMPDIR/mailout.conf"
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	export PATH="$BIN:$PATH"
	ME=$(id -un)
	HOST=$(mail_name)
}

# write_config [LINE...]: the config file, with extra LINEs in [defaults].
write_config() {
	{
		printf '[defaults]\n'
		printf 'host = 127.0.0.1\nport = %s\nhelo = client.test\ntimeout = 20\n' "$EXIM_PORT"
		printf '%s\n' "$@"
	} >"$BATS_TEST_TMPDIR/mailout.conf"
}

# assert_argv ARG...: the wrapper was run with exactly these arguments.
assert_argv() {
	local want
	want=$(printf '%s\n' "$@")
	assert_equal "$(cat "$CALLER_DIR/argv")" "$want"
}

# assert_delivered_body FILE: the stored body is the body the caller gave
# to sendmail (Exim stores LF line ends).
assert_delivered_body() {
	sed '1,/^\r\{0,1\}$/d' "$CALLER_DIR/stdin" | tr -d '\r' >"$BATS_TEST_TMPDIR/sent-body"
	mail_body "$1" >"$BATS_TEST_TMPDIR/got-body"
	if ! cmp -s "$BATS_TEST_TMPDIR/sent-body" "$BATS_TEST_TMPDIR/got-body"; then
		{
			echo "body of $1 differs from the one the caller wrote:"
			diff -u "$BATS_TEST_TMPDIR/sent-body" "$BATS_TEST_TMPDIR/got-body" | cat -A
		} | fail
	fi
}

# assert_header NAME VALUE FILE
assert_header() {
	assert_equal "$(mail_header "$1" "$3")" "$2"
}

# assert_no_header NAME FILE
assert_no_header() {
	local v
	v=$(mail_header "$1" "$2")
	[ -z "$v" ] || fail "$2 has a $1 header: $v"
}

# assert_date_and_id FILE: Date and Message-ID are there (ours or the
# caller's), exactly once.
assert_date_and_id() {
	[ "$(mail_header Date "$1" | wc -l)" -eq 1 ] || fail "not one Date in $1"
	[ "$(mail_header Message-ID "$1" | wc -l)" -eq 1 ] || fail "not one Message-ID in $1"
	mail_header Message-ID "$1" | grep -Eq '^<[^<>@ ]+@[^<>@ ]+>$' ||
		fail "bad Message-ID: $(mail_header Message-ID "$1")"
}

###########################################################################
# cron

# What Debian's cron writes to sendmail for a job with output.
cron_message() {
	printf '%s\n' \
		"To: root" \
		"Subject: Cron <root@$HOST> /usr/local/bin/backup" \
		"MIME-Version: 1.0" \
		"Content-Type: text/plain; charset=UTF-8" \
		"Content-Transfer-Encoding: 8bit" \
		"X-Cron-Env: <SHELL=/bin/sh>" \
		"X-Cron-Env: <HOME=/root>" \
		"X-Cron-Env: <PATH=/usr/bin:/bin>" \
		"X-Cron-Env: <LOGNAME=root>" \
		"" \
		"Sauvegarde terminée ✓ — 3 fichiers copiés" \
		"Größe: 12 MiB" \
		"." \
		"last line after a lone dot"
}

@test "cron: -FCronDaemon -i -B8BITMIME -oem root, aliases root: alice@example.org" {
	printf 'root: alice@example.org\n' >"$BATS_TEST_TMPDIR/aliases"
	write_config "domain = example.org" "aliases = $BATS_TEST_TMPDIR/aliases"
	cron_message >"$BATS_TEST_TMPDIR/in"
	run -0 timeout 60 sendmail -FCronDaemon -i -B8BITMIME -oem root <"$BATS_TEST_TMPDIR/in"
	assert_output ""
	assert_argv -FCronDaemon -i -B8BITMIME -oem root

	maildir_wait 1 "$EXIM_MAILDIR"
	local m
	m=$(maildir_find_for alice@example.org "$EXIM_MAILDIR")
	assert_header Return-path "<$ME@example.org>" "$m"
	assert_header From "CronDaemon <$ME@example.org>" "$m"
	assert_header To root "$m"
	assert_header Subject "Cron <root@$HOST> /usr/local/bin/backup" "$m"
	assert_equal "$(mail_header X-Cron-Env "$m" | wc -l)" 4
	assert_date_and_id "$m"
	assert_delivered_body "$m"
}

@test "cron: domain only: root is root@example.org" {
	write_config "domain = example.org"
	cron_message >"$BATS_TEST_TMPDIR/in"
	run -0 timeout 60 sendmail -FCronDaemon -i -B8BITMIME -oem root <"$BATS_TEST_TMPDIR/in"
	assert_output ""

	maildir_wait 1 "$EXIM_MAILDIR"
	local m
	m=$(maildir_find_for root@example.org "$EXIM_MAILDIR")
	assert_header Return-path "<$ME@example.org>" "$m"
	assert_header From "CronDaemon <$ME@example.org>" "$m"
	assert_delivered_body "$m"
}

@test "cron (cronie): -FCronDaemon -i -odi -oem -oi -t -f root with From and To headers" {
	write_config "domain = example.org"
	{
		printf '%s\n' "From: \"(Cron Daemon)\" <root>" "To: root" \
			"Subject: Cron <root@$HOST> run-parts /etc/cron.hourly" \
			"Content-Type: text/plain; charset=UTF-8" "Auto-Submitted: auto-generated" \
			"Precedence: bulk" "X-Cron-Env: <LANG=C.UTF-8>" "" "naïve output"
	} >"$BATS_TEST_TMPDIR/in"
	run -0 timeout 60 sendmail -FCronDaemon -i -odi -oem -oi -t -f root <"$BATS_TEST_TMPDIR/in"
	assert_output ""

	maildir_wait 1 "$EXIM_MAILDIR"
	local m
	m=$(maildir_find_for root@example.org "$EXIM_MAILDIR")
	assert_header Return-path "<root@example.org>" "$m"
	assert_header From '"(Cron Daemon)" <root>' "$m"
	assert_delivered_body "$m"
}

###########################################################################
# mutt

@test "mutt: -oem -oi -- to cc bcc, the message as mutt writes it" {
	printf '%s\n' \
		"Date: Mon, 1 Jan 2024 12:00:00 +0100" \
		"From: Alice Example <alice@example.org>" \
		"To: Bob <bob@example.org>" \
		"Cc: carol@example.org" \
		"Subject: =?utf-8?Q?D=C3=A9jeuner?= ?" \
		"Message-ID: <20240101110000.abcdef@example.org>" \
		"MIME-Version: 1.0" \
		"Content-Type: text/plain; charset=utf-8" \
		"Content-Disposition: inline" \
		"Content-Transfer-Encoding: 8bit" \
		"User-Agent: Mutt/2.2.9 (2022-11-12)" \
		"" \
		"Salut Bob, déjeuner à midi ?" \
		"" \
		".hidden dot line" \
		"-- " \
		"Alice" >"$BATS_TEST_TMPDIR/in"
	run -0 timeout 60 sendmail -oem -oi -- bob@example.org carol@example.org dave@example.org \
		<"$BATS_TEST_TMPDIR/in"
	assert_output ""
	assert_argv -oem -oi -- bob@example.org carol@example.org dave@example.org

	maildir_wait 3 "$EXIM_MAILDIR"
	local r m
	for r in bob carol dave; do
		m=$(maildir_find_for "$r@example.org" "$EXIM_MAILDIR")
		assert_header Return-path "<$ME@$HOST>" "$m"
		assert_header From "Alice Example <alice@example.org>" "$m"
		assert_header Message-ID "<20240101110000.abcdef@example.org>" "$m"
		assert_header Date "Mon, 1 Jan 2024 12:00:00 +0100" "$m"
		assert_header User-Agent "Mutt/2.2.9 (2022-11-12)" "$m"
		assert_delivered_body "$m"
	done
}

###########################################################################
# bsd-mailx (the real program)

mailx_rc() {
	printf 'set sendmail=%s\n' "$BIN/sendmail" >"$BATS_TEST_TMPDIR/mailrc"
	export MAILRC="$BATS_TEST_TMPDIR/mailrc"
}

@test "bsd-mailx: mailx -s subject -c cc addr (runs sendmail -i -t)" {
	command -v bsd-mailx >/dev/null || fail "bsd-mailx is not installed (make deps)"
	mailx_rc
	printf 'Bonjour,\nune ligne accentuée.\n' >"$BATS_TEST_TMPDIR/in"
	run -0 timeout 60 bsd-mailx -s "Rapport ü" -c carol@example.org \
		alice@example.org bob@example.org <"$BATS_TEST_TMPDIR/in"
	assert_output ""
	assert_argv -i -t

	maildir_wait 3 "$EXIM_MAILDIR"
	local r m
	for r in alice bob carol; do
		m=$(maildir_find_for "$r@example.org" "$EXIM_MAILDIR")
		assert_header Return-path "<$ME@$HOST>" "$m"
		assert_header From "$ME@$HOST" "$m"
		assert_header To "alice@example.org, bob@example.org" "$m"
		assert_header Cc "carol@example.org" "$m"
		assert_date_and_id "$m"
		assert_delivered_body "$m"
	done
	assert_equal "$(mail_body "$m")" $'Bonjour,\nune ligne accentuée.'
}

@test "bsd-mailx: -r sender and -b bcc (runs sendmail -i -t -f sender); Bcc not delivered" {
	command -v bsd-mailx >/dev/null || fail "bsd-mailx is not installed (make deps)"
	mailx_rc
	printf 'body\n' >"$BATS_TEST_TMPDIR/in"
	run -0 timeout 60 bsd-mailx -r "Robot <robot@example.org>" \
		-b dave@example.org -s "with bcc" alice@example.org <"$BATS_TEST_TMPDIR/in"
	assert_output ""
	assert_argv -i -t -f robot@example.org

	maildir_wait 2 "$EXIM_MAILDIR"
	local r m
	for r in alice dave; do
		m=$(maildir_find_for "$r@example.org" "$EXIM_MAILDIR")
		assert_header Return-path "<robot@example.org>" "$m"
		assert_header From "Robot <robot@example.org>" "$m"
		assert_no_header Bcc "$m"
		assert_delivered_body "$m"
	done
}

@test "bsd-mailx: a refused recipient: mailx reports sendmail's failure" {
	command -v bsd-mailx >/dev/null || fail "bsd-mailx is not installed (make deps)"
	mailx_rc
	printf 'body\n' >"$BATS_TEST_TMPDIR/in"
	run timeout 60 bsd-mailx -s "refused" nouser1@example.org alice@example.org \
		<"$BATS_TEST_TMPDIR/in"
	assert_failure
	assert_output --partial "nouser1@example.org"
	assert_output --partial "error code 67"
	maildir_wait 1 "$EXIM_MAILDIR"
	local m
	m=$(maildir_find_for alice@example.org "$EXIM_MAILDIR")
	assert_delivered_body "$m"
}

###########################################################################
# git send-email (the real program)

# make_patch: a repository in $BATS_TEST_TMPDIR/repo with a commit to send,
# and its patch in $BATS_TEST_TMPDIR/patches.
make_patch() {
	export GIT_CONFIG_NOSYSTEM=1
	local repo=$BATS_TEST_TMPDIR/repo
	git init -q "$repo"
	git -C "$repo" config user.name "Patch Author"
	git -C "$repo" config user.email author@example.org
	printf 'first\n' >"$repo/file.txt"
	git -C "$repo" add file.txt
	git -C "$repo" commit -q -m "initial"
	printf 'second line: naïve café\n.\n..\n' >>"$repo/file.txt"
	git -C "$repo" commit -q -a -m "file: add a line with ü and dots" \
		-m "A body paragraph for the commit message."
	git -C "$repo" format-patch -q -1 -o "$BATS_TEST_TMPDIR/patches"
}

need_git_send_email() {
	[ -x "$(git --exec-path)/git-send-email" ] ||
		fail "git send-email is not installed (make deps)"
}

assert_git_delivery() {
	maildir_wait 2 "$EXIM_MAILDIR"
	local r m
	for r in alice bob; do
		m=$(maildir_find_for "$r@example.org" "$EXIM_MAILDIR")
		assert_header Return-path "<$1>" "$m"
		assert_header From "Patch Author <author@example.org>" "$m"
		assert_header To alice@example.org "$m"
		assert_header Cc bob@example.org "$m"
		mail_header Subject "$m" | grep -q '^\[PATCH\] ' ||
			fail "Subject: $(mail_header Subject "$m")"
		assert_date_and_id "$m"
		assert_delivered_body "$m"
		grep -qx '+second line: naïve café' "$m" || fail "the diff is not in $m"
	done
}

@test "git send-email --sendmail-cmd --envelope-sender (runs sendmail -f from -i a b)" {
	need_git_send_email
	make_patch
	cd "$BATS_TEST_TMPDIR/repo"
	run -0 timeout 60 git send-email --sendmail-cmd="$BIN/sendmail" \
		--envelope-sender=author@example.org --to=alice@example.org \
		--cc=bob@example.org --confirm=never --suppress-cc=all --no-validate \
		--quiet "$BATS_TEST_TMPDIR"/patches/*.patch </dev/null
	assert_argv -f author@example.org -i alice@example.org bob@example.org
	assert_git_delivery author@example.org
}

@test "git send-email with sendemail.sendmailcmd in the git config (runs sendmail -i a b)" {
	need_git_send_email
	make_patch
	cd "$BATS_TEST_TMPDIR/repo"
	git config sendemail.sendmailcmd sendmail # found in PATH
	run -0 timeout 60 git send-email --to=alice@example.org --cc=bob@example.org \
		--confirm=never --suppress-cc=all --no-validate --quiet \
		"$BATS_TEST_TMPDIR"/patches/*.patch </dev/null
	assert_argv -i alice@example.org bob@example.org
	assert_git_delivery "$ME@$HOST"
}

###########################################################################
# PHP mail()

# PHP 8's mail($to, $subject, $message, $headers): To, Subject, the extra
# headers (CRLF between header lines), a blank line, the message (LF).
php_message() {
	printf 'To: Alice <alice@example.org>, bob@example.org\r\n'
	printf 'Subject: =?UTF-8?B?Q29tbWFuZGUgbsKwNDI=?=\r\n'
	printf 'From: Shop <shop@example.org>\r\n'
	printf 'Cc: carol@example.org\r\n'
	printf 'Bcc: dave@example.org\r\n'
	printf 'MIME-Version: 1.0\r\n'
	printf 'Content-Type: text/plain; charset=UTF-8\r\n'
	printf 'X-Mailer: PHP/8.2.7\r\n'
	printf '\n'
	printf 'Merci pour votre commande n°42.\n.\nTotal: 12,50 €\n'
}

@test "PHP mail(): -t -i, recipients from To/Cc/Bcc, Bcc removed" {
	php_message >"$BATS_TEST_TMPDIR/in"
	run -0 timeout 60 sendmail -t -i <"$BATS_TEST_TMPDIR/in"
	assert_output ""
	assert_argv -t -i

	maildir_wait 4 "$EXIM_MAILDIR"
	local r m
	for r in alice bob carol dave; do
		m=$(maildir_find_for "$r@example.org" "$EXIM_MAILDIR")
		assert_header Return-path "<$ME@$HOST>" "$m"
		assert_header From "Shop <shop@example.org>" "$m"
		assert_header To "Alice <alice@example.org>, bob@example.org" "$m"
		assert_header Cc carol@example.org "$m"
		assert_no_header Bcc "$m"
		assert_date_and_id "$m"
		assert_delivered_body "$m"
	done
}

@test "PHP mail() with additional_params -f: -t -i -fshop@example.org" {
	php_message >"$BATS_TEST_TMPDIR/in"
	run -0 timeout 60 sendmail -t -i -fshop@example.org <"$BATS_TEST_TMPDIR/in"
	assert_output ""
	maildir_wait 4 "$EXIM_MAILDIR"
	local m
	m=$(maildir_find_for dave@example.org "$EXIM_MAILDIR")
	assert_header Return-path "<shop@example.org>" "$m"
	assert_no_header Bcc "$m"
	assert_delivered_body "$m"
}

###########################################################################
# sudo

@test "sudo: -t with the mailer's message on stdin, To: root qualified by domain" {
	write_config "domain = example.org"
	printf '%s\n' \
		"To: root" \
		"From: root" \
		"Auto-Submitted: auto-generated" \
		"Subject: *** SECURITY information for $HOST ***" \
		"" \
		"$HOST : Jan  1 12:00:00 : mallory : user NOT in sudoers ; TTY=pts/0 ; PWD=/home/mallory ; USER=root ; COMMAND=/usr/bin/id" >"$BATS_TEST_TMPDIR/in"
	run -0 timeout 60 sendmail -t <"$BATS_TEST_TMPDIR/in"
	assert_output ""
	assert_argv -t

	maildir_wait 1 "$EXIM_MAILDIR"
	local m
	m=$(maildir_find_for root@example.org "$EXIM_MAILDIR")
	assert_header Return-path "<$ME@example.org>" "$m"
	assert_header From root "$m"
	assert_header Auto-Submitted auto-generated "$m"
	assert_header Subject "*** SECURITY information for $HOST ***" "$m"
	assert_date_and_id "$m"
	assert_delivered_body "$m"
}
