#!/bin/bash
# Throwaway PKI for the test servers.
#
#   tests/servers/certs.sh DIR
#
# Writes into DIR (created if needed):
#   ca.pem  ca.key                 test CA ("mailout test CA")
#   server.pem  server.key         signed by ca.pem; SANs localhost, mail.test, 127.0.0.1
#   other-ca.pem  other-ca.key     an unrelated CA
#   untrusted.pem  untrusted.key   valid names, but signed by other-ca.pem
#   expired.pem  expired.key       signed by ca.pem, right names, expired in 2020
#   wrongname.pem  wrongname.key   signed by ca.pem, only DNS:wrong.test
#   selfsigned.pem  selfsigned.key self-signed, right names
#   client.pem  client.key         client certificate signed by ca.pem:
#                                  CN client.test, email alice@example.org
# Idempotent: if everything is already there it does nothing.
set -euo pipefail

die() { echo "certs.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: certs.sh DIR"
dir=$1
command -v certtool >/dev/null || die "certtool not found (apt-get install gnutls-bin)"
mkdir -p "$dir"
cd "$dir"

all="ca.pem ca.key server.pem server.key other-ca.pem other-ca.key untrusted.pem
untrusted.key expired.pem expired.key wrongname.pem wrongname.key selfsigned.pem
selfsigned.key client.pem client.key"
done=1
for f in $all; do [ -s "$f" ] || done=0; done
[ $done = 1 ] && exit 0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/certs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

key() { # key FILE  (ECDSA P-256: fast to generate)
	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
		--outfile "$1" 2>/dev/null
}

ca() { # ca NAME CN
	cat >"$tmp/$1.tmpl" <<T
cn = "$2"
organization = "mailout tests"
serial = $RANDOM$RANDOM
ca
cert_signing_key
crl_signing_key
expiration_days = 3650
T
	key "$1.key"
	certtool --generate-self-signed --load-privkey "$1.key" \
		--template "$tmp/$1.tmpl" --outfile "$1.pem" 2>/dev/null
}

# leaf NAME SIGNER(ca|other-ca|self) "template lines" [PURPOSE]
# PURPOSE: tls_www_server (default) or tls_www_client
leaf() {
	local name=$1 signer=$2 extra=$3 purpose=${4:-tls_www_server}
	{
		echo "organization = \"mailout tests\""
		echo "serial = $RANDOM$RANDOM"
		echo "$purpose"
		echo "signing_key"
		echo "encryption_key"
		printf '%s\n' "$extra"
	} >"$tmp/$name.tmpl"
	key "$name.key"
	if [ "$signer" = self ]; then
		certtool --generate-self-signed --load-privkey "$name.key" \
			--template "$tmp/$name.tmpl" --outfile "$name.pem" 2>/dev/null
	else
		certtool --generate-certificate --load-privkey "$name.key" \
			--load-ca-certificate "$signer.pem" --load-ca-privkey "$signer.key" \
			--template "$tmp/$name.tmpl" --outfile "$name.pem" 2>/dev/null
	fi
}

good_names='cn = "localhost"
dns_name = "localhost"
dns_name = "mail.test"
ip_address = "127.0.0.1"'

ca ca "mailout test CA"
ca other-ca "mailout other CA"
leaf server ca "$good_names
expiration_days = 3650"
leaf untrusted other-ca "$good_names
expiration_days = 3650"
leaf expired ca "$good_names
activation_date = \"2019-01-01 00:00:00 UTC\"
expiration_date = \"2020-01-01 00:00:00 UTC\""
leaf wrongname ca 'cn = "wrong.test"
dns_name = "wrong.test"
expiration_days = 3650'
leaf selfsigned self "$good_names
expiration_days = 3650"
leaf client ca 'cn = "client.test"
email = "alice@example.org"
expiration_days = 3650' tls_www_client

# Exim (running as Debian-exim) and Dovecot must read the keys.
chmod 0644 ./*.pem ./*.key
for f in $all; do [ -s "$f" ] || die "failed to create $dir/$f"; done
