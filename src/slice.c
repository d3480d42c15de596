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
    for (size_t i = 0; i + nlen <= hlen; i++) {
        if (lower((unsigned char)hay[i]) != first)
            continue;
        size_t j = 1;
        while (j < nlen && lower((unsigned char)hay[i + j]) == lower((unsigned char)needle[j]))
            j++;
        if (j == nlen)
            return hay + i;
    }
    return NULL;
}
