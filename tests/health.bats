#!/usr/bin/env bats
# Health checks and alerts that do not travel by mail (issue 19):
# mailout --health with Nagios/Icinga conventions (exit 0-3, one line
# with performance data) or as Prometheus text, health_warn_age and
# health_crit_age, and alert_command (JSON on stdin, at most once per kind
# per hour, its failure logged, never fatal); against real Exim (AUTH
# user alice, password secret-pw; nouser* -> 550; a certificate nobody
# trusts on EXIM_UNTRUSTED_PORT).

bats_require_minimum_version 1.5.0
load helpers

exim_suite serial

setup() {
	maildir_clear "$EXIM_MAILDIR"
	queueops_setup
}

# health ARGS...: mailout --health on this test's queue.
health() {
	run --separate-stderr timeout 60 "$MAILOUT" --queue-dir "$Q" --health "$@" </dev/null
}

# alerts_json PYTHON [ARG]: run PYTHON with the recorded alerts as the
# list a, and ARG as sys.argv[2].
alerts_json() {
	run python3 -c "import json, re, sys
a = [json.loads(l) for l in open(sys.argv[1])]
$1" "$ALERTS" "${@:2}"
	assert_success
}

# A queued message whose flush fails on AUTH (a wrong password).
queue_wrong_password() {
	q --host 127.0.0.1 --port "$EXIM_PORT" -odq --user alice \
		--password-command 'echo wrong-pw' "$@"
	assert_success
	QUEUED=$(queue_ids | tail -n 1)
}

@test "--health: OK for a queue never used, with performance data; nothing created" {
	health
	assert_success
	assert_equal "$stderr" ""
	assert_output "MAILOUT OK - 0 queued, 0 failing, no delivery yet | queued=0;;;0 held=0;;;0 failing=0;;0;0 oldest=0s;3600;86400;0 last_delivery=U"
	[ ! -e "$Q" ] || fail "--health created the queue"
}

@test "--health: WARNING past health_warn_age, CRITICAL past health_crit_age, held ones apart" {
	queued a@example.org
	health
	assert_success
	assert_output --regexp '^MAILOUT OK - 1 queued, oldest [0-9]+s, 0 failing, no delivery yet \| queued=1;;;0 held=0;;;0 failing=0;;0;0 oldest=[0-9]+s;3600;86400;0 last_delivery=U$'
	age_entry "$QUEUED" 7200
	health
	assert_failure 1
	assert_output --regexp '^MAILOUT WARNING - 1 queued, oldest 2h, .* oldest=720[0-9]s;3600;86400;0 '
	age_entry "$QUEUED" $((2 * 86400))
	health
	assert_failure 2
	assert_output --regexp '^MAILOUT CRITICAL - 1 queued, oldest 2d, '
	# the thresholds are keys of mailout.conf
	printf '[defaults]\nhealth_warn_age = 3d\nhealth_crit_age = 1w\n' >"$BATS_TEST_TMPDIR/conf"
	MAILOUT_CONFIG=$BATS_TEST_TMPDIR/conf health
	assert_success
	assert_output --regexp ' oldest=1728[0-9][0-9]s;259200;604800;0 '
	# a held entry waits for a person on purpose
	to_exim --hold "$QUEUED"
	health
	assert_success
	assert_output --regexp '^MAILOUT OK - 1 queued \(1 held\), 0 failing, .* held=1;;;0 '
}

@test "--health: CRITICAL while an entry's last error was AUTH, until it goes" {
	queue_wrong_password a@example.org
	to_exim --flush
	assert_success
	grep -qx 'error-kind auth' "$Q/$QUEUED.env"
	health
	assert_failure 2
	assert_output --regexp "^MAILOUT CRITICAL - 1 queued, oldest [0-9]+s, 1 failing \\($QUEUED: authentication failed \\(AUTH [A-Z0-9-]+\\): 535 .*\\), no delivery yet \\| .* failing=1;;0;0 "
	to_exim --remove "$QUEUED"
	health
	assert_success
}

@test "--health: the last delivery, by a send or a flush; Prometheus text has the same figures" {
	q --host 127.0.0.1 --port "$EXIM_PORT" a@example.org
	assert_success
	touch -d '3 hours ago' "$Q/.delivered"
	health
	assert_output --regexp ', last delivery 3h ago \| .* last_delivery=10[0-9]{3}s;;;0$'
	q --host 127.0.0.1 --port "$EXIM_PORT" a@example.org
	assert_success
	health
	assert_success
	assert_output --regexp '^MAILOUT OK - 0 queued, 0 failing, last delivery [0-9]+s ago \| .* last_delivery=[0-9]s;;;0$'
	queued b@example.org
	age_entry "$QUEUED" 7200
	health --format prometheus
	assert_success
	local now
	now=$(date +%s)
	run python3 - "$output" "$Q" "$now" <<'PY'
import re, sys
text, queue, now = sys.argv[1], sys.argv[2], int(sys.argv[3])
values = {}
for line in text.splitlines():
    if line.startswith("# HELP ") or line.startswith("# TYPE "):
        continue
    m = re.fullmatch(r'mailout_(\w+)\{queue="(.*)"\} (\d+)', line)
    assert m and m.group(2) == queue, line
    values[m.group(1)] = int(m.group(3))
assert values["queue_messages"] == 1 and values["queue_held_messages"] == 0, values
assert values["queue_failing_messages"] == 0, values
assert 7200 <= values["queue_oldest_age_seconds"] < 7260, values
assert now - 60 < values["last_delivery_timestamp_seconds"] <= now, values
assert values["health_status"] == 1, values
for name in values:
    assert "# TYPE mailout_%s gauge" % name in text, name
PY
	assert_success
}

@test "--health: UNKNOWN (3) when the settings cannot be read" {
	MAILOUT_CONFIG=$BATS_TEST_TMPDIR/missing.conf health
	assert_failure 3
	assert_output --regexp "^MAILOUT UNKNOWN - cannot read .*missing\\.conf"
	MAILOUT_CONFIG=$BATS_TEST_TMPDIR/missing.conf health --format prometheus
	assert_failure 78
	assert_output ""
}

@test "alert_command: an AUTH failure at a flush, once per hour, again after it" {
	alert_recorder </dev/null
	queue_wrong_password -f owner@example.org a@example.org b@example.org
	to_exim --flush
	assert_success
	assert_equal "$(alert_count)" 1
	alerts_json '
[e] = a
assert set(e) == {"kind", "time", "id", "sender", "recipients", "reply", "text"}, e
assert e["kind"] == "auth" and e["id"] == sys.argv[2], e
assert e["sender"] == "owner@example.org", e
assert e["recipients"] == ["a@example.org", "b@example.org"], e
assert "535" in e["reply"] and "authentication failed" in e["reply"], e
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["time"]), e
assert "127.0.0.1:" in e["text"], e' "$QUEUED"
	# the same failure again within the hour: no second alert
	to_exim -q
	assert_success
	assert_equal "$(alert_count)" 1
	grep -q '^auth [0-9]*$' "$Q/.alerts"
	# an hour later
	sed -i "s/^auth .*/auth $(($(date +%s) - 3601))/" "$Q/.alerts"
	to_exim -q
	assert_success
	assert_equal "$(alert_count)" 2
}

@test "alert_command: an AUTH failure and a TLS failure on a send; not queued, id null" {
	alert_recorder </dev/null
	q --host 127.0.0.1 --port "$EXIM_PORT" --user alice \
		--password-command 'echo wrong-pw' a@example.org
	assert_failure 77
	q --host 127.0.0.1 --port "$EXIM_UNTRUSTED_PORT" --tls starttls a@example.org
	assert_failure 69
	assert_equal "$(queue_ids)" ""
	alerts_json '
auth, tls = a
assert auth["kind"] == "auth" and auth["id"] is None, auth
assert auth["sender"] == "sender@example.org" and auth["recipients"] == ["a@example.org"], auth
assert tls["kind"] == "tls" and "certificate" in tls["reply"], tls'
}

@test "alert_command: recipients given up, at a flush (refused) and by --bounce" {
	alert_recorder </dev/null
	queued -f owner@example.org a@example.org nouser1@example.org
	to_exim --flush
	assert_success
	maildir_wait 2 "$EXIM_MAILDIR"	# a@, and the notice to owner@
	alerts_json '
[e] = a
assert e["kind"] == "given_up" and e["recipients"] == ["nouser1@example.org"], e
assert e["reply"].startswith("550 5.1.1"), e
assert "the sender gets a failure notice" in e["text"], e'
	rm "$Q/.alerts"
	queued -f owner@example.org b@example.org
	to_exim --bounce "$QUEUED"
	assert_success
	alerts_json '
e = a[1]
assert e["kind"] == "given_up" and e["id"] == sys.argv[2], e
assert e["recipients"] == ["b@example.org"] and "--bounce" in e["text"], e' "$QUEUED"
}

@test "alert_command: the oldest entry past health_warn_age, seen by a flush" {
	alert_recorder <<<'health_warn_age = 10m'
	queued busy1@example.org
	to_exim --flush
	assert_success
	assert_equal "$(alert_count)" 0
	age_entry "$QUEUED" 700
	to_exim --flush
	assert_success
	alerts_json '
[e] = a
assert e["kind"] == "queue_age" and e["id"] == sys.argv[2], e
assert e["recipients"] == ["busy1@example.org"] and e["reply"].startswith("451"), e
assert "has waited 11m (health_warn_age 10m)" in e["text"], e' "$QUEUED"
}

@test "alert_command: failing or hanging is logged, never fatal" {
	printf '[defaults]\nalert_command = echo told; exit 3\nlog = %s\n' \
		"$BATS_TEST_TMPDIR/log" >"$BATS_TEST_TMPDIR/conf"
	export MAILOUT_CONFIG=$BATS_TEST_TMPDIR/conf
	q --host 127.0.0.1 --port "$EXIM_PORT" --user alice \
		--password-command 'echo wrong-pw' a@example.org
	assert_failure 77	# the send's own status
	assert_equal "$output" ""	# the command's output goes to stderr
	assert_regex "$stderr" $'told\nmailout: warning: alert_command failed \\(exit status 3\\)'
	grep -q 'mailout\[[0-9]*\]: warning: alert_command failed (exit status 3)$' "$BATS_TEST_TMPDIR/log"
	printf '[defaults]\nalert_command = sleep 60\n' >"$BATS_TEST_TMPDIR/conf"
	q --host 127.0.0.1 --port "$EXIM_UNTRUSTED_PORT" --tls starttls --timeout 1 a@example.org
	assert_failure 69
	assert_regex "$stderr" 'warning: alert_command did not finish within 1 seconds: stopped'
}
