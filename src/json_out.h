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

#endif /* RB_JSON_OUT_H */
