#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""ingest_yardstick.py - run `rebound ingest` on the public log samples in ../shared/corpus/logs
and report, per source: lines, events, ignored ("other") lines, skipped lines, and, where the
source states expected values ([exp] in corpus/logs/README.md), how many of them rebound matches.

    tools/ingest_yardstick.py [--bin build/rebound] [--corpus ../shared/corpus/logs] [--verbose]

Matching rules (per source; a record matches when every field compared agrees):
  postfix/whyscream   delivery lines (postfix_status): kind, recipient, queue id, dsn, relay
                      host and ip; other daemons' lines: rebound must emit no event.
  postfix/sekoia      action sent/deferred/bounced: kind, recipient, queue id; others: no event.
  sendmail/fluent     per recipient of each expected record: kind (status_canonical), queue id,
                      sender, message-id, dsn, relay ip, delay (timestamps: the plugin read the
                      syslog time as JST; rebound as UTC, so only a constant offset is checked).
  sendmail/mozilla    the to= case: kind, recipient, relay host/ip, dsn, queue id, delay; the
                      from= case (no event): sender and message-id through a probe line; the
                      SYSERR case: no event.
  exim/logstash       arrival lines (no event): sender and message-id checked through a probe
                      failure line with the same message id; the "**" case grok rejects.
  powermta/port25     the guide's 4 rows: kind, recipient, sender, time, sending IP, and the
                      bounceCat-derived reason.
  fail2ban, wazuh     inbound rejects / auth failures: a bounce analyzer must emit no event.
Lines that hold test-harness text (fail2ban "# failJSON" comments, wazuh .ini keys) are removed
before feeding; only the log lines are counted.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUMMARY = re.compile(r"(\d+) lines, (\d+) events \((.*?)\), (\d+) other lines, (\d+) skipped")


def run(binary, text, args=()):
    """feed text to `rebound ingest`; returns (events, stats dict, stderr)"""
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False, encoding="utf-8",
                                     errors="surrogateescape") as f:
        f.write(text)
        path = f.name
    try:
        p = subprocess.run([binary, "ingest", *args, path], capture_output=True, text=True,
                           errors="replace")
    finally:
        os.unlink(path)
    events = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    m = SUMMARY.search(p.stderr)
    st = {"lines": 0, "events": 0, "ignored": 0, "skipped": 0}
    if m:
        st = {"lines": int(m.group(1)), "events": int(m.group(2)), "ignored": int(m.group(4)),
              "skipped": int(m.group(5))}
    return events, st, p.stderr


def read(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return f.read()


def strip_fail2ban(text):
    return "".join(l for l in text.splitlines(True) if not l.startswith("#") and l.strip())


def wazuh_lines(text):
    out = []
    for l in text.splitlines():
        m = re.match(r"log \d+ (?:pass|fail) = (.*)", l)
        if m:
            out.append(m.group(1) + "\n")
    return "".join(out)


class Table:
    def __init__(self, verbose):
        self.rows = []
        self.verbose = verbose

    def add(self, fmt, source, st, expected=None, matched=None, note=""):
        self.rows.append((fmt, source, st, expected, matched, note))

    def miss(self, what):
        if self.verbose:
            print("  miss: " + what, file=sys.stderr)

    def print(self):
        print("| format | source | lines | events | ignored | skipped | expected | matched | notes |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for fmt, source, st, exp, mat, note in self.rows:
            e = "" if exp is None else str(exp)
            m = "" if mat is None else str(mat)
            print(f"| {fmt} | {source} | {st['lines']} | {st['events']} | {st['ignored']} | "
                  f"{st['skipped']} | {e} | {m} | {note} |")


def add_stats(a, b):
    return {k: a[k] + b[k] for k in a}


ZERO = {"lines": 0, "events": 0, "ignored": 0, "skipped": 0}

KIND = {"sent": "delivered", "sent_local": "delivered", "deferred": "deferred",
        "bounced": "bounced", "expired": "expired"}


def eq(a, b):
    return (a or "") == (b or "")


def delay(e):
    """the event's delay in seconds (JSON has delay_ms, or delay), -1 if none"""
    if "delay_ms" in e:
        return e["delay_ms"] / 1000.0
    return e.get("delay", -1)


# ---- postfix ------------------------------------------------------------------------------------

def postfix_whyscream(t, binary, corpus):
    import yaml
    files = sorted(glob.glob(os.path.join(corpus, "postfix/whyscream-postfix-grok-patterns/test/*.yaml")))
    tot, exp, mat, noev_exp, noev_mat = dict(ZERO), 0, 0, 0, 0
    for f in files:
        d = yaml.safe_load(read(f))
        data, res = d.get("data", ""), d.get("results") or {}
        ev, st, _ = run(binary, data + "\n", ["--format", "postfix"])
        tot = add_stats(tot, st)
        status = res.get("postfix_status")
        if status not in KIND:  # delivery lines whose test checks other fields (TLS ...)
            m = re.search(r"^\w+: to=.*status=(sent|deferred|bounced|expired)", data)
            status = m.group(1) if m else None
        if status in KIND:
            exp += 1
            kv = res.get("postfix_keyvalue_data", data)
            to = re.search(r"to=<?([^>,]*)>?,", kv)
            ok = len(ev) == 1 and ev[0]["event"] == KIND[status]
            if ok and to:
                ok = eq(ev[0].get("recipient"), to.group(1))
            if ok and "postfix_queueid" in res:
                ok = eq(ev[0].get("queueid"), str(res["postfix_queueid"]))
            dsn = re.search(r"dsn=([0-9.]+)", kv)
            if ok and dsn:
                ok = eq(ev[0].get("deliverystatus"), dsn.group(1))
            if ok and "postfix_relay_hostname" in res:
                ok = eq(ev[0].get("rhost"), str(res["postfix_relay_hostname"]).lower())
            if ok and "postfix_relay_ip" in res:
                ok = eq(ev[0].get("rhost_ip"), str(res["postfix_relay_ip"]))
            mat += ok
            if not ok:
                t.miss(f"whyscream {os.path.basename(f)}: {data[:100]} -> {[ (e['event'], e.get('recipient'), e.get('rhost'), e.get('rhost_ip')) for e in ev]}")
        else:
            noev_exp += 1
            noev_mat += len(ev) == 0
            if ev:
                t.miss(f"whyscream {os.path.basename(f)}: unexpected event for {data[:100]}")
    t.add("postfix", f"whyscream grok tests ({len(files)} files, --format postfix)", tot,
          exp, mat, f"delivery lines; plus {noev_mat}/{noev_exp} non-delivery lines rightly without event")


def postfix_sekoia(t, binary, corpus):
    files = sorted(glob.glob(os.path.join(corpus, "postfix/sekoia-intake-formats/tests/*.json")))
    tot, exp, mat, noev_exp, noev_mat = dict(ZERO), 0, 0, 0, 0
    for f in files:
        d = json.loads(read(f))
        msg = d["input"]["message"]
        e = d.get("expected") or {}
        ev, st, _ = run(binary, msg + "\n", ["--format", "postfix"])
        tot = add_stats(tot, st)
        action = (e.get("action") or {}).get("name")
        if action in ("sent", "deferred", "bounced", "expired"):
            exp += 1
            to = ((e.get("email") or {}).get("to") or {}).get("address") or [""]
            qid = ((e.get("postfix") or {}).get("queue_id") or {}).get("local")
            ok = len(ev) == 1 and ev[0]["event"] == KIND[action] and eq(ev[0].get("recipient"), to[0])
            if ok and qid:
                ok = eq(ev[0].get("queueid"), qid)
            mat += ok
            if not ok:
                t.miss(f"sekoia {os.path.basename(f)}: {msg[:100]} -> {[(x['event'], x.get('recipient')) for x in ev]}")
        else:
            noev_exp += 1
            noev_mat += len(ev) == 0
            if ev:
                t.miss(f"sekoia {os.path.basename(f)}: unexpected event for {msg[:100]}")
    t.add("postfix", f"SEKOIA intake tests ({len(files)} messages, --format postfix)", tot, exp, mat,
          f"sent/deferred/bounced; plus {noev_mat}/{noev_exp} other lines rightly without event")


def no_event_source(t, binary, fmt, source, text, args=()):
    ev, st, _ = run(binary, text, args)
    n = st["lines"]
    t.add(fmt, source, st, n, n if not ev else n - len(ev),
          "inbound/auth lines: no outbound event expected")


# ---- sendmail -------------------------------------------------------------------------------------

def sendmail_fluent(t, binary, corpus):
    d = os.path.join(corpus, "sendmail/fluent-plugin-sendmail")
    ev, st, _ = run(binary, read(os.path.join(d, "maillog.txt")), ["--year", "2016"])
    exp = [json.loads(l) for l in read(os.path.join(d, "expected-result.jsonl")).splitlines() if l.strip()]
    n, ok_n, offsets = 0, 0, set()
    used = set()
    for r in exp:
        for to in r["to"]:
            n += 1
            rcpt = to.strip("<>")
            cand = [i for i, e in enumerate(ev) if i not in used and e.get("recipient") == rcpt
                    and e["event"] == KIND.get(r["status_canonical"], "?")]
            ok = False
            for i in cand:
                e = ev[i]
                relay_ip = (r.get("relay_to") or {}).get("ip")
                if (eq(e.get("queueid"), r["qid"]) and eq(e.get("sender"), r["from"].strip("<>"))
                        and eq(e.get("messageid"), r["msgid"].strip("<>"))
                        and eq(e.get("deliverystatus"), r["dsn"])
                        and eq(e.get("rhost_ip"), relay_ip)
                        and abs(delay(e) - r["delay_in_sec"]) < 0.001):
                    used.add(i)
                    offsets.add(e.get("timestamp", 0) - r["time"])
                    ok = True
                    break
            ok_n += ok
            if not ok:
                t.miss(f"fluent {rcpt} {r['status_canonical']}")
    note = "time offset " + ",".join(str(o) for o in sorted(offsets)) + " s (plugin read syslog time as JST)"
    t.add("sendmail", "fluent-plugin-sendmail maillog (per recipient)", st, n, ok_n, note)


def sendmail_mozilla(t, binary, corpus):
    d = json.loads(read(os.path.join(corpus, "sendmail/mozilla-lua_sandbox_extensions/cases.json")))
    tot, n, ok_n = dict(ZERO), 0, 0
    for c in d["cases"]:
        log, x = c["log"], c["expected"]
        ev, st, _ = run(binary, log + "\n", ["--format", "sendmail"])
        tot = add_stats(tot, st)
        n += 1
        if x is None:
            ok = not ev
        elif "to" in x:
            relay = x["relay"].split()
            h = relay[0].rstrip(".")
            ip = relay[1].strip("[]") if len(relay) > 1 else ""
            hh, mm, ss = (int(v) for v in x["delay"].split(":"))
            ok = (len(ev) == 1 and ev[0]["event"] == "delivered"
                  and eq(ev[0].get("recipient"), x["to"].strip("<>"))
                  and eq(ev[0].get("queueid"), x["sendmailid"]) and eq(ev[0].get("rhost"), h)
                  and eq(ev[0].get("rhost_ip"), ip) and eq(ev[0].get("deliverystatus"), x["dsn"])
                  and abs(delay(ev[0]) - (hh * 3600 + mm * 60 + ss)) < 0.001)
        else:  # from= line: no event; probe the queue-id link
            probe = log + "\n" + x["sendmailid"] + ": to=<probe@example.invalid>, delay=00:00:00, mailer=esmtp, dsn=5.1.1, stat=User unknown\n"
            pev, _, _ = run(binary, probe, ["--format", "sendmail"])
            ok = (not ev and len(pev) == 1 and eq(pev[0].get("sender"), x["from"].strip("<>"))
                  and eq(pev[0].get("messageid"), x["msgid"].strip("<>")))
        ok_n += ok
        if not ok:
            t.miss(f"mozilla {log[:80]}")
    t.add("sendmail", "mozilla lua_sandbox cases (bare messages, --format sendmail)", tot, n, ok_n,
          "from= case checked through a probe to= line")


# ---- exim ------------------------------------------------------------------------------------------

def exim_logstash(t, binary, corpus):
    cases = json.loads(read(os.path.join(corpus, "exim/logstash-patterns-core/exim_spec_cases.json")))
    tot, n, ok_n, notes = dict(ZERO), 0, 0, []
    for c in cases:
        msg, rs = c["message"], " ".join(c["expected_rspec"])
        ev, st, _ = run(binary, msg + "\n", ["--format", "exim"])
        tot = add_stats(tot, st)
        if "_grokparsefailure" in rs:
            notes.append(f"'{c['context']}': grok rejects it; rebound emits {len(ev)} {ev[0]['event'] if ev else ''} event")
            continue
        sender = re.search(r'exim_sender_email\\?" => \\?"([^"\\]*)', rs)
        hid = re.search(r'exim_header_id\\?" => \\?"([^"\\]*)', rs)
        if not sender and not hid:
            continue
        n += 1
        m = re.match(r"(\S+ \S+)(?: \[\d+\])? (\S+)", msg)
        probe = msg + "\n" + m.group(1) + " " + m.group(2) + " ** probe@example.invalid: probe\n"
        pev, _, _ = run(binary, probe, ["--format", "exim"])
        ok = not ev and len(pev) == 1
        if ok and sender:
            ok = eq(pev[0].get("sender"), sender.group(1))
        if ok and hid:
            ok = eq(pev[0].get("messageid"), hid.group(1))
        ok_n += ok
        if not ok:
            t.miss(f"logstash {c['context']}")
    t.add("exim", "logstash-patterns-core spec cases (--format exim)", tot, n, ok_n,
          "arrival sender/id= via a probe line; " + "; ".join(notes))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=None)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus", "logs"))
    ap.add_argument("--verbose", action="store_true", help="list mismatches on stderr")
    a = ap.parse_args()
    binary = a.bin
    if not binary:
        for b in ("build/rebound", "build-logs/rebound", "build-asan/rebound"):
            if os.path.exists(os.path.join(ROOT, b)):
                binary = os.path.join(ROOT, b)
                break
    if not binary:
        sys.exit("ingest_yardstick: no rebound binary (use --bin)")
    c = os.path.abspath(a.corpus)
    t = Table(a.verbose)

    def plain(fmt, rel, args=(), text=None, note=""):
        paths = sorted(glob.glob(os.path.join(c, rel)))
        tot = dict(ZERO)
        for p in paths:
            _, st, _ = run(binary, read(p) if text is None else text(read(p)), args)
            tot = add_stats(tot, st)
        if paths:
            t.add(fmt, rel + (f" ({len(paths)} files)" if len(paths) > 1 else ""), tot, note=note)

    # exim
    plain("exim", "exim/exim-testsuite/*.log", note="Exim test suite lines split by flag; no expected values")
    plain("exim", "exim/exim-spec-doc/spec-log-examples.log", note="the spec's examples")
    exim_logstash(t, binary, c)
    no_event_source(t, binary, "exim", "fail2ban exim.log + exim-spam.log",
                    "".join(strip_fail2ban(read(p)) for p in sorted(glob.glob(os.path.join(c, "exim/fail2ban/*.log")))),
                    ["--format", "exim"])
    no_event_source(t, binary, "exim", "wazuh tests-exim.ini", wazuh_lines(read(os.path.join(c, "exim/wazuh-ruleset/tests-exim.ini"))), ["--format", "exim"])
    # sendmail
    sendmail_fluent(t, binary, c)
    sendmail_mozilla(t, binary, c)
    no_event_source(t, binary, "sendmail", "fail2ban sendmail-reject.log + sendmail-auth.log",
                    "".join(strip_fail2ban(read(p)) for p in sorted(glob.glob(os.path.join(c, "sendmail/fail2ban/*.log")))))
    # opensmtpd
    plain("opensmtpd", "opensmtpd/caesonia/maillog-permfail.log", note="1 PermFail line, no expected values")
    plain("opensmtpd", "opensmtpd/poolp.org-blog/maillog-fragments.log", ["--format", "opensmtpd"],
          note="bare messages; one cut by its author ([...]) is skipped")
    no_event_source(t, binary, "opensmtpd", "wazuh tests-opensmtpd.ini (smtp-in lines)",
                    wazuh_lines(read(os.path.join(c, "opensmtpd/wazuh-ruleset/tests-opensmtpd.ini"))))
    # haraka
    plain("haraka", "haraka/haraka-issues/outbound-issue-2754.log",
          note="MX lookups and connection attempts only: no outcome lines in the sample")
    # powermta
    pm = os.path.join(c, "powermta/port25-users-guide/acct-multi-record-example.csv")
    if os.path.exists(pm):
        ev, st, _ = run(binary, read(pm))
        want = [("delivered", "user1@domain.com", 1178807903, "10.0.0.1", "delivered"),
                ("delivered", "user2@domain.com", 1178807905, "10.0.0.1", "delivered"),
                ("bounced", "user3@domain.com", 1178807915, "", "policyviolation"),
                ("bounced", "user4@domain.com", 1178807915, "", "policyviolation")]
        ok = sum(1 for w, e in zip(want, ev)
                 if (e["event"], e.get("recipient"), e.get("timestamp"), e.get("sending_ip", ""), e.get("reason")) == w
                 and e.get("sender") == "orig@port25.com")
        t.add("powermta", "PowerMTA guide accounting example", st, len(want), ok,
              "kind, rcpt, orig, time, dlvSourceIp, bounceCat -> reason")
    # postfix
    postfix_whyscream(t, binary, c)
    postfix_sekoia(t, binary, c)
    no_event_source(t, binary, "postfix", "fail2ban postfix.log", strip_fail2ban(read(os.path.join(c, "postfix/fail2ban/postfix.log"))))
    wz = os.path.join(c, "postfix/wazuh-ruleset/tests-postfix.ini")
    _, st, _ = run(binary, wazuh_lines(read(wz)))
    t.add("postfix", "wazuh tests-postfix.ini", st, note="rule ids only; smtpd/postscreen rejects and one deferred line")
    # formats without a reader
    no_event_source(t, binary, "qmail", "fail2ban qmail.log (no qmail reader)", strip_fail2ban(read(os.path.join(c, "qmail/fail2ban/qmail.log"))))
    no_event_source(t, binary, "courier", "fail2ban courier-smtp.log (no courier reader)",
                    strip_fail2ban(read(os.path.join(c, "courier/fail2ban/courier-smtp.log"))))
    ex = os.path.join(c, "exchange/kinesis-agent-windows/MSGTRK-sample.LOG")
    _, st, _ = run(binary, read(ex))
    t.add("exchange", "MSGTRK-sample.LOG (no Exchange reader)", st, 2, 0,
          "message-tracking rows (AGENTINFO, HAREDIRECT) are not read")
    t.print()


if __name__ == "__main__":
    main()
