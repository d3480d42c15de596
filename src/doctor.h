/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * doctor.h - `rebound doctor`: the DNS behind the bounces (SPF, DMARC, DKIM, PTR/FCrDNS,
 *            MX and A/AAAA, DNS blocklists) checked and turned into findings with fixes.
 *
 * DESCRIPTION
 *   A doctor run checks one sending domain: doctor_new() takes the options (copied), then
 *   doctor_run() asks DNS through a struct dns (doctor_dns.c, libunbound; one per process
 *   run is enough and several doctors may share it, one thread at a time) and collects
 *   findings. Each finding has a check name, a stable id, a severity, the subject it is about
 *   (domain, IP, selector), a message, the DNS record text as evidence and a fix in words.
 *   A check that could not be made (timeout, SERVFAIL, a refused DNSBL query) is
 *   DS_UNKNOWN, never a pass or a listing.
 *
 *   Threads: a doctor and a dns are used by one thread at a time; no global state.
 *   Errors: RB_OK or a negative RB_E*; doctor_error()/dns_new's err say why in words.
 *
 * LIMITS
 *   DOCTOR_MAX_IPS, DOCTOR_MAX_SELECTORS, DOCTOR_MAX_LISTS per run; DNS limits in
 *   doctor_int.h (queries per run, records per answer, TXT bytes, SPF depth and lookups).
 *
 * SEE ALSO
 *   doctor_int.h, data/dnsbl.tsv, docs/doctor.md
 */
#ifndef RB_DOCTOR_H
#define RB_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "rebound.h"

#define DOCTOR_MAX_IPS 32
#define DOCTOR_MAX_SELECTORS 32
#define DOCTOR_MAX_LISTS 32
#define DOCTOR_DEFAULT_TIMEOUT_MS 4000
#define DOCTOR_DEFAULT_RETRIES 1

enum doctor_sev { DS_OK, DS_INFO, DS_WARNING, DS_CRITICAL, DS_UNKNOWN };

/* doctor_sev_name - "ok", "info", "warning", "critical", "unknown" (static). */
const char *doctor_sev_name(enum doctor_sev s);

struct doctor_finding {
    const char *check; /* spf, dmarc, dkim, ptr, mx, a, dnsbl (static) */
    const char *id;    /* stable id: spf.lookups, dkim.revoked, ... (static) */
    enum doctor_sev sev;
    char *subject;  /* what it is about: a domain, an IP, "s1._domainkey.example.com" */
    char *message;  /* one sentence */
    char *evidence; /* the record text (or DNS outcome), or NULL */
    char *fix;      /* the change to make, or NULL when nothing is to be done */
};

/* One DKIM key to look at: selector at domain (NULL = the run's From domain). */
struct doctor_selector {
    const char *selector;
    const char *domain;
    bool explicit_; /* given by the user or seen in a bounce: absence is a finding */
};

/* A blocklist a bounce named, and the IP or domain it named as listed ("" = unknown). */
struct doctor_named_list {
    const char *list; /* rb_verdict blocklist id (spamhaus-sbl, barracuda ...) or a zone */
    const char *listed;
};

struct doctor_opts {
    const char *domain;      /* the sending domain (SPF, MX, DNSBL of the domain); required */
    const char *from_domain; /* header From domain (DMARC, alignment); NULL = domain */
    const char *const *ips;  /* sending IPs (text), up to DOCTOR_MAX_IPS */
    size_t nips;
    const struct doctor_selector *selectors; /* up to DOCTOR_MAX_SELECTORS */
    size_t nselectors;
    /* selectors tried quietly (a key found is checked, an absent one is no finding);
     * NULL = the built-in list (doctor_default_selectors), ndefault 0 with non-NULL = none */
    const char *const *default_selectors;
    size_t ndefault;
    /* DNSBLs to use instead of the data/dnsbl.tsv defaults: ids or zones; NULL = defaults;
     * non-NULL with 0 entries = none */
    const char *const *lists;
    size_t nlists;
    const struct doctor_named_list *named; /* lists bounces named: checked in addition */
    size_t nnamed;
    unsigned checks; /* DOCTOR_CHECK_* bits; 0 = all */
};

#define DOCTOR_CHECK_SPF 1u
#define DOCTOR_CHECK_DMARC 2u
#define DOCTOR_CHECK_DKIM 4u
#define DOCTOR_CHECK_PTR 8u
#define DOCTOR_CHECK_MX 16u
#define DOCTOR_CHECK_DNSBL 32u

/* doctor_default_selectors - the built-in list of common selectors (static); *n its size. */
const char *const *doctor_default_selectors(size_t *n);

/* ---- DNS (doctor_dns.c) ----------------------------------------------------------------- */
struct dns;
struct dns_opts {
    const char *resolver; /* "IP", "IP:PORT", "[IPv6]:PORT"; NULL = the system resolver */
    unsigned timeout_ms;  /* per attempt; 0 = DOCTOR_DEFAULT_TIMEOUT_MS */
    unsigned retries;     /* further attempts after a timeout or SERVFAIL */
};
/* dns_new - a resolver with its per-run cache; *out freed with dns_free. On failure returns
 * RB_EINVAL (bad resolver address) or RB_EIO/RB_ENOMEM, and err says why. */
int dns_new(struct dns **out, const struct dns_opts *o, const rb_mem *mem, char *err,
            size_t errcap);
/* dns_free - release everything (NULL-safe); returns NULL. */
struct dns *dns_free(struct dns *d);
/* dns_stats - questions sent to the resolver and answers served from the cache. */
void dns_stats(const struct dns *d, unsigned long *sent, unsigned long *cached);

/* ---- a run ------------------------------------------------------------------------------ */
struct doctor;
/* doctor_new - a run over opts (copied) using dns (borrowed: must outlive the doctor); freed
 * with doctor_free. RB_EINVAL when an option is wrong (doctor_error says which; *out is then
 * set so the message can be read), RB_ENOMEM. */
int doctor_new(struct doctor **out, const struct doctor_opts *o, struct dns *dns,
               const rb_mem *mem);
/* doctor_run - make every check; RB_OK or RB_ENOMEM. DNS failures are findings. */
int doctor_run(struct doctor *d);
/* doctor_findings - the findings in check order; pointer to (not copy of) the doctor's array,
 * valid until doctor_free. */
size_t doctor_findings(const struct doctor *d, const struct doctor_finding **out);
/* doctor_worst - the worst severity found: DS_CRITICAL > DS_UNKNOWN > DS_WARNING > DS_INFO >
 * DS_OK (a check that could not be made outranks a warning). */
enum doctor_sev doctor_worst(const struct doctor *d);
const char *doctor_error(const struct doctor *d);
const char *doctor_domain(const struct doctor *d);
struct doctor *doctor_free(struct doctor *d);

/* ---- output (doctor_render.c) ----------------------------------------------------------- */
/* doctor_render_json - one JSON object for the run ({"domain":..., "findings":[...]}),
 * without a trailing newline. RB_OK / RB_ETOOBIG / RB_ENOMEM. */
int doctor_render_json(const struct doctor *d, struct buf *out) BUF_WARN_UNUSED;
/* doctor_render_text - aligned text grouped by check; quiet: only findings above info;
 * colour: ANSI severity colours. */
int doctor_render_text(const struct doctor *d, struct buf *out, bool colour,
                       bool quiet) BUF_WARN_UNUSED;

#endif /* RB_DOCTOR_H */
