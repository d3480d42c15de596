/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store.h - the event store and suppression list, behind a backend interface.
 *
 * DESCRIPTION
 *   A store keeps every event (one row per event, idempotent on a stable key), the
 *   suppression list, the per-recipient state of the suppression rules (suppress.h) and
 *   sender alerts. Callers use the store_* functions; a backend implements struct
 *   store_ops. SQLite (store_sqlite.c) is the default; PostgreSQL (store_pg.c) is chosen by
 *   a "postgresql://" or "postgres://" target. Every rule step (state_get, supp_set,
 *   state_put) happens inside the transaction that stores the event, so a backend that
 *   locks the recipient's state there keeps decisions correct when several ingests race.
 *
 *   Writing: store_add() takes one event: it computes nothing itself (the key is set by
 *   store_event_key()), inserts the event if its key is new and only then applies the
 *   rules, so re-reading the same input changes nothing. Transactions are batched:
 *   store_add() commits every cfg.batch_events events and store_finish() commits the rest,
 *   so a crash loses at most the open batch, never half of one (events, state and
 *   suppressions of a batch commit together).
 *
 *   Threads: one struct store per thread; the store keeps no global state.
 *   Errors: functions return RB_OK or a negative RB_E*; store_error() says why in words
 *   (valid until the next call on the store).
 *
 * LIMITS
 *   Event text is cut to STORE_MAX_TEXT bytes when stored (the key hashes all of it).
 *
 * SEE ALSO
 *   suppress.h (the rules), store_sqlite.c, docs/store.md
 */
#ifndef RB_STORE_H
#define RB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rebound.h"
#include "suppress.h"

#define STORE_KEY_BYTES 16              /* an event key: 128 bits */
#define STORE_MAX_TEXT 4096             /* bytes of an event's text kept in the store */
#define STORE_ERR_CAP 512               /* bytes of an error message */
#define STORE_APPLICATION_ID 0x52424E44 /* "RBND": PRAGMA application_id of our SQLite files */

/* One event as stored. Strings are borrowed, NUL-terminated, never NULL ("" = unknown). */
struct store_event {
    unsigned char key[STORE_KEY_BYTES]; /* store_event_key() */
    long long time;                     /* Unix time, 0 if unknown */
    rb_event_kind kind;
    const char *recipient; /* normalised (suppress_normalize) */
    const char *domain;    /* of recipient */
    const char *sender, *sender_domain;
    const char *rhost;
    const char *provider;
    int replycode;
    const char *status; /* enhanced status "5.1.1" */
    rb_reason reason;
    rb_category category;
    rb_scope scope;
    rb_remedy remedy;
    bool permanent;
    const char *campaign, *sending_ip, *sending_domain, *vmta;
    const char *queue_id, *message_id, *source_event_id;
    const char *text;      /* the reply / diagnostic */
    const char *format;    /* source reader: postfix, sendgrid, ... "bounce" for parsed emails */
    long long delay_ms;    /* time the message waited (Postfix delay=), -1 if unknown; part of
                              the key only: two attempts logged in the same second differ here */
    unsigned auth;         /* RB_AUTH_* the reply named (schema 2) */
    const char *blocklist; /* blocklist the reply named, "" if none (schema 2) */
    const char *listed;    /* IP or domain that list names, "" if none (schema 2) */
};

/* Called once per stored event by store_events_iterate; e and its strings are valid during
 * the call only (delay_ms is not read back: -1). A non-zero return stops the iteration. */
typedef int (*store_event_cb)(const struct store_event *e, void *ud);

/* What store_events_iterate reads; zero-initialise, then set what you need. */
struct store_iter {
    long long since, until;   /* time range, 0 = no bound */
    long long id_from, id_to; /* event numbers, id_to 0 = all */
    unsigned flags;           /* STORE_ITER_* */
};

/* One suppression-list entry. Strings borrowed (from the caller, or from the store until
 * the next call on it when the store returns one). */
struct store_suppression {
    const char *address;    /* normalised */
    const char *reason;     /* userunknown, mailboxfull, complaint, manual, ... */
    const char *rule;       /* hard-bounce, ..., manual, import */
    const char *event_keys; /* comma-separated hex keys of the deciding events, or "" */
    long long since;        /* Unix time it was suppressed */
};

/* A sender-side failure, counted per (sender domain, sending ip, category, provider). */
struct store_sender_alert {
    const char *sender_domain, *sending_ip, *category, *provider;
    long long time;
    const char *key; /* hex key of the event */
};

/* A notice for people: something to act on by hand that an input asked for (an Amazon SNS
 * subscription to confirm: the URL is recorded and shown, never fetched). Stored once per
 * (kind, source, url). Strings borrowed. */
struct store_notice {
    long long time;
    const char *kind;   /* "ses-subscription" ... */
    const char *source; /* e.g. the SNS TopicArn */
    const char *url;    /* what to visit, or "" */
    const char *text;   /* the message in words */
};
typedef int (*store_notice_cb)(const struct store_notice *n, void *ud);

/* Totals, for summaries and tests. */
struct store_counts {
    unsigned long long events, suppressions, recipients_tracked, sender_alerts;
};

/* Options of store_open. */
struct store_open_opts {
    bool readonly;            /* readers (check, list, export): never write */
    bool create;              /* create the file (and its directory) when absent */
    unsigned busy_timeout_ms; /* wait for another writer's lock this long */
    bool durable;             /* a commit survives a power loss too (fsync per commit), not
                                 only a crash of the process */
    bool per_event;           /* store_add stores each event at once and answers its outcome
                                 (store_add_result), also on a bulk backend (PostgreSQL: a
                                 round trip per event); off, a bulk backend queues events and
                                 counts their outcomes in store_totals() */
};

typedef int (*store_supp_cb)(const struct store_suppression *s, void *ud);

struct store;

/* The backend interface. Every function returns RB_OK or a negative RB_E* and sets the
 * store's error text on failure. Strings handed in are borrowed for the call only. */
struct store_ops {
    const char *name;
    /* open - connect to target; *out is set (and must be closed) even on failure when
     * non-NULL, so the error text can be read. */
    int (*open)(struct store **out, const char *target, const struct store_open_opts *o);
    void (*close)(struct store *s);
    int (*begin)(struct store *s); /* a write transaction */
    int (*commit)(struct store *s);
    int (*rollback)(struct store *s);
    /* put_event - insert unless the key is present; *inserted says which */
    int (*put_event)(struct store *s, const struct store_event *e, bool *inserted);
    /* state_get - the rules' state of addr (all zero and *found false when none) */
    int (*state_get)(struct store *s, const char *addr, struct suppress_state *st, bool *found);
    /* state_put - write st for addr; an empty st deletes it */
    int (*state_put)(struct store *s, const char *addr, const struct suppress_state *st);
    /* supp_get - entry of addr; strings valid until the next call on s */
    int (*supp_get)(struct store *s, const char *addr, struct store_suppression *out, bool *found);
    /* supp_set - add; an existing entry is kept unless replace; *changed says if written */
    int (*supp_set)(struct store *s, const struct store_suppression *e, bool replace,
                    bool *changed);
    int (*supp_remove)(struct store *s, const char *addr, bool *removed);
    /* supp_iterate - every entry in address order; a non-zero cb return stops and is
     * returned */
    int (*supp_iterate)(struct store *s, store_supp_cb cb, void *ud);
    int (*supp_count)(struct store *s, unsigned long long *n);
    int (*alert_add)(struct store *s, const struct store_sender_alert *a);
    /* events_iterate - the events it selects (store_events_iterate); a non-zero cb return
     * stops and is returned */
    int (*events_iterate)(struct store *s, const struct store_iter *it, store_event_cb cb,
                          void *ud);
    /* events_ids - the lowest and highest event number (0, 0 when empty) */
    int (*events_ids)(struct store *s, long long *lo, long long *hi);
    int (*counts)(struct store *s, struct store_counts *out);
    /* notice_add - record n unless the same (kind, source, url) is there; *added says */
    int (*notice_add)(struct store *s, const struct store_notice *n, bool *added);
    /* notices_iterate - every notice, oldest first; a non-zero cb return stops, returned */
    int (*notices_iterate)(struct store *s, store_notice_cb cb, void *ud);

    /* The bulk path, optional (both NULL: store_add goes one event at a time through
     * put_event, as SQLite does). A backend for which a round trip per event is the cost
     * (PostgreSQL) sets both: store_add then queues the events of a batch and, at the batch
     * boundary, calls put_events, then prefetch, then runs the rules of the new events in
     * input order through state_get/state_put/supp_set/alert_add, then commit.
     * put_events - insert the events whose key is new, in one go; inserted[i] says which
     * (of two equal events in ev, the first is the new one) */
    int (*put_events)(struct store *s, const struct store_event *ev, size_t n, bool *inserted);
    /* prefetch - read, and lock for the open transaction, the rules' state and the list
     * entries of addrs (n distinct addresses): the rule calls that follow in the same
     * transaction are answered from memory and their writes sent at commit */
    int (*prefetch)(struct store *s, const char *const *addrs, size_t n);
    /* stream - optional (NULL = nothing): e was queued for the next put_events (e is the
     * queue's copy, valid until then); a backend may start sending it, so the server works
     * while the caller reads on. Failures only turn streaming off: put_events decides. */
    void (*stream)(struct store *s, const struct store_event *e);
};

/* What the store_add calls on a handle have done so far (committed batches only). */
struct store_totals {
    unsigned long long added, dup, suppressed, alerts;
};

struct store_batch; /* events queued for the bulk path (store.c) */

/* The head every backend's handle starts with. */
struct store {
    const struct store_ops *ops;
    struct suppress_config cfg;
    bool in_tx;
    unsigned long pending; /* events in the open transaction */
    char path[4096];       /* target as opened (second connections read it; it may hold a
                              password: print shown instead) */
    char shown[512];       /* the target for messages, a connection string's password hidden */
    char err[STORE_ERR_CAP];
    bool retry;                 /* set by a backend: the failed transaction may succeed when
                                   run again (deadlock, serialization failure, a race lost) */
    struct store_totals totals; /* store_totals() */
    struct store_batch *batch;  /* the bulk path's queue; owned by store.c */
    bool per_event;             /* store_open_opts.per_event */
};

/* Outcome of store_add for one event. */
struct store_add_result {
    bool inserted;   /* new event (false: already stored, nothing else done) */
    bool suppressed; /* the rules added the recipient to the suppression list */
    bool sender_alert;
    bool queued;      /* bulk path: the event waits in the batch, the three flags above are
                         false and its outcome is counted in store_totals() when the batch
                         commits */
    const char *rule; /* static, when suppressed */
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops; /* store_pg.c: postgresql://... targets */

#define STORE_RETRIES 8 /* times the bulk path runs a batch again after a lost race */
/* Events per transaction when the config leaves batch_events at 0. SQLite: every commit
 * rewrites each page its random-keyed tables (suppressions, recipient_state) were touched
 * on, so fewer, bigger commits write less (bench_store, 10M events: 186k events/s at 10000,
 * 210k at 50000). PostgreSQL: docs/postgres.md. */
#define STORE_BATCH_SQLITE 50000
#define STORE_BATCH_PG 10000

/* store_pg_redact - target into out (size cap) with the password of a connection string
 * (user:password@ and password=...) replaced by "***" (store_pg.c). */
void store_pg_redact(const char *target, char *out, size_t cap);

/* store_default_path - $XDG_DATA_HOME/rebound/rebound.db, else
 * $HOME/.local/share/rebound/rebound.db, into out (size cap). RB_OK, or RB_EINVAL when
 * neither variable is set or the path does not fit. */
int store_default_path(char *out, size_t cap);

/* store_open - open (or with o->create, create) the store at target with the rules'
 * config cfg (NULL = defaults; copied). Caller closes *out with store_close, also on
 * failure, after reading store_error(*out). Returns RB_OK, RB_ENOMEM, RB_EINVAL (a target
 * no backend handles), RB_EPARSE (not a rebound store: garbage, corrupt or foreign file,
 * newer schema) or RB_EIO (missing, read-only, locked, I/O). */
int store_open(struct store **out, const char *target, const struct store_open_opts *o,
               const struct suppress_config *cfg);
/* store_close - roll back an open transaction (store_finish commits) and free; NULL-safe;
 * returns NULL. */
struct store *store_close(struct store *s);
/* store_error - why the last call failed (owned by s); "" when none. */
const char *store_error(const struct store *s);

/* store_event_key - compute e->key from e's fields: SipHash-2-4 (two fixed keys, 128 bits)
 * of the format and the source's event id (and the recipient, when there is one: a
 * provider may give one id to a notification naming several) when there is one, else of
 * the format, kind,
 * queue id, message id, recipient, time, delay, reply code, status and text. Stable across runs
 * and versions (docs/store.md). */
void store_event_key(struct store_event *e);
/* store_hash128 - SipHash-2-4 of (p, n) under the two fixed keys of event keys, 128 bits in
 * out: for a backend's in-memory tables, where two strings must not share a hash (no
 * collision is findable without 2^64 work). */
void store_hash128(const void *p, size_t n, uint64_t out[2]);
/* store_key_hex - 32 lower-case hex digits of key into out (size >= 33). */
void store_key_hex(const unsigned char key[STORE_KEY_BYTES], char *out);

/* store_event_from_rb - fill e from an ingest event (strings borrowed from ev; addr, of
 * size SUPPRESS_MAX_ADDRESS, receives the normalised recipient). The key is left zero:
 * call store_event_key() before store_add (a report reads events without storing them and
 * has no use for the hash). */
void store_event_from_rb(struct store_event *e, const rb_event *ev, char *addr);
/* store_event_from_record - the same for a record of a parsed bounce email. */
void store_event_from_record(struct store_event *e, const rb_record *r, char *addr);

/* store_add - store one event and apply the rules if it is new (inside a batched
 * transaction that it opens when none is). r may be NULL. */
int store_add(struct store *s, const struct store_event *e, struct store_add_result *r);
/* store_begin - open a write transaction now (store_add and the list's writes then join
 * it until store_finish or a batch boundary); for bulk imports. */
int store_begin(struct store *s);
/* store_finish - commit the open batch, if any (on the bulk path: store the queued events,
 * apply their rules and commit). */
int store_finish(struct store *s);
/* store_totals - new events, duplicates, suppressions and sender alerts of the store_add
 * calls on s so far, counting committed batches only (exact on both paths, where the
 * per-call result of a queued event is not). */
void store_totals(const struct store *s, struct store_totals *out);

/* store_suppress_set - add (or with replace, overwrite) an entry, in its own transaction
 * unless one is open. *changed may be NULL. */
int store_suppress_set(struct store *s, const struct store_suppression *e, bool replace,
                       bool *changed);
/* store_suppress_remove - remove addr (normalised by the caller); *removed may be NULL. */
int store_suppress_remove(struct store *s, const char *addr, bool *removed);
/* store_suppress_get - entry of addr; strings valid until the next call on s. */
int store_suppress_get(struct store *s, const char *addr, struct store_suppression *out,
                       bool *found);
/* store_suppress_iterate - every entry in address order (see store_ops.supp_iterate). */
int store_suppress_iterate(struct store *s, store_supp_cb cb, void *ud);
/* store_suppress_count - entries on the list (to size a reader's table). */
int store_suppress_count(struct store *s, unsigned long long *n);
/* store_state_get - the rules' state of addr (for tests and reports). */
int store_state_get(struct store *s, const char *addr, struct suppress_state *st, bool *found);
/* Flags of store_events_iterate. */
#define STORE_ITER_UNORDERED 1u /* any order: a scan in storage order, the fastest */
#define STORE_ITER_BRIEF                                                                           \
    2u /* only what a report reads: sender, rhost, vmta, queue and                                 \
          message ids, source event id and format are "", scope and                                \
          remedy 0, key zero; text only for failures and complaints */
/* store_events_iterate - the events with since <= time < until (0 = no bound) and, when
 * id_to > 0, event numbers id_from <= id < id_to (store_events_ids: so several connections
 * can each read a part); in time order unless STORE_ITER_UNORDERED (see store_event_cb). */
int store_events_iterate(struct store *s, const struct store_iter *it, store_event_cb cb, void *ud);
/* store_events_ids - the lowest and highest event number stored (events are numbered in the
 * order they were stored; 0, 0 when there are none). */
int store_events_ids(struct store *s, long long *lo, long long *hi);
/* store_counts - totals (counting rows: slow on a big store). */
int store_counts(struct store *s, struct store_counts *out);
/* store_notice_add - record a notice once (in its own transaction unless one is open);
 * *added may be NULL. */
int store_notice_add(struct store *s, const struct store_notice *n, bool *added);
/* store_notices_iterate - every notice, oldest first. */
int store_notices_iterate(struct store *s, store_notice_cb cb, void *ud);

#endif /* RB_STORE_H */
