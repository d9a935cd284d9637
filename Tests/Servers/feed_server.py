#!/usr/bin/env python3
"""A feed server on 127.0.0.1 for critfix's fetching tests and benchmarks.

Usage: feed_server.py DIRECTORY LOG_FILE [--lifetime SECONDS] [--tls CERT KEY]

Serves the files of DIRECTORY and prints the port it listens on as the first line
of stdout. Every request is appended to LOG_FILE as one JSON line (path, the
conditional and encoding headers, User-Agent, and the status sent), so a test can
check what the server saw, including how many requests were in flight when each
arrived. It stops by itself after --lifetime seconds (default 600). With --tls it
speaks HTTPS with the given certificate.

Routes (NAME is a file in DIRECTORY):
  /feeds/NAME              the file, with ETag and Last-Modified; 304 when either
                           validator sent matches
  /gzip/NAME               the same, gzip-encoded when the client accepts gzip
  /deflate/NAME            the same, deflate-encoded when the client accepts deflate
  /noetag/NAME             the file without validators
  /redirect/N/NAME         N redirects (302), then /feeds/NAME
  /slow/SECONDS/NAME       waits SECONDS (at most 30) before answering
  /status/CODE             answers CODE with a short text body
  /big/BYTES               a well-formed RSS feed of about BYTES bytes, streamed
  /html                    an HTML page (text/html), as a misconfigured server sends
  /truncated/NAME          announces the whole file but closes halfway
"""

import email.utils
import gzip
import hashlib
import json
import os
import signal
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# A test runner may start this with signals blocked; let SIGTERM and SIGINT stop it.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
directory, log_path = sys.argv[1], sys.argv[2]
lifetime = 600.0
if "--lifetime" in sys.argv:
    lifetime = float(sys.argv[sys.argv.index("--lifetime") + 1])
log_lock = threading.Lock()
in_flight = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet: the JSON log says it all
        pass

    def record(self, status):
        entry = {
            "path": self.path,
            "in_flight": self.in_flight_at_start,
            "status": status,
            "if_none_match": self.headers.get("If-None-Match"),
            "if_modified_since": self.headers.get("If-Modified-Since"),
            "accept_encoding": self.headers.get("Accept-Encoding"),
            "user_agent": self.headers.get("User-Agent"),
        }
        with log_lock, open(log_path, "a") as log:
            log.write(json.dumps(entry) + "\n")

    def send_body(self, status, body, content_type="application/rss+xml", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.record(status)

    def read_file(self, name):
        path = os.path.join(directory, os.path.basename(name))
        if not os.path.isfile(path):
            return None, None
        with open(path, "rb") as f:
            return f.read(), os.path.getmtime(path)

    def serve_file(self, name, encoding=None, validators=True):
        body, mtime = self.read_file(name)
        if body is None:
            return self.send_body(404, b"no such feed\n", "text/plain")
        headers = []
        if validators:
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            modified = email.utils.formatdate(mtime, usegmt=True)
            headers += [("ETag", etag), ("Last-Modified", modified)]
            if self.headers.get("If-None-Match") == etag or (
                self.headers.get("If-None-Match") is None and self.headers.get("If-Modified-Since") == modified
            ):
                self.send_response(304)
                for header in headers:
                    self.send_header(*header)
                self.end_headers()
                self.record(304)
                return
        accepted = self.headers.get("Accept-Encoding") or ""
        if encoding == "gzip" and "gzip" in accepted:
            body = gzip.compress(body)
            headers.append(("Content-Encoding", "gzip"))
        elif encoding == "deflate" and "deflate" in accepted:
            body = zlib.compress(body)
            headers.append(("Content-Encoding", "deflate"))
        self.send_body(200, body, headers=headers)

    def do_GET(self):
        global in_flight
        with log_lock:
            in_flight += 1
            self.in_flight_at_start = in_flight
        try:
            self.route()
        finally:
            with log_lock:
                in_flight -= 1

    def route(self):
        parts = self.path.lstrip("/").split("/")
        route = parts[0]
        if route == "feeds" and len(parts) == 2:
            return self.serve_file(parts[1])
        if route in ("gzip", "deflate") and len(parts) == 2:
            return self.serve_file(parts[1], encoding=route)
        if route == "noetag" and len(parts) == 2:
            return self.serve_file(parts[1], validators=False)
        if route == "redirect" and len(parts) == 3:
            remaining = int(parts[1])
            target = f"/redirect/{remaining - 1}/{parts[2]}" if remaining > 1 else f"/feeds/{parts[2]}"
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.record(302)
            return
        if route == "slow" and len(parts) == 3:
            time.sleep(min(float(parts[1]), 30.0))
            return self.serve_file(parts[2])
        if route == "status" and len(parts) == 2:
            code = int(parts[1])
            return self.send_body(code, f"status {code}\n".encode(), "text/plain")
        if route == "big" and len(parts) == 2:
            return self.serve_big(int(parts[1]))
        if route == "html":
            page = b"<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body><p>Login<br></body></html>\n"
            return self.send_body(200, page, "text/html; charset=utf-8")
        if route == "truncated" and len(parts) == 2:
            body, _ = self.read_file(parts[1])
            if body is None:
                return self.send_body(404, b"no such feed\n", "text/plain")
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.record(200)
            self.close_connection = True
            return
        self.send_body(404, b"unknown route\n", "text/plain")

    def serve_big(self, size):
        head = b'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Big</title>\n'
        tail = b"</channel></rss>\n"
        item = b"<item><title>padding</title><guid>x</guid><description>" + b"x" * 4000 + b"</description></item>\n"
        count = max(size // len(item), 1)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def chunk(data):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

        try:
            chunk(head)
            for _ in range(count):
                chunk(item)
            chunk(tail)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading, as it should past its size limit
        self.record(200)


# Room for many simultaneous connections: the default backlog of 5 makes a burst wait
# a second for a SYN retransmit.
ThreadingHTTPServer.request_queue_size = 256
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
if "--tls" in sys.argv:
    import ssl

    position = sys.argv.index("--tls")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[position + 1], sys.argv[position + 2])
    server.socket = context.wrap_socket(server.socket, server_side=True)
server.daemon_threads = True
stopper = threading.Timer(lifetime, server.shutdown)
stopper.daemon = True
stopper.start()
print(server.server_address[1], flush=True)
server.serve_forever()
