/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_classify.c - the classifier against tests/data/explain-cases.tsv (real-world-shaped
 * replies with the verdict a postmaster expects), the safety invariant over every rule,
 * the evidence merge of rb_classify, and concurrent use from two threads.
 *   usage: test_classify SOURCE_DIR
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "rebound.h"
#include "rules.h"
#include "tsv.h"

/* unescape - \n and \t in a table cell into real bytes, in place. */
static size_t unescape(char *s)
{
    size_t o = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '\\' && s[i + 1] == 'n')
            s[o++] = '\n', i++;
        else if (s[i] == '\\' && s[i + 1] == 't')
            s[o++] = '\t', i++;
        else
            s[o++] = s[i];
    }
    s[o] = '\0';
    return o;
}

static int want(const char *w)
{
    return strcmp(w, "*") != 0;
}

static void check_col(const char *input, int line, const char *col, const char *got,
                      const char *exp)
{
    if (!want(exp))
        return;
    const char *g = got && got[0] ? got : "-";
    CHECK(strcmp(g, exp) == 0, "explain-cases.tsv:%d %s: got '%s', want '%s'  [%.90s]", line, col,
          g, exp, input);
}

static void test_cases(rb_scratch *s, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/explain-cases.tsv", dir);
    struct tsv t;
    int n = tsv_load(&t, path);
    CHECK(n >= 200, "explain cases: %d (want >= 200)", n);
    for (int i = 0; i < t.n; i++) {
        struct tsv_row *r = &t.rows[i];
        if (r->nf < 11) {
            CHECK(0, "explain-cases.tsv:%d: %d fields", r->line, r->nf);
            continue;
        }
        char *in = r->f[0];
        size_t len = unescape(in);
        rb_verdict v;
        CHECK_INT(rb_explain(s, in, len, &v), RB_OK, in);
        char code[8] = "-", auth[96];
        if (v.reply.replycode)
            snprintf(code, sizeof code, "%d", v.reply.replycode);
        check_col(in, r->line, "replycode", code, r->f[1]);
        check_col(in, r->line, "status", v.reply.status, r->f[2]);
        check_col(in, r->line, "reason", rb_reason_name(v.reason), r->f[3]);
        check_col(in, r->line, "category", rb_category_name(v.category), r->f[4]);
        const char *perm =
            (v.reply.replycode || v.reply.status_class) ? (v.permanent ? "1" : "0") : "-";
        check_col(in, r->line, "permanent", perm, r->f[5]);
        check_col(in, r->line, "scope", rb_scope_name(v.scope), r->f[6]);
        check_col(in, r->line, "remedy", rb_remedy_name(v.remedy), r->f[7]);
        check_col(in, r->line, "provider", v.provider, r->f[8]);
        check_col(in, r->line, "auth", rb_auth_names(v.auth, auth, sizeof auth), r->f[9]);
        check_col(in, r->line, "blocklist", v.blocklist, r->f[10]);
    }
    tsv_free(&t);
}

/* No rule, whatever its text, may make a sender-side failure suppress a recipient. */
static void test_invariant(rb_scratch *s)
{
    static const char *prefixes[] = {"550 5.7.1 ", "554 5.7.1 ", "550 ",
                                     "",           "421 4.7.0 ", "552 5.2.2 "};
    for (size_t i = 0; i < rules_count; i++) {
        const struct rule *r = &rules_table[i];
        if (strpbrk(rules_patterns[i], "\\[(|?*+{^$"))
            continue; /* only literal patterns can be turned back into text */
        for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++) {
            char text[1024];
            snprintf(text, sizeof text, "%s%s", prefixes[k], rules_patterns[i]);
            rb_verdict v;
            CHECK_INT(rb_explain(s, text, strlen(text), &v), RB_OK, text);
            if (v.remedy == RB_REMEDY_SUPPRESS_RECIPIENT)
                CHECK(v.scope == RB_SCOPE_RECIPIENT && v.permanent &&
                          (v.category == RB_CAT_ADDRESS || v.category == RB_CAT_COMPLAINT),
                      "rule %s: suppress with scope %s category %s for [%s]", r->id,
                      rb_scope_name(v.scope), rb_category_name(v.category), text);
            if (v.category == RB_CAT_AUTHENTICATION || v.category == RB_CAT_BLOCKLIST ||
                v.category == RB_CAT_REPUTATION || v.category == RB_CAT_RATE_LIMIT ||
                v.category == RB_CAT_POLICY)
                CHECK(v.remedy != RB_REMEDY_SUPPRESS_RECIPIENT, "rule %s suppresses on %s", r->id,
                      rb_category_name(v.category));
        }
    }
}

/* rb_classify: evidence from a DSN beside the text. */
static void test_evidence(rb_scratch *s)
{
    rb_input in;
    rb_verdict v;
    memset(&in, 0, sizeof in);
    in.text = "550 5.0.0 <a@example.org>... User unknown";
    in.text_len = strlen(in.text);
    in.status = "5.1.1";
    CHECK_INT(rb_classify(s, &in, &v), RB_OK, "classify");
    CHECK_STR(v.reply.status, "5.1.1", "Status: field wins over a generic text code");
    in.text = "550 5.1.1 unknown";
    in.text_len = strlen(in.text);
    in.status = "5.0.0";
    CHECK_INT(rb_classify(s, &in, &v), RB_OK, "classify");
    CHECK_STR(v.reply.status, "5.1.1", "a precise text code beats a generic Status:");
    in.text = "Mailbox does not exist";
    in.text_len = strlen(in.text);
    in.status = NULL;
    in.replycode = 550;
    CHECK_INT(rb_classify(s, &in, &v), RB_OK, "classify");
    CHECK_INT(v.reply.replycode, 550, "replycode from evidence");
    CHECK(v.permanent, "permanent from evidence");
    in.text = "";
    in.text_len = 0;
    in.replycode = 0;
    in.rhost = "gmail-smtp-in.l.google.com";
    CHECK_INT(rb_classify(s, &in, &v), RB_OK, "classify");
    CHECK_STR(v.provider, "google", "provider from remote host");
    in.rhost = NULL;
    in.hint = RB_REASON_EXPIRED;
    CHECK_INT(rb_classify(s, &in, &v), RB_OK, "classify");
    CHECK_STR(rb_reason_name(v.reason), "expired", "dialect hint decides when nothing else");
}

struct thread_arg {
    const rb_classifier *c;
    int ok;
};

static void *worker(void *p)
{
    struct thread_arg *a = p;
    rb_scratch *s;
    a->ok = rb_scratch_new(a->c, &s) == RB_OK;
    static const char *texts[] = {"550 5.1.1 user unknown", "452 4.2.2 mailbox full",
                                  "421 4.7.0 [TSS04] deferred"};
    rb_verdict first[3];
    for (int k = 0; k < 3 && a->ok; k++)
        a->ok = rb_explain(s, texts[k], strlen(texts[k]), &first[k]) == RB_OK;
    for (int i = 0; i < 20000 && a->ok; i++) {
        rb_verdict v;
        int k = i % 3;
        a->ok = rb_explain(s, texts[k], strlen(texts[k]), &v) == RB_OK &&
                v.reason == first[k].reason && v.remedy == first[k].remedy;
    }
    rb_scratch_free(s);
    return NULL;
}

static void test_threads(const rb_classifier *c)
{
    pthread_t t[2];
    struct thread_arg a[2] = {{c, 0}, {c, 0}};
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, &a[i]);
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        CHECK(a[i].ok, "thread %d consistent", i);
    }
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    rb_classifier *c;
    rb_scratch *s;
    if (rb_classifier_new(&c, NULL) != RB_OK || rb_scratch_new(c, &s) != RB_OK) {
        fprintf(stderr, "cannot create classifier\n");
        return 1;
    }
    test_cases(s, dir);
    test_invariant(s);
    test_evidence(s);
    test_threads(c);
    rb_scratch_free(s);
    rb_classifier_free(c);
    return harness_done();
}
