/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dialect.c - run the dialect tables in order; see dialect.h.
 */
#include "dialect.h"

#include <string.h>

#include "mime.h"
#include "slice.h"

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

/* ---- helpers shared by the dialect modules ---- */

int dl_hdr_has(struct slice hdr, const char *name, const char *needle)
{
    struct slice v;
    return mime_hdr_find(hdr, name, &v) && dl_has(v.p, v.len, needle);
}

int dl_hdr_starts(struct slice hdr, const char *name, const char *lit)
{
    struct slice v;
    if (!mime_hdr_find(hdr, name, &v))
        return 0;
    v = slice_trim(v);
    size_t n = strlen(lit);
    return v.len >= n && memmem_ci(v.p, n, lit, n) == v.p;
}

struct slice dl_notice_text(const struct rb_parser *bp, int whole)
{
    if (bp->notice.p && bp->notice_end)
        return slice_make(bp->notice.p, whole ? bp->notice.len : bp->notice_end);
    if (bp->mm.nparts == 0 || !bp->mm.parts[0].body.p)
        return slice_make(bp->notice.p, 0);
    struct slice b = bp->mm.parts[0].body;
    if (!whole)
        b.len = text_original_start(b.p, b.len);
    return b;
}

int dl_has(const char *p, size_t n, const char *needle)
{
    return p && memmem_ci(p, n, needle, strlen(needle)) != NULL;
}

int dl_next_line(const char *p, size_t n, size_t *pos, struct slice *line)
{
    size_t i = *pos;
    if (!p || i >= n)
        return 0;
    size_t e = i;
    while (e < n && p[e] != '\n' && p[e] != '\r')
        e++;
    *line = slice_make(p + i, e - i);
    if (e < n && p[e] == '\r')
        e++;
    if (e < n && p[e] == '\n')
        e++; /* LF, or the LF of CRLF */
    *pos = e;
    return 1;
}

int dl_starts_with(struct slice line, const char *lit)
{
    size_t n = strlen(lit);
    return line.len >= n && memmem_ci(line.p, n, lit, n) == line.p;
}

struct prec *dl_rec_new(struct rb_parser *bp, struct slice a, int *rc)
{
    size_t before = bp->dropped;
    struct prec *r = prec_add(bp);
    if (!r) {
        if (bp->dropped == before)
            *rc = RB_ENOMEM;
        return NULL;
    }
    r->rcpt = arena_add(bp, a.p, a.len);
    return r;
}
