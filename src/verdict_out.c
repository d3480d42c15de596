/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * verdict_out.c - verdict -> JSON fields and retry advice; see verdict_out.h.
 */
#include "verdict_out.h"

#include <stdbool.h>
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

/* ---- compact form, written directly into one reservation ----------------------------------- */

#define KEY(d, first, lit) json_put_key((d), (first), (lit), sizeof(lit) - 1)
/* room beyond the strings: keys, bools, commas, "null"s of the fixed block; keys, numbers and
 * brackets of the other compact fields */
#define FIXED_ROOM 128
#define OTHER_ROOM 320

enum { FX_REASON, FX_CATEGORY, FX_SCOPE, FX_REMEDY, FX_RETRY, FX__N };

/* put_str_or_null - s as a JSON string at d, or null; returns the end */
static char *put_str_or_null(char *d, const char *s, size_t n)
{
    if (!s) {
        memcpy(d, "null", 4);
        return d + 4;
    }
    return json_put_str(d, s, n);
}

/* put_bool - true or false at d; returns the end */
static char *put_bool(char *d, bool v)
{
    if (v) {
        memcpy(d, "true", 4);
        return d + 4;
    }
    memcpy(d, "false", 5);
    return d + 5;
}

/* fixed_names - the fixed block's strings and their lengths; returns the room it needs */
static size_t fixed_names(const rb_verdict *v, const char *s[FX__N], size_t n[FX__N])
{
    s[FX_REASON] = rb_reason_name(v->reason);
    s[FX_CATEGORY] = rb_category_name(v->category);
    s[FX_SCOPE] = rb_scope_name(v->scope);
    s[FX_REMEDY] = rb_remedy_name(v->remedy);
    s[FX_RETRY] = verdict_retry_advice(v);
    size_t room = FIXED_ROOM;
    for (int i = 0; i < FX__N; i++) {
        n[i] = s[i] ? strlen(s[i]) : 0;
        room += JSON_STR_MAX(n[i]);
    }
    return room;
}

/* put_fixed - "reason":..,"retry":.. (no leading comma) at d; returns the end */
static char *put_fixed(char *d, const rb_verdict *v, const char *const s[FX__N],
                       const size_t n[FX__N])
{
    int first = 1;
    d = KEY(d, &first, "reason");
    d = put_str_or_null(d, s[FX_REASON], n[FX_REASON]);
    d = KEY(d, &first, "category");
    d = put_str_or_null(d, s[FX_CATEGORY], n[FX_CATEGORY]);
    d = KEY(d, &first, "permanent");
    d = put_bool(d, v->permanent);
    d = KEY(d, &first, "hardbounce");
    d = put_bool(d, v->hardbounce);
    d = KEY(d, &first, "scope");
    d = put_str_or_null(d, s[FX_SCOPE], n[FX_SCOPE]);
    d = KEY(d, &first, "remedy");
    d = put_str_or_null(d, s[FX_REMEDY], n[FX_REMEDY]);
    d = KEY(d, &first, "suppress");
    d = put_bool(d, v->remedy == RB_REMEDY_SUPPRESS_RECIPIENT);
    d = KEY(d, &first, "retry");
    return put_str_or_null(d, s[FX_RETRY], n[FX_RETRY]);
}

/* fixed_key - the cache key of the fixed block (every input of put_fixed), or 0 when one is
 * out of range */
static unsigned long long fixed_key(const rb_verdict *v)
{
    unsigned r = (unsigned)v->reason, c = (unsigned)v->category, s = (unsigned)v->scope,
             m = (unsigned)v->remedy;
    if (r > 0xffff || c > 0xffff || s > 0xff || m > 0xff)
        return 0;
    return 1ull << 63 | (unsigned long long)r | (unsigned long long)c << 16 |
           (unsigned long long)s << 32 | (unsigned long long)m << 40 |
           (unsigned long long)v->permanent << 48 | (unsigned long long)v->hardbounce << 49;
}

int verdict_json_compact(struct buf *b, int *first, const rb_verdict *v,
                         struct verdict_json_cache *c)
{
    const rb_reply *r = &v->reply;
    char auth[96];
    auth[0] = '\0';
    if (v->auth)
        rb_auth_names(v->auth, auth, sizeof auth);
/* most of these are empty: no call for them */
#define LEN(s) ((s)[0] ? strlen(s) : 0)
    size_t nstatus = LEN(r->status), nprov = v->provider ? strlen(v->provider) : 0,
           nbl = v->blocklist ? strlen(v->blocklist) : 0, nlisted = LEN(v->listed),
           nauth = LEN(auth), nrule = v->rule ? strlen(v->rule) : 0, ntoken = LEN(r->token),
           ncmd = LEN(r->command), ndiag = LEN(r->diagtype);
#undef LEN

    /* the fixed block: a cached copy, or written in place */
    const char *fx_s[FX__N];
    size_t fx_n[FX__N], fx_room;
    const char *fx = NULL; /* the cached text, or NULL */
    size_t fx_len = 0;
    unsigned long long key = c ? fixed_key(v) : 0;
    if (key) {
        size_t i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 58) % VJC_SLOTS;
        if (c->slot[i].key != key) {
            /* written where the worst case fits, kept if the actual text fits the slot */
            char tmp[4 * VJC_TEXT];
            fx_room = fixed_names(v, fx_s, fx_n);
            if (fx_room <= sizeof tmp) {
                size_t n = (size_t)(put_fixed(tmp, v, fx_s, fx_n) - tmp);
                if (n <= VJC_TEXT) {
                    memcpy(c->slot[i].text, tmp, n);
                    c->slot[i].len = n;
                    c->slot[i].key = key;
                }
            }
        }
        if (c->slot[i].key == key) {
            fx = c->slot[i].text;
            fx_len = c->slot[i].len;
        }
    }
    if (!fx)
        fx_room = fixed_names(v, fx_s, fx_n);
    else
        fx_room = fx_len;

    size_t room = OTHER_ROOM + fx_room + JSON_STR_MAX(nstatus) + JSON_STR_MAX(nprov) +
                  JSON_STR_MAX(nbl) + JSON_STR_MAX(nlisted) + 2 * JSON_STR_MAX(nauth) +
                  JSON_STR_MAX(nrule) + JSON_STR_MAX(ntoken) + JSON_STR_MAX(ncmd) +
                  JSON_STR_MAX(ndiag);
    int rc = buf_reserve(b, room);
    if (rc != RB_OK)
        return rc;
    char *d = b->p + b->len;
    if (r->replycode) {
        d = KEY(d, first, "replycode");
        d = json_put_int(d, r->replycode);
    }
    if (nstatus) {
        d = KEY(d, first, "deliverystatus");
        d = json_put_str(d, r->status, nstatus);
    }
    if (!*first)
        *d++ = ',';
    *first = 0;
    if (fx) {
        memcpy(d, fx, fx_len);
        d += fx_len;
    } else {
        d = put_fixed(d, v, fx_s, fx_n);
    }
    if (v->provider) {
        d = KEY(d, first, "provider");
        d = json_put_str(d, v->provider, nprov);
    }
    if (v->blocklist) {
        d = KEY(d, first, "blocklist");
        d = json_put_str(d, v->blocklist, nbl);
    }
    if (nlisted) {
        d = KEY(d, first, "listed");
        d = json_put_str(d, v->listed, nlisted);
    }
    if (nauth) { /* an array of the comma-separated names */
        d = KEY(d, first, "auth");
        *d++ = '[';
        for (char *p = auth; *p;) {
            char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            if (p != auth)
                *d++ = ',';
            d = json_put_str(d, p, n);
            p += n + (comma ? 1 : 0);
        }
        *d++ = ']';
    }
    d = KEY(d, first, "confidence");
    d = json_put_int(d, v->confidence);
    d = KEY(d, first, "rule");
    d = put_str_or_null(d, v->rule, nrule);
    if (ntoken) {
        d = KEY(d, first, "token");
        d = json_put_str(d, r->token, ntoken);
    }
    if (ncmd) {
        d = KEY(d, first, "smtpcommand");
        d = json_put_str(d, r->command, ncmd);
    }
    if (ndiag) {
        d = KEY(d, first, "diagnostictype");
        d = json_put_str(d, r->diagtype, ndiag);
    }
    if (r->flags & RB_REPLY_CODE_MISMATCH) {
        d = KEY(d, first, "code_mismatch");
        d = put_bool(d, true);
    }
    b->len = (size_t)(d - b->p);
    b->p[b->len] = '\0';
    return RB_OK;
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
    if (compact)
        return verdict_json_compact(b, first, v, NULL);
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
