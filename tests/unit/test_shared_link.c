/* SPDX-License-Identifier: BSD-2-Clause */
/* test_shared_link.c - the shared library exports the public API and works on its own. */
#include <string.h>

#include "harness.h"
#include "rebound.h"

int main(void)
{
    rb_classifier *c;
    rb_scratch *s;
    CHECK_INT(rb_classifier_new(&c, NULL), RB_OK, "classifier");
    CHECK_INT(rb_scratch_new(c, &s), RB_OK, "scratch");
    rb_verdict v;
    const char *t = "550 5.1.1 <a@example.org>: Recipient address rejected: User unknown";
    CHECK_INT(rb_explain(s, t, strlen(t), &v), RB_OK, "explain");
    CHECK_INT(v.reply.replycode, 550, "replycode");
    CHECK_STR(rb_version(), RB_VERSION, "version");
    CHECK(rb_classifier_rule_count(c) > 500, "rules compiled in");
    rb_scratch_free(s);
    CHECK(rb_classifier_free(c) == NULL, "free returns NULL");
    CHECK(rb_classifier_free(NULL) == NULL, "free(NULL)");
    return harness_done();
}
