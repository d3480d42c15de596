/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * server.c - `rebound serve`: placeholder while the server is written (issue 7).
 */
#include <stdio.h>

#include "server.h"

int server_run(const struct server_opts *o)
{
    (void)o;
    fputs("rebound: serve is not built yet\n", stderr);
    return 1;
}
