/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli.h - shared pieces of the rebound command: output, colour, die().
 *
 * DESCRIPTION
 *   The command is a thin front end: it parses arguments, calls librebound, and writes.
 *   die()-style helpers are allowed here (never in the library).
 */
#ifndef RB_CLI_H
#define RB_CLI_H

#include <stdio.h>

#include "buf.h"

/* out_write - write the buf to stdout and reset it; exits on a write error. */
void out_flush(struct buf *b);
/* die - print "rebound: msg" to stderr and exit(2). */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* use_colour - colour on stdout: a TTY and NO_COLOR unset. */
int use_colour(void);

int cmd_explain(int argc, char **argv);
int cmd_parse(int argc, char **argv);
int cmd_ingest(int argc, char **argv);

#endif /* RB_CLI_H */
