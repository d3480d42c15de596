#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pathological_ingest.sh - `rebound ingest` on broken and hostile logs and payloads.
#
# DESCRIPTION
#   usage: tests/pathological_ingest.sh BIN     (BIN = the rebound executable)
#   Generates every input in a temporary directory: 1 MB and 5 MB lines, random binary
#   garbage, NUL bytes, a truncated gzip stream, a 200 MB line without a newline, a JSON
#   document nested 10,000 deep, 100,000 unterminated JSON objects, a CSV with an unclosed
#   quote, an empty file, a directory, a missing file, --strict on a bad line. Each case runs
#   under `timeout` and, when BIN is not an ASan build, under `ulimit -v` (bounded memory);
#   each asserts concrete outcomes (exit status, event count, the skip reason in the summary,
#   the good line after a bad one still read). Prints "N passed, N failed"; exits 1 on
#   failure. PATHO_KEEP=1 keeps the temporary directory.
set -u
bin=$1
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
pass=0
fail=0
tmp=$(mktemp -d)
if [ -n "${PATHO_KEEP:-}" ]; then
  echo "inputs kept in $tmp"
else
  trap 'rm -rf "$tmp"' EXIT
fi
cd "$tmp" || exit 1
limit="ulimit -v 400000"
if grep -q __asan_init "$bin" 2>/dev/null; then limit=true; fi

# run SECS ARGS... - `BIN ingest --output tsv ARGS` with the limits; stdout in out (header
# line removed), stderr in err, exit status in $rc (124 = time limit hit)
run() {
  secs=$1
  shift
  ( $limit; exec timeout "$secs" "$bin" ingest --output tsv "$@" ) > out.raw 2> err
  rc=$?
  tail -n +2 out.raw > out
}
ok() { pass=$((pass + 1)); }
bad() {
  fail=$((fail + 1))
  echo "FAIL $c: $*"
  sed 's/^/  err: /' err | head -5
}
expect_rc() { [ "$rc" -eq "$1" ] && ok || bad "exit $rc, want $1"; }
expect_events() {
  n=$(wc -l < out | tr -d ' ')
  [ "$n" -eq "$1" ] && ok || bad "$n events, want $1"
}
expect_err() { grep -q -- "$1" err && ok || bad "stderr lacks '$1'"; }

good='Mar  3 10:00:02 mx1 postfix/smtp[1300]: ABCDE12345: to=<a@example.org>, relay=mx.example.org[192.0.2.1]:25, delay=1, dsn=5.1.1, status=bounced (host mx.example.org[192.0.2.1] said: 550 5.1.1 <a@example.org>: Recipient address rejected: User unknown (in reply to RCPT TO command))'

c="1 MB + 1 line, then a good line"
{ echo "$good"; head -c 1048577 /dev/zero | tr '\0' 'x'; echo; echo "$good"; } > long.log
run 30 long.log
expect_rc 0; expect_events 2; expect_err "skipped 1: line longer than 1 MB"

c="5 MB line in a syslog stream"
{ echo "$good"; printf 'Mar  3 10:00:02 mx1 postfix/smtp[1]: '; head -c 5000000 /dev/zero | tr '\0' 'y'; echo; echo "$good"; } > long5.log
run 30 long5.log
expect_rc 0; expect_events 2; expect_err "line longer than 1 MB"

c="200 MB without a newline"
{ echo "$good"; head -c 200000000 /dev/zero | tr '\0' 'z'; } > huge.log
run 60 huge.log
expect_rc 0; expect_events 1; expect_err "line longer than 1 MB"

c="random binary garbage"
head -c 3000000 /dev/urandom > junk.bin
run 30 junk.bin
expect_rc 0; expect_events 0

c="binary garbage after a good line (syslog stream)"
{ echo "$good"; head -c 200000 /dev/urandom; echo; echo "$good"; } > mixed.log
run 30 mixed.log
expect_rc 0; expect_events 2

c="NUL bytes in a line"
{ echo "$good"; printf 'Mar  3 10:00:02 mx1 postfix/smtp[1]: AB\000CD: to=<x@y>\n'; echo "$good"; } > nul.log
run 30 nul.log
expect_rc 0; expect_events 2; expect_err "NUL byte"

c="truncated gzip stream"
i=0; while [ $i -lt 2000 ]; do echo "$good"; i=$((i + 1)); done > many.log
gzip -c many.log > many.log.gz
size=$(wc -c < many.log.gz | tr -d ' ')
head -c $((size / 2)) many.log.gz > cut.log.gz
run 30 cut.log.gz
expect_rc 1; expect_err "truncated gzip"
n=$(wc -l < out | tr -d ' ')
[ "$n" -gt 0 ] && [ "$n" -lt 2000 ] && ok || bad "$n events before the cut, want some"

c="gzip of the whole log"
run 30 many.log.gz
expect_rc 0; expect_events 2000

c="JSON nested 10,000 deep"
{ head -c 10000 /dev/zero | tr '\0' '['; head -c 10000 /dev/zero | tr '\0' ']'; echo; } > deep.json
run 30 --format json deep.json
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] && ok || bad "exit $rc"
expect_events 0
grep -q "skipped" err && ok || bad "deep document not reported as skipped"

c="100,000 unterminated JSON objects"
i=0; while [ $i -lt 1000 ]; do printf '{"a":'; i=$((i + 1)); done > open.json
run 30 --format json open.json
[ "$rc" -ne 124 ] && [ "$rc" -lt 128 ] && ok || bad "exit $rc"
expect_events 0

c="CSV with an unclosed quote"
printf 'Email,Bounce Code,Reason\na@example.org,550,"User unknown\nb@example.org,550,ok\n' > open.csv
run 30 --format csv --map 'recipient=Email,code=Bounce Code,text=Reason' open.csv
[ "$rc" -ne 124 ] && [ "$rc" -lt 128 ] && ok || bad "exit $rc"

c="empty file"
: > empty.log
run 10 empty.log
expect_rc 0; expect_events 0

c="a directory"
mkdir -p adir
run 10 adir
expect_rc 1; expect_err "is a directory"

c="a missing file, then a good one"
echo "$good" > one.log
run 10 missing.log one.log
expect_rc 1; expect_events 1; expect_err "missing.log"

c="--strict stops at a malformed line"
{ echo "$good"; echo 'ABCDE12345: to=<q@y.z>, status=weird (x)'; echo "$good"; } > strict.log
run 10 --format postfix --strict strict.log
expect_rc 1; expect_events 1; expect_err "line 2"

c="unknown --format"
run 10 --format nosuch one.log
expect_rc 2; expect_err "nosuch"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
