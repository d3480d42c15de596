#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# limits.sh - the reliability and security limits of `rebound serve` (issue 7), over raw
# sockets from python3 (so nothing normalises the requests on the way):
#   - 401 for a webhook POST without a token, with a wrong one, with a prefix of the right one
#     and with the right one plus a byte;
#   - 413 for a body over --max-body, declared (Content-Length) or chunked without a length
#     (and a small chunked body is accepted);
#   - 400 for malformed JSON, with the reason in {"error": ...};
#   - 404 for unknown paths; path traversal (/../, %2e%2e, //etc/passwd, encoded slashes, a
#     NUL) answers 400 or 404 and never a file's contents;
#   - oversized request headers are refused with a 4xx (or the connection closed), and the
#     server lives on;
#   - slow clients: a half-sent request line and a half-sent body are closed by --timeout 2,
#     and while 64 of them hang, /api/health still answers within a second;
#   - bounded memory: after bursts of bodies just under and far over --max-body on 32
#     connections at once, the server's peak RSS (VmHWM) stays under 200 MB;
#   - nothing any refused request carried was stored, and the server still answers health.
#   tests/serve/limits.sh REBOUND_BINARY
set -u
BIN=${1:?usage: limits.sh REBOUND_BINARY}
command -v python3 > /dev/null || { echo "FAIL: python3 not installed"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/rb-limits.XXXXXX")
export HOME=$T/home XDG_DATA_HOME= XDG_CONFIG_HOME=
mkdir -p "$HOME"
SPID=
cleanup() {
  [ -n "$SPID" ] && kill -KILL "$SPID" 2> /dev/null
  wait 2> /dev/null
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

TOKEN=limits-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
MAXBODY=1048576
"$BIN" serve --db "$T/rb.db" --listen 127.0.0.1:0 --token "$TOKEN" --max-body "$MAXBODY" \
  --timeout 2 2> "$T/serve.err" &
SPID=$!
n=200
while ! grep -q 'listening on http://' "$T/serve.err" 2> /dev/null; do
  n=$((n - 1))
  if [ "$n" = 0 ] || ! kill -0 "$SPID" 2> /dev/null; then
    cat "$T/serve.err"
    echo "FAIL: rebound serve did not print its 'listening on' line within 20 s"
    echo "0 passed, 1 failed"
    exit 1
  fi
  sleep 0.1
done
PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$T/serve.err" | head -n 1)

rc=0
timeout 300 python3 - "$PORT" "$TOKEN" "$SPID" "$MAXBODY" "$T/rb.db" "$T/counts" <<'PY' || rc=$?
import json, select, socket, sqlite3, sys, threading, time
PORT, TOKEN, SPID, MAXBODY, DB, COUNTS = (int(sys.argv[1]), sys.argv[2], sys.argv[3],
                                         int(sys.argv[4]), sys.argv[5], sys.argv[6])
passed = failed = 0

def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {name}: {detail}", file=sys.stderr)

def raw(data, timeout=10):
    """send bytes (stopping early if the server answers first, as it may with a 413), read
    to close or to one whole response; returns (status, headers, body); status 0 = none"""
    s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
    buf = b""
    try:
        off, end = 0, time.monotonic() + timeout
        while off < len(data) and time.monotonic() < end:
            r, w, _ = select.select([s], [s], [], 1)
            if r:
                break
            if w:
                try:
                    off += s.send(data[off:off + 65536])
                except OSError:
                    break
        while True:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, OSError):
                break
            if not chunk:
                break
            buf += chunk
            head, sep, body = buf.partition(b"\r\n\r\n")
            if sep:
                hdrs = head.decode("latin-1").lower()
                if "content-length:" in hdrs:
                    cl = int(hdrs.split("content-length:")[1].split("\r\n")[0])
                    if len(body) >= cl:
                        break
    finally:
        s.close()
    head, sep, body = buf.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ")[1])
    except (IndexError, ValueError):
        status = 0
    if b"transfer-encoding: chunked" in head.lower():
        out, rest = b"", body
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size.split(b";")[0] or b"0", 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        body = out
    return status, head.decode("latin-1"), body

def req(method, path, body=b"", headers=None, token=TOKEN, extra=b""):
    h = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    if token is not None:
        h.append(f"Authorization: Bearer {token}")
    if body or method == "POST":
        h.append("Content-Type: application/json")
        h.append(f"Content-Length: {len(body)}")
    h += headers or []
    return raw(("\r\n".join(h) + "\r\n\r\n").encode("latin-1") + extra + body)

def event(i, prefix="lim-"):
    return {"email": f"user{i}@gmail.com", "timestamp": 1763900000 + i, "event": "bounce",
            "sg_event_id": f"{prefix}{i}", "sg_message_id": f"msg-{i}",
            "reason": "550 5.1.1 The email account that you tried to reach does not exist.",
            "status": "5.1.1", "type": "bounce", "category": ["c1"]}

def body(events):
    return json.dumps(events).encode()

def rss_kb(field):
    for line in open(f"/proc/{SPID}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0

def health(timeout=5):
    t0 = time.monotonic()
    st, _, b = req("GET", "/api/health", token=None)
    return st, b, time.monotonic() - t0

SG = "/webhooks/sendgrid"
ok_body = body([event(1, "lim-ok-")])

# ---- the token ------------------------------------------------------------------------------
st, _, b = req("POST", SG, body([event(1, "lim-401a-")]), token=None)
check("no token -> 401", st == 401, f"got {st} {b[:200]!r}")
st, _, b = req("POST", SG, body([event(1, "lim-401b-")]), token="wrong-token")
check("wrong token -> 401", st == 401, f"got {st} {b[:200]!r}")
st, _, b = req("POST", SG, body([event(1, "lim-401c-")]), token=TOKEN[:-3])
check("a prefix of the token -> 401", st == 401, f"got {st} {b[:200]!r}")
st, _, b = req("POST", SG, body([event(1, "lim-401d-")]), token=TOKEN + "x")
check("the token plus a byte -> 401", st == 401, f"got {st} {b[:200]!r}")
st, _, b = req("POST", SG, body([event(1, "lim-401e-")]), token=None,
               headers=[f"Authorization: Basic {TOKEN}"])
check("the token under another scheme -> 401", st == 401, f"got {st} {b[:200]!r}")
st, _, b = req("POST", SG, ok_body)
check("the right token -> 200", st == 200, f"got {st} {b[:200]!r}")

# ---- the body limit -------------------------------------------------------------------------
big = b"[" + b" " * (MAXBODY + 10) + b"]"
st, _, b = req("POST", SG, big)
check("body over --max-body (Content-Length) -> 413", st == 413, f"got {st} {b[:200]!r}")
# declared huge, nothing sent: refused on the header alone
st, _, b = raw((f"POST {SG} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {50 * MAXBODY}\r\n\r\n").encode())
check("declared Content-Length over --max-body -> 413", st == 413, f"got {st} {b[:200]!r}")
pieces = [b"["] + [b" " * 65536] * (MAXBODY // 65536 + 4) + [b"]"]
chunks = b"".join(b"%x\r\n" % len(p) + p + b"\r\n" for p in pieces) + b"0\r\n\r\n"
st, _, b = raw((f"POST {SG} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
               + chunks)
check("chunked body over --max-body -> 413", st == 413, f"got {st} {b[:200]!r}")
small = body([event(1, "lim-chunk-")])
st, _, b = raw((f"POST {SG} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
               + b"".join(b"%x\r\n" % len(p) + p + b"\r\n" for p in (small[:20], small[20:]))
               + b"0\r\n\r\n")
check("chunked body under --max-body -> 200", st == 200, f"got {st} {b[:200]!r}")

# ---- malformed JSON -------------------------------------------------------------------------
for name, bad in [("truncated array", b'[{"email":"a@b.c","event":"bounce"'),
                  ("not JSON", b"hello"), ("trailing comma", b'[{"event":"bounce",}]'),
                  ("empty body", b"")]:
    st, _, b = req("POST", SG, bad)
    reason = None
    try:
        reason = json.loads(b).get("error")
    except (ValueError, AttributeError):
        pass
    check(f"malformed JSON ({name}) -> 400", st == 400, f"got {st} {b[:200]!r}")
    check(f"malformed JSON ({name}) has an error reason", isinstance(reason, str) and reason,
          f"body {b[:200]!r}")

# ---- unknown paths and traversal ------------------------------------------------------------
for m, p in [("GET", "/nope"), ("POST", "/webhooks/nope"), ("GET", "/api/nope"),
             ("POST", "/webhooks/sendgrid/extra")]:
    st, _, b = req(m, p, ok_body if m == "POST" else b"")
    check(f"{m} {p} -> 404", st == 404, f"got {st} {b[:200]!r}")
for p in ["/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd",
          "/assets/../../../../etc/passwd", "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
          "/..%5c..%5c..%5cetc%5cpasswd", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
          "/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/etc/passwd%00.js", "/./././etc/passwd",
          "/....//....//etc/passwd", "/proc/self/environ"]:
    st, _, b = req("GET", p, token=None)
    check(f"GET {p} -> 400/404", st in (400, 404), f"got {st} {b[:200]!r}")
    check(f"GET {p} serves no file", b"root:" not in b and b"PATH=" not in b, f"{b[:200]!r}")

# ---- oversized headers ----------------------------------------------------------------------
st, _, b = raw((f"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: {'a' * 200000}\r\n\r\n").encode())
check("200 KB header -> 4xx or close", st == 0 or 400 <= st < 500, f"got {st} {b[:200]!r}")
st, _, b = raw(b"GET /api/health HTTP/1.1\r\nHost: x\r\n" +
               b"".join(b"X-H%d: v\r\n" % i for i in range(5000)) + b"\r\n")
check("5000 headers -> 4xx or close", st == 0 or 400 <= st < 500, f"got {st} {b[:200]!r}")
st, b, _ = health()
check("alive after oversized headers", st == 200, f"got {st} {b[:200]!r}")

# ---- slow clients ---------------------------------------------------------------------------
def closed_within(s, secs):
    """the server closes s within secs: recv sees EOF or a reset (an error answer counts)"""
    s.settimeout(0.5)
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            if not s.recv(65536):
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False

s1 = socket.create_connection(("127.0.0.1", PORT))
s1.sendall(b"POST /webhooks/send")  # half a request line
s2 = socket.create_connection(("127.0.0.1", PORT))
s2.sendall((f"POST {SG} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n[").encode())
crowd = []
for _ in range(64):
    s = socket.create_connection(("127.0.0.1", PORT))
    s.sendall(b"GET /api/hea")
    crowd.append(s)
time.sleep(0.3)
st, b, dt = health()
check("health answers while 66 slow clients hang", st == 200 and dt < 1.0, f"got {st} in {dt:.2f} s")
st, _, b = req("POST", SG, body([event(1, "lim-slow-")]))
check("a webhook is stored while slow clients hang", st == 200, f"got {st} {b[:200]!r}")
check("half a request line is timed out (--timeout 2)", closed_within(s1, 6), "still open after 6 s")
check("half a body is timed out (--timeout 2)", closed_within(s2, 2), "still open after 8 s")
closed = sum(closed_within(s, 0.6) for s in crowd[:4])
check("the slow crowd is timed out", closed == 4, f"{closed} of 4 closed")
for s in [s1, s2] + crowd:
    s.close()

# ---- bounded memory -------------------------------------------------------------------------
# bodies just under the limit: a valid array padded with spaces (0 events, so the store is
# not what is measured), and far over it; 32 connections at once, several rounds
under = b"[" + b" " * (MAXBODY - 100) + b"]"
over = b"[" + b" " * (8 * MAXBODY) + b"]"
statuses, lock = {}, threading.Lock()

def blast(payload, rounds):
    for _ in range(rounds):
        st, _, _ = req("POST", SG, payload)
        with lock:
            statuses[st] = statuses.get(st, 0) + 1

base = rss_kb("VmRSS")
threads = [threading.Thread(target=blast, args=(under if i % 2 else over, 4)) for i in range(32)]
t0 = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
hwm = rss_kb("VmHWM")
# an over-limit sender may see the connection reset before it reads the 413 (status 0)
check("burst of big bodies answered 200 (under) and 413 (over)",
      set(statuses) <= {0, 200, 413} and statuses.get(200) == 64, f"statuses {statuses}")
check("peak RSS under 200 MB after the burst", hwm < 200 * 1024,
      f"VmHWM {hwm // 1024} MB (VmRSS before {base // 1024} MB)")
print(f"memory: VmRSS {base // 1024} MB before, VmHWM {hwm // 1024} MB after 128 bodies of "
      f"1-8 MB in {time.monotonic() - t0:.1f} s")
st, b, _ = health()
check("alive after the burst", st == 200, f"got {st} {b[:200]!r}")

# ---- nothing refused was stored ---------------------------------------------------------------
c = sqlite3.connect(DB)
ids = [r[0] for r in c.execute("SELECT source_event_id FROM events")]
leaked = [i for i in ids if not i.startswith(("lim-ok-", "lim-slow-", "lim-chunk-"))]
check("refused requests stored nothing", not leaked, f"stored {leaked[:5]}")
check("accepted requests were stored", "lim-ok-1" in ids and "lim-slow-1" in ids, f"ids {ids[:5]}")
try:
    hv = json.loads(health()[1]).get("events")
except ValueError:
    hv = None
check("/api/health counts the stored events", hv == len(ids), f"health says {hv}, store has {len(ids)}")

with open(COUNTS, "w") as f:
    f.write(f"{passed} {failed}\n")
PY
pass=0 fail=1
if [ -s "$T/counts" ]; then
  read -r pass fail < "$T/counts"
else
  echo "FAIL: the checks did not finish (python3 exited $rc)" >&2
fi
kill -TERM "$SPID" 2> /dev/null
wait "$SPID"
st=$?
SPID=
if [ "$st" = 0 ]; then
  pass=$((pass + 1))
else
  echo "FAIL: the server exited $st on SIGTERM, want 0: $(tail -c 300 "$T/serve.err")" >&2
  fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
