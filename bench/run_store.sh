#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_store.sh - the issue-5 store benchmarks: ingest into the store (events/s, batched
# transactions) and `rebound check` of addresses against a large suppression list
# (addresses/s).
#   bench/run_store.sh [EVENTS] [SUPPRESSED]   (defaults 1000000 and 1000000)
#   B=DIR bench/run_store.sh                   (binaries from DIR instead of build/)
#   BATCH=N bench/run_store.sh                 (events per transaction, default: the backend's,
#                                              STORE_BATCH_SQLITE)
# bench_store is not a CMake target yet; this script compiles it against $B/librebound.a
# when $B/bench_store is missing. The store and the address file go to a temporary
# directory on the same disk as TMPDIR. Single-threaded; the machine and its load are printed
# because the figures move with both.
set -eu
cd "$(dirname "$0")/.."
EVENTS=${1:-1000000}
SUPP=${2:-1000000}
B=${B:-build}
[ -x "$B/rebound" ] || { echo "run_store.sh: $B/rebound missing: build first (or set B=DIR)" >&2; exit 2; }
if [ ! -x "$B/bench_store" ]; then
  cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc bench/bench_store.c -o "$B/bench_store" \
    "$B/librebound.a" $(pkg-config --libs libhs jansson sqlite3) -lz -lstdc++ -lm
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "binaries: $B ($(grep -s '^CMAKE_BUILD_TYPE' "$B/CMakeCache.txt" | cut -d= -f2 || true)), SQLite $(python3 -c 'import sqlite3; print(sqlite3.sqlite_version)' 2>/dev/null || echo '?')"
"$B/bench_store" "$dir/store.db" "$EVENTS" "$SUPP" "$dir/addresses.txt"
echo "store file: $(du -m "$dir/store.db" | cut -f1) MB for $EVENTS events"
n=$(wc -l < "$dir/addresses.txt")
best=""
for _ in 1 2 3; do
  s=$(date +%s.%N)
  "$B/rebound" check -q --bad-only --db "$dir/store.db" "$dir/addresses.txt" > /dev/null || true
  e=$(date +%s.%N)
  t=$(echo "$e - $s" | bc -l)
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
done
printf 'check: %d addresses against %d suppressed in %.2f s = %.0f addresses/s (best of 3, loading the list included)\n' \
  "$n" "$SUPP" "$best" "$(echo "$n / $best" | bc -l)"
s=$(date +%s.%N); wc -l "$dir/addresses.txt" > /dev/null; e=$(date +%s.%N)
printf 'floor: wc -l of the same file in %.3f s\n' "$(echo "$e - $s" | bc -l)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
