/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * json_out.c - JSON string escaping and key/value writers; see json_out.h.
 */
#include "json_out.h"

#include <stdio.h>
#include <string.h>

/* utf8_len - length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t need;
    unsigned min;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        need = 2, min = 0x80, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        need = 3, min = 0x800, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        need = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need;
}

int json_str(struct buf *b, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    int rc = buf_putc(b, '"');
    size_t i = 0;
    while (rc == RB_OK && i < n) {
        /* copy the longest run that needs no escaping */
        size_t r = i;
        while (r < n) {
            unsigned char c = (unsigned char)p[r];
            if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80)
                break;
            r++;
        }
        if (r > i) {
            rc = buf_append(b, p + i, r - i);
            i = r;
            continue;
        }
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x80) {
            size_t k = utf8_len((const unsigned char *)p + i, n - i);
            if (k) {
                rc = buf_append(b, p + i, k);
                i += k;
            } else {
                rc = buf_append(b, "\xef\xbf\xbd", 3);
                i++;
            }
            continue;
        }
        char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
        size_t en = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u', esc[2] = '0', esc[3] = '0';
            esc[4] = hex[c >> 4], esc[5] = hex[c & 15];
            en = 6;
        }
        rc = buf_append(b, esc, en);
        i++;
    }
    if (rc == RB_OK)
        rc = buf_putc(b, '"');
    return rc;
}

static int key(struct buf *b, int *first, const char *k)
{
    int rc = RB_OK;
    if (!*first)
        rc = buf_putc(b, ',');
    *first = 0;
    if (rc == RB_OK)
        rc = json_str(b, k, strlen(k));
    if (rc == RB_OK)
        rc = buf_putc(b, ':');
    return rc;
}

int json_key_strn(struct buf *b, int *first, const char *k, const char *val, size_t n)
{
    int rc = key(b, first, k);
    if (rc != RB_OK)
        return rc;
    return val ? json_str(b, val, n) : buf_append(b, "null", 4);
}

int json_key_str(struct buf *b, int *first, const char *k, const char *val)
{
    return json_key_strn(b, first, k, val, val ? strlen(val) : 0);
}

int json_key_int(struct buf *b, int *first, const char *k, long long v)
{
    int rc = key(b, first, k);
    if (rc != RB_OK)
        return rc;
    char num[24];
    int n = snprintf(num, sizeof num, "%lld", v);
    return buf_append(b, num, (size_t)n);
}

int json_key_bool(struct buf *b, int *first, const char *k, int v)
{
    int rc = key(b, first, k);
    if (rc != RB_OK)
        return rc;
    return v ? buf_append(b, "true", 4) : buf_append(b, "false", 5);
}

int json_key_raw(struct buf *b, int *first, const char *k, const char *raw)
{
    int rc = key(b, first, k);
    if (rc != RB_OK)
        return rc;
    return buf_puts(b, raw);
}
