#!/bin/sh
# api.sh - `rebound serve` end to end over HTTP: every webhook receiver (SES via SNS with a
# subscription notice, SendGrid, Mailgun signed and forged, Postmark, SparkPost, generic),
# exactly-once storage, the API (health, report, events with filters, explain, notices,
# suppressions, check, metrics), the error statuses, and a restart keeping everything.
# Usage: api.sh REBOUND
set -eu
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/rb-api.XXXXXX")
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

start() {
  : > "$T/err"
  "$BIN" serve --db "$T/s.db" --listen 127.0.0.1:0 --token s3cret --mailgun-key mg-key \
    --timeout 5 2> "$T/err" &
  PID=$!
  i=0
  while ! grep -q 'listening on' "$T/err"; do
    i=$((i + 1))
    [ $i -lt 100 ] || { cat "$T/err"; echo "FAIL: the server did not start"; exit 1; }
    kill -0 "$PID" 2>/dev/null || { cat "$T/err"; echo "FAIL: the server exited"; exit 1; }
    sleep 0.1
  done
  PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/err")
}
stop() { kill "$PID"; wait "$PID"; PID=; }

start
python3 "$HERE/api.py" "http://127.0.0.1:$PORT" phase1 "$HERE/../golden/ingest" "$T/state"
stop
grep -q 'SIGTERM, stopping' "$T/err" || { cat "$T/err"; echo "FAIL: no clean stop"; exit 1; }
start
python3 "$HERE/api.py" "http://127.0.0.1:$PORT" phase2 "$HERE/../golden/ingest" "$T/state"
stop
