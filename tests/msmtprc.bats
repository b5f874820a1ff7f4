#!/usr/bin/env bats
# mailout --import-msmtprc (issue 20): msmtp's configuration written as
# mailout.conf. The inputs are in tests/msmtprc/: msmtp's own examples
# (doc/msmtprc-user.example and doc/msmtprc-system.example as Debian's
# msmtp package ships them, the user file of msmtp's manual, its aliases
# file), Gmail, Exchange and a local relay written with msmtp's commands,
# logging, and every command msmtp(1) documents. Each import must read
# back with --dry-run for every account; a relay is then used for real
# against the scripted server.

bats_require_minimum_version 1.5.0
load helpers

MSMTPRC=$TESTS_DIR/msmtprc

teardown() {
	scripted_teardown
	if [ -n "${SHARED:-}" ]; then rm -rf "$SHARED"; fi
}

# import FILE: convert FILE into $CONF (mode 600: it may hold a password),
# which must succeed with nothing on stderr.
import() {
	CONF=$BATS_TEST_TMPDIR/mailout.conf
	run --separate-stderr "$MAILOUT" --import-msmtprc "$1"
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "$output" >"$CONF"
	chmod 600 "$CONF"
}

# dry ARGS...: --dry-run with the imported file.
dry() {
	run --separate-stderr "$MAILOUT" --config "$CONF" --dry-run "$@" \
		someone@example.org </dev/null
}

# every_account_reads_back FILE: --dry-run succeeds for each account of
# the msmtp file FILE, chosen with -a, and with no profile named.
every_account_reads_back() {
	local name n=0
	for name in "" $(sed -n 's/^[ \t]*account[ \t]\+\([^ \t:]*\).*/\1/p' "$1"); do
		dry ${name:+-a "$name"}
		assert_success
		assert_equal "$stderr" ""
		[ -z "$name" ] || assert_line "profile: $name (--profile $name)"
		n=$((n + 1))
	done
	[ "$n" -gt 1 ] || fail "no account found in $1"
}

@test "msmtp's user example: exactly this mailout.conf, every account reads back" {
	cd "$MSMTPRC"
	import user.msmtprc
	assert_output - <<'EOF'
# mailout.conf(5) from user.msmtprc, by mailout --import-msmtprc.
# Every msmtp account is a profile; check one with
#   mailout --config THIS-FILE --dry-run --profile NAME

[defaults]
# "account default : freemail": the default profile
default_profile = freemail
port = 587
tls = starttls

[freemail]
match_from = joe_smith@freemail.example, joe_smith+*@freemail.example
host = smtp.freemail.example
auth = on
user = joe.smith
password_command = gpg2 --no-tty -q -d ~/.msmtp-password.gpg
from = joe_smith@freemail.example

[freemail2]
inherit = freemail
match_from = joey@freemail.example, joey+*@freemail.example
from = joey@freemail.example

[company]
match_from = smithjoe@company.example, smithjoe+*@company.example
host = mail.company.example
# auth: msmtp found the password in a key ring, ~/.netrc or the terminal: give mailout a password_command (such as secret-tool lookup host HOST service smtp user USER)
auth = on
user = company12345
from = smithjoe@company.example

[default]
inherit = freemail
match_from = joe_smith@freemail.example, joe_smith+*@freemail.example
EOF
	every_account_reads_back user.msmtprc
}

@test "msmtp's manual example: the account is chosen as msmtp chooses it" {
	import "$MSMTPRC/manual.msmtprc"
	every_account_reads_back "$MSMTPRC/manual.msmtprc"
	dry
	assert_line 'profile: freemail (default_profile)'
	assert_line 'host = smtp.freemail.example'
	assert_line 'port = 587'
	assert_line 'tls = starttls'
	dry -f joey@freemail.example
	assert_line 'profile: freemail2 (match_from joey@freemail.example matched sender joey@freemail.example)'
	assert_line 'from = joey@freemail.example'
	assert_line 'user = joe.smith'
	# msmtp's subaddresses: user+detail@domain picks user@domain's account
	dry -f joe_smith+lists@freemail.example
	assert_line 'profile: freemail (match_from joe_smith+*@freemail.example matched sender joe_smith+lists@freemail.example)'
	dry -f smithjoe@isp.example
	assert_line --partial 'profile: isp (match_from'
	assert_line 'user = 12345'
}

@test "msmtp's system example: tls on + tls_starttls off is implicit TLS, from %U@ is domain" {
	import "$MSMTPRC/system.msmtprc"
	assert_line '# msmtp line 19, "allow_from_override off": no equivalent: -f always sets the envelope sender'
	assert_line '# msmtp line 21, "set_from_header on": no equivalent: mailout adds a missing From but never replaces one'
	assert_line '# domain: mailout'"'"'s default sender is user@domain (and it appends @domain to recipients without one)'
	dry
	assert_success
	assert_line 'profile: default (profile named default)'
	assert_line 'host = mail.oursite.example'
	assert_line 'port = 465'
	assert_line 'tls = implicit'
	assert_line 'domain = oursite.example'
	assert_line 'log = syslog'
	assert_line 'syslog_facility = mail'
	assert_line "envelope sender: <$(id -un)@oursite.example>"
}

@test "Gmail: STARTTLS, a CA file, auth, ~ expanded, passwordeval is password_command" {
	HOME=$BATS_TEST_TMPDIR/home import "$MSMTPRC/gmail.msmtprc"
	every_account_reads_back "$MSMTPRC/gmail.msmtprc"
	dry -a gmail
	assert_line 'host = smtp.gmail.com'
	assert_line 'port = 587'
	assert_line 'tls = starttls'
	assert_line 'tls_trust_file = /etc/ssl/certs/ca-certificates.crt'
	assert_line 'auth = on'
	assert_line 'user = username'
	assert_line 'password_command = gpg --quiet --for-your-eyes-only --no-tty --decrypt ~/.msmtp-gmail.gpg'
	assert_line 'from = username@gmail.com'
	assert_line "log = $BATS_TEST_TMPDIR/home/.msmtp.log"
}

@test "Exchange: NTLM and ntlmdomain commented, domain is helo, timeout off, a certificate profile" {
	import "$MSMTPRC/exchange.msmtprc"
	assert_line '# msmtp line 11, "ntlmdomain CORP": no equivalent: mailout has no NTLM authentication'
	assert_line '# auth: mailout has no such mechanism: on picks the strongest the server offers'
	assert_line "# helo: msmtp's domain is the EHLO name: helo here (mailout's domain is the mail domain of bare addresses)"
	every_account_reads_back "$MSMTPRC/exchange.msmtprc"
	dry
	assert_line 'profile: exchange (default_profile)'
	assert_line 'tls = starttls'
	assert_line 'tls_trust_file ='
	assert_line 'auth = on'
	assert_line 'password_command = secret-tool lookup host exchange.corp.example service smtp user jdoe'
	assert_line 'helo = workstation.corp.example'
	assert_line 'timeout = 86400'
	dry -a exchange-cert
	assert_line 'host = exchange.corp.example'
	assert_line 'auth = EXTERNAL'
	assert_line 'user ='
	assert_line "tls_cert_file = $HOME/.certs/jdoe.pem"
}

@test "the test input has every command of msmtp(1)" {
	local man=/usr/share/man/man1/msmtp.1.gz cmd missing=
	# Debian's msmtp package (make deps installs it, for make bench)
	[ -e "$man" ] || skip "no $man to compare with"
	for cmd in $(zcat "$man" | sed -n '/^\.SH CONFIGURATION FILES/,/^\.SH EXAMPLES/s/^\.IP "\([a-z_]*\).*/\1/p'); do
		grep -q "^$cmd\b" "$MSMTPRC/every-command.msmtprc" || missing+=" $cmd"
	done
	[ -n "$cmd" ] || fail "no command found in $man"
	assert_equal "$missing" ""
}

@test "every documented msmtp command becomes a setting or a comment that says why not" {
	local cmd
	import "$MSMTPRC/every-command.msmtprc"
	# no equivalent: a comment naming the line
	for cmd in tls_crl_file tls_min_dh_prime_bits tls_force_sslv3 \
		ntlmdomain tls_host_override from_full_name \
		allow_from_override set_from_header set_to_header \
		logfile_time_format eval tls_nocertcheck; do
		assert_line --regexp "^# msmtp line [0-9]+, \"$cmd( |\")"
	done
	every_account_reads_back "$MSMTPRC/every-command.msmtprc"
	# an equivalent: the setting, in the profile msmtp gives it to
	dry -a everything
	for line in 'tls = starttls' 'tls_trust_file = /etc/ssl/certs/ca-certificates.crt' \
		'tls_priorities = NORMAL:-VERS-TLS1.0' 'timeout = 30' 'protocol = smtp' \
		'dsn_notify = failure,delay' 'dsn_return = hdrs' 'port = 587' \
		'source_address = 192.0.2.1' 'proxy = socks5://127.0.0.1:9050' \
		'helo = client.example.org' \
		'auth = SCRAM-SHA-256' 'user = me' 'password_command = pass show mail/example' \
		'tls_fingerprint = sha256:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF' \
		"tls_cert_file = $HOME/cert.pem" "tls_key_file = $HOME/key.pem" \
		'from = me@example.org' "log = $HOME/.msmtp.log" "aliases = $HOME/.aliases" \
		'remove_bcc = on' 'add_missing_headers = on'; do
		assert_line "$line"
	done
	# older spellings; auto_from replaces from; password beats passwordeval
	dry -a older
	for line in 'timeout = 20' 'remove_bcc = off' 'add_missing_headers = off' \
		'tls = implicit' 'domain = example.net' 'from =' 'password = <set>' \
		'password_command =' 'helo = client.example.org'; do
		assert_line "$line"
	done
	dry -a socket
	assert_line 'socket = /run/mail.sock'
	assert_line 'protocol = lmtp'
	assert_line 'tls = off'
}

@test "logging: a file, syslog with a facility, both, standard output" {
	HOME=$BATS_TEST_TMPDIR/home import "$MSMTPRC/logging.msmtprc"
	assert_line '# msmtp uses no TLS unless told tls on. mailout'"'"'s default, tls = auto,'
	assert_line '# log: msmtp also logged to syslog; mailout logs to one place: the file'
	assert_line '# msmtp line 18, "logfile -": no equivalent: mailout logs to a file or to syslog, not to standard output'
	every_account_reads_back "$MSMTPRC/logging.msmtprc"
	dry -a file
	assert_line "log = $BATS_TEST_TMPDIR/home/.msmtp.log"
	dry -a syslog
	assert_line 'log = syslog'
	assert_line 'syslog_facility = local3'
	dry -a both
	assert_line "log = $BATS_TEST_TMPDIR/home/.msmtp.log"
	dry -a stdout
	assert_line 'log ='
}

@test "a local relay with aliases and syslog: imported, then used on the wire" {
	local DIALOGUE_FROM=cron@host.example
	local DIALOGUE_RCPTS=(joe_smith@example.com jane_chang@example.com)
	scripted_start < <(printf '%s\n' 'send 220 relay.test ESMTP' \
		'expect EHLO host\.example' 'send 250 relay.test'; dialogue_tail)
	sed -e "s|^host .*|host           127.0.0.1|" \
		-e "s|^port .*|port           $SERVER_PORT|" \
		-e "s|^aliases .*|aliases        $MSMTPRC/aliases|" \
		-e "s|^syslog .*|syslog         off|" \
		"$MSMTPRC/relay.msmtprc" >"$BATS_TEST_TMPDIR/relay.msmtprc"
	import "$BATS_TEST_TMPDIR/relay.msmtprc"
	assert_line '# aliases: the same format as msmtp'"'"'s, but an entry named default is only the name default: mailout has no catch-all'
	every_account_reads_back "$MSMTPRC/relay.msmtprc"
	printf 'Subject: cron\n\nhello\n' >"$BATS_TEST_TMPDIR/msg"
	run --separate-stderr timeout 20 "$MAILOUT" --config "$CONF" --no-queue \
		root <"$BATS_TEST_TMPDIR/msg"
	assert_success
	assert_equal "$stderr" ""
	scripted_wait
}

@test "where msmtp looks: ~/.msmtprc, then ~/.config/msmtp/config; none is 66" {
	local home=$BATS_TEST_TMPDIR/home
	mkdir -p "$home/.config/msmtp"
	printf 'account xdg\nhost xdg.example\n' >"$home/.config/msmtp/config"
	HOME=$home XDG_CONFIG_HOME= run --separate-stderr "$MAILOUT" --import-msmtprc
	assert_success
	assert_line "# mailout.conf(5) from $home/.config/msmtp/config, by mailout --import-msmtprc."
	assert_line 'host = xdg.example'
	printf 'account home\nhost home.example\n' >"$home/.msmtprc"
	HOME=$home run --separate-stderr "$MAILOUT" --import-msmtprc
	assert_success
	assert_line 'host = home.example'
	rm "$home/.msmtprc" "$home/.config/msmtp/config"
	[ ! -e /etc/msmtprc ] || skip "this machine has an /etc/msmtprc"
	HOME=$home run --separate-stderr "$MAILOUT" --import-msmtprc
	assert_failure 66
	assert_output ""
	assert_equal "$stderr" "mailout: no msmtp configuration: none of ~/.msmtprc, ~/.config/msmtp/config, /etc/msmtprc"
}

@test "where msmtp looks: a ~/.msmtprc that cannot be read is 66 naming it, not the next file" {
	nobody_dir
	mkdir -p "$SHARED/home/.config/msmtp"
	chmod -R 755 "$SHARED/home"
	printf 'account xdg\nhost xdg.example\n' >"$SHARED/home/.config/msmtp/config"
	printf 'account home\nhost home.example\n' >"$SHARED/home/.msmtprc"
	chmod 644 "$SHARED/home/.config/msmtp/config"
	chmod 000 "$SHARED/home/.msmtprc"
	run --separate-stderr as_nobody env HOME="$SHARED/home" XDG_CONFIG_HOME= \
		"$SHARED/mailout" --import-msmtprc
	assert_failure 66
	assert_output ""
	assert_equal "$stderr" "mailout: cannot read $SHARED/home/.msmtprc: Permission denied"
}

@test "output that cannot be written (a full disk) is 74, not 0 and half a file" {
	printf 'account a\nhost a.example\n' >"$BATS_TEST_TMPDIR/msmtprc"
	run --separate-stderr bash -c '"$1" --import-msmtprc "$2" >/dev/full' _ \
		"$MAILOUT" "$BATS_TEST_TMPDIR/msmtprc"
	assert_failure 74
	assert_equal "$stderr" "mailout: cannot write the mailout configuration: No space left on device"
}

# refused TEXT LINE MESSAGE: an msmtp file of TEXT (printf) is refused
# with 78 and "FILE:LINE: MESSAGE", as msmtp refuses it; nothing printed.
refused() {
	local rc=$BATS_TEST_TMPDIR/msmtprc
	# shellcheck disable=SC2059 # TEXT is a format
	printf -- "$1" >"$rc"
	run --separate-stderr "$MAILOUT" --import-msmtprc "$rc"
	assert_failure 78
	assert_output ""
	assert_equal "$stderr" "mailout: $rc:$2: $3"
}

@test "errors: a missing file (66), what msmtp refuses (78, FILE:LINE), two files (64)" {
	local rc=$BATS_TEST_TMPDIR/msmtprc
	run --separate-stderr "$MAILOUT" --import-msmtprc "$BATS_TEST_TMPDIR/nope"
	assert_failure 66
	assert_equal "$stderr" "mailout: cannot read $BATS_TEST_TMPDIR/nope: No such file or directory"
	refused 'account a\nhost a.example\naccount b : c\n' \
		3 'account c not (yet) defined'
	refused 'account a\nhost a.example\naccount a\n' \
		3 'account a was already defined'
	refused 'defaults x\n' 1 'command defaults does not take an argument'
	refused 'account a, b\n' 1 'an account name must not contain colons or commas'
	run --separate-stderr "$MAILOUT" --import-msmtprc "$rc" "$rc"
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "mailout: --import-msmtprc takes one file, not 2"
}

@test "values mailout.conf cannot hold are comments, never a broken file" {
	local rc=$BATS_TEST_TMPDIR/msmtprc
	cat >"$rc" <<'EOF'
account odd
host odd.example
from *@odd.example
password " spaces around "
passwordeval cat /x ; echo y
user "a ;b"
tls_fingerprint 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33
EOF
	import "$rc"
	assert_line "# match_from: msmtp's from is a pattern here: it chooses this profile, the sender is -f's"
	assert_line 'match_from = *@odd.example'
	assert_line '# password: cannot be written in mailout.conf (a '"';'"' after a blank, blanks at an end, or too long): (the password)'
	assert_line '# user: cannot be written in mailout.conf (a '"';'"' after a blank, blanks at an end, or too long): a ;b'
	assert_line '# msmtp line 7, "tls_fingerprint 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33": no equivalent: mailout pins SHA-256 fingerprints only (mailout --serverinfo prints it)'
	refute_output --partial 'spaces around'
	dry -a odd
	assert_success
	dry -f x@odd.example
	assert_line 'profile: odd (match_from *@odd.example matched sender x@odd.example)'
}
