/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * textutil.h - small text helpers for bounce decoding: email addresses and RFC 5322 dates.
 *
 * DESCRIPTION
 *   addr_find() locates the next plausible email address in text (local@domain with a
 *   dotted domain or an address literal), returning a slice into the input without angle
 *   brackets or quotes. date_parse() reads an RFC 5322 date (obsolete forms included:
 *   two-digit years, named zones, missing weekday or seconds) into Unix time and the zone
 *   offset. Both are pure functions over (p, len).
 */
#ifndef RB_TEXTUTIL_H
#define RB_TEXTUTIL_H

#include <stddef.h>

#include "slice.h"

/* addr_find - first address in (p, len) at or after *pos; on success returns 1, sets *out
 * and moves *pos past it. Returns 0 when there is none. */
int addr_find(const char *p, size_t len, size_t *pos, struct slice *out);

/* days_from_civil - days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * algorithm); m 1..12, d 1..31. */
long long days_from_civil(long long y, int m, int d);
/* addr_domain - the part after the last '@' (empty slice if none). */
struct slice addr_domain(struct slice addr);

/* date_parse - parse an RFC 5322 date; returns 1 on success with *t (Unix seconds, UTC)
 * and *tzoff (seconds east of UTC), 0 if the text is not a date. */
int date_parse(const char *p, size_t len, long long *t, int *tzoff);

/* text_find_command - the SMTP command a failure answered, named in bounce text (p, len):
 * the phrasings of real MTAs ("in reply to RCPT TO command" also folded over lines,
 * "after end of data", Sendmail's ">>> RCPT To:" transcript, qmail's "does not like
 * recipient", "SMTP:RCPT host"), else an upper-case command word as transcripts write it
 * ("RCPT TO:", "[RCPT_TO]", "MAIL FROM:"). Writes "RCPT", "MAIL", "DATA", "HELO", "EHLO",
 * "STARTTLS", "AUTH", "CONN" or "" into out (at least 16 bytes). */
void text_find_command(const char *p, size_t len, char *out);

#endif /* RB_TEXTUTIL_H */
