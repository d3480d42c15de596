/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report_render_html.c - the report as one self-contained HTML page (`rebound report
 *                        --html FILE`): cards, diagnoses, three inline SVG charts, tables.
 *
 * DESCRIPTION
 *   The page loads nothing: inline <style>, inline <svg>, no script, and a
 *   Content-Security-Policy that forbids every fetch, so a report mailed around or opened
 *   from disk shows the same and leaks nothing. Every string of the report goes through
 *   hput() (& < > " ' escaped, control bytes blanked, invalid UTF-8 as U+FFFD); every number
 *   through a printf format. Sections: header cards; diagnoses (class "diagnosis
 *   diag-<severity>", data-id = rule id); charts #chart-families (failures by code family),
 *   #chart-timeline (stacked failures by category over time, adjacent buckets merged to at
 *   most RR_CHART_BARS bars), #chart-providers (providers x categories heat map, counts in
 *   <title> tooltips); the tables by dimension; reply templates and unclassified texts.
 *
 * LIMITS
 *   `top` rows per table and chart, RR_CHART_BARS bars: the page size follows the options,
 *   never the number of events.
 *
 * SEE ALSO
 *   report_render.h, report_render_text.c (the same tables in text)
 */
#include <stdio.h>
#include <string.h>

#include "report_render_int.h"
#include "slice.h"

/* One fixed colour per category, so charts read the same from one report to the next. */
static const char *const cat_colour[RB_CAT__COUNT] = {
    [RB_CAT_UNKNOWN] = "#9ca3af",    [RB_CAT_ADDRESS] = "#dc2626",
    [RB_CAT_MAILBOX] = "#f97316",    [RB_CAT_GREYLISTING] = "#a8a29e",
    [RB_CAT_RATE_LIMIT] = "#eab308", [RB_CAT_REPUTATION] = "#9333ea",
    [RB_CAT_BLOCKLIST] = "#1f2937",  [RB_CAT_AUTHENTICATION] = "#2563eb",
    [RB_CAT_CONTENT] = "#db2777",    [RB_CAT_VIRUS] = "#7f1d1d",
    [RB_CAT_SIZE] = "#0891b2",       [RB_CAT_POLICY] = "#4f46e5",
    [RB_CAT_ROUTING] = "#65a30d",    [RB_CAT_PROTOCOL] = "#0d9488",
    [RB_CAT_NETWORK] = "#64748b",    [RB_CAT_RECEIVER] = "#78716c",
    [RB_CAT_EXPIRED] = "#b45309",    [RB_CAT_AUTO_REPLY] = "#84cc16",
    [RB_CAT_COMPLAINT] = "#be123c",  [RB_CAT_DELIVERED] = "#16a34a",
};

static const char style[] =
    "*{box-sizing:border-box}"
    "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "color:#1f2937;background:#f6f7f9}"
    "main{max-width:1100px;margin:0 auto;padding:24px}"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 12px}"
    "h3{font-size:15px;margin:20px 0 8px}"
    ".meta{color:#6b7280;margin:0}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;"
    "margin-top:20px}"
    ".card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px 14px}"
    ".card .label{color:#6b7280;font-size:12px;text-transform:uppercase;letter-spacing:.04em}"
    ".card .value{font-size:22px;font-weight:600;margin-top:2px}"
    ".card .note{color:#6b7280;font-size:12px}"
    ".card.bad .value{color:#b91c1c}.card.warn .value{color:#b45309}"
    ".card.good .value{color:#15803d}"
    ".diagnosis{background:#fff;border:1px solid #e5e7eb;border-left:6px solid #9ca3af;"
    "border-radius:8px;padding:10px 14px;margin:10px 0}"
    ".diagnosis h3{margin:2px 0 4px}.diagnosis p{margin:4px 0}"
    ".sev{font-size:11px;font-weight:700;letter-spacing:.06em}"
    ".diag-critical{border-left-color:#dc2626}.diag-critical .sev{color:#dc2626}"
    ".diag-warning{border-left-color:#d97706}.diag-warning .sev{color:#b45309}"
    ".diag-info{border-left-color:#0891b2}.diag-info .sev{color:#0e7490}"
    ".diag-ok{border-left-color:#16a34a}.diag-ok .sev{color:#15803d}"
    ".action{font-weight:500}.evidence{color:#6b7280;font-size:12px}"
    ".chart{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px;"
    "overflow-x:auto}"
    "svg{display:block;max-width:100%;height:auto}svg text{font:11px system-ui,sans-serif;"
    "fill:#374151}"
    "table{border-collapse:collapse;background:#fff;border:1px solid #e5e7eb;width:100%;"
    "font-size:13px}"
    "th,td{padding:5px 8px;border-bottom:1px solid #f0f1f3;text-align:left;"
    "vertical-align:top}"
    "th{background:#f9fafb;color:#4b5563;font-weight:600}"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "td.key{word-break:break-all}"
    "code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-word}"
    ".more,.empty{color:#6b7280;font-size:12px;margin:6px 0}"
    ".swatch{display:inline-block;width:10px;height:10px;border-radius:2px;"
    "margin-right:4px}"
    "footer{color:#9ca3af;font-size:12px;margin:32px 0 8px}";

/* hput - s as HTML text or attribute value, at most max code points ("…" marks a cut) */
static void hput(struct rr_out *w, const char *s, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), cols = 0, i = 0;
    bool cut = rr_cols(s) > max;
    size_t limit = cut ? (max ? max - 1 : 0) : max;
    size_t run = 0; /* start of the bytes not yet written: copied as they are */
    for (; i < n && cols < limit; cols++) {
        size_t k = utf8_seq_len(u + i, n - i);
        const char *rep = NULL;
        if (!k)
            rep = "\xef\xbf\xbd"; /* U+FFFD: the page stays valid UTF-8 */
        else if (u[i] == '&')
            rep = "&amp;";
        else if (u[i] == '<')
            rep = "&lt;";
        else if (u[i] == '>')
            rep = "&gt;";
        else if (u[i] == '"')
            rep = "&quot;";
        else if (u[i] == '\'')
            rep = "&#39;";
        else if (u[i] < 0x20 || u[i] == 0x7f)
            rep = " ";
        if (rep) {
            rr_putn(w, s + run, i - run);
            rr_puts(w, rep);
            run = i + (k ? k : 1);
        }
        i += k ? k : 1;
    }
    rr_putn(w, s + run, i - run);
    if (cut && max)
        rr_puts(w, "\xe2\x80\xa6");
}

#define ALL ((size_t)-1)

static void h(struct rr_out *w, const char *s)
{
    hput(w, s, ALL);
}

/* ---- header cards ------------------------------------------------------------------------- */

static void card(struct rr_out *w, const char *cls, const char *label, const char *value,
                 const char *note)
{
    rr_printf(w, "<div class=\"card%s%s\"><div class=\"label\">%s</div><div class=\"value\">",
              cls[0] ? " " : "", cls, label);
    h(w, value);
    rr_puts(w, "</div>");
    if (note && note[0]) {
        rr_puts(w, "<div class=\"note\">");
        h(w, note);
        rr_puts(w, "</div>");
    }
    rr_puts(w, "</div>\n");
}

static void header(struct rr_ctx *c)
{
    struct rr_out *w = &c->w;
    const struct report_counts *t = report_totals(c->r);
    char a[RR_NUM], b[RR_NUM], note[64];
    long long first, last;
    report_span(c->r, &first, &last);
    rr_puts(w, "<header><h1>");
    h(w, c->title);
    rr_puts(w, "</h1>\n<p class=\"meta\">");
    if (c->o->source) {
        h(w, c->o->source);
        rr_puts(w, " · ");
    }
    if (first)
        rr_printf(w, "%s – %s UTC", rr_when(a, first, false), rr_when(b, last, false));
    else
        rr_puts(w, "no event had a time");
    rr_printf(w, " · %llu events kept", rr_events(t));
    if (c->o->generated)
        rr_printf(w, " · generated at %s UTC", rr_when(a, c->o->generated, false));
    rr_puts(w, "</p></header>\n<section class=\"cards\">\n");

    snprintf(a, sizeof a, "%llu", report_sent(c->r));
    card(w, "", "Messages sent", a, NULL);
    double rate = report_rate(c->r, report_counts_bounces(t));
    snprintf(note, sizeof note, "%llu bounces", report_counts_bounces(t));
    card(w,
         rate < 0       ? ""
         : rate > 0.05  ? "bad"
         : rate > 0.02  ? "warn"
         : rate < 0.005 ? "good"
                        : "",
         "Bounce rate", rr_pct(a, rate), rate < 0 ? "no deliveries known; use --sent N" : note);
    double hard = report_rate(c->r, t->hard);
    snprintf(note, sizeof note, "%llu hard bounces", t->hard);
    card(w,
         hard > 0.04   ? "bad"
         : hard > 0.02 ? "warn"
                       : "",
         "Hard-bounce rate", rr_pct(a, hard), note);
    snprintf(a, sizeof a, "%llu", t->kind[RB_EVENT_DEFERRED]);
    card(w, "", "Deferrals", a, NULL);
    snprintf(a, sizeof a, "%llu", t->kind[RB_EVENT_COMPLAINT]);
    double cr = report_rate(c->r, t->kind[RB_EVENT_COMPLAINT]);
    card(w, cr > 0.003 ? "bad" : "", "Complaints", a, cr < 0 ? NULL : rr_pct(b, cr));
    rr_puts(w, "</section>\n");
}

/* ---- diagnoses ---------------------------------------------------------------------------- */

static void diagnoses(struct rr_ctx *c)
{
    struct rr_out *w = &c->w;
    const struct report_diagnosis *d;
    size_t n = report_diagnoses(c->r, &d);
    char a[RR_NUM], b[RR_NUM];
    rr_puts(w, "<section id=\"diagnoses\"><h2>Diagnoses</h2>\n");
    if (!n)
        rr_puts(w, "<p class=\"empty\">No diagnosis: no rule fired on these events.</p>\n");
    for (size_t i = 0; i < n; i++) {
        const struct report_diagnosis *x = &d[i];
        rr_printf(w, "<div class=\"diagnosis diag-%s\" data-id=\"",
                  report_severity_name(x->severity));
        h(w, x->id);
        rr_printf(w, "\" data-role=\"");
        h(w, x->role);
        rr_printf(w, "\"><div class=\"sev\">%s</div><h3>", rr_severity_label(x->severity));
        h(w, x->title);
        rr_puts(w, "</h3>");
        if (x->detail[0]) {
            rr_puts(w, "<p>");
            h(w, x->detail);
            rr_puts(w, "</p>");
        }
        if (x->action && x->action[0]) {
            rr_puts(w, "<p class=\"action\">→ ");
            h(w, x->action);
            rr_puts(w, "</p>");
        }
        rr_printf(w, "<p class=\"evidence\">evidence: %llu events", x->evidence);
        const struct {
            const char *label, *val;
        } k[] = {
            {"provider", x->provider},
            {"campaign", x->campaign},
            {"sending IP", x->sending_ip},
            {"sending domain", x->sending_domain},
            {"code", x->code},
        };
        for (size_t j = 0; j < sizeof k / sizeof k[0]; j++) {
            if (!k[j].val || !k[j].val[0])
                continue;
            rr_printf(w, " · %s <b>", k[j].label);
            h(w, k[j].val);
            rr_puts(w, "</b>");
        }
        if (x->first)
            rr_printf(w, " · %s – %s UTC", rr_when(a, x->first, false), rr_when(b, x->last, false));
        rr_puts(w, "</p></div>\n");
    }
    rr_puts(w, "</section>\n");
}

/* ---- charts ------------------------------------------------------------------------------- */

#define SVG_W 760

static void svg_open(struct rr_out *w, const char *id, const char *label, int height)
{
    rr_printf(w,
              "<div class=\"chart\"><svg id=\"%s\" "
              "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\">\n",
              id, SVG_W, height, SVG_W, height, label);
}

static void svg_empty(struct rr_out *w, const char *id, const char *why)
{
    svg_open(w, id, why, 40);
    rr_printf(w, "<text x=\"8\" y=\"24\">%s</text></svg></div>\n", why);
}

/* families - horizontal bars: failures by code family (5.1.x, 4.7.x ...) */
static void chart_families(struct rr_ctx *c)
{
    struct rr_out *w = &c->w;
    const struct report_row *rows;
    size_t n = report_rows(c->r, RD_FAMILY, &rows);
    size_t shown = n < c->top ? n : c->top;
    unsigned long long total = report_counts_failures(report_totals(c->r)), max = 0;
    char a[RR_NUM];
    rr_puts(w, "<section><h2>Failures by code family</h2>\n");
    for (size_t i = 0; i < shown; i++)
        if (report_counts_failures(&rows[i].c) > max)
            max = report_counts_failures(&rows[i].c);
    if (!shown || !max) {
        svg_empty(w, "chart-families", "No failure had an enhanced status code.");
        rr_puts(w, "</section>\n");
        return;
    }
    const int row = 24, label = 110, plot = SVG_W - label - 120;
    svg_open(w, "chart-families", "Failures by code family", (int)shown * row + 8);
    for (size_t i = 0; i < shown; i++) {
        const struct report_row *x = &rows[i];
        unsigned long long v = report_counts_failures(&x->c);
        int y = 4 + (int)i * row;
        unsigned len = rr_scale(v, max, (unsigned)plot);
        /* permanent families red, temporary amber: the split an operator reads first */
        const char *fill = x->key[0] == '5' ? "#dc2626" : x->key[0] == '4' ? "#d97706" : "#6b7280";
        rr_puts(w, "<g><title>");
        h(w, x->key);
        rr_printf(w, ": %llu failures (%s)</title>", v, rr_share(a, v, total));
        rr_printf(w, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label - 8, y + 15);
        hput(w, x->key, 16);
        rr_printf(w,
                  "</text><rect x=\"%d\" y=\"%d\" width=\"%u\" height=\"%d\" rx=\"2\" "
                  "fill=\"%s\"/>",
                  label, y + 3, len, row - 6, fill);
        rr_printf(w, "<text x=\"%u\" y=\"%d\">%llu · %s</text></g>\n", (unsigned)label + len + 6,
                  y + 15, v, rr_share(a, v, total));
    }
    rr_puts(w, "</svg></div>\n");
    if (n > shown)
        rr_printf(w, "<p class=\"more\">… %zu more families</p>\n", n - shown);
    rr_puts(w, "</section>\n");
}

/* legend - a swatch and name per category with failures, wrapped in rows from y */
static int legend(struct rr_out *w, const struct report_counts *sum, int y)
{
    int x = 50, item = 130;
    for (int k = 0; k < RB_CAT__COUNT; k++) {
        if (!sum->cat[k])
            continue;
        if (x + item > SVG_W) {
            x = 50;
            y += 18;
        }
        rr_printf(w,
                  "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" rx=\"2\" fill=\"%s\"/>"
                  "<text x=\"%d\" y=\"%d\">%s</text>\n",
                  x, y, cat_colour[k], x + 14, y + 9, rb_category_name((rb_category)k));
        x += item;
    }
    return y + 18;
}

/* legend_height - the rows legend() will take */
static int legend_rows(const struct report_counts *sum)
{
    int rows = 1, x = 50, item = 130;
    for (int k = 0; k < RB_CAT__COUNT; k++) {
        if (!sum->cat[k])
            continue;
        if (x + item > SVG_W) {
            x = 50;
            rows++;
        }
        x += item;
    }
    return rows;
}

/* timeline - failures per (merged) bucket, stacked by category */
static void chart_timeline(struct rr_ctx *c)
{
    struct rr_out *w = &c->w;
    const struct report_bucket *b;
    long long width;
    size_t n = report_buckets(c->r, &b, &width);
    rr_puts(w, "<section><h2>Failures over time</h2>\n");
    size_t k = rr_group(n, RR_CHART_BARS);
    struct report_counts m, sum;
    memset(&sum, 0, sizeof sum);
    unsigned long long max = 0;
    for (size_t i = 0; i < n; i += k) {
        rr_merged(b, n, i, k, &m);
        rr_add_counts(&sum, &m);
        if (report_counts_failures(&m) > max)
            max = report_counts_failures(&m);
    }
    if (!n || !max) {
        svg_empty(w, "chart-timeline", "No failure with a known time.");
        rr_puts(w, "</section>\n");
        return;
    }
    size_t bars = (n + k - 1) / k;
    bool day = (width * (long long)k) % 86400 == 0;
    const int x0 = 50, top = 12, plot_h = 180, plot_w = SVG_W - x0 - 10;
    int base = top + plot_h;
    int height = base + 26 + 18 * legend_rows(&sum) + 4;
    double bw = (double)plot_w / (double)bars;
    char a[RR_NUM], s[RR_NUM];
    svg_open(w, "chart-timeline", "Failures over time by category", height);
    rr_printf(w,
              "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d1d5db\"/>"
              "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%llu</text>"
              "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n",
              x0, base, SVG_W - 10, base, x0 - 6, top + 8, max, x0 - 6, base);
    for (size_t i = 0; i < bars; i++) {
        rr_merged(b, n, i * k, k, &m);
        unsigned long long f = report_counts_failures(&m);
        if (!f)
            continue;
        double x = x0 + bw * (double)i, y = base;
        rr_printf(w, "<g><title>%s: %llu failures</title>", rr_when(a, b[i * k].start, day), f);
        for (int cat = 0; cat < RB_CAT__COUNT; cat++) {
            if (!m.cat[cat])
                continue;
            double hh = (double)m.cat[cat] * plot_h / (double)max;
            y -= hh;
            rr_printf(w,
                      "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\">"
                      "<title>%s · %s: %llu</title></rect>",
                      x + (bw > 3 ? 0.5 : 0), y, bw > 3 ? bw - 1 : bw, hh, cat_colour[cat],
                      rr_when(s, b[i * k].start, day), rb_category_name((rb_category)cat),
                      m.cat[cat]);
        }
        rr_puts(w, "</g>\n");
    }
    rr_printf(w, "<text x=\"%d\" y=\"%d\">%s</text>", x0, base + 16, rr_when(a, b[0].start, day));
    if (bars > 1)
        rr_printf(w, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>", SVG_W - 10, base + 16,
                  rr_when(a, b[(bars - 1) * k].start, day));
    rr_putc(w, '\n');
    legend(w, &sum, base + 28);
    rr_puts(w, "</svg></div>\n");
    rr_printf(w, "<p class=\"more\">%zu bar%s of %s each, times UTC</p>\n", bars,
              bars == 1 ? "" : "s", rr_span_label(s, width * (long long)k));
    rr_puts(w, "</section>\n");
}

/* providers - heat map: top providers (rows) x categories with failures (columns) */
static void chart_providers(struct rr_ctx *c)
{
    struct rr_out *w = &c->w;
    const struct report_row *rows;
    size_t n = report_rows(c->r, RD_PROVIDER, &rows);
    size_t shown = 0;
    struct report_counts sum;
    memset(&sum, 0, sizeof sum);
    unsigned long long max = 0;
    rr_puts(w, "<section><h2>Providers by category of failure</h2>\n");
    /* rows are ranked by failures: the first without any ends the useful part */
    for (; shown < n && shown < c->top && report_counts_failures(&rows[shown].c); shown++) {
        rr_add_counts(&sum, &rows[shown].c);
        for (int k = 0; k < RB_CAT__COUNT; k++)
            if (rows[shown].c.cat[k] > max)
                max = rows[shown].c.cat[k];
    }
    if (!shown) {
        svg_empty(w, "chart-providers", "No provider had failures.");
        rr_puts(w, "</section>\n");
        return;
    }
    int ncat = 0;
    for (int k = 0; k < RB_CAT__COUNT; k++)
        ncat += sum.cat[k] != 0;
    const int label = 150, head = 96, ch = 26;
    int cw = (SVG_W - label - 10) / (ncat ? ncat : 1);
    if (cw > 70)
        cw = 70;
    svg_open(w, "chart-providers", "Failures by provider and category", head + (int)shown * ch + 6);
    int col = 0;
    for (int k = 0; k < RB_CAT__COUNT; k++) {
        if (!sum.cat[k])
            continue;
        int x = label + col * cw + cw / 2;
        rr_printf(w, "<text transform=\"translate(%d %d) rotate(-40)\">%s</text>\n", x, head - 6,
                  rb_category_name((rb_category)k));
        col++;
    }
    for (size_t i = 0; i < shown; i++) {
        const struct report_row *x = &rows[i];
        int y = head + (int)i * ch;
        rr_printf(w, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label - 8, y + 17);
        hput(w, x->key, 22);
        rr_puts(w, "</text>\n");
        col = 0;
        for (int k = 0; k < RB_CAT__COUNT; k++) {
            if (!sum.cat[k])
                continue;
            unsigned long long v = x->c.cat[k];
            int cx = label + col++ * cw;
            /* the darker the cell, the more failures: never fully transparent when v > 0 */
            double op = v ? 0.15 + 0.85 * (double)v / (double)max : 1.0;
            rr_puts(w, "<g><title>");
            h(w, x->key);
            rr_printf(w, " · %s: %llu failures</title>", rb_category_name((rb_category)k), v);
            rr_printf(w,
                      "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"3\" fill=\"%s\" "
                      "fill-opacity=\"%.2f\"/>",
                      cx + 1, y + 1, cw - 2, ch - 2, v ? cat_colour[k] : "#f3f4f6", op);
            if (v)
                rr_printf(w,
                          "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" style=\"fill:%s\">"
                          "%llu</text>",
                          cx + cw / 2, y + 17, op > 0.55 ? "#fff" : "#111827", v);
            rr_puts(w, "</g>");
        }
        rr_putc(w, '\n');
    }
    rr_puts(w, "</svg></div>\n");
    rr_puts(w, "</section>\n");
}

/* ---- tables ------------------------------------------------------------------------------- */

static void num_cell(struct rr_out *w, unsigned long long v)
{
    rr_printf(w, "<td class=\"num\">%llu</td>", v);
}

static void dim_table(struct rr_ctx *c, enum report_dim d)
{
    struct rr_out *w = &c->w;
    const struct report_row *rows;
    size_t n = report_rows(c->r, d, &rows);
    if (!n)
        return;
    const struct report_counts *tot = report_totals(c->r);
    unsigned long long fail = report_counts_failures(tot);
    bool every = rr_dim_every(d), expd = tot->kind[RB_EVENT_EXPIRED] != 0,
         cpl = tot->kind[RB_EVENT_COMPLAINT] != 0;
    size_t shown = n < c->top ? n : c->top;
    char a[RR_NUM];
    rr_printf(w, "<h3>%s</h3>\n<table class=\"dim\" data-dim=\"%s\"><thead><tr><th>%s</th>",
              rr_dim_title(d), report_dim_name(d), rr_dim_column(d));
    rr_puts(w, "<th class=\"num\">failures</th><th class=\"num\">share</th>"
               "<th class=\"num\">bounced</th>");
    if (expd)
        rr_puts(w, "<th class=\"num\">expired</th>");
    rr_puts(w, "<th class=\"num\">deferred</th>");
    if (cpl)
        rr_puts(w, "<th class=\"num\">complaints</th>");
    if (every)
        rr_puts(w, "<th class=\"num\">sent</th><th class=\"num\">bounce rate</th>");
    if (d != RD_CATEGORY)
        rr_puts(w, "<th>top category</th>");
    rr_puts(w, "</tr></thead><tbody>\n");
    for (size_t i = 0; i < shown; i++) {
        const struct report_counts *x = &rows[i].c;
        rr_puts(w, "<tr><td class=\"key\">");
        h(w, rows[i].key);
        rr_puts(w, "</td>");
        num_cell(w, report_counts_failures(x));
        rr_printf(w, "<td class=\"num\">%s</td>", rr_share(a, report_counts_failures(x), fail));
        num_cell(w, x->kind[RB_EVENT_BOUNCED]);
        if (expd)
            num_cell(w, x->kind[RB_EVENT_EXPIRED]);
        num_cell(w, x->kind[RB_EVENT_DEFERRED]);
        if (cpl)
            num_cell(w, x->kind[RB_EVENT_COMPLAINT]);
        if (every) {
            double rate = rr_row_rate(x);
            num_cell(w, report_counts_sent(x));
            rr_printf(w, "<td class=\"num\">%s</td>", rate < 0 ? "-" : rr_pct(a, rate));
        }
        if (d != RD_CATEGORY) {
            rb_category k = rr_top_category(x);
            if (k == RB_CAT__COUNT)
                rr_puts(w, "<td>-</td>");
            else
                rr_printf(w, "<td><span class=\"swatch\" style=\"background:%s\"></span>%s</td>",
                          cat_colour[k], rb_category_name(k));
        }
        rr_puts(w, "</tr>\n");
    }
    rr_puts(w, "</tbody></table>\n");
    if (n > shown)
        rr_printf(w, "<p class=\"more\">… %zu more rows</p>\n", n - shown);
}

static void template_table(struct rr_ctx *c, const struct report_template_row *t, size_t n,
                           bool unclassified, size_t all)
{
    struct rr_out *w = &c->w;
    size_t shown = 0;
    rr_puts(w, "<table class=\"templates\"><thead><tr><th class=\"num\">count</th>"
               "<th>provider</th><th>status</th><th>reason</th><th>category</th>"
               "<th>template</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < n && shown < c->top; i++) {
        const struct report_template_row *x = &t[i];
        if (unclassified && x->classified)
            continue;
        shown++;
        rr_printf(w, "<tr><td class=\"num\">%llu</td><td>", x->count);
        h(w, x->provider[0] ? x->provider : "-");
        rr_puts(w, "</td><td>");
        if (x->status[0])
            h(w, x->status);
        else if (x->replycode)
            rr_printf(w, "%d", x->replycode);
        else
            rr_puts(w, "-");
        rr_printf(w, "</td><td>%s</td><td>%s</td><td><code>", rb_reason_name(x->reason),
                  rb_category_name(x->category));
        h(w, x->text);
        rr_puts(w, "</code></td></tr>\n");
    }
    rr_puts(w, "</tbody></table>\n");
    if (all > shown)
        rr_printf(w, "<p class=\"more\">… %zu more</p>\n", all - shown);
}

static void templates(struct rr_ctx *c)
{
    struct rr_out *w = &c->w;
    const struct report_template_row *t;
    unsigned long long dropped;
    size_t n = report_templates(c->r, &t, &dropped), nu = 0;
    if (!n && !dropped)
        return;
    for (size_t i = 0; i < n; i++)
        nu += !t[i].classified;
    rr_puts(w, "<section id=\"templates\"><h2>Reply templates</h2>\n");
    template_table(c, t, n, false, n);
    if (dropped)
        rr_printf(w,
                  "<p class=\"more\">%llu failure texts were not grouped: over %d distinct "
                  "templates</p>\n",
                  dropped, REPORT_MAX_TEMPLATES);
    if (nu) {
        rr_puts(w, "<h3>Unclassified texts</h3>\n<p class=\"more\">No rule gave these texts a "
                   "reason; by count.</p>\n");
        template_table(c, t, n, true, nu);
    }
    rr_puts(w, "</section>\n");
}

int report_render_html(struct rr_ctx *c)
{
    struct rr_out *w = &c->w;
    rr_puts(w, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               /* a report opened from disk fetches nothing, whatever its text holds */
               "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
               "style-src 'unsafe-inline'\">\n<title>");
    h(w, c->title);
    rr_puts(w, "</title>\n<style>");
    rr_puts(w, style);
    rr_puts(w, "</style>\n</head><body><main>\n");
    header(c);
    diagnoses(c);
    chart_families(c);
    chart_timeline(c);
    chart_providers(c);
    rr_puts(w, "<section id=\"tables\"><h2>Tables</h2>\n");
    for (int d = 0; d < RD__COUNT; d++)
        dim_table(c, (enum report_dim)d);
    rr_puts(w, "</section>\n");
    templates(c);
    rr_puts(w, "<footer>Generated by rebound. Times are UTC; shares are of failures "
               "(bounced, expired and deferred events).</footer>\n</main></body></html>\n");
    return w->rc;
}
