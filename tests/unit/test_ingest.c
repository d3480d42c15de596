/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_ingest.c - unit tests for the ingest framework (src/ingest.c) and the Postfix reader.
 *
 * DESCRIPTION
 *   Syslog header forms (RFC 3164 with and without <PRI>, RFC 3339, RFC 5424 with structured
 *   data), time parsing, key=value extraction, the queue cache (links, eviction bound), and
 *   rb_ingest end to end on an in-memory Postfix log: the same events whatever the chunking
 *   (every split point, byte by byte), over-long and NUL lines skipped with a reason and the
 *   next line still read, --since/--until, strict mode, unknown formats.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ingest.h"

/* an array as a plain pointer (CHECK_STR tests for NULL) */
static const char *S(const char *p)
{
    return p;
}

/* ---- syslog headers ------------------------------------------------------------------------ */

static const struct {
    const char *line;
    bool ok;
    const char *prog, *host, *msg;
    long long ts; /* with year 2024 for RFC 3164 */
} syslog_cases[] = {
    {"Mar  3 10:00:01 mx1 postfix/qmgr[1100]: 4Q8Zx: removed", true, "postfix/qmgr", "mx1",
     "4Q8Zx: removed", 1709460001},
    {"Mar 13 10:00:01 mx1 postfix/smtp[1]: x", true, "postfix/smtp", "mx1", "x", 1710324001},
    {"<22>Mar  3 10:00:01 mx1 sendmail[99]: abc: to=<a@b>", true, "sendmail", "mx1",
     "abc: to=<a@b>", 1709460001},
    {"2024-03-03T10:00:01.123456+01:00 mx1 postfix/smtp[1]: msg", true, "postfix/smtp", "mx1",
     "msg", 1709456401},
    {"2024-03-03T10:00:01Z mx1 exim[5]: 2024-03-03 10:00:01 1rA ** a@b", true, "exim", "mx1",
     "2024-03-03 10:00:01 1rA ** a@b", 1709460001},
    {"<34>1 2024-03-03T10:00:01Z mx1 postfix/smtp 123 - [meta a=\"b]\"] the message", true,
     "postfix/smtp", "mx1", "the message", 1709460001},
    {"<34>1 2024-03-03T10:00:01.5-02:00 mx1 smtpd - ID1 - hello", true, "smtpd", "mx1", "hello",
     1709467201},
    {"Mar  3 10:00:01 mx1 kernel: [12.3] usb", true, "kernel", "mx1", "[12.3] usb", 1709460001},
    /* not syslog */
    {"2024-03-03 10:00:01 1rAbCd-000123-AB ** a@b.c", false, NULL, NULL, NULL, 0},
    {"type,timeLogged,orig,rcpt", false, NULL, NULL, NULL, 0},
    {"{\"event\":\"bounce\"}", false, NULL, NULL, NULL, 0},
    {"Foo  3 10:00:01 mx1 prog: x", false, NULL, NULL, NULL, 0},
    {"Mar  3 10:00:01 mx1", false, NULL, NULL, NULL, 0},
    {"Mar  3 10:00:01 mx1 prog[12 unterminated", false, NULL, NULL, NULL, 0},
    {"<34>1 garbage", false, NULL, NULL, NULL, 0},
    {"", false, NULL, NULL, NULL, 0},
};

static void test_syslog(void)
{
    for (size_t i = 0; i < sizeof syslog_cases / sizeof syslog_cases[0]; i++) {
        struct ingest_line ln;
        memset(&ln, 0, sizeof ln);
        ln.raw = slice_make(syslog_cases[i].line, strlen(syslog_cases[i].line));
        bool ok = ingest_syslog_parse(&ln, 2024);
        CHECK(ok == syslog_cases[i].ok, "syslog %zu '%s': ok %d", i, syslog_cases[i].line, ok);
        if (!ok || !syslog_cases[i].ok)
            continue;
        char buf[256];
        snprintf(buf, sizeof buf, "%.*s", (int)ln.prog.len, ln.prog.p);
        CHECK_STR(S(buf), syslog_cases[i].prog, syslog_cases[i].line);
        snprintf(buf, sizeof buf, "%.*s", (int)ln.host.len, ln.host.p);
        CHECK_STR(S(buf), syslog_cases[i].host, syslog_cases[i].line);
        snprintf(buf, sizeof buf, "%.*s", (int)ln.msg.len, ln.msg.p);
        CHECK_STR(S(buf), syslog_cases[i].msg, syslog_cases[i].line);
        CHECK_INT(ln.ts, syslog_cases[i].ts, syslog_cases[i].line);
    }
}

/* ---- times --------------------------------------------------------------------------------- */

static const struct {
    const char *s;
    bool ok;
    long long t;
} time_cases[] = {
    {"2024-03-03T10:00:01Z", true, 1709460001},
    {"2024-03-03 10:00:01", true, 1709460001},
    {"2024-03-03T10:00:01.999+0100", true, 1709456401},
    {"2024-03-03T10:00:01-05:30", true, 1709479801},
    {"1709460001", true, 1709460001},
    {"1709460001.123456", true, 1709460001},
    {"1709460001123", true, 1709460001},    /* milliseconds */
    {"1709460001123456", true, 1709460001}, /* microseconds */
    {"Sun, 3 Mar 2024 10:00:01 +0000", true, 1709460001},
    {"yesterday", false, 0},
    {"2024-13-03T10:00:01Z", false, 0},
    {"", false, 0},
};

static void test_times(void)
{
    for (size_t i = 0; i < sizeof time_cases / sizeof time_cases[0]; i++) {
        long long t = 0;
        int off = 0;
        bool ok = ingest_parse_time(slice_make(time_cases[i].s, strlen(time_cases[i].s)), &t, &off);
        CHECK(ok == time_cases[i].ok, "time '%s': ok %d", time_cases[i].s, ok);
        if (ok && time_cases[i].ok)
            CHECK_INT(t, time_cases[i].t, time_cases[i].s);
    }
}

/* ---- key=value ----------------------------------------------------------------------------- */

static void test_kv(void)
{
    const char *m = "to=<a@b.c>, orig_to=<o@b.c>, relay=mx[1.2.3.4]:25, delay=1.2, dsn=5.1.1";
    struct slice msg = slice_make(m, strlen(m)), v;
    char buf[64];
    CHECK(ingest_kv(msg, "to=", &v), "kv to=");
    snprintf(buf, sizeof buf, "%.*s", (int)v.len, v.p);
    CHECK_STR(S(buf), "a@b.c", "kv to=");
    CHECK(ingest_kv(msg, "dsn=", &v), "kv dsn=");
    snprintf(buf, sizeof buf, "%.*s", (int)v.len, v.p);
    CHECK_STR(S(buf), "5.1.1", "kv dsn= at the end");
    CHECK(ingest_kv(msg, "relay=", &v), "kv relay=");
    snprintf(buf, sizeof buf, "%.*s", (int)v.len, v.p);
    CHECK_STR(S(buf), "mx[1.2.3.4]:25", "kv relay=");
    CHECK(!ingest_kv(msg, "status=", &v), "kv absent key");
    const char *m2 = "orig_to=<o@b.c>";
    CHECK(!ingest_kv(slice_make(m2, strlen(m2)), "to=", &v), "kv: orig_to= is not to=");
}

/* ---- rb_ingest end to end ------------------------------------------------------------------ */

static const char postfix_log[] =
    "Mar  3 10:00:01 mx1 postfix/cleanup[1201]: 4Q8Zx51Vb7z9t: "
    "message-id=<20240303100001.1@example.com>\n"
    "Mar  3 10:00:01 mx1 postfix/qmgr[1100]: 4Q8Zx51Vb7z9t: from=<news@example.com>, size=4521, "
    "nrcpt=3 (queue active)\n"
    "Mar  3 10:00:02 mx1 postfix/smtp[1300]: 4Q8Zx51Vb7z9t: to=<nobody@gmail.com>, "
    "relay=gmail-smtp-in.l.google.com[142.250.102.27]:25, delay=1.2, delays=0.1/0/0.4/0.7, "
    "dsn=5.1.1, status=bounced (host gmail-smtp-in.l.google.com[142.250.102.27] said: 550-5.1.1 "
    "The email account that you tried to reach does not exist. 550 5.1.1 "
    "https://support.google.com/mail/?p=NoSuchUser a1si123 - gsmtp (in reply to RCPT TO "
    "command))\r\n"
    "Mar  3 10:00:02 mx1 postfix/smtp[1300]: 4Q8Zx51Vb7z9t: to=<a@yahoo.com>, "
    "relay=mta7.am0.yahoodns.net[67.195.204.72]:25, delay=1.5, delays=0.1/0/0.6/0.8, dsn=4.7.0, "
    "status=deferred (host mta7.am0.yahoodns.net[67.195.204.72] said: 421 4.7.0 [TSS04] Messages "
    "from 203.0.113.9 temporarily deferred due to unexpected volume or user complaints (in reply "
    "to MAIL FROM command))\n"
    "Mar  3 10:00:03 mx1 postfix/smtp[1301]: 4Q8Zx51Vb7z9t: to=<b@example.org>, "
    "relay=mx.example.org[2001:db8::25]:25, delay=2, delays=0.1/0/1/0.9, dsn=2.0.0, status=sent "
    "(250 2.0.0 Ok: queued as 4Q8Zx6ABC)\n"
    "Mar  3 10:00:03 mx1 postfix/smtpd[1]: connect from unknown[192.0.2.1]\n"
    "Mar  5 10:00:04 mx1 postfix/qmgr[1100]: 4Q8Zx51Vb7z9t: from=<news@example.com>, "
    "status=expired, returned to sender\n"
    "Mar  5 10:00:04 mx1 postfix/qmgr[1100]: 4Q8Zx51Vb7z9t: removed\n"
    "Mar  5 10:00:05 mx1 postfix/smtp[1300]: 4Q8Zx51Vb7z9t: to=<late@example.org>, relay=none, "
    "delay=9, dsn=4.4.1, status=deferred (connect to mx.example.org[192.0.2.9]:25: Connection "
    "timed out)"; /* no final newline: rb_ingest_end reads it */

struct collected {
    char lines[16][512];
    int n;
};

static int collect(const rb_event *e, void *ud)
{
    struct collected *c = ud;
    if (c->n < 16)
        snprintf(c->lines[c->n], sizeof c->lines[0], "%s|%s|%s|%s|%s|%s|%s|%lld|%s|%d|%s|%s",
                 rb_event_kind_name(e->kind), e->format, e->recipient, e->sender, e->messageid,
                 e->rhost, e->rhost_ip, e->timestamp, e->verdict.reply.status,
                 e->verdict.reply.replycode, rb_reason_name(e->verdict.reason),
                 e->verdict.reply.command);
    c->n++;
    return 0;
}

static const char *const want_events[] = {
    "bounced|postfix|nobody@gmail.com|news@example.com|20240303100001.1@example.com|gmail-smtp-in."
    "l.google.com|142.250.102.27|1709460002|5.1.1|550|userunknown|RCPT",
    "deferred|postfix|a@yahoo.com|news@example.com|20240303100001.1@example.com|mta7.am0."
    "yahoodns.net|67.195.204.72|1709460002|4.7.0|421|badreputation|MAIL",
    "delivered|postfix|b@example.org|news@example.com|20240303100001.1@example.com|mx.example."
    "org|2001:db8::25|1709460003|2.0.0|250|delivered|",
    "expired|postfix|a@yahoo.com|news@example.com|20240303100001.1@example.com|||1709632804||0|"
    "expired|",
    "deferred|postfix|late@example.org|||||1709632805|4.4.1|0|networkerror|",
};

static rb_ingest *new_ingest(const rb_classifier *c, const char *format, long long since,
                             long long until, bool strict)
{
    rb_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.format = format;
    o.since = since;
    o.until = until;
    o.strict = strict;
    o.year = 2024;
    rb_ingest *ig = NULL;
    int rc = rb_ingest_new(c, &o, &ig);
    CHECK(rc == RB_OK && ig, "rb_ingest_new(%s): %d", format ? format : "auto", rc);
    return ig;
}

static void run_chunked(const rb_classifier *c, size_t step, size_t first, struct collected *out)
{
    rb_ingest *ig = new_ingest(c, NULL, 0, 0, false);
    if (!ig)
        return;
    memset(out, 0, sizeof *out);
    size_t n = sizeof postfix_log - 1, i = 0;
    size_t k = first ? first : step;
    while (i < n) {
        if (k > n - i)
            k = n - i;
        CHECK(rb_ingest_feed(ig, postfix_log + i, k, collect, out) == RB_OK, "feed");
        i += k;
        k = step;
    }
    CHECK(rb_ingest_end(ig, collect, out) == RB_OK, "end");
    rb_ingest_free(ig);
}

static void test_postfix_events(const rb_classifier *c)
{
    struct collected whole;
    run_chunked(c, sizeof postfix_log, 0, &whole);
    size_t nw = sizeof want_events / sizeof want_events[0];
    CHECK_INT(whole.n, (long long)nw, "postfix events");
    for (size_t i = 0; i < nw && i < (size_t)whole.n; i++)
        CHECK_STR(S(whole.lines[i]), want_events[i], "postfix event");
    /* the same events for every first-chunk split point and byte-by-byte feeding */
    int same = 1;
    for (size_t split = 1; split < sizeof postfix_log - 1; split += 7) {
        struct collected got;
        run_chunked(c, sizeof postfix_log, split, &got);
        if (got.n != whole.n)
            same = 0;
        for (int i = 0; i < got.n && i < whole.n && i < 16; i++)
            if (strcmp(got.lines[i], whole.lines[i]) != 0)
                same = 0;
    }
    CHECK(same, "events independent of the split point");
    struct collected bytes;
    run_chunked(c, 1, 0, &bytes);
    CHECK_INT(bytes.n, whole.n, "byte-by-byte feeding");
    for (int i = 0; i < bytes.n && i < whole.n && i < 16; i++)
        CHECK_STR(S(bytes.lines[i]), whole.lines[i], "byte-by-byte event");
}

static void test_limits(const rb_classifier *c)
{
    rb_ingest *ig = new_ingest(c, NULL, 0, 0, false);
    if (!ig)
        return;
    struct collected got;
    memset(&got, 0, sizeof got);
    /* a 3 MB line in 64 KB chunks, then a NUL line, then a good delivery line */
    size_t big = 3u << 20;
    char *p = malloc(big);
    CHECK(p != NULL, "malloc");
    if (!p) {
        rb_ingest_free(ig);
        return;
    }
    memset(p, 'x', big);
    for (size_t i = 0; i < big; i += 65536)
        CHECK(rb_ingest_feed(ig, p + i, big - i < 65536 ? big - i : 65536, collect, &got) == RB_OK,
              "feed long line");
    free(p);
    static const char rest[] =
        "\nMar  3 10:00:02 mx1 postfix/smtp[1]: ABCDE12345: to=<x@y.z>, relay=none, dsn=5.1.2, "
        "status=bounced (Host or domain name not found)\nMar  3 10:00:02 mx1 postfix/smtp[1]: "
        "ABC\0DEF\nMar  3 10:00:02 mx1 postfix/smtp[1]: ABCDE12345: to=<q@y.z>, status=weird (x)\n";
    CHECK(rb_ingest_feed(ig, rest, sizeof rest - 1, collect, &got) == RB_OK, "feed rest");
    CHECK(rb_ingest_end(ig, collect, &got) == RB_OK, "end");
    CHECK_INT(got.n, 1, "one event after the long line");
    rb_ingest_stats st;
    rb_ingest_get_stats(ig, &st);
    CHECK_INT(st.lines, 4, "lines counted");
    CHECK_INT(st.malformed, 3, "long line, NUL line, unknown status skipped");
    const char *reason;
    unsigned long long count;
    unsigned long first;
    CHECK(rb_ingest_skip_reason(ig, 0, &reason, &count, &first), "skip reason 0");
    CHECK_STR(reason, "line longer than 1 MB", "first skip reason");
    CHECK_INT(first, 1, "first skip line");
    CHECK(rb_ingest_skip_reason(ig, 1, &reason, &count, &first), "skip reason 1");
    CHECK_STR(reason, "binary data (NUL byte) in line", "second skip reason");
    CHECK(!rb_ingest_skip_reason(ig, 3, &reason, &count, &first), "no fourth reason");
    rb_ingest_free(ig);

    /* strict: the bad line stops the feed with RB_EPARSE and a message naming the line */
    ig = new_ingest(c, "postfix", 0, 0, true);
    if (!ig)
        return;
    static const char bad[] = "ABCDE12345: to=<q@y.z>, status=weird (x)\n";
    CHECK(rb_ingest_feed(ig, bad, sizeof bad - 1, collect, &got) == RB_EPARSE, "strict");
    CHECK(strstr(rb_ingest_error(ig), "line 1") != NULL, "strict message: %s", rb_ingest_error(ig));
    rb_ingest_free(ig);

    /* since/until */
    ig = new_ingest(c, NULL, 1709460002, 1709460003, false);
    if (!ig)
        return;
    memset(&got, 0, sizeof got);
    CHECK(rb_ingest_feed(ig, postfix_log, sizeof postfix_log - 1, collect, &got) == RB_OK, "feed");
    CHECK(rb_ingest_end(ig, collect, &got) == RB_OK, "end");
    CHECK_INT(got.n, 2, "events inside [since, until)");
    rb_ingest_get_stats(ig, &st);
    CHECK_INT(st.filtered, 3, "events outside counted");
    rb_ingest_free(ig);

    /* unknown format: RB_EINVAL with a message */
    rb_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.format = "nosuch";
    CHECK(rb_ingest_new(c, &o, &ig) == RB_EINVAL, "unknown format");
    CHECK(ig && strstr(rb_ingest_error(ig), "nosuch"), "unknown format message");
    rb_ingest_free(ig);
}

/* many queue ids: the cache stays bounded and recent links survive */
static void test_queue_cache(const rb_classifier *c)
{
    rb_ingest *ig = new_ingest(c, "postfix", 0, 0, false);
    if (!ig)
        return;
    char line[256];
    struct collected got;
    memset(&got, 0, sizeof got);
    for (int i = 0; i < 200000; i++) {
        int n =
            snprintf(line, sizeof line, "Q%08dX: from=<s%d@example.com>, size=1, nrcpt=1\n", i, i);
        (void)!rb_ingest_feed(ig, line, (size_t)n, collect, &got);
    }
    int n =
        snprintf(line, sizeof line,
                 "Q%08dX: to=<r@example.org>, relay=none, dsn=5.1.1, status=bounced (x)\n", 199999);
    CHECK(rb_ingest_feed(ig, line, (size_t)n, collect, &got) == RB_OK, "feed");
    CHECK_INT(got.n, 1, "one event");
    CHECK(strstr(got.lines[0], "|s199999@example.com|") != NULL, "recent link kept: %s",
          got.lines[0]);
    rb_ingest_free(ig);
}

int main(void)
{
    test_syslog();
    test_times();
    test_kv();
    rb_classifier *c = NULL;
    CHECK(rb_classifier_new(&c, NULL) == RB_OK, "classifier");
    if (c) {
        test_postfix_events(c);
        test_limits(c);
        test_queue_cache(c);
    }
    rb_classifier_free(c);
    return harness_done();
}
