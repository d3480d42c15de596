#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""gen_scenario.py - write a month of realistic PowerMTA accounting CSV with known root causes.

usage: gen_scenario.py [--scenario problems|clean] [--start 2026-10-01] [--days 30]
                       [--per-day N] [--seed S] [--out FILE] [--truth FILE] [-q]
                       [--decay-from PCT] [--decay-to PCT] [--blocklist-day D]
                       [--blocklist-days N] [--throttle-day D] [--dmarc-day D]
                       [--dmarc-hours H]

Traffic: two sending domains (news.example-shop.com, mail.example-saas.io), four sending IPs
(192.0.2.10-13) in two virtual MTAs, six campaigns (jobId) with their own lists and send days,
recipients spread over Gmail, Google Workspace, Outlook.com, Microsoft 365, Yahoo/AOL, iCloud,
Comcast, GMX/WEB.DE and small company domains, each answering with its own real wording.
Baseline noise (both scenarios): unknown and disabled users, full mailboxes (some addresses
repeat), greylisting at small domains, sporadic 4xx, FBL complaints; deferrals are retried as
later `t` records and end delivered or (rarely) expired.

--scenario problems adds four root causes (see docs/scenario.md):
  list-decay        the legacy-2019 list's unknown/disabled rate climbs from --decay-from to
                    --decay-to percent over the month (campaign 2026-10-legacy-2019-winback)
  blocklist         192.0.2.12 is on Spamhaus from --blocklist-day for --blocklist-days days:
                    every receiver but Google rejects it
  gmail-throttling  from --throttle-day Google defers mail from 192.0.2.11 with 421-4.7.28
                    (retried; most deliver later, some expire)
  dmarc             from --dmarc-day (09:30 UTC) for --dmarc-hours hours, mail from
                    mail.example-saas.io fails DMARC at Google, Yahoo/AOL and Microsoft
--truth FILE gets one TSV row per cause: cause, failure_events (the b and t records the cause
produced, expiries included), provider, campaign, sending_ip, sending_domain, first_day (a
date), sorted by failure_events, largest first. The clean scenario writes the header only.
A summary goes to stderr (-q silences it). Output is deterministic for a given seed.
"""
import argparse
import datetime
import gc
import random
import string
import sys
import time

# ---- sending side ------------------------------------------------------------------------------

SHOP = "news.example-shop.com"
SAAS = "mail.example-saas.io"
VMTAS = {
    "vmta-shop": ("192.0.2.10", "192.0.2.11"),
    "vmta-saas": ("192.0.2.12", "192.0.2.13"),
}
BLOCKED_IP = "192.0.2.12"
THROTTLED_IP = "192.0.2.11"
DECAY_JOB = "2026-10-legacy-2019-winback"

# jobId, sending domain, vmta, list, list size (x volume), weekdays (0=Mon), start hour,
# send hours, weight, message size. A list of size factor 1 is mailed whole on each send
# day (the same subscribers again); a big factor walks through the list in daily segments.
CAMPAIGNS = [
    ("2026-10-daily-deals", SHOP, "vmta-shop", "shop-customers", 1.0, range(7), 6, 3, 25, 48210),
    ("2026-10-weekly-newsletter", SHOP, "vmta-shop", "shop-newsletter", 1.0, (3,), 10, 3, 40,
     61877),
    (DECAY_JOB, SHOP, "vmta-shop", "legacy-2019", 40.0, range(7), 9, 8, 35, 39514),
    ("2026-10-product-updates", SAAS, "vmta-saas", "saas-users", 1.0, (1, 3), 14, 2, 25, 27603),
    ("2026-10-onboarding-drip", SAAS, "vmta-saas", "saas-trials", 3.0, range(7), 0, 23.5, 6,
     18342),
    ("2026-10-usage-digest", SAAS, "vmta-saas", "saas-digest", 1.0, range(7), 7, 2, 8, 22951),
]
SRC_MTA = {SHOP: "app1.example-shop.com (10.20.0.11)", SAAS: "worker3.example-saas.io (10.30.0.23)"}

# ---- recipients --------------------------------------------------------------------------------

FIRST = (
    "james mary john patricia robert jennifer michael linda william elizabeth david barbara "
    "richard susan joseph jessica thomas sarah charles karen chris nancy daniel lisa matthew "
    "betty anthony margaret mark sandra donald ashley steven kim paul emily andrew donna josh "
    "michelle ken carol kevin amanda brian melissa george deborah tim stephanie ron rebecca "
    "ed sharon jason laura jeff cynthia ryan kathleen jacob amy gary angela nick shirley eric "
    "anna jon brenda stephen pamela larry emma justin nicole scott helen brandon samantha ben "
    "katherine sam christine greg debra frank rachel alex carolyn ray janet pat catherine jack "
    "maria dennis heather jerry diane tyler ruth aaron julie jose olivia adam joyce henry "
    "virginia nathan victoria doug kelly zach lauren peter christina kyle joan walter evelyn "
    "ethan judith jeremy megan harold andrea keith cheryl christian hannah roger jacqueline "
    "noah martha gerald gloria carl teresa terry ann sean sara austin madison arthur frances "
    "lawrence kathryn jesse janice dylan jean bryan abigail joe alice jordan judy billy sophia "
    "bruce grace albert denise willie amber gabriel doris logan marilyn alan danielle juan "
    "beverly wayne isabella roy theresa ralph diana randy natalie eugene brittany vincent "
    "charlotte russell marie elijah kayla louis alexis bobby lori philip lea johnny lena "
    "felix nora lukas mia jonas lina leon hanna finn ella paul2 klara max ida moritz greta"
).split()
LAST = (
    "smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez "
    "gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white "
    "harris sanchez clark ramirez lewis robinson walker young allen king wright scott torres "
    "nguyen hill flores green adams nelson baker hall rivera campbell mitchell carter roberts "
    "gomez phillips evans turner diaz parker cruz edwards collins reyes stewart morris morales "
    "murphy cook rogers gutierrez ortiz morgan cooper peterson bailey reed kelly howard ramos "
    "kim cox ward richardson watson brooks chavez wood james bennett gray mendoza ruiz hughes "
    "price alvarez castillo sanders patel myers long ross foster jimenez powell jenkins perry "
    "russell sullivan bell coleman butler henderson barnes gonzales fisher vasquez simmons "
    "romero jordan patterson alexander hamilton graham reynolds griffin wallace moreno west "
    "cole hayes bryant herrera gibson ellis tran medina aguilar stevens murray ford castro "
    "marshall owens harrison fernandez mcdonald woods washington kennedy wells vargas henry "
    "chen freeman webb tucker guzman burns crawford olson simpson porter hunter gordon mendez "
    "silva shaw snyder mason dixon munoz hunt hicks holmes palmer wagner black robertson boyd "
    "rose stone salazar fox warren mills meyer rice schmidt garza daniels ferguson nichols "
    "stephens soto weaver ryan gardner payne grant dunn kelley spencer hawkins arnold pierce "
    "hansen peters santos hart bradley knight elliott cunningham duncan armstrong hudson "
    "carroll lane riley andrews ray berry perkins hoffman johnston matthews pena richards "
    "willis carpenter lawrence sandoval mueller schneider fischer weber becker schulz koch"
).split()


def build_locals():
    f, l = FIRST[:128], LAST[:128]
    out = []
    for s in range(4):
        for a in f:
            for b in l:
                if s == 0:
                    out.append(a + "." + b)
                elif s == 1:
                    out.append(a + b)
                elif s == 2:
                    out.append(a[0] + "." + b)
                else:
                    out.append(a + "_" + b)
    return out  # 65536 distinct local parts


# recipient domain groups: provider key, share %, [(domain, weight)], [(mx host, ip)]
GOOGLE_MX = [("gmail-smtp-in.l.google.com", "142.250.102.27"),
             ("gmail-smtp-in.l.google.com", "142.251.9.26"),
             ("alt1.gmail-smtp-in.l.google.com", "142.250.153.27"),
             ("gmail-smtp-in.l.google.com", "74.125.206.26")]
GWS_MX = [("aspmx.l.google.com", "142.250.102.26"), ("aspmx.l.google.com", "173.194.76.27"),
          ("alt1.aspmx.l.google.com", "142.250.153.26")]
GWS_DOMAINS = ["altostrat.com", "cymbalgroup.com", "brightlane.example", "northpeak.example",
               "lumenhealth.example", "quarryworks.example", "tidewater-legal.example",
               "orchardlabs.example", "pinecrest-school.example", "redfern-design.example",
               "bluemesa.example", "kestrel-analytics.example", "harborview-clinic.example",
               "ironbridge.example", "sagebrush-media.example", "copperleaf.example"]
M365_DOMAINS = ["contoso.com", "fabrikam.com", "northwindtraders.com", "adventure-works.com",
                "tailspintoys.com", "wingtiptoys.com", "woodgrovebank.com", "litwareinc.com",
                "proseware.com", "fourthcoffee.com", "alpineskihouse.com",
                "wideworldimporters.com", "blueyonderairlines.com", "margiestravel.com",
                "lucernepublishing.com", "cohowinery.com", "treyresearch.net",
                "relecloud.com", "consolidatedmessenger.com", "graphicdesigninstitute.com"]
SMALL_WORDS = ("acme apex birch cedar delta ember falcon granite harbor indigo juniper kelp "
               "lantern maple nimbus oak pebble quartz raven summit thistle umber vale willow "
               "yarrow zephyr").split()
SMALL_SUFFIX = ["-tools", "-consulting", "-bakery", "-dental", "-law", "-print", "-gmbh",
                "-logistics", "-studio", "-farms"]


def build_groups():
    """the recipient side: one dict per provider group"""
    small = []
    for i, w in enumerate(SMALL_WORDS):
        for j, s in enumerate(SMALL_SUFFIX):
            if (i * 7 + j * 3) % 4 == 0:
                small.append(w + s + ".example")
    g = []
    g.append(dict(key="gmail", prov="google", share=35, doms=[("gmail.com", 1)], mx=GOOGLE_MX))
    g.append(dict(key="gws", prov="google", share=8, doms=[(d, 1) for d in GWS_DOMAINS],
                  mx=GWS_MX))
    g.append(dict(key="outlook", prov="outlook.com", share=15,
                  doms=[("outlook.com", 5), ("hotmail.com", 8), ("live.com", 2)], mx=None))
    g.append(dict(key="m365", prov="microsoft365", share=8, doms=[(d, 1) for d in M365_DOMAINS],
                  mx=None))
    g.append(dict(key="yahoo", prov="yahoo", share=9, doms=[("yahoo.com", 1)],
                  mx=[("mta5.am0.yahoodns.net", "67.195.204.72"),
                      ("mta6.am0.yahoodns.net", "98.136.96.74"),
                      ("mta7.am0.yahoodns.net", "67.195.228.94")]))
    g.append(dict(key="aol", prov="yahoo", share=3, doms=[("aol.com", 1)],
                  mx=[("mx-aol.mail.gm0.yahoodns.net", "67.195.204.79"),
                      ("mx-aol.mail.gm0.yahoodns.net", "98.136.96.91")]))
    g.append(dict(key="icloud", prov="apple_icloud", share=5,
                  doms=[("icloud.com", 4), ("me.com", 1)],
                  mx=[("mx01.mail.icloud.com", "17.57.154.33"),
                      ("mx02.mail.icloud.com", "17.57.155.34")]))
    g.append(dict(key="comcast", prov="comcast", share=3, doms=[("comcast.net", 1)],
                  mx=[("mx1.comcast.net", "96.114.157.80"), ("mx2.comcast.net", "69.252.80.75")]))
    g.append(dict(key="gmx", prov="gmx_webde", share=2, doms=[("gmx.de", 1), ("web.de", 1)],
                  mx=None))
    g.append(dict(key="small", prov="", share=12, doms=[(d, 1) for d in small], mx=None))
    return g


def domain_mx(grp, dom, di):
    """the MX hosts (name, ip) of one recipient domain"""
    k = grp["key"]
    if grp["mx"]:
        return grp["mx"]
    if k == "outlook":
        h = dom.replace(".", "-") + ".olc.protection.outlook.com"
        return [(h, "52.101.%d.%d" % (40 + di, 10 + j * 7)) for j in range(3)]
    if k == "m365":
        h = dom.replace(".", "-") + ".mail.protection.outlook.com"
        return [(h, "52.101.%d.%d" % (68 + di % 40, 20 + di)), (h, "52.101.%d.%d" % (
            194 + di % 40, 30 + di))]
    if k == "gmx":
        if dom == "gmx.de":
            return [("mx00.emig.gmx.net", "212.227.15.9"), ("mx01.emig.gmx.net", "212.227.17.5")]
        return [("mx-ha02.web.de", "212.227.15.17"), ("mx-ha03.web.de", "212.227.17.8")]
    # small company: its own MX in the documentation range
    host = ("mail." if di % 3 else "mx1.") + dom
    return [(host, "203.0.113.%d" % (10 + di % 240))]


# ---- reply texts (real wording; {rcpt} {dom} {ip} {sdom} {gid} {ts} {host} filled in) ----------

G_UNKNOWN = ("550-5.1.1 The email account that you tried to reach does not exist. Please try "
             "550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 "
             "unnecessary spaces. For more information, go to 550 5.1.1  "
             "https://support.google.com/mail/?p=NoSuchUser {gid} - gsmtp")
G_DISABLED = ("550-5.2.1 The email account that you tried to reach is disabled. For more "
              "550-5.2.1 information, go to 550 5.2.1  "
              "https://support.google.com/mail/?p=DisabledUser {gid} - gsmtp")
G_FULL_T = ("452-4.2.2 The recipient's inbox is out of storage space. Please direct the "
            "452-4.2.2 recipient to 452 4.2.2  https://support.google.com/mail/?p=OverQuotaTemp "
            "{gid} - gsmtp")
G_FULL_B = ("552-5.2.2 The recipient's inbox is out of storage space and inactive. Please "
            "552-5.2.2 direct the recipient to 552 5.2.2  "
            "https://support.google.com/mail/?p=OverQuotaPerm {gid} - gsmtp")
G_TEMP = ["421-4.3.0 Temporary System Problem.  Try again later (10). For more information, "
          "go to 421 4.3.0  https://support.google.com/a/answer/3221692 {gid} - gsmtp",
          "451-4.3.0 Mail server temporarily rejected message. For more information, go to "
          "451 4.3.0  https://support.google.com/mail/?p=TempFail {gid} - gsmtp"]
G_THROTTLE = ("421-4.7.28 Gmail has detected an unusual rate of unsolicited mail originating "
              "421-4.7.28 from your IP address [{ip}]. To protect our users from spam, "
              "421-4.7.28 mail sent from your IP address has been temporarily rate limited. "
              "For 421-4.7.28 more information, go to 421-4.7.28  "
              "https://support.google.com/mail/?p=UnsolicitedRateLimitError to 421 4.7.28 "
              "review our Bulk Email Senders Guidelines. {gid} - gsmtp")
G_DMARC = ("550-5.7.26 Unauthenticated email from {sdom} is not accepted due to 550-5.7.26 "
           "domain's DMARC policy. Please contact the administrator of 550-5.7.26 {sdom} "
           "domain if this was a legitimate mail. To learn about 550-5.7.26 the DMARC "
           "initiative, go to 550 5.7.26  https://support.google.com/mail/?p=DmarcRejection "
           "{gid} - gsmtp")
OL_UNKNOWN = ("550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). "
              "[{host} {ts} {mid}]")
M365_UNKNOWN = ["550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient {rcpt} not found by SMTP "
                "address lookup",
                "550 5.4.1 Recipient address rejected: Access denied. For more information see "
                "https://aka.ms/EXOSmtpErrors [{host} {ts} {mid}]"]
MS_FULL = ("554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException."
           "MapiExceptionShutoffQuotaExceeded; Failed to process message due to a permanent "
           "exception with message [BeginDiagnosticData]Cannot open mailbox.[EndDiagnosticData]")
OL_TEMP = ["421 4.7.0 Temporary server error. Please try again later. PRX4 [{host}]",
           "432 4.3.2 STOREDRV.Deliver; recipient thread limit exceeded",
           "421 4.7.0 Temporary server error. Please try again later. PRX4 [{host}]"]
OL_BLOCK = ("550 5.7.1 Unfortunately, messages from [{ip}] weren't sent. Please contact your "
            "Internet service provider since part of their network is on our block list "
            "(S3150). You can also refer your provider to "
            "http://mail.live.com/mail/troubleshooting.aspx#errors. [{host} {ts} {mid}]")
M365_BLOCK = ("550 5.7.606 Access denied, banned sending IP [{ip}]. To request removal from "
              "this list please visit https://sender.office.com/ and follow the directions. "
              "For more information please go to  http://go.microsoft.com/fwlink/?LinkID=526655 "
              "AS(1430) [{host} {ts} {mid}]")
MS_DMARC = ("550 5.7.509 Access denied, sending domain [{SDOM}] does not pass DMARC "
            "verification and has a DMARC policy of reject. [{host} {ts} {mid}]")
Y_UNKNOWN = ("554 delivery error: dd This user doesn't have a {dom} account ({rcpt}) [0] - "
             "{ymta}")
Y_DISABLED = ("554 delivery error: dd Sorry, your message to {rcpt} cannot be delivered. This "
              "mailbox is disabled (554.30). - {ymta}")
Y_TEMP = ["421 4.7.0 [TSS04] Messages from {ip} temporarily deferred due to unexpected volume "
          "or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes"]
Y_BLOCK = ("553 5.7.1 [BL21] Connections will not be accepted from {ip}, because the ip is in "
           "Spamhaus's list; see https://postmaster.yahooinc.com/error-codes")
Y_DMARC = ("554 5.7.9 Message not accepted for policy reasons.  See "
           "https://senders.yahooinc.com/error-codes")
I_UNKNOWN = ["550 5.1.1 <{rcpt}>: inactive email address",
             "550 5.1.1 <{rcpt}>: user does not exist"]
I_DISABLED = "550 5.1.6 <{rcpt}>: recipient no longer on server"
I_FULL = "552 5.2.2 <{rcpt}>: user is over quota"
I_TEMP = ["421 4.7.0 {host} Service unavailable - try again later"]
I_BLOCK = ("550 5.7.1 Mail from IP {ip} was rejected due to listing in Spamhaus SBL. For "
           "details please see http://www.spamhaus.org/query/bl?ip={ip}")
C_UNKNOWN = "550 5.1.1 <{rcpt}> Not our Customer"
C_DISABLED = "550 5.1.1 <{rcpt}> Account Closed, Please Remove"
C_TEMP = ["421 {cmta} {cmta} Too many sessions opened"]
C_BLOCK = ("554 {cmta} {cmta} {ip} found on one or more DNSBLs, see "
           "http://postmaster.comcast.net/smtp-error-codes.php#BL000010")
X_UNKNOWN = "550 Requested action not taken: mailbox unavailable"
X_FULL = "552 Requested action not taken: exceeded storage allocation Quota exceeded"
X_TEMP = ["421 Service temporarily unavailable, please try again later"]
X_BLOCK = ("554-{xdom} ({xmx}) Nemesis ESMTP Service not available 554-No SMTP service "
           "554-IP address is block listed. 554 For explanation visit "
           "https://postmaster.{xdom}/en/case?c=ib&i=ip&v={ip}&r={gid}")
S_UNKNOWN = ["550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual "
             "mailbox table",
             "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in local "
             "recipient table",
             "550 5.1.1 <{rcpt}>... User unknown"]
S_DISABLED = "550 5.2.1 <{rcpt}>: Recipient address rejected: Mailbox disabled"
S_FULL = "552 5.2.2 <{rcpt}>: Quota exceeded (mailbox for user is full)"
S_TEMP = ["421 4.3.2 Service not available, closing transmission channel",
          "421 4.4.2 {host} Error: timeout exceeded"]
S_GREY = ["450 4.2.0 <{rcpt}>: Recipient address rejected: Greylisted, see "
          "http://postgrey.schweikert.ch/help/{dom}.html",
          "451 4.7.1 <{rcpt}>: Recipient address rejected: Greylisted for 5 minutes"]
S_BLOCK = ("554 5.7.1 Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; "
           "https://www.spamhaus.org/query/ip/{ip}")

# per group: unknown templates, disabled, full (kind, text), temp list, block, dmarc
TEXTS = {
    "gmail": ([G_UNKNOWN], G_DISABLED, None, G_TEMP, None, G_DMARC),
    "gws": ([G_UNKNOWN], G_DISABLED, None, G_TEMP, None, G_DMARC),
    "outlook": ([OL_UNKNOWN], None, ("b", MS_FULL), OL_TEMP, OL_BLOCK, MS_DMARC),
    "m365": (M365_UNKNOWN, None, ("b", MS_FULL), OL_TEMP, M365_BLOCK, MS_DMARC),
    "yahoo": ([Y_UNKNOWN], Y_DISABLED, None, Y_TEMP, Y_BLOCK, Y_DMARC),
    "aol": ([Y_UNKNOWN], Y_DISABLED, None, Y_TEMP, Y_BLOCK, Y_DMARC),
    "icloud": (I_UNKNOWN, I_DISABLED, ("b", I_FULL), I_TEMP, I_BLOCK, None),
    "comcast": ([C_UNKNOWN], C_DISABLED, None, C_TEMP, C_BLOCK, None),
    "gmx": ([X_UNKNOWN], None, ("b", X_FULL), X_TEMP, X_BLOCK, None),
    "small": (S_UNKNOWN, S_DISABLED, ("b", S_FULL), S_TEMP, S_BLOCK, None),
}

# RFC 3463 descriptions as PowerMTA writes them after the status code
STATUS_TEXT = {
    "2.0.0": "success", "5.1.1": "bad destination mailbox address",
    "5.1.10": "bad destination mailbox address",
    "5.2.1": "mailbox disabled, not accepting messages",
    "5.1.6": "destination mailbox has moved, no forwarding address",
    "5.2.2": "mailbox full", "4.2.2": "mailbox full", "5.5.0": "other or undefined protocol status",
    "5.4.1": "no answer from host", "5.0.0": "other or undefined status",
    "4.3.0": "other or undefined mail system status",
    "4.3.2": "system not accepting network messages",
    "4.4.2": "bad connection", "4.7.0": "other or undefined security status",
    "4.7.1": "delivery not authorized, message refused",
    "4.2.0": "other or undefined mailbox status",
    "4.0.0": "other or undefined status", "5.7.1": "delivery not authorized, message refused",
    "5.7.606": "delivery not authorized, message refused",
    "5.7.26": "multiple authentication checks failed",
    "5.7.509": "other or undefined security status",
    "5.7.9": "other or undefined security status", "4.7.28": "other or undefined security status",
    "4.4.7": "delivery time expired",
}
CODE_STATUS = {"550": "5.0.0", "551": "5.0.0", "552": "5.2.2", "553": "5.0.0", "554": "5.0.0",
               "421": "4.0.0", "450": "4.0.0", "451": "4.0.0", "452": "4.2.2", "432": "4.3.2"}
STATUS_CAT = {"5.1.1": "bad-mailbox", "5.1.10": "bad-mailbox", "5.5.0": "bad-mailbox",
              "5.4.1": "bad-mailbox", "5.2.1": "inactive-mailbox", "5.1.6": "inactive-mailbox",
              "5.2.2": "quota-issues", "4.2.2": "quota-issues"}

HEADER = ("type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,"
          "bounceCat,srcType,srcMta,dlvType,dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,"
          "dlvSize,vmta,jobId,envId,header_Message-Id,feedbackType\n")

MS_ESMTP = ('"SIZE,PIPELINING,DSN,ENHANCEDSTATUSCODES,STARTTLS,8BITMIME,BINARYMIME,CHUNKING,'
            'SMTPUTF8"')
ESMTP = {
    "google": '"SIZE,8BITMIME,STARTTLS,ENHANCEDSTATUSCODES,PIPELINING,CHUNKING,SMTPUTF8"',
    "outlook.com": MS_ESMTP,
    "microsoft365": MS_ESMTP,
    "yahoo": '"PIPELINING,SIZE,8BITMIME,STARTTLS"',
    "": '"PIPELINING,SIZE,ETRN,STARTTLS,ENHANCEDSTATUSCODES,8BITMIME,DSN,SMTPUTF8,CHUNKING"',
}

RETRY = (0, 600, 1800, 4200, 9000, 18600, 37800, 76200)  # PowerMTA-like backoff, seconds
BOUNCE_AFTER = 86400                                       # bounce-after 24h


def csvq(s):
    if "," in s or '"' in s or "\n" in s:
        return '"' + s.replace('"', '""') + '"'
    return s


def reply_status(text):
    """the enhanced status a reply carries, else one implied by its code"""
    w = text.replace("-", " ", 1).split()
    if len(w) > 1 and w[1][:1].isdigit() and w[1].count(".") == 2:
        return w[1]
    return CODE_STATUS.get(text[:3], "5.0.0" if text[:1] == "5" else "4.0.0")


class Gen:
    def __init__(self, a):
        self.a = a
        self.R = random.Random(a.seed)
        self.problems = a.scenario == "problems"
        self.locals = build_locals()
        self.groups = build_groups()
        self.start = datetime.datetime.strptime(a.start, "%Y-%m-%d").replace(
            tzinfo=datetime.timezone.utc)
        self.epoch0 = int(self.start.timestamp())
        self.hms = ["%02d:%02d:%02d+0000" % (s // 3600, s // 60 % 60, s % 60)
                    for s in range(86400)]
        R = self.R
        self.gids = ["%s-%s%04xsi%d%s.%d" % (
            R.choice(["d2e1a72fcca58", "41be03b00d2f7", "5b1f17b1804b1", "a640c23a62f3a",
                      "6a006b1d1c2ef", "ffacd0b85a97d"]),
            "%011x" % R.getrandbits(44), R.getrandbits(16), R.randrange(1000000),
            R.choice("abcdef"), R.randrange(1, 400)) for _ in range(256)]
        # domain table: entries (domain, group index, mx list); weighted slot table
        self.entries = []
        slots = []
        for gx, g in enumerate(self.groups):
            tot = sum(w for _, w in g["doms"])
            for di, (d, w) in enumerate(g["doms"]):
                ex = len(self.entries)
                self.entries.append((d, gx, domain_mx(g, d, di)))
                slots += [ex] * max(1, round(g["share"] * 100 * w / tot))
        # spread the slots so neighbouring hash values don't share a domain
        R.shuffle(slots)
        self.slots = slots
        self.nslots = len(slots)
        # small domains that greylist (postgrey and friends)
        self.greylisting = set()
        for ex, (d, gx, _) in enumerate(self.entries):
            if self.groups[gx]["key"] == "small" and ex % 3 == 0:
                self.greylisting.add(ex)
        # per-provider d-record replies
        self.dpool = {}
        for g in self.groups:
            k = g["key"]
            pool = []
            for j in range(32):
                q = "%012X" % R.getrandbits(48)
                if k == "yahoo" or k == "aol":
                    pool.append("smtp;250 ok dirdel")
                elif k == "icloud":
                    pool.append("smtp;250 2.0.0 Ok: queued as %s" % q[:10])
                elif k == "comcast":
                    pool.append("smtp;250 2.0.0 %s mail accepted for delivery" % q.lower()[:12])
                elif k == "gmx":
                    pool.append("smtp;250 Requested mail action okay, completed: "
                                "id=1M%s-1t%s-00%s" % (q[:4], q[4:12], q[:5].lower()))
                else:
                    pool.append("smtp;250 2.0.0 Ok: queued as 4%s" % q[:10])
            self.dpool[k] = [csvq(x) for x in pool]
        self.counter = 0
        self.env_n = 0
        self.dprefixes = {}
        self.tplfields = {}
        self.tplstatus = {}
        self.buckets = None
        self.pending = {}
        self.lines = 0
        self.kinds = {"d": 0, "b": 0, "t": 0, "f": 0, "expired": 0}
        # truth: cause -> counters
        self.cause = {c: dict(events=0, b=0, t=0, expired=0, msgs=0, first=None, prov={})
                      for c in ("list-decay", "blocklist", "gmail-throttling", "dmarc")}
        self.sent = 0
        self.hard = 0
        self.day_sent = []
        self.day_hard = []

    # ---- time helpers ---------------------------------------------------------------------
    def tstr(self, abs_s):
        d, s = divmod(abs_s, 86400)
        return self.dprefix(d) + self.hms[s]

    def dprefix(self, d):
        p = self.dprefixes.get(d)
        if p is None:
            p = (self.start + datetime.timedelta(days=d)).strftime("%Y-%m-%d ")
            self.dprefixes[d] = p
        return p

    def iso(self, abs_s):
        d, sec = divmod(abs_s, 86400)
        return "%sT%s.%03dZ" % (self.dprefix(d)[:-1], self.hms[sec][:8], abs_s * 37 % 1000)

    def put(self, abs_s, line):
        d, s = divmod(abs_s, 86400)
        if d == self.cur:
            b = self.buckets[s]
            if b is None:
                self.buckets[s] = [line]
            else:
                b.append(line)
        else:
            self.pending.setdefault(d, []).append((s, line))

    def note(self, cause, kind, abs_s, prov, first_msg):
        c = self.cause[cause]
        c["events"] += 1
        c[kind] += 1
        if first_msg:
            c["msgs"] += 1
        c["prov"][prov] = c["prov"].get(prov, 0) + 1
        d = abs_s // 86400
        if c["first"] is None or d < c["first"]:
            c["first"] = d

    # ---- record builders (slow path) ------------------------------------------------------
    def fill(self, tpl, m, abs_s, ip, mxhost):
        """the reply text: tpl with its {fields} filled in"""
        need = self.tplfields.get(tpl)
        if need is None:
            need = self.tplfields[tpl] = frozenset(
                f for _, f, _, _ in string.Formatter().parse(tpl) if f)
        n = self.counter
        v = {}
        for f in need:
            if f == "rcpt":
                v[f] = m["rcpt"]
            elif f == "dom":
                v[f] = m["rcpt"].split("@", 1)[1]
            elif f == "ip":
                v[f] = ip
            elif f == "sdom":
                v[f] = m["sdom"]
            elif f == "SDOM":
                v[f] = m["sdom"].upper()
            elif f == "gid":
                v[f] = self.gids[n & 255]
            elif f == "ts":
                v[f] = self.iso(abs_s)
            elif f == "host":
                v[f] = ("%s%d.%s.prod.protection.outlook.com" % (
                    ("BN8NAM12FT", "DM6NAM11FT", "AM4PEPF0002", "CH1PEPF0000")[n & 3],
                    10 + n % 89, ("eop-nam12", "eop-nam11", "eurprd04", "namprd04")[n & 3])
                    if "outlook" in mxhost else mxhost)
            elif f == "mid":
                v[f] = "08DC%012X" % ((n * 2654435761) & 0xFFFFFFFFFFFF)
            elif f == "ymta":
                v[f] = "mta%d.mail.%s.yahoo.com" % (1000 + n % 3000,
                                                     ("gq1", "bf1", "ne1", "ir2")[n & 3])
            elif f == "cmta":
                v[f] = "resimta-%s-%02dv.sys.comcast.net" % (("po", "ch2", "ccp", "h1")[n & 3],
                                                            10 + n % 40)
            elif f == "xdom":
                v[f] = "gmx.net" if "gmx" in mxhost else "web.de"
            elif f == "xmx":
                v[f] = ("mxgmx%03d" if "gmx" in mxhost else "mxweb%03d") % (n % 120)
        return tpl.format_map(v)

    def rec(self, typ, abs_s, m, tpl, cat, ip, mx, status=None):
        """one b or t record answering with reply template tpl"""
        key = (tpl, status)
        st = self.tplstatus.get(key)
        if st is None:
            code = status or reply_status(tpl)
            st = self.tplstatus[key] = (
                code, csvq("%s (%s)" % (code, STATUS_TEXT.get(code, "other or undefined status"))))
        if cat is None:
            cat = STATUS_CAT.get(st[0], "other")
        text = self.fill(tpl, m, abs_s, ip, mx[0])
        line = ",".join((typ, self.tstr(abs_s), m["tq"], m["orig"], m["rcpt"], "",
                         "failed" if typ == "b" else "delayed", st[1], csvq("smtp;" + text),
                         "%s (%s)" % mx, cat, "smtp", m["src"], "smtp", ip, mx[1], m["esmtp"],
                         m["size"], m["vmta"], m["job"], m["env"], "<%s>" % m["mid"], "")) + "\n"
        self.put(abs_s, line)
        self.kinds["b" if typ == "b" and cat != "message-expired" else
                   ("expired" if typ == "b" else typ)] += 1
        self.lines += 1

    def dline(self, abs_s, m, ip, mx, gkey):
        if gkey in ("gmail", "gws"):
            diag = "smtp;250 2.0.0 OK  %d %s - gsmtp" % (self.epoch0 + abs_s,
                                                          self.gids[self.counter & 255])
        elif gkey in ("outlook", "m365"):
            diag = ('"smtp;250 2.6.0 <%s> [InternalId=%d, Hostname=%s] Queued mail for delivery"'
                    % (m["mid"], 21000000000000 + self.counter * 7919,
                       "SA1PR12MB%04d.namprd12.prod.outlook.com" % (self.counter % 9973)))
        else:
            diag = self.dpool[gkey][self.counter & 31]
        line = ",".join(("d", self.tstr(abs_s), m["tq"], m["orig"], m["rcpt"], "", "relayed",
                         "2.0.0 (success)", diag, "%s (%s)" % mx, "", "smtp", m["src"], "smtp", ip,
                         mx[1], m["esmtp"], m["size"], m["vmta"], m["job"], m["env"],
                         "<%s>" % m["mid"], "")) + "\n"
        self.put(abs_s, line)
        self.kinds["d"] += 1
        self.lines += 1

    def fline(self, abs_s, m, ip):
        line = ",".join(("f", self.tstr(abs_s), m["tq"], m["orig"], m["rcpt"], "", "", "", "", "",
                         "", "", "", "", ip, "", "", "", m["vmta"], m["job"], m["env"],
                         "<%s>" % m["mid"], "abuse")) + "\n"
        self.put(abs_s, line)
        self.kinds["f"] += 1
        self.lines += 1

    # ---- one message that does not simply get delivered at once ---------------------------
    def slow(self, c, ex, rcpt, member_h, abs_q, abs_s, ipx, env, r):
        a = self.a
        R = self.R
        job, sdom, vmta = c["job"], c["sdom"], c["vmta"]
        ip = VMTAS[vmta][ipx]
        dom, gx, mxl = self.entries[ex]
        g = self.groups[gx]
        gkey, prov = g["key"], g["prov"]
        mx = mxl[self.counter % len(mxl)]
        m = dict(rcpt=rcpt, sdom=sdom, orig=c["orig"], tq=self.tstr(abs_q), src=SRC_MTA[sdom],
                 esmtp=ESMTP.get(prov, ESMTP[""]), size=c["size"], vmta=vmta, job=job, env=env,
                 mid=env + "@" + sdom)
        unk, dis, full, temp, block, dmarc = TEXTS[gkey]
        day = abs_s // 86400
        self.sent += 1
        self.day_sent[day] += 1

        def hard(text, cause=None):
            self.rec("b", t, m, text, None, ip, mx)
            self.hard += 1
            self.day_hard[min(t // 86400, len(self.day_hard) - 1)] += 1
            if cause:
                self.note(cause, "b", t, prov, True)

        t = abs_s
        # 1. blocklist: refused at connection, before anything else
        if (self.problems and ip == BLOCKED_IP and block and self.bl_from <= t < self.bl_to):
            self.rec("b", t, m, block, "policy-related", ip, mx)
            self.hard += 1
            self.day_hard[day] += 1
            self.note("blocklist", "b", t, prov, True)
            return
        # 2. Gmail rate limits the IP: deferrals, retried; most get through, some expire
        # (the fast path sent r below throttle_rate + fates()[-1] here: the first part is the
        # throttled share, the rest the baseline fates)
        throttled = False
        if self.problems and ip == THROTTLED_IP and prov == "google" and \
                abs_s // 86400 >= self.thr_from // 86400:
            if r < a.throttle_rate:
                throttled = t >= self.thr_from
                r = R.random()
            else:
                r -= a.throttle_rate
        if throttled:
            nxt = len(RETRY)
            for j in range(len(RETRY)):
                if j:
                    t = abs_s + RETRY[j] + R.randrange(0, 90)
                self.rec("t", t, m, G_THROTTLE, "policy-related", ip, mx)
                self.note("gmail-throttling", "t", t, prov, j == 0)
                if R.random() >= a.throttle_retry:
                    nxt = j + 1
                    break
            if nxt >= len(RETRY):
                # still deferred when bounce-after (24h) runs out
                t = abs_s + BOUNCE_AFTER + R.randrange(0, 600)
                self.rec("b", t, m, G_THROTTLE, "message-expired", ip, mx, status="4.4.7")
                self.note("gmail-throttling", "expired", t, prov, False)
                return
            t = abs_s + RETRY[nxt] + R.randrange(0, 90)
        # 3. the recipient: unknown, disabled, full; r is uniform below fates()[-1] (or 1)
        o_unk, o_full, o_grey, o_temp, o_fbl = self.fates(c, ex)
        if r < o_unk:
            cause = "list-decay" if c["decay"] is not None else None
            if dis and r < o_unk * 0.22:
                hard(dis, cause)
            else:
                hard(unk[self.counter % len(unk)], cause)
            return
        if member_h % 1009 == 0 or r < o_full:
            if gkey in ("gmail", "gws"):
                if member_h & 2:
                    hard(G_FULL_B)
                    return
                for k in range(1, 1 + 1 + (member_h >> 2) % 2):
                    self.rec("t", t, m, G_FULL_T, "quota-issues", ip, mx)
                    t = abs_s + RETRY[k] + R.randrange(0, 90)
            elif full:
                hard(full[1])
                return
        # 4. DMARC, checked on the message after DATA
        if (self.problems and dmarc and sdom == SAAS and self.dm_from <= t < self.dm_to):
            self.rec("b", t, m, dmarc, "policy-related", ip, mx)
            self.hard += 1
            self.day_hard[min(t // 86400, len(self.day_hard) - 1)] += 1
            self.note("dmarc", "b", t, prov, True)
            return
        # 5. greylisting and sporadic temporary failures: one or two deferrals, then delivered
        if o_full <= r < o_grey:
            tpl = S_GREY[(ex >> 1) & 1]
            n = 1 + (R.random() < 0.15)
            for k in range(1, n + 1):
                self.rec("t", t, m, tpl, "other", ip, mx)
                t = abs_s + RETRY[k] + R.randrange(0, 90)
        elif o_grey <= r < o_temp:
            tpl = temp[self.counter % len(temp)]
            self.rec("t", t, m, tpl, "other", ip, mx)
            t = abs_s + RETRY[1] + R.randrange(0, 300)
        self.dline(t, m, ip, mx, gkey)
        if o_temp <= r < o_fbl:
            self.fline(t + R.randrange(1800, 30 * 3600), m, ip)

    def fates(self, c, ex):
        """cumulative per-message probabilities of the baseline fates (and list decay) for
        campaign c and recipient domain entry ex: unknown, full, greylisted, 4xx, complaint"""
        a = self.a
        key = self.groups[self.entries[ex][1]]["key"]
        o = c["decay"] if c["decay"] is not None else a.p_unknown
        o_unk = o
        if c["segmented"]:
            o += a.p_full
        o_full = o
        if ex in self.greylisting:
            o += a.p_grey
        o_grey = o
        o += a.p_temp * (0.3 if key in ("yahoo", "aol") else 1.0)
        o_temp = o
        if key in ("yahoo", "aol", "outlook", "comcast"):
            o += a.p_complaint_fbl
        return o_unk, o_full, o_grey, o_temp, o

    # ---- a day ----------------------------------------------------------------------------
    def day(self, d, out):
        a = self.a
        R = self.R
        rnd = R.random
        self.cur = d
        self.buckets = [None] * 86400
        buckets = self.buckets
        for s, line in self.pending.pop(d, ()):
            b = buckets[s]
            if b is None:
                buckets[s] = [line]
            else:
                b.append(line)
        wd = (self.start + datetime.timedelta(days=d)).weekday()
        dp = self.dprefix(d)
        hms = self.hms
        T = [dp + x for x in hms]
        active = [c for c in self.camps if wd in c["days"]]
        wsum = sum(c["w"] for c in active)
        vols = [int(a.per_day * c["w"] / wsum) for c in active]
        vols[0] += a.per_day - sum(vols)
        locs = self.locals
        slots, nslots = self.slots, self.nslots
        entries = self.entries
        groups = self.groups
        base = d * 86400
        for c, n in zip(active, vols):
            if n <= 0:
                continue
            if c["job"] == DECAY_JOB:
                frac = d / max(1, a.days - 1)
                c["decay"] = (a.decay_from + (a.decay_to - a.decay_from) * frac) / 100.0 \
                    if self.problems else None
            # per (ip index, domain entry): probability of the slow path and the line tail
            vmta = c["vmta"]
            ips = VMTAS[vmta]
            thr = [[0.0] * len(entries), [0.0] * len(entries)]
            for ipx in (0, 1):
                ip = ips[ipx]
                for ex, (dom, gx, mxl) in enumerate(entries):
                    g = groups[gx]
                    p = self.fates(c, ex)[-1]
                    if self.problems:
                        if (ip == BLOCKED_IP and TEXTS[g["key"]][4] and
                                self.bl_from < base + 86400 and self.bl_to > base):
                            p = 1.0
                        if ip == THROTTLED_IP and g["prov"] == "google" and \
                                self.thr_from < base + 86400:
                            p += a.throttle_rate
                        if (c["sdom"] == SAAS and TEXTS[g["key"]][5] and
                                self.dm_from < base + 2 * 86400 and self.dm_to > base):
                            p = 1.0
                    thr[ipx][ex] = p
            tails = []
            for ipx in (0, 1):
                ip = ips[ipx]
                tl = []
                for ex, (dom, gx, mxl) in enumerate(entries):
                    prov = groups[gx]["prov"]
                    es = ESMTP.get(prov, ESMTP[""])
                    tl.append([",%s (%s),,smtp,%s,smtp,%s,%s,%s,%s,%s,%s," % (
                        h, hip, SRC_MTA[c["sdom"]], ip, hip, es, c["size"], vmta, c["job"])
                        for h, hip in (mxl * 4)[:4]])
                tails.append(tl)
            dk = [groups[gx]["key"] for (_, gx, _) in entries]
            dpool = [self.dpool[k] for k in dk]
            dmode = [1 if k in ("gmail", "gws") else 2 if k in ("outlook", "m365") else 0
                     for k in dk]
            ats = ["@" + e[0] for e in entries]
            orig = "," + c["orig"] + ","
            jt = c["jtag"]
            sdom = c["sdom"]
            gids = self.gids
            ep0 = self.epoch0 + base
            start = int(c["hour"] * 3600)
            span = int(c["hours"] * 3600)
            lbase = c["lbase"]
            lsize = c["lsize"](n)
            seg = (c["seg"] * n) % lsize if c["segmented"] else 0
            c["seg"] += 1
            out_lines = 0
            cnt = self.counter
            envn = self.env_n
            thr0, thr1 = thr
            tails0, tails1 = tails
            for k in range(n):
                i = lbase + (seg + k) % lsize
                h = (i * 2654435761) & 0xFFFFFFFF
                ex = slots[(h >> 16) % nslots]
                sq = start + k * span // n
                envn += 1
                r = rnd()
                if r < (thr1 if k & 1 else thr0)[ex] or not h % 1009:
                    self.counter = cnt
                    rcpt = "%s%d%s" % (locs[h & 0xFFFF], i >> 16, ats[ex])
                    self.slow(c, ex, rcpt, h, base + sq, base + sq + 2 + (cnt % 19), k & 1,
                              jt + str(envn), r)
                    cnt = self.counter + 1
                    continue
                cnt += 1
                sl = sq + 2 + cnt % 19
                dm = dmode[ex]
                if dm == 0:
                    diag = dpool[ex][cnt & 31]
                elif dm == 1:
                    diag = f"smtp;250 2.0.0 OK  {ep0 + sl} {gids[cnt & 255]} - gsmtp"
                else:
                    diag = (f'"smtp;250 2.6.0 <{jt}{envn}@{sdom}> [InternalId='
                            f'{21000000000000 + cnt * 7919}, Hostname=SA1PR12MB{cnt % 9973:04d}.'
                            f'namprd12.prod.outlook.com] Queued mail for delivery"')
                line = (f"d,{T[sl]},{T[sq]}{orig}{locs[h & 0xFFFF]}{i >> 16}{ats[ex]},,relayed,"
                        f"2.0.0 (success),{diag}{(tails1 if k & 1 else tails0)[ex][cnt & 3]}"
                        f"{jt}{envn},<{jt}{envn}@{sdom}>,\n")
                bk = buckets[sl]
                if bk is None:
                    buckets[sl] = [line]
                else:
                    bk.append(line)
                out_lines += 1
            self.counter = cnt
            self.env_n = envn
            self.lines += out_lines
            self.kinds["d"] += out_lines
            self.sent += out_lines
            self.day_sent[d] += out_lines
        # write the day in time order
        chunk = []
        for b in buckets:
            if b is not None:
                chunk.append("".join(b))
                if len(chunk) >= 2048:
                    out.write("".join(chunk))
                    chunk = []
        out.write("".join(chunk))
        self.buckets = None

    def run(self, out):
        a = self.a
        self.camps = []
        for ci, (job, sdom, vmta, lst, lf, days, hour, hours, w, size) in enumerate(CAMPAIGNS):
            self.camps.append(dict(
                job=job, sdom=sdom, vmta=vmta, list=lst, days=set(days), hour=hour, hours=hours,
                w=w, size=str(size), orig="bounce@" + sdom, jtag="%02d%s." % (
                    ci + 1, "".join(p[0] for p in job.split("-")[2:]).upper()),
                lbase=(ci + 1) * (1 << 21), segmented=lf > 1.0, seg=0, decay=None,
                lsize=(lambda n, lf=lf: max(n, int(n * lf)))))
        self.bl_from = (a.blocklist_day - 1) * 86400 + 5 * 3600 + 40 * 60
        self.bl_to = (self.bl_from + a.blocklist_days * 86400 if a.blocklist_days > 0
                      else 1 << 40)
        self.thr_from = (a.throttle_day - 1) * 86400 + 11 * 3600 + 20 * 60
        self.dm_from = (a.dmarc_day - 1) * 86400 + 9 * 3600 + 30 * 60
        self.dm_to = (self.dm_from + int(a.dmarc_hours * 3600) if a.dmarc_hours > 0
                      else 1 << 40)
        self.day_sent = [0] * (a.days + 3)
        self.day_hard = [0] * (a.days + 3)
        out.write(HEADER)
        self.lines += 1
        for d in range(a.days):
            self.day(d, out)
        # retries and complaints that fall after the last day
        d = a.days
        while self.pending:
            self.cur = d
            self.buckets = [None] * 86400
            for s, line in self.pending.pop(d, ()):
                if self.buckets[s] is None:
                    self.buckets[s] = [line]
                else:
                    self.buckets[s].append(line)
            out.write("".join("".join(b) for b in self.buckets if b is not None))
            d += 1


def tune_malloc():
    """glibc: keep freed memory instead of handing it back and faulting it in again each day
    (a day's lines are built in memory); saves a sixth of the run time. No-op elsewhere."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-1, 1 << 30)          # M_TRIM_THRESHOLD: 1 GB
        libc.mallopt(-2, 256 << 20)        # M_TOP_PAD: grow the heap 256 MB at a time
        libc.mallopt(-3, 32 << 20)         # M_MMAP_THRESHOLD: big chunks from the heap too
    except (OSError, AttributeError):
        pass


def main():
    ap = argparse.ArgumentParser(description="Write a month of PowerMTA accounting CSV with "
                                 "known root causes (see docs/scenario.md).")
    ap.add_argument("--scenario", choices=("problems", "clean"), default="problems")
    ap.add_argument("--start", default="2026-10-01", help="first day (YYYY-MM-DD, UTC)")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--per-day", type=int, default=20000, help="messages per day")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="-", help="CSV file (default: stdout)")
    ap.add_argument("--truth", help="write the root causes as TSV")
    ap.add_argument("-q", action="store_true", help="no summary on stderr")
    ap.add_argument("--decay-from", type=float, default=1.0, help="percent, first day")
    ap.add_argument("--decay-to", type=float, default=10.0, help="percent, last day")
    ap.add_argument("--blocklist-day", type=int, default=12)
    ap.add_argument("--blocklist-days", type=float, default=8,
                    help="days listed (0: to the end)")
    ap.add_argument("--throttle-day", type=int, default=18)
    ap.add_argument("--dmarc-day", type=int, default=22)
    ap.add_argument("--dmarc-hours", type=float, default=20, help="hours broken (0: to the end)")
    a = ap.parse_args()
    if a.days < 1 or a.per_day < 1:
        ap.error("--days and --per-day must be positive")
    for opt in ("blocklist_day", "throttle_day", "dmarc_day"):
        if getattr(a, opt) < 1:
            ap.error("--%s must be 1 or more" % opt.replace("_", "-"))
    try:
        datetime.datetime.strptime(a.start, "%Y-%m-%d")
    except ValueError:
        ap.error("--start wants YYYY-MM-DD")
    # baseline rates (per message)
    a.p_unknown = 0.0040      # unknown + disabled users
    a.p_full = 0.0005         # full mailboxes on segmented lists (others: fixed members)
    a.p_grey = 0.12           # at greylisting domains
    a.p_temp = 0.0012         # sporadic 4xx
    a.p_complaint_fbl = 0.0007  # at FBL providers (Yahoo/AOL, Outlook.com, Comcast)
    a.throttle_rate = 0.055   # share of Google-bound mail from the IP deferred
    a.throttle_retry = 0.65   # chance a retry is deferred again
    tune_malloc()
    g = Gen(a)
    gc.disable()  # millions of short-lived lists and no cycles: the collector only costs time
    t0 = time.time()
    out = sys.stdout if a.out == "-" else open(a.out, "w", buffering=1 << 20)
    try:
        g.run(out)
    finally:
        if out is not sys.stdout:
            out.close()
        else:
            out.flush()
    dt = time.time() - t0
    rows = []
    info = {
        "list-decay": ("", DECAY_JOB, "", ""),
        "blocklist": ("", "", BLOCKED_IP, ""),
        "gmail-throttling": ("google", "", THROTTLED_IP, ""),
        "dmarc": ("", "", "", SAAS),
    }
    if g.problems:
        for name, c in g.cause.items():
            if not c["events"]:
                continue  # starts after the last day
            first = "" if c["first"] is None else \
                (g.start + datetime.timedelta(days=c["first"])).strftime("%Y-%m-%d")
            rows.append((name, c["events"]) + info[name] + (first,))
        rows.sort(key=lambda r: -r[1])
    if a.truth:
        with open(a.truth, "w") as f:
            f.write("cause\tfailure_events\tprovider\tcampaign\tsending_ip\tsending_domain\t"
                    "first_day\n")
            for r in rows:
                f.write("\t".join(str(x) for x in r) + "\n")
    if not a.q:
        k = g.kinds
        e = sys.stderr
        e.write("gen_scenario: %s, %d days x %d messages: %d lines (%d d, %d b, %d expired, "
                "%d t, %d f) in %.1f s, %.0f lines/s\n" % (
                    a.scenario, a.days, a.per_day, g.lines, k["d"], k["b"], k["expired"],
                    k["t"], k["f"], dt, g.lines / dt if dt else 0))
        last = a.days - 1
        e.write("gen_scenario: hard bounces %.2f%% of messages (last day %.2f%%)\n" % (
            100.0 * g.hard / max(1, g.sent), 100.0 * g.day_hard[last] / max(1, g.day_sent[last])))
        for name, c in sorted(g.cause.items(), key=lambda x: -x[1]["events"]):
            if not g.problems:
                break
            e.write("gen_scenario:   %-17s %6d events (%d b, %d t, %d expired; %d messages) %s\n"
                    % (name, c["events"], c["b"], c["t"], c["expired"], c["msgs"],
                       " ".join("%s=%d" % (k or "other", v) for k, v in sorted(c["prov"].items()))))


if __name__ == "__main__":
    main()
