/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mta_vendor.c - dialects of commercial MTAs and mail filters (see dialect.h for the contract).
 *
 * DESCRIPTION
 *   Each dialect is chosen by the header evidence the product always leaves (X-Mailer,
 *   X-MS-Embedded-Report, Subject wording, From display names, MIME boundary styles) and
 *   reads the plain-text notice the product really writes:
 *     Exchange 2003    "did not reach the following recipient(s):", "addr on <date>",
 *                      "MSEXCH:IMS:... (000C05A6)" diagnostic codes
 *     Domino           "was not delivered to:" / "because:" (Subject "DELIVERY FAILURE:");
 *                      amend hook: an ISO-2022-JP Diagnostic-Code in its RFC 3464 report
 *                      is decoded to UTF-8 and gets the Domino phrase hints
 *     Lotus Notes      "------- Failure Reasons --------" (Subject "Undeliverable message")
 *     IMail Server     "Unknown user: addr" (X-Mailer "<SMTP32 v...>")
 *     MessagingServer  "Recipient address:", "Reason:", "Diagnostic code:" (Sun/Oracle/PMDF)
 *     InterScan MSS    "Unable to deliver message to <addr>" (Trend Micro)
 *     MailMarshal      "Could not be delivered because of" / "The following recipients were
 *                      affected:"
 *     McAfee           amend hook only (X-NAI-Header "Modified by McAfee"): the gateway's
 *                      "--- The following addresses had delivery problems ---" report
 *                      lists a recipient the next hop refused as unknown; that verdict
 *                      is the gateway's own, made at RCPT
 *   Facts about each format come from the products' notices as documented by Sisimai
 *   (lib/Sisimai/Lhost/<name>.pm); the code here is our own.
 *
 * LIMITS
 *   Only bp->notice up to bp->notice_end is read; every index is bounded by that length, so
 *   records() is safe on any bytes. Diagnostics are cut at VEND_MAX_DIAG bytes; detect()
 *   looks at no more than VEND_MAX_RECEIVED header fields.
 *
 * SEE ALSO
 *   dialect.h (the contract), bounce_text.c (the generic fallback), mta_provider.c.
 */
#include <string.h>

#include "dialect.h"
#include "textutil.h"

#define VEND_MAX_DIAG 2048   /* bytes of diagnostic text kept per record */
#define VEND_MAX_RECEIVED 64 /* Received fields looked at by detect() */

/* ---- helpers -------------------------------------------------------------------------- */

/* after - the part of line after the first occurrence of lit, trimmed; empty if none. */
static struct slice after(struct slice line, const char *lit)
{
    size_t n = strlen(lit);
    const char *s = memmem_ci(line.p, line.len, lit, n);
    if (!s)
        return slice_make(line.p, 0);
    return slice_trim(slice_make(s + n, line.len - (size_t)(s - line.p) - n));
}

/* diag_put - append line to the diagnostic being built in bp->tmp: runs of blanks become
 * one space, lines are joined with one space, up to VEND_MAX_DIAG bytes. */
static void diag_put(struct rb_parser *bp, struct slice line)
{
    line = slice_trim(line);
    if (!line.len)
        return;
    if (bp->tmp.len && bp->tmp.len < VEND_MAX_DIAG && buf_putc(&bp->tmp, ' ') != RB_OK)
        return;
    int blank = 0;
    for (size_t i = 0; i < line.len && bp->tmp.len < VEND_MAX_DIAG; i++) {
        char c = line.p[i];
        if (c == ' ' || c == '\t') {
            blank = 1;
            continue;
        }
        if ((blank && buf_putc(&bp->tmp, ' ') != RB_OK) || buf_putc(&bp->tmp, c) != RB_OK) {
            bp->defects |= RB_DEFECT_LIMIT;
            return;
        }
        blank = 0;
    }
}

/* rec_diag - store bp->tmp as r's diagnostic and give r the hint of the first phrase of
 * table (NULL-terminated text/reason pairs) that the diagnostic contains. */
struct phrase {
    const char *text;
    rb_reason reason;
};
static void rec_diag(struct rb_parser *bp, struct prec *r, const struct phrase *table)
{
    if (!r)
        return;
    r->diag = arena_add(bp, bp->tmp.p, bp->tmp.len);
    for (const struct phrase *ph = table; ph && ph->text && !r->hint; ph++)
        if (dl_has(bp->tmp.p, bp->tmp.len, ph->text))
            r->hint = ph->reason;
}

/* line_addr - the address that is the whole of line t (blanks and <> aside), or empty. */
static struct slice line_addr(struct slice t)
{
    t = slice_trim(t);
    size_t pos = 0;
    struct slice a = {t.p, 0};
    if (!t.len || !addr_find(t.p, t.len, &pos, &a))
        return slice_make(t.p, 0);
    const char *s = t.p, *e = t.p + t.len;
    if (*s == '<')
        s++;
    if (e > s && e[-1] == '>')
        e--;
    if (a.p != s || a.p + a.len != e)
        return slice_make(t.p, 0);
    return a;
}

/* ---- Exchange 2003 -------------------------------------------------------------------- */

/* Exchange 5.5/2000/2003 (Internet Mail Service / Internet Mail Connector) notices:
 *   Your message
 *     To:      ...
 *   did not reach the following recipient(s):
 *   kijitora@example.jp on Thu, 29 Apr 2010 00:00:00 -0000
 *       The recipient name is not recognized
 *       MSEXCH:IMS:ORG:SITE:SERVER 0 (000C05A6) Unknown Recipient
 * The hexadecimal code in parentheses is Exchange's own error code. */
static const struct {
    const char *code;
    rb_reason reason;
} exch_codes[] = {
    {"000B099C", RB_REASON_ONHOLD},       /* host unknown, size limit, ... */
    {"000B09AA", RB_REASON_ONHOLD},       /* unable to relay, size limit, ... */
    {"000B09B6", RB_REASON_ONHOLD},       /* error from the remote MTA */
    {"000C05A6", RB_REASON_USERUNKNOWN},  /* unknown recipient */
    {"00010256", RB_REASON_SYSTEMERROR},  /* too many recipients */
    {"000D06B5", RB_REASON_SYSTEMERROR},  /* no proxy for recipient */
    {"00120270", RB_REASON_NETWORKERROR}, /* too many hops */
    {"00050311", RB_REASON_CONTENTERROR}, /* conversion to Internet format failed */
    {"000502CC", RB_REASON_CONTENTERROR},
    {"000B0981", RB_REASON_SECURITYERROR}, /* server does not support AUTH */
    {"000C0595", RB_REASON_FILTERED},      /* ambiguous recipient */
};

static int exch2003_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    struct slice v;
    if (mime_hdr_find(hdr, "X-MS-Embedded-Report", &v) ||
        dl_hdr_starts(hdr, "X-Mailer", "Internet Mail Service (") ||
        dl_hdr_starts(hdr, "X-Mailer", "Microsoft Exchange Server Internet Mail Connector") ||
        dl_hdr_starts(hdr, "X-MimeOLE", "Produced By Microsoft Exchange"))
        return 1;
    struct mime_hdr_iter it;
    struct slice name;
    mime_hdr_iter_init(&it, hdr);
    for (size_t k = 0; k < VEND_MAX_RECEIVED && mime_hdr_next(&it, &name, &v); k++)
        if (slice_eq_ci(name, "Received") && dl_has(v.p, v.len, " with Internet Mail Service ("))
            return 1;
    return 0;
}

/* exch2003_rcpt - "addr on <date>" or "... SMTP=addr on <date>": the address, or empty. */
static struct slice exch2003_rcpt(struct slice line)
{
    struct slice t = slice_trim(line);
    const char *on = memmem_ci(t.p, t.len, " on ", 4);
    if (!on)
        return slice_make(t.p, 0);
    struct slice head = slice_make(t.p, (size_t)(on - t.p));
    const char *smtp = memmem_ci(head.p, head.len, "SMTP=", 5);
    if (smtp)
        head = slice_make(smtp + 5, head.len - (size_t)(smtp + 5 - head.p));
    if (memchr(head.p, ' ', head.len))
        return slice_make(t.p, 0);
    return line_addr(head);
}

static void exch2003_finish(struct rb_parser *bp, struct prec *r)
{
    if (!r)
        return;
    rec_diag(bp, r, NULL);
    const char *d = bp->tmp.p;
    size_t n = bp->tmp.len;
    const char *m = d ? memmem_ci(d, n, "MSEXCH:", 7) : NULL;
    const char *o = m ? memchr(m, '(', n - (size_t)(m - d)) : NULL;
    if (!o || (size_t)(d + n - o) < 10 || o[9] != ')')
        return;
    for (size_t i = 0; i < sizeof exch_codes / sizeof exch_codes[0]; i++)
        if (memmem_ci(o + 1, 8, exch_codes[i].code, 8))
            r->hint = exch_codes[i].reason;
}

static int exch2003_records(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    const char *p = bp->notice.p;
    size_t n = bp->notice_end, pos = 0;
    struct slice line;
    int started = 0, rc = RB_OK;
    struct prec *r = NULL;
    buf_reset(&bp->tmp);
    while (dl_next_line(p, n, &pos, &line)) {
        if (!started) {
            /* "did not reach the following recipient(s):" / "could not be reached:" */
            started = dl_has(line.p, line.len, "did not reach the following recipient") ||
                      dl_has(line.p, line.len, "following recipient(s) could not be reached");
            continue;
        }
        struct slice a = exch2003_rcpt(line);
        if (a.len) {
            exch2003_finish(bp, r);
            buf_reset(&bp->tmp);
            r = dl_rec_new(bp, a, &rc);
            if (!r)
                return rc;
            continue;
        }
        if (r)
            diag_put(bp, line);
    }
    exch2003_finish(bp, r);
    return rc;
}

static const struct dialect exchange2003 = {
    .name = "Exchange2003", .detect = exch2003_detect, .records = exch2003_records};

/* ---- Domino --------------------------------------------------------------------------- */

static const struct phrase domino_phrases[] = {
    {"not listed in Domino Directory", RB_REASON_USERUNKNOWN},
    {"not listed in public Name & Address Book", RB_REASON_USERUNKNOWN},
    {"Domino ディレクトリには見つかりません", RB_REASON_USERUNKNOWN},
    {"Cannot route mail to user", RB_REASON_FILTERED},
    {"Several matches found in Domino Directory", RB_REASON_SYSTEMERROR},
    {NULL, RB_REASON_UNDEFINED},
};

static int domino_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    return dl_hdr_starts(hdr, "Subject", "DELIVERY FAILURE:");
}

/*   Your message
 *     Subject: ...
 *   was not delivered to:
 *     kijitora@example.net
 *   because:
 *     User some.name (kijitora@example.net) not listed in Domino Directory */
static int domino_records(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    const char *p = bp->notice.p;
    size_t n = bp->notice_end, pos = 0;
    struct slice line;
    int state = 0, rc = RB_OK; /* 1: after "was not delivered to:", 2: after "because:" */
    struct prec *r = NULL;
    buf_reset(&bp->tmp);
    while (dl_next_line(p, n, &pos, &line)) {
        struct slice t = slice_trim(line);
        if (!t.len)
            continue;
        if (dl_starts_with(t, "was not delivered to")) {
            if (r)
                rec_diag(bp, r, domino_phrases);
            buf_reset(&bp->tmp);
            r = NULL;
            state = 1;
        } else if (dl_starts_with(t, "because:")) {
            state = 2;
        } else if (state == 1 && !r) {
            struct slice a = line_addr(t);
            if (a.len && !(r = dl_rec_new(bp, a, &rc)))
                return rc;
        } else if (state == 2 && r) {
            diag_put(bp, t);
        }
    }
    if (r)
        rec_diag(bp, r, domino_phrases);
    return rc;
}

/* domino_amend - Domino writes its Diagnostic-Code in the server's native charset, e.g.
 * ISO-2022-JP in a Japanese installation ("X-Notes; <ESC>$B...<ESC>(B"), which is not valid
 * in a delivery-status field; such a code is decoded to UTF-8 (ISO-2022's escape
 * sequences name the charset), and every report diagnostic gets the Domino phrase hint. */
static int domino_amend(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    for (size_t i = 0; i < bp->nrec; i++) {
        struct prec *r = &bp->recs[i];
        const char *d = arena_str(bp, r->diag);
        size_t n = strlen(d);
        buf_reset(&bp->tmp);
        if (memchr(d, 0x1b, n) && (memmem_ci(d, n, "\x1b$B", 3) || memmem_ci(d, n, "\x1b$@", 3))) {
            uint32_t defects = 0;
            int rc = mime_charset_to_utf8(&bp->cv, "ISO-2022-JP", 11, d, n, &bp->tmp, &defects);
            if (rc == RB_ENOMEM)
                return rc;
            if (rc != RB_OK)
                continue;
            r->diag = arena_add(bp, bp->tmp.p, bp->tmp.len);
            d = bp->tmp.p ? bp->tmp.p : "";
            n = bp->tmp.len;
        }
        for (const struct phrase *ph = domino_phrases; ph->text && !r->hint; ph++)
            if (dl_has(d, n, ph->text))
                r->hint = ph->reason;
    }
    if (bp->nrec)
        bp->agent = arena_add(bp, "Domino", 6);
    return RB_OK;
}

static const struct dialect domino = {
    .name = "Domino", .detect = domino_detect, .records = domino_records, .amend = domino_amend};

/* ---- Lotus Notes ---------------------------------------------------------------------- */

static const struct phrase notes_phrases[] = {
    {"User not listed in public Name & Address Book", RB_REASON_USERUNKNOWN},
    {"ディレクトリのリストにありません", RB_REASON_USERUNKNOWN},
    {"Message has exceeded maximum hop count", RB_REASON_NETWORKERROR},
    {NULL, RB_REASON_UNDEFINED},
};

static int notes_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    return dl_hdr_starts(hdr, "Subject", "Undeliverable message");
}

/*   ------- Failure Reasons  --------
 *   User not listed in public Name & Address Book
 *   kijitora@notes.example.jp
 *   ------- Returned Message -------- */
static int notes_records(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    const char *p = bp->notice.p;
    size_t n = bp->notice_end, pos = 0;
    struct slice line;
    int started = 0, rc = RB_OK;
    buf_reset(&bp->tmp);
    while (dl_next_line(p, n, &pos, &line)) {
        struct slice t = slice_trim(line);
        if (!started) {
            started = dl_starts_with(t, "------- Failure Reasons");
            continue;
        }
        if (dl_starts_with(t, "------- Returned Message"))
            break;
        if (!t.len || t.p[0] == '-')
            continue;
        struct slice a = line_addr(t);
        if (a.len && !memchr(t.p, ' ', t.len)) {
            /* the reasons above the address belong to it */
            struct prec *nr = dl_rec_new(bp, a, &rc);
            if (!nr)
                return rc;
            rec_diag(bp, nr, notes_phrases);
            buf_reset(&bp->tmp);
            continue;
        }
        diag_put(bp, t);
    }
    return rc;
}

static const struct dialect notes = {
    .name = "Notes", .detect = notes_detect, .records = notes_records};

/* ---- IMail Server --------------------------------------------------------------------- */

static const struct phrase imail_phrases[] = {
    {"Unknown host", RB_REASON_HOSTUNKNOWN},
    {"Unknown user", RB_REASON_USERUNKNOWN},
    {"Invalid final delivery userid", RB_REASON_USERUNKNOWN},
    {"User mailbox exceeds allowed size", RB_REASON_MAILBOXFULL},
    {"Requested action not taken: virus detected", RB_REASON_VIRUSDETECTED},
    {"Delivery failed ", RB_REASON_EXPIRED}, /* "Delivery failed 20 attempts: addr" */
    {NULL, RB_REASON_UNDEFINED},
};

static int imail_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    return dl_hdr_starts(hdr, "X-Mailer", "<SMTP32 v") ||
           dl_hdr_starts(hdr, "Subject", "Undeliverable Mail ");
}

/*   Unknown user: kijitora@example.com
 *   undeliverable to kijitora@example.jp
 *   Body of message generated response:
 *   550 ... */
static int imail_records(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    const char *p = bp->notice.p;
    size_t n = bp->notice_end, pos = 0;
    struct slice line;
    int rc = RB_OK, response = 0;
    size_t first = bp->nrec;
    buf_reset(&bp->tmp);
    while (dl_next_line(p, n, &pos, &line)) {
        struct slice t = slice_trim(line);
        const char *colon = memmem_ci(t.p, t.len, ": ", 2);
        struct slice a = {t.p, 0};
        if (colon && colon - t.p > 8 && memchr(colon, '@', t.len - (size_t)(colon - t.p)))
            a = line_addr(slice_make(colon + 2, t.len - (size_t)(colon + 2 - t.p)));
        else if (dl_starts_with(t, "undeliverable to "))
            a = line_addr(slice_make(t.p + 17, t.len - 17));
        if (a.len) {
            struct prec *r = dl_rec_new(bp, a, &rc);
            if (!r)
                return rc;
            if (colon)
                r->diag = arena_add(bp, t.p, t.len);
            continue;
        }
        if (dl_starts_with(t, "Body of message generated response:"))
            response = 1;
        else if (response)
            diag_put(bp, t);
    }
    /* the remote server's response concerns the recipients named before it */
    for (size_t i = first; i < bp->nrec; i++) {
        struct prec *x = &bp->recs[i];
        if (bp->tmp.len) {
            const char *old = arena_str(bp, x->diag);
            if (!old[0])
                x->diag = arena_add(bp, bp->tmp.p, bp->tmp.len);
        }
        const char *d = arena_str(bp, x->diag);
        for (const struct phrase *ph = imail_phrases; ph->text && !x->hint; ph++)
            if (dl_has(d, strlen(d), ph->text))
                x->hint = ph->reason;
    }
    return rc;
}

static const struct dialect imailserver = {
    .name = "IMailServer", .detect = imail_detect, .records = imail_records};

/* ---- Sun / Oracle Communications Messaging Server, PMDF -------------------------------- */

static int msgsrv_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    return dl_hdr_has(hdr, "Content-Type", "Boundary_(ID_") ||
           dl_hdr_starts(hdr, "Subject", "Delivery Notification: ");
}

/*   Your message cannot be delivered to the following recipients:
 *     Recipient address: kijitora@example.jp
 *     Reason: Remote SMTP server has rejected address
 *     Diagnostic code: smtp;550 5.1.1 <kijitora@example.jp>... User Unknown
 *     Remote system: dns;mx.example.jp (TCP|192.0.2.1|47323|192.0.2.2|25) (...) */
static int msgsrv_records(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    struct slice nt = dl_notice_text(bp, 0);
    const char *p = nt.p;
    size_t n = nt.len, pos = 0;
    struct slice line;
    int rc = RB_OK;
    struct prec *r = NULL;
    while (dl_next_line(p, n, &pos, &line)) {
        struct slice t = slice_trim(line);
        struct slice v;
        if (dl_starts_with(t, "Recipient address:") || dl_starts_with(t, "Original address:")) {
            struct slice a = line_addr(after(t, ":"));
            if (!a.len)
                continue;
            if (r && strlen(arena_str(bp, r->rcpt)) == a.len &&
                slice_eq_ci(a, arena_str(bp, r->rcpt)))
                continue; /* the same recipient again (Original address: after Recipient) */
            if (!(r = dl_rec_new(bp, a, &rc)))
                return rc;
        } else if (r && dl_starts_with(t, "Reason:")) {
            v = after(t, ":");
            if (!r->diag)
                r->diag = arena_add(bp, v.p, v.len);
        } else if (r && dl_starts_with(t, "Diagnostic code:")) {
            v = after(t, ":");
            const char *semi = memchr(v.p, ';', v.len);
            if (semi)
                v = slice_trim(slice_make(semi + 1, v.len - (size_t)(semi + 1 - v.p)));
            r->diag = arena_add(bp, v.p, v.len);
        } else if (r && dl_starts_with(t, "Remote system:")) {
            v = after(t, ";");
            size_t k = 0;
            while (k < v.len && v.p[k] != ' ' && v.p[k] != '(')
                k++;
            if (k && memchr(v.p, '.', k))
                r->rhost = arena_add(bp, v.p, k);
        }
    }
    return rc;
}

#ifdef DIALECT_AMEND
/* msgsrv_amend - the RFC 3464 report of Messaging Server often has no Diagnostic-Code; its
 * notice then says why, per recipient ("Reason: Illegal host/domain name found"). */
static int msgsrv_amend(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    struct slice nt = dl_notice_text(bp, 0);
    for (size_t i = 0; i < bp->dsn.nrcpt; i++) {
        const struct dsn_rcpt *d = &bp->dsn.rcpt[i];
        struct slice a = dsn_value_addr(d->final_recipient);
        long k = a.len ? prec_find(bp, a) : -1;
        if (k < 0 || d->diagnostic_code.len)
            continue;
        size_t pos = 0;
        struct slice line, why = {NULL, 0};
        int mine = 0;
        while (dl_next_line(nt.p, nt.len, &pos, &line)) {
            struct slice t = slice_trim(line);
            if (dl_starts_with(t, "Recipient address:")) {
                struct slice x = line_addr(after(t, ":"));
                mine = x.len == a.len && x.len && memmem_ci(x.p, x.len, a.p, a.len) == x.p;
            } else if (mine && dl_starts_with(t, "Diagnostic code:")) {
                why = after(t, ";");
            } else if (mine && dl_starts_with(t, "Reason:") && !why.len) {
                why = after(t, ":");
            }
        }
        if (why.len)
            bp->recs[k].diag = arena_add(bp, why.p, why.len);
    }
    return RB_OK;
}
#endif /* DIALECT_AMEND */

static const struct dialect messagingserver = {
    .name = "MessagingServer",
    .detect = msgsrv_detect,
    .records = msgsrv_records,
#ifdef DIALECT_AMEND
    .amend = msgsrv_amend,
#endif
};

/* ---- Trend Micro InterScan MSS -------------------------------------------------------- */

static int interscan_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    return dl_hdr_has(hdr, "From", "\"InterScan MSS\"") ||
           dl_hdr_has(hdr, "From", "\"InterScan Notification\"") ||
           dl_hdr_starts(hdr, "Subject", "Mail could not be delivered") ||
           dl_hdr_has(hdr, "Content-Type", "InterScan_NT_MIME_Boundary");
}

/*   Unable to deliver message to <kijitora@example.jp> (and other recipients in the same
 *   domain).
 *   Sent <<< RCPT TO:<kijitora@example.co.jp>
 *   Received >>> 550 5.1.1 <kijitora@example.co.jp>... user unknown */
static int interscan_records(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    const char *p = bp->notice.p;
    size_t n = bp->notice_end, pos = 0;
    struct slice line;
    int rc = RB_OK;
    struct prec *r = NULL;
    while (dl_next_line(p, n, &pos, &line)) {
        struct slice t = slice_trim(line);
        int unable = dl_has(t.p, t.len, "Unable to deliver ");
        int sent = dl_starts_with(t, "Sent <<< "), recv = dl_starts_with(t, "Received >>> ");
        if (unable || sent) {
            const char *lt = memchr(t.p, '<', t.len);
            if (sent)
                lt = memmem_ci(t.p + 9, t.len - 9, "<", 1);
            size_t apos = lt ? (size_t)(lt - t.p) : t.len;
            struct slice a;
            if (!addr_find(t.p, t.len, &apos, &a))
                continue;
            const char *cur = r ? arena_str(bp, r->rcpt) : "";
            if (!r || strlen(cur) != a.len || !slice_eq_ci(a, cur)) {
                if (!(r = dl_rec_new(bp, a, &rc)))
                    return rc;
            }
            if (unable) {
                r->diag = arena_add(bp, t.p, t.len);
                r->hint = RB_REASON_USERUNKNOWN;
            } else {
                r->command = arena_add(bp, "RCPT", 4);
            }
        } else if (recv && r) {
            struct slice v = slice_trim(slice_make(t.p + 13, t.len - 13));
            r->diag = arena_add(bp, v.p, v.len);
            r->hint = RB_REASON_UNDEFINED;
        }
    }
    return rc;
}

static const struct dialect interscan = {
    .name = "TrendMicro", .detect = interscan_detect, .records = interscan_records};

/* ---- MailMarshal ---------------------------------------------------------------------- */

static int mailmarshal_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    return dl_hdr_starts(hdr, "Subject", "Undeliverable Mail: \"");
}

/*   Your message:
 *      From:    sironeko@example.com
 *   Could not be delivered because of
 *   550 5.1.1 User unknown
 *   The following recipients were affected:
 *       kijitora@example.com */
static int mailmarshal_records(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    const char *p = bp->notice.p;
    size_t n = bp->notice_end, pos = 0;
    struct slice line;
    int state = 0, rc = RB_OK; /* 1: reading the reason, 2: reading recipients */
    buf_reset(&bp->tmp);
    size_t diag = 0;
    while (dl_next_line(p, n, &pos, &line)) {
        struct slice t = slice_trim(line);
        if (dl_starts_with(t, "Could not be delivered because of")) {
            state = 1;
            continue;
        }
        if (dl_starts_with(t, "The following recipients were affected")) {
            diag = arena_add(bp, bp->tmp.p, bp->tmp.len);
            state = 2;
            continue;
        }
        if (state == 1) {
            diag_put(bp, t);
        } else if (state == 2) {
            if (!t.len || dl_starts_with(t, "Additional Information"))
                break;
            struct slice a = line_addr(t);
            struct prec *r;
            if (!a.len)
                continue;
            if (!(r = dl_rec_new(bp, a, &rc)))
                return rc;
            r->diag = diag;
        }
    }
    return rc;
}

static const struct dialect mailmarshal = {
    .name = "MailMarshalSMTP", .detect = mailmarshal_detect, .records = mailmarshal_records};

/* ---- the family table ------------------------------------------------------------------ */

/* ---- McAfee Email Gateway ------------------------------------------------------------ */

static int mcafee_detect(const struct rb_parser *bp, struct slice hdr)
{
    /* the notice's first lines first: cheaper than a header scan for every report */
    static const char mark[] = "--- The following addresses had delivery problems ---";
    size_t n = bp->notice_end < 512 ? bp->notice_end : 512;
    return bp->notice.p && memmem_ci(bp->notice.p, n, mark, sizeof mark - 1) &&
           dl_hdr_has(hdr, "X-NAI-Header", "Modified by McAfee");
}

static int mcafee_records(struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    (void)hdr;
    return RB_OK; /* its report is RFC 3464: only the amend hook applies */
}

/* mcafee_amend - the gateway's unknown-recipient replies ("550 Unknown user a@b", "550
 * <a@b>... User not exist", "No such user", "User (a@b) unknown.") are its verdict on the
 * address, given when it relayed RCPT. */
static int mcafee_amend(struct rb_parser *bp, struct slice hdr)
{
    static const char *const uu[] = {"unknown user", "user not exist", "no such user",
                                     ") unknown."};
    (void)hdr;
    for (size_t i = 0; i < bp->nrec; i++) {
        struct prec *r = &bp->recs[i];
        const char *d = arena_str(bp, r->diag);
        size_t n = strlen(d);
        for (size_t k = 0; k < sizeof uu / sizeof uu[0] && !r->hint; k++)
            if (memmem_ci(d, n, uu[k], strlen(uu[k])))
                r->hint = RB_REASON_USERUNKNOWN;
    }
    if (bp->nrec)
        bp->agent = arena_add(bp, "McAfee", 6);
    return RB_OK;
}

static const struct dialect mcafee = {
    .name = "McAfee", .detect = mcafee_detect, .records = mcafee_records, .amend = mcafee_amend};

const struct dialect *const dialects_vendor[] = {
    &exchange2003, &domino,      &notes,  &imailserver, &messagingserver,
    &interscan,    &mailmarshal, &mcafee, NULL,
};
