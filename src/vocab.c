/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vocab.c - names of the public enums, error strings and the version.
 *
 * DESCRIPTION
 *   The names come from the generated tables (data/reasons.tsv, categories.tsv) so the
 *   vocabulary is defined in one place.
 */
#include <string.h>

#include "rebound.h"
#include "rules.h"

const char *rb_version(void)
{
    return RB_VERSION;
}

const char *rb_strerror(int err)
{
    switch (err) {
    case RB_OK:
        return "success";
    case RB_ENOMEM:
        return "out of memory";
    case RB_EINVAL:
        return "invalid argument";
    case RB_ETOOBIG:
        return "input exceeds a limit";
    case RB_EIO:
        return "input/output error";
    case RB_EMATCHER:
        return "pattern database error";
    case RB_EPARSE:
        return "input is not in the expected format";
    default:
        return "unknown error";
    }
}

const char *rb_reason_name(rb_reason r)
{
    return (unsigned)r < RB_REASON__COUNT ? reason_table[r].name : "undefined";
}

const char *rb_category_name(rb_category c)
{
    return (unsigned)c < RB_CAT__COUNT ? category_table[c].name : "unknown";
}

const char *rb_scope_name(rb_scope s)
{
    return (unsigned)s < RB_SCOPE__COUNT ? scope_names[s] : "unknown";
}

const char *rb_remedy_name(rb_remedy r)
{
    return (unsigned)r < RB_REMEDY__COUNT ? remedy_names[r] : "none";
}

rb_reason rb_reason_from_name(const char *name, size_t len)
{
    for (unsigned r = 0; r < RB_REASON__COUNT; r++) {
        const char *n = reason_table[r].name;
        if (strlen(n) == len && strncmp(n, name, len) == 0)
            return (rb_reason)r;
    }
    return RB_REASON__COUNT;
}

const char *rb_auth_names(unsigned auth, char *buf, size_t size)
{
    size_t k = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (unsigned i = 0; auth_names[i]; i++) {
        if (!(auth & (1u << i)))
            continue;
        size_t n = strlen(auth_names[i]);
        if (k + n + 2 > size)
            break;
        if (k)
            buf[k++] = ',';
        memcpy(buf + k, auth_names[i], n);
        k += n;
        buf[k] = '\0';
    }
    return buf;
}
