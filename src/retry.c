/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * retry.c - backoff schedules fitted to the cause of a temporary failure.
 *
 * DESCRIPTION
 *   See retry.h. Greylisting wants a retry after the greylist window (typically 1-15 min,
 *   RFC 6647 section 2.1), so short delays pass it at once; a rate limit or throttle is
 *   made worse by early retries, so the delays are hours; the rest (timeouts, receiver
 *   errors, mailbox full) back off exponentially as MTAs do.
 *
 * LIMITS
 *   See retry.h.
 */
#include <string.h>

#include "retry.h"

#define MIN 60LL
#define HOUR 3600LL

static const long long grey_first[] = {5 * MIN, 15 * MIN, 30 * MIN};
static const long long rate_first[] = {1 * HOUR, 2 * HOUR, 4 * HOUR};

/* delay_of - seconds before attempt n+1 after the n-th failure (n >= 1) */
static long long delay_of(const char *schedule, unsigned n)
{
    if (strcmp(schedule, "greylisting") == 0) {
        if (n <= 3)
            return grey_first[n - 1];
        n -= 3; /* then 1 h, 2 h, 4 h ... like the generic backoff */
        long long d = HOUR;
        while (--n && d < 6 * HOUR)
            d *= 2;
        return d < 6 * HOUR ? d : 6 * HOUR;
    }
    if (strcmp(schedule, "rate-limit") == 0)
        return n <= 3 ? rate_first[n - 1] : 6 * HOUR;
    long long d = 15 * MIN;
    while (--n && d < 6 * HOUR)
        d *= 2;
    return d < 6 * HOUR ? d : 6 * HOUR;
}

int retry_advise(const rb_verdict *v, unsigned attempt, long long first_failure,
                 unsigned horizon_hours, struct retry_advice *out)
{
    if (!v || !out || attempt == 0)
        return RB_EINVAL;
    memset(out, 0, sizeof *out);
    out->schedule = "none";
    if (v->permanent || v->category == RB_CAT_DELIVERED)
        return RB_OK; /* a 5xx is final (RFC 5321 4.2.1); a delivery needs no retry */
    if (attempt > RETRY_MAX_ATTEMPT)
        attempt = RETRY_MAX_ATTEMPT;
    if (horizon_hours < 1)
        horizon_hours = 1;
    if (horizon_hours > 8760)
        horizon_hours = 8760;
    if (v->category == RB_CAT_GREYLISTING)
        out->schedule = "greylisting";
    else if (v->category == RB_CAT_RATE_LIMIT || v->remedy == RB_REMEDY_SLOW_DOWN ||
             v->reason == RB_REASON_SPEEDING || v->reason == RB_REASON_TOOMANYCONN)
        out->schedule = "rate-limit";
    else
        out->schedule = "backoff";
    out->give_up_at = first_failure + (long long)horizon_hours * HOUR;
    long long at = first_failure;
    for (unsigned n = 1; n <= attempt; n++) {
        out->delay = delay_of(out->schedule, n);
        at += out->delay;
        if (at > out->give_up_at)
            break; /* further attempts fall past the horizon too */
    }
    if (at > out->give_up_at) {
        out->delay = 0;
        return RB_OK; /* give up */
    }
    out->retry = true;
    out->next_at = at;
    return RB_OK;
}
