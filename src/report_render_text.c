/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report_render_text.c - the report as plain text (a terminal, optionally coloured) and as
 *                        Markdown (pipe tables): one layout, two spellings.
 *
 * DESCRIPTION
 *   Header figures, diagnoses, one table per non-empty dimension, the time series (text:
 *   sparkline plus one bar line per merged bucket; Markdown: a table) and the reply
 *   templates, then the unclassified ones. Tables go through put_grid(), which measures
 *   every column in code points first, then prints: nothing is allocated per row.
 *
 * LIMITS
 *   Tables print `top` rows, series RR_SERIES_ROWS rows, keys RR_KEY_COLS code points and
 *   templates RR_TEXT_TEMPLATE code points. Code points are not terminal columns: wide CJK
 *   characters still misalign a column, but never break one.
 *
 * SEE ALSO
 *   report_render.h, report_render_int.h
 */
#include <stdio.h>
#include <string.h>

#include "report_render_int.h"

#define ESC_RESET "\033[0m"
#define ESC_BOLD "\033[1m"
#define ESC_DIM "\033[2m"

/* one text/Markdown rendering */
struct tx {
    struct rr_ctx *c;
    struct rr_out *w;
    bool md, colour;
};

/* esc - an ANSI sequence, when colouring */
static void esc(struct tx *t, const char *seq)
{
    if (t->colour)
        rr_puts(t->w, seq);
}

/* text - an input string made safe for the format, cut at max code points */
static size_t text(struct tx *t, const char *s, size_t max)
{
    return rr_put_text(t->w, s, max, t->md);
}

#define NOLIMIT ((size_t)-1)

static void heading(struct tx *t, const char *s)
{
    if (t->md) {
        rr_printf(t->w, "\n## %s\n\n", s);
        return;
    }
    rr_putc(t->w, '\n');
    esc(t, ESC_BOLD);
    rr_puts(t->w, s);
    esc(t, ESC_RESET);
    rr_puts(t->w, "\n\n");
}

/* ---- grids: measured, then printed ------------------------------------------------------- */

#define GRID_COLS 12

struct grid {
    size_t nrows, ncols;
    const char *head[GRID_COLS];
    bool right[GRID_COLS]; /* numbers: right-aligned */
    size_t max[GRID_COLS]; /* code points shown at most */
    /* cell - the text of (row, col): a string of the report or scratch, formatted */
    const char *(*cell)(void *arg, size_t row, size_t col, char scratch[RR_NUM]);
    void *arg;
};

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

static void put_grid(struct tx *t, const struct grid *g)
{
    char scratch[RR_NUM];
    struct rr_out *w = t->w;
    if (t->md) {
        rr_putc(w, '|');
        for (size_t j = 0; j < g->ncols; j++) {
            rr_putc(w, ' ');
            text(t, g->head[j], NOLIMIT);
            rr_puts(w, " |");
        }
        rr_puts(w, "\n|");
        for (size_t j = 0; j < g->ncols; j++)
            rr_puts(w, g->right[j] ? "---:|" : ":---|");
        rr_putc(w, '\n');
        for (size_t i = 0; i < g->nrows; i++) {
            rr_putc(w, '|');
            for (size_t j = 0; j < g->ncols; j++) {
                rr_putc(w, ' ');
                text(t, g->cell(g->arg, i, j, scratch), g->max[j]);
                rr_puts(w, " |");
            }
            rr_putc(w, '\n');
        }
        return;
    }
    size_t width[GRID_COLS];
    for (size_t j = 0; j < g->ncols; j++)
        width[j] = rr_cols(g->head[j]);
    for (size_t i = 0; i < g->nrows; i++)
        for (size_t j = 0; j < g->ncols; j++) {
            size_t n = min_size(rr_cols(g->cell(g->arg, i, j, scratch)), g->max[j]);
            if (n > width[j])
                width[j] = n;
        }
    for (size_t i = 0; i <= g->nrows; i++) {
        rr_puts(w, "  ");
        if (i == 0)
            esc(t, ESC_DIM);
        for (size_t j = 0; j < g->ncols; j++) {
            const char *s = i ? g->cell(g->arg, i - 1, j, scratch) : g->head[j];
            size_t n = min_size(rr_cols(s), g->max[j]);
            bool last = j + 1 == g->ncols;
            if (g->right[j])
                rr_repeat(w, " ", width[j] - n);
            text(t, s, g->max[j]);
            if (!g->right[j] && !last)
                rr_repeat(w, " ", width[j] - n);
            if (!last)
                rr_puts(w, "  ");
        }
        if (i == 0)
            esc(t, ESC_RESET);
        rr_putc(w, '\n');
    }
}

/* more - the "… N more" line under a cut table */
static void more(struct tx *t, size_t shown, size_t all, const char *what)
{
    if (all <= shown)
        return;
    if (t->md)
        rr_printf(t->w, "\n_… %zu more %s_\n", all - shown, what);
    else
        rr_printf(t->w, "  … %zu more %s\n", all - shown, what);
}

/* ---- header ------------------------------------------------------------------------------ */

static void field(struct tx *t, const char *label)
{
    if (t->md)
        rr_printf(t->w, "- **%s:** ", label);
    else
        rr_printf(t->w, "%-17s ", label);
}

static void header(struct tx *t)
{
    const struct report *r = t->c->r;
    const struct report_counts *tot = report_totals(r);
    struct rr_out *w = t->w;
    char a[RR_NUM], b[RR_NUM];
    if (t->md) {
        rr_puts(w, "# ");
        text(t, t->c->title, NOLIMIT);
        rr_puts(w, "\n\n");
    } else {
        esc(t, ESC_BOLD);
        size_t n = text(t, t->c->title, NOLIMIT);
        esc(t, ESC_RESET);
        rr_putc(w, '\n');
        rr_repeat(w, "=", n);
        rr_putc(w, '\n');
    }
    if (t->c->o->generated) {
        field(t, "generated at");
        rr_printf(w, "%s UTC\n", rr_when(a, t->c->o->generated, false));
    }
    if (t->c->o->source) {
        field(t, "source");
        text(t, t->c->o->source, NOLIMIT);
        rr_putc(w, '\n');
    }
    long long first, last;
    report_span(r, &first, &last);
    field(t, "time span");
    if (first)
        rr_printf(w, "%s – %s UTC\n", rr_when(a, first, false), rr_when(b, last, false));
    else
        rr_puts(w, "unknown (no event had a time)\n");
    field(t, "events kept");
    rr_printf(w, "%llu (", rr_events(tot));
    const char *sep = "";
    for (int k = 1; k < RB_EVENT__COUNT; k++) {
        if (!tot->kind[k])
            continue;
        rr_printf(w, "%s%llu %s", sep, tot->kind[k], rb_event_kind_name((rb_event_kind)k));
        sep = ", ";
    }
    rr_puts(w, *sep ? ")\n" : "none)\n");
    field(t, "messages sent");
    rr_printf(w, "%llu\n", report_sent(r));
    double rate = report_rate(r, report_counts_bounces(tot));
    field(t, "bounce rate");
    if (rate < 0)
        rr_puts(w, "n/a (no deliveries known; use --sent N)\n");
    else
        rr_printf(w, "%s (%llu bounces)\n", rr_pct(a, rate), report_counts_bounces(tot));
    field(t, "hard-bounce rate");
    rr_printf(w, "%s (%llu hard bounces)\n", rr_pct(a, report_rate(r, tot->hard)), tot->hard);
    field(t, "deferrals");
    rr_printf(w, "%llu\n", tot->kind[RB_EVENT_DEFERRED]);
    field(t, "complaints");
    rr_printf(w, "%llu\n", tot->kind[RB_EVENT_COMPLAINT]);
}

/* ---- diagnoses --------------------------------------------------------------------------- */

static const char *const sev_colour[] = {
    [RS_OK] = "\033[32m",
    [RS_INFO] = "\033[36m",
    [RS_WARNING] = "\033[33m",
    [RS_CRITICAL] = "\033[1;31m",
};

/* keys - "provider google · campaign x ..." for the keys a diagnosis names */
static void keys(struct tx *t, const struct report_diagnosis *d)
{
    const struct {
        const char *label, *val;
    } k[] = {
        {"provider", d->provider},
        {"campaign", d->campaign},
        {"sending IP", d->sending_ip},
        {"sending domain", d->sending_domain},
        {"code", d->code},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        if (!k[i].val || !k[i].val[0])
            continue;
        rr_printf(t->w, "; %s ", k[i].label);
        text(t, k[i].val, RR_KEY_COLS);
    }
    char a[RR_NUM], b[RR_NUM];
    if (d->first)
        rr_printf(t->w, "; %s – %s UTC", rr_when(a, d->first, false), rr_when(b, d->last, false));
}

static void diagnoses(struct tx *t)
{
    const struct report_diagnosis *d;
    size_t n = report_diagnoses(t->c->r, &d);
    struct rr_out *w = t->w;
    heading(t, "Diagnoses");
    if (!n) {
        rr_puts(w, t->md ? "No diagnosis: no rule fired on these events.\n"
                         : "  No diagnosis: no rule fired on these events.\n");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const struct report_diagnosis *x = &d[i];
        const char *label = rr_severity_label(x->severity);
        if (t->md) {
            rr_printf(w, "- **%s** ", label);
            text(t, x->title, NOLIMIT);
            if (x->detail[0]) {
                rr_puts(w, "  \n  ");
                text(t, x->detail, NOLIMIT);
            }
            if (x->action && x->action[0]) {
                rr_puts(w, "  \n  → ");
                text(t, x->action, NOLIMIT);
            }
            rr_printf(w, "  \n  _evidence: %llu events", x->evidence);
            keys(t, x);
            rr_printf(w, " (rule `%s`)_\n", x->id);
            continue;
        }
        rr_puts(w, "  ");
        if ((unsigned)x->severity <= RS_CRITICAL)
            esc(t, sev_colour[x->severity]);
        rr_printf(w, "%-8s", label);
        esc(t, ESC_RESET);
        rr_puts(w, "  ");
        esc(t, ESC_BOLD);
        text(t, x->title, NOLIMIT);
        esc(t, ESC_RESET);
        rr_putc(w, '\n');
        if (x->detail[0]) {
            rr_repeat(w, " ", 12);
            text(t, x->detail, NOLIMIT);
            rr_putc(w, '\n');
        }
        if (x->action && x->action[0]) {
            rr_repeat(w, " ", 12);
            rr_puts(w, "→ ");
            text(t, x->action, NOLIMIT);
            rr_putc(w, '\n');
        }
        rr_repeat(w, " ", 12);
        esc(t, ESC_DIM);
        rr_printf(w, "evidence: %llu events", x->evidence);
        keys(t, x);
        rr_printf(w, " (rule %s)", x->id);
        esc(t, ESC_RESET);
        rr_putc(w, '\n');
    }
}

/* ---- tables by dimension ------------------------------------------------------------------ */

enum col {
    C_KEY,
    C_FAIL,
    C_SHARE,
    C_BOUNCED,
    C_EXPIRED,
    C_DEFERRED,
    C_COMPLAINT,
    C_SENT,
    C_RATE,
    C_TOPCAT
};

struct dimtab {
    const struct report_row *rows;
    unsigned long long failures; /* of the whole report: the shares' base */
    enum col cols[GRID_COLS];
};

static const char *dim_cell(void *arg, size_t row, size_t col, char s[RR_NUM])
{
    const struct dimtab *d = arg;
    const struct report_row *x = &d->rows[row];
    const struct report_counts *c = &x->c;
    switch (d->cols[col]) {
    case C_KEY:
        return x->key;
    case C_FAIL:
        snprintf(s, RR_NUM, "%llu", report_counts_failures(c));
        return s;
    case C_SHARE:
        return rr_share(s, report_counts_failures(c), d->failures);
    case C_BOUNCED:
        snprintf(s, RR_NUM, "%llu", c->kind[RB_EVENT_BOUNCED]);
        return s;
    case C_EXPIRED:
        snprintf(s, RR_NUM, "%llu", c->kind[RB_EVENT_EXPIRED]);
        return s;
    case C_DEFERRED:
        snprintf(s, RR_NUM, "%llu", c->kind[RB_EVENT_DEFERRED]);
        return s;
    case C_COMPLAINT:
        snprintf(s, RR_NUM, "%llu", c->kind[RB_EVENT_COMPLAINT]);
        return s;
    case C_SENT:
        snprintf(s, RR_NUM, "%llu", report_counts_sent(c));
        return s;
    case C_RATE: {
        double v = rr_row_rate(c);
        return v < 0 ? "-" : rr_pct(s, v);
    }
    case C_TOPCAT: {
        rb_category k = rr_top_category(c);
        return k == RB_CAT__COUNT ? "-" : rb_category_name(k);
    }
    }
    return "";
}

static void dim_table(struct tx *t, enum report_dim dim)
{
    const struct report_row *rows;
    size_t n = report_rows(t->c->r, dim, &rows);
    if (!n)
        return;
    const struct report_counts *tot = report_totals(t->c->r);
    struct dimtab d = {.rows = rows, .failures = report_counts_failures(tot)};
    struct grid g = {.nrows = min_size(n, t->c->top), .cell = dim_cell, .arg = &d};
    static const struct {
        enum col c;
        const char *head;
    } spec[] = {
        {C_KEY, NULL},
        {C_FAIL, "failures"},
        {C_SHARE, "share"},
        {C_BOUNCED, "bounced"},
        {C_EXPIRED, "expired"},
        {C_DEFERRED, "deferred"},
        {C_COMPLAINT, "complaints"},
        {C_SENT, "sent"},
        {C_RATE, "bounce rate"},
        {C_TOPCAT, "top category"},
    };
    for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++) {
        enum col c = spec[i].c;
        /* columns that could only show zeros or dashes stay out */
        if ((c == C_EXPIRED && !tot->kind[RB_EVENT_EXPIRED]) ||
            (c == C_COMPLAINT && !tot->kind[RB_EVENT_COMPLAINT]) ||
            ((c == C_SENT || c == C_RATE) && !rr_dim_every(dim)) ||
            (c == C_TOPCAT && dim == RD_CATEGORY))
            continue;
        d.cols[g.ncols] = c;
        g.head[g.ncols] = c == C_KEY ? rr_dim_column(dim) : spec[i].head;
        g.right[g.ncols] = c != C_KEY && c != C_TOPCAT;
        g.max[g.ncols] = c == C_KEY ? RR_KEY_COLS : NOLIMIT;
        g.ncols++;
    }
    heading(t, rr_dim_title(dim));
    put_grid(t, &g);
    more(t, g.nrows, n, "rows");
}

/* ---- time series -------------------------------------------------------------------------- */

static void sparkline(struct tx *t, const struct report_bucket *b, size_t n)
{
    static const char *const level[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    size_t k = rr_group(n, RR_SPARK_COLS);
    struct report_counts m;
    unsigned long long max = 0;
    for (size_t i = 0; i < n; i += k) {
        rr_merged(b, n, i, k, &m);
        if (report_counts_failures(&m) > max)
            max = report_counts_failures(&m);
    }
    rr_puts(t->w, "  failures ");
    for (size_t i = 0; i < n; i += k) {
        rr_merged(b, n, i, k, &m);
        unsigned v = rr_scale(report_counts_failures(&m), max, 8);
        rr_puts(t->w, v ? level[v - 1] : " ");
    }
    rr_printf(t->w, " (max %llu)\n\n", max);
}

/* bar - v of max as eighth blocks, at most width cells */
static void bar(struct rr_out *w, unsigned long long v, unsigned long long max, unsigned width)
{
    static const char *const part[] = {"▏", "▎", "▍", "▌", "▋", "▊", "▉"};
    unsigned e = rr_scale(v, max, width * 8);
    rr_repeat(w, "█", e / 8);
    if (e % 8)
        rr_puts(w, part[e % 8 - 1]);
}

static void series(struct tx *t)
{
    const struct report_bucket *b;
    long long width;
    size_t n = report_buckets(t->c->r, &b, &width);
    if (!n)
        return;
    struct rr_out *w = t->w;
    size_t k = rr_group(n, RR_SERIES_ROWS);
    long long span = width * (long long)k;
    bool day = span % 86400 == 0;
    char a[RR_NUM], s[RR_NUM];
    heading(t, "Time series");
    rr_printf(w, "%s%zu buckets of %s", t->md ? "" : "  ", n, rr_span_label(s, width));
    if (k > 1)
        rr_printf(w, ", shown %zu to a row (%s)", k, rr_span_label(s, span));
    rr_puts(w, ", times UTC\n\n");
    struct report_counts m;
    unsigned long long max = 0;
    for (size_t i = 0; i < n; i += k) {
        rr_merged(b, n, i, k, &m);
        if (report_counts_failures(&m) > max)
            max = report_counts_failures(&m);
    }
    if (t->md) {
        rr_puts(w, "| start | delivered | bounced | expired | deferred | complaints |\n"
                   "|:---|---:|---:|---:|---:|---:|\n");
        for (size_t i = 0; i < n; i += k) {
            rr_merged(b, n, i, k, &m);
            rr_printf(w, "| %s | %llu | %llu | %llu | %llu | %llu |\n", rr_when(a, b[i].start, day),
                      m.kind[RB_EVENT_DELIVERED], m.kind[RB_EVENT_BOUNCED],
                      m.kind[RB_EVENT_EXPIRED], m.kind[RB_EVENT_DEFERRED],
                      m.kind[RB_EVENT_COMPLAINT]);
        }
        return;
    }
    sparkline(t, b, n);
    int tw = day ? 10 : 16;
    esc(t, ESC_DIM);
    rr_printf(w, "  %-*s  %9s  %9s\n", tw, "start", "bounces", "deferrals");
    esc(t, ESC_RESET);
    for (size_t i = 0; i < n; i += k) {
        rr_merged(b, n, i, k, &m);
        rr_printf(w, "  %-*s  %9llu  %9llu  ", tw, rr_when(a, b[i].start, day),
                  report_counts_bounces(&m), m.kind[RB_EVENT_DEFERRED]);
        bar(w, report_counts_failures(&m), max, 30);
        rr_putc(w, '\n');
    }
}

/* ---- templates ---------------------------------------------------------------------------- */

struct tpltab {
    const struct report_template_row *t;
    size_t n;
    bool unclassified;            /* rows are the unclassified ones only */
    size_t cursor_row, cursor_at; /* the last row found and its index in t: rows come in order */
};

/* tpl_at - the template of table row i */
static const struct report_template_row *tpl_at(struct tpltab *x, size_t i)
{
    if (!x->unclassified)
        return &x->t[i];
    size_t row = 0, at = 0;
    if (x->cursor_at < x->n && x->cursor_row <= i)
        row = x->cursor_row, at = x->cursor_at;
    for (; at < x->n; at++) {
        if (x->t[at].classified)
            continue;
        if (row == i)
            break;
        row++;
    }
    x->cursor_row = row;
    x->cursor_at = at;
    return &x->t[at < x->n ? at : 0];
}

static const char *tpl_cell(void *arg, size_t row, size_t col, char s[RR_NUM])
{
    const struct report_template_row *t = tpl_at(arg, row);
    switch (col) {
    case 0:
        snprintf(s, RR_NUM, "%llu", t->count);
        return s;
    case 1:
        return t->provider[0] ? t->provider : "-";
    case 2:
        if (t->status[0])
            return t->status;
        if (!t->replycode)
            return "-";
        snprintf(s, RR_NUM, "%d", t->replycode);
        return s;
    case 3:
        return rb_reason_name(t->reason);
    default:
        return t->text;
    }
}

static void templates(struct tx *t)
{
    const struct report_template_row *tpl;
    unsigned long long dropped;
    size_t n = report_templates(t->c->r, &tpl, &dropped);
    if (!n && !dropped)
        return;
    struct tpltab x = {.t = tpl, .n = n};
    struct grid g = {
        .nrows = min_size(n, t->c->top),
        .ncols = 5,
        .head = {"count", "provider", "status", "reason", "template"},
        .right = {true},
        .max = {NOLIMIT, 24, NOLIMIT, NOLIMIT, RR_TEXT_TEMPLATE},
        .cell = tpl_cell,
        .arg = &x,
    };
    heading(t, "Reply templates");
    put_grid(t, &g);
    more(t, g.nrows, n, "templates");
    if (dropped) {
        rr_printf(t->w, "%s%llu failure texts were not grouped: over %d distinct templates\n",
                  t->md ? "\n" : "  ", dropped, REPORT_MAX_TEMPLATES);
    }
    size_t nu = 0;
    for (size_t i = 0; i < n; i++)
        nu += !tpl[i].classified;
    if (!nu)
        return;
    heading(t, "Unclassified texts");
    rr_puts(t->w, t->md ? "No rule gave these texts a reason; by count.\n\n"
                        : "  No rule gave these texts a reason; by count.\n\n");
    x.unclassified = true;
    g.nrows = min_size(nu, t->c->top);
    put_grid(t, &g);
    more(t, g.nrows, nu, "texts");
}

int report_render_text(struct rr_ctx *c, bool markdown)
{
    struct tx t = {.c = c, .w = &c->w, .md = markdown, .colour = !markdown && c->o->colour};
    header(&t);
    diagnoses(&t);
    for (int d = 0; d < RD__COUNT; d++)
        dim_table(&t, (enum report_dim)d);
    series(&t);
    templates(&t);
    return c->w.rc;
}
