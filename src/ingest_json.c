/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest_json.c - the JSON reader: every JSON event source (Amazon SES, SendGrid, Mailgun,
 *                 Postmark, SparkPost/Momentum, Mandrill, KumoMTA) through one streaming
 *                 splitter and a dispatcher on the document's shape.
 *
 * DESCRIPTION
 *   The framework hands over one line at a time. A byte-level state machine (string and
 *   escape state, nesting depth) finds where each top-level value ends, whatever the layout:
 *   NDJSON, objects concatenated on one line or separated by commas, pretty-printed
 *   documents over many lines. A top-level array (a SendGrid batch, Mandrill's
 *   mandrill_events, an export) is never loaded whole: each element is cut out and parsed
 *   as its own document, so memory is bounded by the largest element, not the file.
 *   Each document is parsed by jansson (exact length) and handed to json_dispatch, which
 *   picks the decoder by the keys present (ingest_json_esp.c, ingest_json_mta.c).
 *
 *   Also accepted: a UTF-8 BOM; "//" comment lines and trailing commas (KumoMTA's
 *   documented samples are JSONC); a form-encoded webhook body "mandrill_events=..." (URL
 *   decoded, one line).
 *
 *   Broken input is skipped with a fixed reason and the splitter resynchronises: a line end
 *   inside a string (JSON strings cannot hold one) or text outside any value skips lines up
 *   to the next one that starts with '{' or '[' in column 0; a '{"' in column 0 while an
 *   object is still open means that object was cut (NDJSON with a truncated line) and a new
 *   one begins; a line the framework dropped (over 1 MB) inside a value likewise.
 *
 * LIMITS
 *   JSON_MAX_DOC bytes per document (one array element) and JSON_MAX_DEPTH levels of
 *   nesting: larger or deeper values are skipped to their end with a reason, counting
 *   depth without storing anything, so a 10,000-deep document costs nothing and jansson's
 *   recursive parser never sees more than 64 levels. jansson allocates through malloc, not
 *   the injectable rb_mem.
 *
 * SEE ALSO
 *   ingest.h (the reader interface), ingest_json.h (decoder helpers).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ingest_json.h"

#define JSON_MAX_DOC (8u << 20) /* bytes of one document (array element) */
#define JSON_MAX_FORM (1u << 20)

enum phase {
    P_TOP,    /* between top-level values */
    P_ARR,    /* inside a top-level array, between elements */
    P_VAL,    /* storing a value */
    P_SKIP,   /* skipping a value (too big, too deep, not an object) to its end */
    P_RESYNC, /* after broken input: skip lines up to one starting with '{' or '[' */
};

struct json_state {
    struct buf doc;  /* the value being stored (P_VAL) */
    struct buf form; /* URL-decoded form body */
    enum phase phase;
    bool in_array;           /* the current value is an element of a top-level array */
    bool in_str, esc;        /* inside a string; after a backslash in it */
    bool scalar;             /* skipping a bare scalar array element */
    bool top_obj;            /* the current value is an object (not an array) */
    unsigned long depth;     /* open brackets of the current value (counted in P_SKIP too) */
    const char *skip_reason; /* why the value in P_SKIP is skipped */
    size_t last_sig;         /* doc offset of the last significant byte outside strings */
    char last_sig_c;         /* that byte ('\0' if none yet) */
    unsigned long last_line; /* line number of the previous line of this input */
    struct json_ctx cx;
};

/* ---- helpers for the decoders -------------------------------------------------------------- */

struct slice json_fmt(struct json_ctx *cx, const char *fmt, ...)
{
    size_t room = sizeof cx->scratch - cx->used;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cx->scratch + cx->used, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room)
        return slice_make("", 0);
    struct slice s = slice_make(cx->scratch + cx->used, (size_t)n);
    cx->used += (size_t)n + 1;
    return s;
}

struct slice jv(struct json_ctx *cx, json_t *v)
{
    if (json_is_string(v))
        return slice_make(json_string_value(v), json_string_length(v));
    if (json_is_integer(v))
        return json_fmt(cx, "%lld", (long long)json_integer_value(v));
    if (json_is_real(v))
        return json_fmt(cx, "%.15g", json_real_value(v));
    return slice_make("", 0);
}

struct slice js(struct json_ctx *cx, json_t *o, const char *key)
{
    return jv(cx, json_object_get(o, key));
}

struct slice jfirst(struct json_ctx *cx, json_t *v)
{
    if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            struct slice s = json_is_object(x) ? js(cx, x, "name") : jv(cx, x);
            if (!s.len && json_is_object(x))
                s = js(cx, x, "id");
            if (s.len)
                return s;
        }
        return slice_make("", 0);
    }
    return jv(cx, v);
}

long long jint(json_t *v)
{
    if (json_is_integer(v))
        return (long long)json_integer_value(v);
    if (json_is_real(v)) {
        double d = json_real_value(v);
        return d > -1e15 && d < 1e15 ? (long long)d : 0;
    }
    if (json_is_string(v)) {
        const char *p = json_string_value(v);
        size_t n = json_string_length(v), i = 0;
        long long x = 0;
        while (i < n && p[i] == ' ')
            i++;
        size_t d0 = i;
        while (i < n && i - d0 < 15 && p[i] >= '0' && p[i] <= '9')
            x = x * 10 + (p[i++] - '0');
        return i > d0 ? x : 0;
    }
    return 0;
}

bool jtime(json_t *v, long long *t, int *tzoff)
{
    if (json_is_integer(v) || json_is_real(v)) {
        double d = json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
        if (!(d > 0 && d < 1e16))
            return false;
        if (d > 1e11) /* milliseconds */
            d /= 1000;
        *t = (long long)d;
        *tzoff = 0;
        return true;
    }
    if (json_is_string(v))
        return ingest_parse_time(slice_make(json_string_value(v), json_string_length(v)), t, tzoff);
    return false;
}

bool json_is(json_t *o, const char *key, const char *lit)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) &&
           slice_eq_ci(slice_make(json_string_value(v), json_string_length(v)), lit);
}

struct slice strip_type(struct slice s)
{
    s = slice_trim(s);
    size_t i = 0;
    while (i < s.len && i < 12 &&
           ((s.p[i] >= 'a' && s.p[i] <= 'z') || (s.p[i] >= 'A' && s.p[i] <= 'Z') || s.p[i] == '-'))
        i++;
    if (i > 0 && i < s.len && s.p[i] == ';')
        return slice_trim(slice_make(s.p + i + 1, s.len - i - 1));
    return s;
}

struct slice addr_spec(struct slice s)
{
    s = slice_trim(s);
    const char *lt = s.len ? memchr(s.p, '<', s.len) : NULL;
    if (lt) {
        const char *gt = memchr(lt, '>', (size_t)(s.p + s.len - lt));
        if (gt)
            return slice_trim(slice_make(lt + 1, (size_t)(gt - lt - 1)));
    }
    return s;
}

struct slice smtp_command(struct slice s)
{
    static const char *const words[] = {"RCPT",     "MAIL", "DATA", "EHLO", "HELO",
                                        "STARTTLS", "AUTH", "BDAT", "QUIT", "RSET"};
    s = slice_trim(s);
    if (s.len && s.p[0] == '.')
        return SLICE_LIT("DATA"); /* KumoMTA writes the end of data as "." */
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i]);
        if (s.len >= n && mem_eq_ci(s.p, words[i], n) &&
            (s.len == n || s.p[n] == ' ' || s.p[n] == ':'))
            return slice_make(words[i], n);
    }
    return slice_make("", 0);
}

struct slice host_of(struct slice s)
{
    s = slice_trim(s);
    if (s.len && s.p[0] == '[') {
        const char *rb = memchr(s.p, ']', s.len);
        return rb ? slice_make(s.p + 1, (size_t)(rb - s.p - 1)) : s;
    }
    const char *c = s.len ? memchr(s.p, ':', s.len) : NULL;
    if (c && !memchr(c + 1, ':', (size_t)(s.p + s.len - c - 1))) /* one colon: host:port */
        return slice_make(s.p, (size_t)(c - s.p));
    return s;
}

bool json_depth_ok(const char *p, size_t n, unsigned max)
{
    unsigned depth = 0;
    bool str = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                str = false;
        } else if (c == '"') {
            str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                return false;
        } else if ((c == '}' || c == ']') && depth) {
            depth--;
        }
    }
    return true;
}

int json_emit(struct json_ctx *cx, const struct ingest_ev *e)
{
    if (!slice_trim(e->recipient).len)
        return ingest_malformed(cx->ig, "json: event without a recipient");
    return ingest_emit(cx->ig, e);
}

/* ---- dispatch ------------------------------------------------------------------------------ */

/* an object whose key names one of the lists we split: {"items": [...]} ... */
static int each(struct json_ctx *cx, json_t *arr, int (*fn)(struct json_ctx *, json_t *))
{
    size_t i;
    json_t *x;
    int rc = RB_OK;
    json_array_foreach(arr, i, x)
    {
        rc = fn(cx, x);
        if (rc != RB_OK)
            break;
    }
    return rc;
}

int json_dispatch(struct json_ctx *cx, json_t *doc)
{
    if (!json_is_object(doc))
        return ingest_malformed(cx->ig, "json: document of an unknown shape");
    json_t *v;
    /* Amazon SNS envelope, then SES notifications and event publishing */
    if (json_is_string(jget(doc, "Type")) && (jget(doc, "TopicArn") || jget(doc, "Message")))
        return json_sns(cx, doc);
    if (json_is_string(jget(doc, "notificationType")) || json_is_string(jget(doc, "eventType")))
        return json_ses(cx, doc);
    /* SparkPost / Momentum */
    if (jget(doc, "msys"))
        return json_sparkpost(cx, doc);
    if (json_is_array(v = jget(doc, "results")))
        return each(cx, v, json_sparkpost);
    /* Mailgun webhook, Events API page, Bounces API page */
    if (json_is_object(jget(doc, "event-data")))
        return json_mailgun(cx, jget(doc, "event-data"));
    if (json_is_array(v = jget(doc, "items")))
        return each(cx, v, json_mailgun_list);
    /* Mandrill */
    if (json_is_array(v = jget(doc, "mandrill_events")))
        return each(cx, v, json_mandrill);
    if (json_is_string(jget(doc, "event")) && json_is_object(jget(doc, "msg")))
        return json_mandrill(cx, doc);
    if (jget(doc, "action") && jget(doc, "reject") && jget(doc, "type"))
        return ingest_ignored(cx->ig); /* Mandrill sync event (rejection list changes) */
    /* Mailgun event outside a webhook envelope (Events API item, legacy export) */
    if (json_is_string(jget(doc, "event")) &&
        (jget(doc, "delivery-status") || jget(doc, "envelope") || jget(doc, "recipient-domain") ||
         jget(doc, "log-level") || jget(doc, "user-variables")))
        return json_mailgun(cx, doc);
    /* Postmark webhook, Bounces API */
    if (json_is_array(v = jget(doc, "Bounces")))
        return each(cx, v, json_postmark);
    if (jget(doc, "RecordType") || (jget(doc, "TypeCode") && jget(doc, "Email")))
        return json_postmark(cx, doc);
    /* SendGrid event webhook */
    if (jget(doc, "sg_event_id") || jget(doc, "sg_message_id") ||
        (json_is_string(jget(doc, "event")) && jget(doc, "email")))
        return json_sendgrid(cx, doc);
    /* SparkPost event without the msys wrapper (Events API results) */
    if (json_is_string(jget(doc, "type")) &&
        (jget(doc, "rcpt_to") || jget(doc, "bounce_class") || jget(doc, "raw_reason")))
        return json_sparkpost(cx, doc);
    /* KumoMTA log record */
    if (json_is_string(jget(doc, "type")) &&
        (jget(doc, "queue") || jget(doc, "egress_pool") || jget(doc, "peer_address") ||
         jget(doc, "response") || jget(doc, "feedback_report")))
        return json_kumomta(cx, doc);
    return json_generic(cx, doc);
}

/* ---- the splitter -------------------------------------------------------------------------- */

static void value_reset(struct json_state *st)
{
    buf_reset(&st->doc);
    st->in_str = st->esc = st->scalar = false;
    st->depth = 0;
    st->skip_reason = NULL;
    st->last_sig_c = '\0';
    st->last_sig = 0;
}

static void state_reset(struct json_state *st)
{
    value_reset(st);
    buf_reset(&st->form);
    st->phase = P_TOP;
    st->in_array = false;
    st->last_line = 0;
}

/* broken input: drop the value, count it once, skip to a line that starts a new one */
static int broken(rb_ingest *ig, struct json_state *st, const char *reason)
{
    value_reset(st);
    st->phase = P_RESYNC;
    st->in_array = false;
    return ingest_malformed(ig, reason);
}

/* the value stored in st->doc is complete: parse and decode it */
static int value_done(rb_ingest *ig, struct json_state *st)
{
    int rc;
    if (st->phase == P_SKIP) {
        rc = ingest_malformed(ig, st->skip_reason);
    } else {
        json_error_t err;
        json_t *doc = json_loadb(st->doc.p, st->doc.len, 0, &err);
        if (!doc) {
            rc = ingest_malformed(ig, "json: syntax error");
        } else {
            st->cx.ig = ig;
            st->cx.used = 0;
            st->cx.nest = 0;
            rc = json_dispatch(&st->cx, doc);
            json_decref(doc);
        }
    }
    value_reset(st);
    st->phase = st->in_array ? P_ARR : P_TOP;
    return rc;
}

/* switch the value being stored to skipping (it stays counted, nothing more is stored) */
static void to_skip(struct json_state *st, const char *reason)
{
    buf_reset(&st->doc);
    st->phase = P_SKIP;
    st->skip_reason = reason;
}

/* append p[from, to) to the stored value; on overflow the value is skipped instead */
static void store(struct json_state *st, const char *p, size_t from, size_t to)
{
    if (st->phase != P_VAL || to <= from)
        return;
    if (buf_append(&st->doc, p + from, to - from) != RB_OK)
        to_skip(st, "json: document larger than 8 MB");
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

/* feed - run the state machine over one line's bytes (p[0] is its first byte after a BOM,
 * for the resynchronisation rules). */
static int feed(rb_ingest *ig, struct json_state *st, const char *p, size_t n)
{
    int rc = RB_OK;
    size_t i = 0, span = 0; /* p[span, i) is still to be stored while in P_VAL */

    if (st->phase == P_RESYNC) {
        if (!n || (p[0] != '{' && p[0] != '['))
            return RB_OK;
        st->phase = P_TOP;
    }
    if ((st->phase == P_VAL || st->phase == P_SKIP) && n && p[0] == '{' &&
        ((st->depth == 1 && st->top_obj) ||
         (st->last_sig_c != ',' && st->last_sig_c != '[' && st->last_sig_c != ':'))) {
        /* A '{' cannot follow the previous line's last token here (or open a member of an
         * object): the value was cut short (NDJSON with a truncated line); a new one begins */
        rc = ingest_malformed(ig, "json: document cut short (next one began)");
        value_reset(st);
        st->phase = st->in_array ? P_ARR : P_TOP;
        if (rc != RB_OK)
            return rc;
    }
    while (i < n) {
        char c = p[i];
        if (st->phase == P_TOP || st->phase == P_ARR) {
            if (is_ws(c) || c == ',') {
                i++;
                continue;
            }
            if (c == '/' && i + 1 < n && p[i + 1] == '/')
                break; /* comment to the end of the line */
            if (st->phase == P_ARR && c == ']') {
                st->phase = P_TOP;
                st->in_array = false;
                i++;
                continue;
            }
            if (st->phase == P_TOP && c == '[') {
                st->phase = P_ARR;
                st->in_array = true;
                i++;
                continue;
            }
            if (c == '{' || c == '[') {
                value_reset(st);
                st->phase = P_VAL;
                st->top_obj = c == '{';
                span = i;
                /* falls through to the value machine with this byte */
            } else if (st->phase == P_ARR) {
                value_reset(st);
                to_skip(st, "json: array element is not an object");
                st->scalar = true; /* a number, literal or string: ends with it */
                if (c == '"') {
                    st->in_str = true;
                    i++;
                }
                continue;
            } else {
                return broken(ig, st, "json: text outside a JSON document");
            }
        }
        /* P_VAL or P_SKIP */
        if (st->in_str) {
            /* fast path to the next quote or backslash */
            while (i < n && p[i] != '"' && p[i] != '\\' && !st->esc)
                i++;
            if (i >= n)
                break;
            if (st->esc)
                st->esc = false;
            else if (p[i] == '\\')
                st->esc = true;
            else
                st->in_str = false;
            i++;
            if (!st->in_str && st->scalar) { /* a string element: skipped whole */
                rc = value_done(ig, st);
                if (rc != RB_OK)
                    return rc;
            }
            continue;
        }
        if (st->scalar) {
            if (c == ',' || c == ']' || is_ws(c)) {
                rc = value_done(ig, st);
                if (rc != RB_OK)
                    return rc;
                continue; /* the ',' or ']' belongs to the array */
            }
            i++;
            continue;
        }
        switch (c) {
        case '"':
            st->in_str = true;
            break;
        case '{':
        case '[':
            st->depth++;
            if (st->depth > JSON_MAX_DEPTH && st->phase == P_VAL)
                to_skip(st, "json: document nested deeper than 64");
            break;
        case '}':
        case ']':
            if (st->last_sig_c == ',' && st->phase == P_VAL) {
                /* trailing comma (JSONC): blank it, in the buffer or in this span */
                size_t at = st->last_sig;
                if (at >= st->doc.len) {
                    store(st, p, span, i);
                    span = i;
                }
                if (st->phase == P_VAL && at < st->doc.len)
                    st->doc.p[at] = ' ';
            }
            if (st->depth)
                st->depth--;
            if (st->depth == 0) {
                store(st, p, span, i + 1);
                i++;
                rc = value_done(ig, st);
                if (rc != RB_OK)
                    return rc;
                continue;
            }
            break;
        case '/':
            if (i + 1 < n && p[i + 1] == '/') {
                store(st, p, span, i);
                span = i = n;
                continue;
            }
            break;
        default:
            break;
        }
        if (!is_ws(c)) {
            st->last_sig_c = c;
            st->last_sig = st->doc.len + (i - span);
        }
        i++;
    }
    /* end of the line */
    if (st->phase == P_VAL || st->phase == P_SKIP) {
        if (st->in_str)
            return broken(ig, st, "json: line break inside a string");
        if (st->scalar)
            return value_done(ig, st);
        store(st, p, span, n);
        store(st, "\n", 0, 1);
    }
    return rc;
}

static int hexval(char h)
{
    return h >= '0' && h <= '9'   ? h - '0'
           : h >= 'a' && h <= 'f' ? h - 'a' + 10
           : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                  : -1;
}

/* URL-decode a form body's value (up to '&') into st->form */
static int form_decode(struct json_state *st, const char *p, size_t n)
{
    buf_reset(&st->form);
    for (size_t i = 0; i < n && p[i] != '&'; i++) {
        char c = p[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && i + 2 < n) {
            int hi = hexval(p[i + 1]), lo = hexval(p[i + 2]);
            if (hi >= 0 && lo >= 0) {
                c = (char)(hi * 16 + lo);
                i += 2;
            }
        }
        if (c == '\n' || c == '\0')
            c = ' ';
        if (buf_append(&st->form, &c, 1) != RB_OK)
            return RB_ETOOBIG;
    }
    return RB_OK;
}

static int json_line(rb_ingest *ig, void *state, const struct ingest_line *ln)
{
    struct json_state *st = state;
    const char *p = ln->raw.p;
    size_t n = ln->raw.len;
    unsigned long prev = st->last_line;
    st->last_line = ln->lineno;
    if (prev && ln->lineno != prev + 1 && (st->phase == P_VAL || st->phase == P_SKIP)) {
        /* the framework dropped an over-long line inside this value (counted there) */
        value_reset(st);
        st->phase = P_RESYNC;
        st->in_array = false;
    }
    if (n >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF)
        p += 3, n -= 3;
    static const char form_key[] = "mandrill_events=";
    if ((st->phase == P_TOP || st->phase == P_RESYNC) && n > sizeof form_key - 1 &&
        memcmp(p, form_key, sizeof form_key - 1) == 0) {
        if (form_decode(st, p + sizeof form_key - 1, n - (sizeof form_key - 1)) != RB_OK)
            return ingest_malformed(ig, "json: form body too large");
        st->phase = P_TOP;
        return feed(ig, st, st->form.p ? st->form.p : "", st->form.len);
    }
    return feed(ig, st, p, n);
}

static int json_end(rb_ingest *ig, void *state)
{
    struct json_state *st = state;
    int rc = RB_OK;
    if (st->phase == P_VAL || st->phase == P_SKIP) {
        if (st->scalar)
            rc = value_done(ig, st);
        else
            rc = ingest_malformed(ig, "json: input ends inside a document");
    } else if (st->phase == P_ARR) {
        rc = ingest_malformed(ig, "json: input ends inside an array");
    }
    state_reset(st);
    return rc;
}

static void json_reset(rb_ingest *ig, void *state)
{
    (void)ig;
    state_reset(state);
}

static int json_init(rb_ingest *ig, void *state)
{
    struct json_state *st = state;
    buf_init(&st->doc, JSON_MAX_DOC, ingest_mem(ig));
    buf_init(&st->form, JSON_MAX_FORM, ingest_mem(ig));
    state_reset(st);
    return RB_OK;
}

static void json_fini(rb_ingest *ig, void *state)
{
    (void)ig;
    struct json_state *st = state;
    buf_free(&st->doc);
    buf_free(&st->form);
}

/* a file whose first meaningful line opens a JSON value (or is a JSONC comment, or a
 * form-encoded Mandrill body) */
static int json_sniff(const struct ingest_line *ln)
{
    const char *p = ln->raw.p;
    size_t n = ln->raw.len, i = 0;
    if (n >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
        (unsigned char)p[2] == 0xBF)
        i = 3;
    while (i < n && is_ws(p[i]))
        i++;
    if (i >= n)
        return 0;
    if (n - i > 16 && memcmp(p + i, "mandrill_events=", 16) == 0)
        return 90;
    if (p[i] == '{' || p[i] == '[') {
        size_t j = i + 1;
        while (j < n && is_ws(p[j]))
            j++;
        /* '{"', '[{', '[' or '{' alone: JSON; '[' then other text is more likely a log line
         * ("[2024-05-01 ...] ...", "[INFO] ...") or an array of scalars we have no use for */
        if (j >= n || p[j] == '"' || p[j] == '{' || p[j] == '[' || p[j] == '}' || p[j] == ']')
            return 80;
        return 0;
    }
    if (p[i] == '/' && i + 1 < n && p[i + 1] == '/')
        return 20;
    return 0;
}

const struct ingest_reader ingest_reader_json = {
    .name = "json",
    .sniff = json_sniff,
    .line = json_line,
    .end = json_end,
    .reset = json_reset,
    .fini = json_fini,
    .init = json_init,
    .state_size = sizeof(struct json_state),
    /* a minified batch (a whole SendGrid POST body, a one-line export) arrives as one line:
     * accept lines up to twice a document's cap; longer ones are skipped with a reason */
    .max_line = 2 * JSON_MAX_DOC,
};
