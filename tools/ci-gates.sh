#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ci-gates.sh - gates beyond the test suite that need ../shared (never part of make check):
#   1. the data catalogs still match the shared reference they were taken from (warning);
#   2. decoding accuracy on the Sisimai corpus (LF, CRLF and CR-only copies) does not drop
#      below the ratchet in tests/accuracy-ratchet.txt (raise it when you improve;
#      tools/ci-gates.sh --update writes the current figures into it);
#   3. the MIME reader agrees with GMime (the oracle) on the corpus.
set -eu
cd "$(dirname "$0")/.."
shared=../shared
if [ ! -d "$shared/corpus/sisimai" ]; then
  echo "ci-gates: ../shared not present; skipping shared-data gates"
  exit 0
fi
for f in enhanced-status-codes.tsv reply-codes.tsv provider-codes.tsv provider-hosts.tsv; do
  if ! cmp -s "data/$f" "$shared/reference/$f"; then
    echo "ci-gates: note: data/$f differs from ../shared/reference/$f"
  fi
done
bin=build/rebound
[ -x "$bin" ] || make release >/dev/null
ratchet=tests/accuracy-ratchet.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for v in bsd dos mac; do
  truth=$shared/corpus/sisimai/expected.tsv
  [ "$v" = bsd ] || truth=$shared/corpus/sisimai/expected-dos-mac.tsv
  "$bin" parse --format tsv "$shared/corpus/sisimai/maildir/$v" > "$tmp/$v.tsv" 2>/dev/null || true
  python3 "$shared/tools/score.py" "$truth" "$tmp/$v.tsv" --only "maildir/$v/" --json "$tmp/$v.json" \
    > "$tmp/$v.txt" 2>&1 || true
  python3 - "$tmp/$v.json" "$v" "$ratchet" "${1:-}" <<'PY' || fail=1
import json, sys
js, variant, ratchet, mode = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
d = json.load(open(js))
def pct(k):
    if k == "recipients":
        r = d["recipients"]
        if isinstance(r, dict):
            for key in ("accuracy", "pct", "percent"):
                if key in r:
                    return float(r[key])
            return 100.0 * r.get("correct", 0) / max(r.get("total", d["expected_files"]), 1)
        return 100.0 * float(r) / max(d["expected_files"], 1)
    return float(d["accuracy"][k])
fields = ["reason", "status", "replycode", "hardbounce", "all4", "recipients"]
got = {f: pct(f) for f in fields}
floor = {}
try:
    for line in open(ratchet):
        if line.startswith("#") or not line.strip(): continue
        var, f, val = line.split()
        if var == variant: floor[f] = float(val)
except FileNotFoundError:
    pass
print("ci-gates: accuracy %s: " % variant + ", ".join("%s %.2f%%" % (f, got[f]) for f in fields))
if mode == "--update":
    lines = list(open(ratchet))
    keep = [l for l in lines if not l.startswith(variant + " ")]
    keep += ["%s %s %.2f\n" % (variant, f, got[f] - 0.01) for f in fields]
    open(ratchet, "w").writelines(keep)
    sys.exit(0)
bad = [f for f in fields if f in floor and got[f] < floor[f]]
if bad:
    print("ci-gates: accuracy %s dropped below the ratchet: %s" % (variant, ", ".join(
        "%s %.2f%% < %.2f%%" % (f, got[f], floor[f]) for f in bad)))
    sys.exit(1)
PY
done
if [ -x build/mime_oracle ]; then
  build/mime_oracle "$shared/corpus/sisimai/maildir/dos" | tail -1
fi
[ $fail -eq 0 ] && echo "ci-gates: ok"
exit $fail
