/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * doctor_dnsbl.c - DNS blocklists for the doctor: the lists of data/dnsbl.tsv (embedded),
 *                  the sending IPs (reversed octets or nibbles) and domains looked up on the
 *                  default set, on --dnsbl lists and on the lists bounces named, with each
 *                  answer interpreted by the table's return codes.
 *
 * DESCRIPTION
 *   NXDOMAIN (or no A record) is "not listed". An answer the table marks "refused" (Spamhaus
 *   127.255.255.254: query through a public resolver, .255: over quota, .252: typo) or one
 *   outside 127.0.0.0/8 is "could not check" (DS_UNKNOWN), and so are SERVFAIL and timeouts:
 *   such an answer is never reported as a listing. For a listing the list's TXT record is
 *   fetched as evidence.
 *
 * LIMITS
 *   DNSBL_MAX_SELECTED lists per run; a zone given with --dnsbl that is not in the table is
 *   queried as an IP list whose 127.0.0.x answers mean "listed".
 */
#include <stdio.h>
#include <string.h>

#include "doctor_int.h"

#define DNSBL_MAX_TABLE 64
#define DNSBL_MAX_SELECTED 48

extern const char doctor_dnsbl_tsv[];

static struct slice next_field(const char **p, const char *end)
{
    const char *s = *p;
    while (*p < end && **p != '\t')
        (*p)++;
    struct slice f = slice_make(s, (size_t)(*p - s));
    if (*p < end)
        (*p)++;
    return f;
}

size_t dnsbl_table(struct dnsbl_list *out, size_t cap)
{
    const char *p = doctor_dnsbl_tsv, *end = p + strlen(p);
    size_t n = 0;
    bool header = true;
    while (p < end && n < cap) {
        const char *le = memchr(p, '\n', (size_t)(end - p));
        if (!le)
            le = end;
        const char *q = p;
        p = le + 1;
        if (q == le || *q == '#')
            continue;
        if (header) { /* the column names */
            header = false;
            continue;
        }
        struct dnsbl_list l;
        memset(&l, 0, sizeof l);
        l.id = next_field(&q, le);
        l.zone = next_field(&q, le);
        struct slice kind = next_field(&q, le), dflt = next_field(&q, le);
        l.aliases = next_field(&q, le);
        l.delist = next_field(&q, le);
        l.codes = next_field(&q, le);
        if (!l.id.len || !l.zone.len)
            continue;
        l.ip = slice_eq_ci(kind, "ip");
        l.dflt = slice_eq_ci(dflt, "yes");
        out[n++] = l;
    }
    return n;
}

/* parse_octet - a decimal 0..255 at *p; advances. */
static bool parse_octet(const char **p, const char *end, unsigned *v)
{
    const char *s = *p;
    *v = 0;
    while (*p < end && **p >= '0' && **p <= '9' && *p - s < 3)
        *v = *v * 10 + (unsigned)(*(*p)++ - '0');
    return *p > s && *v <= 255;
}

enum dnsbl_class dnsbl_interpret(const struct dnsbl_list *l, const unsigned char a[4],
                                 struct slice *meaning)
{
    *meaning = slice_make("", 0);
    const char *p = l->codes.p, *end = p + l->codes.len;
    while (p < end) {
        const char *ce = memchr(p, '|', (size_t)(end - p));
        if (!ce)
            ce = end;
        const char *q = p;
        p = ce + 1;
        unsigned o[4], last;
        bool ok = true;
        for (int i = 0; i < 4 && ok; i++) {
            ok = parse_octet(&q, ce, &o[i]);
            if (ok && i < 3)
                ok = q < ce && *q++ == '.';
        }
        last = o[3];
        if (ok && q < ce && *q == '-') {
            q++;
            ok = parse_octet(&q, ce, &last);
        }
        if (!ok || q >= ce || *q != '=')
            continue;
        q++;
        const char *colon = memchr(q, ':', (size_t)(ce - q));
        if (!colon)
            continue;
        if (a[0] == o[0] && a[1] == o[1] && a[2] == o[2] && a[3] >= o[3] && a[3] <= last) {
            *meaning = slice_make(colon + 1, (size_t)(ce - colon - 1));
            struct slice cls = slice_make(q, (size_t)(colon - q));
            return slice_eq_ci(cls, "refused") ? DNSBL_REFUSED : DNSBL_LISTED;
        }
    }
    return a[0] == 127 ? DNSBL_LISTED : DNSBL_REFUSED;
}

/* A list chosen for this run; ad hoc lists (zones not in the table) have only a zone. */
struct chosen {
    struct dnsbl_list l;
    bool named; /* a bounce named it */
};

static bool add_chosen(struct chosen *c, size_t *n, const struct dnsbl_list *l, bool named)
{
    for (size_t i = 0; i < *n; i++)
        if (c[i].l.zone.len == l->zone.len && mem_eq_ci(c[i].l.zone.p, l->zone.p, l->zone.len)) {
            c[i].named |= named;
            return true;
        }
    if (*n == DNSBL_MAX_SELECTED)
        return false;
    c[*n].l = *l;
    c[*n].named = named;
    (*n)++;
    return true;
}

/* by_name - lists of the table whose id, zone or alias is name; an unknown name with a dot
 * is taken as an IP list zone. */
static void by_name(const struct dnsbl_list *t, size_t nt, const char *name, bool named,
                    bool aliases, struct chosen *c, size_t *n)
{
    size_t len = strlen(name);
    bool any = false;
    for (size_t i = 0; i < nt; i++) {
        bool m = slice_eq_ci(t[i].id, name) || slice_eq_ci(t[i].zone, name);
        for (size_t k = 0; aliases && !m && k < t[i].aliases.len;) {
            size_t s = k;
            while (k < t[i].aliases.len && t[i].aliases.p[k] != ',')
                k++;
            m = k - s == len && mem_eq_ci(t[i].aliases.p + s, name, len);
            k++;
        }
        if (m)
            any |= add_chosen(c, n, &t[i], named);
    }
    if (!any && memchr(name, '.', len) && dns_name_ok(name, len)) {
        struct dnsbl_list l;
        memset(&l, 0, sizeof l);
        l.id = l.zone = slice_make(name, len);
        l.ip = true;
        add_chosen(c, n, &l, named);
    }
}

static size_t choose(struct doctor *d, const struct dnsbl_list *t, size_t nt, struct chosen *c)
{
    size_t n = 0;
    if (d->lists_given) {
        for (size_t i = 0; i < d->nlists; i++)
            by_name(t, nt, d->lists[i], false, false, c, &n);
    } else {
        for (size_t i = 0; i < nt; i++)
            if (t[i].dflt)
                add_chosen(c, &n, &t[i], false);
    }
    for (size_t i = 0; i < d->nnamed; i++)
        by_name(t, nt, d->named[i], true, true, c, &n);
    return n;
}

/* subjects - what each list kind is asked about: the IPs, or the domains. */
struct subjects {
    char dom[DOCTOR_MAX_LISTS + 2][DNS_MAX_NAME + 1];
    size_t ndom;
};

static void add_dom(struct subjects *s, const char *name)
{
    if (!name[0] || !dns_name_ok(name, strlen(name)))
        return;
    struct ipaddr ip;
    if (ip_parse(name, strlen(name), &ip))
        return;
    for (size_t i = 0; i < s->ndom; i++)
        if (strcmp(s->dom[i], name) == 0)
            return;
    if (s->ndom < sizeof s->dom / sizeof s->dom[0])
        snprintf(s->dom[s->ndom++], sizeof s->dom[0], "%s", name);
}

static void get_subjects(struct doctor *d, struct subjects *s)
{
    s->ndom = 0;
    add_dom(s, d->domain);
    add_dom(s, d->from);
    for (size_t i = 0; i < d->nnamed; i++)
        add_dom(s, d->named_listed[i]);
}

static bool qname(const struct dnsbl_list *l, const struct ipaddr *ip, const char *dom, char *out,
                  size_t cap)
{
    char zone[DNS_MAX_NAME + 1];
    snprintf(zone, sizeof zone, "%.*s", (int)l->zone.len, l->zone.p);
    if (ip)
        return ip_reverse(ip, zone, out, cap);
    int w = snprintf(out, cap, "%s.%s", dom, zone);
    return w > 0 && (size_t)w < cap && dns_name_ok(out, (size_t)w);
}

/* test_qname - the RFC 5782 test point of an IP list: every DNSxL lists 127.0.0.2, so a list
 * that does not answer for it is not reached through this resolver (offline, filtered, or a
 * resolver the list refuses silently), and its "not listed" would mean nothing */
static bool test_qname(const struct dnsbl_list *l, char *out, size_t cap)
{
    int w = snprintf(out, cap, "2.0.0.127.%.*s", (int)l->zone.len, l->zone.p);
    return w > 0 && (size_t)w < cap && dns_name_ok(out, (size_t)w);
}

/* reached - whether list l answered for its test point */
static bool reached(struct doctor *d, const struct dnsbl_list *l)
{
    char q[DNS_MAX_NAME + 16];
    if (!test_qname(l, q, sizeof q))
        return false;
    return dns_get(d->dns, q, DNS_T_A)->status == DNS_ANSWER;
}

void doctor_prefetch_dnsbl(struct doctor *d)
{
    struct dnsbl_list t[DNSBL_MAX_TABLE];
    struct chosen c[DNSBL_MAX_SELECTED];
    struct subjects s;
    size_t nt = dnsbl_table(t, DNSBL_MAX_TABLE), nc = choose(d, t, nt, c);
    get_subjects(d, &s);
    char q[2 * DNS_MAX_NAME + 80];
    for (size_t i = 0; i < nc; i++) {
        if (c[i].l.ip) {
            if (test_qname(&c[i].l, q, sizeof q))
                dns_want(d->dns, q, DNS_T_A);
            for (size_t k = 0; k < d->nips; k++)
                if (qname(&c[i].l, &d->ips[k], NULL, q, sizeof q))
                    dns_want(d->dns, q, DNS_T_A);
        } else {
            for (size_t k = 0; k < s.ndom; k++)
                if (qname(&c[i].l, NULL, s.dom[k], q, sizeof q))
                    dns_want(d->dns, q, DNS_T_A);
        }
    }
}

/* one - look subject up on list c; adds a finding for a listing or a failed check, or
 * appends the zone to clean (not listed). */
static void one(struct doctor *d, const struct chosen *c, const struct ipaddr *ip,
                const char *subject, bool live, char *clean, size_t cap)
{
    char q[2 * DNS_MAX_NAME + 80];
    if (!qname(&c->l, ip, subject, q, sizeof q))
        return;
    const struct dns_answer *a = dns_get(d->dns, q, DNS_T_A);
    int zl = (int)c->l.zone.len;
    const char *zp = c->l.zone.p;
    if ((a->status == DNS_NXDOMAIN || a->status == DNS_NODATA) && !live) {
        struct doctor_finding *f = doctor_add(
            d, "dnsbl", "dnsbl.unreached", DS_UNKNOWN, subject,
            "could not check %s on %.*s: the list does not answer for its test entry either "
            "(%s), so this resolver does not reach it",
            subject, zl, zp, ip ? "127.0.0.2" : "nor for the test entries of the IP lists");
        doctor_fix(d, f,
                   "check through a resolver that reaches the list (--resolver IP; not a public "
                   "one for Spamhaus), or use the list's own lookup page");
        return;
    }
    if (a->status == DNS_NXDOMAIN || a->status == DNS_NODATA) {
        size_t o = strlen(clean);
        snprintf(clean + o, cap - o, "%s%.*s%s", o ? ", " : "", zl, zp,
                 c->named ? " (named by a bounce)" : "");
        return;
    }
    if (a->status != DNS_ANSWER) {
        doctor_add(d, "dnsbl", "dnsbl.error", DS_UNKNOWN, subject, "could not check %s on %.*s: %s",
                   subject, zl, zp, dns_status_name(a->status));
        return;
    }
    /* a refused code anywhere in the answer makes the whole answer untrustworthy */
    struct slice listed_meaning = {"", 0}, refused_meaning = {"", 0};
    char codes[256] = "";
    bool refused = false, listed = false;
    for (size_t i = 0; i < a->n; i++) {
        if (a->rr[i].len != 4)
            continue;
        const unsigned char *b = (const unsigned char *)a->rr[i].p;
        struct slice m;
        enum dnsbl_class k = dnsbl_interpret(&c->l, b, &m);
        size_t o = strlen(codes);
        snprintf(codes + o, sizeof codes - o, "%s%u.%u.%u.%u", o ? ", " : "", b[0], b[1], b[2],
                 b[3]);
        if (k == DNSBL_REFUSED) {
            refused = true;
            if (!refused_meaning.len)
                refused_meaning = m;
        } else {
            listed = true;
            if (!listed_meaning.len)
                listed_meaning = m;
        }
    }
    char ev[DNS_MAX_TXT + 600];
    if (refused) {
        struct doctor_finding *f = doctor_add(
            d, "dnsbl", "dnsbl.refused", DS_UNKNOWN, subject,
            "could not check %s on %.*s: the list answered %s (%.*s), which is not a listing",
            subject, zl, zp, codes, (int)(refused_meaning.len ? refused_meaning.len : 38),
            refused_meaning.len ? refused_meaning.p : "an answer outside 127.0.0.0/8");
        snprintf(ev, sizeof ev, "%s A %s", q, codes);
        doctor_evidence(d, f, ev, strlen(ev));
        doctor_fix(d, f,
                   "query through a resolver of your own that is not a public one (8.8.8.8, "
                   "1.1.1.1 ...): --resolver IP, or use the list's registered data feed");
        return;
    }
    if (!listed)
        return;
    const struct dns_answer *txt = dns_get(d->dns, q, DNS_T_TXT);
    struct doctor_finding *f = doctor_add(
        d, "dnsbl", "dnsbl.listed", DS_CRITICAL, subject, "%s is listed on %.*s: %s (%.*s)%s",
        subject, zl, zp, codes, (int)(listed_meaning.len ? listed_meaning.len : 29),
        listed_meaning.len ? listed_meaning.p : "return code not in the table",
        c->named ? "; a bounce named this list" : "");
    int w =
        snprintf(ev, sizeof ev, "%s A %s%s%.*s", q, codes, txt->n ? "; TXT " : "",
                 txt->n ? (int)(txt->rr[0].len > DNS_MAX_TXT ? DNS_MAX_TXT : txt->rr[0].len) : 0,
                 txt->n ? txt->rr[0].p : "");
    doctor_evidence(d, f, ev, w > 0 ? strlen(ev) : 0);
    bool pbl = listed_meaning.len >= 3 && memcmp(listed_meaning.p, "PBL", 3) == 0;
    if (pbl)
        doctor_fix(d, f,
                   "if %s is your mail server, remove it from the PBL at %.*s (or ask the ISP "
                   "that owns the range); otherwise send through your provider's relay",
                   subject, (int)c->l.delist.len, c->l.delist.p);
    else if (c->l.delist.len)
        doctor_fix(d, f,
                   "find and stop what got %s listed (compromised account, bad list, open "
                   "relay), then request removal at %.*s; move traffic off it meanwhile",
                   subject, (int)c->l.delist.len, c->l.delist.p);
    else
        doctor_fix(d, f, "find and stop what got %s listed, then request removal from %.*s",
                   subject, zl, zp);
}

void doctor_check_dnsbl(struct doctor *d)
{
    struct dnsbl_list t[DNSBL_MAX_TABLE];
    struct chosen c[DNSBL_MAX_SELECTED];
    struct subjects s;
    size_t nt = dnsbl_table(t, DNSBL_MAX_TABLE), nc = choose(d, t, nt, c);
    if (nc == 0)
        return;
    get_subjects(d, &s);
    /* domain lists have no common test point; when no IP list answers for its own, the
     * domain lists' silence is not trusted either */
    bool live[DNSBL_MAX_SELECTED], any_ip = false, any_live = false;
    for (size_t i = 0; i < nc; i++) {
        live[i] = c[i].l.ip && reached(d, &c[i].l);
        any_ip |= c[i].l.ip;
        any_live |= live[i];
    }
    for (size_t i = 0; i < nc; i++)
        if (!c[i].l.ip)
            live[i] = any_live || !any_ip;
    char clean[2048];
    for (size_t k = 0; k < d->nips; k++) {
        char ipt[64];
        ip_format(&d->ips[k], ipt, sizeof ipt);
        clean[0] = '\0';
        for (size_t i = 0; i < nc; i++)
            if (c[i].l.ip)
                one(d, &c[i], &d->ips[k], ipt, live[i], clean, sizeof clean);
        if (clean[0])
            doctor_add(d, "dnsbl", "dnsbl.clean", DS_OK, ipt, "%s is not listed on %s", ipt, clean);
    }
    for (size_t k = 0; k < s.ndom; k++) {
        clean[0] = '\0';
        for (size_t i = 0; i < nc; i++)
            if (!c[i].l.ip)
                one(d, &c[i], NULL, s.dom[k], live[i], clean, sizeof clean);
        if (clean[0])
            doctor_add(d, "dnsbl", "dnsbl.clean", DS_OK, s.dom[k], "%s is not listed on %s",
                       s.dom[k], clean);
    }
}
