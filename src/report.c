/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report.c - aggregation for `rebound report`: counts by dimension, hour buckets and reply
 *            templates, fed one event at a time; the views renderers read. Diagnoses are
 *            report_diag.c's.
 *
 * DESCRIPTION
 *   report_add() looks each event's keys up in one interning table per dimension (a row per
 *   distinct value), so memory follows the number of distinct values, never of events.
 *   Reply codes, statuses, reasons and categories are counted for failures and complaints
 *   only; providers, campaigns, sending domains and IPs for every event, so each row has its
 *   own bounce rate. The provider is the one the classifier found from the receiving host or
 *   the reply; when neither named one, the recipient domain's (data/provider-domains.tsv),
 *   else "other".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "report_int.h"
#include "report_template.h"

extern const char report_provider_domains_tsv[];

static const char *const dim_names[RD__COUNT] = {
    [RD_REPLYCODE] = "replycode",   [RD_STATUS] = "status",
    [RD_FAMILY] = "family",         [RD_REASON] = "reason",
    [RD_CATEGORY] = "category",     [RD_PROVIDER] = "provider",
    [RD_CAMPAIGN] = "campaign",     [RD_SENDING_DOMAIN] = "sending_domain",
    [RD_SENDING_IP] = "sending_ip",
};

const char *report_dim_name(enum report_dim d)
{
    return (unsigned)d < RD__COUNT ? dim_names[d] : "";
}

const char *report_severity_name(enum report_severity s)
{
    static const char *const n[] = {"ok", "info", "warning", "critical"};
    return (unsigned)s < 4 ? n[s] : "";
}

unsigned long long report_counts_sent(const struct report_counts *c)
{
    return c->kind[RB_EVENT_DELIVERED] + c->kind[RB_EVENT_BOUNCED] + c->kind[RB_EVENT_EXPIRED];
}

unsigned long long report_counts_bounces(const struct report_counts *c)
{
    return c->kind[RB_EVENT_BOUNCED] + c->kind[RB_EVENT_EXPIRED];
}

unsigned long long report_counts_failures(const struct report_counts *c)
{
    return report_counts_bounces(c) + c->kind[RB_EVENT_DEFERRED];
}

const char *report_error(const struct report *r)
{
    return r ? r->err : "";
}

const char *report_key(const struct report *r, enum report_dim d, long id)
{
    return id >= 0 && (size_t)id < r->dim[d].keys.n ? r->dim[d].keys.ent[id].str : "";
}

/* ---- set-up ------------------------------------------------------------------------------ */

/* load_provider_domains - the embedded domain -> provider table into r->provdom */
static int load_provider_domains(struct report *r)
{
    const char *p = report_provider_domains_tsv;
    size_t cap = 0;
    bool header = true;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *tab = memchr(p, '\t', n);
        if (n && p[0] != '#' && tab) {
            if (header) {
                header = false;
            } else {
                long id = strtab_intern(&r->provdom, p, (size_t)(tab - p));
                if (id < 0 || grow_array(r->mem, (void **)&r->provdom_of, &cap, (size_t)id + 1,
                                         sizeof *r->provdom_of) != RB_OK)
                    return RB_ENOMEM;
                /* the provider id as a string of the table itself: copy it */
                long pid = strtab_intern(&r->provdom, tab + 1, n - (size_t)(tab + 1 - p));
                if (pid < 0)
                    return RB_ENOMEM;
                if (grow_array(r->mem, (void **)&r->provdom_of, &cap, (size_t)pid + 1,
                               sizeof *r->provdom_of) != RB_OK)
                    return RB_ENOMEM;
                r->provdom_of[id] = r->provdom.ent[pid].str;
            }
        }
        p += n + (e ? 1 : 0);
    }
    return RB_OK;
}

static const struct {
    const char *name;
    int dim; /* RD_*, or RD__COUNT for code */
} filter_keys[] = {
    {"provider", RD_PROVIDER},
    {"campaign", RD_CAMPAIGN},
    {"sending_domain", RD_SENDING_DOMAIN},
    {"domain", RD_SENDING_DOMAIN},
    {"sending_ip", RD_SENDING_IP},
    {"ip", RD_SENDING_IP},
    {"reason", RD_REASON},
    {"category", RD_CATEGORY},
    {"code", RD__COUNT},
};

/* parse_filter - "key=a|b,key=c" into r->flt; RB_EINVAL with r->err on a bad key */
static int parse_filter(struct report *r, const char *f)
{
    size_t n = strlen(f);
    r->flt.buf = mem_alloc(r->mem, n + 1);
    if (!r->flt.buf)
        return RB_ENOMEM;
    memcpy(r->flt.buf, f, n + 1);
    char *save = NULL;
    for (char *tok = strtok_r(r->flt.buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok || !eq[1]) {
            snprintf(r->err, sizeof r->err, "filter: \"%.64s\" is not KEY=VALUE", tok);
            return RB_EINVAL;
        }
        *eq = '\0';
        size_t k;
        for (k = 0; k < sizeof filter_keys / sizeof filter_keys[0]; k++)
            if (strcmp(filter_keys[k].name, tok) == 0)
                break;
        if (k == sizeof filter_keys / sizeof filter_keys[0]) {
            snprintf(r->err, sizeof r->err,
                     "filter: unknown key \"%.32s\" (provider, campaign, sending_domain,"
                     " sending_ip, reason, category, code)",
                     tok);
            return RB_EINVAL;
        }
        r->flt.vals[filter_keys[k].dim] = eq + 1;
    }
    return RB_OK;
}

int report_new(struct report **out, const struct report_opts *o)
{
    const rb_mem *mem = o ? o->mem : NULL;
    struct report *r = mem_calloc(mem, 1, sizeof *r);
    *out = r;
    if (!r)
        return RB_ENOMEM;
    if (o)
        r->o = *o;
    r->mem = mem;
    r->o.filter = NULL;
    if (!r->o.spike_window)
        r->o.spike_window = 86400;
    if (!r->o.spike_baseline)
        r->o.spike_baseline = 7 * 86400;
    if (!r->o.top)
        r->o.top = 10;
    for (int d = 0; d < RD__COUNT; d++)
        strtab_init(&r->dim[d].keys, mem);
    strtab_init(&r->provdom, mem);
    strtab_init(&r->tplkeys, mem);
    u64map_init(&r->hourmap, mem);
    int rc = load_provider_domains(r);
    if (rc == RB_OK && o && o->filter && o->filter[0])
        rc = parse_filter(r, o->filter);
    if (rc == RB_OK)
        rc = report_diag_new(r);
    if (rc == RB_ENOMEM)
        snprintf(r->err, sizeof r->err, "out of memory");
    return rc;
}

struct report *report_free(struct report *r)
{
    if (!r)
        return NULL;
    const rb_mem *mem = r->mem;
    report_diag_free(r);
    for (int d = 0; d < RD__COUNT; d++) {
        strtab_free(&r->dim[d].keys);
        mem_free(mem, r->dim[d].row);
        mem_free(mem, r->dim[d].sorted);
    }
    strtab_free(&r->provdom);
    mem_free(mem, r->provdom_of);
    strtab_free(&r->tplkeys);
    mem_free(mem, r->tpl);
    mem_free(mem, r->tpl_sorted);
    u64map_free(&r->hourmap);
    mem_free(mem, r->hours);
    mem_free(mem, r->buckets);
    mem_free(mem, r->diag);
    mem_free(mem, r->flt.buf);
    mem_free(mem, r);
    return NULL;
}

const struct report_opts *report_options(const struct report *r)
{
    return &r->o;
}

/* ---- adding ------------------------------------------------------------------------------ */

static bool is_failure(rb_event_kind k)
{
    return k == RB_EVENT_BOUNCED || k == RB_EVENT_EXPIRED || k == RB_EVENT_DEFERRED;
}

/* count - add event e to counts c */
static void count(struct report_counts *c, const struct report_event *e, bool hard)
{
    c->kind[e->kind]++;
    if (is_failure(e->kind)) {
        c->cat[e->category]++;
        if (hard)
            c->hard++;
    }
}

/* row_of - the row id of value s (n bytes) in dimension d, created when new; -1 on no memory */
static long row_of(struct report *r, enum report_dim d, const char *s, size_t n)
{
    struct report_dimtab *t = &r->dim[d];
    long id = strtab_intern(&t->keys, s, n);
    if (id < 0)
        return -1;
    if ((size_t)id >= t->cap &&
        grow_array(r->mem, (void **)&t->row, &t->cap, (size_t)id + 1, sizeof *t->row) != RB_OK)
        return -1;
    if (!t->row[id].key)
        t->row[id].key = t->keys.ent[id].str;
    return id;
}

/* alt_match - whether s is one of the '|'-separated alternatives of alts */
static bool alt_match(const char *alts, const char *s)
{
    size_t n = strlen(s);
    for (const char *p = alts;;) {
        const char *bar = strchr(p, '|');
        size_t k = bar ? (size_t)(bar - p) : strlen(p);
        if (k == n && memcmp(p, s, n) == 0)
            return true;
        if (!bar)
            return false;
        p = bar + 1;
    }
}

/* code_match - a code filter alternative against the event: "550", "5.7.26", "5.7.x",
 * "5.7", "5.x.x", "5" */
static bool code_match_one(const char *pat, size_t n, const struct report_event *e)
{
    char rc[8];
    snprintf(rc, sizeof rc, "%d", e->replycode);
    if (n == 3 && !memchr(pat, '.', n))
        return e->replycode && memcmp(pat, rc, 3) == 0;
    /* strip trailing ".x" parts: a prefix of the status by whole parts */
    while (n >= 2 && (pat[n - 1] == 'x' || pat[n - 1] == '*') && pat[n - 2] == '.')
        n -= 2;
    size_t sl = strlen(e->status);
    if (n > sl || memcmp(pat, e->status, n) != 0)
        return false;
    return n == sl || e->status[n] == '.';
}

static bool code_match(const char *alts, const struct report_event *e)
{
    for (const char *p = alts;;) {
        const char *bar = strchr(p, '|');
        size_t k = bar ? (size_t)(bar - p) : strlen(p);
        if (code_match_one(p, k, e))
            return true;
        if (!bar)
            return false;
        p = bar + 1;
    }
}

/* family_of - "5.1.x" for "5.1.1" into out (size >= 16); "" when no status */
static size_t family_of(const char *status, char *out)
{
    const char *dot = strchr(status, '.');
    const char *dot2 = dot ? strchr(dot + 1, '.') : NULL;
    if (!dot2 || (size_t)(dot2 - status) > 10) {
        out[0] = '\0';
        return 0;
    }
    size_t n = (size_t)(dot2 - status);
    memcpy(out, status, n);
    memcpy(out + n, ".x", 3);
    return n + 2;
}

/* tpl_sample_before - does event e order before the verdict template row t shows, by
 * (reason, category, reply code, status)? */
static int tpl_sample_before(const struct report_event *e, const struct report_template_row *t)
{
    if (e->reason != t->reason)
        return e->reason < t->reason;
    if (e->category != t->category)
        return e->category < t->category;
    if (e->replycode != t->replycode)
        return e->replycode < t->replycode;
    return strcmp(e->status, t->status) < 0;
}

/* tpl_set_sample - make e the verdict template row t shows */
static void tpl_set_sample(struct report *r, struct report_template_row *t,
                           const struct report_event *e)
{
    /* the status string must outlive the event: intern it in the status dimension */
    long sid = e->status[0] ? row_of(r, RD_STATUS, e->status, strlen(e->status)) : -1;
    t->status = sid >= 0 ? r->dim[RD_STATUS].keys.ent[sid].str : "";
    t->replycode = e->replycode;
    t->reason = e->reason;
    t->category = e->category;
    t->classified = e->reason != RB_REASON_UNDEFINED;
}

static int add_template(struct report *r, const struct report_event *e, const char *provider)
{
    size_t tl = report_template(e->text, e->text_len, r->tplbuf, sizeof r->tplbuf);
    size_t pl = strlen(provider);
    if (pl > 63)
        pl = 63;
    memcpy(r->keybuf, provider, pl);
    r->keybuf[pl] = '\t';
    memcpy(r->keybuf + pl + 1, r->tplbuf, tl);
    size_t kl = pl + 1 + tl;
    long id = strtab_find(&r->tplkeys, r->keybuf, kl);
    if (id < 0) {
        if (r->tplkeys.n >= REPORT_MAX_TEMPLATES) {
            r->tpl_dropped++;
            return RB_OK;
        }
        id = strtab_intern(&r->tplkeys, r->keybuf, kl);
        if (id < 0 || grow_array(r->mem, (void **)&r->tpl, &r->cap_tpl, (size_t)id + 1,
                                 sizeof *r->tpl) != RB_OK)
            return RB_ENOMEM;
        struct report_template_row *t = &r->tpl[id];
        const char *k = r->tplkeys.ent[id].str;
        t->provider = provider; /* interned in the provider dimension: stable */
        t->text = k + pl + 1;
        tpl_set_sample(r, t, e);
    } else if (tpl_sample_before(e, &r->tpl[id])) {
        /* one text, several verdicts (a provider rule reading the remote host, a Status:
         * field): the row shows the smallest, so the report does not depend on the order
         * events arrive in (store backends and scanner threads differ) */
        tpl_set_sample(r, &r->tpl[id], e);
    }
    r->tpl[id].count++;
    return RB_OK;
}

static int add_hour(struct report *r, const struct report_event *e, bool hard)
{
    if (e->time <= 0)
        return RB_OK;
    long long hour = e->time / 3600;
    uint64_t *slot = u64map_slot(&r->hourmap, (uint64_t)hour);
    if (!slot)
        return RB_ENOMEM;
    if (!*slot) {
        if (grow_array(r->mem, (void **)&r->hours, &r->cap_hours, r->nhours + 1,
                       sizeof *r->hours) != RB_OK)
            return RB_ENOMEM;
        r->hours[r->nhours].start = hour * 3600;
        *slot = ++r->nhours; /* index + 1 */
    }
    count(&r->hours[*slot - 1].c, e, hard);
    return RB_OK;
}

/* provider_for - the event's provider id: the classifier's, the recipient domain's, "other" */
static const char *provider_for(const struct report *r, const struct report_event *e)
{
    if (e->provider[0])
        return e->provider;
    if (e->domain[0]) {
        long id = strtab_find(&r->provdom, e->domain, strlen(e->domain));
        if (id >= 0 && r->provdom_of[id])
            return r->provdom_of[id];
    }
    return "other";
}

struct dimval {
    enum report_dim d;
    const char *s;
};

int report_add(struct report *r, const struct report_event *e)
{
    if (r->finished || (unsigned)e->kind >= RB_EVENT__COUNT ||
        (unsigned)e->category >= RB_CAT__COUNT)
        return RB_EINVAL;
    if ((r->o.since && e->time < r->o.since) || (r->o.until && e->time >= r->o.until))
        return RB_OK;
    const char *prov = provider_for(r, e);
    const char *sdom = e->sending_domain[0] ? e->sending_domain : e->sender_domain;
    const char *reason = rb_reason_name(e->reason), *cat = rb_category_name(e->category);
    /* the filter */
    if (r->flt.buf) {
        const char *fv[RD__COUNT] = {[RD_PROVIDER] = prov,       [RD_CAMPAIGN] = e->campaign,
                                     [RD_SENDING_DOMAIN] = sdom, [RD_SENDING_IP] = e->sending_ip,
                                     [RD_REASON] = reason,       [RD_CATEGORY] = cat};
        for (int d = 0; d < RD__COUNT; d++)
            if (r->flt.vals[d] && fv[d] && !alt_match(r->flt.vals[d], fv[d]))
                return RB_OK;
        if (r->flt.vals[RD__COUNT] && !code_match(r->flt.vals[RD__COUNT], e))
            return RB_OK;
    }
    bool fail = is_failure(e->kind);
    bool hard =
        fail && e->permanent && e->category == RB_CAT_ADDRESS && e->kind != RB_EVENT_DEFERRED;
    count(&r->total, e, hard);
    if (e->time > 0) {
        if (!r->first || e->time < r->first)
            r->first = e->time;
        if (e->time > r->last)
            r->last = e->time;
    }
    struct report_fact f = {.e = e, .failure = fail, .hard = hard, .recipient = -1};
    for (int d = 0; d < RD__COUNT; d++)
        f.id[d] = -1;
    /* keys of every event; then, for failures and complaints, what the receiver said */
    char code[16], fam[16];
    int cl = 0;
    size_t fl = 0;
    struct dimval v[RD__COUNT] = {
        {RD_PROVIDER, prov},
        {RD_CAMPAIGN, e->campaign},
        {RD_SENDING_DOMAIN, sdom},
        {RD_SENDING_IP, e->sending_ip},
    };
    size_t nv = 4;
    if (fail || e->kind == RB_EVENT_COMPLAINT) {
        cl = e->replycode > 0 ? snprintf(code, sizeof code, "%d", e->replycode) : 0;
        fl = family_of(e->status, fam);
        v[nv++] = (struct dimval){RD_REPLYCODE, cl > 0 ? code : ""};
        v[nv++] = (struct dimval){RD_STATUS, e->status};
        v[nv++] = (struct dimval){RD_FAMILY, fl ? fam : ""};
        v[nv++] = (struct dimval){RD_REASON, reason};
        v[nv++] = (struct dimval){RD_CATEGORY, cat};
    }
    for (size_t i = 0; i < nv; i++) {
        if (v[i].s[0] && (f.id[v[i].d] = row_of(r, v[i].d, v[i].s, strlen(v[i].s))) < 0)
            return RB_ENOMEM;
    }
    for (int d = 0; d < RD__COUNT; d++) {
        if (f.id[d] < 0)
            continue;
        struct report_row *row = &r->dim[d].row[f.id[d]];
        count(&row->c, e, hard);
        if (e->time > 0) {
            if (!row->first || e->time < row->first)
                row->first = e->time;
            if (e->time > row->last)
                row->last = e->time;
        }
    }
    int rc = add_hour(r, e, hard);
    if (rc == RB_OK && fail && e->text_len)
        rc = add_template(r, e, r->dim[RD_PROVIDER].keys.ent[f.id[RD_PROVIDER]].str);
    if (rc == RB_OK)
        rc = report_diag_add(r, &f);
    if (rc == RB_ENOMEM)
        snprintf(r->err, sizeof r->err, "out of memory");
    return rc;
}

/* ---- finishing ----------------------------------------------------------------------------- */

static int cmp_row(const void *a, const void *b)
{
    const struct report_row *x = a, *y = b;
    unsigned long long fx = report_counts_failures(&x->c) + x->c.kind[RB_EVENT_COMPLAINT];
    unsigned long long fy = report_counts_failures(&y->c) + y->c.kind[RB_EVENT_COMPLAINT];
    if (fx != fy)
        return fx < fy ? 1 : -1;
    unsigned long long ex = 0, ey = 0;
    for (int k = 0; k < RB_EVENT__COUNT; k++) {
        ex += x->c.kind[k];
        ey += y->c.kind[k];
    }
    if (ex != ey)
        return ex < ey ? 1 : -1;
    return strcmp(x->key, y->key);
}

static int cmp_tpl(const void *a, const void *b)
{
    const struct report_template_row *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    int c = strcmp(x->provider, y->provider);
    return c ? c : strcmp(x->text, y->text);
}

/* add_counts - a += b */
static void add_counts(struct report_counts *a, const struct report_counts *b)
{
    for (int k = 0; k < RB_EVENT__COUNT; k++)
        a->kind[k] += b->kind[k];
    for (int k = 0; k < RB_CAT__COUNT; k++)
        a->cat[k] += b->cat[k];
    a->hard += b->hard;
}

#define MAX_BUCKETS 4000

/* build_buckets - the hours rolled up into contiguous buckets of the chosen width */
static int build_buckets(struct report *r)
{
    if (!r->nhours)
        return RB_OK;
    /* the hours stay in arrival order: hourmap indexes them, and a reopened report keeps
     * adding to them */
    long long lo = r->hours[0].start, hi = lo;
    for (size_t i = 1; i < r->nhours; i++) {
        if (r->hours[i].start < lo)
            lo = r->hours[i].start;
        if (r->hours[i].start > hi)
            hi = r->hours[i].start;
    }
    long long w = r->o.bucket > 0 ? r->o.bucket : (hi - lo <= 3 * 86400 ? 3600 : 86400);
    if (w < 3600)
        w = 3600;
    w -= w % 3600; /* whole hours: the hours are the unit counted */
    while ((hi - lo) / w + 1 > MAX_BUCKETS)
        w *= 2;
    long long base = lo - (((lo % w) + w) % w);
    size_t n = (size_t)((hi - base) / w + 1);
    r->buckets = mem_calloc(r->mem, n, sizeof *r->buckets);
    if (!r->buckets)
        return RB_ENOMEM;
    for (size_t i = 0; i < n; i++)
        r->buckets[i].start = base + (long long)i * w;
    for (size_t i = 0; i < r->nhours; i++)
        add_counts(&r->buckets[(r->hours[i].start - base) / w].c, &r->hours[i].c);
    r->nbuckets = n;
    r->width = w;
    return RB_OK;
}

int report_finish(struct report *r)
{
    if (r->finished)
        return RB_OK;
    r->finished = true;
    for (int d = 0; d < RD__COUNT; d++) {
        struct report_dimtab *t = &r->dim[d];
        if (!t->keys.n)
            continue;
        t->sorted = mem_alloc(r->mem, t->keys.n * sizeof *t->sorted);
        if (!t->sorted)
            return RB_ENOMEM;
        memcpy(t->sorted, t->row, t->keys.n * sizeof *t->sorted);
        qsort(t->sorted, t->keys.n, sizeof *t->sorted, cmp_row);
    }
    if (r->tplkeys.n) {
        r->tpl_sorted = mem_alloc(r->mem, r->tplkeys.n * sizeof *r->tpl_sorted);
        if (!r->tpl_sorted)
            return RB_ENOMEM;
        memcpy(r->tpl_sorted, r->tpl, r->tplkeys.n * sizeof *r->tpl_sorted);
        qsort(r->tpl_sorted, r->tplkeys.n, sizeof *r->tpl_sorted, cmp_tpl);
    }
    int rc = build_buckets(r);
    if (rc == RB_OK)
        rc = report_diag_finish(r);
    if (rc == RB_ENOMEM)
        snprintf(r->err, sizeof r->err, "out of memory");
    return rc;
}

void report_reopen(struct report *r)
{
    if (!r->finished)
        return;
    for (int d = 0; d < RD__COUNT; d++) {
        mem_free(r->mem, r->dim[d].sorted);
        r->dim[d].sorted = NULL;
    }
    mem_free(r->mem, r->tpl_sorted);
    r->tpl_sorted = NULL;
    mem_free(r->mem, r->buckets);
    r->buckets = NULL;
    r->nbuckets = 0;
    r->width = 0;
    mem_free(r->mem, r->diag);
    r->diag = NULL;
    r->ndiag = 0;
    r->finished = false;
}

/* ---- views ------------------------------------------------------------------------------- */

const struct report_counts *report_totals(const struct report *r)
{
    return &r->total;
}

unsigned long long report_sent(const struct report *r)
{
    return r->o.sent ? r->o.sent : report_counts_sent(&r->total);
}

double report_rate(const struct report *r, unsigned long long part)
{
    unsigned long long s = report_sent(r);
    /* without deliveries, the "sent" count is only the failures: no rate */
    if (!s || (!r->o.sent && !r->total.kind[RB_EVENT_DELIVERED]))
        return -1;
    return (double)part / (double)s;
}

void report_span(const struct report *r, long long *first, long long *last)
{
    *first = r->first;
    *last = r->last;
}

size_t report_rows(const struct report *r, enum report_dim d, const struct report_row **rows)
{
    if ((unsigned)d >= RD__COUNT) {
        *rows = NULL;
        return 0;
    }
    *rows = r->dim[d].sorted;
    return r->dim[d].sorted ? r->dim[d].keys.n : 0;
}

size_t report_buckets(const struct report *r, const struct report_bucket **b, long long *width)
{
    *b = r->buckets;
    *width = r->width;
    return r->nbuckets;
}

size_t report_templates(const struct report *r, const struct report_template_row **t,
                        unsigned long long *dropped)
{
    *t = r->tpl_sorted;
    if (dropped)
        *dropped = r->tpl_dropped;
    return r->tpl_sorted ? r->tplkeys.n : 0;
}

size_t report_diagnoses(const struct report *r, const struct report_diagnosis **d)
{
    *d = r->diag;
    return r->ndiag;
}
