#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# optional_libs.sh - libpq, libunbound and libmicrohttpd are opened on first use (src/dl.h):
# `explain` runs without them, and a command that needs one that cannot be loaded stops with
# its usual error status (2; serve: 1, as for any start-up failure) and a message naming the
# library and its package, never a crash.
#   tests/store/optional_libs.sh REBOUND_BINARY
set -u
BIN=${1:?usage: optional_libs.sh REBOUND_BINARY}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export HOME=$T/home XDG_DATA_HOME= XDG_CONFIG_HOME=
mkdir -p "$HOME" "$T/lib"
fail=0 pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
# unloadable stand-ins found first by the loader (empty files)
for so in libpq.so.5 libunbound.so.8 libmicrohttpd.so.12; do : > "$T/lib/$so"; done
run() { # want pattern cmd... : exit status want and pattern on stderr, with the stand-ins
  want=$1 pat=$2; shift 2
  LD_LIBRARY_PATH=$T/lib "$@" > "$T/out" 2> "$T/err"; got=$?
  if [ "$got" = "$want" ]; then ok; else bad "$* -> exit $got, want $want: $(head -c 300 "$T/err")"; fi
  if [ -z "$pat" ] || grep -q -- "$pat" "$T/err"; then ok; else bad "$*: stderr lacks '$pat': $(head -c 300 "$T/err")"; fi
}
# the linked libraries no longer include them
if ldd "$BIN" 2>/dev/null | grep -q -E 'libpq|libunbound|libmicrohttpd'; then
  bad "$BIN still links an optional library: $(ldd "$BIN" | grep -E 'libpq|libunbound|libmicrohttpd')"
else ok; fi
run 0 "" "$BIN" explain "550 5.1.1 user unknown"
run 2 "libpq.so.5 not found (install libpq5)" "$BIN" report --db postgresql://localhost/rebound_test
run 2 "libpq.so.5 not found (install libpq5)" "$BIN" ingest --db postgresql://localhost/rebound_test /dev/null
run 2 "libunbound.so.8 not found (install libunbound8)" "$BIN" doctor example.org
run 1 "libmicrohttpd.so.12 not found (install libmicrohttpd12)" "$BIN" serve --listen 127.0.0.1:0 --db "$T/s.db"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
