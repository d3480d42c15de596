/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reply.c - SMTP reply parsing; see reply.h.
 *
 * DESCRIPTION
 *   Unfolding: the input is split on LF, CRLF or CR. A line that starts (after optional
 *   blanks) with a reply prefix "NNN-" / "NNN " and optionally a repeated enhanced code is a
 *   continuation of a multi-line reply: from the second such line on, the prefix is dropped
 *   so the text reads as one sentence. Header folding (a line starting with blanks) joins
 *   with one space. A leading "Diagnostic-Code:" name and "smtp;"-style type are removed
 *   and the type kept.
 *
 *   Code finding (reply_find_codes): an enhanced code is class.subject.detail with class
 *   2/4/5, subject 0..7, 1-3 digit subject/detail, not part of a longer dotted number (IP
 *   addresses, versions). A basic code is three digits 2xx-5xx standing alone. Preference:
 *   (1) a basic code directly followed by an enhanced code ("550 5.1.1", "550-5.7.26",
 *   "#550 5.1.1"); (2) a basic code at the start of the text; (3) the first enhanced code
 *   and the first standalone 4xx/5xx code. Both codes are kept when their classes differ,
 *   and the reply is flagged RB_REPLY_CODE_MISMATCH.
 */
#include "reply.h"

#include <string.h>

#include "slice.h"

/* Byte classes, so the per-byte loops test one table entry instead of several ranges. */
enum { C_ALPHA = 1, C_DIGIT = 2, C_UPPER = 4, C_SPACE = 8, C_CTRL = 16, C_TOKEN = 32 };
#define R8(x) x, x, x, x, x, x, x, x
static const unsigned char cclass[256] = {
    /* 0x00-0x1f: controls, but TAB is a space */
    C_CTRL, C_CTRL, C_CTRL, C_CTRL, C_CTRL, C_CTRL, C_CTRL, C_CTRL, C_CTRL, C_SPACE, C_CTRL, C_CTRL,
    C_CTRL, C_CTRL, C_CTRL, C_CTRL, R8(C_CTRL), R8(C_CTRL),
    /* 0x20-0x2f: ' ' ! " # $ % & ' ( ) * + , - . / */
    C_SPACE, 0, 0, C_TOKEN, 0, 0, 0, 0, 0, 0, 0, 0, 0, C_TOKEN, 0, 0,
    /* 0x30-0x3f: digits, then : ; < = > ? */
    R8(C_DIGIT | C_TOKEN), C_DIGIT | C_TOKEN, C_DIGIT | C_TOKEN, C_TOKEN, 0, 0, 0, 0, 0,
    /* 0x40-0x5f: @ A-Z [ \ ] ^ _ */
    0, R8(C_ALPHA | C_UPPER | C_TOKEN), R8(C_ALPHA | C_UPPER | C_TOKEN),
    R8(C_ALPHA | C_UPPER | C_TOKEN), C_ALPHA | C_UPPER | C_TOKEN, C_ALPHA | C_UPPER | C_TOKEN, 0, 0,
    0, 0, 0,
    /* 0x60-0x7f: ` a-z { | } ~ DEL */
    0, R8(C_ALPHA | C_TOKEN), R8(C_ALPHA | C_TOKEN), R8(C_ALPHA | C_TOKEN), C_ALPHA | C_TOKEN,
    C_ALPHA | C_TOKEN, 0, 0, 0, 0, C_CTRL,
    /* 0x80-0xff: UTF-8 and legacy bytes are ordinary text */
    R8(0), R8(0), R8(0), R8(0), R8(0), R8(0), R8(0), R8(0), R8(0), R8(0), R8(0), R8(0), R8(0),
    R8(0), R8(0), R8(0)};
#undef R8

/* Word-at-a-time scanning (SWAR): the hot loops below look at 8 bytes per step and fall
 * back to one byte at a time near the ends. Masks have the top bit of each selected byte
 * set; byte k of the text is byte k of the word (little-endian; elsewhere the per-byte
 * paths run alone). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__GNUC__)
#define RB_SWAR 1
#define W_ONES 0x0101010101010101ull
#define W_HIGH 0x8080808080808080ull

static inline unsigned long long load8(const char *p)
{
    unsigned long long w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* eq_byte - bytes of w equal to c, exactly (no borrow false positives). */
static inline unsigned long long eq_byte(unsigned long long w, unsigned c)
{
    unsigned long long y = w ^ (W_ONES * c);
    return ~(((y & ~W_HIGH) + ~W_HIGH) | y) & W_HIGH;
}

/* blank_mask - bytes the unfolding treats as white space: C_SPACE or C_CTRL in cclass
 * (0x00-0x20 and DEL). Adding 1 to the low 7 bits maps DEL to 0 and 0x00-0x20 to
 * 0x01-0x21, so both are "below 0x22" (bytes >= 0x80 are never blank). */
static inline unsigned long long blank_mask(unsigned long long w)
{
    unsigned long long v = ((w & ~W_HIGH) + W_ONES) & ~W_HIGH;
    return ~(v + W_ONES * (0x80 - 0x22)) & ~w & W_HIGH;
}
#endif

static inline int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static inline int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int is_upper(unsigned char c)
{
    return c >= 'A' && c <= 'Z';
}

static inline int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* digits_at - number of consecutive digits at p[i..] (at most max+1 counted). */
static size_t digits_at(const char *p, size_t len, size_t i, size_t max)
{
    size_t n = 0;
    while (i + n < len && is_digit((unsigned char)p[i + n]) && n <= max)
        n++;
    return n;
}

static int parse_num(const char *p, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

/* status_at - is there an enhanced code starting exactly at p[i]? Returns its length and
 * fills the parts; 0 if not. Boundaries are checked by the caller for the left side. */
static size_t status_at(const char *p, size_t len, size_t i, int *cls, int *subj, int *det)
{
    if (i + 5 > len)
        return 0;
    unsigned char c = (unsigned char)p[i];
    if (c != '2' && c != '4' && c != '5')
        return 0;
    if (p[i + 1] != '.')
        return 0;
    size_t ns = digits_at(p, len, i + 2, 3);
    if (ns == 0 || ns > 3)
        return 0;
    size_t j = i + 2 + ns;
    if (j >= len || p[j] != '.')
        return 0;
    size_t nd = digits_at(p, len, j + 1, 3);
    if (nd == 0 || nd > 3)
        return 0;
    size_t end = j + 1 + nd;
    /* not a longer dotted number (IPv4 address, version string) */
    if (end < len && p[end] == '.' && end + 1 < len && is_digit((unsigned char)p[end + 1]))
        return 0;
    if (end < len && (is_alpha((unsigned char)p[end]) || p[end] == '_'))
        return 0;
    int s = parse_num(p + i + 2, ns);
    if (s > 7)
        return 0;
    *cls = c - '0';
    *subj = s;
    *det = parse_num(p + j + 1, nd);
    return end - i;
}

/* left_ok - may a code start at p[i]? (not glued to a word, number or dotted number) */
static int left_ok(const char *p, size_t i)
{
    if (i == 0)
        return 1;
    unsigned char b = (unsigned char)p[i - 1];
    return !(is_digit(b) || is_alpha(b) || b == '.' || b == '_' || b == '-' || b == '/' ||
             b == ':' || b == '@' || b == '=');
}

/* basic_at - a standalone reply code at p[i]? Returns the code or 0. */
static int basic_at(const char *p, size_t len, size_t i)
{
    if (i + 3 > len)
        return 0;
    unsigned char c = (unsigned char)p[i];
    if (c < '2' || c > '5' || !is_digit((unsigned char)p[i + 1]) ||
        !is_digit((unsigned char)p[i + 2]))
        return 0;
    if (i + 3 < len) {
        unsigned char n = (unsigned char)p[i + 3];
        if (!(n == ' ' || n == '-' || n == '\t' || n == ',' || n == ')' || n == ']' || n == ';' ||
              n == '"' || n == '\'' || (n == '.' && (i + 4 >= len || p[i + 4] == ' ')) ||
              (n == ':' && (i + 4 >= len || p[i + 4] == ' '))))
            return 0;
    }
    return parse_num(p + i, 3);
}

int reply_parse_status(const char *p, size_t len, int *cls, int *subject, int *detail)
{
    size_t n = status_at(p, len, 0, cls, subject, detail);
    return n != 0 && n == len;
}

static void set_status(rb_reply *out, int cls, int subj, int det)
{
    out->status_class = cls;
    out->status_subject = subj;
    out->status_detail = det;
    /* cls is one digit, subj and det at most three: fits in 16 bytes */
    char *s = out->status;
    size_t k = 0;
    s[k++] = (char)('0' + cls);
    s[k++] = '.';
    if (subj >= 100)
        s[k++] = (char)('0' + subj / 100);
    if (subj >= 10)
        s[k++] = (char)('0' + subj / 10 % 10);
    s[k++] = (char)('0' + subj % 10);
    s[k++] = '.';
    if (det >= 100)
        s[k++] = (char)('0' + det / 100);
    if (det >= 10)
        s[k++] = (char)('0' + det / 10 % 10);
    s[k++] = (char)('0' + det % 10);
    s[k] = '\0';
}

void reply_find_codes(const char *p, size_t len, rb_reply *out)
{
    int first_basic = 0, start_basic = 0, pair_basic = 0;
    int have_status = 0, pair = 0;
    int cls = 0, subj = 0, det = 0;
    int pcls = 0, psubj = 0, pdet = 0;

    for (size_t i = 0; i < len && !pair; i++) {
        i = slice_find_range(p, i, len, '2', '5'); /* the next digit 2-5 */
        if (i >= len)
            break;
        unsigned char c = (unsigned char)p[i];
        if (c < '2' || c > '5' || !left_ok(p, i))
            continue;
        int b = basic_at(p, len, i);
        if (b) {
            /* "550 5.1.1", "550-5.7.26", "550 #5.1.1" */
            size_t j = i + 3;
            if (j < len && (p[j] == ' ' || p[j] == '-')) {
                j++;
                if (j < len && p[j] == '#')
                    j++;
                int c2, s2, d2;
                if (status_at(p, len, j, &c2, &s2, &d2)) {
                    pair = 1;
                    pair_basic = b;
                    pcls = c2, psubj = s2, pdet = d2;
                    break;
                }
            }
            if (i == 0 || (i == 1 && p[0] == '#'))
                start_basic = b;
            if (!first_basic && c >= '4')
                first_basic = b;
            i += 2;
            continue;
        }
        if (!have_status) {
            int c2, s2, d2;
            size_t n = status_at(p, len, i, &c2, &s2, &d2);
            /* a lone 2.x.x deep in prose is a version number ("Postfix 2.3.5"), not a code */
            if (n && c2 == 2 && i > 1)
                n = 0;
            if (n) {
                have_status = 1;
                cls = c2, subj = s2, det = d2;
                i += n - 1;
            }
        }
    }
    if (pair) {
        /* a failing code at the start wins (Exim "503-All RCPT commands were rejected ...
         * 503-550 5.1.1"); a 2xx/3xx banner at the start ("220-mx ...") does not */
        out->replycode = start_basic >= 400 ? start_basic : pair_basic;
        set_status(out, pcls, psubj, pdet);
    } else {
        out->replycode = start_basic ? start_basic : first_basic;
        if (have_status)
            set_status(out, cls, subj, det);
        /* a 2xx code found deep in prose is not trusted; only at the start */
    }
    if (out->replycode && out->status_class && out->replycode / 100 != out->status_class)
        out->flags |= RB_REPLY_CODE_MISMATCH;
}

/* command_word - the SMTP command named at p (after "in reply to " / "after "), or NULL. */
static const char *command_word(const char *p, size_t len)
{
    static const struct {
        const char *word;
        const char *cmd;
    } tab[] = {
        {"rcpt", "RCPT"},         {"mail", "MAIL"}, {"end of data", "DATA"},
        {"data", "DATA"},         {"helo", "HELO"}, {"ehlo", "EHLO"},
        {"starttls", "STARTTLS"}, {"auth", "AUTH"}, {"initial connection", "CONN"},
    };
    for (size_t k = 0; k < sizeof tab / sizeof tab[0]; k++) {
        size_t n = strlen(tab[k].word);
        if (len >= n && mem_eq_ci(p, tab[k].word, n))
            return tab[k].cmd;
    }
    return NULL;
}

/* find_command - the SMTP command a reply answered, from the usual MTA phrasings:
 * Postfix "(in reply to RCPT TO command)", Exim "after RCPT TO:<...>". Two substring
 * searches over the text, then a word comparison at each hit. */
static void find_command(const char *p, size_t len, rb_reply *out)
{
    static const char *const lead[] = {"in reply to ", "after "};
    for (size_t k = 0; k < 2; k++) {
        size_t ln = strlen(lead[k]);
        const char *q = p;
        const char *end = p + len;
        while ((q = memmem_ci(q, (size_t)(end - q), lead[k], ln)) != NULL) {
            q += ln;
            const char *cmd = command_word(q, (size_t)(end - q));
            if (cmd) {
                memcpy(out->command, cmd, strlen(cmd) + 1);
                return;
            }
        }
    }
}

void reply_find_command(const char *p, size_t len, char *out)
{
    rb_reply r;
    r.command[0] = '\0';
    if (p && len)
        find_command(p, len, &r);
    memcpy(out, r.command, sizeof r.command);
}

/* token_shape - is w[0..n) a provider reason token? */
static int token_shape(const char *w, size_t n, int bracketed)
{
    if (n >= 5 && n < 24 && memcmp(w, "AUP#", 4) == 0)
        return 1;
    size_t i = 0;
    while (i < n && is_upper((unsigned char)w[i]))
        i++;
    size_t letters = i;
    if (letters == 0)
        return 0;
    /* HL:REP, RP:ORQ, DT:SPM, MI:SFQ */
    if (letters == 2 && i < n && w[i] == ':') {
        size_t j = i + 1, k = 0;
        while (j + k < n && is_upper((unsigned char)w[j + k]))
            k++;
        return k >= 2 && k <= 4 && j + k == n;
    }
    /* SC-001, RP-001, DY-001, OU-002 */
    if (letters >= 2 && letters <= 3 && i < n && w[i] == '-') {
        size_t d = digits_at(w, n, i + 1, 3);
        return d == 3 && i + 1 + d == n;
    }
    size_t d = digits_at(w, n, i, 8);
    if (i + d != n || d == 0 || d > 8)
        return 0;
    if (letters == 3 && memcmp(w, "RFC", 3) == 0)
        return 0;
    /* TSS04, PH01, BL21, S3150, AS345, IB607, IPBL0101, BL000010 */
    if (bracketed)
        return letters <= 6 && d >= 2;
    return letters >= 2 && letters <= 5 && d >= 3 && letters + d >= 5;
}

/* find_token - first provider token in the text. Only words that start with an upper-case
 * letter after a non-alphanumeric byte are examined. */
static void find_token(const char *p, size_t len, rb_reply *out)
{
    for (size_t i = 0; i < len; i++) {
        i = slice_find_range(p, i, len, 'A', 'Z'); /* the next upper-case letter */
        if (i >= len)
            break;
        if (!(cclass[(unsigned char)p[i]] & C_UPPER) ||
            (i > 0 && (cclass[(unsigned char)p[i - 1]] & (C_ALPHA | C_DIGIT))))
            continue;
        size_t j = i + 1;
        while (j < len && (cclass[(unsigned char)p[j]] & C_TOKEN))
            j++;
        size_t n = j - i;
        while (n > 0 && (p[i + n - 1] == ':' || p[i + n - 1] == '-'))
            n--;
        if (n >= 4 && n < sizeof out->token) {
            int bracketed = i > 0 && (p[i - 1] == '[' || p[i - 1] == '(') && i + n < len &&
                            (p[i + n] == ']' || p[i + n] == ')');
            if (token_shape(p + i, n, bracketed)) {
                memcpy(out->token, p + i, n);
                out->token[n] = '\0';
                return;
            }
        }
        i = j;
    }
}

/* strip_field_prefix - skip "Diagnostic-Code:" / "Status:"-like leading names and the
 * "smtp;" type; returns the offset where the reply starts and fills diagtype. */
static size_t strip_field_prefix(const char *p, size_t len, rb_reply *out)
{
    size_t i = 0;
    while (i < len && (is_blank((unsigned char)p[i]) || p[i] == '\r' || p[i] == '\n'))
        i++;
    static const char *const names[] = {"diagnostic-code:", "x-postfix-diagnostic-code:"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        size_t n = strlen(names[k]);
        if (len - i >= n && mem_eq_ci(p + i, names[k], n)) {
            i += n;
            while (i < len && is_blank((unsigned char)p[i]))
                i++;
            break;
        }
    }
    /* type: a short word then ';' (smtp; X-Postfix; X-Unix; X-Notes;) */
    size_t j = i;
    while (j < len && j - i < 15 &&
           (is_alpha((unsigned char)p[j]) || p[j] == '-' || is_digit((unsigned char)p[j])))
        j++;
    if (j > i && j < len && p[j] == ';' && is_alpha((unsigned char)p[i])) {
        size_t n = j - i;
        memcpy(out->diagtype, p + i, n);
        out->diagtype[n] = '\0';
        if (slice_eq_ci(slice_make(p + i, n), "smtp"))
            memcpy(out->diagtype, "SMTP", 5);
        i = j + 1;
    }
    return i;
}

/* continuation_prefix - length of a "550-5.7.1 " / "550 " prefix at the start of a line
 * when it repeats the reply's code; 0 otherwise. */
static size_t continuation_prefix(const char *p, size_t len, int code)
{
    if (len < 4 || !basic_at(p, len, 0) || parse_num(p, 3) != code)
        return 0;
    if (p[3] != '-' && p[3] != ' ')
        return 0;
    size_t i = 4;
    int c, s, d;
    size_t n = status_at(p, len, i, &c, &s, &d);
    if (n) {
        i += n;
        while (i < len && is_blank((unsigned char)p[i]))
            i++;
    }
    return i;
}

static int reply_parse_opt(const char *p, size_t len, struct buf *text, rb_reply *out,
                           int find_cmd);

int reply_parse(const char *p, size_t len, struct buf *text, rb_reply *out)
{
    return reply_parse_opt(p, len, text, out, 1);
}

int reply_parse_nocmd(const char *p, size_t len, struct buf *text, rb_reply *out)
{
    return reply_parse_opt(p, len, text, out, 0);
}

static int reply_parse_opt(const char *p, size_t len, struct buf *text, rb_reply *out, int find_cmd)
{
    memset(out, 0, sizeof *out);
    buf_reset(text);
    size_t i = strip_field_prefix(p, len, out);
    /* Unfolding never lengthens the text (a line end becomes at most one space), so one
     * reservation up front lets the loop write bytes directly. */
    size_t cap = len - i < RB_MAX_REPLY_TEXT ? len - i : RB_MAX_REPLY_TEXT;
    int rc = buf_reserve(text, cap);
    if (rc != RB_OK) {
        out->text = "";
        return rc;
    }
    char *o = text->p;
    size_t on = 0;
    int code = 0;
    int lines = 0;
    int space = 0; /* a space is pending before the next visible byte */

    while (i < len && !(out->flags & RB_REPLY_TRUNCATED)) {
        /* one line: [i, e) */
        const char *nl = memchr(p + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - p) : len;
        const char *cr = memchr(p + i, '\r', e - i);
        if (cr)
            e = (size_t)(cr - p);
        size_t s = i;
        while (s < e && is_blank((unsigned char)p[s]))
            s++;
        if (lines == 0) {
            int b = basic_at(p + s, e - s, 0);
            if (b && e - s > 3 && (p[s + 3] == '-' || p[s + 3] == ' '))
                code = b;
        } else if (code) {
            size_t k = continuation_prefix(p + s, e - s, code);
            if (k) {
                s += k;
                out->flags |= RB_REPLY_MULTILINE;
            }
        }
        if (s < e)
            lines++;
        for (size_t k = s; k < e;) {
#if defined(__SSE2__)
            /* the same test as the 8-byte step below, 16 bytes at a time: bit k of each
             * mask is byte k (blank: 0x00-0x20 or DEL) */
            if (e - k >= 16 && cap - on >= 17) {
                __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + k));
                __m128i le20 = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x20)), v);
                __m128i del = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f));
                unsigned b = (unsigned)_mm_movemask_epi8(_mm_or_si128(le20, del));
                unsigned sp = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
                unsigned bad = (b & ~sp) | (sp & ((b >> 1) | 0x8001u));
                size_t t = bad ? (size_t)__builtin_ctz(bad) : 16;
                if (t) {
                    if (space && on > 0)
                        o[on++] = ' ';
                    space = 0;
                    _mm_storeu_si128((__m128i *)(void *)(o + on), v); /* cap - on >= 16 */
                    on += t;
                    k += t;
                    continue;
                }
            }
#endif
#ifdef RB_SWAR
            /* 8 bytes at a time while the output has room: copy verbatim the longest
             * prefix that unfolding leaves unchanged (ordinary bytes, and single spaces
             * between ordinary bytes); anything else goes through the byte path below */
            if (e - k >= 8 && cap - on >= 9) {
                unsigned long long w = load8(p + k);
                unsigned long long b = blank_mask(w);
                unsigned long long sp = eq_byte(w, ' ');
                /* a space is kept as is unless it is the first byte or the next byte is
                 * blank too (or unknown: the last byte) */
                unsigned long long bad = (b & ~sp) | (sp & ((b >> 8) | (W_HIGH << 56) | 0x80));
                size_t t = bad ? (size_t)__builtin_ctzll(bad) / 8 : 8;
                if (t) {
                    if (space && on > 0)
                        o[on++] = ' ';
                    space = 0;
                    memcpy(o + on, &w, 8); /* cap - on >= 8 here: room for all 8 */
                    on += t;
                    k += t;
                    continue;
                }
            }
#endif
            unsigned char cl = cclass[(unsigned char)p[k]];
            if (cl & (C_SPACE | C_CTRL)) {
                if (cl & C_CTRL)
                    out->flags |= RB_REPLY_BINARY;
                space = 1;
                k++;
                continue;
            }
            if (space && on > 0) {
                if (on == cap) {
                    out->flags |= RB_REPLY_TRUNCATED;
                    break;
                }
                o[on++] = ' ';
            }
            space = 0;
            if (on == cap) {
                out->flags |= RB_REPLY_TRUNCATED;
                break;
            }
            o[on++] = p[k++];
        }
        space = 1;
        /* skip the line end: CRLF, LF or CR */
        if (e < len && p[e] == '\r')
            e++;
        if (e < len && p[e] == '\n')
            e++;
        i = e;
    }
    /* input left unread means it was cut */
    if (i < len && !(out->flags & RB_REPLY_TRUNCATED)) {
        size_t k = i;
        while (k < len && (unsigned char)p[k] <= 0x20)
            k++;
        if (k < len)
            out->flags |= RB_REPLY_TRUNCATED;
    }
    text->len = on;
    o[on] = '\0';
    out->text = text->p;
    out->text_len = on;
    /* an X-Unix diagnostic carries a program's exit status, never an SMTP reply */
    if (!slice_eq_ci(slice_make(out->diagtype, strlen(out->diagtype)), "X-Unix"))
        reply_find_codes(out->text, out->text_len, out);
    if (find_cmd)
        find_command(out->text, out->text_len, out);
    find_token(out->text, out->text_len, out);
    return RB_OK;
}
