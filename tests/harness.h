/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * harness.h - the tiny table-driven test harness (Postfix PTEST style).
 *
 * DESCRIPTION
 *   CHECK(cond, fmt, ...) counts a pass or prints the failure with file:line and the message.
 *   harness_done() prints "N passed, N failed" and returns the process exit status, so every
 *   test binary ends with `return harness_done();`. One static counter per test binary: test
 *   programs are single-threaded.
 */
#ifndef RB_HARNESS_H
#define RB_HARNESS_H

#include <stdio.h>
#include <string.h>

static int harness_pass, harness_fail;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            harness_pass++;                                                                        \
        } else {                                                                                   \
            harness_fail++;                                                                        \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK_STR(got, want, ctx)                                                                  \
    CHECK(strcmp((got) ? (got) : "(null)", (want)) == 0, "%s: got '%s', want '%s'", (ctx),         \
          (got) ? (got) : "(null)", (want))

#define CHECK_INT(got, want, ctx)                                                                  \
    CHECK((long long)(got) == (long long)(want), "%s: got %lld, want %lld", (ctx),                 \
          (long long)(got), (long long)(want))

static inline int harness_done(void)
{
    printf("%d passed, %d failed\n", harness_pass, harness_fail);
    return harness_fail ? 1 : 0;
}

#endif /* RB_HARNESS_H */
