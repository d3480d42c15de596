/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store_fields.h - the event columns both store backends read (store_sqlite.c,
 * store_pg.c): their order, which is that of struct store_event, their names, and the brief
 * set STORE_ITER_BRIEF asks for (what a report reads; fewer columns decoded per row is most
 * of the speed of a scan). Defined in store.c. Internal to the backends.
 */
#ifndef RB_STORE_FIELDS_H
#define RB_STORE_FIELDS_H

#include <stdbool.h>

enum ev_field {
    F_TIME,
    F_KIND,
    F_RECIPIENT,
    F_DOMAIN,
    F_SENDER,
    F_SENDER_DOMAIN,
    F_RHOST,
    F_PROVIDER,
    F_REPLYCODE,
    F_STATUS,
    F_REASON,
    F_CATEGORY,
    F_SCOPE,
    F_REMEDY,
    F_PERMANENT,
    F_CAMPAIGN,
    F_SENDING_IP,
    F_SENDING_DOMAIN,
    F_VMTA,
    F_QUEUE_ID,
    F_MESSAGE_ID,
    F_SOURCE_EVENT_ID,
    F_TEXT,
    F_FORMAT,
    F_AUTH,
    F_BLOCKLIST,
    F_LISTED,
    F_KEY,
    F__COUNT
};
extern const char *const store_ev_columns[F__COUNT];
extern const bool store_ev_brief[F__COUNT];

#endif /* RB_STORE_FIELDS_H */
