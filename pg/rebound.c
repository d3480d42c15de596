/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rebound.c - the PostgreSQL extension: rebound's classifier and bounce-email parser as SQL
 *             functions (CREATE EXTENSION rebound).
 *
 * DESCRIPTION
 *   rebound_explain(text) -> jsonb: the JSON of `rebound explain --json` for one reply.
 *   rebound_reason(text), rebound_category(text), rebound_remedy(text) -> text: one field
 *   of it, without building JSON (the fast path for a column of replies).
 *   rebound_parse(bytea) -> SETOF record: one row per recipient a bounce email reports
 *   (the fields of rb_record), none for a message that is not a bounce.
 *   All are IMMUTABLE (the answer depends on the input and the compiled-in rules only),
 *   PARALLEL SAFE and STRICT (rebound--0.1.0.sql).
 *
 *   State: the classifier (immutable, the compiled rule database), one scratch and one
 *   parser are loaded on the first call and kept for the life of the backend process, in
 *   statics. This is the one place in rebound where a static holds mutable state, and it is
 *   safe here: a PostgreSQL backend runs one query at a time on one thread, and each
 *   parallel worker is its own process with its own copy. Their memory comes from malloc
 *   (rebound's allocator), not from a memory context, for that reason.
 *
 *   Bad input never takes the backend down: rebound's parsers take any bytes (they are
 *   fuzzed), results are copied out before anything can raise an error, and text is made
 *   valid UTF-8 (invalid bytes become U+FFFD) and converted to the database's encoding
 *   before it becomes a text Datum. A failure inside rebound is an SQL ERROR. Should an
 *   ERROR (out of memory) ever leave the parser in the middle of a message, the next call
 *   sees it and builds a new one.
 *
 * LIMITS
 *   A reply longer than RB_MAX_REPLY_TEXT is classified on its first RB_MAX_REPLY_TEXT
 *   bytes (as `rebound explain` does). A message up to PostgreSQL's 1 GB bytea.
 *
 * SEE ALSO
 *   include/rebound.h, src/verdict_out.c, cli/cmd_explain.c, docs/postgres.md
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "buf.h"
#include "slice.h"
#include "json_out.h"
#include "rebound.h"
#include "verdict_out.h"

PG_MODULE_MAGIC;

/* bytes of one explain's JSON: the input and the text, each up to RB_MAX_REPLY_TEXT bytes
 * escaped up to 6 bytes a byte */
#define EXPLAIN_JSON_CAP (16u * RB_MAX_REPLY_TEXT)

/* Per backend process, see the DESCRIPTION. */
static rb_classifier *classifier;
static rb_scratch *scratch;
static rb_parser *parser;
static bool parser_busy; /* set while rb_parse_message runs: still set = it was interrupted */

/* load - the classifier and scratch, once per process */
static void load(void)
{
    int rc;
    if (!classifier && (rc = rb_classifier_new(&classifier, NULL)) != RB_OK)
        ereport(ERROR, (errmsg("rebound: cannot load the classifier: %s", rb_strerror(rc))));
    if (!scratch && (rc = rb_scratch_new(classifier, &scratch)) != RB_OK)
        ereport(ERROR, (errmsg("rebound: cannot allocate a scratch: %s", rb_strerror(rc))));
}

/* explain - classify the text argument into *v (borrowed pointers valid until the next
 * call); *in and *len get the input bytes classified */
static void explain(text *t, rb_verdict *v, const char **in, size_t *len)
{
    load();
    *in = VARDATA_ANY(t);
    *len = VARSIZE_ANY_EXHDR(t);
    if (*len > RB_MAX_REPLY_TEXT)
        *len = RB_MAX_REPLY_TEXT;
    int rc = rb_explain(scratch, *in, *len, v);
    if (rc != RB_OK)
        ereport(ERROR, (errmsg("rebound: classifying failed: %s", rb_strerror(rc))));
}

/* to_text - (p, n) as a text Datum: invalid UTF-8 bytes become U+FFFD, then the text is
 * converted to the database's encoding (an ERROR if it has no such character) */
static Datum to_text(const char *p, size_t n)
{
    char *clean = palloc(3 * n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq_len((const unsigned char *)p + i, n - i);
        if (k) {
            memcpy(clean + o, p + i, k);
            o += k;
            i += k;
        } else {
            memcpy(clean + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    clean[o] = '\0';
    char *conv = pg_any_to_server(clean, (int)o, PG_UTF8);
    return PointerGetDatum(cstring_to_text(conv));
}

static Datum to_text_z(const char *s)
{
    return to_text(s ? s : "", s ? strlen(s) : 0);
}

PG_FUNCTION_INFO_V1(rebound_explain);
Datum rebound_explain(PG_FUNCTION_ARGS)
{
    text *t = PG_GETARG_TEXT_PP(0);
    rb_verdict v;
    const char *in;
    size_t len;
    explain(t, &v, &in, &len);
    struct buf b;
    buf_init(&b, EXPLAIN_JSON_CAP, NULL);
    int first = 1;
    int rc = buf_putc(&b, '{');
    if (rc == RB_OK)
        rc = json_key_strn(&b, &first, "input", in, len);
    if (rc == RB_OK)
        rc = json_key_strn(&b, &first, "text", v.reply.text, v.reply.text_len);
    if (rc == RB_OK)
        rc = verdict_json_fields(&b, &first, &v);
    if (rc == RB_OK)
        rc = buf_putc(&b, '}');
    if (rc != RB_OK) {
        buf_free(&b);
        ereport(ERROR, (errmsg("rebound: building JSON failed: %s", rb_strerror(rc))));
    }
    /* json_str wrote valid UTF-8 (control bytes escaped); copied out of malloc'd memory
     * before jsonb_in, which may raise an error */
    char *json = pnstrdup(b.p, b.len);
    buf_free(&b);
    char *conv = pg_any_to_server(json, (int)strlen(json), PG_UTF8);
    PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(conv)));
}

PG_FUNCTION_INFO_V1(rebound_reason);
Datum rebound_reason(PG_FUNCTION_ARGS)
{
    rb_verdict v;
    const char *in;
    size_t len;
    explain(PG_GETARG_TEXT_PP(0), &v, &in, &len);
    PG_RETURN_TEXT_P(cstring_to_text(rb_reason_name(v.reason)));
}

PG_FUNCTION_INFO_V1(rebound_category);
Datum rebound_category(PG_FUNCTION_ARGS)
{
    rb_verdict v;
    const char *in;
    size_t len;
    explain(PG_GETARG_TEXT_PP(0), &v, &in, &len);
    PG_RETURN_TEXT_P(cstring_to_text(rb_category_name(v.category)));
}

PG_FUNCTION_INFO_V1(rebound_remedy);
Datum rebound_remedy(PG_FUNCTION_ARGS)
{
    rb_verdict v;
    const char *in;
    size_t len;
    explain(PG_GETARG_TEXT_PP(0), &v, &in, &len);
    PG_RETURN_TEXT_P(cstring_to_text(rb_remedy_name(v.remedy)));
}

/* ---- rebound_parse -------------------------------------------------------------------------
 *
 * The columns, in the order of rebound--0.1.0.sql's OUT parameters. */
enum {
    C_RECIPIENT,
    C_ADDRESSER,
    C_ACTION,
    C_STATUS,
    C_REPLYCODE,
    C_REASON,
    C_CATEGORY,
    C_SCOPE,
    C_REMEDY,
    C_HARD,
    C_PERMANENT,
    C_DIAGNOSTIC,
    C_RHOST,
    C_LHOST,
    C_SMTPAGENT,
    C_PROVIDER,
    C_TIME,
    C_MESSAGEID,
    C_SUBJECT,
    C_LISTID,
    C_FEEDBACKTYPE,
    C__COUNT
};

/* One record copied out of the parser (palloc'd strings, in the caller's context). */
struct row {
    char *s[C__COUNT]; /* strings of the text columns, NULL for the others */
    int replycode;
    bool hard, permanent;
    long long time; /* Unix seconds, 0 = unknown */
    struct row *next;
};

struct collect {
    struct row *head, **tail;
};

static char *copy_str(const char *s)
{
    return pstrdup(s ? s : "");
}

/* on_record - copy r out (strings are the parser's, valid during the call only) */
static int on_record(const rb_record *r, void *ud)
{
    struct collect *c = ud;
    struct row *w = palloc0(sizeof *w);
    const rb_verdict *v = &r->verdict;
    w->s[C_RECIPIENT] = copy_str(r->recipient);
    w->s[C_ADDRESSER] = copy_str(r->addresser);
    w->s[C_ACTION] = copy_str(r->action);
    w->s[C_STATUS] = copy_str(v->reply.status);
    w->s[C_REASON] = copy_str(rb_reason_name(v->reason));
    w->s[C_CATEGORY] = copy_str(rb_category_name(v->category));
    w->s[C_SCOPE] = copy_str(rb_scope_name(v->scope));
    w->s[C_REMEDY] = copy_str(rb_remedy_name(v->remedy));
    w->s[C_DIAGNOSTIC] = copy_str(r->diagnosticcode);
    w->s[C_RHOST] = copy_str(r->rhost);
    w->s[C_LHOST] = copy_str(r->lhost);
    w->s[C_SMTPAGENT] = copy_str(r->smtpagent);
    w->s[C_PROVIDER] = copy_str(v->provider);
    w->s[C_MESSAGEID] = copy_str(r->messageid);
    w->s[C_SUBJECT] = copy_str(r->subject);
    w->s[C_LISTID] = copy_str(r->listid);
    w->s[C_FEEDBACKTYPE] = copy_str(r->feedbacktype);
    w->replycode = v->reply.replycode;
    w->hard = v->hardbounce;
    w->permanent = v->permanent;
    w->time = r->timestamp;
    *c->tail = w;
    c->tail = &w->next;
    return 0;
}

PG_FUNCTION_INFO_V1(rebound_parse);
Datum rebound_parse(PG_FUNCTION_ARGS)
{
    bytea *msg = PG_GETARG_BYTEA_PP(0);
    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
    load();
    if (parser_busy) /* an ERROR left it in the middle of a message */
        parser = rb_parser_free(parser);
    int rc;
    if (!parser && (rc = rb_parser_new(classifier, &parser)) != RB_OK)
        ereport(ERROR, (errmsg("rebound: cannot create a parser: %s", rb_strerror(rc))));
    struct collect c = {NULL, &c.head};
    parser_busy = true;
    rc = rb_parse_message(parser, VARDATA_ANY(msg), VARSIZE_ANY_EXHDR(msg), on_record, &c);
    parser_busy = false;
    if (rc != RB_OK)
        ereport(ERROR, (errmsg("rebound: decoding the message failed: %s", rb_strerror(rc))));
    for (struct row *w = c.head; w; w = w->next) {
        Datum values[C__COUNT];
        bool nulls[C__COUNT];
        memset(nulls, 0, sizeof nulls);
        for (int i = 0; i < C__COUNT; i++)
            if (w->s[i])
                values[i] = to_text_z(w->s[i]);
        values[C_REPLYCODE] = Int32GetDatum(w->replycode);
        nulls[C_REPLYCODE] = w->replycode == 0;
        values[C_HARD] = BoolGetDatum(w->hard);
        values[C_PERMANENT] = BoolGetDatum(w->permanent);
        values[C_TIME] = TimestampTzGetDatum(time_t_to_timestamptz((pg_time_t)w->time));
        nulls[C_TIME] = w->time == 0;
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return (Datum)0;
}
