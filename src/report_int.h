/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report_int.h - the insides of a report shared by report.c (aggregation), report_diag.c
 *                (diagnosis rules) and report_map.c (the hash tables both use).
 *
 * DESCRIPTION
 *   Two table types, both open addressing with linear probing, growing at 50% load:
 *   strtab interns strings (NUL-terminated copies in stable chunks, so pointers never move)
 *   and numbers them 0, 1, 2 ...; u64map maps a 64-bit key to a 64-bit counter. Neither
 *   ever shrinks; a report frees them all at once.
 */
#ifndef RB_REPORT_INT_H
#define RB_REPORT_INT_H

#include <stdint.h>

#include "report.h"

/* ---- report_map.c ------------------------------------------------------------------------ */

struct strtab {
    const rb_mem *mem;
    uint32_t *slot; /* id + 1, 0 = empty */
    struct strent {
        const char *str; /* NUL-terminated copy */
        uint32_t len, hash;
    } * ent;           /* by id */
    size_t n, cap_ids; /* ids in use, capacity of ent */
    size_t nslots;     /* power of two */
    char *chunk;       /* current chunk of string bytes */
    size_t chunk_used, chunk_cap;
    void **chunks; /* every chunk, for freeing */
    size_t nchunks, cap_chunks;
};

/* strtab_init - empty table using mem (NULL = libc); nothing allocated yet. */
void strtab_init(struct strtab *t, const rb_mem *mem);
/* strtab_free - free every string and array of t. */
void strtab_free(struct strtab *t);
/* strtab_intern - the id of s (n bytes), adding a copy when new; -1 when out of memory. */
long strtab_intern(struct strtab *t, const char *s, size_t n);
/* strtab_find - the id of s, or -1 when absent. */
long strtab_find(const struct strtab *t, const char *s, size_t n);

struct u64map {
    const rb_mem *mem;
    uint64_t *key; /* key + 1, 0 = empty */
    uint64_t *val;
    size_t n, nslots;
};

void u64map_init(struct u64map *m, const rb_mem *mem);
void u64map_free(struct u64map *m);
/* u64map_slot - pointer to the counter of key (created at 0 when new); NULL on no memory.
 * Valid until the next insertion. key must not be UINT64_MAX. */
uint64_t *u64map_slot(struct u64map *m, uint64_t key);
/* u64map_get - the counter of key, 0 when absent. */
uint64_t u64map_get(const struct u64map *m, uint64_t key);

/* hash_bytes - the hash the tables use (64-bit FNV-1a folded). */
uint32_t report_hash(const char *s, size_t n);

/* growable arrays of fixed-size elements */
/* grow_array - make *arr hold at least need elements of size bytes (zeroing new ones);
 * RB_OK or RB_ENOMEM. */
int grow_array(const rb_mem *mem, void **arr, size_t *cap, size_t need, size_t size);

/* ---- the report --------------------------------------------------------------------------- */

struct report_dimtab {
    struct strtab keys;     /* value -> row index */
    struct report_row *row; /* by id */
    size_t cap;
    struct report_row *sorted; /* after finish */
};

/* The per-event facts a diagnosis rule looks at (row ids: -1 when the event has none). */
struct report_fact {
    const struct report_event *e;
    long id[RD__COUNT];
    long recipient; /* id in the rules' address table, interned only when a rule needs it */
    bool failure;   /* bounced, expired or deferred */
    bool hard;
};

struct report_diag_state; /* report_diag.c */

struct report {
    struct report_opts o;
    const rb_mem *mem;
    char err[256];
    /* filter */
    struct {
        const char *vals[RD__COUNT + 1]; /* "a|b" alternatives per dimension; NULL = any */
        char *buf;                       /* the copied filter text */
    } flt;
    struct report_counts total;
    long long first, last;
    struct report_dimtab dim[RD__COUNT];
    struct strtab provdom;   /* recipient domain -> provider id (data/provider-domains.tsv) */
    const char **provdom_of; /* domain id -> provider */
    /* hour buckets: hour number -> index into hours[] */
    struct u64map hourmap;
    struct report_bucket *hours;
    size_t nhours, cap_hours;
    struct report_bucket *buckets; /* after finish */
    size_t nbuckets;
    long long width;
    /* templates: "provider\ttemplate" -> index */
    struct strtab tplkeys;
    struct report_template_row *tpl;
    size_t cap_tpl;
    unsigned long long tpl_dropped;
    struct report_template_row *tpl_sorted;
    char tplbuf[REPORT_TEMPLATE_BYTES];
    char keybuf[REPORT_TEMPLATE_BYTES + 64];
    /* diagnoses */
    struct report_diag_state *ds;
    struct report_diagnosis *diag;
    size_t ndiag;
    bool finished;
};

/* report_diag.c */
int report_diag_new(struct report *r);
void report_diag_free(struct report *r);
int report_diag_add(struct report *r, const struct report_fact *f);
int report_diag_finish(struct report *r);

/* report_key - the string of row id in dimension d ("" when id < 0). */
const char *report_key(const struct report *r, enum report_dim d, long id);

#endif /* RB_REPORT_INT_H */
