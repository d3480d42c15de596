/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_report.c - unit tests for the report model (src/report.c) and its diagnosis rules
 *                 (src/report_diag.c, data/diagnoses.tsv).
 *
 * DESCRIPTION
 *   Synthetic traffic built here event by event (a fixed pseudo-random sequence): a clean
 *   month that must raise no warning, then each root cause alone, which must fire its rule
 *   with the right key and silence the rules it makes redundant; the ranking of several
 *   causes by impact; rates with and without deliveries; the filter; time buckets; reply
 *   templates and the unclassified list.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "report.h"
#include "report_render.h"

#define DAY 86400LL
#define T0 1790812800LL /* 2026-10-01T00:00:00Z */

static uint64_t rng = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char *const providers[] = {"google", "outlook.com", "yahoo", "apple_icloud",
                                        "microsoft365"};
static const char *const campaigns[] = {"daily", "weekly", "digest", "onboarding"};
static const char *const ips[] = {"192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13"};

/* ev - a delivered event of day d from the normal mix; callers change what they need */
static struct report_event ev(long long day, unsigned i)
{
    static char rcpt[8][64];
    char *a = rcpt[i % 8];
    snprintf(a, 64, "user%u@example%u.test", rnd(100000), rnd(50));
    struct report_event e = {
        .time = T0 + day * DAY + rnd((unsigned)DAY),
        .kind = RB_EVENT_DELIVERED,
        .recipient = a,
        .domain = strchr(a, '@') + 1,
        .provider = providers[rnd(5)],
        .status = "",
        .reason = RB_REASON_DELIVERED,
        .category = RB_CAT_DELIVERED,
        .blocklist = "",
        .listed = "",
        .campaign = campaigns[rnd(4)],
        .sending_ip = ips[rnd(4)],
        .sending_domain = "",
        .sender_domain = "news.example.com",
        .text = "",
    };
    return e;
}

static void bounce(struct report_event *e, int code, const char *status, rb_reason reason,
                   rb_category cat, const char *text)
{
    e->kind = code >= 500 ? RB_EVENT_BOUNCED : RB_EVENT_DEFERRED;
    e->replycode = code;
    e->status = status;
    e->reason = reason;
    e->category = cat;
    e->permanent = code >= 500;
    e->text = text;
    e->text_len = strlen(text);
}

/* background - one day of clean traffic: n messages, 0.3% unknown users, 0.3% greylisting */
static void background(struct report *r, long long day, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct report_event e = ev(day, i);
        unsigned x = rnd(1000);
        if (x < 3)
            bounce(&e, 550, "5.1.1", RB_REASON_USERUNKNOWN, RB_CAT_ADDRESS,
                   "550 5.1.1 <someone@example.org>: Recipient address rejected: User unknown");
        else if (x < 6)
            bounce(&e, 450, "4.2.0", RB_REASON_UNDEFINED, RB_CAT_GREYLISTING,
                   "450 4.2.0 Greylisted, see http://postgrey.schweikert.ch/help/x.html");
        report_add(r, &e);
    }
}

static struct report *run(void (*inject)(struct report *, long long day), unsigned per_day,
                          const struct report_opts *o)
{
    struct report *r;
    int rc = report_new(&r, o);
    CHECK(rc == RB_OK, "report_new: %s", r ? report_error(r) : "no memory");
    for (long long d = 0; d < 30; d++) {
        background(r, d, per_day);
        if (inject)
            inject(r, d);
    }
    CHECK_INT(report_finish(r), RB_OK, "report_finish");
    return r;
}

static const struct report_diagnosis *find(const struct report *r, const char *id)
{
    const struct report_diagnosis *d;
    size_t n = report_diagnoses(r, &d);
    for (size_t i = 0; i < n; i++)
        if (strcmp(d[i].id, id) == 0)
            return &d[i];
    return NULL;
}

static int warnings(const struct report *r)
{
    const struct report_diagnosis *d;
    size_t n = report_diagnoses(r, &d), w = 0;
    for (size_t i = 0; i < n; i++)
        if (d[i].severity >= RS_WARNING) {
            fprintf(stderr, "  unexpected: %s: %s\n", d[i].id, d[i].title);
            w++;
        }
    return (int)w;
}

/* ---- the causes ----------------------------------------------------------------------- */

static void inject_decay(struct report *r, long long day)
{
    /* a legacy list mailed daily: its unknown-user rate climbs from 2% to 12% */
    for (unsigned i = 0; i < 400; i++) {
        struct report_event e = ev(day, i);
        e.campaign = "legacy-winback";
        if (rnd(1000) < 20 + (unsigned)day * 35 / 10)
            bounce(&e, 550, "5.1.1", RB_REASON_USERUNKNOWN, RB_CAT_ADDRESS,
                   "550 5.1.1 The email account that you tried to reach does not exist.");
        report_add(r, &e);
    }
}

static void inject_dmarc(struct report *r, long long day)
{
    if (day != 21)
        return;
    for (unsigned i = 0; i < 300; i++) {
        struct report_event e = ev(day, i);
        e.sending_domain = "mail.example-saas.io";
        e.provider = i % 2 ? "google" : "outlook.com";
        if (i % 2)
            bounce(&e, 550, "5.7.26", RB_REASON_AUTHFAILURE, RB_CAT_AUTHENTICATION,
                   "550-5.7.26 Unauthenticated email from example-saas.io is not accepted due "
                   "to domain's DMARC policy.");
        else
            bounce(&e, 550, "5.7.509", RB_REASON_AUTHFAILURE, RB_CAT_AUTHENTICATION,
                   "550 5.7.509 Access denied, sending domain example-saas.io does not pass "
                   "DMARC verification and has a DMARC policy of reject.");
        e.auth = RB_AUTH_DMARC;
        report_add(r, &e);
    }
}

static void inject_blocklist(struct report *r, long long day)
{
    if (day < 11 || day > 18)
        return;
    for (unsigned i = 0; i < 150; i++) {
        struct report_event e = ev(day, i);
        e.sending_ip = "192.0.2.12";
        e.provider = providers[1 + i % 4]; /* everyone but Google */
        bounce(&e, 554, "5.7.1", RB_REASON_BLOCKED, RB_CAT_BLOCKLIST,
               "554 5.7.1 Service unavailable; Client host [192.0.2.12] blocked using "
               "zen.spamhaus.org");
        e.blocklist = "spamhaus";
        e.listed = "192.0.2.12";
        report_add(r, &e);
    }
}

static void inject_throttle(struct report *r, long long day)
{
    if (day < 17)
        return;
    for (unsigned i = 0; i < 120; i++) {
        struct report_event e = ev(day, i);
        e.sending_ip = "192.0.2.11";
        e.provider = "google";
        bounce(&e, 421, "4.7.28", RB_REASON_BADREPUTATION, RB_CAT_REPUTATION,
               "421-4.7.28 Gmail has detected an unusual rate of unsolicited mail originating "
               "from your IP address [192.0.2.11]. To protect our users from spam, mail sent "
               "from your IP address has been temporarily rate limited.");
        report_add(r, &e);
    }
}

static void inject_content(struct report *r, long long day)
{
    for (unsigned i = 0; i < 8; i++) {
        struct report_event e = ev(day, i);
        e.campaign = i < 7 ? "black-friday" : "daily";
        bounce(&e, 550, "5.7.1", RB_REASON_SPAMDETECTED, RB_CAT_CONTENT,
               "550 5.7.1 Message rejected as spam by Content Filtering.");
        report_add(r, &e);
    }
}

static void inject_full(struct report *r, long long day)
{
    /* the same 10 addresses come back full every day */
    static const char *const full[] = {"a@x.test", "b@x.test", "c@x.test", "d@x.test", "e@x.test",
                                       "f@x.test", "g@x.test", "h@x.test", "i@x.test", "j@x.test"};
    for (unsigned i = 0; i < 10; i++) {
        struct report_event e = ev(day, i);
        e.recipient = full[i];
        e.domain = "x.test";
        bounce(&e, 552, "5.2.2", RB_REASON_MAILBOXFULL, RB_CAT_MAILBOX, "552 5.2.2 Mailbox full");
        e.permanent = false;
        report_add(r, &e);
    }
}

static void inject_spike(struct report *r, long long day)
{
    if (day != 29)
        return;
    for (unsigned i = 0; i < 200; i++) {
        struct report_event e = ev(day, i);
        bounce(&e, 550, "5.4.1", RB_REASON_REJECTED, RB_CAT_POLICY,
               "550 5.4.1 Recipient address rejected: Access denied.");
        report_add(r, &e);
    }
}

static void inject_all4(struct report *r, long long day)
{
    inject_decay(r, day);
    inject_dmarc(r, day);
    inject_blocklist(r, day);
    inject_throttle(r, day);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_clean(void)
{
    struct report *r = run(NULL, 3000, NULL);
    CHECK_INT(warnings(r), 0, "clean: no warning or critical diagnosis");
    const struct report_diagnosis *d = find(r, "bounce-rate-excellent");
    CHECK(d != NULL, "clean: bounce rate excellent");
    if (d)
        CHECK(d->value > 0.001 && d->value < 0.005, "clean: rate %f", d->value);
    const struct report_counts *t = report_totals(r);
    CHECK_INT(report_counts_sent(t), 90000 - t->kind[RB_EVENT_DEFERRED],
              "clean: sent = delivered + bounced (deferrals are not final)");
    report_free(r);
}

static void test_decay(void)
{
    struct report *r = run(inject_decay, 3000, NULL);
    /* overall 1% hard bounces, but 7% of the legacy campaign's mail */
    CHECK(!find(r, "hard-bounce-critical") && !find(r, "hard-bounce-warning"),
          "decay: overall rate below 2%%");
    const struct report_diagnosis *d = find(r, "list-decay-critical");
    CHECK(d != NULL, "decay: the campaign's list decays");
    if (d) {
        CHECK_STR(d->campaign, "legacy-winback", "decay: worst campaign");
        CHECK(strstr(d->title, "legacy-winback") != NULL, "decay title: %s", d->title);
        CHECK(d->action && strstr(d->action, "list"), "decay: action %s", d->action);
        CHECK(d->value > 0.06 && d->value < 0.08, "decay: campaign rate %f", d->value);
    }
    CHECK(find(r, "list-decay-warning") == NULL, "decay: warning silenced by critical");
    report_free(r);
}

/* hard bounces everywhere, no campaign dominating: the title names none */
static void inject_spread_hard(struct report *r, long long day)
{
    static const char *const camp[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    for (unsigned i = 0; i < 160; i++) {
        struct report_event e = ev(day, i);
        e.campaign = camp[i % 8];
        bounce(&e, 550, "5.1.1", RB_REASON_USERUNKNOWN, RB_CAT_ADDRESS, "550 5.1.1 unknown");
        report_add(r, &e);
    }
}

static void test_no_dominant(void)
{
    struct report *r = run(inject_spread_hard, 3000, NULL);
    const struct report_diagnosis *d = find(r, "hard-bounce-critical");
    CHECK(d != NULL, "spread hard bounces: critical");
    if (d) {
        CHECK(strstr(d->title, "worst") == NULL, "no campaign named: %s", d->title);
        CHECK_STR(d->campaign, "", "no campaign key");
        CHECK(strstr(d->title, "decaying") != NULL, "title kept: %s", d->title);
    }
    report_free(r);
}

static void test_dmarc(void)
{
    struct report *r = run(inject_dmarc, 3000, NULL);
    const struct report_diagnosis *d = find(r, "auth-failures");
    CHECK(d != NULL, "dmarc: auth-failures fires");
    if (d) {
        CHECK_STR(d->sending_domain, "mail.example-saas.io", "dmarc: sending domain");
        CHECK(strstr(d->title, "DMARC") != NULL, "dmarc: title names DMARC: %s", d->title);
        CHECK(strstr(d->title, "2026-10-22") != NULL, "dmarc: since the day: %s", d->title);
        CHECK_INT(d->evidence, 300, "dmarc: evidence");
        CHECK_INT(d->severity, RS_CRITICAL, "dmarc: severity");
    }
    CHECK(find(r, "bulk-sender-requirements") == NULL, "dmarc: bulk-sender rule silenced");
    report_free(r);
}

static void test_blocklist(void)
{
    struct report *r = run(inject_blocklist, 3000, NULL);
    const struct report_diagnosis *d = find(r, "blocklisted");
    CHECK(d != NULL, "blocklist: fires");
    if (d) {
        CHECK_STR(d->sending_ip, "192.0.2.12", "blocklist: ip");
        CHECK(strstr(d->title, "spamhaus") && strstr(d->title, "192.0.2.12"),
              "blocklist: title names list and IP: %s", d->title);
        CHECK(strstr(d->title, "2026-10-12") != NULL, "blocklist: since: %s", d->title);
        CHECK(strstr(d->title, "google") == NULL, "blocklist: google never refused: %s", d->title);
        CHECK_INT(d->evidence, 8 * 150, "blocklist: evidence");
    }
    CHECK(find(r, "blocklist-single") == NULL, "blocklist: single-provider rule silenced");
    report_free(r);
}

static void test_throttle(void)
{
    struct report *r = run(inject_throttle, 3000, NULL);
    const struct report_diagnosis *d = find(r, "provider-throttling");
    CHECK(d != NULL, "throttle: fires");
    if (d) {
        CHECK_STR(d->provider, "google", "throttle: provider");
        CHECK_STR(d->sending_ip, "192.0.2.11", "throttle: ip");
        CHECK(strstr(d->title, "2026-10-18") != NULL, "throttle: since: %s", d->title);
        CHECK(strstr(d->action, "Slow down") != NULL, "throttle: action");
    }
    CHECK(find(r, "reputation-decline") == NULL, "throttle: reputation rule silenced");
    report_free(r);
}

static void test_content_full_spike(void)
{
    struct report *r = run(inject_content, 3000, NULL);
    const struct report_diagnosis *d = find(r, "content-campaign");
    CHECK(d != NULL, "content: fires");
    if (d)
        CHECK_STR(d->campaign, "black-friday", "content: campaign");
    report_free(r);

    r = run(inject_full, 3000, NULL);
    d = find(r, "mailbox-full-repeat");
    CHECK(d != NULL, "full: fires");
    if (d) {
        CHECK_INT(d->severity, RS_INFO, "full: info only");
        CHECK(strstr(d->title, "10 addresses") != NULL, "full: title %s", d->title);
    }
    CHECK_INT(warnings(r), 0, "full: no warning");
    report_free(r);

    r = run(inject_spike, 3000, NULL);
    d = find(r, "code-spike");
    CHECK(d != NULL, "spike: fires");
    if (d)
        CHECK_STR(d->code, "5.4.1", "spike: code");
    report_free(r);
}

static void test_ranking(void)
{
    struct report *r = run(inject_all4, 3000, NULL);
    const struct report_diagnosis *d;
    size_t n = report_diagnoses(r, &d);
    CHECK(n >= 5, "all4: diagnoses %zu", n);
    if (n)
        CHECK_STR(d[0].role, "headline", "all4: headline first");
    unsigned long long prev = ~0ull;
    int causes = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(d[i].role, "cause") != 0 || d[i].severity < RS_WARNING)
            continue;
        CHECK(d[i].evidence <= prev, "all4: %s ranked by evidence", d[i].id);
        prev = d[i].evidence;
        causes++;
    }
    CHECK(causes >= 4, "all4: %d causes", causes);
    CHECK(find(r, "auth-failures") && find(r, "blocklisted") && find(r, "provider-throttling"),
          "all4: the three incidents");
    CHECK(find(r, "list-decay-critical") != NULL, "all4: decay");
    report_free(r);
}

static void test_rates_and_filter(void)
{
    struct report *r;
    CHECK_INT(report_new(&r, NULL), RB_OK, "new");
    struct report_event e = ev(0, 0);
    bounce(&e, 550, "5.1.1", RB_REASON_USERUNKNOWN, RB_CAT_ADDRESS, "550 5.1.1 unknown");
    for (int i = 0; i < 10; i++)
        report_add(r, &e);
    report_finish(r);
    CHECK(report_rate(r, 10) < 0, "no deliveries: rate unknown");
    r = report_free(r);

    struct report_opts o = {.sent = 1000};
    CHECK_INT(report_new(&r, &o), RB_OK, "new sent");
    for (int i = 0; i < 10; i++)
        report_add(r, &e);
    report_finish(r);
    CHECK(report_rate(r, 10) > 0.0099 && report_rate(r, 10) < 0.0101, "--sent rate");
    r = report_free(r);

    o = (struct report_opts){.filter = "bogus=1"};
    CHECK_INT(report_new(&r, &o), RB_EINVAL, "bad filter");
    CHECK(r && strstr(report_error(r), "bogus"), "bad filter says why: %s", report_error(r));
    r = report_free(r);

    o = (struct report_opts){.filter = "provider=google|yahoo,code=5.7.x"};
    r = run(inject_all4, 1000, &o);
    const struct report_row *rows;
    size_t n = report_rows(r, RD_PROVIDER, &rows);
    CHECK_INT(n, 2, "filter: google (5.7.26) and yahoo (5.7.1) left");
    for (size_t i = 0; i < n; i++)
        CHECK(!strcmp(rows[i].key, "google") || !strcmp(rows[i].key, "yahoo"),
              "filter: provider %s", rows[i].key);
    n = report_rows(r, RD_FAMILY, &rows);
    for (size_t i = 0; i < n; i++)
        CHECK_STR(rows[i].key, "5.7.x", "filter: family");
    r = report_free(r);

    o = (struct report_opts){.since = T0 + 10 * DAY, .until = T0 + 20 * DAY};
    r = run(NULL, 500, &o);
    long long first, last;
    report_span(r, &first, &last);
    CHECK(first >= T0 + 10 * DAY && last < T0 + 20 * DAY, "since/until");
    report_free(r);
}

static void test_buckets_templates(void)
{
    struct report *r = run(inject_dmarc, 1000, NULL);
    const struct report_bucket *b;
    long long w;
    size_t n = report_buckets(r, &b, &w);
    CHECK_INT(w, DAY, "month: day buckets");
    CHECK_INT(n, 30, "month: 30 buckets");
    unsigned long long sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += report_counts_failures(&b[i].c);
        if (i)
            CHECK_INT(b[i].start - b[i - 1].start, DAY, "contiguous");
    }
    CHECK_INT(sum, report_counts_failures(report_totals(r)), "buckets sum to the totals");

    const struct report_template_row *t;
    unsigned long long dropped;
    n = report_templates(r, &t, &dropped);
    CHECK_INT(dropped, 0, "no template dropped");
    int unknown = 0;
    for (size_t i = 0; i < n; i++)
        if (strstr(t[i].text, "User unknown")) {
            unknown++;
            CHECK(strstr(t[i].text, "<addr>") != NULL, "address replaced: %s", t[i].text);
        }
    CHECK(unknown >= 1 && unknown <= 5, "one unknown-user template per provider (%d)", unknown);
    r = report_free(r);

    /* an unclassified text */
    CHECK_INT(report_new(&r, NULL), RB_OK, "new");
    struct report_event e = ev(0, 0);
    bounce(&e, 550, "", RB_REASON_UNDEFINED, RB_CAT_UNKNOWN, "550 go away 12345");
    report_add(r, &e);
    e.text = "550 go away 67890";
    report_add(r, &e);
    report_finish(r);
    n = report_templates(r, &t, &dropped);
    CHECK_INT(n, 1, "numbers replaced: one template");
    if (n) {
        CHECK_INT(t[0].count, 2, "template count");
        CHECK(!t[0].classified, "unclassified");
    }
    report_free(r);
}

/* feed - days [from, to) of background traffic with a throttled provider and a blocklisted
 * IP (the same pseudo-random sequence from the same seed) */
static void feed(struct report *r, long long from, long long to)
{
    for (long long d = from; d < to; d++) {
        background(r, d, 2000);
        inject_blocklist(r, d);
        inject_throttle(r, d);
    }
}

/* render_json - r finished and rendered as JSON into b */
static void render_json(struct report *r, struct buf *b)
{
    CHECK_INT(report_finish(r), RB_OK, "finish");
    buf_reset(b);
    CHECK_INT(report_render(r, RF_JSON, NULL, b), RB_OK, "render");
}

/* a live report (serve): finished, rendered, reopened and fed again gives the report of all
 * the events at once */
static void test_reopen(void)
{
    struct buf once, live;
    buf_init(&once, 1u << 24, NULL);
    buf_init(&live, 1u << 24, NULL);
    const uint64_t seed = 0x9e3779b97f4a7c15ull;
    struct report *a, *b;
    CHECK_INT(report_new(&a, NULL), RB_OK, "new a");
    CHECK_INT(report_new(&b, NULL), RB_OK, "new b");
    rng = seed;
    feed(a, 0, 30);
    render_json(a, &once);
    rng = seed;
    feed(b, 0, 12);
    render_json(b, &live);
    CHECK(live.len != once.len || memcmp(live.p, once.p, once.len) != 0, "partial differs");
    report_reopen(b);
    feed(b, 12, 20);
    render_json(b, &live);
    report_reopen(b);
    report_reopen(b); /* twice is harmless */
    feed(b, 20, 30);
    render_json(b, &live);
    CHECK(live.len == once.len && memcmp(live.p, once.p, once.len) == 0,
          "reopened report equals the report of all events (%zu vs %zu bytes)", live.len, once.len);
    CHECK(find(b, "provider-throttling") != NULL && find(b, "blocklisted") != NULL,
          "reopened: diagnoses");
    report_free(a);
    report_free(b);
    buf_free(&once);
    buf_free(&live);
}

int main(void)
{
    test_clean();
    test_decay();
    test_no_dominant();
    test_dmarc();
    test_blocklist();
    test_throttle();
    test_content_full_spike();
    test_ranking();
    test_rates_and_filter();
    test_buckets_templates();
    test_reopen();
    return harness_done();
}
