/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * match.h - multi-pattern matcher over the rule patterns (backend: match_hs.c, Hyperscan).
 *
 * DESCRIPTION
 *   One immutable compiled database shared by all threads; per-thread scratch. A scan
 *   reports the ids (indexes into rules_table) of every rule whose pattern occurs in the
 *   text, each at most once, in linear time in the text length. Some alternatives of the
 *   rules are not in the database as written: "phrase, then within N bytes another phrase"
 *   and "\bphrase\b" ones are found as phrases and completed in C (match_gap.c, and the
 *   boundary test in match_hs.c), which is much cheaper than Hyperscan's automata for them.
 */
#ifndef RB_MATCH_H
#define RB_MATCH_H

#include <stddef.h>

#include "rebound.h"

struct matcher;
struct matcher_scratch;

/* matcher_open - load the embedded database (or compile the patterns when it is missing
 * or was built for another CPU); caller frees with matcher_close. RB_OK / RB_EMATCHER /
 * RB_ENOMEM. */
int matcher_open(struct matcher **out, const rb_mem *mem);
/* matcher_close - NULL-safe; returns NULL. */
struct matcher *matcher_close(struct matcher *m);
/* matcher_compiled_at_startup - true when the embedded database could not be used. */
int matcher_compiled_at_startup(const struct matcher *m);

/* matcher_scratch_new - per-thread scratch; caller frees with matcher_scratch_free. */
int matcher_scratch_new(const struct matcher *m, struct matcher_scratch **out);
struct matcher_scratch *matcher_scratch_free(struct matcher_scratch *s);

/* matcher_scan - find matching rule ids in (p, len); writes up to cap ids to ids[] and the
 * count to *n (ids beyond cap are dropped and *overflow set). Case-insensitive for ASCII
 * (the text is lower-cased into the scratch, which keeps the largest size it needed).
 * RB_OK, RB_ENOMEM or RB_EMATCHER. */
int matcher_scan(const struct matcher *m, struct matcher_scratch *s, const char *p, size_t len,
                 unsigned *ids, size_t cap, size_t *n, int *overflow);

#endif /* RB_MATCH_H */
