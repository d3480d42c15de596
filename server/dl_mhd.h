/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dl_mhd.h - the HTTP server library (libmicrohttpd), loaded on first use (see dl.h): the functions
 * server/ call.
 *
 * DESCRIPTION
 *   Include it after <microhttpd.h>: each function name below becomes a call through the table
 *   (dl_mhd()), so call sites keep the library's own names. dl_mhd_load() must have
 *   succeeded before any of them is called.
 */
#ifndef RB_DL_MHD_H
#define RB_DL_MHD_H

#include <stddef.h>
#include <microhttpd.h>

struct dl_mhd {
    __typeof__(MHD_add_response_header) *MHD_add_response_header;
    __typeof__(MHD_create_response_from_buffer) *MHD_create_response_from_buffer;
    __typeof__(MHD_destroy_response) *MHD_destroy_response;
    __typeof__(MHD_get_daemon_info) *MHD_get_daemon_info;
    __typeof__(MHD_lookup_connection_value) *MHD_lookup_connection_value;
    __typeof__(MHD_queue_response) *MHD_queue_response;
    __typeof__(MHD_quiesce_daemon) *MHD_quiesce_daemon;
    __typeof__(MHD_resume_connection) *MHD_resume_connection;
    __typeof__(MHD_start_daemon) *MHD_start_daemon;
    __typeof__(MHD_stop_daemon) *MHD_stop_daemon;
    __typeof__(MHD_suspend_connection) *MHD_suspend_connection;
};

/* dl_mhd_load - load libmicrohttpd.so.12 once per process; 0, or -1 with the reason in err. */
int dl_mhd_load(char *err, size_t cap);
/* dl_mhd - the table (filled only after dl_mhd_load succeeded). */
const struct dl_mhd *dl_mhd(void);

#ifndef DL_MHD_TABLE
#define MHD_add_response_header (dl_mhd()->MHD_add_response_header)
#define MHD_create_response_from_buffer (dl_mhd()->MHD_create_response_from_buffer)
#define MHD_destroy_response (dl_mhd()->MHD_destroy_response)
#define MHD_get_daemon_info (dl_mhd()->MHD_get_daemon_info)
#define MHD_lookup_connection_value (dl_mhd()->MHD_lookup_connection_value)
#define MHD_queue_response (dl_mhd()->MHD_queue_response)
#define MHD_quiesce_daemon (dl_mhd()->MHD_quiesce_daemon)
#define MHD_resume_connection (dl_mhd()->MHD_resume_connection)
#define MHD_start_daemon (dl_mhd()->MHD_start_daemon)
#define MHD_stop_daemon (dl_mhd()->MHD_stop_daemon)
#define MHD_suspend_connection (dl_mhd()->MHD_suspend_connection)
#endif

#endif /* RB_DL_MHD_H */
