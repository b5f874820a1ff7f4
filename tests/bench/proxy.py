#!/usr/bin/env python3
"""proxy.py - a TCP proxy that adds latency, for benchmarks.

Usage:
  proxy.py --target HOST:PORT [--port N] [--port-file FILE]
           [--delay-ms MS] [--up-ms MS] [--down-ms MS] [--no-handshake]

Listens on 127.0.0.1 (port 0: a free one, written to --port-file once it
listens) and relays every connection to --target, each byte delivered
--up-ms (client -> server) or --down-ms (server -> client) after it arrived
(both default to --delay-ms, default 25): a delay line, not a bandwidth
limit, and order is kept.  Half-closes are relayed with the same delay.

The TCP handshake of a real path is simulated too (unless --no-handshake):
the connection to the target is opened one round trip plus one way
(up + down + up) after the client's, so the greeting reaches the client
two round trips after its connect() -- as over a real path, where
connect() itself takes one.  Bytes the client sends meanwhile (a TLS
ClientHello) wait for that connection, as they would.
SIGTERM/SIGINT stop it.
"""

import argparse
import asyncio
import os
import signal
import socket
import sys


def nodelay(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


async def relay(reader, writer_fut, delay):
    """Copy reader -> (awaited) writer, each chunk `delay` s later."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def pump_in():
        while True:
            try:
                data = await reader.read(1 << 16)
            except (ConnectionError, OSError):
                data = b""
            queue.put_nowait((loop.time() + delay, data))
            if not data:
                return

    async def pump_out():
        writer = await writer_fut
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if writer is None:
                continue    # the target never answered: drop
            try:
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
            except (ConnectionError, OSError):
                return

    await asyncio.gather(pump_in(), pump_out())


async def handle(opts, client_reader, client_writer):
    loop = asyncio.get_running_loop()
    nodelay(client_writer)
    up, down = opts.up_ms / 1000.0, opts.down_ms / 1000.0
    upstream = loop.create_future()
    client_fut = loop.create_future()
    client_fut.set_result(client_writer)
    # each direction has its own writer future; the upstream reader comes
    # with the connection
    server_reader_fut = loop.create_future()

    async def connect():
        if opts.handshake:
            await asyncio.sleep(up + down + up)
        try:
            r, w = await asyncio.open_connection(opts.host, opts.port)
            nodelay(w)
            upstream.set_result(w)
            server_reader_fut.set_result(r)
        except OSError:
            upstream.set_result(None)
            server_reader_fut.set_result(None)

    async def downstream():
        r = await server_reader_fut
        if r is None:
            client_writer.close()
            return
        await relay(r, client_fut, down)

    try:
        await asyncio.gather(connect(), relay(client_reader, upstream, up),
                             downstream())
    finally:
        for w in (client_writer, upstream.result() if upstream.done()
                  else None):
            if w is not None:
                try:
                    w.close()
                except Exception:
                    pass


async def main_async(opts):
    server = await asyncio.start_server(
        lambda r, w: handle(opts, r, w), "127.0.0.1", opts.listen_port)
    port = server.sockets[0].getsockname()[1]
    if opts.port_file:
        tmp = "%s.tmp.%d" % (opts.port_file, os.getpid())
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, opts.port_file)
    async with server:
        await server.serve_forever()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target", required=True, metavar="HOST:PORT")
    ap.add_argument("--port", dest="listen_port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--delay-ms", type=float, default=25.0)
    ap.add_argument("--up-ms", type=float)
    ap.add_argument("--down-ms", type=float)
    ap.add_argument("--no-handshake", dest="handshake", action="store_false")
    opts = ap.parse_args()
    opts.host, _, port = opts.target.rpartition(":")
    opts.port = int(port)
    if opts.up_ms is None:
        opts.up_ms = opts.delay_ms
    if opts.down_ms is None:
        opts.down_ms = opts.delay_ms
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    signal.signal(signal.SIGINT, lambda *a: os._exit(0))
    asyncio.run(main_async(opts))


if __name__ == "__main__":
    sys.exit(main())
