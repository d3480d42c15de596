/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_report_render.c - unit tests for the report renderers (src/report_render*.c).
 *
 * DESCRIPTION
 *   One synthetic report (deliveries at three providers, hard 5.1.1 bounces on one campaign,
 *   5.7.26 rejections, 421 deferrals over five days, complaints, an unclassified text, and
 *   hostile keys and texts: markup, a terminal escape, a pipe, invalid UTF-8, Cyrillic) is
 *   rendered in every format and read back: JSON parsed with jansson and checked key by key
 *   against the counts fed in; text for diagnoses, column alignment counted in code points
 *   and colour only when asked; Markdown for pipe tables and escaping; HTML for one
 *   self-contained, fetch-free, valid UTF-8 document with its three charts and every string
 *   escaped. Then the edges: an empty report, one time bucket, 4000 buckets with 3000
 *   campaigns (bounded output, at most RR_CHART_BARS bars), the output cap (RB_ETOOBIG
 *   leaves the buffer as it was) and bad arguments.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "report_render.h"

#define T0 1709251200LL /* 2024-03-01T00:00:00Z */
#define DAY 86400LL
#define CAP (8u << 20)

#define XSS "421 4.7.0 Try again later <script>alert(1)</script>"
#define EVIL_CAMPAIGN "<b>x</b>&\"'"
#define ESC_CAMPAIGN "evil\033[2Jcampaign"

struct spec {
    int n;
    long long t0, step; /* times t0 + i * step */
    rb_event_kind kind;
    const char *provider, *campaign, *ip;
    int code;
    const char *status;
    rb_reason reason;
    rb_category cat;
    bool permanent;
    const char *text;
};

/* The counts the assertions below rely on: delivered 900, bounced 85 (60 hard), deferred
 * 30, complaints 3; failures 115. */
static const struct spec specs[] = {
    {500, T0, 800, RB_EVENT_DELIVERED, "google", "spring-sale", "192.0.2.10", 250, "2.0.0",
     RB_REASON_DELIVERED, RB_CAT_DELIVERED, false, ""},
    {300, T0 + 100, 1400, RB_EVENT_DELIVERED, "microsoft", "news|letter", "192.0.2.11", 250,
     "2.0.0", RB_REASON_DELIVERED, RB_CAT_DELIVERED, false, ""},
    {100, T0 + 200, 4000, RB_EVENT_DELIVERED, "почта", EVIL_CAMPAIGN, "192.0.2.11", 250, "2.0.0",
     RB_REASON_DELIVERED, RB_CAT_DELIVERED, false, ""},
    {60, T0 + 3600, 6000, RB_EVENT_BOUNCED, "google", "spring-sale", "192.0.2.10", 550, "5.1.1",
     RB_REASON_USERUNKNOWN, RB_CAT_ADDRESS, true,
     "550-5.1.1 The email account that you tried to reach does not exist. user@gmail.com"},
    {20, T0 + DAY, 3000, RB_EVENT_BOUNCED, "google", EVIL_CAMPAIGN, "192.0.2.10", 550, "5.7.26",
     RB_REASON_AUTHFAILURE, RB_CAT_AUTHENTICATION, true,
     "550 5.7.26 Unauthenticated email from example.com is not accepted"},
    {30, T0 + 7200, 14000, RB_EVENT_DEFERRED, "microsoft", "news|letter", "192.0.2.11", 421,
     "4.7.0", RB_REASON_SPEEDING, RB_CAT_RATE_LIMIT, false, XSS},
    {3, T0 + 2 * DAY, 3600, RB_EVENT_BOUNCED, "yahoo", ESC_CAMPAIGN, "192.0.2.12", 554, "",
     RB_REASON_UNDEFINED, RB_CAT_UNKNOWN, true, "554 mysterious \xff\xfe failure"},
    {2, T0 + 4 * DAY, 3600, RB_EVENT_BOUNCED, "yahoo", ESC_CAMPAIGN, "192.0.2.12", 554, "",
     RB_REASON_UNDEFINED, RB_CAT_UNKNOWN, true, "554 mysterious \xff\xfe failure"},
    {3, T0 + 3 * DAY, 60, RB_EVENT_COMPLAINT, "google", "spring-sale", "192.0.2.10", 0, "",
     RB_REASON_FEEDBACK, RB_CAT_COMPLAINT, false, ""},
};

static int feed(struct report *r, const struct spec *s)
{
    for (int i = 0; i < s->n; i++) {
        char rcpt[64];
        snprintf(rcpt, sizeof rcpt, "user%d@%s.example", i, s->provider);
        struct report_event e = {
            .time = s->t0 + (long long)i * s->step,
            .kind = s->kind,
            .recipient = rcpt,
            .domain = "",
            .provider = s->provider,
            .replycode = s->code,
            .status = s->status,
            .reason = s->reason,
            .category = s->cat,
            .permanent = s->permanent,
            .blocklist = "",
            .listed = "",
            .campaign = s->campaign,
            .sending_ip = s->ip,
            .sending_domain = "news.example.com",
            .sender_domain = "example.com",
            .text = s->text,
            .text_len = strlen(s->text),
        };
        int rc = report_add(r, &e);
        if (rc != RB_OK)
            return rc;
    }
    return RB_OK;
}

static struct report *build(void)
{
    struct report *r;
    if (report_new(&r, NULL) != RB_OK)
        return report_free(r);
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        if (feed(r, &specs[i]) != RB_OK)
            return report_free(r);
    if (report_finish(r) != RB_OK)
        return report_free(r);
    return r;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0, k = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + k, needle))
        n++;
    return n;
}

/* valid_utf8 - whether s (n bytes) is well-formed UTF-8 */
static bool valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i], need = c < 0x80                 ? 0
                                  : c >= 0xc2 && c <= 0xdf ? 1
                                  : c >= 0xe0 && c <= 0xef ? 2
                                  : c >= 0xf0 && c <= 0xf4 ? 3
                                                           : 9;
        if (need == 9 || i + need >= n + (need ? 0 : 1))
            return false;
        for (unsigned j = 1; j <= need; j++)
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
        i += need + 1;
    }
    return true;
}

/* cp_offset - the byte offset of code point col in line (or of its end) */
static size_t cp_offset(const char *line, size_t len, size_t col)
{
    size_t i = 0;
    for (size_t c = 0; i < len && c < col; c++)
        for (i++; i < len && ((unsigned char)line[i] & 0xc0) == 0x80; i++)
            ;
    return i;
}

static size_t cp_count(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

static int render(const struct report *r, enum report_format f, const struct report_render_opts *o,
                  struct buf *b)
{
    buf_free(b);
    buf_init(b, CAP, NULL);
    /* an empty NUL-terminated string first, so strstr has one even when rendering fails */
    if (buf_append(b, "", 0) != RB_OK)
        return RB_ENOMEM;
    return report_render(r, f, o, b);
}

static json_t *jpath(json_t *j, const char *a, const char *b)
{
    json_t *x = json_object_get(j, a);
    return b ? json_object_get(x, b) : x;
}

static void test_json(const struct report *r)
{
    struct buf b = {0};
    struct report_render_opts o = {.top = 5, .source = "3 files", .generated = T0 + 10 * DAY};
    CHECK_INT(render(r, RF_JSON, &o, &b), RB_OK, "json render");
    json_error_t err;
    json_t *j = json_loadb(b.p, b.len, 0, &err);
    CHECK(j != NULL, "json parses: %s at line %d col %d", err.text, err.line, err.column);
    if (!j) {
        fprintf(stderr, "%.2000s\n", b.p);
        buf_free(&b);
        return;
    }
    CHECK_STR(json_string_value(jpath(j, "source", NULL)), "3 files", "source");
    CHECK_STR(json_string_value(jpath(j, "generated", NULL)), "2024-03-11T00:00:00Z", "generated");
    CHECK_STR(json_string_value(jpath(j, "title", NULL)), "rebound report", "title");
    CHECK_STR(json_string_value(jpath(j, "span", "first")), "2024-03-01T00:00:00Z", "span first");
    CHECK(json_is_string(jpath(j, "span", "last")), "span last");
    json_t *t = jpath(j, "totals", NULL);
    CHECK_INT(json_integer_value(json_object_get(t, "delivered")), 900, "delivered");
    CHECK_INT(json_integer_value(json_object_get(t, "bounced")), 85, "bounced");
    CHECK_INT(json_integer_value(json_object_get(t, "deferred")), 30, "deferred");
    CHECK_INT(json_integer_value(json_object_get(t, "complaint")), 3, "complaint");
    CHECK_INT(json_integer_value(json_object_get(t, "sent")), 985, "sent");
    CHECK_INT(json_integer_value(json_object_get(t, "bounces")), 85, "bounces");
    CHECK_INT(json_integer_value(json_object_get(t, "failures")), 115, "failures");
    CHECK_INT(json_integer_value(json_object_get(t, "hard")), 60, "hard");
    double br = json_number_value(json_object_get(t, "bounce_rate"));
    CHECK(br > 85.0 / 985 - 1e-5 && br < 85.0 / 985 + 1e-5, "bounce_rate %g", br);
    double hr = json_number_value(json_object_get(t, "hard_rate"));
    CHECK(hr > 60.0 / 985 - 1e-5 && hr < 60.0 / 985 + 1e-5, "hard_rate %g", hr);
    CHECK_INT(json_integer_value(jpath(t, "categories", "address")), 60, "categories.address");

    json_t *d = json_object_get(j, "diagnoses");
    CHECK(json_is_array(d) && json_array_size(d) > 0, "diagnoses array");
    bool crit = false, hard = false;
    for (size_t i = 0; i < json_array_size(d); i++) {
        json_t *x = json_array_get(d, i);
        const char *id = json_string_value(json_object_get(x, "id"));
        const char *keys[] = {"role",           "severity", "title",    "detail",
                              "action",         "provider", "campaign", "sending_ip",
                              "sending_domain", "code",     "first",    "last"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            CHECK(json_object_get(x, keys[k]) != NULL, "diagnosis %s has %s", id, keys[k]);
        CHECK(json_is_integer(json_object_get(x, "evidence")), "evidence");
        CHECK(json_is_number(json_object_get(x, "value")), "value");
        if (id && strcmp(id, "bounce-rate-critical") == 0) {
            crit = true;
            CHECK_STR(json_string_value(json_object_get(x, "severity")), "critical", "severity");
            CHECK_STR(json_string_value(json_object_get(x, "role")), "headline", "role");
            CHECK_INT(i, 0, "headline first");
        }
        if (id && strcmp(id, "hard-bounce-critical") == 0) {
            hard = true;
            CHECK_STR(json_string_value(json_object_get(x, "campaign")), "spring-sale",
                      "hard-bounce campaign");
        }
    }
    CHECK(crit, "bounce-rate-critical fired");
    CHECK(hard, "hard-bounce-critical fired");

    json_t *tab = json_object_get(j, "tables");
    CHECK_INT(json_object_size(tab), RD__COUNT, "tables: every dimension");
    for (int k = 0; k < RD__COUNT; k++)
        CHECK(json_is_array(jpath(tab, report_dim_name((enum report_dim)k), "rows")), "rows of %s",
              report_dim_name((enum report_dim)k));
    json_t *prov = jpath(tab, "provider", NULL);
    CHECK_INT(json_integer_value(json_object_get(prov, "total_rows")), 4, "provider total_rows");
    json_t *g = json_array_get(json_object_get(prov, "rows"), 0);
    CHECK_STR(json_string_value(json_object_get(g, "key")), "google", "top provider");
    CHECK_INT(json_integer_value(json_object_get(g, "failures")), 80, "google failures");
    CHECK_INT(json_integer_value(json_object_get(g, "sent")), 580, "google sent");
    double gr = json_number_value(json_object_get(g, "bounce_rate"));
    CHECK(gr > 80.0 / 580 - 1e-5 && gr < 80.0 / 580 + 1e-5, "google bounce_rate %g", gr);
    double gs = json_number_value(json_object_get(g, "share"));
    CHECK(gs > 80.0 / 115 - 1e-5 && gs < 80.0 / 115 + 1e-5, "google share %g", gs);
    CHECK_INT(json_integer_value(jpath(g, "categories", "authentication")), 20, "google auth");
    /* yahoo had no deliveries: no bounce rate of its own */
    json_t *rows = json_object_get(prov, "rows");
    bool yahoo = false;
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *x = json_array_get(rows, i);
        if (strcmp(json_string_value(json_object_get(x, "key")), "yahoo") == 0) {
            yahoo = true;
            CHECK(json_is_null(json_object_get(x, "bounce_rate")), "yahoo bounce_rate null");
        }
    }
    CHECK(yahoo, "yahoo row");
    json_t *camp = json_object_get(jpath(tab, "campaign", NULL), "rows");
    bool evil = false, escd = false;
    for (size_t i = 0; i < json_array_size(camp); i++) {
        const char *k = json_string_value(json_object_get(json_array_get(camp, i), "key"));
        evil |= k && strcmp(k, EVIL_CAMPAIGN) == 0;
        escd |= k && strcmp(k, ESC_CAMPAIGN) == 0;
    }
    CHECK(evil && escd, "hostile campaign keys round-trip through JSON");

    json_t *s = json_object_get(j, "series");
    CHECK_INT(json_integer_value(json_object_get(s, "width")), DAY, "series width");
    json_t *bk = json_object_get(s, "buckets");
    CHECK(json_array_size(bk) >= 5 && json_array_size(bk) <= 7, "buckets %zu", json_array_size(bk));
    long long fsum = 0;
    for (size_t i = 0; i < json_array_size(bk); i++)
        fsum += json_integer_value(json_object_get(json_array_get(bk, i), "failures"));
    CHECK_INT(fsum, 115, "series failures sum");
    CHECK_STR(json_string_value(json_object_get(json_array_get(bk, 0), "start")),
              "2024-03-01T00:00:00Z", "first bucket");
    CHECK_INT(json_integer_value(json_object_get(json_array_get(bk, 0), "width")), DAY,
              "bucket width");

    json_t *tp = json_object_get(j, "templates");
    CHECK(json_array_size(tp) >= 4 && json_array_size(tp) <= 5, "templates %zu",
          json_array_size(tp));
    json_t *t0 = json_array_get(tp, 0);
    CHECK_INT(json_integer_value(json_object_get(t0, "count")), 60, "top template count");
    CHECK_STR(json_string_value(json_object_get(t0, "status")), "5.1.1", "top template status");
    CHECK_STR(json_string_value(json_object_get(t0, "reason")), "userunknown", "top reason");
    CHECK(strstr(json_string_value(json_object_get(t0, "text")), "<addr>") != NULL,
          "template has its placeholder");
    json_t *un = json_object_get(j, "unclassified");
    CHECK_INT(json_array_size(un), 1, "one unclassified template");
    json_t *u0 = json_array_get(un, 0);
    CHECK_INT(json_integer_value(json_object_get(u0, "count")), 5, "unclassified count");
    CHECK(json_is_false(json_object_get(u0, "classified")), "unclassified flag");
    CHECK(strstr(json_string_value(json_object_get(u0, "text")), "\xef\xbf\xbd") != NULL,
          "invalid UTF-8 replaced in JSON");
    CHECK_INT(json_integer_value(json_object_get(j, "templates_dropped")), 0, "dropped");
    json_decref(j);
    buf_free(&b);
}

/* check_alignment - in the "By provider" table, the right edge of the failures column falls
 * on one code-point column in the header and every row */
static void check_alignment(const char *out)
{
    const char *sec = strstr(out, "By provider");
    CHECK(sec != NULL, "provider table");
    if (!sec)
        return;
    const char *head = strstr(sec, "\n  provider ");
    CHECK(head != NULL, "provider header line");
    if (!head)
        return;
    head++;
    const char *eol = strchr(head, '\n');
    const char *f = strstr(head, "failures");
    CHECK(f && f < eol, "failures header");
    if (!f || f > eol)
        return;
    size_t edge = cp_count(head, (size_t)(f - head)) + strlen("failures");
    int rows = 0;
    for (const char *line = eol + 1; *line == ' ' && line[2] != ' ' && line[2] != '\xe2';) {
        const char *e = strchr(line, '\n');
        size_t len = e ? (size_t)(e - line) : strlen(line);
        size_t at = cp_offset(line, len, edge);
        CHECK(at > 0 && at < len && line[at - 1] >= '0' && line[at - 1] <= '9' && line[at] == ' ',
              "row %d: failures column not aligned: '%.*s'", rows, (int)len, line);
        rows++;
        if (!e)
            break;
        line = e + 1;
    }
    CHECK_INT(rows, 4, "provider rows printed");
}

static void test_text(const struct report *r)
{
    struct buf b = {0};
    struct report_render_opts o = {.top = 5, .title = "March report", .source = "store db"};
    CHECK_INT(render(r, RF_TEXT, &o, &b), RB_OK, "text render");
    const char *s = b.p;
    CHECK(strncmp(s, "March report\n============\n", 26) == 0, "title underlined: %.40s", s);
    CHECK(strstr(s, "store db") != NULL, "source");
    CHECK(strstr(s, "2024-03-01 00:00 – ") != NULL, "span");
    CHECK(strstr(s, "messages sent     985") != NULL, "sent");
    CHECK(strstr(s, "bounce rate       8.6% (85 bounces)") != NULL, "bounce rate");
    CHECK(strstr(s, "hard-bounce rate  6.1% (60 hard bounces)") != NULL, "hard rate");
    CHECK(strstr(s, "deferrals         30\n") != NULL, "deferrals");
    CHECK(strstr(s, "complaints        3\n") != NULL, "complaints");
    CHECK(strstr(s, "CRITICAL  Bounce rate 8.6%") != NULL, "critical headline");
    CHECK(strstr(s, "→ Stop the affected sends") != NULL, "action");
    CHECK(strstr(s, "campaign spring-sale") != NULL, "diagnosis key");
    CHECK(strstr(s, "Diagnoses") < strstr(s, "By reply code"), "diagnoses before tables");
    CHECK(strchr(s, '\033') == NULL, "no ANSI escape without colour");
    CHECK(strstr(s, "evil?[2Jcampaign") != NULL, "escape byte of a key replaced");
    CHECK(strstr(s, "By enhanced status") && strstr(s, "By code family") &&
              strstr(s, "By sending IP") && strstr(s, "By sending domain"),
          "dimension tables");
    CHECK(strstr(s, "5.1.x") != NULL, "family row");
    check_alignment(s);
    CHECK(strstr(s, "Time series") != NULL, "series");
    CHECK(strstr(s, "█") != NULL, "series bars");
    CHECK(strstr(s, "Reply templates") && strstr(s, "Unclassified texts"), "templates");
    CHECK(strstr(s, "554 mysterious ?? failure") != NULL, "unclassified text, bytes replaced");
    CHECK(strstr(s, "<script>alert(1)</script>") != NULL, "text output is plain text");

    o.colour = true;
    CHECK_INT(render(r, RF_TEXT, &o, &b), RB_OK, "colour render");
    CHECK(strstr(b.p, "\033[1;31mCRITICAL") != NULL, "critical in red");
    CHECK(strstr(b.p, "\033[0m") != NULL, "colour reset");
    CHECK(strstr(b.p, "evil\033[2J") == NULL, "no key escape even with colour");

    /* top 2: tables cut with a "more" line */
    o.top = 2;
    o.colour = false;
    CHECK_INT(render(r, RF_TEXT, &o, &b), RB_OK, "top 2 render");
    CHECK(strstr(b.p, "  … 2 more rows\n") != NULL, "cut provider table");
    buf_free(&b);
}

static void test_markdown(const struct report *r)
{
    struct buf b = {0};
    struct report_render_opts o = {.top = 5, .colour = true};
    CHECK_INT(render(r, RF_MARKDOWN, &o, &b), RB_OK, "markdown render");
    const char *s = b.p;
    CHECK(strncmp(s, "# rebound report\n", 17) == 0, "markdown title");
    CHECK(strstr(s, "## Diagnoses") != NULL, "diagnoses heading");
    CHECK(strstr(s, "- **CRITICAL** Bounce rate 8.6%") != NULL, "diagnosis item");
    CHECK(strstr(s, "| provider | failures | share |") != NULL, "provider pipe table");
    CHECK(strstr(s, "|:---|---:|---:|") != NULL, "alignment row");
    CHECK(strstr(s, "| google | 80 | 69.6% |") != NULL, "google row");
    CHECK(strstr(s, "news\\|letter") != NULL, "pipe in a key escaped");
    CHECK(strstr(s, "&lt;b&gt;x&lt;/b&gt;&amp;") != NULL, "markup in a key escaped");
    CHECK(strstr(s, "| start | delivered | bounced |") != NULL, "series table");
    CHECK(strstr(s, "| 2024-03-01 |") != NULL, "series row by day");
    CHECK(strstr(s, "&lt;script&gt;") != NULL && strstr(s, "<script>") == NULL,
          "reply text escaped");
    CHECK(strchr(s, '\033') == NULL, "no colour in Markdown");
    buf_free(&b);
}

/* svg_of - the <svg id="id"> element of html, NUL-terminated copy in out */
static bool svg_of(const char *html, const char *id, char *out, size_t cap)
{
    char open[64];
    snprintf(open, sizeof open, "<svg id=\"%s\"", id);
    const char *p = strstr(html, open);
    const char *e = p ? strstr(p, "</svg>") : NULL;
    if (!e || (size_t)(e - p) >= cap)
        return false;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
    return true;
}

static void test_html(const struct report *r)
{
    struct buf b = {0};
    struct report_render_opts o = {.top = 5, .title = "Q1 <report>", .source = "a & b"};
    CHECK_INT(render(r, RF_HTML, &o, &b), RB_OK, "html render");
    const char *s = b.p;
    CHECK(strncmp(s, "<!DOCTYPE html>", 15) == 0, "doctype");
    CHECK(b.len > 7 && strcmp(s + b.len - 8, "</html>\n") == 0, "ends with </html>");
    CHECK_INT(count(s, "<html"), 1, "one document");
    CHECK(valid_utf8((const unsigned char *)s, b.len), "valid UTF-8");
    CHECK(strstr(s, "<title>Q1 &lt;report&gt;</title>") != NULL, "title escaped");
    CHECK(strstr(s, "a &amp; b") != NULL, "source escaped");
    /* self-contained: nothing fetched, no script at all */
    CHECK(strstr(s, "<script") == NULL && strstr(s, "<SCRIPT") == NULL, "no script");
    CHECK(strstr(s, "src=") == NULL && strstr(s, "href=") == NULL, "no src/href");
    CHECK(strstr(s, "<link") == NULL && strstr(s, "@import") == NULL && strstr(s, "url(") == NULL,
          "no stylesheet or font fetch");
    CHECK_INT(count(s, "<style>"), 1, "one inline style");
    CHECK(strstr(s, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL, "reply text escaped");
    CHECK(strstr(s, "&lt;b&gt;x&lt;/b&gt;&amp;&quot;&#39;") != NULL, "key escaped");
    CHECK(strstr(s, "\033") == NULL, "no raw escape byte");
    CHECK(strstr(s, "554 mysterious \xef\xbf\xbd\xef\xbf\xbd failure") != NULL,
          "invalid UTF-8 as U+FFFD");
    CHECK(strstr(s, "class=\"diagnosis diag-critical\" data-id=\"bounce-rate-critical\"") != NULL,
          "diagnosis card");
    CHECK(strstr(s, "class=\"diagnosis diag-critical\" data-id=\"hard-bounce-critical\"") != NULL,
          "cause card");
    CHECK(strstr(s, "<div class=\"label\">Bounce rate</div><div class=\"value\">8.6%</div>"),
          "bounce rate card");
    CHECK_INT(count(s, "<svg"), 3, "three charts");
    CHECK_INT(count(s, "</svg>"), 3, "three charts closed");
    static char svg[1 << 18];
    CHECK(svg_of(s, "chart-families", svg, sizeof svg), "families chart");
    CHECK(strstr(svg, ">5.1.x<") && strstr(svg, ">4.7.x<") && strstr(svg, ">5.7.x<"),
          "family bars");
    CHECK(strstr(svg, "<title>5.1.x: 60 failures (52.2%)</title>") != NULL, "family tooltip");
    CHECK(svg_of(s, "chart-timeline", svg, sizeof svg), "timeline chart");
    CHECK(count(svg, "<g>") >= 5 && count(svg, "<g>") <= 7, "a bar per day");
    CHECK(strstr(svg, ">address</text>") && strstr(svg, ">rate-limit</text>"), "legend");
    CHECK(svg_of(s, "chart-providers", svg, sizeof svg), "providers chart");
    CHECK(strstr(svg, "<title>google · address: 60 failures</title>") != NULL, "heat-map tooltip");
    CHECK(strstr(svg, "<title>microsoft · rate-limit: 30 failures</title>") != NULL,
          "heat-map tooltip 2");
    CHECK_INT(count(s, "<table class=\"dim\""), RD__COUNT, "a table per dimension");
    CHECK(strstr(s, "<h3>Unclassified texts</h3>") != NULL, "unclassified");
    CHECK(strstr(s, "Диагноз") == NULL, "nothing invented");
    CHECK(strstr(s, "<td class=\"key\">почта</td>") != NULL, "UTF-8 key kept");
    buf_free(&b);
}

/* empty, one bucket, many buckets */
static void test_edges(void)
{
    struct buf b = {0};
    struct report *r;
    CHECK_INT(report_new(&r, NULL), RB_OK, "new");
    CHECK_INT(report_finish(r), RB_OK, "finish empty");
    for (int f = RF_TEXT; f <= RF_HTML; f++)
        CHECK(render(r, (enum report_format)f, NULL, &b) == RB_OK, "render empty %d", f);
    CHECK_INT(render(r, RF_TEXT, NULL, &b), RB_OK, "text empty");
    CHECK(strstr(b.p, "n/a (no deliveries known; use --sent N)") != NULL, "rate unknown");
    CHECK(strstr(b.p, "No diagnosis") != NULL, "no diagnosis line");
    CHECK(strstr(b.p, "By provider") == NULL, "empty tables skipped");
    CHECK_INT(render(r, RF_JSON, NULL, &b), RB_OK, "json empty");
    json_t *j = json_loadb(b.p, b.len, 0, NULL);
    CHECK(j && json_is_null(jpath(j, "totals", "bounce_rate")), "null rate");
    CHECK(j && json_is_null(jpath(j, "span", "first")), "null span");
    CHECK(j && json_array_size(json_object_get(j, "diagnoses")) == 0, "no diagnoses");
    json_decref(j);
    CHECK_INT(render(r, RF_HTML, NULL, &b), RB_OK, "html empty");
    CHECK_INT(count(b.p, "<svg"), 3, "empty charts still present");
    r = report_free(r);

    /* one bounce: one bucket, rate unknown */
    CHECK_INT(report_new(&r, NULL), RB_OK, "new");
    struct spec one = {1,
                       T0,
                       0,
                       RB_EVENT_BOUNCED,
                       "google",
                       "c",
                       "ip",
                       550,
                       "5.1.1",
                       RB_REASON_USERUNKNOWN,
                       RB_CAT_ADDRESS,
                       true,
                       "550 5.1.1 no such user"};
    CHECK_INT(feed(r, &one), RB_OK, "feed one");
    CHECK_INT(report_finish(r), RB_OK, "finish one");
    CHECK_INT(render(r, RF_HTML, NULL, &b), RB_OK, "html one");
    static char svg[1 << 18];
    CHECK(svg_of(b.p, "chart-timeline", svg, sizeof svg) && count(svg, "<g>") == 1,
          "one bar for one bucket");
    CHECK(strstr(b.p, "no deliveries known; use --sent N") != NULL, "rate note");
    CHECK_INT(render(r, RF_TEXT, NULL, &b), RB_OK, "text one");
    CHECK(strstr(b.p, "1 buckets of 1h") != NULL, "one hour bucket");
    r = report_free(r);

    /* 4000 hourly buckets, 3000 campaigns: bounded output */
    struct report_opts ro = {.bucket = 3600};
    CHECK_INT(report_new(&r, &ro), RB_OK, "new");
    int rc = RB_OK;
    for (int i = 0; i < 4000 && rc == RB_OK; i++) {
        char camp[32];
        snprintf(camp, sizeof camp, "c%d", i % 3000);
        struct spec s = {1,
                         T0 + (long long)i * 3600,
                         0,
                         i % 3 ? RB_EVENT_DELIVERED : RB_EVENT_DEFERRED,
                         "google",
                         camp,
                         "ip",
                         421,
                         "4.7.0",
                         RB_REASON_SPEEDING,
                         i % 3 ? RB_CAT_DELIVERED : RB_CAT_RATE_LIMIT,
                         false,
                         "421 slow down"};
        rc = feed(r, &s);
    }
    CHECK_INT(rc, RB_OK, "feed 4000");
    CHECK_INT(report_finish(r), RB_OK, "finish 4000");
    const struct report_bucket *bk;
    long long width;
    CHECK_INT(report_buckets(r, &bk, &width), 4000, "4000 buckets");
    CHECK_INT(render(r, RF_HTML, NULL, &b), RB_OK, "html 4000");
    CHECK(svg_of(b.p, "chart-timeline", svg, sizeof svg), "timeline");
    CHECK(count(svg, "<g>") > 100 && count(svg, "<g>") <= 200, "bars merged to <= 200: %zu",
          count(svg, "<g>"));
    CHECK(b.len < 200000, "html bounded: %zu bytes", b.len);
    CHECK_INT(render(r, RF_TEXT, NULL, &b), RB_OK, "text 4000");
    CHECK(b.len < 20000, "text bounded: %zu bytes", b.len);
    CHECK(strstr(b.p, "2990 more rows") != NULL, "campaigns cut: %s",
          strstr(b.p, "more rows") ? "other count" : "none");
    CHECK_INT(render(r, RF_JSON, NULL, &b), RB_OK, "json 4000");
    j = json_loadb(b.p, b.len, 0, NULL);
    CHECK(j && json_array_size(jpath(j, "series", "buckets")) == 4000, "json keeps every bucket");
    CHECK(j && json_array_size(jpath(jpath(j, "tables", "campaign"), "rows", NULL)) == 10,
          "json rows cut to top");
    json_decref(j);

    /* the cap: RB_ETOOBIG and the buffer as it was */
    struct buf small;
    buf_init(&small, 4096, NULL);
    CHECK(buf_puts(&small, "keep") == RB_OK, "prefix");
    for (int f = RF_TEXT; f <= RF_HTML; f++) {
        CHECK(report_render(r, (enum report_format)f, NULL, &small) == RB_ETOOBIG, "cap %d", f);
        CHECK(small.len == 4 && strcmp(small.p, "keep") == 0, "buffer kept %d", f);
    }
    CHECK_INT(report_render(r, (enum report_format)42, NULL, &small), RB_EINVAL, "bad format");
    CHECK_INT(report_render(NULL, RF_TEXT, NULL, &small), RB_EINVAL, "NULL report");
    CHECK_INT(report_render(r, RF_TEXT, NULL, NULL), RB_EINVAL, "NULL buf");
    buf_free(&small);
    report_free(r);
    buf_free(&b);
}

int main(void)
{
    struct report *r = build();
    CHECK(r != NULL, "report built");
    if (r) {
        test_json(r);
        test_text(r);
        test_markdown(r);
        test_html(r);
    }
    report_free(r);
    test_edges();
    return harness_done();
}
