/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * doctor_net.c - reverse DNS and forward-confirmed reverse DNS (FCrDNS) of each sending IP,
 *                and the MX and A/AAAA records of the sending domain, for the doctor.
 *
 * DESCRIPTION
 *   FCrDNS: the PTR names of the IP, each looked up forward (A for IPv4, AAAA for IPv6);
 *   the IP is confirmed when one of them lists it. Receivers such as Gmail and Outlook
 *   refuse or spam-folder mail from IPs without it (550 5.7.25).
 *
 * LIMITS
 *   DOCTOR_MAX_PTR names per IP and DOCTOR_MAX_MX hosts are followed.
 */
#include <stdio.h>
#include <string.h>

#include "doctor_int.h"

#define DOCTOR_MAX_PTR 5
#define DOCTOR_MAX_MX 10

static bool lists_ip(const struct dns_answer *a, const struct ipaddr *ip)
{
    size_t want = ip->family == 4 ? 4 : 16;
    for (size_t i = 0; i < a->n; i++)
        if (a->rr[i].len == want && memcmp(a->rr[i].p, ip->b, want) == 0)
            return true;
    return false;
}

void doctor_answer_text(const struct dns_answer *a, int type, char *out, size_t cap)
{
    if (!cap)
        return;
    out[0] = '\0';
    if (a->status != DNS_ANSWER) {
        snprintf(out, cap, "%s", dns_status_name(a->status));
        return;
    }
    size_t o = 0;
    for (size_t i = 0; i < a->n && o + 4 < cap; i++) {
        char t[64];
        const char *s = a->rr[i].p;
        if (type == DNS_T_A || type == DNS_T_AAAA) {
            struct ipaddr ip = {.family = a->rr[i].len == 4 ? 4 : 6};
            memcpy(ip.b, a->rr[i].p, a->rr[i].len);
            ip_format(&ip, t, sizeof t);
            s = t;
        }
        int w = type == DNS_T_MX
                    ? snprintf(out + o, cap - o, "%s%u %s", o ? " | " : "", a->rr[i].pref, s)
                    : snprintf(out + o, cap - o, "%s%s", o ? " | " : "", s);
        if (w < 0 || (size_t)w >= cap - o)
            break;
        o += (size_t)w;
    }
}

/* generic_name - whether a PTR name looks like an ISP's generic pool name */
static bool generic_name(const char *n, const struct ipaddr *ip)
{
    static const char *const words[] = {"dynamic", "dhcp", "pool",   "dsl",     "cable",
                                        "ppp",     "dial", "client", "customer"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (memmem_ci(n, strlen(n), words[i], strlen(words[i])))
            return true;
    if (ip->family == 4) {
        char dashed[32];
        int w =
            snprintf(dashed, sizeof dashed, "%u-%u-%u-%u", ip->b[0], ip->b[1], ip->b[2], ip->b[3]);
        if (w > 0 && memmem_ci(n, strlen(n), dashed, (size_t)w))
            return true;
    }
    return false;
}

void doctor_check_ptr(struct doctor *d)
{
    char rev[128];
    for (size_t i = 0; i < d->nips; i++)
        if (ip_reverse(&d->ips[i], NULL, rev, sizeof rev))
            dns_want(d->dns, rev, DNS_T_PTR);
    for (size_t i = 0; i < d->nips; i++) {
        const struct ipaddr *ip = &d->ips[i];
        char ipt[64];
        ip_format(ip, ipt, sizeof ipt);
        if (!ip_reverse(ip, NULL, rev, sizeof rev))
            continue;
        const struct dns_answer *a = dns_get(d->dns, rev, DNS_T_PTR);
        if (dns_failed(a->status)) {
            doctor_add(d, "ptr", "ptr.dns", DS_UNKNOWN, ipt,
                       "could not check the reverse DNS of %s: %s", ipt,
                       dns_status_name(a->status));
            continue;
        }
        if (a->n == 0) {
            struct doctor_finding *f = doctor_add(
                d, "ptr", "ptr.none", DS_CRITICAL, ipt,
                "%s has no reverse DNS (PTR %s: %s): Gmail, Outlook and others refuse or "
                "spam-folder its mail (550 5.7.25)",
                ipt, rev, dns_status_name(a->status));
            doctor_fix(d, f,
                       "ask whoever owns %s (hosting provider or ISP) to set its PTR to a name "
                       "such as mail.%s, and publish that name's %s record pointing to %s",
                       ipt, d->domain, ip->family == 4 ? "A" : "AAAA", ipt);
            continue;
        }
        int atype = ip->family == 4 ? DNS_T_A : DNS_T_AAAA;
        for (size_t k = 0; k < a->n && k < DOCTOR_MAX_PTR; k++)
            dns_want(d->dns, a->rr[k].p, atype);
        const char *confirmed = NULL;
        char fwd[512] = "";
        bool unknown = false;
        for (size_t k = 0; k < a->n && k < DOCTOR_MAX_PTR && !confirmed; k++) {
            const struct dns_answer *h = dns_get(d->dns, a->rr[k].p, atype);
            if (dns_failed(h->status))
                unknown = true;
            if (lists_ip(h, ip))
                confirmed = a->rr[k].p;
            else if (!fwd[0]) {
                char t[400];
                doctor_answer_text(h, atype, t, sizeof t);
                snprintf(fwd, sizeof fwd, "%s -> %s", a->rr[k].p, t);
            }
        }
        char ptrs[600];
        doctor_answer_text(a, DNS_T_PTR, ptrs, sizeof ptrs);
        char ev[800];
        snprintf(ev, sizeof ev, "%s PTR %s", rev, ptrs);
        struct doctor_finding *f;
        if (confirmed) {
            f = doctor_add(d, "ptr", "ptr.fcrdns", DS_OK, ipt,
                           "%s -> %s -> %s: forward-confirmed reverse DNS", ipt, confirmed, ipt);
            doctor_evidence(d, f, ev, strlen(ev));
            if (generic_name(confirmed, ip)) {
                f = doctor_add(d, "ptr", "ptr.generic", DS_WARNING, ipt,
                               "PTR %s looks like a generic ISP pool name; receivers score "
                               "such names as end-user hosts",
                               confirmed);
                doctor_fix(d, f, "set the PTR of %s to a name of your own, such as mail.%s", ipt,
                           d->domain);
            }
        } else if (unknown) {
            f = doctor_add(d, "ptr", "ptr.dns", DS_UNKNOWN, ipt,
                           "could not confirm the reverse DNS of %s: a forward lookup failed", ipt);
            doctor_evidence(d, f, ev, strlen(ev));
        } else {
            f = doctor_add(d, "ptr", "ptr.not_confirmed", DS_CRITICAL, ipt,
                           "reverse DNS of %s is not forward-confirmed: %s", ipt, fwd);
            doctor_evidence(d, f, ev, strlen(ev));
            doctor_fix(d, f,
                       "publish %s %s %s (or point the PTR of %s to a name that "
                       "resolves to it)",
                       a->rr[0].p, ip->family == 4 ? "A" : "AAAA", ipt, ipt);
        }
        if (a->n > 1) {
            f = doctor_add(d, "ptr", "ptr.multiple", DS_INFO, ipt,
                           "%zu PTR names for %s: some receivers check only one", a->n, ipt);
            doctor_evidence(d, f, ev, strlen(ev));
            doctor_fix(d, f, "keep a single PTR name for %s", ipt);
        }
    }
}

void doctor_check_mx(struct doctor *d)
{
    const char *dom = d->domain;
    const struct dns_answer *mx = dns_get(d->dns, dom, DNS_T_MX);
    const struct dns_answer *a4 = dns_get(d->dns, dom, DNS_T_A);
    const struct dns_answer *a6 = dns_get(d->dns, dom, DNS_T_AAAA);
    char t[1024];
    struct doctor_finding *f;
    if (dns_failed(mx->status)) {
        doctor_add(d, "mx", "mx.dns", DS_UNKNOWN, dom, "could not check the MX of %s: %s", dom,
                   dns_status_name(mx->status));
    } else if (mx->status == DNS_NXDOMAIN) {
        f = doctor_add(d, "mx", "mx.nxdomain", DS_CRITICAL, dom,
                       "%s does not exist in DNS (NXDOMAIN): receivers refuse mail from it "
                       "(553 5.1.8 sender domain does not exist)",
                       dom);
        doctor_fix(d, f, "register or publish %s, or send from a domain that exists", dom);
        return;
    } else if (mx->n == 1 && strcmp(mx->rr[0].p, ".") == 0) {
        f = doctor_add(d, "mx", "mx.null", DS_WARNING, dom,
                       "null MX (RFC 7505): %s accepts no mail, so bounces and replies are "
                       "lost and some receivers refuse it as a sender",
                       dom);
        doctor_evidence(d, f, "0 .", 3);
        doctor_fix(d, f, "publish a real MX for %s if it sends mail", dom);
    } else if (mx->n == 0) {
        f = doctor_add(d, "mx", "mx.none", DS_WARNING, dom,
                       "%s has no MX record: bounces and replies %s", dom,
                       a4->n || a6->n ? "go to its A/AAAA address" : "cannot be delivered");
        doctor_fix(d, f,
                   "publish an MX record for %s pointing to the host that receives its "
                   "mail",
                   dom);
    } else {
        doctor_answer_text(mx, DNS_T_MX, t, sizeof t);
        f = doctor_add(d, "mx", "mx.record", DS_OK, dom, "%zu MX host%s", mx->n,
                       mx->n == 1 ? "" : "s");
        doctor_evidence(d, f, t, strlen(t));
        for (size_t i = 0; i < mx->n && i < DOCTOR_MAX_MX; i++) {
            dns_want(d->dns, mx->rr[i].p, DNS_T_A);
            dns_want(d->dns, mx->rr[i].p, DNS_T_AAAA);
        }
        for (size_t i = 0; i < mx->n && i < DOCTOR_MAX_MX; i++) {
            const struct dns_answer *h4 = dns_get(d->dns, mx->rr[i].p, DNS_T_A);
            const struct dns_answer *h6 = dns_get(d->dns, mx->rr[i].p, DNS_T_AAAA);
            if (h4->n || h6->n)
                continue;
            if (dns_failed(h4->status) || dns_failed(h6->status)) {
                doctor_add(d, "mx", "mx.host_dns", DS_UNKNOWN, mx->rr[i].p,
                           "could not resolve MX host %s", mx->rr[i].p);
                continue;
            }
            f = doctor_add(d, "mx", "mx.host_noaddr", DS_WARNING, mx->rr[i].p,
                           "MX host %s of %s has no A or AAAA record (%s)", mx->rr[i].p, dom,
                           dns_status_name(h4->status));
            doctor_fix(d, f, "publish an address for %s or remove it from the MX of %s",
                       mx->rr[i].p, dom);
        }
    }
    if (a4->n || a6->n) {
        char t6[512];
        doctor_answer_text(a4, DNS_T_A, t, sizeof t);
        doctor_answer_text(a6, DNS_T_AAAA, t6, sizeof t6);
        char ev[1600];
        snprintf(ev, sizeof ev, "A %s; AAAA %s", t, t6);
        f = doctor_add(d, "a", "a.record", DS_OK, dom, "%s has %zu IPv4 and %zu IPv6 addresses",
                       dom, a4->n, a6->n);
        doctor_evidence(d, f, ev, strlen(ev));
    } else if (!dns_failed(a4->status)) {
        doctor_add(d, "a", "a.none", DS_INFO, dom, "%s has no A or AAAA record", dom);
    }
}
