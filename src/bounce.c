/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce.c - decode one bounce message into per-recipient records (rb_parse_message).
 *
 * DESCRIPTION
 *   1. Split the message into MIME parts (mime.c, zero-copy).
 *   2. Collect message-level facts: the bounce's own headers (Date, From, To), the reporting
 *      MTA, and the returned original message's headers (message/rfc822 or
 *      text/rfc822-headers part, or the copy after a "below this line" marker in a plain
 *      notice): From, Subject, Message-ID, List-Id, DKIM-Signature d=/s=.
 *   3. Records, by the best evidence present: a feedback report (ARF, RFC 5965) gives
 *      feedback records; a delivery-status part (RFC 3464) gives one record per recipient
 *      block; otherwise the human-readable notice is read by the text dialects
 *      (bounce_text.c). An RFC 3834 auto-reply with no failure gives a vacation record.
 *   4. Each record is classified (rb_classify) with its diagnostic text, Status, remote MTA
 *      and Action, then handed to the callback.
 *
 * LIMITS
 *   BOUNCE_MAX_RCPT records, BOUNCE_MAX_NOTICE bytes of decoded notice text and
 *   BOUNCE_MAX_ARENA bytes of strings per message; beyond them records are dropped or
 *   fields emptied, and the records carry RB_DEFECT_LIMIT.
 */
#include "bounce.h"

#include <string.h>

#include "dialect.h"
#include "mem.h"
#include "msgsrc.h"
#include "reply.h"
#include "textutil.h"

/* ---- arena and pending records -------------------------------------------------------- */

size_t arena_add(struct rb_parser *bp, const char *p, size_t n)
{
    if (n == 0)
        return 0;
    size_t off = bp->arena.len;
    if (buf_append(&bp->arena, p, n) != RB_OK || buf_putc(&bp->arena, '\0') != RB_OK) {
        buf_truncate(&bp->arena, off);
        bp->defects |= RB_DEFECT_LIMIT;
        return 0;
    }
    return off;
}

const char *arena_str(const struct rb_parser *bp, size_t off)
{
    return bp->arena.p + off;
}

struct prec *prec_add(struct rb_parser *bp)
{
    if (bp->nrec == BOUNCE_MAX_RCPT) {
        bp->dropped++;
        bp->defects |= RB_DEFECT_LIMIT;
        return NULL;
    }
    if (bp->nrec == bp->cap) {
        size_t nc = bp->cap ? bp->cap * 2 : 16;
        struct prec *n = mem_realloc(bp->mem, bp->recs, nc * sizeof *n);
        if (!n)
            return NULL;
        bp->recs = n;
        bp->cap = nc;
    }
    struct prec *r = &bp->recs[bp->nrec++];
    memset(r, 0, sizeof *r);
    return r;
}

long prec_find(const struct rb_parser *bp, struct slice addr)
{
    for (size_t i = 0; i < bp->nrec; i++) {
        const char *a = arena_str(bp, bp->recs[i].rcpt);
        if (strlen(a) == addr.len && slice_eq_ci(addr, a))
            return (long)i;
    }
    return -1;
}

unsigned rb_parser_defects(const rb_parser *bp)
{
    return bp->defects;
}

/* ---- parser lifetime ------------------------------------------------------------------ */

int rb_parser_new(const rb_classifier *c, rb_parser **out)
{
    *out = NULL;
    rb_parser *bp = mem_calloc(NULL, 1, sizeof *bp);
    if (!bp)
        return RB_ENOMEM;
    bp->c = c;
    int rc = rb_scratch_new(c, &bp->s);
    if (rc == RB_OK)
        rc = mime_msg_init(&bp->mm, 0, NULL);
    if (rc != RB_OK) {
        rb_scratch_free(bp->s);
        mem_free(NULL, bp);
        return rc;
    }
    mime_cvt_init(&bp->cv);
    dsn_init(&bp->dsn, NULL);
    buf_init(&bp->notice, BOUNCE_MAX_NOTICE, NULL);
    buf_init(&bp->arena, BOUNCE_MAX_ARENA, NULL);
    buf_init(&bp->tmp, BOUNCE_MAX_NOTICE, NULL);
    buf_init(&bp->body, BOUNCE_MAX_NOTICE, NULL);
    *out = bp;
    return RB_OK;
}

rb_parser *rb_parser_free(rb_parser *bp)
{
    if (!bp)
        return NULL;
    rb_scratch_free(bp->s);
    mime_msg_free(&bp->mm);
    mime_cvt_free(&bp->cv);
    dsn_free(&bp->dsn);
    buf_free(&bp->notice);
    buf_free(&bp->arena);
    buf_free(&bp->tmp);
    buf_free(&bp->body);
    mem_free(NULL, bp->recs);
    mem_free(NULL, bp->addrs);
    mem_free(NULL, bp);
    return NULL;
}

/* ---- message-level facts -------------------------------------------------------------- */

/* hdr_add - unfold (and RFC 2047-decode when decode) header name of hdr into the arena. */
static size_t hdr_add(struct rb_parser *bp, struct slice hdr, const char *name, int decode)
{
    struct slice v;
    if (!mime_hdr_find(hdr, name, &v))
        return 0;
    buf_reset(&bp->tmp);
    int rc = decode ? mime_hdr_decode(&bp->cv, v.p, v.len, &bp->tmp)
                    : mime_hdr_unfold(v.p, v.len, &bp->tmp);
    if (rc != RB_OK || bp->tmp.len == 0)
        return 0;
    return arena_add(bp, bp->tmp.p, bp->tmp.len);
}

/* addr_add - the first address in a header value, into the arena. */
static size_t hdr_addr_add(struct rb_parser *bp, struct slice hdr, const char *name)
{
    struct slice v, a;
    size_t pos = 0;
    if (!mime_hdr_find(hdr, name, &v) || !addr_find(v.p, v.len, &pos, &a))
        return 0;
    return arena_add(bp, a.p, a.len);
}

/* dkim_tags - d= and s= of the first DKIM-Signature in hdr. */
static void dkim_tags(struct rb_parser *bp, struct slice hdr)
{
    struct slice v;
    if (!mime_hdr_find(hdr, "DKIM-Signature", &v))
        return;
    buf_reset(&bp->tmp);
    if (mime_hdr_unfold(v.p, v.len, &bp->tmp) != RB_OK || !bp->tmp.p)
        return;
    const char *p = bp->tmp.p;
    size_t n = bp->tmp.len;
    for (size_t i = 0; i < n;) {
        while (i < n && (p[i] == ' ' || p[i] == ';' || p[i] == '\t'))
            i++;
        size_t s = i;
        while (i < n && p[i] != ';')
            i++;
        struct slice tag = slice_trim(slice_make(p + s, i - s));
        if (tag.len > 2 && (tag.p[0] == 'd' || tag.p[0] == 's')) {
            size_t k = 1;
            while (k < tag.len && tag.p[k] == ' ')
                k++;
            if (k < tag.len && tag.p[k] == '=') {
                struct slice val = slice_trim(slice_make(tag.p + k + 1, tag.len - k - 1));
                size_t off = arena_add(bp, val.p, val.len); /* tmp is not the arena */
                if (tag.p[0] == 'd' && !bp->dkim_d)
                    bp->dkim_d = off;
                else if (tag.p[0] == 's' && !bp->dkim_s)
                    bp->dkim_s = off;
            }
        }
    }
}

/* original_headers - facts from the returned original message's header block. */
static void original_headers(struct rb_parser *bp, struct slice hdr)
{
    if (!hdr.len)
        return;
    if (!bp->addresser)
        bp->addresser = hdr_addr_add(bp, hdr, "From");
    if (!bp->subject)
        bp->subject = hdr_add(bp, hdr, "Subject", 1);
    if (!bp->messageid)
        bp->messageid = hdr_add(bp, hdr, "Message-ID", 0);
    if (!bp->listid)
        bp->listid = hdr_add(bp, hdr, "List-Id", 0);
    if (!bp->dkim_d)
        dkim_tags(bp, hdr);
}

/* header_block_at - the header block that starts at the first header-looking line at or
 * after p (a returned message pasted into a plain notice). */
static struct slice header_block_at(const char *p, size_t len)
{
    size_t i = 0;
    /* skip the marker line and blank lines */
    while (i < len) {
        const char *nl = memchr(p + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - p) : len;
        size_t k = i;
        while (k < e && (p[k] == ' ' || p[k] == '\t'))
            k++;
        size_t c = k;
        while (c < e && p[c] != ':' && p[c] != ' ')
            c++;
        if (c < e && c > k && p[c] == ':' && k == i)
            break;
        i = nl ? e + 1 : len;
    }
    size_t s = i;
    while (i < len) {
        const char *nl = memchr(p + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - p) : len;
        if (e == i || (e == i + 1 && p[i] == '\r'))
            break;
        i = nl ? e + 1 : len;
    }
    return slice_make(p + s, i - s);
}

/* auto_replied - does hdr carry RFC 3834's Auto-Submitted: auto-replied? */
static int auto_replied(struct slice hdr)
{
    struct slice v;
    if (!mime_hdr_find(hdr, "Auto-Submitted", &v))
        return 0;
    v = slice_trim(v);
    return v.len >= 12 && memmem_ci(v.p, v.len, "auto-replied", 12) != NULL;
}

/* is_auto_reply - RFC 3834 Auto-Submitted: auto-replied, or the usual vacation marks. */
static int is_auto_reply(struct rb_parser *bp, struct slice hdr)
{
    struct slice v;
    if (auto_replied(hdr))
        return 1;
    if (mime_hdr_find(hdr, "X-Autoreply", &v) || mime_hdr_find(hdr, "X-Autorespond", &v))
        return 1;
    if (mime_hdr_find(hdr, "Subject", &v)) {
        static const char *const subj[] = {"out of office", "auto:",           "autoreply",
                                           "auto-reply",    "automatic reply", "vacation",
                                           "abwesenheit",   "absence"};
        buf_reset(&bp->tmp);
        if (mime_hdr_decode(&bp->cv, v.p, v.len, &bp->tmp) == RB_OK && bp->tmp.p)
            for (size_t k = 0; k < sizeof subj / sizeof subj[0]; k++)
                if (memmem_ci(bp->tmp.p, bp->tmp.len, subj[k], strlen(subj[k])))
                    return 1;
    }
    return 0;
}

/* is_bounce_sender - does the message come from a mail system (MAILER-DAEMON, postmaster)?
 * Such messages carry Auto-Submitted too, but are failure reports, not vacation replies. */
static int is_bounce_sender(const struct rb_parser *bp)
{
    const char *f = arena_str(bp, bp->bounce_from);
    static const char *const sys[] = {"mailer-daemon", "postmaster",    "mail-daemon",
                                      "mailerdaemon",  "mail delivery", "bounce"};
    for (size_t k = 0; k < sizeof sys / sizeof sys[0]; k++)
        if (memmem_ci(f, strlen(f), sys[k], strlen(sys[k])))
            return 1;
    return 0;
}

/* ---- record sources ------------------------------------------------------------------- */

/* bounce_category_hint - the reason PowerMTA's per-recipient X-PowerMTA-BounceCategory
 * names (its documented bounce categories), or RB_REASON_UNDEFINED. */
static rb_reason bounce_category_hint(struct slice v)
{
    static const struct {
        const char *cat;
        rb_reason reason;
    } tab[] = {
        {"bad-mailbox", RB_REASON_USERUNKNOWN},
        {"bad-domain", RB_REASON_HOSTUNKNOWN},
        {"quota-issues", RB_REASON_MAILBOXFULL},
        {"message-expired", RB_REASON_EXPIRED},
        {"no-answer-from-host", RB_REASON_NETWORKERROR},
        {"routing-errors", RB_REASON_SYSTEMERROR},
        {"spam-related", RB_REASON_SPAMDETECTED},
        {"policy-related", RB_REASON_POLICYVIOLATION},
    };
    v = slice_trim(v);
    for (size_t k = 0; k < sizeof tab / sizeof tab[0]; k++)
        if (slice_eq_ci(v, tab[k].cat))
            return tab[k].reason;
    return RB_REASON_UNDEFINED;
}

/* dsn_field_start - does the line at p (n bytes left) start with an RFC 3464 field name
 * (per-message or per-recipient, RFC 3464 section 2.2/2.3, or an X- extension)? */
static int dsn_field_start(const char *p, size_t n)
{
    static const char *const f[] = {
        "Reporting-MTA:",        "Arrival-Date:",    "Received-From-MTA:",
        "Original-Envelope-Id:", "DSN-Gateway:",     "Final-Recipient:",
        "Original-Recipient:",   "Action:",          "Status:",
        "Remote-MTA:",           "Diagnostic-Code:", "Last-Attempt-Date:",
        "Will-Retry-Until:",     "Final-Log-ID:",    "X-"};
    return starts_any_ci(p, n, f, sizeof f / sizeof f[0]);
}

/* bare_report - the delivery-status fields of a report whose MIME framing was stripped
 * (a relay or archive keeping only the text of the parts, so Postfix's "Reporting-MTA:"
 * block follows its notice directly): from a "Reporting-MTA:" line at a line start,
 * through the blank-line separated blocks that start with delivery-status fields, up to
 * the first that does not (the returned message's headers). Empty unless a
 * Final-Recipient field is inside; borrowed from p. */
static struct slice bare_report(const char *p, size_t n)
{
    static const char rm[] = "reporting-mta:";
    const char *h = memmem_ci(p, n, rm, sizeof rm - 1);
    while (h && h > p && h[-1] != '\n')
        h = memmem_ci(h + 1, (size_t)(p + n - h - 1), rm, sizeof rm - 1);
    if (!h)
        return slice_make("", 0);
    const char *e = h, *end = p + n;
    int at_block = 1; /* at the first line of a block */
    while (e < end) {
        const char *nl = memchr(e, '\n', (size_t)(end - e));
        size_t ln = nl ? (size_t)(nl - e) : (size_t)(end - e);
        int blank = ln == 0 || (ln == 1 && e[0] == '\r');
        if (at_block && !blank && !dsn_field_start(e, (size_t)(end - e)))
            break;
        at_block = blank;
        e = nl ? nl + 1 : end;
    }
    struct slice r = slice_make(h, (size_t)(e - h));
    if (!memmem_ci(r.p, r.len, "final-recipient:", 16))
        return slice_make("", 0);
    return r;
}

/* embedded_report - the delivery-status fields of a bounce that was re-sent as plain text
 * (a forwarder or list manager pasting the whole multipart report into its body): the
 * block after a "Content-Type: message/delivery-status" line of the notice, up to the
 * next MIME boundary line. Empty slice if none; borrowed from bp->notice. */
static struct slice embedded_report(const struct rb_parser *bp)
{
    static const char ct[] = "content-type: message/delivery-status";
    const char *p = bp->notice.p;
    size_t n = bp->notice.len;
    const char *h = p ? memmem_ci(p, n, ct, sizeof ct - 1) : NULL;
    if (!h || (h > p && h[-1] != '\n'))
        return slice_make("", 0);
    /* skip the part's header lines up to the blank line */
    const char *q = h, *end = p + n;
    while (q < end) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        if (!nl)
            return slice_make("", 0);
        q = nl + 1;
        if (q < end && *q == '\r')
            q++;
        if (q < end && *q == '\n') {
            q++;
            break;
        }
    }
    const char *e = q;
    while (e < end) {
        if (e + 1 < end && e[0] == '-' && e[1] == '-')
            break;
        const char *nl = memchr(e, '\n', (size_t)(end - e));
        e = nl ? nl + 1 : end;
    }
    return slice_make(q, (size_t)(e - q));
}

/* dsn_local_program - did this recipient block fail in a local delivery program: an alias
 * to a pipe ("Final-Recipient: rfc822;|/usr/bin/prog", "X-Actual-Recipient: X-Unix;
 * |/bin/prog", as Exim and Sendmail write them) or a Diagnostic-Code of type X-Unix (the
 * program's exit status)? */
static int dsn_local_program(const struct dsn_rcpt *d)
{
    struct slice f = dsn_value_untyped(d->final_recipient);
    if (f.len && f.p[0] == '|')
        return 1;
    static const char xu[] = "x-unix";
    struct slice x = slice_trim(d->x_actual_recipient), g = slice_trim(d->diagnostic_code);
    if (x.len >= sizeof xu - 1 && slice_eq_ci(slice_make(x.p, sizeof xu - 1), xu))
        return 1;
    return g.len >= sizeof xu - 1 && slice_eq_ci(slice_make(g.p, sizeof xu - 1), xu);
}

static int dsn_records(struct rb_parser *bp, const struct mime_part *pt, struct slice raw)
{
    buf_reset(&bp->body);
    uint32_t defects = 0;
    if (pt && mime_decode_body(pt, &bp->body, &defects) != RB_OK)
        bp->defects |= RB_DEFECT_LIMIT;
    if (!pt && buf_append(&bp->body, raw.p, raw.len) != RB_OK)
        bp->defects |= RB_DEFECT_LIMIT;
    /* the report's slices point into bp->body, which nothing below modifies */
    int rc = dsn_parse(&bp->dsn, bp->body.p ? bp->body.p : "", bp->body.len);
    if (rc != RB_OK)
        return rc;
    if (bp->dsn.dropped)
        bp->defects |= RB_DEFECT_LIMIT;
    if (bp->dsn.reporting_mta.len && !bp->lhost) {
        struct slice h = dsn_value_untyped(bp->dsn.reporting_mta);
        bp->lhost = arena_add(bp, h.p, h.len);
    }
    struct slice arrival = bp->dsn.arrival_date;
    for (size_t i = 0; i < bp->dsn.nrcpt; i++) {
        const struct dsn_rcpt *d = &bp->dsn.rcpt[i];
        struct slice a = dsn_value_addr(d->final_recipient);
        if (!a.len || !memchr(a.p, '@', a.len))
            a = dsn_value_addr(d->original_recipient);
        if (!a.len)
            a = dsn_value_addr(d->x_actual_recipient);
        if (!a.len)
            continue;
        struct prec *r = prec_add(bp);
        if (!r)
            break;
        struct slice act = slice_trim(d->action), st = slice_trim(d->status);
        /* "Status: 4.4.0 (other or undefined status)": keep the code only */
        for (size_t k = 0; k < st.len; k++)
            if (st.p[k] == ' ' || st.p[k] == '(' || st.p[k] == '\t') {
                st.len = k;
                break;
            }
        struct slice rm = dsn_value_untyped(d->remote_mta);
        struct slice dt = d->last_attempt_date.len ? d->last_attempt_date : arrival;
        r->rcpt = arena_add(bp, a.p, a.len);
        r->action = arena_add(bp, act.p, act.len);
        r->status = arena_add(bp, st.p, st.len);
        r->rhost = arena_add(bp, rm.p, rm.len);
        r->diag = arena_add(bp, d->diagnostic_code.p, d->diagnostic_code.len);
        r->date = arena_add(bp, dt.p, dt.len);
        r->hint = bounce_category_hint(d->x_bounce_category);
        r->mailer = dsn_local_program(d);
        /* the notice paragraph about this recipient: the diagnostic when the report has
         * none, and the SMTP command ("in reply to RCPT TO command") when it names one */
        struct slice t = text_diag_for(bp, a);
        if (!d->diagnostic_code.len) {
            if (t.len)
                r->diag = arena_add(bp, t.p, t.len);
            else
                r->defects |= RB_DEFECT_NO_DIAG;
        }
        char cmd[16];
        text_find_command(d->diagnostic_code.p, d->diagnostic_code.len, cmd);
        if (!cmd[0] && t.len) {
            struct slice b = text_block(bp, t);
            text_find_command(b.p, b.len, cmd);
        }
        r->command = arena_add(bp, cmd, strlen(cmd));
        r->cmd_read = 1;
    }
    if (!bp->agent)
        bp->agent = arena_add(bp, "RFC3464", 7);
    return RB_OK;
}

static int arf_records(struct rb_parser *bp, const struct mime_part *pt, struct slice orig_hdr)
{
    buf_reset(&bp->body);
    uint32_t defects = 0;
    if (mime_decode_body(pt, &bp->body, &defects) != RB_OK || !bp->body.p)
        return RB_OK;
    struct slice fields = slice_make(bp->body.p, bp->body.len);
    struct mime_hdr_iter it;
    struct slice name, v;
    size_t date = 0;
    mime_hdr_iter_init(&it, fields);
    while (mime_hdr_next(&it, &name, &v)) {
        if (slice_eq_ci(name, "Feedback-Type") && !bp->feedbacktype) {
            v = slice_trim(v);
            bp->feedbacktype = arena_add(bp, v.p, v.len);
        } else if (slice_eq_ci(name, "Arrival-Date") && !date) {
            date = arena_add(bp, v.p, v.len);
        }
    }
    /* recipients: every Original-Rcpt-To, else Removal-Recipient, else the original To */
    static const char *const rcpt_fields[] = {"Original-Rcpt-To", "Removal-Recipient"};
    for (size_t k = 0; k < 2 && bp->nrec == 0; k++) {
        mime_hdr_iter_init(&it, fields);
        while (mime_hdr_next(&it, &name, &v)) {
            size_t pos = 0;
            struct slice a;
            if (!slice_eq_ci(name, rcpt_fields[k]) || !addr_find(v.p, v.len, &pos, &a))
                continue;
            struct prec *r = prec_add(bp);
            if (!r)
                break;
            r->rcpt = arena_add(bp, a.p, a.len);
            r->hint = RB_REASON_FEEDBACK;
            r->date = date;
        }
    }
    if (bp->nrec == 0) {
        struct slice a, tov;
        size_t pos = 0;
        /* a complaint whose recipient was redacted still counts, as Sisimai reports it */
        if (!(mime_hdr_find(orig_hdr, "To", &tov) && addr_find(tov.p, tov.len, &pos, &a)))
            a = SLICE_LIT("undisclosed-recipient@undisclosed.invalid");
        struct prec *r = prec_add(bp);
        if (r) {
            r->rcpt = arena_add(bp, a.p, a.len);
            r->hint = RB_REASON_FEEDBACK;
            r->date = date;
        }
    }
    bp->agent = arena_add(bp, "ARF", 3);
    return RB_OK;
}

/* ---- classification and output -------------------------------------------------------- */

/* Sisimai's pseudo status digits for a reason, used in deliverystatus when the bounce
 * carries no status code at all (so results compare with Sisimai's). */
static int pseudo_status(rb_reason r)
{
    switch (r) {
    case RB_REASON_UNDEFINED:
        return 900;
    case RB_REASON_ONHOLD:
        return 901;
    case RB_REASON_SYNTAXERROR:
        return 902;
    case RB_REASON_NORELAYING:
        return 909;
    case RB_REASON_FILTERED:
        return 910;
    case RB_REASON_USERUNKNOWN:
        return 911;
    case RB_REASON_HOSTUNKNOWN:
        return 912;
    case RB_REASON_HASMOVED:
        return 916;
    case RB_REASON_REJECTED:
        return 918;
    case RB_REASON_SUSPEND:
        return 921;
    case RB_REASON_MAILBOXFULL:
        return 922;
    case RB_REASON_EXCEEDLIMIT:
        return 923;
    case RB_REASON_SYSTEMERROR:
        return 930;
    case RB_REASON_SYSTEMFULL:
        return 931;
    case RB_REASON_NOTACCEPT:
        return 932;
    case RB_REASON_MESGTOOBIG:
        return 934;
    case RB_REASON_MAILERERROR:
        return 939;
    case RB_REASON_NETWORKERROR:
        return 944;
    case RB_REASON_TOOMANYCONN:
        return 945;
    case RB_REASON_EXPIRED:
        return 947;
    case RB_REASON_CONTENTERROR:
        return 960;
    case RB_REASON_SECURITYERROR:
        return 970;
    case RB_REASON_BLOCKED:
        return 971;
    case RB_REASON_REQUIREPTR:
        return 973;
    case RB_REASON_FAILEDSTARTTLS:
        return 976;
    case RB_REASON_SPAMDETECTED:
        return 980;
    case RB_REASON_VIRUSDETECTED:
        return 981;
    case RB_REASON_POLICYVIOLATION:
        return 972;
    default:
        return 0;
    }
}

/* rhost_from_text - "host mx.example.org[192.0.2.1] said:" / "remote host 192.0.2.1". */
static struct slice rhost_from_text(const char *p, size_t n)
{
    const char *h = memmem_ci(p, n, "host ", 5);
    while (h) {
        const char *s = h + 5;
        const char *e = s;
        while (e < p + n && *e != '[' && *e != ' ' && *e != ':' && *e != '(' && *e != ',')
            e++;
        if (e > s && memchr(s, '.', (size_t)(e - s)))
            return slice_make(s, (size_t)(e - s));
        h = memmem_ci(h + 5, (size_t)(p + n - h - 5), "host ", 5);
    }
    return slice_make(p, 0);
}

/* uu_confirmed - is "user unknown" wording backed by more than the wording itself: the
 * dialect knew it, the reply answered RCPT, the status code says a bad mailbox (X.1.0,
 * X.1.1, X.1.3), or the deciding rule is the receiving provider's own (its remote host or
 * the reporting host belongs to the provider the rule names)? */
static int uu_confirmed(const struct rb_parser *bp, const struct prec *pr, const rb_verdict *v,
                        struct slice rhost)
{
    const rb_reply *rp = &v->reply;
    if (pr->hint == RB_REASON_USERUNKNOWN || strcmp(rp->command, "RCPT") == 0)
        return 1;
    /* Exchange's recipient resolver answers only after its directory lookup failed */
    if (memmem_ci(rp->text, rp->text_len, "RESOLVER.ADR.RecipNotFound", 26) ||
        memmem_ci(rp->text, rp->text_len, "RESOLVER.ADR.RecipientNotFound", 30) ||
        memmem_ci(rp->text, rp->text_len, "RESOLVER.ADR.ExRecipNotFound", 28))
        return 1;
    if (rp->status_subject == 1 &&
        (rp->status_detail == 0 || rp->status_detail == 1 || rp->status_detail == 3))
        return 1;
    /* a provider whose reply vocabulary is documented (data/provider-hosts.tsv) received
     * or reported it: its wording is its verdict, as Sisimai's per-provider modules read it */
    const char *h[2] = {rhost.p, arena_str(bp, bp->lhost)};
    size_t hn[2] = {rhost.len, strlen(h[1])};
    for (int k = 0; k < 2; k++) {
        struct slice t = host_token(h[k], hn[k]);
        if (t.len && classify_host_provider(t.p, t.len))
            return 1;
    }
    return 0;
}

/* sisimai_filtered - Sisimai's reading of "user unknown" wording: an address verdict only
 * when something corroborates it (uu_confirmed); otherwise the receiver refused the message
 * after accepting the recipient (or said nothing about when), which Sisimai calls filtered
 * (a per-recipient filter, no hard bounce). A refusal before RCPT (CONN, HELO, MAIL) is
 * left alone. Also applies the receiving provider's own reading (provider_rhost_reason).
 * Only ever softens an address verdict, so no sender-side refusal becomes a hard bounce. */
static void sisimai_filtered(const struct rb_parser *bp, const struct prec *pr, rb_verdict *v)
{
    struct slice rh = {arena_str(bp, pr->rhost), 0};
    rh.len = strlen(rh.p);
    if (!rh.len)
        rh = rhost_from_text(v->reply.text, v->reply.text_len);
    const char *rcpt = arena_str(bp, pr->rcpt);
    struct slice dom = addr_domain(slice_make(rcpt, strlen(rcpt)));
    rb_reason pr_reason = provider_rhost_reason(rh.p, rh.len, dom, &v->reply);
    /* no remote host named: the reporting host is the one that refused (a receiving
     * service's own report, as Amazon SES inbound writes) */
    const char *lh = arena_str(bp, bp->lhost);
    if (pr_reason == RB_REASON_UNDEFINED && !arena_str(bp, pr->rhost)[0] && lh[0])
        pr_reason = provider_rhost_reason(lh, strlen(lh), dom, &v->reply);
    if ((pr_reason == RB_REASON_FILTERED &&
         (v->reason == RB_REASON_USERUNKNOWN || v->reason == RB_REASON_ONHOLD)) ||
        (pr_reason == RB_REASON_REJECTED &&
         (v->reason == RB_REASON_USERUNKNOWN || v->reason == RB_REASON_FILTERED))) {
        classify_recast(v, pr_reason, "provider-rhost");
        return;
    }
    if (v->reason != RB_REASON_USERUNKNOWN || pr_reason == RB_REASON_USERUNKNOWN)
        return;
    static const char *const before_rcpt[] = {"CONN", "HELO", "EHLO", "MAIL", "STARTTLS", "AUTH"};
    for (size_t k = 0; k < sizeof before_rcpt / sizeof before_rcpt[0]; k++)
        if (strcmp(v->reply.command, before_rcpt[k]) == 0)
            return;
    if (!uu_confirmed(bp, pr, v, rh))
        classify_recast(v, RB_REASON_FILTERED, "userunknown-unconfirmed");
}

/* by_code_only - was the verdict decided by no phrase: only the codes' generic meaning
 * (data/status-map.tsv), or nothing at all? */
static int by_code_only(const rb_verdict *v)
{
    static const char *const weak[] = {"status-map", "reply-code-map", "no-rule",
                                       "onhold-unexplained", "x-unix-exit"};
    for (size_t k = 0; k < sizeof weak / sizeof weak[0]; k++)
        if (strcmp(v->rule, weak[k]) == 0)
            return 1;
    return 0;
}

/* unexplained - did neither a phrase nor the codes say why: no rule decided, or only a code
 * with no meaning of its own (X.0.0, 4.3.0 ...: onhold)? */
static int unexplained(const rb_verdict *v)
{
    return (v->reason == RB_REASON_ONHOLD || v->reason == RB_REASON_UNDEFINED) && by_code_only(v);
}

struct emit_ctx {
    rb_record_cb cb;
    void *ud;
};

static int emit(struct rb_parser *bp, struct prec *pr, const struct emit_ctx *ec)
{
    rb_record rec;
    memset(&rec, 0, sizeof rec);
    rb_input in;
    memset(&in, 0, sizeof in);
    const char *diag = arena_str(bp, pr->diag);
    in.text = diag;
    in.text_len = strlen(diag);
    in.status = arena_str(bp, pr->status);
    in.replycode = pr->replycode;
    in.rhost = arena_str(bp, pr->rhost);
    in.action = arena_str(bp, pr->action);
    in.hint = pr->hint;
    in.command = arena_str(bp, pr->command);
    char cmd[16];
    if (!in.command[0] && !pr->cmd_read) {
        text_find_command(diag, in.text_len, cmd);
        in.command = cmd;
    }
    int rc = rb_classify(bp->s, &in, &rec.verdict);
    if (rc != RB_OK)
        return rc;
    rb_verdict *v = &rec.verdict;
    /* a failure with a diagnostic that no rule explains is "onhold" (known to have failed,
     * cause not determined), as Sisimai reports it; "undefined" is kept for no text at all */
    if (v->reason == RB_REASON_UNDEFINED && v->reply.text_len > 0) {
        v->reason = RB_REASON_ONHOLD;
        v->rule = "onhold-unexplained";
    }
    /* a local delivery program failed (pipe alias, X-Unix exit status) and neither a phrase
     * nor the status code says why: the mailer's own failure, whatever generic code the MTA
     * wrapped it in (sendmail "4.5.0" with "X-Unix; 71", Exim "5.0.0" for a pipe); a media
     * (X.6) or security (X.7) code still says more */
    if ((pr->mailer ||
         slice_eq_ci(slice_make(v->reply.diagtype, strlen(v->reply.diagtype)), "X-Unix")) &&
        v->reply.status_subject != 6 && v->reply.status_subject != 7 && unexplained(v))
        classify_recast(v, RB_REASON_MAILERERROR, "local-program");
    /* a delay notice ("Action: delayed") whose only evidence is a code without a meaning
     * of its own (4.0.0, 4.4.0, 4.5.0: status-map prio 15 or less) or nothing: the message
     * is still queued and its delivery is running late, Sisimai's expired. Parse only: a
     * log's deferral (ingest) is no report about the message's fate. */
    if (slice_eq_ci(slice_make(in.action, strlen(in.action)), "delayed") && by_code_only(v) &&
        classify_code_prio(&v->reply) <= 15 &&
        (v->reply.status_class == 4 || v->reply.status_class == 0) &&
        v->reply.status_subject != 6 && v->reply.status_subject != 7 &&
        v->reason != RB_REASON_MAILERERROR)
        classify_recast(v, RB_REASON_EXPIRED, "delayed-unexplained");
    /* refused at the greeting or EHLO/HELO with nothing more said ("after EHLO ...: 550
     * Rejected"): the receiver would not talk to the sending host at all */
    if (unexplained(v) &&
        (strcmp(v->reply.command, "EHLO") == 0 || strcmp(v->reply.command, "HELO") == 0))
        classify_recast(v, RB_REASON_BLOCKED, "refused-at-helo");
    /* refused at MAIL FROM with no phrase saying why, only a generic code ("550 5.7.1
     * Access denied (in reply to MAIL FROM command)"): the receiver refused the sender */
    if (by_code_only(v) && strcmp(v->reply.command, "MAIL") == 0 &&
        (v->reason == RB_REASON_ONHOLD || v->reason == RB_REASON_UNDEFINED ||
         v->reason == RB_REASON_SECURITYERROR || v->reason == RB_REASON_SYSTEMERROR))
        classify_recast(v, RB_REASON_REJECTED, "refused-at-mail-from");
    sisimai_filtered(bp, pr, v);
    /* a failure with no code at all gets Sisimai's pseudo status, so results compare */
    if (!v->reply.status[0] && v->reason != RB_REASON_DELIVERED &&
        v->reason != RB_REASON_FEEDBACK && v->reason != RB_REASON_VACATION) {
        int code = pseudo_status(v->reason);
        /* Exim's "SMTP error from remote mail server after MAIL FROM:": the recipient was
         * never tried, its own fate is on hold (Sisimai's Exim reading gives such records
         * the onhold pseudo status) */
        if (code && strcmp(v->reply.command, "MAIL") == 0 &&
            strcmp(arena_str(bp, bp->agent), "Exim") == 0)
            code = pseudo_status(RB_REASON_ONHOLD);
        /* class: the reply code's, else transient when the format or its wording says so */
        int temp = pr->temporary || memmem_ci(diag, strlen(diag), " temporar", 9) ||
                   memmem_ci(diag, strlen(diag), " persistent", 11);
        int cls = v->reply.replycode ? v->reply.replycode / 100 : temp ? 4 : 5;
        if (code && (cls == 4 || cls == 5)) {
            char *s = v->reply.status;
            s[0] = (char)('0' + cls), s[1] = '.', s[2] = '0', s[3] = '.';
            s[4] = (char)('0' + code / 100), s[5] = (char)('0' + code / 10 % 10);
            s[6] = (char)('0' + code % 10), s[7] = '\0';
        }
    }
    /* a reply code of another class than the final status is not the reply that decided
     * the recipient's fate (an earlier attempt's, or a code quoted in prose) */
    if (v->reply.replycode && v->reply.status[0] &&
        v->reply.replycode / 100 != v->reply.status[0] - '0') {
        v->reply.replycode = 0;
        v->reply.flags &= ~(unsigned)RB_REPLY_CODE_MISMATCH;
    }
    rec.recipient = arena_str(bp, pr->rcpt);
    rec.addresser = arena_str(bp, bp->addresser);
    struct slice sd = addr_domain(slice_make(rec.addresser, strlen(rec.addresser)));
    struct slice dd = addr_domain(slice_make(rec.recipient, strlen(rec.recipient)));
    rec.senderdomain = sd.p;
    rec.destination = dd.p;
    const char *date = pr->date ? arena_str(bp, pr->date) : arena_str(bp, bp->date);
    if (!date_parse(date, strlen(date), &rec.timestamp, &rec.timezoneoffset) && pr->date) {
        date = arena_str(bp, bp->date);
        date_parse(date, strlen(date), &rec.timestamp, &rec.timezoneoffset);
    }
    rec.diagnosticcode = v->reply.text;
    rec.action = pr->action ? arena_str(bp, pr->action)
                 : v->reason == RB_REASON_FEEDBACK || v->reason == RB_REASON_VACATION ? ""
                                                                                      : "failed";
    rec.lhost = arena_str(bp, bp->lhost);
    rec.rhost = arena_str(bp, pr->rhost);
    if (!rec.rhost[0]) {
        struct slice h = rhost_from_text(v->reply.text, v->reply.text_len);
        if (h.len) {
            size_t o = arena_add(bp, h.p, h.len);
            rec.rhost = arena_str(bp, o);
            /* arena_add may have moved the arena: refresh every borrowed string */
            rec.recipient = arena_str(bp, pr->rcpt);
            rec.addresser = arena_str(bp, bp->addresser);
            sd = addr_domain(slice_make(rec.addresser, strlen(rec.addresser)));
            dd = addr_domain(slice_make(rec.recipient, strlen(rec.recipient)));
            rec.senderdomain = sd.p;
            rec.destination = dd.p;
            rec.lhost = arena_str(bp, bp->lhost);
            if (pr->action)
                rec.action = arena_str(bp, pr->action);
        }
    }
    rec.smtpagent = arena_str(bp, bp->agent);
    rec.messageid = arena_str(bp, bp->messageid);
    rec.subject = arena_str(bp, bp->subject);
    rec.listid = arena_str(bp, bp->listid);
    rec.feedbacktype = v->reason == RB_REASON_FEEDBACK ? arena_str(bp, bp->feedbacktype) : "";
    rec.dkim_domain = arena_str(bp, bp->dkim_d);
    rec.dkim_selector = arena_str(bp, bp->dkim_s);
    rec.defects = pr->defects | bp->defects;
    if (v->reply.flags & RB_REPLY_TRUNCATED)
        rec.defects |= RB_DEFECT_LIMIT;
    return ec->cb(&rec, ec->ud);
}

/* ---- the whole message ---------------------------------------------------------------- */

static void reset_message(struct rb_parser *bp)
{
    buf_reset(&bp->arena);
    /* offset 0 is the empty string */
    if (buf_putc(&bp->arena, '\0') != RB_OK)
        bp->defects |= RB_DEFECT_LIMIT;
    buf_reset(&bp->notice);
    bp->notice_end = 0;
    bp->index_built = 0;
    bp->naddr = 0;
    bp->nrec = 0;
    bp->dropped = 0;
    bp->addresser = bp->subject = bp->messageid = bp->listid = bp->feedbacktype = 0;
    bp->lhost = bp->agent = bp->dkim_d = bp->dkim_s = bp->date = 0;
    bp->bounce_to = bp->bounce_from = 0;
    bp->defects = 0;
}

/* unlisted_recipient - a delivery-status report with no recipient block at all (Postfix
 * writes "--- Delivery report unavailable ---" when the bounce log of the message is gone)
 * still says the returned message failed: its To is the recipient, the cause unknown
 * (undefined), as Sisimai reads such a report. */
static int unlisted_recipient(struct rb_parser *bp, struct slice orig_hdr)
{
    struct slice v, a;
    size_t pos = 0;
    if (!mime_hdr_find(orig_hdr, "To", &v) || !addr_find(v.p, v.len, &pos, &a))
        return RB_OK;
    struct prec *r = prec_add(bp);
    if (!r)
        return RB_ENOMEM; /* the first record: only an allocation can fail */
    r->rcpt = arena_add(bp, a.p, a.len);
    r->defects |= RB_DEFECT_NO_DIAG;
    return RB_OK;
}

/* is_inside - is part i inside the subtree of part root? */
static int is_inside(const struct mime_msg *m, int i, int root)
{
    while (i >= 0) {
        if (i == root)
            return 1;
        i = m->parts[i].parent;
    }
    return 0;
}

/* forwarded_report - a gateway that passes on the bounce it received as an attachment
 * (its own notice names no recipient, the attached message is the multipart/report, as
 * mail security relays such as Trend Micro's do): read the attached report's
 * delivery-status part, and take the original message from inside it. */
static int forwarded_report(struct rb_parser *bp, int orig)
{
    const struct mime_msg *m = &bp->mm;
    int dsn = -1, inner = -1;
    for (size_t i = (size_t)orig + 1; i < m->nparts && is_inside(m, (int)i, orig); i++) {
        int k = m->parts[i].kind;
        if (k == MIME_K_DSN && dsn < 0)
            dsn = (int)i;
        else if ((k == MIME_K_MESSAGE || k == MIME_K_RFC822_HDRS) && dsn >= 0 && inner < 0)
            inner = (int)i;
    }
    if (dsn < 0)
        return RB_OK;
    int rc = dsn_records(bp, &m->parts[dsn], slice_make("", 0));
    if (rc != RB_OK || bp->nrec == 0 || inner < 0)
        return rc;
    bp->addresser = bp->subject = bp->messageid = bp->listid = bp->dkim_d = bp->dkim_s = 0;
    original_headers(bp, mime_part_inner_hdr(m, &m->parts[inner]));
    if (!bp->addresser)
        bp->addresser = bp->bounce_to;
    return RB_OK;
}

static int parse_one(rb_parser *bp, const char *msg, size_t len, rb_record_cb cb, void *ud)
{
    reset_message(bp);
    int rc = mime_parse(&bp->mm, msg, len);
    if (rc != RB_OK)
        return rc;
    const struct mime_msg *m = &bp->mm;
    if (m->defects &
        (MIME_D_NO_END_BOUNDARY | MIME_D_TRUNC_HEADERS | MIME_D_DEPTH | MIME_D_PARTS |
         MIME_D_HEADER_BYTES | MIME_D_NO_BOUNDARY | MIME_D_LONG_LINE | MIME_D_BAD_CTYPE))
        bp->defects |= RB_DEFECT_MIME;
    if (m->defects & (MIME_D_DEPTH | MIME_D_PARTS))
        bp->defects |= RB_DEFECT_HIDDEN;
    struct slice top = m->parts[0].hdr;
    bp->date = hdr_add(bp, top, "Date", 0);
    bp->bounce_to = hdr_addr_add(bp, top, "To");
    bp->bounce_from = hdr_addr_add(bp, top, "From");

    /* find the parts that matter */
    int dsn = -1, fb = -1, orig = -1, text = -1;
    for (size_t i = 0; i < m->nparts; i++) {
        const struct mime_part *pt = &m->parts[i];
        if (orig >= 0 && is_inside(m, (int)i, orig))
            continue; /* inside the returned message: not part of the report */
        switch (pt->kind) {
        case MIME_K_DSN:
            if (dsn < 0)
                dsn = (int)i;
            break;
        case MIME_K_FEEDBACK:
            if (fb < 0)
                fb = (int)i;
            break;
        case MIME_K_MESSAGE:
        case MIME_K_RFC822_HDRS:
            if (orig < 0 && i > 0)
                orig = (int)i;
            break;
        case MIME_K_TEXT:
            if (text < 0)
                text = (int)i;
            break;
        default:
            break;
        }
    }

    /* the human-readable notice, decoded to UTF-8 */
    if (text >= 0) {
        uint32_t defects = 0;
        if (mime_decode_text(&bp->cv, &m->parts[text], &bp->notice, &defects) != RB_OK)
            bp->defects |= RB_DEFECT_LIMIT;
    }
    if (text < 0 && dsn < 0 && fb < 0 && m->parts[0].body.len) {
        /* no readable part (a multipart without usable boundary, an unknown type): read
         * the raw body, so its text still yields what it names */
        uint32_t defects = 0;
        if (mime_decode_body(&m->parts[0], &bp->notice, &defects) != RB_OK)
            bp->defects |= RB_DEFECT_LIMIT;
    }
    if (!bp->notice.p && buf_reserve(&bp->notice, 0) != RB_OK)
        return RB_ENOMEM;
    bp->notice_end = text_original_start(bp->notice.p, bp->notice.len);

    /* the original message's headers */
    struct slice orig_hdr = {"", 0};
    if (orig >= 0)
        orig_hdr = mime_part_inner_hdr(m, &m->parts[orig]);
    if (!orig_hdr.len && bp->notice_end < bp->notice.len)
        orig_hdr = header_block_at(bp->notice.p + bp->notice_end, bp->notice.len - bp->notice_end);
    original_headers(bp, orig_hdr);
    if (!bp->addresser)
        bp->addresser = bp->bounce_to; /* a bounce goes back to the original sender */

    if (fb >= 0)
        rc = arf_records(bp, &m->parts[fb], orig_hdr);
    else if (dsn >= 0)
        rc = dsn_records(bp, &m->parts[dsn], slice_make("", 0));
    else if (bp->notice.len) {
        struct slice er = embedded_report(bp);
        if (er.len)
            rc = dsn_records(bp, NULL, er);
    }
    if (rc == RB_OK && fb < 0 && bp->nrec > 0)
        rc = dialect_amend(bp, top);
    if (rc == RB_OK && bp->nrec == 0)
        rc = dialect_records(bp, top);
    if (rc == RB_OK && bp->nrec == 0 && dsn < 0 && fb < 0 && orig >= 0)
        rc = forwarded_report(bp, orig);
    if (rc == RB_OK && bp->nrec == 0 && dsn < 0 && fb < 0 && bp->notice.p) {
        /* no dialect knew the notice: a report pasted into it without MIME framing still
         * says more than the notice's prose */
        struct slice br = bare_report(bp->notice.p, bp->notice.len);
        if (br.len)
            rc = dsn_records(bp, NULL, br);
    }
    /* RFC 3834: a response a person's agent sent (Auto-Submitted: auto-replied, not from a
     * mail system) is a vacation reply, whatever addresses its text quotes */
    int replied = rc == RB_OK && bp->nrec == 0 && dsn < 0 && fb < 0 && bp->bounce_from &&
                  auto_replied(top) && !is_bounce_sender(bp);
    if (rc == RB_OK && bp->nrec == 0 && !replied)
        rc = text_records(bp);
    if (rc == RB_OK && bp->nrec == 0 && dsn >= 0)
        rc = unlisted_recipient(bp, orig_hdr);
    if (rc == RB_OK && bp->nrec == 0 && is_auto_reply(bp, top) && !is_bounce_sender(bp) &&
        bp->bounce_from) {
        struct prec *r = prec_add(bp);
        if (r) {
            r->rcpt = bp->bounce_from;
            r->hint = RB_REASON_VACATION;
            r->action = 0;
            bp->agent = arena_add(bp, "RFC3834", 7);
        }
    }
    if (rc != RB_OK)
        return rc;
    if (!bp->lhost) {
        /* the reporting host: the From domain of a MAILER-DAEMON message is a fair guess */
        const char *f = arena_str(bp, bp->bounce_from);
        struct slice d = addr_domain(slice_make(f, strlen(f)));
        /* d points into the arena, which arena_add may move: copy it out first */
        buf_reset(&bp->tmp);
        if (d.len && buf_append(&bp->tmp, d.p, d.len) == RB_OK)
            bp->lhost = arena_add(bp, bp->tmp.p, bp->tmp.len);
    }
    struct emit_ctx ec = {cb, ud};
    for (size_t i = 0; i < bp->nrec; i++) {
        rc = emit(bp, &bp->recs[i], &ec);
        if (rc != RB_OK)
            return rc;
    }
    return RB_OK;
}

/* after_message_end - does the line before offset s (a line start) end a message: an empty
 * line (mbox framing) or a MIME close delimiter ("--boundary--", the end of a report)? */
static int after_message_end(const char *msg, size_t s)
{
    if (s == 0)
        return 0;
    size_t e = s - 1; /* the '\n' ending the previous line */
    if (e > 0 && msg[e - 1] == '\r')
        e--;
    size_t b = e;
    while (b > 0 && msg[b - 1] != '\n')
        b--;
    if (b == e)
        return b > 0; /* an empty line, not the message's first */
    if (e - b < 5 || msg[b] != '-' || msg[b + 1] != '-' || msg[e - 1] != '-' || msg[e - 2] != '-')
        return 0;
    for (size_t k = b + 2; k < e - 2; k++)
        if (msg[k] != '-')
            return 1; /* a boundary, not a rule of dashes */
    return 0;
}

/* next_bounce - where a second bounce starts inside msg, mbox style: a From_ line
 * (msgsrc_is_from_line) right after an empty line, followed by a header block whose From is
 * a mail system or whose Content-Type is a report. A Maildir file is one message, but a
 * mis-filed mbox (a delivery agent appending a postmaster copy to the bounce) holds several,
 * sometimes with the From_ line right after the report's close delimiter, and Sisimai reads
 * every report in the file. Unquoted From_ lines occur in Maildir bodies
 * too, so the block after it must be a bounce's own header. Sets *next to the byte after the
 * From_ line; returns the start of the From_ line, or len if there is none. */
static size_t next_bounce(const char *msg, size_t len, size_t *next)
{
    size_t i = 1;
    const char *h;
    /* memchr for the rare 'F' is several times cheaper than memmem over every message */
    while (i < len && (h = memchr(msg + i, 'F', len - i)) != NULL) {
        size_t s = (size_t)(h - msg);
        i = s + 1;
        if (h[-1] != '\n' || len - s < 5 || memcmp(h, "From ", 5) != 0)
            continue;
        const char *nl = memchr(msg + s, '\n', len - s);
        size_t e = nl ? (size_t)(nl - msg) : len;
        if (!nl || !after_message_end(msg, s) || !msgsrc_is_from_line(msg + s, e - s))
            continue;
        struct slice blk = header_block_at(msg + e + 1, len - e - 1);
        if (blk.p != msg + e + 1 || !blk.len)
            continue; /* the postmark must lead a header block */
        struct slice v;
        int bounce = 0;
        if (mime_hdr_find(blk, "From", &v)) {
            static const char *const sys[] = {"mailer-daemon", "postmaster", "mail delivery"};
            for (size_t k = 0; k < sizeof sys / sizeof sys[0] && !bounce; k++)
                bounce = memmem_ci(v.p, v.len, sys[k], strlen(sys[k])) != NULL;
        }
        if (!bounce && mime_hdr_find(blk, "Content-Type", &v))
            bounce = memmem_ci(v.p, v.len, "multipart/report", 16) != NULL;
        if (bounce) {
            *next = e + 1;
            return s;
        }
    }
    return len;
}

int rb_parse_message(rb_parser *bp, const char *msg, size_t len, rb_record_cb cb, void *ud)
{
    for (;;) {
        size_t next = len, end = next_bounce(msg, len, &next);
        int rc = parse_one(bp, msg, end, cb, ud);
        if (rc != RB_OK || end == len)
            return rc;
        msg += next;
        len -= next;
    }
}
