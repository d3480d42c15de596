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
 * SEE ALSO
 *   store_sqlite.c, suppress.c, docs/store.md
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

/* ---- SipHash-2-4, streaming ---------------------------------------------------------------- */

struct sip {
    uint64_t v0, v1, v2, v3;
    uint64_t tail; /* pending bytes, little-endian */
    unsigned ntail;
    uint64_t total;
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
    h->tail = 0;
    h->ntail = 0;
    h->total = 0;
}

static void sip_block(struct sip *h, uint64_t m)
{
    h->v3 ^= m;
    sip_round(h);
    sip_round(h);
    h->v0 ^= m;
}

static void sip_byte(struct sip *h, unsigned char c)
{
    h->tail |= (uint64_t)c << (8 * h->ntail);
    if (++h->ntail == 8) {
        sip_block(h, h->tail);
        h->tail = 0;
        h->ntail = 0;
    }
}

static void sip_feed(struct sip *h, const void *data, size_t n)
{
    const unsigned char *p = data;
    size_t i = 0;
    h->total += n;
    while (h->ntail && i < n) /* finish a partial word */
        sip_byte(h, p[i++]);
    for (; i + 8 <= n; i += 8) { /* whole words (compilers turn this into one load) */
        uint64_t m = 0;
        for (int k = 0; k < 8; k++)
            m |= (uint64_t)p[i + (size_t)k] << (8 * k);
        sip_block(h, m);
    }
    for (; i < n; i++)
        sip_byte(h, p[i]);
}

static uint64_t sip_final(struct sip *h)
{
    uint64_t b = h->tail | (h->total << 56);
    sip_block(h, b);
    h->v2 ^= 0xff;
    for (int i = 0; i < 4; i++)
        sip_round(h);
    return h->v0 ^ h->v1 ^ h->v2 ^ h->v3;
}

/* the two keys: arbitrary fixed constants (changing them changes every stored key) */
static const uint64_t key_a[2] = {0x7265626f756e6431ull, 0x6576656e74206b31ull};
static const uint64_t key_b[2] = {0x7265626f756e6432ull, 0x6576656e74206b32ull};

struct hash2 {
    struct sip a, b;
};

/* field - a length-prefixed field, so ("ab","c") and ("a","bc") differ */
static void field(struct hash2 *h, const char *s, size_t n)
{
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)((uint64_t)n >> (8 * i));
    sip_feed(&h->a, len, 8);
    sip_feed(&h->b, len, 8);
    sip_feed(&h->a, s, n);
    sip_feed(&h->b, s, n);
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
    size_t i = sizeof tmp;
    unsigned long long u = x < 0 ? 0ull - (unsigned long long)x : (unsigned long long)x;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (x < 0)
        tmp[--i] = '-';
    field(h, tmp + i, sizeof tmp - i);
}

void store_event_key(struct store_event *e)
{
    struct hash2 h;
    sip_init(&h.a, key_a[0], key_a[1]);
    sip_init(&h.b, key_b[0], key_b[1]);
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
    uint64_t x = sip_final(&h.a), y = sip_final(&h.b);
    for (int i = 0; i < 8; i++) {
        e->key[i] = (unsigned char)(x >> (56 - 8 * i));
        e->key[8 + i] = (unsigned char)(y >> (56 - 8 * i));
    }
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
    if (strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0) {
        /* XXX issue 9: the PostgreSQL backend plugs in here (store_pg_ops) */
        return RB_EINVAL;
    }
    struct store_open_opts dflt = {.create = true, .busy_timeout_ms = 5000};
    int rc = store_sqlite_ops.open(out, target, o ? o : &dflt);
    if (*out) {
        if (cfg)
            (*out)->cfg = *cfg;
        else
            suppress_config_default(&(*out)->cfg);
    }
    return rc;
}

struct store *store_close(struct store *s)
{
    if (s) {
        if (s->in_tx)
            s->ops->rollback(s);
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

int store_add(struct store *s, const struct store_event *e, struct store_add_result *r)
{
    struct store_add_result tmp;
    if (!r)
        r = &tmp;
    memset(r, 0, sizeof *r);
    int rc = tx_open(s);
    if (rc != RB_OK)
        return rc;
    if ((rc = s->ops->put_event(s, e, &r->inserted)) != RB_OK)
        return fail(s, rc);
    if (r->inserted && e->recipient[0]) {
        char hex[2 * STORE_KEY_BYTES + 1];
        store_key_hex(e->key, hex);
        struct suppress_input in = {e->kind,   e->reason,    e->category, e->scope,
                                    e->remedy, e->permanent, e->time,     hex};
        enum suppress_class cls = suppress_classify(&in);
        struct suppress_state st;
        struct suppress_decision d;
        memset(&st, 0, sizeof st);
        bool found = false;
        if (cls == SUPPRESS_C_DELIVERY || cls == SUPPRESS_C_SOFT ||
            cls == SUPPRESS_C_MAILBOX_FULL) {
            if ((rc = s->ops->state_get(s, e->recipient, &st, &found)) != RB_OK)
                return fail(s, rc);
        }
        suppress_apply(&s->cfg, &st, &in, &d);
        /* a state never stored needs no delete; a hard bounce or a complaint clears
         * whatever streak there was without reading it first (one DELETE) */
        bool write = d.state_changed && (found || !suppress_state_empty(&st));
        if (cls == SUPPRESS_C_HARD || cls == SUPPRESS_C_COMPLAINT)
            write = true;
        if (write && (rc = s->ops->state_put(s, e->recipient, &st)) != RB_OK)
            return fail(s, rc);
        if (d.sender_alert) {
            struct store_sender_alert a = {
                e->sender_domain, e->sending_ip, rb_category_name(e->category),
                e->provider,      e->time,       hex};
            if ((rc = s->ops->alert_add(s, &a)) != RB_OK)
                return fail(s, rc);
            r->sender_alert = true;
        }
        if (d.suppress) {
            struct store_suppression sp = {e->recipient, d.reason, d.rule, d.keys,
                                           e->time ? e->time : (long long)time(NULL)};
            bool changed = false;
            if ((rc = s->ops->supp_set(s, &sp, false, &changed)) != RB_OK)
                return fail(s, rc);
            r->suppressed = changed;
            r->rule = d.rule;
        }
    }
    if (++s->pending >= s->cfg.batch_events) {
        if ((rc = s->ops->commit(s)) != RB_OK)
            return fail(s, rc);
        s->in_tx = false;
    }
    return RB_OK;
}

int store_begin(struct store *s)
{
    return tx_open(s);
}

int store_finish(struct store *s)
{
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
