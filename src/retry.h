/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * retry.h - retry advice for temporary failures: when to try again, when to give up.
 *
 * DESCRIPTION
 *   retry_advise() fits the backoff to the cause the verdict names:
 *   - greylisting: minutes (5, 15, 30 min, then doubling from 1 h);
 *   - rate limit / throttling / too many connections: hours (1, 2, 4, then every 6 h);
 *   - anything else temporary: exponential from 15 min, doubling, at most 6 h apart;
 *   all bounded by the horizon (72 h by default) from the first failure: an attempt that
 *   would fall after it is not advised (give up). A permanent failure is never retried.
 *   Attempt n's time is first_failure + the sum of the first n delays, so the schedule does
 *   not drift with the time the caller asks.
 *
 * LIMITS
 *   attempt is clamped to RETRY_MAX_ATTEMPT; horizon_hours to 1..8760.
 *
 * SEE ALSO
 *   suppress.h (the soft-bounce rule that suppresses after days), docs/store.md
 */
#ifndef RB_RETRY_H
#define RB_RETRY_H

#include <stdbool.h>

#include "rebound.h"

#define RETRY_MAX_ATTEMPT 10000

struct retry_advice {
    bool retry;           /* false: do not retry (permanent, or past the horizon) */
    const char *schedule; /* static: "greylisting", "rate-limit", "backoff", "none" */
    long long delay;      /* seconds between the attempt that failed and the next (0 if none) */
    long long next_at;    /* Unix time of the next attempt (0 when !retry) */
    long long give_up_at; /* first_failure + horizon (0 for a permanent failure) */
};

/* retry_advise - advice after the attempt-th failed attempt (1 = the first failure, made at
 * first_failure) of a message whose last reply got verdict v. Returns RB_OK, or RB_EINVAL
 * when v or out is NULL or attempt is 0. */
int retry_advise(const rb_verdict *v, unsigned attempt, long long first_failure,
                 unsigned horizon_hours, struct retry_advice *out);

#endif /* RB_RETRY_H */
