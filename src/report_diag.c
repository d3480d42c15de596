/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report_diag.c - the diagnosis rules of `rebound report`: data/diagnoses.tsv parsed once per
 *                 report, one accumulator per rule fed by every event, and the evaluation
 *                 that turns the accumulators into ranked diagnoses.
 *
 * DESCRIPTION
 *   A rule selects events (kind, category, reason, status, code, provider, hard, auth,
 *   blocklist), groups the selected ones by a dimension (and a sub-dimension), and fires by
 *   its kind: a rate over the messages sent, a spread over receivers, a concentration on one
 *   group value, repeats per address, persistence over days, or a spike of a share in the
 *   latest window against a baseline window. What each kind measures is documented at the
 *   top of data/diagnoses.tsv; adding a diagnosis is a line there, not code here.
 *
 *   Accumulators are hash maps keyed by the row ids report.c already computed, so adding an
 *   event costs a few map increments per rule that selects it, and memory follows the number
 *   of distinct keys. The onset ("since") of a cause is the first day its top group reached a
 *   fifth of its busiest day, so background noise before an incident does not date it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mem.h"
#include "report_int.h"
#include "slice.h"

extern const char report_diagnoses_tsv[];

enum dkind {
    DK_RATE_ABOVE,
    DK_RATE_BELOW,
    DK_GROUP_RATE,
    DK_SPREAD,
    DK_CONCENTRATION,
    DK_REPEAT,
    DK_PERSIST,
    DK_SPIKE
};

static const char *const dkind_names[] = {"rate_above",    "rate_below", "group_rate", "spread",
                                          "concentration", "repeat",     "persist",    "spike"};

#define G_NONE (-1)
#define G_RECIPIENT RD__COUNT
#define MAX_ALTS 8
#define ONSET_FRACTION 0.2
#define DOMINANT_SHARE 0.2 /* a rate rule names its top group value only above this share */

/* The select of a rule: every set term must hold; a term's values are alternatives. */
struct dsel {
    uint32_t kinds;               /* bit per rb_event_kind, 0 = any */
    uint32_t cats;                /* bit per rb_category, 0 = any */
    uint64_t reasons[2];          /* bit per rb_reason; both 0 = any */
    const char *status[MAX_ALTS]; /* "5.7.26", or "4.7." for "4.7.*" (a prefix) */
    unsigned char status_prefix[MAX_ALTS];
    size_t nstatus;
    int codes[MAX_ALTS];
    size_t ncodes;
    const char *providers[MAX_ALTS];
    size_t nproviders;
    unsigned auth; /* any of these RB_AUTH_* bits, 0 = any */
    bool hard, blocklist;
};

struct drule {
    const char *id, *role, *title, *action, *unless;
    enum report_severity sev;
    enum dkind kind;
    struct dsel sel;
    int group, sub; /* RD_*, G_RECIPIENT, G_NONE */
    unsigned long long min;
    double threshold, param;
};

/* What one rule saw. Keys: group id + 1 (0 = no value) in the high half, sub id + 1 or a
 * day/hour number in the low half. */
struct dacc {
    unsigned long long n;
    long long first, last;
    struct u64map by_group; /* gid+1 -> events */
    struct u64map by_sub;   /* (gid+1)<<32 | sid+1 -> events */
    struct u64map by_prov;  /* provider id -> events */
    struct u64map by_time;  /* (gid+1)<<32 | day (hour for spike rules) -> events */
    struct u64map lists;    /* word id of the blocklist -> events */
    struct u64map listed;   /* word id of the listed IP/domain -> events */
    unsigned long long auth[8];
};

struct report_diag_state {
    char *buf; /* the rules' text, split in place */
    struct drule *rule;
    size_t nrule;
    struct dacc *acc;
    struct strtab words;  /* blocklist names and listed values */
    struct strtab recips; /* addresses, for rules grouped by recipient */
    bool need_recips;
};

/* ---- parsing the table ------------------------------------------------------------------- */

static int group_from_name(const char *s)
{
    if (strcmp(s, "-") == 0)
        return G_NONE;
    if (strcmp(s, "recipient") == 0)
        return G_RECIPIENT;
    for (int d = 0; d < RD__COUNT; d++)
        if (strcmp(s, report_dim_name((enum report_dim)d)) == 0)
            return d;
    return -2;
}

/* split_alts - split "a|b|c" in place into at most MAX_ALTS pointers; -1 when too many */
static int split_alts(char *s, const char **out)
{
    int n = 0;
    for (char *p = s;;) {
        if (n == MAX_ALTS)
            return -1;
        out[n++] = p;
        char *bar = strchr(p, '|');
        if (!bar)
            return n;
        *bar = '\0';
        p = bar + 1;
    }
}

/* parse_term - one select term into sel; false (with why) when unknown */
static bool parse_term(char *term, struct dsel *sel, char *why, size_t whylen)
{
    if (strcmp(term, "hard") == 0)
        return sel->hard = true;
    if (strcmp(term, "blocklist") == 0)
        return sel->blocklist = true;
    char *eq = strchr(term, '=');
    if (!eq) {
        snprintf(why, whylen, "select term \"%.40s\"", term);
        return false;
    }
    *eq = '\0';
    const char *alts[MAX_ALTS];
    int n = split_alts(eq + 1, alts);
    if (n < 0) {
        snprintf(why, whylen, "more than %d values in %.40s", MAX_ALTS, term);
        return false;
    }
    for (int i = 0; i < n; i++) {
        const char *v = alts[i];
        if (strcmp(term, "kind") == 0) {
            int k;
            for (k = 0; k < RB_EVENT__COUNT; k++)
                if (strcmp(v, rb_event_kind_name((rb_event_kind)k)) == 0)
                    break;
            if (k == RB_EVENT__COUNT)
                goto bad;
            sel->kinds |= 1u << k;
        } else if (strcmp(term, "category") == 0) {
            int c;
            for (c = 0; c < RB_CAT__COUNT; c++)
                if (strcmp(v, rb_category_name((rb_category)c)) == 0)
                    break;
            if (c == RB_CAT__COUNT)
                goto bad;
            sel->cats |= 1u << c;
        } else if (strcmp(term, "reason") == 0) {
            rb_reason r = rb_reason_from_name(v, strlen(v));
            if (r == RB_REASON__COUNT)
                goto bad;
            sel->reasons[r / 64] |= 1ull << (r % 64);
        } else if (strcmp(term, "status") == 0) {
            size_t l = strlen(v);
            sel->status_prefix[sel->nstatus] = l >= 2 && v[l - 1] == '*' && v[l - 2] == '.';
            if (sel->status_prefix[sel->nstatus])
                ((char *)v)[l - 1] = '\0'; /* "4.7.*" -> prefix "4.7." */
            sel->status[sel->nstatus++] = v;
        } else if (strcmp(term, "code") == 0) {
            char *end;
            long c = strtol(v, &end, 10);
            if (*end || c < 200 || c > 599)
                goto bad;
            sel->codes[sel->ncodes++] = (int)c;
        } else if (strcmp(term, "provider") == 0) {
            sel->providers[sel->nproviders++] = v;
        } else if (strcmp(term, "auth") == 0) {
            static const struct {
                const char *n;
                unsigned bit;
            } an[] = {{"spf", RB_AUTH_SPF},     {"dkim", RB_AUTH_DKIM},
                      {"dmarc", RB_AUTH_DMARC}, {"ptr", RB_AUTH_PTR},
                      {"tls", RB_AUTH_TLS},     {"alignment", RB_AUTH_ALIGNMENT}};
            size_t a;
            for (a = 0; a < sizeof an / sizeof an[0]; a++)
                if (strcmp(v, an[a].n) == 0)
                    break;
            if (a == sizeof an / sizeof an[0])
                goto bad;
            sel->auth |= an[a].bit;
        } else {
            snprintf(why, whylen, "select key \"%.32s\"", term);
            return false;
        }
    }
    return true;
bad:
    snprintf(why, whylen, "value \"%.32s\" of %.32s", alts[0], term);
    return false;
}

static bool parse_num(const char *s, double *out)
{
    char *end;
    *out = strtod(s, &end);
    return end != s && !*end && *out >= 0;
}

/* parse_rule - the 13 tab-separated fields of one line into *ru; false with why */
static bool parse_rule(char **f, struct drule *ru, char *why, size_t whylen)
{
    ru->id = f[0];
    ru->role = f[1];
    if (strcmp(ru->role, "headline") != 0 && strcmp(ru->role, "cause") != 0) {
        snprintf(why, whylen, "role \"%.32s\"", f[1]);
        return false;
    }
    int s;
    for (s = RS_OK; s <= RS_CRITICAL; s++)
        if (strcmp(f[2], report_severity_name((enum report_severity)s)) == 0)
            break;
    if (s > RS_CRITICAL) {
        snprintf(why, whylen, "severity \"%.32s\"", f[2]);
        return false;
    }
    ru->sev = (enum report_severity)s;
    size_t k;
    for (k = 0; k < sizeof dkind_names / sizeof dkind_names[0]; k++)
        if (strcmp(f[3], dkind_names[k]) == 0)
            break;
    if (k == sizeof dkind_names / sizeof dkind_names[0]) {
        snprintf(why, whylen, "kind \"%.32s\"", f[3]);
        return false;
    }
    ru->kind = (enum dkind)k;
    char *save = NULL;
    for (char *t = strtok_r(f[4], " ", &save); t; t = strtok_r(NULL, " ", &save))
        if (!parse_term(t, &ru->sel, why, whylen))
            return false;
    ru->group = group_from_name(f[5]);
    ru->sub = group_from_name(f[6]);
    if (ru->group == -2 || ru->sub == -2 || ru->sub == G_RECIPIENT ||
        (ru->sub != G_NONE && ru->group == G_NONE)) {
        snprintf(why, whylen, "group \"%.32s\" / sub \"%.32s\"", f[5], f[6]);
        return false;
    }
    if ((ru->kind == DK_REPEAT) != (ru->group == G_RECIPIENT) ||
        ((ru->kind == DK_CONCENTRATION || ru->kind == DK_PERSIST || ru->kind == DK_SPIKE ||
          ru->kind == DK_GROUP_RATE) &&
         ru->group == G_NONE) ||
        (ru->kind == DK_GROUP_RATE && ru->group >= RD__COUNT)) {
        snprintf(why, whylen, "kind %s does not go with group %s", f[3], f[5]);
        return false;
    }
    double min;
    if (!parse_num(f[7], &min) || !parse_num(f[8], &ru->threshold) ||
        !parse_num(f[9], &ru->param)) {
        snprintf(why, whylen, "min/threshold/param \"%.16s\" \"%.16s\" \"%.16s\"", f[7], f[8],
                 f[9]);
        return false;
    }
    ru->min = (unsigned long long)min;
    ru->unless = strcmp(f[10], "-") == 0 ? "" : f[10];
    ru->title = f[11];
    ru->action = f[12];
    return true;
}

#define NFIELDS 13

int report_diag_new(struct report *r)
{
    struct report_diag_state *ds = mem_calloc(r->mem, 1, sizeof *ds);
    if (!ds)
        return RB_ENOMEM;
    r->ds = ds;
    strtab_init(&ds->words, r->mem);
    strtab_init(&ds->recips, r->mem);
    size_t len = strlen(report_diagnoses_tsv);
    ds->buf = mem_alloc(r->mem, len + 1);
    if (!ds->buf)
        return RB_ENOMEM;
    memcpy(ds->buf, report_diagnoses_tsv, len + 1);
    size_t cap = 0, lineno = 0;
    bool header = true;
    for (char *line = ds->buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        char *cur = line;
        line = nl ? nl + 1 : NULL;
        if (!*cur || *cur == '#')
            continue;
        if (header) { /* the column names */
            header = false;
            continue;
        }
        char *f[NFIELDS] = {0};
        size_t nf = 0;
        for (char *p = cur; nf < NFIELDS;) {
            f[nf++] = p;
            char *tab = strchr(p, '\t');
            if (!tab)
                break;
            *tab = '\0';
            p = tab + 1;
        }
        char why[128] = "";
        if (nf != NFIELDS)
            snprintf(why, sizeof why, "%zu fields, %d expected", nf, NFIELDS);
        if (!why[0] &&
            grow_array(r->mem, (void **)&ds->rule, &cap, ds->nrule + 1, sizeof *ds->rule) != RB_OK)
            return RB_ENOMEM;
        if (!why[0] && parse_rule(f, &ds->rule[ds->nrule], why, sizeof why)) {
            ds->need_recips |= ds->rule[ds->nrule].group == G_RECIPIENT;
            ds->nrule++;
            continue;
        }
        snprintf(r->err, sizeof r->err, "data/diagnoses.tsv line %zu: bad %s", lineno, why);
        return RB_EINVAL;
    }
    ds->acc = mem_calloc(r->mem, ds->nrule ? ds->nrule : 1, sizeof *ds->acc);
    if (!ds->acc)
        return RB_ENOMEM;
    for (size_t i = 0; i < ds->nrule; i++) {
        struct dacc *a = &ds->acc[i];
        u64map_init(&a->by_group, r->mem);
        u64map_init(&a->by_sub, r->mem);
        u64map_init(&a->by_prov, r->mem);
        u64map_init(&a->by_time, r->mem);
        u64map_init(&a->lists, r->mem);
        u64map_init(&a->listed, r->mem);
    }
    return RB_OK;
}

void report_diag_free(struct report *r)
{
    struct report_diag_state *ds = r->ds;
    if (!ds)
        return;
    for (size_t i = 0; ds->acc && i < ds->nrule; i++) {
        struct dacc *a = &ds->acc[i];
        u64map_free(&a->by_group);
        u64map_free(&a->by_sub);
        u64map_free(&a->by_prov);
        u64map_free(&a->by_time);
        u64map_free(&a->lists);
        u64map_free(&a->listed);
    }
    strtab_free(&ds->words);
    strtab_free(&ds->recips);
    mem_free(r->mem, ds->acc);
    mem_free(r->mem, ds->rule);
    mem_free(r->mem, ds->buf);
    mem_free(r->mem, ds);
    r->ds = NULL;
}

/* ---- feeding ----------------------------------------------------------------------------- */

static bool status_match(const struct dsel *s, const char *status)
{
    for (size_t i = 0; i < s->nstatus; i++) {
        if (s->status_prefix[i] ? strncmp(status, s->status[i], strlen(s->status[i])) == 0
                                : strcmp(status, s->status[i]) == 0)
            return true;
    }
    return false;
}

static bool selects(const struct dsel *s, const struct report_fact *f, const char *provider)
{
    const struct report_event *e = f->e;
    if (s->kinds ? !(s->kinds & (1u << e->kind)) : !f->failure)
        return false; /* no kind term: failures only */
    if (s->cats && !(f->failure && (s->cats & (1u << e->category))))
        return false;
    if ((s->reasons[0] | s->reasons[1]) &&
        !(s->reasons[e->reason / 64] & (1ull << (e->reason % 64))))
        return false;
    if (s->hard && !f->hard)
        return false;
    if (s->auth && !(e->auth & s->auth))
        return false;
    if (s->blocklist && !e->blocklist[0])
        return false;
    if (s->nstatus && !status_match(s, e->status))
        return false;
    if (s->ncodes) {
        size_t i;
        for (i = 0; i < s->ncodes && s->codes[i] != e->replycode; i++)
            ;
        if (i == s->ncodes)
            return false;
    }
    if (s->nproviders) {
        size_t i;
        for (i = 0; i < s->nproviders && strcmp(s->providers[i], provider) != 0; i++)
            ;
        if (i == s->nproviders)
            return false;
    }
    return true;
}

static int bump(struct u64map *m, uint64_t key)
{
    uint64_t *v = u64map_slot(m, key);
    if (!v)
        return RB_ENOMEM;
    ++*v;
    return RB_OK;
}

/* word - the id of s among the rules' words (blocklists, listed values); -1 on no memory */
static long word(struct report_diag_state *ds, const char *s)
{
    return strtab_intern(&ds->words, s, strlen(s));
}

int report_diag_add(struct report *r, const struct report_fact *f)
{
    struct report_diag_state *ds = r->ds;
    const struct report_event *e = f->e;
    const char *provider = report_key(r, RD_PROVIDER, f->id[RD_PROVIDER]);
    long recip = -2; /* interned on first need */
    for (size_t i = 0; i < ds->nrule; i++) {
        const struct drule *ru = &ds->rule[i];
        if (!selects(&ru->sel, f, provider))
            continue;
        struct dacc *a = &ds->acc[i];
        a->n++;
        if (e->time > 0) {
            if (!a->first || e->time < a->first)
                a->first = e->time;
            if (e->time > a->last)
                a->last = e->time;
        }
        long gid = -1;
        if (ru->group == G_RECIPIENT) {
            if (recip == -2)
                recip = e->recipient[0]
                            ? strtab_intern(&ds->recips, e->recipient, strlen(e->recipient))
                            : -1;
            if (recip < 0 && e->recipient[0])
                return RB_ENOMEM;
            gid = recip;
        } else if (ru->group != G_NONE) {
            gid = f->id[ru->group];
        }
        uint64_t g = (uint64_t)(gid + 1) << 32;
        if (bump(&a->by_group, (uint64_t)(gid + 1)) != RB_OK)
            return RB_ENOMEM;
        if (ru->sub != G_NONE && bump(&a->by_sub, g | (uint64_t)(f->id[ru->sub] + 1)) != RB_OK)
            return RB_ENOMEM;
        if (f->id[RD_PROVIDER] >= 0 && bump(&a->by_prov, (uint64_t)f->id[RD_PROVIDER]) != RB_OK)
            return RB_ENOMEM;
        if (e->time > 0 && ru->group != G_RECIPIENT &&
            bump(&a->by_time, g | (uint64_t)(e->time / (ru->kind == DK_SPIKE ? 3600 : 86400))) !=
                RB_OK)
            return RB_ENOMEM;
        if (e->blocklist[0]) {
            long w = word(ds, e->blocklist);
            if (w < 0 || bump(&a->lists, (uint64_t)w) != RB_OK)
                return RB_ENOMEM;
        }
        if (e->listed[0]) {
            long w = word(ds, e->listed);
            if (w < 0 || bump(&a->listed, (uint64_t)w) != RB_OK)
                return RB_ENOMEM;
        }
        for (int b = 0; b < 8; b++)
            if (e->auth & (1u << b))
                a->auth[b]++;
    }
    return RB_OK;
}

/* ---- evaluating -------------------------------------------------------------------------- */

/* Iterate the occupied slots of a u64map (keys are stored + 1). */
#define U64MAP_EACH(m, i)                                                                          \
    for (size_t i = 0; i < (m)->nslots; i++)                                                       \
        if ((m)->key[i])
#define U64MAP_KEY(m, i) ((m)->key[i] - 1)

/* What the evaluation of one rule found; the placeholders of its title. */
struct dfound {
    const struct drule *ru;
    const struct dacc *a;
    long gid, sid;                     /* top group value and its top sub value, -1 none */
    unsigned long long gcount, scount; /* their events */
    long long onset;                   /* first day of the top group at ONSET_FRACTION of its
                                          peak day, as Unix time (0 unknown) */
    unsigned days;                     /* days with events of the top group */
    unsigned long long evidence;
    double value, before;
    unsigned nproviders; /* providers counted by a spread rule */
    unsigned long long addresses;
};

static const char *group_key(const struct report *r, int group, long gid)
{
    if (gid < 0)
        return "";
    if (group == G_RECIPIENT)
        return gid < (long)r->ds->recips.n ? r->ds->recips.ent[gid].str : "";
    return group >= 0 ? report_key(r, (enum report_dim)group, gid) : "";
}

/* top_of - the key with the most events in m, ties to the smaller key string in dim group;
 * keys are gid+1 (0 = no value, never chosen). */
static long top_group(const struct report *r, const struct u64map *m, int group,
                      unsigned long long *count)
{
    long best = -1;
    unsigned long long bc = 0;
    U64MAP_EACH(m, i)
    {
        uint64_t k = U64MAP_KEY(m, i);
        if (k == 0)
            continue;
        long gid = (long)k - 1;
        if (m->val[i] > bc || (m->val[i] == bc && best >= 0 &&
                               strcmp(group_key(r, group, gid), group_key(r, group, best)) < 0)) {
            best = gid;
            bc = m->val[i];
        }
    }
    *count = bc;
    return best;
}

static void find_sub(const struct report *r, struct dfound *d)
{
    const struct u64map *m = &d->a->by_sub;
    uint64_t hi = (uint64_t)(d->gid + 1) << 32;
    U64MAP_EACH(m, i)
    {
        uint64_t k = U64MAP_KEY(m, i);
        if ((k & 0xffffffff00000000ull) != hi || (k & 0xffffffffu) == 0)
            continue;
        long sid = (long)(k & 0xffffffffu) - 1;
        if (m->val[i] > d->scount ||
            (m->val[i] == d->scount && d->sid >= 0 &&
             strcmp(group_key(r, d->ru->sub, sid), group_key(r, d->ru->sub, d->sid)) < 0)) {
            d->sid = sid;
            d->scount = m->val[i];
        }
    }
}

/* find_onset - days and onset day of the top group from by_time (day rules only) */
static void find_onset(struct dfound *d)
{
    const struct u64map *m = &d->a->by_time;
    uint64_t hi = (uint64_t)(d->gid + 1) << 32;
    uint64_t peak = 0;
    U64MAP_EACH(m, i)
    {
        if ((U64MAP_KEY(m, i) & 0xffffffff00000000ull) != hi)
            continue;
        d->days++;
        if (m->val[i] > peak)
            peak = m->val[i];
    }
    long long onset = -1;
    U64MAP_EACH(m, i)
    {
        uint64_t k = U64MAP_KEY(m, i);
        if ((k & 0xffffffff00000000ull) != hi || (double)m->val[i] < ONSET_FRACTION * (double)peak)
            continue;
        long long day = (long long)(k & 0xffffffffu);
        if (onset < 0 || day < onset)
            onset = day;
    }
    d->onset = onset >= 0 ? onset * 86400 : 0;
}

/* spread_providers - providers with >= param events */
static unsigned spread_providers(const struct dfound *d)
{
    unsigned n = 0;
    U64MAP_EACH(&d->a->by_prov, i)
    {
        if ((double)d->a->by_prov.val[i] >= d->ru->param)
            n++;
    }
    return n;
}

/* eval_spike - the group value whose share jumped most in the latest window; fires or not */
static bool eval_spike(const struct report *r, struct dfound *d)
{
    long long last_hour = r->last / 3600;
    long long wh = r->o.spike_window / 3600, bh = r->o.spike_baseline / 3600;
    if (wh < 1)
        wh = 1;
    if (bh < 1)
        bh = 1;
    long long w0 = last_hour - wh + 1, b0 = w0 - bh;
    unsigned long long tw = 0, tb = 0;
    const struct u64map *m = &d->a->by_time;
    U64MAP_EACH(m, i)
    {
        long long h = (long long)(U64MAP_KEY(m, i) & 0xffffffffu);
        if (h >= w0)
            tw += m->val[i];
        else if (h >= b0)
            tb += m->val[i];
    }
    if (!tw || !tb || tw < d->ru->min)
        return false;
    double best = 0;
    U64MAP_EACH(&d->a->by_group, g)
    {
        uint64_t gk = U64MAP_KEY(&d->a->by_group, g);
        if (gk == 0)
            continue;
        unsigned long long cw = 0, cb = 0;
        U64MAP_EACH(m, i)
        {
            uint64_t k = U64MAP_KEY(m, i);
            if ((k >> 32) != gk)
                continue;
            long long h = (long long)(k & 0xffffffffu);
            if (h >= w0)
                cw += m->val[i];
            else if (h >= b0)
                cb += m->val[i];
        }
        double sw = (double)cw / (double)tw, sb = (double)cb / (double)tb;
        if (sw >= d->ru->threshold * sb && sw - sb >= d->ru->param && sw - sb > best) {
            best = sw - sb;
            d->gid = (long)gk - 1;
            d->gcount = cw;
            d->value = sw;
            d->before = sb;
        }
    }
    d->evidence = d->gcount;
    d->onset = w0 * 3600;
    return d->gid >= 0;
}

/* row_sent - messages sent of row gid of dimension group (0 when not a dimension) */
static unsigned long long row_sent(const struct report *r, int group, long gid)
{
    if (group < 0 || group >= RD__COUNT || gid < 0)
        return 0;
    return report_counts_sent(&r->dim[group].row[gid].c);
}

/* eval_group_rate - among the group values with >= min events whose own rate (events over
 * their messages sent) is above the threshold, the one with the most events */
static bool eval_group_rate(const struct report *r, struct dfound *d)
{
    const struct u64map *m = &d->a->by_group;
    d->gid = -1;
    d->gcount = 0;
    U64MAP_EACH(m, i)
    {
        long gid = (long)U64MAP_KEY(m, i) - 1;
        unsigned long long sent = row_sent(r, d->ru->group, gid);
        if (gid < 0 || m->val[i] < d->ru->min || !sent ||
            (double)m->val[i] / (double)sent <= d->ru->threshold)
            continue;
        if (m->val[i] > d->gcount) {
            d->gid = gid;
            d->gcount = m->val[i];
            d->value = (double)m->val[i] / (double)sent;
        }
    }
    d->evidence = d->gcount;
    /* the rate needs deliveries to mean anything */
    return d->gid >= 0 && r->total.kind[RB_EVENT_DELIVERED];
}

/* eval - whether the rule of d fires; fills d */
static bool eval(const struct report *r, struct dfound *d)
{
    const struct drule *ru = d->ru;
    const struct dacc *a = d->a;
    if (ru->kind == DK_SPIKE)
        return eval_spike(r, d);
    if (ru->group != G_NONE)
        d->gid = top_group(r, &a->by_group, ru->group, &d->gcount);
    if (d->gid >= 0 && ru->sub != G_NONE)
        find_sub(r, d);
    if (ru->group != G_RECIPIENT && ru->group != G_NONE) /* an overall rate has no onset */
        find_onset(d);
    d->evidence = a->n;
    double rate = report_rate(r, a->n);
    switch (ru->kind) {
    case DK_RATE_ABOVE:
        if (d->gid >= 0 && (double)d->gcount < DOMINANT_SHARE * (double)a->n)
            d->gid = d->sid = -1; /* no value dominates: name none */
        d->value = rate;
        return a->n >= ru->min && rate >= 0 && rate > ru->threshold;
    case DK_RATE_BELOW:
        d->value = rate;
        return report_sent(r) >= ru->min && rate >= 0 && rate < ru->threshold;
    case DK_GROUP_RATE: {
        bool fires = eval_group_rate(r, d);
        if (fires) {
            d->sid = -1;
            d->scount = 0;
            if (ru->sub != G_NONE)
                find_sub(r, d);
            d->days = 0;
            find_onset(d);
        }
        return fires;
    }
    case DK_SPREAD:
        d->nproviders = spread_providers(d);
        d->value = d->nproviders;
        return a->n >= ru->min && d->nproviders >= ru->threshold;
    case DK_CONCENTRATION: {
        if (a->n < ru->min || d->gid < 0)
            return false;
        d->value = (double)d->gcount / (double)a->n;
        d->evidence = d->gcount;
        if (d->value < ru->threshold)
            return false;
        if (ru->param > 0) {
            /* the group's own rate: its selected events over its messages sent */
            if (ru->group < 0 || ru->group >= RD__COUNT)
                return false;
            unsigned long long sent = report_counts_sent(&r->dim[ru->group].row[d->gid].c);
            if (!sent || (double)d->gcount / (double)sent < ru->param)
                return false;
        }
        return true;
    }
    case DK_REPEAT: {
        unsigned long long ev = 0;
        U64MAP_EACH(&a->by_group, i)
        {
            if (U64MAP_KEY(&a->by_group, i) && (double)a->by_group.val[i] >= ru->threshold) {
                d->addresses++;
                ev += a->by_group.val[i];
            }
        }
        d->value = (double)d->addresses;
        d->evidence = ev;
        return a->n >= ru->min && (double)d->addresses >= ru->param && d->addresses;
    }
    case DK_PERSIST:
        d->value = d->days;
        d->evidence = d->gcount;
        return a->n >= ru->min && d->gid >= 0 && d->days >= ru->threshold;
    case DK_SPIKE:
        break;
    }
    return false;
}

/* ---- writing a diagnosis ----------------------------------------------------------------- */

/* A bounded writer into a fixed char array: cuts, never overflows. */
struct out {
    char *p;
    size_t cap, len;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->len + 1 >= o->cap)
        return;
    size_t room = o->cap - 1 - o->len;
    if (n > room)
        n = room;
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct out *o, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void put_pct(struct out *o, double v)
{
    if (v < 0)
        puts_(o, "n/a");
    else if (v >= 0.1)
        putf(o, "%.0f%%", v * 100);
    else if (v >= 0.01)
        putf(o, "%.1f%%", v * 100);
    else
        putf(o, "%.2f%%", v * 100);
}

static void put_date(struct out *o, long long t)
{
    if (t <= 0) {
        puts_(o, "?");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    char b[32];
    if (gmtime_r(&tt, &tm) && strftime(b, sizeof b, "%Y-%m-%d", &tm))
        puts_(o, b);
}

/* put_top - "a 40%, b 30%, c 20%" of the top n keys of map m (keys: ids of dim d, or of
 * words when d < 0; by_group maps when plus1) */
static void put_top(const struct report *r, struct out *o, const struct u64map *m, int d,
                    bool plus1, unsigned long long total, size_t n, bool shares)
{
    long done[8];
    size_t nd = 0;
    if (n > 8)
        n = 8;
    while (nd < n) {
        long best = -1;
        uint64_t bc = 0;
        U64MAP_EACH(m, i)
        {
            long id = (long)U64MAP_KEY(m, i) - (plus1 ? 1 : 0);
            if (id < 0)
                continue;
            bool seen = false;
            for (size_t j = 0; j < nd; j++)
                seen |= done[j] == id;
            if (!seen && m->val[i] > bc) {
                best = id;
                bc = m->val[i];
            }
        }
        if (best < 0)
            break;
        if (nd)
            puts_(o, ", ");
        puts_(o, d >= 0 ? group_key(r, d, best) : r->ds->words.ent[best].str);
        if (shares && total) {
            puts_(o, " ");
            put_pct(o, (double)bc / (double)total);
        }
        done[nd++] = best;
    }
}

static void put_auth(struct out *o, const struct dacc *a)
{
    unsigned bits = 0;
    for (int b = 0; b < 8; b++)
        if (a->auth[b])
            bits |= 1u << b;
    if (!bits) {
        puts_(o, "unspecified");
        return;
    }
    char b[128];
    /* rb_auth_names gives "spf,dkim"; upper-case reads better in a title */
    const char *s = rb_auth_names(bits, b, sizeof b);
    for (; *s; s++) {
        char c = *s == ',' ? '/' : (*s >= 'a' && *s <= 'z') ? (char)(*s - 32) : *s;
        put(o, &c, 1);
    }
}

/* expand_part - tpl (len bytes) with its placeholders filled */
static void expand_part(const struct report *r, const struct dfound *d, const char *tpl, size_t len,
                        struct out *o)
{
    const struct drule *ru = d->ru;
    const struct dacc *a = d->a;
    const char *lim = tpl + len;
    for (const char *p = tpl; p < lim;) {
        const char *open = memchr(p, '{', (size_t)(lim - p));
        const char *close = open ? memchr(open, '}', (size_t)(lim - open)) : NULL;
        if (!close) {
            put(o, p, (size_t)(lim - p));
            return;
        }
        put(o, p, (size_t)(open - p));
        size_t n = (size_t)(close - open - 1);
        const char *k = open + 1;
#define IS(s) (n == sizeof s - 1 && memcmp(k, s, n) == 0)
        if (IS("group"))
            puts_(o, d->gid >= 0 ? group_key(r, ru->group, d->gid) : "(none)");
        else if (IS("sub"))
            puts_(o, d->sid >= 0 ? group_key(r, ru->sub, d->sid) : "(none)");
        else if (IS("sub_share"))
            put_pct(o, d->gcount ? (double)d->scount / (double)d->gcount : 0);
        else if (IS("share"))
            put_pct(o, ru->kind == DK_SPIKE ? d->value
                       : a->n               ? (double)d->gcount / (double)a->n
                                            : 0);
        else if (IS("grate"))
            put_pct(o, d->gid >= 0 && row_sent(r, ru->group, d->gid)
                           ? (double)d->gcount / (double)row_sent(r, ru->group, d->gid)
                           : -1);
        else if (IS("before"))
            put_pct(o, d->before);
        else if (IS("rate"))
            put_pct(o, report_rate(r, a->n));
        else if (IS("count"))
            putf(o, "%llu", a->n);
        else if (IS("gcount"))
            putf(o, "%llu", d->gcount);
        else if (IS("addresses"))
            putf(o, "%llu", d->addresses);
        else if (IS("days"))
            putf(o, "%u", d->days);
        else if (IS("nproviders"))
            putf(o, "%u", d->nproviders);
        else if (IS("providers"))
            put_top(r, o, &a->by_prov, RD_PROVIDER, false, a->n, 8, false);
        else if (IS("since"))
            put_date(o, d->onset ? d->onset : a->first);
        else if (IS("lists")) {
            if (a->lists.n)
                put_top(r, o, &a->lists, -1, false, a->n, 4, false);
            else
                puts_(o, "unnamed");
        } else if (IS("listed")) {
            if (a->listed.n)
                put_top(r, o, &a->listed, -1, false, a->n, 3, false);
            else
                puts_(o, d->gid >= 0 ? group_key(r, ru->group, d->gid) : "(not named)");
        } else if (IS("auth"))
            put_auth(o, a);
        else
            put(o, open, n + 2); /* not a placeholder: as written */
#undef IS
        p = close + 1;
    }
}

/* expand - the template of d with its placeholders filled; a part in [brackets] is left
 * out when a {group} or {sub} in it has no value (no value dominated) */
static void expand(const struct report *r, const struct dfound *d, const char *tpl, struct out *o)
{
    for (const char *p = tpl; *p;) {
        const char *open = strchr(p, '['), *close = open ? strchr(open, ']') : NULL;
        if (!close) {
            expand_part(r, d, p, strlen(p), o);
            return;
        }
        expand_part(r, d, p, (size_t)(open - p), o);
        size_t n = (size_t)(close - open - 1);
        bool missing = (d->gid < 0 && memmem_ci(open + 1, n, "{group}", 7)) ||
                       (d->sid < 0 && memmem_ci(open + 1, n, "{sub}", 5));
        if (!missing)
            expand_part(r, d, open + 1, n, o);
        p = close + 1;
    }
}

/* detail - the evidence in words: how many events, when, and where they came from */
static void detail(const struct report *r, const struct dfound *d, struct out *o)
{
    const struct drule *ru = d->ru;
    const struct dacc *a = d->a;
    if (ru->kind == DK_SPIKE) {
        putf(o, "%llu events of %s in the latest window (", d->gcount,
             group_key(r, ru->group, d->gid));
        put_pct(o, d->value);
        puts_(o, " of the rule's events), against ");
        put_pct(o, d->before);
        puts_(o, " in the baseline window before it.");
        return;
    }
    putf(o, "%llu matching events", a->n);
    if (a->first) {
        puts_(o, " from ");
        put_date(o, a->first);
        puts_(o, " to ");
        put_date(o, a->last);
    }
    puts_(o, ".");
    if (ru->group != G_NONE && ru->group != G_RECIPIENT && a->by_group.n) {
        putf(o, " By %s: ", report_dim_name((enum report_dim)ru->group));
        put_top(r, o, &a->by_group, ru->group, true, a->n, 3, true);
        puts_(o, ".");
    }
    if (ru->group != RD_PROVIDER && a->by_prov.n) {
        puts_(o, " By provider: ");
        put_top(r, o, &a->by_prov, RD_PROVIDER, false, a->n, 4, true);
        puts_(o, ".");
    }
    if (d->sid >= 0) {
        putf(o, " %s of %s: %s ", report_dim_name((enum report_dim)ru->sub),
             group_key(r, ru->group, d->gid), group_key(r, ru->sub, d->sid));
        put_pct(o, d->gcount ? (double)d->scount / (double)d->gcount : 0);
        puts_(o, ".");
    }
    if (ru->kind == DK_REPEAT)
        putf(o, " %llu addresses failed %.0f times or more.", d->addresses, ru->threshold);
    if (d->days && ru->kind == DK_PERSIST)
        putf(o, " Seen on %u days.", d->days);
}

/* name_key - the diagnosis key of dimension dim: the top group or sub value when the rule
 * groups by it */
static const char *name_key(const struct report *r, const struct dfound *d, int dim)
{
    if (d->ru->group == dim && d->gid >= 0)
        return group_key(r, dim, d->gid);
    if (d->ru->sub == dim && d->sid >= 0)
        return group_key(r, dim, d->sid);
    return "";
}

static void fill(const struct report *r, const struct dfound *d, struct report_diagnosis *g)
{
    const struct drule *ru = d->ru;
    memset(g, 0, sizeof *g);
    g->id = ru->id;
    g->role = ru->role;
    g->severity = ru->sev;
    g->evidence = d->evidence;
    g->value = d->value;
    struct out o = {g->title, sizeof g->title, 0};
    g->title[0] = '\0';
    expand(r, d, ru->title, &o);
    /* the action may name the group too ("Slow down to {group}") */
    o = (struct out){g->action_text, sizeof g->action_text, 0};
    g->action_text[0] = '\0';
    expand(r, d, ru->action, &o);
    o = (struct out){g->detail, sizeof g->detail, 0};
    g->detail[0] = '\0';
    detail(r, d, &o);
    g->provider = name_key(r, d, RD_PROVIDER);
    g->campaign = name_key(r, d, RD_CAMPAIGN);
    g->sending_ip = name_key(r, d, RD_SENDING_IP);
    g->sending_domain = name_key(r, d, RD_SENDING_DOMAIN);
    g->code = name_key(r, d, RD_STATUS);
    if (!g->code[0])
        g->code = name_key(r, d, RD_REPLYCODE);
    if (!g->code[0])
        g->code = name_key(r, d, RD_FAMILY);
    g->first = d->onset && d->onset > d->a->first ? d->onset : d->a->first;
    g->last = d->a->last;
}

/* listed_in - whether id is a word of the space/comma-separated list s */
static bool listed_in(const char *s, const char *id)
{
    size_t n = strlen(id);
    for (const char *p = s; *p;) {
        size_t k = strcspn(p, " ,");
        if (k == n && memcmp(p, id, n) == 0)
            return true;
        p += k;
        p += strspn(p, " ,");
    }
    return false;
}

/* rank - the order of report_diagnoses(): headlines, then critical and warning causes by
 * evidence, then info, then ok */
static int rank_group(const struct report_diagnosis *d)
{
    if (strcmp(d->role, "headline") == 0)
        return 0;
    return d->severity >= RS_WARNING ? 1 : d->severity == RS_INFO ? 2 : 3;
}

static int cmp_diag(const void *x, const void *y)
{
    const struct report_diagnosis *a = x, *b = y;
    int ga = rank_group(a), gb = rank_group(b);
    if (ga != gb)
        return ga - gb;
    if (ga == 0 && a->severity != b->severity)
        return a->severity > b->severity ? -1 : 1;
    if (a->evidence != b->evidence)
        return a->evidence > b->evidence ? -1 : 1;
    return strcmp(a->id, b->id);
}

int report_diag_finish(struct report *r)
{
    struct report_diag_state *ds = r->ds;
    if (!ds->nrule)
        return RB_OK;
    struct dfound *found = mem_calloc(r->mem, ds->nrule, sizeof *found);
    bool *fired = mem_calloc(r->mem, ds->nrule, sizeof *fired);
    if (!found || !fired) {
        mem_free(r->mem, found);
        mem_free(r->mem, fired);
        return RB_ENOMEM;
    }
    for (size_t i = 0; i < ds->nrule; i++) {
        found[i] = (struct dfound){.ru = &ds->rule[i], .a = &ds->acc[i], .gid = -1, .sid = -1};
        fired[i] = eval(r, &found[i]);
    }
    size_t n = 0;
    for (size_t i = 0; i < ds->nrule; i++) {
        if (!fired[i])
            continue;
        bool redundant = false;
        for (size_t j = 0; j < ds->nrule && !redundant; j++)
            redundant = fired[j] && j != i && listed_in(ds->rule[i].unless, ds->rule[j].id);
        if (redundant) {
            found[i].ru = NULL;
            continue;
        }
        n++;
    }
    int rc = RB_OK;
    if (n) {
        r->diag = mem_calloc(r->mem, n, sizeof *r->diag);
        if (!r->diag) {
            rc = RB_ENOMEM;
        } else {
            for (size_t i = 0; i < ds->nrule; i++)
                if (fired[i] && found[i].ru)
                    fill(r, &found[i], &r->diag[r->ndiag++]);
            qsort(r->diag, r->ndiag, sizeof *r->diag, cmp_diag);
            for (size_t i = 0; i < r->ndiag; i++) /* after the sort: the structs moved */
                r->diag[i].action = r->diag[i].action_text;
        }
    }
    mem_free(r->mem, found);
    mem_free(r->mem, fired);
    return rc;
}
