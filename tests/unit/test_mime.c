/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_mime.c - table-driven tests of the zero-copy MIME reader (src/mime.c).
 *
 * DESCRIPTION
 *   Tree shape and defects of inline fixtures ("depth:type/subtype" lists), header access,
 *   transfer and charset decoding, RFC 2047 words, limits (deep nesting, many parts, huge
 *   input) with a time bound, and the fixtures in tests/data/mime/ when run from the source
 *   tree (argv[1] = that directory, optional).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../harness.h"
#include "buf.h"
#include "mime.h"

static struct mime_part g_parts[MIME_MAX_PARTS];
static struct mime_cvt g_cv;
static struct mime_cvt *g_cvp; /* NULL: open/close iconv per call; &g_cv: cached */
#define CV g_cvp

/* shape - "depth:type/subtype" of every part, space separated, into dst. */
static const char *shape(const struct mime_msg *m, char *dst, size_t n)
{
    size_t o = 0;
    dst[0] = '\0';
    for (size_t i = 0; i < m->nparts && o + 1 < n; i++) {
        const struct mime_part *pt = &m->parts[i];
        int w = snprintf(dst + o, n - o, "%s%u:%.*s/%.*s", i ? " " : "", (unsigned)pt->depth,
                         (int)pt->type.len, pt->type.p, (int)pt->subtype.len, pt->subtype.p);
        if (w < 0)
            break;
        o += (size_t)w;
    }
    for (char *p = dst; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    return dst;
}

/* ---- tree shapes ------------------------------------------------------------------------ */

#define DSN                                                                                        \
    "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n"                                  \
    "To: sender@example.com\n"                                                                     \
    "Subject: Undelivered Mail Returned to Sender\n"                                               \
    "MIME-Version: 1.0\n"                                                                          \
    "Content-Type: multipart/report; report-type=delivery-status;\n"                               \
    "\tboundary=\"ABC.123/mx.example.org\"\n"                                                      \
    "\n"                                                                                           \
    "This is a MIME-encapsulated message.\n"                                                       \
    "\n"                                                                                           \
    "--ABC.123/mx.example.org\n"                                                                   \
    "Content-Description: Notification\n"                                                          \
    "Content-Type: text/plain; charset=us-ascii\n"                                                 \
    "\n"                                                                                           \
    "I'm sorry to have to inform you that your message could not\n"                                \
    "be delivered.\n"                                                                              \
    "\n"                                                                                           \
    "--ABC.123/mx.example.org\n"                                                                   \
    "Content-Description: Delivery report\n"                                                       \
    "Content-Type: message/delivery-status\n"                                                      \
    "\n"                                                                                           \
    "Reporting-MTA: dns; mx.example.org\n"                                                         \
    "\n"                                                                                           \
    "Final-Recipient: rfc822; nobody@example.net\n"                                                \
    "Action: failed\n"                                                                             \
    "Status: 5.1.1\n"                                                                              \
    "\n"                                                                                           \
    "--ABC.123/mx.example.org\n"                                                                   \
    "Content-Description: Undelivered Message\n"                                                   \
    "Content-Type: message/rfc822\n"                                                               \
    "\n"                                                                                           \
    "From: Sender <sender@example.com>\n"                                                          \
    "To: nobody@example.net\n"                                                                     \
    "Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= aus\n"                                                    \
    " =?UTF-8?B?S8O2bG4=?=\n"                                                                      \
    "Message-ID: <abc@example.com>\n"                                                              \
    "List-Id: <news.example.com>\n"                                                                \
    "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel1;\n"                                  \
    "\tb=xyz\n"                                                                                    \
    "\n"                                                                                           \
    "hello\n"                                                                                      \
    "\n"                                                                                           \
    "--ABC.123/mx.example.org--\n"

struct tree_case {
    const char *name;
    const char *in;
    const char *want;     /* shape() */
    unsigned defects_set; /* bits that must be set in m.defects */
    unsigned defects_clr; /* bits that must not be set */
};

static const struct tree_case tree_cases[] = {
    {"simple", "Subject: hi\n\nbody\n", "0:text/plain", 0, ~0u},
    {"no body", "Subject: hi\n", "0:text/plain", MIME_D_TRUNC_HEADERS, 0},
    {"empty", "", "0:text/plain", MIME_D_TRUNC_HEADERS, 0},
    {"dsn", DSN,
     "0:multipart/report 1:text/plain 1:message/delivery-status 1:message/rfc822 2:text/plain", 0,
     ~0u},
    {"crlf",
     "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/html\r\n\r\n"
     "<p>\r\n--x\r\n\r\nplain\r\n--x--\r\n",
     "0:multipart/mixed 1:text/html 1:text/plain", 0, ~0u},
    {"nested multiparts",
     "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/alternative;"
     " boundary=i\n\n--i\n\na\n--i\nContent-Type: text/html\n\n<b>\n--i--\n--o\n"
     "Content-Type: text/rfc822-headers\n\nFrom: x@y\n--o--\n",
     "0:multipart/mixed 1:multipart/alternative 2:text/plain 2:text/html "
     "1:text/rfc822-headers",
     0, ~0u},
    {"missing end boundary", "Content-Type: multipart/mixed; boundary=o\n\n--o\n\na\n--o\n\nb\n",
     "0:multipart/mixed 1:text/plain 1:text/plain", MIME_D_NO_END_BOUNDARY, 0},
    {"inner closed by outer",
     "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/mixed; "
     "boundary=i\n\n--i\n\na\n--o\n\nb\n--o--\n",
     "0:multipart/mixed 1:multipart/mixed 2:text/plain 1:text/plain", MIME_D_NO_END_BOUNDARY, 0},
    {"truncated part headers",
     "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: text/html\n--o--\n",
     "0:multipart/mixed 1:text/html", MIME_D_TRUNC_HEADERS, 0},
    {"no boundary param", "Content-Type: multipart/mixed\n\n--o\n\na\n--o--\n", "0:multipart/mixed",
     MIME_D_NO_BOUNDARY, 0},
    {"boundary prefix is text",
     "Content-Type: multipart/mixed; boundary=o\n\n--o\n\n--oops\n--o--\n",
     "0:multipart/mixed 1:text/plain", 0, MIME_D_NO_END_BOUNDARY},
    {"bad header line kept in block",
     "Content-Type: message/rfc822\n\nReturn-Path: <a@b>\nby host with ESMTP\nSubject: s\n\nx\n",
     "0:message/rfc822 1:text/plain", MIME_D_BAD_HEADER, 0},
    {"empty rfc822 at eof", "Content-Type: message/rfc822\n\n", "0:message/rfc822", 0, 0},
    {"base64 rfc822 is a leaf",
     "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeAoK\n",
     "0:message/rfc822", MIME_D_ENCODED_MSG, 0},
    {"digest default",
     "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: a\n\nA\n--d--\n",
     "0:multipart/digest 1:message/rfc822 2:text/plain", 0, 0},
    {"lone type", "Content-Type: text\n\nx\n", "0:text/plain", MIME_D_BAD_CTYPE, 0},
    {"bad type", "Content-Type: garbage\n\nx\n", "0:application/octet-stream", MIME_D_BAD_CTYPE, 0},
    {"mbox postmark", "From MAILER-DAEMON Mon Dec 19 03:18:51 2016\nSubject: x\n\nb\n",
     "0:text/plain", 0, MIME_D_BAD_HEADER},
    {"feedback report",
     "Content-Type: multipart/report; report-type=feedback-report; boundary=\"f\"\n\n--f\n"
     "Content-Type: text/plain\n\nabuse\n--f\nContent-Type: message/feedback-report\n\n"
     "Feedback-Type: abuse\n--f\nContent-Type: message/rfc822\n\nFrom: a@b\n\nx\n--f--\n",
     "0:multipart/report 1:text/plain 1:message/feedback-report 1:message/rfc822 2:text/plain", 0,
     ~0u},
    {"junk after subtype", "Content-Type: multipart/repo t; boundary=b\n\n--b\n\nx\n--b--\n",
     "0:multipart/repo 1:text/plain", 0, MIME_D_NO_BOUNDARY},
    {"unterminated comment", "Content-Type: multipart/mixed (oops; boundary=b\n\n--b\n\nx\n--b--\n",
     "0:multipart/mixed 1:text/plain", 0, MIME_D_NO_BOUNDARY},
    {"comment", "Content-Type: text/html (c; d) ; charset=x\n\nx\n", "0:text/html", 0, ~0u},
    {"tspecial ends subtype", "Content-Type: message/rfc822?\n\nSubject: a\n\nb\n",
     "0:message/rfc822 1:text/plain", 0, 0},
    {"lone CR is a byte", "Subject: a\rb\n\nx\ry\n", "0:text/plain", 0, ~0u},
    {"binary junk", "\x01\x02\xff\xfe:\n\n\x00\x80--\n", "0:text/plain", 0, 0},
};

static void test_trees(void)
{
    struct mime_msg m;
    char got[2048];
    mime_msg_init_static(&m, g_parts, MIME_MAX_PARTS);
    for (size_t i = 0; i < sizeof tree_cases / sizeof tree_cases[0]; i++) {
        const struct tree_case *tc = &tree_cases[i];
        size_t len = strlen(tc->in);
        if (!strcmp(tc->name, "binary junk"))
            len = 12;
        CHECK_INT(mime_parse(&m, tc->in, len), RB_OK, tc->name);
        CHECK_STR(shape(&m, got, sizeof got), tc->want, tc->name);
        CHECK((m.defects & tc->defects_set) == tc->defects_set, "%s: defects %#x lack %#x",
              tc->name, m.defects, tc->defects_set);
        CHECK((m.defects & tc->defects_clr & ~tc->defects_set) == 0, "%s: unexpected defects %#x",
              tc->name, m.defects & tc->defects_clr);
        /* every slice lies inside the input */
        for (size_t k = 0; k < m.nparts; k++) {
            const struct mime_part *pt = &m.parts[k];
            CHECK(pt->hdr.p >= tc->in && pt->hdr.p + pt->hdr.len <= tc->in + len &&
                      pt->body.p >= tc->in && pt->body.p + pt->body.len <= tc->in + len,
                  "%s: part %zu slice out of input", tc->name, k);
        }
    }
}

/* ---- DSN details ------------------------------------------------------------------------ */

static void test_dsn(void)
{
    struct mime_msg m;
    struct buf b;
    struct slice v;
    buf_init(&b, 1 << 16, NULL);
    mime_msg_init_static(&m, g_parts, MIME_MAX_PARTS);
    CHECK_INT(mime_parse(&m, DSN, strlen(DSN)), RB_OK, "dsn parse");
    CHECK_INT(m.nparts, 5, "dsn parts");
    const struct mime_part *root = &m.parts[0];
    CHECK(root->kind == MIME_K_MULTIPART, "root kind");
    CHECK(slice_eq_ci(root->report_type, "delivery-status"), "report-type");
    CHECK(slice_eq_ci(root->boundary, "ABC.123/mx.example.org"), "boundary");
    CHECK_INT(root->nchildren, 3, "root children");
    CHECK(mime_hdr_find(root->hdr, "subject", &v) &&
              slice_eq_ci(v, "Undelivered Mail Returned to Sender"),
          "root subject");
    const struct mime_part *txt = &m.parts[1];
    CHECK(slice_eq_ci(txt->charset, "us-ascii"), "charset");
    CHECK(txt->body.len && txt->body.p[txt->body.len - 1] == '\n', "text body keeps inner LF");
    CHECK(memcmp(txt->body.p + txt->body.len - 14, "be delivered.\n", 14) == 0,
          "line end before boundary dropped");
    const struct mime_part *ds = &m.parts[2];
    CHECK(ds->kind == MIME_K_DSN, "dsn kind");
    CHECK(ds->body.len > 0 && memcmp(ds->body.p, "Reporting-MTA:", 14) == 0, "dsn body start");
    CHECK(memcmp(ds->body.p + ds->body.len - 14, "Status: 5.1.1\n", 14) == 0, "dsn body end");
    const struct mime_part *msg = &m.parts[3];
    CHECK(msg->kind == MIME_K_MESSAGE && msg->first_child == 4, "rfc822 child");
    CHECK_INT(m.parts[1].next_sibling, 2, "sibling 1");
    CHECK_INT(m.parts[2].next_sibling, 3, "sibling 2");
    CHECK_INT(m.parts[3].next_sibling, -1, "sibling 3");
    CHECK_INT(m.parts[4].parent, 3, "parent");
    CHECK(msg->body.len > 7 && memcmp(msg->body.p + msg->body.len - 7, "\nhello\n", 7) == 0,
          "rfc822 body ends like its child's, before the boundary's line end");
    struct slice ih = mime_part_inner_hdr(&m, msg);
    CHECK(mime_hdr_find(ih, "Message-ID", &v) && slice_eq_ci(v, "<abc@example.com>"),
          "inner message-id");
    CHECK(mime_hdr_find(ih, "list-id", &v) && slice_eq_ci(v, "<news.example.com>"), "list-id");
    CHECK(mime_hdr_find(ih, "DKIM-Signature", &v), "dkim present");
    buf_reset(&b);
    CHECK(mime_hdr_unfold(v.p, v.len, &b) == RB_OK, "unfold rc");
    CHECK_STR(b.p, "v=1; a=rsa-sha256; d=example.com; s=sel1;\tb=xyz", "unfold dkim");
    CHECK(mime_hdr_find(ih, "subject", &v), "inner subject");
    buf_reset(&b);
    CHECK(mime_hdr_decode(CV, v.p, v.len, &b) == RB_OK, "decode rc");
    CHECK_STR(b.p, "Grüße aus Köln", "inner subject decoded");
    buf_reset(&b);
    CHECK(mime_decode_text(CV, &m.parts[4], &b, NULL) == RB_OK, "inner body");
    CHECK_STR(b.p, "hello\n", "inner body text");
    CHECK(!mime_hdr_find(ih, "X-Nope", &v), "absent header");
    /* header iteration */
    struct mime_hdr_iter it;
    struct slice n;
    int count = 0;
    mime_hdr_iter_init(&it, ih);
    while (mime_hdr_next(&it, &n, &v))
        count++;
    CHECK_INT(count, 6, "inner header count");
    buf_free(&b);
}

/* ---- decoders --------------------------------------------------------------------------- */

struct dec_case {
    const char *name;
    int kind; /* 'b' base64, 'q' qp, 'h' header, 'c' charset (cs = charset) */
    const char *cs;
    const char *in;
    const char *want;
    unsigned defect; /* must be set (0 = none must be set) */
};

static const struct dec_case dec_cases[] = {
    {"b64 plain", 'b', NULL, "aGVsbG8gd29ybGQ=", "hello world", 0},
    {"b64 lines", 'b', NULL, "aGVs\r\nbG8g\nd29y bGQ=\n", "hello world", 0},
    {"b64 no pad", 'b', NULL, "eHB0bw", "xpto", 0},
    {"b64 garbage", 'b', NULL, "aGV*sbG8!", "hello", MIME_D_BAD_BASE64},
    {"b64 concat", 'b', NULL, "QQ==QkM=", "ABC", 0},
    {"b64 empty", 'b', NULL, "", "", 0},
    {"qp basic", 'q', NULL, "caf=C3=A9 =3D ok", "café = ok", 0},
    {"qp soft", 'q', NULL, "long=\r\nline=  \nend", "longlineend", 0},
    {"qp lower hex", 'q', NULL, "=c3=a9", "é", 0},
    {"qp bad", 'q', NULL, "a=ZZb=", "a=ZZb", MIME_D_BAD_QP},
    {"hdr plain", 'h', NULL, "Hello  world", "Hello  world", 0},
    {"hdr fold", 'h', NULL, "Hello\r\n world", "Hello world", 0},
    {"hdr q latin1", 'h', NULL, "=?iso-8859-1?q?Gr=FC=DFe_aus_K=F6ln?=", "Grüße aus Köln", 0},
    {"hdr b utf8", 'h', NULL, "=?UTF-8?B?0J/RgNC40LLQtdGCINC80LjRgA==?=", "Привет мир", 0},
    {"hdr adjacent", 'h', NULL, "=?utf-8?q?a?= \r\n =?utf-8?q?b?= c =?utf-8?q?d?=", "ab c d", 0},
    {"hdr split char", 'h', NULL, "=?utf-8?B?5pel?= =?utf-8?B?5pys6Kqe?=", "日本語", 0},
    {"hdr split mid char", 'h', NULL, "=?utf-8?B?5pe=?= =?utf-8?B?pQ==?=", "日", 0},
    {"hdr iso-2022-jp", 'h', NULL, "=?ISO-2022-JP?B?GyRCRnxLXDhsJUYlOSVIGyhC?=", "日本語テスト", 0},
    {"hdr shift_jis", 'h', NULL, "=?Shift_JIS?B?k/qWe4zqg2WDWINn?=", "日本語テスト", 0},
    {"hdr lang", 'h', NULL, "=?utf-8*en?q?hi?=", "hi", 0},
    {"hdr raw utf8", 'h', NULL, "Grüße", "Grüße", 0},
    {"hdr raw latin1", 'h', NULL,
     "Gr\xfc\xdf"
     "e",
     "Grüße", 0},
    {"hdr not a word", 'h', NULL, "a =?x?z?y?= b", "a =?x?z?y?= b", 0},
    {"hdr unknown cs", 'h', NULL, "=?x-nonesuch?q?abc?=", "abc", 0},
    {"cs latin1", 'c', "iso-8859-1", "caf\xe9", "café", 0},
    {"cs sjis", 'c', "shift_jis", "\x83\x65\x83\x58\x83\x67", "テスト", 0},
    {"cs ascii fast", 'c', "windows-1252", "plain", "plain", 0},
    {"cs utf8 invalid", 'c', "utf-8",
     "a\xff"
     "b",
     "a\xEF\xBF\xBD"
     "b",
     MIME_D_BAD_CHARSET},
    {"cs unknown", 'c', "x-bogus", "caf\xe9", "café", MIME_D_BAD_CHARSET},
    {"cs bad sjis", 'c', "shift_jis", "a\x81", "a\xEF\xBF\xBD", MIME_D_BAD_CHARSET},
};

static void test_decoders(void)
{
    struct buf b;
    buf_init(&b, 1 << 16, NULL);
    for (size_t i = 0; i < sizeof dec_cases / sizeof dec_cases[0]; i++) {
        const struct dec_case *dc = &dec_cases[i];
        uint32_t d = 0;
        int rc = RB_OK;
        buf_reset(&b);
        size_t n = strlen(dc->in);
        switch (dc->kind) {
        case 'b':
            rc = mime_decode_base64(dc->in, n, &b, &d);
            break;
        case 'q':
            rc = mime_decode_qp(dc->in, n, &b, &d);
            break;
        case 'h':
            rc = mime_hdr_decode(CV, dc->in, n, &b);
            break;
        default:
            rc = mime_charset_to_utf8(CV, dc->cs, strlen(dc->cs), dc->in, n, &b, &d);
        }
        CHECK_INT(rc, RB_OK, dc->name);
        CHECK_STR(b.p ? b.p : "", dc->want, dc->name);
        if (dc->defect)
            CHECK(d & dc->defect, "%s: defect %#x not set (%#x)", dc->name, dc->defect, d);
        else if (dc->kind != 'h')
            CHECK(d == 0, "%s: unexpected defect %#x", dc->name, d);
    }
    /* cap: decoding beyond the buf cap fails cleanly */
    struct buf small;
    buf_init(&small, 4, NULL);
    CHECK_INT(mime_decode_base64("aGVsbG8gd29ybGQ=", 16, &small, NULL), RB_ETOOBIG, "b64 cap");
    buf_free(&small);
    buf_init(&small, 5, NULL);
    CHECK_INT(mime_decode_base64("aGVs\n\n\n\n\n\n\n\nbG8=", 17, &small, NULL), RB_OK,
              "b64 fits after stripping");
    CHECK_STR(small.p, "hello", "b64 chunked");
    buf_free(&small);
    buf_free(&b);
}

/* decode_text on parts: base64 + charset, QP + charset */
static void test_text_parts(void)
{
    static const char in[] =
        "Content-Type: multipart/mixed; boundary=z\n\n"
        "--z\nContent-Type: text/plain; charset=\"ISO-2022-JP\"\n"
        "Content-Transfer-Encoding: base64\n\nGyRCRnxLXDhsJUYlOSVIGyhC\n"
        "--z\nContent-Type: text/plain; charset=iso-8859-1\n"
        "Content-Transfer-Encoding: quoted-printable\n\nGr=FC=DFe=\n aus K=F6ln\n"
        "--z\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        "Привет\n--z--\n";
    struct mime_msg m;
    struct buf b;
    buf_init(&b, 1 << 16, NULL);
    mime_msg_init_static(&m, g_parts, MIME_MAX_PARTS);
    CHECK_INT(mime_parse(&m, in, sizeof in - 1), RB_OK, "text parts");
    CHECK_INT(m.nparts, 4, "text parts count");
    CHECK(m.parts[1].cte == MIME_CTE_BASE64 && m.parts[2].cte == MIME_CTE_QP &&
              m.parts[3].cte == MIME_CTE_8BIT,
          "ctes");
    CHECK(mime_decode_text(CV, &m.parts[1], &b, NULL) == RB_OK, "jp rc");
    CHECK_STR(b.p, "日本語テスト", "jp text");
    buf_reset(&b);
    CHECK(mime_decode_text(CV, &m.parts[2], &b, NULL) == RB_OK, "qp rc");
    CHECK_STR(b.p, "Grüße aus Köln", "qp text");
    buf_reset(&b);
    CHECK(mime_decode_text(CV, &m.parts[3], &b, NULL) == RB_OK, "utf8 rc");
    CHECK_STR(b.p, "Привет", "utf8 text");
    buf_free(&b);
}

/* ---- limits ----------------------------------------------------------------------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_limits(void)
{
    struct mime_msg m;
    struct buf in;
    int rc = RB_OK;
    CHECK_INT(mime_msg_init(&m, 0, NULL), RB_OK, "msg init");
    buf_init(&in, (size_t)200 << 20, NULL);

    /* 1,000-deep nesting */
    for (int i = 0; i < 1000 && rc == RB_OK; i++)
        rc = buf_printf(&in, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
    rc = buf_puts(&in, "\nleaf\n");
    double t0 = now();
    CHECK_INT(mime_parse(&m, in.p, in.len), RB_OK, "deep");
    CHECK(m.defects & MIME_D_DEPTH, "deep: depth defect");
    CHECK_INT(m.nparts, MIME_MAX_DEPTH, "deep: parts");
    unsigned maxd = 0;
    for (size_t i = 0; i < m.nparts; i++)
        maxd = m.parts[i].depth > maxd ? m.parts[i].depth : maxd;
    CHECK(maxd < MIME_MAX_DEPTH, "deep: max depth %u", maxd);

    /* 1,000-deep message/rfc822 */
    buf_reset(&in);
    for (int i = 0; i < 1000; i++)
        rc = buf_puts(&in, "Content-Type: message/rfc822\n\n");
    CHECK_INT(mime_parse(&m, in.p, in.len), RB_OK, "deep rfc822");
    CHECK(m.defects & MIME_D_DEPTH, "deep rfc822: depth defect");

    /* 10,000 parts */
    buf_reset(&in);
    rc = buf_puts(&in, "Content-Type: multipart/mixed; boundary=p\n\n");
    for (int i = 0; i < 10000; i++)
        rc = buf_puts(&in, "--p\nContent-Type: text/plain\n\nx\n");
    rc = buf_puts(&in, "--p--\n");
    CHECK_INT(mime_parse(&m, in.p, in.len), RB_OK, "many");
    CHECK(m.defects & MIME_D_PARTS, "many: parts defect");
    CHECK_INT(m.nparts, MIME_MAX_PARTS, "many: capped");

    /* 100 MB message with a huge base64 body and many near-boundary lines */
    buf_reset(&in);
    rc = buf_puts(&in, "Content-Type: multipart/mixed; boundary=\"");
    for (int i = 0; i < 60; i++)
        rc = buf_putc(&in, 'q');
    rc = buf_puts(&in, "\"\n\n--");
    for (int i = 0; i < 60; i++)
        rc = buf_putc(&in, 'q');
    rc = buf_puts(&in, "\nContent-Transfer-Encoding: base64\n\n");
    while (in.len < ((size_t)100 << 20) && rc == RB_OK)
        rc = buf_puts(&in, "--qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqX\n"
                           "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n");
    CHECK_INT(rc, RB_OK, "100MB build");
    double t1 = now();
    CHECK_INT(mime_parse(&m, in.p, in.len), RB_OK, "100MB");
    double t2 = now();
    CHECK_INT(m.nparts, 2, "100MB parts");
    CHECK(m.defects & MIME_D_NO_END_BOUNDARY, "100MB: no end");
    struct buf out;
    buf_init(&out, (size_t)1 << 20, NULL);
    CHECK_INT(mime_decode_body(&m.parts[1], &out, NULL), RB_ETOOBIG, "100MB decode capped");
    buf_free(&out);
    CHECK(t2 - t1 < 2.0, "100MB parse took %.2fs", t2 - t1);
    CHECK(t1 - t0 < 5.0, "limit cases took %.2fs", t1 - t0);
    buf_free(&in);
    mime_msg_free(&m);
    mime_msg_free(&m); /* idempotent */

    /* static storage smaller than the message */
    struct mime_part few[2];
    mime_msg_init_static(&m, few, 2);
    CHECK_INT(mime_parse(&m, DSN, strlen(DSN)), RB_OK, "few");
    CHECK_INT(m.nparts, 2, "few parts");
    CHECK(m.defects & MIME_D_PARTS, "few defect");
    CHECK_INT(mime_parse(NULL, "", 0), RB_EINVAL, "null msg");
}

/* ---- fixture files ---------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *p = malloc(1 << 20);
    *len = p ? fread(p, 1, 1 << 20, f) : 0;
    fclose(f);
    return p;
}

struct file_case {
    const char *file;
    const char *want;
    const char *subject; /* decoded Subject of the first embedded message, or NULL */
};

static const struct file_case file_cases[] = {
    {"dsn-crlf.eml",
     "0:multipart/report 1:text/plain 1:message/delivery-status 1:text/rfc822-headers", "テスト"},
    {"nested-rfc822.eml",
     "0:multipart/mixed 1:text/plain 1:message/rfc822 2:multipart/report 3:text/plain "
     "3:message/delivery-status 3:message/rfc822 4:text/plain",
     "inner"},
};

static void test_files(const char *dir)
{
    struct mime_msg m;
    struct buf b;
    char got[2048], path[1024];
    buf_init(&b, 1 << 16, NULL);
    mime_msg_init_static(&m, g_parts, MIME_MAX_PARTS);
    for (size_t i = 0; i < sizeof file_cases / sizeof file_cases[0]; i++) {
        const struct file_case *fc = &file_cases[i];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, fc->file);
        char *p = slurp(path, &len);
        CHECK(p != NULL, "read %s", path);
        if (!p)
            continue;
        mime_parse(&m, p, len);
        CHECK_STR(shape(&m, got, sizeof got), fc->want, fc->file);
        for (size_t k = 0; k < m.nparts && fc->subject; k++) {
            struct slice ih = mime_part_inner_hdr(&m, &m.parts[k]), v;
            if (!ih.len)
                continue;
            buf_reset(&b);
            CHECK(mime_hdr_find(ih, "Subject", &v), "%s: inner subject", fc->file);
            CHECK(mime_hdr_decode(CV, v.p, v.len, &b) == RB_OK, "decode");
            CHECK_STR(b.p, fc->subject, fc->file);
            break;
        }
        free(p);
    }
    buf_free(&b);
}

/* the cvt cache: more charsets than slots, each used repeatedly, must stay correct */
static void test_cvt(void)
{
    static const struct {
        const char *cs, *in, *want;
    } t[] = {
        {"shift_jis", "\x83\x65", "テ"},         {"euc-jp", "\xa5\xc6", "テ"},
        {"iso-2022-jp", "\x1b$B%F\x1b(B", "テ"}, {"koi8-r", "\xf0", "П"},
        {"windows-1251", "\xcf", "П"},           {"gb2312", "\xc4\xe3", "你"},
    };
    struct buf b;
    buf_init(&b, 1 << 10, NULL);
    mime_cvt_init(&g_cv);
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
            buf_reset(&b);
            CHECK_INT(mime_charset_to_utf8(&g_cv, t[i].cs, strlen(t[i].cs), t[i].in,
                                           strlen(t[i].in), &b, NULL),
                      RB_OK, t[i].cs);
            CHECK_STR(b.p, t[i].want, t[i].cs);
        }
    /* a truncated stateful sequence must not leak state into the next use */
    buf_reset(&b);
    CHECK_INT(mime_charset_to_utf8(&g_cv, "iso-2022-jp", 11, "\x1b$B%", 4, &b, NULL), RB_OK,
              "2022 trunc");
    buf_reset(&b);
    CHECK_INT(mime_charset_to_utf8(&g_cv, "iso-2022-jp", 11, "AB", 2, &b, NULL), RB_OK,
              "2022 after");
    CHECK_STR(b.p, "AB", "2022 state reset");
    buf_reset(&b);
    CHECK_INT(mime_charset_to_utf8(&g_cv, "iso-2022-jp", 11, "\x1b$B%F\x1b(BA", 9, &b, NULL), RB_OK,
              "2022 again");
    CHECK_STR(b.p, "テA", "2022 again text");
    mime_cvt_free(&g_cv);
    mime_cvt_free(&g_cv); /* idempotent */
    mime_cvt_free(NULL);
    buf_free(&b);
}

int main(int argc, char **argv)
{
    test_trees();
    test_dsn();
    test_decoders();
    test_text_parts();
    /* again with a conversion cache */
    mime_cvt_init(&g_cv);
    g_cvp = &g_cv;
    test_dsn();
    test_decoders();
    test_text_parts();
    g_cvp = NULL;
    mime_cvt_free(&g_cv);
    test_cvt();
    test_limits();
    test_files(argc > 1 ? argv[1] : "tests/data/mime");
    return harness_done();
}
