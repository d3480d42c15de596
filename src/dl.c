/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dl.c - loads an optional client library on first use and fills its function table; see
 * dl.h for why.
 */
#include "dl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

void dl_lib_resolve(struct dl_lib *lib)
{
    lib->status = -1;
    /* never closed: the functions stay valid for the life of the process */
    void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(lib->error, sizeof lib->error, "%s not found (install %s): %s", lib->soname,
                 lib->package, dlerror());
        return;
    }
    for (size_t i = 0; i < lib->nsyms; i++) {
        void *sym = dlsym(h, lib->syms[i].name);
        if (!sym) {
            snprintf(lib->error, sizeof lib->error, "%s has no %s", lib->soname, lib->syms[i].name);
            return;
        }
        /* a data pointer to a function pointer: POSIX guarantees the two have the same
         * representation; memcpy avoids the ISO C cast */
        memcpy((char *)lib->table + lib->syms[i].offset, &sym, sizeof sym);
    }
    lib->status = 0;
}

int dl_lib_load(struct dl_lib *lib, void (*once_fn)(void), char *err, size_t cap)
{
    pthread_once(&lib->once, once_fn);
    if (lib->status == 0)
        return 0;
    if (err && cap) {
        size_t n = strlen(lib->error);
        if (n >= cap)
            n = cap - 1;
        memcpy(err, lib->error, n);
        err[n] = '\0';
    }
    return -1;
}
