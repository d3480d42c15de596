/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * slice.h - borrowed views into a caller's buffer.
 *
 * DESCRIPTION
 *   A slice points into memory owned by someone else (the input buffer, a scratch buffer) and
 *   is valid only as long as that memory is. Parsers return slices and copy only what they
 *   store (picohttpparser, cmark chunk).
 */
#ifndef RB_SLICE_H
#define RB_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

struct slice {
    const char *p; /* borrowed, not NUL-terminated */
    size_t len;
};

#define SLICE_LIT(s) ((struct slice){(s), sizeof(s) - 1})

/* slice_make - view of (p, len). */
static inline struct slice slice_make(const char *p, size_t len)
{
    struct slice s = {p, len};
    return s;
}

/* mem_eq_ci - ASCII case-insensitive equality of x[0..n) and y[0..n). */
static inline bool mem_eq_ci(const char *x, const char *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char a = (unsigned char)x[i], b = (unsigned char)y[i];
        if (a >= 'A' && a <= 'Z')
            a = (unsigned char)(a + 32);
        if (b >= 'A' && b <= 'Z')
            b = (unsigned char)(b + 32);
        if (a != b)
            return false;
    }
    return true;
}

/* slice_eq_ci - case-insensitive ASCII comparison with a NUL-terminated literal. */
static inline bool slice_eq_ci(struct slice s, const char *lit)
{
    size_t n = strlen(lit);
    return n == s.len && mem_eq_ci(s.p, lit, n);
}

/* starts_any_ci - does p (n bytes) start with one of the count literals in lits (ASCII
 * case-insensitive)? For the field-name lists parsers test a line against. */
static inline bool starts_any_ci(const char *p, size_t n, const char *const *lits, size_t count)
{
    for (size_t k = 0; k < count; k++) {
        size_t m = strlen(lits[k]);
        if (n >= m && mem_eq_ci(p, lits[k], m))
            return true;
    }
    return false;
}

/* swar_in_range - the top bit of each byte of w whose value lies in [lo, hi] (lo, hi <
 * 0x80; bytes >= 0x80 never match). Byte lanes do not carry into each other, so the
 * result does not depend on the byte order of w. */
static inline uint64_t swar_in_range(uint64_t w, unsigned lo, unsigned hi)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t x = w & ~high;
    uint64_t ge = x + ones * (0x80 - lo);     /* top bit: byte >= lo */
    uint64_t gt = x + ones * (0x80 - hi - 1); /* top bit: byte > hi */
    return ge & ~gt & ~w & high;
}

/* slice_find_range - index of the first byte of p[i..len) whose value lies in [lo, hi]
 * (lo <= hi < 0x80), or len. The reply parser's skips to the next digit or capital: 16
 * bytes a step with SSE2, 8 with swar_in_range, then one at a time. */
static inline size_t slice_find_range(const char *p, size_t i, size_t len, unsigned lo, unsigned hi)
{
#if defined(__SSE2__)
    const __m128i vlo = _mm_set1_epi8((char)lo), span = _mm_set1_epi8((char)(hi - lo));
    for (; len - i >= 16 && i < len; i += 16) {
        __m128i x = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), vlo);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(x, span), x));
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; i < len && len - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        uint64_t m = swar_in_range(w, lo, hi);
        if (m)
            return i + (size_t)__builtin_ctzll(m) / 8;
    }
#endif
    for (; i < len; i++)
        if ((unsigned char)p[i] >= lo && (unsigned char)p[i] <= hi)
            return i;
    return len;
}

/* slice_trim - drop leading and trailing ASCII whitespace. */
static inline struct slice slice_trim(struct slice s)
{
    while (s.len && (s.p[0] == ' ' || s.p[0] == '\t' || s.p[0] == '\r' || s.p[0] == '\n'))
        s.p++, s.len--;
    while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t' || s.p[s.len - 1] == '\r' ||
                     s.p[s.len - 1] == '\n'))
        s.len--;
    return s;
}

/* slice_find3 - first byte in [p, end) equal to a, b or c, or end. Parsers call it to find
 * field ends. Sixteen bytes are tested at a time with SSE2, eight with SWAR zero-byte tests
 * (the lowest flagged byte of a word is always a true match; bytes above it may be false
 * ones, so only the lowest is used); a last partial block overlaps bytes already tested,
 * which hold no match, so no byte loop runs once the range is a block long. */
static inline const char *slice_find3(const char *p, const char *end, char a, char b, char c)
{
#if defined(__SSE2__)
    if (end - p >= 16) {
        const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);
        for (;;) {
            const char *w0 = end - p >= 16 ? p : end - 16;
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)w0);
            __m128i eq = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)),
                                      _mm_cmpeq_epi8(x, vc));
            unsigned m = (unsigned)_mm_movemask_epi8(eq);
            if (m)
                return w0 + __builtin_ctz(m);
            if (w0 != p)
                return end;
            p += 16;
            if (p == end)
                return end;
        }
    }
#endif
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (end - p >= 8) {
        const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
        const uint64_t ka = ones * (unsigned char)a, kb = ones * (unsigned char)b,
                       kc = ones * (unsigned char)c;
        for (;;) {
            const char *w0 = end - p >= 8 ? p : end - 8;
            uint64_t w, x, y, z;
            memcpy(&w, w0, 8);
            x = w ^ ka, y = w ^ kb, z = w ^ kc;
            uint64_t m = (((x - ones) & ~x) | ((y - ones) & ~y) | ((z - ones) & ~z)) & high;
            if (m)
                return w0 + (__builtin_ctzll(m) >> 3);
            if (w0 != p)
                return end;
            p += 8;
            if (p == end)
                return end;
        }
    }
#endif
    while (p < end && *p != a && *p != b && *p != c)
        p++;
    return p;
}

/* utf8_seq_len - length of the valid UTF-8 sequence at p (n bytes left, n >= 1): 1..4, or 0
 * when invalid (overlong, surrogate, above U+10FFFF, cut short). */
size_t utf8_seq_len(const unsigned char *p, size_t n);
/* hash_bytes64 - a 64-bit hash of (p, n), eight bytes a step, for in-memory tables that
 * verify their keys (spread matters, not resistance to chosen collisions). */
uint64_t hash_bytes64(const char *p, size_t n);
/* memmem_ci - first case-insensitive occurrence of needle (ASCII) in hay, or NULL. */
const char *memmem_ci(const char *hay, size_t hlen, const char *needle, size_t nlen);

#endif /* RB_SLICE_H */
