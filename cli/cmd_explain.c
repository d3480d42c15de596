/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_explain.c - `rebound explain`: what an SMTP reply means and what to do about it.
 *
 * DESCRIPTION
 *   With TEXT arguments, they are joined by spaces into one reply. Without, stdin is read
 *   one reply per line. Output: aligned text (colour on a TTY, NO_COLOR honoured), --json
 *   (one object per input line) or --tsv (compact columns for scripts and benchmarks).
 *
 * LIMITS
 *   Input lines longer than LINE_CAP are classified on their first LINE_CAP bytes (the rest
 *   is read and dropped), so a 1 GB line costs linear time and bounded memory.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json_out.h"
#include "rebound.h"
#include "verdict_out.h"

#define LINE_CAP (1u << 20)
#define OUT_FLUSH_AT (1u << 16)

enum fmt { FMT_TEXT, FMT_JSON, FMT_TSV };

struct explain_ctx {
    rb_scratch *s;
    enum fmt fmt;
    int colour;
    struct buf out;
};

static const char *col(const struct explain_ctx *x, const char *code)
{
    return x->colour ? code : "";
}

static void row(struct explain_ctx *x, const char *label, const char *val)
{
    if (buf_printf(&x->out, "%s%-12s%s %s\n", col(x, "\033[2m"), label, col(x, "\033[0m"),
                   val ? val : "-") != RB_OK)
        die("output too large");
}

static void emit_text(struct explain_ctx *x, const char *in, size_t n, const rb_verdict *v)
{
    const rb_reply *r = &v->reply;
    char line[512];
    rb_status_info si;
    rb_replycode_info ri;
    (void)in, (void)n;
    row(x, "reply", r->text_len ? r->text : "(empty)");
    if (r->replycode && rb_replycode_lookup(r->replycode, &ri)) {
        snprintf(line, sizeof line, "%d  %s", r->replycode, ri.meaning ? ri.meaning : "");
        row(x, "reply code", line);
    } else {
        row(x, "reply code", NULL);
    }
    if (r->status[0] &&
        rb_status_lookup(r->status_class, r->status_subject, r->status_detail, &si)) {
        snprintf(line, sizeof line, "%s  %s / %s%s%s", r->status, si.class_title,
                 si.subject_title ? si.subject_title : "unknown subject",
                 si.detail_title ? " / " : "", si.detail_title ? si.detail_title : "");
        row(x, "status", line);
    } else {
        row(x, "status", r->status[0] ? r->status : NULL);
    }
    if (r->flags & RB_REPLY_CODE_MISMATCH)
        row(x, "warning", "reply code and enhanced status disagree on the class");
    snprintf(line, sizeof line, "%s%s%s (%s)", col(x, "\033[1m"), rb_reason_name(v->reason),
             col(x, "\033[0m"), v->permanent ? "permanent" : "transient");
    row(x, "reason", line);
    char auth[96];
    rb_auth_names(v->auth, auth, sizeof auth);
    if (auth[0])
        snprintf(line, sizeof line, "%s (%s)", rb_category_name(v->category), auth);
    else
        snprintf(line, sizeof line, "%s", rb_category_name(v->category));
    row(x, "category", line);
    row(x, "scope", rb_scope_name(v->scope));
    int suppress = v->remedy == RB_REMEDY_SUPPRESS_RECIPIENT;
    snprintf(line, sizeof line, "%s%s%s  %s", col(x, suppress ? "\033[31m" : "\033[32m"),
             rb_remedy_name(v->remedy), col(x, "\033[0m"),
             suppress ? "(suppress the recipient)" : "(do not suppress the recipient)");
    row(x, "remedy", line);
    row(x, "retry", verdict_retry_advice(v));
    row(x, "provider", v->provider);
    if (v->blocklist) {
        snprintf(line, sizeof line, "%s%s%s", v->blocklist, v->listed[0] ? "  listed: " : "",
                 v->listed);
        row(x, "blocklist", line);
    }
    if (r->token[0])
        row(x, "token", r->token);
    if (r->status[0] && rb_status_lookup(r->status_class, r->status_subject, r->status_detail, &si))
        row(x, "meaning", si.meaning);
    if (v->provider_meaning)
        row(x, "provider says", v->provider_meaning);
    snprintf(line, sizeof line, "%d  (rule %s)", v->confidence, v->rule);
    row(x, "confidence", line);
    if (buf_putc(&x->out, '\n') != RB_OK)
        die("output too large");
}

static void emit_json(struct explain_ctx *x, const char *in, size_t n, const rb_verdict *v)
{
    int first = 1;
    int rc = buf_putc(&x->out, '{');
    if (rc == RB_OK)
        rc = json_key_strn(&x->out, &first, "input", in, n);
    if (rc == RB_OK)
        rc = json_key_strn(&x->out, &first, "text", v->reply.text, v->reply.text_len);
    if (rc == RB_OK)
        rc = verdict_json_fields(&x->out, &first, v);
    if (rc == RB_OK)
        rc = buf_append(&x->out, "}\n", 2);
    if (rc != RB_OK)
        die("output: %s", rb_strerror(rc));
}

static void emit_tsv(struct explain_ctx *x, const rb_verdict *v)
{
    char auth[96];
    rb_auth_names(v->auth, auth, sizeof auth);
    int rc = buf_printf(&x->out, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", v->reply.replycode,
                        v->reply.status[0] ? v->reply.status : "-", rb_reason_name(v->reason),
                        rb_category_name(v->category), v->permanent, rb_scope_name(v->scope),
                        rb_remedy_name(v->remedy), v->provider ? v->provider : "-",
                        auth[0] ? auth : "-", v->blocklist ? v->blocklist : "-");
    if (rc != RB_OK)
        die("output: %s", rb_strerror(rc));
}

static void explain_one(struct explain_ctx *x, const char *in, size_t n)
{
    rb_verdict v;
    int rc = rb_explain(x->s, in, n, &v);
    if (rc != RB_OK)
        die("explain: %s", rb_strerror(rc));
    switch (x->fmt) {
    case FMT_JSON:
        emit_json(x, in, n, &v);
        break;
    case FMT_TSV:
        emit_tsv(x, &v);
        break;
    default:
        emit_text(x, in, n, &v);
    }
    if (x->out.len >= OUT_FLUSH_AT)
        out_flush(&x->out);
}

/* read_lines - call explain_one for each line of stdin, keeping at most LINE_CAP bytes of
 * each line in memory. */
static void read_lines(struct explain_ctx *x)
{
    static char in[1 << 16];
    struct buf line;
    buf_init(&line, LINE_CAP, NULL);
    size_t n;
    int dropping = 0;
    while ((n = fread(in, 1, sizeof in, stdin)) > 0) {
        size_t i = 0;
        while (i < n) {
            char *nl = memchr(in + i, '\n', n - i);
            size_t end = nl ? (size_t)(nl - in) : n;
            size_t take = end - i;
            if (line.len == 0 && nl && !dropping) {
                /* common case: the whole line is in the read buffer */
                size_t k = take;
                if (k && in[i + k - 1] == '\r')
                    k--;
                explain_one(x, in + i, k > LINE_CAP ? LINE_CAP : k);
            } else {
                if (!dropping) {
                    size_t room = LINE_CAP - line.len;
                    if (take > room) {
                        take = room;
                        dropping = 1;
                    }
                    if (buf_append(&line, in + i, take) != RB_OK)
                        die("out of memory");
                }
                if (nl) {
                    size_t k = line.len;
                    if (k && line.p[k - 1] == '\r')
                        k--;
                    explain_one(x, line.p ? line.p : "", k);
                    buf_reset(&line);
                    dropping = 0;
                }
            }
            i = end + (nl ? 1 : 0);
        }
    }
    if (ferror(stdin))
        die("read error on stdin");
    if (line.len)
        explain_one(x, line.p, line.len);
    buf_free(&line);
}

int cmd_explain(int argc, char **argv)
{
    struct explain_ctx x;
    memset(&x, 0, sizeof x);
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            x.fmt = FMT_JSON;
        else if (strcmp(argv[i], "--tsv") == 0)
            x.fmt = FMT_TSV;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: rebound explain [--json|--tsv] [TEXT...]\n"
                   "Explain an SMTP reply: codes, reason, category, whose problem, what to do.\n"
                   "TEXT words are joined into one reply; without TEXT, stdin is read one\n"
                   "reply per line. --tsv columns: replycode status reason category permanent\n"
                   "scope remedy provider auth blocklist.\n");
            return 0;
        } else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            die("explain: unknown option '%s'", argv[i]);
        } else {
            break;
        }
    }
    rb_classifier *c;
    int rc = rb_classifier_new(&c, NULL);
    if (rc != RB_OK)
        die("cannot load the classifier: %s", rb_strerror(rc));
    if ((rc = rb_scratch_new(c, &x.s)) != RB_OK)
        die("cannot allocate scratch: %s", rb_strerror(rc));
    x.colour = x.fmt == FMT_TEXT && use_colour();
    buf_init(&x.out, (size_t)1 << 30, NULL);
    if (i < argc) {
        struct buf joined;
        buf_init(&joined, LINE_CAP, NULL);
        for (int k = i; k < argc; k++) {
            if ((k > i && buf_putc(&joined, ' ') != RB_OK) || buf_puts(&joined, argv[k]) != RB_OK)
                die("reply text too long");
        }
        explain_one(&x, joined.p, joined.len);
        buf_free(&joined);
    } else {
        read_lines(&x);
    }
    out_flush(&x.out);
    buf_free(&x.out);
    rb_scratch_free(x.s);
    rb_classifier_free(c);
    return 0;
}
