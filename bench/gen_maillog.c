/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * gen_maillog.c - writes a realistic synthetic MTA log for the ingest benchmark.
 *
 * USAGE
 *   gen_maillog postfix|exim MEGABYTES [SEED] > FILE
 *
 * DESCRIPTION
 *   An outbound relay's day: per message the lines a real Postfix writes (smtpd connect,
 *   client, cleanup message-id, qmgr from, one delivery line per recipient and attempt,
 *   removed, disconnect) or Exim's (<=, =>/==/**, Completed). About 90% of recipients are
 *   delivered at once, 6% deferred first (greylisting, throttling, timeouts: retried later,
 *   with a later success or a bounce), 4% bounced, with replies shaped like those of Gmail,
 *   Microsoft, Yahoo, Apple, GMX, Orange, Mimecast, Proofpoint and plain Postfix/Exim
 *   receivers (addresses, ids and IPs varying per line, as in real logs). Deterministic for
 *   a seed (xorshift), so runs compare.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

struct rcv {
    const char *domain, *mx;
};
static const struct rcv receivers[] = {
    {"gmail.com", "gmail-smtp-in.l.google.com"},
    {"googlemail.com", "alt1.gmail-smtp-in.l.google.com"},
    {"outlook.com", "outlook-com.olc.protection.outlook.com"},
    {"hotmail.com", "hotmail-com.olc.protection.outlook.com"},
    {"contoso.com", "contoso-com.mail.protection.outlook.com"},
    {"yahoo.com", "mta7.am0.yahoodns.net"},
    {"aol.com", "mx-aol.mail.gm0.yahoodns.net"},
    {"icloud.com", "mx01.mail.icloud.com"},
    {"gmx.de", "mx00.emig.gmx.net"},
    {"orange.fr", "smtp-in.orange.fr"},
    {"example-corp.com", "eu-smtp-inbound-1.mimecast.com"},
    {"bigbank.com", "mx0a-00123401.pphosted.com"},
    {"smallbiz.net", "mail.smallbiz.net"},
    {"uni-example.edu", "mx1.uni-example.edu"},
};
#define NRCV (sizeof receivers / sizeof receivers[0])

/* %R = recipient, %I = receiver IP, %S = sending IP, %X = random id */
struct reply {
    int rcv;   /* index into receivers, -1 = any */
    char kind; /* b = bounce, d = deferral */
    const char *dsn;
    const char *cmd; /* RCPT, DATA, MAIL, NULL (not an SMTP reply) */
    const char *text;
};
static const struct reply replies[] = {
    {0, 'b', "5.1.1", "RCPT",
     "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 "
     "double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. "
     "For more information, go to 550 5.1.1  https://support.google.com/mail/?p=NoSuchUser %X "
     "- gsmtp"},
    {0, 'd', "4.7.28", "DATA",
     "421-4.7.28 Gmail has detected an unusual rate of unsolicited mail from your IP address "
     "[%S]. 421-4.7.28 To protect our users from spam, mail sent from your IP address has been "
     "temporarily rate limited. 421 4.7.28 "
     "https://support.google.com/mail/?p=UnsolicitedRateLimitError %X - gsmtp"},
    {0, 'b', "5.7.26", "DATA",
     "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's "
     "550-5.7.26 DMARC policy. Please contact the administrator of example.com domain if "
     "550 5.7.26 this was a legitimate mail. %X - gsmtp"},
    {0, 'b', "5.2.2", "RCPT",
     "552-5.2.2 The recipient's inbox is out of storage space. Please direct the 552-5.2.2 "
     "recipient to 552 5.2.2  https://support.google.com/mail/?p=OverQuotaPerm %X - gsmtp"},
    {3, 'b', "5.5.0", "RCPT",
     "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). "
     "[DM6NAM12FT%X.eop-nam12.prod.protection.outlook.com]"},
    {2, 'b', "5.7.1", "RCPT",
     "550 5.7.1 Unfortunately, messages from [%S] weren't sent. Please contact your Internet "
     "service provider since part of their network is on our block list (S3150). You can "
     "also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. "
     "[AM4PEPF%X.eurprd04.prod.outlook.com]"},
    {4, 'b', "5.4.1", "RCPT",
     "550 5.4.1 Recipient address rejected: Access denied. For more information see "
     "https://aka.ms/EXOSmtpErrors [BN1NAM02FT%X.eop-nam02.prod.protection.outlook.com]"},
    {5, 'd', "4.7.0", "MAIL",
     "421 4.7.0 [TSS04] Messages from %S temporarily deferred due to unexpected volume or user "
     "complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes"},
    {5, 'b', "5.0.0", "RCPT",
     "554 delivery error: dd This user doesn't have a yahoo.com account (%R) [0] - "
     "mta%X.mail.bf1.yahoo.com"},
    {6, 'b', "5.7.9", "DATA",
     "554 5.7.9 Message not accepted for policy reasons.  See "
     "https://postmaster.yahooinc.com/error-codes"},
    {7, 'b', "5.1.1", "RCPT", "550 5.1.1 <%R>: user does not exist"},
    {7, 'd', "4.7.0", "RCPT", "450 4.7.0 Service temporarily unavailable (CS01) %X"},
    {8, 'b', "5.1.1", "RCPT", "550 Requested action not taken: mailbox unavailable"},
    {8, 'b', "5.7.1", "MAIL",
     "554-gmx.net (mxgmx%X) Nemesis ESMTP Service not available 554-No SMTP service "
     "554-IP address is block listed. 554 For explanation visit "
     "https://www.gmx.net/mail/senderguidelines?ip=%S&c=bl"},
    {9, 'd', "4.2.1", "RCPT",
     "421 mwinf%X 4.2.1 Service refuse. Veuillez essayer plus tard. OFR004_104 [104]"},
    {10, 'b', "5.0.0", "RCPT",
     "550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550 [%X.mimecast]"},
    {11, 'b', "5.7.1", "RCPT",
     "550 5.7.1 Recipient <%R> rejected - "
     "https://www.proofpoint.com/us/products/email-protection/email-security-and-protection"},
    {12, 'b', "5.1.1", "RCPT",
     "550 5.1.1 <%R>: Recipient address rejected: User unknown in virtual mailbox table"},
    {12, 'd', "4.2.0", "RCPT",
     "450 4.2.0 <%R>: Recipient address rejected: Greylisted, see "
     "http://postgrey.schweikert.ch/help/smallbiz.net.html"},
    {12, 'd', "4.2.2", "RCPT", "452 4.2.2 <%R>: Recipient address rejected: Mailbox full"},
    {12, 'b', "5.7.1", "RCPT",
     "554 5.7.1 Service unavailable; Client host [%S] blocked using zen.spamhaus.org; "
     "https://www.spamhaus.org/query/ip/%S"},
    {13, 'b', "5.1.1", "RCPT", "550 5.1.1 <%R>... User unknown"},
    {13, 'd', "4.4.1", NULL, "connect to %M[%I]:25: Connection timed out"},
    {-1, 'b', "5.4.4", NULL,
     "Host or domain name not found. Name service error for name=%D type=MX: Host not found, try "
     "again"},
};
#define NREP (sizeof replies / sizeof replies[0])

static const char *const users[] = {"john.smith", "m.garcia",   "li.wei",        "anna", "info",
                                    "sales",      "k.nakamura", "pierre.dupont", "olga", "dev"};

static char *expand(char *out, size_t cap, const char *t, const char *rcpt, const char *dom,
                    const char *mx, const char *rip, const char *sip)
{
    size_t n = 0;
    for (; *t && n + 64 < cap; t++) {
        if (*t != '%') {
            out[n++] = *t;
            continue;
        }
        t++;
        const char *s = *t == 'R'   ? rcpt
                        : *t == 'D' ? dom
                        : *t == 'M' ? mx
                        : *t == 'I' ? rip
                        : *t == 'S' ? sip
                                    : NULL;
        if (*t == 'X') {
            n += (size_t)snprintf(out + n, cap - n, "%08x%04x", rnd(0x7fffffff), rnd(0xffff));
        } else if (s) {
            size_t l = strlen(s);
            if (n + l + 1 >= cap)
                break;
            memcpy(out + n, s, l);
            n += l;
        }
    }
    out[n] = 0;
    return out;
}

static void qid(char *q, int exim)
{
    static const char a[] = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";
    if (exim) {
        for (int i = 0; i < 6; i++)
            q[i] = a[rnd(sizeof a - 1)];
        q[6] = '-';
        for (int i = 7; i < 13; i++)
            q[i] = a[rnd(sizeof a - 1)];
        memcpy(q + 13, "-00", 4);
        return;
    }
    for (int i = 0; i < 13; i++)
        q[i] = a[rnd(sizeof a - 1)];
    q[13] = 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: gen_maillog postfix|exim MEGABYTES [SEED]\n");
        return 2;
    }
    int exim = strcmp(argv[1], "exim") == 0;
    unsigned long long want = strtoull(argv[2], NULL, 10) << 20, written = 0;
    if (argc > 3)
        rng ^= strtoull(argv[3], NULL, 10) * 0x9E3779B97F4A7C15ull;
    static char line[8192], text[4096];
    long long t = 1709251200; /* 2024-03-01 */
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    unsigned long long msgno = 0;
    setvbuf(stdout, NULL, _IOFBF, 1 << 20);
    while (written < want) {
        msgno++;
        t += rnd(3);
        long long d = t % 86400;
        int hh = (int)(d / 3600), mm = (int)(d / 60 % 60), ss = (int)(d % 60);
        int day = (int)((t - 1709251200) / 86400) % 28 + 1;
        char ts[40];
        if (exim)
            snprintf(ts, sizeof ts, "2024-03-%02d %02d:%02d:%02d", day, hh, mm, ss);
        else
            snprintf(ts, sizeof ts, "%s %2d %02d:%02d:%02d", mon[2], day, hh, mm, ss);
        char q[24], sip[32], sender[64];
        qid(q, exim);
        snprintf(sip, sizeof sip, "203.0.113.%u", 10 + rnd(20));
        snprintf(sender, sizeof sender, "news%u@mail%u.example.com", rnd(5), rnd(3));
        int nrcpt = 1 + (rnd(10) == 0 ? (int)rnd(4) : 0);
        int n;
        if (exim) {
            n = printf("%s %s <= %s H=app%u.example.com [10.0.0.%u] P=esmtps "
                       "X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no S=%u id=%llu.%u@example.com\n",
                       ts, q, sender, rnd(4), rnd(250), 2000 + rnd(60000), msgno, rnd(99999));
        } else {
            n = printf(
                "%s relay1 postfix/smtpd[%u]: connect from app%u.example.com[10.0.0.%u]\n"
                "%s relay1 postfix/smtpd[%u]: %s: client=app%u.example.com[10.0.0.%u], "
                "sasl_method=PLAIN, sasl_username=news\n"
                "%s relay1 postfix/cleanup[%u]: %s: message-id=<%llu.%u@example.com>\n"
                "%s relay1 postfix/qmgr[1021]: %s: from=<%s>, size=%u, nrcpt=%d (queue active)\n",
                ts, 2000 + rnd(3000), rnd(4), rnd(250), ts, 2000 + rnd(3000), q, rnd(4), rnd(250),
                ts, 3000 + rnd(3000), q, msgno, rnd(99999), ts, q, sender, 2000 + rnd(60000),
                nrcpt);
        }
        written += (unsigned long long)n;
        for (int r = 0; r < nrcpt; r++) {
            const struct rcv *rv = &receivers[rnd(NRCV)];
            char rcpt[128], rip[32];
            snprintf(rcpt, sizeof rcpt, "%s%u@%s", users[rnd(10)], rnd(1000), rv->domain);
            snprintf(rip, sizeof rip, "198.51.100.%u", rnd(250));
            unsigned roll = rnd(100);
            const struct reply *rp = NULL;
            if (roll >= 90) {
                /* a failure: pick a reply of this receiver (or a generic one) */
                int ri = (int)(rv - receivers);
                const struct reply *own[NREP], *any[NREP];
                unsigned nown = 0, nany = 0;
                for (unsigned k = 0; k < NREP; k++) {
                    if (replies[k].rcv == ri)
                        own[nown++] = &replies[k];
                    else if (replies[k].rcv == -1 || replies[k].rcv >= 12)
                        any[nany++] = &replies[k];
                }
                rp = nown && rnd(10) < 7 ? own[rnd(nown)] : any[rnd(nany)];
            }
            int attempts = rp && rp->kind == 'd' ? 1 + (int)rnd(3) : 0;
            for (int a = 0; a <= attempts; a++) {
                const struct reply *now = a < attempts ? rp : (rp && rp->kind == 'b' ? rp : NULL);
                if (a == attempts && rp && rp->kind == 'd' && rnd(4) == 0)
                    now = &replies[0]; /* a deferral that ends in a bounce */
                double delay = 0.2 + rnd(3000) / 1000.0 + a * 900;
                if (now)
                    expand(text, sizeof text, now->text, rcpt, rv->domain, rv->mx, rip, sip);
                if (exim) {
                    if (!now) {
                        n = snprintf(line, sizeof line,
                                     "%s %s => %s R=dnslookup T=remote_smtp H=%s [%s] "
                                     "X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 2.0.0 OK "
                                     "%u - gsmtp\" QT=%.1fs DT=%.1fs\n",
                                     ts, q, rcpt, rv->mx, rip, rnd(1u << 30), delay, delay / 2);
                    } else if (now->cmd) {
                        n = snprintf(line, sizeof line,
                                     "%s %s %s %s R=dnslookup T=remote_smtp H=%s [%s]%s: SMTP "
                                     "error from remote mail server after %s%s%s%s: %s\n",
                                     ts, q, now->kind == 'd' ? "==" : "**", rcpt, rv->mx, rip,
                                     now->kind == 'd' ? " defer (-44)" : "",
                                     strcmp(now->cmd, "RCPT") == 0   ? "RCPT TO:<"
                                     : strcmp(now->cmd, "MAIL") == 0 ? "MAIL FROM:<"
                                                                     : "end of data",
                                     strcmp(now->cmd, "DATA") == 0   ? ""
                                     : strcmp(now->cmd, "RCPT") == 0 ? rcpt
                                                                     : sender,
                                     strcmp(now->cmd, "DATA") == 0 ? "" : ">", "", text);
                    } else {
                        n = snprintf(line, sizeof line, "%s %s %s %s R=dnslookup%s: %s\n", ts, q,
                                     now->kind == 'd' ? "==" : "**", rcpt,
                                     now->kind == 'd' ? " T=remote_smtp defer (110)" : "", text);
                    }
                } else {
                    const char *st = !now ? "sent" : now->kind == 'd' ? "deferred" : "bounced";
                    if (!now)
                        n = snprintf(line, sizeof line,
                                     "%s relay1 postfix/smtp[%u]: %s: to=<%s>, relay=%s[%s]:25, "
                                     "delay=%.1f, delays=0.1/0/0.3/%.1f, dsn=2.0.0, status=sent "
                                     "(250 2.0.0 OK  %u %s - gsmtp)\n",
                                     ts, 4000 + rnd(3000), q, rcpt, rv->mx, rip, delay, delay - 0.4,
                                     rnd(1u << 30), q);
                    else if (now->cmd)
                        n = snprintf(line, sizeof line,
                                     "%s relay1 postfix/smtp[%u]: %s: to=<%s>, relay=%s[%s]:25, "
                                     "delay=%.1f, delays=0.1/0/0.3/%.1f, dsn=%s, status=%s (host "
                                     "%s[%s] said: %s (in reply to %s command))\n",
                                     ts, 4000 + rnd(3000), q, rcpt, rv->mx, rip, delay, delay - 0.4,
                                     now->dsn, st, rv->mx, rip, text,
                                     strcmp(now->cmd, "RCPT") == 0   ? "RCPT TO"
                                     : strcmp(now->cmd, "MAIL") == 0 ? "MAIL FROM"
                                                                     : "end of DATA");
                    else
                        n = snprintf(line, sizeof line,
                                     "%s relay1 postfix/smtp[%u]: %s: to=<%s>, relay=none, "
                                     "delay=%.1f, delays=0.1/0/30/0, dsn=%s, status=%s (%s)\n",
                                     ts, 4000 + rnd(3000), q, rcpt, delay, now->dsn, st, text);
                }
                if (n > 0) {
                    fwrite(line, 1, (size_t)n, stdout);
                    written += (unsigned long long)n;
                }
            }
        }
        if (exim) {
            n = printf("%s %s Completed QT=%.1fs\n", ts, q, 0.5 + rnd(100) / 10.0);
        } else {
            n = printf("%s relay1 postfix/qmgr[1021]: %s: removed\n"
                       "%s relay1 postfix/smtpd[%u]: disconnect from app%u.example.com[10.0.0.%u] "
                       "ehlo=2 starttls=1 auth=1 mail=1 rcpt=%d data=1 quit=1 commands=8\n",
                       ts, q, ts, 2000 + rnd(3000), rnd(4), rnd(250), nrcpt);
        }
        written += (unsigned long long)n;
    }
    return 0;
}
