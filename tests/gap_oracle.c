/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * gap_oracle.c - test: the scan database with gap and word-boundary checks finds exactly
 * the rules their whole patterns find.
 *
 * DESCRIPTION
 *   tools/gen_tables.py takes the gap alternatives of some rules ("dkim[^.;]{0,40}(fail|..)")
 *   out of the Hyperscan database and match_gap.c checks them in C around trigger phrases;
 *   likewise "\bPHRASE\b" alternatives, whose boundaries match_hs.c tests.
 *   This test compiles every rule's pattern as written (rules_patterns) with the full
 *   Hyperscan compiler as the oracle, and compares, over generated texts made of the gap
 *   phrases, filler words and the bytes that end a gap, the set of rules it finds with the
 *   set matcher_scan (the library's path) finds. Built from the library's sources with the
 *   full libhs, since the library links the runtime-only one.
 *   usage: test_gap_oracle [TEXTS]
 */
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "match.h"
#include "rules.h"

struct idset {
    unsigned char *seen;
};

static int on_oracle(unsigned int id, unsigned long long from, unsigned long long to,
                     unsigned int flags, void *ctx)
{
    (void)from, (void)to, (void)flags;
    struct idset *s = ctx;
    if (id < rules_count)
        s->seen[id] = 1;
    return 0;
}

static unsigned long long rng = 88172645463325252ull;
static unsigned next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng >> 11);
}

/* decode_literal - a trigger pattern (gen_tables.py _lit: letters, digits and spaces as
 * they are, other bytes as \xHH) -> bytes into out; length */
static size_t decode_literal(const char *rx, char *out, size_t cap)
{
    size_t n = 0;
    while (*rx && n < cap) {
        if (rx[0] == '\\' && rx[1] == 'x') {
            out[n++] = (char)strtoul((char[]){rx[2], rx[3], 0}, NULL, 16);
            rx += 4;
        } else {
            out[n++] = *rx++;
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    long texts = argc > 2 ? strtol(argv[2], NULL, 10) : 200000;
    /* the oracle: every rule's whole pattern */
    const char **exprs = calloc(rules_count, sizeof *exprs);
    unsigned *flags = calloc(rules_count, sizeof *flags), *ids = calloc(rules_count, sizeof *ids);
    for (size_t i = 0; i < rules_count; i++)
        exprs[i] = rules_patterns[i], flags[i] = HS_FLAG_SINGLEMATCH, ids[i] = (unsigned)i;
    hs_database_t *db = NULL;
    hs_compile_error_t *err = NULL;
    if (hs_compile_multi(exprs, flags, ids, (unsigned)rules_count, HS_MODE_BLOCK, NULL, &db,
                         &err) != HS_SUCCESS) {
        fprintf(stderr, "oracle compile: %s\n", err->message);
        return 1;
    }
    hs_scratch_t *hs = NULL;
    hs_alloc_scratch(db, &hs);
    struct matcher *m;
    struct matcher_scratch *ms;
    CHECK_INT(matcher_open(&m, NULL), RB_OK, "matcher_open");
    CHECK_INT(matcher_scratch_new(m, &ms), RB_OK, "matcher_scratch_new");
    CHECK(gap_check_count > 0, "no gap checks generated");

    /* vocabulary: every trigger phrase and the other side of every gap check; filler with
     * the gap-ending bytes and word bytes that glue onto a phrase */
    static char store[1 << 16];
    const char *vocab[4096];
    size_t vlen[4096], nv = 0, used = 0;
    for (size_t i = 0; i < scan_pattern_count && nv < 4096; i++)
        if (scan_patterns[i].multi) {
            size_t n = decode_literal(scan_patterns[i].regex, store + used, 256);
            vocab[nv] = store + used, vlen[nv++] = n, used += n;
        }
    for (size_t k = 0; k < gap_check_count; k++)
        for (size_t j = 0; j < gap_checks[k].other_count && nv < 4096; j++)
            vocab[nv] = gap_checks[k].other[j].s, vlen[nv++] = gap_checks[k].other[j].len;
    static const char *filler[] = {" ",
                                   " ",
                                   " ",
                                   ".",
                                   ";",
                                   ">",
                                   ")",
                                   " x",
                                   " the mail ",
                                   " 203.0.113.7 ",
                                   "<a@b.example>",
                                   " was ",
                                   "",
                                   "-",
                                   ",",
                                   "_",
                                   "9",
                                   "\xc3\xa9"};
    size_t nf = sizeof filler / sizeof filler[0];

    unsigned char *want = calloc(rules_count, 1), *got = calloc(rules_count, 1);
    unsigned found[256];
    long differ = 0;
    for (long t = 0; t < texts; t++) {
        char text[2048];
        size_t len = 0;
        int words = 1 + (int)(next_rand() % 8);
        for (int w = 0; w < words; w++) {
            unsigned r = next_rand();
            const char *f = filler[r % nf];
            size_t fl = strlen(f);
            int pad = (int)((r >> 8) % 4) * 12; /* window sizes around the bounds */
            if (len + fl + pad + 300 > sizeof text)
                break;
            memcpy(text + len, f, fl), len += fl;
            for (int k = 0; k < pad; k++)
                text[len++] = "abc de"[k % 6];
            size_t v = (r >> 12) % nv;
            memcpy(text + len, vocab[v], vlen[v]), len += vlen[v];
        }
        struct idset o = {want};
        memset(want, 0, rules_count);
        hs_scan(db, text, (unsigned)len, 0, hs, on_oracle, &o);
        size_t n = 0;
        int overflow = 0;
        memset(got, 0, rules_count);
        if (matcher_scan(m, ms, text, len, found, 256, &n, &overflow) != RB_OK)
            return 1;
        for (size_t i = 0; i < n; i++)
            got[found[i]] = 1;
        if (memcmp(want, got, rules_count) != 0) {
            if (differ++ < 10)
                for (size_t i = 0; i < rules_count; i++)
                    if (want[i] != got[i])
                        fprintf(stderr, "rule %s: oracle %d, scan %d on [%.*s]\n",
                                rules_table[i].id, want[i], got[i], (int)len, text);
        }
    }
    CHECK(differ == 0, "%ld of %ld texts: the scan and the rule patterns disagree", differ, texts);
    printf("%ld texts compared, %zu gap checks\n", texts, gap_check_count);
    matcher_scratch_free(ms);
    matcher_close(m);
    hs_free_scratch(hs);
    hs_free_database(db);
    free(exprs), free(flags), free(ids), free(want), free(got);
    return harness_done();
}
