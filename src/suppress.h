/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * suppress.h - the suppression rules over one recipient's state (pure logic, no storage).
 *
 * DESCRIPTION
 *   suppress_apply() takes what one event says about a recipient (kind and verdict) and the
 *   state the rules keep for that recipient, updates the state and says whether to suppress
 *   the address, and why (rule name, reason, the keys of the events that decided). The store
 *   (store.h) reads and writes the state; this module never touches it, so the rules are
 *   tested without SQLite.
 *
 *   The rules (docs/store.md):
 *   - complaint -> suppress at once (reason "complaint");
 *   - a permanent address-level failure (verdict remedy suppress-recipient or
 *     fix-address-syntax with scope recipient: user unknown, domain does not exist, invalid
 *     syntax, moved, disabled) -> suppress at once;
 *   - a sender-side failure (scope sender, message or network; category authentication,
 *     reputation, blocklist, rate-limit, greylisting, content, virus, size, policy, routing,
 *     protocol, network) -> never suppress; it is reported as a sender alert and leaves the
 *     recipient's counters alone;
 *   - mailbox full -> suppress after cfg.mailbox_full_repeats in a row with no delivery
 *     between;
 *   - any other failure is a soft bounce: suppress when the current streak has lasted
 *     cfg.soft_bounce_days since its first failure;
 *   - a delivery clears the counters (unless it is older than the last failure).
 *
 *   Addresses are compared after suppress_normalize(): surrounding space and <> dropped,
 *   lower-cased (ESPs and sequencers treat addresses case-insensitively).
 *
 * LIMITS
 *   SUPPRESS_MAX_KEYS event keys of a streak are kept as evidence (the oldest are dropped).
 *   SUPPRESS_MAX_ADDRESS bytes per address (RFC 5321's 254 plus room).
 *
 * SEE ALSO
 *   store.h, retry.h, docs/store.md
 */
#ifndef RB_SUPPRESS_H
#define RB_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "rebound.h"

#define SUPPRESS_KEY_HEX 32 /* hex characters of an event key (128 bits) */
#define SUPPRESS_MAX_KEYS 8 /* keys of a streak kept as evidence */
#define SUPPRESS_KEYS_CAP (SUPPRESS_MAX_KEYS * (SUPPRESS_KEY_HEX + 1) + 1)
#define SUPPRESS_MAX_ADDRESS 320 /* longest address handled (RFC 5321 path: 256) */

/* Tunables, from the config file (suppress_config_parse) or the defaults. */
struct suppress_config {
    unsigned mailbox_full_repeats; /* mailbox-full failures in a row that suppress (3) */
    unsigned soft_bounce_days;     /* days a soft-bounce streak may last (5) */
    unsigned retry_horizon_hours;  /* retry advice gives up after this (72) */
    unsigned batch_events;         /* events per store transaction; 0 (the default) = the
                                      backend's own (STORE_BATCH_SQLITE, STORE_BATCH_PG) */
    unsigned busy_timeout_ms;      /* wait this long for another writer's lock (5000) */
};

/* What the rules remember about one recipient. All zero = nothing (not stored). */
struct suppress_state {
    unsigned mbf_count;           /* mailbox-full failures in a row */
    unsigned soft_count;          /* failures in the current soft streak */
    long long soft_first;         /* time of the first failure of the streak (0 = none) */
    long long last_failure;       /* time of the latest failure of the streak */
    char keys[SUPPRESS_KEYS_CAP]; /* comma-separated hex keys of the streak, oldest first */
};

/* How the rules see one event. */
enum suppress_class {
    SUPPRESS_C_NONE = 0,     /* says nothing about the recipient (unknown, dropped) */
    SUPPRESS_C_DELIVERY,     /* delivered */
    SUPPRESS_C_HARD,         /* permanent address-level failure */
    SUPPRESS_C_MAILBOX_FULL, /* over quota */
    SUPPRESS_C_SOFT,         /* any other failure about the recipient or of unknown cause */
    SUPPRESS_C_SENDER,       /* sender-side failure: never the recipient's fault */
    SUPPRESS_C_COMPLAINT,    /* spam complaint */
};

/* One event as the rules need it. key is borrowed (hex, NUL-terminated, may be ""). */
struct suppress_input {
    rb_event_kind kind;
    rb_reason reason;
    rb_category category;
    rb_scope scope;
    rb_remedy remedy;
    bool permanent;
    long long time; /* Unix time, 0 if unknown (then the days rule cannot fire) */
    const char *key;
};

/* The outcome of one event. Strings are static or held in the struct. */
struct suppress_decision {
    enum suppress_class cls;
    bool suppress;                /* add the address to the suppression list */
    bool sender_alert;            /* count a sender-side failure */
    bool state_changed;           /* the state must be written back (or deleted when empty) */
    const char *rule;             /* why: "hard-bounce", "invalid-address", "mailbox-full-repeated",
                                     "soft-bounce-days", "complaint"; NULL when !suppress */
    const char *reason;           /* reason name recorded with the suppression */
    char keys[SUPPRESS_KEYS_CAP]; /* keys of the deciding events */
};

/* suppress_config_default - the built-in defaults. */
void suppress_config_default(struct suppress_config *cfg);

/* suppress_config_parse - read `key = value` lines (# comments, blank lines) from (p, len)
 * over the values already in cfg. Returns RB_OK, or RB_EPARSE with "line N: why" in err
 * (size errlen); cfg is then unchanged. */
int suppress_config_parse(struct suppress_config *cfg, const char *p, size_t len, char *err,
                          size_t errlen);

/* suppress_classify - how the rules see an event. */
enum suppress_class suppress_classify(const struct suppress_input *in);

/* suppress_apply - apply the rules for one new event to st (updated in place) and fill
 * *out. Pure: same inputs, same outcome. */
void suppress_apply(const struct suppress_config *cfg, struct suppress_state *st,
                    const struct suppress_input *in, struct suppress_decision *out);

/* suppress_state_empty - true when st remembers nothing (the store deletes it). */
bool suppress_state_empty(const struct suppress_state *st);

/* suppress_normalize - the address of (p, len) in canonical form into out (size cap,
 * NUL-terminated): trimmed, <> and a "mailto:" prefix dropped, lower-cased. Returns its
 * length, or 0 when nothing is left or it does not fit. Does not judge syntax. */
size_t suppress_normalize(const char *p, size_t len, char *out, size_t cap);

/* suppress_valid_syntax - plausible mailbox syntax: one @, a local part of 1..64 bytes
 * without spaces or controls, a domain of dot-separated labels (letters, digits, hyphens,
 * not at a label's ends; or an [address literal]) with at least one dot. */
bool suppress_valid_syntax(const char *addr, size_t len);

#endif /* RB_SUPPRESS_H */
