#!/bin/bash
# The steps of make check-package, run by tests/check-package as root
# inside a fresh Debian 12 (never on a machine of its own: it installs
# and purges mail servers). From the clone's top directory:
#
#   1. make deb: the packages build, lintian is clean;
#   2. exim4 (and bsd-mailx) as a Debian machine has them, then mailout
#      and mailout-mta installed over it: exim4 goes, mailout-mta's files,
#      user, config, spool and units are there;
#   3. a relay (tests/package/relay.py) on loopback, /etc/mailname and the
#      relay in /etc/mailout.conf; root's sendmail -t, bsd-mailx and a
#      cron-style sendmail reach it with qualified addresses; newaliases,
#      mailq, and the config unreadable to an ordinary user and www-data;
#   4. the system service started by hand as its user, then the same
#      sends as the ordinary user and as www-data with no HOME (skipped,
#      saying so, until mailout serve exists: issue 16);
#   5. purge: nothing of mailout is left;
#   6. postfix replaced by mailout-mta the same way, and purged.
#
# Prints "ok", "not ok" and "skip" lines and ends with a
# "N passed, N failed, N skipped" line; exit 1 when a step failed.
# Most functions run through check, which shellcheck cannot follow.
# shellcheck disable=SC2317
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
TOP=$PWD
W=$(mktemp -d /tmp/check-package.XXXXXX)
RELAY_DIR=$W/relay
MAILNAME=pkgtest.example
passed=0 failed=0 skipped=0
RELAY_PID='' SERVICE_PID=''

cleanup() {
	local pid
	for pid in $SERVICE_PID $RELAY_PID; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	rm -rf "$W"
}
trap cleanup EXIT

ok() {
	echo "ok - $*"
	passed=$((passed + 1))
}

not_ok() {
	echo "not ok - $*"
	failed=$((failed + 1))
}

skip() {
	echo "skip - $*"
	skipped=$((skipped + 1))
}

# check DESCRIPTION CMD...: CMD must succeed; its output is shown if not.
check() {
	local what=$1
	shift
	if "$@" >"$W/out" 2>&1; then
		ok "$what"
	else
		not_ok "$what"
		sed 's/^/    /' "$W/out"
	fi
}

# fatal DESCRIPTION CMD...: as check, but nothing after it can run.
fatal() {
	local before=$failed
	check "$@"
	if [ "$failed" -ne "$before" ]; then
		summary
	fi
}

summary() {
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}

apt_install() {
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
		install -y -q --no-install-recommends "$@"
}

# owner_of FILE: the package that ships FILE.
owner_of() {
	dpkg-query -S "$1" 2>/dev/null | sed -n 's/: .*//p'
}

# is_installed PKG
is_installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null |
		grep -q '^install ok installed$'
}

is_gone() {
	! is_installed "$1"
}

# expect_equal WHAT GOT WANT
expect_equal() {
	if [ "$2" = "$3" ]; then
		return 0
	fi
	echo "$1: got '$2', expected '$3'"
	return 1
}

# as USER CMD...: CMD as USER with a clean environment, like a cron job
# or a daemon: the ordinary user has HOME, www-data has none.
as() {
	local user=$1 home=()
	shift
	if [ "$user" != www-data ]; then
		home=("HOME=$(getent passwd "$user" | cut -d: -f6)")
	fi
	setpriv --reuid="$user" --regid="$user" --init-groups \
		env -i PATH=/usr/bin:/bin LANG=C.UTF-8 USER="$user" \
		LOGNAME="$user" "${home[@]}" "$@"
}

# arrived SUBJECT HEADER...: a message with this subject reached the relay
# within 15 s, with each HEADER line ("X-Rcpt-To: root@...") in it.
arrived() {
	local subject=$1 file='' i line
	shift
	for ((i = 0; i < 150; i++)); do
		file=$(grep -lx "Subject: $subject"$'\r\\?' "$RELAY_DIR"/*.eml 2>/dev/null |
			head -n 1)
		[ -n "$file" ] && break
		sleep 0.1
	done
	if [ -z "$file" ]; then
		echo "no message \"$subject\" at the relay; it has:"
		grep -h '^Subject:' "$RELAY_DIR"/*.eml 2>/dev/null
		return 1
	fi
	for line in "$@"; do
		if ! tr -d '\r' <"$file" | grep -qxF -- "$line"; then
			echo "$file has no line \"$line\":"
			cat "$file"
			return 1
		fi
	done
}

# ---- 1. the packages

build_packages() {
	printf '#!/bin/sh\n# no daemon starts in this chroot\nexit 101\n' \
		>/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	fatal "make deb: the packages build and lintian is clean" make deb
	DEBS=$(ls "$TOP"/build/deb/mailout_*.deb "$TOP"/build/deb/mailout-mta_*.deb)
}

# ---- 2. over exim4

install_over() {
	local mta=$1
	check "$mta is the MTA before: /usr/sbin/sendmail is its" \
		expect_equal owner "$(owner_of /usr/sbin/sendmail)" "$mta"
	# shellcheck disable=SC2086 # one word per file
	fatal "mailout and mailout-mta install over $mta" apt_install $DEBS
	check "$mta is removed" is_gone "$mta"
	check "/usr/sbin/sendmail is mailout-mta's" \
		expect_equal owner "$(owner_of /usr/sbin/sendmail)" mailout-mta
}

check_files() {
	local l
	for l in /usr/sbin/sendmail /usr/lib/sendmail /usr/bin/mailq /usr/sbin/newaliases; do
		check "$l runs mailout" expect_equal "$l" "$(readlink -f "$l")" /usr/bin/mailout
	done
	check "sendmail(8) is mailout(1)" test "$(readlink -f /usr/share/man/man8/sendmail.8.gz)" \
		= /usr/share/man/man1/mailout.1.gz -a -f /usr/share/man/man1/mailout.1.gz
	check "bsd-mailx stays: mailout-mta is its mail-transport-agent" is_installed bsd-mailx
	check "system user and group mailout, home the spool, no shell" check_user
	check "/etc/mailout.conf: 0640 root:mailout, every line commented" check_conf
	check "/var/spool/mailout: 0700 mailout:mailout" expect_equal spool \
		"$(stat -c '%a %U:%G' /var/spool/mailout)" "700 mailout:mailout"
	check "units installed, mailout.socket and mailout.timer enabled" check_units
	check "--version names /etc/mailout.conf, the spool and /run/mailout/submit" \
		check_version
}

check_user() {
	local uid home shell
	IFS=: read -r _ _ uid _ _ home shell < <(getent passwd mailout) || return 1
	getent group mailout >/dev/null || { echo "no group mailout"; return 1; }
	[ "$uid" -lt 1000 ] || { echo "uid $uid is not a system uid"; return 1; }
	expect_equal home "$home" /var/spool/mailout &&
		expect_equal shell "$shell" /usr/sbin/nologin
}

check_conf() {
	expect_equal mode "$(stat -c '%a %U:%G' /etc/mailout.conf)" "640 root:mailout" &&
		! grep -v '^#' /etc/mailout.conf | grep -q .
}

check_units() {
	local u
	for u in mailout.socket mailout.service mailout.timer; do
		[ -f "/lib/systemd/system/$u" ] || { echo "no $u"; return 1; }
	done
	if [ ! -L /etc/systemd/system/sockets.target.wants/mailout.socket ] ||
		[ ! -L /etc/systemd/system/timers.target.wants/mailout.timer ]; then
		ls -lR /etc/systemd/system
		return 1
	fi
}

check_version() {
	mailout --version >"$W/version" || return 1
	if ! grep -qx 'config file: /etc/mailout.conf (exists)' "$W/version" ||
		! grep -qx 'queue directory: /var/spool/mailout' "$W/version" ||
		! grep -q '^service socket: /run/mailout/submit ' "$W/version"; then
		cat "$W/version"
		return 1
	fi
}

# ---- 3. a relay, and what works without the service

start_relay() {
	mkdir -p "$RELAY_DIR"
	"$TOP/tests/package/relay.py" "$RELAY_DIR" "$W/relay.port" \
		>"$W/relay.log" 2>&1 &
	RELAY_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		[ -s "$W/relay.port" ] && break
		sleep 0.1
	done
	fatal "the relay listens" test -s "$W/relay.port"
	RELAY_PORT=$(<"$W/relay.port")
}

# The machine's mail name, and the relay in the system configuration.
configure() {
	echo "$MAILNAME" >/etc/mailname
	printf '\n[defaults]\nhost = 127.0.0.1\nport = %s\n' "$RELAY_PORT" \
		>>/etc/mailout.conf
	check "/etc/mailout.conf keeps 0640 root:mailout once edited" check_conf_mode
}

check_conf_mode() {
	expect_equal mode "$(stat -c '%a %U:%G' /etc/mailout.conf)" "640 root:mailout"
}

# send_three USER: sendmail -t, bsd-mailx and a cron job's sendmail, as USER.
send_three() {
	local u=$1
	check "$u: sendmail -t reaches the relay, root qualified with /etc/mailname" \
		send_t "$u"
	check "$u: echo x | mail -s y root (bsd-mailx) reaches the relay" \
		send_mailx "$u"
	check "$u: sendmail -FCronDaemon -i -B8BITMIME -oem $u (cron) reaches the relay" \
		send_cron "$u"
	check "$u: mailq exits 0" as "$u" mailq
}

send_t() {
	printf 'To: root\nSubject: %s sendmail -t\n\nsent with -t\n' "$1" |
		as "$1" /usr/sbin/sendmail -t || return 1
	arrived "$1 sendmail -t" "X-Helo: $MAILNAME" \
		"X-Mail-From: $1@$MAILNAME" "X-Rcpt-To: root@$MAILNAME"
}

send_mailx() {
	echo "sent with mail" | as "$1" mail -s "$1 bsd-mailx" root || return 1
	arrived "$1 bsd-mailx" "X-Mail-From: $1@$MAILNAME" "X-Rcpt-To: root@$MAILNAME"
}

# What cron writes to sendmail for a job's output (cron 3.0pl1, Debian).
send_cron() {
	printf '%s\n' "From: root (Cron Daemon)" "To: $1" \
		"Subject: Cron <$1@$(hostname)> $1 job" \
		"MIME-Version: 1.0" "Content-Type: text/plain; charset=UTF-8" \
		"Content-Transfer-Encoding: 8bit" "X-Cron-Env: <SHELL=/bin/sh>" \
		"" "output of the job, 8-bit: déjà vu" |
		as "$1" /usr/sbin/sendmail -FCronDaemon -i -B8BITMIME -oem "$1" ||
		return 1
	arrived "Cron <$1@$(hostname)> $1 job" "X-Mail-From: $1@$MAILNAME" \
		"X-Rcpt-To: $1@$MAILNAME" "output of the job, 8-bit: déjà vu"
}

without_service() {
	send_three root
	check "newaliases and sendmail -bi exit 0 (root)" \
		sh -c 'newaliases && /usr/sbin/sendmail -bi'
	local u
	for u in "$USER_NAME" www-data; do
		check "$u: /usr/sbin/newaliases exits 0" as "$u" /usr/sbin/newaliases
		check "$u: cannot read /etc/mailout.conf" cannot_read "$u"
		check "$u: --version says the config is not readable" \
			version_unreadable "$u"
	done
}

cannot_read() {
	! as "$1" cat /etc/mailout.conf
}

version_unreadable() {
	as "$1" mailout --version | grep -qx \
		'config file: /etc/mailout.conf (exists, not readable by this user)'
}

# ---- 4. the service, for every user

# Whether this mailout has the system service (issue 16).
has_service() {
	mailout --help 2>&1 | grep -qE '(^|[[:space:]])serve([[:space:]]|$)'
}

with_service() {
	local u
	if ! has_service; then
		for u in "$USER_NAME" www-data; do
			skip "$u: sendmail -t, bsd-mailx, cron-style sendmail and mailq" \
				"through the system service: mailout serve (issue 16) does not" \
				"exist yet"
		done
		return
	fi
	# As systemd would: /run/mailout for the socket, the service as mailout.
	install -d -o mailout -g mailout -m 0755 /run/mailout
	setpriv --reuid=mailout --regid=mailout --init-groups env -i \
		PATH=/usr/bin:/bin HOME=/var/spool/mailout \
		mailout serve >"$W/serve.log" 2>&1 &
	SERVICE_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		[ -S /run/mailout/submit ] && break
		sleep 0.1
	done
	if ! check "mailout serve listens on /run/mailout/submit, as mailout" \
		test -S /run/mailout/submit; then
		sed 's/^/    /' "$W/serve.log"
	fi
	for u in "$USER_NAME" www-data; do
		send_three "$u"
	done
	kill "$SERVICE_PID" && wait "$SERVICE_PID"
	SERVICE_PID=
}

# ---- 5. purge

purge() {
	check "apt-get purge mailout-mta mailout" \
		env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q mailout-mta mailout
	check "after purge: no package, user, group, config, spool, unit or link is left" \
		check_purged
}

check_purged() {
	local left
	if dpkg -l 'mailout*' 2>/dev/null | grep -E '^(ii|rc|iU|iF)'; then
		return 1
	fi
	if getent passwd mailout || getent group mailout; then
		return 1
	fi
	left=$(find / -xdev \( -path /src -o -path /tmp -o -path /proc \
		-o -path /sys -o -path /dev -o -path /run \) -prune -o \
		\( -name '*mailout*' -o -path /usr/sbin/sendmail \
		-o -path /usr/lib/sendmail -o -path /usr/bin/mailq \
		-o -path /usr/sbin/newaliases \) -print)
	if [ -n "$left" ]; then
		echo "left: $left"
		return 1
	fi
}

# ---- 6. over postfix

over_postfix() {
	echo "postfix postfix/main_mailer_type select No configuration" |
		debconf-set-selections
	fatal "postfix installs" apt_install postfix
	install_over postfix
	check "/etc/mailout.conf: 0640 root:mailout again" check_conf
	purge
}

# ----

build_packages
fatal "exim4 and bsd-mailx install, as on a Debian machine" \
	apt_install exim4-daemon-light bsd-mailx
fatal "the relay's and the tests' packages install" tests/deps.sh install package-guest
USER_NAME=alice
fatal "an ordinary user $USER_NAME" useradd -m -s /bin/bash "$USER_NAME"
install_over exim4-daemon-light
check_files
start_relay
configure
without_service
with_service
purge
over_postfix
summary
