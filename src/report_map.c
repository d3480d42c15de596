/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report_map.c - the report's hash tables: interned strings (strtab) and 64-bit counters
 *                (u64map), plus the growable-array helper. See report_int.h.
 */
#include <string.h>

#include "mem.h"
#include "report_int.h"

#define CHUNK_MIN 65536

uint32_t report_hash(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return (uint32_t)(h ^ (h >> 32));
}

int grow_array(const rb_mem *mem, void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return RB_OK;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    if (ncap > (size_t)-1 / size)
        return RB_ENOMEM;
    void *p = mem_realloc(mem, *arr, ncap * size);
    if (!p)
        return RB_ENOMEM;
    memset((char *)p + *cap * size, 0, (ncap - *cap) * size);
    *arr = p;
    *cap = ncap;
    return RB_OK;
}

void strtab_init(struct strtab *t, const rb_mem *mem)
{
    memset(t, 0, sizeof *t);
    t->mem = mem;
}

void strtab_free(struct strtab *t)
{
    for (size_t i = 0; i < t->nchunks; i++)
        mem_free(t->mem, t->chunks[i]);
    mem_free(t->mem, t->chunks);
    mem_free(t->mem, t->slot);
    mem_free(t->mem, t->ent);
    strtab_init(t, t->mem);
}

long strtab_find(const struct strtab *t, const char *s, size_t n)
{
    if (!t->nslots)
        return -1;
    uint32_t h = report_hash(s, n);
    size_t mask = t->nslots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t v = t->slot[i];
        if (!v)
            return -1;
        v--;
        if (t->ent[v].hash == h && t->ent[v].len == n && memcmp(t->ent[v].str, s, n) == 0)
            return (long)v;
    }
}

static int strtab_rehash(struct strtab *t, size_t nslots)
{
    uint32_t *ns = mem_alloc(t->mem, nslots * sizeof *ns);
    if (!ns)
        return RB_ENOMEM;
    memset(ns, 0, nslots * sizeof *ns);
    for (size_t id = 0; id < t->n; id++) {
        size_t i = t->ent[id].hash & (nslots - 1);
        while (ns[i])
            i = (i + 1) & (nslots - 1);
        ns[i] = (uint32_t)id + 1;
    }
    mem_free(t->mem, t->slot);
    t->slot = ns;
    t->nslots = nslots;
    return RB_OK;
}

/* copy - n bytes of s, NUL-terminated, into the chunk store; NULL on no memory */
static const char *copy(struct strtab *t, const char *s, size_t n)
{
    if (t->chunk_cap - t->chunk_used < n + 1) {
        size_t cap = n + 1 > CHUNK_MIN ? n + 1 : CHUNK_MIN;
        if (grow_array(t->mem, (void **)&t->chunks, &t->cap_chunks, t->nchunks + 1,
                       sizeof *t->chunks) != RB_OK)
            return NULL;
        char *c = mem_alloc(t->mem, cap);
        if (!c)
            return NULL;
        t->chunks[t->nchunks++] = c;
        t->chunk = c;
        t->chunk_used = 0;
        t->chunk_cap = cap;
    }
    char *p = t->chunk + t->chunk_used;
    memcpy(p, s, n);
    p[n] = '\0';
    t->chunk_used += n + 1;
    return p;
}

long strtab_intern(struct strtab *t, const char *s, size_t n)
{
    long id = strtab_find(t, s, n);
    if (id >= 0)
        return id;
    if (n > UINT32_MAX || t->n >= UINT32_MAX - 1)
        return -1;
    if ((t->n + 1) * 2 > t->nslots && strtab_rehash(t, t->nslots ? t->nslots * 2 : 64) != RB_OK)
        return -1;
    if (grow_array(t->mem, (void **)&t->ent, &t->cap_ids, t->n + 1, sizeof *t->ent) != RB_OK)
        return -1;
    const char *p = copy(t, s, n);
    if (!p)
        return -1;
    uint32_t h = report_hash(s, n);
    size_t id2 = t->n++;
    t->ent[id2].str = p;
    t->ent[id2].len = (uint32_t)n;
    t->ent[id2].hash = h;
    size_t mask = t->nslots - 1, i = h & mask;
    while (t->slot[i])
        i = (i + 1) & mask;
    t->slot[i] = (uint32_t)id2 + 1;
    return (long)id2;
}

void u64map_init(struct u64map *m, const rb_mem *mem)
{
    memset(m, 0, sizeof *m);
    m->mem = mem;
}

void u64map_free(struct u64map *m)
{
    mem_free(m->mem, m->key);
    mem_free(m->mem, m->val);
    u64map_init(m, m->mem);
}

static size_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return (size_t)k;
}

uint64_t u64map_get(const struct u64map *m, uint64_t key)
{
    if (!m->nslots)
        return 0;
    size_t mask = m->nslots - 1;
    for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
        if (!m->key[i])
            return 0;
        if (m->key[i] == key + 1)
            return m->val[i];
    }
}

static int u64map_rehash(struct u64map *m, size_t nslots)
{
    uint64_t *nk = mem_alloc(m->mem, nslots * sizeof *nk);
    uint64_t *nv = mem_alloc(m->mem, nslots * sizeof *nv);
    if (!nk || !nv) {
        mem_free(m->mem, nk);
        mem_free(m->mem, nv);
        return RB_ENOMEM;
    }
    memset(nk, 0, nslots * sizeof *nk);
    for (size_t j = 0; j < m->nslots; j++) {
        if (!m->key[j])
            continue;
        size_t i = mix(m->key[j] - 1) & (nslots - 1);
        while (nk[i])
            i = (i + 1) & (nslots - 1);
        nk[i] = m->key[j];
        nv[i] = m->val[j];
    }
    mem_free(m->mem, m->key);
    mem_free(m->mem, m->val);
    m->key = nk;
    m->val = nv;
    m->nslots = nslots;
    return RB_OK;
}

uint64_t *u64map_slot(struct u64map *m, uint64_t key)
{
    if ((m->n + 1) * 2 > m->nslots && u64map_rehash(m, m->nslots ? m->nslots * 2 : 64) != RB_OK)
        return NULL;
    size_t mask = m->nslots - 1;
    for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
        if (!m->key[i]) {
            m->key[i] = key + 1;
            m->val[i] = 0;
            m->n++;
            return &m->val[i];
        }
        if (m->key[i] == key + 1)
            return &m->val[i];
    }
}
