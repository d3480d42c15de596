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
#include <string.h>

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

/* utf8_seq_len - length of the valid UTF-8 sequence at p (n bytes left, n >= 1): 1..4, or 0
 * when invalid (overlong, surrogate, above U+10FFFF, cut short). */
size_t utf8_seq_len(const unsigned char *p, size_t n);
/* memmem_ci - first case-insensitive occurrence of needle (ASCII) in hay, or NULL. */
const char *memmem_ci(const char *hay, size_t hlen, const char *needle, size_t nlen);

#endif /* RB_SLICE_H */
