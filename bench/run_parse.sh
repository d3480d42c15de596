#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run_parse.sh - bounce decoding throughput of `rebound parse`, side by side in one run with
# the I/O floor and, when installed, Perl Sisimai, on the same mbox.
#   bench/run_parse.sh [N]      (N = copies of the corpus in the mbox, default 10)
#   B=DIR bench/run_parse.sh    (binaries from DIR instead of build/: a Release build)
# Input: ../shared/corpus/sisimai/maildir/bsd/*.eml (629 real bounces) written as one mbox
# (each message preceded by a From_ line, body "From " lines quoted mboxrd-style), repeated
# N times. Prints emails/s and MB/s for: `cat` (the I/O floor), the library alone
# (bench_parse: message splitting + rb_parse_message, 5 passes over the mbox in memory), the
# CLI end to end (`rebound parse --format json`), Sisimai (when `perl -MSisimai` works) and
# the ratios between them; peak RSS of the library and the CLI; the CLI's start-up time; with
# valgrind, a callgrind instruction count per email (one pass over the corpus, start-up
# subtracted: repeatable on noisy machines). Timings are the best of 3 runs. Single-threaded
# throughout. N=1 is too small for the end-to-end figures (start-up dominates).
set -eu
cd "$(dirname "$0")/.."
N=${1:-10}
B=${B:-build}
corpus=${CORPUS:-../shared/corpus/sisimai/maildir/bsd}
for f in "$B/rebound" "$B/bench_parse"; do
  [ -x "$f" ] || { echo "run_parse.sh: $f missing: build first (or set B=DIR)" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# one mbox: From_ line, the message with ^>*From quoted (mboxrd), a final newline, a blank line
for f in "$corpus"/*.eml; do
  echo "From MAILER-DAEMON Thu Jan  1 00:00:00 2026"
  sed 's/^\(>*From \)/>\1/' "$f"
  [ -z "$(tail -c 1 "$f")" ] || echo # a final newline where the file lacks one
  echo
done > "$tmp/one.mbox"
i=0
while [ "$i" -lt "$N" ]; do cat "$tmp/one.mbox"; i=$((i + 1)); done > "$tmp/bench.mbox"
mbox=$tmp/bench.mbox
set -- "$corpus"/*.eml
per=$#
msgs=$((per * N))
size=$(wc -c < "$mbox" | tr -d ' ')

echo "machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "input: $msgs emails ($per x $N), $size bytes, one mbox from $corpus"
echo "binaries: $B ($(grep -s '^CMAKE_BUILD_TYPE' "$B/CMakeCache.txt" | cut -d= -f2 || true))"

secs() { # command... -> elapsed seconds of the best of 3 runs
  best=""
  for _ in 1 2 3; do
    s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}
fmt() { printf "%.${2:-0}f" "$(echo "$1" | bc -l)"; }
line() { # label seconds [extra]
  printf '%-36s %10s emails/s %9s MB/s  %s\n' "$1" "$(fmt "$msgs / $2")" \
    "$(fmt "$size / $2 / 1000000" 1)" "${3:-}"
}

t_cat=$(secs cat "$mbox")
line "cat (I/O floor)" "$t_cat"

# library: bench_parse prints "... = R emails/s, M MB/s, K records, peak RSS P KB"
lib=$("$B/bench_parse" "$mbox" 5)
lib_rate=$(echo "$lib" | sed -n 's/.*= \([0-9.]*\) emails\/s.*/\1/p')
lib_mbs=$(echo "$lib" | sed -n 's/.*emails\/s, \([0-9.]*\) MB\/s.*/\1/p')
lib_recs=$(echo "$lib" | sed -n 's/.* \([0-9]*\) records.*/\1/p')
lib_rss=$(echo "$lib" | sed -n 's/.*peak RSS \([0-9]*\) KB.*/\1/p')
printf '%-36s %10s emails/s %9s MB/s  peak RSS %s KB, %s records per pass\n' \
  "library (bench_parse, 5 passes)" "$(fmt "$lib_rate")" "$lib_mbs" "$lib_rss" \
  "$((lib_recs / 5))"

t_cli=$(secs "$B/rebound" parse --format json "$mbox")
cli_recs=$("$B/rebound" parse --format json "$mbox" | wc -l | tr -d ' ')
cli_rss=$(/usr/bin/time -f %M "$B/rebound" parse --format json "$mbox" 2>&1 > /dev/null | tail -n 1)
line "rebound parse --format json (CLI)" "$t_cli" "peak RSS $cli_rss KB, $cli_recs records"
cli_rate=$(echo "$msgs / $t_cli" | bc -l)
t_start=$(secs sh -c "$B/rebound parse --format json < /dev/null")
echo "start-up (rebound parse on empty input): $(fmt "$t_start * 1000" 1) ms"
echo "ratio CLI / library: $(fmt "$cli_rate / $lib_rate" 2); cat is $(fmt "$t_cli / $t_cat" 1)x faster than the CLI"

if perl -MSisimai -e1 2> /dev/null; then
  # Sisimai 5 has rise(), 4.x make(); both take an mbox path and return the records.
  cat > "$tmp/sisimai.pl" << 'EOF'
use strict; use warnings; use Sisimai; use Time::HiRes qw(time);
my $t0 = time;
my $v = Sisimai->can('rise') ? Sisimai->rise($ARGV[0]) : Sisimai->make($ARGV[0]);
printf "%d %.6f\n", scalar(@{$v // []}), time - $t0;
EOF
  best=""
  for _ in 1 2 3; do
    # shellcheck disable=SC2046 # two words: records, seconds
    set -- $(perl "$tmp/sisimai.pl" "$mbox" 2> /dev/null)
    if [ -z "$best" ] || [ "$(echo "$2 < $best" | bc -l)" = 1 ]; then best=$2; fi
  done
  sis_recs=$1
  line "Sisimai $(perl -MSisimai -e 'print Sisimai->version') (Perl, in-process)" "$best" \
    "$sis_recs records"
  sis_rate=$(echo "$msgs / $best" | bc -l)
  echo "ratio rebound / Sisimai: library $(fmt "$lib_rate / $sis_rate" 1)x, CLI $(fmt "$cli_rate / $sis_rate" 1)x"
else
  echo "Sisimai: not installed (Debian: apt-get install libsisimai-perl)"
fi

if command -v valgrind > /dev/null; then
  ir() { # PASSES -> instructions of bench_parse over the one-copy mbox
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$B/bench_parse" "$tmp/one.mbox" \
      "$1" > /dev/null 2> "$tmp/cg.log" || true
    grep -o 'Collected : [0-9]*' "$tmp/cg.log" | grep -o '[0-9]*' || echo 0
  }
  ir1=$(ir 1)
  ir2=$(ir 2)
  if [ "$ir1" -gt 0 ] && [ "$ir2" -gt "$ir1" ]; then
    echo "callgrind: $(((ir2 - ir1) / per)) instructions per email (one pass over $per emails:" \
      "$((ir2 - ir1)); start-up and setup: $((2 * ir1 - ir2)))"
  fi
fi
