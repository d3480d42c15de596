/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * doctor_render.c - output of a doctor run: one JSON object (through json_out), or aligned
 *                   text grouped by check with optional ANSI severity colours.
 *
 * DESCRIPTION
 *   JSON: {"domain", "from", "ips": [...], "status": worst severity, "counts": {severity: n},
 *   "findings": [{"check", "id", "severity", "subject", "message", "evidence", "fix"}]}
 *   with null for absent evidence or fix (docs/doctor.md documents it).
 */
#include <stdio.h>
#include <string.h>

#include "doctor_int.h"
#include "json_out.h"

#define TRY(x)                                                                                     \
    do {                                                                                           \
        int rc_ = (x);                                                                             \
        if (rc_ != RB_OK)                                                                          \
            return rc_;                                                                            \
    } while (0)

static const char *const check_order[] = {"spf", "dmarc", "dkim", "ptr", "mx", "a", "dnsbl"};
static const char *const check_title[] = {"SPF", "DMARC",     "DKIM",      "Reverse DNS",
                                          "MX",  "Addresses", "Blocklists"};

int doctor_render_json(const struct doctor *d, struct buf *out)
{
    int first = 1;
    TRY(buf_putc(out, '{'));
    TRY(json_key_str(out, &first, "domain", d->domain));
    TRY(json_key_str(out, &first, "from", d->from));
    TRY(buf_puts(out, ",\"ips\":["));
    for (size_t i = 0; i < d->nips; i++) {
        char t[64];
        ip_format(&d->ips[i], t, sizeof t);
        if (i)
            TRY(buf_putc(out, ','));
        TRY(json_str(out, t, strlen(t)));
    }
    TRY(buf_putc(out, ']'));
    TRY(json_key_str(out, &first, "status", doctor_sev_name(doctor_worst(d))));
    size_t counts[5] = {0};
    for (size_t i = 0; i < d->nf; i++)
        counts[d->f[i].sev]++;
    TRY(buf_puts(out, ",\"counts\":{"));
    int cf = 1;
    for (int s = DS_OK; s <= DS_UNKNOWN; s++)
        TRY(json_key_int(out, &cf, doctor_sev_name((enum doctor_sev)s), (long long)counts[s]));
    TRY(buf_puts(out, "},\"findings\":["));
    for (size_t i = 0; i < d->nf; i++) {
        const struct doctor_finding *f = &d->f[i];
        int ff = 1;
        if (i)
            TRY(buf_putc(out, ','));
        TRY(buf_putc(out, '{'));
        TRY(json_key_str(out, &ff, "check", f->check));
        TRY(json_key_str(out, &ff, "id", f->id));
        TRY(json_key_str(out, &ff, "severity", doctor_sev_name(f->sev)));
        TRY(json_key_str(out, &ff, "subject", f->subject));
        TRY(json_key_str(out, &ff, "message", f->message));
        TRY(json_key_str(out, &ff, "evidence", f->evidence));
        TRY(json_key_str(out, &ff, "fix", f->fix));
        TRY(buf_putc(out, '}'));
    }
    TRY(buf_puts(out, "]}"));
    return RB_OK;
}

static const char *sev_colour(enum doctor_sev s)
{
    static const char *const c[] = {"\033[32m", "\033[36m", "\033[33m", "\033[1;31m", "\033[35m"};
    return c[s];
}

/* put_text - s with control bytes shown as '?', so DNS junk cannot drive the terminal */
static int put_text(struct buf *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        TRY(buf_putc(out, c < 0x20 || c == 0x7f ? '?' : (char)c));
    }
    return RB_OK;
}

int doctor_render_text(const struct doctor *d, struct buf *out, bool colour, bool quiet)
{
    TRY(buf_printf(out, "%s%s%s", colour ? "\033[1m" : "", d->domain, colour ? "\033[0m" : ""));
    if (strcmp(d->from, d->domain) != 0)
        TRY(buf_printf(out, " (From: %s)", d->from));
    for (size_t i = 0; i < d->nips; i++) {
        char t[64];
        ip_format(&d->ips[i], t, sizeof t);
        TRY(buf_printf(out, "%s%s", i ? ", " : "  IPs: ", t));
    }
    TRY(buf_putc(out, '\n'));
    size_t w = 8;
    for (size_t i = 0; i < d->nf; i++) {
        size_t l = strlen(d->f[i].subject);
        if (l > w)
            w = l;
    }
    if (w > 36)
        w = 36;
    size_t counts[5] = {0};
    for (size_t c = 0; c < sizeof check_order / sizeof check_order[0]; c++) {
        bool head = false;
        for (size_t i = 0; i < d->nf; i++) {
            const struct doctor_finding *f = &d->f[i];
            if (strcmp(f->check, check_order[c]) != 0)
                continue;
            counts[f->sev]++;
            if (quiet && (f->sev == DS_OK || f->sev == DS_INFO))
                continue;
            if (!head) {
                TRY(buf_printf(out, "\n%s%s%s\n", colour ? "\033[1m" : "", check_title[c],
                               colour ? "\033[0m" : ""));
                head = true;
            }
            TRY(buf_printf(out, "  %s%-8s%s  ", colour ? sev_colour(f->sev) : "",
                           doctor_sev_name(f->sev), colour ? "\033[0m" : ""));
            size_t sl = strlen(f->subject);
            TRY(put_text(out, f->subject));
            if (sl > w) {
                TRY(buf_printf(out, "\n  %-8s  %-*s", "", (int)w, ""));
            } else {
                TRY(buf_printf(out, "%-*s", (int)(w - sl), ""));
            }
            TRY(buf_puts(out, "  "));
            TRY(put_text(out, f->message));
            TRY(buf_putc(out, '\n'));
            if (f->evidence) {
                TRY(buf_printf(out, "  %-8s  %-*s  record: ", "", (int)w, ""));
                TRY(put_text(out, f->evidence));
                TRY(buf_putc(out, '\n'));
            }
            if (f->fix) {
                TRY(buf_printf(out, "  %-8s  %-*s  fix: ", "", (int)w, ""));
                TRY(put_text(out, f->fix));
                TRY(buf_putc(out, '\n'));
            }
        }
    }
    TRY(buf_printf(out, "\n%zu critical, %zu warning%s, %zu could not be checked, %zu ok\n",
                   counts[DS_CRITICAL], counts[DS_WARNING], counts[DS_WARNING] == 1 ? "" : "s",
                   counts[DS_UNKNOWN], counts[DS_OK]));
    return RB_OK;
}
