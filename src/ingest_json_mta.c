/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest_json_mta.c - JSON decoders of the MTA-flavoured sources: SparkPost/Momentum message
 *                     events, Mandrill webhooks, KumoMTA log records, and a generic fallback
 *                     for flat event objects of other senders.
 *
 * DESCRIPTION
 *   As in ingest_json_esp.c: one event per recipient, the source's event type decides the
 *   kind, its bounce class becomes a reason hint only where the class is specific (SparkPost
 *   bounce_class 10 "Invalid Recipient", KumoMTA InvalidRecipient, Mandrill bad_mailbox), so
 *   a sender-side block is never turned into an address-level reason.
 *
 *   The generic fallback accepts a flat object that names a recipient (an address with '@'
 *   under a usual key) and an event word or a failure text, so exports of other senders
 *   (Brevo, Resend, Postal ...) give events instead of skips; anything else is skipped as a
 *   document of an unknown shape.
 *
 * SEE ALSO
 *   ingest_json.c, ../shared/corpus/logs/esp/sparkpost/support-docs/bounce-classification-
 *   codes.tsv (SparkPost's classes), KumoMTA's docs/reference/log_record.md.
 */
#include <string.h>

#include "ingest_json.h"

/* ---- SparkPost / Momentum ------------------------------------------------------------------ */

enum { BC_KEEP, BC_DROPPED, BC_IGNORED };

/* bounce_class -> hint (SparkPost's bounce classification codes) */
static const struct sparkpost_class {
    int code;
    rb_reason hint;
    int kind; /* BC_*: Admin failures were never attempted; auto-replies are no failure */
} sparkpost_classes[] = {
    {1, RB_REASON_UNDEFINED, BC_KEEP},      /* Undetermined */
    {10, RB_REASON_USERUNKNOWN, BC_KEEP},   /* Invalid Recipient */
    {20, RB_REASON_UNDEFINED, BC_KEEP},     /* Soft Bounce */
    {21, RB_REASON_NETWORKERROR, BC_KEEP},  /* DNS Failure */
    {22, RB_REASON_MAILBOXFULL, BC_KEEP},   /* Mailbox Full */
    {23, RB_REASON_MESGTOOBIG, BC_KEEP},    /* Too Large */
    {24, RB_REASON_EXPIRED, BC_KEEP},       /* Timeout */
    {25, RB_REASON_UNDEFINED, BC_DROPPED},  /* Admin Failure (SparkPost's own policy) */
    {30, RB_REASON_UNDEFINED, BC_KEEP},     /* Generic Bounce: No RCPT */
    {40, RB_REASON_UNDEFINED, BC_KEEP},     /* Generic Bounce */
    {50, RB_REASON_BLOCKED, BC_KEEP},       /* Mail Block */
    {51, RB_REASON_BLOCKED, BC_KEEP},       /* Spam Block */
    {52, RB_REASON_SPAMDETECTED, BC_KEEP},  /* Spam Content */
    {53, RB_REASON_CONTENTERROR, BC_KEEP},  /* Prohibited Attachment */
    {54, RB_REASON_NORELAYING, BC_KEEP},    /* Relaying Denied */
    {60, RB_REASON_VACATION, BC_IGNORED},   /* Auto-Reply */
    {70, RB_REASON_UNDEFINED, BC_KEEP},     /* Transient Failure */
    {80, RB_REASON_UNDEFINED, BC_IGNORED},  /* Subscribe */
    {90, RB_REASON_UNDEFINED, BC_IGNORED},  /* Unsubscribe */
    {100, RB_REASON_UNDEFINED, BC_IGNORED}, /* Challenge-Response */
};

static const struct {
    const char *type;
    rb_event_kind kind;
} sparkpost_types[] = {
    {"bounce", RB_EVENT_BOUNCED},
    {"inband", RB_EVENT_BOUNCED},
    {"out_of_band", RB_EVENT_BOUNCED},
    {"outofband", RB_EVENT_BOUNCED},
    {"delay", RB_EVENT_DEFERRED},
    {"tempfail", RB_EVENT_DEFERRED},
    {"transient_failure", RB_EVENT_DEFERRED},
    {"delivery", RB_EVENT_DELIVERED},
    {"spam_complaint", RB_EVENT_COMPLAINT},
    {"feedback", RB_EVENT_COMPLAINT},
    {"policy_rejection", RB_EVENT_DROPPED},
    {"generation_rejection", RB_EVENT_DROPPED},
    {"generation_failure", RB_EVENT_DROPPED},
    /* injection, reception, open, click, list_unsubscribe ...: ignored */
};

int json_sparkpost(struct json_ctx *cx, json_t *doc)
{
    json_t *m = doc, *msys = jget(doc, "msys");
    if (msys) {
        /* {"msys": {"message_event": {...}}} (or track_event, gen_event, relay_event ...) */
        const char *key;
        json_t *val;
        m = NULL;
        json_object_foreach(msys, key, val)
        {
            if (json_is_object(val)) {
                m = val;
                break;
            }
        }
        if (!m)
            return ingest_ignored(cx->ig); /* {"msys":{}}: the webhook's test ping */
    }
    struct slice type = js(cx, m, "type");
    struct ingest_ev e;
    ingest_ev_init(&e, RB_EVENT_UNKNOWN, NULL);
    e.format = "sparkpost";
    for (size_t i = 0; i < sizeof sparkpost_types / sizeof sparkpost_types[0]; i++)
        if (slice_eq_ci(type, sparkpost_types[i].type))
            e.kind = sparkpost_types[i].kind;
    if (e.kind == RB_EVENT_UNKNOWN)
        return ingest_ignored(cx->ig);
    long long bc = jint(jget(m, "bounce_class"));
    if (bc && e.kind != RB_EVENT_DELIVERED && e.kind != RB_EVENT_COMPLAINT) {
        for (size_t i = 0; i < sizeof sparkpost_classes / sizeof sparkpost_classes[0]; i++) {
            const struct sparkpost_class *c = &sparkpost_classes[i];
            if (c->code != bc)
                continue;
            if (c->kind == BC_IGNORED)
                return ingest_ignored(cx->ig);
            if (c->kind == BC_DROPPED)
                e.kind = RB_EVENT_DROPPED;
            e.hint = c->hint;
        }
    }
    e.recipient = addr_spec(js(cx, m, "rcpt_to"));
    if (!e.recipient.len)
        e.recipient = addr_spec(js(cx, m, "raw_rcpt_to"));
    e.sender = addr_spec(js(cx, m, "friendly_from"));
    if (!e.sender.len)
        e.sender = addr_spec(js(cx, m, "msg_from"));
    e.queueid = js(cx, m, "message_id");
    e.event_id = js(cx, m, "event_id");
    e.campaign = js(cx, m, "campaign_id");
    e.sending_ip = js(cx, m, "sending_ip");
    e.vmta = js(cx, m, "ip_pool");
    e.rhost_ip = js(cx, m, "ip_address");
    e.feedbacktype = js(cx, m, "fbtype");
    jtime(jget(m, "timestamp"), &e.ts, &e.tzoff);
    long long code = jint(jget(m, "error_code"));
    if (code >= 200 && code < 600)
        e.replycode = (int)code;
    e.text = js(cx, m, "raw_reason");
    if (!e.text.len)
        e.text = js(cx, m, "reason");
    return json_emit(cx, &e);
}

/* ---- Mandrill ------------------------------------------------------------------------------ */

int json_mandrill(struct json_ctx *cx, json_t *doc)
{
    struct slice ev = js(cx, doc, "event");
    json_t *msg = jget(doc, "msg");
    struct ingest_ev e;
    ingest_ev_init(&e, RB_EVENT_UNKNOWN, NULL);
    e.format = "mandrill";
    if (slice_eq_ci(ev, "send"))
        e.kind = RB_EVENT_DELIVERED;
    else if (slice_eq_ci(ev, "deferral"))
        e.kind = RB_EVENT_DEFERRED;
    else if (slice_eq_ci(ev, "hard_bounce") || slice_eq_ci(ev, "soft_bounce"))
        e.kind = RB_EVENT_BOUNCED;
    else if (slice_eq_ci(ev, "spam"))
        e.kind = RB_EVENT_COMPLAINT;
    else if (slice_eq_ci(ev, "reject"))
        e.kind = RB_EVENT_DROPPED;
    else /* open, click, unsub, inbound, whitelist, blacklist */
        return ingest_ignored(cx->ig);
    if (!json_is_object(msg))
        return ingest_malformed(cx->ig, "json: Mandrill event without msg");
    e.recipient = addr_spec(js(cx, msg, "email"));
    e.sender = addr_spec(js(cx, msg, "sender"));
    e.queueid = js(cx, msg, "_id");
    if (!jtime(jget(doc, "ts"), &e.ts, &e.tzoff))
        jtime(jget(msg, "ts"), &e.ts, &e.tzoff);
    e.campaign = js(cx, jget(msg, "metadata"), "campaign");
    if (!e.campaign.len)
        e.campaign = jfirst(cx, jget(msg, "tags"));
    e.text = strip_type(js(cx, msg, "diag"));
    /* the last SMTP attempt: its reply and the addresses on both ends */
    json_t *se = jget(msg, "smtp_events");
    size_t n = json_array_size(se);
    if (n) {
        json_t *last = json_array_get(se, n - 1);
        if (!e.text.len)
            e.text = strip_type(js(cx, last, "diag"));
        e.sending_ip = js(cx, last, "source_ip");
        e.rhost_ip = js(cx, last, "destination_ip");
    }
    struct slice bd = js(cx, msg, "bounce_description");
    if (slice_eq_ci(bd, "bad_mailbox"))
        e.hint = RB_REASON_USERUNKNOWN;
    else if (slice_eq_ci(bd, "invalid_domain"))
        e.hint = RB_REASON_HOSTUNKNOWN;
    else if (slice_eq_ci(bd, "mailbox_full"))
        e.hint = RB_REASON_MAILBOXFULL;
    if (!e.text.len && e.kind == RB_EVENT_DROPPED)
        e.text = js(cx, jget(msg, "reject"), "reason");
    if (!e.text.len && e.kind != RB_EVENT_DELIVERED)
        e.text = bd;
    if (e.kind == RB_EVENT_COMPLAINT) {
        e.hint = RB_REASON_UNDEFINED;
        e.feedbacktype = SLICE_LIT("abuse");
    }
    return json_emit(cx, &e);
}

/* ---- KumoMTA ------------------------------------------------------------------------------- */

/* bounce_classification -> hint (KumoMTA's BounceClass names) */
static const struct {
    const char *name;
    rb_reason hint;
} kumo_classes[] = {
    {"InvalidRecipient", RB_REASON_USERUNKNOWN},
    {"BadDomain", RB_REASON_HOSTUNKNOWN},
    {"InactiveMailbox", RB_REASON_SUSPEND},
    {"QuotaIssues", RB_REASON_MAILBOXFULL},
    {"MessageExpired", RB_REASON_EXPIRED},
    {"SpamContent", RB_REASON_SPAMDETECTED},
    {"SpamBlock", RB_REASON_BLOCKED},
    {"RelayDenied", RB_REASON_NORELAYING},
    {"ContentRelated", RB_REASON_CONTENTERROR},
    {"ProhibitedAttachment", RB_REASON_CONTENTERROR},
    {"AuthenticationFailed", RB_REASON_AUTHFAILURE},
    {"PolicyRelated", RB_REASON_POLICYVIOLATION},
    {"DNSFailure", RB_REASON_NETWORKERROR},
    {"NoAnswerFromHost", RB_REASON_NETWORKERROR},
    {"BadConnection", RB_REASON_NETWORKERROR},
    {"InvalidSender", RB_REASON_REJECTED},
    {"ProtocolErrors", RB_REASON_SYNTAXERROR},
    {"MessageTooLarge", RB_REASON_MESGTOOBIG},
};

static const struct {
    const char *type;
    rb_event_kind kind;
} kumo_types[] = {
    {"Delivery", RB_EVENT_DELIVERED}, {"Bounce", RB_EVENT_BOUNCED},
    {"OOB", RB_EVENT_BOUNCED},        {"TransientFailure", RB_EVENT_DEFERRED},
    {"Expiration", RB_EVENT_EXPIRED}, {"AdminBounce", RB_EVENT_DROPPED},
    {"Rejection", RB_EVENT_DROPPED},  {"Feedback", RB_EVENT_COMPLAINT},
    /* Reception, Delayed, Any: no delivery outcome */
};

/* emit e once per recipient: KumoMTA writes an array for a multi-recipient batch */
static int kumo_emit(struct json_ctx *cx, struct ingest_ev *e, json_t *rcpt)
{
    if (!json_is_array(rcpt)) {
        e->recipient = addr_spec(jv(cx, rcpt));
        return json_emit(cx, e);
    }
    size_t i;
    json_t *r;
    int rc = RB_OK;
    json_array_foreach(rcpt, i, r)
    {
        e->recipient = addr_spec(jv(cx, r));
        rc = json_emit(cx, e);
        if (rc != RB_OK)
            break;
    }
    return rc;
}

int json_kumomta(struct json_ctx *cx, json_t *doc)
{
    struct slice type = js(cx, doc, "type");
    struct ingest_ev e;
    ingest_ev_init(&e, RB_EVENT_UNKNOWN, NULL);
    e.format = "kumomta";
    for (size_t i = 0; i < sizeof kumo_types / sizeof kumo_types[0]; i++)
        if (slice_eq_ci(type, kumo_types[i].type))
            e.kind = kumo_types[i].kind;
    if (e.kind == RB_EVENT_UNKNOWN)
        return ingest_ignored(cx->ig);
    struct slice cls = js(cx, doc, "bounce_classification");
    if (e.kind != RB_EVENT_DELIVERED && e.kind != RB_EVENT_COMPLAINT)
        for (size_t i = 0; i < sizeof kumo_classes / sizeof kumo_classes[0]; i++)
            if (slice_eq_ci(cls, kumo_classes[i].name))
                e.hint = kumo_classes[i].hint;
    e.sender = addr_spec(js(cx, doc, "sender"));
    e.queueid = js(cx, doc, "id");
    if (!jtime(jget(doc, "timestamp"), &e.ts, &e.tzoff))
        jtime(jget(doc, "event_time"), &e.ts, &e.tzoff);
    /* a Feedback record's response and peer are the report's submission, not a delivery */
    json_t *resp = e.kind == RB_EVENT_COMPLAINT ? NULL : jget(doc, "response");
    json_t *peer = e.kind == RB_EVENT_COMPLAINT ? NULL : jget(doc, "peer_address");
    long long code = jint(jget(resp, "code"));
    if (code >= 200 && code < 600)
        e.replycode = (int)code;
    json_t *ec = jget(resp, "enhanced_code");
    if (json_is_object(ec))
        e.status = json_fmt(cx, "%lld.%lld.%lld", jint(jget(ec, "class")),
                            jint(jget(ec, "subject")), jint(jget(ec, "detail")));
    e.text = js(cx, resp, "content");
    e.command = smtp_command(js(cx, resp, "command"));
    e.rhost = js(cx, peer, "name");
    if (e.rhost.len && e.rhost.p[e.rhost.len - 1] == '.')
        e.rhost.len--; /* the MX name as DNS wrote it */
    e.rhost_ip = js(cx, peer, "addr");
    e.sending_ip = host_of(js(cx, jget(doc, "source_address"), "address"));
    e.vmta = js(cx, doc, "egress_source");
    if (!e.vmta.len)
        e.vmta = js(cx, doc, "egress_pool");
    /* campaign: a logged meta field, else the campaign part of the queue name
     * "[campaign:][tenant@]domain" */
    json_t *meta = jget(doc, "meta");
    e.campaign = js(cx, meta, "campaign");
    if (!e.campaign.len)
        e.campaign = js(cx, doc, "campaign");
    if (!e.campaign.len)
        e.campaign = js(cx, meta, "tenant");
    if (!e.campaign.len)
        e.campaign = js(cx, doc, "tenant");
    struct slice q = js(cx, doc, "queue");
    const char *colon = q.len ? memchr(q.p, ':', q.len) : NULL;
    if (!e.campaign.len && colon)
        e.campaign = slice_make(q.p, (size_t)(colon - q.p));
    json_t *hdrs = jget(doc, "headers");
    e.messageid = addr_spec(js(cx, hdrs, "Message-ID"));
    if (!e.messageid.len)
        e.messageid = addr_spec(js(cx, hdrs, "Message-Id"));
    json_t *rcpt = jget(doc, "recipient");
    if (e.kind == RB_EVENT_COMPLAINT) {
        json_t *fr = jget(doc, "feedback_report");
        e.feedbacktype = js(cx, fr, "feedback_type");
        if (!rcpt || (json_is_string(rcpt) && !json_string_length(rcpt)))
            rcpt = jget(fr, "original_rcpto_to");
        if (!e.sender.len)
            e.sender = addr_spec(js(cx, fr, "original_mail_from"));
        if (!e.ts)
            jtime(jget(fr, "arrival_date"), &e.ts, &e.tzoff);
    }
    return kumo_emit(cx, &e, rcpt);
}

/* ---- generic flat events ------------------------------------------------------------------- */

/* the first member among keys[] with a value, or NULL */
static json_t *first_of(json_t *o, const char *const *keys)
{
    for (; *keys; keys++) {
        json_t *v = jget(o, *keys);
        if (v && !json_is_null(v))
            return v;
    }
    return NULL;
}

/* event word -> kind (case-insensitive substring tests, most specific first) */
static rb_event_kind generic_kind(struct slice w)
{
    static const struct {
        const char *word;
        rb_event_kind kind;
    } words[] = {
        {"soft", RB_EVENT_BOUNCED},       {"hard", RB_EVENT_BOUNCED},
        {"bounce", RB_EVENT_BOUNCED},     {"fail", RB_EVENT_BOUNCED},
        {"defer", RB_EVENT_DEFERRED},     {"delay", RB_EVENT_DEFERRED},
        {"complain", RB_EVENT_COMPLAINT}, {"spam", RB_EVENT_COMPLAINT},
        {"drop", RB_EVENT_DROPPED},       {"reject", RB_EVENT_DROPPED},
        {"suppress", RB_EVENT_DROPPED},   {"block", RB_EVENT_BOUNCED},
        {"expire", RB_EVENT_EXPIRED},     {"deliver", RB_EVENT_DELIVERED},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (w.len && memmem_ci(w.p, w.len, words[i].word, strlen(words[i].word)))
            return words[i].kind;
    return RB_EVENT_UNKNOWN;
}

int json_generic(struct json_ctx *cx, json_t *doc)
{
    static const char *const rcpt_keys[] = {"recipient",    "email",   "Email", "rcpt_to", "rcpt",
                                            "emailAddress", "address", "to",    NULL};
    static const char *const kind_keys[] = {"event",  "type",  "event_type", "eventType",
                                            "status", "state", "RecordType", NULL};
    static const char *const text_keys[] = {
        "reason",        "error",         "diagnostic_code", "diagnosticCode", "response",
        "smtp_response", "bounce_reason", "message",         "description",    NULL};
    static const char *const time_keys[] = {"timestamp", "ts",   "ts_event",   "ts_epoch",
                                            "time",      "date", "created_at", NULL};
    static const char *const code_keys[] = {"code", "smtp_code", "status_code", NULL};
    static const char *const fail_keys[] = {"error",         "diagnostic_code", "diagnosticCode",
                                            "bounce_reason", "smtp_response",   NULL};
    static const char *const nested[] = {"data", "payload", "event", NULL};
    json_t *o = doc;
    struct slice rcpt = addr_spec(jfirst(cx, first_of(o, rcpt_keys)));
    if (!memchr(rcpt.p ? rcpt.p : "", '@', rcpt.len)) {
        /* one level down: {"type": "email.bounced", "data": {...}} */
        for (const char *const *k = nested; *k; k++) {
            json_t *in = jget(doc, *k);
            if (!json_is_object(in))
                continue;
            rcpt = addr_spec(jfirst(cx, first_of(in, rcpt_keys)));
            if (rcpt.len && memchr(rcpt.p, '@', rcpt.len)) {
                o = in;
                break;
            }
        }
    }
    if (!rcpt.len || !memchr(rcpt.p, '@', rcpt.len))
        return ingest_malformed(cx->ig, "json: document of an unknown shape");
    struct ingest_ev e;
    ingest_ev_init(&e, RB_EVENT_UNKNOWN, NULL);
    e.recipient = rcpt;
    struct slice word = jv(cx, first_of(doc, kind_keys));
    e.kind = generic_kind(word);
    if (e.kind == RB_EVENT_UNKNOWN && o != doc)
        e.kind = generic_kind(jv(cx, first_of(o, kind_keys)));
    json_t *tv = first_of(o, text_keys);
    if (json_is_object(tv)) /* {"bounce": {"message": ...}} shapes */
        tv = first_of(tv, text_keys);
    e.text = jv(cx, tv);
    long long code = jint(first_of(o, code_keys));
    if (code >= 200 && code < 600)
        e.replycode = (int)code;
    /* without an event word, only a failure code or a failure field makes it an event (not
     * an API reply such as {"message": "Address added", "address": ...}) */
    if (e.kind == RB_EVENT_UNKNOWN && !word.len && (code >= 400 || first_of(o, fail_keys)))
        e.kind = code >= 400 && code < 500 ? RB_EVENT_DEFERRED : RB_EVENT_BOUNCED;
    if (e.kind == RB_EVENT_UNKNOWN)
        return ingest_ignored(cx->ig); /* opens, clicks, sends of some other sender */
    if (!jtime(first_of(o, time_keys), &e.ts, &e.tzoff))
        jtime(first_of(doc, time_keys), &e.ts, &e.tzoff);
    e.sender = addr_spec(jfirst(cx, jget(o, "from")));
    e.queueid = js(cx, o, "message_id");
    if (!e.queueid.len)
        e.queueid = js(cx, o, "messageId");
    e.messageid = addr_spec(js(cx, o, "message-id"));
    e.event_id = js(cx, doc, "id");
    return json_emit(cx, &e);
}
