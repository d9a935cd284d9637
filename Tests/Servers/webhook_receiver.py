#!/usr/bin/env python3
"""A webhook receiver on 127.0.0.1 for critfix's webhook tests and benchmarks.

Usage: webhook_receiver.py LOG_FILE [--registrations FILE] [--lifetime SECONDS] [--quiet]
       webhook_receiver.py --sink [--lifetime SECONDS]

Prints the port it listens on as the first line of stdout. Every POST is appended to
LOG_FILE as one JSON line: path, webhook-id, webhook-timestamp, whether the signature
is valid, the status sent, User-Agent, Content-Type and the body. It stops by itself
after --lifetime seconds (default 600). --quiet logs nothing.

--sink (for benchmarks) is a single-threaded asyncio server that answers 200 to every
request on kept-alive connections, checking and logging nothing: the thread-per-
connection server below, not critfix, is the limit of a throughput measurement.

Signatures are checked here on their own, with Python's hmac, hashlib and base64 (an
implementation independent of critfix's): the secret of a URL comes from the
registrations file (`- url: …` followed by `secret: whsec_…`, re-read when a URL is
not known yet). "valid" is true or false, or null when no secret is known for the URL
(and then the request must carry no signature).

Routes, by the first path segment:
  /ok/…            200
  /hooks/…         200 (gen_corpus.py's default webhook base)
  /flaky/…         500 to the first request of each webhook-id, then 200
  /busy/N/…        429 with Retry-After: N to the first request of each webhook-id, then 200
  /unavailable/…   503 every time
  /gone/…          410
  /redirect/…      302 to /ok/…
  /slow/…          waits 60 s before answering (longer than any test's timeout)
  /slow50/…        200 after 50 ms, as a busy endpoint answers
"""

import base64
import hashlib
import hmac
import json
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# A test runner may start this with signals blocked; let SIGTERM and SIGINT stop it.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
lifetime = 600.0
if "--lifetime" in sys.argv:
    lifetime = float(sys.argv[sys.argv.index("--lifetime") + 1])


def sink():
    import asyncio

    response = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n"

    async def connection(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                writer.write(response)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def main():
        server = await asyncio.start_server(connection, "127.0.0.1", 0, backlog=256)
        print(server.sockets[0].getsockname()[1], flush=True)
        async with server:
            await asyncio.sleep(lifetime)

    asyncio.run(main())


if "--sink" in sys.argv:
    sink()
    sys.exit(0)

log_path = sys.argv[1]
registrations = None
if "--registrations" in sys.argv:
    registrations = sys.argv[sys.argv.index("--registrations") + 1]
quiet = "--quiet" in sys.argv

lock = threading.Lock()
log = open(log_path, "a", encoding="utf-8")
secrets = {}  # URL path -> secret
seen = {}  # (route, webhook-id) -> requests so far


def load_secrets():
    if registrations is None:
        return
    try:
        with open(registrations, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return
    for url, secret in re.findall(r"-\s*url:\s*(\S+)\s*\n\s*secret:\s*(whsec_\S+)", text):
        secrets[urlsplit(url).path] = secret


def verify(path, webhook_id, timestamp, signature, body):
    with lock:
        if path not in secrets:
            load_secrets()
        secret = secrets.get(path)
    if secret is None:
        return None if signature is None else False
    if signature is None or webhook_id is None or timestamp is None:
        return False
    key = base64.b64decode(secret[len("whsec_"):])
    signed = webhook_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # The header may hold several space-separated signatures; one valid v1 is enough.
    for candidate in signature.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in one write: written apart, Nagle's algorithm and the
    # client's delayed ACK cost 40 ms per request on a kept-alive connection.
    wbufsize = -1

    def log_message(self, format, *args):  # quiet: the JSON log says it all
        pass

    def answer(self, status, headers=()):
        body = b"ok\n" if status < 300 else b"status %d\n" % status
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        webhook_id = self.headers.get("webhook-id")
        parts = self.path.lstrip("/").split("/")
        route = parts[0]
        with lock:
            count = seen.get((route, webhook_id), 0)
            seen[(route, webhook_id)] = count + 1
        headers = []
        if route in ("ok", "hooks"):
            status = 200
        elif route == "flaky":
            status = 500 if count == 0 else 200
        elif route == "busy" and len(parts) > 1:
            status = 429 if count == 0 else 200
            if status == 429:
                headers.append(("Retry-After", parts[1]))
        elif route == "unavailable":
            status = 503
        elif route == "gone":
            status = 410
        elif route == "redirect":
            status = 302
            headers.append(("Location", "/ok/" + "/".join(parts[1:])))
        elif route == "slow":
            status = 200  # after a minute: see below
        elif route == "slow50":
            status = 200
            time.sleep(0.05)
        else:
            status = 404
        if not quiet:
            timestamp = self.headers.get("webhook-timestamp")
            entry = {
                "path": self.path,
                "webhook_id": webhook_id,
                "timestamp": timestamp,
                "signature": self.headers.get("webhook-signature"),
                "valid": verify(self.path, webhook_id, timestamp, self.headers.get("webhook-signature"), body),
                "status": status,
                "user_agent": self.headers.get("User-Agent"),
                "content_type": self.headers.get("Content-Type"),
                "body": body.decode("utf-8", "replace"),
            }
            with lock:
                log.write(json.dumps(entry) + "\n")
                log.flush()
        if route == "slow":
            time.sleep(60)
        try:
            self.answer(status, headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        pass  # a client killed mid-request (the crash test) is expected, not news


server = Server(("127.0.0.1", 0), Handler)
stopper = threading.Timer(lifetime, server.shutdown)
stopper.daemon = True
stopper.start()
print(server.server_address[1], flush=True)
server.serve_forever()
