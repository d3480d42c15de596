/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_bounce.c - libFuzzer target for the whole bounce decoder (MIME, DSN, ARF, dialects,
 * generic text reader, classification) through rb_parse_message.
 *
 * DESCRIPTION
 *   The input is one message. Every record must be well formed: strings non-NULL and
 *   NUL-terminated within bounds, the safety invariant holds. Seed with the corpus
 *   (../shared/corpus/sisimai/maildir/bsd).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rebound.h"

static rb_classifier *cls;
static rb_parser *par;

static int check(const rb_record *r, void *ud)
{
    (void)ud;
    const char *fields[] = {r->recipient,      r->addresser, r->senderdomain, r->destination,
                            r->diagnosticcode, r->action,    r->lhost,        r->rhost,
                            r->smtpagent,      r->messageid, r->subject,      r->listid,
                            r->feedbacktype};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!fields[i] || strlen(fields[i]) > (64u << 20))
            abort();
    if (r->verdict.remedy == RB_REMEDY_SUPPRESS_RECIPIENT && r->verdict.scope != RB_SCOPE_RECIPIENT)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cls) {
        if (rb_classifier_new(&cls, NULL) != RB_OK || rb_parser_new(cls, &par) != RB_OK)
            abort();
    }
    int rc = rb_parse_message(par, (const char *)data, size, check, NULL);
    if (rc != RB_OK && rc != RB_ENOMEM)
        abort();
    return 0;
}
