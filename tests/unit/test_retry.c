/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_retry.c - unit tests for the retry advice (src/retry.c).
 *
 * DESCRIPTION
 *   Table-driven over real replies (classified by the real classifier): the schedule chosen
 *   for the cause, the delay and next attempt time of attempt n, the give-up time at the
 *   horizon, no retry for permanent failures, and bad arguments.
 */
#include <string.h>

#include "harness.h"
#include "retry.h"

#define T0 1709460000LL
#define MIN 60LL
#define HOUR 3600LL

static const struct {
    const char *reply;
    unsigned attempt;
    unsigned horizon;
    int retry;
    const char *schedule;
    long long delay;   /* of this attempt */
    long long next_at; /* offset from T0, when retry */
} cases[] = {
    /* greylisting: minutes */
    {"450 4.7.1 greylisted, try again later", 1, 72, 1, "greylisting", 5 * MIN, 5 * MIN},
    {"450 4.7.1 greylisted, try again later", 2, 72, 1, "greylisting", 15 * MIN, 20 * MIN},
    {"450 4.7.1 greylisted, try again later", 3, 72, 1, "greylisting", 30 * MIN, 50 * MIN},
    {"450 4.7.1 greylisted, try again later", 4, 72, 1, "greylisting", HOUR, 50 * MIN + HOUR},
    {"450 4.7.1 greylisted, try again later", 5, 72, 1, "greylisting", 2 * HOUR,
     50 * MIN + 3 * HOUR},
    /* rate limit: hours */
    {"421 4.7.0 Try again later, closing connection. (TSS04)", 1, 72, 1, "rate-limit", HOUR, HOUR},
    {"421 4.7.0 Try again later, closing connection. (TSS04)", 3, 72, 1, "rate-limit", 4 * HOUR,
     7 * HOUR},
    {"421 4.7.0 Try again later, closing connection. (TSS04)", 4, 72, 1, "rate-limit", 6 * HOUR,
     13 * HOUR},
    /* others: exponential from 15 min, at most 6 h apart */
    {"451 4.4.1 connection timed out", 1, 72, 1, "backoff", 15 * MIN, 15 * MIN},
    {"451 4.4.1 connection timed out", 2, 72, 1, "backoff", 30 * MIN, 45 * MIN},
    {"451 4.4.1 connection timed out", 5, 72, 1, "backoff", 4 * HOUR, 465 * MIN},
    {"451 4.4.1 connection timed out", 6, 72, 1, "backoff", 6 * HOUR, 825 * MIN},
    {"452 4.2.2 The email account that you tried to reach is over quota", 1, 72, 1, "backoff",
     15 * MIN, 15 * MIN},
    /* past the horizon: give up. Backoff sums: 15, 45, 105, 225, 465, 825 min, then 6 h
     * more each: 72 h = 4320 min still holds attempt 15 (825 + 9 * 360 = 4065) but not 16 */
    {"451 4.4.1 connection timed out", 15, 72, 1, "backoff", 6 * HOUR, 4065 * MIN},
    {"451 4.4.1 connection timed out", 16, 72, 0, "backoff", 0, 0},
    {"451 4.4.1 connection timed out", 9999, 72, 0, "backoff", 0, 0},
    {"451 4.4.1 connection timed out", 2, 1, 1, "backoff", 30 * MIN, 45 * MIN},
    {"451 4.4.1 connection timed out", 3, 1, 0, "backoff", 0, 0},
    /* permanent: never */
    {"550 5.1.1 user unknown", 1, 72, 0, "none", 0, 0},
    {"550 5.7.1 blocked using zen.spamhaus.org", 1, 72, 0, "none", 0, 0},
};

int main(void)
{
    rb_classifier *c;
    rb_scratch *sc;
    if (rb_classifier_new(&c, NULL) != RB_OK || rb_scratch_new(c, &sc) != RB_OK) {
        fprintf(stderr, "cannot load the classifier\n");
        return 1;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rb_verdict v;
        char ctx[160];
        snprintf(ctx, sizeof ctx, "%.60s attempt %u", cases[i].reply, cases[i].attempt);
        CHECK(rb_explain(sc, cases[i].reply, strlen(cases[i].reply), &v) == RB_OK, "%s", ctx);
        struct retry_advice a;
        CHECK(retry_advise(&v, cases[i].attempt, T0, cases[i].horizon, &a) == RB_OK, "%s", ctx);
        CHECK_INT(a.retry, cases[i].retry, ctx);
        CHECK_STR(a.schedule, cases[i].schedule, ctx);
        CHECK_INT(a.delay, cases[i].delay, ctx);
        CHECK_INT(a.next_at, cases[i].retry ? T0 + cases[i].next_at : 0, ctx);
        if (strcmp(cases[i].schedule, "none") != 0)
            CHECK_INT(a.give_up_at, T0 + (long long)cases[i].horizon * HOUR, ctx);
        if (a.retry)
            CHECK(a.next_at <= a.give_up_at, "%s: next attempt after give-up", ctx);
    }
    rb_verdict v;
    struct retry_advice a;
    CHECK(rb_explain(sc, "451 4.4.1 timeout", 17, &v) == RB_OK, "explain");
    CHECK_INT(retry_advise(&v, 0, T0, 72, &a), RB_EINVAL, "attempt 0");
    CHECK_INT(retry_advise(NULL, 1, T0, 72, &a), RB_EINVAL, "NULL verdict");
    CHECK_INT(retry_advise(&v, 1, T0, 72, NULL), RB_EINVAL, "NULL out");
    rb_scratch_free(sc);
    rb_classifier_free(c);
    return harness_done();
}
