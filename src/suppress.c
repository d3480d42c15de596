/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * suppress.c - the suppression rules over one recipient's state; the config file reader;
 *              address normalisation and syntax check.
 *
 * DESCRIPTION
 *   See suppress.h. The classification of an event uses only the verdict's vocabulary
 *   (kind, reason, category, scope, remedy, permanence): the classifier's safety invariant
 *   (suppress-recipient only for permanent recipient-scoped failures) is what makes "hard
 *   bounce -> suppress at once" safe, and the sender-side test comes first so no sender
 *   problem can ever count against a recipient.
 *
 * LIMITS
 *   Config lines longer than SUPPRESS_CONFIG_LINE bytes are an error; values are unsigned
 *   decimal numbers within each key's documented range.
 *
 * SEE ALSO
 *   suppress.h, docs/store.md
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "suppress.h"

#define SUPPRESS_CONFIG_LINE 1024 /* longest config line */
#define DAY 86400LL

void suppress_config_default(struct suppress_config *cfg)
{
    cfg->mailbox_full_repeats = 3;
    cfg->soft_bounce_days = 5;
    cfg->retry_horizon_hours = 72;
    cfg->batch_events = 0; /* the store backend's default (store_open) */
    cfg->busy_timeout_ms = 5000;
}

/* ---- config file ------------------------------------------------------------------------- */

static const struct {
    const char *name;
    size_t off;
    unsigned min, max;
} config_keys[] = {
    {"mailbox_full_repeats", offsetof(struct suppress_config, mailbox_full_repeats), 1, 1000},
    {"soft_bounce_days", offsetof(struct suppress_config, soft_bounce_days), 1, 3650},
    {"retry_horizon_hours", offsetof(struct suppress_config, retry_horizon_hours), 1, 8760},
    {"batch_events", offsetof(struct suppress_config, batch_events), 1, 1000000},
    {"busy_timeout_ms", offsetof(struct suppress_config, busy_timeout_ms), 0, 600000},
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* config_line - one line (no newline) into cfg; false with err set */
static bool config_line(struct suppress_config *cfg, const char *p, size_t n, unsigned long lineno,
                        char *err, size_t errlen)
{
    while (n && is_space(*p))
        p++, n--;
    while (n && is_space(p[n - 1]))
        n--;
    if (n == 0 || p[0] == '#')
        return true;
    const char *eq = memchr(p, '=', n);
    if (!eq) {
        snprintf(err, errlen, "line %lu: expected 'key = value'", lineno);
        return false;
    }
    size_t klen = (size_t)(eq - p);
    while (klen && is_space(p[klen - 1]))
        klen--;
    const char *v = eq + 1;
    size_t vlen = n - (size_t)(v - p);
    while (vlen && is_space(*v))
        v++, vlen--;
    /* a trailing comment after the value */
    const char *hash = memchr(v, '#', vlen);
    if (hash) {
        vlen = (size_t)(hash - v);
        while (vlen && is_space(v[vlen - 1]))
            vlen--;
    }
    for (size_t i = 0; i < sizeof config_keys / sizeof config_keys[0]; i++) {
        if (strlen(config_keys[i].name) != klen || memcmp(config_keys[i].name, p, klen) != 0)
            continue;
        unsigned long long x = 0;
        if (vlen == 0 || vlen > 10) {
            snprintf(err, errlen, "line %lu: %s: expected a number", lineno, config_keys[i].name);
            return false;
        }
        for (size_t j = 0; j < vlen; j++) {
            if (v[j] < '0' || v[j] > '9') {
                snprintf(err, errlen, "line %lu: %s: not a number: '%.*s'", lineno,
                         config_keys[i].name, (int)vlen, v);
                return false;
            }
            x = x * 10 + (unsigned)(v[j] - '0');
        }
        if (x < config_keys[i].min || x > config_keys[i].max) {
            snprintf(err, errlen, "line %lu: %s: %llu is out of range %u..%u", lineno,
                     config_keys[i].name, x, config_keys[i].min, config_keys[i].max);
            return false;
        }
        unsigned *slot = (unsigned *)(void *)((char *)cfg + config_keys[i].off);
        *slot = (unsigned)x;
        return true;
    }
    snprintf(err, errlen,
             "line %lu: unknown key '%.*s' (known: mailbox_full_repeats, "
             "soft_bounce_days, retry_horizon_hours, batch_events, busy_timeout_ms)",
             lineno, (int)(klen > 64 ? 64 : klen), p);
    return false;
}

int suppress_config_parse(struct suppress_config *cfg, const char *p, size_t len, char *err,
                          size_t errlen)
{
    struct suppress_config tmp = *cfg;
    unsigned long lineno = 0;
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(p + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (p + i)) : len - i;
        lineno++;
        if (n > SUPPRESS_CONFIG_LINE) {
            snprintf(err, errlen, "line %lu: longer than %d bytes", lineno, SUPPRESS_CONFIG_LINE);
            return RB_EPARSE;
        }
        if (memchr(p + i, '\0', n)) {
            snprintf(err, errlen, "line %lu: NUL byte (not a text file?)", lineno);
            return RB_EPARSE;
        }
        if (!config_line(&tmp, p + i, n, lineno, err, errlen))
            return RB_EPARSE;
        i += n + 1;
    }
    *cfg = tmp;
    return RB_OK;
}

/* ---- the rules ------------------------------------------------------------------------------ */

/* sender_side - a failure that is the sender's (or the path's) problem, never the address's */
static bool sender_side(const struct suppress_input *in)
{
    switch (in->scope) {
    case RB_SCOPE_SENDER:
    case RB_SCOPE_MESSAGE:
    case RB_SCOPE_NETWORK:
        return true;
    default:
        break;
    }
    switch (in->category) {
    case RB_CAT_GREYLISTING:
    case RB_CAT_RATE_LIMIT:
    case RB_CAT_REPUTATION:
    case RB_CAT_BLOCKLIST:
    case RB_CAT_AUTHENTICATION:
    case RB_CAT_CONTENT:
    case RB_CAT_VIRUS:
    case RB_CAT_SIZE:
    case RB_CAT_POLICY:
    case RB_CAT_ROUTING:
    case RB_CAT_PROTOCOL:
    case RB_CAT_NETWORK:
        return true;
    default:
        return false;
    }
}

enum suppress_class suppress_classify(const struct suppress_input *in)
{
    switch (in->kind) {
    case RB_EVENT_COMPLAINT:
        return SUPPRESS_C_COMPLAINT;
    case RB_EVENT_DELIVERED:
        return SUPPRESS_C_DELIVERY;
    case RB_EVENT_BOUNCED:
    case RB_EVENT_DEFERRED:
    case RB_EVENT_EXPIRED:
        break;
    default:
        return SUPPRESS_C_NONE;
    }
    if (in->category == RB_CAT_COMPLAINT || in->reason == RB_REASON_FEEDBACK)
        return SUPPRESS_C_COMPLAINT;
    if (in->category == RB_CAT_DELIVERED || in->category == RB_CAT_AUTO_REPLY)
        return SUPPRESS_C_NONE; /* a "bounce" that is a delivery report or a vacation reply */
    if (sender_side(in))
        return SUPPRESS_C_SENDER;
    /* the classifier's safety invariant makes these two remedies address-level only */
    if (in->scope == RB_SCOPE_RECIPIENT && in->permanent &&
        (in->remedy == RB_REMEDY_SUPPRESS_RECIPIENT || in->remedy == RB_REMEDY_FIX_ADDRESS_SYNTAX))
        return SUPPRESS_C_HARD;
    if (in->reason == RB_REASON_MAILBOXFULL || in->category == RB_CAT_MAILBOX)
        return SUPPRESS_C_MAILBOX_FULL;
    return SUPPRESS_C_SOFT;
}

bool suppress_state_empty(const struct suppress_state *st)
{
    return st->mbf_count == 0 && st->soft_count == 0 && st->soft_first == 0 &&
           st->last_failure == 0 && st->keys[0] == '\0';
}

/* keys_push - append key to the comma list, dropping the oldest past SUPPRESS_MAX_KEYS */
static void keys_push(char *keys, const char *key)
{
    size_t klen = strnlen(key, SUPPRESS_KEY_HEX);
    if (klen == 0)
        return;
    size_t count = keys[0] ? 1 : 0;
    for (const char *c = keys; *c; c++)
        count += *c == ',';
    while (count >= SUPPRESS_MAX_KEYS) {
        char *comma = strchr(keys, ',');
        if (!comma) {
            keys[0] = '\0';
            count = 0;
            break;
        }
        memmove(keys, comma + 1, strlen(comma + 1) + 1);
        count--;
    }
    size_t len = strlen(keys);
    if (len + 1 + klen + 1 > SUPPRESS_KEYS_CAP)
        return; /* cannot happen: keys hold at most SUPPRESS_MAX_KEYS keys of KEY_HEX */
    if (len)
        keys[len++] = ',';
    memcpy(keys + len, key, klen);
    keys[len + klen] = '\0';
}

static void decide(struct suppress_decision *out, const char *rule, const char *reason,
                   const char *keys)
{
    out->suppress = true;
    out->rule = rule;
    out->reason = reason;
    snprintf(out->keys, sizeof out->keys, "%s", keys);
}

void suppress_apply(const struct suppress_config *cfg, struct suppress_state *st,
                    const struct suppress_input *in, struct suppress_decision *out)
{
    memset(out, 0, sizeof *out);
    const char *key = in->key ? in->key : "";
    out->cls = suppress_classify(in);
    switch (out->cls) {
    case SUPPRESS_C_NONE:
        return;
    case SUPPRESS_C_SENDER:
        out->sender_alert = true;
        return;
    case SUPPRESS_C_COMPLAINT:
        decide(out, "complaint", "complaint", key);
        return;
    case SUPPRESS_C_HARD:
        decide(out, in->remedy == RB_REMEDY_FIX_ADDRESS_SYNTAX ? "invalid-address" : "hard-bounce",
               rb_reason_name(in->reason), key);
        if (!suppress_state_empty(st)) { /* suppressed: nothing left to count */
            memset(st, 0, sizeof *st);
            out->state_changed = true;
        }
        return;
    case SUPPRESS_C_DELIVERY:
        /* a delivery older than the streak's latest failure (logs read out of order) says
         * nothing about the mailbox now */
        if (suppress_state_empty(st) ||
            (in->time && st->last_failure && in->time < st->last_failure))
            return;
        memset(st, 0, sizeof *st);
        out->state_changed = true;
        return;
    case SUPPRESS_C_MAILBOX_FULL:
    case SUPPRESS_C_SOFT:
        break;
    }
    /* a soft failure: extend the streak */
    out->state_changed = true;
    st->soft_count++;
    if (in->time) {
        if (st->soft_first == 0 || in->time < st->soft_first)
            st->soft_first = in->time;
        if (in->time > st->last_failure)
            st->last_failure = in->time;
    }
    if (out->cls == SUPPRESS_C_MAILBOX_FULL)
        st->mbf_count++;
    keys_push(st->keys, key);
    if (out->cls == SUPPRESS_C_MAILBOX_FULL && st->mbf_count >= cfg->mailbox_full_repeats) {
        decide(out, "mailbox-full-repeated", rb_reason_name(RB_REASON_MAILBOXFULL), st->keys);
    } else if (st->soft_first &&
               st->last_failure - st->soft_first >= (long long)cfg->soft_bounce_days * DAY) {
        decide(out, "soft-bounce-days", rb_reason_name(in->reason), st->keys);
    }
    if (out->suppress)
        memset(st, 0, sizeof *st);
}

/* ---- addresses ------------------------------------------------------------------------------ */

size_t suppress_normalize(const char *p, size_t len, char *out, size_t cap)
{
    while (len && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '"'))
        p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r' ||
                   p[len - 1] == '\n' || p[len - 1] == '"'))
        len--;
    if (len >= 7 && (p[0] == 'm' || p[0] == 'M') && len > 7) {
        static const char mt[] = "mailto:";
        size_t j = 0;
        while (j < 7 && (p[j] | 0x20) == mt[j])
            j++;
        if (j == 7)
            p += 7, len -= 7;
    }
    if (len >= 2 && p[0] == '<' && p[len - 1] == '>')
        p++, len -= 2;
    if (len == 0 || len + 1 > cap)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        out[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
    out[len] = '\0';
    return len;
}

bool suppress_valid_syntax(const char *a, size_t len)
{
    const char *at = NULL;
    for (size_t i = 0; i < len; i++)
        if (a[i] == '@')
            at = a + i; /* the last @: a quoted local part may hold one */
    if (!at || len > 254)
        return false;
    size_t llen = (size_t)(at - a), dlen = len - llen - 1;
    if (llen == 0 || llen > 64 || dlen == 0)
        return false;
    bool quoted = llen >= 2 && a[0] == '"' && a[llen - 1] == '"';
    for (size_t i = 0; i < llen; i++) {
        unsigned char c = (unsigned char)a[i];
        if (c <= ' ' || c == 0x7f)
            return false;
        if (!quoted && (c == '@' || c == '(' || c == ')' || c == '<' || c == '>' || c == ',' ||
                        c == ';' || c == ':' || c == '\\' || c == '"' || c == '[' || c == ']'))
            return false;
        if (!quoted && c == '.' && (i == 0 || i == llen - 1 || a[i + 1] == '.'))
            return false;
    }
    const char *d = at + 1;
    if (d[0] == '[') /* address literal: [192.0.2.1] or [IPv6:...] */
        return dlen > 2 && d[dlen - 1] == ']';
    size_t label = 0, dots = 0;
    for (size_t i = 0; i < dlen; i++) {
        unsigned char c = (unsigned char)d[i];
        if (c == '.') {
            if (label == 0 || d[i - 1] == '-')
                return false;
            label = 0;
            dots++;
            continue;
        }
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c >= 0x80; /* UTF-8 of an internationalised domain */
        if (!ok || (c == '-' && label == 0) || ++label > 63)
            return false;
    }
    return dots > 0 && label > 0 && d[dlen - 1] != '-';
}
