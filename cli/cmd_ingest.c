/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_ingest.c - `rebound ingest`: MTA logs, ESP webhooks and exports -> one event per line
 *                of output.
 *
 * DESCRIPTION
 *   Reads each FILE (or stdin) in 1 MB chunks through librebound's rb_ingest (constant memory
 *   whatever the input size); gzip is recognised by its magic bytes and inflated with zlib.
 *   Output: JSON Lines (default) or --output tsv (a header line, then format, kind,
 *   timestamp, recipient, sender, rhost, queueid, messageid, campaign, sending_ip, status,
 *   replycode, reason, category). A summary goes to stderr (counts per kind, skipped lines and
 *   why); on a TTY a progress line is shown for inputs over 64 MB. Exit status: 0, 1 if an
 *   input could not be read completely (a truncated gzip stream, an I/O error) or --strict
 *   stopped at a malformed line, 2 for usage errors.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json_out.h"
#include "rebound.h"
#include "verdict_out.h"

#define OUT_FLUSH_AT (1u << 16)

enum ofmt { OF_JSON, OF_TSV };

struct ingest_ctx {
    enum ofmt fmt;
    struct buf out;
    unsigned long errors;
    int progress;           /* show a progress line on stderr */
    int meanings;           /* --meanings: the catalog's prose for each code in every event */
    struct cli_store store; /* --store / --db: every event also goes to the store */
    struct verdict_json_cache vcache; /* the verdicts' fixed JSON, per distinct verdict */
};

/* the event's own string fields in output order; absent ("") ones are left out */
#define EV_STRINGS(X)                                                                              \
    X("recipient", recipient)                                                                      \
    X("sender", sender)                                                                            \
    X("senderdomain", senderdomain)                                                                \
    X("destination", destination)                                                                  \
    X("rhost", rhost)                                                                              \
    X("rhost_ip", rhost_ip)                                                                        \
    X("queueid", queueid)                                                                          \
    X("messageid", messageid)                                                                      \
    X("event_id", event_id)                                                                        \
    X("campaign", campaign)                                                                        \
    X("sending_ip", sending_ip)                                                                    \
    X("sending_domain", sending_domain)                                                            \
    X("vmta", vmta)                                                                                \
    X("diagnosticcode", diagnosticcode)                                                            \
    X("feedbacktype", feedbacktype)

enum {
#define X(k, f) EVS_##f,
    EV_STRINGS(X)
#undef X
        EVS__N
};

#define KEY(d, first, lit) json_put_key((d), (first), (lit), sizeof(lit) - 1)
#define EV_ROOM 512 /* keys, numbers, braces and commas of an event, beyond its strings */

/* event_json - one JSON Lines record: every field of the event measured first, room reserved
 * once, then written in place (the verdict's fields through verdict_out). */
static int event_json(struct ingest_ctx *x, struct buf *b, const rb_event *e)
{
    const char *kind = rb_event_kind_name(e->kind);
    size_t nfmt = strlen(e->format), nkind = strlen(kind), n[EVS__N];
    size_t room = EV_ROOM + JSON_STR_MAX(nfmt) + JSON_STR_MAX(nkind);
#define X(k, f)                                                                                    \
    n[EVS_##f] = e->f[0] ? strlen(e->f) : 0; /* most are empty */                                  \
    room += JSON_STR_MAX(n[EVS_##f]);
    EV_STRINGS(X)
#undef X
    int rc = buf_reserve(b, room);
    if (rc != RB_OK)
        return rc;
    int first = 1;
    char *d = b->p + b->len;
    *d++ = '{';
    if (nfmt) {
        d = KEY(d, &first, "format");
        d = json_put_str(d, e->format, nfmt);
    }
    if (nkind) {
        d = KEY(d, &first, "event");
        d = json_put_str(d, kind, nkind);
    }
#define X(k, f)                                                                                    \
    if (n[EVS_##f]) {                                                                              \
        d = KEY(d, &first, k);                                                                     \
        d = json_put_str(d, e->f, n[EVS_##f]);                                                     \
    }
    /* the timestamp goes after the destination, as it always has */
    X("recipient", recipient)
    X("sender", sender)
    X("senderdomain", senderdomain)
    X("destination", destination)
    if (e->timestamp) {
        d = KEY(d, &first, "timestamp");
        d = json_put_int(d, e->timestamp);
        d = KEY(d, &first, "timezoneoffset");
        d = json_put_int(d, e->timezoneoffset);
    }
    X("rhost", rhost)
    X("rhost_ip", rhost_ip)
    X("queueid", queueid)
    X("messageid", messageid)
    X("event_id", event_id)
    X("campaign", campaign)
    X("sending_ip", sending_ip)
    X("sending_domain", sending_domain)
    X("vmta", vmta)
    X("diagnosticcode", diagnosticcode)
    X("feedbacktype", feedbacktype)
#undef X
    if (e->delay >= 0) { /* seconds with millisecond precision */
        d = KEY(d, &first, "delay_ms");
        d = json_put_int(d, (long long)(e->delay * 1000.0 + 0.5));
    }
    b->len = (size_t)(d - b->p);
    b->p[b->len] = '\0';
    rc = x->meanings ? verdict_json_fields_opt(b, &first, &e->verdict, 0)
                     : verdict_json_compact(b, &first, &e->verdict, &x->vcache);
    if (rc == RB_OK)
        rc = buf_append(b, "}\n", 2);
    return rc;
}

static int on_event(const rb_event *e, void *ud)
{
    struct ingest_ctx *x = ud;
    const rb_verdict *v = &e->verdict;
    struct buf *b = &x->out;
    int rc = RB_OK;
    if (x->store.s)
        cli_store_event(&x->store, e);
    if (x->fmt == OF_TSV) {
        /* format kind timestamp recipient sender rhost queueid messageid campaign sending_ip
         * status replycode reason category (header line: --output tsv prints it first) */
        rc = buf_printf(b, "%s\t%s\t%lld\t", e->format, rb_event_kind_name(e->kind), e->timestamp);
        const char *cols[] = {e->recipient, e->sender,   e->rhost,     e->queueid,
                              e->messageid, e->campaign, e->sending_ip};
        for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
            tsv_field(b, cols[i]);
            if (rc == RB_OK)
                rc = buf_putc(b, '\t');
        }
        if (rc == RB_OK)
            rc = buf_printf(b, "%s\t", v->reply.status);
        if (rc == RB_OK && v->reply.replycode)
            rc = buf_printf(b, "%d", v->reply.replycode);
        if (rc == RB_OK)
            rc = buf_printf(b, "\t%s\t%s\n", rb_reason_name(v->reason),
                            rb_category_name(v->category));
    } else {
        rc = event_json(x, b, e);
    }
    if (rc != RB_OK)
        die("output: %s", rb_strerror(rc));
    if (b->len >= OUT_FLUSH_AT)
        out_flush(b);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: rebound ingest [--format auto|NAME] [--output json|tsv] [--since WHEN]\n"
               "                      [--until WHEN] [--map SPEC] [--campaign-header NAME]\n"
               "                      [--year N] [--strict] [--meanings] [-q]\n"
               "                      [--store] [--db PATH] [--config FILE] [FILE...]\n"
               "Read MTA logs, ESP webhook payloads and exports; print one event per line.\n"
               "FILE: a log or export (gzip read transparently); '-' or none reads stdin.\n"
               "--format: auto (default: per file, and per line in syslog streams), syslog, or\n"
               "  one of:");
    for (const char *const *n = rb_ingest_formats(); *n; n++)
        if (strcmp(*n, "auto") != 0)
            fprintf(f, " %s", *n);
    fprintf(f, "\n--map: generic CSV columns, e.g. recipient=Email,code=\"Bounce Code\","
               "text=Reason,campaign=Campaign\n"
               "--since/--until: 2024-05-01, 2024-05-01T12:00:00Z or Unix seconds.\n"
               "--strict: stop at the first malformed line. -q: no summary on stderr.\n"
               "JSON output leaves out fields the source does not give; --meanings adds the\n"
               "catalog's description of each code (as `rebound explain --json` prints).\n"
               "--store: also write every event to the store and apply the suppression\n"
               "  rules (idempotent: re-reading an input adds nothing); --db PATH names the\n"
               "  store (implies --store), --config FILE the rules' config (docs/store.md).\n");
}

static void summary(rb_ingest *ig)
{
    rb_ingest_stats s;
    rb_ingest_get_stats(ig, &s);
    fprintf(stderr, "rebound: %llu lines, %llu events (", s.lines, s.events);
    int first = 1;
    for (int k = 1; k < RB_EVENT__COUNT; k++) {
        if (!s.by_kind[k])
            continue;
        fprintf(stderr, "%s%llu %s", first ? "" : ", ", s.by_kind[k],
                rb_event_kind_name((rb_event_kind)k));
        first = 0;
    }
    fprintf(stderr, "), %llu other lines, %llu skipped", s.ignored, s.malformed);
    if (s.filtered)
        fprintf(stderr, ", %llu outside --since/--until", s.filtered);
    fprintf(stderr, "\n");
    const char *reason;
    unsigned long long count;
    unsigned long line;
    for (size_t i = 0; rb_ingest_skip_reason(ig, i, &reason, &count, &line); i++)
        fprintf(stderr, "rebound:   skipped %llu: %s (first at line %lu)\n", count, reason, line);
}

int cmd_ingest(int argc, char **argv)
{
    struct ingest_ctx x;
    memset(&x, 0, sizeof x);
    rb_ingest_opts o;
    memset(&o, 0, sizeof o);
    int i = 1, quiet = 0, store = 0;
    const char *db = NULL, *config = NULL;
    for (; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--store") == 0) {
            store = 1;
        } else if (strcmp(a, "--db") == 0 && more) {
            db = argv[++i];
            store = 1;
        } else if (strcmp(a, "--config") == 0 && more) {
            config = argv[++i];
        } else if (strcmp(a, "--format") == 0 && more) {
            o.format = argv[++i];
        } else if (strcmp(a, "--output") == 0 && more) {
            const char *f = argv[++i];
            if (strcmp(f, "tsv") == 0)
                x.fmt = OF_TSV;
            else if (strcmp(f, "json") == 0)
                x.fmt = OF_JSON;
            else
                die("ingest: unknown output '%s' (json, tsv)", f);
        } else if (strcmp(a, "--tsv") == 0) {
            x.fmt = OF_TSV;
        } else if (strcmp(a, "--json") == 0) {
            x.fmt = OF_JSON;
        } else if (strcmp(a, "--since") == 0 && more) {
            o.since = cli_parse_time("ingest", a, argv[++i]);
        } else if (strcmp(a, "--until") == 0 && more) {
            o.until = cli_parse_time("ingest", a, argv[++i]);
        } else if (strcmp(a, "--map") == 0 && more) {
            o.map = argv[++i];
        } else if (strcmp(a, "--campaign-header") == 0 && more) {
            o.campaign_header = argv[++i];
        } else if (strcmp(a, "--year") == 0 && more) {
            char *end;
            long y = strtol(argv[++i], &end, 10);
            o.year = *end || y < 1970 || y > 9999 ? 0 : (int)y;
            if (!o.year)
                die("ingest: --year: not a year: '%s'", argv[i]);
        } else if (strcmp(a, "--meanings") == 0) {
            x.meanings = 1;
        } else if (strcmp(a, "--strict") == 0) {
            o.strict = true;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (a[0] == '-' && a[1]) {
            usage(stderr);
            die("ingest: unknown option or missing value: '%s'", a);
        } else {
            break;
        }
    }
    rb_classifier *c;
    int rc = rb_classifier_new(&c, NULL);
    if (rc != RB_OK)
        die("cannot load the classifier: %s", rb_strerror(rc));
    rb_ingest *ig;
    rc = rb_ingest_new(c, &o, &ig);
    if (rc == RB_EINVAL)
        die("ingest: %s", ig ? rb_ingest_error(ig) : "bad options");
    if (rc != RB_OK)
        die("cannot create the reader: %s", rb_strerror(rc));
    x.progress = !quiet && isatty(2);
    buf_init(&x.out, (size_t)1 << 30, NULL);
    char *chunk = malloc(CLI_CHUNK);
    if (!chunk)
        die("out of memory");
    if (store)
        x.store.s = cli_store_open(db, config, 0);
    int failed = 0;
    if (x.fmt == OF_TSV) {
        static const char hdr[] = "format\tkind\ttimestamp\trecipient\tsender\trhost\tqueueid\t"
                                  "messageid\tcampaign\tsending_ip\tstatus\treplycode\treason\t"
                                  "category\n";
        if (buf_append(&x.out, hdr, sizeof hdr - 1) != RB_OK)
            die("out of memory");
    }
    if (i >= argc)
        failed |= cli_feed_file(ig, "-", chunk, x.progress, on_event, &x, &x.out);
    for (; i < argc; i++)
        failed |= cli_feed_file(ig, argv[i], chunk, x.progress, on_event, &x, &x.out);
    out_flush(&x.out);
    cli_store_close(&x.store, quiet);
    if (!quiet)
        summary(ig);
    free(chunk);
    buf_free(&x.out);
    rb_ingest_free(ig);
    rb_classifier_free(c);
    return failed ? 1 : 0;
}
