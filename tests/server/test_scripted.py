#!/usr/bin/env python3
"""Self-tests for scripted.py, driven by independent clients (raw sockets and
smtplib), so that a failing tests/scripted.bats test points at mailout, not at
the harness.  Run: python3 tests/server/test_scripted.py  (stdlib only)."""

import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "scripted.py")


class Server:
    def __init__(self, script, *args):
        self.dir = tempfile.mkdtemp(prefix="scripted-test-")
        self.script = os.path.join(self.dir, "script")
        with open(self.script, "w") as f:
            f.write(script)
        self.port_file = os.path.join(self.dir, "port")
        self.capture = os.path.join(self.dir, "capture")
        self.log = os.path.join(self.dir, "log")
        self.proc = subprocess.Popen(
            [sys.executable, SERVER, "--port-file", self.port_file,
             "--capture", self.capture, "--log", self.log, *args,
             self.script],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        self.where = None
        self.sockets = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if os.path.exists(self.port_file):
                with open(self.port_file) as f:
                    self.where = f.read().strip()
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)

    @property
    def port(self):
        return int(self.where)

    def connect(self, timeout=5):
        if self.where.isdigit():
            s = socket.create_connection(("127.0.0.1", self.port), timeout)
        else:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            s.connect(self.where)
        self.sockets.append(s)
        return s

    def wait(self, timeout=15):
        out, err = self.proc.communicate(timeout=timeout)
        self.stderr = err.decode("utf-8", "replace")
        return self.proc.returncode

    def captured(self):
        with open(self.capture, "rb") as f:
            return f.read()

    def logged(self):
        with open(self.log) as f:
            return f.read()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()
        for sock in self.sockets:
            sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def recv_all(s, timeout=5):
    """Everything until EOF."""
    s.settimeout(timeout)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def recv_line(s, timeout=5):
    s.settimeout(timeout)
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(1)
        if not chunk:
            break
        data += chunk
    return data


SMTP_OK = r"""
send 220 server.test ESMTP
expect EHLO client\.test
send 250-server.test
send 250 HELP
expect MAIL FROM:<sender@example\.org>
send 250 2.1.0 ok
expect RCPT TO:<rcpt@example\.com>
send 250 2.1.5 ok
expect DATA
send 354 go ahead
data
send 250 2.0.0 queued
expect QUIT
send 221 bye
"""


class ScriptedTests(unittest.TestCase):
    def start(self, script, *args):
        srv = Server(script, *args)
        self.addCleanup(srv.kill)
        self.assertIsNotNone(srv.where, "server did not start")
        return srv

    def test_smtplib_dialogue_and_exact_capture(self):
        # smtplib sends lower-case verbs, hence (?i).
        srv = self.start(SMTP_OK.replace("expect ", "expect (?i)"))
        with smtplib.SMTP("127.0.0.1", srv.port, local_hostname="client.test",
                          timeout=5) as c:
            refused = c.sendmail("sender@example.org", ["rcpt@example.com"],
                                 b"Subject: x\r\n\r\n.dot\r\nbody\r\n")
        self.assertEqual(refused, {})
        self.assertEqual(srv.wait(), 0, srv.stderr)
        self.assertEqual(srv.captured(),
                         b"ehlo client.test\r\n"
                         b"mail FROM:<sender@example.org>\r\n"
                         b"rcpt TO:<rcpt@example.com>\r\n"
                         b"data\r\n"
                         b"Subject: x\r\n\r\n..dot\r\nbody\r\n.\r\n"
                         b"QUIT\r\n")   # smtplib's __exit__ says QUIT
        log = srv.logged()
        self.assertIn("S: 220 server.test ESMTP\\r\\n", log)
        self.assertIn("C: QUIT\\r\\n", log)

    def test_smtplib_sees_multiline_reply_and_errors(self):
        srv = self.start("""
send 220 server.test
expect (?i)EHLO client\\.test
send 250-server.test
send 250-X-ONE
send 250 X-TWO arg
expect (?i)MAIL FROM:<s@x>
send 250
expect (?i)RCPT TO:<a@x>
send 550 5.1.1 No such user
expect (?i)QUIT
send 221 bye
""")
        with smtplib.SMTP("127.0.0.1", srv.port, local_hostname="client.test",
                          timeout=5) as c:
            code, msg = c.ehlo()
            self.assertEqual((code, msg), (250, b"server.test\nX-ONE\nX-TWO arg"))
            self.assertEqual(c.mail("s@x"), (250, b""))
            self.assertEqual(c.rcpt("a@x"), (550, b"5.1.1 No such user"))
        self.assertEqual(srv.wait(), 0, srv.stderr)

    def test_port_file_is_a_port(self):
        srv = self.start("send 220 x\n")
        self.assertRegex(srv.where, r"^[0-9]+$")
        s = srv.connect()
        self.assertEqual(recv_line(s), b"220 x\r\n")
        s.close()
        self.assertEqual(srv.wait(), 0, srv.stderr)

    def test_send_and_sendraw_escapes(self):
        srv = self.start(r"""
# a comment
   # an indented comment

sendraw A\x41\t\\\r\nB\0
send C\x7f \
sendraw  two spaces
""".replace(" \\\n", "\n"))
        s = srv.connect()
        s.sendall(b"bye")
        s.shutdown(socket.SHUT_WR)
        data = recv_all(s)
        self.assertEqual(data, b"AA\t\\\r\nB\x00C\x7f\r\n two spaces")
        self.assertEqual(srv.wait(), 0, srv.stderr)
        self.assertEqual(srv.captured(), b"bye")

    def test_parse_errors_exit_2_before_listening(self):
        for bad in ("bogus x\n", "send a\\q\n", "sleep soon\n",
                    "expect (\n", "send \\x4\n", "close now\n"):
            srv = Server(bad)
            self.addCleanup(srv.kill)
            self.assertEqual(srv.wait(), 2, bad)
            self.assertIsNone(srv.where)
            self.assertIn("line 1", srv.stderr)

    def test_expect_mismatch_fails(self):
        srv = self.start("send 220 x\nexpect EHLO client\\.test\nsend 250 ok\n")
        s = srv.connect()
        recv_line(s)
        s.sendall(b"HELO client.test\r\n")
        self.assertEqual(recv_all(s), b"")  # closed, no 250
        self.assertEqual(srv.wait(), 1)
        self.assertIn("expected", srv.stderr)
        self.assertIn("HELO client.test", srv.stderr)
        self.assertIn("!! ", srv.logged())

    def test_expect_is_a_fullmatch_and_strips_crlf_or_lf(self):
        srv = self.start("expect ab\nexpect ab\nexpect a.*\nsend ok\n")
        s = srv.connect()
        s.sendall(b"ab\r\nab\nabc\r\n")
        self.assertEqual(recv_line(s), b"ok\r\n")
        s.close()
        self.assertEqual(srv.wait(), 0, srv.stderr)
        srv = self.start("expect ab\n")
        s = srv.connect()
        s.sendall(b"abc\r\n")
        self.assertEqual(srv.wait(), 1)

    def test_expect_line_keeps_a_lone_cr(self):
        srv = self.start("expect a\\rb\nsend ok\n")
        s = srv.connect()
        s.sendall(b"a\rb\r\n")
        self.assertEqual(recv_line(s), b"ok\r\n")
        s.close()
        self.assertEqual(srv.wait(), 0, srv.stderr)

    def test_eof_during_expect_fails(self):
        srv = self.start("expect EHLO.*\n")
        s = srv.connect()
        s.sendall(b"EHLO partial")
        s.close()
        self.assertEqual(srv.wait(), 1)
        self.assertIn("EOF", srv.stderr)
        self.assertEqual(srv.captured(), b"EHLO partial")

    def test_read_timeout_fails(self):
        srv = self.start("expect x\n", "--read-timeout", "0.2")
        s = srv.connect()
        t = time.monotonic()
        self.assertEqual(srv.wait(), 1)
        self.assertLess(time.monotonic() - t, 3)
        self.assertIn("timeout", srv.stderr)
        s.close()

    def test_data_reads_to_the_dot_line_only(self):
        srv = self.start("data\nsend 250 got it\nexpect QUIT\n")
        s = srv.connect()
        body = b"a\r\n..\r\n.x\r\n\r\n.\r\nQUIT\r\n"
        s.sendall(body)
        self.assertEqual(recv_line(s), b"250 got it\r\n")
        s.close()
        self.assertEqual(srv.wait(), 0, srv.stderr)
        self.assertEqual(srv.captured(), body)
        self.assertIn("data: 5 lines", srv.logged())

    def test_data_empty_message(self):
        srv = self.start("data\nsend 250 ok\n")
        s = srv.connect()
        s.sendall(b".\r\n")
        self.assertEqual(recv_line(s), b"250 ok\r\n")
        s.close()
        self.assertEqual(srv.wait(), 0, srv.stderr)

    def test_data_eof_fails(self):
        srv = self.start("data\n")
        s = srv.connect()
        s.sendall(b"line\r\n")
        s.close()
        self.assertEqual(srv.wait(), 1)

    def test_expect_eof(self):
        srv = self.start("send 421 bye\nexpect-eof\n")
        s = srv.connect()
        self.assertEqual(recv_line(s), b"421 bye\r\n")
        s.sendall(b"QUIT\r\n")
        s.close()
        self.assertEqual(srv.wait(), 0, srv.stderr)
        self.assertEqual(srv.captured(), b"QUIT\r\n")

    def test_expect_eof_times_out(self):
        srv = self.start("expect-eof 0.2\n")
        s = srv.connect()
        t = time.monotonic()
        self.assertEqual(srv.wait(), 1)
        self.assertLess(time.monotonic() - t, 3)
        self.assertIn("did not close", srv.stderr)
        s.close()

    def test_close_half_closes_and_captures_the_rest(self):
        srv = self.start("sendraw 250-first\\r\\n\nclose\n")
        s = srv.connect()
        self.assertEqual(recv_all(s), b"250-first\r\n")   # then EOF
        s.sendall(b"QUIT\r\n")                           # still accepted
        s.close()
        self.assertEqual(srv.wait(), 0, srv.stderr)
        self.assertEqual(srv.captured(), b"QUIT\r\n")

    def test_close_does_not_wait_forever(self):
        srv = self.start("close\n", "--tail-seconds", "0.2")
        s = srv.connect()
        self.assertEqual(recv_all(s), b"")
        t = time.monotonic()
        self.assertEqual(srv.wait(), 0, srv.stderr)
        self.assertLess(time.monotonic() - t, 3)
        s.close()

    def test_reset(self):
        # the reset waits for a line from the client: a reset that came
        # before connect() returned would fail the connect itself (a
        # connect with a timeout reads SO_ERROR: ECONNRESET under load)
        srv = self.start("send 220 x\nexpect HELLO\nreset\n")
        s = srv.connect()
        s.sendall(b"HELLO\r\n")
        time.sleep(0.2)
        with self.assertRaises(ConnectionResetError):
            s.recv(100)
            s.recv(100)
        self.assertEqual(srv.wait(), 0, srv.stderr)

    def test_send_after_the_client_closed_is_not_a_failure(self):
        d = tempfile.mkdtemp(prefix="scripted-unix-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "s.sock")
        # Over a unix socket the send fails at once with EPIPE.
        srv = self.start("expect QUIT\nsleep 0.1\nsend 221 bye\nsend more\n",
                         "--unix", path)
        s = srv.connect()
        s.sendall(b"QUIT\r\n")
        s.close()
        self.assertEqual(srv.wait(), 0, srv.stderr)
        self.assertIn("the client has gone", srv.logged())

    def test_expect_after_the_client_closed_fails(self):
        srv = self.start("expect QUIT\nsleep 0.1\nsend 221 bye\nexpect X\n")
        s = srv.connect()
        s.sendall(b"QUIT\r\n")
        s.close()
        self.assertEqual(srv.wait(), 1)

    def test_end_of_script_reads_until_client_closes(self):
        srv = self.start("send 250 ok\n")
        s = srv.connect()
        recv_line(s)
        time.sleep(0.1)
        s.sendall(b"late\r\n")
        s.close()
        self.assertEqual(srv.wait(), 0, srv.stderr)
        self.assertEqual(srv.captured(), b"late\r\n")

    def test_end_of_script_gives_up_after_tail_seconds(self):
        srv = self.start("send 250 ok\n", "--tail-seconds", "0.2")
        s = srv.connect()
        self.assertEqual(recv_all(s), b"250 ok\r\n")
        self.assertEqual(srv.wait(), 0, srv.stderr)
        s.close()

    def test_trickle(self):
        srv = self.start("trickle 0.03 220 x\n")
        s = srv.connect()
        t = time.monotonic()
        chunks = []
        s.settimeout(5)
        while True:
            c = s.recv(100)
            if not c:
                break
            chunks.append(c)
            if b"".join(chunks).endswith(b"\n"):
                break
        elapsed = time.monotonic() - t
        self.assertEqual(b"".join(chunks), b"220 x\r\n")
        self.assertGreater(len(chunks), 3)           # really byte by byte
        self.assertGreater(elapsed, 0.03 * 6 * 0.8)
        s.close()
        self.assertEqual(srv.wait(), 0, srv.stderr)

    def test_trickle_stops_when_the_client_has_gone(self):
        srv = self.start("trickle 0.1 " + "x" * 200 + "\n")
        s = srv.connect()
        self.assertEqual(s.recv(1), b"x")
        s.close()
        t = time.monotonic()
        self.assertEqual(srv.wait(), 0, srv.stderr)
        self.assertLess(time.monotonic() - t, 2)    # not 20 s
        self.assertIn("trickle stopped", srv.logged())

    def test_sleep_and_stall_delay(self):
        srv = self.start("send a\nsleep 0.15\nsend b\nstall 0.15\nsend c\n")
        s = srv.connect()
        t = time.monotonic()
        recv_line(s)
        recv_line(s)
        t1 = time.monotonic() - t
        recv_line(s)
        t2 = time.monotonic() - t
        self.assertGreater(t1, 0.12)
        self.assertGreater(t2, 0.27)
        s.close()
        self.assertEqual(srv.wait(), 0, srv.stderr)

    def test_stall_blocks_a_big_writer(self):
        srv = self.start("send 354 go\nstall 3\n")
        s = srv.connect()
        recv_line(s)
        s.settimeout(0.3)
        sent = 0
        blob = b"x" * 65536 + b"\r\n"
        with self.assertRaises(socket.timeout):
            for _ in range(20 * 16):       # up to 20 MB
                s.sendall(blob)
                sent += len(blob)
        self.assertLess(sent, 20 * 1024 * 1024)
        s.close()
        srv.kill()

    def test_connections_and_sections(self):
        srv = self.start("send one\nexpect A\nconnection\nsend two\nexpect B\n",
                         "--connections", "3")
        got = []
        for word in (b"A", b"B", b"B"):
            s = srv.connect()
            got.append(recv_line(s))
            s.sendall(word + b"\r\n")
            s.close()
        self.assertEqual(got, [b"one\r\n", b"two\r\n", b"two\r\n"])
        self.assertEqual(srv.wait(), 0, srv.stderr)
        self.assertEqual(srv.captured(), b"A\r\nB\r\nB\r\n")

    def test_same_script_for_every_connection(self):
        srv = self.start("send hi\nexpect x\n", "--connections", "2")
        for _ in range(2):
            s = srv.connect()
            self.assertEqual(recv_line(s), b"hi\r\n")
            s.sendall(b"x\r\n")
            s.close()
        self.assertEqual(srv.wait(), 0, srv.stderr)

    def test_failure_stops_the_server(self):
        srv = self.start("expect x\n", "--connections", "2")
        s = srv.connect()
        s.sendall(b"y\r\n")
        self.assertEqual(srv.wait(), 1)
        s.close()

    def test_unix_socket(self):
        d = tempfile.mkdtemp(prefix="scripted-unix-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "lmtp.sock")
        srv = self.start("send 220 lmtp\nexpect LHLO client\\.test\n"
                         "send 250 ok\n", "--unix", path)
        self.assertEqual(srv.where, path)
        s = srv.connect()
        self.assertEqual(recv_line(s), b"220 lmtp\r\n")
        s.sendall(b"LHLO client.test\r\n")
        self.assertEqual(recv_line(s), b"250 ok\r\n")
        s.close()
        self.assertEqual(srv.wait(), 0, srv.stderr)
        self.assertFalse(os.path.exists(path))    # cleaned up

    def test_no_accept_makes_connect_hang(self):
        srv = self.start("send 220 never\n", "--no-accept")
        s = socket.socket()
        srv.sockets.append(s)
        s.settimeout(0.5)
        t = time.monotonic()
        with self.assertRaises(socket.timeout):
            s.connect(("127.0.0.1", srv.port))
        self.assertGreater(time.monotonic() - t, 0.45)
        s.close()

    def test_safety_timeout(self):
        srv = self.start("send 220 x\n", "--max-seconds", "0.3")
        t = time.monotonic()
        self.assertEqual(srv.wait(), 1)
        self.assertLess(time.monotonic() - t, 3)
        self.assertIn("safety timeout", srv.logged())

    def test_capture_appends_across_connections(self):
        srv = self.start("expect .*\n", "--connections", "2")
        for word in (b"first", b"second"):
            s = srv.connect()
            s.sendall(word + b"\r\n")
            s.close()
        self.assertEqual(srv.wait(), 0, srv.stderr)
        self.assertEqual(srv.captured(), b"first\r\nsecond\r\n")

    def test_bdat_reads_exactly_n_octets_and_bdat_out(self):
        out = os.path.join(tempfile.mkdtemp(prefix="scripted-bdat-"), "chunks")
        self.addCleanup(shutil.rmtree, os.path.dirname(out), True)
        srv = self.start("bdat BDAT 5\nsend 250 one\nbdat\nsend 250 two\n"
                         "bdat BDAT 0 LAST\nsend 250 last\nexpect QUIT\n",
                         "--bdat-out", out)
        s = srv.connect()
        # chunks hold CRLF, dots and what looks like commands
        s.sendall(b"BDAT 5\r\n.\r\nQU")
        self.assertEqual(recv_line(s), b"250 one\r\n")
        s.sendall(b"bdat 7 last\r\nIT\r\n.\r\n")
        self.assertEqual(recv_line(s), b"250 two\r\n")
        s.sendall(b"BDAT 0 LAST\r\nQUIT\r\n")
        self.assertEqual(recv_line(s), b"250 last\r\n")
        s.close()
        self.assertEqual(srv.wait(), 0, srv.stderr)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b".\r\nQUIT\r\n.\r\n")
        self.assertIn("bdat: 7 octets (LAST)", srv.logged())

    def test_bdat_failures(self):
        for script, data, why in (
                ("bdat\n", b"DATA\r\n", "expected a BDAT"),
                ("bdat\n", b"BDAT x\r\n", "expected a BDAT"),
                ("bdat BDAT 3 LAST\n", b"BDAT 3\r\nabc", "expected"),
                ("bdat\n", b"BDAT 10\r\nabc", "EOF"),
                ("bdat\nexpect QUIT\n", b"BDAT 2\r\nabcQUIT\r\n",
                 "expected 'QUIT'")):
            srv = self.start(script)
            s = srv.connect()
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            self.assertEqual(srv.wait(), 1, script)
            self.assertIn(why, srv.stderr)
            s.close()

    def test_bdat_chunks_replies_until_last(self):
        srv = self.start("bdat-chunks 250 2.0.0 chunk ok\nsend 250 done\n")
        s = srv.connect()
        for chunk in (b"BDAT 3\r\nabc", b"BDAT 1\r\nd"):
            s.sendall(chunk)
            self.assertEqual(recv_line(s), b"250 2.0.0 chunk ok\r\n")
        s.sendall(b"BDAT 2 LAST\r\nef")
        self.assertEqual(recv_line(s), b"250 done\r\n")
        s.close()
        self.assertEqual(srv.wait(), 0, srv.stderr)
        self.assertIn("bdat-chunks: 2 chunk(s) and the LAST one",
                      srv.logged())

    def test_expect_group_one_write(self):
        srv = self.start("expect-group 3\nexpect A\nexpect B\nbdat\n"
                         "send ok\nexpect-group 1\nexpect C\n")
        s = srv.connect()
        s.sendall(b"A\r\nB\r\nBDAT 4 LAST\r\nx\ny\n")
        self.assertEqual(recv_line(s), b"ok\r\n")
        s.sendall(b"C\r\n")
        s.close()
        self.assertEqual(srv.wait(), 0, srv.stderr)
        self.assertIn("group: 3 command(s), 23 bytes, in one recv()",
                      srv.logged())

    def test_expect_group_split_over_two_writes_fails(self):
        srv = self.start("expect-group 2\n")
        s = srv.connect()
        s.sendall(b"A\r\n")
        time.sleep(0.2)
        s.sendall(b"B\r\n")
        self.assertEqual(srv.wait(), 1)
        self.assertIn("split over 2 recv()s", srv.stderr)
        self.assertIn("recv() sizes from here: 3 + 3", srv.stderr)
        s.close()

    def test_expect_group_with_more_in_the_same_write_fails(self):
        srv = self.start("expect-group 1\n")
        s = srv.connect()
        s.sendall(b"A\r\nB\r\n")
        self.assertEqual(srv.wait(), 1)
        self.assertIn("more bytes arrived with its last recv()", srv.stderr)
        s.close()

    def test_expect_group_after_bytes_of_the_same_write_fails(self):
        srv = self.start("expect A\nexpect-group 1\n")
        s = srv.connect()
        s.sendall(b"A\r\nB\r\n")
        self.assertEqual(srv.wait(), 1)
        self.assertIn("bytes sent before it arrived in the same recv()",
                      srv.stderr)
        s.close()

    def test_expect_group_parse_errors(self):
        for bad in ("expect-group\n", "expect-group 0\n",
                    "expect-group two\n", "bdat (\n"):
            srv = Server(bad)
            self.addCleanup(srv.kill)
            self.assertEqual(srv.wait(), 2, bad)


CERTS_SH = os.path.join(HERE, "..", "servers", "certs.sh")

STARTTLS_OK = r"""
send 220 server.test ESMTP
expect (?i)EHLO client\.test
send 250-server.test
send 250 STARTTLS
expect (?i)STARTTLS
send 220 2.0.0 go ahead
starttls {certs}/server.pem {certs}/server.key
expect (?i)EHLO client\.test
send 250-server.test
send 250 AUTH PLAIN
expect (?i)MAIL FROM:<sender@example\.org>
send 250 2.1.0 ok
expect (?i)QUIT
send 221 bye
"""


@unittest.skipUnless(shutil.which("certtool"), "certtool (gnutls-bin) missing")
class StarttlsTests(unittest.TestCase):
    """The starttls command, against smtplib and ssl."""

    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.mkdtemp(prefix="scripted-certs-")
        subprocess.run([CERTS_SH, cls.certs], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.certs, ignore_errors=True)

    start = ScriptedTests.start

    def test_smtplib_starttls_and_decrypted_capture(self):
        srv = self.start(STARTTLS_OK.format(certs=self.certs))
        ctx = ssl.create_default_context(
            cafile=os.path.join(self.certs, "ca.pem"))
        with smtplib.SMTP("127.0.0.1", srv.port, local_hostname="client.test",
                          timeout=5) as c:
            c.ehlo()
            self.assertTrue(c.has_extn("starttls"))
            self.assertEqual(c.starttls(context=ctx)[0], 220)
            c.ehlo()
            self.assertTrue(c.has_extn("auth"))
            self.assertFalse(c.has_extn("starttls"))
            self.assertEqual(c.mail("sender@example.org")[0], 250)
        self.assertEqual(srv.wait(), 0, srv.stderr)
        # raw before the handshake, decrypted after; no handshake bytes
        self.assertEqual(srv.captured(),
                         b"ehlo client.test\r\nSTARTTLS\r\n"
                         b"ehlo client.test\r\n"
                         b"mail FROM:<sender@example.org>\r\nQUIT\r\n")
        self.assertIn("TLS handshake done: TLSv1.", srv.logged())

    def test_bytes_before_the_handshake_fail(self):
        srv = self.start("expect STARTTLS\nsend 220 go\n"
                         "starttls {c}/server.pem {c}/server.key\n"
                         .format(c=self.certs))
        s = srv.connect()
        s.sendall(b"STARTTLS\r\nEHLO early\r\n")
        self.assertEqual(recv_line(s), b"220 go\r\n")
        self.assertEqual(srv.wait(), 1)
        self.assertIn("after STARTTLS, before the TLS handshake",
                      srv.logged())

    def test_client_without_tls_fails_the_handshake(self):
        srv = self.start("send 220 go\nstarttls {c}/server.pem {c}/server.key\n"
                         .format(c=self.certs))
        s = srv.connect()
        self.assertEqual(recv_line(s), b"220 go\r\n")
        s.sendall(b"QUIT\r\n")
        self.assertEqual(srv.wait(), 1)
        self.assertIn("TLS handshake failed", srv.logged())

    def test_handshake_timeout_fails(self):
        srv = self.start("starttls {c}/server.pem {c}/server.key\n"
                         .format(c=self.certs), "--read-timeout", "0.3")
        srv.connect()
        t = time.monotonic()
        self.assertEqual(srv.wait(), 1)
        self.assertLess(time.monotonic() - t, 3)
        self.assertIn("timeout (0.3s) in the TLS handshake", srv.logged())

    def test_bad_certificate_file_is_a_parse_error(self):
        srv = Server("starttls /nonexistent.pem /nonexistent.key\n")
        self.addCleanup(srv.kill)
        self.assertEqual(srv.wait(), 2)
        self.assertIn("starttls: cannot load", srv.stderr)
        srv2 = Server("starttls onlyone\n")
        self.addCleanup(srv2.kill)
        self.assertEqual(srv2.wait(), 2)
        self.assertIn("needs CERT KEY", srv2.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=1)
