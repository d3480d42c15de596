#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_ingest.sh - log ingest throughput of `rebound ingest`, side by side in one run with the
# floor (`cat`, `wc -l`) and, when installed, pflogsumm (the Perl Postfix summariser), on the
# same generated logs.
#   bench/run_ingest.sh [MEGABYTES]   (size of each generated log, default 2048)
#   B=DIR bench/run_ingest.sh         (binaries from DIR instead of build/: a Release build)
#   KEEP=DIR bench/run_ingest.sh      (generate into / reuse logs in DIR instead of a temp dir)
# Input: bench/gen_maillog.c writes a Postfix syslog log and an Exim mainlog of MEGABYTES each
# (an outbound relay's traffic: ~90% delivered, deferrals and bounces with replies shaped like
# those of many real receivers). For each: events/s, MB/s, peak RSS and the ratio to `wc -l`
# of `rebound ingest` writing JSON Lines (to /dev/null: the output is not the bottleneck under
# test, its formatting is). Timings are the best of 3 runs; single-threaded throughout.
set -eu
cd "$(dirname "$0")/.."
MB=${1:-2048}
B=${B:-build}
for f in "$B/rebound" "$B/gen_maillog"; do
  [ -x "$f" ] || { echo "run_ingest.sh: $f missing: build first (or set B=DIR)" >&2; exit 2; }
done
if [ -n "${KEEP:-}" ]; then
  dir=$KEEP
  mkdir -p "$dir"
else
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
fi
echo "machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "binaries: $B ($(grep -s '^CMAKE_BUILD_TYPE' "$B/CMakeCache.txt" | cut -d= -f2 || true))"

secs() { # command... -> elapsed seconds of the best of 3 runs
  best=""
  for _ in 1 2 3; do
    s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}
fmt() { printf "%.${2:-0}f" "$(echo "$1" | bc -l)"; }
rss() { # peak RSS in MB of one run
  /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.1f", $1 / 1024}'
}

for kind in postfix exim; do
  log=$dir/$kind-$MB.log
  [ -s "$log" ] || "$B/gen_maillog" "$kind" "$MB" > "$log"
  size=$(wc -c < "$log" | tr -d ' ')
  lines=$(wc -l < "$log" | tr -d ' ')
  events=$("$B/rebound" ingest --output tsv "$log" 2>/dev/null | tail -n +2 | wc -l | tr -d ' ')
  echo
  echo "input: $kind log, $size bytes, $lines lines, $events events"
  t_cat=$(secs cat "$log")
  t_wc=$(secs wc -l "$log")
  t_rb=$(secs "$B/rebound" ingest -q "$log")
  printf '%-34s %12s events/s %8s MB/s\n' "cat (I/O floor)" "-" "$(fmt "$size / $t_cat / 1000000")"
  printf '%-34s %12s events/s %8s MB/s\n' "wc -l" "-" "$(fmt "$size / $t_wc / 1000000")"
  printf '%-34s %12s events/s %8s MB/s  peak RSS %s MB\n' "rebound ingest (JSON out)" \
    "$(fmt "$events / $t_rb")" "$(fmt "$size / $t_rb / 1000000")" "$(rss "$B/rebound" ingest -q "$log")"
  echo "ratio rebound/wc -l: 1/$(fmt "$t_rb / $t_wc" 1)   rebound/cat: 1/$(fmt "$t_rb / $t_cat" 1)"
  if [ "$kind" = postfix ] && command -v pflogsumm >/dev/null 2>&1; then
    # one run: pflogsumm takes minutes on a large log
    s=$(date +%s.%N); pflogsumm --smtp-detail 0 "$log" > /dev/null 2>&1 || true; e=$(date +%s.%N)
    t_pf=$(echo "$e - $s" | bc -l)
    printf '%-34s %12s          %8s MB/s\n' "pflogsumm (summary only)" "-" "$(fmt "$size / $t_pf / 1000000")"
    echo "ratio rebound/pflogsumm: $(fmt "$t_pf / $t_rb" 1)x"
  fi
done
