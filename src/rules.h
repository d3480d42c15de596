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

extern const size_t rules_count;
extern const struct rule rules_table[];
extern const char *const rules_patterns[];
extern const size_t status_map_count;
extern const struct status_map status_map_table[];  /* sorted by (cls, subject, detail) */
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
