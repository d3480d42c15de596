#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pathological.sh - the rebound command on hostile input: a 50 MB line, binary junk,
# 10,000 continuation-looking lines, NUL bytes. Each must finish within its time limit,
# in bounded memory (ulimit -v), and exit 0.
set -u
bin=$1
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# ASan reserves terabytes of virtual memory, so the memory bound applies to plain builds only.
limit="ulimit -v 1000000"
if grep -q __asan_init "$bin" 2>/dev/null; then limit=true; fi
check() { # name seconds file
  if ( $limit; timeout "$2" "$bin" explain --tsv < "$3" > "$tmp/out" 2>&1 ); then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL pathological $1 (exit $?)"
    head -c 300 "$tmp/out"
  fi
}
head -c 50000000 /dev/zero | tr '\0' 'a' > "$tmp/bigline"
check "50 MB line" 20 "$tmp/bigline"
head -c 5000000 /dev/urandom > "$tmp/junk"
check "binary junk" 20 "$tmp/junk"
i=0
while [ $i -lt 10000 ]; do echo "550-5.7.1 continuation line $i"; i=$((i + 1)); done > "$tmp/lines"
check "10k lines" 20 "$tmp/lines"
printf '550 5.1.1 a\000b\000c\n\000\000\n' > "$tmp/nul"
check "NUL bytes" 10 "$tmp/nul"
printf '' > "$tmp/empty"
check "empty input" 10 "$tmp/empty"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
