/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report_render.c - report_render() dispatch and the helpers every format shares: the
 *                   sticky writer, percentages, UTC times, bar lengths, bucket merging,
 *                   dimension titles and UTF-8-aware text output.
 *
 * DESCRIPTION
 *   The formats themselves live in report_render_text.c (text and Markdown),
 *   report_render_json.c and report_render_html.c. Nothing here allocates but the buf.
 *
 * SEE ALSO
 *   report_render.h, report_render_int.h
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report_render_int.h"
#include "slice.h"

int report_render(const struct report *r, enum report_format f, const struct report_render_opts *o,
                  struct buf *out)
{
    static const struct report_render_opts defaults;
    if (!r || !out)
        return RB_EINVAL;
    if (!o)
        o = &defaults;
    struct rr_ctx c = {
        .r = r,
        .o = o,
        .title = o->title && o->title[0] ? o->title : "rebound report",
        .top = o->top ? o->top : report_options(r)->top,
        .w = {.b = out, .rc = RB_OK},
    };
    if (!c.top)
        c.top = 10;
    size_t start = out->len;
    int rc;
    switch (f) {
    case RF_TEXT:
        rc = report_render_text(&c, false);
        break;
    case RF_MARKDOWN:
        rc = report_render_text(&c, true);
        break;
    case RF_JSON:
        rc = report_render_json(&c);
        break;
    case RF_HTML:
        rc = report_render_html(&c);
        break;
    default:
        rc = RB_EINVAL;
        break;
    }
    /* half a report is worse than none: the caller gets its buffer back as it was */
    if (rc != RB_OK)
        buf_truncate(out, start);
    return rc;
}

/* ---- the sticky writer ------------------------------------------------------------------ */

void rr_putn(struct rr_out *w, const char *s, size_t n)
{
    if (w->rc == RB_OK && n)
        w->rc = buf_append(w->b, s, n);
}

void rr_puts(struct rr_out *w, const char *s)
{
    rr_putn(w, s, strlen(s));
}

void rr_putc(struct rr_out *w, char c)
{
    if (w->rc == RB_OK)
        w->rc = buf_putc(w->b, c);
}

void rr_printf(struct rr_out *w, const char *fmt, ...)
{
    if (w->rc != RB_OK)
        return;
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        w->rc = RB_EINVAL;
        return;
    }
    if ((size_t)n < sizeof tmp) {
        rr_putn(w, tmp, (size_t)n);
        return;
    }
    /* longer than the scratch: let buf_printf size it (rare: formats here are short) */
    va_start(ap, fmt);
    int rc = buf_reserve(w->b, (size_t)n); /* room for n bytes and the NUL */
    if (rc == RB_OK) {
        vsnprintf(w->b->p + w->b->len, (size_t)n + 1, fmt, ap);
        w->b->len += (size_t)n;
    }
    va_end(ap);
    w->rc = rc;
}

void rr_repeat(struct rr_out *w, const char *s, size_t n)
{
    size_t k = strlen(s);
    for (size_t i = 0; i < n && w->rc == RB_OK; i++)
        rr_putn(w, s, k);
}

/* ---- numbers and times ------------------------------------------------------------------ */

const char *rr_pct(char out[RR_NUM], double v)
{
    if (v < 0)
        snprintf(out, RR_NUM, "n/a");
    else if (v > 0 && v < 0.01) /* small rates matter here: 0.3% complaints is critical */
        snprintf(out, RR_NUM, "%.2f%%", v * 100.0);
    else
        snprintf(out, RR_NUM, "%.1f%%", v * 100.0);
    return out;
}

const char *rr_share(char out[RR_NUM], unsigned long long part, unsigned long long whole)
{
    if (!whole) {
        snprintf(out, RR_NUM, "-");
        return out;
    }
    return rr_pct(out, (double)part / (double)whole);
}

double rr_row_rate(const struct report_counts *c)
{
    unsigned long long s = report_counts_sent(c);
    if (!s || !c->kind[RB_EVENT_DELIVERED])
        return -1;
    return (double)report_counts_bounces(c) / (double)s;
}

/* utc - t broken down in UTC; false when t is 0 or out of range */
static bool utc(long long t, struct tm *tm)
{
    if (!t)
        return false;
    time_t tt = (time_t)t;
    return gmtime_r(&tt, tm) != NULL;
}

const char *rr_iso(char out[RR_NUM], long long t)
{
    struct tm tm;
    out[0] = '\0';
    if (utc(t, &tm))
        snprintf(out, RR_NUM, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return out;
}

const char *rr_when(char out[RR_NUM], long long t, bool day)
{
    struct tm tm;
    out[0] = '\0';
    if (!utc(t, &tm))
        return out;
    if (day)
        snprintf(out, RR_NUM, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    else
        snprintf(out, RR_NUM, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min);
    return out;
}

const char *rr_span_label(char out[RR_NUM], long long secs)
{
    if (secs > 0 && secs % 86400 == 0)
        snprintf(out, RR_NUM, "%lldd", secs / 86400);
    else
        snprintf(out, RR_NUM, "%lldh", secs / 3600);
    return out;
}

unsigned rr_scale(unsigned long long v, unsigned long long max, unsigned width)
{
    if (!v || !max)
        return 0;
    if (v >= max)
        return width;
    unsigned n = (unsigned)((double)v * width / (double)max + 0.5);
    return n ? n : 1; /* a non-zero value stays visible */
}

/* ---- counts ----------------------------------------------------------------------------- */

unsigned long long rr_events(const struct report_counts *c)
{
    unsigned long long n = 0;
    for (int k = 0; k < RB_EVENT__COUNT; k++)
        n += c->kind[k];
    return n;
}

rb_category rr_top_category(const struct report_counts *c)
{
    int best = RB_CAT__COUNT;
    for (int k = 0; k < RB_CAT__COUNT; k++)
        if (c->cat[k] && (best == RB_CAT__COUNT || c->cat[k] > c->cat[best]))
            best = k;
    return (rb_category)best;
}

void rr_add_counts(struct report_counts *a, const struct report_counts *b)
{
    for (int k = 0; k < RB_EVENT__COUNT; k++)
        a->kind[k] += b->kind[k];
    for (int k = 0; k < RB_CAT__COUNT; k++)
        a->cat[k] += b->cat[k];
    a->hard += b->hard;
}

size_t rr_group(size_t n, size_t max)
{
    return n <= max || !max ? 1 : (n + max - 1) / max;
}

void rr_merged(const struct report_bucket *b, size_t n, size_t from, size_t k,
               struct report_counts *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = from; i < n && i < from + k; i++)
        rr_add_counts(out, &b[i].c);
}

/* ---- dimensions ------------------------------------------------------------------------- */

static const struct {
    const char *title, *column;
    bool every;
} dims[RD__COUNT] = {
    [RD_REPLYCODE] = {"By reply code", "code", false},
    [RD_STATUS] = {"By enhanced status", "status", false},
    [RD_FAMILY] = {"By code family", "family", false},
    [RD_REASON] = {"By reason", "reason", false},
    [RD_CATEGORY] = {"By category", "category", false},
    [RD_PROVIDER] = {"By provider", "provider", true},
    [RD_CAMPAIGN] = {"By campaign", "campaign", true},
    [RD_SENDING_DOMAIN] = {"By sending domain", "sending domain", true},
    [RD_SENDING_IP] = {"By sending IP", "sending IP", true},
};

const char *rr_dim_title(enum report_dim d)
{
    return (unsigned)d < RD__COUNT ? dims[d].title : "";
}

const char *rr_dim_column(enum report_dim d)
{
    return (unsigned)d < RD__COUNT ? dims[d].column : "";
}

bool rr_dim_every(enum report_dim d)
{
    return (unsigned)d < RD__COUNT && dims[d].every;
}

const char *rr_severity_label(enum report_severity s)
{
    static const char *const n[] = {"OK", "INFO", "WARNING", "CRITICAL"};
    return (unsigned)s < 4 ? n[s] : "?";
}

/* ---- UTF-8 ------------------------------------------------------------------------------ */

size_t rr_cols(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), cols = 0;
    for (size_t i = 0; i < n; cols++) {
        size_t k = utf8_seq_len(u + i, n - i);
        i += k ? k : 1;
    }
    return cols;
}

size_t rr_put_text(struct rr_out *w, const char *s, size_t max, bool md)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    bool cut = rr_cols(s) > max;
    size_t limit = cut ? (max ? max - 1 : 0) : max, cols = 0;
    for (size_t i = 0; i < n && cols < limit; cols++) {
        size_t k = utf8_seq_len(u + i, n - i);
        unsigned char ch = u[i];
        if (!k || ch < 0x20 || ch == 0x7f) {
            /* no terminal escapes or broken bytes reach the screen */
            rr_putc(w, ch == '\t' || ch == '\n' || ch == '\r' ? ' ' : '?');
            i += k ? k : 1;
            continue;
        }
        if (md && k == 1) {
            switch (ch) {
            case '<':
                rr_puts(w, "&lt;");
                break;
            case '>':
                rr_puts(w, "&gt;");
                break;
            case '&':
                rr_puts(w, "&amp;");
                break;
            case '|':
            case '\\':
            case '*':
            case '_':
            case '`':
            case '[':
            case ']':
            case '#':
                rr_putc(w, '\\');
                rr_putc(w, (char)ch);
                break;
            default:
                rr_putc(w, (char)ch);
            }
        } else {
            rr_putn(w, s + i, k);
        }
        i += k;
    }
    if (cut && max) {
        rr_puts(w, "\xe2\x80\xa6"); /* … */
        cols++;
    }
    return cols;
}
