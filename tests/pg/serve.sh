#!/bin/sh
# serve.sh - `rebound serve` on a PostgreSQL store: webhook events stored once, the
# suppression rules applied, the API (health, suppressions, events, report) reading back from
# PostgreSQL, and a restart finding everything again.
# Usage: serve.sh REBOUND
set -eu
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/pg_cluster"
T=$(mktemp -d "${TMPDIR:-/tmp}/rb-pgserve.XXXXXX")
SP=
trap '[ -n "$SP" ] && kill $SP 2>/dev/null; wait 2>/dev/null; pg_cluster_stop; rm -rf "$T"' EXIT
pg_cluster_start "$T"
start() {
  : > "$T/err"
  "$BIN" serve --db "$PGC_URL" --listen 127.0.0.1:0 --token T 2> "$T/err" &
  SP=$!
  i=0
  while ! grep -q 'listening on' "$T/err"; do
    i=$((i + 1))
    [ $i -lt 100 ] && kill -0 "$SP" 2>/dev/null || { cat "$T/err"; echo "FAIL: serve did not start"; exit 1; }
    sleep 0.1
  done
  PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/err")
}
start
python3 - "$PORT" first <<'PY'
import json, sys, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
passed = failed = 0
def check(c, what):
    global passed, failed
    passed, failed = passed + bool(c), failed + (not c)
    if not c: print("FAIL:", what)
def call(m, p, body=None):
    r = urllib.request.Request(base + p, data=body.encode() if body else None, method=m,
                               headers={"Authorization": "Bearer T"})
    with urllib.request.urlopen(r, timeout=30) as f:
        return json.load(f)
ev = [{"email": f"u{i}@gmail.com", "timestamp": 1763900000 + i, "event": "bounce", "sg_event_id": f"e{i}",
       "reason": "550 5.1.1 The email account that you tried to reach does not exist.", "status": "5.1.1"}
      for i in range(20)]
ev += [{"email": "ok@yahoo.com", "timestamp": 1763900100, "event": "delivered", "sg_event_id": "d1", "response": "250 ok"}]
r = call("POST", "/webhooks/sendgrid", json.dumps(ev))
check(r["stored"] == 21 and r["suppressed"] == 20, f"stored in PostgreSQL {r}")
r = call("POST", "/webhooks/sendgrid", json.dumps(ev))
check(r["stored"] == 0 and r["duplicates"] == 21, f"stored once {r}")
h = call("GET", "/api/health")
check(h["events"] == 21 and h["suppressions"] == 20, f"health {h}")
s = call("GET", "/api/suppressions/u3@gmail.com")
check(s["suppressed"] and s["reason"] == "userunknown", f"suppression {s}")
e = call("GET", "/api/events?recipient=ok@yahoo.com")
check(len(e["events"]) == 1 and e["events"][0]["kind"] == "delivered", f"events {e}")
rep = call("GET", "/api/report?top=3")
check(rep["totals"]["events"] == 21 and "postgresql://" in rep["source"], "a report read from PostgreSQL")
live = call("GET", "/api/report")
check(live["totals"]["bounced"] == 20, "the live report")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
kill "$SP"; wait "$SP"; SP=
start
python3 - "$PORT" <<'PY'
import json, sys, urllib.request
h = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/health", timeout=30))
ok = h["events"] == 21 and h["suppressions"] == 20
print("" if ok else f"FAIL: after a restart {h}")
print(f"{int(ok)} passed, {int(not ok)} failed")
sys.exit(0 if ok else 1)
PY
