/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * replay.c - feed one saved fuzzer input to the entry point of the named target, so crash
 * reproducers in tests/regress/ run under ctest with ASan+UBSan, without libFuzzer.
 *   usage: replay TARGET FILE    (TARGET: fuzz_reply, fuzz_bounce, fuzz_mime, fuzz_msgsrc)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime.h"
#include "msgsrc.h"
#include "rebound.h"

static int noop(const rb_record *r, void *ud)
{
    (void)r, (void)ud;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    FILE *f = fopen(argv[2], "rb");
    if (!f)
        return 2;
    struct buf in;
    buf_init(&in, 1u << 28, NULL);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (buf_append(&in, chunk, n) != RB_OK)
            return 2;
    fclose(f);
    const char *p = in.p ? in.p : "";
    rb_classifier *c;
    if (rb_classifier_new(&c, NULL) != RB_OK)
        return 1;
    int rc = 0;
    if (strcmp(argv[1], "fuzz_reply") == 0) {
        rb_scratch *s;
        rb_verdict v;
        rc = rb_scratch_new(c, &s) || rb_explain(s, p, in.len, &v);
        rb_scratch_free(s);
    } else if (strcmp(argv[1], "fuzz_bounce") == 0) {
        rb_parser *bp;
        rc = rb_parser_new(c, &bp) || rb_parse_message(bp, p, in.len, noop, NULL);
        rb_parser_free(bp);
    } else if (strcmp(argv[1], "fuzz_mime") == 0 || strcmp(argv[1], "fuzz_msgsrc") == 0) {
        struct mime_msg m;
        rc = mime_msg_init(&m, 0, NULL) || mime_parse(&m, p, in.len);
        mime_msg_free(&m);
        struct msgsrc *src;
        if (msgsrc_open_mem(&src, p, in.len, "replay", NULL, NULL) == RB_OK) {
            struct msgsrc_item it;
            while (msgsrc_next(src, &it) != 1)
                ;
            msgsrc_close(src);
        }
    }
    rb_classifier_free(c);
    buf_free(&in);
    return rc ? 1 : 0;
}
