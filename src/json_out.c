/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * json_out.c - JSON string escaping and key/value writers; see json_out.h.
 */
#include "json_out.h"
#include "slice.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* bytes that end a run copied as is: controls, '"', '\\', and non-ASCII (validated) */
static const unsigned char json_special[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

int json_str(struct buf *b, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)p;
    /* the usual case: plain ASCII, one copy. Eight bytes at a time: a word has a special
     * byte if one is < 0x20, '"', '\\' or >= 0x80 (SWAR zero-byte tests) */
    size_t plain = 0;
    while (plain + 8 <= n) {
        uint64_t w;
        memcpy(&w, u + plain, 8);
        const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
        uint64_t ctl = (w - ones * 0x20) & ~w;
        uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
        uint64_t hit = ctl | ((q - ones) & ~q) | ((bs - ones) & ~bs) | w;
        if (hit & high)
            break;
        plain += 8;
    }
    while (plain < n && !json_special[u[plain]])
        plain++;
    if (plain == n) {
        int rc = buf_reserve(b, n + 2);
        if (rc != RB_OK)
            return rc;
        char *d = b->p + b->len;
        d[0] = '"';
        memcpy(d + 1, p, n);
        d[n + 1] = '"';
        d[n + 2] = '\0';
        b->len += n + 2;
        return RB_OK;
    }
    int rc = buf_putc(b, '"');
    size_t i = 0;
    while (rc == RB_OK && i < n) {
        /* copy the longest run that needs no escaping */
        size_t r = i;
        while (r < n && !json_special[u[r]])
            r++;
        if (r > i) {
            rc = buf_append(b, p + i, r - i);
            i = r;
            continue;
        }
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x80) {
            size_t k = utf8_seq_len((const unsigned char *)p + i, n - i);
            if (k) {
                rc = buf_append(b, p + i, k);
                i += k;
            } else {
                rc = buf_append(b, "\xef\xbf\xbd", 3);
                i++;
            }
            continue;
        }
        char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
        size_t en = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u', esc[2] = '0', esc[3] = '0';
            esc[4] = hex[c >> 4], esc[5] = hex[c & 15];
            en = 6;
        }
        rc = buf_append(b, esc, en);
        i++;
    }
    if (rc == RB_OK)
        rc = buf_putc(b, '"');
    return rc;
}

/* keys are the program's own ASCII names: written without escaping */
static int key(struct buf *b, int *first, const char *k)
{
    size_t n = strlen(k);
    int rc = buf_reserve(b, n + 4);
    if (rc != RB_OK)
        return rc;
    char *d = b->p + b->len;
    if (!*first)
        *d++ = ',';
    *first = 0;
    *d++ = '"';
    memcpy(d, k, n);
    d += n;
    *d++ = '"';
    *d++ = ':';
    *d = '\0';
    b->len = (size_t)(d - b->p);
    return RB_OK;
}

int json_key_strn(struct buf *b, int *first, const char *k, const char *val, size_t n)
{
    int rc = key(b, first, k);
    if (rc != RB_OK)
        return rc;
    return val ? json_str(b, val, n) : buf_append(b, "null", 4);
}

int json_key_str(struct buf *b, int *first, const char *k, const char *val)
{
    return json_key_strn(b, first, k, val, val ? strlen(val) : 0);
}

int json_key_int(struct buf *b, int *first, const char *k, long long v)
{
    int rc = key(b, first, k);
    if (rc != RB_OK)
        return rc;
    char num[24], *e = num + sizeof num, *d = e;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do
        *--d = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--d = '-';
    return buf_append(b, d, (size_t)(e - d));
}

int json_key_bool(struct buf *b, int *first, const char *k, int v)
{
    int rc = key(b, first, k);
    if (rc != RB_OK)
        return rc;
    return v ? buf_append(b, "true", 4) : buf_append(b, "false", 5);
}

int json_key_raw(struct buf *b, int *first, const char *k, const char *raw)
{
    int rc = key(b, first, k);
    if (rc != RB_OK)
        return rc;
    return buf_puts(b, raw);
}
