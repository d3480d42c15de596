#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_serve.sh - webhook throughput of `rebound serve` (issue 7: >= 20,000 events/s accepted
# and stored), side by side in one run with two floors: wrk on GET /api/health (the server's
# HTTP floor, no store) and `rebound ingest --store` of the same events from a file (the
# store's batch rate, no HTTP).
#   bench/run_serve.sh                  (binaries from build/: a Release build)
#   B=DIR bench/run_serve.sh            (binaries from DIR)
#   DUR=S bench/run_serve.sh            (seconds per setting, default 15)
#   SETTINGS="FMT:BATCH:CONNS ..."      (default "sendgrid:1:16 ses:1:16 sendgrid:10:32
#                                        sendgrid:50:32 sendgrid:50:64")
#   SERVE_ARGS="--threads 2" ...        (extra `rebound serve` options)
#   TMPDIR=DIR                          (where the stores go, default /var/tmp: a disk)
# For each setting a new server on a new store (so peak RSS is that setting's), serve_load
# (bench/serve_load.c) posting for DUR seconds with --ack-log, then SIGTERM and, with
# python3's sqlite3, the check that the store holds exactly the acknowledged events. Printed:
# events/s accepted (2xx) and stored (rows / run time), requests/s, p50/p99 latency, the CPU
# seconds per second of the server and of the client (two cores are shared by both), the
# server's peak RSS (VmHWM). The machine and its load are printed too: the figures move with
# both (see "Reading the figures" in bench/README.md).
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}
DUR=${DUR:-15}
SETTINGS=${SETTINGS:-sendgrid:1:16 ses:1:16 sendgrid:10:32 sendgrid:50:32 sendgrid:50:64}
SERVE_ARGS=${SERVE_ARGS:-}
for f in "$B/rebound" "$B/serve_load"; do
  [ -x "$f" ] || { echo "run_serve.sh: $f missing: build first (or set B=DIR)" >&2; exit 2; }
done
command -v python3 > /dev/null || { echo "run_serve.sh: python3 needed (store check)" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/var/tmp}/rb-bench-serve.XXXXXX")
SPID=
cleanup() {
  [ -n "$SPID" ] && kill -KILL "$SPID" 2> /dev/null
  wait 2> /dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
TOKEN=bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
TICK=$(getconf CLK_TCK)

echo "machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "binaries: $B ($(grep -s '^CMAKE_BUILD_TYPE' "$B/CMakeCache.txt" | cut -d= -f2 || true)), SQLite $(python3 -c 'import sqlite3; print(sqlite3.sqlite_version)')"
echo "stores in $dir ($(stat -f -c %T "$dir")), $DUR s per setting, server options: ${SERVE_ARGS:-(defaults)}"

# start_server DB - rebound serve on DB, port 0; sets SPID and PORT
start_server() {
  "$B/rebound" serve --db "$1" --listen 127.0.0.1:0 --token "$TOKEN" $SERVE_ARGS 2> "$dir/serve.err" &
  SPID=$!
  n=200
  while ! grep -q 'listening on http://' "$dir/serve.err" 2> /dev/null; do
    n=$((n - 1))
    if [ "$n" = 0 ] || ! kill -0 "$SPID" 2> /dev/null; then
      cat "$dir/serve.err" >&2
      echo "run_serve.sh: rebound serve did not start" >&2
      exit 1
    fi
    sleep 0.1
  done
  PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$dir/serve.err" | head -n 1)
}
stop_server() {
  kill -TERM "$SPID"
  wait "$SPID" || echo "run_serve.sh: the server exited $? on SIGTERM" >&2
  SPID=
}
cpu() { awk -v t="$TICK" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"; }
hwm_mb() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
kv() { tr ' ' '\n' < "$2" | sed -n "s/^$1=//p"; } # KEY FILE: a value of serve_load --kv
fmt() { printf "%.${2:-0}f" "$(echo "$1" | bc -l)"; }

# store_check DB ACKS - "ROWS ok" when the store holds each acknowledged id exactly once and
# nothing else, else "ROWS <what is wrong>"
store_check() {
  python3 - "$1" "$2" << 'PY'
import sqlite3, sys
ids = set(l.rstrip("\n") for l in open(sys.argv[2]))
c = sqlite3.connect(sys.argv[1])
rows = dict(c.execute("SELECT source_event_id, count(*) FROM events GROUP BY source_event_id"))
total = sum(rows.values())
lost = len(ids - rows.keys())
twice = sum(1 for n in rows.values() if n > 1)
extra = len(rows.keys() - ids)
what = [f"{lost} acked not stored"] * bool(lost) + [f"{twice} stored twice"] * bool(twice) \
    + [f"{extra} stored not acked"] * bool(extra)
print(total, "=acks" if not what else "; ".join(what).replace(" ", "_"))
PY
}

line() { printf '%-36s %11s %11s %9s %8s %8s %7s %7s %9s  %s\n' "$@"; }
echo
line "setting" "events/s" "stored/s" "req/s" "p50 ms" "p99 ms" "srv CPU" "cli CPU" "peak RSS" "store"
line "" "(2xx)" "" "" "" "" "(cores)" "(cores)" "(server)" ""
best=0
i=0
for s in $SETTINGS; do
  i=$((i + 1))
  f=${s%%:*} rest=${s#*:}
  batch=${rest%%:*} conns=${rest#*:}
  db=$dir/serve$i.db
  start_server "$db"
  c0=$(cpu "$SPID")
  /usr/bin/time -f '%e %U %S' -o "$dir/time" "$B/serve_load" --url "http://127.0.0.1:$PORT/webhooks/$f" \
    --format "$f" --token "$TOKEN" --connections "$conns" --batch "$batch" --duration "$DUR" \
    --id-prefix "bench$i-" --ack-log "$dir/acks$i" --kv > "$dir/load$i" 2> "$dir/load$i.err" || true
  c1=$(cpu "$SPID")
  hwm=$(hwm_mb "$SPID")
  stop_server
  secs=$(kv secs "$dir/load$i")
  if [ -z "$secs" ]; then
    echo "serve_load failed: $(cat "$dir/load$i.err")" >&2
    continue
  fi
  touch "$dir/acks$i"
  set -- $(store_check "$db" "$dir/acks$i")
  rows=$1 verdict=$2
  eps=$(kv events_per_s "$dir/load$i")
  set -- $(cat "$dir/time")
  label="$f, $batch ev/req, $conns conns"
  [ "$f" = ses ] && label="ses (SNS), 1 ev/req, $conns conns"
  line "$label" "$(fmt "$eps")" "$(fmt "$rows / $secs")" "$(fmt "$(kv req_per_s "$dir/load$i")")" \
    "$(fmt "$(kv p50_ms "$dir/load$i")" 2)" "$(fmt "$(kv p99_ms "$dir/load$i")" 2)" "$(fmt "($c1 - $c0) / $secs" 2)" \
    "$(fmt "($2 + $3) / $1" 2)" "$hwm MB" "$rows $verdict"
  errs=$(($(kv s4xx "$dir/load$i") + $(kv s5xx "$dir/load$i") + $(kv conn_errors "$dir/load$i") + $(kv timeouts "$dir/load$i")))
  [ "$errs" = 0 ] || echo "  ($s: $(kv s4xx "$dir/load$i") 4xx, $(kv s5xx "$dir/load$i") 5xx, $(kv conn_errors "$dir/load$i") connection errors, $(kv timeouts "$dir/load$i") timeouts)"
  if [ "$(echo "$eps > $best" | bc -l)" = 1 ]; then best=$eps; fi
  rm -f "$db" "$db-wal" "$db-shm"
done

# ---- floors ---------------------------------------------------------------------------------
if command -v wrk > /dev/null 2>&1; then
  start_server "$dir/wrk.db"
  c0=$(cpu "$SPID")
  wrk -t1 -c32 -d"${DUR}s" --latency "http://127.0.0.1:$PORT/api/health" > "$dir/wrk" 2>&1 || true
  c1=$(cpu "$SPID")
  hwm=$(hwm_mb "$SPID")
  stop_server
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$dir/wrk")
  # wrk prints 812.00us, 1.23ms or 1.02s
  ms='{ v = $2; u = v; sub(/[0-9.]+/, "", u); v += 0; printf "%.2f", u == "us" ? v / 1000 : u == "s" ? v * 1000 : v }'
  p50=$(awk "\$1 == \"50%\" $ms" "$dir/wrk")
  p99=$(awk "\$1 == \"99%\" $ms" "$dir/wrk")
  line "wrk GET /api/health, 32 conns" "-" "-" "$(fmt "${rps:-0}")" "$p50" "$p99" \
    "$(fmt "($c1 - $c0) / $DUR" 2)" "(1 thr)" "$hwm MB" "(HTTP floor)"
else
  echo "(wrk not installed: no HTTP floor; Debian: apt-get install wrk)"
fi
# the same kind of events, 50 a line, through the store without HTTP
N=${INGEST_EVENTS:-500000}
"$B/serve_load" --dump $((N / 50)) --batch 50 --id-prefix ingest- > "$dir/events.jsonl"
s=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$dir/itime" "$B/rebound" ingest --store --db "$dir/ingest.db" \
  "$dir/events.jsonl" > /dev/null 2> "$dir/ingest.err"
e=$(date +%s.%N)
t=$(echo "$e - $s" | bc -l)
set -- $(store_check "$dir/ingest.db" /dev/null)
line "rebound ingest --store (file)" "-" "$(fmt "$1 / $t")" "-" "-" "-" "-" "-" \
  "$(awk '{ printf "%.1f", $1 / 1024 }' "$dir/itime") MB" "$1 events"
echo
echo "best webhook rate: $(fmt "$best") events/s accepted and stored (target 20,000); load after: $(cut -d' ' -f1-3 /proc/loadavg)"
