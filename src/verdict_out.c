/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * verdict_out.c - verdict -> JSON fields and retry advice; see verdict_out.h.
 */
#include "verdict_out.h"

#include <string.h>

#include "json_out.h"

const char *verdict_retry_advice(const rb_verdict *v)
{
    switch (v->remedy) {
    case RB_REMEDY_SUPPRESS_RECIPIENT:
        return "do not retry; suppress the address";
    case RB_REMEDY_RETRY_LATER:
        if (v->category == RB_CAT_GREYLISTING)
            return "retry in a few minutes; greylisting accepts the second attempt";
        if (v->category == RB_CAT_MAILBOX)
            return "retry over hours; suppress if it keeps failing for days";
        return v->permanent ? "retry once later; investigate if it repeats"
                            : "retry with back-off up to the queue lifetime";
    case RB_REMEDY_SLOW_DOWN:
        return "retry later at a lower rate to this receiver";
    case RB_REMEDY_FIX_AUTHENTICATION:
        return "retry only after fixing SPF/DKIM/DMARC/PTR; the recipient is fine";
    case RB_REMEDY_CHECK_BLOCKLIST:
        return "retry after delisting; the recipient is fine";
    case RB_REMEDY_FIX_CONTENT:
        return "retry only with changed content";
    case RB_REMEDY_SHRINK_MESSAGE:
        return "retry with a smaller message";
    case RB_REMEDY_FIX_ADDRESS_SYNTAX:
        return "do not retry as written; correct the address";
    case RB_REMEDY_FIX_SENDING_CONFIG:
        return "retry after fixing the sending setup";
    case RB_REMEDY_CONTACT_RECEIVER:
        return v->permanent ? "do not retry unchanged; contact the receiver's postmaster"
                            : "retry later; contact the receiver if it persists";
    case RB_REMEDY_NONE:
    default:
        return "nothing to do";
    }
}

int verdict_json_fields(struct buf *b, int *first, const rb_verdict *v)
{
    return verdict_json_fields_opt(b, first, v, 0);
}

int verdict_json_fields_opt(struct buf *b, int *first, const rb_verdict *v, unsigned flags)
{
    const rb_reply *r = &v->reply;
    int rc = RB_OK;
    char auth[96];
    rb_status_info si;
    rb_replycode_info ri;
    int compact = (flags & VERDICT_COMPACT) != 0;
    int have_si = !compact && r->status_class &&
                  rb_status_lookup(r->status_class, r->status_subject, r->status_detail, &si);
    int have_ri = !compact && r->replycode && rb_replycode_lookup(r->replycode, &ri);

#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((rc = (x)) != RB_OK)                                                                   \
            return rc;                                                                             \
    } while (0)
/* in compact form, absent values are left out instead of written as null */
#define OPT_STR(k, val)                                                                            \
    do {                                                                                           \
        const char *val_ = (val);                                                                  \
        if (!compact || val_)                                                                      \
            TRY(json_key_str(b, first, k, val_));                                                  \
    } while (0)
    if (r->replycode)
        TRY(json_key_int(b, first, "replycode", r->replycode));
    else if (!compact)
        TRY(json_key_raw(b, first, "replycode", "null"));
    OPT_STR("deliverystatus", r->status[0] ? r->status : NULL);
    TRY(json_key_str(b, first, "reason", rb_reason_name(v->reason)));
    TRY(json_key_str(b, first, "category", rb_category_name(v->category)));
    TRY(json_key_bool(b, first, "permanent", v->permanent));
    TRY(json_key_bool(b, first, "hardbounce", v->hardbounce));
    TRY(json_key_str(b, first, "scope", rb_scope_name(v->scope)));
    TRY(json_key_str(b, first, "remedy", rb_remedy_name(v->remedy)));
    TRY(json_key_bool(b, first, "suppress", v->remedy == RB_REMEDY_SUPPRESS_RECIPIENT));
    TRY(json_key_str(b, first, "retry", verdict_retry_advice(v)));
    OPT_STR("provider", v->provider);
    OPT_STR("blocklist", v->blocklist);
    OPT_STR("listed", v->listed[0] ? v->listed : NULL);
    /* auth as an array of names */
    rb_auth_names(v->auth, auth, sizeof auth);
    if (!compact || auth[0]) {
        TRY(json_key_raw(b, first, "auth", "["));
        for (char *p = auth; *p;) {
            char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            if (p != auth)
                TRY(buf_putc(b, ','));
            TRY(json_str(b, p, n));
            p += n + (comma ? 1 : 0);
        }
        TRY(buf_putc(b, ']'));
    }
    TRY(json_key_int(b, first, "confidence", v->confidence));
    TRY(json_key_str(b, first, "rule", v->rule));
    OPT_STR("token", r->token[0] ? r->token : NULL);
    OPT_STR("smtpcommand", r->command[0] ? r->command : NULL);
    OPT_STR("diagnostictype", r->diagtype[0] ? r->diagtype : NULL);
    if (!compact || (r->flags & RB_REPLY_CODE_MISMATCH))
        TRY(json_key_bool(b, first, "code_mismatch", (r->flags & RB_REPLY_CODE_MISMATCH) != 0));
    if (compact)
        return RB_OK;
    TRY(json_key_str(b, first, "class_meaning", have_si ? si.class_title : NULL));
    TRY(json_key_str(b, first, "subject_meaning", have_si ? si.subject_title : NULL));
    TRY(json_key_str(b, first, "detail_meaning", have_si ? si.detail_title : NULL));
    TRY(json_key_str(b, first, "status_meaning", have_si ? si.meaning : NULL));
    TRY(json_key_str(b, first, "replycode_meaning", have_ri ? ri.meaning : NULL));
    TRY(json_key_str(b, first, "provider_meaning", v->provider_meaning));
#undef TRY
#undef OPT_STR
    return rc;
}
