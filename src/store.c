/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store.c - the backend-independent half of the store: choosing a backend, event keys,
 *           events from ingest and parse results, batched writing with the rules applied.
 *
 * DESCRIPTION
 *   See store.h. The event key is SipHash-2-4 run twice with two fixed keys over a
 *   length-prefixed serialisation of the identifying fields, giving 128 bits: collisions
 *   are out of reach at any realistic event count, and the hash is defined here (not by a
 *   library version) so keys stay stable.
 *
 * LIMITS
 *   See store.h.
 *
 *   Two write paths: one event at a time (put_event, then the rules, for SQLite), and the
 *   bulk path of a backend with put_events (PostgreSQL): store_add queues copies of the
 *   events and each batch is inserted in one go, its new events ruled in input order, and
 *   committed; a batch that lost a race to another writer (the backend sets s->retry) is
 *   run again from the queue, up to STORE_RETRIES times.
 *
 * SEE ALSO
 *   store_sqlite.c, store_pg.c, suppress.c, docs/store.md
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json_out.h"
#include "store.h"
#include "store_fields.h"

/* ---- SipHash-2-4, streaming ---------------------------------------------------------------- */

struct sip {
    uint64_t v0, v1, v2, v3;
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sip_round(struct sip *h)
{
    h->v0 += h->v1;
    h->v1 = ROTL(h->v1, 13);
    h->v1 ^= h->v0;
    h->v0 = ROTL(h->v0, 32);
    h->v2 += h->v3;
    h->v3 = ROTL(h->v3, 16);
    h->v3 ^= h->v2;
    h->v0 += h->v3;
    h->v3 = ROTL(h->v3, 21);
    h->v3 ^= h->v0;
    h->v2 += h->v1;
    h->v1 = ROTL(h->v1, 17);
    h->v1 ^= h->v2;
    h->v2 = ROTL(h->v2, 32);
}

static void sip_init(struct sip *h, uint64_t k0, uint64_t k1)
{
    h->v0 = k0 ^ 0x736f6d6570736575ull;
    h->v1 = k1 ^ 0x646f72616e646f6dull;
    h->v2 = k0 ^ 0x6c7967656e657261ull;
    h->v3 = k1 ^ 0x7465646279746573ull;
}

static void sip_block(struct sip *h, uint64_t m)
{
    h->v3 ^= m;
    sip_round(h);
    sip_round(h);
    h->v0 ^= m;
}

/* sip_final - the hash of everything fed: tail holds the last total % 8 bytes */
static uint64_t sip_final(struct sip *h, uint64_t tail, uint64_t total)
{
    uint64_t b = tail | (total << 56);
    sip_block(h, b);
    h->v2 ^= 0xff;
    for (int i = 0; i < 4; i++)
        sip_round(h);
    return h->v0 ^ h->v1 ^ h->v2 ^ h->v3;
}

/* the two keys: arbitrary fixed constants (changing them changes every stored key) */
static const uint64_t key_a[2] = {0x7265626f756e6431ull, 0x6576656e74206b31ull};
static const uint64_t key_b[2] = {0x7265626f756e6432ull, 0x6576656e74206b32ull};

/* Two SipHash-2-4 states fed the same bytes (a 128-bit key), sharing one buffer of the
 * pending bytes: each 8-byte word is assembled once for both. The bytes hashed are exactly a
 * stream of the fields, so keys do not depend on how it is cut (test_keys pins them). */
struct hash2 {
    struct sip a, b;
    uint64_t tail;  /* pending bytes, little-endian */
    unsigned ntail; /* how many (0..7) */
    uint64_t total; /* bytes fed */
};

static void hash2_init(struct hash2 *h)
{
    sip_init(&h->a, key_a[0], key_a[1]);
    sip_init(&h->b, key_b[0], key_b[1]);
    h->tail = 0;
    h->ntail = 0;
    h->total = 0;
}

static uint64_t load_le64(const unsigned char *p)
{
    uint64_t m = 0;
    for (int k = 0; k < 8; k++) /* compilers turn this into one load */
        m |= (uint64_t)p[k] << (8 * k);
    return m;
}

/* feed_word - 8 bytes (as a little-endian word) into the stream */
static void feed_word(struct hash2 *h, uint64_t w)
{
    h->total += 8;
    if (!h->ntail) {
        sip_block(&h->a, w);
        sip_block(&h->b, w);
        return;
    }
    unsigned sh = 8 * h->ntail;
    uint64_t m = h->tail | (w << sh);
    sip_block(&h->a, m);
    sip_block(&h->b, m);
    h->tail = w >> (64 - sh);
}

static void feed(struct hash2 *h, const unsigned char *p, size_t n)
{
    for (; n >= 8; p += 8, n -= 8)
        feed_word(h, load_le64(p));
    for (; n; p++, n--) {
        h->tail |= (uint64_t)*p << (8 * h->ntail);
        h->total++;
        if (++h->ntail == 8) {
            sip_block(&h->a, h->tail);
            sip_block(&h->b, h->tail);
            h->tail = 0;
            h->ntail = 0;
        }
    }
}

/* field - a length-prefixed field, so ("ab","c") and ("a","bc") differ */
static void field(struct hash2 *h, const char *s, size_t n)
{
    feed_word(h, (uint64_t)n);
    feed(h, (const unsigned char *)s, n);
}

static void field_str(struct hash2 *h, const char *s)
{
    field(h, s ? s : "", s ? strlen(s) : 0);
}

/* field_int - x in decimal, as printf's %lld writes it (the bytes hashed must never change),
 * without printf's cost: three numbers per event */
static void field_int(struct hash2 *h, long long x)
{
    char tmp[24];
    field(h, tmp, (size_t)(json_put_int(tmp, x) - tmp));
}

void store_event_key(struct store_event *e)
{
    struct hash2 h;
    hash2_init(&h);
    if (e->source_event_id && e->source_event_id[0]) {
        field_str(&h, "id");
        field_str(&h, e->format);
        field_str(&h, e->source_event_id);
        /* SES gives a bounce notification one feedbackId for all its recipients */
        if (e->recipient && e->recipient[0])
            field_str(&h, e->recipient);
    } else {
        field_str(&h, "ev");
        field_str(&h, e->format);
        field_str(&h, rb_event_kind_name(e->kind));
        field_str(&h, e->queue_id);
        field_str(&h, e->message_id);
        field_str(&h, e->recipient);
        field_int(&h, e->time);
        field_int(&h, e->delay_ms);
        field_int(&h, e->replycode);
        field_str(&h, e->status);
        field_str(&h, e->text);
    }
    uint64_t x = sip_final(&h.a, h.tail, h.total), y = sip_final(&h.b, h.tail, h.total);
    for (int i = 0; i < 8; i++) {
        e->key[i] = (unsigned char)(x >> (56 - 8 * i));
        e->key[8 + i] = (unsigned char)(y >> (56 - 8 * i));
    }
}

void store_hash128(const void *p, size_t n, uint64_t out[2])
{
    struct hash2 h;
    hash2_init(&h);
    feed(&h, p, n);
    out[0] = sip_final(&h.a, h.tail, h.total);
    out[1] = sip_final(&h.b, h.tail, h.total);
}

void store_key_hex(const unsigned char key[STORE_KEY_BYTES], char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < STORE_KEY_BYTES; i++) {
        out[2 * i] = hx[key[i] >> 4];
        out[2 * i + 1] = hx[key[i] & 15];
    }
    out[2 * STORE_KEY_BYTES] = '\0';
}

/* ---- events from the library's results ------------------------------------------------------ */

static const char *nz(const char *s)
{
    return s ? s : "";
}

/* domain_of - the part after the last @ of a normalised address, "" if none */
static const char *domain_of(const char *addr)
{
    const char *at = strrchr(addr, '@');
    return at ? at + 1 : "";
}

static void from_verdict(struct store_event *e, const rb_verdict *v)
{
    e->provider = nz(v->provider);
    e->replycode = v->reply.replycode;
    e->status = v->reply.status;
    e->reason = v->reason;
    e->category = v->category;
    e->scope = v->scope;
    e->remedy = v->remedy;
    e->permanent = v->permanent;
    e->auth = v->auth;
    e->blocklist = nz(v->blocklist);
    e->listed = v->listed;
}

void store_event_from_rb(struct store_event *e, const rb_event *ev, char *addr)
{
    memset(e, 0, sizeof *e);
    const char *rcpt = nz(ev->recipient);
    if (!suppress_normalize(rcpt, strlen(rcpt), addr, SUPPRESS_MAX_ADDRESS))
        addr[0] = '\0';
    e->time = ev->timestamp;
    e->kind = ev->kind;
    e->recipient = addr;
    e->domain = addr[0] ? domain_of(addr) : nz(ev->destination);
    e->sender = nz(ev->sender);
    e->sender_domain = nz(ev->senderdomain);
    e->rhost = nz(ev->rhost);
    from_verdict(e, &ev->verdict);
    e->campaign = nz(ev->campaign);
    e->sending_ip = nz(ev->sending_ip);
    e->sending_domain = nz(ev->sending_domain);
    e->vmta = nz(ev->vmta);
    e->queue_id = nz(ev->queueid);
    e->message_id = nz(ev->messageid);
    e->source_event_id = nz(ev->event_id);
    e->text = nz(ev->diagnosticcode);
    e->format = nz(ev->format);
    e->delay_ms = ev->delay >= 0 ? (long long)(ev->delay * 1000.0 + 0.5) : -1;
}

void store_event_from_record(struct store_event *e, const rb_record *r, char *addr)
{
    memset(e, 0, sizeof *e);
    const char *rcpt = nz(r->recipient);
    if (!suppress_normalize(rcpt, strlen(rcpt), addr, SUPPRESS_MAX_ADDRESS))
        addr[0] = '\0';
    const char *act = nz(r->action);
    e->time = r->timestamp;
    if ((r->feedbacktype && r->feedbacktype[0]) || r->verdict.reason == RB_REASON_FEEDBACK)
        e->kind = RB_EVENT_COMPLAINT;
    else if (strcmp(act, "delayed") == 0)
        e->kind = RB_EVENT_DEFERRED;
    else if (strcmp(act, "delivered") == 0 || strcmp(act, "relayed") == 0 ||
             strcmp(act, "expanded") == 0)
        e->kind = RB_EVENT_DELIVERED;
    else if (r->verdict.reason == RB_REASON_EXPIRED)
        e->kind = RB_EVENT_EXPIRED;
    else
        e->kind = RB_EVENT_BOUNCED;
    e->recipient = addr;
    e->domain = addr[0] ? domain_of(addr) : nz(r->destination);
    e->sender = nz(r->addresser);
    e->sender_domain = nz(r->senderdomain);
    e->rhost = nz(r->rhost);
    from_verdict(e, &r->verdict);
    e->campaign = nz(r->listid);
    e->sending_ip = "";
    e->sending_domain = nz(r->dkim_domain);
    e->vmta = "";
    e->queue_id = "";
    e->message_id = nz(r->messageid);
    e->source_event_id = "";
    e->text = nz(r->diagnosticcode);
    e->format = "bounce";
    e->delay_ms = -1;
}

static void batch_free(struct store_batch *b);

/* ---- opening -------------------------------------------------------------------------------- */

int store_default_path(char *out, size_t cap)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(out, cap, "%s/rebound/rebound.db", xdg);
    else if (home && home[0])
        n = snprintf(out, cap, "%s/.local/share/rebound/rebound.db", home);
    else
        return RB_EINVAL;
    return n > 0 && (size_t)n < cap ? RB_OK : RB_EINVAL;
}

int store_open(struct store **out, const char *target, const struct store_open_opts *o,
               const struct suppress_config *cfg)
{
    *out = NULL;
    if (!target || !target[0])
        return RB_EINVAL;
    bool pg = strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0;
    struct store_open_opts dflt = {.create = true, .busy_timeout_ms = 5000};
    if (!o)
        o = &dflt;
    int rc = (pg ? &store_pg_ops : &store_sqlite_ops)->open(out, target, o);
    if (*out) {
        (*out)->per_event = o->per_event;
        if (cfg)
            (*out)->cfg = *cfg;
        else
            suppress_config_default(&(*out)->cfg);
        if ((*out)->cfg.batch_events == 0)
            (*out)->cfg.batch_events = pg ? STORE_BATCH_PG : STORE_BATCH_SQLITE;
    }
    return rc;
}

struct store *store_close(struct store *s)
{
    if (s) {
        if (s->in_tx)
            s->ops->rollback(s);
        batch_free(s->batch); /* events queued and not finished are dropped, like an open
                                 transaction */
        s->batch = NULL;
        s->ops->close(s);
    }
    return NULL;
}

const char *store_error(const struct store *s)
{
    return s ? s->err : "out of memory";
}

/* ---- writing -------------------------------------------------------------------------------- */

static int tx_open(struct store *s)
{
    if (s->in_tx)
        return RB_OK;
    int rc = s->ops->begin(s);
    if (rc == RB_OK) {
        s->in_tx = true;
        s->pending = 0;
    }
    return rc;
}

/* fail - roll the batch back (nothing of it is kept) and pass rc on */
static int fail(struct store *s, int rc)
{
    if (s->in_tx) {
        char keep[STORE_ERR_CAP];
        memcpy(keep, s->err, sizeof keep);
        s->ops->rollback(s);
        memcpy(s->err, keep, sizeof keep);
        s->in_tx = false;
    }
    return rc;
}

/* apply_rules - the rules for one new event e, inside the open transaction; fills r */
static int apply_rules(struct store *s, const struct store_event *e, struct store_add_result *r)
{
    if (!e->recipient[0])
        return RB_OK;
    int rc;
    char hex[2 * STORE_KEY_BYTES + 1];
    store_key_hex(e->key, hex);
    struct suppress_input in = {e->kind,   e->reason,    e->category, e->scope,
                                e->remedy, e->permanent, e->time,     hex};
    enum suppress_class cls = suppress_classify(&in);
    struct suppress_state st;
    struct suppress_decision d;
    memset(&st, 0, sizeof st);
    bool found = false;
    if (cls == SUPPRESS_C_DELIVERY || cls == SUPPRESS_C_SOFT || cls == SUPPRESS_C_MAILBOX_FULL) {
        if ((rc = s->ops->state_get(s, e->recipient, &st, &found)) != RB_OK)
            return rc;
    }
    suppress_apply(&s->cfg, &st, &in, &d);
    /* a state never stored needs no delete; a hard bounce or a complaint clears
     * whatever streak there was without reading it first (one DELETE) */
    bool write = d.state_changed && (found || !suppress_state_empty(&st));
    if (cls == SUPPRESS_C_HARD || cls == SUPPRESS_C_COMPLAINT)
        write = true;
    if (write && (rc = s->ops->state_put(s, e->recipient, &st)) != RB_OK)
        return rc;
    if (d.sender_alert) {
        struct store_sender_alert a = {
            e->sender_domain, e->sending_ip, rb_category_name(e->category),
            e->provider,      e->time,       hex};
        if ((rc = s->ops->alert_add(s, &a)) != RB_OK)
            return rc;
        r->sender_alert = true;
    }
    if (d.suppress) {
        struct store_suppression sp = {e->recipient, d.reason, d.rule, d.keys,
                                       e->time ? e->time : (long long)time(NULL)};
        bool changed = false;
        if ((rc = s->ops->supp_set(s, &sp, false, &changed)) != RB_OK)
            return rc;
        r->suppressed = changed;
        r->rule = d.rule;
    }
    return RB_OK;
}

/* needs_state - whether the rules read or write e's recipient's state or list entry (the
 * addresses the bulk path prefetches and locks) */
static bool needs_state(const struct store_event *e)
{
    if (!e->recipient[0])
        return false;
    struct suppress_input in = {e->kind,   e->reason,    e->category, e->scope,
                                e->remedy, e->permanent, e->time,     ""};
    enum suppress_class cls = suppress_classify(&in);
    return cls != SUPPRESS_C_NONE && cls != SUPPRESS_C_SENDER;
}

static void count(struct store_totals *t, const struct store_add_result *r)
{
    t->added += r->inserted;
    t->dup += !r->inserted;
    t->suppressed += r->suppressed;
    t->alerts += r->sender_alert;
}

/* ---- the bulk path: events queued, stored and ruled a batch at a time ----------------------
 *
 * The queue owns deep copies of the events: their strings go to a list of arena chunks
 * (pointers into a chunk stay valid as the queue grows). */

#define BATCH_CHUNK (1u << 20) /* bytes per arena chunk (a bigger string gets its own) */

struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
};

struct store_batch {
    struct store_event *ev;
    size_t n, cap;
    bool *inserted;
    const char **addrs; /* prefetch list, sorted and distinct */
    struct chunk *chunks;
};

static void batch_clear(struct store_batch *b)
{
    b->n = 0;
    for (struct chunk *c = b->chunks; c; c = c->next)
        c->used = 0;
}

static void batch_free(struct store_batch *b)
{
    if (!b)
        return;
    for (struct chunk *c = b->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(b->ev);
    free(b->inserted);
    free(b->addrs);
    free(b);
}

/* batch_str - a copy of str in the arena; NULL when out of memory */
static const char *batch_str(struct store_batch *b, const char *str)
{
    if (!str || !str[0])
        return "";
    size_t n = strlen(str) + 1;
    struct chunk *c = b->chunks;
    while (c && c->cap - c->used < n)
        c = c->next;
    if (!c) {
        size_t cap = n > BATCH_CHUNK ? n : BATCH_CHUNK;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = b->chunks;
        b->chunks = c;
    }
    char *p = c->data + c->used;
    memcpy(p, str, n);
    c->used += n;
    return p;
}

/* batch_push - queue a deep copy of e */
static int batch_push(struct store *s, const struct store_event *e)
{
    struct store_batch *b = s->batch;
    if (!b && !(b = s->batch = calloc(1, sizeof *b)))
        return RB_ENOMEM;
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 1024;
        struct store_event *ev = realloc(b->ev, cap * sizeof *ev);
        if (!ev)
            return RB_ENOMEM;
        b->ev = ev;
        bool *ins = realloc(b->inserted, cap * sizeof *ins);
        if (!ins)
            return RB_ENOMEM;
        b->inserted = ins;
        const char **ad = realloc(b->addrs, cap * sizeof *ad);
        if (!ad)
            return RB_ENOMEM;
        b->addrs = ad;
        b->cap = cap;
    }
    struct store_event *c = &b->ev[b->n];
    *c = *e;
    const char **str[] = {&c->recipient,  &c->domain,          &c->sender, &c->sender_domain,
                          &c->rhost,      &c->provider,        &c->status, &c->campaign,
                          &c->sending_ip, &c->sending_domain,  &c->vmta,   &c->queue_id,
                          &c->message_id, &c->source_event_id, &c->text,   &c->format,
                          &c->blocklist,  &c->listed};
    for (size_t i = 0; i < sizeof str / sizeof str[0]; i++)
        if (!(*str[i] = batch_str(b, *str[i])))
            return RB_ENOMEM;
    b->n++;
    return RB_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* batch_run - one attempt at the queued batch: insert, prefetch, rules, commit */
static int batch_run(struct store *s, struct store_totals *t)
{
    struct store_batch *b = s->batch;
    int rc = s->ops->put_events(s, b->ev, b->n, b->inserted);
    if (rc != RB_OK)
        return rc;
    size_t na = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->inserted[i] && needs_state(&b->ev[i]))
            b->addrs[na++] = b->ev[i].recipient;
    /* sorted and distinct: a backend locks in this order, so two batches never wait on
     * each other in a cycle */
    qsort(b->addrs, na, sizeof *b->addrs, cmp_str);
    size_t nd = 0;
    for (size_t i = 0; i < na; i++)
        if (nd == 0 || strcmp(b->addrs[nd - 1], b->addrs[i]) != 0)
            b->addrs[nd++] = b->addrs[i];
    if ((rc = s->ops->prefetch(s, b->addrs, nd)) != RB_OK)
        return rc;
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < b->n; i++) {
        struct store_add_result r = {.inserted = b->inserted[i]};
        if (r.inserted && (rc = apply_rules(s, &b->ev[i], &r)) != RB_OK)
            return rc;
        count(t, &r);
    }
    return s->ops->commit(s);
}

/* batch_flush - store the queued events in one transaction, running the batch again (from
 * its copy in memory) when the backend says a concurrent writer made it fail; a transaction
 * the caller opened (store_begin) is joined and, holding the caller's writes, never run
 * again */
static int batch_flush(struct store *s)
{
    struct store_batch *b = s->batch;
    if (!b || b->n == 0)
        return RB_OK;
    bool own = !s->in_tx;
    for (unsigned attempt = 0;; attempt++) {
        int rc = RB_OK;
        s->retry = false;
        if (own) {
            rc = s->ops->begin(s);
            s->in_tx = rc == RB_OK;
        }
        struct store_totals t;
        if (rc == RB_OK)
            rc = batch_run(s, &t);
        if (rc == RB_OK) {
            s->in_tx = false;
            s->totals.added += t.added;
            s->totals.dup += t.dup;
            s->totals.suppressed += t.suppressed;
            s->totals.alerts += t.alerts;
            s->pending = 0;
            batch_clear(b);
            return RB_OK;
        }
        bool again = own && s->retry && attempt + 1 < STORE_RETRIES;
        (void)fail(s, rc); /* roll back, keeping the error text */
        if (!again) {
            batch_clear(b); /* the batch is lost as a whole, as on the one-event path */
            s->pending = 0;
            return rc;
        }
        /* back off 1, 2, 4 ... ms, plus a per-process offset so two racers part ways */
        struct timespec ts = {
            0, (long)((1u << attempt) * 1000000u + (unsigned)getpid() % 997u * 1000u)};
        nanosleep(&ts, NULL);
    }
}

int store_add(struct store *s, const struct store_event *e, struct store_add_result *r)
{
    struct store_add_result tmp;
    if (!r)
        r = &tmp;
    memset(r, 0, sizeof *r);
    int rc;
    if (s->ops->put_events && !s->per_event) {
        if ((rc = batch_push(s, e)) != RB_OK) {
            snprintf(s->err, sizeof s->err, "%.200s: out of memory queueing events", s->path);
            return rc;
        }
        r->queued = true;
        if (s->ops->stream)
            s->ops->stream(s, &s->batch->ev[s->batch->n - 1]);
        if (++s->pending >= s->cfg.batch_events)
            return batch_flush(s);
        return RB_OK;
    }
    if ((rc = tx_open(s)) != RB_OK)
        return rc;
    if ((rc = s->ops->put_event(s, e, &r->inserted)) != RB_OK)
        return fail(s, rc);
    if (r->inserted && (rc = apply_rules(s, e, r)) != RB_OK)
        return fail(s, rc);
    count(&s->totals, r);
    if (++s->pending >= s->cfg.batch_events) {
        if ((rc = s->ops->commit(s)) != RB_OK)
            return fail(s, rc);
        s->in_tx = false;
    }
    return RB_OK;
}

void store_totals(const struct store *s, struct store_totals *out)
{
    *out = s->totals;
}

int store_begin(struct store *s)
{
    return tx_open(s);
}

int store_finish(struct store *s)
{
    if (s->batch && s->batch->n)
        return batch_flush(s);
    if (!s->in_tx)
        return RB_OK;
    int rc = s->ops->commit(s);
    if (rc != RB_OK)
        return fail(s, rc);
    s->in_tx = false;
    return RB_OK;
}

/* ---- the suppression list ------------------------------------------------------------------ */

/* the list's writes run in the open transaction, or in one of their own */
int store_suppress_set(struct store *s, const struct store_suppression *e, bool replace,
                       bool *changed)
{
    bool own = !s->in_tx, dummy;
    int rc = tx_open(s);
    if (rc != RB_OK)
        return rc;
    if ((rc = s->ops->supp_set(s, e, replace, changed ? changed : &dummy)) != RB_OK)
        return fail(s, rc);
    return own ? store_finish(s) : RB_OK;
}

int store_suppress_remove(struct store *s, const char *addr, bool *removed)
{
    bool own = !s->in_tx, dummy;
    int rc = tx_open(s);
    if (rc != RB_OK)
        return rc;
    if ((rc = s->ops->supp_remove(s, addr, removed ? removed : &dummy)) != RB_OK)
        return fail(s, rc);
    return own ? store_finish(s) : RB_OK;
}

int store_suppress_get(struct store *s, const char *addr, struct store_suppression *out,
                       bool *found)
{
    return s->ops->supp_get(s, addr, out, found);
}

int store_suppress_iterate(struct store *s, store_supp_cb cb, void *ud)
{
    return s->ops->supp_iterate(s, cb, ud);
}

int store_suppress_count(struct store *s, unsigned long long *n)
{
    return s->ops->supp_count(s, n);
}

int store_state_get(struct store *s, const char *addr, struct suppress_state *st, bool *found)
{
    return s->ops->state_get(s, addr, st, found);
}

int store_counts(struct store *s, struct store_counts *out)
{
    return s->ops->counts(s, out);
}

int store_notice_add(struct store *s, const struct store_notice *n, bool *added)
{
    return s->ops->notice_add(s, n, added);
}

int store_notices_iterate(struct store *s, store_notice_cb cb, void *ud)
{
    return s->ops->notices_iterate(s, cb, ud);
}

int store_events_iterate(struct store *s, const struct store_iter *it, store_event_cb cb, void *ud)
{
    return s->ops->events_iterate(s, it, cb, ud);
}

int store_events_ids(struct store *s, long long *lo, long long *hi)
{
    return s->ops->events_ids(s, lo, hi);
}

/* The event columns of store_fields.h. */
const char *const store_ev_columns[F__COUNT] = {"time",       "kind",
                                                "recipient",  "domain",
                                                "sender",     "sender_domain",
                                                "rhost",      "provider",
                                                "replycode",  "status",
                                                "reason",     "category",
                                                "scope",      "remedy",
                                                "permanent",  "campaign",
                                                "sending_ip", "sending_domain",
                                                "vmta",       "queue_id",
                                                "message_id", "source_event_id",
                                                "text",       "format",
                                                "auth",       "blocklist",
                                                "listed",     "key"};
const bool store_ev_brief[F__COUNT] = {
    [F_TIME] = 1,          [F_KIND] = 1,           [F_RECIPIENT] = 1, [F_DOMAIN] = 1,
    [F_SENDER_DOMAIN] = 1, [F_PROVIDER] = 1,       [F_REPLYCODE] = 1, [F_STATUS] = 1,
    [F_REASON] = 1,        [F_CATEGORY] = 1,       [F_PERMANENT] = 1, [F_CAMPAIGN] = 1,
    [F_SENDING_IP] = 1,    [F_SENDING_DOMAIN] = 1, [F_TEXT] = 1,      [F_AUTH] = 1,
    [F_BLOCKLIST] = 1,     [F_LISTED] = 1};
