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
int cmd_report(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_serve(int argc, char **argv);

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
/* cli_feed_file - feed one input (path, "-" = stdin; gzip inflated) through ig in chunks of
 * CLI_CHUNK bytes read into chunk, calling cb for each event; progress: a progress line on
 * stderr for inputs over 64 MB; out (may be NULL) is flushed before any message, so output
 * and messages stay in order. Returns 0, or 1 when the input could not be read completely
 * (said on stderr); dies on a reader error. */
#define CLI_CHUNK (1u << 20)
int cli_feed_file(rb_ingest *ig, const char *path, char *chunk, int progress, rb_event_cb cb,
                  void *ud, struct buf *out);
/* Reading bounce emails (cli_parse_source): records go to cb; the counts are kept here. */
struct cli_messages {
    rb_record_cb cb;
    void *ud;
    struct buf *out;        /* flushed before any message on stderr; may be NULL */
    const char *origin;     /* name of the message being decoded, for cb */
    unsigned extra_defects; /* RB_DEFECT_TRUNCATED when the source cut the message */
    unsigned long messages, records, errors;
};
/* cli_parse_source - decode every message of path (a message, an mbox, a Maildir or a tree;
 * "-" = stdin): unreadable or undecodable messages are said on stderr and counted in errors;
 * dies when path cannot be opened at all. */
void cli_parse_source(struct cli_messages *m, rb_parser *p, const char *path);
/* cli_looks_like_email - whether path holds bounce emails (a directory, an mbox, a message
 * whose first line is a header field) rather than log lines or events (report, doctor). */
int cli_looks_like_email(const char *path);
/* cli_parse_time - a --since/--until value (2024-05-01, 2024-05-01T12:00:00Z, Unix seconds)
 * as Unix time; dies naming cmd and opt when it is none of those. */
long long cli_parse_time(const char *cmd, const char *opt, const char *s);
/* cli_format_time - Unix time as 2024-05-01T12:00:00Z into out. */
void cli_format_time(long long t, char *out, size_t cap);

#endif /* RB_CLI_H */
