/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report_render_int.h - what the report renderers share (report_render*.c): the sticky
 *                       output writer, number, time and UTF-8 helpers, column choices.
 *
 * DESCRIPTION
 *   A renderer writes through struct rr_out: the first failed append is remembered and every
 *   later write is a no-op, so a renderer checks once at its end instead of after each of
 *   hundreds of appends. report_render() truncates the buffer back on failure.
 *
 * LIMITS
 *   RR_KEY_COLS, RR_TEXT_TEMPLATE, RR_SERIES_ROWS and RR_CHART_BARS bound what one table,
 *   template or chart prints, whatever the input.
 *
 * SEE ALSO
 *   report_render.h
 */
#ifndef RB_REPORT_RENDER_INT_H
#define RB_REPORT_RENDER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "report_render.h"

#define RR_KEY_COLS 48       /* a key is cut to this many code points in a text table */
#define RR_TEXT_TEMPLATE 120 /* a template is cut to this many code points in text/Markdown */
#define RR_SERIES_ROWS 48    /* text/Markdown time series rows (adjacent buckets merged) */
#define RR_SPARK_COLS 60     /* cells of the text sparkline */
#define RR_CHART_BARS 200    /* bars of the HTML timeline */

/* rr_out - a buf whose first error sticks (rc); writes after it do nothing. */
struct rr_out {
    struct buf *b;
    int rc;
};

void rr_putn(struct rr_out *w, const char *s, size_t n);
void rr_puts(struct rr_out *w, const char *s);
void rr_putc(struct rr_out *w, char c);
void rr_printf(struct rr_out *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* rr_repeat - s (a whole UTF-8 character or more) n times */
void rr_repeat(struct rr_out *w, const char *s, size_t n);

/* One rendering: the report, the options with their defaults filled in, the output. */
struct rr_ctx {
    const struct report *r;
    const struct report_render_opts *o; /* never NULL */
    const char *title;                  /* never NULL */
    unsigned top;                       /* >= 1 */
    struct rr_out w;
};

int report_render_text(struct rr_ctx *c, bool markdown);
int report_render_json(struct rr_ctx *c);
int report_render_html(struct rr_ctx *c);

/* ---- numbers and times ------------------------------------------------------------------ */

#define RR_NUM 96 /* size of the buffers below: room for any int a struct tm holds */

/* rr_pct - v (a ratio) as "12.3%" ("0.42%" under 1%); "n/a" when v < 0. Returns out. */
const char *rr_pct(char out[RR_NUM], double v);
/* rr_share - part / whole as rr_pct, "-" when whole is 0. Returns out. */
const char *rr_share(char out[RR_NUM], unsigned long long part, unsigned long long whole);
/* rr_row_rate - the row's bounce rate: bounces / its sent, -1 unless it had deliveries. */
double rr_row_rate(const struct report_counts *c);
/* rr_iso - t as "2024-03-03T10:00:00Z", "" when t is 0. Returns out. */
const char *rr_iso(char out[RR_NUM], long long t);
/* rr_when - t for people: "2024-03-03 10:00" (or "2024-03-03" when day is true), "" when 0. */
const char *rr_when(char out[RR_NUM], long long t, bool day);
/* rr_span_label - a bucket width in seconds as "1h", "6h", "1d". Returns out. */
const char *rr_span_label(char out[RR_NUM], long long secs);
/* rr_scale - v of max as a length out of width, at least 1 when v > 0. */
unsigned rr_scale(unsigned long long v, unsigned long long max, unsigned width);

/* ---- counts ----------------------------------------------------------------------------- */

unsigned long long rr_events(const struct report_counts *c);
/* rr_top_category - the category with most failures, RB_CAT__COUNT when there are none. */
rb_category rr_top_category(const struct report_counts *c);
void rr_add_counts(struct report_counts *a, const struct report_counts *b);
/* rr_group - buckets per row/bar so that n buckets fit in max (>= 1). */
size_t rr_group(size_t n, size_t max);
/* rr_merged - counts of buckets [from, from + k) of b (n in all) into *out. */
void rr_merged(const struct report_bucket *b, size_t n, size_t from, size_t k,
               struct report_counts *out);

/* ---- dimensions ------------------------------------------------------------------------- */

/* rr_dim_title - "By reply code" ... (static). */
const char *rr_dim_title(enum report_dim d);
/* rr_dim_column - the key column's header: "code", "provider" ... (static). */
const char *rr_dim_column(enum report_dim d);
/* rr_dim_every - whether every event is counted in d (so a row has its own bounce rate),
 * not only failures and complaints. */
bool rr_dim_every(enum report_dim d);
/* rr_severity_label - "CRITICAL", "WARNING", "INFO", "OK" (static). */
const char *rr_severity_label(enum report_severity s);

/* ---- UTF-8 ------------------------------------------------------------------------------ */

/* rr_cols - code points in s, an invalid byte counting as one (what rr_put_text prints). */
size_t rr_cols(const char *s);
/* rr_put_text - s for a terminal or Markdown, at most max code points ("…" marks a cut):
 * control bytes and invalid UTF-8 as '?'; when md, Markdown metacharacters escaped. Returns
 * the code points printed. */
size_t rr_put_text(struct rr_out *w, const char *s, size_t max, bool md);

#endif /* RB_REPORT_RENDER_INT_H */
