/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report_store.c - the bridge from stored events (store.h) to a report: one function, so
 *                  every front end (report from the store, from files, the server) counts
 *                  an event the same way.
 */
#include <string.h>

#include "report.h"
#include "store.h"

static const char *nz(const char *s)
{
    return s ? s : "";
}

int report_add_stored(struct report *r, const struct store_event *se)
{
    struct report_event e = {
        .time = se->time,
        .kind = se->kind,
        .recipient = nz(se->recipient),
        .domain = nz(se->domain),
        .provider = nz(se->provider),
        .replycode = se->replycode,
        .status = nz(se->status),
        .reason = se->reason,
        .category = se->category,
        .permanent = se->permanent,
        .auth = se->auth,
        .blocklist = nz(se->blocklist),
        .listed = nz(se->listed),
        .campaign = nz(se->campaign),
        .sending_ip = nz(se->sending_ip),
        .sending_domain = nz(se->sending_domain),
        .sender_domain = nz(se->sender_domain),
        .text = nz(se->text),
    };
    e.text_len = strlen(e.text);
    /* an auto-reply means the message arrived: count it as a delivery, not a failure */
    if (e.category == RB_CAT_AUTO_REPLY) {
        e.kind = RB_EVENT_DELIVERED;
        e.category = RB_CAT_DELIVERED;
    }
    return report_add(r, &e);
}
