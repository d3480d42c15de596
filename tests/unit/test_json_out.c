/* SPDX-License-Identifier: BSD-2-Clause */
/* test_json_out.c - JSON escaping keeps output valid for any input bytes. */
#include <string.h>

#include "harness.h"
#include "json_out.h"

static const struct {
    const char *name;
    const char *in;
    size_t len;
    const char *want;
} cases[] = {
    {"plain", "abc", 3, "\"abc\""},
    {"quote and backslash", "a\"b\\c", 5, "\"a\\\"b\\\\c\""},
    {"controls", "a\nb\tc\r\x01", 7, "\"a\\nb\\tc\\r\\u0001\""},
    {"nul byte", "a\0b", 3, "\"a\\u0000b\""},
    {"utf8 kept", "caf\xc3\xa9", 5, "\"caf\xc3\xa9\""},
    {"invalid utf8 replaced",
     "a\xff"
     "b",
     3,
     "\"a\xef\xbf\xbd"
     "b\""},
    {"truncated utf8", "a\xe2\x82", 3, "\"a\xef\xbf\xbd\xef\xbf\xbd\""},
    {"overlong", "\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\""},
    {"surrogate", "\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
    {"4-byte", "\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\""},
};

int main(void)
{
    struct buf b;
    buf_init(&b, 1 << 16, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf_reset(&b);
        CHECK_INT(json_str(&b, cases[i].in, cases[i].len), RB_OK, cases[i].name);
        CHECK_STR(b.p, cases[i].want, cases[i].name);
    }
    buf_reset(&b);
    int first = 1;
    CHECK_INT(json_key_int(&b, &first, "a", 5), RB_OK, "key int");
    CHECK_INT(json_key_str(&b, &first, "b", NULL), RB_OK, "key null");
    CHECK_INT(json_key_bool(&b, &first, "c", 1), RB_OK, "key bool");
    CHECK_STR(b.p, "\"a\":5,\"b\":null,\"c\":true", "pairs");
    buf_free(&b);
    return harness_done();
}
