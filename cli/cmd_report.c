/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_report.c - `rebound report`: diagnose bounce patterns from the store or from inputs
 *                given directly, and render them for a terminal, JSON, Markdown or HTML.
 *
 * DESCRIPTION
 *   With FILE arguments the inputs are read directly (nothing is stored): bounce emails
 *   (messages, mboxes, Maildirs, directory trees) and logs or ESP events, told apart per
 *   input by its first bytes unless --input says; otherwise the store (--db PATH or the
 *   default one) is scanned by two threads (report_add_store). Every event goes through
 *   report_add_stored(), so
 *   both paths count alike, and memory stays bounded by distinct keys, not events.
 *   Exit status: 0; 1 when an input could not be read completely; 2 usage; 3 with
 *   --fail-on LEVEL when a diagnosis at or above LEVEL was found (for cron and CI).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"
#include "report_render.h"
#include "store.h"
#include "suppress.h"

enum input_kind { IN_AUTO, IN_LOGS, IN_EMAILS };

struct report_ctx {
    struct report *r;
    unsigned long long events;
};

static int add_stored(const struct store_event *se, void *ud)
{
    struct report_ctx *x = ud;
    x->events++;
    int rc = report_add_stored(x->r, se);
    if (rc != RB_OK)
        die("report: %s", report_error(x->r));
    return 0;
}

static int on_event(const rb_event *e, void *ud)
{
    char addr[SUPPRESS_MAX_ADDRESS];
    struct store_event se;
    store_event_from_rb(&se, e, addr);
    return add_stored(&se, ud);
}

static int on_record(const rb_record *rec, void *ud)
{
    char addr[SUPPRESS_MAX_ADDRESS];
    struct store_event se;
    store_event_from_record(&se, rec, addr);
    return add_stored(&se, ud);
}

static enum report_severity severity_from_name(const char *s)
{
    for (int v = RS_OK; v <= RS_CRITICAL; v++)
        if (strcmp(s, report_severity_name((enum report_severity)v)) == 0)
            return (enum report_severity)v;
    die("report: --fail-on: '%s' is not info, warning or critical", s);
}

static unsigned long long parse_count(const char *opt, const char *s, unsigned long long max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v > max)
        die("report: %s: not a number up to %llu: '%s'", opt, max, s);
    return v;
}

static void usage(FILE *f)
{
    fputs("usage: rebound report [OPTIONS] [FILE...]\n"
          "Diagnose bounce patterns: what to fix, ranked by impact, then tables by code,\n"
          "reason, provider, campaign, sending domain and IP, over time, and reply templates.\n"
          "\n"
          "inputs: FILE... (logs, ESP events, exports, bounce emails, mboxes, Maildirs; gzip\n"
          "  read transparently), read directly without storing; with no FILE, the store.\n"
          "  --db PATH           the store to read (default: the per-user store)\n"
          "  --input auto|logs|emails  how to read FILEs (auto: by their first bytes)\n"
          "  --format NAME, --map SPEC, --campaign-header H, --year Y  as in `rebound ingest`\n"
          "selection:\n"
          "  --since T, --until T  time range (2026-10-01, 2026-10-01T12:00:00Z, Unix seconds)\n"
          "  --filter SPEC       KEY=A|B,... with keys provider, campaign, sending_domain,\n"
          "                      sending_ip, reason, category, code (550, 5.7.26, 5.7.x)\n"
          "  --sent N            messages sent, when the input has no delivery events\n"
          "analysis:\n"
          "  --bucket hour|day   time-series buckets (default: hours up to 3 days, else days)\n"
          "  --spike-window H, --spike-baseline H  hours of the spike rule's windows (24, 168)\n"
          "  --top N             rows per table (10)\n"
          "output:\n"
          "  --json, --markdown, --text (default), --html FILE (one self-contained page)\n"
          "  --no-colour         no ANSI colour even on a terminal\n"
          "  --fail-on LEVEL     exit 3 when a diagnosis is at least LEVEL (info, warning,\n"
          "                      critical)\n"
          "  -q                  no summary on stderr\n",
          f);
}

int cmd_report(int argc, char **argv)
{
    struct report_opts ro;
    memset(&ro, 0, sizeof ro);
    rb_ingest_opts io;
    memset(&io, 0, sizeof io);
    enum report_format fmt = RF_TEXT;
    enum input_kind in = IN_AUTO;
    const char *db = NULL, *html = NULL;
    int quiet = 0, colour = -1, fail_on = -1;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--db") == 0 && more) {
            db = argv[++i];
        } else if (strcmp(a, "--input") == 0 && more) {
            const char *v = argv[++i];
            in = strcmp(v, "logs") == 0     ? IN_LOGS
                 : strcmp(v, "emails") == 0 ? IN_EMAILS
                 : strcmp(v, "auto") == 0   ? IN_AUTO
                                          : (die("report: --input: auto, logs or emails"), IN_AUTO);
        } else if (strcmp(a, "--format") == 0 && more) {
            io.format = argv[++i];
        } else if (strcmp(a, "--map") == 0 && more) {
            io.map = argv[++i];
        } else if (strcmp(a, "--campaign-header") == 0 && more) {
            io.campaign_header = argv[++i];
        } else if (strcmp(a, "--year") == 0 && more) {
            io.year = (int)parse_count(a, argv[++i], 9999);
        } else if (strcmp(a, "--since") == 0 && more) {
            ro.since = io.since = cli_parse_time("report", a, argv[++i]);
        } else if (strcmp(a, "--until") == 0 && more) {
            ro.until = io.until = cli_parse_time("report", a, argv[++i]);
        } else if (strcmp(a, "--filter") == 0 && more) {
            ro.filter = argv[++i];
        } else if (strcmp(a, "--sent") == 0 && more) {
            ro.sent = parse_count(a, argv[++i], 1ull << 62);
        } else if (strcmp(a, "--bucket") == 0 && more) {
            const char *v = argv[++i];
            ro.bucket = strcmp(v, "hour") == 0 ? 3600
                        : strcmp(v, "day") == 0
                            ? 86400
                            : (long long)parse_count(a, v, 366 * 24) * 3600; /* hours */
        } else if (strcmp(a, "--spike-window") == 0 && more) {
            ro.spike_window = (long long)parse_count(a, argv[++i], 24 * 366) * 3600;
        } else if (strcmp(a, "--spike-baseline") == 0 && more) {
            ro.spike_baseline = (long long)parse_count(a, argv[++i], 24 * 366) * 3600;
        } else if (strcmp(a, "--top") == 0 && more) {
            ro.top = (unsigned)parse_count(a, argv[++i], 10000);
        } else if (strcmp(a, "--json") == 0) {
            fmt = RF_JSON;
        } else if (strcmp(a, "--markdown") == 0) {
            fmt = RF_MARKDOWN;
        } else if (strcmp(a, "--text") == 0) {
            fmt = RF_TEXT;
        } else if (strcmp(a, "--html") == 0 && more) {
            fmt = RF_HTML;
            html = argv[++i];
        } else if (strcmp(a, "--no-colour") == 0 || strcmp(a, "--no-color") == 0) {
            colour = 0;
        } else if (strcmp(a, "--fail-on") == 0 && more) {
            fail_on = (int)severity_from_name(argv[++i]);
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
            die("report: unknown option or missing value: '%s'", a);
        } else {
            break;
        }
    }
    if (db && i < argc)
        die("report: give either --db or input files, not both");

    struct report_ctx x = {0};
    int rc = report_new(&x.r, &ro);
    if (rc != RB_OK)
        die("report: %s", x.r ? report_error(x.r) : rb_strerror(rc));
    int failed = 0;
    char source[4200];
    if (i >= argc) {
        /* the store: read-only, so a report runs while an ingest writes */
        struct store *s = cli_store_open(db, NULL, 1);
        snprintf(source, sizeof source, "store %s", s->shown);
        rc = report_add_store(x.r, s, ro.since, ro.until, &x.events);
        if (rc == RB_ENOMEM)
            die("report: out of memory");
        if (rc != RB_OK)
            die("report: store %s", store_error(s));
        store_close(s);
    } else {
        snprintf(source, sizeof source, "%d input%s", argc - i, argc - i == 1 ? "" : "s");
        rb_classifier *c;
        if ((rc = rb_classifier_new(&c, NULL)) != RB_OK)
            die("cannot load the classifier: %s", rb_strerror(rc));
        rb_ingest *ig = NULL;
        rb_parser *p = NULL;
        char *chunk = NULL;
        struct cli_messages m = {.cb = on_record, .ud = &x};
        for (; i < argc; i++) {
            const char *path = argv[i];
            int email = in == IN_EMAILS ||
                        (in == IN_AUTO && strcmp(path, "-") != 0 && cli_looks_like_email(path));
            if (email) {
                if (!p && (rc = rb_parser_new(c, &p)) != RB_OK)
                    die("cannot create the parser: %s", rb_strerror(rc));
                cli_parse_source(&m, p, path);
                continue;
            }
            if (!ig) {
                rc = rb_ingest_new(c, &io, &ig);
                if (rc == RB_EINVAL)
                    die("report: %s", ig ? rb_ingest_error(ig) : "bad options");
                if (rc != RB_OK)
                    die("cannot create the reader: %s", rb_strerror(rc));
                if (!(chunk = malloc(CLI_CHUNK)))
                    die("out of memory");
            }
            failed |= cli_feed_file(ig, path, chunk, !quiet && isatty(2), on_event, &x, NULL);
        }
        failed |= m.errors > 0;
        free(chunk);
        rb_ingest_free(ig);
        rb_parser_free(p);
        rb_classifier_free(c);
    }
    if ((rc = report_finish(x.r)) != RB_OK)
        die("report: %s", report_error(x.r));

    struct report_render_opts rr = {
        .colour = fmt == RF_TEXT && (colour < 0 ? use_colour() : colour),
        .source = source,
        .generated = fmt == RF_TEXT ? 0 : (long long)time(NULL),
    };
    struct buf out;
    buf_init(&out, (size_t)1 << 30, NULL);
    if ((rc = report_render(x.r, fmt, &rr, &out)) != RB_OK)
        die("report: rendering: %s", rb_strerror(rc));
    if (html) {
        FILE *f = fopen(html, "wb");
        if (!f)
            die("report: %s: %s", html, strerror(errno));
        if (fwrite(out.p, 1, out.len, f) != out.len || fclose(f) != 0)
            die("report: %s: write error", html);
        if (!quiet)
            fprintf(stderr, "rebound: report written to %s\n", html);
    } else {
        out_flush(&out);
    }
    buf_free(&out);
    if (!quiet)
        fprintf(stderr, "rebound: report over %llu events from %s\n", x.events, source);
    int worst = -1;
    const struct report_diagnosis *d;
    size_t nd = report_diagnoses(x.r, &d);
    for (size_t k = 0; k < nd; k++)
        if ((int)d[k].severity > worst && d[k].severity != RS_OK)
            worst = (int)d[k].severity;
    report_free(x.r);
    if (failed)
        return 1;
    return fail_on >= 0 && worst >= fail_on ? 3 : 0;
}
