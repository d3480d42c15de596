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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json_out.h"
#include "rebound.h"
#include "verdict_out.h"

#define OUT_FLUSH_AT (1u << 16)

enum pfmt { PF_JSON, PF_TSV };

struct parse_ctx {
    enum pfmt fmt;
    struct buf out;
    struct cli_messages m;  /* the message reader: origin, counts */
    struct cli_store store; /* --store / --db: every record also goes to the store */
};

static int on_record(const rb_record *r, void *ud)
{
    struct parse_ctx *x = ud;
    const rb_verdict *v = &r->verdict;
    int rc = RB_OK;
    if (x->store.s)
        cli_store_record(&x->store, r);
    if (x->fmt == PF_TSV) {
        tsv_field(&x->out, x->m.origin);
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
        S("origin", x->m.origin);
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
        if (rc == RB_OK && (r->defects | x->m.extra_defects))
            rc = json_key_int(b, &first, "defects", r->defects | x->m.extra_defects);
        if (rc == RB_OK)
            rc = buf_append(b, "}\n", 2);
    }
    if (rc != RB_OK)
        die("output: %s", rb_strerror(rc));
    if (x->out.len >= OUT_FLUSH_AT)
        out_flush(&x->out);
    return 0;
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
    x.m.cb = on_record;
    x.m.ud = &x;
    x.m.out = &x.out;
    if (i >= argc)
        cli_parse_source(&x.m, p, "-");
    for (; i < argc; i++)
        cli_parse_source(&x.m, p, argv[i]);
    out_flush(&x.out);
    cli_store_close(&x.store, quiet);
    if (!quiet && isatty(2))
        fprintf(stderr, "rebound: %lu messages, %lu records, %lu errors\n", x.m.messages,
                x.m.records, x.m.errors);
    buf_free(&x.out);
    rb_parser_free(p);
    rb_classifier_free(c);
    return x.m.errors ? 1 : 0;
}
