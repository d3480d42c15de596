/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dialect.c - run the dialect tables in order; see dialect.h.
 */
#include "dialect.h"

#include <string.h>

int dialect_records(struct rb_parser *bp, struct slice hdr)
{
    const struct dialect *const *const families[] = {dialects_provider, dialects_vendor,
                                                     dialects_jp, dialects_unix};
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
        for (const struct dialect *const *d = families[f]; *d; d++) {
            if (!(*d)->detect(bp, hdr))
                continue;
            size_t before = bp->nrec;
            int rc = (*d)->records(bp, hdr);
            if (rc != RB_OK)
                return rc;
            if (bp->nrec > before) {
                bp->agent = arena_add(bp, (*d)->name, strlen((*d)->name));
                return RB_OK;
            }
        }
    }
    return RB_OK;
}

int dialect_amend(struct rb_parser *bp, struct slice hdr)
{
    const struct dialect *const *const families[] = {dialects_provider, dialects_vendor,
                                                     dialects_jp, dialects_unix};
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
        for (const struct dialect *const *d = families[f]; *d; d++)
            if ((*d)->amend && (*d)->detect(bp, hdr))
                return (*d)->amend(bp, hdr);
    return RB_OK;
}
