#!/usr/bin/python3
"""relay.py DIR PORT_FILE: the relay of make check-package.

An SMTP server (aiosmtpd, Debian's python3-aiosmtpd) on 127.0.0.1 and a
free port, which it writes to PORT_FILE once it listens. Every message it
accepts becomes DIR/N.eml: the EHLO name and the envelope first
(X-Helo, X-Mail-From, one X-Rcpt-To per recipient), then the message as
it came. It offers 8BITMIME and SMTPUTF8, no STARTTLS: the client is on
loopback. It runs until killed.
"""
import asyncio
import itertools
import os
import sys

from aiosmtpd.smtp import SMTP


class Store:
    def __init__(self, directory):
        self.directory = directory
        self.count = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        n = next(self.count)
        head = [f"X-Helo: {session.host_name}",
                f"X-Mail-From: {envelope.mail_from}"]
        head += [f"X-Rcpt-To: {r}" for r in envelope.rcpt_tos]
        tmp = os.path.join(self.directory, f".{n}.tmp")
        with open(tmp, "wb") as f:
            f.write(("\n".join(head) + "\n").encode())
            f.write(envelope.original_content)
        os.rename(tmp, os.path.join(self.directory, f"{n}.eml"))
        return "250 2.0.0 stored"


async def serve(directory, port_file):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Store(directory), enable_SMTPUTF8=True,
                     hostname="relay.test"),
        "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with open(port_file + ".tmp", "w") as f:
        f.write(f"{port}\n")
    os.rename(port_file + ".tmp", port_file)
    await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: relay.py DIR PORT_FILE")
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
