/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mta_provider.c - dialects of hosted mail providers and ESPs (see dialect.h for the contract).
 *
 * DESCRIPTION
 *   Each dialect is chosen by the header evidence the provider always leaves (its
 *   MAILER-DAEMON address, Subject wording, X-* fields) and reads the plain-text notice the
 *   provider really writes:
 *     Google Groups  "the group you tried to contact ... may not exist": X-Failed-Recipients
 *     Gmail          (old text notices) "Delivery to the following recipient failed
 *                    permanently:", "Technical details of ... failure:", "(state N)"
 *     WorkMail       RFC 3464 fields printed after "Technical report:" (X-SES-Outgoing)
 *     AmazonSES      SNS JSON notifications (Bounce, Complaint, Delivery); with the
 *                    dialect amend hook (DIALECT_AMEND), the remote reply SES quotes inside
 *                    its own Diagnostic-Code ("550-'5.2.2 ...'", "<421 4.4.2 ...>")
 *     Zoho           "addr Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 ..." and
 *                    "[Status: Error, Address: <addr>, ResponseCode 421, ...]" (X-ZohoMail)
 *     Verizon        vtext.com / vzwpix.com gateway notices ("Error message below:")
 *     EinsUndEins    1&1 kundenserver notices ("For the following reason:")
 *     GMX            GMX / mail.com notices ('"addr":', "SMTP error ... after RCPT command:",
 *                    "host:"), chosen by X-GMX-Antispam
 *     ARF (JMRP)     Microsoft JMRP / SES complaint relays without a feedback-report part
 *                    (recipient in the attached message's X-HmXmrOriginalRecipient)
 *     ARF (Apple)    Apple Mail unsubscribe requests (X-Apple-Unsubscribe: true): opt-out
 *     RFC3834        iCloud vacation replies (X-Apple-Action: VACATION)
 *     SendGrid       amend hook only: "Action: expired" in SendGrid's reports means expired
 *   When the MIME reader found no text part (a multipart without boundary lines, a nested
 *   Content-Type broken across lines) the raw top-level body is read instead.
 *   Facts about each format come from the providers' own notices as documented by Sisimai
 *   (lib/Sisimai/Lhost/<name>.pm); the code here is our own.
 *
 * LIMITS
 *   Only bp->notice up to bp->notice_end is read; every index is bounded by that length, so
 *   records() is safe on any bytes. Diagnostics are cut at PROV_MAX_DIAG bytes and at most
 *   PROV_MAX_LIST recipients are read from one X-Failed-Recipients field. JSON is not parsed
 *   as a whole: named string members are looked up between bounds, which is enough for the
 *   flat SES notification and safe on junk.
 *
 * SEE ALSO
 *   dialect.h (the contract), bounce_text.c (the generic fallback), mta_vendor.c.
 */
#include <string.h>

#include "dialect.h"
#include "textutil.h"

#define PROV_MAX_DIAG 2048 /* bytes of diagnostic text kept per record */
#define PROV_MAX_LIST 1000 /* addresses read from one header list */

/* ---- helpers -------------------------------------------------------------------------- */

/* diag_put - append line to the diagnostic being built in bp->tmp, one space between
 * lines, up to PROV_MAX_DIAG bytes. */
static void diag_put(struct rb_parser *bp, struct slice line)
{
    line = slice_trim(line);
    if (!line.len || bp->tmp.len >= PROV_MAX_DIAG)
        return;
    if (line.len > PROV_MAX_DIAG - bp->tmp.len)
        line.len = PROV_MAX_DIAG - bp->tmp.len;
    if (bp->tmp.len && buf_putc(&bp->tmp, ' ') != RB_OK)
        return;
    if (buf_append(&bp->tmp, line.p, line.len) != RB_OK)
        bp->defects |= RB_DEFECT_LIMIT;
}

/* first_addr - the first email address in (p, n), or an empty slice. */
static struct slice first_addr(const char *p, size_t n)
{
    size_t pos = 0;
    struct slice a = {p, 0};
    if (!p || !addr_find(p, n, &pos, &a))
        a.len = 0;
    return a;
}

/* precise_status - does (p, n) hold an enhanced status code with non-zero subject and
 * detail ("5.7.1", not "5.0.0" or "5.1.0")? */
static int precise_status(const char *p, size_t n)
{
    for (size_t i = 0; i + 5 <= n; i++) {
        if ((p[i] != '4' && p[i] != '5') || p[i + 1] != '.' ||
            (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9'))
            continue;
        size_t k = i + 2, s = k;
        while (k < n && p[k] >= '0' && p[k] <= '9')
            k++;
        if (k == s || k >= n || p[k] != '.' || (k - s == 1 && p[s] == '0'))
            continue;
        size_t d = ++k;
        while (k < n && p[k] >= '0' && p[k] <= '9')
            k++;
        if (k > d && !(k - d == 1 && p[d] == '0'))
            return 1;
    }
    return 0;
}

/* ---- Google Groups -------------------------------------------------------------------- */

/* A post to a group that does not exist or does not accept the poster: Google answers from
 * mailer-daemon@googlemail.com with X-Failed-Recipients (the group) and a notice that lists
 * four possible causes as "* " bullets. Sisimai calls the four-bullet notice "rejected". */
static int ggroups_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    struct slice v;
    return dl_hdr_has(hdr, "From", "mailer-daemon@googlemail.com") &&
           dl_hdr_has(hdr, "Subject", "Delivery Status Notification") &&
           mime_hdr_find(hdr, "X-Failed-Recipients", &v) &&
           mime_hdr_find(hdr, "X-Google-Smtp-Source", &v);
}

static int ggroups_records(struct rb_parser *bp, struct slice hdr)
{
    struct slice v;
    if (!mime_hdr_find(hdr, "X-Failed-Recipients", &v))
        return RB_OK;
    const char *p = bp->notice.p;
    size_t n = bp->notice_end;
    /* the diagnostic: the notice's first paragraphs; count the cause bullets */
    buf_reset(&bp->tmp);
    size_t pos = 0, bullets = 0;
    struct slice line;
    while (p && dl_next_line(p, n, &pos, &line)) {
        struct slice t = slice_trim(line);
        if (t.len && t.p[0] == '*')
            bullets++;
        diag_put(bp, line);
    }
    size_t diag = arena_add(bp, bp->tmp.p, bp->tmp.len);
    int rc = RB_OK;
    size_t apos = 0;
    struct slice a;
    for (size_t k = 0; k < PROV_MAX_LIST && addr_find(v.p, v.len, &apos, &a); k++) {
        if (prec_find(bp, a) >= 0)
            continue;
        struct prec *r = dl_rec_new(bp, a, &rc);
        if (!r)
            break;
        r->diag = diag;
        r->hint = bullets == 4 ? RB_REASON_REJECTED : RB_REASON_ONHOLD;
    }
    return rc;
}

static const struct dialect googlegroups = {
    .name = "GoogleGroups", .detect = ggroups_detect, .records = ggroups_records};

/* ---- Gmail (text notices) ------------------------------------------------------------- */

/* Gmail's own session states, printed as "(state N)" after the remote reply. */
static const struct {
    const char *state;
    const char *command;
    rb_reason reason;
} gmail_states[] = {
    {"6", "MAIL", RB_REASON_SYSTEMERROR},  /* remote server does not support TLS */
    {"8", "AUTH", RB_REASON_SYSTEMERROR},  /* SMTP AUTH failed with the remote server */
    {"9", "AUTH", RB_REASON_SYSTEMERROR},  /* TLS certificate trouble */
    {"12", "AUTH", RB_REASON_NORELAYING},  /* no SMTP Authenticated Relay */
    {"13", "EHLO", RB_REASON_BLOCKED},     /* refused at the greeting */
    {"14", "RCPT", RB_REASON_USERUNKNOWN}, /* refused at RCPT */
    {"15", "DATA", RB_REASON_FILTERED},    /* refused after DATA */
    {"17", "DATA", RB_REASON_FILTERED},    {"18", "DATA", RB_REASON_FILTERED},
};

/* Gmail's own wording when no remote reply is quoted. */
static const struct {
    const char *text;
    rb_reason reason;
} gmail_phrases[] = {
    {"DNS Error: Could not contact DNS servers", RB_REASON_EXPIRED},
    {"Delivery to the following recipient has been delayed", RB_REASON_EXPIRED},
    {"The recipient server did not accept our requests to connect", RB_REASON_EXPIRED},
    {"DNS Error: Domain name not found", RB_REASON_HOSTUNKNOWN},
    {"DNS Error: DNS server returned answer with no data", RB_REASON_HOSTUNKNOWN},
};

static int gmail_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    return dl_hdr_has(hdr, "From", "mailer-daemon@googlemail.com") &&
           dl_hdr_has(hdr, "Subject", "Delivery Status Notification");
}

/* gmail_finish - hint, command and remote host of record r from its diagnostic. A precise
 * status code quoted from the remote server outranks Gmail's session state. */
static void gmail_finish(struct rb_parser *bp, struct prec *r)
{
    const char *d = bp->tmp.p;
    size_t n = bp->tmp.len;
    if (!d)
        return;
    /* "... (state 14)." */
    const char *st = NULL;
    for (const char *s = memmem_ci(d, n, "(state ", 7); s;
         s = memmem_ci(s + 7, n - (size_t)(s + 7 - d), "(state ", 7))
        st = s + 7;
    if (st && !precise_status(d, n)) {
        size_t k = 0;
        while (st + k < d + n && st[k] >= '0' && st[k] <= '9')
            k++;
        for (size_t i = 0; i < sizeof gmail_states / sizeof gmail_states[0]; i++)
            if (strlen(gmail_states[i].state) == k && memcmp(st, gmail_states[i].state, k) == 0) {
                r->hint = gmail_states[i].reason;
                r->command =
                    arena_add(bp, gmail_states[i].command, strlen(gmail_states[i].command));
            }
    }
    /* "Technical details of temporary failure:" */
    if (dl_has(d, n, "temporary failure"))
        r->temporary = 1;
    for (size_t i = 0; !r->hint && i < sizeof gmail_phrases / sizeof gmail_phrases[0]; i++)
        if (dl_has(d, n, gmail_phrases[i].text))
            r->hint = gmail_phrases[i].reason;
    /* "... rejected by the server for the recipient domain example.jp by mx.example.jp.
     * [192.0.2.1]." */
    const char *by = NULL;
    for (const char *s = memmem_ci(d, n, " by ", 4); s;
         s = memmem_ci(s + 4, n - (size_t)(s + 4 - d), " by ", 4))
        by = s + 4;
    if (by) {
        const char *e = by;
        while (e < d + n && *e != ' ' && *e != '[')
            e++;
        while (e > by && e[-1] == '.')
            e--;
        if (e < d + n && e > by && memchr(by, '.', (size_t)(e - by)) &&
            memmem_ci(e, (size_t)(d + n - e), ". [", 3) == e)
            r->rhost = arena_add(bp, by, (size_t)(e - by));
    }
}

static int gmail_records(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    const char *p = bp->notice.p;
    size_t n = bp->notice_end;
    size_t pos = 0;
    struct slice line;
    int started = 0, rc = RB_OK;
    struct prec *r = NULL;
    buf_reset(&bp->tmp);
    while (p && dl_next_line(p, n, &pos, &line)) {
        if (!started) {
            if (!dl_starts_with(line, "Delivery to the following recipient"))
                continue;
            started = 1;
        }
        struct slice t = slice_trim(line);
        struct slice a = first_addr(t.p, t.len);
        if (line.len && line.p[0] == ' ' && a.len &&
            a.p + a.len == t.p + t.len - (t.p[t.len - 1] == '>')) {
            /* "     kijitora@example.jp": a recipient */
            if (r) {
                r->diag = arena_add(bp, bp->tmp.p, bp->tmp.len);
                gmail_finish(bp, r);
                buf_reset(&bp->tmp);
            }
            r = dl_rec_new(bp, a, &rc);
            if (!r)
                return rc;
            continue;
        }
        diag_put(bp, line);
    }
    if (r) {
        r->diag = arena_add(bp, bp->tmp.p, bp->tmp.len);
        gmail_finish(bp, r);
    }
    return rc;
}

static const struct dialect gmail = {
    .name = "Gmail", .detect = gmail_detect, .records = gmail_records};

/* ---- Amazon WorkMail ------------------------------------------------------------------- */

/* WorkMail (X-Mailer or X-Original-Mailer "Amazon WorkMail", X-SES-Outgoing) writes its
 * RFC 3464 fields into the text part after a "Technical report:" line. SES wraps the last
 * remote reply of an expired message in angle brackets: "554 4.4.7 Message expired: unable
 * to deliver in 840 minutes.<421 4.4.2 Connection timed out>". */
static int workmail_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    struct slice v;
    return mime_hdr_find(hdr, "X-SES-Outgoing", &v) &&
           (dl_hdr_has(hdr, "X-Mailer", "Amazon WorkMail") ||
            dl_hdr_has(hdr, "X-Original-Mailer", "Amazon WorkMail"));
}

/* ses_inner - the remote reply SES quoted in "<421 4.4.2 ...>" inside d, or empty. */
static struct slice ses_inner(struct slice d)
{
    for (size_t i = 0; i + 5 < d.len; i++) {
        if (d.p[i] != '<' || d.p[i + 1] < '2' || d.p[i + 1] > '5' || d.p[i + 2] < '0' ||
            d.p[i + 2] > '9' || d.p[i + 3] < '0' || d.p[i + 3] > '9' || d.p[i + 4] != ' ')
            continue;
        const char *e = memchr(d.p + i, '>', d.len - i);
        if (e)
            return slice_make(d.p + i + 1, (size_t)(e - d.p) - i - 1);
    }
    return slice_make(d.p, 0);
}

/* embedded_dsn - records from RFC 3464 fields printed in the notice from offset off on. */
static int embedded_dsn(struct rb_parser *bp, size_t off)
{
    const char *p = bp->notice.p;
    size_t n = bp->notice_end;
    if (!p || off >= n)
        return RB_OK;
    int rc = dsn_parse(&bp->dsn, p + off, n - off);
    if (rc != RB_OK)
        return rc;
    if (bp->dsn.reporting_mta.len && !bp->lhost) {
        struct slice h = dsn_value_untyped(bp->dsn.reporting_mta);
        bp->lhost = arena_add(bp, h.p, h.len);
    }
    for (size_t i = 0; i < bp->dsn.nrcpt; i++) {
        const struct dsn_rcpt *d = &bp->dsn.rcpt[i];
        struct slice a = dsn_value_addr(d->final_recipient);
        if (!a.len)
            a = dsn_value_addr(d->original_recipient);
        if (!a.len || prec_find(bp, a) >= 0)
            continue;
        struct prec *r = dl_rec_new(bp, a, &rc);
        if (!r)
            return rc;
        struct slice act = slice_trim(d->action), st = slice_trim(d->status);
        struct slice dg = dsn_value_untyped(d->diagnostic_code);
        struct slice in = ses_inner(dg);
        r->action = arena_add(bp, act.p, act.len);
        if (in.len) {
            /* the remote server's own reply is the one that matters: put it first, then
             * SES's words about it without SES's own codes */
            if (dl_has(dg.p, dg.len, "Message expired"))
                r->hint = RB_REASON_EXPIRED;
            struct slice outer = slice_make(dg.p, (size_t)(in.p - 1 - dg.p));
            while (outer.len && ((outer.p[0] >= '0' && outer.p[0] <= '9') || outer.p[0] == '.' ||
                                 outer.p[0] == ' '))
                outer.p++, outer.len--;
            buf_reset(&bp->tmp);
            if (buf_append(&bp->tmp, in.p, in.len) != RB_OK ||
                buf_append(&bp->tmp, " (", 2) != RB_OK ||
                buf_append(&bp->tmp, outer.p, outer.len) != RB_OK ||
                buf_append(&bp->tmp, ")", 1) != RB_OK)
                bp->defects |= RB_DEFECT_LIMIT;
            r->diag = arena_add(bp, bp->tmp.p, bp->tmp.len);
        } else {
            r->status = arena_add(bp, st.p, st.len);
            r->diag = arena_add(bp, dg.p, dg.len);
        }
        struct slice rm = dsn_value_untyped(d->remote_mta);
        r->rhost = arena_add(bp, rm.p, rm.len);
    }
    return RB_OK;
}

static int workmail_records(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    const char *p = bp->notice.p;
    size_t n = bp->notice_end, pos = 0;
    struct slice line;
    while (dl_next_line(p, n, &pos, &line))
        if (dl_starts_with(slice_trim(line), "Technical report:"))
            return embedded_dsn(bp, pos);
    return RB_OK;
}

static const struct dialect workmail = {
    .name = "AmazonWorkMail", .detect = workmail_detect, .records = workmail_records};

/* ---- Amazon SES (RFC 3464 reports) ----------------------------------------------------- */

/* SES reports carry a Diagnostic-Code that wraps the remote server's last reply in SES's own
 * words and codes:
 *   smtp; 5.1.0 - Unknown address error 550-'5.2.2 <a@example.jp>... Mailbox Full'
 *       (delivery attempts: 0)
 *   smtp; 554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection
 *       timed out>
 * with a Status of SES's (5.0.0, 4.4.7). The quoted reply is the remote server's answer. */
static int ses_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    return dl_hdr_has(hdr, "From", "amazonses.com");
}

static int ses_records(struct rb_parser *bp, struct slice hdr)
{
    (void)bp, (void)hdr;
    return RB_OK; /* SES always sends an RFC 3464 report: see ses_amend */
}

#ifdef DIALECT_AMEND
/* ses_quoted - "550-'5.2.2 <a@b>... Mailbox Full'" in d: the reply from its code to the
 * closing quote, or empty. */
static struct slice ses_quoted(struct slice d)
{
    for (size_t i = 0; i + 5 < d.len; i++) {
        if (d.p[i + 3] != '-' || d.p[i + 4] != '\'' || d.p[i] < '2' || d.p[i] > '5' ||
            d.p[i + 1] < '0' || d.p[i + 1] > '9' || d.p[i + 2] < '0' || d.p[i + 2] > '9' ||
            (i > 0 && d.p[i - 1] != ' '))
            continue;
        const char *e = memchr(d.p + i + 5, '\'', d.len - i - 5);
        if (e)
            return slice_make(d.p + i, (size_t)(e - d.p) - i);
    }
    return slice_make(d.p, 0);
}

static int ses_amend(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    for (size_t i = 0; i < bp->nrec; i++) {
        struct prec *r = &bp->recs[i];
        const char *dp = arena_str(bp, r->diag);
        struct slice d = dsn_value_untyped(slice_make(dp, strlen(dp))); /* "smtp; ..." */
        struct slice in = ses_inner(d), q = ses_quoted(d);
        buf_reset(&bp->tmp);
        if (in.len) {
            struct slice outer = slice_make(d.p, (size_t)(in.p - 1 - d.p));
            while (outer.len && ((outer.p[0] >= '0' && outer.p[0] <= '9') || outer.p[0] == '.' ||
                                 outer.p[0] == ' '))
                outer.p++, outer.len--;
            if (dl_has(d.p, d.len, "Message expired"))
                r->hint = RB_REASON_EXPIRED;
            if (buf_append(&bp->tmp, in.p, in.len) != RB_OK ||
                buf_append(&bp->tmp, " (", 2) != RB_OK ||
                buf_append(&bp->tmp, outer.p, outer.len) != RB_OK ||
                buf_append(&bp->tmp, ")", 1) != RB_OK)
                bp->defects |= RB_DEFECT_LIMIT;
        } else if (q.len) {
            /* "550-'5.2.2 ...": the code, a space, the rest */
            if (buf_append(&bp->tmp, q.p, 3) != RB_OK || buf_putc(&bp->tmp, ' ') != RB_OK ||
                buf_append(&bp->tmp, q.p + 5, q.len - 5) != RB_OK)
                bp->defects |= RB_DEFECT_LIMIT;
        } else {
            continue;
        }
        if (precise_status(bp->tmp.p, bp->tmp.len))
            r->status = 0; /* SES's own status; the quoted reply carries the remote one */
        else if (d.len > 6 && (d.p[0] == '4' || d.p[0] == '5') && d.p[1] == '.' && d.p[2] >= '0' &&
                 d.p[2] <= '9' && d.p[3] == '.' && d.p[4] >= '0' && d.p[4] <= '9' &&
                 d.p[5] == ' ' && (d.p[2] != '0' || d.p[4] != '0')) {
            /* "5.3.0 - Other mail system problem": SES's code beats a bare 5.0.0 (copied
             * first: d lives in the arena, which arena_add may move) */
            char code[5];
            memcpy(code, d.p, sizeof code);
            r->status = arena_add(bp, code, sizeof code);
        }
        r->diag = arena_add(bp, bp->tmp.p, bp->tmp.len);
    }
    return RB_OK;
}
#endif /* DIALECT_AMEND */

static const struct dialect ses = {
    .name = "AmazonSES",
    .detect = ses_detect,
    .records = ses_records,
#ifdef DIALECT_AMEND
    .amend = ses_amend,
#endif
};

/* ---- Amazon SES notifications (JSON through SNS) --------------------------------------- */

/* An SNS e-mail subscription delivers SES event notifications as a JSON text body:
 *   {"notificationType":"Bounce","bounce":{"bouncedRecipients":[{"emailAddress":"a@b",
 *    "action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 ..."}], ...
 *   {"notificationType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":...
 *   {"notificationType":"Delivery",...,"delivery":{"recipients":["a@b"],
 *    "smtpResponse":"250 2.6.0 Message received", ...
 * Only string members are read, by name, inside the bounds of the notice. */
static int sesjson_detect(const struct rb_parser *bp, struct slice hdr)
{
    return dl_hdr_has(hdr, "From", "@sns.amazonaws.com") && bp->notice.p &&
           dl_has(bp->notice.p, bp->notice_end < 4096 ? bp->notice_end : 4096, "notificationType");
}

/* json_quote - length of a quote at q (`"` or, inside an SNS envelope, `\"`), or 0. */
static size_t json_quote(const char *q, const char *e)
{
    if (q < e && *q == '"')
        return 1;
    if (q + 1 < e && q[0] == '\\' && q[1] == '"')
        return 2;
    return 0;
}

/* json_str - the string value of member "name" searched in [p, e), raw (escapes kept).
 * The notification may be plain JSON or a JSON string inside the SNS envelope, where
 * every quote is escaped. */
static struct slice json_str(const char *p, const char *e, const char *name)
{
    size_t nl = strlen(name);
    for (const char *s = p; s < e;) {
        const char *k = memmem_ci(s, (size_t)(e - s), name, nl);
        if (!k)
            break;
        const char *v = k + nl;
        s = v;
        size_t qn = json_quote(v, e);
        if (k == p || k[-1] != '"' || !qn)
            continue;
        v += qn;
        while (v < e && (*v == ' ' || *v == ':' || *v == '\r' || *v == '\n'))
            v++;
        size_t vq = json_quote(v, e);
        if (!vq)
            continue;
        const char *q = v += vq;
        while (q < e) {
            if (vq == 1 && *q == '"')
                break;
            if (vq == 2 && json_quote(q, e) == 2)
                break;
            q += (vq == 1 && *q == '\\' && q + 1 < e) ? 2 : 1;
        }
        return slice_make(v, (size_t)((q < e ? q : e) - v));
    }
    return slice_make(p, 0);
}

/* json_key - the first member called name in [p, e): a pointer just past its name's closing
 * quote, or NULL. */
static const char *json_key(const char *p, const char *e, const char *name)
{
    size_t nl = strlen(name);
    for (const char *s = p; s < e;) {
        const char *k = memmem_ci(s, (size_t)(e - s), name, nl);
        if (!k)
            return NULL;
        s = k + nl;
        size_t q = json_quote(s, e);
        if (k > p && k[-1] == '"' && q)
            return s + q;
    }
    return NULL;
}

static int sesjson_records(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    const char *p = bp->notice.p, *e = p + bp->notice_end;
    struct slice type = json_str(p, e, "notificationType");
    int rc = RB_OK;
    if (slice_eq_ci(type, "Delivery")) {
        const char *d = json_key(p, e, "delivery");
        const char *l = d ? json_key(d, e, "recipients") : NULL;
        const char *le = l ? memchr(l, ']', (size_t)(e - l)) : NULL;
        if (!le)
            return RB_OK;
        struct slice resp = json_str(d, e, "smtpResponse");
        size_t pos = 0;
        struct slice a;
        struct slice list = slice_make(l, (size_t)(le - l));
        while (addr_find(list.p, list.len, &pos, &a)) {
            struct prec *r = dl_rec_new(bp, a, &rc);
            if (!r)
                return rc;
            r->action = arena_add(bp, "delivered", 9);
            r->diag = arena_add(bp, resp.p, resp.len);
            r->hint = RB_REASON_DELIVERED;
        }
        return rc;
    }
    const char *list_name =
        slice_eq_ci(type, "Complaint") ? "complainedRecipients" : "bouncedRecipients";
    if (!slice_eq_ci(type, "Complaint") && !slice_eq_ci(type, "Bounce"))
        return RB_OK;
    const char *l = json_key(p, e, list_name);
    const char *le = l ? memchr(l, ']', (size_t)(e - l)) : NULL;
    if (!le)
        return RB_OK;
    for (const char *o = memchr(l, '{', (size_t)(le - l)); o && o < le;) {
        const char *oe = memchr(o, '}', (size_t)(le - o));
        if (!oe)
            oe = le;
        struct slice a =
            first_addr(json_str(o, oe, "emailAddress").p, json_str(o, oe, "emailAddress").len);
        if (a.len) {
            struct prec *r = dl_rec_new(bp, a, &rc);
            if (!r)
                return rc;
            if (slice_eq_ci(type, "Complaint")) {
                r->hint = RB_REASON_FEEDBACK;
                struct slice ft = json_str(p, e, "complaintFeedbackType");
                if (ft.len && !bp->feedbacktype)
                    bp->feedbacktype = arena_add(bp, ft.p, ft.len);
            } else {
                struct slice act = json_str(o, oe, "action"), st = json_str(o, oe, "status");
                struct slice dg = json_str(o, oe, "diagnosticCode");
                const char *semi = memchr(dg.p, ';', dg.len);
                if (semi && semi - dg.p < 12)
                    dg = slice_trim(slice_make(semi + 1, dg.len - (size_t)(semi + 1 - dg.p)));
                r->action = arena_add(bp, act.p, act.len);
                r->status = arena_add(bp, st.p, st.len);
                r->diag = arena_add(bp, dg.p, dg.len);
            }
        }
        o = oe < le ? memchr(oe, '{', (size_t)(le - oe)) : NULL;
    }
    return rc;
}

static const struct dialect sesjson = {
    .name = "AmazonSES", .detect = sesjson_detect, .records = sesjson_records};

/* ---- Zoho Mail ------------------------------------------------------------------------- */

/* Zoho (X-ZohoMail) lists one recipient per line:
 *   kijitora@example.co.jp Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 <...>...
 *   [Status: Error, Address: <kijitora@example.co.jp>, ResponseCode 421, , Host not
 *   reachable.]                                (a delay notice: Zoho keeps retrying) */
static int zoho_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    struct slice v;
    return mime_hdr_find(hdr, "X-ZohoMail", &v);
}

/* zoho_codes - "ERROR_CODE :550, ERROR_CODE :5.1.1 ...": the reply code and status. */
static void zoho_codes(struct rb_parser *bp, struct prec *r, struct slice t)
{
    const char *e = t.p + t.len;
    const char *c = memmem_ci(t.p, t.len, "ERROR_CODE :", 12);
    if (!c)
        return;
    c += 12;
    if (e - c >= 3 && c[0] >= '2' && c[0] <= '5' && c[1] >= '0' && c[1] <= '9' && c[2] >= '0' &&
        c[2] <= '9')
        r->replycode = (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
    const char *s = memmem_ci(c, (size_t)(e - c), "ERROR_CODE :", 12);
    if (!s)
        return;
    s += 12;
    size_t k = 0;
    while (s + k < e && ((s[k] >= '0' && s[k] <= '9') || s[k] == '.'))
        k++;
    if (k >= 5 && (s[0] == '4' || s[0] == '5') && s[1] == '.')
        r->status = arena_add(bp, s, k);
}

static int zoho_records(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    const char *p = bp->notice.p;
    size_t n = bp->notice_end, pos = 0;
    struct slice line;
    int rc = RB_OK;
    struct prec *r = NULL;
    buf_reset(&bp->tmp);
    while (dl_next_line(p, n, &pos, &line)) {
        struct slice t = slice_trim(line);
        struct slice a = first_addr(t.p, t.len);
        int listed = a.len && a.p == t.p && dl_has(t.p, t.len, "ERROR_CODE :");
        int status = dl_starts_with(t, "[Status: ") && a.len;
        if (listed || status) {
            if (r)
                r->diag = arena_add(bp, bp->tmp.p, bp->tmp.len);
            buf_reset(&bp->tmp);
            if (!(r = dl_rec_new(bp, a, &rc)))
                return rc;
            struct slice d = listed ? slice_make(a.p + a.len, t.len - a.len) : t;
            diag_put(bp, d);
            if (dl_has(t.p, t.len, "Host not reachable"))
                r->hint = RB_REASON_EXPIRED;
            if (listed)
                zoho_codes(bp, r, t);
            if (status) {
                const char *rcd = memmem_ci(t.p, t.len, "ResponseCode ", 13);
                if (rcd && (size_t)(t.p + t.len - rcd) > 16 && rcd[13] >= '2' && rcd[13] <= '5')
                    r->replycode = (rcd[13] - '0') * 100 + (rcd[14] - '0') * 10 + (rcd[15] - '0');
            }
            continue;
        }
        if (r && !t.len)
            break;
        if (r && listed == 0 && bp->tmp.len && t.len && !dl_has(t.p, t.len, ":"))
            diag_put(bp, t); /* a wrapped diagnostic */
    }
    if (r)
        r->diag = arena_add(bp, bp->tmp.p, bp->tmp.len);
    return rc;
}

static const struct dialect zoho = {.name = "Zoho", .detect = zoho_detect, .records = zoho_records};

/* ---- Verizon Wireless ------------------------------------------------------------------ */

/* vzwpix.com (MMS gateway, "MMSC NDR Administrator"): "Error: No valid recipients for this
 * MM" and the original's To: under "Original Message:". vtext.com (SMS gateway):
 * "Error message below:" then the reply, and "RCPT TO: addr" under "Message details:". */
static int verizon_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    return dl_hdr_has(hdr, "From", "vzwpix.com>") ||
           dl_hdr_has(hdr, "From", "post_master@vtext.com");
}

static int verizon_records(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    struct slice nt = dl_notice_text(bp, 1); /* the original's fields are read too */
    const char *p = nt.p;
    size_t n = nt.len, pos = 0;
    struct slice line, rcpt = {NULL, 0}, to = {NULL, 0};
    int below = 0, rc = RB_OK, original = 0;
    buf_reset(&bp->tmp);
    while (dl_next_line(p, n, &pos, &line)) {
        struct slice t = slice_trim(line);
        if (dl_starts_with(t, "Error message below:")) {
            below = 1;
            buf_reset(&bp->tmp);
        } else if (dl_starts_with(t, "Original Message:") ||
                   dl_starts_with(t, "Message details:")) {
            original = 1, below = 0;
        } else if (dl_starts_with(t, "RCPT TO:")) {
            rcpt = first_addr(t.p, t.len);
        } else if (original && dl_starts_with(t, "To:") && !to.len) {
            to = first_addr(t.p, t.len);
        } else if (!original && t.len && (below || dl_starts_with(t, "Error:"))) {
            if (!below || bp->tmp.len == 0 || dl_starts_with(t, "Error:") == 0)
                diag_put(bp, t);
        }
    }
    struct slice a = rcpt.len ? rcpt : to;
    if (!a.len)
        return RB_OK;
    struct prec *r = dl_rec_new(bp, a, &rc);
    if (!r)
        return rc;
    r->diag = arena_add(bp, bp->tmp.p, bp->tmp.len);
    /* the gateway's two documented unknown-subscriber replies */
    if (dl_has(bp->tmp.p, bp->tmp.len, "No valid recipients for this MM") ||
        dl_has(bp->tmp.p, bp->tmp.len, "Requested action not taken: no such user here"))
        r->hint = RB_REASON_USERUNKNOWN;
    return rc;
}

static const struct dialect verizon = {
    .name = "Verizon", .detect = verizon_detect, .records = verizon_records};

/* ---- 1&1 / GMX kundenserver ------------------------------------------------------------ */

/* 1&1 (mailer-daemon@kundenserver.de): an Exim-like notice whose recipient paragraph is
 *   The following address failed:
 *   kijitora@example.org[:]
 *   For the following reason:
 *   Mail size limit exceeded. For explanation visit http://postmaster.1and1.com/...
 * followed by "--- The header of the original message is following. ---". */
static int einsundeins_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    return dl_hdr_has(hdr, "From", "@kundenserver.") &&
           dl_hdr_starts(hdr, "Subject", "Mail delivery failed");
}

static int einsundeins_records(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    const char *p = bp->notice.p;
    size_t n = bp->notice_end, pos = 0;
    struct slice line;
    int started = 0, rc = RB_OK;
    struct prec *r = NULL;
    buf_reset(&bp->tmp);
    while (dl_next_line(p, n, &pos, &line)) {
        struct slice t = slice_trim(line);
        if (!started) {
            started = dl_has(t.p, t.len, "failed:") || dl_has(t.p, t.len, "address(es)");
            continue;
        }
        if (dl_starts_with(t, "--- The header of the original message"))
            break;
        struct slice a = first_addr(t.p, t.len);
        if (a.len && (a.p == t.p || (a.p == t.p + 1 && t.p[0] == '<')) &&
            (size_t)(a.p + a.len - t.p) + 2 >= t.len) {
            if (r)
                r->diag = arena_add(bp, bp->tmp.p, bp->tmp.len);
            buf_reset(&bp->tmp);
            if (!(r = dl_rec_new(bp, a, &rc)))
                return rc;
            continue;
        }
        if (r && !dl_starts_with(t, "For the following reason"))
            diag_put(bp, t);
    }
    if (r) {
        r->diag = arena_add(bp, bp->tmp.p, bp->tmp.len);
        if (dl_has(bp->tmp.p, bp->tmp.len, "Mail size limit exceeded"))
            r->hint = RB_REASON_MESGTOOBIG;
    }
    return rc;
}

static const struct dialect einsundeins = {
    .name = "EinsUndEins", .detect = einsundeins_detect, .records = einsundeins_records};

/* ---- GMX / mail.com --------------------------------------------------------------------- */

/* GMX and mail.com (X-GMX-Antispam on every notice): an Exim-like notice
 *   This message was created automatically by mail delivery software.
 *   ... The following address failed:
 *   "kijitora@example.jp":                     (or <kijitora@example.jp>)
 *   SMTP error from remote server after RCPT command:
 *   host: mx.example.jp
 *   5.2.2 <kijitora@example.jp>... Mailbox Full
 * or "Reason:" then the reason ("delivery retry timeout exceeded"), up to
 * "--- The header of the original message is following. ---". */
static int gmx_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    struct slice v;
    return mime_hdr_find(hdr, "X-GMX-Antispam", &v) && dl_hdr_has(hdr, "From", "MAILER-DAEMON");
}

/* gmx_rcpt_line - the address when line t is only "addr": or <addr> (or addr:), else empty. */
static struct slice gmx_rcpt_line(struct slice t)
{
    struct slice a = first_addr(t.p, t.len);
    if (!a.len)
        return a;
    size_t lead = (size_t)(a.p - t.p), trail = t.len - lead - a.len;
    if (lead > 1 || trail > 2 || (lead == 1 && t.p[0] != '"' && t.p[0] != '<'))
        a.len = 0;
    for (size_t k = lead + a.len; k < t.len && a.len; k++)
        if (t.p[k] != '"' && t.p[k] != '>' && t.p[k] != ':')
            a.len = 0;
    return a;
}

static void gmx_finish(struct rb_parser *bp, struct prec *r)
{
    if (!r)
        return;
    r->diag = arena_add(bp, bp->tmp.p, bp->tmp.len);
    if (dl_has(bp->tmp.p, bp->tmp.len, "delivery retry timeout exceeded"))
        r->hint = RB_REASON_EXPIRED;
}

static int gmx_records(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    struct slice nt = dl_notice_text(bp, 0);
    size_t pos = 0;
    struct slice line;
    int started = 0, rc = RB_OK;
    struct prec *r = NULL;
    buf_reset(&bp->tmp);
    while (dl_next_line(nt.p, nt.len, &pos, &line)) {
        struct slice t = slice_trim(line);
        if (!started) {
            started = dl_starts_with(t, "This message was created automatically by mail delivery");
            continue;
        }
        if (dl_starts_with(t, "--- The header of the original message"))
            break;
        struct slice a = gmx_rcpt_line(t);
        if (a.len) {
            gmx_finish(bp, r);
            buf_reset(&bp->tmp);
            if (!(r = dl_rec_new(bp, a, &rc)))
                return rc;
            continue;
        }
        if (!r || !t.len || dl_starts_with(t, "Reason:"))
            continue;
        if (dl_starts_with(t, "SMTP error from remote server")) {
            /* "... after RCPT command:": the command answered */
            const char *c = memmem_ci(t.p, t.len, " after ", 7);
            if (c) {
                struct slice w = slice_make(c + 7, t.len - (size_t)(c + 7 - t.p));
                size_t k = 0;
                while (k < w.len && w.p[k] >= 'A' && w.p[k] <= 'Z')
                    k++;
                if (k >= 4 && k <= 8)
                    r->command = arena_add(bp, w.p, k);
            }
            continue;
        }
        if (dl_starts_with(t, "host:")) {
            struct slice h = slice_trim(slice_make(t.p + 5, t.len - 5));
            r->rhost = arena_add(bp, h.p, h.len);
            continue;
        }
        diag_put(bp, t);
    }
    gmx_finish(bp, r);
    return rc;
}

static const struct dialect gmx = {.name = "GMX", .detect = gmx_detect, .records = gmx_records};

/* ---- feedback without a feedback-report part -------------------------------------------- */

/* Microsoft's Junk Mail Reporting Program (From: staff@hotmail.com) and Amazon SES's
 * complaint relay (complaints@email-abuse.amazonses.com) send a multipart/mixed
 * "complaint about message from <ip>" whose only evidence is the attached message; the
 * complaining recipient is its X-HmXmrOriginalRecipient field (else its To:). Sisimai
 * reads these as ARF with Feedback-Type "abuse". */
static int jmrp_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    return (dl_hdr_has(hdr, "From", "staff@hotmail.com") ||
            dl_hdr_has(hdr, "From", "complaints@email-abuse.amazonses.com")) &&
           dl_hdr_has(hdr, "Subject", "complaint about message from ");
}

static int jmrp_records(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    const struct mime_msg *m = &bp->mm;
    struct slice a = {NULL, 0};
    for (size_t i = 1; i < m->nparts && !a.len; i++) {
        if (m->parts[i].kind != MIME_K_MESSAGE && m->parts[i].kind != MIME_K_RFC822_HDRS)
            continue;
        struct slice oh = mime_part_inner_hdr(m, &m->parts[i]), v;
        if (mime_hdr_find(oh, "X-HmXmrOriginalRecipient", &v) || mime_hdr_find(oh, "To", &v))
            a = first_addr(v.p, v.len);
    }
    if (!a.len)
        return RB_OK;
    int rc = RB_OK;
    struct prec *r = dl_rec_new(bp, a, &rc);
    if (!r)
        return rc;
    r->hint = RB_REASON_FEEDBACK;
    if (!bp->feedbacktype)
        bp->feedbacktype = arena_add(bp, "abuse", 5);
    return rc;
}

static const struct dialect jmrp = {.name = "ARF", .detect = jmrp_detect, .records = jmrp_records};

/* Apple Mail's unsubscribe request (X-Apple-Unsubscribe: true, Subject "unsubscribe",
 * Auto-Submitted: auto-replied): the recipient asks, by mail, to be removed from a list
 * (the mailto: of List-Unsubscribe). It is feedback from that person (the From), an
 * opt-out, not an out-of-office reply. */
static int apple_optout_detect(const struct rb_parser *bp, struct slice hdr)
{
    return bp->bounce_from && dl_hdr_starts(hdr, "X-Apple-Unsubscribe", "true");
}

static int apple_optout_records(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    size_t before = bp->dropped;
    struct prec *r = prec_add(bp);
    if (!r)
        return bp->dropped == before ? RB_ENOMEM : RB_OK;
    r->rcpt = bp->bounce_from;
    r->hint = RB_REASON_FEEDBACK;
    if (!bp->feedbacktype)
        bp->feedbacktype = arena_add(bp, "opt-out", 7);
    return RB_OK;
}

static const struct dialect apple_optout = {
    .name = "ARF", .detect = apple_optout_detect, .records = apple_optout_records};

/* iCloud's vacation responder marks its replies X-Apple-Action: VACATION (with
 * X-Apple-Criteria kind=VACATION) and no Auto-Submitted field: an RFC 3834-style
 * auto-reply from the person in From. */
static int apple_vacation_detect(const struct rb_parser *bp, struct slice hdr)
{
    return bp->bounce_from && dl_hdr_starts(hdr, "X-Apple-Action", "VACATION");
}

static int apple_vacation_records(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    size_t before = bp->dropped;
    struct prec *r = prec_add(bp);
    if (!r)
        return bp->dropped == before ? RB_ENOMEM : RB_OK;
    r->rcpt = bp->bounce_from;
    r->hint = RB_REASON_VACATION;
    return RB_OK;
}

static const struct dialect apple_vacation = {
    .name = "RFC3834", .detect = apple_vacation_detect, .records = apple_vacation_records};

/* ---- SendGrid ----------------------------------------------------------------------------- */

/* SendGrid's own bounces (Return-Path: <apps@sendgrid.net>) are RFC 3464 reports whose
 * Action is "expired" when SendGrid's queue gave up on a recipient (the Diagnostic-Code is
 * then only the last attempt's error, e.g. "Connection timed out"): such a recipient
 * expired. The amend hook says so; the report itself is read by the RFC 3464 reader. */
static int sendgrid_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    return dl_hdr_has(hdr, "Return-Path", "<apps@sendgrid.net>");
}

static int sendgrid_records(struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    (void)hdr;
    return RB_OK; /* no plain-text format of its own */
}

static int sendgrid_amend(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    for (size_t i = 0; i < bp->nrec; i++) {
        const char *a = arena_str(bp, bp->recs[i].action);
        if (!bp->recs[i].hint && strlen(a) == 7 && memmem_ci(a, 7, "expired", 7))
            bp->recs[i].hint = RB_REASON_EXPIRED;
    }
    if (bp->nrec)
        bp->agent = arena_add(bp, "SendGrid", 8);
    return RB_OK;
}

static const struct dialect sendgrid = {.name = "SendGrid",
                                        .detect = sendgrid_detect,
                                        .records = sendgrid_records,
                                        .amend = sendgrid_amend};

/* ---- the family table ------------------------------------------------------------------ */

const struct dialect *const dialects_provider[] = {
    &googlegroups, &gmail, &workmail,     &sesjson,        &ses,      &zoho, &verizon, &einsundeins,
    &gmx,          &jmrp,  &apple_optout, &apple_vacation, &sendgrid, NULL,
};

/* ---- replies read by the receiving provider's own conventions ---------------------------- */

struct slice host_token(const char *h, size_t n)
{
    size_t i = 0;
    while (i < n && (h[i] == ' ' || h[i] == '\t'))
        i++;
    size_t s = i;
    while (i < n && h[i] != ' ' && h[i] != '[' && h[i] != '(' && h[i] != ';' && h[i] != ',')
        i++;
    while (i > s && h[i - 1] == '.')
        i--;
    return slice_make(h + s, i - s);
}

/* host_ends - does host end with the domain dom (at a label boundary)? */
static int host_ends(struct slice host, const char *dom)
{
    size_t n = strlen(dom);
    if (host.len < n || !mem_eq_ci(host.p + host.len - n, dom, n))
        return 0;
    return host.len == n || host.p[host.len - n - 1] == '.';
}

rb_reason provider_rhost_reason(const char *rhost, size_t rn, struct slice rcpt_domain,
                                const rb_reply *rp)
{
    struct slice h = host_token(rhost ? rhost : "", rhost ? rn : 0);
    const char *diag = rp->text;
    size_t dn = rp->text_len;
    if (!diag)
        return RB_REASON_UNDEFINED;
    /* au (KDDI): the address filter a subscriber sets answers "550 : User unknown" with the
     * address left out; a mailbox that does not exist gets "550 <addr>: User unknown". The
     * reply reaches the sender relayed by other MTAs too, so the recipient's domain counts
     * as well as the remote host. */
    if (host_ends(h, "ezweb.ne.jp") || host_ends(h, "au.com") ||
        host_ends(rcpt_domain, "ezweb.ne.jp") || host_ends(rcpt_domain, "au.com")) {
        if (memmem_ci(diag, dn, "550 : user unknown", 18))
            return RB_REASON_FILTERED;
        if (memmem_ci(diag, dn, ">: user unknown", 15))
            return RB_REASON_USERUNKNOWN;
    }
    /* Amazon SES receiving (inbound-smtp.<region>.amazonaws.com): a receipt rule's Bounce
     * action answers with a template its owner picked, "Mailbox does not exist" among them;
     * the rule refused the message, which says nothing certain about the mailbox */
    if (h.len > 13 && mem_eq_ci(h.p, "inbound-smtp.", 13) && host_ends(h, "amazonaws.com") &&
        memmem_ci(diag, dn, "mailbox does not exist", 22))
        return RB_REASON_FILTERED;
    /* NTT docomo (mfsmax.docomo.ne.jp): a subscriber's reception settings (senders or
     * domains refused) answer "550 Unknown user <addr>" to the end of DATA, after the
     * recipient was accepted; the report then says only 5.0.0. The sender was refused, not
     * the address (a 5.1.1 report or a refusal at RCPT is the unknown mailbox, a 5.2.0 one
     * docomo's content filter): Sisimai's Rhost::NTTDOCOMO reads these replies the same. */
    if (host_ends(h, "docomo.ne.jp") && strcmp(rp->command, "DATA") == 0 &&
        (!rp->status_class || (rp->status_subject == 0 && rp->status_detail == 0)) &&
        memmem_ci(diag, dn, "unknown user", 12))
        return RB_REASON_REJECTED;
    return RB_REASON_UNDEFINED;
}
