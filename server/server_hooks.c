/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * server_hooks.c - webhook receivers of `rebound serve`: Amazon SES (SNS envelope),
 *                  SendGrid, Mailgun (signed), Postmark, SparkPost and generic JSON.
 *
 * DESCRIPTION
 *   Every receiver hands the body to librebound's JSON event reader (the same code as
 *   `rebound ingest`), which tells the providers' shapes apart per document; the path only
 *   names the receiver for the metrics and for what must be checked first:
 *   - SES: an SNS SubscriptionConfirmation (or UnsubscribeConfirmation) is recorded as a
 *     notice with its URL for a person to visit. It is never fetched: fetching a URL named
 *     by a request would let anyone who can post here make the server call out.
 *   - Mailgun: the "signature" block (HMAC-SHA256 of timestamp + token under the signing
 *     key) must verify, or the request is refused with 401.
 *   Events get their keys here (the provider's event id, so a redelivered webhook is stored
 *   once) and go to the writer as one job; the answer waits for the commit.
 */
#define _GNU_SOURCE /* memmem */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hmac_sha256.h"
#include "json_out.h"
#include "server_int.h"

struct collect {
    struct job *j;
};

static int on_event(const rb_event *e, void *ud)
{
    struct collect *cl = ud;
    char addr[SUPPRESS_MAX_ADDRESS];
    struct store_event se;
    store_event_from_rb(&se, e, addr);
    store_event_key(&se);
    return job_add_event(cl->j, &se);
}

static int ignore_event(const rb_event *e, void *ud)
{
    (void)e;
    (void)ud;
    return 0;
}

static const char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* sns_control - an SNS subscription message: record it as a notice; true when handled */
static bool sns_control(struct srv *sv, struct MHD_Connection *c, struct req *rq)
{
    const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-amz-sns-message-type");
    bool maybe = (type && strstr(type, "Confirmation")) ||
                 memmem(rq->body, rq->len, "SubscriptionConfirmation", 24) != NULL ||
                 memmem(rq->body, rq->len, "UnsubscribeConfirmation", 23) != NULL;
    if (!maybe)
        return false;
    json_error_t jerr;
    json_t *doc = json_loadb(rq->body, rq->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        return false; /* the reader says why it is broken */
    const char *t = jstr(doc, "Type");
    bool sub = strcmp(t, "SubscriptionConfirmation") == 0;
    if (!sub && strcmp(t, "UnsubscribeConfirmation") != 0) {
        json_decref(doc);
        return false;
    }
    struct job *j = job_new(JOB_NOTICE, c);
    char text[1024];
    snprintf(text, sizeof text,
             "Amazon SNS asks to %s this endpoint %s topic %.300s. rebound never fetches the "
             "URL: visit it yourself once if you expect this topic.",
             sub ? "confirm the subscription of" : "confirm the removal of", sub ? "to" : "from",
             jstr(doc, "TopicArn"));
    const char *url = jstr(doc, sub ? "SubscribeURL" : "UnsubscribeURL");
    if (j) {
        j->notice.time = (long long)time(NULL);
        j->notice.kind = arena_strdup(&j->ar, sub ? "ses-subscription" : "ses-unsubscribe");
        j->notice.source = arena_strdup(&j->ar, jstr(doc, "TopicArn"));
        j->notice.url = arena_strdup(&j->ar, url);
        j->notice.text = arena_strdup(&j->ar, text);
    }
    json_decref(doc);
    if (!j || !j->notice.kind || !j->notice.source || !j->notice.url || !j->notice.text) {
        job_free(j);
        reply_error(rq, 500, "out of memory");
        return true;
    }
    rq->job = j;
    submit(sv, c, rq);
    return true;
}

/* mailgun_verified - whether the body's signature block verifies; else a 401 is set */
static bool mailgun_verified(struct srv *sv, struct req *rq)
{
    if (!sv->o.mailgun_key || !sv->o.mailgun_key[0]) {
        reply_error(rq, 401, "no Mailgun signing key configured (--mailgun-key): refused");
        return false;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(rq->body, rq->len, 0, &jerr);
    if (!doc) {
        char msg[300];
        snprintf(msg, sizeof msg, "malformed JSON at line %d column %d: %s", jerr.line, jerr.column,
                 jerr.text);
        reply_error(rq, 400, msg);
        return false;
    }
    json_t *sig = json_object_get(doc, "signature");
    const char *ts = jstr(sig, "timestamp"), *token = jstr(sig, "token"),
               *hex = jstr(sig, "signature");
    char msg[512];
    int n = snprintf(msg, sizeof msg, "%s%s", ts, token);
    bool ok = false;
    if (ts[0] && token[0] && n > 0 && (size_t)n < sizeof msg) {
        unsigned char mac[SHA256_BYTES];
        hmac_sha256(sv->o.mailgun_key, strlen(sv->o.mailgun_key), msg, (size_t)n, mac);
        ok = hmac_sha256_hex_equal(mac, hex, strlen(hex));
    }
    json_decref(doc);
    if (!ok)
        reply_error(rq, 401, "the Mailgun signature does not verify with the signing key");
    return ok;
}

void hook_receive(struct srv *sv, struct MHD_Connection *c, struct req *rq)
{
    atomic_fetch_add(&sv->hook_requests[rq->hook], 1);
    if (!rq->len) {
        reply_error(rq, 400, "empty body: a webhook posts JSON");
        return;
    }
    if ((rq->hook == HOOK_SES || rq->hook == HOOK_GENERIC) && sns_control(sv, c, rq))
        return;
    if (rq->hook == HOOK_MAILGUN && !mailgun_verified(sv, rq))
        return;
    struct ctx *x = ctx_get(sv);
    struct job *j = x ? job_new(JOB_EVENTS, c) : NULL;
    if (!j) {
        ctx_put(sv, x);
        reply_error(rq, 500, "out of memory");
        return;
    }
    struct collect cl = {j};
    rb_ingest_stats before, after;
    rb_ingest_get_stats(x->ig, &before);
    int rc = rb_ingest_feed(x->ig, rq->body, rq->len, on_event, &cl);
    if (rc == RB_OK)
        rc = rb_ingest_end(x->ig, on_event, &cl);
    else
        rb_ingest_end(x->ig, ignore_event, NULL); /* resets the reader for the next body */
    rb_ingest_get_stats(x->ig, &after);
    if (rc == RB_EPARSE) {
        char msg[600];
        snprintf(msg, sizeof msg, "malformed webhook body: %s", rb_ingest_error(x->ig));
        reply_error(rq, 400, msg);
    } else if (rc != RB_OK) {
        reply_error(rq, 500, rb_strerror(rc));
    }
    ctx_put(sv, x);
    rq->ignored = (unsigned long)(after.ignored - before.ignored);
    if (rc != RB_OK) {
        job_free(j);
        return;
    }
    if (!j->nev) { /* nothing to store: answer at once */
        job_free(j);
        reply_json(rq, 200);
        if (buf_printf(&rq->out, "{\"stored\":0,\"duplicates\":0,\"ignored\":%lu}\n",
                       rq->ignored) != RB_OK)
            reply_error(rq, 500, "out of memory");
        return;
    }
    atomic_fetch_add(&sv->hook_events[rq->hook], j->nev);
    rq->job = j;
    submit(sv, c, rq);
}
