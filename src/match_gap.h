/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * match_gap.h - the gap alternatives of rules ("dkim[^.;]{0,40}(fail|...)"), checked in C
 * around the trigger phrases the matcher reports (tables: rules.h gap_checks).
 */
#ifndef RB_MATCH_GAP_H
#define RB_MATCH_GAP_H

#include <stdbool.h>
#include <stddef.h>

#include "rules.h"

/* gap_check_holds - does the alternative of g match with its trigger phrase occupying
 * text[end - len, end)? text is the lower-cased text the matcher scanned. Looks at most
 * g->hi bytes beyond the phrase, so the cost per trigger is bounded. */
bool gap_check_holds(const struct gap_check *g, const char *text, size_t text_len, size_t end,
                     size_t len);

#endif /* RB_MATCH_GAP_H */
