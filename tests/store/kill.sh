#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# kill.sh - crash safety of `rebound ingest --store`: an ingest of a large generated log is
# killed with SIGKILL mid-run (after some batches committed), then rerun to the end; the
# store must then hold exactly the events and the suppression list of an uninterrupted run
# (no event lost or duplicated). While the killed ingest writes, `rebound check` reads the
# same store (readers work during an ingest).
#   tests/store/kill.sh REBOUND_BINARY
set -u
BIN=${1:?usage: kill.sh REBOUND_BINARY}
T=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$T"' EXIT
export HOME=$T XDG_DATA_HOME= XDG_CONFIG_HOME=
fail=0 pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
count() { # DB -> events rows, or 0 while the store does not exist yet
  python3 -c "
import sqlite3, sys
try:
    print(sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True).execute('select count(*) from events').fetchone()[0])
except Exception:
    print(0)" "$1"
}

# the input: gen_maillog when it was built next to the binary, else a generated Postfix log
GEN=$(dirname "$BIN")/gen_maillog
if [ -x "$GEN" ]; then
  "$GEN" postfix 120 > "$T/mail.log" # long enough that an optimised build is still running when killed
else
  awk 'BEGIN {
    split("gmail.com yahoo.com example.org orange.fr", d, " ")
    for (i = 0; i < 150000; i++) {
      q = sprintf("Q%09d", i); r = sprintf("u%d@%s", i % 20011, d[i % 4 + 1])
      s = sprintf("Mar  3 %02d:%02d:%02d", int(i / 3600) % 24, int(i / 60) % 60, i % 60)
      printf "%s mx1 postfix/qmgr[1]: %s: from=<news@example.com>, size=1, nrcpt=1 (queue active)\n", s, q
      if (i % 10 == 3) st = "dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 User unknown (in reply to RCPT TO command))"
      else if (i % 10 == 5) st = "dsn=4.2.2, status=deferred (host mx[192.0.2.1] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command))"
      else st = "dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as X)"
      printf "%s mx1 postfix/smtp[2]: %s: to=<%s>, relay=mx[192.0.2.1]:25, delay=1, %s\n", s, q, r, st
    }}' > "$T/mail.log"
fi
# small batches: many commits, so the kill lands between and inside transactions
printf 'batch_events = 500\n' > "$T/rebound.conf"
ING="$BIN ingest -q --config $T/rebound.conf"

# the reference: one uninterrupted run
$ING --db "$T/ref.db" "$T/mail.log" > /dev/null 2>&1 || bad "reference ingest failed"
ref_n=$(count "$T/ref.db")
"$BIN" suppress --db "$T/ref.db" export --csv > "$T/ref.csv" 2>/dev/null
[ "$ref_n" -gt 1000 ] && ok || bad "reference stored only $ref_n events"

# killed mid-run
$ING --db "$T/k.db" "$T/mail.log" > /dev/null 2>&1 &
pid=$!
i=0 seen=0 reader=
while [ $i -lt 600 ]; do
  seen=$(count "$T/k.db")
  if [ "$seen" -gt 0 ] && [ -z "$reader" ]; then
    # a reader while the writer runs: must not fail on the lock
    printf 'someone@example.com\n' | "$BIN" check -q --db "$T/k.db" - > /dev/null 2>"$T/check.err"
    reader=$?
  fi
  [ "$seen" -gt $((ref_n / 4)) ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
  i=$((i + 1))
done
kill -9 "$pid" 2>/dev/null
killed=$?
wait "$pid" 2>/dev/null
pid=
partial=$(count "$T/k.db")
if [ "$killed" = 0 ] && [ "$partial" -lt "$ref_n" ]; then
  ok
  echo "killed after $partial of $ref_n events were committed"
else
  echo "note: the ingest ended before it could be killed ($partial of $ref_n stored); the rerun check still runs"
fi
case ${reader:-none} in
  0|1) ok ;;
  none) echo "note: no reader ran during the ingest" ;;
  *) bad "check failed while ingest wrote (exit $reader): $(cat "$T/check.err")" ;;
esac

# rerun to the end: the same events and the same list as the uninterrupted run
$ING --db "$T/k.db" "$T/mail.log" > /dev/null 2>&1 || bad "rerun failed"
[ "$(count "$T/k.db")" = "$ref_n" ] && ok || bad "after kill + rerun: $(count "$T/k.db") events, want $ref_n"
"$BIN" suppress --db "$T/k.db" export --csv > "$T/k.csv" 2>/dev/null
if cmp -s "$T/ref.csv" "$T/k.csv"; then ok; else bad "suppression list differs from the uninterrupted run: $(diff "$T/ref.csv" "$T/k.csv" | head -5)"; fi
[ "$(wc -l < "$T/ref.csv")" -gt 1 ] && ok || bad "the reference suppressed nothing"
# and once more: nothing new
"$BIN" ingest --config "$T/rebound.conf" --db "$T/k.db" "$T/mail.log" > /dev/null 2> "$T/err"
grep -q " 0 new events" "$T/err" && ok || bad "third run added events: $(grep store "$T/err")"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
