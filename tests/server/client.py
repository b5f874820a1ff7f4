#!/usr/bin/env python3
"""client.py - a test client for the mailout service (LMTP or SMTP).

Usage:
  client.py (--unix PATH | --tcp HOST:PORT [--source ADDR]) [--lines]
            [--idle S] [--send-only] [--timeout S] [--full] < SCRIPT

Connects, then sends SCRIPT (stdin) with every LF made CRLF (a line may
give raw octets as \\r, \\n, \\xHH and \\\\ escapes; "\\!" at the end of a
line means "no CRLF after it"), and prints each reply line the server
sends (CRLF stripped, other octets shown as \\xHH; of a multi-line
reply only its last line, unless --full), until the server
closes the connection or --timeout (default 30) seconds pass without a
byte, which prints "!! timeout".

By default the whole script goes in one write (pipelining) after the
greeting. With --lines, one command at a time, each after the reply to
the one before (the greeting first); the message text after DATA's 354
goes without waiting, up to its ".". --idle S: after sending,
stay silent S seconds before reading on (a slow client). --send-only:
close right after sending, reading nothing (an abandoned session).
Lines of the form "#SLEEP S" pause S seconds there (a client that
stops in the middle of a message).

Exit status: 0, or 2 when it cannot connect.
"""
import argparse
import re
import socket
import sys
import time


def unescape(line):
    out = bytearray()
    raw = line.endswith("\\!")
    if raw:
        line = line[:-2]
    for m in re.finditer(r"\\x([0-9a-fA-F]{2})|\\r|\\n|\\\\|.", line, re.S):
        t = m.group(0)
        if m.group(1):
            out.append(int(m.group(1), 16))
        elif t == "\\r":
            out += b"\r"
        elif t == "\\n":
            out += b"\n"
        elif t == "\\\\":
            out += b"\\"
        else:
            out += t.encode("utf-8", "surrogateescape")
    return bytes(out if raw else out + b"\r\n")


def show(line):
    return "".join(chr(b) if 32 <= b < 127 else "\\x%02x" % b for b in line)


class Reader:
    def __init__(self, sock, timeout, full):
        self.sock, self.buf, self.timeout = sock, b"", timeout
        self.closed, self.full = False, full

    def line(self):
        while b"\n" not in self.buf:
            self.sock.settimeout(self.timeout)
            try:
                got = self.sock.recv(65536)
            except socket.timeout:
                print("!! timeout", flush=True)
                self.closed = True
                return None
            except OSError:
                got = b""
            if not got:
                self.closed = True
                if self.buf:
                    print(show(self.buf), flush=True)
                return None
            self.buf += got
        line, self.buf = self.buf.split(b"\n", 1)
        line = line.rstrip(b"\r")
        if self.full or not re.match(rb"[0-9]{3}-", line):
            print(show(line), flush=True)
        return line

    def reply(self):
        while True:
            line = self.line()
            if line is None or len(line) < 4 or line[3:4] != b"-":
                return line


def connect(args):
    if args.unix:
        sock = socket.socket(socket.AF_UNIX)
        where = args.unix
    else:
        host, port = args.tcp.rsplit(":", 1)
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        where = (host.strip("[]"), int(port))
        if args.source:
            sock.bind((args.source, 0))
    try:
        sock.connect(where)
    except OSError as e:
        print("cannot connect: %s" % e, file=sys.stderr)
        sys.exit(2)
    return sock


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--unix")
    ap.add_argument("--tcp")
    ap.add_argument("--lines", action="store_true")
    ap.add_argument("--idle", type=float, default=0)
    ap.add_argument("--send-only", action="store_true")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--source")
    args = ap.parse_args()
    script = sys.stdin.read().split("\n")
    if script and script[-1] == "":
        script.pop()
    sock = connect(args)
    rd = Reader(sock, args.timeout, args.full)
    if not args.send_only:
        rd.reply()
    pending = b""
    in_data = False
    try:
        for line in script:
            if line.startswith("#SLEEP "):
                sock.sendall(pending)
                pending = b""
                time.sleep(float(line.split()[1]))
                continue
            pending += unescape(line)
            if in_data:
                in_data = line != "."
                if in_data:
                    continue
            elif line.upper() == "DATA":
                in_data = True
            if args.lines:
                sock.sendall(pending)
                pending = b""
                reply = rd.reply()
                if reply is None:
                    return
                in_data = in_data and reply.startswith(b"354")
        sock.sendall(pending)
    except OSError as e:
        print("!! send: %s" % e, flush=True)
    if args.send_only:
        sock.close()
        return
    if args.idle:
        time.sleep(args.idle)
    while not rd.closed and rd.line() is not None:
        pass


if __name__ == "__main__":
    main()
