/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_report_template.c - unit tests for response templates (src/report_template.c).
 *
 * DESCRIPTION
 *   Table-driven over real-looking replies from Gmail, Microsoft 365 / Outlook.com, Yahoo,
 *   Postfix, Exim, Exchange, Comcast, Cloudmark and Spamhaus with their exact templates;
 *   pairs that differ only in address, IP, id or time must give one template, pairs that
 *   differ in a code must not. Then the edges: NUL and control bytes, invalid UTF-8, empty
 *   input, every cap from 0 up (the result is a NUL-terminated prefix of the full template,
 *   never cut inside a UTF-8 sequence), every prefix of every case read against a guard page
 *   (no byte past n is read), pathological 1 MB inputs under a time limit (the pass is
 *   linear), and a throughput figure in MB/s (printed, not checked: this is a debug build).
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS for the guard page */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "report_template.h"

#define BIG 4096

static const struct {
    const char *name;
    const char *in;
    const char *want;
} cases[] = {
    {"gmail 5.1.1 user unknown, multi-line with gsmtp id",
     "550-5.1.1 The email account that you tried to reach does not exist. Please"
     " try\r\n550-5.1.1 double-checking the recipient's email address for typos"
     " or\r\n550-5.1.1 unnecessary spaces. For more information, go to\r\n550 5.1.1 "
     " https://support.google.com/mail/?p=NoSuchUser"
     " a640c23a62f3a-a9a0f7e1f27si123456.66 - gsmtp",
     "550-5.1.1 The email account that you tried to reach does not exist. Please try"
     " 550-5.1.1 double-checking the recipient's email address for typos or"
     " 550-5.1.1 unnecessary spaces. For more information, go to 550 5.1.1"
     " https://support.google.com/mail/?<q> <id> - gsmtp"},
    {"gmail 4.7.28 rate limit with IP",
     "421-4.7.28 [192.0.2.1      15] Our system has detected an unusual rate"
     " of\r\n421-4.7.28 unsolicited mail originating from your IP address. To"
     " protect our\r\n421-4.7.28 users from spam, mail sent from your IP address has"
     " been temporarily\r\n421-4.7.28 rate limited. Please visit\r\n421-4.7.28 "
     " https://support.google.com/mail/?p=UnsolicitedRateLimitError to\r\n421 4.7.28"
     " review our Bulk Email Senders Guidelines."
     " 41be03b00d2f7-5f1c1a2b3c4si1234567pgb.123 - gsmtp",
     "421-4.7.28 [<ip> <n>] Our system has detected an unusual rate of 421-4.7.28"
     " unsolicited mail originating from your IP address. To protect our 421-4.7.28"
     " users from spam, mail sent from your IP address has been temporarily"
     " 421-4.7.28 rate limited. Please visit 421-4.7.28"
     " https://support.google.com/mail/?<q> to 421 4.7.28 review our Bulk Email"
     " Senders Guidelines. <id> - gsmtp"},
    {"gmail 5.7.26 unauthenticated, blank continuation lines",
     "550-5.7.26 This mail has been blocked because the sender is\r\n550-5.7.26"
     " unauthenticated. Gmail requires all senders to authenticate"
     " with\r\n550-5.7.26 either SPF or DKIM.\r\n550-5.7.26\r\n550-5.7.26 "
     " Authentication results:\r\n550-5.7.26  DKIM = did not pass\r\n550-5.7.26  SPF"
     " [example.com] with ip: [192.0.2.7] = did not pass\r\n550-5.7.26\r\n550-5.7.26"
     "  For instructions on setting up authentication, go to\r\n550 5.7.26 "
     " https://support.google.com/mail/answer/81126#authentication"
     " d9443c01a7336-1f2b3c4d5e6si123456ad.99 - gsmtp",
     "550-5.7.26 This mail has been blocked because the sender is 550-5.7.26"
     " unauthenticated. Gmail requires all senders to authenticate with 550-5.7.26"
     " either SPF or DKIM. 550-5.7.26 550-5.7.26 Authentication results: 550-5.7.26"
     " DKIM = did not pass 550-5.7.26 SPF [example.com] with ip: [<ip>] = did not"
     " pass 550-5.7.26 550-5.7.26 For instructions on setting up authentication, go"
     " to 550 5.7.26 https://support.google.com/mail/answer/<n>#authentication <id>"
     " - gsmtp"},
    {"gmail 4.2.2 over quota",
     "452-4.2.2 The recipient's inbox is out of storage space. Please direct"
     " the\r\n452-4.2.2 recipient to\r\n452 4.2.2 "
     " https://support.google.com/mail/?p=OverQuotaTemp"
     " 5b1f17b1804b1-4212f2b3c4dsi1234567f.12 - gsmtp",
     "452-4.2.2 The recipient's inbox is out of storage space. Please direct the"
     " 452-4.2.2 recipient to 452 4.2.2 https://support.google.com/mail/?<q> <id> -"
     " gsmtp"},
    {"outlook 5.7.1 S3150 with IP in brackets and outlook host",
     "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please"
     " contact your Internet service provider since part of their network is on our"
     " block list (S3150). You can also refer your provider to"
     " http://mail.live.com/mail/troubleshooting.aspx#errors."
     " [AM2PEPF0001C717.eurprd02.prod.outlook.com 2024-05-01T12:00:00.000Z"
     " 08DC6A1B2C3D4E5F]",
     "550 5.7.1 Unfortunately, messages from [<ip>] weren't sent. Please contact"
     " your Internet service provider since part of their network is on our block"
     " list (S3150). You can also refer your provider to"
     " http://mail.live.com/mail/troubleshooting.aspx#errors. [<host> <date> <id>]"},
    {"microsoft 5.7.606 banned IP, AS(1430), fwlink query",
     "550 5.7.606 Access denied, banned sending IP [192.0.2.44]. To request removal"
     " from this list please visit https://sender.office.com/ and follow the"
     " directions. For more information please go to "
     " http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430)"
     " [BN8NAM12FT051.eop-nam12.prod.protection.outlook.com 2024-05-01T12:00:00.000Z"
     " 08DC6A1B2C3D4E5F]",
     "550 5.7.606 Access denied, banned sending IP [<ip>]. To request removal from"
     " this list please visit https://sender.office.com/ and follow the directions."
     " For more information please go to http://go.microsoft.com/fwlink/?<q>"
     " AS(1430) [<host> <date> <id>]"},
    {"microsoft 5.1.10 recipient not found, bare address",
     "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient john.doe@contoso.com not"
     " found by SMTP address lookup",
     "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient <addr> not found by SMTP"
     " address lookup"},
    {"microsoft 4.7.650 IP reputation, MxId",
     "451 4.7.650 The mail server [192.0.2.1] has been temporarily rate limited due"
     " to IP reputation. For e-mail delivery information, see"
     " https://aka.ms/postmaster (S775) [Name=Protocol Filter"
     " Agent][AGT=PFA][MxId=11BB1E5C47CBE5AF]"
     " [DM6NAM11FT067.eop-nam11.prod.protection.outlook.com 2024-05-01T12:00:00.000Z"
     " 08DC6A1B2C3D4E5F]",
     "451 4.7.650 The mail server [<ip>] has been temporarily rate limited due to IP"
     " reputation. For e-mail delivery information, see https://aka.ms/postmaster"
     " (S775) [Name=Protocol Filter Agent][AGT=PFA][MxId=<id>] [<host> <date> <id>]"},
    {"yahoo 4.7.0 TSS04",
     "421 4.7.0 [TSS04] Messages from 192.0.2.5 temporarily deferred due to"
     " unexpected volume or user complaints - 4.16.55.1; see"
     " https://postmaster.yahooinc.com/error-codes",
     "421 4.7.0 [TSS04] Messages from <ip> temporarily deferred due to unexpected"
     " volume or user complaints - <ip>; see"
     " https://postmaster.yahooinc.com/error-codes"},
    {"yahoo 5.7.9 policy, double space",
     "554 5.7.9 Message not accepted for policy reasons.  See"
     " https://postmaster.yahooinc.com/error-codes",
     "554 5.7.9 Message not accepted for policy reasons. See"
     " https://postmaster.yahooinc.com/error-codes"},
    {"postfix relay of yahoo: said: with a numbered host",
     "host mta7.am0.yahoodns.net[67.195.204.72] said: 421 4.7.0 [TSS04] Messages"
     " from 192.0.2.5 temporarily deferred due to unexpected volume or user"
     " complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes (in"
     " reply to MAIL FROM command)",
     "host <host>[<ip>] said: 421 4.7.0 [TSS04] Messages from <ip> temporarily"
     " deferred due to unexpected volume or user complaints - <ip>; see"
     " https://postmaster.yahooinc.com/error-codes (in reply to MAIL FROM command)"},
    {"spamhaus zen with lookup URL",
     "554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using"
     " zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.9",
     "554 5.7.1 Service unavailable; Client host [<ip>] blocked using"
     " zen.spamhaus.org; https://www.spamhaus.org/query/ip/<ip>"},
    {"postfix user unknown, address first",
     "<a@b.com>: Recipient address rejected: User unknown in virtual mailbox table",
     "<addr>: Recipient address rejected: User unknown in virtual mailbox table"},
    {"postfix said: with host[ip]",
     "host mx.example.org[192.0.2.1] said: 550 5.1.1 <john@example.org>: Recipient"
     " address rejected: User unknown in virtual mailbox table (in reply to RCPT TO"
     " command)",
     "host mx.example.org[<ip>] said: 550 5.1.1 <addr>: Recipient address rejected:"
     " User unknown in virtual mailbox table (in reply to RCPT TO command)"},
    {"postfix greylisting URL path kept",
     "450 4.2.0 <b@example.net>: Recipient address rejected: Greylisted, see"
     " http://postgrey.schweikert.ch/help/example.net.html",
     "450 4.2.0 <addr>: Recipient address rejected: Greylisted, see"
     " http://postgrey.schweikert.ch/help/example.net.html"},
    {"exim after RCPT TO:, no enhanced code",
     "SMTP error from remote mail server after RCPT TO:<bob@example.com>: 550 No"
     " Such User Here",
     "SMTP error from remote mail server after RCPT TO:<addr>: 550 No Such User Here"},
    {"exchange #550 RESOLVER", "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##",
     "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##"},
    {"comcast HL:REP also in a URL fragment",
     "554 5.7.1 [HL:REP] Comcast block for spam. Please see"
     " http://postmaster.comcast.net/smtp-error-codes.php#HL:REP",
     "554 5.7.1 [HL:REP] Comcast block for spam. Please see"
     " http://postmaster.comcast.net/smtp-error-codes.php#HL:REP"},
    {"cloudmark AUP#CXBL",
     "554 5.7.1 Message rejected under AUP#CXBL - see"
     " https://www.cloudmark.com/en/products/cloudmark-sender-intelligence/how-to-fix-blocklisting",
     "554 5.7.1 Message rejected under AUP#CXBL - see"
     " https://www.cloudmark.com/en/products/cloudmark-sender-intelligence/"
     "how-to-fix-blocklisting"},
    {"cloudmark AUP#1260", "550 Rejected by AUP#1260", "550 Rejected by AUP#1260"},
    {"outlook.com RP-001 with frontend name",
     "421 RP-001 (BAY0-MC1-F21) Unfortunately, some messages from 192.0.2.1 weren't"
     " sent. Please try again.",
     "421 RP-001 (<id>) Unfortunately, some messages from <ip> weren't sent. Please"
     " try again."},
    {"cloudmark CS01",
     "550 5.7.1 [CS01] Message rejected due to local policy. Please visit"
     " https://www.cloudmark.com/en/reporting-false-positives",
     "550 5.7.1 [CS01] Message rejected due to local policy. Please visit"
     " https://www.cloudmark.com/en/reporting-false-positives"},
    {"sending quota numbers",
     "550 5.4.5 Daily user sending quota exceeded. 10000 messages per day; try again"
     " in 300 seconds",
     "550 5.4.5 Daily user sending quota exceeded. <n> messages per day; try again"
     " in <n> seconds"},
    {"postfix queued as", "250 2.0.0 Ok: queued as 4VsZ2X0sDmz9sWB",
     "250 2.0.0 Ok: queued as <id>"},
    {"gmail 250 with timestamp and id",
     "250 2.0.0 OK 1714564800 a640c23a62f3a-a9a0f7e1f27si123456.66 - gsmtp",
     "250 2.0.0 OK <n> <id> - gsmtp"},
    {"RFC 5322 date and bare time",
     "451 Temporary local problem at Wed, 01 May 2024 12:00:00 +0000 (UTC); retry"
     " after 12:30",
     "451 Temporary local problem at <date>; retry after <time>"},
    {"DSN diagnostic smtp; prefix", "smtp; 550 Unknown user <kijitora@example.jp>",
     "smtp; 550 Unknown user <addr>"},
    {"IPv6 literal, compressed and IPv4-mapped",
     "550 5.7.1 Connection from [IPv6:2001:db8::1] refused; also"
     " 2001:db8:85a3::8a2e:370:7334 and ::ffff:192.0.2.1",
     "550 5.7.1 Connection from [<ip>] refused; also <ip> and <ip>"},
    {"amavis id, GUID, exim id collapse",
     "554 5.7.0 Reject, id=22220-02-222 - SPAM; queue"
     " 3f2504e0-4f89-11d3-9a0c-0305e82c3301 1rXyZq-000ABC-7K",
     "554 5.7.0 Reject, id=<n> - SPAM; queue <id>"},
    {"query strings with IPs",
     "550 5.7.1 Blocked: see https://ipcheck.proofpoint.com/?ip=192.0.2.1 and"
     " https://check.spamhaus.org/listed/?searchterm=192.0.2.1",
     "550 5.7.1 Blocked: see https://ipcheck.proofpoint.com/?<q> and"
     " https://check.spamhaus.org/listed/?<q>"},
    {"cloudflare id in mixed case",
     "421 4.3.0 Upstream error, please check"
     " https://developers.cloudflare.com/email-routing/postmaster for possible"
     " reasons why. RsrUEMk60942",
     "421 4.3.0 Upstream error, please check"
     " https://developers.cloudflare.com/email-routing/postmaster for possible"
     " reasons why. <id>"},
    {"exchange -> relayed reply code",
     "550 5.1.351 Remote server returned unknown recipient or mailbox unavailable ->"
     " 550 Unknown user <bob@example.com>",
     "550 5.1.351 Remote server returned unknown recipient or mailbox unavailable ->"
     " 550 Unknown user <addr>"},
    {"yahoo [#102] with numbered host",
     "554 delivery error: dd Sorry your message to john@yahoo.com cannot be"
     " delivered. This account has been disabled or discontinued [#102]. -"
     " mta1234.mail.gq1.yahoo.com",
     "554 delivery error: dd Sorry your message to <addr> cannot be delivered. This"
     " account has been disabled or discontinued [#102]. - <host>"},
    {"multi-line reply without enhanced codes",
     "550-Mailbox unknown\r\n550-Please check the address\r\n550 Requested action"
     " not taken",
     "550-Mailbox unknown 550-Please check the address 550 Requested action not"
     " taken"},
    {"thousands separators", "552 5.2.2 Mailbox full: used 10,485,760 of 10,000,000 bytes",
     "552 5.2.2 Mailbox full: used <n> of <n> bytes"},
};

/* Replies that differ only in their variable parts: one template each pair. */
static const struct {
    const char *a, *b;
} same[] = {
    {"550-5.1.1 The email account that you tried to reach does not exist.\r\n550 5.1.1 "
     " https://support.google.com/mail/?p=NoSuchUser a640c23a62f3a-a9a0f7e1f27si123456.66 - gsmtp",
     "550-5.1.1 The email account that you tried to reach does not exist.\r\n550 5.1.1 "
     " https://support.google.com/mail/?p=NoSuchUser 2adb3069b0e04-52e9c1d5b4dsi987e87.7 - gsmtp"},
    {"550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. (S3150). "
     "[AM2PEPF0001C717.eurprd02.prod.outlook.com 2024-05-01T12:00:00.000Z 08DC6A1B2C3D4E5F]",
     "550 5.7.1 Unfortunately, messages from [198.51.100.77] weren't sent. (S3150). "
     "[DB5PEPF00014B9C.eurprd04.prod.outlook.com 2025-01-31T23:59:59.123Z 08DD41A2B3C4D5E6]"},
    {"host mx.example.org[192.0.2.1] said: 550 5.1.1 <john@example.org>: Recipient address "
     "rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
     "host mx.example.org[203.0.113.9] said: 550 5.1.1 <mary.smith+news@example.org>: "
     "Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO "
     "command)"},
    {"421 4.7.0 [TSS04] Messages from 192.0.2.5 temporarily deferred due to unexpected volume",
     "421 4.7.0 [TSS04] Messages from 2001:db8::25 temporarily deferred due to unexpected volume"},
    {"554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using zen.spamhaus.org; "
     "https://www.spamhaus.org/query/ip/192.0.2.9",
     "554 5.7.1 Service unavailable; Client host [203.0.113.200] blocked using "
     "zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.200"},
    {"421-4.7.28 [192.0.2.1      15] Our system has detected an unusual rate of",
     "421-4.7.28 [198.51.100.3      19] Our system has detected an unusual rate of"},
    {"451 Temporary local problem at Wed, 01 May 2024 12:00:00 +0000 (UTC); retry after 12:30",
     "451 Temporary local problem at Thu, 2 May 2024 01:02:03 -0700; retry after 9:05:59"},
    {"250 2.0.0 Ok: queued as 4VsZ2X0sDmz9sWB", "250 2.0.0 Ok: queued as 3F2A1C0B7E"},
    {"SMTP error from remote mail server after RCPT TO:<bob@example.com>: 550 No Such User Here",
     "SMTP error from remote mail server after RCPT TO:<alice@mail.example.net>: 550 No Such User "
     "Here"},
    {"452 4.5.3 sending quota exceeded: 10000 messages per day; try again in 300 seconds",
     "452 4.5.3 sending quota exceeded: 2,000 messages per day; try again in 45 seconds"},
};

/* Replies that differ in what identifies the template: never one template. */
static const struct {
    const char *a, *b;
} differ[] = {
    {"550 5.1.1 User unknown", "550 5.2.1 User unknown"},
    {"550 5.1.1 User unknown", "450 5.1.1 User unknown"},
    {"421 4.7.0 [TSS04] Messages deferred", "421 4.7.0 [TSS05] Messages deferred"},
    {"550 5.7.1 block list (S3150)", "550 5.7.1 block list (S3140)"},
    {"550 5.7.606 Access denied (AS16012607)", "550 5.7.606 Access denied (AS16012609)"},
    {"554 5.7.1 [HL:REP] Comcast block", "554 5.7.1 [HL:MEP] Comcast block"},
    {"550 Rejected by AUP#1260", "550 Rejected by AUP#1500"},
    {"blocked using zen.spamhaus.org", "blocked using b.barracudacentral.org"},
};

/* utf8_tail_ok - s (len bytes, valid UTF-8 before any cut) does not end inside a sequence */
static int utf8_tail_ok(const char *s, size_t len)
{
    size_t k = len, back = 0;
    while (k > 0 && back < 4 && ((unsigned char)s[k - 1] & 0xC0) == 0x80) {
        k--;
        back++;
    }
    if (k == 0 || back == 0)
        return back == 0 || k > 0;
    unsigned char lead = (unsigned char)s[k - 1];
    size_t need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
    return need == back;
}

/* check_caps - every cap from 0 to past the full length: NUL-terminated, shorter than cap,
 * a prefix of the full template, not cut inside a UTF-8 sequence */
static void check_caps(const char *name, const char *in, size_t n)
{
    char full[BIG], out[BIG];
    size_t fl = report_template(in, n, full, sizeof full);
    CHECK_INT(report_template(in, n, NULL, 0), 0, name);
    for (size_t cap = 1; cap <= fl + 2 && cap < sizeof out; cap++) {
        memset(out, 'X', sizeof out);
        size_t l = report_template(in, n, out, cap);
        int ok = l < cap && out[l] == '\0' && memcmp(out, full, l) == 0 && utf8_tail_ok(out, l) &&
                 (l == 0 || out[l - 1] != ' ') && out[cap] == 'X';
        if (cap > fl)
            ok = ok && l == fl;
        CHECK(ok, "%s: cap %zu gave %zu bytes '%s'", name, cap, l, out);
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* guard_page - every prefix of every case placed to end exactly at an unreadable page */
static void guard_page(void)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED || mprotect(m + pg, pg, PROT_NONE) != 0) {
        CHECK(0, "guard page: mmap failed");
        return;
    }
    char out[BIG], small[9];
    size_t runs = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].in);
        if (n > pg)
            continue;
        for (size_t k = 0; k <= n; k++) {
            memcpy(m + pg - k, cases[i].in, k);
            report_template(m + pg - k, k, out, sizeof out);
            report_template(m + pg - k, k, small, sizeof small);
            runs++;
        }
    }
    CHECK(runs > 1000, "guard page: only %zu runs", runs);
    munmap(m, 2 * pg);
}

/* pathological - 1 MB of a repeated pattern must take linear time */
static void pathological(void)
{
    static const char *const pats[] = {
        "a.",
        "a@",
        "a@b",
        "1:",
        "1::",
        "::",
        "<",
        "<a",
        "Wed, ",
        "1 May ",
        "12:00 ",
        "9.9.",
        "a-",
        "ab12",
        "http://a/",
        "https://x.y/?",
        "2024-05-01 ",
        "[1.2.3.4]",
        "\xe3\x81\x82",
        "\xff",
        "550-",
        "AUP#1",
        "x=y@",
        "fe80::1:",
    };
    size_t n = 1 << 20;
    char *in = malloc(n), *out = malloc(n + 1);
    if (!in || !out) {
        CHECK(0, "pathological: out of memory");
        free(in);
        free(out);
        return;
    }
    for (size_t p = 0; p < sizeof pats / sizeof pats[0]; p++) {
        size_t pl = strlen(pats[p]);
        for (size_t i = 0; i < n; i++)
            in[i] = pats[p][i % pl];
        double t0 = now();
        size_t l = report_template(in, n, out, n + 1);
        report_template(in, n, out, 384);
        double dt = now() - t0;
        CHECK(l <= n && out[strlen(out)] == '\0', "pathological '%s': length %zu", pats[p], l);
        /* a quadratic pass would take minutes on 1 MB, even at -O2 */
        CHECK(dt < 5.0, "pathological '%s': %.2f s for 1 MB", pats[p], dt);
    }
    /* random bytes */
    unsigned x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        in[i] = (char)(x >> 16);
    }
    double t0 = now();
    size_t l = report_template(in, n, out, n + 1);
    CHECK(l <= n && now() - t0 < 5.0, "pathological random: %zu bytes", l);
    free(in);
    free(out);
}

/* throughput - MB/s on the case replies, one call per reply as `rebound report` makes them */
static void throughput(void)
{
    char out[BIG]; /* larger than any template here: every byte of input is processed */
    size_t bytes = 0, sink = 0;
    double t0 = now(), dt;
    do {
        for (int rep = 0; rep < 100; rep++)
            for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                size_t n = strlen(cases[i].in);
                sink += report_template(cases[i].in, n, out, sizeof out);
                bytes += n;
            }
        dt = now() - t0;
    } while (dt < 0.5);
    printf("throughput: %.1f MB/s (%zu bytes in %.2f s, %zu out)\n", (double)bytes / dt / 1e6,
           bytes, dt, sink);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char out[BIG], out2[BIG];
    const char *o = out; /* CHECK_STR wants a pointer, not an array */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].in);
        size_t l = report_template(cases[i].in, n, out, sizeof out);
        const char *got = out;
        CHECK_STR(got, cases[i].want, cases[i].name);
        CHECK_INT(l, strlen(cases[i].want), cases[i].name);
        /* a template is a fixed point: templating it again changes nothing */
        report_template(out, l, out2, sizeof out2);
        const char *again = out2;
        CHECK_STR(again, got, cases[i].name);
        check_caps(cases[i].name, cases[i].in, n);
    }
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        report_template(same[i].a, strlen(same[i].a), out, sizeof out);
        report_template(same[i].b, strlen(same[i].b), out2, sizeof out2);
        CHECK(strcmp(out, out2) == 0, "same %zu: '%s' vs '%s'", i, out, out2);
    }
    for (size_t i = 0; i < sizeof differ / sizeof differ[0]; i++) {
        report_template(differ[i].a, strlen(differ[i].a), out, sizeof out);
        report_template(differ[i].b, strlen(differ[i].b), out2, sizeof out2);
        CHECK(strcmp(out, out2) != 0, "differ %zu: both '%s'", i, out);
    }

    /* NUL and control bytes are spaces; leading and trailing whitespace goes */
    static const char ctl[] = " \t\r\n550\0 5.1.1\tuser\x01unknown\x7f<a@b.c>\x1b\r\n  \0";
    size_t l = report_template(ctl, sizeof ctl - 1, out, sizeof out);
    CHECK_STR(o, "550 5.1.1 user unknown <addr>", "control bytes");
    CHECK_INT(l, strlen("550 5.1.1 user unknown <addr>"), "control bytes");
    check_caps("control bytes", ctl, sizeof ctl - 1);
    /* invalid UTF-8 is kept, a lone lead byte at the very end included */
    static const char bad[] = "550 \xff\xfe bad \xc3";
    report_template(bad, sizeof bad - 1, out, sizeof out);
    CHECK_STR(o, "550 \xff\xfe bad \xc3", "invalid UTF-8");
    /* valid UTF-8: never cut inside a character */
    static const char de[] = "550 5.1.1 Empf\xc3\xa4nger <j\xc3\xbcrgen@beispiel.de> unbekannt "
                             "\xe2\x80\x93 Postf\xc3\xa4\x63h voll \xe5\xae\x9b\xe5\x85\x88 "
                             "\xf0\x9f\x93\xa7";
    report_template(de, sizeof de - 1, out, sizeof out);
    CHECK_STR(o,
              "550 5.1.1 Empf\xc3\xa4nger <addr> unbekannt \xe2\x80\x93 Postf\xc3\xa4\x63h voll "
              "\xe5\xae\x9b\xe5\x85\x88 \xf0\x9f\x93\xa7",
              "UTF-8 text");
    check_caps("UTF-8 text", de, sizeof de - 1);
    /* empty input, NULL input, small caps */
    CHECK_INT(report_template("", 0, out, sizeof out), 0, "empty");
    CHECK_STR(o, "", "empty");
    CHECK_INT(report_template(NULL, 0, out, sizeof out), 0, "NULL input");
    CHECK_INT(report_template(" \r\n\t ", 5, out, sizeof out), 0, "only whitespace");
    CHECK_STR(o, "", "only whitespace");
    const char *g = "550 5.1.1 <john@x.com> unknown";
    CHECK_INT(report_template(g, strlen(g), out, 1), 0, "cap 1");
    CHECK_STR(o, "", "cap 1");
    CHECK_INT(report_template(g, strlen(g), out, 2), 1, "cap 2");
    CHECK_STR(o, "5", "cap 2");
    CHECK_INT(report_template(g, strlen(g), out, 5), 3, "cap 5");
    CHECK_STR(o, "550", "cap 5");
    CHECK_INT(report_template(g, strlen(g), out, 16), 9, "cap 16: no half placeholder");
    CHECK_STR(o, "550 5.1.1", "cap 16: no half placeholder");
    CHECK_INT(report_template(g, strlen(g), out, 17), 16, "cap 17");
    CHECK_STR(o, "550 5.1.1 <addr>", "cap 17");
    /* length counts: n is honoured, the bytes after it are not read */
    CHECK_INT(report_template("421 4.7.0 try later", 9, out, sizeof out), 9, "n honoured");
    CHECK_STR(o, "421 4.7.0", "n honoured");

    guard_page();
    pathological();
    throughput();
    return harness_done();
}
