/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_ingest_logs.c - libFuzzer target for the MTA log and CSV readers of rb_ingest (postfix,
 * exim, sendmail, opensmtpd, haraka, powermta, csv with a column map, and auto-detection).
 *
 * DESCRIPTION
 *   Byte 0 picks the format (and strict mode), byte 1 where the rest is cut into two
 *   rb_ingest_feed calls (so lines and quoted CSV records cross the chunk boundary). The input
 *   is then fed again as a second input of the same rb_ingest, to exercise per-input resets
 *   and the queue cache across inputs. Every event must be well formed: strings non-NULL and
 *   NUL-terminated, a known kind. Seed with tests/golden/ingest/ and ../shared/corpus/logs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rebound.h"

static rb_classifier *cls;

static int check(const rb_event *e, void *ud)
{
    (void)ud;
    const char *fields[] = {e->format,         e->recipient, e->sender,         e->senderdomain,
                            e->destination,    e->rhost,     e->rhost_ip,       e->queueid,
                            e->messageid,      e->event_id,  e->campaign,       e->sending_ip,
                            e->sending_domain, e->vmta,      e->diagnosticcode, e->feedbacktype};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!fields[i] || strlen(fields[i]) > (8u << 20))
            abort();
    if ((unsigned)e->kind >= RB_EVENT__COUNT)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const formats[] = {"exim", "sendmail", "opensmtpd", "haraka", "powermta",
                                          "csv",  "auto",     "syslog",    "postfix"};
    if (!cls && rb_classifier_new(&cls, NULL) != RB_OK)
        abort();
    if (size < 2)
        return 0;
    rb_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.format = formats[(data[0] & 0x3f) % (sizeof formats / sizeof formats[0])];
    o.strict = (data[0] & 0x40) != 0;
    o.year = 2024;
    if (strcmp(o.format, "csv") == 0)
        o.map = (data[0] & 0x80) ? "recipient=Email,code=\"Bounce Code\",text=Reason,kind=Type,"
                                   "time=Date,campaign=Campaign,rhost=MX"
                                 : NULL;
    rb_ingest *ig = NULL;
    int rc = rb_ingest_new(cls, &o, &ig);
    if (rc != RB_OK) {
        if (rc != RB_ENOMEM)
            abort();
        rb_ingest_free(ig);
        return 0;
    }
    const char *p = (const char *)data + 2;
    size_t n = size - 2, cut = (size_t)data[1] * n / 255;
    for (int round = 0; round < 2; round++) {
        rc = rb_ingest_feed(ig, p, cut, check, NULL);
        if (rc == RB_OK)
            rc = rb_ingest_feed(ig, p + cut, n - cut, check, NULL);
        if (rc == RB_OK)
            rc = rb_ingest_end(ig, check, NULL);
        if (rc != RB_OK && rc != RB_EPARSE && rc != RB_ENOMEM)
            abort();
        if (rc != RB_OK)
            break;
    }
    rb_ingest_stats st;
    rb_ingest_get_stats(ig, &st);
    const char *reason;
    for (size_t i = 0; rb_ingest_skip_reason(ig, i, &reason, NULL, NULL); i++)
        if (!reason)
            abort();
    rb_ingest_free(ig);
    return 0;
}
