/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_suppress.c - `rebound suppress list|add|remove|export|import`, and the store options
 *                  shared by every command that reads or writes the store.
 *
 * DESCRIPTION
 *   The store is $XDG_DATA_HOME/rebound/rebound.db (else ~/.local/share/rebound/rebound.db)
 *   or --db PATH; the rules' config is $XDG_CONFIG_HOME/rebound/rebound.conf (else
 *   ~/.config/rebound/rebound.conf; absent = defaults) or --config FILE (must exist).
 *   list: address, reason, date (UTC), rule, tab-separated, in address order.
 *   export: a plain list (one address a line; the default) or --csv: email,reason,date
 *   with a header (the shape ESPs and sequencers import). import: the same shapes, detected
 *   from a header naming an email column (email, email address, address, recipient ...;
 *   reason and date columns are used when present), or forced with --csv / --plain.
 *   Entries already on the list are kept as they are (a rule's reason is not overwritten).
 *   Exit status: 0, 1 if an address given was invalid or not on the list, 2 for errors.
 *
 * LIMITS
 *   Import lines longer than IMPORT_MAX_LINE bytes are skipped with a count.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "ingest.h"
#include "rebound.h"
#include "store.h"
#include "suppress.h"

#define IMPORT_MAX_LINE 65536
#define OUT_FLUSH_AT (1u << 16)

/* ---- shared store options --------------------------------------------------------------- */

/* config_path_default - the config file's default place, "" if no home is known */
static void config_path_default(char *out, size_t cap)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0] == '/')
        snprintf(out, cap, "%s/rebound/rebound.conf", xdg);
    else if (home && home[0])
        snprintf(out, cap, "%s/.config/rebound/rebound.conf", home);
    else
        out[0] = '\0';
}

void cli_config_load(const char *path, struct suppress_config *cfg)
{
    suppress_config_default(cfg);
    char dflt[4096];
    int must = path != NULL;
    if (!path) {
        config_path_default(dflt, sizeof dflt);
        path = dflt;
    }
    if (!path[0])
        return;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (!must && errno == ENOENT)
            return;
        die("config %s: %s", path, strerror(errno));
    }
    char text[65536];
    size_t n = fread(text, 1, sizeof text, f);
    int bad = ferror(f), more = !feof(f);
    fclose(f);
    if (bad)
        die("config %s: read error", path);
    if (more)
        die("config %s: larger than %zu bytes", path, sizeof text);
    char err[256];
    if (suppress_config_parse(cfg, text, n, err, sizeof err) != RB_OK)
        die("config %s: %s", path, err);
}

struct store *cli_store_open(const char *db, const char *config, int readonly)
{
    struct suppress_config cfg;
    cli_config_load(config, &cfg);
    char path[4096];
    if (!db) {
        if (store_default_path(path, sizeof path) != RB_OK)
            die("no store path: set HOME or XDG_DATA_HOME, or pass --db PATH");
        db = path;
    }
    struct store_open_opts o = {
        .readonly = readonly != 0, .create = readonly == 0, .busy_timeout_ms = cfg.busy_timeout_ms};
    struct store *s;
    int rc = store_open(&s, db, &o, &cfg);
    if (rc == RB_EINVAL && !s)
        die("%s: this store type is not supported (the PostgreSQL backend is issue 9)", db);
    if (rc != RB_OK) {
        char why[STORE_ERR_CAP];
        snprintf(why, sizeof why, "%s", store_error(s));
        store_close(s);
        die("store %s", why);
    }
    return s;
}

void cli_store_event(struct cli_store *cs, const rb_event *e)
{
    char addr[SUPPRESS_MAX_ADDRESS];
    struct store_event se;
    store_event_from_rb(&se, e, addr);
    store_event_key(&se);
    struct store_add_result r;
    if (store_add(cs->s, &se, &r) != RB_OK)
        die("store %s", store_error(cs->s));
    cs->added += r.inserted;
    cs->dup += !r.inserted;
    cs->suppressed += r.suppressed;
    cs->alerts += r.sender_alert;
}

void cli_store_record(struct cli_store *cs, const rb_record *rec)
{
    char addr[SUPPRESS_MAX_ADDRESS];
    struct store_event se;
    store_event_from_record(&se, rec, addr);
    store_event_key(&se);
    struct store_add_result r;
    if (store_add(cs->s, &se, &r) != RB_OK)
        die("store %s", store_error(cs->s));
    cs->added += r.inserted;
    cs->dup += !r.inserted;
    cs->suppressed += r.suppressed;
    cs->alerts += r.sender_alert;
}

void cli_store_close(struct cli_store *cs, int quiet)
{
    if (!cs->s)
        return;
    if (store_finish(cs->s) != RB_OK)
        die("store %s", store_error(cs->s));
    /* the store's own totals: a bulk backend (PostgreSQL) decides a batch at its commit,
     * after the store_add calls returned */
    struct store_totals t;
    store_totals(cs->s, &t);
    if (!quiet)
        fprintf(stderr,
                "rebound: store %s: %llu new events, %llu already stored, %llu newly "
                "suppressed, %llu sender alerts\n",
                cs->s->shown, t.added, t.dup, t.suppressed, t.alerts);
    cs->s = store_close(cs->s);
}

/* ---- helpers ------------------------------------------------------------------------------ */

void cli_format_time(long long t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, cap, "%lld", t);
}

/* csv_field - append s as one CSV field (quoted when it needs to be, RFC 4180) */
static void csv_field(struct buf *b, const char *s)
{
    int rc = RB_OK;
    if (strpbrk(s, ",\"\r\n")) {
        rc = buf_putc(b, '"');
        for (; rc == RB_OK && *s; s++) {
            if (*s == '"')
                rc = buf_putc(b, '"');
            if (rc == RB_OK)
                rc = buf_putc(b, *s);
        }
        if (rc == RB_OK)
            rc = buf_putc(b, '"');
    } else {
        rc = buf_puts(b, s);
    }
    if (rc != RB_OK)
        die("output: %s", rb_strerror(rc));
}

/* one CSV record split into fields in place; quotes handled; returns the field count */
static size_t csv_split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        char *w = p;
        fields[n++] = w;
        if (*p == '"') {
            p++;
            for (;;) {
                if (!*p)
                    break;
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
            while (*p && *p != ',')
                p++;
        } else {
            while (*p && *p != ',')
                *w++ = *p++;
        }
        int more = *p == ',';
        *w = '\0';
        if (!more)
            break;
        p++;
    }
    return n;
}

/* ---- subcommands -------------------------------------------------------------------------- */

enum shape { SHAPE_AUTO, SHAPE_PLAIN, SHAPE_CSV, SHAPE_TSV };

struct list_ctx {
    struct buf out;
    enum shape shape;
    unsigned long long n;
};

static int list_one(const struct store_suppression *e, void *ud)
{
    struct list_ctx *x = ud;
    char when[40];
    cli_format_time(e->since, when, sizeof when);
    int rc = RB_OK;
    if (x->shape == SHAPE_PLAIN) {
        rc = buf_printf(&x->out, "%s\n", e->address);
    } else if (x->shape == SHAPE_CSV) {
        csv_field(&x->out, e->address);
        rc = buf_putc(&x->out, ',');
        csv_field(&x->out, e->reason);
        if (rc == RB_OK)
            rc = buf_printf(&x->out, ",%s\n", when);
    } else {
        rc = buf_printf(&x->out, "%s\t%s\t%s\t%s\n", e->address, e->reason, when, e->rule);
    }
    if (rc != RB_OK)
        die("output: %s", rb_strerror(rc));
    if (x->out.len >= OUT_FLUSH_AT)
        out_flush(&x->out);
    x->n++;
    return 0;
}

static int do_list(struct store *s, enum shape shape, const char *outpath)
{
    struct list_ctx x = {.shape = shape};
    buf_init(&x.out, (size_t)1 << 30, NULL);
    FILE *f = NULL;
    if (outpath && strcmp(outpath, "-") != 0) {
        f = freopen(outpath, "w", stdout);
        if (!f)
            die("%s: %s", outpath, strerror(errno));
    }
    if (shape == SHAPE_CSV && buf_puts(&x.out, "email,reason,date\n") != RB_OK)
        die("out of memory");
    if (store_suppress_iterate(s, list_one, &x) != RB_OK)
        die("store %s", store_error(s));
    out_flush(&x.out);
    buf_free(&x.out);
    if (fflush(stdout) != 0)
        die("write error");
    return 0;
}

static int do_add(struct store *s, char **addrs, int n, const char *reason)
{
    int bad = 0;
    if (store_begin(s) != RB_OK)
        die("store %s", store_error(s));
    for (int i = 0; i < n; i++) {
        char a[SUPPRESS_MAX_ADDRESS];
        size_t len = suppress_normalize(addrs[i], strlen(addrs[i]), a, sizeof a);
        if (!len || !suppress_valid_syntax(a, len)) {
            fprintf(stderr, "rebound: suppress add: not an address: '%s'\n", addrs[i]);
            bad = 1;
            continue;
        }
        struct store_suppression e = {a, reason ? reason : "manual", "manual", "",
                                      (long long)time(NULL)};
        bool changed;
        if (store_suppress_set(s, &e, false, &changed) != RB_OK)
            die("store %s", store_error(s));
        if (!changed)
            fprintf(stderr, "rebound: %s: already suppressed (kept as it was)\n", a);
    }
    if (store_finish(s) != RB_OK)
        die("store %s", store_error(s));
    return bad;
}

static int do_remove(struct store *s, char **addrs, int n)
{
    int missing = 0;
    if (store_begin(s) != RB_OK)
        die("store %s", store_error(s));
    for (int i = 0; i < n; i++) {
        char a[SUPPRESS_MAX_ADDRESS];
        size_t len = suppress_normalize(addrs[i], strlen(addrs[i]), a, sizeof a);
        bool removed = false;
        if (len && store_suppress_remove(s, a, &removed) != RB_OK)
            die("store %s", store_error(s));
        if (!removed) {
            fprintf(stderr, "rebound: %s: not on the suppression list\n", addrs[i]);
            missing = 1;
        }
    }
    if (store_finish(s) != RB_OK)
        die("store %s", store_error(s));
    return missing;
}

static int is_email_header(const char *h)
{
    static const char *const names[] = {"email",        "e-mail",        "email address",
                                        "emailaddress", "email_address", "address",
                                        "recipient",    "mail",          "e-mail address"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(h, names[i]) == 0)
            return 1;
    return 0;
}

static int is_reason_header(const char *h)
{
    return strcasecmp(h, "reason") == 0 || strcasecmp(h, "suppression reason") == 0 ||
           strcasecmp(h, "bounce reason") == 0 || strcasecmp(h, "type") == 0 ||
           strcasecmp(h, "status") == 0;
}

static int is_date_header(const char *h)
{
    return strcasecmp(h, "date") == 0 || strcasecmp(h, "created") == 0 ||
           strcasecmp(h, "created_at") == 0 || strcasecmp(h, "suppressed_at") == 0 ||
           strcasecmp(h, "date added") == 0 || strcasecmp(h, "timestamp") == 0 ||
           strcasecmp(h, "since") == 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

static int do_import(struct store *s, const char *path, enum shape shape, const char *reason)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        die("%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    unsigned long lineno = 0, first_bad = 0;
    unsigned long long added = 0, kept = 0, bad = 0, toolong = 0;
    int col_email = 0, col_reason = -1, col_date = -1;
    long long now = (long long)time(NULL);
    if (store_begin(s) != RB_OK)
        die("store %s", store_error(s));
    while ((got = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (got > IMPORT_MAX_LINE) {
            toolong++;
            continue;
        }
        char *l = trim(line);
        if (!l[0] || l[0] == '#')
            continue;
        char *fields[64];
        size_t nf = 1;
        fields[0] = l;
        if (lineno == 1 && shape != SHAPE_PLAIN) {
            /* a header? */
            char copy[4096];
            snprintf(copy, sizeof copy, "%s", l);
            char *h[64];
            size_t nh = csv_split(copy, h, 64);
            int found = -1;
            for (size_t i = 0; i < nh; i++) {
                char *t = trim(h[i]);
                if (found < 0 && is_email_header(t))
                    found = (int)i;
                else if (col_reason < 0 && is_reason_header(t))
                    col_reason = (int)i;
                else if (col_date < 0 && is_date_header(t))
                    col_date = (int)i;
            }
            if (found >= 0) {
                col_email = found;
                shape = SHAPE_CSV;
                continue;
            }
            col_reason = col_date = -1;
            if (shape == SHAPE_AUTO)
                shape = strchr(l, ',') ? SHAPE_CSV : SHAPE_PLAIN;
        }
        if (shape == SHAPE_CSV)
            nf = csv_split(l, fields, 64);
        const char *addr = (size_t)col_email < nf ? trim(fields[col_email]) : "";
        char a[SUPPRESS_MAX_ADDRESS];
        size_t len = suppress_normalize(addr, strlen(addr), a, sizeof a);
        if (!len || !suppress_valid_syntax(a, len)) {
            if (!bad++)
                first_bad = lineno;
            continue;
        }
        const char *why = reason ? reason : "imported";
        if (col_reason >= 0 && (size_t)col_reason < nf && trim(fields[col_reason])[0])
            why = trim(fields[col_reason]);
        long long since = now;
        if (col_date >= 0 && (size_t)col_date < nf) {
            char *d = trim(fields[col_date]);
            size_t dn = strlen(d);
            long long t;
            int off;
            char tmp[40];
            if (dn == 10 && d[4] == '-' && d[7] == '-') {
                snprintf(tmp, sizeof tmp, "%sT00:00:00Z", d);
                d = tmp;
                dn = strlen(d);
            }
            if (dn && ingest_parse_time(slice_make(d, dn), &t, &off))
                since = t;
            else if (dn && dn <= 12 && strspn(d, "0123456789") == dn)
                since = strtoll(d, NULL, 10);
        }
        struct store_suppression e = {a, why, "import", "", since};
        bool changed;
        if (store_suppress_set(s, &e, false, &changed) != RB_OK)
            die("store %s", store_error(s));
        added += changed;
        kept += !changed;
    }
    int rerr = ferror(f);
    free(line);
    if (f != stdin)
        fclose(f);
    if (rerr)
        die("%s: read error (nothing imported)", path);
    if (store_finish(s) != RB_OK)
        die("store %s", store_error(s));
    fprintf(stderr, "rebound: imported %llu, %llu already on the list", added, kept);
    if (bad)
        fprintf(stderr, ", %llu skipped as not an address (first at line %lu)", bad, first_bad);
    if (toolong)
        fprintf(stderr, ", %llu over-long lines skipped", toolong);
    fputc('\n', stderr);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: rebound suppress [--db PATH] [--config FILE] COMMAND ...\n"
               "  list [--csv|--plain]                 address, reason, date, rule (TSV)\n"
               "  add [--reason R] ADDRESS...          suppress addresses by hand\n"
               "  remove ADDRESS...                    take addresses off the list\n"
               "  export [--csv|--plain] [-o FILE]     plain list (default) or CSV\n"
               "                                       (email,reason,date) for an ESP\n"
               "  import [--csv|--plain] [--reason R] FILE|-\n"
               "                                       a plain list or a CSV with an email\n"
               "                                       column (and reason, date if present)\n"
               "The store: --db PATH, else $XDG_DATA_HOME/rebound/rebound.db\n"
               "(~/.local/share/rebound/rebound.db). Addresses are compared lower-cased.\n");
}

int cmd_suppress(int argc, char **argv)
{
    const char *db = NULL, *config = NULL, *reason = NULL, *outpath = NULL, *sub = NULL;
    enum shape shape = SHAPE_AUTO;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos)
        die("out of memory");
    int npos = 0, dashdash = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (dashdash || a[0] != '-' || !a[1]) {
            if (!sub)
                sub = a;
            else
                pos[npos++] = argv[i];
        } else if (strcmp(a, "--") == 0) {
            dashdash = 1;
        } else if (strcmp(a, "--db") == 0 && more) {
            db = argv[++i];
        } else if (strcmp(a, "--config") == 0 && more) {
            config = argv[++i];
        } else if (strcmp(a, "--reason") == 0 && more) {
            reason = argv[++i];
        } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && more) {
            outpath = argv[++i];
        } else if (strcmp(a, "--csv") == 0) {
            shape = SHAPE_CSV;
        } else if (strcmp(a, "--plain") == 0) {
            shape = SHAPE_PLAIN;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            free(pos);
            return 0;
        } else {
            usage(stderr);
            die("suppress: unknown option or missing value: '%s'", a);
        }
    }
    if (!sub) {
        usage(stderr);
        die("suppress: which command? (list, add, remove, export, import)");
    }
    int rc = 0;
    struct store *s = NULL;
    if (strcmp(sub, "list") == 0 || strcmp(sub, "export") == 0) {
        if (npos)
            die("suppress %s: unexpected argument '%s'", sub, pos[0]);
        s = cli_store_open(db, config, 1);
        if (shape == SHAPE_AUTO)
            shape = strcmp(sub, "list") == 0 ? SHAPE_TSV : SHAPE_PLAIN;
        rc = do_list(s, shape, outpath);
    } else if (strcmp(sub, "add") == 0) {
        if (!npos)
            die("suppress add: no address given");
        s = cli_store_open(db, config, 0);
        rc = do_add(s, pos, npos, reason);
    } else if (strcmp(sub, "remove") == 0) {
        if (!npos)
            die("suppress remove: no address given");
        s = cli_store_open(db, config, 0);
        rc = do_remove(s, pos, npos);
    } else if (strcmp(sub, "import") == 0) {
        if (npos != 1)
            die("suppress import: give one FILE (or - for stdin)");
        s = cli_store_open(db, config, 0);
        rc = do_import(s, pos[0], shape, reason);
    } else {
        usage(stderr);
        die("suppress: unknown command '%s'", sub);
    }
    store_close(s);
    free(pos);
    return rc;
}
