/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report_template.h - the "response template" of an SMTP reply text, for `rebound report`.
 *
 * DESCRIPTION
 *   report_template() rewrites a reply text so that the same reply from a receiver gives the
 *   same line whatever the recipient, client IP, queue id or time: variable parts become
 *   placeholders, the rest is kept byte for byte.
 *   - e-mail addresses, bare or in <>: `<addr>` (`<john@x.com>` gives `<addr>`, once);
 *   - IPv4 and IPv6 addresses, also `IPv6:` literals: `<ip>` (surrounding [] and () kept);
 *   - ISO 8601 dates with optional time and zone, and RFC 5322 / syslog / asctime dates,
 *     weekday to zone comment: `<date>`; a bare time (12:00, 12:00:00.123): `<time>`;
 *   - URLs: scheme, host and path kept (path parts go through these same rules, so
 *     `/query/ip/192.0.2.1` gives `/query/ip/<ip>`); a query string becomes `?<q>`;
 *   - host names with at least one digit (`mta7.am0.yahoodns.net`): `<host>`; without digits
 *     (`gmail-smtp-in.l.google.com`) kept;
 *   - id-like tokens: at least 8 letters and digits, with both, and only hex letters or at
 *     least 3 letter/digit alternations or 3 case changes (Gmail's trailing id, queue ids,
 *     GUIDs, `PH0PR12MB5555`, `MxId=11BB1E5C47CBE5AF`): `<id>`. Provider reason codes are
 *     letters then digits with a non-hex letter, or short, and are kept (`TSS04`, `S3150`,
 *     `AS16012607`, `IPBL1011`, `HL:REP`, `RP-001`, `LPN007_416`); so is a number right after
 *     '#' or after "letters(" (`AUP#1260`, `[#102]`, `AS(1430)`);
 *   - basic reply codes kept: a 3-digit [2-5]xx at the start of a line, after "said: ",
 *     "smtp;" or "->", before an enhanced status code, or followed by '-' (multi-line
 *     continuation: `550-5.1.1`, `550-Mailbox`); enhanced status codes (`5.7.26`) always
 *     kept; any other number, also `1,000`, `1.5` and digits with separators only
 *     (`22220-02-222`): `<n>`;
 *   - whitespace and control bytes: one space; none leading or trailing;
 *   - placeholders of one kind separated only by whitespace collapse (`<id> <id>`: `<id>`).
 *   Bytes that are not ASCII, valid UTF-8 or not, are copied as letters.
 *
 * LIMITS
 *   No allocation and no state between calls; one left-to-right pass whose look-aheads are
 *   bounded (dates, times, IPv6: a few dozen bytes) or never re-read (address local parts),
 *   so time is linear in n. Output at most cap-1 bytes; a cut falls on a UTF-8 boundary and
 *   never inside a placeholder.
 *
 * SEE ALSO
 *   report.h (grouping by template), reply.h (the reply code parser)
 */
#ifndef RB_REPORT_TEMPLATE_H
#define RB_REPORT_TEMPLATE_H

#include <stddef.h>

/* report_template - write the template of reply text t (n bytes, need not be NUL-terminated)
 * into out (cap bytes, always NUL-terminated when cap > 0), returning its length. Never
 * allocates, no global state, linear time in n, output never longer than cap-1 (cut at a
 * UTF-8 boundary). t may be NULL when n is 0; out may be NULL when cap is 0 (returns 0). */
size_t report_template(const char *t, size_t n, char *out, size_t cap);

#endif /* RB_REPORT_TEMPLATE_H */
