/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_store.c - unit tests for the store (src/store.c, src/store_sqlite.c) with the rules.
 *
 * DESCRIPTION
 *   Drives real event sequences (replies classified by the real classifier) through a SQLite
 *   store in a temporary directory: hard bounce -> suppressed at once; three mailbox-full in
 *   a row -> suppressed, two + delivery + one -> not; soft bounces over five days ->
 *   suppressed; sender-side 5.7.x blocklist -> never; complaint -> suppressed; re-adding the
 *   same events -> same counts; batches across transaction boundaries; the state surviving
 *   a close and reopen. Then the list operations, event keys, and files that are not ours
 *   (garbage, a foreign SQLite database, read-only, a newer schema) refused unchanged.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "harness.h"
#include "store.h"

#define DAY 86400LL
#define T0 1709460000LL

static rb_scratch *sc;
static char dir[256];

struct ev {
    rb_event_kind kind;
    const char *rcpt;
    double day;
    const char *reply;
};

/* add - one event through the store as ingest would (verdict from the real classifier) */
static int add(struct store *s, const struct ev *x, struct store_add_result *r)
{
    rb_verdict v;
    memset(&v, 0, sizeof v);
    if (x->reply[0] && rb_explain(sc, x->reply, strlen(x->reply), &v) != RB_OK)
        return RB_EMATCHER;
    rb_event e;
    memset(&e, 0, sizeof e);
    e.kind = x->kind;
    e.format = "test";
    e.recipient = x->rcpt;
    e.sender = "news@shop.example";
    e.senderdomain = "shop.example";
    e.destination = "";
    e.rhost = "mx.example.net";
    e.rhost_ip = e.queueid = e.messageid = e.event_id = e.campaign = e.sending_ip = "";
    e.sending_domain = e.vmta = e.feedbacktype = "";
    e.diagnosticcode = x->reply;
    e.timestamp = T0 + (long long)(x->day * (double)DAY);
    e.delay = -1;
    e.verdict = v;
    char addr[SUPPRESS_MAX_ADDRESS];
    struct store_event se;
    store_event_from_rb(&se, &e, addr);
    store_event_key(&se);
    return store_add(s, &se, r);
}

static const char *const R_USER = "550 5.1.1 <x>: Recipient address rejected: User unknown";
static const char *const R_FULL =
    "452 4.2.2 The email account that you tried to reach is over quota";
static const char *const R_DELIV = "250 2.0.0 OK queued";
static const char *const R_SYS = "451 4.3.0 Temporary local problem - please try later";
static const char *const R_BL =
    "550 5.7.1 Service unavailable; client host [1.2.3.4] blocked using zen.spamhaus.org";

#define D RB_EVENT_DELIVERED
#define F RB_EVENT_DEFERRED
#define B RB_EVENT_BOUNCED
#define C RB_EVENT_COMPLAINT

static const struct ev seq[] = {
    {B, "Hard@Example.com", 0, R_USER},      {F, "full3@example.com", 0, R_FULL},
    {F, "full3@example.com", 0.1, R_FULL},   {F, "full3@example.com", 0.2, R_FULL},
    {F, "full21@example.com", 0, R_FULL},    {F, "full21@example.com", 0.1, R_FULL},
    {D, "full21@example.com", 0.2, R_DELIV}, {F, "full21@example.com", 0.3, R_FULL},
    {F, "soft@example.com", 0, R_SYS},       {F, "soft@example.com", 2, R_SYS},
    {F, "soft@example.com", 4.5, R_SYS},     {F, "soft@example.com", 5, R_SYS},
    {F, "soft4@example.com", 0, R_SYS},      {F, "soft4@example.com", 4, R_SYS},
    {B, "blocked@example.com", 0, R_BL},     {B, "blocked@example.com", 1, R_BL},
    {B, "blocked@example.com", 7, R_BL},     {C, "complainer@example.com", 1, ""},
    {D, "fine@example.com", 1, R_DELIV},
};
#define NSEQ (sizeof seq / sizeof seq[0])

static const struct {
    const char *addr;
    int suppressed;
    const char *rule, *reason;
} want[] = {
    {"hard@example.com", 1, "hard-bounce", "userunknown"},
    {"full3@example.com", 1, "mailbox-full-repeated", "mailboxfull"},
    {"full21@example.com", 0, NULL, NULL},
    {"soft@example.com", 1, "soft-bounce-days", "systemerror"},
    {"soft4@example.com", 0, NULL, NULL},
    {"blocked@example.com", 0, NULL, NULL},
    {"complainer@example.com", 1, "complaint", "complaint"},
    {"fine@example.com", 0, NULL, NULL},
};

static void check_outcome(struct store *s, const char *ctx)
{
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        struct store_suppression e;
        bool found;
        CHECK(store_suppress_get(s, want[i].addr, &e, &found) == RB_OK, "%s: get", ctx);
        CHECK(found == (want[i].suppressed != 0), "%s: %s suppressed %d, want %d", ctx,
              want[i].addr, found, want[i].suppressed);
        if (found && want[i].rule) {
            CHECK_STR(e.rule, want[i].rule, want[i].addr);
            CHECK_STR(e.reason, want[i].reason, want[i].addr);
            CHECK(strlen(e.event_keys) >= 32, "%s: %s has no evidence", ctx, want[i].addr);
        }
    }
    struct store_counts n;
    CHECK(store_counts(s, &n) == RB_OK, "%s: counts", ctx);
    CHECK_INT(n.events, NSEQ, ctx);
    CHECK_INT(n.suppressions, 4, ctx);
    CHECK_INT(n.sender_alerts, 3, ctx); /* the three blocklist refusals */
    /* full21 (one mailbox-full after the delivery) and soft4 keep a streak */
    CHECK_INT(n.recipients_tracked, 2, ctx);
}

static void test_sequences(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/seq.db", dir);
    struct store *s;
    struct suppress_config cfg;
    suppress_config_default(&cfg);
    cfg.batch_events = 4; /* several transactions */
    int rc = store_open(&s, path, NULL, &cfg);
    CHECK(rc == RB_OK, "open: %s", store_error(s));
    if (rc != RB_OK) {
        store_close(s);
        return;
    }
    unsigned added = 0, suppressed = 0;
    for (size_t i = 0; i < NSEQ; i++) {
        struct store_add_result r;
        CHECK(add(s, &seq[i], &r) == RB_OK, "add %zu: %s", i, store_error(s));
        added += r.inserted;
        suppressed += r.suppressed;
    }
    CHECK(store_finish(s) == RB_OK, "finish");
    CHECK_INT(added, NSEQ, "all new");
    CHECK_INT(suppressed, 4, "suppressed while adding");
    check_outcome(s, "first pass");

    /* the same events again: nothing new, nothing changes */
    added = suppressed = 0;
    for (size_t i = 0; i < NSEQ; i++) {
        struct store_add_result r;
        CHECK(add(s, &seq[i], &r) == RB_OK, "re-add %zu", i);
        added += r.inserted;
        suppressed += r.suppressed;
    }
    CHECK(store_finish(s) == RB_OK, "finish");
    CHECK_INT(added, 0, "re-add: nothing new");
    check_outcome(s, "second pass");
    store_close(s);

    /* reopened: state survived, one more mailbox-full for full21 makes 2 (not 3) */
    rc = store_open(&s, path, NULL, &cfg);
    CHECK(rc == RB_OK, "reopen: %s", store_error(s));
    if (rc == RB_OK) {
        struct suppress_state st;
        bool found;
        CHECK(store_state_get(s, "full21@example.com", &st, &found) == RB_OK && found,
              "full21 state");
        CHECK_INT(st.mbf_count, 1, "full21 streak after the delivery");
        struct ev more = {F, "full21@example.com", 0.4, R_FULL};
        struct store_add_result r;
        CHECK(add(s, &more, &r) == RB_OK && r.inserted && !r.suppressed, "full21 second");
        more.day = 0.5;
        CHECK(add(s, &more, &r) == RB_OK && r.inserted && r.suppressed, "full21 third");
        CHECK(store_finish(s) == RB_OK, "finish");
    }
    store_close(s);
}

static int count_cb(const struct store_suppression *e, void *ud)
{
    (void)e;
    (*(int *)ud)++;
    return 0;
}

static int count_notice_cb(const struct store_notice *no, void *ud)
{
    int *n = ud;
    if (*n == 0)
        CHECK_STR(no->url, "https://sns.example/confirm?x=1", "oldest notice first");
    (*n)++;
    return 0;
}

static void test_list(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/list.db", dir);
    struct store *s;
    int rc = store_open(&s, path, NULL, NULL);
    CHECK(rc == RB_OK, "open: %s", store_error(s));
    if (rc != RB_OK) {
        store_close(s);
        return;
    }
    struct store_suppression e = {"a@example.com", "manual", "manual", "", T0};
    bool changed, removed, found;
    CHECK(store_suppress_set(s, &e, false, &changed) == RB_OK && changed, "add");
    e.reason = "other";
    CHECK(store_suppress_set(s, &e, false, &changed) == RB_OK && !changed, "kept");
    struct store_suppression got;
    CHECK(store_suppress_get(s, "a@example.com", &got, &found) == RB_OK && found, "get");
    CHECK_STR(got.reason, "manual", "first reason kept");
    CHECK_INT(got.since, T0, "since");
    CHECK(store_suppress_set(s, &e, true, &changed) == RB_OK && changed, "replace");
    e.address = "b@example.com";
    CHECK(store_suppress_set(s, &e, false, &changed) == RB_OK && changed, "add b");
    int n = 0;
    CHECK(store_suppress_iterate(s, count_cb, &n) == RB_OK, "iterate");
    CHECK_INT(n, 2, "two entries");
    CHECK(store_suppress_remove(s, "a@example.com", &removed) == RB_OK && removed, "remove");
    CHECK(store_suppress_remove(s, "a@example.com", &removed) == RB_OK && !removed, "gone");
    CHECK(store_suppress_get(s, "a@example.com", &got, &found) == RB_OK && !found, "absent");
    /* notices: recorded once per (kind, source, url), read back oldest first */
    struct store_notice no = {T0, "ses-subscription", "arn:aws:sns:eu-west-1:1:t",
                              "https://sns.example/confirm?x=1", "confirm it"};
    bool added;
    CHECK(store_notice_add(s, &no, &added) == RB_OK && added, "notice added");
    no.time = T0 + 5;
    CHECK(store_notice_add(s, &no, &added) == RB_OK && !added, "notice once");
    no.url = "https://sns.example/confirm?x=2";
    CHECK(store_notice_add(s, &no, &added) == RB_OK && added, "second notice");
    n = 0;
    CHECK(store_notices_iterate(s, count_notice_cb, &n) == RB_OK, "notices iterate");
    CHECK_INT(n, 2, "two notices");
    store_close(s);

    /* a reader sees it; a reader cannot write */
    struct store_open_opts ro = {.readonly = true, .busy_timeout_ms = 1000};
    rc = store_open(&s, path, &ro, NULL);
    CHECK(rc == RB_OK, "open read-only: %s", store_error(s));
    if (rc == RB_OK) {
        n = 0;
        CHECK(store_suppress_iterate(s, count_cb, &n) == RB_OK && n == 1, "reader sees 1");
        e.address = "c@example.com";
        CHECK(store_suppress_set(s, &e, false, &changed) != RB_OK, "reader cannot write");
    }
    store_close(s);
}

static void test_keys(void)
{
    struct store_event a;
    memset(&a, 0, sizeof a);
    a.format = "postfix";
    a.kind = RB_EVENT_BOUNCED;
    a.queue_id = "4Q8Zx";
    a.message_id = "";
    a.recipient = "a@example.com";
    a.time = T0;
    a.status = "5.1.1";
    a.text = "550 5.1.1 unknown";
    a.source_event_id = "";
    struct store_event b = a;
    store_event_key(&a);
    store_event_key(&b);
    CHECK(memcmp(a.key, b.key, STORE_KEY_BYTES) == 0, "same fields, same key");
    b.time = T0 + 1;
    store_event_key(&b);
    CHECK(memcmp(a.key, b.key, STORE_KEY_BYTES) != 0, "time matters");
    b = a;
    b.queue_id = "4Q8Z";
    b.message_id = "x";
    store_event_key(&b);
    CHECK(memcmp(a.key, b.key, STORE_KEY_BYTES) != 0, "fields are delimited");
    /* a source event id decides alone */
    a.source_event_id = b.source_event_id = "evt-1";
    b.text = "different";
    store_event_key(&a);
    store_event_key(&b);
    CHECK(memcmp(a.key, b.key, STORE_KEY_BYTES) == 0, "event id decides");
    /* ... with the recipient: one SES notification (one feedbackId) names several */
    b.recipient = "b@example.com";
    store_event_key(&b);
    CHECK(memcmp(a.key, b.key, STORE_KEY_BYTES) != 0, "event id + recipient");
    b.recipient = a.recipient;
    char hex[33];
    store_key_hex(a.key, hex);
    CHECK_INT(strlen(hex), 32, "hex length");
    /* pinned: keys must not change between versions (stored keys would no longer match) */
    struct store_event p;
    memset(&p, 0, sizeof p);
    p.format = "sendgrid";
    p.source_event_id = "abc";
    store_event_key(&p);
    store_key_hex(p.key, hex);
    const char *got = hex;
    CHECK_STR(got, "f36dfc5f1f11c3679528a0013f49e3c4", "pinned key of sendgrid/abc");
    /* pinned too: the key of an event without an id, numbers included (negative, zero,
     * the extremes) */
    static const struct {
        long long time, delay_ms;
        int replycode;
        const char *want;
    } pins[] = {
        {T0, -1, 550, "7c313c363f9fe338ab41139c7ce2f473"},
        {0, 0, 0, "806584c7685935e2bbcbdd097e607d58"},
        {-9223372036854775807LL - 1, 9223372036854775807LL, 421,
         "1bbf17e268a99ad67d26551d3af08813"},
    };
    for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) {
        struct store_event q = a;
        q.source_event_id = "";
        q.time = pins[i].time;
        q.delay_ms = pins[i].delay_ms;
        q.replycode = pins[i].replycode;
        store_event_key(&q);
        store_key_hex(q.key, hex);
        got = hex;
        CHECK_STR(got, pins[i].want, "pinned key of an event without an id");
    }
}

/* file_sum - a cheap fingerprint of a file's bytes, size and mode, -1 if absent */
static long long file_sum(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    unsigned long long h = 1469598103934665603ull;
    int c;
    while ((c = fgetc(f)) != EOF)
        h = (h ^ (unsigned)c) * 1099511628211ull;
    fclose(f);
    struct stat st;
    stat(path, &st);
    return (long long)((h ^ st.st_mode) >> 1);
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static void refused(const char *path, int want_rc, const char *want_msg, const char *ctx)
{
    long long before = file_sum(path);
    struct store *s;
    int rc = store_open(&s, path, NULL, NULL);
    CHECK_INT(rc, want_rc, ctx);
    CHECK(strstr(store_error(s), want_msg) != NULL, "%s: error '%s' lacks '%s'", ctx,
          store_error(s), want_msg);
    store_close(s);
    CHECK(file_sum(path) == before, "%s: file changed", ctx);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", path);
    CHECK(!exists(side), "%s: -wal created", ctx);
    snprintf(side, sizeof side, "%s-journal", path);
    CHECK(!exists(side), "%s: -journal created", ctx);
}

static void test_refusals(void)
{
    char path[512];
    /* garbage */
    snprintf(path, sizeof path, "%s/garbage.db", dir);
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 5000; i++)
        fputc((i * 7919) & 0xff, f);
    fclose(f);
    refused(path, RB_EPARSE, "not a SQLite database", "garbage");

    /* a short text file */
    snprintf(path, sizeof path, "%s/short.db", dir);
    f = fopen(path, "wb");
    fputs("hello\n", f);
    fclose(f);
    refused(path, RB_EPARSE, "not a SQLite database", "short file");

    /* a foreign SQLite database, with and without an application_id */
    snprintf(path, sizeof path, "%s/foreign.db", dir);
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1);", NULL, NULL, NULL);
    sqlite3_close(db);
    refused(path, RB_EPARSE, "another application", "foreign, no application_id");
    snprintf(path, sizeof path, "%s/foreign2.db", dir);
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA application_id = 1234; CREATE TABLE t(x);", NULL, NULL, NULL);
    sqlite3_close(db);
    refused(path, RB_EPARSE, "another application", "foreign, other application_id");

    /* ours, but from a newer rebound */
    snprintf(path, sizeof path, "%s/newer.db", dir);
    struct store *s;
    CHECK(store_open(&s, path, NULL, NULL) == RB_OK, "create newer.db");
    store_close(s);
    sqlite3_open(path, &db);
    sqlite3_exec(db, "UPDATE meta SET value = '999' WHERE key = 'schema_version'", NULL, NULL,
                 NULL);
    sqlite3_close(db);
    struct store_open_opts ro = {.readonly = true, .busy_timeout_ms = 1000};
    int rc = store_open(&s, path, &ro, NULL);
    CHECK_INT(rc, RB_EPARSE, "newer schema");
    CHECK(strstr(store_error(s), "newer rebound") != NULL, "newer: %s", store_error(s));
    store_close(s);

    /* read-only file: refused for writing, fine for reading */
    snprintf(path, sizeof path, "%s/ro.db", dir);
    CHECK(store_open(&s, path, NULL, NULL) == RB_OK, "create ro.db");
    store_close(s);
    chmod(path, 0444);
    long long before = file_sum(path);
    rc = store_open(&s, path, NULL, NULL);
    CHECK_INT(rc, RB_EIO, "read-only for writing");
    CHECK(strstr(store_error(s), "read-only") != NULL, "read-only: %s", store_error(s));
    store_close(s);
    CHECK(file_sum(path) == before, "read-only file unchanged");
    rc = store_open(&s, path, &ro, NULL);
    CHECK_INT(rc, RB_OK, "read-only for reading");
    store_close(s);

    /* absent, for a reader */
    snprintf(path, sizeof path, "%s/absent.db", dir);
    rc = store_open(&s, path, &ro, NULL);
    CHECK_INT(rc, RB_EIO, "absent");
    CHECK(!exists(path), "a reader created the file");
    store_close(s);

    /* a PostgreSQL target goes to that backend (issue 9): a server that is not there is a
     * clear error (tests/pg/ test the backend against a real server) */
    rc = store_open(&s, "postgresql:///rebound?host=/nonexistent-rebound-dir", NULL, NULL);
    CHECK_INT(rc, RB_EIO, "postgresql, no server");
    CHECK(s && strstr(store_error(s), "not reachable"), "postgresql error text");
    store_close(s);
}

struct iter_seen {
    unsigned long long n;
    long long last_time;
    bool ordered;
    unsigned auth;
    char blocklist[32], text[64], sender[64];
};

static int on_stored(const struct store_event *e, void *ud)
{
    struct iter_seen *x = ud;
    if (e->time < x->last_time)
        x->ordered = false;
    x->last_time = e->time;
    x->n++;
    x->auth |= e->auth;
    if (e->blocklist[0])
        snprintf(x->blocklist, sizeof x->blocklist, "%s", e->blocklist);
    if (e->kind == RB_EVENT_DELIVERED && e->text[0])
        snprintf(x->text, sizeof x->text, "%s", e->text);
    if (e->sender[0])
        snprintf(x->sender, sizeof x->sender, "%s", e->sender);
    return 0;
}

/* downgrade - turn a schema-4 store at path back into schema `to` (3 or 1) as an older
 * rebound left it: events a table of strings again (schema 1 also without auth, blocklist,
 * listed and the notices table). Returns the SQLite result. */
static int downgrade(const char *path, int to)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return SQLITE_ERROR;
    char sql[4096];
    snprintf(sql, sizeof sql,
             "BEGIN;"
             "CREATE TABLE ev(id INTEGER PRIMARY KEY, key BLOB NOT NULL, time INTEGER NOT NULL,"
             " kind TEXT NOT NULL, recipient TEXT NOT NULL, domain TEXT NOT NULL,"
             " sender TEXT NOT NULL, sender_domain TEXT NOT NULL, rhost TEXT NOT NULL,"
             " provider TEXT NOT NULL, replycode INTEGER NOT NULL, status TEXT NOT NULL,"
             " reason TEXT NOT NULL, category TEXT NOT NULL, scope TEXT NOT NULL,"
             " remedy TEXT NOT NULL, permanent INTEGER NOT NULL, campaign TEXT NOT NULL,"
             " sending_ip TEXT NOT NULL, sending_domain TEXT NOT NULL, vmta TEXT NOT NULL,"
             " queue_id TEXT NOT NULL, message_id TEXT NOT NULL, source_event_id TEXT NOT NULL,"
             " text TEXT NOT NULL, format TEXT NOT NULL%s, UNIQUE(time, key));"
             "INSERT INTO ev SELECT id, key, time, kind, recipient, domain, sender, sender_domain,"
             " rhost, provider, replycode, status, reason, category, scope, remedy, permanent,"
             " campaign, sending_ip, sending_domain, vmta, queue_id, message_id, source_event_id,"
             " text, format%s FROM events;"
             "DROP VIEW events; DROP TABLE event_rows; DROP TABLE names;"
             "ALTER TABLE ev RENAME TO events;%s"
             "UPDATE meta SET value = '%d' WHERE key = 'schema_version';"
             "COMMIT;",
             to >= 2 ? ", auth INTEGER NOT NULL DEFAULT 0, blocklist TEXT NOT NULL DEFAULT '',"
                       " listed TEXT NOT NULL DEFAULT ''"
                     : "",
             to >= 2 ? ", auth, blocklist, listed" : "", to < 3 ? "DROP TABLE notices;" : "", to);
    int src = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return src;
}

/* test_iterate_and_migrate - events read back (ordered, unordered, brief, by time range), and
 * a schema-3 store (events a table of strings) and a schema-1 store (before
 * auth/blocklist/listed) migrated by the first writer */
static void test_iterate_and_migrate(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/iter.db", dir);
    struct store *s;
    CHECK(store_open(&s, path, NULL, NULL) == RB_OK, "create iter.db");
    for (size_t i = 0; i < NSEQ; i++) {
        struct store_add_result r;
        CHECK(add(s, &seq[i], &r) == RB_OK, "add %zu", i);
    }
    CHECK(store_finish(s) == RB_OK, "finish");
    struct iter_seen x = {.ordered = true};
    CHECK(store_events_iterate(s, &(struct store_iter){0}, on_stored, &x) == RB_OK, "iterate");
    CHECK_INT(x.n, NSEQ, "iterate: all events");
    CHECK(x.ordered, "iterate: in time order");
    CHECK_STR(x.blocklist, "spamhaus-zen", "iterate: blocklist read back");
    CHECK_STR(x.text, R_DELIV, "iterate: full text of a delivery");
    CHECK_STR(x.sender, "news@shop.example", "iterate: sender");
    x = (struct iter_seen){.ordered = true};
    CHECK(store_events_iterate(
              s, &(struct store_iter){.flags = STORE_ITER_UNORDERED | STORE_ITER_BRIEF}, on_stored,
              &x) == RB_OK,
          "iterate brief");
    CHECK_INT(x.n, NSEQ, "brief: all events");
    CHECK_STR(x.text, "", "brief: no text for deliveries");
    CHECK_STR(x.sender, "", "brief: no sender");
    CHECK_STR(x.blocklist, "spamhaus-zen", "brief: blocklist");
    x = (struct iter_seen){.ordered = true};
    CHECK(store_events_iterate(s, &(struct store_iter){.since = T0 + DAY, .until = T0 + 5 * DAY},
                               on_stored, &x) == RB_OK,
          "range");
    CHECK_INT(x.n, 6, "range: days 1 to 4.5");
    long long lo, hi;
    CHECK(store_events_ids(s, &lo, &hi) == RB_OK, "ids");
    CHECK_INT(hi - lo + 1, NSEQ, "ids: one number per event");
    unsigned long long parts = 0;
    for (long long from = lo; from <= hi; from += 4) {
        x = (struct iter_seen){.ordered = true};
        struct store_iter it = {.id_from = from, .id_to = from + 4};
        CHECK(store_events_iterate(s, &it, on_stored, &x) == RB_OK, "part");
        CHECK(x.n <= 4, "part of 4: %llu", x.n);
        parts += x.n;
    }
    CHECK_INT(parts, NSEQ, "parts: every event once");
    store_close(s);

    /* back to schema 3 (the event row of schema 4 unpacked into the table it replaced), then
     * opened by a writer: every event and its names come back through the 3 -> 4 migration */
    CHECK_INT(downgrade(path, 3), SQLITE_OK, "downgrade to schema 3");
    struct store_open_opts ro = {.readonly = true, .busy_timeout_ms = 1000};
    int rc = store_open(&s, path, &ro, NULL);
    CHECK_INT(rc, RB_EIO, "a reader does not migrate (3)");
    store_close(s);
    CHECK(store_open(&s, path, NULL, NULL) == RB_OK, "a writer migrates 3: %s", store_error(s));
    x = (struct iter_seen){.ordered = true};
    CHECK(store_events_iterate(s, &(struct store_iter){0}, on_stored, &x) == RB_OK,
          "iterate migrated 3");
    CHECK_INT(x.n, NSEQ, "migrated 3: every event kept");
    CHECK(x.ordered, "migrated 3: in time order");
    CHECK_STR(x.blocklist, "spamhaus-zen", "migrated 3: blocklist kept");
    CHECK_STR(x.text, R_DELIV, "migrated 3: kind and text of a delivery kept");
    CHECK_STR(x.sender, "news@shop.example", "migrated 3: sender kept");
    /* the same events again: all known (their keys survived), nothing added */
    struct store_totals before;
    store_totals(s, &before);
    for (size_t i = 0; i < NSEQ; i++) {
        struct store_add_result r;
        CHECK(add(s, &seq[i], &r) == RB_OK, "re-add %zu", i);
    }
    CHECK(store_finish(s) == RB_OK, "finish re-add");
    struct store_totals after;
    store_totals(s, &after);
    CHECK_INT(after.added - before.added, 0, "migrated 3: re-ingest adds nothing");
    CHECK_INT(after.dup - before.dup, NSEQ, "migrated 3: re-ingest all duplicates");
    store_close(s);

    /* back to schema 1: also the columns schema 2 added and the table of schema 3 dropped */
    CHECK_INT(downgrade(path, 1), SQLITE_OK, "downgrade to schema 1");
    rc = store_open(&s, path, &ro, NULL);
    CHECK_INT(rc, RB_EIO, "a reader does not migrate");
    CHECK(strstr(store_error(s), "older") != NULL, "older schema said: %s", store_error(s));
    store_close(s);
    CHECK(store_open(&s, path, NULL, NULL) == RB_OK, "a writer migrates: %s", store_error(s));
    x = (struct iter_seen){.ordered = true};
    CHECK(store_events_iterate(s, &(struct store_iter){0}, on_stored, &x) == RB_OK,
          "iterate migrated");
    CHECK_INT(x.n, NSEQ, "migrated: every event kept");
    CHECK_STR(x.blocklist, "", "migrated: old events have no blocklist");
    CHECK_STR(x.sender, "news@shop.example", "migrated: sender kept");
    store_close(s);
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st, NULL);
    CHECK(sqlite3_step(st) == SQLITE_ROW &&
              strcmp((const char *)sqlite3_column_text(st, 0), "4") == 0,
          "migrated: schema version 4");
    sqlite3_finalize(st);
    /* the view reads as the old table did: names, not numbers */
    sqlite3_prepare_v2(db,
                       "SELECT count(*) FROM events WHERE kind = 'delivered' AND"
                       " sender_domain = 'shop.example' AND length(key) = 16",
                       -1, &st, NULL);
    CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0,
          "view: deliveries by name");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* test_two_writers - a writer's memory of who has an open streak (store_sqlite.c's
 * recipient set) follows what another connection committed in between: a streak the other
 * writer opened is cleared by our delivery (its row is gone), and two more mailbox-full
 * failures make a streak of 2, not 3. */
static void test_two_writers(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/two.db", dir);
    struct store *a, *b;
    struct suppress_config cfg;
    suppress_config_default(&cfg);
    cfg.batch_events = 1; /* each event its own transaction */
    CHECK(store_open(&a, path, NULL, &cfg) == RB_OK, "open a: %s", store_error(a));
    CHECK(store_open(&b, path, NULL, &cfg) == RB_OK, "open b: %s", store_error(b));
    struct store_add_result r;
    static const struct ev steps[] = {
        {D, "other@example.com", 0.1, R_DELIV}, /* a: builds its set (no streaks) */
        {F, "y@example.com", 0.2, R_FULL},      /* b: opens y's streak */
        {D, "y@example.com", 0.3, R_DELIV},     /* a: must see it and clear it */
        {F, "y@example.com", 0.4, R_FULL},      /* a */
        {F, "y@example.com", 0.5, R_FULL},      /* a: 2 in a row, not 3 */
    };
    struct store *who[] = {a, b, a, a, a};
    struct suppress_state st;
    bool found = true;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        CHECK(add(who[i], &steps[i], &r) == RB_OK && r.inserted, "step %zu", i);
        if (i == 2)
            CHECK(store_state_get(b, "y@example.com", &st, &found) == RB_OK && !found,
                  "y's streak cleared by the other writer's delivery");
    }
    CHECK(store_finish(a) == RB_OK && store_finish(b) == RB_OK, "finish");
    struct store_suppression sp;
    CHECK(store_suppress_get(a, "y@example.com", &sp, &found) == RB_OK && !found,
          "y not suppressed: the other writer's streak was cleared");
    CHECK(store_state_get(b, "y@example.com", &st, &found) == RB_OK && found && st.mbf_count == 2,
          "y: 2 in a row (got %u)", st.mbf_count);
    store_close(a);
    store_close(b);
}

int main(void)
{
    rb_classifier *c;
    if (rb_classifier_new(&c, NULL) != RB_OK || rb_scratch_new(c, &sc) != RB_OK) {
        fprintf(stderr, "cannot load the classifier\n");
        return 1;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/test_store.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_keys();
    test_sequences();
    test_list();
    test_refusals();
    test_iterate_and_migrate();
    test_two_writers();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    rb_scratch_free(sc);
    rb_classifier_free(c);
    return harness_done();
}
