/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_msgsrc.c - libFuzzer target for the mbox splitter and line-end conversion (msgsrc).
 *
 * DESCRIPTION
 *   The first input byte chooses the options: bits 0-2 the streaming chunk size, bit 3
 *   MSGSRC_O_ONE_PER_FILE, bits 4-5 a small max_message (or the default). The rest is the
 *   input. Checks:
 *   - msgsrc_normalize: output has no CR, is no longer than the input, and is a fixed point
 *     (normalising it again returns the same bytes without copying);
 *   - the iterator in map mode and streamed through the window give the same items (names,
 *     bytes, flags, error codes) - a differential test of the refill/compaction logic;
 *   - every message has LF line ends only and respects max_message.
 *   gzip inputs (1f 8b) are inflated by both runs alike.
 *
 * LIMITS
 *   Build: clang-14 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc fuzz/fuzz_msgsrc.c
 *   src/msgsrc.c src/buf.c src/mem.c src/slice.c -lz. Seeds: ../shared/corpus/sisimai.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msgsrc.h"

#define MAXITEMS 4096

struct rec {
    unsigned char *p; /* concatenated records */
    size_t len, cap;
    size_t n;
};

static void rec_add(struct rec *r, const void *p, size_t n)
{
    if (r->len + n > r->cap) {
        size_t c = r->cap ? r->cap : 4096;
        while (c < r->len + n)
            c *= 2;
        unsigned char *q = realloc(r->p, c);
        if (!q)
            abort();
        r->p = q;
        r->cap = c;
    }
    memcpy(r->p + r->len, p, n);
    r->len += n;
}

/* run - iterate data with opts, recording every item. */
static void run(const char *data, size_t len, const struct msgsrc_opts *o, struct rec *r)
{
    struct msgsrc *s;
    if (msgsrc_open_mem(&s, data, len, "f", o, NULL) != RB_OK)
        abort();
    size_t max = o->max_message ? o->max_message : RB_MAX_MESSAGE;
    struct msgsrc_item it;
    int rc;
    while ((rc = msgsrc_next(s, &it)) != 1) {
        if (++r->n > MAXITEMS)
            abort(); /* more items than input bytes allow: a loop */
        rec_add(r, &rc, sizeof rc);
        rec_add(r, it.name, strlen(it.name) + 1);
        if (rc != RB_OK)
            continue;
        if (it.len > max || memchr(it.p, '\r', it.len))
            abort();
        unsigned fl = it.flags & ~(unsigned)MSGSRC_F_COPIED; /* may differ by window reuse */
        rec_add(r, &fl, sizeof fl);
        rec_add(r, &it.len, sizeof it.len);
        rec_add(r, &it.eol, sizeof it.eol);
        rec_add(r, it.p, it.len);
        rec_add(r, &it.envelope_len, sizeof it.envelope_len);
        if (it.envelope_len)
            rec_add(r, it.envelope, it.envelope_len);
    }
    msgsrc_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const size_t chunks[8] = {1, 2, 3, 7, 16, 61, 1000, 65536};
    static const size_t maxes[4] = {0, 40, 300, 5000};
    unsigned opt = data[0];
    const char *p = (const char *)data + 1;
    size_t n = size - 1;

    /* normalize: no CR, not longer, fixed point */
    struct buf conv, conv2;
    buf_init(&conv, n + 1, NULL);
    buf_init(&conv2, n + 1, NULL);
    struct slice out, out2;
    int eol;
    bool copied;
    if (msgsrc_normalize(p, n, opt & 1, &conv, &out, &eol, &copied) != RB_OK)
        abort();
    if (out.len > n || memchr(out.p, '\r', out.len))
        abort();
    if (msgsrc_normalize(out.p, out.len, false, &conv2, &out2, &eol, &copied) != RB_OK || copied ||
        out2.p != out.p)
        abort();
    buf_free(&conv);
    buf_free(&conv2);

    /* map mode vs streaming */
    struct msgsrc_opts a = {0, maxes[(opt >> 4) & 3], 0};
    if (opt & 8)
        a.flags |= MSGSRC_O_ONE_PER_FILE;
    struct msgsrc_opts b = a;
    b.flags |= MSGSRC_O_STREAM;
    b.chunk = chunks[opt & 7];
    struct rec ra = {0}, rb = {0};
    run(p, n, &a, &ra);
    run(p, n, &b, &rb);
    if (ra.len != rb.len || (ra.len && memcmp(ra.p, rb.p, ra.len) != 0))
        abort();
    free(ra.p);
    free(rb.p);
    return 0;
}
