/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_parse.c - bounce decoding throughput of librebound on one mbox, one thread.
 *
 * DESCRIPTION
 *   Reads the whole file into memory, then decodes every message REPEAT times (message
 *   splitting + rb_parse_message, records counted, no output formatting) and prints
 *   emails/s, MB/s, records and peak RSS.
 *   usage: bench_parse MBOX [REPEAT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "msgsrc.h"
#include "rebound.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count(const rb_record *r, void *ud)
{
    (void)r;
    (*(long *)ud)++;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_parse MBOX [REPEAT]\n");
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
    rb_parser *p;
    if (rb_classifier_new(&c, NULL) != RB_OK || rb_parser_new(c, &p) != RB_OK)
        return 1;
    long msgs = 0, recs = 0;
    double t0 = now();
    for (int r = 0; r < repeat; r++) {
        struct msgsrc *src;
        if (msgsrc_open_mem(&src, data, (size_t)sz, "bench", NULL, NULL) != RB_OK)
            return 1;
        struct msgsrc_item it;
        int rc;
        while ((rc = msgsrc_next(src, &it)) != 1) {
            if (rc != RB_OK)
                continue;
            msgs++;
            if (rb_parse_message(p, it.p, it.len, count, &recs) != RB_OK)
                return 1;
        }
        msgsrc_close(src);
    }
    double dt = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("parse: %ld emails in %.3f s = %.0f emails/s, %.1f MB/s, %ld records, peak RSS %ld KB\n",
           msgs, dt, (double)msgs / dt, (double)sz * repeat / dt / 1e6, recs, ru.ru_maxrss);
    rb_parser_free(p);
    rb_classifier_free(c);
    free(data);
    return 0;
}
