/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_report.c - libFuzzer target for the report model, its diagnosis rules and renderers
 *                 (src/report*.c).
 *
 * DESCRIPTION
 *   The first input line is the --filter text (report_new must refuse or accept it, never
 *   crash); each further line is one event, tab-separated: time, kind, category, reason,
 *   reply code, status, provider, campaign, sending ip, recipient, blocklist, flags (p =
 *   permanent), reply text. Numbers are taken modulo their range, so any bytes make events.
 *   Then report_finish and every renderer; checks that the JSON output starts with '{' and
 *   ends with "}\n", and that the diagnoses come headline first.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "report.h"
#include "report_render.h"

#define MAXF 13

static long long num(const char *s)
{
    long long v = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        v = (v * 10 + (*s - '0')) % 4000000000LL;
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *nl = strchr(text, '\n');
    if (nl)
        *nl = '\0';
    struct report_opts o = {.filter = text, .sent = size % 3 ? 0 : size * 10};
    struct report *r;
    if (report_new(&r, &o) != RB_OK) {
        report_free(r);
        free(text);
        return 0;
    }
    for (char *line = nl ? nl + 1 : NULL; line && *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        char *f[MAXF];
        size_t n = 0;
        for (char *p = line; n < MAXF;) {
            f[n++] = p;
            char *tab = strchr(p, '\t');
            if (!tab)
                break;
            *tab = '\0';
            p = tab + 1;
        }
        while (n < MAXF)
            f[n++] = "";
        struct report_event e = {
            .time = num(f[0]),
            .kind = (rb_event_kind)(num(f[1]) % RB_EVENT__COUNT),
            .category = (rb_category)(num(f[2]) % RB_CAT__COUNT),
            .reason = (rb_reason)(num(f[3]) % RB_REASON__COUNT),
            .replycode = (int)(num(f[4]) % 1000),
            .status = f[5],
            .provider = f[6],
            .campaign = f[7],
            .sending_ip = f[8],
            .recipient = f[9],
            .domain = strchr(f[9], '@') ? strchr(f[9], '@') + 1 : "",
            .blocklist = f[10],
            .listed = f[10][0] ? f[8] : "",
            .permanent = strchr(f[11], 'p') != NULL,
            .auth = (unsigned)num(f[11]) & 0x7f,
            .text = f[12],
            .text_len = strlen(f[12]),
            .sending_domain = "",
            .sender_domain = f[7],
        };
        if (report_add(r, &e) != RB_OK)
            abort();
        line = end ? end + 1 : NULL;
    }
    if (report_finish(r) != RB_OK)
        abort();
    const struct report_diagnosis *d;
    size_t nd = report_diagnoses(r, &d);
    for (size_t i = 1; i < nd; i++)
        if (strcmp(d[i].role, "headline") == 0 && strcmp(d[i - 1].role, "headline") != 0)
            abort();
    struct buf out;
    buf_init(&out, (size_t)64 << 20, NULL);
    for (int f = RF_TEXT; f <= RF_HTML; f++) {
        struct report_render_opts ro = {.colour = f == RF_TEXT && (size & 1), .top = 3};
        buf_reset(&out);
        int rc = report_render(r, (enum report_format)f, &ro, &out);
        if (rc != RB_OK)
            abort();
        if (f == RF_JSON && (out.len < 3 || out.p[0] != '{' || out.p[out.len - 2] != '}'))
            abort();
    }
    buf_free(&out);
    report_free(r);
    free(text);
    return 0;
}
