/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dsn.c - RFC 3464 delivery-status field groups; see dsn.h.
 */
#include "dsn.h"

#include <string.h>

#include "mem.h"
#include "mime.h"

void dsn_init(struct dsn_report *r, const rb_mem *mem)
{
    memset(r, 0, sizeof *r);
    r->mem = mem;
}

void dsn_free(struct dsn_report *r)
{
    mem_free(r->mem, r->rcpt);
    r->rcpt = NULL;
    r->cap = r->nrcpt = 0;
}

/* next_block - the next group of fields: lines up to a blank line. Returns false at end. */
static int next_block(const char **pp, const char *end, struct slice *blk)
{
    const char *p = *pp;
    /* skip blank lines */
    for (;;) {
        const char *q = p;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q < end && *q == '\n') {
            p = q + 1;
            continue;
        }
        if (q >= end) {
            *pp = end;
            return 0;
        }
        break;
    }
    const char *s = p;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl + 1 : end;
        const char *q = p;
        while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q < le && *q == '\n' && p != s)
            break; /* blank line ends the block */
        p = le;
    }
    blk->p = s;
    blk->len = (size_t)(p - s);
    *pp = p;
    return 1;
}

static int is_rcpt_field(struct slice name)
{
    return slice_eq_ci(name, "Final-Recipient") || slice_eq_ci(name, "Original-Recipient") ||
           slice_eq_ci(name, "X-Actual-Recipient");
}

static int add_rcpt(struct dsn_report *r, struct dsn_rcpt **out)
{
    if (r->nrcpt == DSN_MAX_RCPT) {
        r->dropped++;
        *out = NULL;
        return RB_OK;
    }
    if (r->nrcpt == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 8;
        if (nc > DSN_MAX_RCPT)
            nc = DSN_MAX_RCPT;
        struct dsn_rcpt *n = mem_realloc(r->mem, r->rcpt, nc * sizeof *n);
        if (!n)
            return RB_ENOMEM;
        r->rcpt = n;
        r->cap = nc;
    }
    *out = &r->rcpt[r->nrcpt++];
    memset(*out, 0, sizeof **out);
    return RB_OK;
}

static void set_rcpt_field(struct dsn_rcpt *d, struct slice name, struct slice v)
{
    static const struct {
        const char *name;
        size_t off;
    } map[] = {
        {"Final-Recipient", offsetof(struct dsn_rcpt, final_recipient)},
        {"Original-Recipient", offsetof(struct dsn_rcpt, original_recipient)},
        {"X-Actual-Recipient", offsetof(struct dsn_rcpt, x_actual_recipient)},
        {"Action", offsetof(struct dsn_rcpt, action)},
        {"Status", offsetof(struct dsn_rcpt, status)},
        {"Remote-MTA", offsetof(struct dsn_rcpt, remote_mta)},
        {"Diagnostic-Code", offsetof(struct dsn_rcpt, diagnostic_code)},
        {"Last-Attempt-Date", offsetof(struct dsn_rcpt, last_attempt_date)},
        {"Will-Retry-Until", offsetof(struct dsn_rcpt, will_retry_until)},
        {"X-PowerMTA-BounceCategory", offsetof(struct dsn_rcpt, x_bounce_category)},
    };
    for (size_t k = 0; k < sizeof map / sizeof map[0]; k++) {
        if (slice_eq_ci(name, map[k].name)) {
            struct slice *dst = (struct slice *)(void *)((char *)d + map[k].off);
            if (!dst->len) /* the first occurrence wins */
                *dst = v;
            return;
        }
    }
}

static void set_msg_field(struct dsn_report *r, struct slice name, struct slice v)
{
    if (slice_eq_ci(name, "Reporting-MTA"))
        r->reporting_mta = v;
    else if (slice_eq_ci(name, "Received-From-MTA"))
        r->received_from_mta = v;
    else if (slice_eq_ci(name, "Arrival-Date"))
        r->arrival_date = v;
    else if (slice_eq_ci(name, "X-Postfix-Sender"))
        r->x_postfix_sender = v;
    else if (slice_eq_ci(name, "X-Original-Message-ID"))
        r->x_original_message_id = v;
}

int dsn_parse(struct dsn_report *r, const char *p, size_t len)
{
    memset(&r->reporting_mta, 0, sizeof r->reporting_mta);
    r->received_from_mta = r->arrival_date = r->x_postfix_sender = r->x_original_message_id =
        r->reporting_mta;
    r->nrcpt = 0;
    r->dropped = 0;
    const char *cur = p, *end = p + len;
    struct slice blk;
    while (next_block(&cur, end, &blk)) {
        struct mime_hdr_iter it;
        struct slice name, v;
        struct dsn_rcpt *d = NULL;
        /* A block that names a recipient anywhere is a per-recipient block, even when its
         * Status or Diagnostic-Code come before Final-Recipient (some providers write them
         * in that order); the first block without one is the per-message group. */
        int has_rcpt = 0;
        mime_hdr_iter_init(&it, blk);
        while (!has_rcpt && mime_hdr_next(&it, &name, &v))
            has_rcpt = is_rcpt_field(name);
        mime_hdr_iter_init(&it, blk);
        while (mime_hdr_next(&it, &name, &v)) {
            if (!has_rcpt) {
                set_msg_field(r, name, v);
                continue;
            }
            /* a new recipient starts when its address field repeats within a block
             * (reports that forget the blank line between recipients) */
            int repeat = d && is_rcpt_field(name) &&
                         ((slice_eq_ci(name, "Final-Recipient") && d->final_recipient.len) ||
                          (slice_eq_ci(name, "Original-Recipient") && d->original_recipient.len &&
                           d->final_recipient.len));
            if (!d || repeat) {
                int rc = add_rcpt(r, &d);
                if (rc != RB_OK)
                    return rc;
                if (!d)
                    break; /* DSN_MAX_RCPT reached: counted in dropped */
            }
            set_rcpt_field(d, name, v);
        }
    }
    return RB_OK;
}

struct slice dsn_value_untyped(struct slice v)
{
    if (!v.len)
        return slice_make("", 0);
    const char *semi = memchr(v.p, ';', v.len);
    if (semi) {
        size_t k = (size_t)(semi - v.p);
        /* only a short atom before ';' is a type ("rfc822", "dns", "smtp", "X-Postfix") */
        int atom = k > 0 && k < 24;
        for (size_t i = 0; i < k && atom; i++) {
            unsigned char c = (unsigned char)v.p[i];
            atom = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_' || c == ' ';
        }
        if (atom) {
            v.p = semi + 1;
            v.len -= k + 1;
        }
    }
    return slice_trim(v);
}

struct slice dsn_value_addr(struct slice v)
{
    v = dsn_value_untyped(v);
    if (!v.len)
        return v;
    const char *lt = memchr(v.p, '<', v.len);
    if (lt) {
        const char *gt = memchr(lt, '>', v.len - (size_t)(lt - v.p));
        if (gt && gt > lt + 1) {
            v.p = lt + 1;
            v.len = (size_t)(gt - lt - 1);
        }
    }
    /* drop folds and surrounding blanks/quotes */
    v = slice_trim(v);
    while (v.len && (v.p[v.len - 1] == '.' || v.p[v.len - 1] == ';'))
        v.len--;
    return v;
}
