#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# extension.sh - CREATE EXTENSION rebound (issue 9) in a throwaway PostgreSQL 15: the SQL
# tests of extension.sql against extension.out (pg_regress style: psql -a, diff), then
# rebound_parse on every bounce email of tests/golden/parse against its golden TSV, and
# rebound_explain against `rebound explain --json` on the sample replies.
#   tests/pg/extension.sh REBOUND_BINARY
# The extension is taken from the build directory of REBOUND_BINARY (pg/rebound.so, built
# by the CMake target rebound_pg) and installed into a private copy of the PostgreSQL
# installation (tests/pg/pg_cluster: pg_cluster_private), never into the system's.
# Regenerate extension.out after a reviewed change: REGEN=1 tests/pg/extension.sh BIN
set -u
BIN=${1:?usage: extension.sh REBOUND_BINARY}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$SRC/tests/pg
B=$(cd "$(dirname "$BIN")" && pwd)
SO=$B/pg/rebound.so
if [ ! -f "$SO" ]; then
  echo "FAIL: $SO not built (ninja rebound_pg, or make in pg/ with PGXS)" >&2
  exit 1
fi
T=$(mktemp -d)
. "$HERE/pg_cluster"
trap 'pg_cluster_stop; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
chmod 755 "$T"
pg_cluster_private "$T/inst" "$SO" "$SRC/pg/rebound.control" "$SRC/pg/rebound--0.1.0.sql"
mkdir "$T/pg"
pg_cluster_start "$T/pg" max_worker_processes=8 max_parallel_workers=4
fail=0 pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

# ---- the SQL tests ---------------------------------------------------------------------------
$PGC_PSQL -d rebound -a -v ON_ERROR_STOP=0 -v bounce="$(base64 -w0 "$SRC/tests/golden/parse/rfc3464-postfix-1.eml")" \
  < "$HERE/extension.sql" > "$T/extension.out" 2>&1
if [ -n "${REGEN:-}" ]; then cp "$T/extension.out" "$HERE/extension.out"; fi
if cmp -s "$HERE/extension.out" "$T/extension.out"; then ok; else
  bad "extension.sql: output differs from extension.out:"; diff "$HERE/extension.out" "$T/extension.out" | head -40 >&2
fi
grep -q 'server closed the connection\|terminated by signal' "$T/pg/server.log" \
  && bad "a backend crashed: $(grep -m3 'terminated by signal' "$T/pg/server.log")" || ok

# ---- rebound_parse on the golden bounce emails -----------------------------------------------
n=0
for eml in "$SRC"/tests/golden/parse/*.eml; do
  ref=${eml%.eml}.tsv
  [ -f "$ref" ] || continue
  echo "SELECT recipient, status, coalesce(replycode::text, ''), reason, hard::int
          FROM rebound_parse(decode(:'msg', 'base64'))" \
    | $PGC_PSQL -d rebound -At -F "$(printf '\t')" -v msg="$(base64 -w0 "$eml")" > "$T/got.tsv" 2> "$T/err" \
    || bad "$(basename "$eml"): $(cat "$T/err")"
  if cmp -s "$ref" "$T/got.tsv"; then ok; else bad "$(basename "$eml"): $(diff "$ref" "$T/got.tsv" | head -4)"; fi
  n=$((n + 1))
done
[ "$n" -gt 30 ] && ok || bad "only $n bounce emails compared"

# ---- rebound_explain is `rebound explain --json` ---------------------------------------------
norm() { python3 -c "import json,sys
for l in sys.stdin:
    l = l.strip()
    if l: print(json.dumps(json.loads(l), sort_keys=True))"; }
{ cat "$SRC/tests/golden/sample-replies.txt"; grep -v '^#' "$SRC/tests/data/explain-cases.tsv" | cut -f1; } \
  | grep -v '^$' > "$T/replies.txt"
"$BIN" explain --json < "$T/replies.txt" | norm > "$T/cli.json"
python3 -c "import sys
for l in open(sys.argv[1]): print(l.rstrip('\n').encode().hex())" "$T/replies.txt" > "$T/replies.hex"
$PGC_PSQL -d rebound -c "CREATE TABLE r(n serial, hex text)" -c "\\copy r(hex) FROM '$T/replies.hex'" > /dev/null
$PGC_PSQL -d rebound -At -c "SELECT rebound_explain(convert_from(decode(hex, 'hex'), 'UTF8')) FROM r ORDER BY n" \
  | norm > "$T/sql.json"
[ "$(wc -l < "$T/cli.json")" -gt 20 ] && ok || bad "too few sample replies: $(wc -l < "$T/cli.json")"
if cmp -s "$T/cli.json" "$T/sql.json"; then ok; else bad "rebound_explain differs from explain --json: $(diff "$T/cli.json" "$T/sql.json" | head -4)"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
