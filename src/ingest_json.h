/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest_json.h - internal interface between the JSON reader's splitter and dispatcher
 *                 (ingest_json.c) and its per-source decoders (ingest_json_esp.c,
 *                 ingest_json_mta.c).
 *
 * DESCRIPTION
 *   ingest_json.c cuts the input into top-level JSON values (arrays into their elements),
 *   parses each with jansson and calls json_dispatch(), which recognises the document's
 *   shape and calls one decoder per source. A decoder fills struct ingest_ev with slices
 *   into the jansson document (valid until it is released, after the decoder returns) or
 *   into the context's scratch area (formatted numbers), and emits one event per recipient.
 *
 * LIMITS
 *   JSON_SCRATCH bytes of formatted numbers per document; a value that does not fit comes
 *   back empty.
 */
#ifndef RB_INGEST_JSON_H
#define RB_INGEST_JSON_H

#include <jansson.h>

#include "ingest.h"

#define JSON_SCRATCH 4096

/* Per-document context handed to the decoders. */
struct json_ctx {
    rb_ingest *ig;
    size_t used;                /* bytes of scratch in use */
    int nest;                   /* envelopes opened (SNS Message inside SNS ...) */
    char scratch[JSON_SCRATCH]; /* formatted numbers, decoded enhanced codes */
};

/* ---- helpers (ingest_json.c) -------------------------------------------------------------- */

/* jget - member key of object o, or NULL (o may be NULL or not an object). */
static inline json_t *jget(json_t *o, const char *key)
{
    return json_object_get(o, key);
}

/* jv - text of a scalar value: a string as it is (borrowed from the document), a number
 * formatted into the scratch area; empty for anything else. */
struct slice jv(struct json_ctx *cx, json_t *v);

/* js - jv of member key of o. */
struct slice js(struct json_ctx *cx, json_t *o, const char *key);

/* jfirst - a string, or the first string of an array (objects in it: their "name" or
 * "id"): SendGrid category, Mailgun tags, Mandrill tags. */
struct slice jfirst(struct json_ctx *cx, json_t *v);

/* jint - integer value of a number or a numeric string, 0 if none. */
long long jint(json_t *v);

/* jtime - Unix time of a number (seconds, or milliseconds when huge) or of a date string
 * (ISO 8601, Unix digits, RFC 5322). Returns false when v is none of these. */
bool jtime(json_t *v, long long *t, int *tzoff);

/* json_fmt - printf into the scratch area; an empty slice when it does not fit. */
struct slice json_fmt(struct json_ctx *cx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* json_is - whether string member key of o equals lit (case-insensitive). */
bool json_is(json_t *o, const char *key, const char *lit);

/* strip_type - "smtp; 550 ..." -> "550 ...", "dns; mx.example" -> "mx.example" (the RFC 3464
 * type prefix of Diagnostic-Code and Reporting-MTA values). */
struct slice strip_type(struct slice s);

/* addr_spec - "Name <a@b>" -> "a@b"; "<a@b>" -> "a@b"; else trimmed s. */
struct slice addr_spec(struct slice s);

/* smtp_command - "RCPT TO:<x>" -> "RCPT", "." -> "DATA", "MAIL FROM" -> "MAIL" ... (static
 * strings); empty if unknown. */
struct slice smtp_command(struct slice s);

/* host_of - "10.0.0.1:53210" -> "10.0.0.1", "[2001:db8::1]:25" -> "2001:db8::1". */
struct slice host_of(struct slice s);

/* json_emit - ingest_emit, or a skip when the event names no recipient. */
int json_emit(struct json_ctx *cx, const struct ingest_ev *e);

/* json_depth_ok - whether the JSON text (p, n) nests no deeper than max (strings skipped);
 * used before handing text from inside a document (an SNS Message) to jansson. */
bool json_depth_ok(const char *p, size_t n, unsigned max);

#define JSON_MAX_DEPTH 64 /* deeper documents are skipped: jansson's parser recurses */

/* ---- decoders: each returns RB_OK or the first non-OK ingest_emit/ingest_malformed code --- */

/* ingest_json_esp.c */
int json_ses(struct json_ctx *cx, json_t *doc);
int json_sns(struct json_ctx *cx, json_t *doc);
int json_sendgrid(struct json_ctx *cx, json_t *doc);
int json_mailgun(struct json_ctx *cx, json_t *doc);
int json_mailgun_list(struct json_ctx *cx, json_t *doc);
int json_postmark(struct json_ctx *cx, json_t *doc);
/* ingest_json_mta.c */
int json_sparkpost(struct json_ctx *cx, json_t *doc);
int json_mandrill(struct json_ctx *cx, json_t *doc);
int json_kumomta(struct json_ctx *cx, json_t *doc);
int json_generic(struct json_ctx *cx, json_t *doc);

/* json_dispatch - recognise the shape of one document and decode it (ingest_json.c); also
 * called for the documents inside envelopes (SNS Message, Mailgun items, Bounces lists). */
int json_dispatch(struct json_ctx *cx, json_t *doc);

#endif /* RB_INGEST_JSON_H */
