#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run.sh - rebound's benchmarks, each side by side with the I/O floor on the same input.
#   bench/run.sh [LINES]        (default 1,000,000 reply lines; B=build-dir, default build)
# Prints lines/s and MB/s for: the library classifier alone (bench_explain), the CLI end to
# end (`rebound explain --tsv`), `wc -l` and `cat`; peak RSS of the CLI; start-up time of one
# `rebound explain`; and, when valgrind is installed, a callgrind instruction count per line
# (repeatable on noisy machines).
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000000}
B=${B:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 bench/gen_replies.py "$N" > "$tmp/replies.txt"
size=$(wc -c < "$tmp/replies.txt")
echo "machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "input: $N reply lines, $size bytes (bench/gen_replies.py, seed 1)"
secs() { # command... -> elapsed seconds of the best of 3 runs
  best=""
  for i in 1 2 3; do
    s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}
rate() { echo "$1 / $2" | bc -l | xargs printf '%.0f'; }
t_wc=$(secs sh -c "wc -l < $tmp/replies.txt")
t_cat=$(secs sh -c "cat $tmp/replies.txt")
t_cli=$(secs sh -c "$B/rebound explain --tsv < $tmp/replies.txt")
printf '%-34s %12s lines/s %9s MB/s\n' "wc -l (floor)" "$(rate "$N" "$t_wc")" "$(echo "$size / $t_wc / 1000000" | bc -l | xargs printf '%.0f')"
printf '%-34s %12s lines/s %9s MB/s\n' "cat (floor)" "$(rate "$N" "$t_cat")" "$(echo "$size / $t_cat / 1000000" | bc -l | xargs printf '%.0f')"
"$B/bench_explain" "$tmp/replies.txt" 1 | sed 's/^/library /'
printf '%-34s %12s lines/s %9s MB/s\n' "rebound explain --tsv (CLI)" "$(rate "$N" "$t_cli")" "$(echo "$size / $t_cli / 1000000" | bc -l | xargs printf '%.1f')"
echo "ratio CLI / wc -l: $(echo "$t_wc / $t_cli" | bc -l | xargs printf '%.3f')  (wc -l is $(echo "$t_cli / $t_wc" | bc -l | xargs printf '%.0f')x faster)"
if [ -x /usr/bin/time ]; then
  rss=$(/usr/bin/time -f %M "$B/rebound" explain --tsv < "$tmp/replies.txt" 2>&1 >/dev/null | tail -1)
  echo "peak RSS of rebound explain on the whole input: ${rss} KB"
fi
t_one=$(secs "$B/rebound" explain "550 5.1.1 user unknown")
echo "start-up + one explain: $(echo "$t_one * 1000" | bc -l | xargs printf '%.1f') ms"
if command -v valgrind > /dev/null; then
  head -n 10000 "$tmp/replies.txt" > "$tmp/10k.txt"
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$B/bench_explain" "$tmp/10k.txt" 1 > /dev/null 2> "$tmp/cg.log" || true
  ir=$(grep -o 'Collected : [0-9]*' "$tmp/cg.log" | grep -o '[0-9]*' || echo 0)
  [ -n "$ir" ] && [ "$ir" -gt 0 ] && echo "callgrind: $ir instructions for 10,000 lines incl. start-up = $((ir / 10000)) per line"
fi
