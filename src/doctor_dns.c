/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * doctor_dns.c - the doctor's DNS layer over libunbound: the system resolver or a forwarder,
 *                questions in parallel, per-attempt timeouts with retries, a per-run cache,
 *                and answers decoded into text (TXT joined, names) or address bytes.
 *
 * DESCRIPTION
 *   One ub_ctx per struct dns, in threaded async mode: dns_want() submits with
 *   ub_resolve_async and returns; dns_get() polls ub_fd() and runs ub_process() until its
 *   question is answered, expiring attempts past their deadline with ub_cancel (then a retry
 *   or DNS_TIMEOUT). Callbacks run in the calling thread inside ub_process. Every question is
 *   kept in an open-addressing table keyed by (lowercased name, type), so a run never asks
 *   twice; the table and the records are freed by dns_free.
 *
 *   With a forwarder (--resolver) localhost is allowed ("do-not-query-localhost: no") so a
 *   test server on 127.0.0.1 works; unbound follows CNAMEs itself and answers a CNAME loop
 *   with SERVFAIL.
 *
 * LIMITS
 *   DNS_MAX_QUERIES questions, DNS_MAX_RR records per answer, DNS_MAX_TXT bytes per TXT
 *   record (doctor_int.h); names over 253 bytes are not asked (DNS_BADNAME).
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unbound.h>

#include "dl_unbound.h" /* after <unbound.h>: libunbound is loaded on first use */
#include "doctor_int.h"
#include "mem.h"

#define TABLE_SLOTS 8192  /* power of two, > 2 * DNS_MAX_QUERIES */
#define DNS_GRACE_MS 2000 /* after a failed cancel, how long a late answer is awaited */

struct dns_entry {
    struct dns *d;
    char name[DNS_MAX_NAME + 2];
    int type;
    uint32_t hash;
    bool inflight, resubmit;
    bool given_up; /* timed out while the cancel failed: a late answer is dropped */
    int async_id;
    unsigned tries;
    long long deadline;
    struct dns_answer a;
};

struct dns {
    const rb_mem *mem;
    struct ub_ctx *ctx;
    unsigned timeout_ms, retries;
    struct dns_entry *slots[TABLE_SLOTS];
    struct dns_entry **all; /* in submission order, for expiry scans */
    size_t nall, capall;
    unsigned long sent, cached;
};

static const struct dns_answer answer_badname = {DNS_BADNAME, 0, NULL, false, NULL};
static const struct dns_answer answer_budget = {DNS_ERROR, 0, NULL, false,
                                                "query budget of the run exhausted"};
static const struct dns_answer answer_nomem = {DNS_ERROR, 0, NULL, false, "out of memory"};

const char *dns_status_name(enum dns_status s)
{
    switch (s) {
    case DNS_ANSWER:
        return "answer";
    case DNS_NXDOMAIN:
        return "NXDOMAIN";
    case DNS_NODATA:
        return "no data";
    case DNS_SERVFAIL:
        return "SERVFAIL";
    case DNS_REFUSED:
        return "REFUSED";
    case DNS_TIMEOUT:
        return "timeout";
    case DNS_BADNAME:
        return "invalid name";
    case DNS_ERROR:
        break;
    }
    return "resolver error";
}

bool dns_failed(enum dns_status s)
{
    return s == DNS_SERVFAIL || s == DNS_REFUSED || s == DNS_TIMEOUT || s == DNS_ERROR;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool dns_name_ok(const char *name, size_t len)
{
    if (len && name[len - 1] == '.')
        len--;
    if (len == 0 || len > DNS_MAX_NAME)
        return false;
    size_t lab = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '.') {
            if (lab == 0)
                return false;
            lab = 0;
        } else if (c <= ' ' || c >= 127 || c == '\\' || ++lab > 63) {
            /* XXX: only printable ASCII without escapes: binary labels from DNS data are not
             * names anyone can publish mail records under */
            return false;
        }
    }
    return lab > 0;
}

/* ---- addresses ------------------------------------------------------------------------- */

bool ip_parse(const char *p, size_t len, struct ipaddr *out)
{
    char tmp[64];
    if (len == 0 || len >= sizeof tmp)
        return false;
    memcpy(tmp, p, len);
    tmp[len] = '\0';
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, tmp, out->b) == 1) {
        out->family = 4;
        return true;
    }
    if (memchr(tmp, ':', len) && inet_pton(AF_INET6, tmp, out->b) == 1) {
        out->family = 6;
        return true;
    }
    return false;
}

void ip_format(const struct ipaddr *a, char *out, size_t cap)
{
    if (!inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->b, out, (socklen_t)cap) && cap)
        out[0] = '\0';
}

bool ip_reverse(const struct ipaddr *a, const char *suffix, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[128];
    size_t n = 0;
    if (a->family == 4) {
        int w = snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", a->b[3], a->b[2], a->b[1], a->b[0]);
        n = (size_t)w;
    } else {
        for (int i = 15; i >= 0; i--) {
            tmp[n++] = hex[a->b[i] & 15];
            tmp[n++] = '.';
            tmp[n++] = hex[a->b[i] >> 4];
            if (i)
                tmp[n++] = '.';
        }
        tmp[n] = '\0';
    }
    if (!suffix)
        suffix = a->family == 4 ? "in-addr.arpa" : "ip6.arpa";
    int w = snprintf(out, cap, "%s.%s", tmp, suffix);
    return w > 0 && (size_t)w < cap;
}

bool ip_in_prefix(const struct ipaddr *a, const unsigned char *net, int family, int bits)
{
    if (a->family != family)
        return false;
    int max = family == 4 ? 32 : 128;
    if (bits < 0 || bits > max)
        return false;
    int full = bits / 8, rest = bits % 8;
    if (memcmp(a->b, net, (size_t)full) != 0)
        return false;
    if (rest) {
        unsigned char m = (unsigned char)(0xff << (8 - rest));
        if ((a->b[full] & m) != (net[full] & m))
            return false;
    }
    return true;
}

/* ---- decoding answers ------------------------------------------------------------------ */

/* wire_name - a wire-format name at p (n bytes; uncompressed, as libunbound hands rdata) as
 * text into out; non-hostname bytes escaped \DDD. Returns the length or -1. */
static int wire_name(const unsigned char *p, size_t n, char *out, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < n) {
        size_t l = p[i++];
        if (l == 0)
            break;
        if (l > 63 || i + l > n)
            return -1;
        if (o && o + 1 < cap)
            out[o++] = '.';
        for (size_t k = 0; k < l; k++) {
            unsigned char c = p[i + k];
            if (c >= 'A' && c <= 'Z')
                c = (unsigned char)(c + 32);
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
                if (o + 1 >= cap)
                    return -1;
                out[o++] = (char)c;
            } else {
                if (o + 5 >= cap)
                    return -1;
                o += (size_t)snprintf(out + o, cap - o, "\\%03u", c);
            }
        }
        i += l;
    }
    if (o == 0) {
        if (cap < 2)
            return -1;
        out[o++] = '.';
    }
    out[o] = '\0';
    return (int)o;
}

static bool add_rr(struct dns *d, struct dns_answer *a, const void *p, size_t len, unsigned pref)
{
    if (a->n == DNS_MAX_RR) {
        a->truncated = true;
        return true;
    }
    if (!a->rr && !(a->rr = mem_calloc(d->mem, DNS_MAX_RR, sizeof *a->rr)))
        return false;
    char *c = mem_alloc(d->mem, len + 1);
    if (!c)
        return false;
    memcpy(c, p, len);
    c[len] = '\0';
    a->rr[a->n].p = c;
    a->rr[a->n].len = len;
    a->rr[a->n].pref = pref;
    a->n++;
    return true;
}

static void decode(struct dns_entry *e, const struct ub_result *r)
{
    struct dns *d = e->d;
    struct dns_answer *a = &e->a;
    if (r->rcode == 3) {
        a->status = DNS_NXDOMAIN;
        return;
    }
    if (r->rcode == 5) {
        a->status = DNS_REFUSED;
        return;
    }
    if (r->rcode != 0) {
        a->status = DNS_SERVFAIL;
        return;
    }
    a->status = DNS_NODATA;
    if (!r->havedata || !r->data)
        return;
    for (size_t i = 0; r->data[i]; i++) {
        const unsigned char *p = (const unsigned char *)r->data[i];
        size_t n = r->len[i] > 0 ? (size_t)r->len[i] : 0;
        bool ok = true;
        if (e->type == DNS_T_TXT) {
            char *j = mem_alloc(d->mem, DNS_MAX_TXT);
            if (!j) {
                a->why = "out of memory";
                a->status = DNS_ERROR;
                return;
            }
            size_t o = 0, k = 0;
            while (k < n) {
                size_t l = p[k++];
                if (k + l > n) {
                    l = n - k; /* malformed: keep what is there */
                    a->truncated = true;
                }
                size_t take = l;
                if (o + take > DNS_MAX_TXT - 1) {
                    take = DNS_MAX_TXT - 1 - o;
                    a->truncated = true;
                }
                memcpy(j + o, p + k, take);
                o += take;
                k += l;
            }
            ok = add_rr(d, a, j, o, 0);
            mem_free(d->mem, j);
        } else if (e->type == DNS_T_A || e->type == DNS_T_AAAA) {
            if (n == (e->type == DNS_T_A ? 4u : 16u))
                ok = add_rr(d, a, p, n, 0);
        } else {
            char name[1100];
            unsigned pref = 0;
            if (e->type == DNS_T_MX) {
                if (n < 3)
                    continue;
                pref = (unsigned)(p[0] << 8 | p[1]);
                p += 2;
                n -= 2;
            }
            int l = wire_name(p, n, name, sizeof name);
            if (l >= 0)
                ok = add_rr(d, a, name, (size_t)l, pref);
        }
        if (!ok) {
            a->status = DNS_ERROR;
            a->why = "out of memory";
            return;
        }
    }
    if (a->n)
        a->status = DNS_ANSWER;
}

static void clear_answer(struct dns *d, struct dns_answer *a)
{
    for (size_t i = 0; i < a->n; i++)
        mem_free(d->mem, a->rr[i].p);
    mem_free(d->mem, a->rr);
    memset(a, 0, sizeof *a);
}

static void on_result(void *ud, int err, struct ub_result *r)
{
    struct dns_entry *e = ud;
    if (e->given_up) { /* the caller already has DNS_TIMEOUT and may hold the answer */
        if (r)
            ub_resolve_free(r);
        return;
    }
    e->inflight = false;
    clear_answer(e->d, &e->a);
    if (err != 0 || !r) {
        e->a.status = DNS_ERROR;
        e->a.why = ub_strerror(err);
    } else {
        decode(e, r);
    }
    if (r)
        ub_resolve_free(r);
    if (e->a.status == DNS_SERVFAIL && e->tries <= e->d->retries)
        e->resubmit = true;
}

static void submit(struct dns *d, struct dns_entry *e)
{
    e->tries++;
    e->resubmit = false;
    e->deadline = now_ms() + d->timeout_ms;
    d->sent++;
    int rc = ub_resolve_async(d->ctx, e->name, e->type, 1, e, on_result, &e->async_id);
    if (rc != 0) {
        e->inflight = false;
        e->a.status = DNS_ERROR;
        e->a.why = ub_strerror(rc);
        return;
    }
    e->inflight = true;
}

/* pump - wait up to wait_ms for answers, process them, resubmit and expire attempts. */
static void pump(struct dns *d, long long wait_ms)
{
    struct pollfd pfd = {.fd = ub_fd(d->ctx), .events = POLLIN};
    if (wait_ms < 0)
        wait_ms = 0;
    if (poll(&pfd, 1, (int)(wait_ms > 1000 ? 1000 : wait_ms)) > 0)
        ub_process(d->ctx);
    long long now = now_ms();
    for (size_t i = 0; i < d->nall; i++) {
        struct dns_entry *e = d->all[i];
        if (e->resubmit) {
            submit(d, e);
        } else if (e->inflight && e->deadline <= now) {
            if (ub_cancel(d->ctx, e->async_id) != 0) {
                /* the answer is on its way; give it a grace period, never wait forever */
                if (now < e->deadline + DNS_GRACE_MS)
                    continue;
                e->given_up = true;
                e->tries = d->retries + 1;
            }
            e->inflight = false;
            if (e->tries <= d->retries) {
                submit(d, e);
            } else {
                clear_answer(d, &e->a);
                e->a.status = DNS_TIMEOUT;
            }
        }
    }
}

static uint32_t hash_key(const char *name, int type)
{
    uint32_t h = 2166136261u ^ (uint32_t)type;
    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 16777619u;
    return h;
}

/* lookup - the entry for (name, type), created (and submitted) when absent; NULL with *fixed
 * set for a bad name, an exhausted budget or no memory. */
static struct dns_entry *lookup(struct dns *d, const char *name, int type,
                                const struct dns_answer **fixed)
{
    size_t len = strlen(name);
    if (!dns_name_ok(name, len)) {
        *fixed = &answer_badname;
        return NULL;
    }
    char key[DNS_MAX_NAME + 2];
    if (name[len - 1] == '.')
        len--;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        key[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
    key[len] = '\0';
    uint32_t h = hash_key(key, type);
    size_t s = h & (TABLE_SLOTS - 1);
    for (; d->slots[s]; s = (s + 1) & (TABLE_SLOTS - 1)) {
        struct dns_entry *e = d->slots[s];
        if (e->hash == h && e->type == type && strcmp(e->name, key) == 0) {
            d->cached++;
            return e;
        }
    }
    if (d->nall >= DNS_MAX_QUERIES) {
        *fixed = &answer_budget;
        return NULL;
    }
    if (d->nall == d->capall) {
        size_t nc = d->capall ? d->capall * 2 : 64;
        struct dns_entry **na = mem_realloc(d->mem, d->all, nc * sizeof *na);
        if (!na) {
            *fixed = &answer_nomem;
            return NULL;
        }
        d->all = na;
        d->capall = nc;
    }
    struct dns_entry *e = mem_calloc(d->mem, 1, sizeof *e);
    if (!e) {
        *fixed = &answer_nomem;
        return NULL;
    }
    e->d = d;
    memcpy(e->name, key, len + 1);
    e->type = type;
    e->hash = h;
    d->slots[s] = e;
    d->all[d->nall++] = e;
    submit(d, e);
    return e;
}

void dns_want(struct dns *d, const char *name, int type)
{
    const struct dns_answer *fixed;
    (void)lookup(d, name, type, &fixed);
}

const struct dns_answer *dns_get(struct dns *d, const char *name, int type)
{
    const struct dns_answer *fixed = NULL;
    struct dns_entry *e = lookup(d, name, type, &fixed);
    if (!e)
        return fixed;
    while (e->inflight || e->resubmit)
        pump(d, e->deadline - now_ms());
    return &e->a;
}

void dns_stats(const struct dns *d, unsigned long *sent, unsigned long *cached)
{
    *sent = d->sent;
    *cached = d->cached;
}

/* parse_resolver - "IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6 into "IP@PORT". */
static bool parse_resolver(const char *s, char *out, size_t cap)
{
    char host[64];
    const char *port = NULL;
    size_t hl;
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb)
            return false;
        hl = (size_t)(rb - s - 1);
        if (hl >= sizeof host)
            return false;
        memcpy(host, s + 1, hl);
        if (rb[1] == ':')
            port = rb + 2;
        else if (rb[1])
            return false;
    } else {
        const char *c = strchr(s, ':');
        if (c && !strchr(c + 1, ':')) { /* one colon: IPv4:port */
            hl = (size_t)(c - s);
            port = c + 1;
        } else {
            hl = strlen(s);
        }
        if (hl >= sizeof host)
            return false;
        memcpy(host, s, hl);
    }
    host[hl] = '\0';
    struct ipaddr a;
    if (!ip_parse(host, hl, &a))
        return false;
    unsigned long pn = 53;
    if (port) {
        if (!*port || strlen(port) > 5)
            return false;
        pn = 0;
        for (const char *q = port; *q; q++) {
            if (*q < '0' || *q > '9')
                return false;
            pn = pn * 10 + (unsigned long)(*q - '0');
        }
        if (pn == 0 || pn > 65535)
            return false;
    }
    int w = snprintf(out, cap, "%s@%lu", host, pn);
    return w > 0 && (size_t)w < cap;
}

int dns_new(struct dns **out, const struct dns_opts *o, const rb_mem *mem, char *err, size_t errcap)
{
    *out = NULL;
    char fwd[96];
    if (o->resolver && !parse_resolver(o->resolver, fwd, sizeof fwd)) {
        snprintf(err, errcap, "--resolver: '%s' is not IP, IP:PORT or [IPv6]:PORT", o->resolver);
        return RB_EINVAL;
    }
    if (dl_unbound_load(err, errcap) != 0)
        return RB_EIO;
    struct dns *d = mem_calloc(mem, 1, sizeof *d);
    if (!d) {
        snprintf(err, errcap, "out of memory");
        return RB_ENOMEM;
    }
    d->mem = mem;
    d->timeout_ms = o->timeout_ms ? o->timeout_ms : DOCTOR_DEFAULT_TIMEOUT_MS;
    d->retries = o->retries;
    d->ctx = ub_ctx_create();
    int rc = RB_EIO;
    if (!d->ctx) {
        snprintf(err, errcap, "cannot create the resolver (libunbound)");
        goto fail;
    }
    int u = ub_ctx_async(d->ctx, 1);
    /* a forwarder or a resolv.conf entry on 127.0.0.1 (systemd-resolved, a test server) */
    if (u == 0)
        u = ub_ctx_set_option(d->ctx, "do-not-query-localhost:", "no");
    if (u == 0 && o->resolver) {
        u = ub_ctx_set_fwd(d->ctx, fwd);
        /* unbound answers the special-use names (RFC 6761 test., RFC 5737/3849 documentation
         * reverse zones, RFC 1918 reverse zones) itself; the resolver given decides ("nodefault" is
         * not taken through ub_ctx_set_option) */
        static const char *const special[] = {"test. transparent",
                                              "invalid. transparent",
                                              "2.0.192.in-addr.arpa. transparent",
                                              "100.51.198.in-addr.arpa. transparent",
                                              "113.0.203.in-addr.arpa. transparent",
                                              "8.b.d.0.1.0.0.2.ip6.arpa. transparent"};
        for (size_t i = 0; u == 0 && i < sizeof special / sizeof special[0]; i++)
            u = ub_ctx_set_option(d->ctx, "local-zone:", special[i]);
        if (u == 0)
            u = ub_ctx_set_option(d->ctx, "unblock-lan-zones:", "yes");
    } else if (u == 0) {
        /* without a usable resolv.conf unbound resolves from the root itself */
        (void)ub_ctx_resolvconf(d->ctx, NULL);
        (void)ub_ctx_hosts(d->ctx, NULL);
    }
    if (u != 0) {
        snprintf(err, errcap, "resolver setup: %s", ub_strerror(u));
        goto fail;
    }
    *out = d;
    return RB_OK;
fail:
    dns_free(d);
    return rc;
}

struct dns *dns_free(struct dns *d)
{
    if (!d)
        return NULL;
    if (d->ctx)
        ub_ctx_delete(d->ctx); /* cancels what is still in flight */
    for (size_t i = 0; i < d->nall; i++) {
        clear_answer(d, &d->all[i]->a);
        mem_free(d->mem, d->all[i]);
    }
    mem_free(d->mem, d->all);
    mem_free(d->mem, d);
    return NULL;
}
