/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dl_unbound.h - the DNS resolver library (libunbound), loaded on first use (see dl.h): the
 * functions doctor_dns.c call.
 *
 * DESCRIPTION
 *   Include it after <unbound.h>: each function name below becomes a call through the table
 *   (dl_unbound()), so call sites keep the library's own names. dl_unbound_load() must have
 *   succeeded before any of them is called.
 */
#ifndef RB_DL_UNBOUND_H
#define RB_DL_UNBOUND_H

#include <stddef.h>
#include <unbound.h>

struct dl_unbound {
    __typeof__(ub_cancel) *ub_cancel;
    __typeof__(ub_ctx_async) *ub_ctx_async;
    __typeof__(ub_ctx_create) *ub_ctx_create;
    __typeof__(ub_ctx_delete) *ub_ctx_delete;
    __typeof__(ub_ctx_hosts) *ub_ctx_hosts;
    __typeof__(ub_ctx_resolvconf) *ub_ctx_resolvconf;
    __typeof__(ub_ctx_set_fwd) *ub_ctx_set_fwd;
    __typeof__(ub_ctx_set_option) *ub_ctx_set_option;
    __typeof__(ub_fd) *ub_fd;
    __typeof__(ub_process) *ub_process;
    __typeof__(ub_resolve_async) *ub_resolve_async;
    __typeof__(ub_resolve_free) *ub_resolve_free;
    __typeof__(ub_strerror) *ub_strerror;
};

/* dl_unbound_load - load libunbound.so.8 once per process; 0, or -1 with the reason in err. */
int dl_unbound_load(char *err, size_t cap);
/* dl_unbound - the table (filled only after dl_unbound_load succeeded). */
const struct dl_unbound *dl_unbound(void);

#ifndef DL_UNBOUND_TABLE
#define ub_cancel (dl_unbound()->ub_cancel)
#define ub_ctx_async (dl_unbound()->ub_ctx_async)
#define ub_ctx_create (dl_unbound()->ub_ctx_create)
#define ub_ctx_delete (dl_unbound()->ub_ctx_delete)
#define ub_ctx_hosts (dl_unbound()->ub_ctx_hosts)
#define ub_ctx_resolvconf (dl_unbound()->ub_ctx_resolvconf)
#define ub_ctx_set_fwd (dl_unbound()->ub_ctx_set_fwd)
#define ub_ctx_set_option (dl_unbound()->ub_ctx_set_option)
#define ub_fd (dl_unbound()->ub_fd)
#define ub_process (dl_unbound()->ub_process)
#define ub_resolve_async (dl_unbound()->ub_resolve_async)
#define ub_resolve_free (dl_unbound()->ub_resolve_free)
#define ub_strerror (dl_unbound()->ub_strerror)
#endif

#endif /* RB_DL_UNBOUND_H */
