/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * server_api.c - the read and list endpoints of `rebound serve`: dashboard, health, report,
 *                events, explain, notices, suppression check/add/remove, Prometheus metrics.
 *
 * DESCRIPTION
 *   Reads use a pooled read-only store connection (SQLite WAL: readers never wait for the
 *   writer); suppression changes go through the writer like webhook events, so the list has
 *   one writer and a 2xx means the change is committed. The live report (/api/report without
 *   parameters) is kept up to date by the writer; with since/until/filter/top a fresh report
 *   is computed from the store for the request.
 */
#define _GNU_SOURCE /* strptime, timegm */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_out.h"
#include "report_render.h"
#include "server_int.h"
#include "verdict_out.h"

extern const char server_dashboard_html[]; /* server/assets/dashboard.html, compiled in */

#define EVENTS_DEFAULT_LIMIT 100
#define EVENTS_MAX_LIMIT 1000
#define CHECK_MAX_ADDRESSES 100000

/* oom - turn a failed append into a 500 (the response so far is dropped) */
static void oom(struct req *rq, int rc)
{
    if (rc != RB_OK)
        reply_error(rq, rc == RB_ETOOBIG ? 413 : 500,
                    rc == RB_ETOOBIG ? "response too large: narrow the query" : rb_strerror(rc));
}

static void iso_time(long long t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t <= 0 || !gmtime_r(&tt, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, cap, "%s", "");
}

/* parse_time - a query time: Unix seconds or an ISO date/time; -1 if invalid, 0 if absent */
static long long parse_time(const char *s)
{
    if (!s || !s[0])
        return 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*end)
        return v;
    struct tm tm = {0};
    const char *p = strptime(s, "%Y-%m-%d", &tm);
    if (!p)
        return -1;
    if (*p == 'T' || *p == ' ') {
        p = strptime(p + 1, "%H:%M:%S", &tm);
        if (!p)
            return -1;
        if (*p == 'Z')
            p++;
    }
    if (*p)
        return -1;
    return (long long)timegm(&tm);
}

/* ---- dashboard, health ------------------------------------------------------------------------
 */

void api_dashboard(struct srv *sv, struct MHD_Connection *c, struct req *rq)
{
    (void)sv;
    (void)c;
    rq->status = 200;
    rq->ctype = "text/html; charset=utf-8";
    rq->static_body = server_dashboard_html;
    rq->static_len = strlen(server_dashboard_html);
}

void api_health(struct srv *sv, struct MHD_Connection *c, struct req *rq)
{
    (void)c;
    pthread_mutex_lock(&sv->q_mu);
    size_t queued = sv->q_events;
    pthread_mutex_unlock(&sv->q_mu);
    reply_json(rq, 200);
    oom(rq, buf_printf(&rq->out,
                       "{\"status\":\"ok\",\"version\":\"%s\",\"uptime_s\":%lld,\"events\":%llu,"
                       "\"suppressions\":%llu,\"notices\":%llu,\"queue\":%zu}\n",
                       rb_version(), (long long)time(NULL) - sv->started,
                       (unsigned long long)atomic_load(&sv->events),
                       (unsigned long long)atomic_load(&sv->suppressions),
                       (unsigned long long)atomic_load(&sv->notices), queued));
}

/* ---- report ------------------------------------------------------------------------------------
 */

void api_report(struct srv *sv, struct MHD_Connection *c, struct req *rq)
{
    const char *since = query(c, "since"), *until = query(c, "until"), *filter = query(c, "filter"),
               *top = query(c, "top");
    if (!since && !until && !filter && !top) {
        reply_json(rq, 200);
        oom(rq, live_report_json(sv, &rq->out));
        return;
    }
    struct report_opts o = {.since = parse_time(since),
                            .until = parse_time(until),
                            .filter = filter && filter[0] ? filter : NULL};
    if (o.since < 0 || o.until < 0) {
        reply_error(rq, 400, "since/until: Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
        return;
    }
    if (top) {
        long t = strtol(top, NULL, 10);
        o.top = t > 0 && t <= 1000 ? (unsigned)t : 10;
    }
    struct report *r = NULL;
    int rc = report_new(&r, &o);
    if (rc != RB_OK) {
        reply_error(rq, rc == RB_EINVAL ? 400 : 500, r ? report_error(r) : "out of memory");
        report_free(r);
        return;
    }
    /* report_add_store opens its own extra connection: a fresh read-only one here */
    struct store *s = NULL;
    struct store_open_opts ro = {.readonly = true, .busy_timeout_ms = 5000};
    unsigned long long n = 0;
    rc = store_open(&s, sv->db, &ro, &sv->cfg);
    if (rc == RB_OK)
        rc = report_add_store(r, s, o.since, o.until, &n);
    if (rc == RB_OK)
        rc = report_finish(r);
    if (rc != RB_OK) {
        reply_error(rq, 500, s && store_error(s)[0] ? store_error(s) : rb_strerror(rc));
    } else {
        char source[4200];
        snprintf(source, sizeof source, "store %s", s->shown);
        struct report_render_opts rop = {.source = source, .generated = (long long)time(NULL)};
        reply_json(rq, 200);
        oom(rq, report_render(r, RF_JSON, &rop, &rq->out));
    }
    store_close(s);
    report_free(r);
}

/* ---- events ------------------------------------------------------------------------------------
 */

struct ev_query {
    const char *recipient, *provider, *campaign, *status, *category;
    int kind;   /* -1 = any */
    int reason; /* -1 = any */
    int code;   /* 0 = any */
    size_t limit;
    bool desc;
    /* newest-first keeps a ring of the last `limit` matches, rendered as they come */
    struct buf *ring;
    size_t n, next;
    int rc;
};

static int render_event(struct buf *b, const struct store_event *e)
{
    char t[32], key[2 * STORE_KEY_BYTES + 1];
    iso_time(e->time, t, sizeof t);
    store_key_hex(e->key, key);
    int first = 1;
    int rc = buf_putc(b, '{');
    if (rc == RB_OK)
        rc = json_key_str(b, &first, "key", key);
    if (rc == RB_OK)
        rc = json_key_int(b, &first, "timestamp", e->time);
    if (rc == RB_OK)
        rc = json_key_str(b, &first, "time", t);
    if (rc == RB_OK)
        rc = json_key_str(b, &first, "kind", rb_event_kind_name(e->kind));
    const struct {
        const char *k, *v;
    } s[] = {{"recipient", e->recipient},
             {"domain", e->domain},
             {"sender", e->sender},
             {"rhost", e->rhost},
             {"provider", e->provider},
             {"status", e->status},
             {"reason", rb_reason_name(e->reason)},
             {"category", rb_category_name(e->category)},
             {"campaign", e->campaign},
             {"sending_ip", e->sending_ip},
             {"sending_domain", e->sending_domain},
             {"message_id", e->message_id},
             {"event_id", e->source_event_id},
             {"format", e->format},
             {"blocklist", e->blocklist},
             {"text", e->text}};
    for (size_t i = 0; i < sizeof s / sizeof s[0] && rc == RB_OK; i++)
        rc = json_key_str(b, &first, s[i].k, s[i].v ? s[i].v : "");
    if (rc == RB_OK)
        rc = json_key_int(b, &first, "replycode", e->replycode);
    if (rc == RB_OK)
        rc = json_key_bool(b, &first, "permanent", e->permanent);
    if (rc == RB_OK)
        rc = buf_putc(b, '}');
    return rc;
}

static int on_query_event(const struct store_event *e, void *ud)
{
    struct ev_query *q = ud;
    if ((q->kind >= 0 && (int)e->kind != q->kind) ||
        (q->reason >= 0 && (int)e->reason != q->reason) || (q->code && e->replycode != q->code) ||
        (q->recipient && strcmp(e->recipient, q->recipient) != 0) ||
        (q->provider && strcmp(e->provider, q->provider) != 0) ||
        (q->campaign && strcmp(e->campaign, q->campaign) != 0) ||
        (q->category && strcmp(rb_category_name(e->category), q->category) != 0) ||
        (q->status && strncmp(e->status, q->status, strlen(q->status)) != 0))
        return 0;
    struct buf *b = &q->ring[q->next];
    buf_reset(b);
    if ((q->rc = render_event(b, e)) != RB_OK)
        return 1;
    q->next = (q->next + 1) % q->limit;
    q->n++;
    return !q->desc && q->n >= q->limit; /* oldest first: the first `limit` are the answer */
}

void api_events(struct srv *sv, struct MHD_Connection *c, struct req *rq)
{
    struct ev_query q = {.kind = -1, .reason = -1, .limit = EVENTS_DEFAULT_LIMIT, .desc = true};
    const char *v;
    q.recipient = query(c, "recipient");
    char addr[SUPPRESS_MAX_ADDRESS];
    if (q.recipient) {
        if (!strchr(q.recipient, '@') ||
            !suppress_normalize(q.recipient, strlen(q.recipient), addr, sizeof addr)) {
            reply_error(rq, 400, "recipient: not an email address");
            return;
        }
        q.recipient = addr;
    }
    q.provider = query(c, "provider");
    q.campaign = query(c, "campaign");
    q.category = query(c, "category");
    q.status = query(c, "status");
    if ((v = query(c, "kind"))) {
        for (int k = 1; k < RB_EVENT__COUNT; k++)
            if (strcmp(v, rb_event_kind_name((rb_event_kind)k)) == 0)
                q.kind = k;
        if (q.kind < 0) {
            reply_error(rq, 400,
                        "kind: delivered, deferred, bounced, expired, complaint or dropped");
            return;
        }
    }
    if ((v = query(c, "reason"))) {
        rb_reason r = rb_reason_from_name(v, strlen(v));
        if (r == RB_REASON__COUNT) {
            reply_error(rq, 400, "reason: not a reason name (see docs/classification.md)");
            return;
        }
        q.reason = (int)r;
    }
    if ((v = query(c, "code")))
        q.code = (int)strtol(v, NULL, 10);
    if ((v = query(c, "limit"))) {
        long l = strtol(v, NULL, 10);
        if (l < 1 || l > EVENTS_MAX_LIMIT) {
            reply_error(rq, 400, "limit: 1 to 1000");
            return;
        }
        q.limit = (size_t)l;
    }
    if ((v = query(c, "order")))
        q.desc = strcmp(v, "asc") != 0;
    struct store_iter it = {.since = parse_time(query(c, "since")),
                            .until = parse_time(query(c, "until"))};
    if (it.since < 0 || it.until < 0) {
        reply_error(rq, 400, "since/until: Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
        return;
    }
    q.ring = calloc(q.limit, sizeof *q.ring);
    struct ctx *x = q.ring ? ctx_get(sv) : NULL;
    if (!x) {
        free(q.ring);
        reply_error(rq, 500, "out of memory");
        return;
    }
    for (size_t i = 0; i < q.limit; i++)
        buf_init(&q.ring[i], 1u << 20, NULL);
    struct store *s = ctx_store(sv, x, rq);
    int rc = s ? store_events_iterate(s, &it, on_query_event, &q) : RB_OK;
    if (s && rc != RB_OK && rc != 1)
        reply_error(rq, 500, store_error(s));
    else if (s && q.rc != RB_OK)
        oom(rq, q.rc);
    else if (s) {
        reply_json(rq, 200);
        size_t shown = q.n < q.limit ? q.n : q.limit;
        rc = buf_puts(&rq->out, "{\"events\":[");
        for (size_t i = 0; i < shown && rc == RB_OK; i++) {
            /* newest first: walk the ring backwards from the last match */
            size_t at = q.desc ? (q.next + q.limit - 1 - i) % q.limit : i;
            if (i)
                rc = buf_putc(&rq->out, ',');
            if (rc == RB_OK)
                rc = buf_append(&rq->out, q.ring[at].p, q.ring[at].len);
        }
        if (rc == RB_OK)
            rc = buf_printf(&rq->out, "],\"matched\":%zu,\"truncated\":%s}\n", q.n,
                            q.n > shown || (!q.desc && q.n >= q.limit) ? "true" : "false");
        oom(rq, rc);
    }
    ctx_put(sv, x);
    for (size_t i = 0; i < q.limit; i++)
        buf_free(&q.ring[i]);
    free(q.ring);
}

/* ---- explain ------------------------------------------------------------------------------------
 */

static int explain_one(rb_scratch *sc, struct buf *b, const char *in, size_t n)
{
    rb_verdict v;
    int rc = rb_explain(sc, in, n, &v);
    int first = 1;
    if (rc == RB_OK)
        rc = buf_putc(b, '{');
    if (rc == RB_OK)
        rc = json_key_strn(b, &first, "input", in, n);
    if (rc == RB_OK)
        rc = json_key_strn(b, &first, "text", v.reply.text, v.reply.text_len);
    if (rc == RB_OK)
        rc = verdict_json_fields(b, &first, &v);
    if (rc == RB_OK)
        rc = json_key_str(b, &first, "retry_advice", verdict_retry_advice(&v));
    if (rc == RB_OK)
        rc = buf_putc(b, '}');
    return rc;
}

void api_explain(struct srv *sv, struct MHD_Connection *c, struct req *rq)
{
    const char *text = query(c, "text");
    bool post = rq->body && rq->len;
    if (!text && !post) {
        reply_error(rq, 400, "give the reply as ?text=... or as the POST body (one per line)");
        return;
    }
    struct ctx *x = ctx_get(sv);
    if (!x) {
        reply_error(rq, 500, "out of memory");
        return;
    }
    reply_json(rq, 200);
    int rc;
    if (!post) {
        rc = explain_one(x->sc, &rq->out, text, strlen(text));
        if (rc == RB_OK)
            rc = buf_putc(&rq->out, '\n');
    } else {
        rc = buf_puts(&rq->out, "{\"results\":[");
        size_t n = 0;
        for (const char *p = rq->body, *end = rq->body + rq->len; p < end && rc == RB_OK;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *e = nl ? nl : end;
            size_t len = (size_t)(e - p);
            if (len && p[len - 1] == '\r')
                len--;
            if (len) {
                if (n++)
                    rc = buf_putc(&rq->out, ',');
                if (rc == RB_OK)
                    rc = explain_one(x->sc, &rq->out, p, len);
            }
            p = e + 1;
        }
        if (rc == RB_OK)
            rc = buf_puts(&rq->out, "]}\n");
    }
    ctx_put(sv, x);
    oom(rq, rc);
}

/* ---- notices
 * -------------------------------------------------------------------------------------- */

struct notice_out {
    struct buf *b;
    int n, rc;
};

static int on_notice(const struct store_notice *no, void *ud)
{
    struct notice_out *o = ud;
    char t[32];
    iso_time(no->time, t, sizeof t);
    int first = 1, rc = o->n++ ? buf_putc(o->b, ',') : RB_OK;
    if (rc == RB_OK)
        rc = buf_putc(o->b, '{');
    if (rc == RB_OK)
        rc = json_key_int(o->b, &first, "timestamp", no->time);
    if (rc == RB_OK)
        rc = json_key_str(o->b, &first, "time", t);
    if (rc == RB_OK)
        rc = json_key_str(o->b, &first, "kind", no->kind);
    if (rc == RB_OK)
        rc = json_key_str(o->b, &first, "source", no->source);
    if (rc == RB_OK)
        rc = json_key_str(o->b, &first, "url", no->url);
    if (rc == RB_OK)
        rc = json_key_str(o->b, &first, "text", no->text);
    if (rc == RB_OK)
        rc = buf_putc(o->b, '}');
    o->rc = rc;
    return rc != RB_OK;
}

/* reader - pooled resources (*x, returned with ctx_put) with the store open for reading;
 * NULL, with a 500 set and nothing to return, when either fails */
static struct store *reader(struct srv *sv, struct req *rq, struct ctx **x)
{
    *x = ctx_get(sv);
    if (!*x) {
        reply_error(rq, 500, "out of memory");
        return NULL;
    }
    struct store *s = ctx_store(sv, *x, rq);
    if (!s) {
        ctx_put(sv, *x);
        *x = NULL;
    }
    return s;
}

void api_notices(struct srv *sv, struct MHD_Connection *c, struct req *rq)
{
    (void)c;
    struct ctx *x;
    struct store *s = reader(sv, rq, &x);
    if (s) {
        reply_json(rq, 200);
        struct notice_out o = {&rq->out, 0, buf_puts(&rq->out, "{\"notices\":[")};
        int rc = o.rc == RB_OK ? store_notices_iterate(s, on_notice, &o) : o.rc;
        if (rc != RB_OK && o.rc == RB_OK)
            reply_error(rq, 500, store_error(s));
        else if (o.rc != RB_OK)
            oom(rq, o.rc);
        else
            oom(rq, buf_puts(&rq->out, "]}\n"));
        ctx_put(sv, x);
    }
}

/* ---- suppressions
 * --------------------------------------------------------------------------------- */

static int supp_json(struct buf *b, const char *addr, bool found, const struct store_suppression *e)
{
    int first = 1;
    int rc = buf_putc(b, '{');
    if (rc == RB_OK)
        rc = json_key_str(b, &first, "address", addr);
    if (rc == RB_OK)
        rc = json_key_bool(b, &first, "suppressed", found);
    if (found) {
        char t[32];
        iso_time(e->since, t, sizeof t);
        if (rc == RB_OK)
            rc = json_key_str(b, &first, "reason", e->reason);
        if (rc == RB_OK)
            rc = json_key_str(b, &first, "rule", e->rule);
        if (rc == RB_OK)
            rc = json_key_str(b, &first, "since", t);
        if (rc == RB_OK)
            rc = json_key_str(b, &first, "event_keys", e->event_keys);
    }
    if (rc == RB_OK)
        rc = buf_putc(b, '}');
    return rc;
}

/* address_arg - the normalised address of the path; false with a 400 set */
static bool address_arg(struct req *rq, char *addr, size_t cap)
{
    if (!rq->arg || !strchr(rq->arg, '@') ||
        !suppress_normalize(rq->arg, strlen(rq->arg), addr, cap)) {
        reply_error(rq, 400, "not an email address");
        return false;
    }
    return true;
}

void api_supp_get(struct srv *sv, struct MHD_Connection *c, struct req *rq)
{
    (void)c;
    char addr[SUPPRESS_MAX_ADDRESS];
    if (!address_arg(rq, addr, sizeof addr))
        return;
    struct ctx *x;
    struct store *s = reader(sv, rq, &x);
    if (s) {
        struct store_suppression e;
        bool found;
        if (store_suppress_get(s, addr, &e, &found) != RB_OK) {
            reply_error(rq, 500, store_error(s));
        } else {
            reply_json(rq, 200);
            int rc = supp_json(&rq->out, addr, found, &e);
            if (rc == RB_OK)
                rc = buf_putc(&rq->out, '\n');
            oom(rq, rc);
        }
        ctx_put(sv, x);
    }
}

void api_supp_put(struct srv *sv, struct MHD_Connection *c, struct req *rq)
{
    char addr[SUPPRESS_MAX_ADDRESS];
    if (!address_arg(rq, addr, sizeof addr))
        return;
    const char *reason = "manual";
    json_t *doc = NULL;
    if (rq->len) { /* optional {"reason": "..."} */
        json_error_t jerr;
        doc = json_loadb(rq->body, rq->len, 0, &jerr);
        const char *r = doc ? json_string_value(json_object_get(doc, "reason")) : NULL;
        if (!doc || !json_is_object(doc) || (json_object_get(doc, "reason") && !r) ||
            (r && (!r[0] || strlen(r) > 64))) {
            json_decref(doc);
            reply_error(rq, 400, "the body is optional; when given: {\"reason\": \"word\"}");
            return;
        }
        if (r)
            reason = r;
    }
    struct job *j = job_new(JOB_SUPP_SET, c);
    if (j) {
        j->supp.address = arena_strdup(&j->ar, addr);
        j->supp.reason = arena_strdup(&j->ar, reason);
        j->supp.rule = "manual";
        j->supp.event_keys = "";
        j->supp.since = (long long)time(NULL);
        j->replace = query(c, "replace") != NULL;
    }
    json_decref(doc);
    if (!j || !j->supp.address || !j->supp.reason) {
        job_free(j);
        reply_error(rq, 500, "out of memory");
        return;
    }
    rq->job = j;
    submit(sv, c, rq);
}

void api_supp_delete(struct srv *sv, struct MHD_Connection *c, struct req *rq)
{
    char addr[SUPPRESS_MAX_ADDRESS];
    if (!address_arg(rq, addr, sizeof addr))
        return;
    struct job *j = job_new(JOB_SUPP_REMOVE, c);
    if (j)
        j->supp.address = arena_strdup(&j->ar, addr);
    if (!j || !j->supp.address) {
        job_free(j);
        reply_error(rq, 500, "out of memory");
        return;
    }
    rq->job = j;
    submit(sv, c, rq);
}

/* api_check - pre-send check of addresses (the body: one per line) */
void api_check(struct srv *sv, struct MHD_Connection *c, struct req *rq)
{
    (void)c;
    struct ctx *x;
    struct store *s = reader(sv, rq, &x);
    if (!s)
        return;
    reply_json(rq, 200);
    int rc = buf_puts(&rq->out, "{\"results\":[");
    unsigned long n = 0, bad = 0, hit = 0;
    for (const char *p = rq->body, *end = rq->body + rq->len; p < end && rc == RB_OK;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        size_t len = (size_t)(e - p);
        while (len && (p[len - 1] == '\r' || p[len - 1] == ' '))
            len--;
        const char *line = p;
        p = e + 1;
        if (!len)
            continue;
        if (n >= CHECK_MAX_ADDRESSES) {
            reply_error(rq, 413, "at most 100000 addresses per request");
            rc = -1;
            break;
        }
        char addr[SUPPRESS_MAX_ADDRESS];
        if (n++)
            rc = buf_putc(&rq->out, ',');
        if (rc != RB_OK)
            break;
        if (!memchr(line, '@', len) || !suppress_normalize(line, len, addr, sizeof addr)) {
            int first = 1;
            bad++;
            rc = buf_putc(&rq->out, '{');
            if (rc == RB_OK)
                rc = json_key_strn(&rq->out, &first, "address", line, len);
            if (rc == RB_OK)
                rc = json_key_str(&rq->out, &first, "verdict", "invalid");
            if (rc == RB_OK)
                rc = buf_putc(&rq->out, '}');
            continue;
        }
        struct store_suppression se;
        bool found;
        if (store_suppress_get(s, addr, &se, &found) != RB_OK) {
            reply_error(rq, 500, store_error(s));
            rc = -1;
            break;
        }
        hit += found;
        rc = supp_json(&rq->out, addr, found, &se);
    }
    if (rc == RB_OK)
        rc = buf_printf(&rq->out, "],\"checked\":%lu,\"suppressed\":%lu,\"invalid\":%lu}\n", n, hit,
                        bad);
    if (rc != -1)
        oom(rq, rc);
    ctx_put(sv, x);
}

/* ---- metrics
 * ------------------------------------------------------------------------------------------ */

void api_metrics(struct srv *sv, struct MHD_Connection *c, struct req *rq)
{
    (void)c;
    static const char *const codes[ST__COUNT] = {"200", "400", "401", "404",  "405",
                                                 "413", "500", "503", "other"};
    pthread_mutex_lock(&sv->q_mu);
    size_t queued = sv->q_events;
    pthread_mutex_unlock(&sv->q_mu);
    reply_json(rq, 200);
    rq->ctype = "text/plain; version=0.0.4; charset=utf-8";
    struct buf *b = &rq->out;
    int rc = buf_printf(
        b,
        "# HELP rebound_events_stored_total Events stored (new) since the store was created.\n"
        "# TYPE rebound_events_stored_total counter\n"
        "rebound_events_stored_total %llu\n"
        "# HELP rebound_events_duplicate_total Events received again and not stored twice.\n"
        "# TYPE rebound_events_duplicate_total counter\n"
        "rebound_events_duplicate_total %llu\n"
        "# HELP rebound_suppressions Addresses on the suppression list.\n"
        "# TYPE rebound_suppressions gauge\n"
        "rebound_suppressions %llu\n"
        "# HELP rebound_notices Notices waiting for a person (SNS confirmations).\n"
        "# TYPE rebound_notices gauge\n"
        "rebound_notices %llu\n"
        "# HELP rebound_write_queue_events Events waiting for the writer.\n"
        "# TYPE rebound_write_queue_events gauge\n"
        "rebound_write_queue_events %zu\n"
        "# HELP rebound_write_queue_full_total Requests refused with 503 (queue full).\n"
        "# TYPE rebound_write_queue_full_total counter\n"
        "rebound_write_queue_full_total %llu\n"
        "# HELP rebound_commits_total Group commits of the writer.\n"
        "# TYPE rebound_commits_total counter\n"
        "rebound_commits_total %llu\n"
        "# HELP rebound_commit_seconds_total Time spent in group commits.\n"
        "# TYPE rebound_commit_seconds_total counter\n"
        "rebound_commit_seconds_total %.6f\n"
        "# HELP rebound_uptime_seconds Seconds since the server started.\n"
        "# TYPE rebound_uptime_seconds gauge\n"
        "rebound_uptime_seconds %lld\n"
        "# HELP rebound_http_responses_total HTTP responses by status.\n"
        "# TYPE rebound_http_responses_total counter\n",
        (unsigned long long)atomic_load(&sv->events), (unsigned long long)atomic_load(&sv->dups),
        (unsigned long long)atomic_load(&sv->suppressions),
        (unsigned long long)atomic_load(&sv->notices), queued,
        (unsigned long long)atomic_load(&sv->queue_full),
        (unsigned long long)atomic_load(&sv->commits), (double)atomic_load(&sv->commit_us) / 1e6,
        (long long)time(NULL) - sv->started);
    for (int i = 0; i < ST__COUNT && rc == RB_OK; i++)
        rc = buf_printf(b, "rebound_http_responses_total{code=\"%s\"} %llu\n", codes[i],
                        (unsigned long long)atomic_load(&sv->status[i]));
    if (rc == RB_OK)
        rc = buf_puts(b, "# HELP rebound_webhook_requests_total Webhook requests by receiver.\n"
                         "# TYPE rebound_webhook_requests_total counter\n");
    for (int h = 0; h < HOOK__COUNT && rc == RB_OK; h++)
        rc = buf_printf(b, "rebound_webhook_requests_total{receiver=\"%s\"} %llu\n",
                        server_hook_names[h],
                        (unsigned long long)atomic_load(&sv->hook_requests[h]));
    if (rc == RB_OK)
        rc = buf_puts(b, "# HELP rebound_webhook_events_total Events received by receiver.\n"
                         "# TYPE rebound_webhook_events_total counter\n");
    for (int h = 0; h < HOOK__COUNT && rc == RB_OK; h++)
        rc = buf_printf(b, "rebound_webhook_events_total{receiver=\"%s\"} %llu\n",
                        server_hook_names[h], (unsigned long long)atomic_load(&sv->hook_events[h]));
    oom(rq, rc);
}

/* ---- the answer of a finished job
 * ------------------------------------------------------------------- */

void job_reply(struct srv *sv, struct req *rq)
{
    (void)sv;
    struct job *j = rq->job;
    if (j->rc != RB_OK) {
        reply_error(rq, 500, j->err);
        return;
    }
    reply_json(rq, 200);
    int rc = RB_OK, first = 1;
    switch (j->kind) {
    case JOB_EVENTS:
        rc = buf_printf(&rq->out,
                        "{\"stored\":%lu,\"duplicates\":%lu,\"ignored\":%lu,\"suppressed\":%lu}\n",
                        j->stored, j->dups, rq->ignored, j->suppressed);
        break;
    case JOB_SUPP_SET:
    case JOB_SUPP_REMOVE:
        rc = buf_putc(&rq->out, '{');
        if (rc == RB_OK)
            rc = json_key_str(&rq->out, &first, "address", j->supp.address);
        if (rc == RB_OK)
            rc = json_key_bool(&rq->out, &first, j->kind == JOB_SUPP_SET ? "added" : "removed",
                               j->changed);
        if (rc == RB_OK)
            rc = buf_puts(&rq->out, "}\n");
        break;
    case JOB_NOTICE:
        rc = buf_putc(&rq->out, '{');
        if (rc == RB_OK)
            rc = json_key_str(&rq->out, &first, "notice", j->changed ? "recorded" : "known");
        if (rc == RB_OK)
            rc = json_key_str(&rq->out, &first, "kind", j->notice.kind);
        if (rc == RB_OK)
            rc = json_key_str(&rq->out, &first, "url", j->notice.url);
        if (rc == RB_OK)
            rc = buf_puts(&rq->out, "}\n");
        break;
    }
    oom(rq, rc);
}
