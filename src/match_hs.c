/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * match_hs.c - Hyperscan (or vectorscan) backend of match.h.
 *
 * DESCRIPTION
 *   The database is serialised at build time (tools/hs_build) and embedded as rules_hsdb;
 *   opening it is a deserialise. If that fails (built for other CPU features, or an empty
 *   blob), the patterns in rules_patterns are compiled here instead: slower start-up,
 *   same results. The patterns are lower case (tools/gen_tables.py, fold_pattern) and
 *   compiled case-sensitive; a scan lower-cases the text into the scratch first. That copy
 *   costs far less than Hyperscan's caseless mode (~800 fewer instructions per reply line
 *   in bench_explain, callgrind). Builds linked with Hyperscan's runtime-only library
 * (RB_HS_RUNTIME_ONLY, see CMakeLists.txt) have no compiler: there matcher_open fails with
 * RB_EMATCHER instead, which cannot happen with the generic x86-64 database tools/hs_build writes.
 *
 * LIMITS
 *   Hyperscan takes unsigned int lengths: texts are capped by the caller well below that.
 */
#include "match.h"

#include <hs/hs.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match_gap.h"
#include "mem.h"
#include "rules.h"
#include "slice.h"

struct matcher {
    hs_database_t *db;
    const rb_mem *mem;
    int compiled;
};

struct matcher_scratch {
    hs_scratch_t *hs;
    const rb_mem *mem;
    char *low; /* lower-cased copy of the text being scanned; grows, never shrinks */
    size_t low_cap;
};

#ifdef RB_HS_RUNTIME_ONLY
/* compile_patterns - linked with Hyperscan's runtime library only (no compiler, no C++
 * runtime to load at start-up): the embedded database is the only one. It is built for the
 * generic x86-64 target (tools/hs_build), so it loads on every CPU this build runs on. */
static int compile_patterns(hs_database_t **db)
{
    (void)db;
    return RB_EMATCHER;
}
#else
static int compile_patterns(hs_database_t **db)
{
    size_t n = scan_pattern_count;
    const char **exprs = malloc(n * sizeof *exprs);
    unsigned *flags = malloc(n * sizeof *flags);
    unsigned *ids = malloc(n * sizeof *ids);
    int rc = RB_ENOMEM;
    if (!exprs || !flags || !ids)
        goto out;
    for (size_t i = 0; i < n; i++) {
        exprs[i] = scan_patterns[i].regex;
        /* lower-case patterns over lower-cased text; gap triggers report every occurrence */
        flags[i] = scan_patterns[i].multi ? 0 : HS_FLAG_SINGLEMATCH;
        ids[i] = scan_patterns[i].id;
    }
    hs_compile_error_t *err = NULL;
    if (hs_compile_multi(exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL, db, &err) !=
        HS_SUCCESS) {
        hs_free_compile_error(err);
        rc = RB_EMATCHER;
        goto out;
    }
    rc = RB_OK;
out:
    free(exprs);
    free(flags);
    free(ids);
    return rc;
}
#endif

int matcher_open(struct matcher **out, const rb_mem *mem)
{
    *out = NULL;
    struct matcher *m = mem_calloc(mem, 1, sizeof *m);
    if (!m)
        return RB_ENOMEM;
    m->mem = mem;
    if (scan_pattern_count == 0) {
        *out = m; /* no rules: scans find nothing */
        return RB_OK;
    }
    if (rules_hsdb_len == 0 ||
        hs_deserialize_database((const char *)rules_hsdb, rules_hsdb_len, &m->db) != HS_SUCCESS) {
        m->db = NULL;
        int rc = compile_patterns(&m->db);
        if (rc != RB_OK) {
            mem_free(mem, m);
            return rc;
        }
        m->compiled = 1;
    }
    *out = m;
    return RB_OK;
}

struct matcher *matcher_close(struct matcher *m)
{
    if (m) {
        if (m->db)
            hs_free_database(m->db);
        mem_free(m->mem, m);
    }
    return NULL;
}

int matcher_compiled_at_startup(const struct matcher *m)
{
    return m->compiled;
}

int matcher_scratch_new(const struct matcher *m, struct matcher_scratch **out)
{
    *out = NULL;
    struct matcher_scratch *s = mem_calloc(m->mem, 1, sizeof *s);
    if (!s)
        return RB_ENOMEM;
    s->mem = m->mem;
    if (m->db && hs_alloc_scratch(m->db, &s->hs) != HS_SUCCESS) {
        mem_free(m->mem, s);
        return RB_ENOMEM;
    }
    *out = s;
    return RB_OK;
}

struct matcher_scratch *matcher_scratch_free(struct matcher_scratch *s)
{
    if (s) {
        if (s->hs)
            hs_free_scratch(s->hs);
        mem_free(s->mem, s->low);
        mem_free(s->mem, s);
    }
    return NULL;
}

struct scan_ctx {
    unsigned *ids;
    size_t cap, n;
    int overflow;
    const char *text; /* the lower-cased text scanned, for the gap and boundary checks */
    size_t len;
    int checked; /* a gap or boundary check added an id: later ids may repeat it */
};

static int has_id(const struct scan_ctx *c, unsigned id)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->ids[i] == id)
            return 1;
    return 0;
}

static void add_id(struct scan_ctx *c, unsigned id)
{
    if (c->n < c->cap)
        c->ids[c->n++] = id;
    else
        c->overflow = 1;
}

/* is_word - Hyperscan's \w without UCP: ASCII letters (lower case here), digits, '_' */
static inline int is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* bound_holds - the word boundaries of trigger b around its occurrence [s, e) */
static int bound_holds(const struct bound_trigger *b, const char *text, size_t len, size_t s,
                       size_t e)
{
    const unsigned char *t = (const unsigned char *)text;
    if (b->lead && (s > 0 && is_word(t[s - 1])) == is_word(t[s]))
        return 0;
    if (b->trail && is_word(t[e - 1]) == (e < len && is_word(t[e])))
        return 0;
    return 1;
}

/* on_match - a rule's pattern matched (reported once: SINGLEMATCH), or a trigger phrase
 * of a gap or boundary alternative ends at to (reported at every occurrence): check it
 * unless its rule is already in, so each rule is listed once */
static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
                    unsigned int flags, void *ctx)
{
    (void)from, (void)flags;
    struct scan_ctx *c = ctx;
    if (id < rules_count) {
        if (!c->checked || !has_id(c, id))
            add_id(c, id);
        return 0;
    }
    size_t t = id - rules_count;
    unsigned rule;
    int holds;
    if (t < gap_trigger_count) {
        const struct gap_check *g = &gap_checks[gap_triggers[t].check];
        rule = g->rule;
        holds = !has_id(c, rule) &&
                gap_check_holds(g, c->text, c->len, (size_t)to, gap_triggers[t].len);
    } else {
        t -= gap_trigger_count;
        if (t >= bound_trigger_count || to > c->len || to < bound_triggers[t].len)
            return 0;
        const struct bound_trigger *b = &bound_triggers[t];
        rule = b->rule;
        holds = !has_id(c, rule) && bound_holds(b, c->text, c->len, (size_t)to - b->len, to);
    }
    if (holds) {
        c->checked = 1;
        add_id(c, rule);
    }
    return 0;
}

/* lower_ascii - dst[0..n) = src with A-Z lower-cased, 8 bytes at a time (other bytes,
 * including non-ASCII, unchanged: what Hyperscan's caseless mode folded). */
static void lower_ascii(char *dst, const char *src, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i a = _mm_set1_epi8('A'), span = _mm_set1_epi8('Z' - 'A'),
                  bit = _mm_set1_epi8(0x20);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        __m128i x = _mm_sub_epi8(v, a);
        __m128i up = _mm_cmpeq_epi8(_mm_min_epu8(x, span), x); /* 0xff where A-Z */
        _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_or_si128(v, _mm_and_si128(up, bit)));
    }
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, src + i, 8);
        w |= swar_in_range(w, 'A', 'Z') >> 2; /* 0x20 where upper case */
        memcpy(dst + i, &w, 8);
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
    }
}

int matcher_scan(const struct matcher *m, struct matcher_scratch *s, const char *p, size_t len,
                 unsigned *ids, size_t cap, size_t *n, int *overflow)
{
    struct scan_ctx c = {ids, cap, 0, 0, NULL, 0, 0};
    *n = 0;
    *overflow = 0;
    if (!m->db || len == 0)
        return RB_OK;
    if (len > UINT_MAX)
        len = UINT_MAX;
    if (len > s->low_cap) {
        size_t want = len < 4096 ? 4096 : len;
        char *nb = mem_realloc(s->mem, s->low, want);
        if (!nb)
            return RB_ENOMEM;
        s->low = nb;
        s->low_cap = want;
    }
    lower_ascii(s->low, p, len);
    c.text = s->low;
    c.len = len;
    if (hs_scan(m->db, s->low, (unsigned)len, 0, s->hs, on_match, &c) != HS_SUCCESS)
        return RB_EMATCHER;
    *n = c.n;
    *overflow = c.overflow;
    return RB_OK;
}
