/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_serve.c - `rebound serve`: options, then server_run (server/server.c).
 */
#include "cli.h"
#include "server.h"

int cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct server_opts o = {0};
    return server_run(&o);
}
