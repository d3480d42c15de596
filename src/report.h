/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report.h - bounce pattern analysis: aggregates over events and the diagnoses drawn from
 *            them (the model behind `rebound report`).
 *
 * DESCRIPTION
 *   A report is fed events one at a time (report_add: from the store, an ingest stream or
 *   parsed bounce emails; nothing is kept per event), then report_finish() ranks the tables
 *   and evaluates the diagnosis rules of data/diagnoses.tsv. The accessors then hand out
 *   read-only views for the renderers (report_render.h). Memory grows with the number of
 *   distinct keys (providers, campaigns, codes, templates, hours), never with the number of
 *   events; templates are capped at REPORT_MAX_TEMPLATES distinct texts (the rest counted).
 *
 *   Threads: a report is used by one thread; it keeps no global state.
 *   Errors: RB_OK or a negative RB_E*; report_error() says why in words.
 *
 * SEE ALSO
 *   report_render.h, report_template.h, data/diagnoses.tsv, docs/report.md
 */
#ifndef RB_REPORT_H
#define RB_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "rebound.h"

#define REPORT_MAX_TEMPLATES 20000 /* distinct (provider, template) pairs kept */
#define REPORT_TEMPLATE_BYTES 384  /* a template is cut to this many bytes */
#define REPORT_TITLE_BYTES 256
#define REPORT_DETAIL_BYTES 768

/* One event as the report sees it. Strings are borrowed for the call, never NULL ("" =
 * unknown). */
struct report_event {
    long long time; /* Unix time, 0 if unknown (then left out of the time series) */
    rb_event_kind kind;
    const char *recipient; /* normalised address */
    const char *domain;    /* recipient domain */
    const char *provider;  /* receiving provider id from rhost/reply ("" = unknown: the
                              report falls back to the recipient domain's provider) */
    int replycode;
    const char *status; /* enhanced status "5.1.1" or "" */
    rb_reason reason;
    rb_category category;
    bool permanent;
    unsigned auth;                                      /* RB_AUTH_* */
    const char *blocklist;                              /* blocklist id named by the reply, "" */
    const char *listed;                                 /* IP or domain the list names, "" */
    const char *campaign, *sending_ip, *sending_domain; /* sending_domain "" = use sender's */
    const char *sender_domain;
    const char *text; /* reply text (templates are made of failures' texts only) */
    size_t text_len;
};

/* Options; zero-initialise, then set what you need. */
struct report_opts {
    unsigned long long sent;  /* messages sent, when the input has no deliveries (0 = count
                                 delivered + bounced + expired events) */
    long long since, until;   /* keep events with since <= time < until (0 = no bound) */
    const char *filter;       /* "provider=google,campaign=x,sending_domain=d,sending_ip=i,
                                 code=550|5.7.26|5.7.x" (NULL = all); report_new checks it */
    long long bucket;         /* seconds per time bucket: 3600, 86400 (0 = by span: hours up to
                                 3 days, else days) */
    long long spike_window;   /* the "latest window" of spike rules, seconds (0 = 1 day) */
    long long spike_baseline; /* the window before it compared against (0 = 7 days) */
    unsigned top;             /* rows per table in renderers (0 = 10) */
    const rb_mem *mem;        /* NULL = libc */
};

/* Dimensions of the tables. */
enum report_dim {
    RD_REPLYCODE,      /* "550" */
    RD_STATUS,         /* "5.1.1" */
    RD_FAMILY,         /* "5.1.x" */
    RD_REASON,         /* userunknown ... */
    RD_CATEGORY,       /* address ... */
    RD_PROVIDER,       /* google, microsoft365 ... (from rhost/reply, else recipient domain) */
    RD_CAMPAIGN,       /* campaign / job / list id */
    RD_SENDING_DOMAIN, /* sending domain key, else the sender's domain */
    RD_SENDING_IP,     /* sending IP */
    RD__COUNT
};

/* Counts of one row (or of everything, or of one time bucket). Failures are bounced,
 * expired and deferred events; cat[] and hard count failures only. */
struct report_counts {
    unsigned long long kind[RB_EVENT__COUNT]; /* events by kind */
    unsigned long long cat[RB_CAT__COUNT];    /* failures by category */
    unsigned long long hard;                  /* permanent address-level bounces */
};

/* report_counts_* - derived figures of c. sent: delivered + bounced + expired (messages
 * with a final outcome). bounces: bounced + expired. failures: bounces + deferred. */
unsigned long long report_counts_sent(const struct report_counts *c);
unsigned long long report_counts_bounces(const struct report_counts *c);
unsigned long long report_counts_failures(const struct report_counts *c);

struct report_row {
    const char *key; /* owned by the report */
    struct report_counts c;
    long long first, last; /* time of the first and last event of the row (0 if unknown) */
};

struct report_bucket {
    long long start; /* Unix time the bucket begins */
    struct report_counts c;
};

struct report_template_row {
    const char *provider; /* "" unknown */
    const char *text;     /* the template (report_template.h) */
    const char *status;   /* status of the sample verdict (report.c tpl_sample_before), "" */
    int replycode;
    rb_reason reason;
    rb_category category;
    bool classified; /* false: no rule gave a reason (unclassified texts table) */
    unsigned long long count;
};

enum report_severity { RS_OK, RS_INFO, RS_WARNING, RS_CRITICAL };

/* report_severity_name - "ok", "info", "warning", "critical" (static). */
const char *report_severity_name(enum report_severity s);

/* One diagnosis: a rule of data/diagnoses.tsv that fired. */
struct report_diagnosis {
    const char *id;   /* rule id (static) */
    const char *role; /* "headline" (overall health) or "cause" (a root cause) */
    enum report_severity severity;
    char title[REPORT_TITLE_BYTES];   /* one line, placeholders filled */
    char detail[REPORT_DETAIL_BYTES]; /* the evidence in words */
    const char *action; /* the intervention, placeholders filled (points into action_text) */
    char action_text[REPORT_DETAIL_BYTES];
    unsigned long long evidence; /* events the rule matched: its impact */
    double value;                /* the measured rate or share (0..1), or ratio */
    /* keys the diagnosis names ("" when not applicable); owned by the report */
    const char *provider, *campaign, *sending_ip, *sending_domain, *code;
    long long first, last; /* time span of the evidence */
};

struct report;

/* report_new - a report with opts o (copied; NULL = defaults). Caller frees *out with
 * report_free. RB_EINVAL for a bad filter (report_error of *out says why; *out is set
 * whenever it could be allocated), RB_ENOMEM. */
int report_new(struct report **out, const struct report_opts *o);
/* report_free - NULL-safe; returns NULL. */
struct report *report_free(struct report *r);
/* report_error - why the last call failed (owned by r), "" if none. */
const char *report_error(const struct report *r);

/* report_add - count one event (dropped silently when it is outside the time range or the
 * filter). RB_OK or RB_ENOMEM. */
int report_add(struct report *r, const struct report_event *e);
/* report_add_stored - report_add of an event as the store keeps it (report_store.c); an
 * auto-reply counts as a delivery. */
struct store_event;
int report_add_stored(struct report *r, const struct store_event *se);
/* report_add_store - report_add_stored of every event of store s with since <= time < until
 * (0 = no bound), in no particular order; *events counts them. One extra thread decodes the
 * rows while the caller's counts; s must not be used by anyone else meanwhile. RB_OK, the
 * store's error (store_error(s) says why), or RB_ENOMEM. */
struct store;
int report_add_store(struct report *r, struct store *s, long long since, long long until,
                     unsigned long long *events);
/* report_finish - sort the tables, build the time series, evaluate the diagnoses. Call
 * once, after the last report_add. */
int report_finish(struct report *r);

/* report_reopen - undo report_finish so more events can be added (a live report: add,
 * finish, render, reopen, add ...); the views are invalid until the next report_finish.
 * Finishing again after more events gives what one report of all the events gives. */
void report_reopen(struct report *r);

/* ---- views (valid until report_free; call after report_finish) ------------------------- */

const struct report_opts *report_options(const struct report *r);
/* report_totals - counts of every event kept. */
const struct report_counts *report_totals(const struct report *r);
/* report_sent - messages sent: opts.sent when given, else report_counts_sent(totals). */
unsigned long long report_sent(const struct report *r);
/* report_rate - part / report_sent(), or -1 when nothing is known to be sent. */
double report_rate(const struct report *r, unsigned long long part);
/* report_span - time of the first and last event kept (0 when none had a time). */
void report_span(const struct report *r, long long *first, long long *last);
/* report_rows - the rows of dimension d, by failures (then events) descending. */
size_t report_rows(const struct report *r, enum report_dim d, const struct report_row **rows);
/* report_dim_name - "replycode", "status", "family", "reason", "category", "provider",
 * "campaign", "sending_domain", "sending_ip" (static). */
const char *report_dim_name(enum report_dim d);
/* report_buckets - the time series, contiguous buckets of *width seconds, oldest first. */
size_t report_buckets(const struct report *r, const struct report_bucket **b, long long *width);
/* report_templates - failure templates by count descending; *dropped counts failures whose
 * template did not fit under REPORT_MAX_TEMPLATES. */
size_t report_templates(const struct report *r, const struct report_template_row **t,
                        unsigned long long *dropped);
/* report_diagnoses - the diagnoses: headlines first, then causes by severity group
 * (critical and warning by evidence descending, then info, then ok). */
size_t report_diagnoses(const struct report *r, const struct report_diagnosis **d);

#endif /* RB_REPORT_H */
