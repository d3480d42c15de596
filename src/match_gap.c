/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * match_gap.c - checks a rule's gap alternative around one occurrence of its trigger.
 *
 * DESCRIPTION
 *   "LEFT[^stop]{lo,hi}RIGHT" matches when a LEFT phrase ends at e, a RIGHT phrase starts at
 *   e + g with lo <= g <= hi, and none of the g bytes between is a stop byte. The matcher
 *   reports every occurrence of the trigger side's phrases; from there the window is walked
 *   outwards one byte at a time, stopping at the first stop byte, and where the byte at the
 *   edge can start (or end) a phrase of the other side, only the phrases with that edge
 *   byte are compared: one table lookup per byte (gap_check.byte_class). tools/gen_tables.py
 *   builds the tables and checks them against the rule's regex; tests/gap_oracle.c compares
 *   the two on generated texts.
 */
#include "match_gap.h"

#include <string.h>

enum { STOP = 0x80, GROUP = 0x7f };

/* phrase_in_group - does a phrase of group grp (1-based) start at text[at] (dir > 0) or end
 * just before it (dir < 0)? */
static bool phrase_in_group(const struct gap_check *g, unsigned grp, const char *text,
                            size_t text_len, size_t at, int dir)
{
    for (unsigned k = g->edge_at[grp - 1]; k < g->edge_at[grp]; k++) {
        const struct gap_phrase *ph = &g->other[k];
        if (dir > 0) {
            if (ph->len <= text_len - at && memcmp(text + at, ph->s, ph->len) == 0)
                return true;
        } else if (ph->len <= at && memcmp(text + at - ph->len, ph->s, ph->len) == 0) {
            return true;
        }
    }
    return false;
}

bool gap_check_holds(const struct gap_check *g, const char *text, size_t text_len, size_t end,
                     size_t len)
{
    const unsigned char *cls = g->byte_class;
    const unsigned char *t = (const unsigned char *)text;
    if (end > text_len || len > end)
        return false;
    if (g->trigger_left) {
        /* the other side starts at end + gap; the gap is t[end, end + gap) */
        size_t last = end + g->hi < text_len - 1 ? end + g->hi : text_len - 1;
        for (size_t at = end; at <= last && end < text_len; at++) {
            unsigned c = cls[t[at]];
            if (at - end >= g->lo && (c & GROUP) &&
                phrase_in_group(g, c & GROUP, text, text_len, at, 1))
                return true;
            if (c & STOP)
                break; /* the gap would have to contain this byte */
        }
        return false;
    }
    /* the other side ends at start - gap; the gap is t[start - gap, start) */
    size_t start = end - len;
    for (size_t gap = 0; gap <= g->hi && gap < start; gap++) {
        unsigned c = cls[t[start - gap - 1]];
        if (gap >= g->lo && (c & GROUP) &&
            phrase_in_group(g, c & GROUP, text, text_len, start - gap, -1))
            return true;
        if (c & STOP)
            break;
    }
    return false;
}
