/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * slice.c - small search helpers over borrowed byte ranges.
 */
#include "slice.h"

static inline unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

const char *memmem_ci(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    if (nlen == 0)
        return hay;
    if (nlen > hlen)
        return NULL;
    unsigned char first = lower((unsigned char)needle[0]);
    unsigned char first_up = (first >= 'a' && first <= 'z') ? (unsigned char)(first - 32) : first;
    size_t last = hlen - nlen; /* last possible start */
    const char *end = hay + last + 1;
    /* next occurrence of each case of the first byte, found with memchr and cached so the
     * whole search stays linear */
    const char *na = hay, *nb = first_up != first ? hay : end;
    int fa = 0, fb = first_up == first;
    for (size_t i = 0; i <= last;) {
        const char *at = hay + i;
        if (!fa && na < at)
            na = at;
        if (!fa && (na = memchr(na, first, (size_t)(end - na))) == NULL)
            na = end, fa = 1;
        if (!fb && nb < at)
            nb = at;
        if (!fb && (nb = memchr(nb, first_up, (size_t)(end - nb))) == NULL)
            nb = end, fb = 1;
        const char *c = na < nb ? na : nb;
        if (c >= end)
            return NULL;
        size_t j = 1;
        while (j < nlen && lower((unsigned char)c[j]) == lower((unsigned char)needle[j]))
            j++;
        if (j == nlen)
            return c;
        i = (size_t)(c - hay) + 1;
        if (c == na && !fa)
            na = c + 1;
        if (c == nb && !fb)
            nb = c + 1;
    }
    return NULL;
}

size_t utf8_seq_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t need;
    unsigned min;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        need = 2, min = 0x80, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        need = 3, min = 0x800, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        need = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need;
}

uint64_t hash_bytes64(const char *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)n * 0xff51afd7ed558ccdull);
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)(unsigned char)p[i] << (8 * i);
    h = (h ^ w) * 0x94d049bb133111ebull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}
