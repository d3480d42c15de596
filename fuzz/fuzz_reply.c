/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_reply.c - libFuzzer target for the reply parser and the classifier.
 *
 * DESCRIPTION
 *   The first byte chooses the mode: bit 0 uses rb_classify with a Status: field and a
 *   remote host taken from the input; otherwise rb_explain. Checks that the verdict is
 *   internally consistent (text within its cap, names resolve, the safety invariant).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rebound.h"

static rb_classifier *cls;
static rb_scratch *scr;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cls) {
        if (rb_classifier_new(&cls, NULL) != RB_OK || rb_scratch_new(cls, &scr) != RB_OK)
            abort();
    }
    if (size == 0)
        return 0;
    unsigned mode = data[0];
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    rb_verdict v;
    int rc;
    if (mode & 1) {
        char status[16] = "", host[64] = "";
        size_t k = n < 8 ? n : 8;
        memcpy(status, p, k);
        size_t h = n > 8 ? (n - 8 < 40 ? n - 8 : 40) : 0;
        memcpy(host, p + k, h);
        rb_input in = {
            p, n, status, (int)(mode >> 1) + 200, host, "failed", RB_REASON_UNDEFINED, "DATA"};
        rc = rb_classify(scr, &in, &v);
    } else {
        rc = rb_explain(scr, p, n, &v);
    }
    if (rc != RB_OK)
        abort();
    if (v.reply.text_len > RB_MAX_REPLY_TEXT || strlen(v.reply.status) >= sizeof v.reply.status)
        abort();
    if (!rb_reason_name(v.reason) || !rb_category_name(v.category))
        abort();
    if (v.remedy == RB_REMEDY_SUPPRESS_RECIPIENT && v.scope != RB_SCOPE_RECIPIENT)
        abort();
    return 0;
}
