/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * doctor.c - a doctor run: options checked and copied, the checks run in order with their
 *            DNS questions started early so they overlap, and the findings kept.
 *
 * DESCRIPTION
 *   doctor_run() first starts the questions every check will ask (SPF and DMARC TXT, DKIM
 *   keys, MX and addresses, PTRs, blocklists) so they run in parallel, then runs SPF, DMARC
 *   (which sets the alignment modes DKIM uses), DKIM, PTR, MX/A and DNSBL in that order; each
 *   only waits for the answers it needs. Findings own their strings (freed by doctor_free).
 *
 * LIMITS
 *   DOCTOR_MAX_FINDINGS findings per run; evidence cut to DOCTOR_MAX_EVIDENCE bytes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "doctor_int.h"
#include "mem.h"

static const char *const default_selectors[] = {
    "default", "selector1", "selector2", "google", "k1",   "k2",   "s1",
    "s2",      "dkim",      "mail",      "smtp",   "key1", "sig1", "mandrill"};

const char *const *doctor_default_selectors(size_t *n)
{
    *n = sizeof default_selectors / sizeof default_selectors[0];
    return default_selectors;
}

const char *doctor_sev_name(enum doctor_sev s)
{
    static const char *const n[] = {"ok", "info", "warning", "critical", "unknown"};
    return (unsigned)s < 5 ? n[s] : "unknown";
}

static char *dup_n(const rb_mem *m, const char *p, size_t n)
{
    char *c = mem_alloc(m, n + 1);
    if (c) {
        memcpy(c, p, n);
        c[n] = '\0';
    }
    return c;
}

static char *vformat(const rb_mem *m, const char *fmt, va_list ap)
{
    char tmp[4096];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof tmp)
        n = sizeof tmp - 1;
    return dup_n(m, tmp, (size_t)n);
}

struct doctor_finding *doctor_add(struct doctor *d, const char *check, const char *id,
                                  enum doctor_sev sev, const char *subject, const char *fmt, ...)
{
    if (d->oom || d->nf >= DOCTOR_MAX_FINDINGS)
        return NULL;
    if (d->nf == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 32;
        struct doctor_finding *nf = mem_realloc(d->mem, d->f, nc * sizeof *nf);
        if (!nf) {
            d->oom = true;
            return NULL;
        }
        d->f = nf;
        d->cap = nc;
    }
    struct doctor_finding *f = &d->f[d->nf];
    memset(f, 0, sizeof *f);
    f->check = check;
    f->id = id;
    f->sev = sev;
    f->subject = dup_n(d->mem, subject, strlen(subject));
    va_list ap;
    va_start(ap, fmt);
    f->message = vformat(d->mem, fmt, ap);
    va_end(ap);
    if (!f->subject || !f->message) {
        mem_free(d->mem, f->subject);
        mem_free(d->mem, f->message);
        d->oom = true;
        return NULL;
    }
    d->nf++;
    return f;
}

void doctor_evidence(struct doctor *d, struct doctor_finding *f, const char *p, size_t len)
{
    if (!f || f->evidence)
        return;
    if (len > DOCTOR_MAX_EVIDENCE)
        len = DOCTOR_MAX_EVIDENCE;
    if (!(f->evidence = dup_n(d->mem, p, len)))
        d->oom = true;
}

void doctor_fix(struct doctor *d, struct doctor_finding *f, const char *fmt, ...)
{
    if (!f || f->fix)
        return;
    va_list ap;
    va_start(ap, fmt);
    f->fix = vformat(d->mem, fmt, ap);
    va_end(ap);
    if (!f->fix)
        d->oom = true;
}

/* copy_name - a domain option into out, lowercased, final dot dropped; false if invalid. */
static bool copy_name(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    if (n && s[n - 1] == '.')
        n--;
    if (!dns_name_ok(s, n) || n >= cap)
        return false;
    for (size_t i = 0; i < n; i++)
        out[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
    out[n] = '\0';
    return true;
}

static bool selector_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < 64 && dns_name_ok(s, n) && s[n - 1] != '.';
}

static int add_sel(struct doctor *d, const char *sel, const char *dom, bool explicit_)
{
    if (!selector_ok(sel)) {
        snprintf(d->err, sizeof d->err, "'%s' is not a DKIM selector", sel);
        return RB_EINVAL;
    }
    char dn[DNS_MAX_NAME + 1];
    if (!copy_name(dom, dn, sizeof dn)) {
        snprintf(d->err, sizeof d->err, "'%s' is not a domain name", dom);
        return RB_EINVAL;
    }
    for (size_t i = 0; i < d->nsels; i++)
        if (strcmp(d->sels[i].selector, sel) == 0 && strcmp(d->sels[i].domain, dn) == 0) {
            d->sels[i].explicit_ |= explicit_;
            return RB_OK;
        }
    if (d->nsels == sizeof d->sels / sizeof d->sels[0])
        return RB_OK; /* the defaults beyond the room are dropped */
    struct doctor_sel_int *s = &d->sels[d->nsels++];
    snprintf(s->selector, sizeof s->selector, "%s", sel);
    snprintf(s->domain, sizeof s->domain, "%s", dn);
    s->explicit_ = explicit_;
    return RB_OK;
}

int doctor_new(struct doctor **out, const struct doctor_opts *o, struct dns *dns, const rb_mem *mem)
{
    *out = NULL;
    struct doctor *d = mem_calloc(mem, 1, sizeof *d);
    if (!d)
        return RB_ENOMEM;
    *out = d;
    d->mem = mem;
    d->dns = dns;
    d->checks = o->checks ? o->checks : ~0u;
    d->adkim = d->aspf = 'r';
    if (!o->domain || !copy_name(o->domain, d->domain, sizeof d->domain)) {
        snprintf(d->err, sizeof d->err, "'%s' is not a domain name",
                 o->domain ? o->domain : "(none)");
        return RB_EINVAL;
    }
    if (!copy_name(o->from_domain ? o->from_domain : d->domain, d->from, sizeof d->from)) {
        snprintf(d->err, sizeof d->err, "--from: '%s' is not a domain name", o->from_domain);
        return RB_EINVAL;
    }
    if (o->nips > DOCTOR_MAX_IPS || o->nselectors > DOCTOR_MAX_SELECTORS ||
        o->nlists > DOCTOR_MAX_LISTS || o->nnamed > DOCTOR_MAX_LISTS) {
        snprintf(d->err, sizeof d->err, "too many IPs, selectors or lists (at most %d / %d / %d)",
                 DOCTOR_MAX_IPS, DOCTOR_MAX_SELECTORS, DOCTOR_MAX_LISTS);
        return RB_EINVAL;
    }
    for (size_t i = 0; i < o->nips; i++) {
        struct ipaddr a;
        if (!ip_parse(o->ips[i], strlen(o->ips[i]), &a)) {
            snprintf(d->err, sizeof d->err, "--ip: '%s' is not an IPv4 or IPv6 address", o->ips[i]);
            return RB_EINVAL;
        }
        bool dup = false;
        for (size_t k = 0; k < d->nips; k++)
            dup |= d->ips[k].family == a.family && memcmp(d->ips[k].b, a.b, 16) == 0;
        if (!dup)
            d->ips[d->nips++] = a;
    }
    int rc;
    for (size_t i = 0; i < o->nselectors; i++) {
        const struct doctor_selector *s = &o->selectors[i];
        if ((rc = add_sel(d, s->selector, s->domain ? s->domain : d->from, s->explicit_)))
            return rc;
    }
    size_t nd;
    const char *const *defs = doctor_default_selectors(&nd);
    if (o->default_selectors)
        defs = o->default_selectors, nd = o->ndefault;
    for (size_t i = 0; i < nd; i++)
        if ((rc = add_sel(d, defs[i], d->from, false)))
            return rc;
    d->lists_given = o->lists != NULL;
    for (size_t i = 0; i < o->nlists; i++) {
        if (!copy_name(o->lists[i], d->lists[d->nlists], sizeof d->lists[0])) {
            snprintf(d->err, sizeof d->err, "--dnsbl: '%s' is not a list id or zone", o->lists[i]);
            return RB_EINVAL;
        }
        d->nlists++;
    }
    for (size_t i = 0; i < o->nnamed; i++) {
        const struct doctor_named_list *nl = &o->named[i];
        if (!nl->list || !copy_name(nl->list, d->named[d->nnamed], sizeof d->named[0]))
            continue; /* a bounce's odd blocklist id is not the user's error */
        snprintf(d->named_listed[d->nnamed], sizeof d->named_listed[0], "%s",
                 nl->listed ? nl->listed : "");
        d->nnamed++;
    }
    return RB_OK;
}

int doctor_run(struct doctor *d)
{
    /* start what every check will ask, so the questions overlap */
    char name[DNS_MAX_NAME + 16], org[DNS_MAX_NAME + 1];
    if (d->checks & DOCTOR_CHECK_SPF)
        dns_want(d->dns, d->domain, DNS_T_TXT);
    if (d->checks & DOCTOR_CHECK_DMARC) {
        snprintf(name, sizeof name, "_dmarc.%s", d->from);
        dns_want(d->dns, name, DNS_T_TXT);
        doctor_org_domain(d->from, org, sizeof org);
        if (strcmp(org, d->from) != 0) {
            snprintf(name, sizeof name, "_dmarc.%s", org);
            dns_want(d->dns, name, DNS_T_TXT);
        }
    }
    if (d->checks & DOCTOR_CHECK_DKIM)
        for (size_t i = 0; i < d->nsels; i++) {
            char k[DNS_MAX_NAME + 80];
            snprintf(k, sizeof k, "%s._domainkey.%s", d->sels[i].selector, d->sels[i].domain);
            dns_want(d->dns, k, DNS_T_TXT);
        }
    if (d->checks & DOCTOR_CHECK_MX) {
        dns_want(d->dns, d->domain, DNS_T_MX);
        dns_want(d->dns, d->domain, DNS_T_A);
        dns_want(d->dns, d->domain, DNS_T_AAAA);
    }
    if (d->checks & DOCTOR_CHECK_PTR)
        for (size_t i = 0; i < d->nips; i++) {
            char rev[128];
            if (ip_reverse(&d->ips[i], NULL, rev, sizeof rev))
                dns_want(d->dns, rev, DNS_T_PTR);
        }
    if (d->checks & DOCTOR_CHECK_DNSBL)
        doctor_prefetch_dnsbl(d);

    if (d->checks & DOCTOR_CHECK_SPF)
        doctor_check_spf(d);
    if (d->checks & DOCTOR_CHECK_DMARC)
        doctor_check_dmarc(d);
    if (d->checks & DOCTOR_CHECK_DKIM)
        doctor_check_dkim(d);
    if (d->checks & DOCTOR_CHECK_PTR)
        doctor_check_ptr(d);
    if (d->checks & DOCTOR_CHECK_MX)
        doctor_check_mx(d);
    if (d->checks & DOCTOR_CHECK_DNSBL)
        doctor_check_dnsbl(d);
    if (d->oom) {
        snprintf(d->err, sizeof d->err, "out of memory");
        return RB_ENOMEM;
    }
    return RB_OK;
}

size_t doctor_findings(const struct doctor *d, const struct doctor_finding **out)
{
    *out = d->f;
    return d->nf;
}

enum doctor_sev doctor_worst(const struct doctor *d)
{
    static const int rank[] = {0, 1, 2, 4, 3}; /* ok info warning critical unknown */
    enum doctor_sev w = DS_OK;
    for (size_t i = 0; i < d->nf; i++)
        if (rank[d->f[i].sev] > rank[w])
            w = d->f[i].sev;
    return w;
}

const char *doctor_error(const struct doctor *d)
{
    return d->err[0] ? d->err : "no error";
}

const char *doctor_domain(const struct doctor *d)
{
    return d->domain;
}

struct doctor *doctor_free(struct doctor *d)
{
    if (!d)
        return NULL;
    for (size_t i = 0; i < d->nf; i++) {
        mem_free(d->mem, d->f[i].subject);
        mem_free(d->mem, d->f[i].message);
        mem_free(d->mem, d->f[i].evidence);
        mem_free(d->mem, d->f[i].fix);
    }
    mem_free(d->mem, d->f);
    mem_free(d->mem, d);
    return NULL;
}
