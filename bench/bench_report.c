/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_report.c - where the time of a report over a store goes.
 *
 * USAGE
 *   bench_report DB
 *
 * DESCRIPTION
 *   Three passes over the same store, each timed: the scan alone (rows decoded by SQLite,
 *   an empty callback: the floor of any report), the report one thread (scan and count in
 *   turn), and report_add_store (scanner threads, as `rebound report` does),
 *   each followed by report_finish. Prints events/s of each and their ratios.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "report.h"
#include "store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_only(const struct store_event *e, void *ud)
{
    (void)e;
    ++*(unsigned long long *)ud;
    return 0;
}

static int add_one(const struct store_event *e, void *ud)
{
    return report_add_stored(ud, e) == RB_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_report DB\n");
        return 2;
    }
    struct store_open_opts ro = {.readonly = true, .busy_timeout_ms = 1000};
    struct store *s;
    if (store_open(&s, argv[1], &ro, NULL) != RB_OK) {
        fprintf(stderr, "bench_report: %s\n", s ? store_error(s) : "cannot open");
        return 1;
    }
    unsigned long long n = 0;
    const struct store_iter brief = {.flags = STORE_ITER_UNORDERED | STORE_ITER_BRIEF};
    double t0 = now_s();
    int rc = store_events_iterate(s, &brief, count_only, &n);
    double scan = now_s() - t0;
    struct report *r;
    if (rc == RB_OK)
        rc = report_new(&r, NULL);
    t0 = now_s();
    if (rc == RB_OK)
        rc = store_events_iterate(s, &brief, add_one, r);
    if (rc == RB_OK)
        rc = report_finish(r);
    double one = now_s() - t0;
    report_free(r);
    unsigned long long n2 = 0;
    if (rc == RB_OK)
        rc = report_new(&r, NULL);
    t0 = now_s();
    if (rc == RB_OK)
        rc = report_add_store(r, s, 0, 0, &n2);
    if (rc == RB_OK)
        rc = report_finish(r);
    double two = now_s() - t0;
    report_free(r);
    if (rc != RB_OK) {
        fprintf(stderr, "bench_report: %s\n", store_error(s));
        return 1;
    }
    store_close(s);
    printf("scan only (floor): %llu events in %.2f s = %.0f events/s\n", n, scan, (double)n / scan);
    printf("report, one thread: %.2f s = %.0f events/s (%.2fx the scan's time)\n", one,
           (double)n / one, one / scan);
    printf("report, scanner threads (rebound report): %.2f s = %.0f events/s (%.2fx the scan's "
           "time)\n",
           two, (double)n2 / two, two / scan);
    return 0;
}
