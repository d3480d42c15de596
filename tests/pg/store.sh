#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# store.sh - the PostgreSQL store backend (issue 9) against a throwaway PostgreSQL 15: the
# ingest fixtures stored in PostgreSQL and in SQLite give the same event count, suppression
# list (plain and CSV), rule state and sender alerts; re-ingesting adds nothing; parse
# --store, the list commands, check and report read it; a report over it equals one over
# SQLite; an unreachable server, bad credentials, a missing database, a database of another
# application and a newer schema are refused with a clear error and left unchanged.
#   tests/pg/store.sh REBOUND_BINARY
set -u
BIN=${1:?usage: store.sh REBOUND_BINARY}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
G=$SRC/tests/golden
T=$(mktemp -d)
. "$SRC/tests/pg/pg_cluster"
trap 'pg_cluster_stop; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
pg_cluster_start "$T"
export HOME=$T/home XDG_DATA_HOME= XDG_CONFIG_HOME=
mkdir -p "$HOME"
U=$PGC_URL
fail=0 pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
expect_status() { # want cmd... : the exit status of cmd is want
  want=$1; shift
  "$@" > "$T/out" 2> "$T/err"; got=$?
  if [ "$got" = "$want" ]; then ok; else bad "$* -> exit $got, want $want: $(head -c 300 "$T/err")"; fi
}
grep_err() { if grep -q -- "$1" "$T/err"; then ok; else bad "stderr lacks '$1': $(head -c 300 "$T/err")"; fi; }
sq() { # DB SQL -> rows, tab-separated (python3's sqlite3: the build already needs python3)
  python3 -c "import sqlite3,sys
for r in sqlite3.connect('file:'+sys.argv[1]+'?mode=ro', uri=True).execute(sys.argv[2]): print('\t'.join(str(x) for x in r))" "$1" "$2"
}
pq() { # DATABASE SQL -> rows, tab-separated
  $PGC_PSQL -At -F "$(printf '\t')" -d "$1" -c "$2"
}
same() { # name file1 file2
  if cmp -s "$2" "$3"; then ok; else bad "$1 differs: $(diff "$2" "$3" | head -5)"; fi
}

# ---- the fixtures: PostgreSQL and SQLite agree ---------------------------------------------
LOGS=$(ls "$G"/ingest/*.in | grep -v -e json-malformed -e csv-)
expect_status 0 "$BIN" ingest -q --db "$U" $LOGS
expect_status 0 "$BIN" ingest -q --db "$T/s.db" $LOGS
n_pg=$(pq rebound "select count(*) from events")
n_sq=$(sq "$T/s.db" "select count(*) from events")
[ "$n_pg" -gt 50 ] && [ "$n_pg" = "$n_sq" ] && ok || bad "events: PostgreSQL $n_pg, SQLite $n_sq"
"$BIN" suppress --db "$U" export > "$T/pg.txt"
"$BIN" suppress --db "$T/s.db" export > "$T/sq.txt"
[ -s "$T/pg.txt" ] && ok || bad "nothing suppressed in PostgreSQL"
same "suppress export" "$T/sq.txt" "$T/pg.txt"
"$BIN" suppress --db "$U" export --csv > "$T/pg.csv"
"$BIN" suppress --db "$T/s.db" export --csv > "$T/sq.csv"
same "suppress export --csv" "$T/sq.csv" "$T/pg.csv"
q_state="select address, mbf_count, soft_count, soft_first, last_failure, keys from recipient_state order by address"
pq rebound "$q_state" > "$T/pg.state"; sq "$T/s.db" "$q_state" > "$T/sq.state"
same "recipient_state" "$T/sq.state" "$T/pg.state"
q_alert="select sender_domain, sending_ip, category, provider, count, first_time, last_time from sender_alerts order by 1, 2, 3, 4"
pq rebound "$q_alert" > "$T/pg.alert"; sq "$T/s.db" "$q_alert" > "$T/sq.alert"
same "sender_alerts" "$T/sq.alert" "$T/pg.alert"
q_ev="select encode(key, 'hex'), time, kind, recipient, reason, category, replycode, status, text from events order by 1"
pq rebound "$q_ev" > "$T/pg.ev"
sq "$T/s.db" "select lower(hex(key)), time, kind, recipient, reason, category, replycode, status, text from events order by 1" > "$T/sq.ev"
same "events (keys, vocabulary, text)" "$T/sq.ev" "$T/pg.ev"

# re-ingest adds nothing
expect_status 0 "$BIN" ingest -q --db "$U" $LOGS
[ "$(pq rebound "select count(*) from events")" = "$n_pg" ] && ok || bad "re-ingest changed the event count"
"$BIN" suppress --db "$U" export --csv > "$T/pg2.csv"
same "suppressions after re-ingest" "$T/pg.csv" "$T/pg2.csv"
# a second batch size (one event per transaction) changes nothing either
printf 'batch_events = 1\n' > "$T/b1.conf"
expect_status 0 "$BIN" ingest -q --db "$U" --config "$T/b1.conf" $LOGS
[ "$(pq rebound "select count(*) from events")" = "$n_pg" ] && ok || bad "re-ingest (batch 1) changed the event count"

# the same fixtures one event per transaction into a fresh database: same outcome
pq postgres "create database b1" > /dev/null
U1="postgresql:///b1?host=$PGC_SOCK&user=rebound"
expect_status 0 "$BIN" ingest -q --db "$U1" --config "$T/b1.conf" $LOGS
"$BIN" suppress --db "$U1" export --csv > "$T/b1.csv"
same "suppressions with batch_events = 1" "$T/sq.csv" "$T/b1.csv"

# parse --store: bounce emails
expect_status 0 "$BIN" parse -q --db "$U" "$G/parse"
expect_status 0 "$BIN" parse -q --db "$T/s.db" "$G/parse"
[ "$(pq rebound "select count(*) from events")" = "$(sq "$T/s.db" "select count(*) from events")" ] && ok \
  || bad "parse --store: event counts differ"

# ---- the list commands, check, report ------------------------------------------------------
expect_status 0 "$BIN" suppress --db "$U" add Manual@Example.com
expect_status 0 "$BIN" suppress --db "$U" list
grep -q "^manual@example.com	manual	" "$T/out" && ok || bad "list: $(head -3 "$T/out")"
expect_status 0 "$BIN" suppress --db "$U" remove manual@example.com
expect_status 1 "$BIN" suppress --db "$U" remove manual@example.com
printf 'email,reason,date\nimp@example.com,hard bounce,2024-05-01\n' > "$T/imp.csv"
expect_status 0 "$BIN" suppress --db "$U" import "$T/imp.csv"
grep_err "imported 1"
first=$(head -1 "$T/pg.txt")
printf '%s\nfresh@example.com\n' "$first" > "$T/chk.txt"
expect_status 1 "$BIN" check --db "$U" "$T/chk.txt"
grep -q "^$first	suppressed" "$T/out" && grep -q "^fresh@example.com	ok" "$T/out" && ok || bad "check: $(cat "$T/out")"
# a report from PostgreSQL equals the one from SQLite (the same events; two scanner
# connections on id ranges): totals, tables and diagnoses (their prose names the top groups,
# whose ties are broken by the order events were stored in, which differs)
report_core() { # report.json -> the parts that do not depend on storage order
  python3 -c "import json,sys
r=json.load(open(sys.argv[1]))
r.pop('generated', None); r.pop('source', None)
for d in r.get('diagnoses', []): d.pop('detail', None)
print(json.dumps(r, sort_keys=True, indent=0))" "$1"
}
expect_status 0 "$BIN" report --db "$U" --json
report_core "$T/out" > "$T/pg.report"
expect_status 0 "$BIN" report --db "$T/s.db" --json
report_core "$T/out" > "$T/sq.report"
same "report --json" "$T/sq.report" "$T/pg.report"

# ---- targets that are not a usable store ----------------------------------------------------
expect_status 2 "$BIN" suppress --db "postgresql:///rebound?host=$T/nowhere" list
grep_err "not reachable"
$PGC_PSQL -d postgres -c "create role rb_pw login password 'right'" > /dev/null
expect_status 2 "$BIN" suppress --db "postgresql://rb_pw:wrong@/rebound?host=$PGC_SOCK" list
grep_err "refused the credentials"
if grep -q wrong "$T/err"; then bad "the password is shown: $(cat "$T/err")"; else ok; fi
expect_status 2 "$BIN" suppress --db "postgresql:///absent?host=$PGC_SOCK&user=rebound" list
grep_err "no such database"
pq postgres "create database foreign_db" > /dev/null
pq foreign_db "create table customers(id int); insert into customers values (1)" > /dev/null
expect_status 2 "$BIN" ingest -q --db "postgresql:///foreign_db?host=$PGC_SOCK&user=rebound" "$G/ingest/exim-mainlog.in"
grep_err "not a rebound store"
[ "$(pq foreign_db "select string_agg(tablename, ',' order by tablename) from pg_tables where schemaname = 'public'")" = customers ] \
  && ok || bad "the foreign database was changed"
pq postgres "create database newer" > /dev/null
UN="postgresql:///newer?host=$PGC_SOCK&user=rebound"
expect_status 0 "$BIN" suppress --db "$UN" add a@example.com
pq newer "update meta set value = '99' where key = 'schema_version'" > /dev/null
expect_status 2 "$BIN" ingest -q --db "$UN" "$G/ingest/exim-mainlog.in"
grep_err "newer than this rebound"
[ "$(pq newer "select count(*) from events")" = 0 ] && ok || bad "a newer store was written"
pq postgres "create database empty" > /dev/null
expect_status 2 "$BIN" check --db "postgresql:///empty?host=$PGC_SOCK&user=rebound" "$T/chk.txt"
grep_err "the store is empty"
[ "$(pq empty "select count(*) from pg_tables where schemaname = 'public'")" = 0 ] && ok || bad "a reader created tables"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
