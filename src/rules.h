/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rules.h - the compiled rule tables (generated from data/ by tools/gen_tables.py).
 *
 * DESCRIPTION
 *   rules_table[i] is the rule whose pattern has Hyperscan id i. Tag-only rules have
 *   reason RB_REASON__COUNT; "default" columns use the __COUNT value of their enum.
 *   Everything here is const and shared by all threads.
 */
#ifndef RB_RULES_H
#define RB_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "rebound.h"

struct rule {
    const char *id;
    int prio;
    const char *reply;                   /* reply code prefix constraint, "" = any */
    int reply_required;                  /* constraint fails when the reply has no code */
    int st_class, st_subject, st_detail; /* -1 = any */
    int status_required;
    rb_reason reason;     /* RB_REASON__COUNT: tag-only rule */
    rb_category category; /* RB_CAT__COUNT: reason's default */
    unsigned auth;
    const char *blocklist;
    const char *provider;
    rb_scope scope;          /* RB_SCOPE__COUNT: category default */
    rb_remedy remedy;        /* RB_REMEDY__COUNT: category default */
    const char *meaning;     /* provider's documented meaning, or NULL */
    const char *token;       /* provider reason token, "" if none */
    const char *bonus_reply; /* exact code documented for the text ("" none) */
    const char *bonus_status;
    const char *command; /* tag: the SMTP command the reply answered, or NULL */
};

struct status_map {
    int cls; /* 0 = either class */
    int subject, detail;
    rb_reason reason;
    rb_category category; /* RB_CAT__COUNT = reason default */
    int prio;
};

struct basic_map {
    rb_reason reason; /* prio 0 = no entry */
    rb_category category;
    int prio;
};

struct reason_info {
    const char *name;
    rb_category category;
    int hard;         /* 0 never, 1 always, 2 when permanent */
    rb_remedy remedy; /* RB_REMEDY__COUNT: the category's */
    rb_scope scope;   /* RB_SCOPE__COUNT: the category's */
    const char *description;
};

struct category_info {
    const char *name;
    rb_scope scope;
    rb_remedy remedy_permanent;
    rb_remedy remedy_transient;
    const char *description;
};

struct provider_host {
    const char *provider;
    const char *suffix; /* lower case, no leading dot, at least two labels */
    size_t len;
    uint32_t last2; /* FNV-1a of the suffix's last two labels (tools/gen_tables.py) */
};

/* One pattern of the scan database (the same list tools/hs_build compiles): id is a rule
 * index, rules_count + k for gap trigger k, or rules_count + gap_trigger_count + k for
 * bound trigger k; triggers are reported at every occurrence (multi). */
struct scan_pattern {
    unsigned id;
    const char *regex; /* lower case (tools/gen_tables.py fold_pattern) */
    int multi;
};

/* A gap alternative "LEFT[^stop]{lo,hi}RIGHT" of a rule, checked in C (match_gap.c) where
 * Hyperscan reports a phrase of its trigger side (tools/gen_tables.py GAP_RULES). */
struct gap_phrase {
    const char *s; /* lower case, not NUL-terminated within the text */
    size_t len;
};
struct gap_check {
    unsigned rule;    /* index into rules_table */
    int trigger_left; /* 1: the trigger is LEFT, the phrases below follow it; 0: precede it */
    unsigned lo, hi;  /* bytes between the two sides */
    /* per byte: 0x80 if the gap may not contain it; low 7 bits: 1 + the index of its group
     * in edge_at when it is the edge byte (first with the trigger left, else last) of some
     * phrase of the other side, 0 if none */
    const unsigned char *byte_class;
    const struct gap_phrase *other; /* the other side's phrases, grouped by edge byte */
    const unsigned short *edge_at;  /* edge_at[r]: first phrase of group r; edge_at[last]:
                                       the phrase count */
    size_t other_count;
};

struct gap_trigger {
    unsigned check; /* index into gap_checks */
    unsigned len;   /* length of the trigger phrase */
};

/* A phrase of a rule's "\bPHRASE\b" alternative (either \b may be absent), reported by
 * the matcher at every occurrence; the boundaries are tested in C (match_hs.c). */
struct bound_trigger {
    unsigned rule;             /* index into rules_table */
    unsigned len;              /* phrase length */
    unsigned char lead, trail; /* a word boundary is required before / after the phrase */
};

extern const size_t rules_count;
extern const struct rule rules_table[];
extern const char *const rules_patterns[]; /* each rule's whole pattern, as written */
extern const size_t scan_pattern_count;
extern const struct scan_pattern scan_patterns[];
extern const size_t gap_check_count;
extern const struct gap_check gap_checks[];
extern const size_t gap_trigger_count;
extern const struct gap_trigger gap_triggers[];
extern const size_t bound_trigger_count;
extern const struct bound_trigger bound_triggers[];
extern const size_t status_map_count;
extern const struct status_map status_map_table[]; /* sorted by (cls, subject, detail) */
/* open-addressing index of status_map_table: 1 << status_map_bits slots, each the table
 * index + 1 or 0 (empty); a code's first slot is tools/gen_tables.py status_map_slot */
extern const unsigned status_map_bits;
extern const unsigned short status_map_index[];

/* status_map_slot - the first slot of status_map_index to probe for cls.subject.detail
 * (Fibonacci hashing, 32-bit; tools/gen_tables.py status_map_slot builds the index with it) */
static inline unsigned status_map_slot(int cls, int subject, int detail)
{
    uint32_t key = (uint32_t)cls * 1000000u + (uint32_t)subject * 1000u + (uint32_t)detail;
    return (unsigned)((key * 2654435769u) >> (32 - status_map_bits));
}
extern const struct basic_map basic_map_table[400]; /* index code - 200 */
extern const struct reason_info reason_table[RB_REASON__COUNT];
extern const struct category_info category_table[RB_CAT__COUNT];
extern const char *const scope_names[RB_SCOPE__COUNT];
extern const char *const remedy_names[RB_REMEDY__COUNT];
extern const char *const auth_names[];
extern const size_t provider_host_count;
extern const struct provider_host provider_host_table[];

/* The Hyperscan database serialised at build time (tools/hs_build); may be empty when the
 * build could not produce one, in which case the patterns are compiled at start-up. */
extern const unsigned char rules_hsdb[];
extern const size_t rules_hsdb_len;

#endif /* RB_RULES_H */
