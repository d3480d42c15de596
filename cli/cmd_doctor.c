/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_doctor.c - `rebound doctor`: check the DNS behind the bounces (SPF, DMARC, DKIM,
 *                PTR/FCrDNS, MX, DNS blocklists) for a domain, or for what bounces name.
 *
 * DESCRIPTION
 *   With DOMAIN the checks run on it with the given --ip and --selector. With
 *   --from-bounces PATH... (bounce emails, mboxes, Maildirs, logs, ESP events; told apart by
 *   their first bytes as in `rebound report`) or --db PATH (stored events) the sending
 *   domains, sending IPs, DKIM d=/s= and the blocklists receivers named are collected first,
 *   and each sending domain (the busiest --max-domains) is checked with exactly those.
 *   Exit status: 0 nothing above info; 1 warnings or checks that could not be made; 3
 *   critical findings; 2 usage or setup errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "doctor.h"
#include "json_out.h"
#include "store.h"

#define MAX_TARGETS 200 /* distinct sending domains collected from bounces */
#define NAME_CAP 256

struct target {
    char domain[NAME_CAP];
    unsigned long events;
    char ips[DOCTOR_MAX_IPS][64];
    size_t nips;
    char sel[DOCTOR_MAX_SELECTORS][64];
    char seldom[DOCTOR_MAX_SELECTORS][NAME_CAP];
    size_t nsels;
    char list[DOCTOR_MAX_LISTS][64];
    char listed[DOCTOR_MAX_LISTS][NAME_CAP];
    size_t nlists;
};

struct collect {
    struct target *t;
    size_t n;
    unsigned long seen, dropped;
};

static void lower_copy(char *dst, size_t cap, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        dst[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
    dst[i] = '\0';
}

static struct target *target_for(struct collect *c, const char *domain)
{
    char d[NAME_CAP];
    lower_copy(d, sizeof d, domain);
    if (!d[0] || !strchr(d, '.'))
        return NULL;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->t[i].domain, d) == 0)
            return &c->t[i];
    if (c->n == MAX_TARGETS) {
        c->dropped++;
        return NULL;
    }
    struct target *t = &c->t[c->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->domain, sizeof t->domain, "%s", d);
    return t;
}

static int is_ip(const char *s)
{
    int dots = 0, colons = 0;
    size_t n = strlen(s);
    if (n < 3 || n > 45)
        return 0;
    for (const char *p = s; *p; p++) {
        if (*p == '.')
            dots++;
        else if (*p == ':')
            colons++;
        else if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
                   (*p >= 'A' && *p <= 'F')))
            return 0;
    }
    return dots == 3 || colons >= 2;
}

static void add_ip(struct target *t, const char *ip)
{
    if (!ip[0] || !is_ip(ip))
        return;
    for (size_t i = 0; i < t->nips; i++)
        if (strcmp(t->ips[i], ip) == 0)
            return;
    if (t->nips < DOCTOR_MAX_IPS)
        snprintf(t->ips[t->nips++], sizeof t->ips[0], "%s", ip);
}

static void add_sel(struct target *t, const char *sel, const char *dom)
{
    if (!sel[0])
        return;
    char d[NAME_CAP];
    lower_copy(d, sizeof d, dom[0] ? dom : t->domain);
    for (size_t i = 0; i < t->nsels; i++)
        if (strcmp(t->sel[i], sel) == 0 && strcmp(t->seldom[i], d) == 0)
            return;
    if (t->nsels < DOCTOR_MAX_SELECTORS) {
        snprintf(t->sel[t->nsels], sizeof t->sel[0], "%s", sel);
        snprintf(t->seldom[t->nsels++], sizeof t->seldom[0], "%s", d);
    }
}

static void add_list(struct target *t, const char *list, const char *listed)
{
    if (!list || !list[0])
        return;
    if (listed && is_ip(listed))
        add_ip(t, listed);
    for (size_t i = 0; i < t->nlists; i++)
        if (strcmp(t->list[i], list) == 0 && strcmp(t->listed[i], listed ? listed : "") == 0)
            return;
    if (t->nlists < DOCTOR_MAX_LISTS) {
        snprintf(t->list[t->nlists], sizeof t->list[0], "%s", list);
        snprintf(t->listed[t->nlists++], sizeof t->listed[0], "%s", listed ? listed : "");
    }
}

static void collect_one(struct collect *c, const char *domain, const char *ip, const char *dkim_d,
                        const char *dkim_s, const char *list, const char *listed)
{
    c->seen++;
    struct target *t = target_for(c, domain);
    if (!t)
        return;
    t->events++;
    add_ip(t, ip);
    add_sel(t, dkim_s, dkim_d);
    add_list(t, list, listed);
}

static int on_record(const rb_record *r, void *ud)
{
    /* a bounce email names no sending IP; the blocklist text may (verdict.listed) */
    collect_one(ud, r->senderdomain, "", r->dkim_domain, r->dkim_selector, r->verdict.blocklist,
                r->verdict.listed);
    return 0;
}

static int on_event(const rb_event *e, void *ud)
{
    const char *dom = e->sending_domain[0] ? e->sending_domain : e->senderdomain;
    collect_one(ud, dom, e->sending_ip, "", "", e->verdict.blocklist, e->verdict.listed);
    return 0;
}

static int on_stored(const struct store_event *se, void *ud)
{
    const char *dom =
        se->sending_domain && se->sending_domain[0] ? se->sending_domain : se->sender_domain;
    collect_one(ud, dom ? dom : "", se->sending_ip ? se->sending_ip : "", "", "", se->blocklist,
                se->listed);
    return 0;
}

static int read_bounces(struct collect *c, char **paths, size_t n, int quiet)
{
    rb_classifier *cl;
    int rc;
    if ((rc = rb_classifier_new(&cl, NULL)) != RB_OK)
        die("cannot load the classifier: %s", rb_strerror(rc));
    rb_ingest *ig = NULL;
    rb_parser *p = NULL;
    char *chunk = NULL;
    int failed = 0;
    struct cli_messages m = {.cb = on_record, .ud = c};
    rb_ingest_opts io;
    memset(&io, 0, sizeof io);
    for (size_t i = 0; i < n; i++) {
        const char *path = paths[i];
        if (strcmp(path, "-") != 0 && cli_looks_like_email(path)) {
            if (!p && (rc = rb_parser_new(cl, &p)) != RB_OK)
                die("cannot create the parser: %s", rb_strerror(rc));
            cli_parse_source(&m, p, path);
            continue;
        }
        if (!ig) {
            if ((rc = rb_ingest_new(cl, &io, &ig)) != RB_OK)
                die("cannot create the reader: %s", rb_strerror(rc));
            if (!(chunk = malloc(CLI_CHUNK)))
                die("out of memory");
        }
        failed |= cli_feed_file(ig, path, chunk, !quiet && isatty(2), on_event, c, NULL);
    }
    failed |= m.errors > 0;
    free(chunk);
    rb_ingest_free(ig);
    rb_parser_free(p);
    rb_classifier_free(cl);
    return failed;
}

static unsigned long parse_num(const char *opt, const char *s, unsigned long max)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v > max)
        die("doctor: %s: not a number up to %lu: '%s'", opt, max, s);
    return v;
}

static unsigned parse_checks(const char *s)
{
    static const struct {
        const char *n;
        unsigned bit;
    } names[] = {{"spf", DOCTOR_CHECK_SPF},   {"dmarc", DOCTOR_CHECK_DMARC},
                 {"dkim", DOCTOR_CHECK_DKIM}, {"ptr", DOCTOR_CHECK_PTR},
                 {"mx", DOCTOR_CHECK_MX},     {"dnsbl", DOCTOR_CHECK_DNSBL}};
    unsigned bits = 0;
    while (*s) {
        size_t l = strcspn(s, ",");
        size_t k = 0;
        for (; k < sizeof names / sizeof names[0]; k++)
            if (strlen(names[k].n) == l && strncmp(names[k].n, s, l) == 0)
                break;
        if (k == sizeof names / sizeof names[0])
            die("doctor: --only: '%.*s' is not spf, dmarc, dkim, ptr, mx or dnsbl", (int)l, s);
        bits |= names[k].bit;
        s += l;
        if (*s == ',')
            s++;
    }
    return bits;
}

/* split_list - a comma-separated list into up to cap pointers into s (modified). */
static size_t split_list(char *s, const char **out, size_t cap, const char *opt)
{
    size_t n = 0;
    while (*s) {
        char *c = strchr(s, ',');
        if (c)
            *c = '\0';
        if (*s) {
            if (n == cap)
                die("doctor: %s: at most %zu entries", opt, cap);
            out[n++] = s;
        }
        if (!c)
            break;
        s = c + 1;
    }
    return n;
}

static void usage(FILE *f)
{
    fputs("usage: rebound doctor DOMAIN [OPTIONS]\n"
          "       rebound doctor [DOMAIN] [OPTIONS] --from-bounces PATH... | --db PATH\n"
          "Check the DNS behind the bounces: SPF, DMARC, DKIM, reverse DNS, MX and blocklists,\n"
          "with the record as evidence and the change to make.\n"
          "\n"
          "what to check:\n"
          "  --ip IP             a sending IP (IPv4 or IPv6; repeatable)\n"
          "  --selector S[@D]    a DKIM selector (of signing domain D; default the From domain;\n"
          "                      repeatable); an absent key is a finding\n"
          "  --default-selectors LIST  selectors tried quietly (comma-separated, '' = none;\n"
          "                      default: common ones such as default, selector1, google, k1)\n"
          "  --from DOMAIN       the header From domain (DMARC and alignment; default DOMAIN)\n"
          "  --dnsbl LIST        blocklists (ids or zones, comma-separated; 'none') instead of\n"
          "                      the defaults of data/dnsbl.tsv (repeatable)\n"
          "  --only LIST         only these checks: spf,dmarc,dkim,ptr,mx,dnsbl\n"
          "  --from-bounces PATH...  collect sending domains, IPs, DKIM d=/s= and the named\n"
          "                      blocklists from bounce emails or logs, then check those\n"
          "  --db PATH           the same from the store's events\n"
          "  --max-domains N     sending domains checked from bounces (the busiest; 5)\n"
          "DNS:\n"
          "  --resolver IP[:PORT]  ask this resolver (default: the system's, /etc/resolv.conf)\n"
          "  --timeout MS        per attempt (4000); --retries N after a timeout/SERVFAIL (1)\n"
          "output:\n"
          "  --json              one JSON object (docs/doctor.md)\n"
          "  -q                  only warnings, critical findings and failed checks\n"
          "  --no-colour         no ANSI colour even on a terminal\n"
          "exit status: 0 nothing above info, 1 warnings or checks that could not be made,\n"
          "  3 critical findings, 2 usage or setup errors\n",
          f);
}

int cmd_doctor(int argc, char **argv)
{
    const char *domain = NULL, *from = NULL, *db = NULL;
    const char *ips[DOCTOR_MAX_IPS];
    size_t nips = 0;
    struct doctor_selector sels[DOCTOR_MAX_SELECTORS];
    char selbuf[DOCTOR_MAX_SELECTORS][NAME_CAP + 64];
    size_t nsels = 0;
    const char *lists[DOCTOR_MAX_LISTS];
    size_t nlists = 0;
    int lists_given = 0;
    const char *defsel[DOCTOR_MAX_SELECTORS];
    size_t ndefsel = 0;
    int defsel_given = 0;
    char **bounces = calloc((size_t)argc + 1, sizeof *bounces);
    size_t nbounces = 0;
    int from_bounces = 0;
    struct dns_opts dopt = {.retries = DOCTOR_DEFAULT_RETRIES};
    unsigned checks = 0;
    unsigned long max_domains = 5;
    int json = 0, quiet = 0, colour = -1;
    if (!bounces)
        die("out of memory");
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--ip") == 0 && more) {
            if (nips == DOCTOR_MAX_IPS)
                die("doctor: at most %d --ip", DOCTOR_MAX_IPS);
            ips[nips++] = argv[++i];
        } else if (strcmp(a, "--selector") == 0 && more) {
            if (nsels == DOCTOR_MAX_SELECTORS)
                die("doctor: at most %d --selector", DOCTOR_MAX_SELECTORS);
            char *s = selbuf[nsels];
            snprintf(s, sizeof selbuf[0], "%s", argv[++i]);
            char *at = strchr(s, '@');
            if (at)
                *at = '\0';
            sels[nsels] = (struct doctor_selector){s, at ? at + 1 : NULL, true};
            nsels++;
        } else if (strcmp(a, "--default-selectors") == 0 && more) {
            defsel_given = 1;
            ndefsel = split_list(argv[++i], defsel, DOCTOR_MAX_SELECTORS, a);
        } else if (strcmp(a, "--from") == 0 && more) {
            from = argv[++i];
        } else if (strcmp(a, "--dnsbl") == 0 && more) {
            lists_given = 1;
            char *v = argv[++i];
            if (strcmp(v, "none") != 0)
                nlists += split_list(v, lists + nlists, DOCTOR_MAX_LISTS - nlists, a);
        } else if (strcmp(a, "--only") == 0 && more) {
            checks = parse_checks(argv[++i]);
        } else if (strcmp(a, "--resolver") == 0 && more) {
            dopt.resolver = argv[++i];
        } else if (strcmp(a, "--timeout") == 0 && more) {
            dopt.timeout_ms = (unsigned)parse_num(a, argv[++i], 600000);
            if (!dopt.timeout_ms)
                die("doctor: --timeout must be at least 1 ms");
        } else if (strcmp(a, "--retries") == 0 && more) {
            dopt.retries = (unsigned)parse_num(a, argv[++i], 10);
        } else if (strcmp(a, "--from-bounces") == 0 && more) {
            from_bounces = 1;
            while (i + 1 < argc && (argv[i + 1][0] != '-' || strcmp(argv[i + 1], "-") == 0))
                bounces[nbounces++] = argv[++i];
            if (!nbounces)
                die("doctor: --from-bounces needs a PATH");
        } else if (strcmp(a, "--db") == 0 && more) {
            db = argv[++i];
        } else if (strcmp(a, "--max-domains") == 0 && more) {
            max_domains = parse_num(a, argv[++i], MAX_TARGETS);
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--no-colour") == 0 || strcmp(a, "--no-color") == 0) {
            colour = 0;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            free(bounces);
            return 0;
        } else if (a[0] == '-' && a[1]) {
            usage(stderr);
            die("doctor: unknown option or missing value: '%s'", a);
        } else if (!domain) {
            domain = a;
        } else {
            usage(stderr);
            die("doctor: one DOMAIN only (got '%s' and '%s')", domain, a);
        }
    }
    if (!domain && !from_bounces && !db) {
        usage(stderr);
        die("doctor: give a DOMAIN, --from-bounces PATH... or --db PATH");
    }
    if (from_bounces && db)
        die("doctor: give either --from-bounces or --db, not both");

    /* what to check: the DOMAIN given, or what the bounces name */
    struct collect c = {0};
    c.t = calloc(MAX_TARGETS, sizeof *c.t);
    if (!c.t)
        die("out of memory");
    int failed = 0;
    if (from_bounces || db) {
        if (from_bounces) {
            failed = read_bounces(&c, bounces, nbounces, quiet);
        } else {
            struct store *s = cli_store_open(db, NULL, 1);
            struct store_iter it;
            memset(&it, 0, sizeof it);
            if (store_events_iterate(s, &it, on_stored, &c) != RB_OK)
                die("doctor: store %s", store_error(s));
            store_close(s);
        }
        if (domain) { /* only that domain, with what the bounces say about it */
            struct target *t = target_for(&c, domain);
            if (!t)
                die("doctor: '%s' is not a domain name", domain);
            struct target keep = *t;
            c.t[0] = keep;
            c.n = 1;
        }
        /* the busiest first */
        for (size_t i = 1; i < c.n; i++)
            for (size_t k = i; k > 0 && c.t[k].events > c.t[k - 1].events; k--) {
                struct target tmp = c.t[k];
                c.t[k] = c.t[k - 1];
                c.t[k - 1] = tmp;
            }
        if (!quiet)
            fprintf(stderr, "rebound: doctor: %lu records/events read, %zu sending domain%s%s\n",
                    c.seen, c.n, c.n == 1 ? "" : "s",
                    c.n > max_domains ? " (checking the busiest)" : "");
        if (c.n > max_domains)
            c.n = max_domains;
        if (c.n == 0)
            die("doctor: no sending domain found in the input");
    } else {
        target_for(&c, domain);
        if (c.n == 0) {
            struct target *t = &c.t[c.n++];
            memset(t, 0, sizeof *t);
            snprintf(t->domain, sizeof t->domain, "%s", domain); /* doctor_new says why */
        }
    }

    char err[256];
    struct dns *dns;
    int rc = dns_new(&dns, &dopt, NULL, err, sizeof err);
    if (rc != RB_OK)
        die("doctor: %s", err);
    struct buf out;
    buf_init(&out, (size_t)64 << 20, NULL);
    enum doctor_sev worst = DS_OK;
    static const int rank[] = {0, 1, 2, 4, 3};
    if (json && buf_puts(&out, "{\"runs\":[") != RB_OK)
        die("output too large");
    for (size_t k = 0; k < c.n; k++) {
        struct target *t = &c.t[k];
        const char *tips[DOCTOR_MAX_IPS * 2];
        size_t ntips = 0;
        for (size_t i = 0; i < nips; i++)
            tips[ntips++] = ips[i];
        for (size_t i = 0; i < t->nips && ntips < DOCTOR_MAX_IPS; i++)
            tips[ntips++] = t->ips[i];
        struct doctor_selector tsel[DOCTOR_MAX_SELECTORS * 2];
        size_t ntsel = 0;
        for (size_t i = 0; i < nsels; i++)
            tsel[ntsel++] = sels[i];
        for (size_t i = 0; i < t->nsels && ntsel < DOCTOR_MAX_SELECTORS; i++)
            tsel[ntsel++] = (struct doctor_selector){t->sel[i], t->seldom[i], true};
        struct doctor_named_list named[DOCTOR_MAX_LISTS];
        for (size_t i = 0; i < t->nlists; i++)
            named[i] = (struct doctor_named_list){t->list[i], t->listed[i]};
        struct doctor_opts o = {
            .domain = t->domain,
            .from_domain = from,
            .ips = tips,
            .nips = ntips,
            .selectors = tsel,
            .nselectors = ntsel,
            .default_selectors = defsel_given ? defsel : NULL,
            .ndefault = ndefsel,
            .lists = lists_given ? lists : NULL,
            .nlists = nlists,
            .named = named,
            .nnamed = t->nlists,
            .checks = checks,
        };
        struct doctor *d;
        rc = doctor_new(&d, &o, dns, NULL);
        if (rc == RB_EINVAL)
            die("doctor: %s", doctor_error(d));
        if (rc != RB_OK)
            die("doctor: %s", rb_strerror(rc));
        if ((rc = doctor_run(d)) != RB_OK)
            die("doctor: %s", doctor_error(d));
        enum doctor_sev w = doctor_worst(d);
        if (rank[w] > rank[worst])
            worst = w;
        if (json) {
            if ((k && buf_putc(&out, ',') != RB_OK) || doctor_render_json(d, &out) != RB_OK)
                die("output too large");
        } else {
            if ((k && buf_putc(&out, '\n') != RB_OK) ||
                doctor_render_text(d, &out, colour < 0 ? use_colour() : colour, quiet) != RB_OK)
                die("output too large");
            out_flush(&out);
        }
        doctor_free(d);
    }
    unsigned long sent, cached;
    dns_stats(dns, &sent, &cached);
    if (json) {
        int first = 0;
        if (buf_putc(&out, ']') != RB_OK ||
            json_key_str(&out, &first, "status", doctor_sev_name(worst)) != RB_OK ||
            json_key_int(&out, &first, "dns_queries", (long long)sent) != RB_OK ||
            json_key_int(&out, &first, "dns_cache_hits", (long long)cached) != RB_OK ||
            buf_puts(&out, "}\n") != RB_OK)
            die("output too large");
        out_flush(&out);
    }
    buf_free(&out);
    dns_free(dns);
    free(c.t);
    free(bounces);
    fflush(stdout); /* the report first, then the summary, when both go to one terminal */
    if (!quiet && !json)
        fprintf(stderr, "rebound: doctor: %lu DNS questions, %lu answered from the cache\n", sent,
                cached);
    if (worst == DS_CRITICAL)
        return 3;
    if (worst == DS_WARNING || worst == DS_UNKNOWN || failed)
        return 1;
    return 0;
}
