/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report_template.c - reply text to response template: variable parts become placeholders.
 *
 * DESCRIPTION
 *   See report_template.h for the rules. One pass left to right over the input: at each
 *   position the recognisers are tried in a fixed order (dates, times, IPv6, URLs, addresses,
 *   then a plain "atom" of letters, digits, '.', '-', '_' and non-ASCII bytes, classified as
 *   a whole), else the byte is punctuation and copied. The output writer owns every length
 *   check; once a piece does not fit, the writer is full and the pass stops.
 *   Ownership: nothing is allocated; out belongs to the caller.
 *
 * LIMITS
 *   Look-aheads that may fail are bounded: TPL_MAX_IPV6 bytes for an IPv6 address,
 *   TPL_MAX_DATE_TOKENS words for a date, TPL_MAX_SCHEME for a URL scheme. The one unbounded
 *   look-ahead (an address local part up to its '@') is cached, so no byte is scanned for
 *   it twice. Everything else consumes what it reads, so the pass is linear in n.
 */
#include <stdbool.h>
#include <string.h>

#include "report_template.h"

#define TPL_MAX_IPV6 48       /* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" is 45 */
#define TPL_MAX_DATE_TOKENS 9 /* "Wed, 01 May 2024 12:00:00 +0000 (UTC)" is 7 */
#define TPL_MAX_SCHEME 16     /* "https", "ftp", "mailto" - longer is not a scheme */
#define TPL_MAX_LITERAL 64    /* an address literal: "[IPv6:...]" */

typedef unsigned char uc;

enum ph { PH_NONE, PH_ADDR, PH_IP, PH_DATE, PH_TIME, PH_HOST, PH_ID, PH_N, PH_Q };
static const char *const ph_text[] = {"",       "<addr>", "<ip>", "<date>", "<time>",
                                      "<host>", "<id>",   "<n>",  "?<q>"};

/* The pass: input, output and the little context the rules need. */
struct tpl {
    const uc *s;      /* the input (borrowed) */
    char *out;        /* the caller's buffer */
    size_t cap;       /* > 0 */
    size_t len;       /* bytes written, always <= cap - 1 */
    bool full;        /* a piece did not fit: stop */
    bool space;       /* whitespace seen since the last byte written */
    bool line_start;  /* only punctuation since the start or a line break */
    enum ph last;     /* the last placeholder written ... */
    size_t last_end;  /* ... ended here (len just after it) */
    size_t local_end; /* the last address local part scanned stopped here (see addr_at) */
    uc code[3];       /* the reply code of the last "550-" continuation, if any */
};

/* ---- byte classes: one table built from these definitions at compile time, never
 * <ctype.h> (locale, sign of char); the table is what makes the pass fast ----------------- */

#define B_SPACE 0x01u /* whitespace and control bytes (NUL, DEL included): one space */
#define B_DIGIT 0x02u
#define B_ALPHA 0x04u /* ASCII letter */
#define B_UPPER 0x08u
#define B_HEX 0x10u
#define B_ATOM0 0x20u /* starts an atom: letter, digit, '_' or a non-ASCII byte (UTF-8 or not) */
#define B_ATOM 0x40u  /* continues one: also '.', '-' */
/* in an address local part: RFC 5322 atext and '.', less '/' (not a URL path) */
#define B_LOCAL 0x80u
#define B_URL 0x100u /* in a URL: brackets and quotes end one, as running text encloses it */

#define IS_DIG(c) ((c) >= '0' && (c) <= '9')
#define IS_UP(c) ((c) >= 'A' && (c) <= 'Z')
#define IS_LOW(c) ((c) >= 'a' && (c) <= 'z')
#define IS_SP(c) ((c) <= 0x20 || (c) == 0x7f)
#define IS_A0(c) (IS_DIG(c) || IS_UP(c) || IS_LOW(c) || (c) == '_' || (c) >= 0x80)
#define IS_LOCALP(c)                                                                               \
    ((c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' || (c) == '&' || (c) == '\'' ||          \
     (c) == '*' || (c) == '+' || (c) == '=' || (c) == '?' || (c) == '^' || (c) == '`' ||           \
     (c) == '{' || (c) == '|' || (c) == '}' || (c) == '~')
#define IS_URLX(c)                                                                                 \
    ((c) == '<' || (c) == '>' || (c) == '"' || (c) == '\'' || (c) == '(' || (c) == ')' ||          \
     (c) == '[' || (c) == ']' || (c) == '{' || (c) == '}' || (c) == '\\' || (c) == '^' ||          \
     (c) == '|' || (c) == '`')
#define CLS(c)                                                                                     \
    ((IS_SP(c) ? B_SPACE : 0u) | (IS_DIG(c) ? B_DIGIT : 0u) |                                      \
     (IS_UP(c) || IS_LOW(c) ? B_ALPHA : 0u) | (IS_UP(c) ? B_UPPER : 0u) |                          \
     (IS_DIG(c) || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F') ? B_HEX : 0u) |        \
     (IS_A0(c) ? B_ATOM0 : 0u) | (IS_A0(c) || (c) == '.' || (c) == '-' ? B_ATOM : 0u) |            \
     (IS_A0(c) || (c) == '.' || (c) == '-' || IS_LOCALP(c) ? B_LOCAL : 0u) |                       \
     (!IS_SP(c) && !IS_URLX(c) ? B_URL : 0u))
#define CLS4(c) CLS(c), CLS(c + 1), CLS(c + 2), CLS(c + 3)
#define CLS16(c) CLS4(c), CLS4(c + 4), CLS4(c + 8), CLS4(c + 12)
#define CLS64(c) CLS16(c), CLS16(c + 16), CLS16(c + 32), CLS16(c + 48)

static const unsigned short byte_class[256] = {CLS64(0), CLS64(64), CLS64(128), CLS64(192)};

static inline bool is_digit(uc c)
{
    return byte_class[c] & B_DIGIT;
}
static inline bool is_alpha(uc c)
{
    return byte_class[c] & B_ALPHA;
}
static inline bool is_upper(uc c)
{
    return byte_class[c] & B_UPPER;
}
static inline bool is_lower(uc c)
{
    return (byte_class[c] & (B_ALPHA | B_UPPER)) == B_ALPHA;
}
static inline bool is_alnum(uc c)
{
    return byte_class[c] & (B_DIGIT | B_ALPHA);
}
static inline bool is_hex(uc c)
{
    return byte_class[c] & B_HEX;
}
static inline bool is_space(uc c)
{
    return byte_class[c] & B_SPACE;
}
static inline bool is_atom_start(uc c)
{
    return byte_class[c] & B_ATOM0;
}
static inline bool is_atom(uc c)
{
    return byte_class[c] & B_ATOM;
}
static inline bool is_local(uc c)
{
    return byte_class[c] & B_LOCAL;
}
static inline bool is_url(uc c)
{
    return byte_class[c] & B_URL;
}
/* sentence punctuation after a URL is not part of it */
static inline bool is_url_trail(uc c)
{
    return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '*';
}

/* ndigits - number of digits at i, counting at most max + 1 (so "too many" shows) */
static size_t ndigits(const uc *s, size_t i, size_t end, size_t max)
{
    size_t k = 0;
    while (i + k < end && k <= max && is_digit(s[i + k]))
        k++;
    return k;
}

/* nalpha - number of ASCII letters at i, counting at most max + 1 */
static size_t nalpha(const uc *s, size_t i, size_t end, size_t max)
{
    size_t k = 0;
    while (i + k < end && k <= max && is_alpha(s[i + k]))
        k++;
    return k;
}

/* ---- output -------------------------------------------------------------------------- */

/* put_raw - copy k input bytes, after the pending space; a cut lands on a UTF-8 boundary and
 * makes the writer full. */
static void put_raw(struct tpl *t, const uc *p, size_t k)
{
    if (t->full || k == 0)
        return;
    size_t room = t->cap - 1 - t->len;
    if (t->space && t->len > 0) {
        if (room < 2) {
            t->full = true;
            return;
        }
        t->out[t->len++] = ' ';
        room--;
    }
    t->space = false;
    if (k > room) {
        /* p[k] is the first byte left out: step back over continuation bytes to leave the
         * whole sequence out (at most 3: the longest UTF-8 sequence is 4 bytes) */
        size_t back = 0;
        k = room;
        while (k > 0 && back < 3 && (p[k] & 0xC0) == 0x80) {
            k--;
            back++;
        }
        t->full = true;
    }
    memcpy(t->out + t->len, p, k);
    t->len += k;
}

/* put_ph - write a placeholder whole or not at all; one of the same kind right before it,
 * with nothing but whitespace between, absorbs it */
static void put_ph(struct tpl *t, enum ph kind)
{
    if (t->full)
        return;
    t->line_start = false;
    if (kind == t->last && t->len == t->last_end && t->len > 0) {
        t->space = false;
        return;
    }
    const char *p = ph_text[kind];
    size_t k = strlen(p), sp = (t->space && t->len > 0) ? 1 : 0;
    if (k + sp > t->cap - 1 - t->len) {
        t->full = true;
        return;
    }
    if (sp)
        t->out[t->len++] = ' ';
    t->space = false;
    memcpy(t->out + t->len, p, k);
    t->len += k;
    t->last = kind;
    t->last_end = t->len;
}

/* put_word - an atom kept verbatim: it ends a line start like a placeholder does */
static void put_word(struct tpl *t, const uc *p, size_t k)
{
    put_raw(t, p, k);
    t->line_start = false;
}

/* ---- recognisers: each returns the end of its match at i, or i for none ---------------- */

/* ipv4_at - a dotted quad, each part 0-255 in 1-3 digits; no check of what follows */
static size_t ipv4_at(const uc *s, size_t i, size_t end)
{
    size_t j = i;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (j >= end || s[j] != '.')
                return i;
            j++;
        }
        size_t d = ndigits(s, j, end, 3);
        if (d == 0 || d > 3)
            return i;
        unsigned v = 0;
        for (size_t k = 0; k < d; k++)
            v = v * 10 + (unsigned)(s[j + k] - '0');
        if (v > 255)
            return i;
        j += d;
    }
    return j;
}

/* enhanced_at - an RFC 3463 status code class.subject.detail ([245].d{1,3}.d{1,3}) */
static size_t enhanced_at(const uc *s, size_t i, size_t end)
{
    if (i + 5 > end || (s[i] != '2' && s[i] != '4' && s[i] != '5') || s[i + 1] != '.')
        return i;
    size_t j = i + 2, d = ndigits(s, j, end, 3);
    if (d == 0 || d > 3 || j + d >= end || s[j + d] != '.')
        return i;
    j += d + 1;
    d = ndigits(s, j, end, 3);
    if (d == 0 || d > 3)
        return i;
    return j + d;
}

/* ipv6_at - an RFC 4291 text address: hex groups, at most one "::", an optional dotted quad
 * at the end; at least one decimal digit, so words like "add::" stay words */
static size_t ipv6_at(const uc *s, size_t i, size_t end)
{
    /* most calls are words and numbers: no ':' within the first group's reach */
    size_t g = 0;
    while (g < 4 && i + g < end && is_hex(s[i + g]))
        g++;
    if (i + g >= end || s[i + g] != ':')
        return i;
    size_t lim = end - i > TPL_MAX_IPV6 ? i + TPL_MAX_IPV6 : end;
    size_t j = i, good = i, groups = 0;
    bool dbl = false, digit = false;
    if (j + 1 < lim && s[j] == ':' && s[j + 1] == ':') {
        dbl = true;
        j += 2;
        good = j;
    }
    while (j < lim) {
        size_t v4 = (dbl || groups == 6) && groups <= 6 ? ipv4_at(s, j, lim) : j;
        if (v4 > j) {
            groups += 2;
            digit = true;
            good = v4;
            break;
        }
        size_t h = 0;
        bool d = false;
        while (j + h < lim && h < 5 && is_hex(s[j + h]))
            d |= is_digit(s[j + h++]);
        if (h == 0 || h > 4)
            break;
        digit |= d;
        j += h;
        groups++;
        good = j;
        if (groups == 8 || j >= lim || s[j] != ':')
            break;
        if (j + 1 < lim && s[j + 1] == ':') {
            if (dbl)
                break;
            dbl = true;
            j += 2;
            good = j;
        } else {
            j++;
        }
    }
    if (!digit || groups > 8 || (dbl ? groups > 7 : groups != 8))
        return i;
    /* what follows must not continue a word, a group or a quad */
    if (good < end) {
        uc c = s[good];
        if (is_alnum(c) || c == '_')
            return i;
        if (good + 1 < end &&
            ((c == ':' && is_hex(s[good + 1])) || (c == '.' && is_digit(s[good + 1]))))
            return i;
    }
    return good;
}

/* time_core - h:mm[:ss][.frac] with no check of what follows */
static size_t time_core(const uc *s, size_t i, size_t end)
{
    size_t j = i, d = ndigits(s, j, end, 2);
    if (d < 1 || d > 2)
        return i;
    j += d;
    if (j + 2 >= end || s[j] != ':' || ndigits(s, j + 1, end, 2) != 2)
        return i;
    j += 3;
    if (j + 2 < end && s[j] == ':' && ndigits(s, j + 1, end, 2) == 2)
        j += 3;
    if (j + 1 < end && (s[j] == '.' || s[j] == ',') && is_digit(s[j + 1])) {
        d = ndigits(s, j + 1, end, 9);
        if (d > 9)
            return i;
        j += 1 + d;
    }
    return j;
}

/* time_at - a time of day standing alone */
static size_t time_at(const uc *s, size_t i, size_t end)
{
    size_t j = time_core(s, i, end);
    if (j == i || (j < end && (is_alnum(s[j]) || s[j] == ':')))
        return i;
    return j;
}

static bool name_is(const uc *p, size_t w, const char *name)
{
    size_t k = 0;
    for (; k < w && name[k]; k++)
        if ((p[k] | 0x20) != (uc)name[k])
            return false;
    return k == w && name[k] == 0;
}

/* name_abbr - p (w letters, first upper case) is name or its 3-letter abbreviation */
static bool name_abbr(const uc *p, size_t w, const char *name)
{
    if (w == 3) {
        for (size_t k = 0; k < 3; k++)
            if ((p[k] | 0x20) != (uc)name[k])
                return false;
        return true;
    }
    return name_is(p, w, name);
}

static bool is_weekday(const uc *p, size_t w)
{
    static const char *const names[] = {"monday", "tuesday",  "wednesday", "thursday",
                                        "friday", "saturday", "sunday"};
    if (!is_upper(p[0]))
        return false;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (name_abbr(p, w, names[k]))
            return true;
    return false;
}

static bool is_month(const uc *p, size_t w)
{
    static const char *const names[] = {"january",   "february", "march",    "april",
                                        "may",       "june",     "july",     "august",
                                        "september", "october",  "november", "december"};
    if (!is_upper(p[0]))
        return false;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (name_abbr(p, w, names[k]))
            return true;
    return name_is(p, w, "sept");
}

/* is_zone_name - the zone names RFC 5322 (obs-zone) and mail servers write */
static bool is_zone_name(const uc *p, size_t w)
{
    static const char *const names[] = {"UT",  "UTC",  "GMT", "Z",   "EST", "EDT", "CST",
                                        "CDT", "MST",  "MDT", "PST", "PDT", "CET", "CEST",
                                        "EET", "EEST", "BST", "JST", "KST", "IST", "MSK"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (strlen(names[k]) == w && memcmp(p, names[k], w) == 0)
            return true;
    return false;
}

/* date_initial - c can start a month or weekday name: rejects most words at once */
static bool date_initial(uc c)
{
    switch (c) {
    case 'A':
    case 'D':
    case 'F':
    case 'J':
    case 'M':
    case 'N':
    case 'O':
    case 'S':
    case 'T':
    case 'W':
        return true;
    default:
        return false;
    }
}

/* offset_at - a numeric zone +hhmm / -hh:mm / +hh */
static size_t offset_at(const uc *s, size_t i, size_t end)
{
    if (i >= end || (s[i] != '+' && s[i] != '-') || ndigits(s, i + 1, end, 2) != 2)
        return i;
    size_t j = i + 3;
    if (j < end && s[j] == ':')
        return ndigits(s, j + 1, end, 2) == 2 ? j + 3 : i;
    size_t d = ndigits(s, j, end, 2);
    return d == 0 ? j : d == 2 ? j + 2 : i;
}

/* iso_at - ISO 8601 yyyy-mm-dd, with an optional [T ]time and zone: one date */
static size_t iso_at(const uc *s, size_t i, size_t end)
{
    if (ndigits(s, i, end, 4) != 4 || i + 10 > end || s[i + 4] != '-' ||
        ndigits(s, i + 5, end, 2) != 2 || s[i + 7] != '-' || ndigits(s, i + 8, end, 2) != 2)
        return i;
    size_t j = i + 10;
    if (j + 1 < end && (s[j] == 'T' || s[j] == ' ')) {
        size_t k = time_core(s, j + 1, end);
        if (k > j + 1) {
            if (k < end && s[k] == 'Z') {
                k++;
            } else {
                size_t z = offset_at(s, k, end); /* "+02:00" */
                if (z == k && k + 1 < end && s[k] == ' ') {
                    /* "2024-05-01 12:00:00 +0000", "... UTC" */
                    size_t z2 = offset_at(s, k + 1, end);
                    if (z2 > k + 1)
                        z = z2;
                    else if (k + 4 <= end && is_zone_name(s + k + 1, 3) &&
                             (k + 4 == end || !is_alnum(s[k + 4])))
                        z = k + 4;
                }
                k = z;
            }
            if (k >= end || !is_alnum(s[k]))
                return k;
        }
    }
    return j < end && is_alnum(s[j]) ? i : j;
}

/* date_at - an RFC 5322 date (obsolete forms too), or syslog's "May  1 12:00:00", or
 * asctime's "Wed May  1 12:00:00 2024": a few words among weekday, day, month, year, time
 * and zone that name at least a month, a day and a year or time. */
static size_t date_at(const uc *s, size_t i, size_t end)
{
    size_t j = i, last = i;
    bool mon = false, day = false, year = false, tm = false, zone = false;
    for (int tok = 0; tok < TPL_MAX_DATE_TOKENS && j < end; tok++) {
        uc c = s[j];
        size_t k;
        if (is_alpha(c)) {
            size_t w = nalpha(s, j, end, 10);
            if (w > 10 || (tok == 0 && !date_initial(c)))
                break;
            if (!mon && is_month(s + j, w))
                mon = true;
            else if ((tm || year) && !zone && is_zone_name(s + j, w))
                zone = true;
            else if (tok > 0 || !is_weekday(s + j, w))
                break; /* a weekday only comes first: "Wed, 01 May", "Wed May  1" */
            k = j + w;
        } else if (is_digit(c)) {
            size_t e = time_core(s, j, end);
            if (e > j) {
                if (tm)
                    break;
                tm = true;
                k = e;
            } else {
                size_t d = ndigits(s, j, end, 4);
                if (d <= 2 && !day && !year)
                    day = true;
                else if (d == 4 && !year)
                    year = true;
                else if (d == 2 && day && mon && !year && !tm)
                    year = true; /* "01 May 24" */
                else
                    break;
                k = j + d;
            }
        } else if ((c == '+' || c == '-') && (tm || year) && !zone &&
                   ndigits(s, j + 1, end, 4) == 4) {
            zone = true;
            k = j + 5;
        } else if (c == '(' && (tm || zone)) {
            /* a zone comment: "(UTC)", "(PDT)", "(GMT+09:00)" */
            size_t e = j + 1;
            while (e < end && e - j <= 12 &&
                   (is_alnum(s[e]) || s[e] == '+' || s[e] == '-' || s[e] == ':'))
                e++;
            if (e == j + 1 || e >= end || s[e] != ')')
                break;
            k = e + 1;
        } else {
            break;
        }
        if (k < end && is_alnum(s[k]))
            break; /* "1st", "May5" */
        last = k;
        j = k;
        if (j < end && s[j] == ',')
            j++;
        size_t sp = 0;
        while (j + sp < end && sp < 3 && (s[j + sp] == ' ' || s[j + sp] == '\t'))
            sp++;
        if (sp == 0)
            break;
        j += sp;
    }
    return mon && day && (year || tm) ? last : i;
}

/* domain_end - end of the domain of an address at j (just after the '@'), or j: dotted
 * labels, or an address literal in [] */
static size_t domain_end(const uc *s, size_t j, size_t end)
{
    if (j < end && s[j] == '[') {
        size_t k = j + 1;
        while (k < end && k - j < TPL_MAX_LITERAL && (is_alnum(s[k]) || s[k] == '.' || s[k] == ':'))
            k++;
        return k > j + 1 && k < end && s[k] == ']' ? k + 1 : j;
    }
    size_t k = j, good = j;
    for (;;) {
        size_t l = k;
        while (l < end && (is_atom_start(s[l]) || s[l] == '-'))
            l++;
        if (l == k)
            break;
        good = l;
        if (l + 1 < end && s[l] == '.' && (is_atom_start(s[l + 1]) || s[l + 1] == '-')) {
            k = l + 1;
            continue;
        }
        break;
    }
    while (good > j && s[good - 1] == '-')
        good--;
    return good;
}

/* addr_at - end of an e-mail address whose local part starts at i, or i. The local part is
 * scanned up to the first byte that cannot be in one; every later start inside that run
 * ends at the same byte with the same answer, so the run end is remembered and the run is
 * never scanned again (this keeps "a.a.a.a..." linear). */
static size_t addr_at(struct tpl *t, size_t i, size_t end)
{
    const uc *s = t->s;
    if (i < t->local_end)
        return i;
    size_t j = i;
    while (j < end && is_local(s[j]))
        j++;
    t->local_end = j;
    if (j == i || j >= end || s[j] != '@')
        return i;
    size_t d = domain_end(s, j + 1, end);
    return d > j + 1 ? d : i;
}

/* ---- the pass ------------------------------------------------------------------------ */

static void run(struct tpl *t, size_t i, size_t end, bool urls);

/* url_at - a URL at i: written here (scheme and host kept, an IP host as <ip>, the path
 * through the same rules, the query as ?<q>); returns its end, or i */
static size_t url_at(struct tpl *t, size_t i, size_t end)
{
    const uc *s = t->s;
    size_t j = i;
    while (j < end && j - i < TPL_MAX_SCHEME &&
           (is_alnum(s[j]) || s[j] == '+' || s[j] == '.' || s[j] == '-'))
        j++;
    if (j + 3 > end || s[j] != ':' || s[j + 1] != '/' || s[j + 2] != '/')
        return i;
    size_t h = j + 3, e = h;
    while (e < end && is_url(s[e]))
        e++;
    while (e > h && is_url_trail(s[e - 1]))
        e--;
    if (e == h)
        return i;
    size_t he = h; /* host[:port] */
    while (he < e && s[he] != '/' && s[he] != '?' && s[he] != '#')
        he++;
    put_word(t, s + i, h - i);
    size_t v4 = ipv4_at(s, h, he);
    if (v4 > h && (v4 == he || s[v4] == ':')) {
        put_ph(t, PH_IP);
        put_raw(t, s + v4, he - v4); /* the port */
    } else {
        put_raw(t, s + h, he - h);
    }
    size_t q = he;
    while (q < e && s[q] != '?')
        q++;
    run(t, he, q, false);
    if (q < e)
        put_ph(t, PH_Q);
    return e;
}

/* reply_code_here - a 3-digit number [2-5]xx ending at e is a basic reply code: at the start
 * of a line, after "said: ", "smtp;" (a DSN Diagnostic-Code) or Exchange's "->", the same
 * as the last "550-" continuation, or before an enhanced status code */
static bool reply_code_here(const struct tpl *t, size_t e, size_t end)
{
    if (t->line_start)
        return true;
    uc prev = t->len > 0 ? (uc)t->out[t->len - 1] : 0;
    if (t->len == t->last_end)
        prev = 0; /* the '>' of "<ip>" is not Exchange's "->" */
    if ((prev == ':' && t->space) || prev == ';' || prev == '>')
        return true; /* ':' only as in "said: 550", not "(-1:308:-2)" */
    if (memcmp(t->s + e - 3, t->code, 3) == 0)
        return true; /* the last line of "550-a 550-b 550 c" joined by spaces */
    size_t j = e, sp = 0;
    while (j < end && sp < 3 && (t->s[j] == ' ' || t->s[j] == '\t')) {
        j++;
        sp++;
    }
    if (sp == 0)
        return false;
    size_t k = enhanced_at(t->s, j, end);
    return k > j && (k == end || !is_alnum(t->s[k]));
}

/* atom - classify and write the atom at i; returns where the pass goes on */
static size_t atom(struct tpl *t, size_t i, size_t end)
{
    const uc *s = t->s;
    /* "550-" opens the line of a multi-line reply: the code stays, the rest is a new atom
     * (checked before the atom is scanned: "550-550-550-..." must stay linear) */
    if (end - i >= 4 && s[i] >= '2' && s[i] <= '5' && ndigits(s, i, end, 3) == 3 &&
        s[i + 3] == '-') {
        memcpy(t->code, s + i, 3);
        put_word(t, s + i, 4);
        return i + 4;
    }
    size_t e = i;
    while (e < end && is_atom(s[e]))
        e++;
    while (e > i + 1 && (s[e - 1] == '.' || s[e - 1] == '-'))
        e--; /* sentence end, "a-" before a dash */
    size_t len = e - i, ndig = 0, nalp = 0, nhigh = 0, ndot = 0, nonhex = 0, trans = 0, cases = 0;
    size_t label = i;   /* start of the current dot-separated label */
    bool empty = false; /* an empty label: "a..b" */
    int prev = 0;       /* class of the last letter or digit: 1 letter, 2 digit */
    int pcase = 0;      /* case of the last letter: 1 upper, 2 lower */
    for (size_t k = i; k < e; k++) {
        uc c = s[k];
        int cls = 0;
        if (is_digit(c)) {
            ndig++;
            cls = 2;
        } else if (is_alpha(c)) {
            nalp++;
            nonhex += !is_hex(c);
            cls = 1;
            int cs = is_upper(c) ? 1 : 2;
            cases += pcase && pcase != cs;
            pcase = cs;
        } else if (c >= 0x80) {
            nhigh++;
        } else if (c == '.') {
            ndot++;
            empty |= k == label;
            label = k + 1;
        }
        if (cls) {
            trans += prev && prev != cls;
            prev = cls;
        }
    }
    if (ndig == len) {
        if (len == 3 && s[i] >= '2' && s[i] <= '5' && reply_code_here(t, e, end)) {
            put_word(t, s + i, len);
            return e;
        }
        /* "AUP#1260", "[#102]", "AS(1430)": a provider code, not a count */
        uc p1 = !t->space && t->len > 0 ? (uc)t->out[t->len - 1] : 0;
        if (p1 == '#' || (p1 == '(' && t->len >= 2 && is_alpha((uc)t->out[t->len - 2]))) {
            put_word(t, s + i, len);
            return e;
        }
        /* "10,000" is one number */
        while (e + 3 < end && s[e] == ',' && ndigits(s, e + 1, end, 3) == 3)
            e += 4;
        put_ph(t, PH_N);
        return e;
    }
    if (ndig + ndot == len) {
        if (enhanced_at(s, i, e) == e)
            put_word(t, s + i, len);
        else
            put_ph(t, ipv4_at(s, i, e) == e ? PH_IP : PH_N);
        return e;
    }
    if (nalp == 0 && nhigh == 0) {
        put_ph(t, PH_N); /* digits and separators: amavis "id=22220-02-222", "1_000" */
        return e;
    }
    if (ndot > 0 && !empty) {
        /* a host name ends in a top-level label of letters, lower or upper case */
        size_t tl = e - label, up = 0, low = 0;
        for (size_t k = label; k < e; k++) {
            up += is_upper(s[k]);
            low += is_lower(s[k]);
        }
        if (tl >= 2 && (up == tl || low == tl)) {
            if (ndig > 0)
                put_ph(t, PH_HOST);
            else
                put_word(t, s + i, len);
            return e;
        }
    }
    /* random-looking: many letter/digit alternations or case changes, or hex; a provider
     * code such as AS16012607 or IPBL0001 is letters then digits with a non-hex letter */
    if (nhigh == 0 && ndig > 0 && nalp > 0 && ndig + nalp >= 8 &&
        (trans >= 3 || cases >= 3 || nonhex == 0)) {
        put_ph(t, PH_ID);
        return e;
    }
    put_word(t, s + i, len);
    return e;
}

/* run - the pass over [i, end); urls is false inside a URL's path */
static void run(struct tpl *t, size_t i, size_t end, bool urls)
{
    const uc *s = t->s;
    while (i < end && !t->full) {
        uc c = s[i];
        size_t j;
        if (is_space(c)) {
            do {
                if (c == '\n' || c == '\r')
                    t->line_start = true;
                i++;
            } while (i < end && is_space(c = s[i]));
            t->space = true;
            continue;
        }
        if (is_digit(c)) {
            if ((j = iso_at(s, i, end)) > i || (j = date_at(s, i, end)) > i) {
                put_ph(t, PH_DATE);
                i = j;
                continue;
            }
            if ((j = time_at(s, i, end)) > i) {
                put_ph(t, PH_TIME);
                i = j;
                continue;
            }
            if ((j = ipv6_at(s, i, end)) > i) {
                put_ph(t, PH_IP);
                i = j;
                continue;
            }
        } else if (is_alpha(c)) {
            if (urls && (j = url_at(t, i, end)) > i) {
                i = j;
                continue;
            }
            if ((c | 0x20) == 'i' && end - i > 5 && name_is(s + i, 4, "ipv6") && s[i + 4] == ':' &&
                (j = ipv6_at(s, i + 5, end)) > i + 5) {
                put_ph(t, PH_IP); /* an address literal's tag goes with the address */
                i = j;
                continue;
            }
            if (is_upper(c) && (j = date_at(s, i, end)) > i) {
                put_ph(t, PH_DATE);
                i = j;
                continue;
            }
            if (is_hex(c) && (j = ipv6_at(s, i, end)) > i) {
                put_ph(t, PH_IP);
                i = j;
                continue;
            }
        } else if (c == ':') {
            if ((j = ipv6_at(s, i, end)) > i) {
                put_ph(t, PH_IP);
                i = j;
                continue;
            }
        } else if (c == '<' && i + 1 < end && is_local(s[i + 1]) &&
                   (j = addr_at(t, i + 1, end)) > i + 1) {
            put_ph(t, PH_ADDR); /* "<john@x.com>" is "<addr>", not "<<addr>>" */
            i = j < end && s[j] == '>' ? j + 1 : j;
            continue;
        }
        if (is_atom_start(c)) {
            if ((j = addr_at(t, i, end)) > i) {
                put_ph(t, PH_ADDR);
                i = j;
                continue;
            }
            i = atom(t, i, end);
            continue;
        }
        put_raw(t, s + i, 1); /* punctuation */
        i++;
    }
}

size_t report_template(const char *t, size_t n, char *out, size_t cap)
{
    if (!out || cap == 0)
        return 0;
    struct tpl st = {0};
    st.s = (const uc *)t;
    st.out = out;
    st.cap = cap;
    st.line_start = true;
    if (t)
        run(&st, 0, n, true);
    while (st.len > 0 && st.out[st.len - 1] == ' ')
        st.len--; /* a cut can leave the space before the piece that did not fit */
    out[st.len] = '\0';
    return st.len;
}
