/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report_render_json.c - the report as one JSON object (`rebound report --format json`).
 *
 * DESCRIPTION
 *   {"generated"?, "source"?, "title", "span":{first,last}, "totals":{...}, "diagnoses":[...],
 *    "tables":{dim:{"total_rows":n,"rows":[...]}...}, "series":{"width":s,"buckets":[...]},
 *    "templates":[...], "unclassified":[...], "templates_dropped":n}
 *   Times are ISO 8601 UTC strings ("2024-03-03T10:00:00Z") or null when unknown; rates are
 *   numbers in 0..1 or null when nothing is known to be sent. Every count object carries the
 *   event kinds by name (delivered, deferred, bounced, expired, complaint, dropped, unknown)
 *   plus failures, hard and "categories" (name: failures, non-zero only). Every string goes
 *   through json_out.h, so the output is valid JSON whatever bytes the input held.
 *
 * LIMITS
 *   Tables hold `top` rows (total_rows says how many there were), templates and unclassified
 *   texts `top` each; the series holds every bucket (report.c keeps at most 4000).
 *
 * SEE ALSO
 *   report_render.h, json_out.h
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json_out.h"
#include "report_render_int.h"

/* ---- sticky wrappers over json_out.h ------------------------------------------------------ */

/* jkey - ,"key": (the comma unless first); keys are the program's own ASCII names */
static void jkey(struct rr_out *w, int *first, const char *key)
{
    rr_printf(w, "%s\"%s\":", *first ? "" : ",", key);
    *first = 0;
}

static void jkstr(struct rr_out *w, int *first, const char *key, const char *val)
{
    if (w->rc == RB_OK)
        w->rc = json_key_str(w->b, first, key, val);
}

static void jkint(struct rr_out *w, int *first, const char *key, unsigned long long v)
{
    jkey(w, first, key);
    rr_printf(w, "%llu", v);
}

/* jktime - ISO time, null when unknown */
static void jktime(struct rr_out *w, int *first, const char *key, long long t)
{
    char s[RR_NUM];
    jkstr(w, first, key, t ? rr_iso(s, t) : NULL);
}

/* jnum - a number; null for what JSON cannot spell (NaN, infinities) */
static void jnum(struct rr_out *w, double v)
{
    if (isfinite(v))
        rr_printf(w, "%.6g", v);
    else
        rr_puts(w, "null");
}

/* jkrate - a ratio, null when negative (unknown) */
static void jkrate(struct rr_out *w, int *first, const char *key, double v)
{
    jkey(w, first, key);
    if (v < 0)
        rr_puts(w, "null");
    else
        jnum(w, v);
}

/* counts - the members of a count object (inside braces the caller opened) */
static void counts(struct rr_out *w, int *first, const struct report_counts *c)
{
    for (int k = 0; k < RB_EVENT__COUNT; k++)
        jkint(w, first, rb_event_kind_name((rb_event_kind)k), c->kind[k]);
    jkint(w, first, "failures", report_counts_failures(c));
    jkint(w, first, "hard", c->hard);
    jkey(w, first, "categories");
    rr_putc(w, '{');
    int f = 1;
    for (int k = 0; k < RB_CAT__COUNT; k++)
        if (c->cat[k])
            jkint(w, &f, rb_category_name((rb_category)k), c->cat[k]);
    rr_putc(w, '}');
}

static void totals(struct rr_ctx *c)
{
    struct rr_out *w = &c->w;
    const struct report_counts *t = report_totals(c->r);
    int f = 1;
    rr_puts(w, ",\n\"totals\":{");
    jkint(w, &f, "events", rr_events(t));
    counts(w, &f, t);
    jkint(w, &f, "sent", report_sent(c->r));
    jkint(w, &f, "bounces", report_counts_bounces(t));
    jkrate(w, &f, "bounce_rate", report_rate(c->r, report_counts_bounces(t)));
    jkrate(w, &f, "hard_rate", report_rate(c->r, t->hard));
    jkrate(w, &f, "complaint_rate", report_rate(c->r, t->kind[RB_EVENT_COMPLAINT]));
    rr_putc(w, '}');
}

static void diagnoses(struct rr_ctx *c)
{
    struct rr_out *w = &c->w;
    const struct report_diagnosis *d;
    size_t n = report_diagnoses(c->r, &d);
    rr_puts(w, ",\n\"diagnoses\":[");
    for (size_t i = 0; i < n; i++) {
        const struct report_diagnosis *x = &d[i];
        int f = 1;
        rr_puts(w, i ? ",\n {" : "\n {");
        jkstr(w, &f, "id", x->id);
        jkstr(w, &f, "role", x->role);
        jkstr(w, &f, "severity", report_severity_name(x->severity));
        jkstr(w, &f, "title", x->title);
        jkstr(w, &f, "detail", x->detail);
        jkstr(w, &f, "action", x->action ? x->action : "");
        jkint(w, &f, "evidence", x->evidence);
        jkey(w, &f, "value");
        jnum(w, x->value);
        jkstr(w, &f, "provider", x->provider ? x->provider : "");
        jkstr(w, &f, "campaign", x->campaign ? x->campaign : "");
        jkstr(w, &f, "sending_ip", x->sending_ip ? x->sending_ip : "");
        jkstr(w, &f, "sending_domain", x->sending_domain ? x->sending_domain : "");
        jkstr(w, &f, "code", x->code ? x->code : "");
        jktime(w, &f, "first", x->first);
        jktime(w, &f, "last", x->last);
        rr_putc(w, '}');
    }
    rr_puts(w, "]");
}

static void tables(struct rr_ctx *c)
{
    struct rr_out *w = &c->w;
    unsigned long long fail = report_counts_failures(report_totals(c->r));
    int fd = 1;
    rr_puts(w, ",\n\"tables\":{");
    for (int d = 0; d < RD__COUNT; d++) {
        const struct report_row *rows;
        size_t n = report_rows(c->r, (enum report_dim)d, &rows);
        size_t shown = n < c->top ? n : c->top;
        jkey(w, &fd, report_dim_name((enum report_dim)d));
        int ft = 1;
        rr_putc(w, '{');
        jkint(w, &ft, "total_rows", n);
        jkey(w, &ft, "rows");
        rr_putc(w, '[');
        for (size_t i = 0; i < shown; i++) {
            const struct report_row *x = &rows[i];
            int f = 1;
            rr_puts(w, i ? ",\n  {" : "\n  {");
            jkstr(w, &f, "key", x->key);
            jkey(w, &f, "share");
            if (fail)
                rr_printf(w, "%.6g", (double)report_counts_failures(&x->c) / (double)fail);
            else
                rr_puts(w, "null");
            counts(w, &f, &x->c);
            jkint(w, &f, "sent", report_counts_sent(&x->c));
            jkrate(w, &f, "bounce_rate", rr_row_rate(&x->c));
            jktime(w, &f, "first", x->first);
            jktime(w, &f, "last", x->last);
            rr_putc(w, '}');
        }
        rr_puts(w, "]}");
    }
    rr_putc(w, '}');
}

static void series(struct rr_ctx *c)
{
    struct rr_out *w = &c->w;
    const struct report_bucket *b;
    long long width;
    size_t n = report_buckets(c->r, &b, &width);
    rr_printf(w, ",\n\"series\":{\"width\":%lld,\"buckets\":[", n ? width : 0);
    for (size_t i = 0; i < n; i++) {
        int f = 1;
        rr_puts(w, i ? ",\n  {" : "\n  {");
        jktime(w, &f, "start", b[i].start);
        jkint(w, &f, "width", (unsigned long long)width);
        counts(w, &f, &b[i].c);
        rr_putc(w, '}');
    }
    rr_puts(w, "]}");
}

/* template_list - the first `top` templates (unclassified ones only, when asked) */
static void template_list(struct rr_ctx *c, const char *key, bool unclassified)
{
    struct rr_out *w = &c->w;
    const struct report_template_row *t;
    size_t n = report_templates(c->r, &t, NULL), shown = 0;
    rr_printf(w, ",\n\"%s\":[", key);
    for (size_t i = 0; i < n && shown < c->top; i++) {
        const struct report_template_row *x = &t[i];
        if (unclassified && x->classified)
            continue;
        int f = 1;
        rr_puts(w, shown++ ? ",\n  {" : "\n  {");
        jkstr(w, &f, "provider", x->provider);
        jkint(w, &f, "count", x->count);
        jkstr(w, &f, "status", x->status);
        jkey(w, &f, "replycode");
        rr_printf(w, "%d", x->replycode);
        jkstr(w, &f, "reason", rb_reason_name(x->reason));
        jkstr(w, &f, "category", rb_category_name(x->category));
        jkey(w, &f, "classified");
        rr_puts(w, x->classified ? "true" : "false");
        jkstr(w, &f, "text", x->text);
        rr_putc(w, '}');
    }
    rr_putc(w, ']');
}

int report_render_json(struct rr_ctx *c)
{
    struct rr_out *w = &c->w;
    int f = 1;
    long long first, last;
    unsigned long long dropped;
    const struct report_template_row *t;
    size_t ntpl = report_templates(c->r, &t, &dropped);
    rr_putc(w, '{');
    if (c->o->generated)
        jktime(w, &f, "generated", c->o->generated);
    if (c->o->source)
        jkstr(w, &f, "source", c->o->source);
    jkstr(w, &f, "title", c->title);
    report_span(c->r, &first, &last);
    rr_puts(w, ",\n\"span\":{"); /* after "title": never first */
    int fs = 1;
    jktime(w, &fs, "first", first);
    jktime(w, &fs, "last", last);
    rr_putc(w, '}');
    totals(c);
    diagnoses(c);
    tables(c);
    series(c);
    template_list(c, "templates", false);
    template_list(c, "unclassified", true);
    rr_printf(w, ",\n\"templates_total\":%zu,\n\"templates_dropped\":%llu}\n", ntpl, dropped);
    return w->rc;
}
