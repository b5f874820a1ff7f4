# A whole SMTP submission to tests/server/scripted.py, cut into stages, so
# that a test can put a fault in place of the server's reply at one stage,
# or write its own opening and let the ordinary tail follow.  Sourced by
# tests/helpers.bash.
#
#   dialogue_stages              the stages, in order (see below)
#   dialogue_script STAGE [LINE...]
#                                the server's script: the normal dialogue,
#                                with the script LINEs in place of STAGE's
#                                reply (no LINE: STAGE is not answered; STAGE
#                                "none": the whole dialogue, no fault).  The
#                                dialogue goes on after them unless the last
#                                one ends the connection (close, reset,
#                                expect-eof, stall).
#   dialogue_tail                the script from the MAIL command to QUIT,
#                                every reply positive: what follows a
#                                test's own greeting, EHLO (STARTTLS, AUTH)
#   dialogue_ehlo [CAP...]       the script reading EHLO and answering it,
#                                offering CAPs (one a line)
#   dialogue_greet [CAP...]      the greeting, then dialogue_ehlo CAPs
#   dialogue_reply STAGE         the script lines of STAGE's normal reply
#   dialogue_sent [FIRST] STAGE  printf format of the bytes the client sends
#                                from its part of stage FIRST (default: the
#                                start) up to and including its part of
#                                STAGE (dialogue_sent mail quit: the tail's)
#   dialogue_tail_sent TEXT      the bytes (not a format) the client sends
#                                for dialogue_tail when TEXT is the file of
#                                the message text as it goes on the wire
#                                (- : stdin; see wire)
#   dialogue_message FILE        write the message the dialogue expects
#   dialogue_args                mailout's arguments for this dialogue (one
#                                a line; read them with mapfile)
#   dialogue_run [ARG...]        run mailout (bounded by timeout 60) with
#                                ARGs and dialogue_args against the scripted
#                                server (scripted_mailout: the message from
#                                $BATS_TEST_TMPDIR/msg; sets status, output
#                                and ELAPSED_MS)
#
# Stages: greeting ehlo [starttls tls ehlo-tls] [auth] mail rcpt1 ... rcptN
# then data body dot, or (DIALOGUE_CHUNKING) bdat; then quit.  "tls" is the
# handshake (its "reply" is the server's side of it), "body" the message
# text (its "reply" is reading it), "dot" and "bdat" the final reply.
#
# The shape comes from these variables (1 = on): DIALOGUE_TLS (STARTTLS,
# certificates in DIALOGUE_CERTS, made by tests/servers/certs.sh),
# DIALOGUE_AUTH (AUTH PLAIN as alice, from a --password-command),
# DIALOGUE_CHUNKING (BDAT instead of DATA); the envelope from
# DIALOGUE_FROM, or the whole MAIL command from DIALOGUE_MAIL (parameters
# and all), DIALOGUE_RCPTS (one stage rcptN each) and the parameters of
# their RCPT commands, DIALOGUE_RCPT_PARAMS (if any); the message from
# DIALOGUE_HDR and DIALOGUE_BODY (printf formats, LF line ends).

DIALOGUE_FROM=sender@example.org
DIALOGUE_MAIL=
DIALOGUE_RCPTS=(a@example.com b@example.com)
DIALOGUE_RCPT_PARAMS=()
DIALOGUE_HDR='From: Sender <sender@example.org>\nTo: <a@example.com>, <b@example.com>\nSubject: dialogue\nDate: Mon, 01 Jan 2024 00:00:00 +0000\nMessage-ID: <dialogue.1@example.org>\n\n'
DIALOGUE_BODY='Hello, world.\n'
DIALOGUE_PASSWORD=secret-pw

# Suites build many scripts, so this costs little: the helpers return in
# REPLY or the array _DIALOGUE_STAGES (no subshell), and the public
# functions start with "local -; set +T" (functrace off, restored on
# return): under Bats every command a function runs otherwise runs the
# debug trap first, which made a dialogue cost 30 ms of CPU instead of 2.

# _dialogue_stages_from FIRST: _DIALOGUE_STAGES, the stages from FIRST on.
_dialogue_stages_from() {
	local s=(greeting ehlo) i
	if [ "${DIALOGUE_TLS:-}" = 1 ]; then s+=(starttls tls ehlo-tls); fi
	if [ "${DIALOGUE_AUTH:-}" = 1 ]; then s+=(auth); fi
	s+=(mail)
	for ((i = 1; i <= ${#DIALOGUE_RCPTS[@]}; i++)); do s+=("rcpt$i"); done
	if [ "${DIALOGUE_CHUNKING:-}" = 1 ]; then
		s+=(bdat)
	else
		s+=(data body dot)
	fi
	s+=(quit)
	for ((i = 0; i < ${#s[@]}; i++)); do
		if [ "${s[i]}" = "$1" ]; then break; fi
	done
	_DIALOGUE_STAGES=("${s[@]:i}")
}

dialogue_stages() {
	local -
	set +T
	_dialogue_stages_from greeting
	echo "${_DIALOGUE_STAGES[@]}"
}

# _dialogue_command STAGE: REPLY, the client's command line of STAGE (empty
# for a stage without one).
_dialogue_command() {
	local i
	case $1 in
	ehlo | ehlo-tls) REPLY='EHLO client.test' ;;
	starttls) REPLY=STARTTLS ;;
	auth)
		REPLY="AUTH PLAIN $(printf '\0alice\0%s' "$DIALOGUE_PASSWORD" | base64 -w0)"
		;;
	mail) REPLY=${DIALOGUE_MAIL:-MAIL FROM:<$DIALOGUE_FROM>} ;;
	rcpt*)
		i=$((${1#rcpt} - 1))
		REPLY="RCPT TO:<${DIALOGUE_RCPTS[i]}>${DIALOGUE_RCPT_PARAMS[i]:+ ${DIALOGUE_RCPT_PARAMS[i]}}"
		;;
	data) REPLY=DATA ;;
	quit) REPLY=QUIT ;;
	*) REPLY= ;;
	esac
}

# _dialogue_ehlo_lines [CAP...]: the script of an EHLO reply offering CAPs.
_dialogue_ehlo_lines() {
	echo 'send 250-server.test'
	if [ $# -gt 0 ]; then printf 'send 250-%s\n' "$@"; fi
	echo 'send 250 HELP'
}

dialogue_ehlo() {
	local -
	set +T
	_dialogue_expect ehlo
	_dialogue_ehlo_lines "$@"
}

dialogue_greet() {
	local -
	set +T
	dialogue_reply greeting
	dialogue_ehlo "$@"
}

_dialogue_ehlo_reply() {
	local -a caps=()
	if [ "$1" = plain ] && [ "${DIALOGUE_TLS:-}" = 1 ]; then
		caps+=(STARTTLS)
	elif [ "${DIALOGUE_AUTH:-}" = 1 ]; then
		caps+=('AUTH PLAIN')
	fi
	if [ "${DIALOGUE_CHUNKING:-}" = 1 ]; then caps+=(CHUNKING); fi
	_dialogue_ehlo_lines "${caps[@]}"
}

# _dialogue_expect STAGE: the script lines reading the client's command.
_dialogue_expect() {
	case $1 in
	bdat) echo 'bdat BDAT [0-9]+ LAST' ;;
	greeting | tls | body | dot) ;;
	*)
		_dialogue_command "$1"
		_re_quote "$REPLY"
		echo "expect $REPLY"
		;;
	esac
}

dialogue_reply() {
	local -
	set +T
	case $1 in
	greeting) echo 'send 220 server.test ESMTP ready' ;;
	ehlo) _dialogue_ehlo_reply plain ;;
	starttls) echo 'send 220 2.0.0 Ready to start TLS' ;;
	tls) echo "starttls $DIALOGUE_CERTS/server.pem $DIALOGUE_CERTS/server.key" ;;
	ehlo-tls) _dialogue_ehlo_reply tls ;;
	auth) echo 'send 235 2.7.0 Authentication successful' ;;
	mail) echo 'send 250 2.1.0 Ok' ;;
	rcpt*) echo 'send 250 2.1.5 Ok' ;;
	data) echo 'send 354 End data with <CR><LF>.<CR><LF>' ;;
	body) echo 'data' ;;
	dot | bdat) echo 'send 250 2.0.0 Ok: queued' ;;
	quit) echo 'send 221 2.0.0 Bye' ;;
	esac
}

# _dialogue_script FIRST STAGE [LINE...]: dialogue_script from stage FIRST on.
_dialogue_script() {
	local stage=$2 s
	_dialogue_stages_from "$1"
	shift 2
	for s in "${_DIALOGUE_STAGES[@]}"; do
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

dialogue_script() {
	local -
	set +T
	_dialogue_script greeting "$@"
}

dialogue_tail() {
	local -
	set +T
	_dialogue_script mail none
}

dialogue_sent() {
	local -
	set +T
	local LC_ALL=C first=greeting stage=$1 s out='' n
	local text="$DIALOGUE_HDR$DIALOGUE_BODY"
	text=${text//'\n'/'\r\n'} # the message as the client sends it
	if [ $# -gt 1 ]; then first=$1 stage=$2; fi
	_dialogue_stages_from "$first"
	for s in "${_DIALOGUE_STAGES[@]}"; do
		case $s in
		greeting | tls) ;;
		body) out+=$text ;;
		dot) out+='.\r\n' ;;
		bdat)
			# shellcheck disable=SC2059 # text is a printf format
			printf -v n -- "$text"
			out+="BDAT ${#n} LAST"'\r\n'"$text"
			;;
		*)
			# a printf format: % and \ escaped
			_dialogue_command "$s"
			REPLY=${REPLY//\\/\\\\}
			out+="${REPLY//%/%%}"'\r\n'
			;;
		esac
		if [ "$s" = "$stage" ]; then break; fi
	done
	printf '%s' "$out"
}

dialogue_tail_sent() {
	local -
	set +T
	# shellcheck disable=SC2059 # formats
	printf -- "$(dialogue_sent mail data)"
	cat -- "$1"
	# shellcheck disable=SC2059
	printf -- "$(dialogue_sent dot quit)"
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
	local args
	mapfile -t args < <(dialogue_args)
	scripted_mailout "$@" "${args[@]}"
}
