# A whole SMTP submission to tests/server/scripted.py, cut into stages, so
# that a test can put a fault in place of the server's reply at one stage.
# Sourced by tests/helpers.bash; used by tests/hostile.bats and
# tests/valgrind.bats.
#
#   dialogue_stages              the stages, in order (see below)
#   dialogue_script STAGE [LINE...]
#                                the server's script: the normal dialogue,
#                                with the script LINEs in place of STAGE's
#                                reply (none: STAGE is not answered).  The
#                                dialogue goes on after them unless the last
#                                one ends the connection (close, reset,
#                                expect-eof, stall).
#   dialogue_reply STAGE         the script lines of STAGE's normal reply
#   dialogue_sent STAGE          printf format of the bytes the client sends
#                                up to and including its part of STAGE
#   dialogue_message FILE        write the message the dialogue expects
#   dialogue_args                mailout's arguments for this dialogue (one
#                                a line; read them with mapfile)
#   dialogue_run [ARG...]        run mailout (bounded by timeout 60) with
#                                ARGs and dialogue_args against the scripted
#                                server, the message from
#                                $BATS_TEST_TMPDIR/msg; sets status, output
#                                and ELAPSED_MS
#
# Stages: greeting ehlo [starttls tls ehlo-tls] [auth] mail rcpt1 rcpt2
# then data body dot, or (DIALOGUE_CHUNKING) bdat; then quit.  "tls" is the
# handshake (its "reply" is the server's side of it), "body" the message
# text (its "reply" is reading it), "dot" and "bdat" the final reply.
#
# The shape comes from these variables (1 = on): DIALOGUE_TLS (STARTTLS,
# certificates in DIALOGUE_CERTS, made by tests/servers/certs.sh),
# DIALOGUE_AUTH (AUTH PLAIN as alice, from a --password-command),
# DIALOGUE_CHUNKING (BDAT instead of DATA).

DIALOGUE_FROM=sender@example.org
DIALOGUE_RCPTS=(a@example.com b@example.com)
DIALOGUE_HDR='From: Sender <sender@example.org>\nTo: <a@example.com>, <b@example.com>\nSubject: dialogue\nDate: Mon, 01 Jan 2024 00:00:00 +0000\nMessage-ID: <dialogue.1@example.org>\n\n'
DIALOGUE_BODY='Hello, world.\n'
DIALOGUE_PASSWORD=secret-pw

dialogue_stages() {
	local s=(greeting ehlo)
	if [ "${DIALOGUE_TLS:-}" = 1 ]; then s+=(starttls tls ehlo-tls); fi
	if [ "${DIALOGUE_AUTH:-}" = 1 ]; then s+=(auth); fi
	s+=(mail rcpt1 rcpt2)
	if [ "${DIALOGUE_CHUNKING:-}" = 1 ]; then
		s+=(bdat)
	else
		s+=(data body dot)
	fi
	s+=(quit)
	echo "${s[@]}"
}

# The message as the client sends it (CRLF), as a printf format.
_dialogue_text() {
	local text="$DIALOGUE_HDR$DIALOGUE_BODY"
	printf '%s' "${text//'\n'/'\r\n'}"
}

_dialogue_auth_b64() {
	printf '\0alice\0%s' "$DIALOGUE_PASSWORD" | base64 -w0
}

_dialogue_ehlo_reply() {
	echo 'send 250-server.test'
	if [ "$1" = plain ] && [ "${DIALOGUE_TLS:-}" = 1 ]; then
		echo 'send 250-STARTTLS'
	elif [ "${DIALOGUE_AUTH:-}" = 1 ]; then
		echo 'send 250-AUTH PLAIN'
	fi
	if [ "${DIALOGUE_CHUNKING:-}" = 1 ]; then echo 'send 250-CHUNKING'; fi
	echo 'send 250 HELP'
}

# _dialogue_expect STAGE: the script lines reading the client's command.
_dialogue_expect() {
	case $1 in
	ehlo | ehlo-tls) echo 'expect EHLO client\.test' ;;
	starttls) echo 'expect STARTTLS' ;;
	auth) echo "expect AUTH PLAIN $(_dialogue_auth_b64 | sed 's/[+]/\\+/g')" ;;
	mail) echo 'expect MAIL FROM:<sender@example\.org>' ;;
	rcpt1) echo 'expect RCPT TO:<a@example\.com>' ;;
	rcpt2) echo 'expect RCPT TO:<b@example\.com>' ;;
	data) echo 'expect DATA' ;;
	bdat) echo 'bdat BDAT [0-9]+ LAST' ;;
	quit) echo 'expect QUIT' ;;
	esac
}

dialogue_reply() {
	case $1 in
	greeting) echo 'send 220 server.test ESMTP ready' ;;
	ehlo) _dialogue_ehlo_reply plain ;;
	starttls) echo 'send 220 2.0.0 Ready to start TLS' ;;
	tls) echo "starttls $DIALOGUE_CERTS/server.pem $DIALOGUE_CERTS/server.key" ;;
	ehlo-tls) _dialogue_ehlo_reply tls ;;
	auth) echo 'send 235 2.7.0 Authentication successful' ;;
	mail) echo 'send 250 2.1.0 Ok' ;;
	rcpt1 | rcpt2) echo 'send 250 2.1.5 Ok' ;;
	data) echo 'send 354 End data with <CR><LF>.<CR><LF>' ;;
	body) echo 'data' ;;
	dot | bdat) echo 'send 250 2.0.0 Ok: queued' ;;
	quit) echo 'send 221 2.0.0 Bye' ;;
	esac
}

dialogue_script() {
	local stage=$1 s
	shift
	for s in $(dialogue_stages); do
		_dialogue_expect "$s"
		if [ "$s" != "$stage" ]; then
			dialogue_reply "$s"
			continue
		fi
		if [ $# -gt 0 ]; then printf '%s\n' "$@"; fi
		case ${!#} in
		close | reset | expect-eof* | stall*) return ;;
		esac
	done
}

dialogue_sent() {
	local stage=$1 s out='' text
	text=$(_dialogue_text)
	# shellcheck disable=SC2059 # text is a printf format
	for s in $(dialogue_stages); do
		case $s in
		ehlo | ehlo-tls) out+='EHLO client.test\r\n' ;;
		starttls) out+='STARTTLS\r\n' ;;
		auth) out+="AUTH PLAIN $(_dialogue_auth_b64)"'\r\n' ;;
		mail) out+='MAIL FROM:<sender@example.org>\r\n' ;;
		rcpt1) out+='RCPT TO:<a@example.com>\r\n' ;;
		rcpt2) out+='RCPT TO:<b@example.com>\r\n' ;;
		data) out+='DATA\r\n' ;;
		body) out+=$text ;;
		dot) out+='.\r\n' ;;
		bdat) out+="BDAT $(printf -- "$text" | wc -c) LAST"'\r\n'"$text" ;;
		quit) out+='QUIT\r\n' ;;
		esac
		if [ "$s" = "$stage" ]; then break; fi
	done
	printf '%s' "$out"
}

dialogue_message() {
	# shellcheck disable=SC2059
	printf -- "$DIALOGUE_HDR$DIALOGUE_BODY" >"$1"
}

dialogue_args() {
	printf '%s\n' --helo client.test -f "$DIALOGUE_FROM"
	if [ "${DIALOGUE_TLS:-}" = 1 ]; then
		printf '%s\n' --tls starttls --tls-trust-file "$DIALOGUE_CERTS/ca.pem"
	else
		printf '%s\n' --tls off
	fi
	if [ "${DIALOGUE_AUTH:-}" = 1 ]; then
		printf '%s\n' --auth plain --user alice \
			--password-command "echo $DIALOGUE_PASSWORD"
	fi
	printf '%s\n' "${DIALOGUE_RCPTS[@]}"
}

dialogue_run() {
	local t0 args
	mapfile -t args < <(dialogue_args)
	t0=${EPOCHREALTIME/./}
	run timeout 60 "$MAILOUT" --host 127.0.0.1 --port "$SERVER_PORT" \
		"$@" "${args[@]}" <"$BATS_TEST_TMPDIR/msg"
	# shellcheck disable=SC2034 # for the caller
	ELAPSED_MS=$(((${EPOCHREALTIME/./} - t0) / 1000))
}
