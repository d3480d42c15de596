#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run.sh - golden tests of `rebound parse`: every CASE.eml (a bounce written for the project
# in the format of a real MTA) is decoded and its records compared with CASE.tsv, one line per
# record: recipient, status, replycode, reason, hardbounce. Each file is also decoded with
# CRLF and with CR-only line ends, which must give the same records.
set -u
bin=$1
dir=$2
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for eml in "$dir"/*.eml; do
  [ -e "$eml" ] || continue
  case=${eml%.eml}
  name=$(basename "$case")
  if [ ! -e "$case.tsv" ]; then
    echo "FAIL golden parse $name: no $name.tsv"; fail=$((fail + 1)); continue
  fi
  "$bin" parse --format tsv "$eml" 2>&1 | cut -f2- > "$tmp/lf"
  sed 's/$/\r/' "$eml" > "$tmp/crlf.eml"
  tr '\n' '\r' < "$eml" > "$tmp/cr.eml"
  "$bin" parse --format tsv "$tmp/crlf.eml" 2>&1 | cut -f2- > "$tmp/crlf"
  "$bin" parse --format tsv "$tmp/cr.eml" 2>&1 | cut -f2- > "$tmp/cr"
  for v in lf crlf cr; do
    if cmp -s "$tmp/$v" "$case.tsv"; then
      pass=$((pass + 1))
    else
      fail=$((fail + 1))
      echo "FAIL golden parse $name ($v)"
      diff "$case.tsv" "$tmp/$v" | head -10
    fi
  done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
