/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mem.c - default allocator and rb_mem helpers.
 */
#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *libc_malloc(size_t n, void *ud)
{
    (void)ud;
    return malloc(n);
}

static void *libc_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    return realloc(p, n);
}

static void libc_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

static const rb_mem libc_mem = {libc_malloc, libc_realloc, libc_free, NULL};

const rb_mem *mem_default(void)
{
    return &libc_mem;
}

void *mem_alloc(const rb_mem *m, size_t n)
{
    if (!m)
        m = &libc_mem;
    return m->malloc(n ? n : 1, m->ud);
}

void *mem_calloc(const rb_mem *m, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    if (!m || m == &libc_mem) /* libc's calloc gets fresh zero pages without touching them */
        return calloc(count ? count : 1, size ? size : 1);
    void *p = mem_alloc(m, count * size);
    if (p)
        memset(p, 0, count * size > 0 ? count * size : 1);
    return p;
}

void *mem_realloc(const rb_mem *m, void *p, size_t n)
{
    if (!m)
        m = &libc_mem;
    return m->realloc(p, n ? n : 1, m->ud);
}

void mem_free(const rb_mem *m, void *p)
{
    if (!p)
        return;
    if (!m)
        m = &libc_mem;
    m->free(p, m->ud);
}
