/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dialect.h - the non-standard bounce formats of real MTAs and providers.
 *
 * DESCRIPTION
 *   A dialect is a small module chosen by header evidence: detect() looks only at the
 *   bounce's own top-level header block (From, Subject, X-Mailer, Received, X-* fields) and
 *   the first bytes of the notice; records() appends pending records (struct prec) read
 *   from the notice text (bp->notice, up to bp->notice_end) or the MIME parts (bp->mm).
 *   Dialects are tried, in table order, for bounces that carry no RFC 3464 report (or whose
 *   report gave no recipient); the first whose records() adds a record wins; the generic
 *   reader (bounce_text.c) is the fallback. A dialect may also set bp->agent (smtpagent)
 *   and a per-record hint (a reason it knows from the format itself, e.g. "expired").
 *
 *   Dialects are grouped by family, one file each, each exporting a NULL-terminated table:
 *     mta_unix.c       Postfix, Sendmail, Exim, qmail, Courier, OpenSMTPD, ...
 *     mta_vendor.c     Exchange, Domino/Notes, IMail, MessagingServer, Mimecast, ...
 *     mta_provider.c   Gmail, Google Groups, Yahoo, AOL, Outlook.com, Office 365, SES, ...
 *     mta_jp.c         KDDI/ezweb, docomo, Biglobe, ...
 */
#ifndef RB_DIALECT_H
#define RB_DIALECT_H

#include "bounce.h"

#define DIALECT_AMEND 1 /* struct dialect has the amend hook */

struct dialect {
    const char *name; /* smtpagent value, e.g. "Exim" */
    /* detect - 1 if the top-level header block hdr (and notice) look like this dialect */
    int (*detect)(const struct rb_parser *bp, struct slice hdr);
    /* records - append pending records; RB_OK (also when it found none) or RB_ENOMEM */
    int (*records)(struct rb_parser *bp, struct slice hdr);
    /* amend - optional: correct the records an RFC 3464 report gave (a provider's known
     * wrapping of the remote reply, a diagnostic only the notice carries); RB_OK or
     * RB_ENOMEM. Called for the first dialect that has one and whose detect() matches. */
    int (*amend)(struct rb_parser *bp, struct slice hdr);
};

extern const struct dialect *const dialects_unix[];
extern const struct dialect *const dialects_vendor[];
extern const struct dialect *const dialects_provider[];
extern const struct dialect *const dialects_jp[];

/* dialect_records - try every dialect; returns RB_OK or RB_ENOMEM. */
int dialect_records(struct rb_parser *bp, struct slice hdr);

/* dialect_amend - let the first matching dialect with an amend hook correct the records of
 * an RFC 3464 report; returns RB_OK or RB_ENOMEM. */
int dialect_amend(struct rb_parser *bp, struct slice hdr);

/* provider_rhost_reason - (mta_provider.c) the reason a receiving provider's known reply
 * means, by its remote host (rhost, rn: a Remote-MTA value or host name) or the recipient's
 * domain, and the parsed reply rp (text, command, status); RB_REASON_UNDEFINED when neither
 * is such a provider or the text is not one of its documented replies. */
rb_reason provider_rhost_reason(const char *rhost, size_t rn, struct slice rcpt_domain,
                                const rb_reply *rp);
/* host_token - (mta_provider.c) the host name that starts a Remote-MTA or Reporting-MTA
 * value ("lsean.ezweb.ne.jp (TCP|...)", "mx.example.org[192.0.2.1]"), without a trailing
 * dot; borrowed from h. */
struct slice host_token(const char *h, size_t n);

/* ---- helpers shared by the dialect modules (dialect.c) -------------------------------- */

/* dl_has - case-insensitive substring test; false for a NULL p. */
int dl_has(const char *p, size_t n, const char *needle);
/* dl_hdr_has - header name of hdr exists and contains needle (case-insensitive). */
int dl_hdr_has(struct slice hdr, const char *name, const char *needle);
/* dl_hdr_starts - header name of hdr starts (after blanks) with lit. */
int dl_hdr_starts(struct slice hdr, const char *name, const char *lit);
/* dl_notice_text - the human-readable notice (up to the returned message unless whole), or
 * the raw top-level body when no text part was decoded; borrowed from bp or the input. */
struct slice dl_notice_text(const struct rb_parser *bp, int whole);
/* dl_next_line - the line at *pos in (p, n) without its line end; advances *pos. */
int dl_next_line(const char *p, size_t n, size_t *pos, struct slice *line);
/* dl_starts_with - line starts with lit (case-insensitive). */
int dl_starts_with(struct slice line, const char *lit);
/* dl_rec_new - a pending record for address a; NULL at the record limit (flagged) or with
 * *rc = RB_ENOMEM when out of memory. */
struct prec *dl_rec_new(struct rb_parser *bp, struct slice a, int *rc);

#endif /* RB_DIALECT_H */
