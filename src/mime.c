/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mime.c - zero-copy MIME reader specialised for bounce reports (see mime.h).
 *
 * DESCRIPTION
 *   One pass over the input, line by line (memchr), with a stack of the open multipart
 *   boundaries (innermost first, as GMime does). Parts are appended in document order to
 *   the caller's array; a part's body ends at the line break before the next boundary line
 *   of any enclosing multipart, or at the end of the input. A boundary of an outer multipart
 *   closes the inner ones (MIME_D_NO_END_BOUNDARY on them). Header blocks are scanned only
 *   for Content-Type and Content-Transfer-Encoding; every other header is read on demand by
 *   mime_hdr_find / mime_hdr_next.
 *
 *   Boundary lines follow GMime and RFC 2046: "--" boundary ["--"] then only blanks; a line
 *   that merely starts with the boundary is body text.
 *
 * LIMITS
 *   See mime.h. Per input line the work is O(MIME_MAX_DEPTH * MIME_MAX_BOUNDARY) at most,
 *   so parsing is linear; decoders are linear and bounded by the caller's buf cap.
 */
#include "mime.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>

#include "mem.h"

/* ---- small helpers ----------------------------------------------------------------------- */

static int lc(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* eq_ci - (p, n) equals NUL-terminated lowercase literal lit, ASCII case-insensitively. */
static bool eq_ci(const char *p, size_t n, const char *lit)
{
    return slice_eq_ci(slice_make(p, n), lit);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lc(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* line_end - pointer just past the '\n' ending the line at s, or end. */
static const char *line_end(const char *s, const char *end)
{
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    return nl ? nl + 1 : end;
}

/* content_end - strip the line end of the line ending at e (exclusive), not below lo. */
static const char *strip_eol(const char *lo, const char *e)
{
    if (e > lo && e[-1] == '\n')
        e--;
    if (e > lo && e[-1] == '\r')
        e--;
    return e;
}

/* ---- message storage --------------------------------------------------------------------- */

int mime_msg_init(struct mime_msg *m, size_t cap, const rb_mem *mem)
{
    memset(m, 0, sizeof *m);
    if (cap == 0)
        cap = MIME_MAX_PARTS;
    m->parts = mem_calloc(mem, cap, sizeof *m->parts);
    if (!m->parts)
        return RB_ENOMEM;
    m->cap = cap;
    m->mem = mem;
    m->owned = true;
    return RB_OK;
}

void mime_msg_init_static(struct mime_msg *m, struct mime_part *parts, size_t cap)
{
    memset(m, 0, sizeof *m);
    m->parts = parts;
    m->cap = cap;
}

void mime_msg_free(struct mime_msg *m)
{
    if (!m)
        return;
    if (m->owned)
        mem_free(m->mem, m->parts);
    m->parts = NULL;
    m->cap = m->nparts = 0;
    m->owned = false;
}

/* ---- Content-Type ------------------------------------------------------------------------ */

/* skip_cfws - skip blanks, line ends and (nested) comments. An unterminated '(' is junk,
 * not a comment: it must not swallow the parameters after it (GMime agrees). */
static const char *skip_cfws(const char *s, const char *e)
{
    while (s < e) {
        if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
            s++;
        } else if (*s == '(') {
            const char *c = s;
            int depth = 0;
            while (c < e) {
                if (*c == '\\' && c + 1 < e) {
                    c += 2;
                    continue;
                }
                if (*c == '(')
                    depth++;
                else if (*c == ')' && --depth == 0)
                    break;
                c++;
            }
            if (c >= e)
                return s; /* unterminated */
            s = c + 1;
        } else {
            break;
        }
    }
    return s;
}

/* is_tok_end - not an RFC 2045 token character (tspecials, blanks, controls, 8-bit). */
static bool is_tok_end(char c)
{
    unsigned char u = (unsigned char)c;
    return u <= 32 || u >= 127 || strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

static const struct slice S_TEXT = {"text", 4}, S_PLAIN = {"plain", 5}, S_MESSAGE = {"message", 7},
                          S_RFC822 = {"rfc822", 6}, S_APP = {"application", 11},
                          S_OCTET = {"octet-stream", 12}, S_MULTI = {"multipart", 9},
                          S_MIXED = {"mixed", 5};

/* parse_ctype - fill type, subtype and parameters of pt from the raw header value. */
static void parse_ctype(struct mime_part *pt, const char *s, const char *e)
{
    s = skip_cfws(s, e);
    const char *t0 = s;
    while (s < e && !is_tok_end(*s))
        s++;
    struct slice type = slice_make(t0, (size_t)(s - t0));
    s = skip_cfws(s, e);
    if (s < e && *s == '/') {
        s = skip_cfws(s + 1, e);
        const char *u0 = s;
        while (s < e && !is_tok_end(*s))
            s++;
        if (type.len && s > u0) {
            pt->type = type;
            pt->subtype = slice_make(u0, (size_t)(s - u0));
        }
    }
    if (!pt->subtype.len) {
        /* What GMime does with a lone type: text -> text/plain, multipart -> mixed. */
        if (slice_eq_ci(type, "text")) {
            pt->type = S_TEXT, pt->subtype = S_PLAIN;
        } else if (slice_eq_ci(type, "multipart")) {
            pt->type = S_MULTI, pt->subtype = S_MIXED;
        } else {
            pt->type = S_APP, pt->subtype = S_OCTET;
        }
        pt->defects |= MIME_D_BAD_CTYPE;
    }
    /* parameters */
    while (s < e) {
        s = skip_cfws(s, e);
        if (s < e && *s != ';') {
            /* junk between parameters: skip to the next ';' */
            while (s < e && *s != ';')
                s++;
        }
        if (s >= e)
            break;
        s = skip_cfws(s + 1, e);
        const char *a0 = s;
        while (s < e && !is_tok_end(*s))
            s++;
        struct slice attr = slice_make(a0, (size_t)(s - a0));
        s = skip_cfws(s, e);
        if (s >= e || *s != '=')
            continue;
        s = skip_cfws(s + 1, e);
        struct slice val;
        if (s < e && *s == '"') {
            const char *v0 = ++s;
            while (s < e && *s != '"') {
                if (*s == '\\' && s + 1 < e)
                    s++;
                s++;
            }
            val = slice_make(v0, (size_t)(s - v0));
            if (s < e)
                s++;
        } else {
            const char *v0 = s;
            while (s < e && *s != ';' && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
                s++;
            val = slice_make(v0, (size_t)(s - v0));
        }
        struct slice *dst = NULL;
        if (slice_eq_ci(attr, "boundary"))
            dst = &pt->boundary;
        else if (slice_eq_ci(attr, "charset"))
            dst = &pt->charset;
        else if (slice_eq_ci(attr, "name"))
            dst = &pt->name;
        else if (slice_eq_ci(attr, "report-type"))
            dst = &pt->report_type;
        if (dst && !dst->len)
            *dst = val;
    }
}

static uint8_t kind_of(const struct mime_part *pt)
{
    struct slice t = pt->type, s = pt->subtype;
    if (slice_eq_ci(t, "multipart"))
        return MIME_K_MULTIPART;
    if (slice_eq_ci(t, "text"))
        return slice_eq_ci(s, "rfc822-headers") ? MIME_K_RFC822_HDRS : MIME_K_TEXT;
    if (slice_eq_ci(t, "message")) {
        if (slice_eq_ci(s, "rfc822") || slice_eq_ci(s, "global") || slice_eq_ci(s, "news"))
            return MIME_K_MESSAGE;
        if (slice_eq_ci(s, "delivery-status") || slice_eq_ci(s, "global-delivery-status"))
            return MIME_K_DSN;
        if (slice_eq_ci(s, "feedback-report"))
            return MIME_K_FEEDBACK;
        if (slice_eq_ci(s, "global-headers"))
            return MIME_K_RFC822_HDRS;
        if (slice_eq_ci(s, "disposition-notification") ||
            slice_eq_ci(s, "global-disposition-notification"))
            return MIME_K_DISPOSITION;
    }
    return MIME_K_OTHER;
}

static uint8_t parse_cte(const char *s, const char *e, uint32_t *defects)
{
    s = skip_cfws(s, e);
    const char *t0 = s;
    while (s < e && !is_tok_end(*s))
        s++;
    size_t n = (size_t)(s - t0);
    if (eq_ci(t0, n, "base64"))
        return MIME_CTE_BASE64;
    if (eq_ci(t0, n, "quoted-printable"))
        return MIME_CTE_QP;
    if (eq_ci(t0, n, "8bit"))
        return MIME_CTE_8BIT;
    if (eq_ci(t0, n, "binary"))
        return MIME_CTE_BINARY;
    if (!eq_ci(t0, n, "7bit") && n)
        *defects |= MIME_D_BAD_CTE;
    return MIME_CTE_7BIT;
}

/* ---- the splitter ------------------------------------------------------------------------ */

struct frame {
    const char *b; /* boundary (without the leading "--") */
    size_t blen;
    int part; /* the multipart part */
};

struct parser {
    struct mime_msg *m;
    const char *start, *end;
    size_t limit; /* max parts */
    struct frame fr[MIME_MAX_DEPTH];
    int nfr;
    unsigned char done[MIME_MAX_PARTS]; /* body end already set */
    int last[MIME_MAX_PARTS];           /* last child so far */
};

/* match_boundary - index of the frame whose boundary line (s, eol) is, or -1. eol excludes
 * the '\n'. Inner frames are tried first. */
static int match_boundary(const struct parser *ps, const char *s, const char *eol, bool *final)
{
    size_t n = (size_t)(eol - s);
    if (n < 2 || s[0] != '-' || s[1] != '-')
        return -1;
    for (int i = ps->nfr - 1; i >= 0; i--) {
        const struct frame *f = &ps->fr[i];
        if (n - 2 < f->blen || memcmp(s + 2, f->b, f->blen) != 0)
            continue;
        const char *q = s + 2 + f->blen;
        bool fin = false;
        if (eol - q >= 2 && q[0] == '-' && q[1] == '-') {
            fin = true;
            q += 2;
        }
        while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q == eol) {
            *final = fin;
            return i;
        }
    }
    return -1;
}

/* at_boundary - whether the line at s is a boundary line of an open multipart. */
static bool at_boundary(const struct parser *ps, const char *s)
{
    bool fin;
    const char *next = line_end(s, ps->end);
    return ps->nfr && *s == '-' && match_boundary(ps, s, strip_eol(s, next), &fin) >= 0;
}

/* new_part - append a part starting at s; -1 when the limit is reached. */
static int new_part(struct parser *ps, int parent, const char *s)
{
    struct mime_msg *m = ps->m;
    if (m->nparts >= ps->limit)
        return -1;
    int idx = (int)m->nparts++;
    struct mime_part *pt = &m->parts[idx];
    memset(pt, 0, sizeof *pt);
    pt->hdr = slice_make(s, 0);
    pt->body = slice_make(s, 0);
    pt->parent = parent;
    pt->first_child = pt->next_sibling = -1;
    ps->done[idx] = 0;
    if (parent >= 0) {
        struct mime_part *pp = &m->parts[parent];
        pt->depth = (uint16_t)(pp->depth + 1);
        if (pp->first_child < 0)
            pp->first_child = idx;
        else
            m->parts[ps->last[parent]].next_sibling = idx;
        ps->last[parent] = idx;
        pp->nchildren++;
    }
    return idx;
}

/* close_chain - end the bodies of cur and its ancestors below stop at e (or, for parts
 * whose body starts later, empty). */
static void close_chain(struct parser *ps, int cur, int stop, const char *e)
{
    struct mime_msg *m = ps->m;
    for (int x = cur; x >= 0 && x != stop; x = m->parts[x].parent) {
        if (ps->done[x])
            continue;
        struct mime_part *pt = &m->parts[x];
        const char *b = pt->body.p;
        pt->body.len = e > b ? (size_t)(e - b) : 0;
        ps->done[x] = 1;
    }
}

enum hdr_end { HE_BLANK, HE_BOUNDARY, HE_EOF, HE_BODY };

/* field_end - end of the field starting at s (after its continuation lines), line end
 * excluded; hend bounds the search. */
static const char *field_end(const char *s, const char *hend)
{
    const char *e = line_end(s, hend);
    while (e < hend && is_blank(*e))
        e = line_end(e, hend);
    return strip_eol(s, e);
}

/* read_headers - scan the header block of part idx at *sp. On return *sp is where the body
 * starts (HE_BLANK, HE_BODY) or the boundary line (HE_BOUNDARY: *fi, *fin set). */
static enum hdr_end read_headers(struct parser *ps, int idx, const char **sp, int *fi, bool *fin)
{
    struct mime_part *pt = &ps->m->parts[idx];
    const char *s = *sp, *end = ps->end, *h0 = s;
    const char *ct = NULL, *cte = NULL;
    enum hdr_end how = HE_EOF;
    const char *hend = end, *body = end;

    if (idx == 0 && end - s >= 5 && memcmp(s, "From ", 5) == 0) {
        /* mbox postmark on the first line: not a header, not body */
        s = line_end(s, end);
        h0 = s;
    }
    while (s < end) {
        const char *next = line_end(s, end);
        const char *eol = strip_eol(s, next);
        if (eol == s && (next > s && next[-1] == '\n')) {
            hend = s;
            body = next;
            how = HE_BLANK;
            break;
        }
        if (ps->nfr && *s == '-' && (*fi = match_boundary(ps, s, eol, fin)) >= 0) {
            hend = body = s;
            how = HE_BOUNDARY;
            break;
        }
        if ((size_t)(next - h0) > MIME_MAX_HEADER_BYTES) {
            pt->defects |= MIME_D_HEADER_BYTES;
            hend = body = s;
            how = HE_BODY;
            break;
        }
        if ((size_t)(eol - s) > MIME_MAX_LINE)
            pt->defects |= MIME_D_LONG_LINE;
        if (is_blank(*s) && s > h0) {
            s = next; /* continuation */
            continue;
        }
        /* field name: printable ASCII up to ':', optional blanks before the colon */
        const char *q = s;
        while (q < eol && *q != ':' && (unsigned char)*q > 32 && (unsigned char)*q < 127)
            q++;
        const char *nend = q;
        while (q < eol && is_blank(*q))
            q++;
        if (q >= eol || *q != ':' || nend == s) {
            /* Like GMime: a line that is no field (e.g. a fold without its blank) stays in
             * the header block, ignored by mime_hdr_next; headers go on to the blank line. */
            pt->defects |= MIME_D_BAD_HEADER;
            s = next;
            continue;
        }
        size_t nl = (size_t)(nend - s);
        if (nl == 12 && eq_ci(s, nl, "content-type"))
            ct = q + 1;
        else if (nl == 25 && eq_ci(s, nl, "content-transfer-encoding"))
            cte = q + 1;
        s = next;
    }
    if (how == HE_EOF) {
        hend = body = end;
        pt->defects |= MIME_D_TRUNC_HEADERS;
    } else if (how == HE_BOUNDARY) {
        pt->defects |= MIME_D_TRUNC_HEADERS;
    }
    pt->hdr = slice_make(h0, (size_t)(hend - h0));
    pt->body = slice_make(body, 0);
    *sp = body;

    if (ct) {
        parse_ctype(pt, ct, field_end(ct, hend));
    } else if (pt->parent >= 0 && slice_eq_ci(ps->m->parts[pt->parent].subtype, "digest") &&
               ps->m->parts[pt->parent].kind == MIME_K_MULTIPART) {
        pt->type = S_MESSAGE, pt->subtype = S_RFC822;
    } else {
        pt->type = S_TEXT, pt->subtype = S_PLAIN;
    }
    if (cte)
        pt->cte = parse_cte(cte, field_end(cte, hend), &pt->defects);
    pt->kind = kind_of(pt);
    return how;
}

int mime_parse(struct mime_msg *m, const char *p, size_t len)
{
    if (!m || !m->parts || m->cap == 0 || (!p && len))
        return RB_EINVAL;
    struct parser ps;
    ps.m = m;
    ps.start = p ? p : "";
    ps.end = ps.start + len;
    ps.limit = m->cap < MIME_MAX_PARTS ? m->cap : MIME_MAX_PARTS;
    ps.nfr = 0;
    m->p = ps.start;
    m->len = len;
    m->nparts = 0;
    m->defects = 0;

    const char *s = ps.start, *end = ps.end;
    int cur = new_part(&ps, -1, s);
    bool in_headers = true;
    int fi = -1;
    bool fin = false;

    for (;;) {
        if (in_headers) {
            enum hdr_end how = read_headers(&ps, cur, &s, &fi, &fin);
            struct mime_part *pt = &m->parts[cur];
            in_headers = false;
            if (how == HE_EOF)
                break;
            if (how != HE_BOUNDARY) {
                bool deep = pt->depth + 1 >= MIME_MAX_DEPTH;
                if (pt->kind == MIME_K_MULTIPART) {
                    if (!pt->boundary.len || pt->boundary.len > MIME_MAX_BOUNDARY) {
                        pt->defects |= MIME_D_NO_BOUNDARY;
                    } else if (deep) {
                        pt->defects |= MIME_D_DEPTH;
                    } else {
                        struct frame *f = &ps.fr[ps.nfr++];
                        f->b = pt->boundary.p;
                        f->blen = pt->boundary.len;
                        f->part = cur;
                    }
                } else if (pt->kind == MIME_K_MESSAGE) {
                    if (pt->cte == MIME_CTE_BASE64 || pt->cte == MIME_CTE_QP) {
                        pt->defects |= MIME_D_ENCODED_MSG;
                    } else if (deep) {
                        pt->defects |= MIME_D_DEPTH;
                    } else if (s < end && !at_boundary(&ps, s)) {
                        /* (GMime agrees: nothing at all after the headers = no message) */
                        int c = new_part(&ps, cur, s);
                        if (c < 0) {
                            pt->defects |= MIME_D_PARTS;
                        } else {
                            cur = c;
                            in_headers = true;
                            continue;
                        }
                    }
                }
                /* body lines until a boundary of an open multipart, or EOF */
                fi = -1;
                while (s < end) {
                    const char *next = line_end(s, end);
                    if (ps.nfr && *s == '-' &&
                        (fi = match_boundary(&ps, s, strip_eol(s, next), &fin)) >= 0)
                        break;
                    s = next;
                }
                if (fi < 0)
                    break; /* EOF */
            }
        } else {
            /* epilogue of a closed multipart: same scan */
            fi = -1;
            while (s < end) {
                const char *next = line_end(s, end);
                if (ps.nfr && *s == '-' &&
                    (fi = match_boundary(&ps, s, strip_eol(s, next), &fin)) >= 0)
                    break;
                s = next;
            }
            if (fi < 0)
                break;
        }

        /* s is a boundary line of frame fi */
        const char *next = line_end(s, end);
        int mp = ps.fr[fi].part;
        const char *e = strip_eol(ps.start, s); /* clamped per part by close_chain */
        close_chain(&ps, cur, mp, e);
        for (int j = ps.nfr - 1; j > fi; j--)
            m->parts[ps.fr[j].part].defects |= MIME_D_NO_END_BOUNDARY;
        ps.nfr = fi + 1;
        cur = mp;
        if (fin) {
            struct mime_part *pp = &m->parts[mp];
            pp->body.len = (size_t)(strip_eol(s, next) - pp->body.p);
            ps.done[mp] = 1;
            ps.nfr = fi;
            s = next;
            in_headers = false;
            continue;
        }
        int c = new_part(&ps, mp, next);
        if (c < 0) {
            m->parts[mp].defects |= MIME_D_PARTS;
            break;
        }
        cur = c;
        s = next;
        in_headers = true;
    }
    /* EOF: close whatever is open */
    for (int j = 0; j < ps.nfr; j++)
        m->parts[ps.fr[j].part].defects |= MIME_D_NO_END_BOUNDARY;
    close_chain(&ps, cur, -1, end);
    for (size_t i = 0; i < m->nparts; i++)
        m->defects |= m->parts[i].defects;
    return RB_OK;
}

bool mime_part_is(const struct mime_part *pt, const char *type, const char *subtype)
{
    return slice_eq_ci(pt->type, type) && (!subtype || slice_eq_ci(pt->subtype, subtype));
}

struct slice mime_part_inner_hdr(const struct mime_msg *m, const struct mime_part *pt)
{
    struct slice none = {pt->body.p, 0};
    if (pt->kind == MIME_K_MESSAGE) {
        if (pt->first_child >= 0)
            return m->parts[pt->first_child].hdr;
        return none;
    }
    if (pt->kind != MIME_K_RFC822_HDRS || pt->cte == MIME_CTE_BASE64 || pt->cte == MIME_CTE_QP)
        return none;
    /* up to the first blank line, if any */
    const char *s = pt->body.p, *end = s + pt->body.len;
    while (s < end && (*s == '\r' || *s == '\n'))
        s++; /* tolerate blank lines before the headers */
    const char *h0 = s;
    while (s < end) {
        const char *next = line_end(s, end);
        if (strip_eol(s, next) == s)
            break;
        s = next;
    }
    return slice_make(h0, (size_t)(s - h0));
}

/* ---- headers ----------------------------------------------------------------------------- */

void mime_hdr_iter_init(struct mime_hdr_iter *it, struct slice hdr)
{
    it->p = hdr.p;
    it->end = hdr.p ? hdr.p + hdr.len : NULL; /* an empty slice may carry no pointer */
}

bool mime_hdr_next(struct mime_hdr_iter *it, struct slice *name, struct slice *value)
{
    while (it->p && it->p < it->end) {
        const char *s = it->p, *end = it->end;
        const char *next = line_end(s, end);
        while (next < end && is_blank(*next))
            next = line_end(next, end);
        it->p = next;
        if (is_blank(*s))
            continue; /* stray continuation */
        const char *eol = strip_eol(s, next);
        const char *q = s;
        while (q < eol && *q != ':' && (unsigned char)*q > 32 && (unsigned char)*q < 127)
            q++;
        const char *nend = q;
        while (q < eol && is_blank(*q))
            q++;
        if (q >= eol || *q != ':' || nend == s)
            continue;
        q++;
        while (q < eol && is_blank(*q))
            q++;
        *name = slice_make(s, (size_t)(nend - s));
        *value = slice_make(q, (size_t)(eol - q));
        return true;
    }
    return false;
}

bool mime_hdr_find(struct slice hdr, const char *name, struct slice *value)
{
    struct mime_hdr_iter it;
    struct slice n, v;
    mime_hdr_iter_init(&it, hdr);
    while (mime_hdr_next(&it, &n, &v)) {
        if (slice_eq_ci(n, name)) {
            *value = v;
            return true;
        }
    }
    return false;
}

int mime_hdr_unfold(const char *p, size_t len, struct buf *out)
{
    struct slice t = slice_trim(slice_make(p, len));
    const char *s = t.p, *e = t.p + t.len;
    while (s < e) {
        const char *c = s;
        while (c < e && *c != '\r' && *c != '\n')
            c++;
        int rc = buf_append(out, s, (size_t)(c - s));
        if (rc)
            return rc;
        while (c < e && (*c == '\r' || *c == '\n'))
            c++;
        s = c;
    }
    return RB_OK;
}

/* ---- UTF-8 and charsets ------------------------------------------------------------------ */

/* utf8_len - length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return (n >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
            return 0;
        return 4;
    }
    return 0;
}

/* append_utf8 - copy valid UTF-8; each invalid byte becomes its ISO-8859-1 character when
 * latin1, else U+FFFD. *bad is set when an invalid byte was seen. */
static int append_utf8(const char *p, size_t len, struct buf *out, bool latin1, bool *bad)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0, run = 0;
    while (i < len) {
        size_t k = s[i] < 0x80 ? 1 : utf8_len(s + i, len - i);
        if (k) {
            i += k;
            continue;
        }
        int rc = buf_append(out, p + run, i - run);
        if (rc)
            return rc;
        char u[3];
        if (latin1) {
            u[0] = (char)(0xC0 | (s[i] >> 6));
            u[1] = (char)(0x80 | (s[i] & 0x3F));
            rc = buf_append(out, u, 2);
        } else {
            rc = buf_append(out, "\xEF\xBF\xBD", 3);
        }
        if (rc)
            return rc;
        *bad = true;
        i++;
        run = i;
    }
    return buf_append(out, p + run, len - run);
}

/* charset_norm - lowercased charset name in dst (NUL-terminated); false if unusable. */
static bool charset_norm(const char *cs, size_t n, char *dst, size_t dstsz)
{
    struct slice t = slice_trim(slice_make(cs ? cs : "", cs ? n : 0));
    while (t.len && (t.p[0] == '"' || t.p[0] == '\''))
        t.p++, t.len--;
    while (t.len && (t.p[t.len - 1] == '"' || t.p[t.len - 1] == '\''))
        t.len--;
    if (t.len >= dstsz)
        return false;
    for (size_t i = 0; i < t.len; i++) {
        unsigned char c = (unsigned char)t.p[i];
        if (c <= 32 || c >= 127)
            return false;
        dst[i] = (char)lc(c);
    }
    dst[t.len] = '\0';
    return true;
}

static bool is_utf8_name(const char *cs)
{
    return !cs[0] || !strcmp(cs, "utf-8") || !strcmp(cs, "utf8") || !strcmp(cs, "us-ascii") ||
           !strcmp(cs, "ascii") || !strcmp(cs, "ansi_x3.4-1968") || !strcmp(cs, "us_ascii") ||
           !strcmp(cs, "x-unknown") || !strcmp(cs, "unknown-8bit") || !strcmp(cs, "default");
}

/* not_ascii_superset - charsets where pure ASCII bytes do not mean ASCII text. */
static bool not_ascii_superset(const char *cs)
{
    return !strncmp(cs, "utf-16", 6) || !strncmp(cs, "utf-32", 6) || !strncmp(cs, "ucs-", 4) ||
           !strncmp(cs, "utf-7", 5) || !strcmp(cs, "unicode-1-1-utf-7") || !strncmp(cs, "hz", 2);
}

/* iconv_name - iconv name for a MIME charset name (aliases real mail uses). */
static const char *iconv_name(const char *cs)
{
    static const struct {
        const char *mime, *ic;
    } alias[] = {
        {"ks_c_5601-1987", "CP949"},
        {"ks_c_5601", "CP949"},
        {"x-sjis", "CP932"},
        {"shift_jis", "CP932"},
        {"shift-jis", "CP932"},
        {"sjis", "CP932"},
        {"x-euc-jp", "EUC-JP"},
        {"unicode-1-1-utf-7", "UTF-7"},
        {"x-gbk", "GBK"},
        {"gb2312", "GB18030"},
        {"gbk", "GB18030"},
        {"iso-8859-8-i", "ISO-8859-8"},
        {"x-mac-roman", "MACINTOSH"},
        {"iso-2022-jp", "ISO-2022-JP-3"},
        {"windows-874", "CP874"},
        {"latin1", "ISO-8859-1"},
    };
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (!strcmp(cs, alias[i].mime))
            return alias[i].ic;
    return cs;
}

void mime_cvt_init(struct mime_cvt *cv)
{
    memset(cv, 0, sizeof *cv);
}

void mime_cvt_free(struct mime_cvt *cv)
{
    if (!cv)
        return;
    for (int i = 0; i < MIME_CVT_SLOTS; i++)
        if (cv->slot[i].name[0])
            iconv_close(cv->slot[i].cd);
    memset(cv, 0, sizeof *cv);
}

/* cvt_get - descriptor converting normalised charset cs to UTF-8, from cv's slots when
 * possible (*cached = true: do not close it); (iconv_t)-1 if iconv does not know cs. */
static iconv_t cvt_get(struct mime_cvt *cv, const char *cs, bool *cached)
{
    *cached = false;
    if (cv) {
        for (int i = 0; i < MIME_CVT_SLOTS; i++)
            if (!strcmp(cv->slot[i].name, cs)) {
                *cached = true;
                return cv->slot[i].cd;
            }
    }
    iconv_t cd = iconv_open("UTF-8", iconv_name(cs));
    if (cd == (iconv_t)-1 || !cv)
        return cd;
    unsigned k = cv->next++ % MIME_CVT_SLOTS;
    if (cv->slot[k].name[0])
        iconv_close(cv->slot[k].cd);
    memcpy(cv->slot[k].name, cs, strlen(cs) + 1);
    cv->slot[k].cd = cd;
    *cached = true;
    return cd;
}

int mime_charset_to_utf8(struct mime_cvt *cv, const char *charset, size_t cslen, const char *p,
                         size_t len, struct buf *out, uint32_t *defects)
{
    char cs[MIME_MAX_CHARSET + 1];
    bool bad = false;
    int rc;
    if (len == 0)
        return RB_OK;
    if (!charset_norm(charset, cslen, cs, sizeof cs)) {
        rc = append_utf8(p, len, out, true, &bad);
        if (defects)
            *defects |= MIME_D_BAD_CHARSET;
        return rc;
    }
    if (is_utf8_name(cs)) {
        /* declared ASCII with 8-bit bytes: UTF-8 if valid, else ISO-8859-1 (common) */
        bool utf8 = cs[0] == 'u' && cs[1] == 't';
        rc = append_utf8(p, len, out, !utf8, &bad);
        if (bad && utf8 && defects)
            *defects |= MIME_D_BAD_CHARSET;
        return rc;
    }
    if (!not_ascii_superset(cs)) {
        size_t i = 0;
        while (i < len && (unsigned char)p[i] < 0x80 && p[i] != 0x1B)
            i++;
        if (i == len)
            return buf_append(out, p, len); /* pure ASCII: no iconv */
    }
    if (!strcmp(cs, "iso-8859-1") || !strcmp(cs, "latin1") || !strcmp(cs, "iso_8859-1")) {
        /* every byte is its code point: no iconv needed */
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)p[i];
            char u[2] = {(char)(0xC0 | (c >> 6)), (char)(0x80 | (c & 0x3F))};
            rc = c < 0x80 ? buf_putc(out, (char)c) : buf_append(out, u, 2);
            if (rc)
                return rc;
        }
        return RB_OK;
    }
    bool cached = false;
    iconv_t cd = cvt_get(cv, cs, &cached);
    if (cd == (iconv_t)-1) {
        if (defects)
            *defects |= MIME_D_BAD_CHARSET;
        return append_utf8(p, len, out, true, &bad);
    }
    char *in = (char *)(uintptr_t)p; /* iconv's prototype lacks const */
    size_t inleft = len;
    char tmp[4096];
    rc = RB_OK;
    while (inleft && rc == RB_OK) {
        char *o = tmp;
        size_t oleft = sizeof tmp;
        size_t r = iconv(cd, &in, &inleft, &o, &oleft);
        int err = errno;
        rc = buf_append(out, tmp, (size_t)(o - tmp));
        if (rc || r != (size_t)-1)
            continue;
        if (err == E2BIG)
            continue;
        bad = true;
        rc = buf_append(out, "\xEF\xBF\xBD", 3);
        if (err == EILSEQ) {
            in++;
            inleft--;
        } else {
            break; /* EINVAL: truncated sequence at the end */
        }
    }
    if (rc == RB_OK) {
        char *o = tmp;
        size_t oleft = sizeof tmp;
        iconv(cd, NULL, NULL, &o, &oleft);
        rc = buf_append(out, tmp, (size_t)(o - tmp));
    }
    if (cached)
        iconv(cd, NULL, NULL, NULL, NULL); /* back to the initial state for the next use */
    else
        iconv_close(cd);
    if (bad && defects)
        *defects |= MIME_D_BAD_CHARSET;
    return rc;
}

/* ---- transfer decodings ------------------------------------------------------------------ */

static const signed char b64val[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,
    ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
    ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
    ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
    ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
}; /* value + 1; 0 = not in the alphabet */

struct b64 {
    uint32_t acc;
    int n;
};

/* b64_flush - end the current quantum (padding or end of input). */
static size_t b64_flush(struct b64 *st, unsigned char *dst, bool *bad)
{
    size_t o = 0;
    if (st->n == 2) {
        dst[o++] = (unsigned char)(st->acc >> 4);
    } else if (st->n == 3) {
        dst[o++] = (unsigned char)(st->acc >> 10);
        dst[o++] = (unsigned char)(st->acc >> 2);
    } else if (st->n == 1) {
        *bad = true;
    }
    st->n = 0;
    st->acc = 0;
    return o;
}

/* b64_step - decode (p, len) into dst (room for len/4*3+3 bytes) continuing state st;
 * returns bytes written. '=' ends a quantum (tolerates concatenated blocks). */
static size_t b64_step(struct b64 *st, const char *p, size_t len, unsigned char *dst, bool *bad)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        int v = b64val[c];
        if (v) {
            st->acc = (st->acc << 6) | (uint32_t)(v - 1);
            if (++st->n == 4) {
                dst[o++] = (unsigned char)(st->acc >> 16);
                dst[o++] = (unsigned char)(st->acc >> 8);
                dst[o++] = (unsigned char)st->acc;
                st->n = 0;
                st->acc = 0;
            }
        } else if (c == '=') {
            o += b64_flush(st, dst + o, bad);
        } else if (c != '\r' && c != '\n' && c != ' ' && c != '\t') {
            *bad = true;
        }
    }
    return o;
}

/* b64_dec - one-shot decode into dst (room for len/4*3+3 bytes); returns bytes written. */
static size_t b64_dec(const char *p, size_t len, unsigned char *dst, bool *bad)
{
    struct b64 st = {0, 0};
    size_t o = b64_step(&st, p, len, dst, bad);
    return o + b64_flush(&st, dst + o, bad);
}

int mime_decode_base64(const char *p, size_t len, struct buf *out, uint32_t *defects)
{
    bool bad = false;
    int rc = buf_reserve(out, len / 4 * 3 + 3);
    if (rc == RB_OK) {
        size_t o = b64_dec(p, len, (unsigned char *)out->p + out->len, &bad);
        out->len += o;
        out->p[out->len] = '\0';
    } else if (rc == RB_ETOOBIG) {
        /* may still fit once line breaks and garbage are gone: decode in chunks */
        struct b64 st = {0, 0};
        unsigned char tmp[4096 / 4 * 3 + 3];
        rc = RB_OK;
        for (size_t i = 0; i < len && rc == RB_OK; i += 4096) {
            size_t n = len - i < 4096 ? len - i : 4096;
            rc = buf_append(out, tmp, b64_step(&st, p + i, n, tmp, &bad));
        }
        if (rc == RB_OK)
            rc = buf_append(out, tmp, b64_flush(&st, tmp, &bad));
    }
    if (bad && defects)
        *defects |= MIME_D_BAD_BASE64;
    return rc;
}

int mime_decode_qp(const char *p, size_t len, struct buf *out, uint32_t *defects)
{
    size_t i = 0;
    bool bad = false;
    int rc;
    while (i < len) {
        const char *eq = memchr(p + i, '=', len - i);
        size_t stop = eq ? (size_t)(eq - p) : len;
        if ((rc = buf_append(out, p + i, stop - i)) != RB_OK)
            return rc;
        if (!eq)
            break;
        i = stop + 1;
        if (i + 1 < len && hexval((unsigned char)p[i]) >= 0 &&
            hexval((unsigned char)p[i + 1]) >= 0) {
            char c = (char)(hexval((unsigned char)p[i]) * 16 + hexval((unsigned char)p[i + 1]));
            if ((rc = buf_putc(out, c)) != RB_OK)
                return rc;
            i += 2;
            continue;
        }
        size_t j = i;
        while (j < len && is_blank(p[j]))
            j++;
        if (j < len && p[j] == '\r')
            j++;
        if (j < len && p[j] == '\n') {
            i = j + 1; /* soft line break */
            continue;
        }
        if (j == len) {
            i = len; /* '=' at the very end */
            continue;
        }
        bad = true;
        if ((rc = buf_putc(out, '=')) != RB_OK)
            return rc;
    }
    if (bad && defects)
        *defects |= MIME_D_BAD_QP;
    return RB_OK;
}

int mime_decode_body(const struct mime_part *pt, struct buf *out, uint32_t *defects)
{
    switch (pt->cte) {
    case MIME_CTE_BASE64:
        return mime_decode_base64(pt->body.p, pt->body.len, out, defects);
    case MIME_CTE_QP:
        return mime_decode_qp(pt->body.p, pt->body.len, out, defects);
    default:
        return buf_append(out, pt->body.p, pt->body.len);
    }
}

int mime_decode_text(struct mime_cvt *cv, const struct mime_part *pt, struct buf *out,
                     uint32_t *defects)
{
    size_t o = out->len;
    int rc = mime_decode_body(pt, out, defects);
    if (rc || out->len == o)
        return rc;
    /* common case: ASCII (or valid UTF-8 declared as such) needs no conversion */
    char cs[MIME_MAX_CHARSET + 1];
    bool known = charset_norm(pt->charset.p, pt->charset.len, cs, sizeof cs);
    const unsigned char *s = (const unsigned char *)out->p + o;
    size_t n = out->len - o, i = 0;
    if (known && !not_ascii_superset(cs)) {
        while (i < n && s[i] < 0x80 && s[i] != 0x1B)
            i++;
        if (i == n)
            return RB_OK;
    }
    if (known && (!strcmp(cs, "utf-8") || !strcmp(cs, "utf8"))) {
        while (i < n) {
            size_t k = utf8_len(s + i, n - i);
            if (!k)
                break;
            i += k;
        }
        if (i == n)
            return RB_OK;
    }
    if (pt->cte != MIME_CTE_BASE64 && pt->cte != MIME_CTE_QP) {
        /* the raw body is the decoded body: convert straight from the input */
        buf_truncate(out, o);
        return mime_charset_to_utf8(cv, pt->charset.p, pt->charset.len, pt->body.p, pt->body.len,
                                    out, defects);
    }
    struct buf tmp;
    buf_init(&tmp, out->cap, out->mem);
    rc = buf_append(&tmp, out->p + o, n);
    if (rc == RB_OK) {
        buf_truncate(out, o);
        rc = mime_charset_to_utf8(cv, pt->charset.p, pt->charset.len, tmp.p, tmp.len, out, defects);
    }
    buf_free(&tmp);
    return rc;
}

/* ---- RFC 2047 ---------------------------------------------------------------------------- */

#define MIME_EW_RUN 2048 /* decoded bytes of adjacent same-charset words converted at once */

struct ew_run {
    char cs[MIME_MAX_CHARSET + 1];
    char b[MIME_EW_RUN];
    size_t n;
};

static int run_flush(struct mime_cvt *cv, struct ew_run *r, struct buf *out)
{
    if (!r->n)
        return RB_OK;
    int rc = mime_charset_to_utf8(cv, r->cs, strlen(r->cs), r->b, r->n, out, NULL);
    r->n = 0;
    return rc;
}

/* parse_ew - if an encoded word starts at p[i], fill its parts and return its end index;
 * else 0. */
static size_t parse_ew(const char *p, size_t len, size_t i, struct slice *cs, char *enc,
                       struct slice *text)
{
    size_t j = i + 2, c0 = j;
    while (j < len && p[j] != '?' && (unsigned char)p[j] > 32 && (unsigned char)p[j] < 127)
        j++;
    if (j >= len || p[j] != '?' || j == c0 || j - c0 > MIME_MAX_CHARSET)
        return 0;
    *cs = slice_make(p + c0, j - c0);
    if (j + 2 >= len || p[j + 2] != '?')
        return 0;
    *enc = (char)lc((unsigned char)p[j + 1]);
    if (*enc != 'b' && *enc != 'q')
        return 0;
    size_t t0 = j + 3, k = t0;
    while (k + 1 < len && !(p[k] == '?' && p[k + 1] == '=')) {
        if ((unsigned char)p[k] <= 32 || (unsigned char)p[k] >= 127)
            return 0;
        k++;
    }
    if (k + 1 >= len)
        return 0;
    *text = slice_make(p + t0, k - t0);
    /* RFC 2231 language suffix: charset*lang */
    const char *star = memchr(cs->p, '*', cs->len);
    if (star)
        cs->len = (size_t)(star - cs->p);
    return k + 2;
}

int mime_hdr_decode(struct mime_cvt *cv, const char *p, size_t len, struct buf *out)
{
    struct ew_run run;
    run.n = 0;
    run.cs[0] = '\0';
    int rc = RB_OK;
    size_t i = 0, ws0 = 0, wsn = 0; /* pending whitespace (ws0, wsn) */
    bool prev_ew = false, started = false;

    while (i < len && rc == RB_OK) {
        char c = p[i];
        if (c == '\r' || c == '\n') {
            i++;
            continue;
        }
        if (c == ' ' || c == '\t') {
            if (!wsn)
                ws0 = i;
            wsn = i + 1 - ws0;
            i++;
            continue;
        }
        struct slice cs, text;
        char enc;
        size_t e;
        if (c == '=' && i + 1 < len && p[i + 1] == '?' &&
            (e = parse_ew(p, len, i, &cs, &enc, &text)) != 0) {
            char name[MIME_MAX_CHARSET + 1];
            if (!charset_norm(cs.p, cs.len, name, sizeof name))
                name[0] = '\0';
            if (!(prev_ew && !strcmp(name, run.cs))) {
                if ((rc = run_flush(cv, &run, out)) != RB_OK)
                    break;
                memcpy(run.cs, name, strlen(name) + 1);
            }
            if (!prev_ew && wsn && started) {
                /* whitespace between text and an encoded word is kept; between words not */
                if ((rc = buf_append(out, p + ws0, wsn)) != RB_OK)
                    break;
            }
            wsn = 0;
            /* decoded size <= text.len: flush first if it would not fit */
            if (run.n + text.len > sizeof run.b && (rc = run_flush(cv, &run, out)) != RB_OK)
                break;
            if (text.len > sizeof run.b)
                text.len = sizeof run.b; /* XXX absurdly long word: truncated */
            if (enc == 'b') {
                bool bad = false;
                unsigned char tmp[MIME_EW_RUN / 4 * 3 + 3];
                size_t o = b64_dec(text.p, text.len, tmp, &bad);
                memcpy(run.b + run.n, tmp, o);
                run.n += o;
            } else {
                for (size_t k = 0; k < text.len; k++) {
                    char ch = text.p[k];
                    if (ch == '_') {
                        ch = ' ';
                    } else if (ch == '=' && k + 2 < text.len &&
                               hexval((unsigned char)text.p[k + 1]) >= 0 &&
                               hexval((unsigned char)text.p[k + 2]) >= 0) {
                        ch = (char)(hexval((unsigned char)text.p[k + 1]) * 16 +
                                    hexval((unsigned char)text.p[k + 2]));
                        k += 2;
                    }
                    run.b[run.n++] = ch;
                }
            }
            prev_ew = true;
            started = true;
            i = e;
            continue;
        }
        /* plain text up to the next blank, line end or encoded-word start */
        if ((rc = run_flush(cv, &run, out)) != RB_OK)
            break;
        if (wsn && started && (rc = buf_append(out, p + ws0, wsn)) != RB_OK)
            break;
        wsn = 0;
        size_t j = i + 1;
        while (j < len && p[j] != ' ' && p[j] != '\t' && p[j] != '\r' && p[j] != '\n' &&
               !(p[j] == '=' && j + 1 < len && p[j + 1] == '?'))
            j++;
        bool bad = false;
        rc = append_utf8(p + i, j - i, out, true, &bad);
        prev_ew = false;
        started = true;
        i = j;
    }
    if (rc == RB_OK)
        rc = run_flush(cv, &run, out);
    return rc;
}
