#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""cdp.py - a minimal Chrome DevTools protocol client over WebSocket, standard library only.

DESCRIPTION
    Enough of RFC 6455 to drive a page target of headless Chromium: the HTTP upgrade
    handshake (with the Sec-WebSocket-Accept check), masked client text frames, and server
    frames with 7-bit, 16-bit (126) and 64-bit (127) lengths, fragmentation (continuation
    frames), ping (answered with pong) and close. Commands are matched to their replies by
    id; the events that arrive meanwhile are kept in `events` for the caller to inspect.

    As a library (tests/serve/dashboard_chromium.sh):
        cdp = CDP(page_ws_url(port)); cdp.send("Page.navigate", url=...); cdp.evaluate("1+1")
    As a command, a screenshot of a page (docs/serve-dashboard.png was made this way):
        cdp.py screenshot DEVTOOLS_PORT URL OUT.png [WIDTH [SETTLE_S [MAX_HEIGHT]]]
    and a check of the frame codec on a socket pair, without a browser:
        cdp.py selftest

LIMITS
    Client side only, no TLS, no extensions (no permessage-deflate), one page target at a
    time. A frame above MAX_FRAME bytes is refused (screenshots are a few MB at most).
    No Origin header is sent, so Chromium needs no --remote-allow-origins.

SEE ALSO
    https://chromedevtools.github.io/devtools-protocol/, RFC 6455.
"""
import base64
import hashlib
import json
import os
import socket
import struct
import sys
import time
import urllib.parse
import urllib.request

MAX_FRAME = 64 << 20  # bytes: a whole-page screenshot in base64 stays far below this
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class CDPError(Exception):
    pass


class WebSocket:
    """A blocking WebSocket client connection (text messages only, as CDP uses)."""

    def __init__(self, url, timeout=30.0):
        u = urllib.parse.urlsplit(url)
        if u.scheme != "ws":
            raise CDPError(f"not a ws:// URL: {url}")
        self.sock = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        path = u.path + ("?" + u.query if u.query else "")
        req = (f"GET {path} HTTP/1.1\r\nHost: {u.hostname}:{u.port or 80}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise CDPError("connection closed during the WebSocket handshake")
            head += chunk
            if len(head) > 65536:
                raise CDPError("WebSocket handshake reply too long")
        head, self.buf = head.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if len(lines[0].split()) < 2 or lines[0].split()[1] != "101":
            raise CDPError(f"WebSocket upgrade refused: {lines[0]}")
        fields = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            fields[k.strip().lower()] = v.strip()
        want = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        if fields.get("sec-websocket-accept") != want:
            raise CDPError("bad Sec-WebSocket-Accept in the handshake reply")

    def _exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise CDPError("WebSocket connection closed by the peer")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send_frame(self, opcode, payload):
        n = len(payload)
        head = bytes([0x80 | opcode])  # FIN: client messages are never fragmented here
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)  # RFC 6455 5.3: every client frame is masked
        if n:
            reps = (mask * (n // 4 + 1))[:n]
            payload = (int.from_bytes(payload, "big") ^ int.from_bytes(reps, "big")).to_bytes(n, "big")
        self.sock.sendall(head + mask + payload)

    def send_text(self, text):
        self._send_frame(0x1, text.encode("utf-8"))

    def recv_text(self):
        """The next whole text message (continuation frames joined); answers pings."""
        parts, kind = [], None
        while True:
            b0, b1 = self._exact(2)
            fin, opcode, masked, n = b0 & 0x80, b0 & 0x0F, b1 & 0x80, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._exact(8))[0]
            if n > MAX_FRAME:
                raise CDPError(f"WebSocket frame of {n} bytes exceeds MAX_FRAME")
            mask = self._exact(4) if masked else None
            data = self._exact(n)
            if mask:
                data = bytes(c ^ mask[i % 4] for i, c in enumerate(data))
            if opcode == 0x9:  # ping: control frames may come between fragments
                self._send_frame(0xA, data)
                continue
            if opcode == 0xA:
                continue
            if opcode == 0x8:
                raise CDPError("WebSocket closed by the peer")
            if opcode in (0x1, 0x2):
                if kind is not None:
                    raise CDPError("new message before the previous one finished")
                kind = opcode
            elif opcode == 0x0:
                if kind is None:
                    raise CDPError("continuation frame without a message")
            else:
                raise CDPError(f"unknown WebSocket opcode {opcode}")
            parts.append(data)
            if fin:
                return b"".join(parts).decode("utf-8")

    def close(self):
        try:
            self._send_frame(0x8, struct.pack(">H", 1000))
        except OSError:
            pass
        self.sock.close()


def http_json(port, path, host="127.0.0.1", timeout=10):
    with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=timeout) as r:
        return json.load(r)


def page_ws_url(port, timeout=15.0):
    """The webSocketDebuggerUrl of the first page target of the browser on PORT."""
    end = time.monotonic() + timeout
    while True:
        try:
            for t in http_json(port, "/json/list"):
                if t.get("type") == "page" and t.get("webSocketDebuggerUrl"):
                    return t["webSocketDebuggerUrl"]
        except OSError:
            pass
        if time.monotonic() > end:
            raise CDPError(f"no page target on DevTools port {port}")
        time.sleep(0.2)


class CDP:
    """A DevTools session on one target: send commands, read replies, keep the events."""

    def __init__(self, ws_url, timeout=30.0):
        self.ws = WebSocket(ws_url, timeout)
        self.next_id = 0
        self.events = []  # (method, params) in arrival order

    def send(self, method, **params):
        self.next_id += 1
        my = self.next_id
        self.ws.send_text(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv_text())
            if msg.get("id") == my:
                if "error" in msg:
                    raise CDPError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append((msg["method"], msg.get("params", {})))

    def evaluate(self, expr):
        """The value of a JavaScript expression in the page (promises awaited)."""
        r = self.send("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise CDPError(f"evaluate {expr!r}: {r['exceptionDetails'].get('text')} "
                           f"{r['exceptionDetails'].get('exception', {}).get('description', '')}")
        return r.get("result", {}).get("value")

    def wait_for(self, expr, timeout=10.0, interval=0.2):
        """Poll EXPR until it is truthy; returns its value, or None after TIMEOUT seconds."""
        end = time.monotonic() + timeout
        while True:
            v = self.evaluate(expr)
            if v:
                return v
            if time.monotonic() > end:
                return None
            time.sleep(interval)

    def screenshot(self, width=1280, max_height=2400):
        """A PNG of the whole page (up to MAX_HEIGHT pixels) at WIDTH CSS pixels, scale 1."""
        self.send("Emulation.setScrollbarsHidden", hidden=True)
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=800,
                  deviceScaleFactor=1, mobile=False)
        h = self.evaluate("Math.ceil(document.documentElement.scrollHeight)") or 800
        h = min(max(int(h), 200), max_height)
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=h,
                  deviceScaleFactor=1, mobile=False)
        time.sleep(0.3)  # let the layout settle at the new size
        r = self.send("Page.captureScreenshot", format="png")
        return base64.b64decode(r["data"])

    def close(self):
        self.ws.close()


def selftest():
    """Check the frame codec on a socket pair: lengths of 7, 16 and 64 bits, a message split
    over continuation frames with a ping between them, masked client frames. Returns the
    number of failures (printed)."""
    import threading
    a, b = socket.socketpair()
    a.settimeout(5)  # a codec bug shows as a failure, not a hang
    b.settimeout(5)
    ws = WebSocket.__new__(WebSocket)
    ws.sock, ws.buf = a, b""

    def frame(op, payload, fin=True):
        n = len(payload)
        h = bytes([(0x80 if fin else 0) | op])
        if n < 126:
            h += bytes([n])
        elif n < 1 << 16:
            h += bytes([126]) + struct.pack(">H", n)
        else:
            h += bytes([127]) + struct.pack(">Q", n)
        return h + payload

    def read_client_frame():
        f = WebSocket.__new__(WebSocket)
        f.sock, f.buf = b, b""
        b0, b1 = f._exact(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", f._exact(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", f._exact(8))[0]
        mask = f._exact(4) if b1 & 0x80 else None
        data = f._exact(n)
        return b0, mask is not None, bytes(c ^ mask[i % 4] for i, c in enumerate(data)) if mask else data

    small, mid, big = "hello", "é" * 300, "x" * 140000 + "ü"
    bb = big.encode()  # first fragment: a 64-bit length, then 16-bit ones
    wire = (frame(1, small.encode()) + frame(1, mid.encode()) + frame(1, bb[:80000], fin=False) +
            frame(9, b"ping!") + frame(0, bb[80000:100000], fin=False) + frame(0, bb[100000:]))
    t = threading.Thread(target=b.sendall, args=(wire,))
    t.start()
    fails = 0
    try:
        for want in (small, mid, big):
            got = ws.recv_text()
            if got != want:
                fails += 1
                print(f"FAIL: cdp selftest: message of {len(want)} characters read as {len(got)}")
        t.join()
        b0, masked, data = read_client_frame()
        if (b0, masked, data) != (0x8A, True, b"ping!"):
            fails += 1
            print(f"FAIL: cdp selftest: the ping was answered with {b0:#x} {masked} {data!r}")
        for text in ("{}", "a" * 200, "b" * 70000):
            ws.send_text(text)
            b0, masked, data = read_client_frame()
            if (b0, masked, data) != (0x81, True, text.encode()):
                fails += 1
                print(f"FAIL: cdp selftest: a client frame of {len(text)} bytes")
        b.sendall(frame(8, struct.pack(">H", 1000)))
        try:
            ws.recv_text()
            fails += 1
            print("FAIL: cdp selftest: a close frame was not reported")
        except CDPError as e:
            if "closed" not in str(e):
                raise
    except (OSError, CDPError) as e:
        fails += 1
        print(f"FAIL: cdp selftest: {e!r}")
    t.join()
    a.close()
    b.close()
    return fails


def main(argv):
    if len(argv) == 2 and argv[1] == "selftest":
        return 1 if selftest() else 0
    if len(argv) < 5 or argv[1] != "screenshot":
        sys.stderr.write("usage: cdp.py screenshot DEVTOOLS_PORT URL OUT.png "
                         "[WIDTH [SETTLE_S [MAX_HEIGHT]]]\n       cdp.py selftest\n")
        return 2
    port, url, out = int(argv[2]), argv[3], argv[4]
    width = int(argv[5]) if len(argv) > 5 else 1280
    settle = float(argv[6]) if len(argv) > 6 else 3.0
    max_height = int(argv[7]) if len(argv) > 7 else 2400
    cdp = CDP(page_ws_url(port))
    cdp.send("Emulation.setDeviceMetricsOverride", width=width, height=800, deviceScaleFactor=1,
             mobile=False)
    cdp.send("Page.navigate", url=url)
    time.sleep(settle)
    png = cdp.screenshot(width, max_height)
    with open(out, "wb") as f:
        f.write(png)
    cdp.close()
    print(f"{out}: {len(png)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
