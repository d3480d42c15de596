/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * doctor_dkim.c - DKIM keys for the doctor: the S._domainkey.D record of each selector, its
 *                 tags (RFC 6376 3.6.1), the public key decoded from base64 and its DER read
 *                 here (SubjectPublicKeyInfo or PKCS#1 RSAPublicKey; Ed25519 raw, RFC 8463)
 *                 for type and size, test mode, revocation, and d= alignment with From.
 *
 * DESCRIPTION
 *   Selectors come from the user or the bounces (explicit: an absent key is a finding) and
 *   from a default list tried quietly. RSA sizes: below 1024 bits critical (receivers such
 *   as Gmail treat the signature as failed), below 2048 a warning.
 *
 * LIMITS
 *   DKIM_MAX_KEY_BYTES of decoded key; DER lengths up to 4 bytes; tags are not checked
 *   against h= / s= of a signature (there is no signature here).
 */
#include <stdio.h>
#include <string.h>

#include "doctor_int.h"

int dkim_parse_key(const char *p, size_t len, struct dkim_key *out)
{
    memset(out, 0, sizeof *out);
    size_t i = 0, n = 0;
    while (i <= len) {
        size_t s = i;
        while (i < len && p[i] != ';')
            i++;
        struct slice tag = slice_trim(slice_make(p + s, i - s));
        i++;
        if (tag.len == 0)
            continue;
        const char *eq = memchr(tag.p, '=', tag.len);
        int tl = (int)(tag.len > 40 ? 40 : tag.len);
        if (!eq) {
            snprintf(out->err, sizeof out->err, "'%.*s' is not tag=value", tl, tag.p);
            return RB_EPARSE;
        }
        struct slice name = slice_trim(slice_make(tag.p, (size_t)(eq - tag.p)));
        struct slice val = slice_trim(slice_make(eq + 1, tag.len - (size_t)(eq - tag.p) - 1));
        n++;
        struct slice *dst = NULL;
        bool *has = NULL;
        if (slice_eq_ci(name, "v")) {
            if (n != 1 || !(val.len == 5 && memcmp(val.p, "DKIM1", 5) == 0)) {
                snprintf(out->err, sizeof out->err, "v= must come first and be DKIM1");
                return RB_EPARSE;
            }
            dst = &out->v, has = &out->has_v;
        } else if (slice_eq_ci(name, "k")) {
            dst = &out->k, has = &out->has_k;
        } else if (slice_eq_ci(name, "p")) {
            dst = &out->p, has = &out->has_p;
        } else if (slice_eq_ci(name, "t")) {
            dst = &out->t, has = &out->has_t;
        } else if (slice_eq_ci(name, "s")) {
            dst = &out->s;
        } else if (slice_eq_ci(name, "h")) {
            dst = &out->h;
        } else if (name.len == 0) {
            snprintf(out->err, sizeof out->err, "'%.*s' has no tag name", tl, tag.p);
            return RB_EPARSE;
        }
        if (has && *has) {
            snprintf(out->err, sizeof out->err, "tag %.*s given twice", (int)name.len, name.p);
            return RB_EPARSE;
        }
        if (has)
            *has = true;
        if (dst)
            *dst = val;
    }
    if (!out->has_p) {
        snprintf(out->err, sizeof out->err, "no p= tag (the public key)");
        return RB_EPARSE;
    }
    /* t= is a colon-separated list of flags */
    for (size_t k = 0; k < out->t.len;) {
        size_t s = k;
        while (k < out->t.len && out->t.p[k] != ':')
            k++;
        struct slice fl = slice_trim(slice_make(out->t.p + s, k - s));
        if (slice_eq_ci(fl, "y"))
            out->testing = true;
        k++;
    }
    return RB_OK;
}

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int b64_decode(const char *p, size_t len, unsigned char *out, size_t cap, size_t *outlen)
{
    unsigned acc = 0;
    int bits = 0, pad = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = b64_val(c);
        if (v < 0 || pad)
            return RB_EPARSE;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == cap)
                return RB_ETOOBIG;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (pad > 2 || bits >= 6)
        return RB_EPARSE;
    *outlen = o;
    return RB_OK;
}

/* der_next - one TLV at *p (before end): tag, content; advances *p. false if malformed. */
static bool der_next(const unsigned char **p, const unsigned char *end, unsigned char *tag,
                     const unsigned char **val, size_t *vlen)
{
    const unsigned char *q = *p;
    if (end - q < 2)
        return false;
    *tag = *q++;
    if ((*tag & 0x1f) == 0x1f)
        return false; /* high tag numbers do not occur in public keys */
    size_t l = *q++;
    if (l & 0x80) {
        size_t nb = l & 0x7f;
        if (nb == 0 || nb > 4 || (size_t)(end - q) < nb)
            return false;
        l = 0;
        for (size_t i = 0; i < nb; i++)
            l = (l << 8) | *q++;
    }
    if ((size_t)(end - q) < l)
        return false;
    *val = q;
    *vlen = l;
    *p = q + l;
    return true;
}

/* rsa_bits - modulus size of an RSAPublicKey SEQUENCE content. */
static bool rsa_bits(const unsigned char *p, size_t len, unsigned *bits)
{
    const unsigned char *q = p, *end = p + len, *v;
    size_t vl;
    unsigned char tag;
    if (!der_next(&q, end, &tag, &v, &vl) || tag != 0x02 || vl == 0)
        return false;
    while (vl > 0 && v[0] == 0)
        v++, vl--;
    if (vl == 0)
        return false;
    unsigned b = (unsigned)vl * 8;
    for (unsigned char top = v[0]; !(top & 0x80); top = (unsigned char)(top << 1))
        b--;
    const unsigned char *e;
    size_t el;
    if (!der_next(&q, end, &tag, &e, &el) || tag != 0x02 || el == 0)
        return false; /* the exponent must be there too */
    *bits = b;
    return true;
}

int der_key_bits(const unsigned char *p, size_t len, unsigned *bits, enum dkim_keytype *type)
{
    static const unsigned char oid_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
    static const unsigned char oid_ed25519[] = {0x2b, 0x65, 0x70};
    const unsigned char *q = p, *end = p + len, *seq;
    size_t sl;
    unsigned char tag;
    *bits = 0;
    *type = DKIM_KEY_OTHER;
    if (!der_next(&q, end, &tag, &seq, &sl) || tag != 0x30)
        return RB_EPARSE;
    const unsigned char *s = seq, *se = seq + sl, *v;
    size_t vl;
    if (!der_next(&s, se, &tag, &v, &vl))
        return RB_EPARSE;
    if (tag == 0x02) { /* a bare PKCS#1 RSAPublicKey: SEQUENCE { n, e } */
        *type = DKIM_KEY_RSA;
        return rsa_bits(seq, sl, bits) ? RB_OK : RB_EPARSE;
    }
    if (tag != 0x30) /* AlgorithmIdentifier */
        return RB_EPARSE;
    const unsigned char *a = v, *ae = v + vl, *oid;
    size_t ol;
    if (!der_next(&a, ae, &tag, &oid, &ol) || tag != 0x06)
        return RB_EPARSE;
    const unsigned char *bs;
    size_t bl;
    if (!der_next(&s, se, &tag, &bs, &bl) || tag != 0x03 || bl < 1 || bs[0] != 0)
        return RB_EPARSE;
    if (ol == sizeof oid_rsa && memcmp(oid, oid_rsa, ol) == 0) {
        *type = DKIM_KEY_RSA;
        const unsigned char *k = bs + 1, *ke = bs + bl, *kv;
        size_t kl;
        if (!der_next(&k, ke, &tag, &kv, &kl) || tag != 0x30)
            return RB_EPARSE;
        return rsa_bits(kv, kl, bits) ? RB_OK : RB_EPARSE;
    }
    if (ol == sizeof oid_ed25519 && memcmp(oid, oid_ed25519, ol) == 0) {
        *type = DKIM_KEY_ED25519;
        if (bl - 1 != 32)
            return RB_EPARSE;
        *bits = 256;
        return RB_OK;
    }
    return RB_OK; /* another algorithm: type says so */
}

/* ---- findings -------------------------------------------------------------------------- */

static void check_one(struct doctor *d, const struct doctor_sel_int *s, bool *found_any,
                      bool *failed_any)
{
    char name[DNS_MAX_NAME + 80];
    snprintf(name, sizeof name, "%s._domainkey.%s", s->selector, s->domain);
    const struct dns_answer *a = dns_get(d->dns, name, DNS_T_TXT);
    if (dns_failed(a->status) || a->status == DNS_BADNAME) {
        *failed_any |= dns_failed(a->status);
        if (s->explicit_)
            doctor_add(d, "dkim", "dkim.dns", DS_UNKNOWN, name,
                       "could not check the DKIM key of selector %s: %s", s->selector,
                       dns_status_name(a->status));
        return;
    }
    /* the key record: a TXT with p= (v=DKIM1 optional); other TXT records are ignored */
    const struct dns_rr *rec = NULL;
    size_t nkeys = 0;
    for (size_t i = 0; i < a->n; i++) {
        const char *t = a->rr[i].p;
        size_t tl = a->rr[i].len;
        bool looks = (tl >= 7 && memcmp(t, "v=DKIM1", 7) == 0) || memmem_ci(t, tl, "p=", 2) ||
                     memmem_ci(t, tl, "k=", 2);
        if (looks && nkeys++ == 0)
            rec = &a->rr[i];
    }
    if (!rec) {
        if (s->explicit_) {
            struct doctor_finding *f = doctor_add(
                d, "dkim", "dkim.missing", DS_CRITICAL, name,
                "no DKIM key for selector %s at %s (%s): every signature made with it fails",
                s->selector, name,
                a->status == DNS_ANSWER ? "TXT without a key" : dns_status_name(a->status));
            doctor_fix(d, f,
                       "publish the DKIM key for selector %s: TXT at %s \"v=DKIM1; k=rsa; "
                       "p=<public key>\" (from your signing software or ESP)",
                       s->selector, name);
        }
        return;
    }
    *found_any = true;
    if (nkeys > 1) {
        struct doctor_finding *f =
            doctor_add(d, "dkim", "dkim.multiple", DS_WARNING, name,
                       "%zu key records at %s: verifiers may pick either", nkeys, name);
        doctor_evidence(d, f, rec->p, rec->len);
        doctor_fix(d, f, "keep one key record at %s", name);
    }
    struct dkim_key k;
    if (dkim_parse_key(rec->p, rec->len, &k) != RB_OK) {
        struct doctor_finding *f =
            doctor_add(d, "dkim", "dkim.syntax", DS_CRITICAL, name,
                       "DKIM key record for selector %s is invalid: %s", s->selector, k.err);
        doctor_evidence(d, f, rec->p, rec->len);
        doctor_fix(d, f, "republish the key at %s as \"v=DKIM1; k=rsa; p=<base64 key>\"", name);
        return;
    }
    if (k.p.len == 0) {
        struct doctor_finding *f =
            doctor_add(d, "dkim", "dkim.revoked", s->explicit_ ? DS_CRITICAL : DS_INFO, name,
                       "the DKIM key of selector %s is revoked (empty p=)%s", s->selector,
                       s->explicit_ ? ": signatures with it fail" : "");
        doctor_evidence(d, f, rec->p, rec->len);
        if (s->explicit_)
            doctor_fix(d, f,
                       "sign with a selector whose key is published, or publish the current key "
                       "for selector %s at %s",
                       s->selector, name);
        return;
    }
    bool ed = k.has_k && slice_eq_ci(k.k, "ed25519");
    if (k.has_k && !ed && !slice_eq_ci(k.k, "rsa")) {
        struct doctor_finding *f = doctor_add(
            d, "dkim", "dkim.keytype", DS_CRITICAL, name, "unknown key type k=%.*s for selector %s",
            (int)(k.k.len > 20 ? 20 : k.k.len), k.k.p, s->selector);
        doctor_evidence(d, f, rec->p, rec->len);
        doctor_fix(d, f, "use k=rsa (or k=ed25519 alongside an RSA key)");
        return;
    }
    unsigned char der[DKIM_MAX_KEY_BYTES];
    size_t dl = 0;
    int rc = b64_decode(k.p.p, k.p.len, der, sizeof der, &dl);
    unsigned bits = 0;
    enum dkim_keytype type = DKIM_KEY_OTHER;
    if (rc == RB_OK) {
        if (ed && dl == 32) {
            type = DKIM_KEY_ED25519, bits = 256;
        } else {
            rc = der_key_bits(der, dl, &bits, &type);
            if (rc == RB_OK && type != (ed ? DKIM_KEY_ED25519 : DKIM_KEY_RSA))
                rc = RB_EPARSE;
        }
    }
    if (rc != RB_OK) {
        struct doctor_finding *f =
            doctor_add(d, "dkim", "dkim.key_invalid", DS_CRITICAL, name,
                       "the p= of selector %s is not a valid %s public key (%s)", s->selector,
                       ed ? "Ed25519" : "RSA", rc == RB_ETOOBIG ? "too long" : "bad base64 or DER");
        doctor_evidence(d, f, rec->p, rec->len);
        doctor_fix(d, f,
                   "republish the public key for selector %s exactly as your signer "
                   "exports it (base64 of the DER SubjectPublicKeyInfo)",
                   s->selector);
        return;
    }
    struct doctor_finding *f;
    if (type == DKIM_KEY_ED25519) {
        f = doctor_add(d, "dkim", "dkim.key", DS_OK, name, "Ed25519 key for selector %s",
                       s->selector);
        doctor_evidence(d, f, rec->p, rec->len);
        f = doctor_add(d, "dkim", "dkim.ed25519_only", DS_INFO, name,
                       "many receivers do not verify Ed25519 signatures yet");
        doctor_fix(d, f, "sign with an RSA key too (a second selector)");
    } else if (bits < 1024) {
        f = doctor_add(d, "dkim", "dkim.key_short", DS_CRITICAL, name,
                       "%u-bit RSA key for selector %s: receivers treat signatures with keys "
                       "under 1024 bits as failed",
                       bits, s->selector);
        doctor_evidence(d, f, rec->p, rec->len);
        doctor_fix(d, f,
                   "generate a 2048-bit key, publish it under a new selector, and sign "
                   "with it");
    } else if (bits < 2048) {
        f = doctor_add(d, "dkim", "dkim.key_weak", DS_WARNING, name,
                       "%u-bit RSA key for selector %s: below the 2048 bits receivers expect", bits,
                       s->selector);
        doctor_evidence(d, f, rec->p, rec->len);
        doctor_fix(d, f, "rotate to a 2048-bit key under a new selector");
    } else {
        f = doctor_add(d, "dkim", "dkim.key", DS_OK, name, "%u-bit RSA key for selector %s", bits,
                       s->selector);
        doctor_evidence(d, f, rec->p, rec->len);
    }
    if (k.testing) {
        f = doctor_add(d, "dkim", "dkim.testing", DS_WARNING, name,
                       "t=y: selector %s is in test mode; receivers may ignore failures and "
                       "some give the signature no weight",
                       s->selector);
        doctor_evidence(d, f, rec->p, rec->len);
        doctor_fix(d, f, "remove t=y from the key record at %s once signing works", name);
    }
    if (k.s.len && !memmem_ci(k.s.p, k.s.len, "email", 5) && !memchr(k.s.p, '*', k.s.len)) {
        f = doctor_add(d, "dkim", "dkim.service", DS_CRITICAL, name,
                       "s=%.*s: the key is not for email", (int)(k.s.len > 20 ? 20 : k.s.len),
                       k.s.p);
        doctor_fix(d, f, "remove s= or set s=email");
    }
    /* alignment of the signing domain with From under adkim */
    if (strcmp(s->domain, d->from) != 0) {
        char mode = d->dmarc_found ? d->adkim : 'r';
        if (doctor_aligned(s->domain, d->from, mode == 's')) {
            doctor_add(d, "dkim", "dkim.aligned", DS_OK, name,
                       "DKIM d=%s is aligned with From: %s under adkim=%c", s->domain, d->from,
                       mode);
        } else {
            f = doctor_add(d, "dkim", "dkim.unaligned", DS_WARNING, name,
                           "DKIM d=%s is not aligned with From: %s under adkim=%c: this "
                           "signature does not count for DMARC",
                           s->domain, d->from, mode);
            doctor_fix(d, f,
                       "sign with d=%s (publish a key under %s._domainkey.%s; ESPs call this "
                       "custom DKIM)%s",
                       d->from, s->selector, d->from,
                       mode == 's' ? ", or relax the DMARC record to adkim=r" : "");
        }
    }
}

void doctor_check_dkim(struct doctor *d)
{
    for (size_t i = 0; i < d->nsels; i++) {
        char name[DNS_MAX_NAME + 80];
        snprintf(name, sizeof name, "%s._domainkey.%s", d->sels[i].selector, d->sels[i].domain);
        dns_want(d->dns, name, DNS_T_TXT);
    }
    bool found = false, any_explicit = false, failed = false;
    for (size_t i = 0; i < d->nsels; i++) {
        any_explicit |= d->sels[i].explicit_;
        check_one(d, &d->sels[i], &found, &failed);
    }
    if (!found && !any_explicit && failed) {
        doctor_add(d, "dkim", "dkim.dns", DS_UNKNOWN, d->from,
                   "could not look for DKIM keys under the common selectors (DNS failures)");
    } else if (!found && !any_explicit) {
        char list[512];
        size_t o = 0;
        for (size_t i = 0; i < d->nsels && o < sizeof list - 70; i++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "",
                                  d->sels[i].selector);
        struct doctor_finding *f = doctor_add(d, "dkim", "dkim.not_found", DS_INFO, d->from,
                                              "no DKIM key found under the common selectors (%s)",
                                              o ? list : "none tried");
        doctor_fix(d, f,
                   "give the selector your mail is signed with: --selector S (the s= of "
                   "the DKIM-Signature header)");
    }
}
