#!/usr/bin/env python3
"""oauth.py - a scripted OAuth 2.0 endpoint over HTTPS, for tests.

Usage:
  oauth.py --cert PEM --key PEM --port-file FILE --log FILE SCRIPT

Listens on 127.0.0.1, port 0 (a free port), with TLS (the certificate and
key given, e.g. tests/servers/certs.sh's server.pem: its names include
127.0.0.1), and writes the port to --port-file once it is listening (temp
file + rename).  Serves until killed.

SCRIPT: the answers, one a line, "PATH STATUS BODY": a POST to PATH gets
the next answer scripted for PATH, in order: the HTTP status and BODY (the
rest of the line, sent as application/json); or, with STATUS "stall", no
answer at all for BODY seconds, after which the connection is closed.  Blank lines and lines
starting with "#" are ignored.  A request with no answer left gets 500 and
{"error":"server_error"}, and "!! no answer left" in the log.

--log gets one line per request: "TIME PATH BODY", TIME from time.time()
(seconds, a float) and BODY the request body as sent (form-encoded), so a
test can check what the client sent and when.
"""

import argparse
import http.server
import os
import ssl
import sys
import time


def load_script(path):
    answers = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split(" ", 2)
            if len(parts) != 3 or not (parts[1].isdigit() or
                                       parts[1] == "stall"):
                sys.exit("%s:%d: expected PATH STATUS BODY" % (path, number))
            answers.setdefault(parts[0], []).append((parts[1], parts[2]))
    return answers


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("latin-1")
        queue = self.server.answers.get(self.path, [])
        with open(self.server.log, "a", encoding="utf-8") as log:
            log.write("%.3f %s %s\n" % (time.time(), self.path, body))
            if not queue:
                log.write("!! no answer left for %s\n" % self.path)
        status, text = queue.pop(0) if queue else (
            "500", '{"error":"server_error"}')
        if status == "stall":
            time.sleep(float(text))
            self.close_connection = True
            return
        data = text.encode("utf-8")
        self.send_response(int(status))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("script")
    args = ap.parse_args()

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    server.answers = load_script(args.script)
    server.log = args.log
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
