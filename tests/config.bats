#!/usr/bin/env bats
# Configuration files (issue 6, SPEC §4, mailout.conf(5)): every error
# class with its exact FILE:LINE message and exit 78, the password
# permission rule, [defaults] and inherit, profile selection (--profile,
# match_from, default_profile, the profile named "default"), precedence of
# the command line, the file search order ($MAILOUT_CONFIG, the system file
# under $MAILOUT_SYSCONFDIR, the user file under $XDG_CONFIG_HOME or ~),
# --dry-run output, the shipped example, and sends driven by a profile
# against the scripted server (tests/server/scripted.py).
#
# Most tests read the settings back with --dry-run, which prints them as
# "key = value" lines and connects to nothing.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	CONF=$BATS_TEST_TMPDIR/mailout.conf
	write_message config
}

MESSAGE_TO='<rcpt@example.com>'
MESSAGE_BODY=("Hello from a profile.")
DIALOGUE_RCPTS=(rcpt@example.com)

teardown() {
	scripted_teardown
	if [ -n "${SHARED:-}" ]; then rm -rf "$SHARED"; fi
}

###########################################################################
# Helpers

# conf [FILE] <<EOF (tests/lib/inputs.bash): a config file, $CONF unless
# FILE is given.

# dry ARGS...: mailout --config $CONF --dry-run ARGS, as a submission of
# the test message to rcpt@example.com (stdout in $output, stderr in
# $stderr).
dry() {
	run --separate-stderr "$MAILOUT" --config "$CONF" --dry-run "$@" \
		rcpt@example.com <"$BATS_TEST_TMPDIR/msg"
}

# dry_env ARGS...: the same with no --config (the search path decides).
dry_env() {
	run --separate-stderr "$MAILOUT" --dry-run "$@" rcpt@example.com \
		<"$BATS_TEST_TMPDIR/msg"
}

# conf_error LINE MESSAGE: the last run exited 78 with exactly
# "mailout: $CONF:LINE: MESSAGE" on stderr and nothing on stdout.
conf_error() {
	assert_failure 78
	assert_equal "$stderr" "mailout: $CONF:$1: $2"
	assert_output ""
}

# bad_value KEY VALUE MESSAGE: KEY = VALUE in a profile is refused.
bad_value() {
	conf <<EOF
[p]
$1 = $2
EOF
	dry
	conf_error 2 "$1: $3"
}

# serve_plain_alice SECRET LINE: a server taking AUTH PLAIN from alice
# with SECRET, then one message from sender@example.org to
# rcpt@example.com; and profile p of $CONF for it, with LINE (password
# or password_command).
serve_plain_alice() {
	scripted_start < <(
		dialogue_greet 'AUTH PLAIN'
		echo "expect AUTH PLAIN $(printf '\0alice\0%s' "$1" | base64 -w0)"
		echo 'send 235 2.7.0 Authentication successful'
		dialogue_tail
	)
	conf <<EOF
[p]
host = 127.0.0.1
port = $SERVER_PORT
tls = off
helo = client.test
user = alice
$2
EOF
}

###########################################################################
# Errors: exit 78, FILE:LINE

@test "error: unknown key, with file and line" {
	conf <<'EOF'
# a comment
[defaults]
hots = smtp.example.org
EOF
	dry
	conf_error 3 'unknown key "hots"; did you mean "host"?'
}

@test "error: a bad value for each kind of key" {
	bad_value timeout abc 'expected seconds from 1 to 86400, or off, got "abc"'
	bad_value timeout 0 'expected seconds from 1 to 86400, or off, got "0"'
	bad_value timeout 86401 'expected seconds from 1 to 86400, or off, got "86401"'
	bad_value port 70000 'expected a port number from 1 to 65535, got "70000"'
	bad_value port smtp 'expected a port number from 1 to 65535, got "smtp"'
	bad_value tls maybe 'expected auto, off, starttls or implicit, got "maybe"'
	bad_value protocol http 'expected smtp or lmtp, got "http"'
	bad_value auth BOGUS 'expected on, off or a mechanism (SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 PLAIN LOGIN XOAUTH2 OAUTHBEARER EXTERNAL), got "BOGUS"'
	bad_value chunking maybe 'expected on or off, got "maybe"'
	bad_value queue sometimes 'expected on or off, got "sometimes"'
	bad_value refused later 'expected continue or abort, got "later"'
	bad_value dsn_notify success,never 'expected never, or a comma-separated list of success, failure and delay, got "success,never"'
	bad_value dsn_notify success, 'expected never, or a comma-separated list of success, failure and delay, got "success,"'
	bad_value dsn_return body 'expected full or hdrs, got "body"'
	bad_value queue_lifetime 5y 'expected a duration from 1 second to 365 days, such as 3600, 30m, 12h or 5d, got "5y"'
	bad_value queue_lifetime 400d 'expected a duration from 1 second to 365 days, such as 3600, 30m, 12h or 5d, got "400d"'
	bad_value syslog_facility local8 'expected mail, user, daemon, local0, local1, local2, local3, local4, local5, local6 or local7, got "local8"'
	bad_value from 'Me <me@example.org>' 'expected an address such as me@example.org, got "Me <me@example.org>"'
	bad_value helo 'my host' 'expected a host or domain name, got "my host"'
	bad_value domain @example.org 'expected a host or domain name, got "@example.org"'
	bad_value tls_fingerprint sha1:00 'expected sha256: and 64 hex digits, got "sha1:00"'
	bad_value match_from 'a@example.org,,b@example.org' 'expected comma-separated patterns such as *@example.org, got "a@example.org,,b@example.org"'
}

@test "error: a mistake in a profile that is not chosen is still found" {
	conf <<'EOF'
[used]
host = relay.example.org

[unused]
host = other.example.org
timeout = forever
EOF
	dry --profile used
	conf_error 6 'timeout: expected seconds from 1 to 86400, or off, got "forever"'
}

@test "error: the first mistake is the one reported" {
	conf <<'EOF'
[p]
port = 0
hots = x
EOF
	dry
	conf_error 2 'port: expected a port number from 1 to 65535, got "0"'
}

@test "error: a key outside any section" {
	conf <<'EOF'
host = smtp.example.org
EOF
	dry
	conf_error 1 '"host" is outside any section: put it under [defaults] or a [profile]'
}

@test "error: profile keys where they do not belong" {
	conf <<'EOF'
[defaults]
inherit = base
EOF
	dry
	conf_error 2 'inherit belongs in a profile, not [defaults]'
	conf <<'EOF'
[defaults]
match_from = *@example.org
EOF
	dry
	conf_error 2 'match_from belongs in a profile, not [defaults]'
	conf <<'EOF'
[p]
host = x.example.org
default_profile = p
EOF
	dry
	conf_error 3 'default_profile belongs in [defaults]'
}

@test "error: syntax errors, by line, before or after other mistakes" {
	conf <<'EOF'
[defaults
host = x
EOF
	dry
	conf_error 1 'syntax error: expected [profile] or key = value'
	conf <<'EOF'
[p]
host = x
just some words
hots = y
EOF
	dry
	conf_error 3 'syntax error: expected [profile] or key = value'
	conf <<'EOF'
[p]
hots = y
just some words
EOF
	dry
	conf_error 2 'unknown key "hots"; did you mean "host"?'
}

@test "error: a line too long for the parser is refused, not cut" {
	# 4096 octets is the limit, whatever the line end (LF or CRLF).
	printf '[p]\npassword_command = echo %s\r\n' \
		"$(head -c 4072 /dev/zero | tr '\0' x)" >"$CONF"
	dry -a p
	assert_success
	printf '[p]\npassword_command = echo %s\n' \
		"$(head -c 4073 /dev/zero | tr '\0' x)" >"$CONF"
	dry -a p
	conf_error 2 'line longer than 4096 octets'
}

@test "error: unknown profile with --profile and -a (78), profiles listed" {
	conf <<'EOF'
[work]
host = smtp.work.example
[home]
host = smtp.home.example
EOF
	dry --profile nope
	assert_failure 78
	assert_equal "$stderr" 'mailout: unknown profile "nope" (profiles: work, home)'
	dry -a defaults
	assert_failure 78
	assert_equal "$stderr" 'mailout: unknown profile "defaults" (profiles: work, home)'
	CONF=/dev/null dry -a work
	assert_failure 78
	assert_equal "$stderr" 'mailout: unknown profile "work": the configuration defines none'
}

@test "error: inherit or default_profile naming no profile" {
	conf <<'EOF'
[a]
host = a.example.org
inherit = missing
EOF
	dry
	conf_error 3 'inherit: no profile named "missing"'
	conf <<'EOF'
[defaults]
default_profile = missing
[a]
host = a.example.org
EOF
	dry
	conf_error 2 'default_profile: no profile named "missing"'
}

@test "error: inheritance cycle, named, at the inherit line that closes it" {
	conf <<'EOF'
[a]
inherit = b
[b]
inherit = c
[c]
inherit = a
[x]
host = x.example.org
EOF
	dry --profile x
	conf_error 6 'inherit: cycle a -> b -> c -> a'
	conf <<'EOF'
[outside]
inherit = self
[self]
host = s.example.org
inherit = self
EOF
	dry
	conf_error 5 'inherit: cycle self -> self'
}

@test "error: --config or \$MAILOUT_CONFIG naming a missing file" {
	run --separate-stderr "$MAILOUT" --config "$BATS_TEST_TMPDIR/none" --dry-run
	assert_failure 78
	assert_equal "$stderr" "mailout: cannot read $BATS_TEST_TMPDIR/none: No such file or directory"
	MAILOUT_CONFIG=$BATS_TEST_TMPDIR/none dry_env
	assert_failure 78
	assert_equal "$stderr" "mailout: cannot read $BATS_TEST_TMPDIR/none: No such file or directory"
}

@test "error: AUTH configured without a user (78), on the command line (64)" {
	conf <<'EOF'
[p]
host = smtp.example.org
auth = PLAIN
EOF
	dry -a p
	assert_failure 78
	assert_equal "$stderr" 'mailout: auth = PLAIN needs a user: set user in profile p or give --user'
	CONF=/dev/null dry --auth on
	assert_failure 64
	assert_equal "${stderr_lines[0]}" 'mailout: --auth on needs --user'
	dry -a p --user me
	assert_success
	assert_line 'auth = PLAIN'
}

@test "command-line values are checked by the same parsers (64)" {
	CONF=/dev/null
	dry --timeout abc
	assert_failure 64
	assert_equal "${stderr_lines[0]}" 'mailout: --timeout: expected seconds from 1 to 86400, or off, got "abc"'
	dry --tls maybe
	assert_failure 64
	assert_equal "${stderr_lines[0]}" 'mailout: --tls: expected auto, off, starttls or implicit, got "maybe"'
	dry --port 0
	assert_failure 64
	assert_equal "${stderr_lines[0]}" 'mailout: --port: expected a port number from 1 to 65535, got "0"'
}

###########################################################################
# password: only in a private file

@test "password in a file others can read: 78, refused; 0600: accepted, masked" {
	conf <<'EOF'
[p]
user = me
password = hunter2-secret
EOF
	chmod 644 "$CONF"
	dry -a p
	conf_error 3 "password: $CONF must be private (its mode is 0644): chmod 600 $CONF (or 640 with a group of your own), or use password_command"
	chmod 660 "$CONF"
	dry -a p
	conf_error 3 "password: $CONF must be private (its mode is 0660): chmod 600 $CONF (or 640 with a group of your own), or use password_command"
	chmod 600 "$CONF"
	dry -a p
	assert_success
	assert_line 'password = <set>'
	refute_output --partial hunter2
	chmod 400 "$CONF"
	dry -a p
	assert_success
}

@test "password in a file owned by someone else: 78" {
	if [ "$(id -u)" != 0 ]; then
		skip "needs root to give the file away"
	fi
	conf <<'EOF'
[p]
password = hunter2-secret
EOF
	chown nobody "$CONF"
	dry
	conf_error 2 "password: $CONF belongs to uid $(id -u nobody), not to you (uid 0) nor to root; use password_command, or a file of your own"
}

@test "password in a file of root's, 0640 to a group: only for that group's members (the service's mailout.conf)" {
	if [ "$(id -u)" != 0 ]; then
		skip "needs root to make users and give the file away"
	fi
	groupadd -f mocfggrp
	id mocfgin >/dev/null 2>&1 || useradd --no-create-home -G mocfggrp mocfgin
	id mocfgout >/dev/null 2>&1 || useradd --no-create-home mocfgout
	conf <<'EOF'
[p]
user = me
password = hunter2-secret
EOF
	chown root:mocfggrp "$CONF"
	chmod 640 "$CONF"
	_servers_make_reachable "$(dirname "$CONF")"
	# a member of the group may read it, and it is private enough
	run runuser -u mocfgin -- "$MAILOUT" --config "$CONF" -a p --dry-run a@example.org </dev/null
	assert_success
	assert_line 'password = <set>'
	# root's file, readable by a group that is not ours
	chgrp nogroup "$CONF"
	dry -a p
	conf_error 3 "password: $CONF must be private (its mode is 0640): chmod 600 $CONF (or 640 with a group of your own), or use password_command"
	# others cannot even open it
	chgrp mocfggrp "$CONF"
	run runuser -u mocfgout -- "$MAILOUT" --config "$CONF" -a p --dry-run a@example.org </dev/null
	assert_failure 78
	assert_output --partial "Permission denied"
	userdel mocfgin
	userdel mocfgout
	groupdel mocfggrp
}

@test "password_command in a readable file is fine" {
	conf <<'EOF'
[p]
user = me
password_command = pass show mail
EOF
	chmod 644 "$CONF"
	dry -a p
	assert_success
	assert_line 'password_command = pass show mail'
}

###########################################################################
# [defaults] and inherit

@test "inherit: values from the base, overrides in the child, [defaults] under all" {
	conf <<'EOF'
[defaults]
timeout = 30
domain = example.org
helo = defaults.example

[child]
port = 2525
inherit = base
helo = child.example

[base]
host = base.example
port = 587
tls = starttls
inherit = root

[root]
timeout = 45
user = root-user
EOF
	dry --profile child
	assert_success
	assert_line 'profile: child (--profile child)'
	assert_line 'host = base.example'
	assert_line 'port = 2525'
	assert_line 'tls = starttls'
	assert_line 'timeout = 45'
	assert_line 'user = root-user'
	assert_line 'auth = on'
	assert_line 'helo = child.example'
	assert_line 'domain = example.org'
	dry --profile base
	assert_line 'port = 587'
	assert_line 'helo = defaults.example'
}

@test "inherit: an empty value drops an inherited setting" {
	conf <<'EOF'
[base]
socket = /run/base.sock
user = someone
[child]
inherit = base
socket =
user =
EOF
	dry -a child
	assert_success
	assert_line 'socket ='
	assert_line 'host = localhost'
	assert_line 'user ='
	assert_line 'auth = off'
}

@test "host and socket replace each other, the last one set wins" {
	conf <<'EOF'
[defaults]
socket = /run/dovecot/lmtp
[tcp]
host = smtp.example.org
[sock]
host = smtp.example.org
socket = /run/relay.sock
EOF
	dry -a tcp
	assert_line 'host = smtp.example.org'
	assert_line 'socket ='
	dry -a sock
	assert_line 'host = localhost'
	assert_line 'socket = /run/relay.sock'
	dry -a sock --host cli.example.org
	assert_line 'host = cli.example.org'
	assert_line 'socket ='
}

@test "match_from is not inherited" {
	conf <<'EOF'
[base]
match_from = *@example.org
host = base.example
[child]
inherit = base
host = child.example
EOF
	dry -f me@example.org
	assert_line 'profile: base (match_from *@example.org matched sender me@example.org)'
}

###########################################################################
# Which profile

# selection_conf: profiles for the selection tests.
selection_conf() {
	conf <<'EOF'
[defaults]
host = defaults.example

[work]
match_from = *@work.example, boss@*
host = smtp.work.example

[catchall]
match_from = *@*.example
host = catchall.example

[default]
host = default.example
EOF
}

@test "match_from: wildcards, case-insensitive, first match in file order wins" {
	selection_conf
	dry -f me@work.example
	assert_success
	assert_line 'profile: work (match_from *@work.example matched sender me@work.example)'
	assert_line 'host = smtp.work.example'
	dry -f 'Me Myself <me@WORK.Example>'
	assert_line 'profile: work (match_from *@work.example matched sender me@WORK.Example)'
	dry -r boss@elsewhere.org
	assert_line 'profile: work (match_from boss@* matched sender boss@elsewhere.org)'
	dry --from someone@home.example
	assert_line 'profile: catchall (match_from *@*.example matched sender someone@home.example)'
	assert_line 'host = catchall.example'
}

@test "no match: default_profile, else the profile named default, else defaults" {
	selection_conf
	dry -f someone@example.net
	assert_line 'profile: default (profile named default)'
	assert_line 'host = default.example'
	dry
	assert_line 'profile: default (profile named default)'
	{
		echo '[defaults]'
		echo 'default_profile = work'
	} >>"$CONF"
	dry -f someone@example.net
	assert_line 'profile: work (default_profile)'
	conf <<'EOF'
[defaults]
host = defaults.example
[work]
match_from = *@work.example
host = smtp.work.example
EOF
	dry -f someone@example.net
	assert_line 'profile: none (no profile: defaults only)'
	assert_line 'host = defaults.example'
}

@test "--profile and -a beat match_from" {
	selection_conf
	dry -f me@work.example --profile catchall
	assert_line 'profile: catchall (--profile catchall)'
	assert_line 'host = catchall.example'
	dry -f me@work.example -a default
	assert_line 'profile: default (--profile default)'
}

@test "the null sender matches no pattern" {
	selection_conf
	dry -f '<>'
	assert_success
	assert_line 'profile: default (profile named default)'
}

###########################################################################
# Precedence and derived defaults

@test "the command line beats the profile, the profile beats [defaults]" {
	conf <<'EOF'
[defaults]
timeout = 30
tls = off
[p]
host = smtp.example.org
port = 587
timeout = 40
tls = starttls
user = me
password = from-file
EOF
	dry -a p --host cli.example.org --port 10025 --timeout 5 --tls implicit \
		--password-command 'echo pw' --no-queue
	assert_success
	assert_line 'host = cli.example.org'
	assert_line 'port = 10025'
	assert_line 'timeout = 5'
	assert_line 'tls = implicit'
	assert_line 'password ='
	assert_line 'password_command = echo pw'
	assert_line 'queue = off'
	dry -a p
	assert_line 'timeout = 40'
	assert_line 'tls = starttls'
}

@test "derived defaults: port by protocol and tls, helo, auth by user" {
	conf <<'EOF'
[lmtp]
protocol = lmtp
[smtps]
tls = implicit
[plain]
host = x.example.org
[authed]
user = me
EOF
	dry -a lmtp
	assert_line 'port = 24'
	assert_line 'protocol = lmtp'
	dry -a smtps
	assert_line 'port = 465'
	dry -a plain
	assert_line 'port = 25'
	assert_line "helo = $(mail_name)"
	assert_line 'auth = off'
	dry -a authed
	assert_line 'auth = on'
	dry -a authed --auth off
	assert_line 'auth = off'
}

@test "values: words in any case, booleans, durations" {
	conf <<'EOF'
[p]
tls = STARTTLS
user = me
auth = scram-sha-256
chunking = no
pipelining = FALSE
remove_bcc = 0
add_missing_headers = yes
queue_lifetime = 36h
refused = Abort
dsn_return = HDRS
syslog_facility = Local3
EOF
	dry -a p
	assert_success
	assert_line 'tls = starttls'
	assert_line 'auth = SCRAM-SHA-256'
	assert_line 'chunking = off'
	assert_line 'pipelining = off'
	assert_line 'remove_bcc = off'
	assert_line 'add_missing_headers = on'
	assert_line 'queue_lifetime = 36h'
	assert_line 'refused = abort'
	assert_line 'dsn_return = hdrs'
	assert_line 'syslog_facility = local3'
}

@test "values: msmtp's spellings tls = on, timeout = off, tls_trust_file = system" {
	conf <<'EOF'
[defaults]
tls_trust_file = /etc/ssl/certs/ca-certificates.crt
[p]
tls = on
timeout = off
tls_trust_file = system
EOF
	dry -a p
	assert_success
	assert_line 'tls = starttls'	# msmtp: tls on, tls_starttls on
	assert_line 'timeout = 86400'	# the longest: never without a limit
	assert_line 'tls_trust_file ='	# the system's trust, the default
	dry -a p --tls ON --timeout Off
	assert_success
	assert_line 'tls = starttls'
	assert_line 'timeout = 86400'
}

@test "send: a 4000-octet password_command is read whole and its password used" {
	# The password comes from the very end of the line: a cut line
	# would print nothing, or something else.
	serve_plain_alice long-line-secret \
		"password_command = printf '%.0s' '$(head -c 3950 /dev/zero | tr '\0' x)'; echo long-line-secret"
	assert [ "$(awk '/^password_command/ { print length }' "$CONF")" -gt 4000 ]
	run timeout 20 "$MAILOUT" --config "$CONF" -a p -f sender@example.org \
		rcpt@example.com <"$BATS_TEST_TMPDIR/msg"
	assert_success
	scripted_wait
}

###########################################################################
# Which files

@test "MAILOUT_CONFIG is read when --config is not given; --config beats it" {
	conf "$BATS_TEST_TMPDIR/env.conf" <<'EOF'
[defaults]
host = env.example
EOF
	conf <<'EOF'
[defaults]
host = option.example
EOF
	MAILOUT_CONFIG=$BATS_TEST_TMPDIR/env.conf dry_env
	assert_success
	assert_line "config file: $BATS_TEST_TMPDIR/env.conf"
	assert_line 'host = env.example'
	MAILOUT_CONFIG=$BATS_TEST_TMPDIR/env.conf dry
	assert_line "config file: $CONF"
	assert_line 'host = option.example'
	refute_line --partial env.conf
}

@test "search path: the user file overrides the system file key by key" {
	local sys=$BATS_TEST_TMPDIR/etc xdg=$BATS_TEST_TMPDIR/xdg
	conf "$sys/mailout.conf" <<'EOF'
[defaults]
host = system.example
timeout = 11
[work]
match_from = *@work.example
port = 587
helo = system-helo.example
EOF
	conf "$xdg/mailout/config" <<'EOF'
[defaults]
timeout = 22
[work]
helo = user-helo.example
EOF
	unset MAILOUT_CONFIG
	MAILOUT_SYSCONFDIR=$sys XDG_CONFIG_HOME=$xdg dry_env -f me@work.example
	assert_success
	assert_line --index 0 "config file: $sys/mailout.conf"
	assert_line --index 1 "config file: $xdg/mailout/config"
	assert_line 'profile: work (match_from *@work.example matched sender me@work.example)'
	assert_line 'host = system.example'
	assert_line 'timeout = 22'
	assert_line 'port = 587'
	assert_line 'helo = user-helo.example'
}

@test "search path: the user file's match_from is tried before the system's" {
	local sys=$BATS_TEST_TMPDIR/etc xdg=$BATS_TEST_TMPDIR/xdg
	conf "$sys/mailout.conf" <<'EOF'
[system]
match_from = *@example.org
host = system.example
EOF
	conf "$xdg/mailout/config" <<'EOF'
[mine]
match_from = me@example.org
host = mine.example
EOF
	unset MAILOUT_CONFIG
	MAILOUT_SYSCONFDIR=$sys XDG_CONFIG_HOME=$xdg dry_env -f me@example.org
	assert_line 'profile: mine (match_from me@example.org matched sender me@example.org)'
	MAILOUT_SYSCONFDIR=$sys XDG_CONFIG_HOME=$xdg dry_env -f you@example.org
	assert_line 'profile: system (match_from *@example.org matched sender you@example.org)'
}

@test "search path: ~/.config without XDG_CONFIG_HOME; no file at all is fine" {
	local home=$BATS_TEST_TMPDIR/home
	conf "$home/.config/mailout/config" <<'EOF'
[defaults]
host = home.example
EOF
	unset MAILOUT_CONFIG XDG_CONFIG_HOME
	MAILOUT_SYSCONFDIR=$BATS_TEST_TMPDIR/none HOME=$home dry_env
	assert_success
	assert_line "config file: $home/.config/mailout/config"
	assert_line 'host = home.example'
	MAILOUT_SYSCONFDIR=$BATS_TEST_TMPDIR/none HOME=$BATS_TEST_TMPDIR/nohome dry_env
	assert_success
	assert_line "config file: none (built-in defaults; no $BATS_TEST_TMPDIR/none/mailout.conf nor $BATS_TEST_TMPDIR/nohome/.config/mailout/config)"
	assert_line 'host = localhost'
	assert_line 'port = 25'
}

@test "search path: a system file that cannot be read is an error" {
	nobody_dir
	conf "$SHARED/mailout.conf" </dev/null
	chmod 000 "$SHARED/mailout.conf"
	cp "$BATS_TEST_TMPDIR/msg" "$SHARED/msg"
	run --separate-stderr as_nobody env -u MAILOUT_CONFIG HOME=/nonexistent \
		MAILOUT_SYSCONFDIR="$SHARED" XDG_CONFIG_HOME="$SHARED/xdg" \
		"$SHARED/mailout" --dry-run rcpt@example.com <"$SHARED/msg"
	assert_failure 78
	assert_equal "$stderr" "mailout: cannot read $SHARED/mailout.conf: Permission denied"
}

###########################################################################
# --dry-run

@test "--dry-run: files, profile and reason, every setting, exit 0" {
	conf <<'EOF'
; indented keys are fine
[defaults]
	timeout = 30
	helo = client.test

[work]
	match_from = *@work.example
	host = smtp.work.example
	port = 587
	tls = starttls
	user = me@work.example
	password = s3cret-never-shown
	from = me@work.example
	queue_lifetime = 2d
EOF
	dry -f me@work.example
	assert_success
	assert_equal "$stderr" ""
	# the lines about the configuration; what follows is about the message
	output=$(head -n 37 <<<"$output")
	assert_output - <<EOF
config file: $CONF
profile: work (match_from *@work.example matched sender me@work.example)
host = smtp.work.example
port = 587
socket =
protocol = smtp
tls = starttls
tls_trust_file =
tls_fingerprint =
tls_cert_file =
tls_key_file =
tls_priorities =
auth = on
user = me@work.example
password = <set>
password_command =
from = me@work.example
helo = client.test
source_address =
proxy =
proxy_password_command =
timeout = 30
aliases =
domain = $(mail_name)
add_missing_headers = on
remove_bcc = on
pipelining = on
pipe_connect = on
chunking = on
dsn_notify =
dsn_return =
refused = continue
queue = on
queue_dir =
queue_lifetime = 2d
log =
syslog_facility = mail
EOF
}

@test "--dry-run connects to nothing" {
	scripted_start <<'EOF'
send 220 server.test ESMTP
EOF
	conf <<EOF
[p]
host = 127.0.0.1
port = $SERVER_PORT
EOF
	dry -a p
	assert_success
	assert_line "port = $SERVER_PORT"
	assert_no_connection
}

@test "--dry-run: an empty file is the built-in defaults" {
	CONF=/dev/null dry
	assert_success
	assert_line --index 0 'config file: /dev/null'
	assert_line --index 1 'profile: none (no profile: defaults only)'
	assert_line 'host = localhost'
	assert_line 'tls = auto'
	assert_line 'timeout = 60'
	assert_line 'queue_lifetime = 5d'
}

###########################################################################
# Documentation and the shipped example

@test "etc/mailout.conf.example parses and selects its profiles" {
	CONF=$TOP_DIR/etc/mailout.conf.example
	dry
	assert_success
	assert_line 'profile: relay (default_profile)'
	assert_line 'tls = off'
	dry -f me@gmail.com
	assert_success
	assert_line 'profile: gmail (match_from *@gmail.com matched sender me@gmail.com)'
	assert_line 'host = smtp.gmail.com'
	assert_line 'port = 587'
	assert_line 'tls = starttls'
	assert_line 'auth = on'
	dry -a gmail-oauth
	assert_line 'auth = XOAUTH2'
	assert_line 'host = smtp.gmail.com'
	assert_line 'oauth_token_endpoint = https://oauth2.googleapis.com/token'
	dry -a m365
	assert_line 'auth = XOAUTH2'
	assert_line 'oauth_scope = https://outlook.office.com/SMTP.Send offline_access'
	dry -a lmtp
	assert_line 'socket = /run/dovecot/lmtp'
	assert_line 'protocol = lmtp'
	assert_line 'port = 24'
}

@test "mailout.conf(5) documents every key --dry-run shows; --help the options" {
	local key missing=
	CONF=/dev/null dry
	for key in $(sed -n 's/^\([a-z_]*\) =.*/\1/p' <<<"$output") \
		inherit match_from default_profile; do
		grep -Eq "^\.B[IR]? (.*[^a-z_])?$key([^a-z_]|\$)" \
			"$TOP_DIR/man/mailout.conf.5" || missing+=" $key"
	done
	assert_equal "$missing" ""
	run "$MAILOUT" --help
	assert_output --partial '--config FILE'
	assert_output --partial '--profile NAME'
	assert_output --partial '--dry-run'
}

###########################################################################
# A profile really drives the send (scripted server)

@test "send: the profile's host, port, helo and from are used" {
	scripted_start < <(
		echo 'send 220 server.test ESMTP'
		echo 'expect EHLO profile\.test'
		echo 'send 250 server.test'
		DIALOGUE_FROM=profile-sender@example.org dialogue_tail
	)
	conf <<EOF
[defaults]
default_profile = test
[test]
host = 127.0.0.1
port = $SERVER_PORT
tls = off
helo = profile.test
from = profile-sender@example.org
timeout = 10
EOF
	run timeout 20 "$MAILOUT" --config "$CONF" rcpt@example.com \
		<"$BATS_TEST_TMPDIR/msg"
	assert_success
	assert_output ""
	assert_capture_prefix_printf 'EHLO profile.test\r\nMAIL FROM:<profile-sender@example.org>\r\nRCPT TO:<rcpt@example.com>\r\nDATA\r\n'
}

@test "send: a profile chosen by match_from speaks LMTP over its socket" {
	scripted_start --unix "$BATS_TEST_TMPDIR/lmtp.sock" < <(
		echo 'send 220 lmtp.test LMTP ready'
		echo 'expect LHLO client\.test'
		echo 'send 250 lmtp.test'
		DIALOGUE_FROM=me@lmtp.example dialogue_tail
	)
	conf <<EOF
[relay]
host = 192.0.2.1
[local]
match_from = *@lmtp.example
socket = $SERVER_SOCKET
protocol = lmtp
helo = client.test
EOF
	run timeout 20 "$MAILOUT" --config "$CONF" -f me@lmtp.example \
		rcpt@example.com <"$BATS_TEST_TMPDIR/msg"
	assert_success
	assert_capture_prefix_printf 'LHLO client.test\r\nMAIL FROM:<me@lmtp.example>\r\n'
}

@test "send: password from a private config file is used for AUTH" {
	serve_plain_alice file-secret 'password = file-secret'
	run timeout 20 "$MAILOUT" --config "$CONF" -a p -v -f sender@example.org \
		rcpt@example.com <"$BATS_TEST_TMPDIR/msg"
	assert_success
	refute_output --partial file-secret
	scripted_wait
}

@test "send: the command line overrides the profile's port" {
	scripted_start < <(dialogue_greet && dialogue_tail)
	conf <<'EOF'
[default]
host = 127.0.0.1
port = 9
tls = off
helo = client.test
EOF
	run timeout 20 "$MAILOUT" --config "$CONF" --port "$SERVER_PORT" \
		-f sender@example.org rcpt@example.com <"$BATS_TEST_TMPDIR/msg"
	assert_success
	scripted_wait
}

@test "--dry-run shows the envelope (-t, Bcc) and the header that would be sent, and connects nowhere" {
	run --separate-stderr "$MAILOUT" --dry-run --host 192.0.2.1 -f me@example.org \
		-t bob@example.org <<'MSG'
Subject: hi
To: carol@example.org
Bcc: dave@example.org

body
MSG
	assert_success
	assert_line 'envelope sender: <me@example.org>'
	assert_line 'envelope recipient: <bob@example.org>'
	assert_line 'envelope recipient: <carol@example.org>'
	assert_line 'envelope recipient: <dave@example.org>'
	assert_line 'header:'
	assert_line 'To: carol@example.org'
	assert_line --regexp '^Message-ID: <.+@example\.org>$'
	assert_line 'From: me@example.org'
	refute_line --partial 'Bcc:'
	refute_line 'body'
}
