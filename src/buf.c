/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * buf.c - capped growable buffer; see buf.h.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

void buf_init(struct buf *b, size_t cap, const rb_mem *mem)
{
    b->p = NULL;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap;
    b->mem = mem;
}

void buf_free(struct buf *b)
{
    mem_free(b->mem, b->p);
    b->p = NULL;
    b->len = 0;
    b->alloc = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

int buf_reserve_slow(struct buf *b, size_t n)
{
    /* len + n + 1 (the NUL) must fit both the cap and size_t */
    if (n > b->cap || b->len > b->cap - n || b->len + n == SIZE_MAX)
        return RB_ETOOBIG;
    size_t need = b->len + n + 1; /* + NUL */
    if (need <= b->alloc)
        return RB_OK;
    size_t na = b->alloc ? b->alloc : 64;
    while (na < need) {
        if (na > SIZE_MAX / 2) {
            na = need;
            break;
        }
        na *= 2;
    }
    if (na > b->cap + 1)
        na = b->cap + 1;
    char *np = mem_realloc(b->mem, b->p, na);
    if (!np)
        return RB_ENOMEM;
    b->p = np;
    b->alloc = na;
    return RB_OK;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    int rc = buf_reserve(b, n);
    if (rc != RB_OK)
        return rc;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return RB_OK;
}

int buf_putc_slow(struct buf *b, char c)
{
    return buf_append(b, &c, 1);
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return RB_EINVAL;
    if ((size_t)n < sizeof small)
        return buf_append(b, small, (size_t)n);
    int rc = buf_reserve(b, (size_t)n);
    if (rc != RB_OK)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return RB_OK;
}

void buf_truncate(struct buf *b, size_t n)
{
    if (n < b->len) {
        b->len = n;
        b->p[n] = '\0';
    }
}
