#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_pg.sh - the issue-9 benchmarks, against a throwaway PostgreSQL 15 started here (the
# tests' tests/pg/pg_cluster: a temporary directory, a Unix socket, the extension in a
# private copy of the installation):
#   1. `rebound ingest --store` of a generated Postfix log into PostgreSQL (bulk path: COPY)
#      and into SQLite, events/s and the ratio, with ingest without a store as the floor;
#   2. SELECT rebound_reason(diag) over ROWS rows with two parallel workers, rows/s and the
#      ratio to SELECT length(diag) over the same rows (the rows: a few hundred realistic
#      replies from bench/gen_replies.py, repeated inside PostgreSQL).
#   bench/run_pg.sh [MEGABYTES] [ROWS]   (defaults 300 MB of log, 10000000 rows)
#   B=DIR bench/run_pg.sh                (binaries from DIR instead of build/)
# Server settings (printed): shared_buffers 1GB, max_wal_size 8GB, checkpoint_timeout 30min,
# wal_buffers 64MB, fsync on; the ingest's session runs synchronous_commit = off (rebound's
# default: a crash of the server may lose the last batches, never half of one). The machine
# and its load are printed because the figures move with both.
set -eu
cd "$(dirname "$0")/.."
MB=${1:-300}
ROWS=${2:-10000000}
B=${B:-build}
for f in rebound gen_maillog pg/rebound.so; do
  [ -e "$B/$f" ] || { echo "run_pg.sh: $B/$f missing: build first (or set B=DIR)" >&2; exit 2; }
done
dir=$(mktemp -d)
. tests/pg/pg_cluster
trap 'pg_cluster_stop; rm -rf "$dir"' EXIT
chmod 755 "$dir"
pg_cluster_private "$dir/inst" "$B/pg/rebound.so" pg/rebound.control pg/rebound--0.1.0.sql
mkdir "$dir/pg"
pg_cluster_start "$dir/pg" shared_buffers=1GB max_wal_size=8GB checkpoint_timeout=30min \
  wal_buffers=64MB max_worker_processes=8 max_parallel_workers=4
now() { date +%s.%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load: $(load)"
echo "binaries: $B ($(grep -s '^CMAKE_BUILD_TYPE' "$B/CMakeCache.txt" | cut -d= -f2 || true)); $($PGC_PSQL -d rebound -Atc 'select version()' | cut -d, -f1)"

# ---- 1. store ingest: PostgreSQL against SQLite ----------------------------------------------
"$B/gen_maillog" postfix "$MB" > "$dir/mail.log"
ingest() { # label args... -> seconds on stdout; the summary's event count in $dir/events
  s=$(now)
  "$B/rebound" ingest --output tsv "$@" "$dir/mail.log" > /dev/null 2> "$dir/ingest.err"
  e=$(now)
  sed -n 's/^rebound: [0-9]* lines, \([0-9]*\) events.*/\1/p' "$dir/ingest.err" > "$dir/events"
  echo "$e - $s" | bc -l
}
best() { # a b -> the smaller
  if [ "$(echo "$1 < $2" | bc -l)" = 1 ]; then echo "$1"; else echo "$2"; fi
}
t0=$(ingest)
ev=$(cat "$dir/events")
# two rounds, each into a new store, alternating (the machine's load moves): best of each
t_sq=999999 t_pg=999999
for round in 1 2; do
  rm -f "$dir/store.db" "$dir/store.db-wal" "$dir/store.db-shm"
  t_sq=$(best "$t_sq" "$(ingest --db "$dir/store.db")")
  $PGC_PSQL -d postgres -c "DROP DATABASE IF EXISTS rebound" -c "CREATE DATABASE rebound" > /dev/null
  t_pg=$(best "$t_pg" "$(ingest --db "$PGC_URL")")
done
n_pg=$($PGC_PSQL -d rebound -Atc 'select count(*) from events')
[ "$n_pg" = "$ev" ] || echo "warning: PostgreSQL holds $n_pg events of $ev" >&2
printf 'ingest: %s MB of Postfix log, %d events (load now %s); best of 2 runs each\n' "$MB" "$ev" "$(load)"
printf '  no store       %6.2f s  %9.0f events/s (the floor: reading and classifying)\n' "$t0" "$(echo "$ev / $t0" | bc -l)"
printf '  SQLite store   %6.2f s  %9.0f events/s\n' "$t_sq" "$(echo "$ev / $t_sq" | bc -l)"
printf '  PostgreSQL     %6.2f s  %9.0f events/s  = %.2f x SQLite\n' "$t_pg" "$(echo "$ev / $t_pg" | bc -l)" \
  "$(echo "$t_sq / $t_pg" | bc -l)"
t_re=$(ingest --db "$PGC_URL")
printf '  PostgreSQL re-ingest (all stored already) %6.2f s  %9.0f events/s\n' "$t_re" "$(echo "$ev / $t_re" | bc -l)"
echo "  store sizes: SQLite $(du -m "$dir/store.db" | cut -f1) MB, PostgreSQL $($PGC_PSQL -d rebound -Atc \
  "select pg_total_relation_size('events') / 1048576") MB (events and indexes)"

# ---- 2. the extension over ROWS rows, parallel --------------------------------------------------
python3 bench/gen_replies.py 300 | python3 -c "import sys
for l in sys.stdin: print(l.rstrip('\n').encode().hex())" > "$dir/replies.hex"
sql() { $PGC_PSQL -d rebound -Atc "$1"; }
sql "CREATE EXTENSION rebound" > /dev/null
sql "CREATE TABLE replies(id serial, hex text)" > /dev/null
$PGC_PSQL -d rebound -c "\\copy replies(hex) FROM '$dir/replies.hex'" > /dev/null
nrep=$(sql "select count(*) from replies")
s=$(now)
sql "CREATE TABLE t AS SELECT g AS id, convert_from(decode(r.hex, 'hex'), 'UTF8') AS diag
       FROM generate_series(1, $ROWS) g JOIN replies r ON r.id = 1 + g % $nrep" > /dev/null
sql "VACUUM ANALYZE t" > /dev/null
e=$(now)
printf 'extension: %d rows of %d distinct replies (%s MB) made in %.1f s\n' "$ROWS" "$nrep" \
  "$(sql "select pg_relation_size('t') / 1048576")" "$(echo "$e - $s" | bc -l)"
par="SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;"
timed() { # query -> best of 2 runs, seconds
  best=""
  for _ in 1 2; do
    s=$(now); sql "$par $1" > /dev/null; e=$(now)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}
q_len="SELECT sum(length(diag)) FROM t"
q_reason="SELECT count(*) FILTER (WHERE rebound_reason(diag) <> 'undefined') FROM t"
echo "  plan: $(sql "$par EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $q_reason" | grep -m1 'Workers Launched' | sed 's/^ *//')"
t_len=$(timed "$q_len")
t_reason=$(timed "$q_reason")
printf '  length(diag)          %6.2f s  %10.0f rows/s\n' "$t_len" "$(echo "$ROWS / $t_len" | bc -l)"
printf '  rebound_reason(diag)  %6.2f s  %10.0f rows/s  = 1/%.1f of length()\n' "$t_reason" \
  "$(echo "$ROWS / $t_reason" | bc -l)" "$(echo "$t_reason / $t_len" | bc -l)"
t_one=$(timed "SET max_parallel_workers_per_gather = 0; $q_reason")
printf '  rebound_reason, no workers %6.2f s  %10.0f rows/s (one process)\n' "$t_one" "$(echo "$ROWS / $t_one" | bc -l)"
echo "load after: $(load)"
