#!/usr/bin/env python3
"""Loads an HTML file in headless Chromium with the network shut off, and reports
what a reader would check, as JSON on stdout:

    html_in_browser.py PAGE.html SCREENSHOT.png

  {"requests": [...],      every request the page made beyond its own file (DevTools)
   "text": "...",          the page's text (the DOM as Chromium built it, tags removed)
   "colours": N,           distinct colours in the screenshot (1 = blank)
   "width": W, "height": H}

The page is loaded through the DevTools protocol (`--remote-debugging-pipe`), which
tells the page's own requests from Chromium's background traffic (update checks,
which its flags do not all stop). Every request goes to a proxy on 127.0.0.1 that
refuses it (loopback included: `<-loopback>`), and host names resolve to nothing, so
nothing leaves the machine. Every step is bounded by a timeout.
"""

import base64
import fcntl
import html
import json
import os
import re
import select
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

page, screenshot = sys.argv[1], sys.argv[2]
refused = []

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(16)
listener.settimeout(0.2)
stopping = threading.Event()


def proxy():
    while not stopping.is_set():
        try:
            connection, _ = listener.accept()
        except socket.timeout:
            continue
        connection.settimeout(2)
        try:
            first = connection.recv(4096).split(b"\r\n", 1)[0]
            refused.append(first.decode("latin-1"))
            connection.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        except OSError:
            pass
        connection.close()


thread = threading.Thread(target=proxy, daemon=True)
thread.start()

binary = next(b for b in ("chromium", "chromium-browser") if subprocess.run(["which", b], capture_output=True).returncode == 0)
profile = tempfile.mkdtemp(prefix="critfix-chromium-")
flags = [
    binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
    "--disable-default-apps", "--hide-scrollbars", "--window-size=1280,1600", f"--user-data-dir={profile}",
    f"--proxy-server=http://127.0.0.1:{listener.getsockname()[1]}", "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--remote-debugging-pipe",
]
url = "file://" + os.path.abspath(page)

# The DevTools protocol over the pipe Chromium reads on fd 3 and writes on fd 4: the
# page's own requests are told apart from the browser's (which the proxy refuses too).
to_chrome_read, to_chrome_write = os.pipe()
from_chrome_read, from_chrome_write = os.pipe()
# Above 10, so that placing them on 3 and 4 in the child cannot overwrite one another.
child_read = fcntl.fcntl(to_chrome_read, fcntl.F_DUPFD, 10)
child_write = fcntl.fcntl(from_chrome_write, fcntl.F_DUPFD, 10)
os.close(to_chrome_read)
os.close(from_chrome_write)


def child_fds():
    os.dup2(child_read, 3)
    os.dup2(child_write, 4)


browser = subprocess.Popen(flags + ["about:blank"], pass_fds=(3, 4, child_read, child_write), preexec_fn=child_fds,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.close(child_read)
os.close(child_write)
incoming = b""
events = []
next_id = 0
deadline = time.time() + 120


def receive():
    global incoming
    while b"\0" not in incoming:
        if time.time() > deadline:
            raise SystemExit("Chromium did not answer within 120 s")
        ready, _, _ = select.select([from_chrome_read], [], [], 1)
        if ready:
            data = os.read(from_chrome_read, 1 << 20)
            if not data:
                raise SystemExit("Chromium closed the DevTools pipe")
            incoming += data
    message, incoming = incoming.split(b"\0", 1)
    return json.loads(message)


def call(method, params=None, session=None):
    global next_id
    next_id += 1
    message = {"id": next_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    os.write(to_chrome_write, json.dumps(message).encode() + b"\0")
    while True:
        answer = receive()
        if answer.get("id") == next_id:
            if "error" in answer:
                raise SystemExit(f"{method}: {answer['error']}")
            return answer["result"]
        events.append(answer)


def wait_for(method):
    for event in events:
        if event.get("method") == method:
            return
    while True:
        event = receive()
        events.append(event)
        if event.get("method") == method:
            return


target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
call("Network.enable", session=session)
call("Page.enable", session=session)
call("Page.navigate", {"url": url}, session=session)
wait_for("Page.loadEventFired")
shot = call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False}, session=session)
with open(screenshot, "wb") as file:
    file.write(base64.b64decode(shot["data"]))
dom = call("Runtime.evaluate", {"expression": "document.documentElement.outerHTML", "returnByValue": True},
           session=session)["result"]["value"]
requests = [event["params"]["request"]["url"] for event in events
            if event.get("method") == "Network.requestWillBeSent" and event.get("sessionId") == session
            and event["params"]["request"]["url"] != url]
try:
    call("Browser.close")
except SystemExit:
    pass
browser.wait(timeout=30)
stopping.set()
thread.join()

body = re.sub(r"(?s)<(style|svg)\b.*?</\1>", " ", dom)
text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def colours(path):
    """Distinct colours of an 8-bit RGB or RGBA PNG, as Chromium writes them."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, width = 8, b"", 0
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunk = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour_type in (2, 6)
            channels = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        position += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    seen = set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        if row % 4 == 0:
            seen.update(bytes(line[i:i + 3]) for i in range(0, stride, channels * 2))
        previous = line
    return len(seen), width, height


count, width, height = colours(screenshot)
print(json.dumps({"requests": requests, "text": text, "colours": count, "width": width, "height": height}))
