/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_parse.c - `rebound parse`: bounce emails -> one record per failed recipient.
 *
 * DESCRIPTION
 *   Inputs: message files, mbox files, Maildirs, directory trees, '-' or nothing for stdin
 *   (gzip read transparently; LF, CRLF and CR-only line ends). Files inside a directory are
 *   one message each (Maildir semantics); a file named on the command line is read as an
 *   mbox when it starts with a "From " line.
 *   Output: JSON Lines (default; Sisimai's field names plus rebound's classification) or
 *   --format tsv: file, recipient, status, replycode, reason, hardbounce (for scoring).
 *   Unreadable inputs are reported on stderr and skipped; the exit status is 1 if any was.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "json_out.h"
#include "msgsrc.h"
#include "rebound.h"
#include "verdict_out.h"

#define OUT_FLUSH_AT (1u << 16)

enum pfmt { PF_JSON, PF_TSV };

struct parse_ctx {
    enum pfmt fmt;
    struct buf out;
    const char *origin; /* display name of the current message */
    unsigned long records, messages, errors;
    unsigned extra_defects; /* defects the source found (a message cut at its size limit) */
    struct cli_store store; /* --store / --db: every record also goes to the store */
};

static int on_record(const rb_record *r, void *ud)
{
    struct parse_ctx *x = ud;
    const rb_verdict *v = &r->verdict;
    int rc = RB_OK;
    x->records++;
    if (x->store.s)
        cli_store_record(&x->store, r);
    if (x->fmt == PF_TSV) {
        tsv_field(&x->out, x->origin);
        rc = buf_putc(&x->out, '\t');
        tsv_field(&x->out, r->recipient);
        if (rc == RB_OK)
            rc = buf_printf(&x->out, "\t%s\t", v->reply.status);
        if (rc == RB_OK && v->reply.replycode)
            rc = buf_printf(&x->out, "%d", v->reply.replycode);
        if (rc == RB_OK)
            rc = buf_printf(&x->out, "\t%s\t%d\n", rb_reason_name(v->reason), v->hardbounce);
    } else {
        int first = 1;
        struct buf *b = &x->out;
        rc = buf_putc(b, '{');
#define S(k, val)                                                                                  \
    if (rc == RB_OK)                                                                               \
    rc = json_key_str(b, &first, k, (val)[0] ? (val) : NULL)
        S("origin", x->origin);
        S("recipient", r->recipient);
        S("addresser", r->addresser);
        S("senderdomain", r->senderdomain);
        S("destination", r->destination);
        if (rc == RB_OK)
            rc = json_key_int(b, &first, "timestamp", r->timestamp);
        if (rc == RB_OK)
            rc = json_key_int(b, &first, "timezoneoffset", r->timezoneoffset);
        S("diagnosticcode", r->diagnosticcode);
        S("action", r->action);
        S("lhost", r->lhost);
        S("rhost", r->rhost);
        S("smtpagent", r->smtpagent);
        S("messageid", r->messageid);
        S("subject", r->subject);
        S("listid", r->listid);
        S("feedbacktype", r->feedbacktype);
        S("dkimdomain", r->dkim_domain);
        S("dkimselector", r->dkim_selector);
#undef S
        if (rc == RB_OK)
            rc = verdict_json_fields(b, &first, v);
        if (rc == RB_OK && (r->defects | x->extra_defects))
            rc = json_key_int(b, &first, "defects", r->defects | x->extra_defects);
        if (rc == RB_OK)
            rc = buf_append(b, "}\n", 2);
    }
    if (rc != RB_OK)
        die("output: %s", rb_strerror(rc));
    if (x->out.len >= OUT_FLUSH_AT)
        out_flush(&x->out);
    return 0;
}

static void parse_source(struct parse_ctx *x, rb_parser *p, const char *path)
{
    struct msgsrc_opts opts;
    memset(&opts, 0, sizeof opts);
    struct stat st;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        opts.flags |= MSGSRC_O_ONE_PER_FILE;
    struct msgsrc *src;
    int rc = msgsrc_open(&src, path, &opts, NULL);
    if (rc != RB_OK)
        die("%s: %s", path, rb_strerror(rc));
    struct msgsrc_item it;
    for (;;) {
        rc = msgsrc_next(src, &it);
        if (rc == 1)
            break;
        if (rc != RB_OK) {
            out_flush(&x->out);
            fprintf(stderr, "rebound: %s: %s\n", it.name ? it.name : path,
                    it.sys_errno ? strerror(it.sys_errno)
                    : it.why     ? it.why
                                 : rb_strerror(rc));
            x->errors++;
            continue;
        }
        x->messages++;
        x->origin = it.name;
        x->extra_defects = (it.flags & MSGSRC_F_TRUNCATED) ? RB_DEFECT_TRUNCATED : 0;
        unsigned long before = x->records;
        rc = rb_parse_message(p, it.p, it.len, on_record, x);
        if (rc != RB_OK) {
            out_flush(&x->out);
            fprintf(stderr, "rebound: %s: %s\n", it.name, rb_strerror(rc));
            x->errors++;
        } else if (x->records == before && (rb_parser_defects(p) & RB_DEFECT_HIDDEN)) {
            /* nothing decoded from a message nested deeper (or split into more parts) than
             * the reader's limits: its report may be hidden there, so say so rather than
             * lose it silently */
            out_flush(&x->out);
            fprintf(stderr, "rebound: %s: no record decoded: MIME nesting or part limit hit\n",
                    it.name);
            x->errors++;
        }
    }
    msgsrc_close(src);
}

int cmd_parse(int argc, char **argv)
{
    struct parse_ctx x;
    memset(&x, 0, sizeof x);
    int i = 1, quiet = 0, store = 0;
    const char *db = NULL, *config = NULL;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--store") == 0) {
            store = 1;
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            db = argv[++i];
            store = 1;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            const char *f = argv[++i];
            if (strcmp(f, "tsv") == 0)
                x.fmt = PF_TSV;
            else if (strcmp(f, "json") == 0)
                x.fmt = PF_JSON;
            else
                die("parse: unknown format '%s' (json, tsv)", f);
        } else if (strcmp(argv[i], "--tsv") == 0) {
            x.fmt = PF_TSV;
        } else if (strcmp(argv[i], "--json") == 0) {
            x.fmt = PF_JSON;
        } else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: rebound parse [--format json|tsv] [-q] [PATH...]\n"
                   "Decode bounce emails into one record per failed recipient.\n"
                   "PATH: a message, an mbox, a Maildir or a directory tree; '-' or none\n"
                   "reads stdin. gzip is read transparently. --format tsv prints: file,\n"
                   "recipient, status, replycode, reason, hardbounce. -q: no summary.\n"
                   "--store: also write every record to the store and apply the suppression\n"
                   "rules; --db PATH names the store, --config FILE the rules' config.\n");
            return 0;
        } else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            die("parse: unknown option '%s'", argv[i]);
        } else {
            break;
        }
    }
    rb_classifier *c;
    rb_parser *p;
    int rc = rb_classifier_new(&c, NULL);
    if (rc != RB_OK)
        die("cannot load the classifier: %s", rb_strerror(rc));
    if ((rc = rb_parser_new(c, &p)) != RB_OK)
        die("cannot create the parser: %s", rb_strerror(rc));
    buf_init(&x.out, (size_t)1 << 30, NULL);
    if (store)
        x.store.s = cli_store_open(db, config, 0);
    if (i >= argc)
        parse_source(&x, p, "-");
    for (; i < argc; i++)
        parse_source(&x, p, argv[i]);
    out_flush(&x.out);
    cli_store_close(&x.store, quiet);
    if (!quiet && isatty(2))
        fprintf(stderr, "rebound: %lu messages, %lu records, %lu errors\n", x.messages, x.records,
                x.errors);
    buf_free(&x.out);
    rb_parser_free(p);
    rb_classifier_free(c);
    return x.errors ? 1 : 0;
}
