/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_store.c - store ingest throughput, and the setup of the `rebound check` benchmark.
 *
 * USAGE
 *   bench_store DB EVENTS [SUPPRESSED ADDRFILE]
 *
 * DESCRIPTION
 *   Writes EVENTS synthetic events into a new store at DB through store_add() (the path
 *   `rebound ingest --store` takes after parsing: key, insert, rules, batched transactions)
 *   and prints events/s. The mix follows an outbound relay (bench/gen_maillog.c): 90%
 *   delivered, 5% deferred (mailbox full, greylisting, rate limit, timeouts), 4% bounced
 *   (user unknown, blocklist, authentication), 1% complaints, over a pool of 2M recipients,
 *   with reply texts of realistic length; the verdicts are classified once up front, so the
 *   figure is the store's alone. Then, if asked, adds SUPPRESSED addresses to the
 *   suppression list in one transaction and writes ADDRFILE: SUPPRESSED addresses to check,
 *   half of them on the list (for `rebound check`, timed by bench/run_store.sh).
 *   Deterministic (xorshift), so runs compare.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const domains[] = {"gmail.com",    "outlook.com", "yahoo.com", "icloud.com",
                                      "gmx.de",       "orange.fr",   "web.de",    "example.org",
                                      "smallbiz.net", "corp.example"};

struct kind {
    int weight; /* per 1000 */
    rb_event_kind kind;
    const char *reply;
};

static struct kind kinds[] = {
    {
        900,
        RB_EVENT_DELIVERED,
        "250 2.0.0 OK  1709460001 a640c23a62f3a-a3f4a1c6e1bsi123456ejc.399 - gsmtp",
    },
    {
        15,
        RB_EVENT_DEFERRED,
        "452 4.2.2 The email account that you tried to reach is over quota. Please direct the "
        "recipient to https://support.google.com/mail/?p=OverQuotaTemp",
    },
    {
        15,
        RB_EVENT_DEFERRED,
        "450 4.2.0 <user@smallbiz.net>: Recipient address rejected: Greylisted, see "
        "http://postgrey.schweikert.ch/help/smallbiz.net.html",
    },
    {
        10,
        RB_EVENT_DEFERRED,
        "421 4.7.0 [TSS04] Messages from 203.0.113.7 temporarily deferred due to unexpected volume "
        "or "
        "user complaints",
    },
    {10, RB_EVENT_DEFERRED, "451 4.4.1 connection timed out while talking to mx.example.org"},
    {
        25,
        RB_EVENT_BOUNCED,
        "550 5.1.1 The email account that you tried to reach does not exist. Please try "
        "double-checking the recipient's email address for typos",
    },
    {
        10,
        RB_EVENT_BOUNCED,
        "554 5.7.1 Service unavailable; Client host [203.0.113.7] blocked using zen.spamhaus.org; "
        "https://www.spamhaus.org/query/ip/203.0.113.7",
    },
    {
        5,
        RB_EVENT_BOUNCED,
        "550 5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail "
        "requires "
        "all senders to authenticate with either SPF or DKIM.",
    },
    {10, RB_EVENT_COMPLAINT, ""},
};

static rb_verdict verdicts[sizeof kinds / sizeof kinds[0]]; /* classified up front */

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 5) {
        fprintf(stderr, "usage: bench_store DB EVENTS [SUPPRESSED ADDRFILE]\n");
        return 2;
    }
    const char *db = argv[1];
    unsigned long long n = strtoull(argv[2], NULL, 10);
    rb_classifier *c;
    rb_scratch *sc;
    if (rb_classifier_new(&c, NULL) != RB_OK || rb_scratch_new(c, &sc) != RB_OK)
        return 1;
    size_t nk = sizeof kinds / sizeof kinds[0];
    for (size_t i = 0; i < nk; i++) {
        if (kinds[i].reply[0] &&
            rb_explain(sc, kinds[i].reply, strlen(kinds[i].reply), &verdicts[i]) != RB_OK)
            return 1;
        verdicts[i].reply.text = NULL; /* borrowed from the scratch: not used past here */
    }
    struct suppress_config cfg;
    suppress_config_default(&cfg);
    const char *batch = getenv("BATCH"); /* events per transaction, else the default */
    long nb = batch ? strtol(batch, NULL, 10) : 0;
    if (nb > 0)
        cfg.batch_events = (unsigned)nb;
    struct store *s;
    int rc = store_open(&s, db, NULL, &cfg);
    if (rc != RB_OK) {
        fprintf(stderr, "bench_store: %s\n", store_error(s));
        return 1;
    }
    char rcpt[128], qid[32], mid[64];
    unsigned long long suppressed = 0, dup = 0;
    long long t = 1709460000;
    double t0 = now_s();
    for (unsigned long long i = 0; i < n; i++) {
        uint32_t w = rnd(1000), acc = 0;
        size_t k = 0;
        for (; k + 1 < nk; k++) {
            acc += (uint32_t)kinds[k].weight;
            if (w < acc)
                break;
        }
        uint32_t who = rnd(2000000);
        snprintf(rcpt, sizeof rcpt, "user%u@%s", who, domains[who % 10]);
        snprintf(qid, sizeof qid, "%llX", 0x40000000ull + i);
        snprintf(mid, sizeof mid, "%llu.%u@mail.example.com", i, who);
        if (rnd(4) == 0)
            t++;
        struct store_event e;
        memset(&e, 0, sizeof e);
        e.time = t;
        e.kind = kinds[k].kind;
        e.recipient = rcpt;
        e.domain = domains[who % 10];
        e.sender = "news@mail.example.com";
        e.sender_domain = "mail.example.com";
        e.rhost = "mx.example.net";
        const rb_verdict *v = &verdicts[k];
        e.provider = v->provider ? v->provider : "";
        e.replycode = v->reply.replycode;
        e.status = v->reply.status;
        e.reason = v->reason;
        e.category = v->category;
        e.scope = v->scope;
        e.remedy = v->remedy;
        e.permanent = v->permanent;
        e.campaign = "spring-sale";
        e.sending_ip = "203.0.113.7";
        e.sending_domain = "mail.example.com";
        e.vmta = "";
        e.queue_id = qid;
        e.message_id = mid;
        e.source_event_id = "";
        e.text = kinds[k].reply;
        e.format = "postfix";
        e.delay_ms = 1200;
        store_event_key(&e);
        struct store_add_result r;
        if (store_add(s, &e, &r) != RB_OK) {
            fprintf(stderr, "bench_store: %s\n", store_error(s));
            return 1;
        }
        suppressed += r.suppressed;
        dup += !r.inserted;
    }
    if (store_finish(s) != RB_OK) {
        fprintf(stderr, "bench_store: %s\n", store_error(s));
        return 1;
    }
    double el = now_s() - t0;
    printf("store ingest: %llu events in %.2f s = %.0f events/s (%llu suppressed, %llu dup)\n", n,
           el, (double)n / el, suppressed, dup);

    if (argc == 5) {
        unsigned long long m = strtoull(argv[3], NULL, 10);
        FILE *f = fopen(argv[4], "w");
        if (!f) {
            perror(argv[4]);
            return 1;
        }
        t0 = now_s();
        if (store_begin(s) != RB_OK)
            return 1;
        for (unsigned long long i = 0; i < m; i++) {
            snprintf(rcpt, sizeof rcpt, "listed%llu@%s", i, domains[i % 10]);
            struct store_suppression e = {rcpt, "userunknown", "import", "", t};
            bool changed;
            if (store_suppress_set(s, &e, false, &changed) != RB_OK) {
                fprintf(stderr, "bench_store: %s\n", store_error(s));
                return 1;
            }
            /* the file to check: half listed, half not */
            if (i % 2)
                fprintf(f, "listed%llu@%s\n", i, domains[i % 10]);
            else
                fprintf(f, "fresh%llu@%s\n", i, domains[i % 10]);
        }
        if (store_finish(s) != RB_OK)
            return 1;
        if (fclose(f) != 0)
            return 1;
        el = now_s() - t0;
        printf("suppression list: %llu added in %.2f s = %.0f/s\n", m, el, (double)m / el);
    }
    store_close(s);
    rb_scratch_free(sc);
    rb_classifier_free(c);
    return 0;
}
