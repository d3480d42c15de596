#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run.sh - golden tests of `rebound ingest`: every CASE.in (a log or payload written for the
# project in a real format) is read with `rebound ingest --output tsv [ARGS]` (ARGS from
# CASE.args when present, split as the shell would: quote values with spaces) and compared with CASE.tsv. The summary on stderr is compared with
# CASE.summary when that exists (skip counts and reasons). Each input is also read as one
# gzip file and with CRLF line ends, which must give the same events.
set -u
bin=$1
dir=$2
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { # name variant expected actual
  if cmp -s "$3" "$4"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL golden ingest $1 ($2)"
    diff "$3" "$4" | head -10
  fi
}
for in in "$dir"/*.in; do
  [ -e "$in" ] || continue
  case=${in%.in}
  name=$(basename "$case")
  args=""
  [ -e "$case.args" ] && args=$(cat "$case.args")
  if [ ! -e "$case.tsv" ]; then
    echo "FAIL golden ingest $name: no $name.tsv"; fail=$((fail + 1)); continue
  fi
  eval "set -- $args"
  "$bin" ingest --output tsv "$@" "$in" > "$tmp/out" 2> "$tmp/err"
  check "$name" lf "$case.tsv" "$tmp/out"
  if [ -e "$case.summary" ]; then
    check "$name" summary "$case.summary" "$tmp/err"
  fi
  gzip -c < "$in" > "$tmp/in.gz"
  "$bin" ingest --output tsv "$@" "$tmp/in.gz" > "$tmp/gz" 2>/dev/null
  check "$name" gzip "$case.tsv" "$tmp/gz"
  sed 's/$/\r/' "$in" > "$tmp/crlf"
  "$bin" ingest --output tsv "$@" "$tmp/crlf" > "$tmp/crlfout" 2>/dev/null
  check "$name" crlf "$case.tsv" "$tmp/crlfout"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
