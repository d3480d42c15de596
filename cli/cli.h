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
#include "rebound.h"

/* out_write - write the buf to stdout and reset it; exits on a write error. */
void out_flush(struct buf *b);
/* tsv_field - append s with tabs and line ends turned into spaces; exits when the output
 * buffer is full. */
void tsv_field(struct buf *b, const char *s);
/* die - print "rebound: msg" to stderr and exit(2). */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* use_colour - colour on stdout: a TTY and NO_COLOR unset. */
int use_colour(void);

int cmd_explain(int argc, char **argv);
int cmd_parse(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_suppress(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* The store from the command line (cmd_suppress.c): --db PATH (NULL = the XDG default),
 * --config FILE (NULL = the default file if present). Each dies with a clear message. */
struct store;
struct suppress_config;
struct cli_store {
    struct store *s; /* NULL when the command was not asked to store */
    unsigned long long added, dup, suppressed, alerts;
};
/* cli_config_load - the rules' config from path (must exist) or the default file. */
void cli_config_load(const char *path, struct suppress_config *cfg);
/* cli_store_open - open the store for reading (readonly) or writing (created if absent). */
struct store *cli_store_open(const char *db, const char *config, int readonly);
/* cli_store_event, cli_store_record - store one event / parsed record, applying the rules. */
void cli_store_event(struct cli_store *cs, const rb_event *e);
void cli_store_record(struct cli_store *cs, const rb_record *r);
/* cli_store_close - commit, print a summary on stderr unless quiet, close. */
void cli_store_close(struct cli_store *cs, int quiet);
/* cli_format_time - Unix time as 2024-05-01T12:00:00Z into out. */
void cli_format_time(long long t, char *out, size_t cap);

#endif /* RB_CLI_H */
