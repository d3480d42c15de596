#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_report.sh - the issue-6 benchmark: `rebound report` over a store of ~10M events (the
# generated month of tools/gen_scenario.py at 330,000 messages a day), beside its floors in
# the same run: reading the file (`cat`), and decoding its rows with nothing counted
# (bench_report's scan).
#   bench/run_report.sh [PER_DAY]     (default 330000: ~10M events)
#   DB=PATH bench/run_report.sh       (keep the store there and reuse it on the next run;
#                                      default: a temporary directory, removed at the end)
#   B=DIR bench/run_report.sh         (binaries from DIR instead of build/)
set -eu
cd "$(dirname "$0")/.."
PER_DAY=${1:-330000}
B=${B:-build}
[ -x "$B/rebound" ] && [ -x "$B/bench_report" ] ||
  { echo "run_report.sh: $B/rebound or $B/bench_report missing: build first (make release)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=${DB:-$tmp/month.db}
echo "machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ! -s "$db" ]; then
  echo "building the store: tools/gen_scenario.py --per-day $PER_DAY | rebound ingest --db (a few minutes)"
  s=$(date +%s.%N)
  python3 tools/gen_scenario.py --per-day "$PER_DAY" -q |
    "$B/rebound" ingest --format powermta --db "$db" -q > /dev/null
  e=$(date +%s.%N)
  printf 'store built in %.0f s\n' "$(echo "$e - $s" | bc -l)"
fi
echo "store: $(du -m "$db" | cut -f1) MB"
s=$(date +%s.%N); cat "$db" > /dev/null; e=$(date +%s.%N)
floor_cat=$(echo "$e - $s" | bc -l)
"$B/bench_report" "$db" | tee "$tmp/scan.txt"
best=""
for _ in 1 2 3; do
  /usr/bin/time -f '%e %M' -o "$tmp/time" "$B/rebound" report --db "$db" --no-colour -q > "$tmp/report.txt"
  t=$(cut -d' ' -f1 "$tmp/time")
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; rss=$(cut -d' ' -f2 "$tmp/time"); fi
done
events=$(sed -n 's/^events kept *\([0-9]*\).*/\1/p' "$tmp/report.txt")
mb=$(du -m "$db" | cut -f1)
printf 'rebound report --db: %s events in %.2f s = %.0f events/s, %.0f MB/s of store, peak RSS %d MB (best of 3; target <= 10 s)\n' \
  "$events" "$best" "$(echo "$events / $best" | bc -l)" "$(echo "$mb / $best" | bc -l)" $((rss / 1024))
printf 'floor: cat of the store file %.2f s (%.0f MB/s); report/cat = %.1fx\n' \
  "$floor_cat" "$(echo "$mb / $floor_cat" | bc -l)" "$(echo "$best / $floor_cat" | bc -l)"
echo "Sisimai: no report over stored events to compare with (it decodes emails only)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
