#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# restart.sh - "restarting the server mid-load loses no acknowledged event": serve_load posts
# SendGrid batches over 16 keep-alive connections for 8 s, logging the id of every event
# whose request got a 2xx (--ack-log, one write per response); 3 s in, the server is killed
# (SIGKILL once, SIGTERM once) and started again on the same store and port, and the client
# reconnects and retries its unanswered requests (same bytes, same ids). Then, with
# python3's sqlite3 on the store:
#   - every acknowledged id is stored exactly once (no loss, no duplicate of a retried
#     batch), no id is stored twice, and the store holds at least as many events as acks;
#   - events were acknowledged both before the kill and after the restart (the test is not
#     vacuous), and the server came back on its port;
#   - SIGTERM: the server exits 0 (graceful stop), and once restarted /api/health counts what
#     the store holds.
# serve_load is the binary next to REBOUND (the same build tree).
#   tests/serve/restart.sh REBOUND_BINARY
set -u
BIN=${1:?usage: restart.sh REBOUND_BINARY}
LOAD=$(dirname "$BIN")/serve_load
[ -x "$LOAD" ] || { echo "FAIL: $LOAD missing (build the serve_load target)"; exit 1; }
command -v python3 > /dev/null || { echo "FAIL: python3 not installed"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/rb-restart.XXXXXX")
export HOME=$T/home XDG_DATA_HOME= XDG_CONFIG_HOME=
mkdir -p "$HOME"
SPID= LPID=
cleanup() {
  # only the processes started here
  [ -n "$LPID" ] && kill "$LPID" 2> /dev/null
  [ -n "$SPID" ] && kill -KILL "$SPID" 2> /dev/null
  wait 2> /dev/null
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
fail=0 pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
TOKEN=restart-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')

# start_server LOG PORT - start rebound serve on $T/rb.db; sets SPID and PORT; 1 if it did
# not print its listening line within 20 s
start_server() {
  "$BIN" serve --db "$T/rb.db" --listen "127.0.0.1:$2" --token "$TOKEN" 2> "$1" &
  SPID=$!
  n=200
  while ! grep -q 'listening on http://' "$1" 2> /dev/null; do
    n=$((n - 1))
    if [ "$n" = 0 ] || ! kill -0 "$SPID" 2> /dev/null; then
      return 1
    fi
    sleep 0.1
  done
  PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$1" | head -n 1)
  [ -n "$PORT" ]
}

lines() { if [ -f "$1" ]; then wc -l < "$1" | tr -d ' '; else echo 0; fi; }

# scenario SIGNAL - one kill-and-restart under load, then the checks
scenario() {
  sig=$1
  rm -f "$T/rb.db" "$T/rb.db-wal" "$T/rb.db-shm" "$T/acks" "$T"/serve*.err
  if ! start_server "$T/serve1.err" 0; then
    bad "$sig: rebound serve did not start: $(tail -c 300 "$T/serve1.err")"
    return
  fi
  "$LOAD" --url "http://127.0.0.1:$PORT/webhooks/sendgrid" --token "$TOKEN" --connections 16 \
    --batch 10 --duration 8 --timeout 5 --retry --id-prefix "rs-$sig-" --ack-log "$T/acks" \
    > "$T/load.out" 2> "$T/load.err" &
  LPID=$!
  sleep 3
  kill "-$sig" "$SPID"
  wait "$SPID"
  st=$?
  SPID=
  before=$(lines "$T/acks")
  if [ "$sig" = TERM ]; then
    [ "$st" = 0 ] && ok || bad "TERM: the server exited $st on SIGTERM, want 0: $(tail -c 300 "$T/serve1.err")"
  fi
  # the same port: the client reconnects to it
  tries=0
  until start_server "$T/serve2.err" "$PORT"; do
    tries=$((tries + 1))
    kill -KILL "$SPID" 2> /dev/null
    wait "$SPID" 2> /dev/null
    SPID=
    if [ "$tries" -ge 5 ]; then
      bad "$sig: rebound serve did not restart on port $PORT: $(tail -c 300 "$T/serve2.err")"
      wait "$LPID"
      LPID=
      return
    fi
    sleep 0.5
  done
  wait "$LPID"
  lst=$?
  LPID=
  after=$(lines "$T/acks")
  [ "$lst" = 0 ] && ok || bad "$sig: serve_load exited $lst: $(cat "$T/load.err" "$T/load.out" | tail -c 500)"
  [ "$before" -gt 0 ] && ok || bad "$sig: nothing acknowledged before the kill"
  [ "$after" -gt "$before" ] && ok || bad "$sig: nothing acknowledged after the restart ($before before, $after after)"
  # health counts the store while the restarted server runs
  health=$(python3 -c "import sys,urllib.request; print(urllib.request.urlopen('http://127.0.0.1:'+sys.argv[1]+'/api/health', timeout=5).read().decode())" "$PORT" 2>&1)
  kill -TERM "$SPID"
  wait "$SPID"
  st=$?
  SPID=
  [ "$st" = 0 ] && ok || bad "$sig: the restarted server exited $st on SIGTERM, want 0"
  python3 - "$T/rb.db" "$T/acks" "$sig" "$health" > "$T/check.out" 2>&1 <<'PY'
import json, sqlite3, sys
db, acks, sig, health = sys.argv[1:5]
ids = [l.rstrip("\n") for l in open(acks)]
c = sqlite3.connect(db)
rows = dict(c.execute("SELECT source_event_id, count(*) FROM events GROUP BY source_event_id"))
total = c.execute("SELECT count(*) FROM events").fetchone()[0]
problems = []
dup_acks = len(ids) - len(set(ids))
if dup_acks:
    problems.append(f"{dup_acks} ids acknowledged twice in the ack log")
lost = [i for i in set(ids) if i not in rows]
if lost:
    problems.append(f"{len(lost)} acknowledged events lost, e.g. {sorted(lost)[:5]}")
twice = [(k, n) for k, n in rows.items() if n > 1]
if twice:
    problems.append(f"{len(twice)} ids stored more than once, e.g. {twice[:5]}")
if total < len(set(ids)):
    problems.append(f"store holds {total} events < {len(set(ids))} acknowledged")
try:
    h = json.loads(health)
    if h.get("events") != total:
        problems.append(f"/api/health says events={h.get('events')}, the store holds {total}")
except ValueError:
    problems.append(f"/api/health did not answer JSON: {health[:200]!r}")
print(f"{sig}: {len(set(ids))} acknowledged, {total} stored "
      f"({total - len(set(ids))} stored but not acknowledged)")
for p in problems:
    print(f"PROBLEM {sig}: {p}")
sys.exit(1 if problems else 0)
PY
  if [ $? = 0 ]; then ok; else bad "$(grep PROBLEM "$T/check.out" || cat "$T/check.out")"; fi
  grep -v PROBLEM "$T/check.out"
  sed -n 's/^/  /p' "$T/load.out"
}

scenario KILL
scenario TERM
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
