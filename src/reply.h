/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reply.h - SMTP reply parsing: basic code, enhanced status code, unfolded text, tokens.
 *
 * DESCRIPTION
 *   reply_parse() takes any text that carries an SMTP reply (a bare reply, a multi-line
 *   reply, a Diagnostic-Code field, prose from an MTA log or bounce) and fills an rb_reply:
 *   the codes, the command it answered, a provider token, and the reply text unfolded into
 *   a caller-owned buf (continuation prefixes removed, whitespace collapsed, control bytes
 *   replaced). One pass over the input, no allocation beyond the buf.
 *
 * LIMITS
 *   At most RB_MAX_REPLY_TEXT bytes of unfolded text are kept (RB_REPLY_TRUNCATED); the
 *   input is read no further than needed to fill them.
 */
#ifndef RB_REPLY_H
#define RB_REPLY_H

#include <stddef.h>

#include "buf.h"
#include "rebound.h"

/* reply_parse - parse (p, len) into *out; the unfolded text goes into text (reset first)
 * and out->text points into it (valid until text changes). Returns RB_OK or RB_ENOMEM. */
int reply_parse(const char *p, size_t len, struct buf *text, rb_reply *out);

/* reply_parse_nocmd - reply_parse without the SMTP command search, for callers that find
 * the command otherwise (the classifier's rule scan does, data/commands.tsv). */
int reply_parse_nocmd(const char *p, size_t len, struct buf *text, rb_reply *out);

/* reply_find_codes - find the reply code and enhanced status in already unfolded text;
 * fills replycode/status fields of *out (leaves the rest). */
void reply_find_codes(const char *p, size_t len, rb_reply *out);

/* reply_find_command - the SMTP command named by MTA phrasing in (p, len) ("in reply to
 * RCPT TO command", "after end of data"); writes it NUL-terminated into out (size >= 16),
 * or "" when none is named. */
void reply_find_command(const char *p, size_t len, char *out);

/* reply_parse_status - parse "5.7.26" at (p, len) exactly; returns 1 and fills the class,
 * subject, detail on success, 0 if it is not a valid enhanced status code. */
int reply_parse_status(const char *p, size_t len, int *cls, int *subject, int *detail);

#endif /* RB_REPLY_H */
