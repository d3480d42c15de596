/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * doctor_spf.c - SPF (RFC 7208) for the doctor: record selection, the syntax of every term,
 *                macro expansion, check_host() for each sending IP, and a full walk of the
 *                include/redirect tree that counts DNS lookups and void lookups and finds
 *                loops, so a record over its limits is reported whatever IP is asked.
 *
 * DESCRIPTION
 *   check_host() follows RFC 7208 4-6: one "v=spf1" record or permerror; any syntax error in
 *   the record is permerror before evaluation; directives left to right, the first match
 *   gives its qualifier; include maps pass to a match, temperror/permerror through, none to
 *   permerror; redirect only when nothing matched and there is no "all". include, a, mx, ptr,
 *   exists and redirect count towards the 10-lookup limit, a, mx, ptr and exists answered by
 *   NXDOMAIN or no data are void lookups (more than 2: permerror), and an mx or ptr target
 *   with more than 10 names is permerror. DNS failures give temperror.
 *
 *   The walk (no IP) runs the same code where no mechanism matches, so every include and the
 *   redirect are visited and counted; it goes past the limit up to SPF_WALK_MAX_LOOKUPS to
 *   say how far over a record is. Each record's targets are asked in parallel (dns_want)
 *   before it is evaluated in order, which keeps a deep include chain to one round trip per
 *   level.
 *
 * LIMITS
 *   SPF_MAX_DEPTH levels; SPF_MAX_TERMS terms per record. Macros are expanded, but %{p} is
 *   "unknown" (the validated PTR name is not looked up), and the exp= explanation is not
 *   fetched. The sender is postmaster@DOMAIN, HELO is DOMAIN.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "doctor_int.h"
#include "mem.h"

const char *spf_result_name(enum spf_result r)
{
    static const char *const n[] = {"none",     "neutral",   "pass",     "fail",
                                    "softfail", "temperror", "permerror"};
    return n[r];
}

bool spf_is_record(const char *p, size_t len)
{
    return len >= 6 && mem_eq_ci(p, "v=spf1", 6) && (len == 6 || p[6] == ' ');
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* toplabel_ok - RFC 7208 toplabel: alphanumerics with a letter, or with an inner hyphen. */
static bool toplabel_ok(const char *p, size_t n)
{
    if (n == 0 || n > 63 || p[0] == '-' || p[n - 1] == '-')
        return false;
    bool alpha = false, hyphen = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (is_alpha(c))
            alpha = true;
        else if (c == '-')
            hyphen = true;
        else if (!is_digit(c))
            return false;
    }
    return alpha || hyphen;
}

static bool macro_letter(unsigned char c, bool exp)
{
    c = (unsigned char)(c | 0x20);
    return strchr("slodiphv", c) != NULL || (exp && strchr("crt", c) != NULL);
}

static bool is_delim(char c)
{
    return c && strchr(".-+,/_=", c) != NULL;
}

bool spf_macro_ok(struct slice s, bool need_domain_end)
{
    bool ends_macro = false;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        ends_macro = false;
        if (c == '%') {
            if (++i >= s.len)
                return false;
            c = (unsigned char)s.p[i];
            if (c == '%' || c == '_' || c == '-')
                continue;
            if (c != '{' || ++i >= s.len || !macro_letter((unsigned char)s.p[i], !need_domain_end))
                return false;
            i++;
            while (i < s.len && is_digit((unsigned char)s.p[i]))
                i++;
            if (i < s.len && (s.p[i] == 'r' || s.p[i] == 'R'))
                i++;
            while (i < s.len && is_delim(s.p[i]))
                i++;
            if (i >= s.len || s.p[i] != '}')
                return false;
            ends_macro = true;
        } else if (c < 0x21 || c > 0x7e) {
            return false;
        }
    }
    if (!need_domain_end)
        return true;
    if (ends_macro)
        return true;
    /* "." toplabel [ "." ] at the end */
    size_t e = s.len;
    if (e && s.p[e - 1] == '.')
        e--;
    size_t b = e;
    while (b > 0 && s.p[b - 1] != '.')
        b--;
    return b > 0 && toplabel_ok(s.p + b, e - b);
}

static int set_err(char *err, size_t cap, struct slice term, const char *why)
{
    int tl = term.len > 80 ? 80 : (int)term.len;
    snprintf(err, cap, "'%.*s'%s: %s", tl, term.p, term.len > 80 ? "..." : "", why);
    return -1;
}

/* parse_cidr - "/N" at p (n bytes) with N <= max; returns bytes used or -1. */
static int parse_cidr(const char *p, size_t n, int max, int *out)
{
    if (n < 2 || p[0] != '/' || !is_digit((unsigned char)p[1]))
        return -1;
    size_t i = 1;
    int v = 0;
    while (i < n && is_digit((unsigned char)p[i]) && i < 5)
        v = v * 10 + (p[i++] - '0');
    if (v > max || (p[1] == '0' && i > 2))
        return -1;
    *out = v;
    return (int)i;
}

int spf_next_term(const char *p, size_t len, size_t *pos, struct spf_term *t, char *err,
                  size_t errcap)
{
    size_t i = *pos;
    if (i == 0)
        i = 6; /* "v=spf1": the caller selected the record with spf_is_record */
    while (i < len && p[i] == ' ')
        i++;
    if (i >= len) {
        *pos = i;
        return 0;
    }
    size_t s = i;
    while (i < len && p[i] != ' ')
        i++;
    *pos = i;
    memset(t, 0, sizeof *t);
    t->text = slice_make(p + s, i - s);
    t->cidr4 = 32;
    t->cidr6 = 128;
    t->qual = '+';
    const char *q = p + s, *e = p + i;
    /* a modifier: name "=" value */
    size_t k = 0;
    if (is_alpha((unsigned char)q[0])) {
        k = 1;
        while (q + k < e && (is_alpha((unsigned char)q[k]) || is_digit((unsigned char)q[k]) ||
                             q[k] == '-' || q[k] == '_' || q[k] == '.'))
            k++;
    }
    if (k && q + k < e && q[k] == '=') {
        struct slice name = slice_make(q, k);
        t->spec = slice_make(q + k + 1, (size_t)(e - q - (ptrdiff_t)k - 1));
        if (slice_eq_ci(name, "redirect"))
            t->mech = SPF_M_REDIRECT;
        else if (slice_eq_ci(name, "exp"))
            t->mech = SPF_M_EXP;
        else
            t->mech = SPF_M_UNKNOWN_MOD;
        bool dom = t->mech != SPF_M_UNKNOWN_MOD;
        if ((dom && t->spec.len == 0) || !spf_macro_ok(t->spec, dom))
            return set_err(err, errcap, t->text, "invalid domain-spec or macro");
        return 1;
    }
    if (q < e && strchr("+-~?", q[0]))
        t->qual = *q++;
    const char *m = q;
    while (q < e && *q != ':' && *q != '/')
        q++;
    struct slice mech = slice_make(m, (size_t)(q - m));
    static const struct {
        const char *name;
        enum spf_mech m;
    } mechs[] = {{"all", SPF_M_ALL}, {"include", SPF_M_INCLUDE}, {"a", SPF_M_A},
                 {"mx", SPF_M_MX},   {"ptr", SPF_M_PTR},         {"ip4", SPF_M_IP4},
                 {"ip6", SPF_M_IP6}, {"exists", SPF_M_EXISTS}};
    size_t mi = 0;
    for (; mi < sizeof mechs / sizeof mechs[0]; mi++)
        if (slice_eq_ci(mech, mechs[mi].name))
            break;
    if (mi == sizeof mechs / sizeof mechs[0])
        return set_err(err, errcap, t->text, "unknown mechanism");
    t->mech = mechs[mi].m;
    size_t rest = (size_t)(e - q);
    switch (t->mech) {
    case SPF_M_ALL:
        if (rest)
            return set_err(err, errcap, t->text, "all takes no argument");
        return 1;
    case SPF_M_INCLUDE:
    case SPF_M_EXISTS:
        if (rest < 2 || q[0] != ':')
            return set_err(err, errcap, t->text, "needs ':' and a domain");
        t->spec = slice_make(q + 1, rest - 1);
        if (!spf_macro_ok(t->spec, true))
            return set_err(err, errcap, t->text, "invalid domain-spec");
        return 1;
    case SPF_M_A:
    case SPF_M_MX:
    case SPF_M_PTR: {
        if (rest && q[0] == ':') {
            const char *ds = q + 1;
            const char *de = ds;
            while (de < e && *de != '/')
                de++;
            t->spec = slice_make(ds, (size_t)(de - ds));
            if (t->spec.len == 0 || !spf_macro_ok(t->spec, true))
                return set_err(err, errcap, t->text, "invalid domain-spec");
            q = de;
        } else if (rest && q[0] != '/') {
            return set_err(err, errcap, t->text, "unexpected text after the mechanism");
        }
        if (q < e && t->mech == SPF_M_PTR)
            return set_err(err, errcap, t->text, "ptr takes no prefix length");
        if (q < e && !(e - q >= 2 && q[1] == '/')) { /* "/N", not "//N" */
            int u = parse_cidr(q, (size_t)(e - q), 32, &t->cidr4);
            if (u < 0)
                return set_err(err, errcap, t->text, "bad IPv4 prefix length");
            q += u;
        }
        if (q < e) {
            if (e - q < 3 || q[0] != '/')
                return set_err(err, errcap, t->text, "bad prefix length");
            int u = parse_cidr(q + 1, (size_t)(e - q - 1), 128, &t->cidr6);
            if (u < 0 || q + 1 + u != e)
                return set_err(err, errcap, t->text, "bad IPv6 prefix length");
        }
        return 1;
    }
    case SPF_M_IP4:
    case SPF_M_IP6: {
        if (rest < 2 || q[0] != ':')
            return set_err(err, errcap, t->text, "needs ':' and an address");
        const char *as = q + 1, *ae = as;
        while (ae < e && *ae != '/')
            ae++;
        struct ipaddr a;
        int fam = t->mech == SPF_M_IP4 ? 4 : 6;
        if (!ip_parse(as, (size_t)(ae - as), &a) || a.family != fam)
            return set_err(err, errcap, t->text,
                           fam == 4 ? "not an IPv4 address" : "not an IPv6 address");
        memcpy(t->net, a.b, 16);
        if (ae < e) {
            int *c = fam == 4 ? &t->cidr4 : &t->cidr6;
            int u = parse_cidr(ae, (size_t)(e - ae), fam == 4 ? 32 : 128, c);
            if (u < 0 || ae + u != e)
                return set_err(err, errcap, t->text, "bad prefix length");
        }
        return 1;
    }
    default:
        break;
    }
    return set_err(err, errcap, t->text, "unknown mechanism");
}

/* ---- macros ---------------------------------------------------------------------------- */

/* expand_one - value of macro letter c into v (cap bytes); false when it cannot be had. */
static bool macro_value(char c, const char *domain, const struct spf_macro_ctx *mc, char *v,
                        size_t cap)
{
    c = (char)(c | 0x20);
    int w = -1;
    switch (c) {
    case 's':
        w = snprintf(v, cap, "%s@%s", mc->local, mc->sender_domain);
        break;
    case 'l':
        w = snprintf(v, cap, "%s", mc->local);
        break;
    case 'o':
        w = snprintf(v, cap, "%s", mc->sender_domain);
        break;
    case 'd':
        w = snprintf(v, cap, "%s", domain);
        break;
    case 'h':
        w = snprintf(v, cap, "%s", mc->helo);
        break;
    case 'p':
        w = snprintf(v, cap, "unknown"); /* XXX: the validated PTR name is not looked up */
        break;
    case 'v':
        if (!mc->ip)
            return false;
        w = snprintf(v, cap, "%s", mc->ip->family == 4 ? "in-addr" : "ip6");
        break;
    case 'i':
        if (!mc->ip)
            return false;
        if (mc->ip->family == 4) {
            w = snprintf(v, cap, "%u.%u.%u.%u", mc->ip->b[0], mc->ip->b[1], mc->ip->b[2],
                         mc->ip->b[3]);
        } else {
            static const char hex[] = "0123456789abcdef";
            size_t o = 0;
            for (int i = 0; i < 16 && o + 4 < cap; i++) {
                v[o++] = hex[mc->ip->b[i] >> 4];
                v[o++] = '.';
                v[o++] = hex[mc->ip->b[i] & 15];
                if (i < 15)
                    v[o++] = '.';
            }
            v[o] = '\0';
            w = (int)o;
        }
        break;
    default:
        return false;
    }
    return w >= 0 && (size_t)w < cap;
}

int spf_expand(struct slice spec, const char *domain, const struct spf_macro_ctx *mc, char *out,
               size_t cap)
{
    char tmp[2048];
    size_t o = 0;
    for (size_t i = 0; i < spec.len; i++) {
        char c = spec.p[i];
        if (c != '%') {
            if (o + 1 >= sizeof tmp)
                return -1;
            tmp[o++] = c;
            continue;
        }
        if (++i >= spec.len)
            return -1;
        c = spec.p[i];
        const char *lit = c == '%' ? "%" : c == '_' ? " " : c == '-' ? "%20" : NULL;
        if (lit) {
            size_t l = strlen(lit);
            if (o + l >= sizeof tmp)
                return -1;
            memcpy(tmp + o, lit, l);
            o += l;
            continue;
        }
        if (c != '{' || i + 1 >= spec.len)
            return -1;
        char letter = spec.p[++i];
        i++;
        unsigned keep = 0;
        bool digits = false;
        while (i < spec.len && is_digit((unsigned char)spec.p[i])) {
            keep = keep * 10 + (unsigned)(spec.p[i++] - '0');
            if (keep > 1000)
                keep = 1000;
            digits = true;
        }
        bool rev = false;
        if (i < spec.len && (spec.p[i] == 'r' || spec.p[i] == 'R'))
            rev = true, i++;
        char delims[8] = "";
        size_t nd = 0;
        while (i < spec.len && is_delim(spec.p[i])) {
            if (nd + 1 < sizeof delims)
                delims[nd++] = spec.p[i];
            i++;
        }
        delims[nd] = '\0';
        if (i >= spec.len || spec.p[i] != '}' || (digits && keep == 0))
            return -1;
        char v[1024];
        if (!macro_value(letter, domain, mc, v, sizeof v))
            return -1;
        if (!nd)
            delims[0] = '.', delims[1] = '\0';
        /* split on the delimiters, reverse, keep the rightmost `keep`, join with dots */
        const char *parts[256];
        size_t plen[256], np = 0;
        size_t vl = strlen(v), st = 0;
        for (size_t k = 0; k <= vl && np < 256; k++) {
            if (k == vl || strchr(delims, v[k])) {
                parts[np] = v + st;
                plen[np++] = k - st;
                st = k + 1;
            }
        }
        if (rev)
            for (size_t a = 0, b = np - 1; a < b; a++, b--) {
                const char *tp = parts[a];
                size_t tl = plen[a];
                parts[a] = parts[b], plen[a] = plen[b];
                parts[b] = tp, plen[b] = tl;
            }
        size_t from = digits && keep < np ? np - keep : 0;
        for (size_t k = from; k < np; k++) {
            if (o + plen[k] + 2 >= sizeof tmp)
                return -1;
            if (k > from)
                tmp[o++] = '.';
            memcpy(tmp + o, parts[k], plen[k]);
            o += plen[k];
        }
    }
    tmp[o] = '\0';
    /* RFC 7208 7.3: over 253 bytes, drop labels from the left */
    const char *r = tmp;
    while (o > DNS_MAX_NAME) {
        const char *dot = memchr(r, '.', o);
        if (!dot)
            return -1;
        o -= (size_t)(dot + 1 - r);
        r = dot + 1;
    }
    if (o + 1 > cap)
        return -1;
    memcpy(out, r, o);
    out[o] = '\0';
    return (int)o;
}

/* ---- check_host ------------------------------------------------------------------------ */

enum spf_cause {
    C_NONE,
    C_SYNTAX,
    C_MULTIPLE,
    C_LOOKUPS,
    C_VOIDS,
    C_LOOP,
    C_INCLUDE_NONE,
    C_MX_NAMES,
    C_DEPTH,
    C_DNS
};

struct spf_walk {
    struct dns *dns;
    const struct ipaddr *ip; /* NULL: the walk */
    struct spf_macro_ctx mc;
    unsigned lookups, voids;
    int depth;
    char stack[SPF_MAX_DEPTH + 1][DNS_MAX_NAME + 1];
    bool ptr_used;
    /* the first error: its cause, words, the domain and record it was found in */
    enum spf_cause cause;
    char why[320];
    char where[DNS_MAX_NAME + 1];
    char record[DOCTOR_MAX_EVIDENCE];
    char matched[400]; /* the term that decided, "term (in domain)" */
    char trail[600];   /* "domain N, ..." lookups per record, in visiting order */
};

static enum spf_result fail_with(struct spf_walk *w, enum spf_result r, enum spf_cause c,
                                 const char *domain, const char *rec, size_t reclen,
                                 const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static enum spf_result fail_with(struct spf_walk *w, enum spf_result r, enum spf_cause c,
                                 const char *domain, const char *rec, size_t reclen,
                                 const char *fmt, ...)
{
    if (w->cause != C_NONE)
        return r;
    w->cause = c;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->why, sizeof w->why, fmt, ap);
    va_end(ap);
    snprintf(w->where, sizeof w->where, "%s", domain);
    size_t n = reclen < sizeof w->record - 1 ? reclen : sizeof w->record - 1;
    if (rec)
        memcpy(w->record, rec, n);
    w->record[rec ? n : 0] = '\0';
    return r;
}

static bool addr_match(const struct dns_answer *a, const struct ipaddr *ip, int c4, int c6)
{
    for (size_t i = 0; i < a->n; i++) {
        int fam = a->rr[i].len == 4 ? 4 : 6;
        if (ip_in_prefix(ip, (const unsigned char *)a->rr[i].p, fam, fam == 4 ? c4 : c6))
            return true;
    }
    return false;
}

static enum spf_result check_host(struct spf_walk *w, const char *domain);

/* count_lookup - one more DNS-querying term; false (and the error set) past the limit. */
static bool count_lookup(struct spf_walk *w, const char *domain, const char *rec, size_t rl,
                         enum spf_result *r)
{
    w->lookups++;
    unsigned limit = w->ip ? SPF_LOOKUP_LIMIT : SPF_WALK_MAX_LOOKUPS;
    if (w->lookups > limit) {
        *r = fail_with(w, SPF_PERMERROR, C_LOOKUPS, domain, rec, rl,
                       "more than %u DNS lookups (include, a, mx, ptr, exists, redirect)", limit);
        return false;
    }
    return true;
}

static bool count_void(struct spf_walk *w, const struct dns_answer *a, const char *domain,
                       const char *rec, size_t rl, enum spf_result *r)
{
    if (a->status != DNS_NXDOMAIN && a->status != DNS_NODATA && a->status != DNS_BADNAME)
        return true;
    if (++w->voids > SPF_VOID_LIMIT) {
        *r = fail_with(w, SPF_PERMERROR, C_VOIDS, domain, rec, rl,
                       "more than %d void lookups (names with no record)", SPF_VOID_LIMIT);
        return false;
    }
    return true;
}

/* eval_record - check_host() on one selected record text; domain is its owner. */
static enum spf_result eval_record(struct spf_walk *w, const char *domain, const char *rec,
                                   size_t rl)
{
    char err[200], target[DNS_MAX_NAME + 1];
    struct spf_term t;
    size_t pos = 0;
    int got, nterms = 0;
    bool has_all = false;
    struct spf_term redirect = {0};
    bool has_redirect = false, has_exp = false;
    int atype = w->ip && w->ip->family == 6 ? DNS_T_AAAA : DNS_T_A;
    /* pass 1: syntax of every term, and the targets asked in parallel */
    while ((got = spf_next_term(rec, rl, &pos, &t, err, sizeof err)) == 1) {
        if (++nterms > SPF_MAX_TERMS)
            return fail_with(w, SPF_PERMERROR, C_SYNTAX, domain, rec, rl, "more than %d terms",
                             SPF_MAX_TERMS);
        if (t.mech == SPF_M_ALL)
            has_all = true;
        if (t.mech == SPF_M_REDIRECT) {
            if (has_redirect)
                return fail_with(w, SPF_PERMERROR, C_SYNTAX, domain, rec, rl,
                                 "redirect= given twice");
            has_redirect = true;
            redirect = t;
        }
        if (t.mech == SPF_M_EXP) {
            if (has_exp)
                return fail_with(w, SPF_PERMERROR, C_SYNTAX, domain, rec, rl, "exp= given twice");
            has_exp = true;
        }
        if (t.mech == SPF_M_INCLUDE || t.mech == SPF_M_REDIRECT || t.mech == SPF_M_A ||
            t.mech == SPF_M_MX || t.mech == SPF_M_EXISTS) {
            const char *tg = domain;
            if (t.spec.len && spf_expand(t.spec, domain, &w->mc, target, sizeof target) >= 0)
                tg = target;
            else if (t.spec.len)
                continue;
            int type = t.mech == SPF_M_INCLUDE || t.mech == SPF_M_REDIRECT ? DNS_T_TXT
                       : t.mech == SPF_M_MX                                ? DNS_T_MX
                       : t.mech == SPF_M_EXISTS                            ? DNS_T_A
                                                                           : atype;
            dns_want(w->dns, tg, type);
        }
    }
    if (got < 0)
        return fail_with(w, SPF_PERMERROR, C_SYNTAX, domain, rec, rl, "syntax error: %s", err);
    size_t mark = w->lookups;
    enum spf_result r = SPF_NEUTRAL;
    bool matched = false;
    pos = 0;
    while (!matched && spf_next_term(rec, rl, &pos, &t, err, sizeof err) == 1) {
        bool m = false;
        const char *tg = domain;
        if (t.spec.len && t.mech != SPF_M_EXP && t.mech != SPF_M_UNKNOWN_MOD &&
            t.mech != SPF_M_REDIRECT) {
            if (spf_expand(t.spec, domain, &w->mc, target, sizeof target) < 0) {
                if (!w->ip) { /* the walk has no IP for %{i}: count, do not ask */
                    if (t.mech != SPF_M_IP4 && t.mech != SPF_M_IP6 &&
                        !count_lookup(w, domain, rec, rl, &r))
                        return r;
                    continue;
                }
                return fail_with(w, SPF_PERMERROR, C_SYNTAX, domain, rec, rl,
                                 "'%.*s': macro cannot be expanded", (int)t.text.len, t.text.p);
            }
            tg = target;
        }
        switch (t.mech) {
        case SPF_M_ALL:
            m = w->ip != NULL;
            break;
        case SPF_M_IP4:
        case SPF_M_IP6:
            m = w->ip && ip_in_prefix(w->ip, t.net, t.mech == SPF_M_IP4 ? 4 : 6,
                                      t.mech == SPF_M_IP4 ? t.cidr4 : t.cidr6);
            break;
        case SPF_M_INCLUDE: {
            if (!count_lookup(w, domain, rec, rl, &r))
                return r;
            enum spf_result ir = check_host(w, tg);
            if (ir == SPF_NONE)
                return fail_with(w, SPF_PERMERROR, C_INCLUDE_NONE, domain, rec, rl,
                                 "include:%s has no SPF record", tg);
            if (ir == SPF_TEMPERROR || ir == SPF_PERMERROR)
                return ir;
            m = ir == SPF_PASS;
            break;
        }
        case SPF_M_A:
        case SPF_M_EXISTS: {
            if (!count_lookup(w, domain, rec, rl, &r))
                return r;
            const struct dns_answer *a =
                dns_get(w->dns, tg, t.mech == SPF_M_EXISTS ? DNS_T_A : atype);
            if (dns_failed(a->status))
                return fail_with(w, SPF_TEMPERROR, C_DNS, domain, rec, rl, "%s lookup of %s: %s",
                                 t.mech == SPF_M_A ? "address" : "exists", tg,
                                 dns_status_name(a->status));
            if (!count_void(w, a, domain, rec, rl, &r))
                return r;
            if (w->ip)
                m = t.mech == SPF_M_EXISTS ? a->n > 0 : addr_match(a, w->ip, t.cidr4, t.cidr6);
            break;
        }
        case SPF_M_MX: {
            if (!count_lookup(w, domain, rec, rl, &r))
                return r;
            const struct dns_answer *a = dns_get(w->dns, tg, DNS_T_MX);
            if (dns_failed(a->status))
                return fail_with(w, SPF_TEMPERROR, C_DNS, domain, rec, rl, "MX lookup of %s: %s",
                                 tg, dns_status_name(a->status));
            if (!count_void(w, a, domain, rec, rl, &r))
                return r;
            if (a->n > SPF_MAX_MX_NAMES)
                return fail_with(w, SPF_PERMERROR, C_MX_NAMES, domain, rec, rl,
                                 "mx:%s has more than %d MX names", tg, SPF_MAX_MX_NAMES);
            if (!w->ip)
                break;
            for (size_t i = 0; i < a->n; i++)
                dns_want(w->dns, a->rr[i].p, atype);
            for (size_t i = 0; i < a->n && !m; i++) {
                const struct dns_answer *h = dns_get(w->dns, a->rr[i].p, atype);
                if (dns_failed(h->status))
                    return fail_with(w, SPF_TEMPERROR, C_DNS, domain, rec, rl,
                                     "address of MX %s: %s", a->rr[i].p,
                                     dns_status_name(h->status));
                m = addr_match(h, w->ip, t.cidr4, t.cidr6);
            }
            break;
        }
        case SPF_M_PTR: {
            w->ptr_used = true;
            if (!count_lookup(w, domain, rec, rl, &r))
                return r;
            if (!w->ip)
                break;
            char rev[128];
            if (!ip_reverse(w->ip, NULL, rev, sizeof rev))
                break;
            const struct dns_answer *a = dns_get(w->dns, rev, DNS_T_PTR);
            if (!count_void(w, a, domain, rec, rl, &r))
                return r;
            size_t tl = strlen(tg);
            for (size_t i = 0; i < a->n && i < SPF_MAX_MX_NAMES && !m; i++) {
                const char *nm = a->rr[i].p;
                size_t nl = a->rr[i].len;
                bool under = (nl == tl && mem_eq_ci(nm, tg, tl)) ||
                             (nl > tl && nm[nl - tl - 1] == '.' && mem_eq_ci(nm + nl - tl, tg, tl));
                if (under)
                    m = addr_match(dns_get(w->dns, nm, atype), w->ip, 32, 128);
            }
            break;
        }
        default: /* modifiers: redirect is taken after the loop, exp and unknown ignored */
            break;
        }
        if (m) {
            matched = true;
            r = t.qual == '-'   ? SPF_FAIL
                : t.qual == '~' ? SPF_SOFTFAIL
                : t.qual == '?' ? SPF_NEUTRAL
                                : SPF_PASS;
            if (!w->matched[0])
                snprintf(w->matched, sizeof w->matched, "%.*s (in %s)", (int)t.text.len, t.text.p,
                         domain);
        }
    }
    size_t tl = strlen(w->trail);
    if (tl < sizeof w->trail - 1)
        snprintf(w->trail + tl, sizeof w->trail - tl, "%s%s %zu", tl ? ", " : "", domain,
                 w->lookups - mark);
    if (matched)
        return r;
    /* RFC 7208 6.1: redirect only when nothing matched and there is no "all" */
    if (has_redirect && !has_all) {
        if (!count_lookup(w, domain, rec, rl, &r))
            return r;
        if (spf_expand(redirect.spec, domain, &w->mc, target, sizeof target) < 0)
            return w->ip ? fail_with(w, SPF_PERMERROR, C_SYNTAX, domain, rec, rl,
                                     "redirect target cannot be expanded")
                         : SPF_NEUTRAL;
        enum spf_result rr = check_host(w, target);
        if (rr == SPF_NONE)
            return fail_with(w, SPF_PERMERROR, C_INCLUDE_NONE, domain, rec, rl,
                             "redirect=%s has no SPF record", target);
        return rr;
    }
    return SPF_NEUTRAL;
}

static enum spf_result check_host(struct spf_walk *w, const char *domain)
{
    for (int i = 0; i < w->depth; i++)
        if (strcmp(w->stack[i], domain) == 0)
            return fail_with(w, SPF_PERMERROR, C_LOOP, w->stack[w->depth - 1], NULL, 0,
                             "loop: %s includes %s again", w->stack[w->depth - 1], domain);
    if (w->depth >= SPF_MAX_DEPTH)
        return fail_with(w, SPF_PERMERROR, C_DEPTH, domain, NULL, 0,
                         "includes nested deeper than %d levels", SPF_MAX_DEPTH);
    const struct dns_answer *a = dns_get(w->dns, domain, DNS_T_TXT);
    if (dns_failed(a->status))
        return fail_with(w, SPF_TEMPERROR, C_DNS, domain, NULL, 0, "TXT lookup of %s: %s", domain,
                         dns_status_name(a->status));
    size_t found = 0, which = 0;
    for (size_t i = 0; i < a->n; i++)
        if (spf_is_record(a->rr[i].p, a->rr[i].len))
            found++, which = i;
    if (found == 0)
        return SPF_NONE;
    if (found > 1)
        return fail_with(w, SPF_PERMERROR, C_MULTIPLE, domain, a->rr[which].p, a->rr[which].len,
                         "%zu SPF records at %s (there must be one)", found, domain);
    snprintf(w->stack[w->depth++], sizeof w->stack[0], "%s", domain);
    enum spf_result r = eval_record(w, domain, a->rr[which].p, a->rr[which].len);
    w->depth--;
    return r;
}

/* ---- findings -------------------------------------------------------------------------- */

static void walk_init(struct spf_walk *w, struct doctor *d, const struct ipaddr *ip)
{
    memset(w, 0, sizeof *w);
    w->dns = d->dns;
    w->ip = ip;
    w->mc.ip = ip;
    w->mc.local = "postmaster";
    w->mc.sender_domain = d->domain;
    w->mc.helo = d->domain;
}

static const char *cause_id(enum spf_cause c)
{
    switch (c) {
    case C_SYNTAX:
        return "spf.syntax";
    case C_MULTIPLE:
        return "spf.multiple";
    case C_LOOKUPS:
        return "spf.lookups";
    case C_VOIDS:
        return "spf.void";
    case C_LOOP:
        return "spf.loop";
    case C_INCLUDE_NONE:
        return "spf.include_none";
    case C_MX_NAMES:
        return "spf.mx_names";
    case C_DEPTH:
        return "spf.depth";
    case C_DNS:
        return "spf.dns";
    case C_NONE:
        break;
    }
    return "spf.permerror";
}

static const char *cause_fix(enum spf_cause c)
{
    switch (c) {
    case C_SYNTAX:
        return "correct the term named in the message (receivers treat the whole record as "
               "permerror)";
    case C_MULTIPLE:
        return "merge the SPF records into one TXT record";
    case C_LOOKUPS:
        return "bring the record to at most 10 DNS lookups: remove includes of services you "
               "no longer use, or replace include/a/mx terms by the ip4:/ip6: ranges they "
               "stand for";
    case C_VOIDS:
        return "remove the a/mx/include/exists terms whose names do not exist";
    case C_LOOP:
        return "remove the include or redirect that points back to a record already included";
    case C_INCLUDE_NONE:
        return "remove the include/redirect, or publish an SPF record at its target";
    case C_MX_NAMES:
        return "use ip4:/ip6: ranges instead of mx for a domain with more than 10 MX hosts";
    case C_DEPTH:
        return "flatten the include chain";
    default:
        break;
    }
    return NULL;
}

void doctor_check_spf(struct doctor *d)
{
    const char *dom = d->domain;
    const struct dns_answer *a = dns_get(d->dns, dom, DNS_T_TXT);
    if (dns_failed(a->status)) {
        struct doctor_finding *f =
            doctor_add(d, "spf", "spf.dns", DS_UNKNOWN, dom, "could not check SPF: TXT lookup %s",
                       dns_status_name(a->status));
        doctor_fix(d, f, "check that the domain's name servers answer, then run again");
        return;
    }
    size_t found = 0, which = 0;
    for (size_t i = 0; i < a->n; i++)
        if (spf_is_record(a->rr[i].p, a->rr[i].len))
            found++, which = i;
    char ipterms[DOCTOR_MAX_IPS * 48 + 1] = "";
    size_t il = 0;
    for (size_t i = 0; i < d->nips && il < sizeof ipterms - 60; i++) {
        char t[64];
        ip_format(&d->ips[i], t, sizeof t);
        il += (size_t)snprintf(ipterms + il, sizeof ipterms - il, "ip%d:%s ", d->ips[i].family, t);
    }
    if (found == 0) {
        struct doctor_finding *f = doctor_add(
            d, "spf", "spf.none", DS_CRITICAL, dom,
            "no SPF record: receivers cannot tell which hosts may send for %s "
            "(TXT %s)",
            dom, a->status == DNS_ANSWER ? "records without v=spf1" : dns_status_name(a->status));
        doctor_fix(d, f, "publish a TXT record at %s: \"v=spf1 %s-all\"", dom,
                   il ? ipterms : "mx ");
        return;
    }
    if (found > 1) {
        char ev[DOCTOR_MAX_EVIDENCE];
        size_t o = 0;
        for (size_t i = 0; i < a->n && o < sizeof ev - 8; i++)
            if (spf_is_record(a->rr[i].p, a->rr[i].len))
                o += (size_t)snprintf(ev + o, sizeof ev - o, "%s\"%.*s\"", o ? " | " : "",
                                      (int)(a->rr[i].len > 900 ? 900 : a->rr[i].len), a->rr[i].p);
        struct doctor_finding *f = doctor_add(
            d, "spf", "spf.multiple", DS_CRITICAL, dom,
            "%zu SPF records: receivers return permerror and SPF fails for all mail", found);
        doctor_evidence(d, f, ev, o > sizeof ev - 1 ? sizeof ev - 1 : o);
        doctor_fix(d, f, "merge them into one TXT record at %s", dom);
        return;
    }
    const char *rec = a->rr[which].p;
    size_t rl = a->rr[which].len;

    /* the walk: limits, loops and errors anywhere in the tree */
    struct spf_walk *w = mem_calloc(d->mem, 1, sizeof *w);
    if (!w) {
        d->oom = true;
        return;
    }
    walk_init(w, d, NULL);
    enum spf_result wr = check_host(w, dom);
    bool broken = false;
    if (wr == SPF_PERMERROR || wr == SPF_TEMPERROR) {
        enum doctor_sev sev = wr == SPF_TEMPERROR ? DS_UNKNOWN : DS_CRITICAL;
        if (w->cause == C_LOOKUPS)
            w->lookups--; /* the one that stopped the walk */
        struct doctor_finding *f =
            doctor_add(d, "spf", cause_id(w->cause), sev, w->where[0] ? w->where : dom,
                       "%s%s%s: %s", wr == SPF_TEMPERROR ? "could not check SPF" : "SPF permerror",
                       strcmp(w->where, dom) ? " in a record included by " : "",
                       strcmp(w->where, dom) ? dom : "", w->why);
        if (w->cause == C_LOOKUPS) {
            char ev[DOCTOR_MAX_EVIDENCE];
            int n = snprintf(ev, sizeof ev, "%.*s | lookups by record: %s",
                             (int)(rl > 1200 ? 1200 : rl), rec, w->trail);
            doctor_evidence(d, f, ev, n > 0 ? strlen(ev) : 0);
        } else {
            doctor_evidence(d, f, w->record[0] ? w->record : rec,
                            w->record[0] ? strlen(w->record) : rl);
        }
        const char *fx = cause_fix(w->cause);
        if (fx)
            doctor_fix(d, f, "%s (record of %s)", fx, w->where[0] ? w->where : dom);
        broken = wr == SPF_PERMERROR;
    } else if (w->lookups > SPF_LOOKUP_LIMIT) {
        struct doctor_finding *f =
            doctor_add(d, "spf", "spf.lookups", DS_CRITICAL, dom,
                       "SPF needs %u DNS lookups; receivers stop at %d and return permerror",
                       w->lookups, SPF_LOOKUP_LIMIT);
        char ev[DOCTOR_MAX_EVIDENCE];
        snprintf(ev, sizeof ev, "%.*s | lookups by record: %s", (int)(rl > 1200 ? 1200 : rl), rec,
                 w->trail);
        doctor_evidence(d, f, ev, strlen(ev));
        doctor_fix(d, f, "%s (record of %s)", cause_fix(C_LOOKUPS), dom);
        broken = true;
    } else if (w->voids > SPF_VOID_LIMIT) {
        struct doctor_finding *f = doctor_add(
            d, "spf", "spf.void", DS_CRITICAL, dom,
            "%u void lookups (names with no record); receivers return permerror after %d", w->voids,
            SPF_VOID_LIMIT);
        doctor_evidence(d, f, rec, rl);
        doctor_fix(d, f, "%s", cause_fix(C_VOIDS));
        broken = true;
    } else {
        if (w->voids > 0) {
            struct doctor_finding *f = doctor_add(
                d, "spf", "spf.void", DS_WARNING, dom,
                "%u void lookup%s (a term names a domain with no record); more than %d is "
                "permerror",
                w->voids, w->voids == 1 ? "" : "s", SPF_VOID_LIMIT);
            doctor_evidence(d, f, rec, rl);
            doctor_fix(d, f, "%s", cause_fix(C_VOIDS));
        }
        struct doctor_finding *f = doctor_add(d, "spf", "spf.record", DS_OK, dom,
                                              "one SPF record, valid syntax, %u of %d DNS lookups",
                                              w->lookups, SPF_LOOKUP_LIMIT);
        doctor_evidence(d, f, rec, rl);
        if (w->lookups >= SPF_LOOKUP_LIMIT - 1) {
            f = doctor_add(d, "spf", "spf.lookups_near", DS_INFO, dom,
                           "%u of %d DNS lookups used: one more include breaks SPF", w->lookups,
                           SPF_LOOKUP_LIMIT);
            doctor_fix(d, f, "keep room under the limit: replace an include by ip4:/ip6: ranges");
        }
    }
    if (w->ptr_used) {
        struct doctor_finding *f =
            doctor_add(d, "spf", "spf.ptr", DS_WARNING, dom,
                       "the ptr mechanism is deprecated (RFC 7208 5.5): slow, and some "
                       "receivers skip it");
        doctor_evidence(d, f, rec, rl);
        doctor_fix(d, f, "replace ptr by the ip4:/ip6: ranges of the hosts it stood for");
    }

    /* the final "all" of the top record (a redirect carries its target's) */
    size_t pos = 0;
    struct spf_term t;
    char err[200];
    char allq = 0;
    bool redirect = false;
    while (spf_next_term(rec, rl, &pos, &t, err, sizeof err) == 1) {
        if (t.mech == SPF_M_ALL)
            allq = allq ? allq : t.qual;
        if (t.mech == SPF_M_REDIRECT)
            redirect = true;
    }
    if (!broken || w->cause != C_SYNTAX || strcmp(w->where, dom) != 0) {
        struct doctor_finding *f = NULL;
        if (allq == '+')
            f = doctor_add(d, "spf", "spf.all_pass", DS_CRITICAL, dom,
                           "+all: every host on the internet passes SPF for %s", dom);
        else if (allq == '?')
            f = doctor_add(d, "spf", "spf.all_neutral", DS_WARNING, dom,
                           "?all: unlisted hosts are neutral, so SPF protects nothing");
        else if (allq == '~')
            f = doctor_add(d, "spf", "spf.all_softfail", DS_INFO, dom,
                           "~all: unlisted hosts softfail (usually delivered, often to spam)");
        else if (allq == '-')
            f = doctor_add(d, "spf", "spf.all_fail", DS_OK, dom, "-all: unlisted hosts fail");
        else if (!redirect)
            f = doctor_add(d, "spf", "spf.all_missing", DS_WARNING, dom,
                           "no all mechanism: unlisted hosts get neutral");
        if (f && allq != '-') {
            doctor_evidence(d, f, rec, rl);
            doctor_fix(d, f,
                       allq == '~' ? "change ~all to -all once every sending service is listed"
                                   : "end the SPF record of %s with -all (or ~all while "
                                     "testing)",
                       dom);
        }
    }

    /* each sending IP */
    for (size_t i = 0; i < d->nips; i++) {
        char ipt[64];
        ip_format(&d->ips[i], ipt, sizeof ipt);
        walk_init(w, d, &d->ips[i]);
        enum spf_result r = check_host(w, dom);
        struct doctor_finding *f;
        switch (r) {
        case SPF_PASS:
            f = doctor_add(d, "spf", "spf.ip_pass", DS_OK, ipt, "%s passes SPF for %s via %s", ipt,
                           dom, w->matched);
            doctor_evidence(d, f, rec, rl);
            break;
        case SPF_FAIL:
        case SPF_SOFTFAIL:
        case SPF_NEUTRAL:
        case SPF_NONE:
            f = doctor_add(d, "spf", r == SPF_FAIL ? "spf.ip_fail" : "spf.ip_not_listed",
                           r == SPF_FAIL ? DS_CRITICAL : DS_WARNING, ipt,
                           "%s is not authorized to send for %s: SPF %s%s%s", ipt, dom,
                           spf_result_name(r), w->matched[0] ? " by " : "", w->matched);
            doctor_evidence(d, f, rec, rl);
            doctor_fix(d, f, "add ip%d:%s to the SPF record of %s", d->ips[i].family, ipt, dom);
            break;
        case SPF_PERMERROR:
            f = doctor_add(d, "spf", "spf.ip_permerror", DS_CRITICAL, ipt,
                           "SPF for %s from %s ends in permerror: %s", dom, ipt, w->why);
            doctor_evidence(d, f, w->record[0] ? w->record : rec,
                            w->record[0] ? strlen(w->record) : rl);
            doctor_fix(d, f, "%s",
                       cause_fix(w->cause) ? cause_fix(w->cause)
                                           : "fix the SPF record errors above");
            break;
        case SPF_TEMPERROR:
            f = doctor_add(d, "spf", "spf.ip_temperror", DS_UNKNOWN, ipt,
                           "could not check SPF for %s: %s", ipt, w->why);
            break;
        }
    }
    mem_free(d->mem, w);
}
