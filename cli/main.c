/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * main.c - the rebound command: subcommand dispatch and shared output helpers.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "rebound.h"

void die(const char *fmt, ...)
{
    va_list ap;
    fputs("rebound: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

void tsv_field(struct buf *b, const char *s)
{
    for (; *s; s++) {
        char c = *s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s;
        if (buf_putc(b, c) != RB_OK)
            die("output too large");
    }
}

void out_flush(struct buf *b)
{
    if (b->len && fwrite(b->p, 1, b->len, stdout) != b->len)
        die("write error");
    buf_reset(b);
}

int use_colour(void)
{
    const char *nc = getenv("NO_COLOR");
    if (nc && nc[0])
        return 0;
    return isatty(STDOUT_FILENO);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: rebound COMMAND [ARGS]\n"
            "\n"
            "commands:\n"
            "  explain [--json|--tsv] [TEXT...]   explain SMTP replies (stdin: one per line)\n"
            "  parse [--format json|tsv] [PATH...]  decode bounce emails (files, mbox, Maildir)\n"
            "  ingest [--format NAME] [FILE...]     read MTA logs, ESP webhooks and exports\n"
            "  suppress list|add|remove|export|import  the suppression list\n"
            "  check FILE|-                       pre-send check of a list of addresses\n"
            "  report [--db PATH|FILE...]         diagnose bounce patterns: what to fix\n"
            "  doctor DOMAIN [--ip IP]...         check SPF, DKIM, DMARC, PTR and blocklists\n"
            "  serve [--listen ADDR:PORT]         HTTP API, webhook receivers, live dashboard\n"
            "  version                            print the version\n"
            "\n"
            "Run 'rebound COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "explain") == 0)
        return cmd_explain(argc - 1, argv + 1);
    if (strcmp(cmd, "parse") == 0)
        return cmd_parse(argc - 1, argv + 1);
    if (strcmp(cmd, "ingest") == 0)
        return cmd_ingest(argc - 1, argv + 1);
    if (strcmp(cmd, "suppress") == 0)
        return cmd_suppress(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "doctor") == 0)
        return cmd_doctor(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("rebound %s\n", rb_version());
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "rebound: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
