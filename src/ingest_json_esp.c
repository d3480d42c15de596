/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest_json_esp.c - JSON decoders of the webhook sources: Amazon SES (SNS notifications,
 *                     event publishing, Firehose records), SendGrid, Mailgun, Postmark.
 *
 * DESCRIPTION
 *   Each decoder turns one document into one event per recipient (struct ingest_ev with
 *   slices into the jansson document) and emits it. The event kind follows the source's
 *   own event type; codes go to replycode/status when the source has separate fields, the
 *   receiver's words to text; a reason hint is set only where the source's type is
 *   specific about the recipient's mailbox (SES NoEmail, MailboxFull ...), never from a
 *   type that also covers sender-side blocks. Engagement events (open, click, send,
 *   processed, accepted ...) are counted as ignored.
 *
 *   Webhook authentication (SNS signatures, Mailgun's HMAC "signature" block, SendGrid's
 *   signed events) is not checked here: ingest reads stored payloads; a server receiving
 *   them live verifies them before storing.
 *
 * SEE ALSO
 *   ingest_json.c (splitter, dispatch), ingest_json_mta.c (SparkPost, Mandrill, KumoMTA).
 */
#include <string.h>

#include "ingest_json.h"

/* ---- Amazon SES ---------------------------------------------------------------------------- */

/* bounceSubType -> reason, only where it is specific about the mailbox or message */
static rb_reason ses_subtype_hint(json_t *bounce)
{
    static const struct {
        const char *name;
        rb_reason hint;
    } map[] = {
        {"NoEmail", RB_REASON_USERUNKNOWN},
        {"MailboxFull", RB_REASON_MAILBOXFULL},
        {"MessageTooLarge", RB_REASON_MESGTOOBIG},
        {"ContentRejected", RB_REASON_CONTENTERROR},
        {"AttachmentRejected", RB_REASON_CONTENTERROR},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (json_is(bounce, "bounceSubType", map[i].name))
            return map[i].hint;
    return RB_REASON_UNDEFINED;
}

/* the fields every SES event shares, from "mail" */
static void ses_mail(struct json_ctx *cx, json_t *mail, struct ingest_ev *e)
{
    e->sender = addr_spec(js(cx, mail, "source"));
    e->queueid = js(cx, mail, "messageId");
    e->messageid = addr_spec(js(cx, jget(mail, "commonHeaders"), "messageId"));
    jtime(jget(mail, "timestamp"), &e->ts, &e->tzoff);
    json_t *tags = jget(mail, "tags");
    const char *key;
    json_t *val;
    json_object_foreach(tags, key, val)
    {
        if (strcmp(key, "ses:outgoing-ip") == 0)
            e->sending_ip = jfirst(cx, val);
        else if (strcmp(key, "ses:from-domain") == 0)
            e->sending_domain = jfirst(cx, val);
        else if (strncmp(key, "ses:", 4) != 0 && !e->campaign.len &&
                 memmem_ci(key, strlen(key), "campaign", 8))
            e->campaign = jfirst(cx, val);
    }
}

/* reportingMTA names the receiver's MTA when it wrote the DSN, SES's own host otherwise */
static struct slice ses_rhost(struct json_ctx *cx, json_t *o)
{
    struct slice h = strip_type(js(cx, o, "reportingMTA"));
    static const char ses[] = "amazonses.com";
    if (h.len >= sizeof ses - 1 && mem_eq_ci(h.p + h.len - (sizeof ses - 1), ses, sizeof ses - 1))
        return slice_make("", 0);
    return h;
}

int json_ses(struct json_ctx *cx, json_t *doc)
{
    json_t *tv = jget(doc, "notificationType");
    if (!tv)
        tv = jget(doc, "eventType");
    struct slice type = jv(cx, tv);
    json_t *mail = jget(doc, "mail");
    struct ingest_ev e;
    ingest_ev_init(&e, RB_EVENT_UNKNOWN, NULL);
    e.format = "ses";
    ses_mail(cx, mail, &e);
    int rc = RB_OK;
    size_t i;
    json_t *r;
    if (slice_eq_ci(type, "Bounce")) {
        json_t *b = jget(doc, "bounce");
        bool suppressed = json_is(b, "bounceSubType", "Suppressed") ||
                          json_is(b, "bounceSubType", "OnAccountSuppressionList");
        e.kind = suppressed ? RB_EVENT_DROPPED : RB_EVENT_BOUNCED;
        e.hint = ses_subtype_hint(b);
        e.rhost = ses_rhost(cx, b);
        e.rhost_ip = js(cx, b, "remoteMtaIp");
        e.event_id = js(cx, b, "feedbackId");
        jtime(jget(b, "timestamp"), &e.ts, &e.tzoff);
        json_array_foreach(jget(b, "bouncedRecipients"), i, r)
        {
            e.recipient = addr_spec(js(cx, r, "emailAddress"));
            e.status = js(cx, r, "status");
            e.text = strip_type(js(cx, r, "diagnosticCode"));
            if (!e.text.len && suppressed)
                e.text = SLICE_LIT("Amazon SES did not send to an address on its suppression "
                                   "list");
            rc = json_emit(cx, &e);
            if (rc != RB_OK)
                return rc;
        }
        return rc;
    }
    if (slice_eq_ci(type, "Complaint")) {
        json_t *c = jget(doc, "complaint");
        e.kind = RB_EVENT_COMPLAINT;
        e.feedbacktype = js(cx, c, "complaintFeedbackType");
        e.event_id = js(cx, c, "feedbackId");
        jtime(jget(c, "timestamp"), &e.ts, &e.tzoff);
        json_array_foreach(jget(c, "complainedRecipients"), i, r)
        {
            e.recipient = addr_spec(js(cx, r, "emailAddress"));
            rc = json_emit(cx, &e);
            if (rc != RB_OK)
                return rc;
        }
        return rc;
    }
    if (slice_eq_ci(type, "Delivery")) {
        json_t *d = jget(doc, "delivery");
        e.kind = RB_EVENT_DELIVERED;
        e.text = js(cx, d, "smtpResponse");
        e.rhost_ip = js(cx, d, "remoteMtaIp");
        jtime(jget(d, "timestamp"), &e.ts, &e.tzoff);
        json_t *ms = jget(d, "processingTimeMillis");
        if (json_is_integer(ms))
            e.delay = (double)json_integer_value(ms) / 1000.0;
        json_array_foreach(jget(d, "recipients"), i, r)
        {
            e.recipient = addr_spec(jv(cx, r));
            rc = json_emit(cx, &e);
            if (rc != RB_OK)
                return rc;
        }
        return rc;
    }
    if (slice_eq_ci(type, "DeliveryDelay")) {
        json_t *d = jget(doc, "deliveryDelay");
        e.kind = RB_EVENT_DEFERRED;
        if (json_is(d, "delayType", "MailboxFull"))
            e.hint = RB_REASON_MAILBOXFULL;
        e.rhost_ip = js(cx, d, "remoteMtaIp");
        e.rhost = ses_rhost(cx, d);
        jtime(jget(d, "timestamp"), &e.ts, &e.tzoff);
        json_array_foreach(jget(d, "delayedRecipients"), i, r)
        {
            e.recipient = addr_spec(js(cx, r, "emailAddress"));
            e.status = js(cx, r, "status");
            e.text = strip_type(js(cx, r, "diagnosticCode"));
            rc = json_emit(cx, &e);
            if (rc != RB_OK)
                return rc;
        }
        return rc;
    }
    if (slice_eq_ci(type, "Reject")) {
        /* SES found a virus and sent nothing: every destination is dropped */
        e.kind = RB_EVENT_DROPPED;
        e.text = js(cx, jget(doc, "reject"), "reason");
        e.hint = RB_REASON_VIRUSDETECTED;
        json_array_foreach(jget(mail, "destination"), i, r)
        {
            e.recipient = addr_spec(jv(cx, r));
            rc = json_emit(cx, &e);
            if (rc != RB_OK)
                return rc;
        }
        return rc;
    }
    if (slice_eq_ci(type, "Rendering Failure")) {
        /* the template could not be rendered: nothing was sent to any destination */
        e.kind = RB_EVENT_DROPPED;
        e.text = js(cx, jget(doc, "failure"), "errorMessage");
        json_array_foreach(jget(mail, "destination"), i, r)
        {
            e.recipient = addr_spec(jv(cx, r));
            rc = json_emit(cx, &e);
            if (rc != RB_OK)
                return rc;
        }
        return rc;
    }
    /* Send, Open, Click, Subscription, AmazonSnsSubscriptionSucceeded */
    return ingest_ignored(cx->ig);
}

int json_sns(struct json_ctx *cx, json_t *doc)
{
    if (!json_is(doc, "Type", "Notification"))
        return ingest_ignored(cx->ig); /* SubscriptionConfirmation, UnsubscribeConfirmation */
    json_t *m = jget(doc, "Message");
    if (!json_is_string(m))
        return ingest_malformed(cx->ig, "json: SNS notification without a Message");
    const char *p = json_string_value(m);
    size_t n = json_string_length(m);
    if (cx->nest >= 2)
        return ingest_malformed(cx->ig, "json: SNS envelopes nested too deep");
    if (!json_depth_ok(p, n, JSON_MAX_DEPTH))
        return ingest_malformed(cx->ig, "json: document nested deeper than 64");
    json_error_t err;
    json_t *inner = json_loadb(p, n, 0, &err);
    if (!inner)
        return ingest_malformed(cx->ig, "json: SNS Message is not JSON");
    cx->nest++;
    int rc = json_dispatch(cx, inner);
    cx->nest--;
    json_decref(inner);
    return rc;
}

/* ---- SendGrid ------------------------------------------------------------------------------ */

int json_sendgrid(struct json_ctx *cx, json_t *doc)
{
    struct slice ev = js(cx, doc, "event");
    struct ingest_ev e;
    ingest_ev_init(&e, RB_EVENT_UNKNOWN, NULL);
    e.format = "sendgrid";
    if (slice_eq_ci(ev, "delivered"))
        e.kind = RB_EVENT_DELIVERED;
    else if (slice_eq_ci(ev, "deferred"))
        e.kind = RB_EVENT_DEFERRED;
    else if (slice_eq_ci(ev, "bounce") || slice_eq_ci(ev, "blocked"))
        e.kind = RB_EVENT_BOUNCED; /* type "bounce" or "blocked": the receiver refused it */
    else if (slice_eq_ci(ev, "dropped"))
        e.kind = RB_EVENT_DROPPED;
    else if (slice_eq_ci(ev, "spamreport"))
        e.kind = RB_EVENT_COMPLAINT;
    else if (slice_eq_ci(ev, "processed") || slice_eq_ci(ev, "open") || slice_eq_ci(ev, "click") ||
             slice_eq_ci(ev, "unsubscribe") || slice_eq_ci(ev, "group_unsubscribe") ||
             slice_eq_ci(ev, "group_resubscribe"))
        return ingest_ignored(cx->ig);
    else /* not SendGrid's vocabulary: another sender's flat event (Brevo ...) */
        return jget(doc, "sg_event_id") ? ingest_ignored(cx->ig) : json_generic(cx, doc);
    e.recipient = addr_spec(js(cx, doc, "email"));
    e.sender = addr_spec(js(cx, doc, "from"));
    jtime(jget(doc, "timestamp"), &e.ts, &e.tzoff);
    e.event_id = js(cx, doc, "sg_event_id");
    e.queueid = js(cx, doc, "sg_message_id");
    e.messageid = addr_spec(js(cx, doc, "smtp-id"));
    e.sending_ip = js(cx, doc, "ip");
    e.campaign = jfirst(cx, jget(doc, "category"));
    if (!e.campaign.len)
        e.campaign = js(cx, doc, "marketing_campaign_name");
    if (!e.campaign.len)
        e.campaign = js(cx, doc, "singlesend_name");
    if (!e.campaign.len)
        e.campaign = js(cx, doc, "marketing_campaign_id");
    e.status = js(cx, doc, "status");
    e.text = js(cx, doc, "reason");
    if (!e.text.len)
        e.text = js(cx, doc, "response");
    if (e.kind == RB_EVENT_COMPLAINT)
        e.feedbacktype = SLICE_LIT("abuse");
    /* SendGrid's own drop reasons that say what is wrong with the address or message */
    if (e.kind == RB_EVENT_DROPPED && slice_eq_ci(e.text, "Invalid"))
        e.hint = RB_REASON_USERUNKNOWN;
    else if (e.kind == RB_EVENT_DROPPED && e.text.len >= 12 &&
             mem_eq_ci(e.text.p, "Spam Content", 12))
        e.hint = RB_REASON_SPAMDETECTED;
    return json_emit(cx, &e);
}

/* ---- Mailgun ------------------------------------------------------------------------------- */

/* campaign key: campaigns, user-variables.campaign, tags (the first of each list) */
static struct slice mailgun_campaign(struct json_ctx *cx, json_t *d)
{
    struct slice c = jfirst(cx, jget(d, "campaigns"));
    if (!c.len)
        c = js(cx, jget(d, "user-variables"), "campaign");
    if (!c.len)
        c = jfirst(cx, jget(d, "tags"));
    return c;
}

int json_mailgun(struct json_ctx *cx, json_t *d)
{
    struct slice ev = js(cx, d, "event");
    struct ingest_ev e;
    ingest_ev_init(&e, RB_EVENT_UNKNOWN, NULL);
    e.format = "mailgun";
    struct slice reason = js(cx, d, "reason");
    if (slice_eq_ci(ev, "delivered")) {
        e.kind = RB_EVENT_DELIVERED;
    } else if (slice_eq_ci(ev, "failed")) {
        bool temp = json_is(d, "severity", "temporary");
        e.kind = temp ? RB_EVENT_DEFERRED : RB_EVENT_BOUNCED;
        /* suppress-bounce/-unsubscribe/-complaint: Mailgun did not try; "old": given up */
        if (reason.len >= 9 && mem_eq_ci(reason.p, "suppress-", 9))
            e.kind = RB_EVENT_DROPPED;
        else if (slice_eq_ci(reason, "old") && !temp)
            e.kind = RB_EVENT_EXPIRED;
    } else if (slice_eq_ci(ev, "rejected")) {
        e.kind = RB_EVENT_DROPPED;
    } else if (slice_eq_ci(ev, "complained")) {
        e.kind = RB_EVENT_COMPLAINT;
        e.feedbacktype = SLICE_LIT("abuse");
    } else { /* accepted, opened, clicked, unsubscribed, stored, list_member_uploaded ... */
        return ingest_ignored(cx->ig);
    }
    e.recipient = addr_spec(js(cx, d, "recipient"));
    e.event_id = js(cx, d, "id");
    jtime(jget(d, "timestamp"), &e.ts, &e.tzoff);
    json_t *env = jget(d, "envelope");
    e.sender = addr_spec(js(cx, env, "sender"));
    e.sending_ip = js(cx, env, "sending-ip");
    json_t *msg = jget(d, "message");
    e.messageid = addr_spec(js(cx, jget(msg, "headers"), "message-id"));
    if (!e.sender.len)
        e.sender = addr_spec(js(cx, jget(msg, "headers"), "from"));
    e.campaign = mailgun_campaign(cx, d);
    json_t *ds = jget(d, "delivery-status");
    long long code = jint(jget(ds, "code"));
    if (code >= 200 && code < 600)
        e.replycode = (int)code;
    e.status = js(cx, ds, "enhanced-code");
    e.rhost = js(cx, ds, "mx-host");
    e.text = js(cx, ds, "message");
    if (!e.text.len)
        e.text = js(cx, ds, "description");
    json_t *rj = jget(d, "reject");
    if (!e.text.len && rj)
        e.text = js(cx, rj, "reason");
    if (!e.text.len && e.kind != RB_EVENT_DELIVERED && e.kind != RB_EVENT_COMPLAINT)
        e.text = reason;
    return json_emit(cx, &e);
}

/* one item of an Events API page, or of a Bounces API page (address, code, error) */
int json_mailgun_list(struct json_ctx *cx, json_t *it)
{
    if (json_is_string(jget(it, "event")))
        return json_mailgun(cx, it);
    if (!jget(it, "address") || !jget(it, "error"))
        return ingest_malformed(cx->ig, "json: document of an unknown shape");
    struct ingest_ev e;
    ingest_ev_init(&e, RB_EVENT_BOUNCED, NULL);
    e.format = "mailgun";
    struct slice a = js(cx, it, "address");
    while (a.len && (a.p[0] == '\'' || a.p[0] == '"'))
        a.p++, a.len--;
    e.recipient = addr_spec(a);
    long long code = jint(jget(it, "code"));
    if (code >= 200 && code < 600)
        e.replycode = (int)code;
    e.text = js(cx, it, "error");
    jtime(jget(it, "created_at"), &e.ts, &e.tzoff);
    return json_emit(cx, &e);
}

/* ---- Postmark ------------------------------------------------------------------------------ */

/* Bounce Type -> kind and hint (https://postmarkapp.com/developer/api/bounce-api) */
static const struct postmark_type {
    const char *name;
    rb_event_kind kind; /* RB_EVENT_UNKNOWN: no delivery event (ignored) */
    rb_reason hint;
} postmark_types[] = {
    {"HardBounce", RB_EVENT_BOUNCED, RB_REASON_UNDEFINED},
    {"SoftBounce", RB_EVENT_BOUNCED, RB_REASON_UNDEFINED},
    {"Transient", RB_EVENT_DEFERRED, RB_REASON_UNDEFINED},
    {"DnsError", RB_EVENT_DEFERRED, RB_REASON_NETWORKERROR},
    {"OpenRelayTest", RB_EVENT_DEFERRED, RB_REASON_UNDEFINED},
    {"BadEmailAddress", RB_EVENT_BOUNCED, RB_REASON_USERUNKNOWN},
    {"VirusNotification", RB_EVENT_BOUNCED, RB_REASON_VIRUSDETECTED},
    {"Blocked", RB_EVENT_BOUNCED, RB_REASON_BLOCKED},
    {"DMARCPolicy", RB_EVENT_BOUNCED, RB_REASON_AUTHFAILURE},
    {"SpamNotification", RB_EVENT_COMPLAINT, RB_REASON_UNDEFINED},
    {"SpamComplaint", RB_EVENT_COMPLAINT, RB_REASON_UNDEFINED},
    {"ManuallyDeactivated", RB_EVENT_DROPPED, RB_REASON_UNDEFINED},
    {"Unconfirmed", RB_EVENT_DROPPED, RB_REASON_UNDEFINED},
    {"SMTPApiError", RB_EVENT_DROPPED, RB_REASON_UNDEFINED},
    {"TemplateRenderingFailed", RB_EVENT_DROPPED, RB_REASON_UNDEFINED},
    {"Unknown", RB_EVENT_BOUNCED, RB_REASON_UNDEFINED},
    /* Unsubscribe, Subscribe, AutoResponder, AddressChange, ChallengeVerification,
     * InboundError: not about delivery; ignored */
};

int json_postmark(struct json_ctx *cx, json_t *doc)
{
    struct slice rt = js(cx, doc, "RecordType");
    struct ingest_ev e;
    ingest_ev_init(&e, RB_EVENT_UNKNOWN, NULL);
    e.format = "postmark";
    e.queueid = js(cx, doc, "MessageID");
    e.campaign = js(cx, doc, "Tag");
    e.sender = addr_spec(js(cx, doc, "From"));
    if (slice_eq_ci(rt, "Delivery")) {
        e.kind = RB_EVENT_DELIVERED;
        e.recipient = addr_spec(js(cx, doc, "Recipient"));
        e.text = js(cx, doc, "Details");
        jtime(jget(doc, "DeliveredAt"), &e.ts, &e.tzoff);
        return json_emit(cx, &e);
    }
    if (slice_eq_ci(rt, "SubscriptionChange"))
        /* a suppression-list change, not a delivery: a HardBounce or SpamComplaint one
         * repeats the Bounce / SpamComplaint webhook already counted */
        return ingest_ignored(cx->ig);
    if (rt.len && !slice_eq_ci(rt, "Bounce") && !slice_eq_ci(rt, "SpamComplaint"))
        return ingest_ignored(cx->ig); /* Open, Click, Inbound ... */
    struct slice type = js(cx, doc, "Type");
    const struct postmark_type *pt = NULL;
    for (size_t i = 0; i < sizeof postmark_types / sizeof postmark_types[0]; i++)
        if (slice_eq_ci(type, postmark_types[i].name))
            pt = &postmark_types[i];
    if (slice_eq_ci(rt, "SpamComplaint"))
        e.kind = RB_EVENT_COMPLAINT;
    else if (pt)
        e.kind = pt->kind, e.hint = pt->hint;
    else if (type.len)
        return ingest_ignored(cx->ig);
    else
        e.kind = RB_EVENT_BOUNCED;
    if (e.kind == RB_EVENT_COMPLAINT) {
        e.hint = RB_REASON_UNDEFINED;
        e.feedbacktype = SLICE_LIT("abuse");
    }
    e.recipient = addr_spec(js(cx, doc, "Email"));
    e.event_id = js(cx, doc, "ID");
    /* Details holds the receiver's reply when there is one; Description is Postmark's
     * explanation of the Type */
    e.text = strip_type(js(cx, doc, "Details"));
    if (!e.text.len)
        e.text = js(cx, doc, "Description");
    jtime(jget(doc, "BouncedAt"), &e.ts, &e.tzoff);
    return json_emit(cx, &e);
}
