/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * verdict_out.h - a verdict as JSON fields (shared by explain, parse, ingest, serve).
 *
 * DESCRIPTION
 *   verdict_json_fields() appends the classification fields of an rb_verdict as
 *   "key":value pairs (no braces) so each front end can wrap them with its own fields.
 *   Field names follow Sisimai where one exists (replycode, deliverystatus, reason,
 *   hardbounce, smtpcommand, diagnostictype).
 */
#ifndef RB_VERDICT_OUT_H
#define RB_VERDICT_OUT_H

#include "buf.h"
#include "rebound.h"

/* verdict_json_fields - append the fields; *first as in json_out.h. RB_OK or RB_E*. */
int verdict_json_fields(struct buf *b, int *first, const rb_verdict *v) BUF_WARN_UNUSED;

/* verdict_json_fields_opt - with flags: VERDICT_COMPACT leaves out absent values and the
 * catalog's prose (meanings), for high-volume output (ingest). */
enum { VERDICT_COMPACT = 1u << 0 };
int verdict_json_fields_opt(struct buf *b, int *first, const rb_verdict *v,
                            unsigned flags) BUF_WARN_UNUSED;

/* verdict_json_cache - the JSON of the fields a verdict's enums fix (reason, category,
 * permanent, hardbounce, scope, remedy, suppress, retry), kept per distinct combination: a log
 * has few, so high-volume output copies them instead of escaping the same names per record.
 * Owned by the caller (zero it before use); one per thread. */
#define VJC_SLOTS 64
#define VJC_TEXT 448
struct verdict_json_cache {
    struct {
        unsigned long long key; /* 0 = empty */
        size_t len;
        char text[VJC_TEXT];
    } slot[VJC_SLOTS];
};

/* verdict_json_compact - the fields as verdict_json_fields_opt(VERDICT_COMPACT) writes them;
 * c may be NULL (no cache). RB_OK or RB_E*. */
int verdict_json_compact(struct buf *b, int *first, const rb_verdict *v,
                         struct verdict_json_cache *c) BUF_WARN_UNUSED;

/* verdict_retry_advice - one-line retry advice for the verdict (static string). */
const char *verdict_retry_advice(const rb_verdict *v);

#endif /* RB_VERDICT_OUT_H */
