#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""gen_replies.py - write N realistic SMTP reply lines (deterministic, seed 1) for benchmarks.

usage: gen_replies.py N > FILE
The lines mix the shapes real logs carry: Postfix "said:" prose, multi-line-joined provider
replies, Exchange "#5.1.1", bare replies, codeless texts, with varying addresses and IPs.
"""
import random
import sys

TEMPLATES = [
    "host {mx}[{ip}] said: 550 5.1.1 <{addr}>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
    "550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM. Authentication results: DKIM = did not pass SPF [{dom}] with ip: [{ip}] = did not pass {id} - gsmtp",
    "421 4.7.0 [TSS04] Messages from {ip} temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
    "452-4.2.2 The recipient's inbox is out of storage space. Please direct the recipient to 452 4.2.2 https://support.google.com/mail/?p=OverQuotaTemp {id} - gsmtp",
    "550 5.7.1 Service unavailable, Client host [{ip}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/{ip}",
    "450 4.2.0 <{addr}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/{dom}.html",
    "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##",
    "550 5.7.606 Access denied, banned sending IP [{ip}]. To request removal from this list please visit https://sender.office.com/ and follow the directions. (S3150) [{mx}]",
    "smtp; 552 5.2.2 <{addr}>... Mailbox full",
    "connect to {mx}[{ip}]:25: Connection timed out",
    "SMTP error from remote mail server after RCPT TO:<{addr}>: 550 No Such User Here",
    "554 5.7.1 <{addr}>: Relay access denied",
    "550 5.7.509 Access denied, sending domain {dom} doesn't pass DMARC verification and has a DMARC policy of reject.",
    "451 4.7.1 Service unavailable - try again later",
    "Host or domain name not found. Name service error for name={dom} type=A: Host not found",
    "552 5.3.4 Message size exceeds fixed maximum message size",
    "550 5.7.1 Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked. {id} - gsmtp",
    "421 4.7.28 Gmail has detected an unusual rate of unsolicited mail originating from your DKIM domain [{dom}]. {id} - gsmtp",
    "550 Requested action not taken: mailbox unavailable",
    "554 5.7.1 Message rejected because it contains a virus",
]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    rnd = random.Random(1)
    out = sys.stdout
    words = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
    doms = ["example.org", "example.com", "example.net", "mail.example.org"]
    buf = []
    for i in range(n):
        t = TEMPLATES[rnd.randrange(len(TEMPLATES))]
        ip = f"203.0.113.{rnd.randrange(256)}"
        dom = rnd.choice(doms)
        line = t.format(mx=f"mx{rnd.randrange(9)}.{dom}", ip=ip,
                        addr=f"{rnd.choice(words)}{rnd.randrange(10000)}@{dom}", dom=dom,
                        id=f"a{rnd.randrange(1 << 30):x}si{rnd.randrange(1000)}")
        buf.append(line)
        if len(buf) >= 10000:
            out.write("\n".join(buf) + "\n")
            buf = []
    if buf:
        out.write("\n".join(buf) + "\n")


if __name__ == "__main__":
    main()
