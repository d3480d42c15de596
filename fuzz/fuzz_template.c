/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_template.c - libFuzzer target for response templates (src/report_template.c).
 *
 * DESCRIPTION
 *   The whole input is the reply text; its first byte also picks one extra output cap. The
 *   text is templated once into a buffer of 3n + 16 bytes (a placeholder is at most three
 *   times what it replaces: "1" gives "<n>"), which must hold it uncut, then again with caps
 *   0, 1, 2, 7, 64, 384 and the picked one, each into a heap block of exactly cap bytes so
 *   ASan sees any write past it. Checks: cap 0 writes nothing and returns 0; otherwise the
 *   length is below cap, out[len] is NUL and the text is a prefix of the uncut template.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report_template.h"

static void check_cap(const char *p, size_t n, size_t cap, const char *full, size_t full_len)
{
    char *out = malloc(cap ? cap : 1);
    if (!out)
        abort();
    if (cap == 0) {
        out[0] = 'X';
        if (report_template(p, n, out, 0) != 0 || out[0] != 'X' ||
            report_template(p, n, NULL, 0) != 0)
            abort();
        free(out);
        return;
    }
    size_t len = report_template(p, n, out, cap);
    if (len >= cap || out[len] != '\0' || len > full_len || memcmp(out, full, len) != 0)
        abort();
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[] = {0, 1, 2, 7, 64, 384};
    const char *p = (const char *)data;
    size_t big = 3 * size + 16;
    char *full = malloc(big);
    if (!full)
        abort();
    size_t full_len = report_template(p, size, full, big);
    if (full_len + 1 >= big || full[full_len] != '\0' || strlen(full) != full_len)
        abort(); /* cut although the buffer is large enough; or a NUL inside the template */
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
        check_cap(p, size, caps[i], full, full_len);
    check_cap(p, size, size ? (size_t)data[0] : 3, full, full_len);
    free(full);
    return 0;
}
