/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * json_out.h - JSON writing into a struct buf: the only way output JSON is produced.
 *
 * DESCRIPTION
 *   json_str() writes a quoted, escaped string: control bytes as \uXXXX, valid UTF-8 kept,
 *   invalid UTF-8 bytes replaced by U+FFFD, so the output is always valid JSON whatever the
 *   input bytes were. The other helpers write "key": value pairs with a leading comma
 *   when *first is 0 (they set it to 0).
 */
#ifndef RB_JSON_OUT_H
#define RB_JSON_OUT_H

#include <stddef.h>
#include <string.h>

#include "buf.h"

/* json_str - append (p, n) as a JSON string literal. RB_OK / RB_ETOOBIG / RB_ENOMEM. */
int json_str(struct buf *b, const char *p, size_t n) BUF_WARN_UNUSED;
/* Keys are the program's own ASCII names (no quotes, backslashes or control bytes): they
 * are written as they are. */
/* json_key_str - append ,"key":"value" (value NULL -> null). */
int json_key_str(struct buf *b, int *first, const char *key, const char *val) BUF_WARN_UNUSED;
/* json_key_strn - same with a length-carrying value. */
int json_key_strn(struct buf *b, int *first, const char *key, const char *val,
                  size_t n) BUF_WARN_UNUSED;
/* json_key_int - append ,"key":number. */
int json_key_int(struct buf *b, int *first, const char *key, long long v) BUF_WARN_UNUSED;
/* json_key_bool - append ,"key":true|false. */
int json_key_bool(struct buf *b, int *first, const char *key, int v) BUF_WARN_UNUSED;
/* json_key_raw - append ,"key":<raw JSON text>. */
int json_key_raw(struct buf *b, int *first, const char *key, const char *raw) BUF_WARN_UNUSED;

/* ---- direct writers for high-volume output (ingest) ------------------------------------------
 * The caller reserves room once per record (buf_reserve with the sum of the bounds below),
 * writes at d = b->p + b->len, then sets b->len to the end and NUL-terminates. They write the
 * same bytes as the buf-based functions above. */

/* JSON_STR_MAX - room json_put_str needs for n input bytes (a control byte becomes \u00XX) */
#define JSON_STR_MAX(n) (6 * (size_t)(n) + 2)

/* json_put_str - (p, n) as a JSON string literal at d; returns the end. */
char *json_put_str(char *d, const char *p, size_t n);
/* json_put_int - v in decimal at d (at most 20 bytes); returns the end. */
char *json_put_int(char *d, long long v);
/* json_put_key - ,"key": at d (kn + 4 bytes; no comma when *first, which it clears); returns
 * the end. Inline so that a literal key's length is a constant and its copy a few moves. */
static inline char *json_put_key(char *d, int *first, const char *k, size_t kn)
{
    if (!*first)
        *d++ = ',';
    *first = 0;
    *d++ = '"';
    memcpy(d, k, kn);
    d += kn;
    *d++ = '"';
    *d++ = ':';
    return d;
}

#endif /* RB_JSON_OUT_H */
