#!/bin/sh
# scenario.sh - `rebound report` on the generated month (tools/gen_scenario.py): the four root
# causes it put in are named, with the right keys, in order of impact, both from the files and
# from the store; the clean month raises no warning. Usage: scenario.sh REBOUND
set -eu
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
GEN="$HERE/../../tools/gen_scenario.py"
T=$(mktemp -d "${TMPDIR:-/tmp}/rb-scenario.XXXXXX")
trap 'rm -rf "$T"' EXIT

python3 "$GEN" --per-day 5000 --out "$T/month.csv" --truth "$T/month.truth" -q
python3 "$GEN" --scenario clean --per-day 5000 --out "$T/clean.csv" --truth "$T/clean.truth" -q

"$BIN" report --json -q "$T/month.csv" > "$T/files.json"
"$BIN" ingest --db "$T/store.db" -q "$T/month.csv" > /dev/null
"$BIN" report --json -q --db "$T/store.db" > "$T/store.json"
"$BIN" report --json -q "$T/clean.csv" > "$T/clean.json"
# --fail-on: a critical diagnosis in the month, none in the clean one
rc=0; "$BIN" report -q --fail-on critical "$T/month.csv" > /dev/null || rc=$?
[ "$rc" = 3 ] || { echo "FAIL: --fail-on critical exit $rc, want 3"; exit 1; }
"$BIN" report -q --fail-on warning "$T/clean.csv" > /dev/null

python3 - "$T" <<'PY'
import csv, json, sys
T = sys.argv[1]
passed = failed = 0
def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)

# which diagnosis rules name each cause of the generator's truth table
RULES = {
    "list-decay": {"hard-bounce-critical", "hard-bounce-warning", "list-decay-critical",
                   "list-decay-warning"},
    "blocklist": {"blocklisted", "blocklist-single"},
    "gmail-throttling": {"provider-throttling", "reputation-decline"},
    "dmarc": {"auth-failures", "bulk-sender-requirements"},
}
KEYS = ("provider", "campaign", "sending_ip", "sending_domain")
truth = list(csv.DictReader(open(f"{T}/month.truth"), delimiter="\t"))
check(len(truth) == 4, "four causes in the truth table")

for src in ("files", "store"):
    d = json.load(open(f"{T}/{src}.json"))
    causes = [x for x in d["diagnoses"]
              if x["role"] == "cause" and x["severity"] in ("warning", "critical")]
    named = []
    for x in causes:
        cause = [c for c, ids in RULES.items() if x["id"] in ids]
        check(len(cause) == 1, f"{src}: {x['id']} is one of the four causes: {x['title']}")
        named += cause
    check(named == [t["cause"] for t in truth],
          f"{src}: causes in order of impact: got {named}")
    for t in truth:
        x = next((x for x in causes if x["id"] in RULES[t["cause"]]), None)
        if not x:
            continue
        for k in KEYS:
            if t[k]:
                check(x.get(k) == t[k], f"{src}: {t['cause']}: {k} {x.get(k)!r}, want {t[k]!r}")
        # an incident is dated to its first day; a decaying list has no single onset
        if t["cause"] != "list-decay":
            check(x["first"][:10] == t["first_day"],
                  f"{src}: {t['cause']}: since {x['first'][:10]}, want {t['first_day']}")
    check(d["diagnoses"][0]["role"] == "headline", f"{src}: the headline comes first")

files = json.load(open(f"{T}/files.json"))
store = json.load(open(f"{T}/store.json"))
strip = lambda d: [(x["id"], x["title"], x["evidence"]) for x in d["diagnoses"]]
check(strip(files) == strip(store), "store and files give the same diagnoses")
check(files["totals"] == store["totals"], "store and files give the same totals")

clean = json.load(open(f"{T}/clean.json"))
bad = [x["id"] for x in clean["diagnoses"] if x["severity"] in ("warning", "critical")]
check(not bad, f"clean month: no warning, got {bad}")
check(any(x["id"] == "bounce-rate-excellent" for x in clean["diagnoses"]),
      "clean month: bounce rate excellent")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
