/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * json_out.c - JSON string escaping and key/value writers; see json_out.h.
 */
#include "json_out.h"
#include "slice.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

static const char hex[] = "0123456789abcdef";

/* word_special - whether the 8 bytes of w hold a byte json_special marks: one < 0x20, '"',
 * '\\' or >= 0x80 (SWAR zero-byte tests; exact for "any", which is all that is asked) */
static inline bool word_special(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t ctl = (w - ones * 0x20) & ~w;
    uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
    return ((ctl | ((q - ones) & ~q) | ((bs - ones) & ~bs) | w) & high) != 0;
}

int json_str(struct buf *b, const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    /* the usual case: plain ASCII, one copy; eight bytes tested at a time */
    size_t plain = 0;
    while (plain + 8 <= n) {
        uint64_t w;
        memcpy(&w, u + plain, 8);
        if (word_special(w))
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
    char num[24];
    return buf_append(b, num, (size_t)(json_put_int(num, v) - num));
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

/* json_put_rest - json_put_str from byte i on (0 <= i <= n; d is past the opening quote and
 * the first i bytes, which were plain) */
static char *json_put_rest(char *d, const unsigned char *u, size_t n, size_t i)
{
    while (i < n) {
        /* test and copy eight plain bytes at a time (the room bound covers the copy) */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            if (word_special(w))
                break;
            memcpy(d, &w, 8);
            d += 8;
            i += 8;
        }
        while (i < n && !json_special[u[i]])
            *d++ = (char)u[i++];
        if (i == n)
            break;
        unsigned char c = u[i];
        if (c >= 0x80) {
            size_t k = utf8_seq_len(u + i, n - i);
            if (k) {
                memcpy(d, u + i, k);
                d += k;
                i += k;
            } else {
                memcpy(d, "\xef\xbf\xbd", 3);
                d += 3;
                i++;
            }
            continue;
        }
        *d++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *d++ = (char)c;
            break;
        case '\n':
            *d++ = 'n';
            break;
        case '\r':
            *d++ = 'r';
            break;
        case '\t':
            *d++ = 't';
            break;
        default:
            memcpy(d, "u00", 3);
            d[3] = hex[c >> 4];
            d[4] = hex[c & 15];
            d += 5;
        }
        i++;
    }
    *d++ = '"';
    return d;
}

#if defined(__SSE2__)
/* block_special - whether the 16 bytes of x hold a byte json_special marks (a signed compare
 * below 0x20 catches the controls and every byte >= 0x80 at once) */
static inline bool block_special(__m128i x)
{
    __m128i m = _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
                             _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                                          _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
    return _mm_movemask_epi8(m) != 0;
}
#endif

char *json_put_str(char *d, const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    *d++ = '"';
    /* the usual case, plain ASCII, in whole blocks: the last (partial) block is the one that
     * ends the string, overlapping bytes already copied, so no byte loop runs */
#if defined(__SSE2__)
    if (n >= 16) {
        size_t i = 0;
        __m128i x;
        for (; i + 16 <= n; i += 16, d += 16) {
            x = _mm_loadu_si128((const __m128i *)(const void *)(u + i));
            if (block_special(x))
                return json_put_rest(d, u, n, i);
            _mm_storeu_si128((__m128i *)(void *)d, x);
        }
        if (i < n) {
            x = _mm_loadu_si128((const __m128i *)(const void *)(u + n - 16));
            if (block_special(x))
                return json_put_rest(d, u, n, i);
            _mm_storeu_si128((__m128i *)(void *)(d + (n - i) - 16), x);
            d += n - i;
        }
        *d++ = '"';
        return d;
    }
#endif
    if (n >= 8) {
        size_t i = 0;
        uint64_t w;
        for (; i + 8 <= n; i += 8, d += 8) {
            memcpy(&w, u + i, 8);
            if (word_special(w))
                return json_put_rest(d, u, n, i);
            memcpy(d, &w, 8);
        }
        if (i < n) {
            memcpy(&w, u + n - 8, 8);
            if (word_special(w))
                return json_put_rest(d, u, n, i);
            memcpy(d + (n - i) - 8, &w, 8);
            d += n - i;
        }
        *d++ = '"';
        return d;
    }
    if (n >= 4) { /* two overlapping halves */
        uint64_t w = 0;
        memcpy(&w, u, 4);
        memcpy((char *)&w + 4, u + n - 4, 4);
        if (!word_special(w)) {
            memcpy(d, u, 4);
            memcpy(d + n - 4, u + n - 4, 4);
            d += n;
            *d++ = '"';
            return d;
        }
    }
    return json_put_rest(d, u, n, 0);
}

char *json_put_int(char *d, long long v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930"
                                "31323334353637383940414243444546474849505152535455565758596061"
                                "62636465666768697071727374757677787980818283848586878889909192"
                                "93949596979899";
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    if (v < 0)
        *d++ = '-';
    size_t k = 1; /* digits, so they can be written in place from the last, two at a time */
    unsigned long long t = u;
    for (; t >= 100; t /= 100)
        k += 2;
    k += t >= 10;
    char *e = d + k;
    for (; u >= 100; u /= 100) {
        e -= 2;
        memcpy(e, pairs + 2 * (u % 100), 2);
    }
    if (u >= 10)
        memcpy(e - 2, pairs + 2 * u, 2);
    else
        e[-1] = (char)('0' + u);
    return d + k;
}
