/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * buf.h - the one capped, growable byte buffer (curl dynbuf, OpenSMTPD bufmax).
 *
 * DESCRIPTION
 *   A buf owns its memory (allocated through its rb_mem) and never grows past the cap given
 *   at init: appends past it fail with RB_ETOOBIG and leave the contents unchanged. The data
 *   is always kept NUL-terminated (the NUL is not counted in len) so it can be handed to
 *   C APIs, but nothing in the library relies on that.
 *
 * LIMITS
 *   cap is a hard upper bound on len; size arithmetic is overflow-checked.
 */
#ifndef RB_BUF_H
#define RB_BUF_H

#include <stddef.h>

#include "rebound.h"

#define BUF_WARN_UNUSED __attribute__((warn_unused_result))

struct buf {
    char *p;      /* owned; NULL until the first append */
    size_t len;   /* bytes used, excluding the trailing NUL */
    size_t alloc; /* bytes allocated */
    size_t cap;   /* maximum len */
    const rb_mem *mem;
};

/* buf_init - empty buffer that may hold up to cap bytes; mem NULL = libc. No allocation. */
void buf_init(struct buf *b, size_t cap, const rb_mem *mem);
/* buf_free - release the memory (buffer becomes empty and reusable). */
void buf_free(struct buf *b);
/* buf_reset - make empty, keep the memory. */
void buf_reset(struct buf *b);
/* buf_reserve - ensure room for n more bytes; RB_OK, RB_ETOOBIG or RB_ENOMEM. The inline
 * test covers the usual case (room already there, well inside the cap). */
int buf_reserve_slow(struct buf *b, size_t n) BUF_WARN_UNUSED;
static inline BUF_WARN_UNUSED int buf_reserve(struct buf *b, size_t n)
{
    if (n < b->alloc && b->len < b->alloc - n && b->len + n <= b->cap)
        return RB_OK; /* len + n + 1 <= alloc */
    return buf_reserve_slow(b, n);
}
/* buf_append - append (p, n); RB_OK, RB_ETOOBIG (nothing appended) or RB_ENOMEM. */
int buf_append(struct buf *b, const void *p, size_t n) BUF_WARN_UNUSED;
/* buf_putc - append one byte (inline fast path when there is room; output writers call it
 * per character). */
int buf_putc_slow(struct buf *b, char c) BUF_WARN_UNUSED;
static inline BUF_WARN_UNUSED int buf_putc(struct buf *b, char c)
{
    if (b->len + 2 <= b->alloc && b->len < b->cap) {
        b->p[b->len++] = c;
        b->p[b->len] = '\0';
        return RB_OK;
    }
    return buf_putc_slow(b, c);
}
/* buf_puts - append a NUL-terminated string. */
int buf_puts(struct buf *b, const char *s) BUF_WARN_UNUSED;
/* buf_printf - append formatted text. */
int buf_printf(struct buf *b, const char *fmt, ...) BUF_WARN_UNUSED
    __attribute__((format(printf, 2, 3)));
/* buf_truncate - shrink len to n (n <= len). */
void buf_truncate(struct buf *b, size_t n);

#endif /* RB_BUF_H */
