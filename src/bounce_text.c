/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce_text.c - recipients and diagnostics from the human-readable text of a bounce.
 *
 * DESCRIPTION
 *   Most MTAs that send no RFC 3464 report (qmail, Exim, old Sendmail and Postfix, Exchange,
 *   Domino, Japanese carriers, many providers) still follow one shape: a notice, then per
 *   failed recipient a paragraph that starts with the address ("<a@example.org>:",
 *   "  a@example.org", "RCPT To:<a@example.org>") and carries the remote server's reply,
 *   then a returned copy of the original message after a marker line ("--- Below this line
 *   is a copy of the message.", "------ This is a copy of the message, including all the
 *   headers. ------"). This module reads that shape generically:
 *     - text_original_start() finds the marker, so the original message's addresses are
 *       never taken for recipients;
 *     - text_records() takes the addresses that stand in a recipient position, in order,
 *       each with its paragraph as the diagnostic; failing that, the first address that is
 *       not the sender's or the reporting system's own.
 *
 * LIMITS
 *   Paragraphs are cut at TEXT_MAX_DIAG bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "mem.h"
#include "textutil.h"

#define TEXT_MAX_DIAG 4096
#define TEXT_MAX_INDEX (4u * BOUNCE_MAX_RCPT) /* notice addresses indexed per message */

static int is_blank_line(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return 0;
    return 1;
}

/* line_end - end of the line starting at i (index of '\n' or len). */
static size_t line_end(const char *p, size_t len, size_t i)
{
    const char *nl = memchr(p + i, '\n', len - i);
    return nl ? (size_t)(nl - p) : len;
}

size_t text_original_start(const char *p, size_t len)
{
    /* a marker line names the copy and is decorated or announces what follows */
    static const char *const what[] = {
        "original message",        "returned message",     "unsent message",
        "copy of the message",     "copy of your message", "message header follows",
        "headers of your message", "original mail",        "message follows",
        "returned mail",           "undelivered message",  "original header",
        "message headers follow",  "rfc822 message",       "original text",
    };
    for (size_t i = 0; i < len;) {
        size_t e = line_end(p, len, i);
        size_t n = e - i;
        if (n >= 12 && n < 200) {
            const char *l = p + i;
            size_t s = 0;
            while (s < n && (l[s] == ' ' || l[s] == '\t'))
                s++;
            size_t t = n;
            while (t > s && (l[t - 1] == '\r' || l[t - 1] == ' '))
                t--;
            /* cheap tests first: most lines are neither decorated nor announcements */
            int candidate = (s < n && (l[s] == '-' || l[s] == '=' || l[s] == '_' || l[s] == '*' ||
                                       l[s] == '[' || l[s] == '<')) ||
                            (t > s && l[t - 1] == ':') || memmem_ci(l, n, "follow", 6) ||
                            memmem_ci(l, n, "below", 5) || memmem_ci(l, n, "attached", 8);
            /* Postfix's notice says "delete your own text from the attached returned
             * message": an instruction, not the marker */
            if (candidate && memmem_ci(l, n, "your own text", 13))
                candidate = 0;
            if (candidate)
                for (size_t k = 0; k < sizeof what / sizeof what[0]; k++)
                    if (memmem_ci(l, n, what[k], strlen(what[k])))
                        return i;
        }
        i = e + 1;
    }
    return len;
}

/* not_a_recipient - addresses that are the reporting system's own or the sender's. */
static int not_a_recipient(const struct rb_parser *bp, struct slice a)
{
    static const char *const own[] = {"mailer-daemon@", "postmaster@", "mail-daemon@",
                                      "mailerdaemon@",  "noreply@",    "no-reply@"};
    for (size_t k = 0; k < sizeof own / sizeof own[0]; k++) {
        size_t n = strlen(own[k]);
        if (a.len > n && memmem_ci(a.p, n, own[k], n) == a.p)
            return 1;
    }
    const size_t offs[] = {bp->addresser, bp->bounce_to, bp->bounce_from};
    for (size_t k = 0; k < 3; k++) {
        const char *s = arena_str(bp, offs[k]);
        if (s[0] && strlen(s) == a.len && slice_eq_ci(a, s))
            return 1;
    }
    return 0;
}

/* recipient_position - does the address at [as, ae) of line [ls, le) stand where MTAs put
 * a failed recipient? Returns the kind (1 = leads the line, 2 = in a command) or 0. */
static int recipient_position(const char *p, size_t ls, size_t le, size_t as, size_t ae)
{
    size_t i = ls;
    while (i < as && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i < as && (p[i] == '<' || p[i] == '"' || p[i] == '\''))
        i++;
    if (i == as) {
        /* leads the line: what follows must end it or introduce the error */
        size_t j = ae;
        if (j < le && (p[j] == '>' || p[j] == '"' || p[j] == '\''))
            j++;
        while (j < le && p[j] == ' ')
            j++;
        if (j >= le || p[j] == ':' || p[j] == '.' || p[j] == '(' || p[j] == ',' || p[j] == ';' ||
            p[j] == '\r' || p[j] == '[')
            return 1;
        /* "a@example.org  SMTP error ..." / "a@example.org: host ..." */
        if (j > ae + 1 || (j < le && p[j] == '-'))
            return 1;
        return 0;
    }
    /* "RCPT TO:<a@...>", "Original-Recipient: rfc822;a@...", "Final-Recipient: ..." */
    size_t back = as - ls > 48 ? as - 48 : ls;
    const char *w = p + back;
    size_t wn = as - back;
    if (memmem_ci(w, wn, "rcpt to", 7) || memmem_ci(w, wn, "recipient:", 10) ||
        memmem_ci(w, wn, "recipient;", 10) || memmem_ci(w, wn, "rfc822;", 7) ||
        memmem_ci(w, wn, "to:<", 4) || memmem_ci(w, wn, "delivery to", 11) ||
        memmem_ci(w, wn, "failed to", 9) || memmem_ci(w, wn, "recipient <", 11) ||
        memmem_ci(w, wn, "address <", 9) || memmem_ci(w, wn, "mailbox <", 9) ||
        memmem_ci(w, wn, "user <", 6))
        return 2;
    return 0;
}

/* paragraph - the diagnostic that follows the address at [as, ae) on line [ls, le): the
 * rest of that line and the following non-blank lines, stopping before a line that leads
 * with another address. */
static struct slice paragraph(const char *p, size_t end, size_t ls, size_t le, size_t as, size_t ae)
{
    size_t s = ae;
    if (s < le && (p[s] == '>' || p[s] == '"'))
        s++;
    while (s < le && (p[s] == ':' || p[s] == ' ' || p[s] == '.' || p[s] == '\t'))
        s++;
    size_t e = le;
    size_t i = le + 1;
    int took_next = is_blank_line(p + s, le - s); /* address alone: its text may follow a gap */
    while (i < end && e - s < TEXT_MAX_DIAG) {
        size_t ne = line_end(p, end, i);
        if (is_blank_line(p + i, ne - i)) {
            if (took_next == 1 && e == le) { /* skip one gap after a lone address */
                took_next = 2;
                i = ne + 1;
                continue;
            }
            break;
        }
        /* another recipient paragraph starts */
        size_t k = i;
        while (k < ne && (p[k] == ' ' || p[k] == '\t'))
            k++;
        if (k < ne && p[k] == '<') {
            /* a different address leading the line starts another paragraph; the same one
             * on an indented line is Postfix quoting the reply ("    <a@b>: Recipient
             * address rejected: ...") */
            size_t pos = k;
            struct slice a;
            if (addr_find(p, ne, &pos, &a) && a.p == p + k + 1) {
                int same = a.len == ae - as && mem_eq_ci(a.p, p + as, a.len);
                /* Postfix names the alias a recipient came from on the next, indented
                 * line: "<a@b> (expanded from\n    <alias@c>): reply ..." */
                struct slice sofar = slice_trim(slice_make(p + ls, e > ls ? e - ls : 0));
                int expanded =
                    sofar.len >= 13 && mem_eq_ci(sofar.p + sofar.len - 13, "expanded from", 13);
                /* the same address leading a line right below its paragraph's first line
                 * is Postfix folding the remote reply that quotes it ("said: 550 5.2.1\n
                 * <a@b>... User unknown") */
                int folded = same && e == le;
                if (!expanded && !folded && (!same || k == i))
                    break;
            }
        }
        if (e == le && s >= le)
            s = i; /* the text starts on this line */
        e = ne;
        i = ne + 1;
    }
    if (e < s)
        e = s;
    if (e - s > TEXT_MAX_DIAG)
        e = s + TEXT_MAX_DIAG;
    return slice_make(p + s, e - s);
}

/* addr_hash - FNV-1a of the lower-cased address. */
static uint32_t addr_hash(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        h = (h ^ c) * 16777619u;
    }
    return h;
}

static int addr_ref_cmp(const void *a, const void *b)
{
    const struct addr_ref *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off;
}

/* build_index - every address of the notice, sorted by hash then position, so each DSN
 * recipient finds its paragraph in O(log n) instead of rescanning the notice (a 10,000
 * recipient report would otherwise take quadratic time). */
static void build_index(struct rb_parser *bp)
{
    bp->naddr = 0;
    bp->index_built = 1;
    const char *p = bp->notice.p;
    size_t end = bp->notice_end, pos = 0;
    struct slice a;
    while (p && addr_find(p, end, &pos, &a)) {
        if (bp->naddr == bp->addr_cap) {
            if (bp->addr_cap >= TEXT_MAX_INDEX)
                break;
            size_t nc = bp->addr_cap ? bp->addr_cap * 2 : 64;
            struct addr_ref *n = mem_realloc(bp->mem, bp->addrs, nc * sizeof *n);
            if (!n)
                break;
            bp->addrs = n;
            bp->addr_cap = nc;
        }
        struct addr_ref *r = &bp->addrs[bp->naddr++];
        r->hash = addr_hash(a.p, a.len);
        r->off = (size_t)(a.p - p);
        r->len = a.len;
    }
    if (bp->naddr > 1)
        qsort(bp->addrs, bp->naddr, sizeof *bp->addrs, addr_ref_cmp);
}

/* dsn_field_line - does the line at p start with an RFC 3464 recipient field name? */
static int dsn_field_line(const char *p, size_t n)
{
    static const char *const f[] = {
        "Final-Recipient:", "Original-Recipient:", "X-Actual-Recipient:"};
    return starts_any_ci(p, n, f, sizeof f / sizeof f[0]);
}

struct slice text_diag_for(struct rb_parser *bp, struct slice addr)
{
    const char *p = bp->notice.p;
    size_t end = bp->notice_end;
    if (!p)
        return slice_make("", 0);
    if (!bp->index_built)
        build_index(bp);
    uint32_t h = addr_hash(addr.p, addr.len);
    size_t lo = 0, hi = bp->naddr;
    while (lo < hi) { /* first entry with this hash */
        size_t mid = lo + (hi - lo) / 2;
        if (bp->addrs[mid].hash < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k < bp->naddr && bp->addrs[k].hash == h; k++) {
        const struct addr_ref *r = &bp->addrs[k];
        if (!(addr.len == r->len && mem_eq_ci(addr.p, p + r->off, r->len)))
            continue;
        size_t as = r->off, ae = as + r->len;
        size_t ls = as;
        while (ls > 0 && p[ls - 1] != '\n')
            ls--;
        /* a delivery-status block pasted into the notice (a report whose MIME boundary
         * went missing) is fields, not prose about the recipient */
        if (dsn_field_line(p + ls, end - ls))
            continue;
        size_t le = line_end(p, end, as);
        struct slice d = paragraph(p, end, ls, le, as, ae);
        if (d.len)
            return d;
    }
    return slice_make(p, 0);
}

struct slice text_block(const struct rb_parser *bp, struct slice t)
{
    const char *ne = bp->notice.p + bp->notice_end;
    const char *e = t.p + t.len;
    if (t.p < bp->notice.p || e > ne)
        return t;
    while (e < ne) {
        const char *nl = memchr(e, '\n', (size_t)(ne - e));
        if (!nl) {
            e = ne;
            break;
        }
        const char *q = nl + 1;
        if (q < ne && *q == '\r')
            q++;
        if (q >= ne || *q == '\n') {
            e = nl;
            break;
        }
        if ((size_t)(q - t.p) > TEXT_MAX_DIAG)
            break;
        e = q;
    }
    return slice_make(t.p, (size_t)(e - t.p));
}

/* transcript_reply - in a session transcript ("In:  RCPT TO:<a@b>" / "Out: 250 2.1.5 Ok",
 * as Postfix's smtpd mails the postmaster "errors from" a client: smtpd_chat_notify), the
 * first 4xx/5xx "Out:" reply of the paragraph, which is the error; the verb of the "In:"
 * line before it into cmd (HELO, EHLO, MAIL, RCPT, DATA or ""). Empty if d is no transcript
 * or every reply succeeded. */
static struct slice transcript_reply(struct slice d, char cmd[16])
{
    static const char *const verbs[] = {"HELO", "EHLO", "MAIL", "RCPT", "DATA"};
    cmd[0] = '\0';
    /* d starts after this recipient's own RCPT line: a later RCPT is another recipient's,
     * and the replies to it are not about this one */
    int other = 0;
    for (size_t i = 0; i < d.len;) {
        size_t e = line_end(d.p, d.len, i);
        size_t k = i;
        while (k < e && (d.p[k] == ' ' || d.p[k] == '\t'))
            k++;
        const char *l = d.p + k;
        size_t n = e - k;
        if (n > 4 && mem_eq_ci(l, "In:", 3)) {
            struct slice v = slice_trim(slice_make(l + 3, n - 3));
            cmd[0] = '\0';
            for (size_t j = 0; j < sizeof verbs / sizeof verbs[0]; j++)
                if (v.len >= 4 && mem_eq_ci(v.p, verbs[j], 4))
                    memcpy(cmd, verbs[j], 5);
            other = strcmp(cmd, "RCPT") == 0;
        } else if (!other && n > 8 && mem_eq_ci(l, "Out:", 4)) {
            struct slice v = slice_trim(slice_make(l + 4, n - 4));
            if (v.len >= 3 && (v.p[0] == '4' || v.p[0] == '5') && v.p[1] >= '0' && v.p[1] <= '9' &&
                v.p[2] >= '0' && v.p[2] <= '9')
                return v;
        }
        i = e + 1;
    }
    return slice_make(d.p, 0);
}

int text_records(struct rb_parser *bp)
{
    const char *p = bp->notice.p;
    size_t end = bp->notice_end;
    if (!p || end == 0)
        return RB_OK;
    size_t pos = 0;
    struct slice a;
    size_t first_other = (size_t)-1; /* offset of the first non-own address */
    struct slice first_addr = {NULL, 0};
    while (addr_find(p, end, &pos, &a)) {
        if (not_a_recipient(bp, a))
            continue;
        size_t as = (size_t)(a.p - p), ae = as + a.len;
        size_t ls = as;
        while (ls > 0 && p[ls - 1] != '\n')
            ls--;
        size_t le = line_end(p, end, as);
        if (first_other == (size_t)-1) {
            first_other = as;
            first_addr = a;
        }
        if (!recipient_position(p, ls, le, as, ae))
            continue;
        if (prec_find(bp, a) >= 0)
            continue;
        struct prec *r = prec_add(bp);
        if (!r)
            break;
        struct slice d = paragraph(p, end, ls, le, as, ae);
        char cmd[16];
        struct slice tr = transcript_reply(d, cmd);
        r->rcpt = arena_add(bp, a.p, a.len);
        if (tr.len) {
            r->diag = arena_add(bp, tr.p, tr.len);
            r->command = arena_add(bp, cmd, strlen(cmd));
            r->cmd_read = 1;
            continue;
        }
        r->diag = arena_add(bp, d.p, d.len);
        if (!d.len)
            r->defects |= RB_DEFECT_NO_DIAG;
        if (d.len) {
            /* the SMTP command, which Postfix may fold onto a line the paragraph left out */
            struct slice b = text_block(bp, d);
            text_find_command(b.p, b.len, cmd);
            r->command = arena_add(bp, cmd, strlen(cmd));
            r->cmd_read = 1;
        }
    }
    if (bp->nrec == 0 && first_addr.len) {
        /* no address in a recipient position: the first foreign address, with the whole
         * notice as its diagnostic (only when the notice reads like a failure report) */
        static const char *const failing[] = {
            "undeliver",        "could not be delivered", "delivery failed", "failure",
            "not delivered",    "returned mail",          "delivery status", "error",
            "unable to deliver"};
        int looks = 0;
        for (size_t k = 0; k < sizeof failing / sizeof failing[0] && !looks; k++)
            looks = memmem_ci(p, end, failing[k], strlen(failing[k])) != NULL;
        if (looks) {
            struct prec *r = prec_add(bp);
            if (r) {
                r->rcpt = arena_add(bp, first_addr.p, first_addr.len);
                size_t n = end > TEXT_MAX_DIAG ? TEXT_MAX_DIAG : end;
                r->diag = arena_add(bp, p, n);
            }
        }
    }
    return RB_OK;
}
