/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * doctor_int.h - internals shared by the doctor_*.c files: cached DNS questions, the record
 *                parsers (SPF terms, DMARC and DKIM tag lists, DER public keys), the run's
 *                state and the finding builders.
 *
 * DESCRIPTION
 *   DNS: dns_want() starts a question without waiting (questions run in parallel), dns_get()
 *   returns its answer, waiting for it if needed. Every (name, type) is asked once per dns:
 *   later calls are answered from the cache. Answers are owned by the dns and valid until
 *   dns_free. TXT records are the record's character-strings joined; A/AAAA are 4/16 raw
 *   bytes; MX, PTR and CNAME are names in text form without the final dot.
 *
 *   Parsers take (p, len) and never rely on a NUL; they return slices into the input.
 *
 * LIMITS
 *   DNS_MAX_QUERIES per dns, DNS_MAX_RR records per answer, DNS_MAX_TXT bytes per record,
 *   SPF_MAX_DEPTH nested include/redirect, SPF_WALK_MAX_LOOKUPS counted before giving up,
 *   SPF_MAX_TERMS per record, DKIM_MAX_KEY_BYTES of decoded key.
 */
#ifndef RB_DOCTOR_INT_H
#define RB_DOCTOR_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "doctor.h"
#include "slice.h"

/* ---- DNS ------------------------------------------------------------------------------- */
#define DNS_MAX_QUERIES 4000 /* questions per run: the budget that ends any runaway */
#define DNS_MAX_RR 64        /* records kept per answer (more are dropped, said in why) */
#define DNS_MAX_TXT 8192     /* bytes kept per joined TXT record */
#define DNS_MAX_NAME 253

#define DNS_T_A 1
#define DNS_T_NS 2
#define DNS_T_CNAME 5
#define DNS_T_PTR 12
#define DNS_T_MX 15
#define DNS_T_TXT 16
#define DNS_T_AAAA 28

enum dns_status {
    DNS_ANSWER,   /* records in rr */
    DNS_NXDOMAIN, /* the name does not exist */
    DNS_NODATA,   /* the name exists, no record of the type */
    DNS_SERVFAIL, /* the resolver failed (includes CNAME loops, lame servers) */
    DNS_REFUSED,  /* the server refused to answer */
    DNS_TIMEOUT,  /* no answer within the timeout after the retries */
    DNS_BADNAME,  /* not a valid domain name: never asked */
    DNS_ERROR     /* resolver error or the query budget exhausted; why says */
};

struct dns_rr {
    char *p; /* TXT text, name text, or 4/16 address bytes; NUL-terminated */
    size_t len;
    unsigned pref; /* MX preference */
};

struct dns_answer {
    enum dns_status status;
    size_t n;
    struct dns_rr *rr;
    bool truncated;  /* more than DNS_MAX_RR records, or a TXT over DNS_MAX_TXT */
    const char *why; /* static text for DNS_ERROR, else NULL */
};

/* dns_status_name - "answer", "NXDOMAIN", "no data", "SERVFAIL", "REFUSED", "timeout" ... */
const char *dns_status_name(enum dns_status s);
/* dns_failed - whether the status means the question could not be answered (the check
 * could not be made): SERVFAIL, REFUSED, timeout, error. */
bool dns_failed(enum dns_status s);
/* dns_want - start asking (name, type) unless cached or in flight; never waits. */
void dns_want(struct dns *d, const char *name, int type);
/* dns_get - the answer to (name, type), waiting for it; never NULL; owned by d. */
const struct dns_answer *dns_get(struct dns *d, const char *name, int type);
/* dns_name_ok - whether name is a syntactically valid domain name to ask (labels 1..63
 * bytes, total <= 253, no empty label; a final dot allowed). */
bool dns_name_ok(const char *name, size_t len);

/* ---- addresses ------------------------------------------------------------------------- */
struct ipaddr {
    int family; /* 4 or 6 */
    unsigned char b[16];
};
/* ip_parse - an IPv4 or IPv6 address in text (p, len); true when valid. */
bool ip_parse(const char *p, size_t len, struct ipaddr *out);
/* ip_format - text form into out (>= 46 bytes). */
void ip_format(const struct ipaddr *a, char *out, size_t cap);
/* ip_reverse - "4.3.2.1" or the 32 nibbles for ip6, with suffix appended after a dot
 * (suffix NULL: in-addr.arpa / ip6.arpa); false if it does not fit. */
bool ip_reverse(const struct ipaddr *a, const char *suffix, char *out, size_t cap);
/* ip_in_prefix - whether a lies in net/bits (same family). */
bool ip_in_prefix(const struct ipaddr *a, const unsigned char *net, int family, int bits);

/* ---- SPF (doctor_spf.c) ---------------------------------------------------------------- */
#define SPF_MAX_DEPTH 42        /* nested include/redirect (beyond the walk's lookup count) */
#define SPF_LOOKUP_LIMIT 10     /* RFC 7208 4.6.4 */
#define SPF_VOID_LIMIT 2        /* RFC 7208 4.6.4 */
#define SPF_WALK_MAX_LOOKUPS 40 /* the full walk counts this far, then stops */
#define SPF_MAX_TERMS 512
#define SPF_MAX_MX_NAMES 10

enum spf_mech {
    SPF_M_ALL,
    SPF_M_INCLUDE,
    SPF_M_A,
    SPF_M_MX,
    SPF_M_PTR,
    SPF_M_IP4,
    SPF_M_IP6,
    SPF_M_EXISTS,
    SPF_M_REDIRECT, /* modifiers */
    SPF_M_EXP,
    SPF_M_UNKNOWN_MOD
};

struct spf_term {
    struct slice text; /* the whole term */
    enum spf_mech mech;
    char qual;             /* '+', '-', '~', '?' */
    struct slice spec;     /* domain-spec (a, mx, ptr, include, exists, redirect, exp) or empty */
    int cidr4, cidr6;      /* prefix lengths (32/128 when absent) */
    unsigned char net[16]; /* ip4/ip6 network */
};

enum spf_result {
    SPF_NONE,
    SPF_NEUTRAL,
    SPF_PASS,
    SPF_FAIL,
    SPF_SOFTFAIL,
    SPF_TEMPERROR,
    SPF_PERMERROR
};
const char *spf_result_name(enum spf_result r);

/* spf_is_record - whether a TXT record is an SPF record ("v=spf1" then SP or the end). */
bool spf_is_record(const char *p, size_t len);
/* spf_next_term - the next term of a record after "v=spf1": *pos is advanced (start it at
 * 0); returns 1 with *t set, 0 at the end, -1 on a syntax error (err says which term). */
int spf_next_term(const char *p, size_t len, size_t *pos, struct spf_term *t, char *err,
                  size_t errcap);
/* spf_macro_ok - whether a domain-spec / macro-string is syntactically valid. */
bool spf_macro_ok(struct slice s, bool need_domain_end);

/* The context macros expand with. */
struct spf_macro_ctx {
    const struct ipaddr *ip; /* NULL: %{i} etc. cannot be expanded */
    const char *local;       /* sender local part */
    const char *sender_domain;
    const char *helo;
};
/* spf_expand - expand a domain-spec into out (NUL-terminated; truncated to 253 bytes by
 * dropping left labels as RFC 7208 7.3 says); returns the length or -1 on bad syntax or a
 * macro that needs the IP when there is none. */
int spf_expand(struct slice spec, const char *domain, const struct spf_macro_ctx *mc, char *out,
               size_t cap);

/* ---- DMARC (doctor_dmarc.c) ------------------------------------------------------------ */
enum dmarc_policy { DMARC_P_UNSET, DMARC_P_NONE, DMARC_P_QUARANTINE, DMARC_P_REJECT, DMARC_P_BAD };
struct dmarc_record {
    enum dmarc_policy p, sp;
    char adkim, aspf; /* 'r' or 's' */
    int pct;          /* 0..100, 100 when absent */
    struct slice rua, ruf, fo;
    bool has_pct;
    unsigned unknown_tags;
    char err[160]; /* first syntax error, "" if none */
};
const char *dmarc_policy_name(enum dmarc_policy p);
/* dmarc_is_record - whether a TXT record starts with "v=DMARC1" (as RFC 7489 6.6.3). */
bool dmarc_is_record(const char *p, size_t len);
/* dmarc_parse - tags of one record; returns RB_OK, or RB_EPARSE with out->err set (the
 * record is then unusable: a receiver ignores it). */
int dmarc_parse(const char *p, size_t len, struct dmarc_record *out);
/* doctor_org_domain - the organizational domain of name into out: the last two labels, or
 * three when the last two are a known two-level public suffix (co.uk, com.au ...).
 * XXX: a heuristic, not the Public Suffix List (not installed; a copy would go stale). */
void doctor_org_domain(const char *name, char *out, size_t cap);
/* doctor_aligned - whether a and b are aligned: strict = equal (case-insensitive), relaxed =
 * same organizational domain. */
bool doctor_aligned(const char *a, const char *b, bool strict);

/* ---- DKIM (doctor_dkim.c) -------------------------------------------------------------- */
#define DKIM_MAX_KEY_BYTES 4096 /* decoded key; an 8192-bit RSA key is ~1.1 kB */
struct dkim_key {
    struct slice v, k, p, t, s, h;
    bool has_v, has_k, has_p, has_t;
    bool testing; /* t=y */
    char err[160];
};
/* dkim_parse_key - the tag list of a key record; RB_OK or RB_EPARSE with err set. */
int dkim_parse_key(const char *p, size_t len, struct dkim_key *out);
/* b64_decode - base64 (whitespace skipped) into out; RB_OK, RB_EPARSE (bad character or
 * padding) or RB_ETOOBIG. */
int b64_decode(const char *p, size_t len, unsigned char *out, size_t cap, size_t *outlen);
enum dkim_keytype { DKIM_KEY_RSA, DKIM_KEY_ED25519, DKIM_KEY_OTHER };
/* der_key_bits - the size of a public key from its DER: a SubjectPublicKeyInfo (RSA or
 * Ed25519) or a bare PKCS#1 RSAPublicKey; RB_OK with *bits and *type, or RB_EPARSE. */
int der_key_bits(const unsigned char *p, size_t len, unsigned *bits, enum dkim_keytype *type);

/* ---- DNSBL table (doctor_dnsbl.c) ------------------------------------------------------ */
enum dnsbl_class { DNSBL_LISTED, DNSBL_REFUSED };
struct dnsbl_list {
    struct slice id, zone, aliases, delist, codes;
    bool ip;   /* an IP list (else a domain list) */
    bool dflt; /* in the default set */
};
/* dnsbl_interpret - meaning of answer address a (4 bytes) from list l: DNSBL_LISTED or
 * DNSBL_REFUSED, and the table's words in *meaning (a slice into the table; empty when the
 * code is not in the table). */
enum dnsbl_class dnsbl_interpret(const struct dnsbl_list *l, const unsigned char a[4],
                                 struct slice *meaning);
/* dnsbl_table - parse the embedded data/dnsbl.tsv into out (up to cap); returns the count. */
size_t dnsbl_table(struct dnsbl_list *out, size_t cap);

/* ---- the run --------------------------------------------------------------------------- */
#define DOCTOR_MAX_EVIDENCE 2048
#define DOCTOR_MAX_FINDINGS 1000

struct doctor_sel_int {
    char selector[64];
    char domain[DNS_MAX_NAME + 1];
    bool explicit_;
};

struct doctor {
    const rb_mem *mem;
    struct dns *dns;
    char domain[DNS_MAX_NAME + 1];
    char from[DNS_MAX_NAME + 1];
    struct ipaddr ips[DOCTOR_MAX_IPS];
    size_t nips;
    struct doctor_sel_int sels[DOCTOR_MAX_SELECTORS * 2];
    size_t nsels;
    char lists[DOCTOR_MAX_LISTS][DNS_MAX_NAME + 1];
    size_t nlists;
    bool lists_given;
    char named_listed[DOCTOR_MAX_LISTS][DNS_MAX_NAME + 1];
    char named[DOCTOR_MAX_LISTS][64];
    size_t nnamed;
    unsigned checks;
    char adkim, aspf; /* of the DMARC record found ('r' default) */
    bool dmarc_found;
    struct doctor_finding *f;
    size_t nf, cap;
    bool oom;
    char err[256];
};

/* doctor_add - a new finding; message formatted. Returns it, or NULL when out of memory (the
 * run then fails with RB_ENOMEM) or past DOCTOR_MAX_FINDINGS; the setters accept NULL. */
struct doctor_finding *doctor_add(struct doctor *d, const char *check, const char *id,
                                  enum doctor_sev sev, const char *subject, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* doctor_evidence - set the evidence to (p, len), cut to DOCTOR_MAX_EVIDENCE bytes. */
void doctor_evidence(struct doctor *d, struct doctor_finding *f, const char *p, size_t len);
/* doctor_fix - set the fix, formatted. */
void doctor_fix(struct doctor *d, struct doctor_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* doctor_answer_text - the records of an answer joined by " | " (names, addresses, TXT) or
 * its status in words, into out. */
void doctor_answer_text(const struct dns_answer *a, int type, char *out, size_t cap);

/* The checks, in run order; each adds its findings. */
void doctor_check_spf(struct doctor *d);
void doctor_check_dmarc(struct doctor *d);
void doctor_check_dkim(struct doctor *d);
void doctor_check_ptr(struct doctor *d);
void doctor_check_mx(struct doctor *d);
void doctor_check_dnsbl(struct doctor *d);
/* doctor_prefetch_dnsbl - start the blocklist questions early (they all run in parallel). */
void doctor_prefetch_dnsbl(struct doctor *d);

#endif /* RB_DOCTOR_INT_H */
