/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dsn.h - RFC 3464 message/delivery-status fields: per-message and per-recipient groups.
 *
 * DESCRIPTION
 *   dsn_parse() splits the (transfer-decoded) body of a message/delivery-status part into
 *   field groups separated by blank lines: the first group is per-message (Reporting-MTA,
 *   Arrival-Date, X-Postfix-Sender ...), each later group that names a recipient is one
 *   per-recipient block (Final-Recipient, Original-Recipient, Action, Status, Remote-MTA,
 *   Diagnostic-Code, Last-Attempt-Date, X-Actual-Recipient ...). Values are raw slices into
 *   the input (folds included: unfold with mime_hdr_unfold or reply_parse). Malformed
 *   reports degrade: a block without Final-Recipient but with Original-Recipient or
 *   X-Actual-Recipient still counts; a report with no blank line between the per-message
 *   fields and the first recipient is split at the first recipient field.
 *
 * LIMITS
 *   DSN_MAX_RCPT recipient blocks are kept per report (the rest are counted in dropped).
 */
#ifndef RB_DSN_H
#define RB_DSN_H

#include <stddef.h>

#include "rebound.h"
#include "slice.h"

#define DSN_MAX_RCPT 10000

struct dsn_rcpt {
    struct slice final_recipient; /* "rfc822; a@example.org" (raw) */
    struct slice original_recipient;
    struct slice x_actual_recipient;
    struct slice action;
    struct slice status;
    struct slice remote_mta;
    struct slice diagnostic_code;
    struct slice last_attempt_date;
    struct slice will_retry_until;
    struct slice x_bounce_category; /* PowerMTA's X-PowerMTA-BounceCategory: "bad-mailbox" */
};

struct dsn_report {
    struct slice reporting_mta;
    struct slice received_from_mta;
    struct slice arrival_date;
    struct slice x_postfix_sender;
    struct slice x_original_message_id;
    struct dsn_rcpt *rcpt; /* owned; reused across dsn_parse calls */
    size_t nrcpt;
    size_t cap;
    size_t dropped;
    const rb_mem *mem;
};

/* dsn_init - empty report using mem (NULL = libc); no allocation yet. */
void dsn_init(struct dsn_report *r, const rb_mem *mem);
/* dsn_free - release the recipient array. */
void dsn_free(struct dsn_report *r);
/* dsn_parse - parse (p, len); slices borrow from p. RB_OK or RB_ENOMEM. */
int dsn_parse(struct dsn_report *r, const char *p, size_t len);

/* dsn_value_addr - the address in an address-typed value ("rfc822; <a@b>" -> "a@b"). */
struct slice dsn_value_addr(struct slice v);
/* dsn_value_type - strip a "type;" prefix ("dns; mx.example.org" -> "mx.example.org"). */
struct slice dsn_value_untyped(struct slice v);

#endif /* RB_DSN_H */
