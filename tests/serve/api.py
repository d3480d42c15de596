#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""api.py - the HTTP checks of tests/serve/api.sh (stdlib only).

    api.py BASE_URL phase1|phase2 FIXTURES_DIR STATE_FILE

phase1 posts to every receiver and checks the API; phase2 runs after a restart of the server
on the same store and checks that everything acknowledged is still there.
"""
import hashlib
import hmac
import json
import sys
import urllib.error
import urllib.request

BASE, PHASE, FIX, STATE = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
TOKEN = "s3cret"
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def call(method, path, body=None, token=TOKEN, headers=None, raw=False):
    data = body if isinstance(body, (bytes, type(None))) else body.encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            text, code, hdrs = r.read().decode(), r.status, dict(r.headers)
    except urllib.error.HTTPError as e:
        text, code, hdrs = e.read().decode(), e.code, dict(e.headers)
    if raw:
        return code, text, hdrs
    try:
        return code, json.loads(text) if text else None
    except ValueError:
        return code, {"_raw": text}


def sendgrid_batch(prefix, n):
    ev = []
    for i in range(n):
        ev.append({"email": f"user{i}@gmail.com", "timestamp": 1763900000 + i, "event": "bounce",
                   "sg_event_id": f"{prefix}-{i}", "sg_message_id": f"m{i}",
                   "reason": "550 5.1.1 The email account that you tried to reach does not exist.",
                   "status": "5.1.1", "type": "bounce", "category": ["spring"]})
    return json.dumps(ev)


def phase1():
    code, h = call("GET", "/api/health", token=None)
    check(code == 200 and h["status"] == "ok" and h["events"] == 0, f"health on an empty store {h}")

    # SendGrid: 5 bounces, stored once even when posted twice
    code, r = call("POST", "/webhooks/sendgrid", sendgrid_batch("sg", 5))
    check(code == 200 and r == {"stored": 5, "duplicates": 0, "ignored": 0, "suppressed": 5},
          f"sendgrid stored {code} {r}")
    code, r = call("POST", "/webhooks/sendgrid", sendgrid_batch("sg", 5))
    check(code == 200 and r["stored"] == 0 and r["duplicates"] == 5, f"sendgrid again: dups {r}")

    # SES through SNS: the subscription becomes a notice (its URL never fetched), a
    # notification naming two recipients stores two events
    lines = open(f"{FIX}/ses-sns.in", encoding="utf-8").read().splitlines()
    code, r = call("POST", "/webhooks/ses", lines[0],
                   headers={"x-amz-sns-message-type": "SubscriptionConfirmation"})
    check(code == 200 and r.get("notice") == "recorded" and "ConfirmSubscription" in r.get("url", ""),
          f"sns subscription noticed {code} {r}")
    msg = {"notificationType": "Bounce",
           "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "feedbackId": "fb-two",
                      "timestamp": "2025-11-23T10:00:00.000Z",
                      "bouncedRecipients": [
                          {"emailAddress": "one@outlook.com", "status": "5.1.10",
                           "diagnosticCode": "smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"},
                          {"emailAddress": "two@outlook.com", "status": "5.1.10",
                           "diagnosticCode": "smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"}]},
           "mail": {"timestamp": "2025-11-23T09:59:00.000Z", "source": "news@shop.example",
                    "messageId": "ses-m-1", "destination": ["one@outlook.com", "two@outlook.com"]}}
    env = {"Type": "Notification", "MessageId": "sns-1", "TopicArn": "arn:aws:sns:eu-west-1:1:b",
           "Message": json.dumps(msg), "Timestamp": "2025-11-23T10:00:01.000Z"}
    code, r = call("POST", "/webhooks/ses", json.dumps(env))
    check(code == 200 and r["stored"] == 2, f"ses: one feedbackId, two recipients stored {r}")

    # Mailgun: signed with the key verifies; a forged signature is refused
    ev = {"event": "failed", "severity": "permanent", "id": "mg-1", "timestamp": 1763900100.5,
          "recipient": "gone@yahoo.com",
          "delivery-status": {"code": 554, "message": "554 delivery error: dd This user doesn't have a yahoo.com account (gone@yahoo.com) [0] - mta1", "description": ""},
          "envelope": {"sender": "b@mg.shop.example", "sending-ip": "192.0.2.70"},
          "message": {"headers": {"message-id": "mgm-1"}}}
    ts, tok = "1763900100", "f" * 50
    sig = hmac.new(b"mg-key", (ts + tok).encode(), hashlib.sha256).hexdigest()
    body = {"signature": {"timestamp": ts, "token": tok, "signature": sig}, "event-data": ev}
    code, r = call("POST", "/webhooks/mailgun", json.dumps(body))
    check(code == 200 and r["stored"] == 1, f"mailgun signed stored {code} {r}")
    body["signature"]["signature"] = "0" * 64
    code, r = call("POST", "/webhooks/mailgun", json.dumps(body))
    check(code == 401 and "signature" in r["error"], f"mailgun forged refused {code} {r}")

    # Postmark, SparkPost and generic from the fixtures (the reader tells them apart)
    for hook, fixture in (("postmark", "postmark.in"), ("sparkpost", "sparkpost.in")):
        code, r = call("POST", f"/webhooks/{hook}", open(f"{FIX}/{fixture}", "rb").read())
        check(code == 200 and r["stored"] >= 1, f"{hook} stored {code} {r}")
    gen = [{"email": "x@gmx.de", "event": "bounce", "timestamp": 1763900200,
            "reason": "550 5.1.1 Mailbox not found", "id": "gen-1"}]
    code, r = call("POST", "/webhooks/generic", json.dumps(gen))
    check(code == 200 and r["stored"] + r["ignored"] >= 1, f"generic accepted {code} {r}")

    # errors: no token, wrong token, malformed JSON, unknown receiver, unknown path, method
    code, r = call("POST", "/webhooks/sendgrid", "[]", token=None)
    check(code == 401, f"no token: {code}")
    code, r = call("POST", "/webhooks/sendgrid", "[]", token="wrong")
    check(code == 401, f"wrong token: {code}")
    code, r = call("POST", "/webhooks/sendgrid", '[{"email": "a@b.c", ')
    check(code == 400 and "malformed" in r["error"], f"malformed JSON 400 with a reason {r}")
    code, r = call("POST", "/webhooks/nosuch", "[]")
    check(code == 404, f"unknown receiver {code}")
    code, r = call("GET", "/etc/passwd")
    check(code == 404, f"unknown path {code}")
    code, r = call("DELETE", "/api/health")
    check(code == 405, f"method not allowed {code}")

    # suppressions: the SendGrid hard bounces are listed; add, get, remove by hand
    code, r = call("GET", "/api/suppressions/user0@gmail.com", token=None)
    check(code == 200 and r["suppressed"] and r["reason"] == "userunknown", f"suppressed {r}")
    code, r = call("PUT", "/api/suppressions/Manual@Example.com", '{"reason":"manual"}', token=None)
    check(code == 401, "suppression add needs the token")
    code, r = call("PUT", "/api/suppressions/Manual@Example.com", '{"reason":"manual"}')
    check(code == 200 and r["added"], f"suppression added {r}")
    code, r = call("GET", "/api/suppressions/manual@example.com")
    check(r["suppressed"] and r["rule"] == "manual", f"suppression read back {r}")
    code, r = call("POST", "/api/check", "user1@gmail.com\nfresh@gmail.com\nnot an address\n")
    check(code == 200 and r["checked"] == 3 and r["suppressed"] == 1 and r["invalid"] == 1,
          f"check {r}")
    code, r = call("DELETE", "/api/suppressions/user4@gmail.com")
    check(code == 200 and r["removed"], f"suppression removed {r}")
    code, r = call("DELETE", "/api/suppressions/user4@gmail.com")
    check(code == 200 and not r["removed"], f"removed once {r}")

    # events with filters, explain, notices, report, metrics
    code, r = call("GET", "/api/events?provider=&kind=bounced&limit=3")
    check(code == 200 and len(r["events"]) == 3 and r["truncated"], f"events limit {r.get('matched')}")
    code, r = call("GET", "/api/events?recipient=two@outlook.com")
    check(len(r["events"]) == 1 and r["events"][0]["status"] == "5.1.10", f"events by recipient {r}")
    code, r = call("GET", "/api/events?kind=nonsense")
    check(code == 400, "bad kind refused")
    code, r = call("GET", "/api/explain?text=550-5.7.26%20Unauthenticated%20email%20is%20not%20accepted")
    check(code == 200 and r["deliverystatus"] == "5.7.26", f"explain {r}")
    code, r = call("POST", "/api/explain", "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred\n550 5.1.1 user unknown\n")
    check(code == 200 and len(r["results"]) == 2, "explain lines")
    code, r = call("GET", "/api/notices")
    check(len(r["notices"]) == 1 and r["notices"][0]["kind"] == "ses-subscription", f"notices {r}")
    code, r = call("GET", "/api/report")
    check(code == 200 and r["totals"]["bounced"] >= 9, f"live report totals {r.get('totals')}")
    before = r["totals"]["events"]
    call("POST", "/webhooks/sendgrid", sendgrid_batch("live", 3))
    code, r = call("GET", "/api/report")
    check(r["totals"]["events"] == before + 3, f"the live report moves after it was rendered {r['totals']}")
    code, r = call("GET", "/api/report?filter=provider%3Dnosuch")
    check(code == 200 and r["totals"]["events"] == 0, "report with a filter reads the store")
    code, r = call("GET", "/api/report?filter=bogus%3D1")
    check(code == 400, f"bad filter refused {code}")
    code, text, hdrs = call("GET", "/metrics", raw=True)
    check(code == 200 and "rebound_events_stored_total" in text and
          'rebound_webhook_requests_total{receiver="sendgrid"}' in text, "metrics")
    code, text, hdrs = call("GET", "/", raw=True)
    check(code == 200 and "<html" in text.lower() and "default-src 'self'" in hdrs.get("Content-Security-Policy", ""),
          "dashboard page with a CSP")
    code, h = call("GET", "/api/health")
    json.dump(h, open(STATE, "w"))
    check(h["notices"] == 1, f"health counts the notice {h}")


def phase2():
    code, h = call("GET", "/api/health")
    before = json.load(open(STATE))
    check(h["events"] == before["events"] and h["suppressions"] == before["suppressions"],
          f"after a restart the same store: {h} vs {before}")
    code, r = call("POST", "/webhooks/sendgrid", sendgrid_batch("sg", 5))
    check(r["duplicates"] == 5, "still idempotent after the restart")
    code, r = call("GET", "/api/report")
    check(r["totals"]["events"] == before["events"], "live report rebuilt from the store")


try:
    phase1() if PHASE == "phase1" else phase2()
finally:
    print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
