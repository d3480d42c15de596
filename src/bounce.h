/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce.h - internals shared by the bounce decoder (bounce.c) and its text dialects
 * (bounce_text.c).
 *
 * DESCRIPTION
 *   The decoder gathers, per message, a list of pending records (struct prec) whose strings
 *   live in one arena (NUL-terminated, addressed by offset so the arena can grow), then
 *   classifies and emits them. Dialects only append pending records.
 */
#ifndef RB_BOUNCE_H
#define RB_BOUNCE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "dsn.h"
#include "mime.h"
#include "rebound.h"
#include "slice.h"

#define BOUNCE_MAX_RCPT 10000        /* records per message; more are dropped + flagged */
#define BOUNCE_MAX_NOTICE (4u << 20) /* decoded human-readable text kept per message */
#define BOUNCE_MAX_ARENA (16u << 20) /* strings kept per message */

/* A pending record: offsets into the arena (0 is the empty string). */
struct prec {
    size_t rcpt;
    size_t diag;
    size_t action;
    size_t status;
    size_t rhost;
    size_t date;
    size_t command; /* SMTP command the reply answered: "RCPT", "DATA", "MAIL", "CONN" ... */
    int replycode;
    rb_reason hint;
    int temporary; /* the format says the failure is transient (pseudo status class 4) */
    int cmd_read;  /* command was looked for already (it may be "", none named) */
    int mailer;    /* delivered to a local program (pipe recipient, X-Unix diagnostic type) */
    unsigned defects;
};

/* An address found in the notice (offset into bp->notice), for text_diag_for's index. */
struct addr_ref {
    uint32_t hash;
    size_t off, len;
};

struct rb_parser {
    const rb_classifier *c;
    rb_scratch *s;
    const rb_mem *mem;
    struct mime_msg mm;
    struct mime_cvt cv;
    struct dsn_report dsn;
    struct buf notice; /* decoded text of the human-readable part (UTF-8) */
    size_t notice_end; /* where the returned copy of the original message starts */
    struct buf arena;
    struct buf tmp;
    struct buf body; /* decoded delivery-status / feedback-report body (slices point here) */
    struct prec *recs;
    size_t nrec, cap;
    size_t dropped;
    struct addr_ref *addrs; /* index of the notice's addresses, built on first use */
    size_t naddr, addr_cap;
    int index_built;
    /* message-level strings (arena offsets) */
    size_t addresser, subject, messageid, listid, feedbacktype, lhost, agent;
    size_t dkim_d, dkim_s, date, bounce_to, bounce_from;
    unsigned defects;
};

/* arena_add - copy (p, n) into the arena as a NUL-terminated string; returns its offset
 * (0, the empty string, when n is 0 or the arena is full: the caller's field is then
 * empty, and the message is flagged RB_DEFECT_LIMIT). */
size_t arena_add(struct rb_parser *bp, const char *p, size_t n);
/* arena_str - the string at offset off. */
const char *arena_str(const struct rb_parser *bp, size_t off);
/* prec_add - append an empty pending record; NULL when BOUNCE_MAX_RCPT is reached. */
struct prec *prec_add(struct rb_parser *bp);
/* prec_find - index of the pending record for addr (case-insensitive), or -1. */
long prec_find(const struct rb_parser *bp, struct slice addr);

/* text_records - decode recipients and their diagnostics from the human-readable notice
 * (bp->notice up to bp->notice_end) for bounces that carry no delivery-status part.
 * Appends pending records in the order the notice lists them. */
int text_records(struct rb_parser *bp);
/* text_diag_for - the notice paragraph that concerns addr (for DSN records whose
 * Diagnostic-Code is missing); empty slice if none. Borrowed from bp->notice. */
struct slice text_diag_for(struct rb_parser *bp, struct slice addr);
/* text_block - t (a slice of the notice) extended to the blank line that ends its block,
 * at most TEXT_MAX_DIAG bytes: a paragraph stops at a line that repeats its address, but
 * the SMTP command may be named there. Borrowed from bp->notice. */
struct slice text_block(const struct rb_parser *bp, struct slice t);
/* text_original_start - offset in (p, len) where a returned copy of the original message
 * starts, or len if there is none. */
size_t text_original_start(const char *p, size_t len);

/* classify_code_prio - (classify.c) how much the reply's codes alone say: the prio of its
 * status-map row or basic-code row (data/status-map.tsv), the higher; 0 if neither. */
int classify_code_prio(const rb_reply *rp);
/* classify_recast - (classify.c) give verdict v another reason, decided by the bounce's
 * format rather than a rule: category, scope, remedy and hardbounce follow the reason's
 * defaults under the classifier's safety invariant; rule is a static id. */
void classify_recast(rb_verdict *v, rb_reason reason, const char *rule);
/* classify_host_provider - (classify.c) provider id for a host name by suffix, or NULL. */
const char *classify_host_provider(const char *host, size_t n);

#endif /* RB_BOUNCE_H */
