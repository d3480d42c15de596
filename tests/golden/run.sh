#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run.sh - golden tests of the rebound command: each CASE.args holds the arguments (one per
# line), CASE.in (optional) is stdin, CASE.ref the expected stdout. Regenerate a reference
# with:  tests/golden/run.sh build/rebound tests/golden --update   (then review the diff).
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
dir=$2
cd "$dir" || exit 1
update=${3:-}
pass=0
fail=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for args in ./*.args; do
  [ -e "$args" ] || continue
  case=${args%.args}
  name=$(basename "$case")
  set --
  while IFS= read -r a || [ -n "$a" ]; do set -- "$@" "$a"; done < "$args"
  if [ -e "$case.in" ]; then
    NO_COLOR=1 "$bin" "$@" < "$case.in" > "$tmp" 2>&1
  else
    NO_COLOR=1 "$bin" "$@" < /dev/null > "$tmp" 2>&1
  fi
  echo "exit=$?" >> "$tmp"
  if [ "$update" = "--update" ]; then
    cp "$tmp" "$case.ref"
  fi
  if cmp -s "$tmp" "$case.ref"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL golden $name"
    diff -u "$case.ref" "$tmp" | head -40
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
