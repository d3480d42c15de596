/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dl_mhd.c - the function table of dl_mhd.h: HTTP server library (libmicrohttpd).
 */
#define DL_MHD_TABLE /* the real names here, not the table's macros */
#include "dl_mhd.h"

#include <stddef.h>

#include "dl.h"

#ifndef RB_LIBMHD_SONAME
#define RB_LIBMHD_SONAME "libmicrohttpd.so.12"
#endif

static struct dl_mhd table;
static const struct dl_sym syms[] = {
    {"MHD_add_response_header", offsetof(struct dl_mhd, MHD_add_response_header)},
    {"MHD_create_response_from_buffer", offsetof(struct dl_mhd, MHD_create_response_from_buffer)},
    {"MHD_destroy_response", offsetof(struct dl_mhd, MHD_destroy_response)},
    {"MHD_get_daemon_info", offsetof(struct dl_mhd, MHD_get_daemon_info)},
    {"MHD_lookup_connection_value", offsetof(struct dl_mhd, MHD_lookup_connection_value)},
    {"MHD_queue_response", offsetof(struct dl_mhd, MHD_queue_response)},
    {"MHD_quiesce_daemon", offsetof(struct dl_mhd, MHD_quiesce_daemon)},
    {"MHD_resume_connection", offsetof(struct dl_mhd, MHD_resume_connection)},
    {"MHD_start_daemon", offsetof(struct dl_mhd, MHD_start_daemon)},
    {"MHD_stop_daemon", offsetof(struct dl_mhd, MHD_stop_daemon)},
    {"MHD_suspend_connection", offsetof(struct dl_mhd, MHD_suspend_connection)},
};
static struct dl_lib lib = {RB_LIBMHD_SONAME, "libmicrohttpd12", syms, sizeof syms / sizeof syms[0],
                            &table,           PTHREAD_ONCE_INIT, -1,   ""};

static void load_once(void)
{
    dl_lib_resolve(&lib);
}

int dl_mhd_load(char *err, size_t cap)
{
    return dl_lib_load(&lib, load_once, err, cap);
}

const struct dl_mhd *dl_mhd(void)
{
    return &table;
}
