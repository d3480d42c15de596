/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dl_unbound.c - the function table of dl_unbound.h: DNS resolver library (libunbound).
 */
#define DL_UNBOUND_TABLE /* the real names here, not the table's macros */
#include "dl_unbound.h"

#include <stddef.h>

#include "dl.h"

#ifndef RB_LIBUNBOUND_SONAME
#define RB_LIBUNBOUND_SONAME "libunbound.so.8"
#endif

static struct dl_unbound table;
static const struct dl_sym syms[] = {
    {"ub_cancel", offsetof(struct dl_unbound, ub_cancel)},
    {"ub_ctx_async", offsetof(struct dl_unbound, ub_ctx_async)},
    {"ub_ctx_create", offsetof(struct dl_unbound, ub_ctx_create)},
    {"ub_ctx_delete", offsetof(struct dl_unbound, ub_ctx_delete)},
    {"ub_ctx_hosts", offsetof(struct dl_unbound, ub_ctx_hosts)},
    {"ub_ctx_resolvconf", offsetof(struct dl_unbound, ub_ctx_resolvconf)},
    {"ub_ctx_set_fwd", offsetof(struct dl_unbound, ub_ctx_set_fwd)},
    {"ub_ctx_set_option", offsetof(struct dl_unbound, ub_ctx_set_option)},
    {"ub_fd", offsetof(struct dl_unbound, ub_fd)},
    {"ub_process", offsetof(struct dl_unbound, ub_process)},
    {"ub_resolve_async", offsetof(struct dl_unbound, ub_resolve_async)},
    {"ub_resolve_free", offsetof(struct dl_unbound, ub_resolve_free)},
    {"ub_strerror", offsetof(struct dl_unbound, ub_strerror)},
};
static struct dl_lib lib = {RB_LIBUNBOUND_SONAME,
                            "libunbound8",
                            syms,
                            sizeof syms / sizeof syms[0],
                            &table,
                            PTHREAD_ONCE_INIT,
                            -1,
                            ""};

static void load_once(void)
{
    dl_lib_resolve(&lib);
}

int dl_unbound_load(char *err, size_t cap)
{
    return dl_lib_load(&lib, load_once, err, cap);
}

const struct dl_unbound *dl_unbound(void)
{
    return &table;
}
