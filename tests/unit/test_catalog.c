/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_catalog.c - the code catalog: unique keys, every code of the data tables resolves,
 * digit meanings fall back for codes outside the catalog.
 *   usage: test_catalog SOURCE_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "harness.h"
#include "rules.h"
#include "tsv.h"

static void test_unique_keys(void)
{
    for (size_t i = 1; i < status_catalog_count; i++) {
        const struct status_entry *a = &status_catalog[i - 1], *b = &status_catalog[i];
        CHECK(a->cls != b->cls || a->subject != b->subject || a->detail != b->detail,
              "duplicate status key %d.%d.%d", b->cls, b->subject, b->detail);
    }
    for (size_t i = 0; i < reply_catalog_count; i++)
        for (size_t j = i + 1; j < reply_catalog_count; j++)
            CHECK(strcmp(reply_catalog[i].code, reply_catalog[j].code) != 0,
                  "duplicate reply code %s", reply_catalog[i].code);
    for (size_t i = 0; i < rules_count; i++)
        for (size_t j = i + 1; j < rules_count; j++)
            if (strcmp(rules_table[i].id, rules_table[j].id) == 0)
                CHECK(0, "duplicate rule id %s", rules_table[i].id);
    for (size_t i = 1; i < status_map_count; i++) {
        const struct status_map *a = &status_map_table[i - 1], *b = &status_map_table[i];
        CHECK(a->cls != b->cls || a->subject != b->subject || a->detail != b->detail,
              "duplicate status-map key %d.%d.%d", b->cls, b->subject, b->detail);
    }
    /* every status-map entry is reachable from its first slot in the index: the generator
     * and rules.h status_map_slot agree */
    unsigned mask = (1u << status_map_bits) - 1;
    for (size_t i = 0; i < status_map_count; i++) {
        const struct status_map *e = &status_map_table[i];
        unsigned h = status_map_slot(e->cls, e->subject, e->detail), probes = 0;
        while (status_map_index[h] && status_map_index[h] != i + 1 && probes++ <= mask)
            h = (h + 1) & mask;
        CHECK(status_map_index[h] == i + 1, "status-map %d.%d.%d not found through the index",
              e->cls, e->subject, e->detail);
    }
}

static void test_status_codes(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/data/enhanced-status-codes.tsv", dir);
    struct tsv t;
    int n = tsv_load(&t, path);
    CHECK(n >= 90, "enhanced codes rows: %d", n);
    int details = 0;
    for (int i = 0; i < t.n; i++) {
        const char *code = t.rows[i].f[0];
        int s, d;
        rb_status_info si;
        if (strncmp(code, "X.", 2) == 0 && strstr(code, "YYY") == NULL) {
            char *end;
            s = (int)strtol(code + 2, &end, 10);
            d = (int)strtol(end + 1, NULL, 10);
            for (int cls = 4; cls <= 5; cls++) {
                CHECK(rb_status_lookup(cls, s, d, &si), "lookup %d.%d.%d", cls, s, d);
                CHECK(si.detail_title && si.meaning && si.action, "detail %s resolves", code);
            }
            details++;
        } else if (strncmp(code, "X.", 2) == 0) {
            s = (int)strtol(code + 2, NULL, 10);
            CHECK(rb_status_lookup(5, s, 999, &si) && si.subject_title, "subject %s", code);
        } else {
            int cls = code[0] - '0';
            CHECK(rb_status_lookup(cls, 0, 0, &si) && si.class_title, "class %s", code);
        }
    }
    CHECK(details >= 81, "detail codes: %d", details);
    rb_status_info si;
    CHECK(!rb_status_lookup(3, 1, 1, &si), "class 3 unknown");
    CHECK(rb_status_lookup(5, 7, 26, &si) && si.detail_title, "5.7.26 known");
    tsv_free(&t);
}

static void test_reply_codes(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/data/reply-codes.tsv", dir);
    struct tsv t;
    tsv_load(&t, path);
    int replies = 0;
    for (int i = 0; i < t.n; i++) {
        const char *code = t.rows[i].f[0];
        if (strcmp(t.rows[i].f[1], "reply") && strcmp(t.rows[i].f[1], "nonstandard"))
            continue;
        int c = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
        rb_replycode_info ri;
        CHECK(rb_replycode_lookup(c, &ri), "reply %s", code);
        CHECK(ri.meaning && ri.first_digit, "reply %s meanings", code);
        if (code[1] <= '5') /* RFC 5321 defines second digits 0..5 only */
            CHECK(ri.second_digit != NULL, "reply %s second digit", code);
        replies++;
    }
    CHECK(replies >= 45, "reply codes: %d", replies);
    rb_replycode_info ri;
    CHECK(rb_replycode_lookup(559, &ri) && ri.meaning && ri.second_digit, "559 falls back");
    CHECK(!rb_replycode_lookup(99, &ri), "99 out of range");
    CHECK(rb_replycode_lookup(421, &ri) && ri.transient, "421 transient");
    tsv_free(&t);
}

static void test_provider_codes(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/data/provider-codes.tsv", dir);
    struct tsv t;
    tsv_load(&t, path);
    size_t n;
    const rb_provider_code *pc = rb_provider_codes(&n);
    CHECK_INT(n, (size_t)t.n, "every provider row compiled");
    for (int i = 0; i < t.n && (size_t)i < n; i++) {
        CHECK_STR(pc[i].provider, t.rows[i].f[0], "provider id");
        CHECK_STR(pc[i].pattern, t.rows[i].f[3], "provider pattern");
        CHECK(pc[i].meaning[0], "row %d has a meaning", t.rows[i].line);
    }
    tsv_free(&t);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    test_unique_keys();
    test_status_codes(dir);
    test_reply_codes(dir);
    test_provider_codes(dir);
    return harness_done();
}
