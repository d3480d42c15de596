/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_doctor_records.c - libFuzzer target for the DNS record parsers of `rebound doctor`
 *                         (src/doctor_spf.c, doctor_dmarc.c, doctor_dkim.c, doctor_dnsbl.c).
 *
 * DESCRIPTION
 *   The first byte chooses the parser, the rest is the record text (as a TXT record would
 *   hand it over, any bytes): SPF terms of "v=spf1 " + input and the macro expansion of every
 *   domain-spec against an IPv4 and an IPv6 address; DMARC tags; DKIM key tags, then base64
 *   and the DER key size of p= (and of the raw input); DNSBL return-code interpretation of
 *   the table's lists; organizational domains, alignment and name checks. Checks the
 *   invariants: expansions are NUL-terminated and at most 253 bytes, parsed slices lie in the
 *   input, RSA sizes fit the DER that carried them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doctor_int.h"

static int inside(struct slice s, const char *p, size_t n)
{
    return s.len == 0 || (s.p >= p && s.p + s.len <= p + n);
}

static void fuzz_spf(const char *p, size_t n)
{
    char *rec = malloc(n + 7);
    if (!rec)
        return;
    memcpy(rec, "v=spf1 ", 7);
    memcpy(rec + 7, p, n);
    size_t len = n + 7, pos = 0;
    struct spf_term t;
    char err[200], out[300];
    struct ipaddr ip4, ip6;
    ip_parse("192.0.2.3", 9, &ip4);
    ip_parse("2001:db8::cb01", 14, &ip6);
    struct spf_macro_ctx mc = {&ip4, "strong-bad", "email.example.com", "mx.example.org"};
    int r, guard = 0;
    while ((r = spf_next_term(rec, len, &pos, &t, err, sizeof err)) == 1 && guard++ < 100000) {
        if (!inside(t.text, rec, len) || !inside(t.spec, rec, len))
            abort();
        if (t.cidr4 < 0 || t.cidr4 > 32 || t.cidr6 < 0 || t.cidr6 > 128)
            abort();
        for (int k = 0; k < 2; k++) {
            mc.ip = k ? &ip6 : &ip4;
            int e = spf_expand(t.spec, "email.example.com", &mc, out, sizeof out);
            if (e >= 0 && ((size_t)e != strlen(out) || e > DNS_MAX_NAME))
                abort();
        }
    }
    if (pos > len)
        abort();
    (void)spf_macro_ok(slice_make(p, n), true);
    (void)spf_is_record(p, n);
    free(rec);
}

static void fuzz_dkim(const char *p, size_t n)
{
    struct dkim_key k;
    if (dkim_parse_key(p, n, &k) == RB_OK) {
        if (!inside(k.p, p, n) || !inside(k.k, p, n) || !inside(k.t, p, n))
            abort();
        unsigned char der[DKIM_MAX_KEY_BYTES];
        size_t dl = 0;
        if (b64_decode(k.p.p, k.p.len, der, sizeof der, &dl) == RB_OK) {
            unsigned bits;
            enum dkim_keytype type;
            if (der_key_bits(der, dl, &bits, &type) == RB_OK && bits > dl * 8)
                abort();
        }
    }
    unsigned bits;
    enum dkim_keytype type;
    if (der_key_bits((const unsigned char *)p, n, &bits, &type) == RB_OK && bits > n * 8)
        abort();
}

static void fuzz_dnsbl(const char *p, size_t n)
{
    struct dnsbl_list t[64];
    size_t nt = dnsbl_table(t, 64);
    if (nt == 0)
        abort(); /* the embedded table always has lists */
    for (size_t i = 0; i + 4 <= n; i += 4) {
        struct slice m;
        const struct dnsbl_list *l = &t[(unsigned char)p[i] % nt];
        enum dnsbl_class c = dnsbl_interpret(l, (const unsigned char *)p + i, &m);
        if (c != DNSBL_LISTED && c != DNSBL_REFUSED)
            abort();
        if (m.len && !inside(m, l->codes.p, l->codes.len))
            abort();
    }
    /* an ad hoc list whose codes are the input */
    struct dnsbl_list adhoc = {.id = slice_make("x", 1),
                               .zone = slice_make("x.example", 9),
                               .codes = slice_make(p, n),
                               .ip = true};
    unsigned char a[4] = {127, 0, 0, (unsigned char)(n & 255)};
    struct slice m;
    (void)dnsbl_interpret(&adhoc, a, &m);
    if (m.len && !inside(m, p, n))
        abort();
}

static void fuzz_names(const char *p, size_t n)
{
    char name[DNS_MAX_NAME + 1], org[DNS_MAX_NAME + 1];
    size_t l = n > DNS_MAX_NAME ? DNS_MAX_NAME : n;
    memcpy(name, p, l);
    name[l] = '\0';
    doctor_org_domain(name, org, sizeof org);
    if (strlen(org) > strlen(name))
        abort();
    (void)doctor_aligned(name, "example.com", false);
    (void)dns_name_ok(p, n);
    struct ipaddr a;
    if (ip_parse(p, n, &a)) {
        char rev[128], txt[64];
        if (!ip_reverse(&a, NULL, rev, sizeof rev))
            abort();
        ip_format(&a, txt, sizeof txt);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    /* copy so the parsers' reads past n are caught by ASan */
    char *c = malloc(n ? n : 1);
    if (!c)
        return 0;
    memcpy(c, p, n);
    switch (data[0] % 5) {
    case 0:
        fuzz_spf(c, n);
        break;
    case 1: {
        struct dmarc_record r;
        if (dmarc_parse(c, n, &r) == RB_OK && (!inside(r.rua, c, n) || r.pct > 100))
            abort();
        (void)dmarc_is_record(c, n);
        break;
    }
    case 2:
        fuzz_dkim(c, n);
        break;
    case 3:
        fuzz_dnsbl(c, n);
        break;
    default:
        fuzz_names(c, n);
        break;
    }
    free(c);
    return 0;
}
