/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_doctor.c - unit tests for the record parsers of `rebound doctor` (src/doctor_*.c):
 *                 SPF terms and macros (RFC 7208 7.4 examples), DMARC and DKIM tag lists,
 *                 base64 and DER key sizes on real keys, the DNSBL table and its return codes,
 *                 organizational domains and alignment, addresses and reverse names.
 *
 * DESCRIPTION
 *   Table-driven, no DNS. The RSA keys are real public keys made for these tests with
 *   `openssl genrsa 2048|1024|512` and `openssl rsa -pubout -outform DER | base64` (and
 *   -RSAPublicKey_out for the PKCS#1 form); the Ed25519 key with `openssl genpkey`.
 */
#include <stdio.h>
#include <string.h>

#include "doctor_int.h"
#include "harness.h"

static const char k2048[] =
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA8ybRNa9k0vVExTOUzzIkxtTkEBC2Oe/qmKVRE/2hV3oFfEQ+"
    "IiznX85FrtPXHWT4C9z/Qtt+veOZJ6wBbZB/"
    "EFbGKtksYa4C2HhuZNyaEVkBgbKyn8hMmcftb94tpWiX6AJbgdoZfK4vCP3L"
    "T1zyNQbw2dMwjJX9IZuERoCH9ak/OWX4KnMW4DumcG68B4zV3DPw1PBWZDO7bpa9Cx33xlMX121g/dFsNB/"
    "afs0BraAvC0Wg"
    "Xwf90paE2nxp39m0Uz01StVc6/e9j4x/"
    "9FrftQHsQym+b9X4G71UnNdWeEKSL6p8FjKvdyKe1tw44OrtTDSwLsXhGpw4sB6A"
    "LJ8dfwIDAQAB";
static const char k1024[] =
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC4PV1S4m69MkPN+Z2Zy10zly/"
    "F1w4K0igAkXxeZgniiS5YeVWKhy+1L4Ad"
    "TKrW/TQ459tEAo/"
    "yMzz+Dua6oBiKd8+rHx2DlfpL4ymUNxn76mt4ayk2IU0F7np7yGpriuKN+VgpRGtnwQ7qNEvFc3waPwg9"
    "BxPGQgjr+/eT0xCzoQIDAQAB";
static const char k512[] =
    "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAO5/Q3yzMWmq8PtM8qmuA79zDVOkygPZV1DN7qVqEk"
    "ETy7yFqCHK9TtTy3UpiMb058u1okZY+FQFLK0txhl64i0CAwEAAQ==";
static const char k1024_pkcs1[] =
    "MIGJAoGBALg9XVLibr0yQ835nZnLXTOXL8XXDgrSKACRfF5mCeKJLlh5VYqHL7UvgB1Mqtb9NDjn20QCj/"
    "IzPP4O5rqgGIp3"
    "z6sfHYOV+kvjKZQ3Gfvqa3hrKTYhTQXuenvIamuK4o35WClEa2fBDuo0S8VzfBo/CD0HE8ZCCOv795PTELOhAgMBAAE=";
static const char ed_spki[] = "MCowBQYDK2VwAyEACZzKzw0XjqhUNcL2i/F4y20FTDsXZdN0EmJ951iygr8=";

/* s_ - an array as a pointer, so CHECK_STR's NULL test does not warn */
static const char *s_(const char *p)
{
    return p;
}

/* render the terms of an SPF record compactly: "+include:x -all" or "ERR" */
static void terms(const char *rec, char *out, size_t cap)
{
    size_t pos = 0, o = 0;
    struct spf_term t;
    char err[200];
    int r;
    static const char *const names[] = {"all", "include", "a",        "mx",  "ptr", "ip4",
                                        "ip6", "exists",  "redirect", "exp", "mod"};
    out[0] = '\0';
    while ((r = spf_next_term(rec, strlen(rec), &pos, &t, err, sizeof err)) == 1) {
        o += (size_t)snprintf(out + o, cap - o, "%s%c%s", o ? " " : "", t.qual, names[t.mech]);
        if (t.spec.len)
            o += (size_t)snprintf(out + o, cap - o, ":%.*s", (int)t.spec.len, t.spec.p);
        if (t.cidr4 != 32)
            o += (size_t)snprintf(out + o, cap - o, "/%d", t.cidr4);
        if (t.cidr6 != 128)
            o += (size_t)snprintf(out + o, cap - o, "//%d", t.cidr6);
    }
    if (r < 0)
        snprintf(out + o, cap - o, "%sERR", o ? " " : "");
}

static void test_spf_terms(void)
{
    static const struct {
        const char *in, *want;
    } rows[] = {
        {"v=spf1 -all", "-all"},
        {"v=spf1", ""},
        {"v=spf1   ip4:192.0.2.0/24  ~all ", "+ip4/24 ~all"},
        {"v=spf1 ip6:2001:db8::/32 ?all", "+ip6//32 ?all"},
        {"v=spf1 a mx a:mail.example.com/28//64 mx:example.org -all",
         "+a +mx +a:mail.example.com/28//64 +mx:example.org -all"},
        {"v=spf1 a//64 -all", "+a//64 -all"},
        {"v=spf1 include:_spf.google.com redirect=_spf.example.com",
         "+include:_spf.google.com +redirect:_spf.example.com"},
        {"v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all", "+exists:%{ir}.%{l1r+-}._spf.%{d} -all"},
        {"v=spf1 ptr ptr:example.com -all", "+ptr +ptr:example.com -all"},
        {"v=spf1 exp=explain._spf.%{d} foo=bar -all", "+exp:explain._spf.%{d} +mod:bar -all"},
        {"V=SPF1 IP4:192.0.2.1 -ALL", "+ip4 -all"},
        /* errors */
        {"v=spf1 ip4:192.0.2.300 -all", "ERR"},
        {"v=spf1 ip4:192.0.2.1/33", "ERR"},
        {"v=spf1 ip6:192.0.2.1", "ERR"},
        {"v=spf1 ip4:2001:db8::1", "ERR"},
        {"v=spf1 include -all", "ERR"},
        {"v=spf1 include:example", "ERR"}, /* no domain-end: needs a dot */
        {"v=spf1 include:exa%mple.com", "ERR"},
        {"v=spf1 a:example.com/ -all", "ERR"},
        {"v=spf1 a/012", "ERR"},
        {"v=spf1 a/", "ERR"}, /* fuzz find: a lone '/' at the end of the record */
        {"v=spf1 mx:example.com/", "ERR"},
        {"v=spf1 a//", "ERR"},
        {"v=spf1 all:x", "ERR"},
        {"v=spf1 +foo", "ERR"},
        {"v=spf1 ptr/24", "ERR"},
        {"v=spf1 -all redirect=", "-all ERR"},
        {"v=spf1 exists:%{x}.example.com", "ERR"},
        {"v=spf1 exists:%{i", "ERR"},
        {"v=spf1 ip4:1.2.3.4 \x01junk", "+ip4 ERR"},
    };
    char got[512];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        terms(rows[i].in, got, sizeof got);
        CHECK_STR(s_(got), rows[i].want, rows[i].in);
    }
    CHECK(spf_is_record("v=spf1 -all", 11), "spf_is_record plain");
    CHECK(spf_is_record("v=spf1", 6), "spf_is_record bare");
    CHECK(!spf_is_record("v=spf10 -all", 12), "spf_is_record v=spf10");
    CHECK(!spf_is_record("v=spf", 5), "spf_is_record short");
    CHECK(!spf_is_record("spf1", 4), "spf_is_record other");
}

static void test_spf_macros(void)
{
    /* RFC 7208 7.4 */
    struct ipaddr ip4, ip6;
    CHECK(ip_parse("192.0.2.3", 9, &ip4), "ip4");
    CHECK(ip_parse("2001:db8::cb01", 14, &ip6), "ip6");
    struct spf_macro_ctx mc = {&ip4, "strong-bad", "email.example.com", "mx.example.org"};
    static const struct {
        const char *in, *want;
        int v6;
    } rows[] = {
        {"%{s}", "strong-bad@email.example.com", 0},
        {"%{o}", "email.example.com", 0},
        {"%{d}", "email.example.com", 0},
        {"%{d4}", "email.example.com", 0},
        {"%{d3}", "email.example.com", 0},
        {"%{d2}", "example.com", 0},
        {"%{d1}", "com", 0},
        {"%{dr}", "com.example.email", 0},
        {"%{d2r}", "example.email", 0},
        {"%{l}", "strong-bad", 0},
        {"%{l-}", "strong.bad", 0},
        {"%{lr}", "strong-bad", 0},
        {"%{lr-}", "bad.strong", 0},
        {"%{l1r-}", "strong", 0},
        {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com", 0},
        {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com", 0},
        {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com", 0},
        {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com", 0},
        {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net", 0},
        {"%{ir}.%{v}._spf.%{d2}",
         "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com", 1},
        {"%{i}", "192.0.2.3", 0},
        {"%{h}.%%.%_.%-", "mx.example.org.%. .%20", 0},
        {"%{d0}", NULL, 0}, /* zero labels: invalid */
        {"%{c}", NULL, 0},  /* exp-only letter */
        {"%{d", NULL, 0},
        {"%x", NULL, 0},
    };
    char out[300];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        mc.ip = rows[i].v6 ? &ip6 : &ip4;
        int n = spf_expand(slice_make(rows[i].in, strlen(rows[i].in)), "email.example.com", &mc,
                           out, sizeof out);
        if (rows[i].want)
            CHECK_STR(s_(n >= 0 ? out : "(error)"), rows[i].want, rows[i].in);
        else
            CHECK(n < 0, "%s: expanded to '%s', want an error", rows[i].in, out);
    }
    /* %{i} without an IP (the walk) cannot be expanded */
    mc.ip = NULL;
    CHECK(spf_expand(SLICE_LIT("%{i}.x.example"), "e.example", &mc, out, sizeof out) < 0, "no ip");
    /* over 253 bytes: left labels dropped */
    char longspec[600];
    int w = snprintf(longspec, sizeof longspec, "%%{d}.%%{d}.%%{d}.%%{d}.%%{d}.%%{d}.%%{d}");
    mc.ip = &ip4;
    const char *dom = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.com"; /* 52 bytes */
    int n = spf_expand(slice_make(longspec, (size_t)w), dom, &mc, out, sizeof out);
    CHECK(n > 0 && n <= 253, "long expansion: %d", n);
    CHECK(n > 11 && memcmp(out + n - 11, "example.com", 11) == 0 && out[0] != '.',
          "keeps the right end: %s", out);
}

static void test_dmarc(void)
{
    static const struct {
        const char *in;
        int rc;
        enum dmarc_policy p, sp;
        char adkim, aspf;
        int pct;
    } rows[] = {
        {"v=DMARC1; p=reject", RB_OK, DMARC_P_REJECT, DMARC_P_UNSET, 'r', 'r', 100},
        {"v=DMARC1;p=none;sp=quarantine;adkim=s;aspf=s;pct=50;rua=mailto:a@b.example", RB_OK,
         DMARC_P_NONE, DMARC_P_QUARANTINE, 's', 's', 50},
        {" v = DMARC1 ; p = Quarantine ; ", RB_OK, DMARC_P_QUARANTINE, DMARC_P_UNSET, 'r', 'r',
         100},
        {"v=DMARC1; p=reject; foo=bar; fo=1; ri=86400", RB_OK, DMARC_P_REJECT, DMARC_P_UNSET, 'r',
         'r', 100},
        {"v=DMARC1; p=rejectt", RB_EPARSE, DMARC_P_BAD, DMARC_P_UNSET, 'r', 'r', 100},
        {"v=DMARC1; p=reject; pct=200", RB_EPARSE, DMARC_P_REJECT, DMARC_P_UNSET, 'r', 'r', 100},
        {"v=DMARC1; p=reject; adkim=x", RB_EPARSE, DMARC_P_REJECT, DMARC_P_UNSET, 'r', 'r', 100},
        {"v=DMARC1; rua=mailto:a@b.example", RB_EPARSE, DMARC_P_UNSET, DMARC_P_UNSET, 'r', 'r',
         100},
        {"p=reject; v=DMARC1", RB_EPARSE, DMARC_P_UNSET, DMARC_P_UNSET, 'r', 'r', 100},
        {"v=DMARC1; p", RB_EPARSE, DMARC_P_UNSET, DMARC_P_UNSET, 'r', 'r', 100},
        {"", RB_EPARSE, DMARC_P_UNSET, DMARC_P_UNSET, 'r', 'r', 100},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct dmarc_record r;
        int rc = dmarc_parse(rows[i].in, strlen(rows[i].in), &r);
        CHECK_INT(rc, rows[i].rc, rows[i].in);
        CHECK_INT(r.p, rows[i].p, rows[i].in);
        CHECK_INT(r.sp, rows[i].sp, rows[i].in);
        CHECK_INT(r.adkim, rows[i].adkim, rows[i].in);
        CHECK_INT(r.aspf, rows[i].aspf, rows[i].in);
        CHECK_INT(r.pct, rows[i].pct, rows[i].in);
        CHECK(rc == RB_OK ? r.err[0] == '\0' : r.err[0] != '\0', "%s: err '%s'", rows[i].in, r.err);
    }
    CHECK(dmarc_is_record("v=DMARC1; p=none", 16), "is record");
    CHECK(dmarc_is_record("v = DMARC1", 10), "is record spaced");
    CHECK(!dmarc_is_record("v=DMARC10", 9), "not DMARC10");
    CHECK(!dmarc_is_record("v=spf1 -all", 11), "not spf");
}

static void test_dkim(void)
{
    static const struct {
        const char *in;
        int rc;
        const char *p, *k;
        bool testing;
    } rows[] = {
        {"v=DKIM1; k=rsa; p=MIGfMA0", RB_OK, "MIGfMA0", "rsa", false},
        {"p=MIGf MA0", RB_OK, "MIGf MA0", "", false},
        {"v=DKIM1; p=", RB_OK, "", "", false},
        {"v=DKIM1; t=y:s; p=abc", RB_OK, "abc", "", true},
        {"v=DKIM1; t=s; p=abc", RB_OK, "abc", "", false},
        {"k=ed25519; p=abc; x=unknown", RB_OK, "abc", "ed25519", false},
        {"k=rsa; v=DKIM1; p=abc", RB_EPARSE, "", "rsa", false}, /* v= not first */
        {"v=DKIM1; k=rsa", RB_EPARSE, "", "rsa", false},        /* no p= */
        {"v=DKIM1; p=a; p=b", RB_EPARSE, "a", "", false},
        {"v=DKIM1; garbage; p=a", RB_EPARSE, "", "", false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct dkim_key k;
        int rc = dkim_parse_key(rows[i].in, strlen(rows[i].in), &k);
        CHECK_INT(rc, rows[i].rc, rows[i].in);
        if (rc != RB_OK)
            continue;
        char p[64], kt[64];
        snprintf(p, sizeof p, "%.*s", (int)k.p.len, k.p.p);
        snprintf(kt, sizeof kt, "%.*s", (int)k.k.len, k.k.p);
        CHECK_STR(s_(p), rows[i].p, rows[i].in);
        CHECK_STR(s_(kt), rows[i].k, rows[i].in);
        CHECK_INT(k.testing, rows[i].testing, rows[i].in);
    }
}

static void test_keys(void)
{
    static const struct {
        const char *name, *b64;
        int rc;
        unsigned bits;
        enum dkim_keytype type;
    } rows[] = {
        {"rsa2048", k2048, RB_OK, 2048, DKIM_KEY_RSA},
        {"rsa1024", k1024, RB_OK, 1024, DKIM_KEY_RSA},
        {"rsa512", k512, RB_OK, 512, DKIM_KEY_RSA},
        {"rsa1024-pkcs1", k1024_pkcs1, RB_OK, 1024, DKIM_KEY_RSA},
        {"ed25519-spki", ed_spki, RB_OK, 256, DKIM_KEY_ED25519},
        {"empty", "", RB_EPARSE, 0, DKIM_KEY_OTHER},
        {"junk", "AAAAAAAA", RB_EPARSE, 0, DKIM_KEY_OTHER},
        {"sequence only", "MAA=", RB_EPARSE, 0, DKIM_KEY_OTHER},
        {"long length", "MIT/////", RB_EPARSE, 0, DKIM_KEY_OTHER},
    };
    unsigned char der[DKIM_MAX_KEY_BYTES];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t n = 0;
        int rc = b64_decode(rows[i].b64, strlen(rows[i].b64), der, sizeof der, &n);
        CHECK_INT(rc, RB_OK, rows[i].name);
        unsigned bits = 0;
        enum dkim_keytype type;
        rc = der_key_bits(der, n, &bits, &type);
        CHECK_INT(rc, rows[i].rc, rows[i].name);
        CHECK_INT(bits, rows[i].bits, rows[i].name);
        if (rc == RB_OK)
            CHECK_INT(type, rows[i].type, rows[i].name);
    }
    /* every truncation of a real key is refused, never read past its end */
    size_t n = 0;
    CHECK_INT(b64_decode(k2048, strlen(k2048), der, sizeof der, &n), RB_OK, "k2048");
    int refused = 0;
    for (size_t cut = 0; cut < n; cut++) {
        unsigned char part[DKIM_MAX_KEY_BYTES];
        memcpy(part, der, cut);
        unsigned bits;
        enum dkim_keytype type;
        refused += der_key_bits(part, cut, &bits, &type) == RB_EPARSE;
    }
    CHECK_INT(refused, n, "truncated keys refused");
    /* base64 */
    CHECK_INT(b64_decode("a$bc", 4, der, sizeof der, &n), RB_EPARSE, "bad char");
    CHECK_INT(b64_decode("YWJj=YQ", 7, der, sizeof der, &n), RB_EPARSE, "data after padding");
    CHECK_INT(b64_decode("YWJj", 4, der, 2, &n), RB_ETOOBIG, "too big");
    CHECK(b64_decode("YW Jj\r\nZA==", 10, der, sizeof der, &n) == RB_OK && n == 4 &&
              memcmp(der, "abcd", 4) == 0,
          "whitespace skipped");
}

static void test_dnsbl(void)
{
    struct dnsbl_list t[64];
    size_t n = dnsbl_table(t, 64);
    CHECK(n >= 8, "table rows: %zu", n);
    /* unique ids and zones (a duplicate would shadow a row) */
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++) {
            CHECK(!(t[i].id.len == t[k].id.len && memcmp(t[i].id.p, t[k].id.p, t[i].id.len) == 0),
                  "duplicate id %.*s", (int)t[i].id.len, t[i].id.p);
            CHECK(!(t[i].zone.len == t[k].zone.len &&
                    memcmp(t[i].zone.p, t[k].zone.p, t[i].zone.len) == 0),
                  "duplicate zone %.*s", (int)t[i].zone.len, t[i].zone.p);
        }
    const struct dnsbl_list *zen = NULL, *dbl = NULL;
    int defaults = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK(dns_name_ok(t[i].zone.p, t[i].zone.len), "zone %.*s", (int)t[i].zone.len,
              t[i].zone.p);
        defaults += t[i].dflt;
        if (slice_eq_ci(t[i].id, "zen"))
            zen = &t[i];
        if (slice_eq_ci(t[i].id, "dbl"))
            dbl = &t[i];
    }
    CHECK(defaults >= 5, "default lists: %d", defaults);
    CHECK(zen && zen->ip && zen->dflt, "zen");
    CHECK(dbl && !dbl->ip && dbl->dflt, "dbl");
    if (!zen || !dbl)
        return;
    static const struct {
        int dbl;
        unsigned char a[4];
        enum dnsbl_class want;
        const char *meaning; /* prefix */
    } rows[] = {
        {0, {127, 0, 0, 2}, DNSBL_LISTED, "SBL, Spamhaus"},
        {0, {127, 0, 0, 3}, DNSBL_LISTED, "SBL CSS"},
        {0, {127, 0, 0, 4}, DNSBL_LISTED, "XBL"},
        {0, {127, 0, 0, 7}, DNSBL_LISTED, "XBL"},
        {0, {127, 0, 0, 9}, DNSBL_LISTED, "SBL DROP"},
        {0, {127, 0, 0, 10}, DNSBL_LISTED, "PBL"},
        {0, {127, 0, 0, 11}, DNSBL_LISTED, "PBL"},
        {0, {127, 255, 255, 252}, DNSBL_REFUSED, "typing error"},
        {0, {127, 255, 255, 254}, DNSBL_REFUSED, "query through a public"},
        {0, {127, 255, 255, 255}, DNSBL_REFUSED, "excessive"},
        {0, {127, 0, 0, 99}, DNSBL_LISTED, ""},
        {0, {10, 0, 0, 1}, DNSBL_REFUSED, ""},
        {1, {127, 0, 1, 2}, DNSBL_LISTED, "DBL spam domain"},
        {1, {127, 0, 1, 106}, DNSBL_LISTED, "DBL abused legitimate domain (botnet"},
        {1, {127, 0, 1, 255}, DNSBL_REFUSED, "IP address queried"},
        {1, {127, 255, 255, 254}, DNSBL_REFUSED, "query through a public"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct slice m;
        enum dnsbl_class c = dnsbl_interpret(rows[i].dbl ? dbl : zen, rows[i].a, &m);
        char ctx[64];
        snprintf(ctx, sizeof ctx, "%s %u.%u.%u.%u", rows[i].dbl ? "dbl" : "zen", rows[i].a[0],
                 rows[i].a[1], rows[i].a[2], rows[i].a[3]);
        CHECK_INT(c, rows[i].want, ctx);
        size_t pl = strlen(rows[i].meaning);
        CHECK(pl == 0 ? m.len == 0 : m.len >= pl && memcmp(m.p, rows[i].meaning, pl) == 0,
              "%s: meaning '%.*s'", ctx, (int)m.len, m.p);
    }
}

static void test_names(void)
{
    static const struct {
        const char *in, *want;
    } org[] = {
        {"example.com", "example.com"},
        {"mail.example.com", "example.com"},
        {"a.b.c.Example.COM.", "example.com"},
        {"shop.example.co.uk", "example.co.uk"},
        {"example.co.uk", "example.co.uk"},
        {"x.y.example.com.au", "example.com.au"},
        {"co.uk", "co.uk"},
        {"com", "com"},
    };
    char out[300];
    for (size_t i = 0; i < sizeof org / sizeof org[0]; i++) {
        doctor_org_domain(org[i].in, out, sizeof out);
        CHECK_STR(s_(out), org[i].want, org[i].in);
    }
    CHECK(doctor_aligned("mail.example.com", "example.com", false), "relaxed sub");
    CHECK(!doctor_aligned("mail.example.com", "example.com", true), "strict sub");
    CHECK(doctor_aligned("Example.com", "example.COM", true), "strict case");
    CHECK(!doctor_aligned("esp.example", "example.com", false), "other org");
    CHECK(!doctor_aligned("a.example.co.uk", "b.other.co.uk", false), "psl co.uk");

    static const struct {
        const char *in;
        bool ok;
    } names[] = {
        {"example.com", true}, {"example.com.", true},
        {"a", true},           {"", false},
        {".", false},          {"a..b", false},
        {".a", false},         {"a b.com", false},
        {"\\065.com", false},  {"xn--bcher-kva.example", true},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        CHECK_INT(dns_name_ok(names[i].in, strlen(names[i].in)), names[i].ok, names[i].in);
    char label[80], longname[300];
    memset(label, 'a', 64);
    label[64] = '\0';
    CHECK(!dns_name_ok(label, 64), "64-byte label");
    memset(longname, 'a', 254);
    for (int i = 10; i < 254; i += 10)
        longname[i] = '.';
    CHECK(!dns_name_ok(longname, 254), "254 bytes");
    CHECK(dns_name_ok(longname, 253), "253 bytes");

    struct ipaddr a;
    char rev[128], txt[64];
    CHECK(ip_parse("192.0.2.1", 9, &a) && a.family == 4, "v4");
    CHECK(ip_reverse(&a, NULL, rev, sizeof rev), "rev4");
    CHECK_STR(s_(rev), "1.2.0.192.in-addr.arpa", "rev4");
    CHECK(ip_reverse(&a, "zen.spamhaus.org", rev, sizeof rev), "rev4 zen");
    CHECK_STR(s_(rev), "1.2.0.192.zen.spamhaus.org", "rev4 zen");
    CHECK(ip_parse("2001:DB8::1", 11, &a) && a.family == 6, "v6");
    CHECK(ip_reverse(&a, NULL, rev, sizeof rev), "rev6");
    CHECK_STR(s_(rev), "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
              "rev6");
    ip_format(&a, txt, sizeof txt);
    CHECK_STR(s_(txt), "2001:db8::1", "format6");
    CHECK(!ip_parse("192.0.2", 7, &a), "short v4");
    CHECK(!ip_parse("192.0.2.256", 11, &a), "octet");
    CHECK(!ip_parse("example.com", 11, &a), "name");
    unsigned char net[16] = {192, 0, 2, 0};
    CHECK(ip_parse("192.0.2.77", 10, &a) && ip_in_prefix(&a, net, 4, 24), "in /24");
    CHECK(!ip_in_prefix(&a, net, 4, 32), "not /32");
    CHECK(ip_in_prefix(&a, net, 4, 0), "in /0");
    CHECK(ip_in_prefix(&a, net, 4, 25), "in /25 (77 < 128)");
    CHECK(!ip_in_prefix(&a, net, 4, 26), "/26: 77 is outside 0-63");
    CHECK(!ip_in_prefix(&a, net, 6, 24), "family");
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    test_spf_terms();
    test_spf_macros();
    test_dmarc();
    test_dkim();
    test_keys();
    test_dnsbl();
    test_names();
    return harness_done();
}
