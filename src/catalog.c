/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * catalog.c - lookups in the code catalog (enhanced status codes, reply codes, providers).
 *
 * DESCRIPTION
 *   The tables are generated from data/ at build time (catalog_gen.c) and are const.
 *   Lookups are binary searches (status) or short linear scans (reply codes: ~60 rows).
 */
#include "catalog.h"

#include <string.h>

static const struct status_entry *status_find(int cls, int subject, int detail)
{
    size_t lo = 0, hi = status_catalog_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct status_entry *e = &status_catalog[mid];
        int d = e->cls != cls           ? e->cls - cls
                : e->subject != subject ? e->subject - subject
                                        : e->detail - detail;
        if (d == 0)
            return e;
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool rb_status_lookup(int cls, int subject, int detail, rb_status_info *out)
{
    memset(out, 0, sizeof *out);
    const struct status_entry *c = status_find(cls, -1, -1);
    if (!c)
        return false;
    out->class_title = c->title;
    out->meaning = c->meaning;
    out->action = c->action;
    const struct status_entry *s = status_find(0, subject, -1);
    if (s) {
        out->subject_title = s->title;
        out->meaning = s->meaning;
    }
    const struct status_entry *d = status_find(0, subject, detail);
    if (d) {
        out->detail_title = d->title;
        out->meaning = d->meaning;
        out->action = d->action;
    }
    return true;
}

static const struct reply_entry *reply_find(const char *code)
{
    for (size_t i = 0; i < reply_catalog_count; i++)
        if (strcmp(reply_catalog[i].code, code) == 0)
            return &reply_catalog[i];
    return NULL;
}

bool rb_replycode_lookup(int code, rb_replycode_info *out)
{
    memset(out, 0, sizeof *out);
    if (code < 100 || code > 599)
        return false;
    char k[4] = {(char)('0' + code / 100), (char)('0' + code / 10 % 10), (char)('0' + code % 10),
                 0};
    char first[4] = {k[0], 'y', 'z', 0};
    char second[4] = {'x', k[1], 'z', 0};
    const struct reply_entry *e = reply_find(k);
    const struct reply_entry *f = reply_find(first);
    const struct reply_entry *s = reply_find(second);
    out->text = e ? e->text : NULL;
    out->first_digit = f ? f->meaning : NULL;
    out->second_digit = s ? s->meaning : NULL;
    out->meaning = e ? e->meaning : (f ? f->meaning : NULL);
    out->transient = code / 100 == 4;
    return true;
}

const rb_provider_code *rb_provider_codes(size_t *n)
{
    *n = provider_catalog_count;
    return provider_catalog;
}
