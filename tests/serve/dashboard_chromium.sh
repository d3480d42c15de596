#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# dashboard_chromium.sh - the live dashboard of `rebound serve` in headless Chromium (Debian's
# chromium), driven over the DevTools protocol (tests/serve/cdp.py, Python standard library):
#
#   - the server starts on a new store (port 0, a token) and /api/health answers;
#   - the page loads with its empty state, from the origin only;
#   - SendGrid webhook events are posted (Gmail 5.1.1, Yahoo 421 4.7.0 [TSS04], Microsoft
#     5.7.509 DMARC, deliveries, a complaint) and, within 10 s and without a reload, the page
#     shows their exact totals, the provider, family, category and campaign rows and the
#     diagnosis cards; a second batch (with a duplicate) changes the totals again;
#   - no request leaves the origin, no script error, the CSP header is sent;
#   - the screenshot is a 1280-pixel-wide PNG of a rendered page (REBOUND_SCREENSHOT=PATH
#     keeps a copy, e.g. docs/serve-dashboard.png);
#   - when the server stops (SIGTERM) the page shows its error state, and the server exits 0.
#
# Chromium is installed by tools/install-deps.sh; without it this test fails.
# Usage: dashboard_chromium.sh REBOUND
set -eu
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "FAIL: chromium not installed (tools/install-deps.sh installs it)"; exit 1; }
command -v python3 > /dev/null || { echo "FAIL: python3 not installed"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/rb-dash.XXXXXX")
SPID='' CPID=''
cleanup() {
  # Only the processes started here: the server, and Chromium's own process group.
  if [ -n "$CPID" ]; then kill -TERM "-$CPID" 2> /dev/null || true; fi
  if [ -n "$SPID" ]; then kill -TERM "$SPID" 2> /dev/null || true; fi
  wait 2> /dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# wait_for SECONDS COMMAND... - run COMMAND every 0.1 s until it succeeds; 1 after SECONDS.
wait_for() {
  n=$(($1 * 10))
  shift
  while ! "$@" 2> /dev/null; do
    n=$((n - 1))
    [ "$n" -gt 0 ] || return 1
    sleep 0.1
  done
}
# gone PID - the process exited (a zombie not yet waited for counts as exited).
gone() { ! [ -d "/proc/$1" ] || [ "$(cut -d' ' -f3 "/proc/$1/stat" 2> /dev/null)" = Z ]; }

# the WebSocket frame codec of cdp.py first, on a socket pair
selftest=0
timeout 30 python3 "$HERE/cdp.py" selftest || selftest=1

TOKEN=dash-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
"$BIN" serve --db "$T/rb.db" --listen 127.0.0.1:0 --token "$TOKEN" 2> "$T/serve.err" &
SPID=$!
n=100
until grep -q 'listening on http://' "$T/serve.err"; do
  if gone "$SPID" || [ "$n" -le 0 ]; then
    cat "$T/serve.err"
    echo "FAIL: rebound serve did not print its 'listening on' line within 10 s"
    exit 1
  fi
  n=$((n - 1))
  sleep 0.1
done
PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$T/serve.err" | head -n 1)
[ -n "$PORT" ] || { cat "$T/serve.err"; echo "FAIL: no port in the 'listening on' line"; exit 1; }

# --no-sandbox: CI runs as root; a private profile keeps the user's own untouched; port 0 lets
# Chromium pick a free port and write it to DevToolsActivePort. setsid: its own process group.
setsid "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --no-first-run --no-default-browser-check \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$T/profile" --remote-debugging-port=0 --window-size=1280,1000 about:blank \
  > "$T/chromium.out" 2> "$T/chromium.err" &
CPID=$!
if ! wait_for 20 test -s "$T/profile/DevToolsActivePort"; then
  tail -n 20 "$T/chromium.err"
  echo "FAIL: chromium did not open its DevTools port within 20 s"
  exit 1
fi
DTPORT=$(head -n 1 "$T/profile/DevToolsActivePort")

rc=0
timeout 60 python3 - "$HERE" "$T" "$PORT" "$DTPORT" "$TOKEN" "$SPID" "${REBOUND_SCREENSHOT:-}" <<'PY' || rc=$?
import json, os, signal, struct, sys, time, urllib.error, urllib.request, zlib
HERE, T, PORT, DTPORT, TOKEN, SPID, SHOT = sys.argv[1:8]
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
from cdp import CDP, page_ws_url

BASE = f"http://127.0.0.1:{PORT}"
passed = failed = 0
def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, flush=True)
    return cond

def request(method, path, body=None, token=TOKEN, headers=()):
    req = urllib.request.Request(BASE + path, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for k, v in headers:
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()

def as_json(b):
    try:
        return json.loads(b)
    except ValueError:
        return None

# SendGrid events: a unique sg_event_id each; the category names the campaign.
now, seq = int(time.time()) - 1800, 0
def ev(kind, email, campaign, **kw):
    global seq
    seq += 1
    d = {"email": email, "timestamp": now + seq, "event": kind, "sg_event_id": f"dash-{seq}",
         "sg_message_id": f"msg-{seq}", "category": [campaign]}
    d.update(kw)
    return d
GONE = ("550 5.1.1 The email account that you tried to reach does not exist. Please try "
        "double-checking the recipient's email address for typos or unnecessary spaces.")
TSS04 = ("421 4.7.0 [TSS04] Messages from 192.0.2.11 temporarily deferred due to unexpected "
         "volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes")
DMARC = ("550 5.7.509 Access denied, sending domain news.example-shop.com does not pass DMARC "
         "verification and has a DMARC policy of reject.")
batch1 = [ev("bounce", f"gone{i}@gmail.com", "spring-promo", reason=GONE, status="5.1.1",
             type="bounce") for i in range(25)]
batch1 += [ev("deferred", f"y{i}@yahoo.com", "spring-promo", response=TSS04, attempt="1")
           for i in range(30)]
batch1 += [ev("bounce", f"o{i}@outlook.com", "spring-promo", reason=DMARC, status="5.7.509",
              type="blocked") for i in range(12)]
batch1 += [ev("delivered", f"ok{i}@{d}", "spring-promo", response="250 2.0.0 OK") for i, d in
           enumerate(["gmail.com"] * 40 + ["yahoo.com"] * 30 + ["outlook.com"] * 10)]
batch1 += [ev("spamreport", "angry@hotmail.com", "spring-promo")]
batch2 = [ev("bounce", f"lost{i}@gmail.com", "autumn-news", reason=GONE, status="5.1.1",
             type="bounce") for i in range(10)]
batch2 += [ev("delivered", f"fine{i}@gmail.com", "autumn-news", response="250 2.0.0 OK")
           for i in range(20)]
batch2 += [dict(batch1[0])]  # a duplicate: acknowledged, not stored twice
XSS = '<img src=x onerror="window.__rbInjected=1">'
batch2 += [ev("delivered", "fine-too@gmail.com", XSS, response="250 2.0.0 OK")]  # shown as text
SNS_URL = ("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn="
           "arn:aws:sns:us-east-1:123456789012:rebound-dash&Token=2336412f37fb687f5d51e6e2425dash")
SNS = {"Type": "SubscriptionConfirmation", "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
       "Token": "2336412f37fb687f5d51e6e2425dash", "TopicArn": "arn:aws:sns:us-east-1:123456789012:rebound-dash",
       "Message": "You have chosen to subscribe to the topic arn:aws:sns:us-east-1:123456789012:rebound-dash.",
       "SubscribeURL": SNS_URL, "Timestamp": "2026-01-01T00:00:00.000Z", "SignatureVersion": "1",
       "Signature": "EXAMPLE", "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-dash.pem"}

# 1. the API answers
st, body = request("GET", "/api/health", token=None)
health = as_json(body) or {}
check(st == 200 and health.get("status") == "ok", f"GET /api/health without a token: {st} {body[:200]!r}")
check(health.get("events") == 0, f"a new store has no events: {health}")

# 2. the page, empty
cdp = CDP(page_ws_url(int(DTPORT)))
for domain in ("Page", "Network", "Runtime", "Log"):
    cdp.send(domain + ".enable")
cdp.send("Emulation.setDeviceMetricsOverride", width=1280, height=1000, deviceScaleFactor=1,
         mobile=False)
cdp.send("Page.navigate", url=BASE + "/?refresh=1")
polled = cdp.wait_for("+document.getElementById('updated')?.dataset.polls >= 1", 10)
check(polled, "the page loaded and polled the API once within 10 s")
def js(expr):
    return cdp.evaluate(expr)
def val(id_):
    return js(f"document.getElementById({json.dumps(id_)})?.dataset.value ?? null")
def keys(id_):
    return js(f"[...document.querySelectorAll('#{id_} [data-key]')]"
              ".map(e => [e.dataset.key, +e.dataset.value])") or []
check(js("document.getElementById('status').dataset.state") == "live", "the status shows live")
check(val("total-events") == "0", f"#total-events is 0 on a new store, got {val('total-events')!r}")
check(val("total-bounces") == "0", "#total-bounces is 0")
check(val("bounce-rate") == "", "the bounce rate is unknown (nothing sent)")
check(js("document.querySelectorAll('.diagnosis').length") == 0, "no diagnosis card")
check(keys("providers") == [] and keys("families") == [], "no provider or family rows")
check(js("!!document.querySelector('#diagnoses .empty')"), "the diagnoses say nothing stands out")
js("window.__rbSession = 'one page load'")  # gone if the page reloads

# 3. the first batch
st, body = request("POST", "/webhooks/sendgrid", batch1[:3], token="wrong")
check(st == 401, f"a webhook with a wrong token is refused with 401, got {st}")
st, body = request("POST", "/webhooks/sendgrid", batch1)
ack = as_json(body) or {}
check(st == 200 and ack.get("stored") == len(batch1), f"batch 1: 200 stored={len(batch1)}, got {st} {body[:200]!r}")
t0 = time.monotonic()
seen = cdp.wait_for(f"document.getElementById('total-events').dataset.value === '{len(batch1)}'", 10)
check(seen, f"#total-events shows {len(batch1)} within 10 s, got {val('total-events')!r}")
print(f"  batch 1 on the page after {time.monotonic() - t0:.1f} s", flush=True)
check(val("total-bounces") == "37", f"#total-bounces 37 (25 + 12), got {val('total-bounces')!r}")
check(val("total-deferred") == "30", f"#total-deferred 30, got {val('total-deferred')!r}")
check(val("total-complaints") == "1", f"#total-complaints 1, got {val('total-complaints')!r}")
rate = val("bounce-rate")
check(rate not in (None, "") and abs(float(rate) - 37 / 117) < 1e-4, f"bounce rate 37/117, got {rate!r}")
prov = dict(keys("providers"))
check(prov.get("google") == 25, f"#providers google 25, got {prov}")
check(prov.get("yahoo") == 30, f"#providers yahoo 30, got {prov}")
check(prov.get("microsoft365") == 12, f"#providers microsoft365 12, got {prov}")
fam = dict(keys("families"))
check(fam.get("5.1.x") == 25 and fam.get("4.7.x") == 30 and fam.get("5.7.x") == 12,
      f"#families 5.1.x 25, 4.7.x 30, 5.7.x 12, got {fam}")
cat = dict(keys("categories"))
check(cat.get("address") == 25 and cat.get("reputation") == 30 and cat.get("authentication") == 12,
      f"#categories address 25, reputation 30, authentication 12, got {cat}")
check(dict(keys("campaigns")).get("spring-promo") == 67, f"#campaigns spring-promo 67, got {keys('campaigns')}")
cards = js("[...document.querySelectorAll('.diagnosis[data-id]')].map(e => [e.dataset.id, e.dataset.severity,"
           " e.querySelector('.title').textContent, e.querySelector('.action').textContent])") or []
ids = {c[0] for c in cards}
check(cards, "at least one diagnosis card")
check("bounce-rate-critical" in ids, f"the bounce-rate-critical card, got {sorted(ids)}")
check("provider-throttling" in ids, f"the provider-throttling card (Yahoo TSS04), got {sorted(ids)}")
check(all(c[1] in ("critical", "warning", "info", "ok") and c[2] and c[3] for c in cards),
      f"every card has a severity, a title and an action: {cards}")
check(any("yahoo" in c[2] for c in cards if c[0] == "provider-throttling"), "the throttling card names yahoo")
check(js("document.querySelectorAll('#timeline rect[data-start]').length") >= 1, "the time series has bars")
check(js("document.querySelectorAll('#templates tr[data-count]').length") >= 3, "the reply templates are listed")
st, body = request("GET", "/api/health", token=None)
sup = (as_json(body) or {}).get("suppressions")
check(isinstance(sup, int) and sup >= 25, f"the 25 hard bounces are suppressed: {body[:200]!r}")
ok = cdp.wait_for(f"document.getElementById('suppressions').dataset.value === '{sup}'", 5)
check(ok, f"#suppressions shows /api/health's {sup}, got {val('suppressions')!r}")

# 4. the second batch, same page session
st, body = request("POST", "/webhooks/sendgrid", batch2)
ack = as_json(body) or {}
check(st == 200 and ack.get("stored") == len(batch2) - 1 and ack.get("duplicates") == 1,
      f"batch 2: stored {len(batch2) - 1}, 1 duplicate, got {st} {body[:200]!r}")
total = len(batch1) + len(batch2) - 1
seen = cdp.wait_for(f"document.getElementById('total-events').dataset.value === '{total}'", 10)
check(seen, f"#total-events changes to {total} within 10 s, got {val('total-events')!r}")
check(val("total-bounces") == "47", f"#total-bounces 47, got {val('total-bounces')!r}")
check(dict(keys("providers")).get("google") == 35, f"#providers google 35, got {keys('providers')}")
check(dict(keys("families")).get("5.1.x") == 35, f"#families 5.1.x 35, got {keys('families')}")
check(dict(keys("campaigns")).get("autumn-news") == 10, f"#campaigns autumn-news 10, got {keys('campaigns')}")
check(js("window.__rbSession") == "one page load", "updated in the same page, without a reload")
check(js("[...document.querySelectorAll('#campaigns .key')].some(e => e.textContent === %s)" % json.dumps(XSS)),
      "a campaign named with markup is shown as text")
check(js("document.querySelectorAll('img').length === 0 && !window.__rbInjected"), "and no markup from the API runs")

# 5. an SNS subscription confirmation: a banner with the URL, which nobody fetches
st, body = request("POST", "/webhooks/ses", SNS, headers=[("x-amz-sns-message-type", "SubscriptionConfirmation")])
check(st == 200, f"POST /webhooks/ses (SubscriptionConfirmation): 200, got {st} {body[:200]!r}")
seen = cdp.wait_for("document.querySelector('#notices .notice[data-kind=\"ses-subscription\"]')?.textContent", 10)
check(seen and "rebound-dash" in seen, f"the notice banner names the topic: {seen!r}")
check(js("document.querySelector('#notices .notice a')?.href") == SNS_URL, "the banner links the SubscribeURL")
check(js("+document.getElementById('updated').dataset.polls") >= 3, "the page kept polling")

# a hidden tab stops polling and a visible one resumes (document.hidden overridden in the page)
js("Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
   "document.dispatchEvent(new Event('visibilitychange'))")
time.sleep(0.5)  # a poll under way may still finish
n0 = js("+document.getElementById('updated').dataset.polls")
time.sleep(2.5)
check(js("document.getElementById('status').dataset.state") == "paused" and
      js("+document.getElementById('updated').dataset.polls") == n0, "no polling while the tab is hidden")
js("delete document.hidden; document.dispatchEvent(new Event('visibilitychange'))")
check(cdp.wait_for(f"+document.getElementById('updated').dataset.polls > {n0}", 5), "polling resumes when visible")

# 6. no request outside the origin, no script error, the CSP
reqs = [p["request"]["url"] for m, p in cdp.events if m == "Network.requestWillBeSent"]
outside = [u for u in reqs if not (u.startswith(BASE + "/") or u.startswith("data:"))]
check(reqs and not outside, f"every request stays on {BASE}: {outside[:5]}")
check(any(u.startswith(BASE + "/api/report") for u in reqs) and
      any(u.startswith(BASE + "/api/health") for u in reqs), "the page polls /api/report and /api/health")
entries = js("[...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]"
             ".map(e => e.name)") or []
check(entries and all(u.startswith(BASE + "/") or u.startswith("data:") for u in entries),
      f"performance entries stay on the origin: {[u for u in entries if not u.startswith(BASE)][:5]}")
errors = [p.get("exceptionDetails", {}).get("text") for m, p in cdp.events if m == "Runtime.exceptionThrown"]
errors += [p["entry"].get("text") for m, p in cdp.events
           if m == "Log.entryAdded" and p["entry"].get("level") == "error"]
check(not errors, f"no script error or CSP violation: {errors[:3]}")
doc = [p["response"] for m, p in cdp.events if m == "Network.responseReceived"
       and p["response"]["url"].split("?")[0] == BASE + "/"]
hdr = {k.lower(): v for k, v in (doc[0]["headers"] if doc else {}).items()}
check(hdr.get("content-type", "").startswith("text/html"), f"GET / is text/html: {hdr.get('content-type')}")
check("default-src 'self'" in hdr.get("content-security-policy", ""), f"GET / sends the CSP: {hdr}")

# 7. the screenshot
png = cdp.screenshot(1280, 2400)
if SHOT:
    with open(SHOT, "wb") as f:
        f.write(png)
check(png[:8] == b"\x89PNG\r\n\x1a\n", "the screenshot is a PNG")
w, h, depth, ctype = struct.unpack(">IIBB", png[16:26])
check(w == 1280 and h >= 800, f"screenshot size {w}x{h}")
data, pos = b"", 8
while pos < len(png):
    n, kind = struct.unpack(">I4s", png[pos:pos + 8])
    if kind == b"IDAT":
        data += png[pos + 8:pos + 8 + n]
    pos += 12 + n
raw, bpp = zlib.decompress(data), {2: 3, 6: 4}.get(ctype, 0)
check(depth == 8 and bpp, f"8-bit RGB(A), got depth {depth} type {ctype}")
colours, stride, prev = set(), w * bpp, bytearray(w * bpp)
for y in range(h if bpp else 0):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    if f == 2:  # the common filters of a screenshot, undone quickly
        line = bytearray((a + b) & 255 for a, b in zip(line, prev))
    elif f:
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    if y % 4 == 0:
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp * 2))
check(len(colours) > 50, f"{len(colours)} colours: a rendered page, not a blank one")
check([c for c in colours if c[0] > 180 and c[1] < 80 and c[2] < 80], "the red of the critical cards is drawn")

# 8. the server stops: the page says so
os.kill(int(SPID), signal.SIGTERM)
err = cdp.wait_for("document.getElementById('status').dataset.state === 'error' && "
                   "getComputedStyle(document.getElementById('error')).display !== 'none'", 10)
check(err, "the page shows the server unreachable after it stops")
check(val("total-events") == str(total), "the last figures stay on the page")
cdp.close()
with open(f"{T}/counts", "w") as f:
    f.write(f"{passed} {failed}\n")
PY
if [ -s "$T/counts" ]; then
  read -r passed failed < "$T/counts"
else
  echo "FAIL: the browser checks did not finish (exit $rc)"
  passed=0 failed=1
fi
if [ "$selftest" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: cdp.py selftest"; fi
# The server was sent SIGTERM by the checks above (or is sent it now): it exits, with status 0.
kill -TERM "$SPID" 2> /dev/null || true
if wait_for 10 gone "$SPID"; then
  src=0
  wait "$SPID" || src=$?
  SPID=
  if [ "$src" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: rebound serve exited $src on SIGTERM"; fi
else
  failed=$((failed + 1))
  echo "FAIL: rebound serve still running 10 s after SIGTERM"
fi
[ "$failed" -eq 0 ] || { echo "--- rebound serve stderr"; tail -n 20 "$T/serve.err"; }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]
