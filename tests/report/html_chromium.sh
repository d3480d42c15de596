#!/bin/sh
# html_chromium.sh - the HTML report rendered by headless Chromium (Debian's chromium): the
# DOM after loading holds the diagnosis cards of the generated month and its three charts
# with their bars, and the screenshot is a real picture (not a blank or error page).
# Chromium is installed by tools/install-deps.sh; without it this test fails.
# Usage: html_chromium.sh REBOUND
set -eu
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "FAIL: chromium not installed (tools/install-deps.sh installs it)"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/rb-html.XXXXXX")
trap 'rm -rf "$T"' EXIT

python3 "$HERE/../../tools/gen_scenario.py" --per-day 3000 --out "$T/month.csv" -q
"$BIN" report -q --html "$T/report.html" "$T/month.csv"
# --no-sandbox: CI runs as root; a private profile keeps the user's own untouched;
run_chromium() {
  timeout 120 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$T/profile" --window-size=1280,2400 "$@" "file://$T/report.html" \
    2> "$T/chromium.err"
}
run_chromium --dump-dom > "$T/dom.html" || { cat "$T/chromium.err"; echo "FAIL: chromium --dump-dom"; exit 1; }
run_chromium --screenshot="$T/shot.png" > /dev/null || { cat "$T/chromium.err"; echo "FAIL: chromium --screenshot"; exit 1; }

python3 - "$T" <<'PY'
import re, struct, sys, zlib
T = sys.argv[1]
passed = failed = 0
def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)

dom = open(f"{T}/dom.html", encoding="utf-8").read()
check("</html>" in dom, "chromium produced the document")
ids = re.findall(r'class="diagnosis[^"]*"[^>]*data-id="([^"]+)"|data-id="([^"]+)"[^>]*class="diagnosis', dom)
ids = {a or b for a, b in ids}
for want in ("blocklisted", "provider-throttling", "auth-failures"):
    check(want in ids, f"diagnosis card {want} in {sorted(ids)}")
check(ids & {"hard-bounce-warning", "hard-bounce-critical", "list-decay-critical", "list-decay-warning"},
      f"a list-decay card in {sorted(ids)}")
check("192.0.2.12" in dom and "mail.example-saas.io" in dom, "the keys are shown")
for chart in ("chart-families", "chart-timeline", "chart-providers"):
    m = re.search(r'<svg[^>]*id="%s".*?</svg>' % chart, dom, re.S)
    check(m is not None, f"chart {chart} in the DOM")
    if m:
        check(len(re.findall(r"<rect", m.group(0))) >= 5, f"{chart} has bars")
check(not re.search(r'(src|href)="(https?:)?//', dom), "no network fetch")

# the screenshot: a 1280-pixel-wide PNG with many colours (cards, bars, heat map)
png = open(f"{T}/shot.png", "rb").read()
check(png[:8] == b"\x89PNG\r\n\x1a\n", "a PNG")
w, h, depth, ctype = struct.unpack(">IIBB", png[16:26])
check(w == 1280 and h >= 1000, f"size {w}x{h}")
data, pos = b"", 8
while pos < len(png):
    n, kind = struct.unpack(">I4s", png[pos:pos + 8])
    if kind == b"IDAT":
        data += png[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(data)
bpp = {2: 3, 6: 4}.get(ctype, 0)
check(depth == 8 and bpp, f"8-bit RGB(A), got depth {depth} type {ctype}")
colours, stride, prev = set(), w * bpp, bytearray(w * bpp)
for y in range(0, h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):  # undo the PNG filter of this row
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    if y % 4 == 0:
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp * 4))
check(len(colours) > 50, f"{len(colours)} colours: a rendered page, not a blank one")
reds = [c for c in colours if c[0] > 180 and c[1] < 80 and c[2] < 80]
check(reds, "red of the critical cards and bars is drawn")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
