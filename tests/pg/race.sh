#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# race.sh - three ingests of overlapping inputs at once into one PostgreSQL store (issue 9):
# no event lost or duplicated, and the suppression list, CSV entries and rule state equal a
# serial run's (and SQLite's).
#   tests/pg/race.sh REBOUND_BINARY
#
# The input: a generated Postfix log in four chunks c1..c4 (deliveries, mailbox-full streaks,
# soft bounces over days, hard bounces, sender-side blocks), small batches (batch_events =
# 40) so the racers interleave many transactions. A runs c1 c2 c3, B runs c4 c3 c2, C runs
# c3 c2: every event of c2 and c3 is offered by three processes at once, and A and B start
# on c1 and c4 together. Recipients "own-*"
# live in one chunk each, so their streaks see the same order in any run and their entries
# and state must match the serial run exactly; recipients "shared-*" get hard bounces and
# mailbox-full failures in both c1 and c4, racing to create the same state row and list
# entry from different events (the unique-violation retry): their presence on the list is
# order-free, their entry's reason and date are not, so only the address is compared.
set -u
BIN=${1:?usage: race.sh REBOUND_BINARY}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
. "$SRC/tests/pg/pg_cluster"
trap 'pg_cluster_stop; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
pg_cluster_start "$T"
export HOME=$T/home XDG_DATA_HOME= XDG_CONFIG_HOME=
mkdir -p "$HOME"
fail=0 pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
pq() { $PGC_PSQL -At -F "$(printf '\t')" -d "$1" -c "$2"; }
same() { if cmp -s "$2" "$3"; then ok; else bad "$1 differs: $(diff "$2" "$3" | head -5)"; fi; }

python3 - "$T" <<'PY'
import random, sys
out = sys.argv[1]
rnd = random.Random(9)
replies = {
    'ok': ('sent', '2.0.0', '250 2.0.0 Ok: queued as ABC'),
    'full': ('deferred', '4.2.2', '452 4.2.2 Mailbox full'),
    'soft': ('deferred', '4.3.0', '451 4.3.0 Temporary local problem - please try later'),
    'hard': ('bounced', '5.1.1', '550 5.1.1 <x>: Recipient address rejected: User unknown'),
    'block': ('bounced', '5.7.1', '554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using zen.spamhaus.org'),
}
chunks = [[] for _ in range(4)]
def line(t, qid, rcpt, what):
    st, dsn, text = replies[what]
    day, sec = divmod(t, 86400)
    hh, mm, ss = sec // 3600, sec // 60 % 60, sec % 60
    return (t, 'Mar %2d %02d:%02d:%02d mx1 postfix/smtp[1300]: %s: to=<%s>, relay=mx.example.net[192.0.2.1]:25, '
               'delay=1.%d, delays=0.1/0/0.4/0.7, dsn=%s, status=%s (host mx.example.net[192.0.2.1] said: %s '
               '(in reply to RCPT TO command))' % (1 + day, hh, mm, ss, qid, rcpt, rnd.randrange(10), dsn, st, text))
n = 0
for c in range(4):
    for r in range(150):
        rcpt = 'own-%d-%d@example.org' % (c, r)
        t = c * 2 * 86400 // 4 + rnd.randrange(3600)
        for _ in range(rnd.randrange(2, 9)):
            what = rnd.choice(['ok', 'ok', 'full', 'full', 'full', 'soft', 'hard', 'block'])
            n += 1
            chunks[c].append(line(t, 'Q%06X' % n, rcpt, what))
            t += rnd.randrange(600, 3 * 86400)
for r in range(100):
    rcpt = 'shared-%d@example.com' % r
    for c in (0, 3):
        for what in (['hard'] if r % 2 else ['full', 'full', 'full']):
            n += 1
            chunks[c].append(line(c * 86400 + rnd.randrange(86400), 'Q%06X' % n, rcpt, what))
for c in range(4):
    with open('%s/c%d.log' % (out, c + 1), 'w') as f:
        for _, l in sorted(chunks[c]):
            f.write(l + '\n')
PY
printf 'batch_events = 40\n' > "$T/small.conf"
C="$T/c1.log $T/c2.log $T/c3.log $T/c4.log"
total=$(cat $C | wc -l)

# the server's log says which races were lost and retried (printed at the end)
log_errors() { grep -c "$1" "$PGC_DIR/server.log" || true; }

# serial: one process, every chunk in order; and SQLite
pq postgres "create database serial" > /dev/null
"$BIN" ingest -q --year 2024 --db "postgresql:///serial?host=$PGC_SOCK&user=rebound" --config "$T/small.conf" $C \
  > /dev/null || bad "serial ingest failed"
"$BIN" ingest -q --year 2024 --db "$T/s.db" --config "$T/small.conf" $C > /dev/null \
  || bad "SQLite ingest failed"

# concurrent: three at once
U=$PGC_URL
"$BIN" ingest -q --year 2024 --db "$U" --config "$T/small.conf" "$T/c1.log" "$T/c2.log" "$T/c3.log" > /dev/null 2> "$T/a.err" &
a=$!
"$BIN" ingest -q --year 2024 --db "$U" --config "$T/small.conf" "$T/c4.log" "$T/c3.log" "$T/c2.log" > /dev/null 2> "$T/b.err" &
b=$!
"$BIN" ingest -q --year 2024 --db "$U" --config "$T/small.conf" "$T/c3.log" "$T/c2.log" > /dev/null 2> "$T/c.err" &
c=$!
wait $a && ok || bad "ingest A failed: $(cat "$T/a.err")"
wait $b && ok || bad "ingest B failed: $(cat "$T/b.err")"
wait $c && ok || bad "ingest C failed: $(cat "$T/c.err")"

n_serial=$(pq serial "select count(*) from events")
[ "$n_serial" = "$total" ] && ok || bad "serial run stored $n_serial events of $total lines"
[ "$(pq rebound "select count(*) from events")" = "$n_serial" ] && ok \
  || bad "concurrent runs stored $(pq rebound "select count(*) from events") events, serial $n_serial"
[ "$(pq rebound "select count(*) from (select distinct time, key from events) x")" = "$n_serial" ] && ok \
  || bad "duplicate events"

"$BIN" suppress --db "postgresql:///serial?host=$PGC_SOCK&user=rebound" export > "$T/serial.txt"
"$BIN" suppress --db "$U" export > "$T/race.txt"
"$BIN" suppress --db "$T/s.db" export > "$T/sqlite.txt"
[ "$(wc -l < "$T/serial.txt")" -gt 100 ] && ok || bad "too few suppressed: $(wc -l < "$T/serial.txt")"
grep -q '^shared-' "$T/serial.txt" && grep -q '^own-' "$T/serial.txt" && ok || bad "list lacks own-/shared- addresses"
same "suppression list, concurrent vs serial" "$T/serial.txt" "$T/race.txt"
same "suppression list, SQLite vs PostgreSQL serial" "$T/sqlite.txt" "$T/serial.txt"
"$BIN" suppress --db "postgresql:///serial?host=$PGC_SOCK&user=rebound" export --csv | grep '^own-' > "$T/serial.csv"
"$BIN" suppress --db "$U" export --csv | grep '^own-' > "$T/race.csv"
same "own-* entries (reason, date)" "$T/serial.csv" "$T/race.csv"
q="select address, mbf_count, soft_count, soft_first, last_failure, keys from recipient_state where address like 'own-%' order by address"
pq serial "$q" > "$T/serial.state"
pq rebound "$q" > "$T/race.state"
[ -s "$T/serial.state" ] && ok || bad "no open streaks to compare"
same "own-* rule state" "$T/serial.state" "$T/race.state"
q="select sum(count) from sender_alerts"
[ "$(pq rebound "$q")" = "$(pq serial "$q")" ] && ok || bad "sender alerts: $(pq rebound "$q") vs $(pq serial "$q")"

echo "races lost and retried: $(log_errors 'violates unique constraint "events_') event COPYs," \
  "$(log_errors 'violates unique constraint "recipient_state_pkey"') new states," \
  "$(log_errors 'violates unique constraint "suppressions_pkey"') new list entries," \
  "$(log_errors 'deadlock detected') deadlocks"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
