/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mta_jp.c - dialects of the Japanese carriers and ISPs (see dialect.h for the contract).
 *
 * DESCRIPTION
 *   au EZweb (KDDI's mobile mail, ezweb.ne.jp / au.com)
 *     From Postmaster@ezweb.ne.jp or Postmaster@au.com, Subject "Mail System Error -
 *     Returned Mail", Received "... (EZweb Mail) with", Message-ID "@....ezweb.ne.jp>":
 *     two of these marks are required. The notice (Japanese text, then English) starts
 *     with "The user(s) ...", "Your message ...", "Each of the following ..." or a line
 *     "<addr>"; recipients are lines "<addr>", "<addr>: reply" or "    Recipient: <addr>",
 *     optionally followed by a transcript "    >>> RCPT TO:<addr>" / "    <<< 550 ...".
 *     The carrier's own English sentences name the reason ("The user(s) account is
 *     disabled." = suspend, "... temporarily over quota" = mailboxfull, "Your message was
 *     not delivered within N days and M hours." = expired); a header "X-SPASIGN: NG"
 *     marks a message refused by the recipient's anti-spam filter (filtered). A returned
 *     copy of the original headers may follow a line of dashes.
 *   au one net (KDDI's ISP, dion.ne.jp / auone-net.jp)
 *     From no-reply@...dion.ne.jp, or Reply-To no-reply@app.auone-net.jp. Per recipient:
 *       Your mail sent on: <date>
 *            Could not be delivered to: <addr>
 *            As their mailbox is full.
 *     ("As their mailbox is full" = mailboxfull, "Due to the following SMTP relay error" =
 *     norelaying, "As the remote domain doesnt exist" = hostunknown).
 *   BIGLOBE (biglobe.ne.jp and the cable ISPs it serves: inacatv, tmtv, ttv)
 *     From postmaster@<isp>.ne.jp, Subject "Returned mail: ...". A sendmail-like layout:
 *       ----- The following addresses had delivery problems -----
 *       addr
 *       ----- Non-delivered information -----
 *       The number of messages in recipient's mailbox exceeded the local limit.
 *   fml (the mailing list manager, 4.x)
 *     "X-MLServer: fml [...]" and a Message-ID "<digits.FML...@...>". The notice (up to
 *     "Original mail as follows:") is about the addresses that end a sentence, "... <addr>.":
 *     the list address for a refused post ("You are not a member of this mailing list
 *     <list@example.org>." = rejected) or a loop ("Duplicated Message-ID in <list@...>." =
 *     systemerror); the reason is fml's wording in the text, else in the Subject ("Loop
 *     Alert:", "Security Alert").
 *   Format facts come from the carriers' bounces as documented by Sisimai's Lhost::EZweb,
 *   Lhost::KDDI, Lhost::Biglobe and Lhost::FML (BSD-2-Clause); the code is our own.
 *
 *   Lines with 8-bit bytes (the Japanese explanation, decoded to UTF-8 by the MIME reader)
 *   carry no address or reply and are skipped. Every record gets the carrier's sentence(s)
 *   as its diagnostic; the SMTP transcript lines when there is no such sentence.
 *
 * LIMITS
 *   JP_MAX_DIAG bytes of diagnostic per record. Everything is bounded by the notice length
 *   (bp->notice_end); records() is safe on any bytes.
 */
#include <string.h>

#include "dialect.h"
#include "textutil.h"

#define JP_MAX_DIAG 2048 /* diagnostic text kept per record */

/* ---- small line helpers --------------------------------------------------------------- */

/* starts_with - does (p, n) begin with the literal lit (case-sensitive)? */
static int starts_with(const char *p, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    return n >= k && memcmp(p, lit, k) == 0;
}

/* contains - does (p, n) contain the literal lit (case-sensitive)? */
static int contains(const char *p, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    if (k == 0 || n < k)
        return k == 0;
    for (size_t i = 0; i + k <= n; i++)
        if (p[i] == lit[0] && memcmp(p + i, lit, k) == 0)
            return 1;
    return 0;
}

/* is_8bit - does (p, n) hold a byte >= 0x80? */
static int is_8bit(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] >= 0x80)
            return 1;
    return 0;
}

/* next_line - the line starting at *pos in (p, end) without its CR/LF; moves *pos past it.
 * Returns 0 at the end. */
static int next_line(const char *p, size_t end, size_t *pos, struct slice *line)
{
    if (*pos >= end)
        return 0;
    size_t s = *pos;
    const char *nl = memchr(p + s, '\n', end - s);
    size_t e = nl ? (size_t)(nl - p) : end;
    *pos = nl ? e + 1 : end;
    if (e > s && p[e - 1] == '\r')
        e--;
    *line = slice_make(p + s, e - s);
    return 1;
}

/* hdr_has - does header field name of hdr contain lit (ASCII case-insensitive)? */
static int hdr_has(struct slice hdr, const char *name, const char *lit)
{
    struct slice v;
    if (!mime_hdr_find(hdr, name, &v))
        return 0;
    return memmem_ci(v.p, v.len, lit, strlen(lit)) != NULL;
}

/* hdr_any_has - does any header field called name contain lit (case-insensitive)? */
static int hdr_any_has(struct slice hdr, const char *name, const char *lit)
{
    struct mime_hdr_iter it;
    struct slice n, v;
    mime_hdr_iter_init(&it, hdr);
    while (mime_hdr_next(&it, &n, &v))
        if (slice_eq_ci(n, name) && memmem_ci(v.p, v.len, lit, strlen(lit)))
            return 1;
    return 0;
}

/* hdr_is - is header field name of hdr, trimmed, equal to lit (case-insensitive)? */
static int hdr_is(struct slice hdr, const char *name, const char *lit)
{
    struct slice v;
    return mime_hdr_find(hdr, name, &v) && slice_eq_ci(slice_trim(v), lit);
}

/* spasign_ng - au's anti-spam filter ("X-SPASIGN: NG") refused the message. */
static int spasign_ng(struct slice hdr)
{
    return hdr_is(hdr, "X-SPASIGN", "NG");
}

/* angle_addr - the address of a line that is "<addr>" or "<addr>:rest": returns 1 and sets
 * *a and *rest (the text after the colon, trimmed; both borrowed from line), else 0. */
static int angle_addr(struct slice line, struct slice *a, struct slice *rest)
{
    const char *p = line.p;
    size_t n = line.len;
    if (n < 3 || p[0] != '<')
        return 0;
    const char *gt = memchr(p, '>', n);
    if (!gt)
        return 0;
    size_t an = (size_t)(gt - p) - 1;
    if (an == 0 || memchr(p + 1, ' ', an) || !memchr(p + 1, '@', an))
        return 0;
    size_t after = (size_t)(gt - p) + 1;
    if (after < n && p[after] != ':')
        return 0;
    *a = slice_make(p + 1, an);
    if (after < n)
        after++;
    *rest = slice_trim(slice_make(p + after, n - after));
    return 1;
}

/* tmp_join - append line to bp->tmp with one space between lines, up to JP_MAX_DIAG. */
static void tmp_join(struct rb_parser *bp, struct slice line)
{
    line = slice_trim(line);
    if (!line.len || bp->tmp.len >= JP_MAX_DIAG)
        return;
    if (line.len > JP_MAX_DIAG - bp->tmp.len)
        line.len = JP_MAX_DIAG - bp->tmp.len;
    if (bp->tmp.len && buf_putc(&bp->tmp, ' ') != RB_OK)
        return;
    if (buf_append(&bp->tmp, line.p, line.len) != RB_OK)
        bp->defects |= RB_DEFECT_LIMIT;
}

/* tmp_to_arena - bp->tmp into the arena (offset, 0 if empty); bp->tmp is reset. */
static size_t tmp_to_arena(struct rb_parser *bp)
{
    size_t off = bp->tmp.len ? arena_add(bp, bp->tmp.p, bp->tmp.len) : 0;
    buf_reset(&bp->tmp);
    return off;
}

/* phrase_reason - the first table entry whose phrase (p, n) contains; UNDEFINED if none. */
struct jp_phrase {
    const char *text;
    rb_reason reason;
};

static rb_reason phrase_reason(const struct jp_phrase *t, size_t nt, const char *p, size_t n)
{
    for (size_t k = 0; k < nt; k++)
        if (contains(p, n, t[k].text))
            return t[k].reason;
    return RB_REASON_UNDEFINED;
}

/* ---- au EZweb ------------------------------------------------------------------------- */

/* The carrier's own sentences, each naming a reason. "Each of the following recipients
 * was rejected by a remote mail server" introduces the remote reply: no reason by itself. */
static const struct jp_phrase ezweb_phrases[] = {
    {"The user(s) account is temporarily over quota", RB_REASON_MAILBOXFULL},
    {"The user(s) account is disabled.", RB_REASON_SUSPEND},
    {"The user(s) account is temporarily limited.", RB_REASON_SUSPEND},
    {"Your message was not delivered within ", RB_REASON_EXPIRED},
};
#define EZWEB_NPHRASES (sizeof ezweb_phrases / sizeof ezweb_phrases[0])

static int ezweb_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    /* one pass over the fields: this runs for every report (dialect_amend too), and a
     * search per signal cost ~20k instructions a message */
    int from = 0, subject = 0, received = 0, msgid = 0;
    int seen_from = 0, seen_subject = 0, seen_msgid = 0;
    struct mime_hdr_iter it;
    struct slice n, v;
    mime_hdr_iter_init(&it, hdr);
    while (mime_hdr_next(&it, &n, &v)) {
        if (!seen_from && slice_eq_ci(n, "From")) {
            seen_from = 1; /* the first From, as mime_hdr_find reads it */
            from = memmem_ci(v.p, v.len, "postmaster@ezweb.ne.jp", 22) ||
                   memmem_ci(v.p, v.len, "postmaster@au.com", 17);
        } else if (!seen_subject && slice_eq_ci(n, "Subject")) {
            seen_subject = 1;
            subject = slice_eq_ci(slice_trim(v), "Mail System Error - Returned Mail");
        } else if (!received && slice_eq_ci(n, "Received")) {
            received = memmem_ci(v.p, v.len, "ezweb.ne.jp (EZweb Mail) with", 29) ||
                       memmem_ci(v.p, v.len, ".au.com (", 9);
        } else if (!seen_msgid && slice_eq_ci(n, "Message-ID")) {
            seen_msgid = 1;
            struct slice t = slice_trim(v);
            msgid =
                (t.len > 13 && slice_eq_ci(slice_make(t.p + t.len - 13, 13), ".ezweb.ne.jp>")) ||
                (t.len > 8 && slice_eq_ci(slice_make(t.p + t.len - 8, 8), ".au.com>"));
        }
    }
    return from + subject + received + msgid >= 2;
}

/* ezweb_is_start - a line that begins the delivery report part of the notice. */
static int ezweb_is_start(struct slice l)
{
    return contains(l.p, l.len, "The user(s) ") || contains(l.p, l.len, "Your message ") ||
           contains(l.p, l.len, "Each of the following") || (l.len && l.p[0] == '<');
}

/* ezweb_is_end - the returned original message follows (a line of dashes or a part). */
static int ezweb_is_end(struct slice l)
{
    if (starts_with(l.p, l.len, "Content-Type: message/rfc822"))
        return 1;
    size_t d = 0;
    while (d < l.len && l.p[d] == '-')
        d++;
    return d >= 20 && d == l.len;
}

/* ezweb_rcpt - the recipient a line names: "<addr>", "<addr>: reply" or
 * "    Recipient: <addr>"; *rest is the reply after the address (may be empty). */
static int ezweb_rcpt(struct slice l, struct slice *a, struct slice *rest)
{
    if (angle_addr(l, a, rest))
        return 1;
    size_t i = 0;
    while (i < l.len && l.p[i] == ' ')
        i++;
    if (i == 0 || !starts_with(l.p + i, l.len - i, "Recipient: <"))
        return 0;
    struct slice r = slice_make(l.p + i + 11, l.len - i - 11);
    const char *gt = memchr(r.p, '>', r.len);
    if (!gt)
        return 0;
    return angle_addr(slice_make(r.p, (size_t)(gt - r.p) + 1), a, rest);
}

/* ezweb_command - the SMTP command of a transcript line "    >>> RCPT TO:<...>". */
static const char *ezweb_command(struct slice l)
{
    static const char *const cmds[] = {"RCPT", "MAIL", "DATA", "HELO", "EHLO", "QUIT", "RSET"};
    const char *g = memmem_ci(l.p, l.len, ">>> ", 4);
    if (!g)
        return NULL;
    size_t off = (size_t)(g - l.p) + 4;
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
        if (l.len - off >= 4 && memmem_ci(l.p + off, 4, cmds[k], 4) == l.p + off)
            return cmds[k];
    return NULL;
}

/* ezweb_finish - fill record ri from the notice region [s, e) it owns: the carrier's
 * sentences are the diagnostic (they name the reason); failing them, the other English
 * lines (the remote reply, the transcript). */
static void ezweb_finish(struct rb_parser *bp, size_t ri, const char *p, size_t s, size_t e,
                         struct slice first_rest, int ng)
{
    rb_reason hint = RB_REASON_UNDEFINED;
    const char *cmd = NULL;
    struct slice l;
    buf_reset(&bp->tmp);
    for (size_t pos = s; next_line(p, e, &pos, &l);) {
        if (is_8bit(l.p, l.len))
            continue;
        rb_reason r = phrase_reason(ezweb_phrases, EZWEB_NPHRASES, l.p, l.len);
        if (r == RB_REASON_UNDEFINED)
            continue;
        if (hint == RB_REASON_UNDEFINED)
            hint = r;
        tmp_join(bp, l);
    }
    if (!bp->tmp.len) {
        /* no carrier sentence: the remote reply, with the transcript */
        int reply = first_rest.len > 0;
        tmp_join(bp, first_rest);
        for (size_t pos = s; next_line(p, e, &pos, &l);) {
            struct slice a, rest;
            if (is_8bit(l.p, l.len) || ezweb_rcpt(l, &a, &rest))
                continue;
            const char *c = ezweb_command(l);
            if (c && !cmd)
                cmd = c;
            reply |= memmem_ci(l.p, l.len, "<<< ", 4) != NULL;
            tmp_join(bp, l);
        }
        /* "rejected by a remote mail server" without the server's reply: no reason known */
        if (!reply && contains(bp->tmp.p ? bp->tmp.p : "", bp->tmp.len,
                               "recipients was rejected by a remote mail server"))
            hint = RB_REASON_ONHOLD;
    }
    size_t diag = tmp_to_arena(bp);
    size_t coff = cmd ? arena_add(bp, cmd, strlen(cmd)) : 0;
    struct prec *r = &bp->recs[ri];
    r->diag = diag;
    r->command = coff;
    r->hint = ng ? RB_REASON_FILTERED : hint;
    if (!diag)
        r->defects |= RB_DEFECT_NO_DIAG;
}

static int ezweb_records(struct rb_parser *bp, struct slice hdr)
{
    const char *p = bp->notice.p;
    size_t end = bp->notice_end;
    if (!p)
        return RB_OK;
    int ng = spasign_ng(hdr);
    size_t pos = 0, region = 0, start = (size_t)-1;
    long cur = -1;
    struct slice l, rest = {NULL, 0};
    while (start == (size_t)-1 && next_line(p, end, &pos, &l))
        if (ezweb_is_start(l))
            start = (size_t)(l.p - p);
    if (start == (size_t)-1)
        return RB_OK;
    pos = start;
    region = start;
    for (size_t ls; ls = pos, next_line(p, end, &pos, &l);) {
        if (ezweb_is_end(l)) {
            end = ls;
            break;
        }
        struct slice a, r;
        if (is_8bit(l.p, l.len) || !ezweb_rcpt(l, &a, &r))
            continue;
        if (cur >= 0) {
            /* the previous recipient owns the lines up to this one */
            ezweb_finish(bp, (size_t)cur, p, region, ls, rest, ng);
            region = ls;
        }
        struct prec *pr = prec_add(bp);
        if (!pr)
            break;
        pr->rcpt = arena_add(bp, a.p, a.len);
        if (!pr->rcpt) {
            bp->nrec--;
            break;
        }
        cur = (long)(bp->nrec - 1);
        rest = r;
    }
    if (cur >= 0)
        ezweb_finish(bp, (size_t)cur, p, region, end, rest, ng);
    return RB_OK;
}

#ifdef DIALECT_AMEND
/* ezweb_amend - EZweb's RFC 3464 report carries only "Status: 5.0.0" and no Diagnostic-Code;
 * its notice states the cause in the carrier's own sentence ("The user(s) account is
 * disabled.": a suspended subscriber, KDDI's wording) above the remote reply it quotes.
 * As ezweb_records does for the plain notice, that sentence is the diagnostic of every
 * record whose report gave no specific status (none, or X.0.0). */
static int ezweb_amend(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    const char *p = bp->notice.p;
    size_t end = bp->notice_end;
    if (!p)
        return RB_OK;
    rb_reason hint = RB_REASON_UNDEFINED;
    struct slice l;
    buf_reset(&bp->tmp);
    for (size_t pos = 0; next_line(p, end, &pos, &l);) {
        rb_reason r = is_8bit(l.p, l.len)
                          ? RB_REASON_UNDEFINED
                          : phrase_reason(ezweb_phrases, EZWEB_NPHRASES, l.p, l.len);
        if (r == RB_REASON_UNDEFINED)
            continue;
        if (hint != RB_REASON_UNDEFINED && hint != r) {
            buf_reset(&bp->tmp);
            return RB_OK; /* sentences of different causes: which one is whose is unknown */
        }
        hint = r;
        tmp_join(bp, l);
    }
    if (hint == RB_REASON_UNDEFINED)
        return RB_OK;
    size_t diag = tmp_to_arena(bp);
    for (size_t i = 0; diag && i < bp->nrec; i++) {
        struct prec *r = &bp->recs[i];
        const char *st = arena_str(bp, r->status);
        size_t n = strlen(st);
        if (n && !(n == 5 && st[1] == '.' && st[2] == '0' && st[3] == '.' && st[4] == '0'))
            continue;
        r->diag = diag;
        r->hint = hint;
        r->command = 0;
        r->cmd_read = 1;
    }
    return RB_OK;
}
#endif

static const struct dialect ezweb = {
    .name = "EZweb",
    .detect = ezweb_detect,
    .records = ezweb_records,
#ifdef DIALECT_AMEND
    .amend = ezweb_amend,
#endif
};

/* ---- au one net (KDDI) ---------------------------------------------------------------- */

static const struct jp_phrase kddi_phrases[] = {
    {"As their mailbox is full", RB_REASON_MAILBOXFULL},
    {"Due to the following SMTP relay error", RB_REASON_NORELAYING},
    {"As the remote domain doesnt exist", RB_REASON_HOSTUNKNOWN},
};
#define KDDI_NPHRASES (sizeof kddi_phrases / sizeof kddi_phrases[0])

static int kddi_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    struct slice v;
    if (mime_hdr_find(hdr, "From", &v)) {
        const char *nr = memmem_ci(v.p, v.len, "no-reply@", 9);
        if (nr && memmem_ci(nr, (size_t)(v.p + v.len - nr), ".dion.ne.jp", 11))
            return 1;
    }
    if (hdr_has(hdr, "Reply-To", "no-reply@app.auone-net.jp"))
        return 1;
    return hdr_any_has(hdr, "Received", "ezweb.ne.jp (") ||
           hdr_any_has(hdr, "Received", ".au.com (");
}

/* kddi_finish - diagnostic and hint of record ri from the indented lines [s, e). */
static void kddi_finish(struct rb_parser *bp, size_t ri, const char *p, size_t s, size_t e, int ng)
{
    struct slice l;
    buf_reset(&bp->tmp);
    for (size_t pos = s; next_line(p, e, &pos, &l);) {
        if (!l.len || l.p[0] != ' ' || contains(l.p, l.len, "Could not be delivered to:") ||
            is_8bit(l.p, l.len))
            continue;
        tmp_join(bp, l);
    }
    size_t diag = tmp_to_arena(bp);
    struct prec *r = &bp->recs[ri];
    r->diag = diag;
    const char *d = arena_str(bp, diag);
    r->hint = ng ? RB_REASON_FILTERED : phrase_reason(kddi_phrases, KDDI_NPHRASES, d, strlen(d));
    if (!diag)
        r->defects |= RB_DEFECT_NO_DIAG;
}

static int kddi_records(struct rb_parser *bp, struct slice hdr)
{
    const char *p = bp->notice.p;
    size_t end = bp->notice_end;
    if (!p)
        return RB_OK;
    int ng = spasign_ng(hdr);
    size_t pos = 0, region = 0, date = 0;
    int started = 0;
    long cur = -1;
    struct slice l;
    for (size_t ls; ls = pos, next_line(p, end, &pos, &l);) {
        if (!started) {
            started = starts_with(l.p, l.len, "Your mail sent on:") ||
                      starts_with(l.p, l.len, "Your mail attempted to be delivered on:");
            if (!started)
                continue;
        }
        if (starts_with(l.p, l.len, "Your mail sent on: ")) {
            struct slice d = slice_trim(slice_make(l.p + 19, l.len - 19));
            date = arena_add(bp, d.p, d.len);
        }
        const char *c = memmem_ci(l.p, l.len, " Could not be delivered to: <", 29);
        if (!c)
            continue;
        size_t apos = (size_t)(c - p) + 28;
        struct slice a;
        size_t le = (size_t)(l.p - p) + l.len;
        if (!addr_find(p, le, &apos, &a))
            continue;
        if (cur >= 0) {
            kddi_finish(bp, (size_t)cur, p, region, ls, ng);
        }
        region = ls;
        struct prec *pr = prec_add(bp);
        if (!pr)
            break;
        pr->rcpt = arena_add(bp, a.p, a.len);
        pr->date = date;
        date = 0;
        if (!pr->rcpt) {
            bp->nrec--;
            break;
        }
        cur = (long)(bp->nrec - 1);
    }
    if (cur >= 0)
        kddi_finish(bp, (size_t)cur, p, region, end, ng);
    return RB_OK;
}

static const struct dialect kddi = {.name = "KDDI", .detect = kddi_detect, .records = kddi_records};

/* ---- BIGLOBE -------------------------------------------------------------------------- */

static const struct jp_phrase biglobe_phrases[] = {
    {"The number of messages in recipient's mailbox exceeded the local limit.",
     RB_REASON_MAILBOXFULL},
};

static int biglobe_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    static const char *const isp[] = {"@biglobe.ne.jp", "@inacatv.ne.jp", "@tmtv.ne.jp",
                                      "@ttv.ne.jp"};
    struct slice v;
    if (!mime_hdr_find(hdr, "From", &v) || !memmem_ci(v.p, v.len, "postmaster@", 11))
        return 0;
    int ok = 0;
    for (size_t k = 0; k < sizeof isp / sizeof isp[0] && !ok; k++)
        ok = memmem_ci(v.p, v.len, isp[k], strlen(isp[k])) != NULL;
    if (!ok || !mime_hdr_find(hdr, "Subject", &v))
        return 0;
    v = slice_trim(v);
    return starts_with(v.p, v.len, "Returned mail:");
}

/* biglobe_finish - diagnostic of record ri: the word-led lines of [s, e). */
static void biglobe_finish(struct rb_parser *bp, size_t ri, const char *p, size_t s, size_t e)
{
    struct slice l;
    buf_reset(&bp->tmp);
    for (size_t pos = s; next_line(p, e, &pos, &l);) {
        unsigned char c0 = l.len ? (unsigned char)l.p[0] : 0;
        int word = (c0 >= 'A' && c0 <= 'Z') || (c0 >= 'a' && c0 <= 'z') ||
                   (c0 >= '0' && c0 <= '9') || c0 == '_';
        if (!word || (memchr(l.p, '@', l.len) && !memchr(l.p, ' ', l.len)))
            continue;
        tmp_join(bp, l);
    }
    size_t diag = tmp_to_arena(bp);
    struct prec *r = &bp->recs[ri];
    r->diag = diag;
    const char *d = arena_str(bp, diag);
    r->hint = phrase_reason(biglobe_phrases, 1, d, strlen(d));
    if (!diag)
        r->defects |= RB_DEFECT_NO_DIAG;
}

static int biglobe_records(struct rb_parser *bp, struct slice hdr)
{
    (void)hdr;
    const char *p = bp->notice.p;
    size_t end = bp->notice_end;
    if (!p)
        return RB_OK;
    /* addresses blocks and "Non-delivered information" blocks: an information block
     * concerns the recipients listed since the previous one */
    enum { NONE, ADDRS, INFO } mode = NONE;
    size_t pos = 0, pend = bp->nrec, info = 0;
    struct slice l;
    for (size_t ls; ls = pos, next_line(p, end, &pos, &l);) {
        int amark = contains(l.p, l.len, "----- The following addresses had delivery problems");
        int imark = contains(l.p, l.len, "----- Non-delivered information -----");
        if (amark || imark) {
            if (mode == INFO) {
                for (size_t i = pend; i < bp->nrec; i++)
                    biglobe_finish(bp, i, p, info, ls);
                pend = bp->nrec;
            }
            mode = amark ? ADDRS : INFO;
            info = pos;
            continue;
        }
        if (mode != ADDRS)
            continue;
        struct slice t = slice_trim(l);
        size_t apos = 0;
        struct slice a;
        if (!t.len || memchr(t.p, ' ', t.len) || !addr_find(t.p, t.len, &apos, &a) ||
            a.len + 2 < t.len)
            continue;
        struct prec *pr = prec_add(bp);
        if (!pr)
            break;
        pr->rcpt = arena_add(bp, a.p, a.len);
        if (!pr->rcpt) {
            bp->nrec--;
            break;
        }
    }
    for (size_t i = pend; i < bp->nrec; i++)
        biglobe_finish(bp, i, p, mode == INFO ? info : end, end);
    return RB_OK;
}

static const struct dialect biglobe = {
    .name = "Biglobe", .detect = biglobe_detect, .records = biglobe_records};

/* ---- fml (the Japanese mailing list manager) ------------------------------------------ */

/* fml's notices name their reason in the text (first) or in the Subject. */
static const struct jp_phrase fml_phrases[] = {
    {"NOT MEMBER article from ", RB_REASON_REJECTED},
    {"reject mail from ", RB_REASON_REJECTED},
    {"header may cause mail loop", RB_REASON_REJECTED},
    {"reject spammers:", RB_REASON_REJECTED},
    {"You are not a member of this mailing list", RB_REASON_REJECTED},
    {"Duplicated Message-ID", RB_REASON_SYSTEMERROR},
    {"has detected a loop condition so that", RB_REASON_SYSTEMERROR},
    {"Loop Back Warning:", RB_REASON_SYSTEMERROR},
    {"Security alert:", RB_REASON_SECURITYERROR},
};
static const struct jp_phrase fml_titles[] = {
    {"NOT MEMBER article from ", RB_REASON_REJECTED},
    {"reject mail ", RB_REASON_REJECTED},
    {"Spam mail from a spammer is rejected", RB_REASON_REJECTED},
    {"are not member", RB_REASON_REJECTED},
    {"fml system error message", RB_REASON_SYSTEMERROR},
    {"Loop Alert: ", RB_REASON_SYSTEMERROR},
    {"Loop Back Warning: ", RB_REASON_SYSTEMERROR},
    {"WARNING: UNIX FROM Loop", RB_REASON_SYSTEMERROR},
    {"Security Alert", RB_REASON_SECURITYERROR},
};

/* fml_detect - "X-MLServer: fml [fml 4.0.3 ...]" and fml's own Message-ID
 * "<200504292334.FMLAAAA0.list@example.org>". */
static int fml_detect(const struct rb_parser *bp, struct slice hdr)
{
    (void)bp;
    return hdr_has(hdr, "X-MLServer", "fml") && hdr_has(hdr, "Message-ID", ".FML");
}

/* fml_rcpt - a sentence ending in "<addr>." names the address the notice is about ("You are
 * not a member of this mailing list <list@example.org>.", "Duplicated Message-ID in
 * <list@example.org>."); sets *a (borrowed from l). */
static int fml_rcpt(struct slice l, struct slice *a)
{
    struct slice t = slice_trim(l);
    if (t.len < 6 || t.p[t.len - 1] != '.' || t.p[t.len - 2] != '>')
        return 0;
    size_t k = t.len - 2;
    while (k > 0 && t.p[k - 1] != '<' && t.p[k - 1] != ' ')
        k--;
    if (k == 0 || t.p[k - 1] != '<')
        return 0;
    *a = slice_make(t.p + k, t.len - 2 - k);
    return a->len > 2 && memchr(a->p, '@', a->len) != NULL;
}

/* fml_finish - record ri: the lines [s, e) as its diagnostic, the reason they (else the
 * Subject) name as its hint. */
static void fml_finish(struct rb_parser *bp, size_t ri, const char *p, size_t s, size_t e,
                       struct slice subject)
{
    struct slice l;
    buf_reset(&bp->tmp);
    for (size_t pos = s; next_line(p, e, &pos, &l);)
        tmp_join(bp, l);
    size_t diag = tmp_to_arena(bp);
    struct prec *r = &bp->recs[ri];
    r->diag = diag;
    const char *d = arena_str(bp, diag);
    r->hint = phrase_reason(fml_phrases, sizeof fml_phrases / sizeof fml_phrases[0], d, strlen(d));
    if (r->hint == RB_REASON_UNDEFINED)
        r->hint = phrase_reason(fml_titles, sizeof fml_titles / sizeof fml_titles[0], subject.p,
                                subject.len);
}

static int fml_records(struct rb_parser *bp, struct slice hdr)
{
    const char *p = bp->notice.p;
    size_t end = bp->notice_end;
    struct slice subject = {"", 0};
    if (!p)
        return RB_OK;
    mime_hdr_find(hdr, "Subject", &subject);
    size_t pos = 0, region = 0;
    long cur = -1;
    struct slice l, a;
    for (size_t ls; ls = pos, next_line(p, end, &pos, &l);) {
        if (!fml_rcpt(l, &a))
            continue;
        if (cur >= 0) {
            /* the previous address owns the lines up to this one */
            fml_finish(bp, (size_t)cur, p, region, ls, subject);
            region = ls;
        }
        struct prec *pr = prec_add(bp);
        if (!pr)
            break;
        pr->rcpt = arena_add(bp, a.p, a.len);
        if (!pr->rcpt) {
            bp->nrec--;
            break;
        }
        cur = (long)(bp->nrec - 1);
    }
    if (cur >= 0)
        fml_finish(bp, (size_t)cur, p, region, end, subject);
    return RB_OK;
}

static const struct dialect fml = {.name = "FML", .detect = fml_detect, .records = fml_records};

const struct dialect *const dialects_jp[] = {&ezweb, &kddi, &biglobe, &fml, NULL};
