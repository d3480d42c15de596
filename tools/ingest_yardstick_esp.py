#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""ingest_yardstick_esp.py - score `rebound ingest` on the public ESP webhook samples.

Feeds every payload of ../shared/corpus/logs/esp/*/anymail-tests/cases.json (the literal
payloads of django-anymail's webhook tests with the values the tests assert) and every
documented sample file (AWS SES guide, SendGrid docs, Mailgun docs, Postmark, SparkPost,
KumoMTA docs) to `rebound ingest --output json`, and prints per ESP: payloads, payloads that
could be fed (some tests build theirs in code the extractor could not evaluate), events,
skipped documents, and how many of anymail's asserted event types, recipients, reject reasons
and MTA responses rebound's events agree with.

usage: tools/ingest_yardstick_esp.py [--rebound PATH] [--corpus DIR] [-v]

Event types are compared through this mapping of anymail's vocabulary to rebound's kinds
(anymail types with no delivery outcome - queued, opened, clicked, unsubscribed ... - must
give no event):
  delivered, sent -> delivered     bounced -> bounced     deferred -> deferred
  rejected -> dropped              failed -> dropped or bounced
  complained -> complaint          autoresponded -> none (or a deferral/bounce)
Reject reasons: invalid -> an address-level reason; blocked -> a sender-side reason
(blocked, badreputation, policyviolation, ...); spam -> spamdetected/feedback/blocked;
timed_out -> expired/networkerror; bounced -> any failure; other reasons are not compared.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

KIND_OK = {
    "delivered": {"delivered"},
    "sent": {"delivered", None},
    "bounced": {"bounced"},
    "deferred": {"deferred"},
    "rejected": {"dropped"},
    "failed": {"dropped", "bounced"},
    "complained": {"complaint"},
    "autoresponded": {None, "deferred", "bounced"},
    "queued": {None},
    "opened": {None},
    "clicked": {None},
    "unsubscribed": {None},
    "subscribed": {None},
    "inbound": {None},
    "inbound_failed": {None},
}
ADDRESS = {"userunknown", "hostunknown", "syntaxerror", "suspend", "notaccept", "hasmoved"}
SENDER_SIDE = {"blocked", "badreputation", "policyviolation", "rejected", "filtered",
               "authfailure", "spamdetected", "securityerror", "norelaying", "toomanyconn",
               "speeding", "requireptr", "virusdetected", "contenterror"}
REASON_OK = {
    "invalid": ADDRESS,
    "blocked": SENDER_SIDE,
    "spam": {"spamdetected", "feedback", "blocked", "filtered", "badreputation"},
    "timed_out": {"expired", "networkerror"},
}

DOC_DIRS = {
    "amazon_ses": ["amazon_ses/aws-ses-developer-guide"],
    "sendgrid": ["sendgrid/sendgrid-docs"],
    "mailgun": ["mailgun/mailgun-documentation"],
    "postmark": ["postmark/postmarkapp-docs"],
    "sparkpost": ["sparkpost/developers.sparkpost.com"],
    "kumomta": ["../kumomta/kumomta-docs", "../kumomta/kumomta-issues"],
}


def run(rebound, data, fmt=None):
    """feed data (bytes) on stdin; returns (events, skipped, skip reasons)"""
    cmd = [rebound, "ingest", "--output", "json"]
    if fmt:
        cmd += ["--format", fmt]
    p = subprocess.run(cmd, input=data, capture_output=True, timeout=60)
    events = [json.loads(line) for line in p.stdout.decode().splitlines() if line.strip()]
    skipped, reasons = 0, []
    for line in p.stderr.decode().splitlines():
        m = re.search(r"other lines, (\d+) skipped", line)
        if m:
            skipped = int(m.group(1))
        m = re.match(r"rebound:\s+skipped \d+: (.*) \(first at line \d+\)$", line)
        if m:
            reasons.append(m.group(1))
    return events, skipped, reasons


def payload_of(esp, case):
    """the bytes the webhook would have received, or None if not recoverable"""
    pd = case.get("posted_data")
    pv = case.get("payload_vars") or {}
    if isinstance(pd, str) and not pd.startswith("<"):
        return pd.encode()
    if esp == "amazon_ses" and "raw_sns_message" in pv:
        return json.dumps(pv["raw_sns_message"]).encode()
    if esp == "mandrill" and "raw_events" in pv:
        return ("mandrill_events=" + urllib.parse.quote_plus(json.dumps(pv["raw_events"]))).encode()
    for k in ("raw_events", "raw_event", "payload"):
        if k in pv:
            return json.dumps(pv[k]).encode()
    return None


def expectations(exp):
    """[(index, field, value)] from anymail's asserted values"""
    out = []
    for k, v in exp.items():
        idx = 0
        key = k
        if k.startswith("events[") and "]." in k:
            idx = int(k[7:k.index("]")])
            key = "event." + k.split("].", 1)[1]
        if key in ("event.event_type", "event.recipient", "event.reject_reason",
                   "event.mta_response"):
            out.append((idx, key[6:], v))
    return out


def score_anymail(rebound, corpus, verbose):
    rows = []
    for esp in sorted(os.listdir(corpus)):
        path = os.path.join(corpus, esp, "anymail-tests", "cases.json")
        if not os.path.exists(path):
            continue
        cases = json.load(open(path))
        r = dict(esp=esp, payloads=len(cases), fed=0, events=0, skipped=0,
                 type_n=0, type_ok=0, rcpt_n=0, rcpt_ok=0, reason_n=0, reason_ok=0,
                 text_n=0, text_ok=0)
        for case in cases:
            data = payload_of(esp, case)
            if data is None:
                continue
            r["fed"] += 1
            evs, skipped, reasons = run(rebound, data)
            r["events"] += len(evs)
            r["skipped"] += skipped
            # anymail's event i <-> rebound's events in order; events with no outcome are
            # not emitted by rebound, so align by recipient when one is asserted
            for idx, field, want in expectations(case.get("expected_anymail") or {}):
                if not isinstance(want, str) or want.startswith("<"):
                    continue
                ev = evs[idx] if idx < len(evs) else None
                # rebound emits no event for opens, sends ...: align by the asserted recipient
                want_rcpt = [v for i, f, v in expectations(case.get("expected_anymail") or {})
                             if i == idx and f == "recipient" and isinstance(v, str)]
                if want_rcpt:
                    hit = [e for e in evs if e.get("recipient", "").lower() == want_rcpt[0].lower()]
                    if hit:
                        ev = hit[0]
                if field == "event_type":
                    ok_set = KIND_OK.get(want)
                    if ok_set is None:
                        continue
                    got = ev["event"] if ev else None
                    r["type_n"] += 1
                    ok = got in ok_set
                    r["type_ok"] += ok
                elif field == "recipient":
                    if ev is None:
                        continue
                    r["rcpt_n"] += 1
                    ok = ev.get("recipient", "").lower() == want.lower()
                    r["rcpt_ok"] += ok
                elif field == "reject_reason":
                    if ev is None or want not in REASON_OK and want != "bounced":
                        continue
                    r["reason_n"] += 1
                    got = ev.get("reason")
                    if want == "bounced":
                        ok = ev["event"] in ("bounced", "dropped", "expired")
                    else:
                        ok = got in REASON_OK[want]
                    r["reason_ok"] += ok
                elif field == "mta_response":
                    if ev is None:
                        continue
                    r["text_n"] += 1
                    got = ev.get("diagnosticcode", "")
                    w = want.split(";", 1)[1].strip() if want[:5].lower() == "smtp;" else want
                    ok = bool(got) and (got in w or w in got)
                    r["text_ok"] += ok
                else:
                    continue
                if verbose and not ok:
                    print(f"  {esp} {case['source'].split('::')[-1]}: {field} want {want!r}, "
                          f"got {ev and {k: ev.get(k) for k in ('event', 'recipient', 'reason', 'diagnosticcode')}}",
                          file=sys.stderr)
        rows.append(r)
    return rows


def score_docs(rebound, corpus):
    rows = []
    for esp, dirs in DOC_DIRS.items():
        files = events = skipped = 0
        reasons = {}
        for d in dirs:
            full = os.path.normpath(os.path.join(corpus, d))
            if not os.path.isdir(full):
                continue
            for name in sorted(os.listdir(full)):
                if not name.endswith((".json", ".jsonc", ".ndjson", ".txt")):
                    continue
                data = open(os.path.join(full, name), "rb").read()
                fmt = "json" if name.endswith(".txt") else None
                if name.endswith(".txt"):  # key fragments: wrap them into one object
                    lines = [l for l in data.decode().splitlines() if l.startswith('"')]
                    data = ("{" + ",".join(lines) + ',"recipient":"x@example.com"}').encode()
                files += 1
                evs, sk, rs = run(rebound, data, fmt)
                events += len(evs)
                skipped += sk
                for x in rs:
                    reasons[x] = reasons.get(x, 0) + 1
        rows.append(dict(esp=esp, files=files, events=events, skipped=skipped, reasons=reasons))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rebound", default=os.path.join(ROOT, "build-json", "rebound"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus", "logs", "esp"))
    ap.add_argument("-v", action="store_true", help="print each disagreement on stderr")
    a = ap.parse_args()
    rows = score_anymail(a.rebound, a.corpus, a.v)
    print("anymail webhook tests (payloads the tests post, values they assert):")
    print("| ESP | payloads | fed | events | skipped | event type | recipient | reason | MTA response |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    tot = {}
    for r in rows:
        for k, v in r.items():
            if k != "esp":
                tot[k] = tot.get(k, 0) + v

    def frac(r, k):
        return f"{r[k + '_ok']}/{r[k + '_n']}" if r[k + "_n"] else "-"

    for r in rows + [dict(tot, esp="**all**")]:
        print(f"| {r['esp']} | {r['payloads']} | {r['fed']} | {r['events']} | {r['skipped']} | "
              f"{frac(r, 'type')} | {frac(r, 'rcpt')} | {frac(r, 'reason')} | {frac(r, 'text')} |")
    print()
    print("documented samples (no asserted values: events and skips):")
    print("| source | files | events | skipped | skip reasons |")
    print("| --- | ---: | ---: | ---: | --- |")
    for r in score_docs(a.rebound, a.corpus):
        rs = "; ".join(f"{k} x{v}" for k, v in sorted(r["reasons"].items()))
        print(f"| {r['esp']} | {r['files']} | {r['events']} | {r['skipped']} | {rs} |")


if __name__ == "__main__":
    main()
