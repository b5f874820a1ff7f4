#!/bin/sh
# The packages of tests/deps.list, by group.
#
#   tests/deps.sh install GROUP...   install what is missing (apt-get,
#                                    through sudo unless root), then check
#   tests/deps.sh check GROUP...     name every missing command or file,
#                                    exit 1 if there is one
set -u
list=$(dirname "$0")/deps.list

# rows GROUP...: "package provides..." for each row of those groups.
rows() {
	awk -v groups=" $* " '
		/^[ \t]*(#|$)/ { next }
		index(groups, " " $1 " ") { $1 = ""; sub(/^ /, ""); print }' "$list"
}

# has WORD: whether one "provides" word of the list is present.
has() {
	case $1 in
	pkg:*) pkg-config --exists "${1#pkg:}" 2>/dev/null ;;
	perl:*) perl -M"${1#perl:}" -e 1 2>/dev/null ;;
	file:*) for f in ${1#file:}; do [ -e "$f" ] && return 0; done; return 1 ;;
	*) command -v "$1" >/dev/null 2>&1 ;;
	esac
}

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null |
		grep -q '^install ok installed'
}

check() {
	missing=$(rows "$@" | while read -r pkg provides; do
		for w in $provides; do
			has "$w" || echo "  $w (Debian package $pkg)"
		done
	done)
	[ -z "$missing" ] && return 0
	echo "missing for $*; 'make deps' installs them:" >&2
	echo "$missing" >&2
	return 1
}

install() {
	missing=$(rows "$@" | while read -r pkg _; do
		installed "$pkg" || echo "$pkg"
	done | sort -u | tr '\n' ' ')
	if [ -n "$missing" ]; then
		sudo=
		[ "$(id -u)" -eq 0 ] || sudo=sudo
		echo "make deps: installing $missing"
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq &&
			# shellcheck disable=SC2086 # one word per package
			$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install \
				-y -qq --no-install-recommends $missing || exit 1
	fi
	check "$@"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
install | check) "$cmd" "$@" ;;
*) echo "usage: tests/deps.sh install|check GROUP..." >&2; exit 2 ;;
esac
