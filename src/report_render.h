/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report_render.h - `rebound report` output: a finished report as text, Markdown, JSON or
 *                   one self-contained HTML page.
 *
 * DESCRIPTION
 *   report_render() appends the whole report to a caller's struct buf: header figures,
 *   diagnoses (headlines, then causes ranked), the tables by dimension, the time series and
 *   the reply templates. Every table is cut to `top` rows (with a "N more" line), the time
 *   series is merged to a bounded number of rows or bars, so the output size follows the
 *   options, never the number of events. The renderers only read the report and keep no
 *   state: one report may be rendered in several formats, from one thread at a time.
 *
 *   Strings from the input (keys, reply texts) are made safe for the format: control bytes
 *   replaced in text (no terminal escapes smuggled in), Markdown and HTML metacharacters
 *   escaped, JSON through json_out.h. The HTML page fetches nothing: inline CSS and SVG.
 *
 * LIMITS
 *   Keys are cut to RR_KEY_COLS code points in text tables, templates to RR_TEXT_TEMPLATE
 *   code points in text and Markdown (JSON and HTML carry the whole template, itself at most
 *   REPORT_TEMPLATE_BYTES). The output is bounded by the buf's cap: RB_ETOOBIG past it.
 *
 * SEE ALSO
 *   report.h, json_out.h, docs/report.md
 */
#ifndef RB_REPORT_RENDER_H
#define RB_REPORT_RENDER_H

#include <stdbool.h>

#include "buf.h"
#include "report.h"

enum report_format { RF_TEXT, RF_MARKDOWN, RF_JSON, RF_HTML };

struct report_render_opts {
    bool colour;         /* ANSI colour in RF_TEXT (the CLI sets it on a TTY) */
    unsigned top;        /* rows per table, 0 = report_options(r)->top */
    const char *title;   /* heading, NULL = "rebound report" */
    const char *source;  /* what was read, e.g. "store /path/db" or "3 files", shown in the
                            header; NULL = omit */
    long long generated; /* Unix time shown as "generated at", 0 = omit (tests pass 0 for
                            stable output) */
};

/* report_render - append report r (after report_finish) in format f to out; o NULL = all
 * defaults. Strings in o are borrowed for the call. On failure out is left as it was.
 * RB_OK / RB_ENOMEM / RB_ETOOBIG (out's cap reached) / RB_EINVAL (bad format). */
int report_render(const struct report *r, enum report_format f, const struct report_render_opts *o,
                  struct buf *out);

#endif /* RB_REPORT_RENDER_H */
