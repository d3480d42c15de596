#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# cli.sh - the store from the command line: idempotent ingest and parse, the suppression list
# round trip (add, list, remove, export, import as plain and CSV), `check` verdicts and exit
# statuses, config errors, and files that are not a usable store (read-only, foreign SQLite,
# garbage, a reader on a missing store) refused with a clear error and left unchanged.
#   tests/store/cli.sh REBOUND_BINARY
set -u
BIN=${1:?usage: cli.sh REBOUND_BINARY}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
G=$SRC/tests/golden
T=$(mktemp -d)
trap 'chmod -R u+w "$T"; rm -rf "$T"' EXIT
export HOME=$T/home XDG_DATA_HOME= XDG_CONFIG_HOME=
mkdir -p "$HOME"
fail=0 pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
expect_status() { # want cmd... : the exit status of cmd is want
  want=$1; shift
  "$@" > "$T/out" 2> "$T/err"; got=$?
  if [ "$got" = "$want" ]; then ok; else bad "$* -> exit $got, want $want: $(head -c 300 "$T/err")"; fi
}
grep_err() { if grep -q -- "$1" "$T/err"; then ok; else bad "stderr lacks '$1': $(head -c 300 "$T/err")"; fi; }
count() { # DB TABLE -> rows (python3's sqlite3: the build already needs python3)
  python3 -c "import sqlite3,sys; print(sqlite3.connect('file:'+sys.argv[1]+'?mode=ro', uri=True).execute('select count(*) from '+sys.argv[2]).fetchone()[0])" "$1" "$2"
}

# ---- ingest --store is idempotent -----------------------------------------------------------
DB=$T/a.db
LOGS="$G/ingest/postfix-basic.in $G/ingest/exim-mainlog.in $G/ingest/sendgrid.in $G/ingest/ses-events.in $G/ingest/powermta.in"
expect_status 0 "$BIN" ingest --db "$DB" $LOGS
grep_err "new events"
n1=$(count "$DB" events); s1=$(count "$DB" suppressions)
[ "$n1" -gt 10 ] && ok || bad "too few events stored: $n1"
[ "$s1" -gt 0 ] && ok || bad "nothing suppressed from the fixtures"
expect_status 0 "$BIN" ingest --db "$DB" $LOGS
grep_err " 0 new events"
[ "$(count "$DB" events)" = "$n1" ] && ok || bad "re-ingest changed the event count"
[ "$(count "$DB" suppressions)" = "$s1" ] && ok || bad "re-ingest changed the suppression count"
# the output is unchanged by --store
"$BIN" ingest -q $LOGS > "$T/plain.json" 2>/dev/null
"$BIN" ingest -q --db "$T/b.db" $LOGS > "$T/stored.json" 2>/dev/null
cmp -s "$T/plain.json" "$T/stored.json" && ok || bad "--store changed ingest's output"

# parse --store: records of bounce emails, idempotent too
expect_status 0 "$BIN" parse -q --db "$T/p.db" "$G/parse"
p1=$(count "$T/p.db" events)
[ "$p1" -gt 10 ] && ok || bad "parse stored too few records: $p1"
expect_status 0 "$BIN" parse -q --db "$T/p.db" "$G/parse"
[ "$(count "$T/p.db" events)" = "$p1" ] && ok || bad "parse re-run changed the event count"

# the default path (XDG) is used without --db
expect_status 0 "$BIN" ingest -q --store "$G/ingest/exim-mainlog.in"
[ -f "$HOME/.local/share/rebound/rebound.db" ] && ok || bad "default store path not used"
XDG_DATA_HOME=$T/xdg expect_status 0 "$BIN" ingest -q --store "$G/ingest/exim-mainlog.in"
[ -f "$T/xdg/rebound/rebound.db" ] && ok || bad "XDG_DATA_HOME not honoured"

# ---- the suppression list -------------------------------------------------------------------
S=$T/s.db
expect_status 0 "$BIN" suppress --db "$S" add Alice@Example.com '<bob@example.org>'
expect_status 1 "$BIN" suppress --db "$S" add not-an-address
grep_err "not an address"
expect_status 0 "$BIN" suppress --db "$S" list
grep -q "^alice@example.com	manual	20" "$T/out" && ok || bad "list: $(cat "$T/out")"
[ "$(wc -l < "$T/out")" -eq 2 ] && ok || bad "list has $(wc -l < "$T/out") lines, want 2"
expect_status 0 "$BIN" suppress --db "$S" remove ALICE@example.com
expect_status 1 "$BIN" suppress --db "$S" remove alice@example.com
grep_err "not on the suppression list"
expect_status 0 "$BIN" suppress --db "$S" export
[ "$(cat "$T/out")" = "bob@example.org" ] && ok || bad "export: $(cat "$T/out")"

# import a plain list and an ESP-style CSV, export CSV, re-import into a new store
printf 'one@example.com\n\n# comment\nTwo@Example.com\nbroken\n' > "$T/plain.txt"
expect_status 0 "$BIN" suppress --db "$S" import "$T/plain.txt"
grep_err "imported 2, 0 already"
grep_err "1 skipped as not an address"
printf 'Email Address,First Name,Reason,Date Added\n"three@example.com",Tom,hard bounce,2024-05-01\nfour@example.com,"Last, First",,1714567890\nbob@example.org,Bob,other,2024-01-01\n' > "$T/esp.csv"
expect_status 0 "$BIN" suppress --db "$S" import "$T/esp.csv"
grep_err "imported 2, 1 already"
expect_status 0 "$BIN" suppress --db "$S" export --csv -o "$T/export.csv"
head -1 "$T/export.csv" | grep -q '^email,reason,date$' && ok || bad "CSV header: $(head -1 "$T/export.csv")"
grep -q '^three@example.com,hard bounce,2024-05-01T00:00:00Z$' "$T/export.csv" && ok || bad "CSV row: $(cat "$T/export.csv")"
grep -q '^four@example.com,imported,2024-05-01T12:51:30Z$' "$T/export.csv" && ok || bad "CSV unix date: $(cat "$T/export.csv")"
grep -q '^bob@example.org,manual,' "$T/export.csv" && ok || bad "existing entry overwritten by import"
[ "$(wc -l < "$T/export.csv")" -eq 6 ] && ok || bad "export has $(wc -l < "$T/export.csv") lines, want 6"
expect_status 0 "$BIN" suppress --db "$T/s2.db" import "$T/export.csv"
"$BIN" suppress --db "$T/s2.db" export --csv > "$T/export2.csv"
cmp -s "$T/export.csv" "$T/export2.csv" && ok || bad "CSV round trip differs"
"$BIN" suppress --db "$S" export > "$T/list.txt"
expect_status 0 "$BIN" suppress --db "$T/s3.db" import - < "$T/list.txt"
"$BIN" suppress --db "$T/s3.db" export > "$T/list2.txt"
cmp -s "$T/list.txt" "$T/list2.txt" && ok || bad "plain round trip differs"

# ---- check ------------------------------------------------------------------------------------
printf 'fresh@example.com\nnew@example.net\n' > "$T/clean.txt"
expect_status 0 "$BIN" check --db "$S" "$T/clean.txt"
[ "$(cat "$T/out")" = "fresh@example.com	ok
new@example.net	ok" ] && ok || bad "check clean: $(cat "$T/out")"
printf 'email\nfresh@example.com\nBOB@example.org,Bob\n"three@example.com",x\nnot an address\n' > "$T/mixed.csv"
expect_status 1 "$BIN" check --db "$S" "$T/mixed.csv"
grep -q '^BOB@example.org	suppressed	manual	20.*	manual$' "$T/out" && ok || bad "check suppressed: $(cat "$T/out")"
grep -q '^"three@example.com"	suppressed	hard bounce	2024-05-01T00:00:00Z	import$' "$T/out" && ok || bad "check quoted: $(cat "$T/out")"
grep -q '^not an address	invalid	syntax$' "$T/out" && ok || bad "check invalid: $(cat "$T/out")"
[ "$(wc -l < "$T/out")" -eq 4 ] && ok || bad "check printed $(wc -l < "$T/out") lines, want 4 (header skipped)"
expect_status 1 "$BIN" check --db "$S" --bad-only - < "$T/mixed.csv"
[ "$(wc -l < "$T/out")" -eq 3 ] && ok || bad "--bad-only printed $(wc -l < "$T/out") lines"
grep_err "checked 4 addresses"
# hard bounces from the ingested fixtures are suppressed for check
first=$("$BIN" suppress --db "$DB" export | head -1)
echo "$first" | "$BIN" check --db "$DB" - > "$T/out" 2>/dev/null
[ $? = 1 ] && grep -q "suppressed" "$T/out" && ok || bad "check of an ingested hard bounce: $(cat "$T/out")"
expect_status 2 "$BIN" check --db "$T/missing.db" "$T/clean.txt"
grep_err "no store here yet"
[ ! -e "$T/missing.db" ] && ok || bad "check created a store"

# ---- config --------------------------------------------------------------------------------------
printf 'mailbox_full_repeats = 0\n' > "$T/bad.conf"
expect_status 2 "$BIN" ingest -q --db "$T/c.db" --config "$T/bad.conf" "$G/ingest/exim-mainlog.in"
grep_err "bad.conf: line 1: mailbox_full_repeats: 0 is out of range"
[ ! -e "$T/c.db" ] && ok || bad "a bad config still created the store"
expect_status 2 "$BIN" suppress --db "$S" --config "$T/nope.conf" list
grep_err "nope.conf"
mkdir -p "$HOME/.config/rebound"
printf 'soft_bounce_days = 2\n# comment\n' > "$HOME/.config/rebound/rebound.conf"
expect_status 0 "$BIN" suppress --db "$S" list
printf 'bogus = 1\n' > "$HOME/.config/rebound/rebound.conf"
expect_status 2 "$BIN" suppress --db "$S" list
grep_err "unknown key 'bogus'"
rm "$HOME/.config/rebound/rebound.conf"

# ---- stores we must not touch -------------------------------------------------------------------
snapshot() { ls -la "$T/bad" | grep -v ' \.$' | grep -v ' \.\.$' | awk '{print $1, $5, $NF}'; cat "$T"/bad/* 2>/dev/null | cksum; }
mkdir -p "$T/bad"
cp "$S" "$T/bad/ro.db"
chmod 0444 "$T/bad/ro.db"
head -c 20000 /dev/urandom > "$T/bad/garbage.db"
printf 'hello, not a database\n' > "$T/bad/text.db"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table t(x)'); c.execute('insert into t values (1)'); c.commit()" "$T/bad/foreign.db"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('pragma application_id=42'); c.execute('create table meta(key, value)'); c.commit()" "$T/bad/foreign2.db"
before=$(snapshot)
for f in ro garbage text foreign foreign2; do
  expect_status 2 "$BIN" ingest -q --db "$T/bad/$f.db" "$G/ingest/exim-mainlog.in"
  case $f in
    ro) grep_err "read-only" ;;
    garbage|text) grep_err "not a SQLite database" ;;
    foreign*) grep_err "another application" ;;
  esac
  expect_status 2 "$BIN" suppress --db "$T/bad/$f.db" add x@example.com
  [ "$f" = ro ] || expect_status 2 "$BIN" check --db "$T/bad/$f.db" "$T/clean.txt"
done
after=$(snapshot)
[ "$before" = "$after" ] && ok || bad "a refused file (or its directory) changed: $before // $after"
# a read-only store can still be read (SQLite may leave its -shm/-wal beside it; the store
# file itself is not written)
sum=$(cksum < "$T/bad/ro.db")
expect_status 1 "$BIN" check --db "$T/bad/ro.db" "$T/mixed.csv"
[ "$sum" = "$(cksum < "$T/bad/ro.db")" ] && ok || bad "reading a read-only store changed it"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
