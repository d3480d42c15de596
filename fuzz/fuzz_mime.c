/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_mime.c - libFuzzer target for the MIME reader (src/mime.c).
 *
 * DESCRIPTION
 *   The first input byte chooses options: bits 0-1 the part capacity (1, 8, 64 or
 *   MIME_MAX_PARTS), bit 2 a small decode cap (64 bytes, exercises RB_ETOOBIG paths), bit 3
 *   CRLF conversion of the rest of the input, bit 4 a (long-lived) struct mime_cvt instead
 *   of iconv_open per call. The target parses, checks structural
 *   invariants (slices inside the input, parent before child, depth bound, sibling links),
 *   then decodes every body (transfer + charset) and every header of every header block.
 *   Built with -DFUZZ_GMIME it also parses every input with GMime (finds crashes and leaks
 *   in the pair); with -DFUZZ_GMIME_STRICT as well it aborts when the part counts differ
 *   and no limit was hit. Strict mode is a bug-finding aid, not a pass/fail gate: the two
 *   readers deliberately differ on some malformed input (see tests/mime_oracle.c).
 *
 * LIMITS
 *   Inputs are whatever libFuzzer gives (-max_len); decoding buffers capped at 1 MiB.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime.h"

#ifdef FUZZ_GMIME
#include <gmime/gmime.h>
#endif

#define CHECK_OR_DIE(c)                                                                            \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static void check_slice(struct slice s, const char *p, size_t len)
{
    CHECK_OR_DIE(s.len == 0 || (s.p >= p && s.p + s.len <= p + len));
}

#ifdef FUZZ_GMIME
static size_t gcount(GMimeObject *o, int depth)
{
    if (!o || depth > 200)
        return 0;
    size_t n = 1;
    if (GMIME_IS_MULTIPART(o)) {
        int k = g_mime_multipart_get_count(GMIME_MULTIPART(o));
        for (int i = 0; i < k; i++)
            n += gcount(g_mime_multipart_get_part(GMIME_MULTIPART(o), i), depth + 1);
    } else if (GMIME_IS_MESSAGE_PART(o)) {
        GMimeMessage *em = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
        if (em)
            n += gcount(g_mime_message_get_mime_part(em), depth + 1);
    }
    return n;
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct mime_part parts[MIME_MAX_PARTS];
    static const size_t caps[4] = {1, 8, 64, MIME_MAX_PARTS};
    if (size < 1)
        return 0;
    unsigned opt = data[0];
    const char *p = (const char *)data + 1;
    size_t len = size - 1;
    char *conv = NULL;
    if (opt & 8) {
        /* LF -> CRLF */
        conv = malloc(len * 2 + 1);
        if (!conv)
            return 0;
        size_t o = 0;
        for (size_t i = 0; i < len; i++) {
            if (p[i] == '\n')
                conv[o++] = '\r';
            conv[o++] = p[i];
        }
        p = conv;
        len = o;
    }
    /* exact-size copy so ASan sees reads past the end */
    char *in = malloc(len ? len : 1);
    if (!in) {
        free(conv);
        return 0;
    }
    if (len)
        memcpy(in, p, len);
    free(conv);

    struct mime_msg m;
    mime_msg_init_static(&m, parts, caps[opt & 3]);
    CHECK_OR_DIE(mime_parse(&m, in, len) == RB_OK);
    CHECK_OR_DIE(m.nparts >= 1 && m.nparts <= caps[opt & 3]);

    static struct mime_cvt cv; /* libFuzzer runs one input at a time */
    struct mime_cvt *cvp = (opt & 16) ? &cv : NULL;
#define CV cvp
    struct buf b;
    buf_init(&b, (opt & 4) ? 64 : (1u << 20), NULL);
    for (size_t i = 0; i < m.nparts; i++) {
        const struct mime_part *pt = &m.parts[i];
        check_slice(pt->hdr, in, len);
        check_slice(pt->body, in, len);
        CHECK_OR_DIE(pt->depth < MIME_MAX_DEPTH);
        CHECK_OR_DIE(pt->parent < (int)i);
        CHECK_OR_DIE(i == 0 || (pt->parent >= 0 && pt->depth == m.parts[pt->parent].depth + 1));
        CHECK_OR_DIE(pt->next_sibling == -1 || pt->next_sibling > (int)i);
        CHECK_OR_DIE(pt->first_child == -1 || pt->first_child == (int)i + 1);
        uint32_t d = 0;
        buf_reset(&b);
        int rc = mime_decode_text(CV, pt, &b, &d);
        CHECK_OR_DIE(rc == RB_OK || rc == RB_ETOOBIG);
        struct slice ih = mime_part_inner_hdr(&m, pt);
        check_slice(ih, in, len);
        struct slice hb[2] = {pt->hdr, ih};
        for (int k = 0; k < 2; k++) {
            struct mime_hdr_iter it;
            struct slice n, v;
            mime_hdr_iter_init(&it, hb[k]);
            while (mime_hdr_next(&it, &n, &v)) {
                check_slice(n, in, len);
                check_slice(v, in, len);
                buf_reset(&b);
                rc = mime_hdr_decode(CV, v.p, v.len, &b);
                CHECK_OR_DIE(rc == RB_OK || rc == RB_ETOOBIG);
                buf_reset(&b);
                rc = mime_hdr_unfold(v.p, v.len, &b);
                CHECK_OR_DIE(rc == RB_OK || rc == RB_ETOOBIG);
            }
        }
    }
    buf_free(&b);

#ifdef FUZZ_GMIME
    {
        static int inited;
        if (!inited) {
            g_mime_init();
            inited = 1;
        }
        GMimeStream *st = g_mime_stream_mem_new_with_buffer(in, len);
        GMimeParser *gp = g_mime_parser_new_with_stream(st);
        GMimeMessage *msg = g_mime_parser_construct_message(gp, NULL);
        if (msg) {
            size_t gn = gcount(g_mime_message_get_mime_part(msg), 0);
#ifdef FUZZ_GMIME_STRICT
            if ((opt & 3) == 3 && !(m.defects & (MIME_D_DEPTH | MIME_D_PARTS | MIME_D_ENCODED_MSG |
                                                 MIME_D_HEADER_BYTES)))
                CHECK_OR_DIE(gn == m.nparts);
#else
            (void)gn;
#endif
            g_object_unref(msg);
        }
        g_object_unref(gp);
        g_object_unref(st);
    }
#endif
    free(in);
    return 0;
}
