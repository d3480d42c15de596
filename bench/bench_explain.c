/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_explain.c - classification throughput of librebound on a file of reply lines.
 *
 * DESCRIPTION
 *   Reads FILE into memory, then classifies every line (rb_explain) and prints lines/s and
 *   MB/s for the classification alone (no I/O, no output formatting), one thread.
 *   usage: bench_explain FILE [REPEAT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rebound.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_explain FILE [REPEAT]\n");
        return 2;
    }
    int repeat = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 1;
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)sz + 1);
    if (!data || fread(data, 1, (size_t)sz, f) != (size_t)sz) {
        perror("read");
        return 1;
    }
    fclose(f);
    rb_classifier *c;
    rb_scratch *s;
    double t0 = now();
    if (rb_classifier_new(&c, NULL) != RB_OK || rb_scratch_new(c, &s) != RB_OK) {
        fprintf(stderr, "classifier failed\n");
        return 1;
    }
    double t_start = now() - t0;
    long lines = 0, reasons[RB_REASON__COUNT] = {0};
    double t1 = now();
    for (int r = 0; r < repeat; r++) {
        char *p = data, *end = data + sz;
        while (p < end) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            rb_verdict v;
            if (rb_explain(s, p, n, &v) != RB_OK)
                return 1;
            reasons[v.reason]++;
            lines++;
            p += n + 1;
        }
    }
    double dt = now() - t1;
    long undefined = reasons[RB_REASON_UNDEFINED];
    printf("classify: %ld lines in %.3f s = %.0f lines/s, %.1f MB/s (start-up %.1f ms, "
           "%ld undefined)\n",
           lines, dt, (double)lines / dt, (double)sz * repeat / dt / 1e6, t_start * 1e3, undefined);
    rb_scratch_free(s);
    rb_classifier_free(c);
    free(data);
    return 0;
}
