/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_main.c - a main() for any libFuzzer target, so its saved inputs (tests/regress/TARGET/)
 * replay through the target's own entry point in the ordinary sanitizer build, without
 * libFuzzer: CMake links it with every fuzz/fuzz_*.c as replay_fuzz_*.
 *   usage: replay_fuzz_NAME FILE...
 */
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            return 2;
        }
        size_t cap = 1 << 16, n = 0, got;
        unsigned char *p = malloc(cap);
        while (p && (got = fread(p + n, 1, cap - n, f)) > 0) {
            n += got;
            if (n == cap) {
                unsigned char *q = realloc(p, cap *= 2);
                if (!q)
                    free(p);
                p = q;
            }
        }
        fclose(f);
        if (!p)
            return 2;
        LLVMFuzzerTestOneInput(p, n);
        free(p);
    }
    return 0;
}
