/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * catalog.h - the code catalog tables (generated from data/ by tools/gen_tables.py).
 *
 * DESCRIPTION
 *   status_catalog is sorted by (cls, subject, detail): class rows have cls 2/4/5 and
 *   subject = detail = -1; subject rows have cls 0 and detail -1; detail rows cls 0.
 */
#ifndef RB_CATALOG_H
#define RB_CATALOG_H

#include <stddef.h>

#include "rebound.h"

struct status_entry {
    int cls, subject, detail;
    const char *title;
    const char *meaning;
    const char *action;
    const char *basic_codes;
};

struct reply_entry {
    const char *code; /* "550", "5yz", "x5z" */
    const char *kind; /* reply, first_digit, second_digit, nonstandard */
    const char *text;
    const char *meaning;
    const char *retry;
};

extern const size_t status_catalog_count;
extern const struct status_entry status_catalog[];
extern const size_t reply_catalog_count;
extern const struct reply_entry reply_catalog[];
extern const size_t provider_catalog_count;
extern const rb_provider_code provider_catalog[];

#endif /* RB_CATALOG_H */
