/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_ingest_json.c - libFuzzer target for the JSON event reader (splitter, jansson parse,
 * SES/SendGrid/Mailgun/Postmark/SparkPost/Mandrill/KumoMTA decoders) through rb_ingest with
 * --format json forced.
 *
 * DESCRIPTION
 *   Input byte 0 chooses where the rest is split into two rb_ingest_feed chunks (so a line or
 *   a document straddles the chunk boundary) and, with its top bit, strict mode; then the
 *   input ends (rb_ingest_end) and the same bytes are fed again as a second input, which
 *   must find the reader's state reset. Every event must be well formed: strings non-NULL
 *   and bounded, the kind in range, suppress-recipient only for recipient-scoped verdicts.
 *   Seed with tests/golden/ingest/{ses,sendgrid,mailgun,postmark,sparkpost,mandrill,
 *   kumomta,json}*.in and ../shared/corpus/logs/esp/.
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
    if ((unsigned)e->kind >= RB_EVENT__COUNT || e->kind == RB_EVENT_UNKNOWN)
        abort(); /* the JSON reader never emits an event of unknown kind */
    if (!e->recipient[0])
        abort(); /* events without a recipient are skipped */
    if (e->verdict.remedy == RB_REMEDY_SUPPRESS_RECIPIENT && e->verdict.scope != RB_SCOPE_RECIPIENT)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cls && rb_classifier_new(&cls, NULL) != RB_OK)
        abort();
    if (size < 1)
        return 0;
    unsigned char opt = data[0];
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    rb_ingest_opts o;
    memset(&o, 0, sizeof o);
    o.format = "json";
    o.strict = (opt & 0x80) != 0;
    rb_ingest *ig;
    if (rb_ingest_new(cls, &o, &ig) != RB_OK)
        abort();
    for (int round = 0; round < 2; round++) {
        size_t cut = n ? (size_t)(opt & 0x7f) * n / 127 : 0;
        int rc = rb_ingest_feed(ig, p, cut, check, NULL);
        if (rc == RB_OK)
            rc = rb_ingest_feed(ig, p + cut, n - cut, check, NULL);
        if (rc == RB_OK)
            rc = rb_ingest_end(ig, check, NULL);
        else
            (void)rb_ingest_end(ig, check, NULL);
        if (rc != RB_OK && rc != RB_EPARSE && rc != RB_ENOMEM)
            abort();
        if (rc == RB_EPARSE && !o.strict)
            abort();
    }
    rb_ingest_free(ig);
    return 0;
}
