/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * textutil.c - email addresses and RFC 5322 dates in free text; see textutil.h.
 *
 * LIMITS
 *   Local parts are at most 64 bytes and domains 255 (RFC 5321 limits); longer runs are not
 *   addresses. Dates before 1970 or after 9999 are rejected.
 */
#include "textutil.h"

#include <string.h>

static int is_local_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL) || c >= 0x80;
}

static int is_domain_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c >= 0x80;
}

/* domain_ok - a plausible domain: dot-separated labels of 1-63 bytes that neither start
 * nor end with '-', the last one at least two letters (or an IDN "xn--" label), or an
 * address literal "[...]". Junk like "G@.jYS" is refused. */
static int domain_ok(const char *d, size_t n)
{
    if (n >= 2 && d[0] == '[')
        return d[n - 1] == ']';
    size_t ls = 0, labels = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && d[i] != '.')
            continue;
        size_t ln = i - ls;
        if (ln == 0 || ln > 63 || d[ls] == '-' || d[i - 1] == '-')
            return 0;
        labels++;
        if (i == n) { /* the top-level label */
            if (ln >= 4 && (d[ls] == 'x' || d[ls] == 'X') &&
                (d[ls + 1] == 'n' || d[ls + 1] == 'N') && d[ls + 2] == '-' && d[ls + 3] == '-')
                return labels >= 2;
            if (ln < 2)
                return 0;
            for (size_t k = ls; k < i; k++) {
                unsigned char c = (unsigned char)d[k];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80))
                    return 0;
            }
        }
        ls = i + 1;
    }
    return labels >= 2;
}

int addr_find(const char *p, size_t len, size_t *pos, struct slice *out)
{
    size_t i = *pos;
    while (i < len) {
        const char *at = memchr(p + i, '@', len - i);
        if (!at)
            break;
        size_t a = (size_t)(at - p);
        /* local part: back over local characters (max 64) */
        size_t s = a;
        while (s > 0 && a - s < 64 && is_local_char((unsigned char)p[s - 1]))
            s--;
        while (s < a && (p[s] == '.' || p[s] == '\'' || p[s] == '`' || p[s] == '{' || p[s] == '|'))
            s++; /* leading dots and quote-like bytes belong to the prose */
        /* domain: forward over domain characters, or an address literal [..] */
        size_t e = a + 1;
        if (e < len && p[e] == '[') {
            const char *rb = memchr(p + e, ']', len - e < 64 ? len - e : 64);
            e = rb ? (size_t)(rb - p) + 1 : e;
        } else {
            while (e < len && e - a < 256 && is_domain_char((unsigned char)p[e]))
                e++;
            while (e > a + 1 && (p[e - 1] == '.' || p[e - 1] == '-'))
                e--;
        }
        if (s < a && e > a + 2 && domain_ok(p + a + 1, e - a - 1)) {
            out->p = p + s;
            out->len = e - s;
            *pos = e;
            return 1;
        }
        i = a + 1;
    }
    *pos = len;
    return 0;
}

struct slice addr_domain(struct slice addr)
{
    for (size_t i = addr.len; i > 0; i--) {
        if (addr.p[i - 1] == '@')
            return slice_make(addr.p + i, addr.len - i);
    }
    /* An empty slice may carry a NULL pointer; NULL + 0 is undefined in C. */
    return slice_make(addr.len ? addr.p + addr.len : addr.p, 0);
}

/* ---- dates ---------------------------------------------------------------------------- */

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int month_of(const char *w, size_t n)
{
    static const char *const m = "janfebmaraprmayjunjulaugsepoctnovdec";
    if (n < 3)
        return 0;
    for (int k = 0; k < 12; k++)
        if (lower(w[0]) == m[3 * k] && lower(w[1]) == m[3 * k + 1] && lower(w[2]) == m[3 * k + 2])
            return k + 1;
    return 0;
}

long long days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

struct tok {
    const char *p;
    size_t n;
};

static int zone_of(struct tok t, int *off)
{
    static const struct {
        const char *name;
        int hours;
    } z[] = {{"UT", 0},   {"UTC", 0},  {"GMT", 0},  {"Z", 0},    {"EST", -5}, {"EDT", -4},
             {"CST", -6}, {"CDT", -5}, {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7},
             {"JST", 9},  {"CET", 1},  {"CEST", 2}, {"BST", 1}};
    if (t.n == 5 && (t.p[0] == '+' || t.p[0] == '-')) {
        for (int k = 1; k < 5; k++)
            if (t.p[k] < '0' || t.p[k] > '9')
                return 0;
        int h = (t.p[1] - '0') * 10 + (t.p[2] - '0'), m = (t.p[3] - '0') * 10 + (t.p[4] - '0');
        if (h > 23 || m > 59)
            return 0;
        *off = (t.p[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
        return 1;
    }
    for (size_t k = 0; k < sizeof z / sizeof z[0]; k++) {
        size_t n = strlen(z[k].name);
        if (n == t.n) {
            size_t i = 0;
            while (i < n && lower(t.p[i]) == lower(z[k].name[i]))
                i++;
            if (i == n) {
                *off = z[k].hours * 3600;
                return 1;
            }
        }
    }
    return 0;
}

static int num(struct tok t, int maxd, int *v)
{
    if (t.n == 0 || t.n > (size_t)maxd)
        return 0;
    int x = 0;
    for (size_t i = 0; i < t.n; i++) {
        if (t.p[i] < '0' || t.p[i] > '9')
            return 0;
        x = x * 10 + (t.p[i] - '0');
    }
    *v = x;
    return 1;
}

int date_parse(const char *p, size_t len, long long *t, int *tzoff)
{
    struct tok tk[12];
    size_t nt = 0;
    for (size_t i = 0; i < len && nt < 12;) {
        unsigned char c = (unsigned char)p[i];
        if (c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n') {
            i++;
            continue;
        }
        if (c == '(') { /* comment: skip */
            while (i < len && p[i] != ')')
                i++;
            i++;
            continue;
        }
        size_t s = i;
        while (i < len && p[i] != ' ' && p[i] != '\t' && p[i] != ',' && p[i] != '\r' &&
               p[i] != '\n' && p[i] != '(')
            i++;
        tk[nt].p = p + s;
        tk[nt].n = i - s;
        nt++;
    }
    size_t k = 0;
    if (k < nt && month_of(tk[k].p, tk[k].n) == 0 && tk[k].n >= 3 &&
        !(tk[k].p[0] >= '0' && tk[k].p[0] <= '9'))
        k++; /* weekday */
    int day, mon, year = 0, hh = 0, mm = 0, ss = 0, off = 0;
    if (k + 3 > nt)
        return 0;
    /* "24 Apr 2013" or "Apr 24 2013" (asctime-like) */
    if (num(tk[k], 2, &day) && (mon = month_of(tk[k + 1].p, tk[k + 1].n)) != 0) {
        k += 2;
    } else if ((mon = month_of(tk[k].p, tk[k].n)) != 0 && num(tk[k + 1], 2, &day)) {
        k += 2;
    } else {
        return 0;
    }
    /* year and time in either order (asctime puts the year last) */
    int have_year = 0, have_time = 0;
    for (int round = 0; round < 3 && k < nt; round++) {
        struct tok w = tk[k];
        if (!have_year && num(w, 4, &year)) {
            have_year = 1;
            k++;
        } else if (!have_time && w.n >= 4 && memchr(w.p, ':', w.n)) {
            int parts[3] = {0, 0, 0}, np = 0, v = 0, digits = 0;
            for (size_t i = 0; i <= w.n; i++) {
                if (i == w.n || w.p[i] == ':') {
                    if (!digits || np == 3)
                        return 0;
                    parts[np++] = v;
                    v = digits = 0;
                } else if (w.p[i] >= '0' && w.p[i] <= '9' && digits < 2) {
                    v = v * 10 + (w.p[i] - '0');
                    digits++;
                } else {
                    return 0;
                }
            }
            hh = parts[0], mm = parts[1], ss = parts[2];
            have_time = 1;
            k++;
        } else if (have_time && zone_of(w, &off)) {
            k++;
        } else {
            break;
        }
    }
    if (!have_year || !have_time)
        return 0;
    if (k < nt)
        zone_of(tk[k], &off);
    if (year < 50)
        year += 2000;
    else if (year < 1000)
        year += 1900;
    if (year < 1970 || year > 9999 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
        return 0;
    *t = days_from_civil(year, mon, day) * 86400LL + hh * 3600 + mm * 60 + ss - off;
    *tzoff = off;
    return 1;
}

/* ---- the SMTP command a reply answered ------------------------------------------------ */

/* ws_skip - index of the first non-blank at or after i (newlines count as blanks). */
static size_t ws_skip(const char *p, size_t len, size_t i)
{
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i;
}

/* phrase_at - does the case-insensitive phrase lit occur at p[i], any run of blanks in the
 * text matching one space of lit? Returns the index after it, or 0. */
static size_t phrase_at(const char *p, size_t len, size_t i, const char *lit)
{
    for (; *lit; lit++) {
        if (*lit == ' ') {
            size_t j = ws_skip(p, len, i);
            if (j == i)
                return 0;
            i = j;
            continue;
        }
        if (i >= len || lower((unsigned char)p[i]) != *lit)
            return 0;
        i++;
    }
    return i;
}

/* cmd_word - the command named at p[i] after a lead phrase, or NULL; prose admits qmail's
 * words for them ("recipient", "sender", "message"). */
static const char *cmd_word(const char *p, size_t len, size_t i, int prose)
{
    static const struct {
        const char *word, *cmd;
    } tab[] = {
        {"rcpt", "RCPT"},         {"mail", "MAIL"},   {"end of data", "DATA"},
        {"data", "DATA"},         {"helo", "HELO"},   {"ehlo", "EHLO"},
        {"starttls", "STARTTLS"}, {"auth", "AUTH"},   {"initial connection", "CONN"},
        {"recipient", "RCPT"},    {"sender", "MAIL"}, {"message", "DATA"},
    };
    i = ws_skip(p, len, i);
    size_t n = sizeof tab / sizeof tab[0] - (prose ? 0 : 3);
    for (size_t k = prose ? 9 : 0; k < n; k++)
        if (phrase_at(p, len, i, tab[k].word))
            return tab[k].cmd;
    return NULL;
}

/* is_alnum - ASCII letter or digit. */
static int is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

void text_find_command(const char *p, size_t len, char *out)
{
    /* lead phrases by their first letter; prose: the words after it may be qmail's
     * "recipient"/"sender"/"message" ("does not like recipient", "failed after I sent the
     * message") */
    static const struct {
        const char *lead;
        int prose;
    } leads[] = {
        {"in reply to ", 0},
        {"after ", 0},
        {"did not like our ", 0},
        {"does not like ", 1},
        {">>> ", 0},
        {"smtp:", 0},
        {"failed on ", 0},
        {"failed after i sent the ", 1},
    };
    out[0] = '\0';
    if (!p || !len)
        return;
    const char *found = NULL;
    int upper = -1; /* index in words[] of the latest upper-case command word seen */
    static const struct {
        const char *w, *cmd;
    } words[] = {{"HELO", "HELO"},
                 {"EHLO", "EHLO"},
                 {"MAIL FROM", "MAIL"},
                 {"RCPT", "RCPT"},
                 {"DATA", "DATA"}};
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        size_t k0, k1; /* the leads that start with c */
        switch (c) {
        case 'i':
        case 'I':
            k0 = 0, k1 = 1;
            break;
        case 'a':
        case 'A':
            k0 = 1, k1 = 2;
            break;
        case 'd':
        case 'D':
            k0 = 2, k1 = 4;
            break;
        case '>':
            k0 = 4, k1 = 5;
            break;
        case 's':
        case 'S':
            k0 = 5, k1 = 6;
            break;
        case 'f':
        case 'F':
            k0 = 6, k1 = 8;
            break;
        default:
            k0 = k1 = 0;
            break;
        }
        if (i > 0 && is_alnum((unsigned char)p[i - 1]))
            continue;
        for (size_t k = k0; k < k1; k++) {
            size_t e = phrase_at(p, len, i, leads[k].lead);
            const char *cmd = e ? cmd_word(p, len, e, leads[k].prose) : NULL;
            if (cmd) {
                found = cmd; /* the last one named: a transcript ends at the failure */
                break;
            }
        }
        if (found || !(c == 'H' || c == 'E' || c == 'M' || c == 'R' || c == 'D'))
            continue;
        /* an upper-case command word, as transcripts and some MTAs print it */
        for (int k = (int)(sizeof words / sizeof words[0]) - 1; k > upper; k--) {
            size_t n = strlen(words[k].w);
            if (words[k].w[0] == (char)c && i + n <= len && memcmp(p + i, words[k].w, n) == 0 &&
                !(i + n < len && is_alnum((unsigned char)p[i + n]))) {
                upper = k; /* the latest in protocol order */
                break;
            }
        }
    }
    if (!found && upper >= 0)
        found = words[upper].cmd;
    if (found)
        memcpy(out, found, strlen(found) + 1);
}
