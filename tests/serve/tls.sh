#!/bin/sh
# tls.sh - `rebound serve --tls-cert --tls-key` answers over HTTPS (a self-signed certificate
# made here with openssl), and a missing key or unreadable file is a clear start-up error.
# Usage: tls.sh REBOUND
set -eu
BIN=$1
T=$(mktemp -d "${TMPDIR:-/tmp}/rb-tls.XXXXXX")
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
command -v openssl >/dev/null || { echo "FAIL: openssl not installed (tools/install-deps.sh installs it)"; exit 1; }
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
  -subj /CN=127.0.0.1 >/dev/null 2>&1
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $1"; }

"$BIN" serve --db "$T/s.db" --listen 127.0.0.1:0 --token t --tls-cert "$T/cert.pem" \
  --tls-key "$T/key.pem" 2> "$T/err" &
PID=$!
i=0
while ! grep -q 'listening on' "$T/err" && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
grep -q 'listening on https://' "$T/err" && ok || bad "listening on https: $(cat "$T/err")"
PORT=$(sed -n 's/.*listening on https:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/err")
python3 - "$PORT" "$T/cert.pem" <<'PY' && ok || bad "HTTPS health"
import json, ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
ctx.check_hostname = False
with urllib.request.urlopen(f"https://127.0.0.1:{sys.argv[1]}/api/health", context=ctx, timeout=10) as r:
    assert json.load(r)["status"] == "ok"
PY
python3 - "$PORT" <<'PY' && ok || bad "plain HTTP on the TLS port is refused"
import sys, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/health", timeout=5).read()
    sys.exit(1)
except Exception:
    sys.exit(0)
PY
kill "$PID"; wait "$PID" || true; PID=

if "$BIN" serve --db "$T/s.db" --listen 127.0.0.1:0 --tls-cert "$T/cert.pem" 2> "$T/err2"; then
  bad "a certificate without a key starts"
else
  grep -q 'both --tls-cert and --tls-key' "$T/err2" && ok || bad "message: $(cat "$T/err2")"
fi
if "$BIN" serve --db "$T/s.db" --listen 127.0.0.1:0 --tls-cert "$T/nope.pem" --tls-key "$T/key.pem" 2> "$T/err3"; then
  bad "a missing certificate file starts"
else
  grep -q 'cannot read the TLS certificate' "$T/err3" && ok || bad "message: $(cat "$T/err3")"
fi
if "$BIN" serve --db "$T/s.db" --listen 999.1.1.1:80 2> "$T/err4"; then
  bad "a bad listen address starts"
else
  grep -q -- '--listen wants' "$T/err4" && ok || bad "message: $(cat "$T/err4")"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
