#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run.sh - replay every input the fuzzers ever crashed on (tests/regress/<target>/*) through
# the same library entry points, under the test build's sanitizers (SQLite fuzzcheck style).
#   tests/regress/run.sh REPLAY_BINARY REGRESS_DIR
set -u
bin=$1
dir=$2
pass=0
fail=0
for t in "$dir"/fuzz_*; do
  [ -d "$t" ] || continue
  target=$(basename "$t")
  for f in "$t"/*; do
    [ -f "$f" ] || continue
    # the target's own entry point when this build has it (replay_fuzz_NAME), else replay.c
    own="$(dirname "$bin")/replay_$target"
    if [ -x "$own" ]; then
      set -- "$own" "$f"
    else
      set -- "$bin" "$target" "$f"
    fi
    if "$@" > /dev/null 2>&1; then
      pass=$((pass + 1))
    else
      fail=$((fail + 1)); echo "FAIL regress $target $(basename "$f")"
    fi
  done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
