#!/usr/bin/env python3
"""A fast SMTP sink on 127.0.0.1 for benchmarks: it accepts every message and keeps
nothing but counts, so the benchmark measures the client rather than the server.

Usage: smtp_sink.py [--lifetime SECONDS]

Prints its port as the first line of stdout. When stdin closes (or after --lifetime,
default 1800 s) it prints {"connections": N, "messages": M} and exits. Plain asyncio
(no aiosmtpd): one coroutine per connection reading lines, answering each command
at once; the data is read up to its terminating "." line in one call and dropped.
"""

import asyncio
import json
import signal
import sys

signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
lifetime = 1800.0
if "--lifetime" in sys.argv:
    lifetime = float(sys.argv[sys.argv.index("--lifetime") + 1])
counts = {"connections": 0, "messages": 0}


async def session(reader, writer):
    counts["connections"] += 1
    writer.write(b"220 sink ESMTP\r\n")
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                writer.write(b"250-sink\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 SIZE 52428800\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                # The message up to its terminating line in one call (a C-speed search),
                # so the sink spends little per message and the figure stays critfix's.
                try:
                    await reader.readuntil(b"\r\n.\r\n")
                except asyncio.IncompleteReadError:
                    break
                counts["messages"] += 1
                writer.write(b"250 2.0.0 queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:  # MAIL, RCPT, RSET, NOOP
                writer.write(b"250 ok\r\n")
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def main():
    server = await asyncio.start_server(session, "127.0.0.1", 0, limit=1 << 20)
    print(server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    stdin_closed = loop.run_in_executor(None, sys.stdin.read)
    try:
        await asyncio.wait_for(stdin_closed, lifetime)
    except asyncio.TimeoutError:
        pass
    server.close()
    print(json.dumps(counts), flush=True)


asyncio.run(main())
