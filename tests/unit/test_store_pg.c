/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_store_pg.c - the PostgreSQL backend (src/store_pg.c) through the store API, against a
 *                   throwaway PostgreSQL 15 this test starts (tests/pg/pg_cluster).
 *
 * DESCRIPTION
 *   The same generated event sequence (mailbox-full streaks, hard bounces, deliveries,
 *   sender-side blocks over 300 recipients) goes into SQLite, into PostgreSQL on the bulk
 *   path and into PostgreSQL one event at a time (per_event): the totals, the per-call
 *   results of the per-event path and the suppression lists agree. Then re-adding counts
 *   duplicates only; events_iterate's time and id ranges, order and BRIEF flag; a list
 *   write in the middle of a streamed batch (the stream is abandoned, the batch still
 *   stored); a batch dropped by closing without store_finish; notices; a reader.
 *   Without PostgreSQL's server binaries the test fails, saying so (tests/pg/pg_cluster).
 *
 * USAGE
 *   test_store_pg SOURCE_DIR
 */
#define _GNU_SOURCE
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "harness.h"
#include "store.h"

#define NEV 3000

/* the events and everything they point into, kept for the whole run */
static rb_event rbev[NEV];
static char rcpts[NEV][32], addrs[NEV][SUPPRESS_MAX_ADDRESS];
static struct store_event evs[NEV];
static char dir[256], sock[300];

static const char *const replies[] = {"452 4.2.2 Mailbox full", "550 5.1.1 User unknown",
                                      "250 2.0.0 OK", "554 5.7.1 blocked using zen.spamhaus.org"};
static const rb_event_kind kinds[] = {RB_EVENT_DEFERRED, RB_EVENT_BOUNCED, RB_EVENT_DELIVERED,
                                      RB_EVENT_BOUNCED};

static int make_events(rb_scratch *sc)
{
    for (int i = 0; i < NEV; i++) {
        int w = (i * 7) % 4;
        rb_event *e = &rbev[i];
        if (rb_explain(sc, replies[w], strlen(replies[w]), &e->verdict) != RB_OK)
            return -1;
        e->verdict.reply.text = NULL; /* the scratch's: not used past here */
        snprintf(rcpts[i], sizeof rcpts[i], "u%d@x.org", (i * 13) % 300);
        e->kind = kinds[w];
        e->format = "test";
        e->recipient = rcpts[i];
        e->sender = e->senderdomain = e->destination = e->rhost = e->rhost_ip = "";
        e->queueid = e->messageid = e->event_id = e->campaign = e->sending_ip = "";
        e->sending_domain = e->vmta = e->feedbacktype = "";
        e->diagnosticcode = replies[w];
        e->timestamp = 1700000000 + i * 60LL;
        e->delay = -1;
        store_event_from_rb(&evs[i], e, addrs[i]);
        store_event_key(&evs[i]);
    }
    return 0;
}

/* url - the target of database db in the test cluster (static buffer) */
static const char *url(const char *db)
{
    static char u[600];
    snprintf(u, sizeof u, "postgresql:///%s?host=%s&user=rebound", db, sock);
    return u;
}

static void sql(const char *db, const char *q)
{
    char conninfo[600];
    snprintf(conninfo, sizeof conninfo, "dbname=%s host=%s user=rebound", db, sock);
    PGconn *c = PQconnectdb(conninfo);
    PGresult *r = PQexec(c, q);
    CHECK(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", q, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static struct store *open_store(const char *target, bool per_event, bool readonly)
{
    struct store_open_opts o = {
        .create = !readonly, .readonly = readonly, .busy_timeout_ms = 5000, .per_event = per_event};
    struct store *s;
    int rc = store_open(&s, target, &o, NULL);
    CHECK(rc == RB_OK, "open %s: %s", target, store_error(s));
    if (rc != RB_OK)
        s = store_close(s);
    return s;
}

/* add_all - store events [from, to); per-call results summed into *calls */
static void add_all(struct store *s, int from, int to, struct store_totals *calls)
{
    memset(calls, 0, sizeof *calls);
    for (int i = from; i < to; i++) {
        struct store_add_result r;
        int rc = store_add(s, &evs[i], &r);
        CHECK(rc == RB_OK, "store_add %d: %s", i, store_error(s));
        calls->added += r.inserted;
        calls->suppressed += r.suppressed;
        calls->alerts += r.sender_alert;
    }
    CHECK(store_finish(s) == RB_OK, "store_finish: %s", store_error(s));
}

static int supp_cat(const struct store_suppression *e, void *ud)
{
    struct buf *b = ud;
    return buf_printf(b, "%s %s %s %lld %s\n", e->address, e->reason, e->rule, e->since,
                      e->event_keys);
}

/* list - the suppression list as text (caller frees with buf_free) */
static void list(struct store *s, struct buf *b)
{
    buf_init(b, 1 << 24, NULL);
    CHECK(store_suppress_iterate(s, supp_cat, b) == RB_OK, "iterate: %s", store_error(s));
}

struct seen {
    unsigned long long n, delivered_text;
    long long last;
    bool ordered;
};

static int see(const struct store_event *e, void *ud)
{
    struct seen *x = ud;
    x->n++;
    if (e->time < x->last)
        x->ordered = false;
    x->last = e->time;
    x->delivered_text += e->kind == RB_EVENT_DELIVERED && e->text[0];
    return 0;
}

static void test_paths(void)
{
    struct store_totals sq_calls, bulk_calls, pe_calls, t_sq, t_bulk, t_pe;
    char path[300];
    snprintf(path, sizeof path, "%s/s.db", dir);
    struct store *sq = open_store(path, false, false);
    sql("postgres", "CREATE DATABASE bulk");
    sql("postgres", "CREATE DATABASE pe");
    struct store *bulk = open_store(url("bulk"), false, false);
    struct store *pe = open_store(url("pe"), true, false);
    if (!sq || !bulk || !pe)
        goto out;
    add_all(sq, 0, NEV, &sq_calls);
    add_all(bulk, 0, NEV, &bulk_calls);
    add_all(pe, 0, NEV, &pe_calls);
    store_totals(sq, &t_sq);
    store_totals(bulk, &t_bulk);
    store_totals(pe, &t_pe);
    CHECK_INT(t_sq.added, NEV, "SQLite added");
    CHECK(t_sq.suppressed > 10 && t_sq.alerts > 10, "SQLite outcome: %llu suppressed %llu alerts",
          t_sq.suppressed, t_sq.alerts);
    CHECK(memcmp(&t_sq, &t_bulk, sizeof t_sq) == 0, "bulk totals differ");
    CHECK(memcmp(&t_sq, &t_pe, sizeof t_sq) == 0, "per-event totals differ");
    CHECK_INT(bulk_calls.added, 0, "bulk per-call results (queued)");
    CHECK_INT(pe_calls.added, NEV, "per-event per-call added");
    CHECK_INT(pe_calls.suppressed, t_sq.suppressed, "per-event per-call suppressed");
    CHECK_INT(pe_calls.alerts, t_sq.alerts, "per-event per-call alerts");
    struct buf a, b, c;
    list(sq, &a);
    list(bulk, &b);
    list(pe, &c);
    CHECK(a.len > 0 && b.len == a.len && memcmp(a.p, b.p, a.len) == 0, "bulk list differs");
    CHECK(c.len == a.len && memcmp(a.p, c.p, a.len) == 0, "per-event list differs");
    buf_free(&a);
    buf_free(&b);
    buf_free(&c);
    struct suppress_state st1, st2;
    bool f1, f2;
    CHECK(store_state_get(sq, "u13@x.org", &st1, &f1) == RB_OK &&
              store_state_get(bulk, "u13@x.org", &st2, &f2) == RB_OK && f1 == f2 &&
              st1.mbf_count == st2.mbf_count && strcmp(st1.keys, st2.keys) == 0,
          "state of u13@x.org differs");

    /* again: duplicates only */
    add_all(bulk, 0, NEV, &bulk_calls);
    store_totals(bulk, &t_bulk);
    CHECK_INT(t_bulk.dup, NEV, "re-added: duplicates");
    CHECK_INT(t_bulk.added, NEV, "re-added: nothing new");

    /* reading */
    struct store_counts n;
    CHECK(store_counts(bulk, &n) == RB_OK && n.events == NEV, "counts: %llu events", n.events);
    long long lo, hi;
    CHECK(store_events_ids(bulk, &lo, &hi) == RB_OK && lo >= 1 && hi >= lo + NEV - 1,
          "ids %lld..%lld", lo, hi);
    struct seen all = {0, 0, 0, true}, h1 = {0, 0, 0, true}, h2 = {0, 0, 0, true};
    struct store_iter it = {0};
    CHECK(store_events_iterate(bulk, &it, see, &all) == RB_OK && all.n == NEV && all.ordered,
          "iterate all: %llu, ordered %d", all.n, all.ordered);
    CHECK(all.delivered_text > 0, "full rows carry the text of deliveries");
    long long mid = lo + (hi - lo) / 2;
    it = (struct store_iter){.id_from = lo, .id_to = mid, .flags = STORE_ITER_UNORDERED};
    CHECK(store_events_iterate(bulk, &it, see, &h1) == RB_OK, "first half");
    it = (struct store_iter){.id_from = mid, .id_to = hi + 1, .flags = STORE_ITER_BRIEF};
    CHECK(store_events_iterate(bulk, &it, see, &h2) == RB_OK, "second half");
    CHECK(h1.n + h2.n == NEV, "halves: %llu + %llu", h1.n, h2.n);
    CHECK_INT(h2.delivered_text, 0, "BRIEF leaves out the text of deliveries");
    struct seen r_sq = {0, 0, 0, true}, r_pg = {0, 0, 0, true};
    it = (struct store_iter){.since = 1700000000 + 600 * 60, .until = 1700000000 + 900 * 60};
    CHECK(store_events_iterate(sq, &it, see, &r_sq) == RB_OK &&
              store_events_iterate(bulk, &it, see, &r_pg) == RB_OK && r_sq.n == 300 &&
              r_pg.n == r_sq.n,
          "time range: SQLite %llu, PostgreSQL %llu", r_sq.n, r_pg.n);
out:
    store_close(sq);
    store_close(bulk);
    store_close(pe);
}

static void test_stream_breaks(void)
{
    sql("postgres", "CREATE DATABASE brk");
    struct store *s = open_store(url("brk"), false, false);
    if (!s)
        return;
    /* a list write while a batch is being streamed: the stream is given up, both stored */
    for (int i = 0; i < 100; i++)
        CHECK(store_add(s, &evs[i], NULL) == RB_OK, "add %d: %s", i, store_error(s));
    struct store_suppression m = {"manual@x.org", "manual", "manual", "", 1700000000};
    bool changed = false;
    CHECK(store_suppress_set(s, &m, false, &changed) == RB_OK && changed, "manual add: %s",
          store_error(s));
    for (int i = 100; i < 200; i++)
        CHECK(store_add(s, &evs[i], NULL) == RB_OK, "add %d: %s", i, store_error(s));
    CHECK(store_finish(s) == RB_OK, "finish: %s", store_error(s));
    struct store_counts n;
    CHECK(store_counts(s, &n) == RB_OK && n.events == 200, "events: %llu", n.events);
    struct store_suppression got;
    bool found = false;
    CHECK(store_suppress_get(s, "manual@x.org", &got, &found) == RB_OK && found &&
              strcmp(got.reason, "manual") == 0,
          "manual entry");
    /* a batch never finished is not stored */
    for (int i = 200; i < 300; i++)
        CHECK(store_add(s, &evs[i], NULL) == RB_OK, "add %d", i);
    store_close(s);
    s = open_store(url("brk"), false, true);
    if (!s)
        return;
    CHECK(store_counts(s, &n) == RB_OK && n.events == 200, "unfinished batch kept: %llu", n.events);
    unsigned long long k = 0;
    CHECK(store_suppress_count(s, &k) == RB_OK && k > 0, "reader counts the list");
    store_close(s);
}

static int count_notice(const struct store_notice *nt, void *ud)
{
    (void)nt;
    ++*(int *)ud;
    return 0;
}

static void test_notices(void)
{
    struct store *s = open_store(url("brk"), false, false);
    if (!s)
        return;
    struct store_notice nt = {1700000000, "ses-subscription", "arn:aws:sns:x", "https://x/confirm",
                              "confirm \xff by hand"};
    bool added = false;
    CHECK(store_notice_add(s, &nt, &added) == RB_OK && added, "notice: %s", store_error(s));
    CHECK(store_notice_add(s, &nt, &added) == RB_OK && !added, "notice again");
    int n = 0;
    CHECK(store_notices_iterate(s, count_notice, &n) == RB_OK && n == 1, "notices: %d", n);
    store_close(s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_store_pg SOURCE_DIR\n");
        return 2;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/test_store_pg.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "sh -c '. \"$0/tests/pg/pg_cluster\" && pg_cluster_start \"$1\" >&2 && "
             "echo \"$PGC_SOCK\"' '%s' '%s'",
             argv[1], dir);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(sock, sizeof sock, p)) {
        fprintf(stderr, "FAIL: could not start PostgreSQL (see above)\n");
        if (p)
            pclose(p);
        return 1;
    }
    pclose(p);
    sock[strcspn(sock, "\n")] = '\0';
    rb_classifier *c;
    rb_scratch *sc;
    if (rb_classifier_new(&c, NULL) != RB_OK || rb_scratch_new(c, &sc) != RB_OK ||
        make_events(sc) != 0) {
        fprintf(stderr, "cannot load the classifier\n");
        return 1;
    }
    test_paths();
    test_stream_breaks();
    test_notices();
    snprintf(cmd, sizeof cmd,
             "sh -c '. \"$0/tests/pg/pg_cluster\" && pg_cluster_stop_dir \"$1\"; rm -rf \"$1\"' "
             "'%s' '%s'",
             argv[1], dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not stop the cluster in %s\n", dir);
    rb_scratch_free(sc);
    rb_classifier_free(c);
    return harness_done();
}
