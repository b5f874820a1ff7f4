#!/usr/bin/env python3
"""scripted.py - a scripted, fault-injecting SMTP/LMTP server for tests.

Usage:
  scripted.py [--unix PATH] [--address ADDR] [--port N] [--port-file FILE]
              [--capture FILE] [--log FILE]
              [--connections N] [--no-accept] [--max-seconds S]
              [--read-timeout S] [--tail-seconds S] [--bdat-out FILE] SCRIPT

Listens on 127.0.0.1 (or --address, e.g. ::1), port 0 (a free port) or
--port N, or on the unix socket PATH, and
writes the port number (or, with --unix, the socket path) to --port-file once
it is listening (temp file + rename: readers never see a partial file).
It then accepts N connections one after the other and runs SCRIPT on each.

Every byte the client sends is appended, raw and in order, to --capture
(across connections).  --log gets a readable dialogue: "S: " lines the server
sent, "C: " lines it received (bytes shown with \\r \\n \\xHH escapes),
"-- " events and "!! " failures.  --bdat-out gets the octets of every BDAT
chunk, concatenated (across connections).

Exit status: 0 when every connection's script ran to its end, 1 when a script
failed (a failed expect, EOF or timeout where the script wanted input, a send
error...), the safety timeout (--max-seconds) fired, or the server was killed;
2 for a bad command line or a script that does not parse (reported before
anything listens).

SCRIPT: one command per line; leading blanks, blank lines and lines whose
first non-blank character is "#" are ignored.  The argument is everything
after the first space or tab, taken literally (trailing blanks included).
TEXT arguments understand the C escapes \\r \\n \\t \\0 \\\\ and \\xHH.

  send TEXT           send TEXT followed by CRLF.  If the client has already
                      closed (EPIPE/ECONNRESET) that is logged, not a failure
                      (clients may close right after QUIT); later sends are
                      skipped and a later expect fails on EOF.
  sendraw TEXT        send TEXT, nothing appended (same rule)
  trickle DELAY TEXT  send TEXT + CRLF one byte at a time, DELAY seconds apart;
                      (what the client sends meanwhile is read as usual);
                      stops early, not a failure, once the client closes
  expect REGEX        read one line (up to LF; the CRLF or LF is stripped); it
                      must fullmatch REGEX (a Python regex matched against the
                      line decoded as Latin-1, so \\r, \\t, \\xHH and \\. are
                      regex escapes).  A mismatch, EOF or --read-timeout
                      without a whole line is a script failure.
  readline            read one line, whatever it is (EOF/timeout = failure)
  data                read the message text up to and including the line "."
                      (the capture has the bytes; the log summarises them)
  bdat [REGEX]        read one "BDAT n" or "BDAT n LAST" line (it must also
                      fullmatch REGEX when given), then exactly n octets, the
                      chunk (logged as a summary; with --bdat-out appended to
                      that file).  A malformed line, EOF or a timeout before
                      the n octets is a script failure.
  bdat-chunks TEXT    read BDAT chunks as bdat does, sending TEXT + CRLF after
                      each one that is not LAST, until the LAST one (whose
                      reply is up to the script)
  expect-group N      the next N commands the client sends (lines; a BDAT
                      line counts with its n octets) must have arrived in ONE
                      recv(), alone: the group starts where a recv() started
                      and ends where it ended.  Shows that the client wrote
                      them in one write (PIPELINING) - or, with N = 1 before
                      each command, that it did not.  Consumes nothing: the
                      expect/bdat/data commands that follow read the group.
  sleep SECONDS       pause (float)
  stall SECONDS       neither read nor write for SECONDS (a client writing a
                      big message then blocks on full socket buffers)
  expect-eof [SECONDS]  the client must close within SECONDS (default 5);
                      whatever it sends meanwhile is captured
  close               half-close now (FIN: the client reads EOF), capture what
                      the client still sends until it closes (at most
                      --tail-seconds), then close.  Ends the connection.
  reset               abort the connection with a TCP RST (SO_LINGER 0).
                      Ends the connection.
  starttls CERT KEY   server side of a TLS handshake (Python ssl) with the PEM
                      certificate (chain) CERT and key KEY, then carry on over
                      TLS: send/expect/data/... see and write plaintext, the
                      capture records what the client sent before the
                      handshake raw and after it decrypted (the handshake
                      itself is not recorded).  Bytes the client sent after
                      its STARTTLS line and before the handshake, or a failed
                      or timed-out (--read-timeout) handshake, are script
                      failures.  After starttls, close sends a TCP FIN without
                      a TLS close_notify.
  connection          starts the script section for the next connection:
                      connection i runs section i; when there are fewer
                      sections than connections the last one is repeated.

When a section ends without close/reset the server keeps reading (capturing)
until the client closes or --tail-seconds (default 5) pass, then closes; that
is not a failure.

--no-accept: listen with backlog 0, never accept, and fill the accept queue
with the server's own dummy connections, so that a further connect() to the
port hangs (Linux drops SYNs for a full accept queue).  The server then idles
until it is killed or --max-seconds pass (exit 0 then).

Adding a command: write a method do_NAME(self, arg) on Session, and add
"name": (argument_parser, "do_NAME") to COMMANDS.
"""

import argparse
import os
import re
import select
import signal
import socket
import ssl
import sys
import time

LOCALHOST = "127.0.0.1"


class ScriptError(Exception):
    """The script does not parse."""


class Fail(Exception):
    """The script failed while running."""


class ConnectionEnded(Exception):
    """close/reset: the connection is over, the script ran to its end."""


# --------------------------------------------------------------------------
# Script parsing

_SIMPLE_ESCAPES = {"r": 13, "n": 10, "t": 9, "0": 0, "\\": 92}


def unescape(text):
    """C escapes (\\r \\n \\t \\0 \\\\ \\xHH) -> bytes (other chars: UTF-8)."""
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            out += c.encode("utf-8", "surrogateescape")
            i += 1
            continue
        if i + 1 >= len(text):
            raise ScriptError("trailing backslash")
        n = text[i + 1]
        if n in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[n])
            i += 2
        elif n == "x":
            hh = text[i + 2:i + 4]
            if not re.fullmatch(r"[0-9A-Fa-f]{2}", hh):
                raise ScriptError("\\x needs two hex digits")
            out.append(int(hh, 16))
            i += 4
        else:
            raise ScriptError("unknown escape \\" + n)
    return bytes(out)


def p_none(arg):
    if arg.strip():
        raise ScriptError("takes no argument")
    return None


def p_text(arg):
    return unescape(arg)


def p_seconds(arg):
    try:
        v = float(arg)
    except ValueError:
        raise ScriptError("needs a number of seconds, got %r" % arg)
    if v < 0:
        raise ScriptError("negative seconds")
    return v


def p_opt_seconds(arg):
    return p_seconds(arg) if arg.strip() else None


def p_regex(arg):
    try:
        return re.compile(arg, re.DOTALL)
    except re.error as e:
        raise ScriptError("bad regex %r: %s" % (arg, e))


def p_trickle(arg):
    delay, _, text = arg.partition(" ")
    return (p_seconds(delay), unescape(text))


def p_opt_regex(arg):
    return p_regex(arg) if arg.strip() else None


def p_count(arg):
    try:
        v = int(arg)
    except ValueError:
        raise ScriptError("needs a number of commands, got %r" % arg)
    if v < 1:
        raise ScriptError("needs at least 1 command")
    return v


def p_starttls(arg):
    """CERT KEY -> a server SSLContext (a bad file is a parse error)."""
    files = arg.split()
    if len(files) != 2:
        raise ScriptError("needs CERT KEY")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # a client that closes without close_notify just reads as EOF
    ctx.options |= getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0)
    try:
        ctx.load_cert_chain(files[0], files[1])
    except (OSError, ssl.SSLError) as e:
        raise ScriptError("cannot load %s / %s: %s" % (files[0], files[1], e))
    return ctx


# name -> (argument parser, Session method name)
COMMANDS = {
    "send": (p_text, "do_send"),
    "sendraw": (p_text, "do_sendraw"),
    "trickle": (p_trickle, "do_trickle"),
    "expect": (p_regex, "do_expect"),
    "readline": (p_none, "do_readline"),
    "data": (p_none, "do_data"),
    "bdat": (p_opt_regex, "do_bdat"),
    "bdat-chunks": (p_text, "do_bdat_chunks"),
    "expect-group": (p_count, "do_expect_group"),
    "sleep": (p_seconds, "do_sleep"),
    "stall": (p_seconds, "do_stall"),
    "expect-eof": (p_opt_seconds, "do_expect_eof"),
    "close": (p_none, "do_close"),
    "reset": (p_none, "do_reset"),
    "starttls": (p_starttls, "do_starttls"),
}
SECTION = "connection"


class Step:
    def __init__(self, lineno, name, raw, arg):
        self.lineno, self.name, self.raw, self.arg = lineno, name, raw, arg

    def __str__(self):
        return "line %d: %s%s" % (self.lineno, self.name,
                                  " " + self.raw if self.raw else "")


def parse_script(text):
    """-> list of sections, each a list of Steps."""
    sections = [[]]
    errors = []
    for lineno, line in enumerate(text.split("\n"), 1):
        s = line.lstrip(" \t")
        if not s or s.startswith("#"):
            continue
        m = re.match(r"(\S+)(?:[ \t](.*))?\Z", s, re.DOTALL)
        name, raw = m.group(1), m.group(2) or ""
        if name == SECTION:
            if sections[-1] or len(sections) > 1:
                sections.append([])
            continue
        if name not in COMMANDS:
            errors.append("line %d: unknown command %r" % (lineno, name))
            continue
        try:
            arg = COMMANDS[name][0](raw)
        except ScriptError as e:
            errors.append("line %d: %s: %s" % (lineno, name, e))
            continue
        sections[-1].append(Step(lineno, name, raw, arg))
    if errors:
        raise ScriptError("\n".join(errors))
    return sections


# --------------------------------------------------------------------------
# Logging

def show(data):
    """bytes -> one readable line: printable ASCII kept, \\r \\n \\t \\\\ \\xHH."""
    out = []
    for b in data:
        if b == 13:
            out.append("\\r")
        elif b == 10:
            out.append("\\n")
        elif b == 9:
            out.append("\\t")
        elif b == 92:
            out.append("\\\\")
        elif 32 <= b < 127:
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


class Log:
    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8") if path else None
        self.t0 = time.monotonic()

    def write(self, prefix, text):
        if self.f:
            self.f.write("%s%s\n" % (prefix, text))
            self.f.flush()

    def event(self, text):
        self.write("-- ", "[%.3f] %s" % (time.monotonic() - self.t0, text))

    def fail(self, text):
        self.write("!! ", text)
        sys.stderr.write("scripted.py: %s\n" % text)
        sys.stderr.flush()

    def client(self, data):
        self.write("C: ", show(data))

    def server(self, data):
        self.write("S: ", show(data))


# --------------------------------------------------------------------------
# One connection

class Session:
    def __init__(self, sock, log, capture, opts, bdat_out=None):
        self.sock = sock
        self.log = log
        self.capture = capture
        self.opts = opts
        self.bdat_out = bdat_out
        self.buf = bytearray()
        # stream offsets (from the start of the connection): where buf[0]
        # is, and where each recv() still partly in buf ended
        self.pos = 0
        self.recv_ends = []
        self.eof = False
        self.closed = False
        self.peer_gone = False
        self.tls = False

    # -- low-level I/O -----------------------------------------------------

    def _record(self, chunk):
        if self.capture:
            self.capture.write(chunk)
            self.capture.flush()

    def _fill(self, deadline):
        """Read more bytes into self.buf.  False on EOF, None on timeout."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return None
        except ConnectionResetError:
            self.log.event("connection reset by the client")
            chunk = b""
        except OSError as e:
            raise Fail("recv failed: %s" % e)
        if not chunk:
            self.eof = True
            return False
        self._record(chunk)
        self.buf += chunk
        self.recv_ends.append(self.pos + len(self.buf))
        return True

    def _consume(self, n):
        """Drop n bytes from the front of buf; returns them."""
        data = bytes(self.buf[:n])
        del self.buf[:n]
        self.pos += n
        # keep the end of the recv() that delivered buf[0]'s predecessor:
        # expect-group needs to know whether a recv() started at self.pos
        while len(self.recv_ends) > 1 and self.recv_ends[1] <= self.pos:
            self.recv_ends.pop(0)
        return data

    def _need(self, n, deadline, what):
        """Fill until buf holds n bytes; Fail on EOF or timeout."""
        while len(self.buf) < n:
            r = self._fill(deadline)
            if r is False:
                raise Fail("EOF from the client while waiting for %s "
                           "(%d of %d bytes there)" % (what, len(self.buf), n))
            if r is None:
                raise Fail("timeout (%gs) waiting for %s (%d of %d bytes "
                           "there)" % (self.opts.read_timeout, what,
                                       len(self.buf), n))

    def read_line(self, timeout=None):
        """One line including its LF.  Raises Fail on EOF/timeout."""
        if timeout is None:
            timeout = self.opts.read_timeout
        deadline = time.monotonic() + timeout
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                return self._consume(i + 1)
            r = self._fill(deadline)
            if r is False:
                if self.buf:
                    self.log.client(bytes(self.buf))
                raise Fail("EOF from the client while waiting for a line"
                           + (" (partial line %r)" % bytes(self.buf)
                              if self.buf else ""))
            if r is None:
                if self.buf:
                    self.log.client(bytes(self.buf))
                raise Fail("timeout (%gs) waiting for a line from the client"
                           % timeout)

    def drain(self, seconds):
        """Read (capture) until EOF or SECONDS pass.  True on EOF."""
        deadline = time.monotonic() + seconds
        total = 0
        while True:
            if self.buf:
                total += len(self.buf)
                self._log_lines(self._consume(len(self.buf)))
            r = self._fill(deadline)
            if r is False:
                return True
            if r is None:
                return False

    def _log_lines(self, data, limit=40):
        lines = re.split(rb"(?<=\n)", data)
        lines = [x for x in lines if x]
        for x in lines[:limit]:
            self.log.client(x)
        if len(lines) > limit:
            self.log.event("... %d more lines (%d bytes in all)"
                           % (len(lines) - limit, len(data)))

    def send_bytes(self, data):
        """Send DATA.  A client that has already gone (EPIPE, ECONNRESET) is
        not a failure by itself (mailout closes right after QUIT without
        waiting for the 221): it is logged, later sends are skipped, and a
        later expect fails on EOF."""
        if self.peer_gone:
            self.log.event("not sent (the client has gone): %s" % show(data))
            return
        self.log.server(data)
        self.sock.settimeout(self.opts.read_timeout)
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise Fail("timeout sending %d bytes (the client does not read)"
                       % len(data))
        except (BrokenPipeError, ConnectionResetError) as e:
            self.peer_gone = True
            self.log.event("the client has gone, reply not delivered (%s)"
                           % e.strerror)
        except OSError as e:
            raise Fail("send failed: %s" % e)

    def hard_close(self):
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    # -- commands ------------------------------------------------------------

    def do_send(self, text):
        self.send_bytes(text + b"\r\n")

    def do_sendraw(self, text):
        self.send_bytes(text)

    def do_trickle(self, arg):
        delay, text = arg
        data = text + b"\r\n"
        self.log.event("trickle %d bytes, %gs apart" % (len(data), delay))
        for i in range(len(data)):
            if i and not self._pause(delay) or self.peer_gone:
                self.log.event("trickle stopped after %d bytes: the client "
                               "has gone" % i)
                return
            self.send_bytes(data[i:i + 1])

    def _pause(self, seconds):
        """Wait SECONDS, reading (capturing) what the client sends; False
        as soon as the client closes."""
        deadline = time.monotonic() + seconds
        while True:
            r = self._fill(deadline)
            if r is None:
                return True
            if r is False:
                return False

    def do_expect(self, regex):
        line = self.read_line()
        self.log.client(line)
        text = line[:-2] if line.endswith(b"\r\n") else line[:-1]
        if not regex.fullmatch(text.decode("latin-1")):
            raise Fail("expected %r, got %r" % (regex.pattern, line))

    def do_readline(self, _):
        self.log.client(self.read_line())

    def do_data(self, _):
        nlines = nbytes = 0
        shown = 0
        while True:
            line = self.read_line()
            nlines += 1
            nbytes += len(line)
            if shown < 40:
                self.log.client(line)
                shown += 1
            if line in (b".\r\n", b".\n"):
                if line == b".\n":
                    self.log.event("warning: terminator with a bare LF")
                break
        if shown < nlines:
            self.log.event("... %d more lines" % (nlines - shown))
        self.log.event("data: %d lines, %d bytes (terminator included)"
                       % (nlines, nbytes))

    BDAT_LINE = re.compile(rb"BDAT ([0-9]+)( LAST)?\r?\n", re.IGNORECASE)

    def do_bdat_chunks(self, reply):
        n = 0
        while not self.do_bdat(None):
            n += 1
            self.send_bytes(reply + b"\r\n")
        self.log.event("bdat-chunks: %d chunk(s) and the LAST one" % n)

    def do_bdat(self, regex):
        """One BDAT chunk; True when it was the LAST."""
        line = self.read_line()
        self.log.client(line)
        m = self.BDAT_LINE.fullmatch(line)
        if not m:
            raise Fail("expected a BDAT n [LAST] line, got %r" % line)
        text = line[:-2] if line.endswith(b"\r\n") else line[:-1]
        if regex is not None and not regex.fullmatch(text.decode("latin-1")):
            raise Fail("expected %r, got %r" % (regex.pattern, line))
        n = int(m.group(1))
        deadline = time.monotonic() + self.opts.read_timeout
        self._need(n, deadline, "the %d octets of a BDAT chunk" % n)
        chunk = self._consume(n)
        if self.bdat_out:
            self.bdat_out.write(chunk)
            self.bdat_out.flush()
        self._log_lines(chunk, limit=10)
        self.log.event("bdat: %d octets%s" % (n, " (LAST)" if m.group(2)
                                              else ""))
        return bool(m.group(2))

    def _group_end(self, count, deadline):
        """Stream offset where the next COUNT commands (a BDAT line with
        its octets) end, reading as much as that takes."""
        off = 0
        for i in range(count):
            while True:
                j = self.buf.find(b"\n", off)
                if j >= 0:
                    break
                self._need(len(self.buf) + 1, deadline,
                           "command %d of %d of a group" % (i + 1, count))
            m = self.BDAT_LINE.fullmatch(bytes(self.buf[off:j + 1]))
            off = j + 1
            if m:
                off += int(m.group(1))
                self._need(off, deadline, "the octets of a BDAT chunk in "
                           "a group")
        return self.pos + off

    def _recv_layout(self, upto):
        """The recv() sizes covering pos..upto, for messages."""
        sizes, start = [], None
        for end in self.recv_ends:
            if end <= self.pos:
                start = end
                continue
            sizes.append(end - (start if start is not None else 0))
            start = end
            if end >= upto:
                break
        return " + ".join("%d" % x for x in sizes) or "none"

    def do_expect_group(self, count):
        deadline = time.monotonic() + self.opts.read_timeout
        starts = self.pos == 0 or self.pos in self.recv_ends
        end = self._group_end(count, deadline)
        inner = [x for x in self.recv_ends if self.pos < x < end]
        ends = end in self.recv_ends
        length = end - self.pos
        if starts and ends and not inner:
            self.log.event("group: %d command(s), %d bytes, in one recv()"
                           % (count, length))
            return
        self._log_lines(bytes(self.buf[:length]))
        why = []
        if not starts:
            why.append("bytes sent before it arrived in the same recv()")
        if inner:
            why.append("it was split over %d recv()s" % (len(inner) + 1))
        if not ends:
            why.append("more bytes arrived with its last recv()")
        raise Fail("expected the next %d command(s) (%d bytes) in one recv() "
                   "of their own: %s (recv() sizes from here: %s)"
                   % (count, length, "; ".join(why),
                      self._recv_layout(end)))

    def do_sleep(self, seconds):
        self.log.event("sleep %g" % seconds)
        time.sleep(seconds)

    def do_stall(self, seconds):
        self.log.event("stall %g (not reading)" % seconds)
        time.sleep(seconds)
        self.log.event("stall over")

    def do_expect_eof(self, seconds):
        seconds = 5.0 if seconds is None else seconds
        if not self.drain(seconds):
            raise Fail("the client did not close within %gs" % seconds)
        self.log.event("EOF from the client, as expected")

    def do_close(self, _):
        self.log.event("close (half-close, then read until the client closes)")
        try:
            # on a TLS socket: the TCP FIN only, the TLS layer stays usable
            # for reading (SSLSocket.shutdown would drop it)
            socket.socket.shutdown(self.sock, socket.SHUT_WR)
        except OSError:
            pass
        if self.drain(self.opts.tail_seconds):
            self.log.event("EOF from the client")
        else:
            self.log.event("client still open after %gs; closing"
                           % self.opts.tail_seconds)
        self.hard_close()
        raise ConnectionEnded()

    def do_reset(self, _):
        self.log.event("reset (RST)")
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
        self.hard_close()
        raise ConnectionEnded()

    def do_starttls(self, ctx):
        if self.tls:
            raise Fail("starttls: TLS is already on")
        if self.buf:
            self._log_lines(bytes(self.buf))
            raise Fail("the client sent %r after STARTTLS, before the TLS "
                       "handshake" % bytes(self.buf))
        self.log.event("starttls: TLS handshake")
        self.sock.settimeout(self.opts.read_timeout)
        self.sock = ctx.wrap_socket(self.sock, server_side=True,
                                    do_handshake_on_connect=False)
        self.tls = True
        try:
            self.sock.do_handshake()
        except socket.timeout:
            raise Fail("timeout (%gs) in the TLS handshake"
                       % self.opts.read_timeout)
        except (OSError, ValueError) as e:
            raise Fail("TLS handshake failed: %s" % e)
        self.log.event("TLS handshake done: %s, %s"
                       % (self.sock.version(), self.sock.cipher()[0]))

    # -- driver ----------------------------------------------------------------

    def run(self, steps):
        """True when the script ran to its end."""
        try:
            for step in steps:
                try:
                    getattr(self, COMMANDS[step.name][1])(step.arg)
                except Fail as e:
                    self.log.fail("script %s: %s" % (step, e))
                    return False
            self.log.event("end of script; reading until the client closes")
            if self.drain(self.opts.tail_seconds):
                self.log.event("EOF from the client")
            else:
                self.log.event("client still open after %gs; closing"
                               % self.opts.tail_seconds)
            return True
        except ConnectionEnded:
            return True
        except Fail as e:
            self.log.fail("after the script: %s" % e)
            return False
        finally:
            self.hard_close()


# --------------------------------------------------------------------------
# Server

def write_port_file(path, text):
    if not path:
        return
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.rename(tmp, path)


def listen(opts, backlog):
    if opts.unix:
        try:
            os.unlink(opts.unix)
        except FileNotFoundError:
            pass
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(opts.unix)
        s.listen(backlog)
        return s, opts.unix, opts.unix
    family = socket.AF_INET6 if ":" in opts.address else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((opts.address, opts.port))
    s.listen(backlog)
    port = s.getsockname()[1]
    return s, (opts.address, port), str(port)


def no_accept(opts, log):
    srv, addr, label = listen(opts, 0)
    family = srv.family
    dummies = []
    # Backlog 0 still queues one connection on Linux; a couple more cost
    # nothing and make sure the queue is full whatever the kernel does.
    for _ in range(3):
        d = socket.socket(family, socket.SOCK_STREAM)
        d.setblocking(False)
        try:
            d.connect(addr)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as e:
            log.event("dummy connect: %s" % e)
        dummies.append(d)
    time.sleep(0.1)
    log.event("no-accept: listening on %s with a full accept queue" % label)
    write_port_file(opts.port_file, label)
    while True:
        time.sleep(3600)


def serve(opts, sections, log, capture, bdat_out=None):
    srv, addr, label = listen(opts, 16)
    log.event("listening on %s, %d connection(s)" % (label, opts.connections))
    write_port_file(opts.port_file, label)
    ok = True
    for n in range(1, opts.connections + 1):
        conn, peer = srv.accept()
        if not opts.unix:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        log.event("connection %d from %s" % (n, peer or "unix socket"))
        steps = sections[min(n, len(sections)) - 1]
        if not Session(conn, log, capture, opts, bdat_out).run(steps):
            log.event("connection %d: script FAILED" % n)
            ok = False
            break
        log.event("connection %d: script completed" % n)
    srv.close()
    return ok


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Scripted fault-injecting SMTP/LMTP test server.")
    ap.add_argument("--unix", metavar="PATH",
                    help="listen on this unix socket instead of TCP")
    ap.add_argument("--address", default=LOCALHOST,
                    help="TCP address to listen on (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=0,
                    help="TCP port (default 0: a free one)")
    ap.add_argument("--port-file", metavar="FILE")
    ap.add_argument("--capture", metavar="FILE")
    ap.add_argument("--log", metavar="FILE")
    ap.add_argument("--connections", type=int, default=1, metavar="N")
    ap.add_argument("--no-accept", action="store_true")
    ap.add_argument("--max-seconds", type=float, default=60.0,
                    help="safety timeout for the whole run (default 60)")
    ap.add_argument("--read-timeout", type=float, default=10.0,
                    help="per-command read/write timeout (default 10)")
    ap.add_argument("--tail-seconds", type=float, default=5.0,
                    help="how long to wait for the client to close at the "
                         "end of a script or after close (default 5)")
    ap.add_argument("--bdat-out", metavar="FILE",
                    help="append the octets of every BDAT chunk to FILE")
    ap.add_argument("script")
    opts = ap.parse_args(argv)
    if opts.connections < 1:
        ap.error("--connections must be at least 1")

    try:
        with open(opts.script, encoding="utf-8",
                  errors="surrogateescape") as f:
            sections = parse_script(f.read())
    except OSError as e:
        sys.stderr.write("scripted.py: %s\n" % e)
        return 2
    except ScriptError as e:
        sys.stderr.write("scripted.py: %s: %s\n" % (opts.script, e))
        return 2

    log = Log(opts.log)
    log.event("scripted.py pid %d, script %s" % (os.getpid(), opts.script))
    capture = open(opts.capture, "ab") if opts.capture else None
    bdat_out = open(opts.bdat_out, "ab") if opts.bdat_out else None

    def finish(code):
        if opts.unix:
            try:
                os.unlink(opts.unix)
            except OSError:
                pass
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

    def on_alarm(signum, frame):
        log.fail("safety timeout: still running after %gs"
                 % opts.max_seconds)
        finish(0 if opts.no_accept else 1)

    def on_term(signum, frame):
        log.event("killed by signal %d" % signum)
        finish(1)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.setitimer(signal.ITIMER_REAL, opts.max_seconds)

    try:
        if opts.no_accept:
            no_accept(opts, log)
        ok = serve(opts, sections, log, capture, bdat_out)
    except OSError as e:
        log.fail("server error: %s" % e)
        ok = False
    log.event("exit %d" % (0 if ok else 1))
    finish(0 if ok else 1)


if __name__ == "__main__":
    sys.exit(main())
