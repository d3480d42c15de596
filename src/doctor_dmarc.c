/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * doctor_dmarc.c - DMARC (RFC 7489) for the doctor: the _dmarc record of the From domain
 *                  (or of its organizational domain), its tags, what the policy does to mail
 *                  that fails, report destinations, and SPF alignment of the sending domain.
 *
 * DESCRIPTION
 *   The record is asked at _dmarc.FROM, then at _dmarc.ORG when FROM has none (the
 *   subdomain then gets sp=, or p= when sp= is absent). Tag syntax follows RFC 7489 6.3: the
 *   first tag is v=DMARC1, p= is required, unknown tags are ignored. An external rua/ruf
 *   destination must authorize the reports with FROM._report._dmarc.DEST.
 *
 * LIMITS
 *   The organizational domain is a heuristic (doctor_org_domain), not the Public Suffix List.
 */
#include <stdio.h>
#include <string.h>

#include "doctor_int.h"

const char *dmarc_policy_name(enum dmarc_policy p)
{
    static const char *const n[] = {"(unset)", "none", "quarantine", "reject", "(invalid)"};
    return n[p];
}

bool dmarc_is_record(const char *p, size_t len)
{
    /* "v" WSP* "=" WSP* "DMARC1", then the end, a WSP or ";" */
    size_t i = 0;
    if (len < 1 || (p[0] != 'v' && p[0] != 'V'))
        return false;
    i = 1;
    while (i < len && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i >= len || p[i] != '=')
        return false;
    i++;
    while (i < len && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (len - i < 6 || memcmp(p + i, "DMARC1", 6) != 0)
        return false;
    i += 6;
    return i == len || p[i] == ';' || p[i] == ' ' || p[i] == '\t';
}

static enum dmarc_policy policy_of(struct slice v)
{
    if (slice_eq_ci(v, "none"))
        return DMARC_P_NONE;
    if (slice_eq_ci(v, "quarantine"))
        return DMARC_P_QUARANTINE;
    if (slice_eq_ci(v, "reject"))
        return DMARC_P_REJECT;
    return DMARC_P_BAD;
}

static int bad(struct dmarc_record *r, struct slice tag, const char *why)
{
    if (!r->err[0])
        snprintf(r->err, sizeof r->err, "'%.*s': %s", (int)(tag.len > 60 ? 60 : tag.len), tag.p,
                 why);
    return RB_EPARSE;
}

int dmarc_parse(const char *p, size_t len, struct dmarc_record *out)
{
    memset(out, 0, sizeof *out);
    out->adkim = out->aspf = 'r';
    out->pct = 100;
    int rc = RB_OK;
    size_t i = 0, n = 0;
    bool seen_p = false;
    while (i <= len) {
        size_t s = i;
        while (i < len && p[i] != ';')
            i++;
        struct slice tag = slice_trim(slice_make(p + s, i - s));
        i++;
        if (tag.len == 0)
            continue;
        const char *eq = memchr(tag.p, '=', tag.len);
        if (!eq) {
            rc = bad(out, tag, "not tag=value");
            continue;
        }
        struct slice name = slice_trim(slice_make(tag.p, (size_t)(eq - tag.p)));
        struct slice val = slice_trim(slice_make(eq + 1, tag.len - (size_t)(eq - tag.p) - 1));
        n++;
        if (n == 1) {
            if (!slice_eq_ci(name, "v") || val.len != 6 || memcmp(val.p, "DMARC1", 6) != 0)
                rc = bad(out, tag, "the first tag must be v=DMARC1");
            continue;
        }
        if (slice_eq_ci(name, "p")) {
            seen_p = true;
            if ((out->p = policy_of(val)) == DMARC_P_BAD)
                rc = bad(out, tag, "p must be none, quarantine or reject");
        } else if (slice_eq_ci(name, "sp")) {
            if ((out->sp = policy_of(val)) == DMARC_P_BAD)
                rc = bad(out, tag, "sp must be none, quarantine or reject");
        } else if (slice_eq_ci(name, "adkim") || slice_eq_ci(name, "aspf")) {
            char *m = slice_eq_ci(name, "adkim") ? &out->adkim : &out->aspf;
            if (slice_eq_ci(val, "r") || slice_eq_ci(val, "s"))
                *m = (char)(val.p[0] | 0x20);
            else
                rc = bad(out, tag, "alignment mode must be r or s");
        } else if (slice_eq_ci(name, "pct")) {
            int v = 0;
            bool ok = val.len > 0 && val.len <= 3;
            for (size_t k = 0; ok && k < val.len; k++) {
                ok = val.p[k] >= '0' && val.p[k] <= '9';
                v = v * 10 + (val.p[k] - '0');
            }
            if (!ok || v > 100)
                rc = bad(out, tag, "pct must be 0 to 100");
            else
                out->pct = v, out->has_pct = true;
        } else if (slice_eq_ci(name, "rua")) {
            out->rua = val;
        } else if (slice_eq_ci(name, "ruf")) {
            out->ruf = val;
        } else if (slice_eq_ci(name, "fo")) {
            out->fo = val;
        } else if (slice_eq_ci(name, "rf") || slice_eq_ci(name, "ri") || slice_eq_ci(name, "np") ||
                   slice_eq_ci(name, "psd") || slice_eq_ci(name, "t")) {
            /* known (RFC 7489, DMARCbis), no effect on the checks here */
        } else if (slice_eq_ci(name, "v")) {
            rc = bad(out, tag, "v= must be the first tag, once");
        } else {
            out->unknown_tags++;
        }
    }
    if (n == 0)
        return bad(out, slice_make(p, len), "empty record");
    if (!seen_p) {
        out->p = DMARC_P_UNSET;
        rc = bad(out, slice_make(p, len > 40 ? 40 : len), "p= is required");
    }
    return rc;
}

/* two-level public suffixes common enough to matter; see doctor_int.h for why not the PSL */
static const char *const two_level[] = {
    "co.uk",  "org.uk", "ac.uk",  "gov.uk", "me.uk",  "ltd.uk", "plc.uk", "net.uk", "com.au",
    "net.au", "org.au", "edu.au", "gov.au", "co.nz",  "org.nz", "net.nz", "co.jp",  "ne.jp",
    "or.jp",  "ac.jp",  "go.jp",  "com.br", "net.br", "org.br", "co.za",  "org.za", "com.cn",
    "net.cn", "org.cn", "co.in",  "net.in", "org.in", "com.mx", "co.kr",  "or.kr",  "com.tw",
    "com.hk", "com.sg", "com.my", "co.id",  "co.il",  "com.ar", "com.tr", "co.th",  "com.ua",
    "com.pl", "com.es", "co.at",  "or.at",  "com.vn", "com.ph", "com.pk", "com.ng", "co.ke"};

void doctor_org_domain(const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    if (n && name[n - 1] == '.')
        n--;
    /* label starts from the right */
    size_t starts[4] = {0};
    int found = 0;
    for (size_t i = n; i > 0 && found < 3; i--)
        if (name[i - 1] == '.')
            starts[found++] = i;
    size_t from = 0;
    if (found >= 1) {
        from = found >= 2 ? starts[1] : 0;
        for (size_t k = 0; k < sizeof two_level / sizeof two_level[0]; k++) {
            size_t tl = strlen(two_level[k]);
            if (n - from == tl && mem_eq_ci(name + from, two_level[k], tl)) {
                from = found >= 3 ? starts[2] : 0;
                break;
            }
        }
    }
    snprintf(out, cap, "%.*s", (int)(n - from), name + from);
    for (char *c = out; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
}

bool doctor_aligned(const char *a, const char *b, bool strict)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la == lb && mem_eq_ci(a, b, la))
        return true;
    if (strict)
        return false;
    char oa[DNS_MAX_NAME + 1], ob[DNS_MAX_NAME + 1];
    doctor_org_domain(a, oa, sizeof oa);
    doctor_org_domain(b, ob, sizeof ob);
    return strcmp(oa, ob) == 0;
}

/* find_record - the DMARC records at name: count, and the first in *rec. */
static size_t find_record(const struct dns_answer *a, const struct dns_rr **rec)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++)
        if (dmarc_is_record(a->rr[i].p, a->rr[i].len))
            if (n++ == 0)
                *rec = &a->rr[i];
    return n;
}

/* check_rua - each mailto: destination of a report list: syntax, and the authorization
 * record of an external domain. */
static void check_rua(struct doctor *d, struct slice list, const char *tag, const char *owner,
                      const struct dns_rr *rec)
{
    size_t i = 0;
    while (i < list.len) {
        size_t s = i;
        while (i < list.len && list.p[i] != ',')
            i++;
        struct slice u = slice_trim(slice_make(list.p + s, i - s));
        i++;
        if (u.len == 0)
            continue;
        if (u.len < 8 || !mem_eq_ci(u.p, "mailto:", 7)) {
            if (u.len >= 8 && mem_eq_ci(u.p, "https:", 6))
                continue;
            struct doctor_finding *f = doctor_add(d, "dmarc", "dmarc.rua_syntax", DS_WARNING, owner,
                                                  "%s destination '%.*s' is not a mailto: URI", tag,
                                                  (int)(u.len > 80 ? 80 : u.len), u.p);
            doctor_evidence(d, f, rec->p, rec->len);
            doctor_fix(d, f, "write it as %s=mailto:reports@%s", tag, owner);
            continue;
        }
        const char *at = memchr(u.p, '@', u.len);
        if (!at) {
            struct doctor_finding *f =
                doctor_add(d, "dmarc", "dmarc.rua_syntax", DS_WARNING, owner,
                           "%s '%.*s' has no address", tag, (int)(u.len > 80 ? 80 : u.len), u.p);
            doctor_evidence(d, f, rec->p, rec->len);
            continue;
        }
        char dest[DNS_MAX_NAME + 1];
        size_t dl = u.len - (size_t)(at + 1 - u.p);
        const char *bang = memchr(at + 1, '!', dl); /* size limit suffix "!10m" */
        if (bang)
            dl = (size_t)(bang - at - 1);
        if (dl == 0 || dl > DNS_MAX_NAME)
            continue;
        memcpy(dest, at + 1, dl);
        dest[dl] = '\0';
        if (doctor_aligned(dest, owner, false))
            continue;
        char q[2 * DNS_MAX_NAME + 32];
        snprintf(q, sizeof q, "%s._report._dmarc.%s", owner, dest);
        const struct dns_answer *a = dns_get(d->dns, q, DNS_T_TXT);
        const struct dns_rr *r = NULL;
        if (dns_failed(a->status)) {
            doctor_add(d, "dmarc", "dmarc.rua_external", DS_UNKNOWN, owner,
                       "could not check that %s accepts reports for %s (%s: %s)", dest, owner, q,
                       dns_status_name(a->status));
        } else if (!find_record(a, &r)) {
            struct doctor_finding *f = doctor_add(
                d, "dmarc", "dmarc.rua_external", DS_WARNING, owner,
                "%s reports go to %s, which does not authorize them (no %s): receivers drop "
                "them",
                tag, dest, q);
            doctor_fix(d, f,
                       "ask %s to publish TXT \"v=DMARC1\" at %s, or send reports to an "
                       "address under %s",
                       dest, q, owner);
        }
    }
}

static const char *policy_effect(enum dmarc_policy p)
{
    switch (p) {
    case DMARC_P_REJECT:
        return "rejected";
    case DMARC_P_QUARANTINE:
        return "put in spam";
    default:
        break;
    }
    return "delivered (monitoring only)";
}

void doctor_check_dmarc(struct doctor *d)
{
    const char *from = d->from;
    char name[DNS_MAX_NAME + 16], org[DNS_MAX_NAME + 1], owner[DNS_MAX_NAME + 1];
    snprintf(name, sizeof name, "_dmarc.%s", from);
    doctor_org_domain(from, org, sizeof org);
    snprintf(owner, sizeof owner, "%s", from);
    bool sub = strcmp(org, from) != 0;
    const struct dns_answer *a = dns_get(d->dns, name, DNS_T_TXT);
    const struct dns_rr *rec = NULL;
    size_t n = 0;
    if (!dns_failed(a->status))
        n = find_record(a, &rec);
    if (!dns_failed(a->status) && n == 0 && sub) {
        snprintf(name, sizeof name, "_dmarc.%s", org);
        snprintf(owner, sizeof owner, "%s", org);
        a = dns_get(d->dns, name, DNS_T_TXT);
        if (!dns_failed(a->status))
            n = find_record(a, &rec);
    }
    if (dns_failed(a->status)) {
        doctor_add(d, "dmarc", "dmarc.dns", DS_UNKNOWN, from, "could not check DMARC: %s: %s", name,
                   dns_status_name(a->status));
        return;
    }
    if (n == 0) {
        struct doctor_finding *f = doctor_add(
            d, "dmarc", "dmarc.none", DS_WARNING, from,
            "no DMARC record (_dmarc.%s%s%s): Gmail and Yahoo refuse bulk mail without one "
            "(5.7.26), and anyone can spoof From: %s",
            from, sub ? " or _dmarc." : "", sub ? org : "", from);
        doctor_fix(d, f,
                   "publish TXT at _dmarc.%s: \"v=DMARC1; p=none; rua=mailto:dmarc@%s\", then "
                   "move to p=quarantine or p=reject once reports show all mail aligned",
                   org, org);
        return;
    }
    if (n > 1) {
        struct doctor_finding *f =
            doctor_add(d, "dmarc", "dmarc.multiple", DS_CRITICAL, owner,
                       "%zu DMARC records at %s: receivers ignore DMARC for %s", n, name, from);
        doctor_evidence(d, f, rec->p, rec->len);
        doctor_fix(d, f, "keep one TXT record starting with v=DMARC1 at %s", name);
        return;
    }
    struct dmarc_record r;
    if (dmarc_parse(rec->p, rec->len, &r) != RB_OK) {
        struct doctor_finding *f =
            doctor_add(d, "dmarc", "dmarc.syntax", DS_CRITICAL, owner,
                       "DMARC record of %s has a syntax error: %s", owner, r.err);
        doctor_evidence(d, f, rec->p, rec->len);
        doctor_fix(d, f,
                   "correct the record at %s, e.g. \"v=DMARC1; p=quarantine; "
                   "rua=mailto:dmarc@%s\"",
                   name, owner);
        if (r.p == DMARC_P_UNSET || r.p == DMARC_P_BAD)
            return;
    }
    d->dmarc_found = true;
    d->adkim = r.adkim;
    d->aspf = r.aspf;
    bool use_sp = sub && strcmp(owner, from) != 0 && r.sp != DMARC_P_UNSET && r.sp != DMARC_P_BAD;
    enum dmarc_policy eff = use_sp ? r.sp : r.p;
    struct doctor_finding *f =
        doctor_add(d, "dmarc", "dmarc.record", DS_OK, owner,
                   "DMARC record found at %s: p=%s%s%s, adkim=%c, aspf=%c, pct=%d", name,
                   dmarc_policy_name(r.p), r.sp ? ", sp=" : "", r.sp ? dmarc_policy_name(r.sp) : "",
                   r.adkim, r.aspf, r.pct);
    doctor_evidence(d, f, rec->p, rec->len);
    f = doctor_add(d, "dmarc", "dmarc.policy", DS_INFO, from,
                   "mail with From: %s that passes neither aligned SPF nor aligned DKIM is %s "
                   "(%s=%s)%s",
                   from, policy_effect(eff), use_sp ? "sp" : "p", dmarc_policy_name(eff),
                   eff == DMARC_P_REJECT || eff == DMARC_P_QUARANTINE
                       ? ": this is what 5.7.26 (Gmail), 5.7.509 (Outlook) and \"rejected by "
                         "DMARC policy\" bounces report; see the SPF and DKIM findings for why "
                         "mail was not aligned"
                       : "");
    if (eff == DMARC_P_NONE) {
        f = doctor_add(d, "dmarc", "dmarc.p_none", DS_WARNING, owner,
                       "p=none: mail that fails DMARC is still delivered, so spoofing %s is not "
                       "stopped",
                       from);
        doctor_evidence(d, f, rec->p, rec->len);
        doctor_fix(d, f,
                   "once the rua reports show your senders aligned, set p=quarantine, then "
                   "p=reject at %s",
                   name);
    }
    if (r.pct < 100 && eff != DMARC_P_NONE) {
        f = doctor_add(d, "dmarc", "dmarc.pct", DS_INFO, owner,
                       "pct=%d: the policy applies to %d%% of failing mail, the rest is treated "
                       "one step softer",
                       r.pct, r.pct);
        doctor_fix(d, f, "raise pct to 100 when ready");
    }
    if (r.sp != DMARC_P_UNSET && r.sp < r.p && r.sp != DMARC_P_BAD) {
        f = doctor_add(d, "dmarc", "dmarc.sp_weaker", DS_INFO, owner,
                       "sp=%s is weaker than p=%s: subdomains of %s can be spoofed more easily",
                       dmarc_policy_name(r.sp), dmarc_policy_name(r.p), owner);
    }
    if (r.unknown_tags) {
        f = doctor_add(d, "dmarc", "dmarc.unknown_tags", DS_INFO, owner,
                       "%u unknown tag%s (ignored by receivers)", r.unknown_tags,
                       r.unknown_tags == 1 ? "" : "s");
        doctor_evidence(d, f, rec->p, rec->len);
    }
    if (r.rua.len == 0) {
        f = doctor_add(d, "dmarc", "dmarc.no_rua", DS_INFO, owner,
                       "no rua=: you receive no aggregate reports, so unaligned senders go "
                       "unnoticed");
        doctor_fix(d, f, "add rua=mailto:dmarc@%s to the record at %s", owner, name);
    } else {
        check_rua(d, r.rua, "rua", owner, rec);
    }
    if (r.ruf.len)
        check_rua(d, r.ruf, "ruf", owner, rec);
    /* SPF alignment: the SPF-checked (envelope) domain against From */
    if (strcmp(d->domain, from) != 0) {
        bool strict = r.aspf == 's';
        if (doctor_aligned(d->domain, from, strict)) {
            doctor_add(d, "dmarc", "dmarc.spf_aligned", DS_OK, d->domain,
                       "SPF domain %s is aligned with From: %s under aspf=%c", d->domain, from,
                       r.aspf);
        } else {
            f = doctor_add(d, "dmarc", "dmarc.spf_unaligned", DS_WARNING, d->domain,
                           "SPF domain %s is not aligned with From: %s under aspf=%c: an SPF "
                           "pass does not count for DMARC",
                           d->domain, from, r.aspf);
            doctor_fix(d, f,
                       "use a Return-Path (envelope sender) under %s%s, or make sure DKIM "
                       "signs with d=%s",
                       strict ? "exactly " : "", strict ? from : org, from);
        }
    }
}
