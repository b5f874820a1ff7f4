#!/bin/sh
# make distcheck: the release tarball, unpacked in a temporary directory,
# builds without autoconf, passes its tests (DISTCHECK_CHECK, default
# `check`; empty skips them), and installs with other directories than
# configure's so that the binary, the man pages and the units all name
# the installed ones; then uninstalls without leaving a file.
#
#   tests/distcheck.sh mailout-VERSION.tar.gz
set -eu
tarball=$(realpath "$1")
check=${DISTCHECK_CHECK-check}
work=$(mktemp -d /var/tmp/mailout-distcheck.XXXXXX)
trap 'rm -rf "$work"' EXIT

fail() {
	echo "distcheck: $*" >&2
	exit 1
}

# expect FILE PATTERN: FILE has a line matching the (grep) PATTERN.
expect() {
	grep -q -- "$2" "$1" || fail "$1 has no line like: $2"
}

# autoconf must not run: a tarball is built where it is not installed.
mkdir "$work/no-autoconf"
for t in autoconf autoheader autoreconf; do
	printf '#!/bin/sh\necho "distcheck: %s ran: the tarball needs autoconf" >&2\nexit 1\n' \
		"$t" >"$work/no-autoconf/$t"
	chmod 755 "$work/no-autoconf/$t"
done
PATH=$work/no-autoconf:$PATH
export PATH

tar -x -C "$work" -f "$tarball"
cd "$work/$(basename "$tarball" .tar.gz)"
for f in configure config.h.in LICENSE NEWS debian/control; do
	[ -f "$f" ] || fail "no $f in the tarball"
done
echo "distcheck: building in $PWD"
make
if [ -n "$check" ]; then
	make "$check"
fi

# Other directories than configure's, given to make install alone.
root=$work/root
dirs="prefix=/usr sysconfdir=/etc"
# shellcheck disable=SC2086 # one word per variable
make install install-sendmail DESTDIR="$root" $dirs
"$root/usr/bin/mailout" --version >"$work/version"
expect "$work/version" '^config file: /etc/mailout.conf '
expect "$root/usr/share/man/man1/mailout.1" '^\.ds mailout-conf /etc/mailout\.conf$'
expect "$root/usr/share/man/man5/mailout.conf.5" '^\.ds mailout-conf /etc/mailout\.conf$'
expect "$root/usr/share/man/man1/mailout.1" '^\.ds mailout-spool /var/spool/mailout$'
expect "$root/usr/lib/systemd/system/mailout.service" '^ExecStart=/usr/bin/mailout serve$'
expect "$root/usr/lib/systemd/system/mailout.service" '^ReadWritePaths=/var/spool/mailout$'
expect "$root/usr/lib/systemd/system/mailout.socket" '^ListenStream=/run/mailout/submit$'
expect "$root/usr/lib/systemd/user/mailout-flush.service" '^ExecStart=/usr/bin/mailout --flush$'
for l in usr/sbin/sendmail usr/lib/sendmail usr/bin/mailq usr/sbin/newaliases; do
	[ "$(readlink "$root/$l")" = /usr/bin/mailout ] || fail "/$l is not a link to mailout"
done
[ "$(readlink "$root/usr/share/man/man8/sendmail.8")" = ../man1/mailout.1 ] ||
	fail "no sendmail(8) link"
# install-sendmail leaves another MTA's sendmail alone.
rm "$root/usr/lib/sendmail"
echo '#!/bin/sh' >"$root/usr/lib/sendmail"
# shellcheck disable=SC2086
if make install-sendmail DESTDIR="$root" $dirs >"$work/out" 2>&1; then
	fail "install-sendmail replaced another program's /usr/lib/sendmail"
fi
expect "$work/out" 'is not mailout'
rm "$root/usr/lib/sendmail"
# shellcheck disable=SC2086
make uninstall DESTDIR="$root" $dirs
left=$(find "$root" ! -type d)
[ -z "$left" ] || fail "make uninstall left: $left"

# The units as systemd reads them, installed where their ExecStart is.
if command -v systemd-analyze >/dev/null; then
	make install prefix="$work/inst"
	systemd-analyze verify --man=no "$work"/inst/lib/systemd/system/mailout.*
	XDG_RUNTIME_DIR=$work systemd-analyze verify --user --man=no \
		"$work"/inst/lib/systemd/user/mailout-flush.*
else
	echo "distcheck: no systemd-analyze here: the units are not verified"
fi

# Without git, make dist says why it cannot run.
if make dist >"$work/out" 2>&1; then
	fail "make dist ran without git"
fi
expect "$work/out" 'needs the git repository'
echo "distcheck: $(basename "$tarball") is ready for release"
