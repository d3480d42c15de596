/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mem.h - the injectable allocator (rb_mem) used by every module.
 *
 * DESCRIPTION
 *   All library allocations go through an rb_mem so tests can fail the Nth allocation.
 *   mem_default() is libc. A NULL rb_mem pointer passed to these helpers means libc.
 */
#ifndef RB_MEM_H
#define RB_MEM_H

#include "rebound.h"

/* mem_default - the libc allocator (static, immutable). */
const rb_mem *mem_default(void);

/* mem_alloc - allocate n bytes (n > 0) with m (NULL = libc); NULL on failure. */
void *mem_alloc(const rb_mem *m, size_t n);
/* mem_calloc - allocate and zero count*size bytes, overflow-checked; NULL on failure. */
void *mem_calloc(const rb_mem *m, size_t count, size_t size);
/* mem_realloc - resize p to n bytes; NULL on failure (p is then still valid). */
void *mem_realloc(const rb_mem *m, void *p, size_t n);
/* mem_free - free p (NULL-safe). */
void mem_free(const rb_mem *m, void *p);

#endif /* RB_MEM_H */
