/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_doctor.c - `rebound doctor`: placeholder until the DNS checks land (issue 8).
 */
#include "cli.h"

int cmd_doctor(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("rebound: doctor is not built yet\n", stderr);
    return 2;
}
