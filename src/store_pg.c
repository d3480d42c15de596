/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store_pg.c - the PostgreSQL backend of the store (libpq): several ingest hosts, one store.
 *
 * DESCRIPTION
 *   Chosen by a "postgresql://" or "postgres://" target, passed to libpq as it is (so every
 *   libpq form works: user:password@host:port/db?sslmode=..., host=/run/postgresql in the
 *   query, PGPASSWORD, ~/.pgpass, a service file). One connection per handle.
 *
 *   Ours or not: a database (more exactly the first schema of its search_path) is a rebound
 *   store when its meta table has application = rebound and a schema_version. A schema
 *   that holds other tables but no such meta table is refused ("not a rebound store"), an
 *   empty one is given the schema. Migrations are an ordered list, as in SQLite, run in one
 *   transaction under an advisory lock, so ingest hosts starting together create the schema
 *   once; a store from a newer rebound is refused.
 *
 *   Bulk ingest (store.h's put_events, prefetch and stream; the loop is in store.c): the
 *   events of a batch go by COPY (text format) straight into events, sent while the batch
 *   is being queued (pg_stream, some KB per message), so the server inserts while the
 *   caller reads on; pg_put_events says how events already stored are kept out. Then one
 *   prepared query reads the state rows of the batch's recipients, locking them (SELECT ...
 *   FOR UPDATE, in address order), and which of them are on the list; the rules run in
 *   memory on that copy; at commit the changed states, new suppressions and summed sender
 *   alerts go as arrays to one prepared statement (INSERT/UPDATE/DELETE in data-modifying
 *   WITH clauses), then COMMIT. On the common path (a streamed batch of new events) that
 *   read is sent by pg_put_events as soon as the COPY ends, its recipients listed while the
 *   server finishes the rows, and the list read only for recipients whose events may
 *   suppress (deliveries never do); pg_prefetch takes its answer when it covers store.c's
 *   list (else reads the ordinary way). Five round trips per batch: BEGIN with the COPY,
 *   its end, the read, the writes and COMMIT.
 *
 *   One event at a time (store_open_opts.per_event, for callers that need each event's
 *   outcome at once): put_event is a batch of one, and the rule calls go to the server
 *   directly; a state read as absent is created with INSERT ... ON CONFLICT DO NOTHING, and
 *   finding it created meanwhile by another writer fails the transaction (retry flag set)
 *   instead of overwriting it.

 *   Concurrency, the choice made: row locks plus a retry, not advisory locks. A state row
 *   that exists is locked by the prefetch, so two ingests never both update it from the same
 *   old value. A state that does not exist yet cannot be locked; both racers may see "none"
 *   and both INSERT it (plain INSERT, no ON CONFLICT): the second gets a unique violation,
 *   the batch is rolled back and store.c runs it again, when the row exists and is locked.
 *   New suppressions are plain INSERTs for the same reason. Deadlocks (40P01) and
 *   serialization failures (40001) are retried the same way. Locks are taken in one order
 *   (events by (time, key), states by address, inserts by address), so two batches do not
 *   deadlock in practice. An advisory lock per recipient was not chosen: 10,000 recipients
 *   a batch would overflow PostgreSQL's shared lock table (max_locks_per_transaction), and
 *   row locks live in the rows. Deliveries to recipients without a streak (most events)
 *   lock and write nothing.
 *
 *   Durability: synchronous_commit = off unless opened durable (a committed batch survives
 *   a crash of the ingest; a crash of the server may lose the last few hundred ms of
 *   batches, never half of one, as SQLite's synchronous=NORMAL). busy_timeout_ms becomes
 *   lock_timeout. Text is sent as UTF-8: invalid bytes become U+FFFD (the key was hashed from
 *   the bytes as read, so idempotence does not change).
 *
 * LIMITS
 *   STORE_MAX_TEXT bytes of text per event. PG_COPY_CAP bytes of COPY data per batch.
 *
 * SEE ALSO
 *   store.h, store.c, store_sqlite.c, docs/postgres.md
 */
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl_pq.h" /* after <libpq-fe.h>: libpq is loaded on first use */
#include "buf.h"
#include "slice.h"
#include "json_out.h"
#include "store.h"
#include "store_fields.h"

#define PG_COPY_CAP (1u << 30)     /* bytes of COPY data (or an address array) per batch */
#define PG_COPY_SEND (1u << 20)    /* bytes per PQputCopyData call */
#define PG_STREAM_SEND (64u << 10) /* streamed rows gathered before a PQputCopyData call */
#define PG_CONNECT_TIMEOUT "10"    /* seconds, unless the target says otherwise */
#define PG_TEMP_BUFFERS "128MB"    /* the writer's staging tables, in its local buffers */
#define PG_ADDR_CLEAN (3 * SUPPRESS_MAX_ADDRESS + 1) /* an address made valid UTF-8 */

/* ---- the schema -------------------------------------------------------------------------- */

/* The columns of events a writer sends, in the order of the COPY rows. */
#define EV_COLS                                                                                    \
    "key, time, kind, recipient, domain, sender, sender_domain, rhost, provider, replycode,"       \
    " status, reason, category, scope, remedy, permanent, campaign, sending_ip, sending_domain,"   \
    " vmta, queue_id, message_id, source_event_id, text, format, auth, blocklist, listed"

/* Migration i brings a store to version migrations[i].to. The PostgreSQL backend starts at
 * schema 3 (SQLite's numbering: the same tables); later versions append here. */
static const struct {
    int to;
    const char *sql;
} migrations[] = {
    {3, "CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL);"
        "CREATE TABLE events("
        " id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        " key bytea NOT NULL," /* store_event_key(): 16 bytes */
        " time bigint NOT NULL, kind text NOT NULL,"
        " recipient text COLLATE \"C\" NOT NULL, domain text NOT NULL,"
        " sender text NOT NULL, sender_domain text NOT NULL,"
        " rhost text NOT NULL, provider text NOT NULL,"
        " replycode integer NOT NULL, status text NOT NULL,"
        " reason text NOT NULL, category text NOT NULL, scope text NOT NULL,"
        " remedy text NOT NULL, permanent boolean NOT NULL,"
        " campaign text NOT NULL, sending_ip text NOT NULL, sending_domain text NOT NULL,"
        " vmta text NOT NULL, queue_id text NOT NULL, message_id text NOT NULL,"
        " source_event_id text NOT NULL, text text NOT NULL, format text NOT NULL,"
        " auth integer NOT NULL DEFAULT 0, blocklist text NOT NULL DEFAULT '',"
        " listed text NOT NULL DEFAULT '',"
        /* as in SQLite: (time, key) grows at its right edge and serves time ranges */
        " UNIQUE(time, key));"
        "CREATE TABLE recipient_state(address text COLLATE \"C\" PRIMARY KEY,"
        " mbf_count integer NOT NULL, soft_count integer NOT NULL,"
        " soft_first bigint NOT NULL, last_failure bigint NOT NULL, keys text NOT NULL);"
        "CREATE TABLE suppressions(address text COLLATE \"C\" PRIMARY KEY,"
        " reason text NOT NULL, rule text NOT NULL, since bigint NOT NULL,"
        " event_keys text NOT NULL);"
        "CREATE TABLE sender_alerts(sender_domain text NOT NULL, sending_ip text NOT NULL,"
        " category text NOT NULL, provider text NOT NULL, count bigint NOT NULL,"
        " first_time bigint NOT NULL, last_time bigint NOT NULL, last_key text NOT NULL,"
        " PRIMARY KEY(sender_domain, sending_ip, category, provider));"
        "CREATE TABLE notices(id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        " time bigint NOT NULL, kind text NOT NULL, source text NOT NULL, url text NOT NULL,"
        " text text NOT NULL, UNIQUE(kind, source, url));"
        "INSERT INTO meta VALUES('application', 'rebound'), ('schema_version', '0');"},
};
#define NMIGRATIONS (sizeof migrations / sizeof migrations[0])
#define SCHEMA_VERSION 3

/* The per-connection staging table of a writer (the checked way of pg_put_events), emptied
 * by every commit and rollback. */
static const char stage_sql[] =
    "CREATE TEMP TABLE rb_key_stage(time bigint, key bytea) ON COMMIT DELETE ROWS;";

/* The bulk path's read of a batch's recipients, in one round trip: their state rows, locked
 * in address order (two batches lock in one order), and which are on the list. Prepared with
 * a generic plan: a plan for a literal array of 10,000 addresses costs more than the scan. */
static const char prefetch_sql[] =
    "WITH st AS (SELECT address, mbf_count, soft_count, soft_first, last_failure, keys"
    " FROM recipient_state WHERE address = ANY($1) ORDER BY address FOR UPDATE)"
    " SELECT address, mbf_count, soft_count, soft_first, last_failure, keys, false FROM st"
    " UNION ALL SELECT address, NULL, NULL, NULL, NULL, NULL, true FROM suppressions"
    " WHERE address = ANY($1)";

/* The batch's rule outcomes, in one statement: the arrays unnest to rows (states with their
 * op: 'u' update, 'd' delete, 'i' insert; new list entries; summed sender alerts). The
 * sub-statements touch disjoint rows (one op per address), so one snapshot serves them. New
 * states and entries are plain INSERTs in address order: another writer's row makes a unique
 * violation, and the batch is run again (the DESCRIPTION). */
static const char flush_sql[] =
    "WITH st AS (SELECT a COLLATE \"C\" AS address, op, mbf, soft, first, last, keys"
    " FROM unnest($1::text[], $2::text[], $3::int4[], $4::int4[], $5::int8[], $6::int8[],"
    " $7::text[]) AS t(a, op, mbf, soft, first, last, keys)),"
    " u AS (UPDATE recipient_state r SET mbf_count = s.mbf, soft_count = s.soft,"
    " soft_first = s.first, last_failure = s.last, keys = s.keys FROM st s"
    " WHERE s.op = 'u' AND r.address = s.address),"
    " d AS (DELETE FROM recipient_state r USING st s WHERE s.op = 'd' AND r.address = s.address),"
    " i AS (INSERT INTO recipient_state SELECT address, mbf, soft, first, last, keys FROM st"
    " WHERE op = 'i' ORDER BY address),"
    " l AS (INSERT INTO suppressions SELECT a COLLATE \"C\", reason, rule, since, keys"
    " FROM unnest($8::text[], $9::text[], $10::text[], $11::int8[], $12::text[])"
    " AS t(a, reason, rule, since, keys) ORDER BY 1),"
    " al AS (INSERT INTO sender_alerts SELECT * FROM unnest($13::text[], $14::text[],"
    " $15::text[], $16::text[], $17::int8[], $18::int8[], $19::int8[], $20::text[])"
    " ORDER BY 1, 2, 3, 4"
    " ON CONFLICT (sender_domain, sending_ip, category, provider) DO UPDATE"
    " SET count = sender_alerts.count + excluded.count,"
    " first_time = least(sender_alerts.first_time, excluded.first_time),"
    " last_time = greatest(sender_alerts.last_time, excluded.last_time),"
    " last_key = excluded.last_key)"
    " SELECT 1";
#define FLUSH_PARAMS 20

/* The early prefetch (pg_put_events): the same, the list read only for $2, the recipients
 * whose events may suppress (a delivery never does: most of a batch). */
static const char prefetch2_sql[] =
    "WITH st AS (SELECT address, mbf_count, soft_count, soft_first, last_failure, keys"
    " FROM recipient_state WHERE address = ANY($1) ORDER BY address FOR UPDATE)"
    " SELECT address, mbf_count, soft_count, soft_first, last_failure, keys, false FROM st"
    " UNION ALL SELECT address, NULL, NULL, NULL, NULL, NULL, true FROM suppressions"
    " WHERE address = ANY($2)";

/* ---- the handle ---------------------------------------------------------------------------- */

/* One recipient read by prefetch: its state and list entry as the open batch sees them. */
struct ent {
    const char *addr;         /* in pg_store.pool */
    uint64_t h;               /* str_hash(addr) */
    bool db_row;              /* a state row existed (and is locked) */
    bool row;                 /* a state exists now */
    bool dirty;               /* state changed by this batch */
    bool listed;              /* on the suppression list, before or by this batch */
    bool list_known;          /* listed was read (the early prefetch reads it only for
                                 recipients whose events may suppress) */
    bool supp_new;            /* added by this batch */
    struct suppress_state st; /* valid when row or dirty */
    long long since;
    char reason[40], rule[40];
    char keys[SUPPRESS_KEYS_CAP];
};

/* A sender alert summed over the batch. */
struct alert {
    char *sd, *ip, *cat, *prov; /* owned */
    uint64_t h;                 /* a hash of the four, compared first */
    unsigned long long count;
    long long first, last;
    char key[2 * STORE_KEY_BYTES + 1];
};

struct pg_store {
    struct store base; /* first: the generic head */
    PGconn *conn;
    bool readonly;
    PGresult *held;  /* result whose strings supp_get handed out */
    bool check_dups; /* the last batch had stored events: look before copying */
    /* the COPY of the batch being queued (pg_stream) */
    enum { CP_NONE, CP_OPEN, CP_DEAD } cp;
    size_t streamed;          /* events sent by it */
    bool cp_tx;               /* it began the transaction (store.c's begin joins it) */
    bool cp_sp;               /* savepoint rb_copy is set */
    bool early;               /* rb_prefetch sent by pg_put_events, its result not read yet */
    const char **early_addrs; /* its recipients (pointers into the batch) */
    size_t early_split;       /* its second array's offset in copy */
    size_t capearly;
    struct buf row; /* streamed rows not sent yet (PG_STREAM_SEND) */
    /* the one-event path (per_event): what the last direct state_get found */
    char got_addr[PG_ADDR_CLEAN];
    bool got_found;
    struct buf copy; /* COPY data, array literals */
    /* the open batch's recipients (prefetch .. commit/rollback) */
    bool cached;
    struct ent *ents;
    size_t nents, capents;
    size_t *kslots; /* batch_dups' hash set: index + 1 into the batch, 0 = empty */
    size_t nkslots; /* power of two */
    size_t *slots;  /* open addressing: index + 1 into ents, 0 = empty */
    size_t nslots;  /* power of two */
    char *pool;
    size_t cappool;
    struct alert *alerts;
    size_t nalerts, capalerts;
};

static struct pg_store *P(struct store *s)
{
    return (struct pg_store *)(void *)s;
}

/* ---- errors ---------------------------------------------------------------------------------- */

/* err_set - the store's error text: the shown target, then the parts (NULLs skipped) */
static void err_set(struct pg_store *ps, const char *a, const char *b, const char *c)
{
    const char *parts[] = {ps->base.shown, ": ", a, b, c};
    size_t len = 0, cap = sizeof ps->base.err - 1;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (!parts[i])
            continue;
        size_t n = strlen(parts[i]);
        if (n > cap - len)
            n = cap - len;
        memcpy(ps->base.err + len, parts[i], n);
        len += n;
    }
    /* libpq's messages span lines (a hint on a second, tab-indented line): one line here */
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = ps->base.err[i] == '\n' || ps->base.err[i] == '\t' ? ' ' : ps->base.err[i];
        if (ch != ' ' || (o && ps->base.err[o - 1] != ' '))
            ps->base.err[o++] = ch;
    }
    while (o && ps->base.err[o - 1] == ' ')
        o--;
    ps->base.err[o] = '\0';
}

static int say(struct pg_store *ps, int rc, const char *msg)
{
    err_set(ps, msg, NULL, NULL);
    return rc;
}

/* res_fail - the error of res (which it clears) as RB_EIO, with what was being done; sets
 * base.retry when running the transaction again may succeed */
static int res_fail(struct pg_store *ps, PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg || !msg[0])
        msg = PQerrorMessage(ps->conn);
    char detail[STORE_ERR_CAP / 2];
    snprintf(detail, sizeof detail, " (%.200s)", msg);
    const char *hint = NULL;
    if (state) {
        /* a lost race: deadlock, serialization failure, a state row or list entry another
         * ingest created first */
        if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "23505"))
            ps->base.retry = true;
        else if (!strcmp(state, "55P03"))
            hint = "locked by another writer past the busy timeout: ";
        else if (!strcmp(state, "25006"))
            hint = "the connection is read-only: ";
        else if (!strcmp(state, "42501"))
            hint = "permission denied: ";
    } else if (PQstatus(ps->conn) == CONNECTION_BAD) {
        hint = "lost the connection to the server: ";
    }
    err_set(ps, hint, what, detail);
    PQclear(res);
    return RB_EIO;
}

static void stream_stop(struct pg_store *ps);
static void cache_clear(struct pg_store *ps);

/* run - a command with no parameters (several separated by ';' allowed); RB_OK or RB_EIO */
static int run(struct pg_store *ps, const char *sql, const char *what)
{
    stream_stop(ps);
    PGresult *res = PQexec(ps->conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        return res_fail(ps, res, what);
    PQclear(res);
    return RB_OK;
}

/* query - sql with text parameters; *out gets the result (caller PQclears) on RB_OK */
static int query(struct pg_store *ps, const char *sql, int n, const char *const *v,
                 const char *what, PGresult **out)
{
    stream_stop(ps);
    PGresult *res = PQexecParams(ps->conn, sql, n, NULL, v, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        *out = NULL;
        return res_fail(ps, res, what);
    }
    *out = res;
    return RB_OK;
}

/* query_ll - the first column of the first row of sql as an integer (0 when NULL or none) */
static int query_ll(struct pg_store *ps, const char *sql, const char *what, long long *out)
{
    PGresult *res;
    int rc = query(ps, sql, 0, NULL, what, &res);
    if (rc != RB_OK)
        return rc;
    *out = PQntuples(res) > 0 && !PQgetisnull(res, 0, 0) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10)
                                                         : 0;
    PQclear(res);
    return RB_OK;
}

/* changed_rows - rows a command changed (PQcmdTuples) */
static long long changed_rows(PGresult *res)
{
    return strtoll(PQcmdTuples(res), NULL, 10);
}

/* store_pg_redact - see store.h; a target without "://" is copied as it is */
void store_pg_redact(const char *t, char *out, size_t cap)
{
    size_t o = 0;
    const char *auth = strstr(t, "://");
    const char *at = NULL, *colon = NULL;
    if (auth) {
        auth += 3;
        size_t alen = strcspn(auth, "/?");
        for (const char *p = auth; p < auth + alen; p++)
            if (*p == '@')
                at = p;
        if (at)
            colon = memchr(auth, ':', (size_t)(at - auth));
    }
    for (const char *p = t; *p && o + 4 < cap;) {
        if (colon && p == colon + 1) {
            memcpy(out + o, "***", 3);
            o += 3;
            p = at;
            continue;
        }
        if ((p == t || p[-1] == '?' || p[-1] == '&') && strncmp(p, "password=", 9) == 0) {
            memcpy(out + o, "password=***", 12 < cap - o - 1 ? 12 : cap - o - 1);
            o += 12 < cap - o - 1 ? 12 : cap - o - 1;
            p += 9 + strcspn(p + 9, "&");
            continue;
        }
        out[o++] = *p++;
    }
    out[o] = '\0';
}

/* ---- UTF-8 and COPY (binary) -------------------------------------------------------------- */

/* utf8_valid_prefix - bytes of (p, n) before the first invalid sequence */
static size_t utf8_valid_prefix(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0;
    while (i < n) {
        while (i + 8 <= n) { /* ASCII runs, a word at a time */
            uint64_t w;
            memcpy(&w, u + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        size_t k = utf8_seq_len(u + i, n - i);
        if (!k)
            return i;
        i += k;
    }
    return n;
}

/* put_clean - append (p, n) to b with each invalid UTF-8 byte replaced by U+FFFD */
static int put_clean(struct buf *b, const char *p, size_t n)
{
    int rc = RB_OK;
    while (n && rc == RB_OK) {
        size_t ok = utf8_valid_prefix(p, n);
        rc = buf_append(b, p, ok);
        p += ok;
        n -= ok;
        if (n && rc == RB_OK) {
            rc = buf_append(b, "\xef\xbf\xbd", 3);
            p++;
            n--;
        }
    }
    return rc;
}

/* clean_len - bytes (p, n) takes once made valid UTF-8 */
static size_t clean_len(const char *p, size_t n)
{
    size_t out = 0;
    while (n) {
        size_t ok = utf8_valid_prefix(p, n);
        out += ok;
        p += ok;
        n -= ok;
        if (n) {
            out += 3;
            p++;
            n--;
        }
    }
    return out;
}

/* addr_clean - addr as valid UTF-8: addr itself, or a cleaned copy in tmp (PG_ADDR_CLEAN) */
static const char *addr_clean(const char *addr, char *tmp)
{
    size_t n = strlen(addr), ok = utf8_valid_prefix(addr, n), o = 0;
    if (ok == n)
        return addr;
    for (size_t i = 0; i < n && o + 4 < PG_ADDR_CLEAN;) {
        size_t k = utf8_seq_len((const unsigned char *)addr + i, n - i);
        if (k) {
            memcpy(tmp + o, addr + i, k);
            o += k;
            i += k;
        } else {
            memcpy(tmp + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    tmp[o] = '\0';
    return tmp;
}

static int cp_be(struct buf *b, uint64_t v, int bytes)
{
    unsigned char x[8];
    for (int i = 0; i < bytes; i++)
        x[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
    return buf_append(b, x, (size_t)bytes);
}

static int cp_header(struct buf *b)
{
    static const char sig[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0"; /* + flags, extension */
    buf_reset(b);
    return buf_append(b, sig, 19);
}

static int cp_row(struct buf *b, int fields)
{
    return cp_be(b, (uint64_t)fields, 2);
}

static int cp_int8(struct buf *b, long long v)
{
    int rc = cp_be(b, 8, 4);
    return rc == RB_OK ? cp_be(b, (uint64_t)v, 8) : rc;
}

static int cp_int4(struct buf *b, long long v)
{
    int rc = cp_be(b, 4, 4);
    return rc == RB_OK ? cp_be(b, (uint64_t)(uint32_t)(int32_t)v, 4) : rc;
}

static int cp_bytes(struct buf *b, const void *p, size_t n)
{
    int rc = cp_be(b, n, 4);
    return rc == RB_OK ? buf_append(b, p, n) : rc;
}

/* cp_textn - (p, n) as a text field, made valid UTF-8 */
static int cp_textn(struct buf *b, const char *p, size_t n)
{
    size_t ok = utf8_valid_prefix(p, n);
    if (ok == n)
        return cp_bytes(b, p, n);
    size_t len = clean_len(p, n);
    if (len > INT32_MAX)
        return RB_ETOOBIG;
    int rc = cp_be(b, len, 4);
    return rc == RB_OK ? put_clean(b, p, n) : rc;
}

static int cp_text(struct buf *b, const char *s)
{
    return s ? cp_textn(b, s, strlen(s)) : cp_bytes(b, "", 0);
}

static int cp_trailer(struct buf *b)
{
    return cp_be(b, 0xffff, 2);
}

/* copy_send - COPY the rows in ps->copy (cp_header .. cp_trailer) with sql */
static int copy_send(struct pg_store *ps, const char *sql, const char *what)
{
    stream_stop(ps);
    PGresult *res = PQexec(ps->conn, sql);
    if (PQresultStatus(res) != PGRES_COPY_IN)
        return res_fail(ps, res, what);
    PQclear(res);
    const char *err = NULL;
    for (size_t off = 0; off < ps->copy.len;) {
        size_t n = ps->copy.len - off < PG_COPY_SEND ? ps->copy.len - off : PG_COPY_SEND;
        if (PQputCopyData(ps->conn, ps->copy.p + off, (int)n) != 1) {
            err = "sending COPY data failed";
            break;
        }
        off += n;
    }
    if (PQputCopyEnd(ps->conn, err) != 1 && !err)
        err = "ending COPY failed";
    res = PQgetResult(ps->conn);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? RB_OK : res_fail(ps, res, what);
    if (rc == RB_OK)
        PQclear(res);
    while ((res = PQgetResult(ps->conn)))
        PQclear(res);
    return rc;
}

/* text_len - bytes of s kept: at most STORE_MAX_TEXT, not cutting a UTF-8 sequence */
static size_t text_len(const char *s)
{
    size_t n = strnlen(s, STORE_MAX_TEXT + 1);
    if (n > STORE_MAX_TEXT) {
        n = STORE_MAX_TEXT;
        while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    return n;
}

static int array_append(struct buf *b, const char *const *addrs, size_t n);

/* array_binary - addrs as a binary text[] parameter in ps->copy (made valid UTF-8) */
static int array_binary(struct pg_store *ps, const char *const *addrs, size_t n)
{
    buf_reset(&ps->copy);
    return array_append(&ps->copy, addrs, n);
}

/* array_append - addrs as a binary text[] (made valid UTF-8), appended to b */
static int array_append(struct buf *b, const char *const *addrs, size_t n)
{
    /* dimensions 1, no NULLs, element type text (25), n elements from index 1 */
    int rc = cp_be(b, 1, 4);
    if (rc == RB_OK)
        rc = cp_be(b, 0, 4);
    if (rc == RB_OK)
        rc = cp_be(b, 25, 4);
    if (rc == RB_OK)
        rc = cp_be(b, n, 4);
    if (rc == RB_OK)
        rc = cp_be(b, 1, 4);
    for (size_t i = 0; i < n && rc == RB_OK; i++) {
        char tmp[PG_ADDR_CLEAN];
        const char *a = addr_clean(addrs[i], tmp);
        rc = cp_bytes(b, a, strlen(a));
    }
    return rc == RB_OK && n > INT32_MAX ? RB_ETOOBIG : rc;
}

/* ---- opening -------------------------------------------------------------------------------- */

/* connect_fail - a failed connection in words: unreachable, credentials, no database */
static int connect_fail(struct pg_store *ps)
{
    const char *m = ps->conn ? PQerrorMessage(ps->conn) : "out of memory";
    const char *hint = "cannot connect to PostgreSQL: ";
    if (strstr(m, "password authentication failed") || strstr(m, "no password supplied") ||
        strstr(m, "authentication failed") || strstr(m, "no pg_hba.conf entry"))
        hint = "PostgreSQL refused the credentials: ";
    else if (strstr(m, "does not exist") && strstr(m, "database"))
        hint = "no such database (create it first, docs/postgres.md): ";
    else if (strstr(m, "Connection refused") || strstr(m, "No such file or directory") ||
             strstr(m, "could not translate host name") || strstr(m, "timeout expired") ||
             strstr(m, "No route to host"))
        hint = "the PostgreSQL server is not reachable: ";
    err_set(ps, hint, m, NULL);
    return RB_EIO;
}

/* init_or_migrate - check the database is ours and bring its schema to SCHEMA_VERSION */
static int init_or_migrate(struct pg_store *ps, const struct store_open_opts *o)
{
    int rc = run(ps, "BEGIN", "starting a transaction");
    if (rc != RB_OK)
        return rc;
    /* hosts starting together: one creates or migrates, the others then find it done */
    if (!o->readonly)
        /* keys (0x52424E44 "RBND", 0): an advisory lock of our own, for the schema only */
        rc = run(ps, "SELECT pg_advisory_xact_lock(1380077124, 0)", "locking the schema");
    long long has_meta = 0, ntables = 0, version = 0;
    if (rc == RB_OK)
        rc = query_ll(ps,
                      "SELECT count(*) FROM pg_catalog.pg_tables"
                      " WHERE schemaname = current_schema() AND tablename = 'meta'",
                      "reading the schema", &has_meta);
    if (rc == RB_OK)
        rc = query_ll(ps,
                      "SELECT count(*) FROM pg_catalog.pg_class c"
                      " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                      " WHERE n.nspname = current_schema() AND c.relkind IN"
                      " ('r', 'p', 'v', 'm', 'f')",
                      "reading the schema", &ntables);
    if (rc != RB_OK)
        goto out;
    if (has_meta) {
        PGresult *res;
        if ((rc = query(ps,
                        "SELECT (SELECT value FROM meta WHERE key = 'application'),"
                        " (SELECT value FROM meta WHERE key = 'schema_version')",
                        0, NULL, "reading the schema", &res)) != RB_OK)
            goto out;
        bool ours = !PQgetisnull(res, 0, 0) && strcmp(PQgetvalue(res, 0, 0), "rebound") == 0;
        version = PQgetisnull(res, 0, 1) ? -1 : strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        PQclear(res);
        if (!ours || version < 1) {
            rc = say(ps, RB_EPARSE,
                     "not a rebound store: its meta table is another application's; refusing "
                     "to touch it (give rebound its own database or schema)");
            goto out;
        }
        if (version > SCHEMA_VERSION) {
            char msg[160];
            snprintf(msg, sizeof msg,
                     "schema version %lld is newer than this rebound knows (%d): upgrade "
                     "rebound",
                     version, SCHEMA_VERSION);
            rc = say(ps, RB_EPARSE, msg);
            goto out;
        }
    } else if (ntables > 0) {
        rc = say(ps, RB_EPARSE,
                 "not a rebound store: the database (schema) holds other tables and no rebound "
                 "meta table; refusing to touch it (give rebound its own database or schema)");
        goto out;
    } else if (o->readonly) {
        rc = say(ps, RB_EIO, "the store is empty (nothing stored yet)");
        goto out;
    } else if (!o->create) {
        rc = say(ps, RB_EIO, "no store here yet (`rebound ingest --store` creates it)");
        goto out;
    }
    if (version < SCHEMA_VERSION && o->readonly) {
        rc = say(ps, RB_EIO,
                 "the store's schema is older than this rebound's: open it once "
                 "for writing (an ingest) to migrate it");
        goto out;
    }
    for (size_t i = 0; i < NMIGRATIONS && rc == RB_OK; i++)
        if (migrations[i].to > version)
            rc = run(ps, migrations[i].sql, "creating or migrating the schema");
    if (rc == RB_OK && version < SCHEMA_VERSION) {
        char v[16];
        snprintf(v, sizeof v, "%d", SCHEMA_VERSION);
        const char *p[1] = {v};
        PGresult *res;
        rc = query(ps, "UPDATE meta SET value = $1 WHERE key = 'schema_version'", 1, p,
                   "recording the schema version", &res);
        PQclear(res);
    }
out:
    if (rc == RB_OK)
        return run(ps, "COMMIT", "committing the schema");
    PQclear(PQexec(ps->conn, "ROLLBACK"));
    return rc;
}

static int pg_open(struct store **out, const char *target, const struct store_open_opts *o)
{
    struct pg_store *ps = calloc(1, sizeof *ps);
    *out = (struct store *)ps;
    if (!ps)
        return RB_ENOMEM;
    ps->base.ops = &store_pg_ops;
    snprintf(ps->base.path, sizeof ps->base.path, "%s", target);
    store_pg_redact(target, ps->base.shown, sizeof ps->base.shown);
    ps->readonly = o->readonly;
    buf_init(&ps->copy, PG_COPY_CAP, NULL);
    buf_init(&ps->row, PG_COPY_CAP, NULL);
    if (strlen(target) >= sizeof ps->base.path)
        return say(ps, RB_EINVAL, "connection string too long");
    /* defaults before dbname (the target may override them), the encoding after it: all
     * text is sent as UTF-8 */
    const char *const keys[] = {"connect_timeout", "application_name", "dbname", "client_encoding",
                                NULL};
    const char *const vals[] = {PG_CONNECT_TIMEOUT, "rebound", target, "UTF8", NULL};
    char why[256];
    if (dl_pq_load(why, sizeof why) != 0)
        return say(ps, RB_EIO, why);
    ps->conn = PQconnectdbParams(keys, vals, 1);
    if (!ps->conn || PQstatus(ps->conn) != CONNECTION_OK)
        return connect_fail(ps);
    char sql[160];
    int rc = run(ps, "SET client_min_messages = warning", "setting up the session");
    if (rc == RB_OK && o->readonly)
        rc = run(ps, "SET default_transaction_read_only = on", "setting up the session");
    if (rc == RB_OK && !o->readonly && !o->durable)
        rc = run(ps, "SET synchronous_commit = off", "setting up the session");
    if (rc == RB_OK) {
        snprintf(sql, sizeof sql, "SET lock_timeout = %u", o->busy_timeout_ms);
        rc = run(ps, sql, "setting up the session");
    }
    if (rc == RB_OK)
        rc = init_or_migrate(ps, o);
    /* the staging tables live in the session's local buffers: room for a batch (set before
     * the first use of a temporary table) */
    if (rc == RB_OK && !o->readonly)
        rc = run(ps, "SET temp_buffers = '" PG_TEMP_BUFFERS "'", "setting up the session");
    if (rc == RB_OK && !o->readonly)
        rc = run(ps, stage_sql, "creating the staging tables");
    if (rc == RB_OK && !o->readonly)
        rc = run(ps, "SET plan_cache_mode = force_generic_plan", "setting up the session");
    if (rc == RB_OK && !o->readonly) { /* prepared once: its plan is made once, not per batch */
        const Oid types[1] = {1009};   /* text[] */
        PGresult *res = PQprepare(ps->conn, "rb_prefetch", prefetch_sql, 1, types);
        rc = PQresultStatus(res) == PGRES_COMMAND_OK ? RB_OK
                                                     : res_fail(ps, res, "preparing statements");
        if (rc == RB_OK)
            PQclear(res);
    }
    if (rc == RB_OK && !o->readonly) {
        const Oid types[2] = {1009, 1009}; /* text[] */
        PGresult *res = PQprepare(ps->conn, "rb_prefetch2", prefetch2_sql, 2, types);
        rc = PQresultStatus(res) == PGRES_COMMAND_OK ? RB_OK
                                                     : res_fail(ps, res, "preparing statements");
        if (rc == RB_OK)
            PQclear(res);
    }
    if (rc == RB_OK && !o->readonly) { /* its parameters' types are cast in the text */
        PGresult *res = PQprepare(ps->conn, "rb_flush", flush_sql, 0, NULL);
        rc = PQresultStatus(res) == PGRES_COMMAND_OK ? RB_OK
                                                     : res_fail(ps, res, "preparing statements");
        if (rc == RB_OK)
            PQclear(res);
    }
    return rc;
}

static void cache_clear(struct pg_store *ps);

static void pg_close(struct store *s)
{
    struct pg_store *ps = P(s);
    cache_clear(ps);
    /* no connection, no result: and libpq may not even be loaded (dl_pq_load failed) */
    if (ps->conn) {
        PQclear(ps->held);
        PQfinish(ps->conn);
    }
    buf_free(&ps->copy);
    buf_free(&ps->row);
    free(ps->alerts);
    free(ps->ents);
    free(ps->slots);
    free(ps->kslots);
    free(ps->early_addrs);
    free(ps->pool);
    free(ps);
}

/* event_class - how the suppression rules treat event e (suppress.h), as store.c asks. */
static enum suppress_class event_class(const struct store_event *e)
{
    struct suppress_input in = {e->kind,   e->reason,    e->category, e->scope,
                                e->remedy, e->permanent, e->time,     ""};
    return suppress_classify(&in);
}

/* ---- the batch's recipients, in memory ----------------------------------------------------- */

static uint64_t str_hash(const char *s)
{
    return hash_bytes64(s, strlen(s));
}

static void cache_clear(struct pg_store *ps)
{
    ps->cached = false;
    ps->nents = 0;
    if (ps->slots)
        memset(ps->slots, 0, ps->nslots * sizeof *ps->slots);
    for (size_t i = 0; i < ps->nalerts; i++) {
        free(ps->alerts[i].sd);
        free(ps->alerts[i].ip);
        free(ps->alerts[i].cat);
        free(ps->alerts[i].prov);
    }
    ps->nalerts = 0;
}

/* cache_find_h - the entry of addr (already clean, hash h), or NULL */
static struct ent *cache_find_h(struct pg_store *ps, const char *addr, uint64_t h)
{
    if (!ps->cached || !ps->nslots)
        return NULL;
    for (size_t i = (size_t)h & (ps->nslots - 1);; i = (i + 1) & (ps->nslots - 1)) {
        size_t k = ps->slots[i];
        if (!k)
            return NULL;
        if (ps->ents[k - 1].h == h && strcmp(ps->ents[k - 1].addr, addr) == 0)
            return &ps->ents[k - 1];
    }
}

/* cache_find - the entry of addr (already clean), or NULL */
static struct ent *cache_find(struct pg_store *ps, const char *addr)
{
    return ps->cached && ps->nslots ? cache_find_h(ps, addr, str_hash(addr)) : NULL;
}

/* cache_fill - entries for addrs (distinct), all "no state, not listed" */
static int cache_fill(struct pg_store *ps, const char *const *addrs, size_t n)
{
    size_t need = 0;
    char tmp[PG_ADDR_CLEAN];
    for (size_t i = 0; i < n; i++) /* an invalid byte becomes three (U+FFFD) */
        need += 3 * strlen(addrs[i]) + 1;
    size_t slots = 16;
    while (slots < 2 * n)
        slots *= 2;
    /* kept from batch to batch (growing only): allocating and zeroing some MB of entries
     * per batch showed in profiles as page faults */
    if (n > ps->capents) {
        free(ps->ents);
        ps->ents = malloc(n * sizeof *ps->ents);
        ps->capents = ps->ents ? n : 0;
    }
    if (need > ps->cappool) {
        free(ps->pool);
        ps->pool = malloc(need);
        ps->cappool = ps->pool ? need : 0;
    }
    if (slots > ps->nslots) {
        free(ps->slots);
        ps->slots = NULL;
        ps->nslots = 0;
    }
    if (!ps->slots) {
        ps->slots = calloc(slots, sizeof *ps->slots);
        ps->nslots = ps->slots ? slots : 0;
    } else {
        memset(ps->slots, 0, ps->nslots * sizeof *ps->slots);
    }
    if ((n && (!ps->ents || !ps->pool)) || !ps->slots)
        return say(ps, RB_ENOMEM, "out of memory reading recipients");
    ps->cached = true;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        const char *a = addr_clean(addrs[i], tmp);
        size_t len = strlen(a) + 1;
        memcpy(ps->pool + off, a, len);
        struct ent *e = &ps->ents[ps->nents];
        e->addr = ps->pool + off;
        e->h = hash_bytes64(a, len - 1);
        e->db_row = e->row = e->dirty = e->listed = e->supp_new = false; /* st: when row */
        e->list_known = true;
        off += len;
        if (cache_find_h(ps, e->addr, e->h))
            continue; /* two addresses that clean to the same text */
        size_t j = (size_t)e->h & (ps->nslots - 1);
        while (ps->slots[j])
            j = (j + 1) & (ps->nslots - 1);
        ps->slots[j] = ++ps->nents;
    }
    return RB_OK;
}

static void row_state(PGresult *res, int r, int c0, struct suppress_state *st)
{
    memset(st, 0, sizeof *st);
    st->mbf_count = (unsigned)strtoul(PQgetvalue(res, r, c0), NULL, 10);
    st->soft_count = (unsigned)strtoul(PQgetvalue(res, r, c0 + 1), NULL, 10);
    st->soft_first = strtoll(PQgetvalue(res, r, c0 + 2), NULL, 10);
    st->last_failure = strtoll(PQgetvalue(res, r, c0 + 3), NULL, 10);
    snprintf(st->keys, sizeof st->keys, "%s", PQgetvalue(res, r, c0 + 4));
}

/* prefetch_rows - the answer of rb_prefetch into the cache */
static void prefetch_rows(struct pg_store *ps, PGresult *res)
{
    for (int r = 0, nr = PQntuples(res); r < nr; r++) {
        struct ent *e = cache_find(ps, PQgetvalue(res, r, 0));
        if (!e)
            continue;
        if (PQgetvalue(res, r, 6)[0] == 't') {
            e->listed = true;
        } else {
            e->db_row = e->row = true;
            row_state(res, r, 1, &e->st);
        }
    }
}

/* early_take - read the answer of the early prefetch; RB_OK and *covers when its recipients
 * include every one of addrs (n) */
static int early_take(struct pg_store *ps, const char *const *addrs, size_t n, bool *covers)
{
    /* checked before the answer is awaited: the server is still reading */
    char tmp[PG_ADDR_CLEAN];
    bool all = true;
    for (size_t i = 0; i < n && all; i++)
        all = cache_find(ps, addr_clean(addrs[i], tmp)) != NULL;
    ps->early = false;
    *covers = false;
    PGresult *res = PQgetResult(ps->conn), *more;
    while ((more = PQgetResult(ps->conn)))
        PQclear(more);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        cache_clear(ps);
        return res_fail(ps, res, "reading recipients' state");
    }
    prefetch_rows(ps, res);
    PQclear(res);
    *covers = all;
    return RB_OK;
}

static int pg_prefetch(struct store *s, const char *const *addrs, size_t n)
{
    struct pg_store *ps = P(s);
    int rc;
    if (ps->early) {
        bool covers;
        if ((rc = early_take(ps, addrs, n, &covers)) != RB_OK || covers)
            return rc;
        /* it missed some (its locks stay, harmless): the ordinary way */
    }
    cache_clear(ps);
    rc = cache_fill(ps, addrs, n);
    if (rc != RB_OK || n == 0)
        return rc;
    if ((rc = array_binary(ps, addrs, n)) != RB_OK)
        return say(ps, rc, "too many recipients in one batch");
    stream_stop(ps); /* prefetch_sql, in one round trip */
    const char *v[1] = {ps->copy.p};
    const int len[1] = {(int)ps->copy.len}, fmt[1] = {1};
    PGresult *res = PQexecPrepared(ps->conn, "rb_prefetch", 1, v, len, fmt, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return res_fail(ps, res, "reading recipients' state");
    prefetch_rows(ps, res);
    PQclear(res);
    return RB_OK;
}

/* early_prepare - the recipients whose state the rules of ev (n, all new) will read, as
 * store.c's needs_state picks them, into the cache and as rb_prefetch's array in ps->copy.
 * A guess checked by pg_prefetch: a recipient it misses costs the ordinary prefetch. */
static int early_prepare(struct pg_store *ps, const struct store_event *ev, size_t n)
{
    if (2 * n > ps->capearly) { /* all, then those of the list */
        free(ps->early_addrs);
        ps->early_addrs = malloc(2 * n * sizeof *ps->early_addrs);
        ps->capearly = ps->early_addrs ? 2 * n : 0;
        if (!ps->early_addrs)
            return RB_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct store_event *e = &ev[i];
        if (!e->recipient || !e->recipient[0])
            continue;
        enum suppress_class cls = event_class(e);
        if (cls != SUPPRESS_C_NONE && cls != SUPPRESS_C_SENDER)
            ps->early_addrs[k++] = e->recipient;
    }
    cache_clear(ps);
    int rc = cache_fill(ps, ps->early_addrs, k);
    if (rc != RB_OK)
        return rc;
    for (size_t i = 0; i < ps->nents; i++)
        ps->ents[i].list_known = false;
    size_t nl = 0; /* the recipients of events that may suppress */
    char tmp[PG_ADDR_CLEAN];
    for (size_t i = 0; i < n; i++) {
        const struct store_event *e = &ev[i];
        if (!e->recipient || !e->recipient[0])
            continue;
        enum suppress_class cls = event_class(e);
        if (cls == SUPPRESS_C_NONE || cls == SUPPRESS_C_SENDER || cls == SUPPRESS_C_DELIVERY)
            continue;
        struct ent *x = cache_find(ps, addr_clean(e->recipient, tmp));
        if (x && !x->list_known) {
            x->list_known = true;
            nl++;
        }
    }
    /* the distinct ones, from the cache (clean already): all, then those of the list */
    size_t j = 0;
    for (size_t i = 0; i < ps->nents; i++)
        ps->early_addrs[j++] = ps->ents[i].addr;
    for (size_t i = 0; i < ps->nents; i++)
        if (ps->ents[i].list_known)
            ps->early_addrs[j++] = ps->ents[i].addr;
    buf_reset(&ps->copy);
    rc = array_append(&ps->copy, ps->early_addrs, ps->nents);
    ps->early_split = ps->copy.len;
    return rc == RB_OK ? array_append(&ps->copy, ps->early_addrs + ps->nents, nl) : rc;
}

/* early_send - send rb_prefetch with the array early_prepare made, not waiting for it:
 * the server reads and locks the states while store.c lists the batch's recipients */
static bool early_send(struct pg_store *ps)
{
    const char *v[2] = {ps->copy.p, ps->copy.p + ps->early_split};
    const int len[2] = {(int)ps->early_split, (int)(ps->copy.len - ps->early_split)},
              fmt[2] = {1, 1};
    ps->early = PQsendQueryPrepared(ps->conn, "rb_prefetch2", 2, v, len, fmt, 0) == 1;
    return ps->early;
}

/* ---- transactions ---------------------------------------------------------------------------- */

static int pg_begin(struct store *s)
{
    struct pg_store *ps = P(s);
    cache_clear(ps);
    if (ps->cp_tx) { /* the batch's COPY began it: this is that transaction */
        ps->cp_tx = false;
        return RB_OK;
    }
    return run(ps, "BEGIN", "starting a transaction");
}

static int cmp_ent(const void *a, const void *b)
{
    return strcmp((*(const struct ent *const *)a)->addr, (*(const struct ent *const *)b)->addr);
}

/* arr_head - the head of a binary one-dimensional array of n elements of type oid, no
 * NULLs (an empty array has no dimensions) */
static int arr_head(struct buf *b, uint32_t oid, size_t n)
{
    if (n > INT32_MAX)
        return RB_ETOOBIG;
    int rc = cp_be(b, n ? 1 : 0, 4);
    if (rc == RB_OK)
        rc = cp_be(b, 0, 4);
    if (rc == RB_OK)
        rc = cp_be(b, oid, 4);
    if (rc == RB_OK && n)
        rc = cp_be(b, n, 4);
    if (rc == RB_OK && n)
        rc = cp_be(b, 1, 4);
    return rc;
}

#define OID_TEXT 25
#define OID_INT4 23
#define OID_INT8 20

/* flush_cached - the batch's state, list and alert writes, as arrays of one prepared
 * statement (flush_sql): one round trip, where staging tables took four and truncated
 * themselves at every commit */
static int flush_cached(struct pg_store *ps)
{
    size_t nst = 0, nsupp = 0;
    struct ent **st = malloc((ps->nents ? 2 * ps->nents : 1) * sizeof *st);
    if (!st)
        return say(ps, RB_ENOMEM, "out of memory writing recipients");
    struct ent **sp = st + ps->nents;
    for (size_t i = 0; i < ps->nents; i++) {
        struct ent *e = &ps->ents[i];
        if (e->dirty && (e->row || e->db_row))
            st[nst++] = e;
        if (e->supp_new)
            sp[nsupp++] = e;
    }
    if (!nst && !nsupp && !ps->nalerts) {
        free(st);
        return RB_OK;
    }
    qsort(st, nst, sizeof *st, cmp_ent); /* only the written ones: a few in a hundred */
    qsort(sp, nsupp, sizeof *sp, cmp_ent);
    struct buf *b = &ps->copy;
    buf_reset(b);
    size_t off[FLUSH_PARAMS + 1];
    int k = 0, rc = RB_OK;
#define COLUMN(oid, n, elem)                                                                       \
    do {                                                                                           \
        off[k++] = b->len;                                                                         \
        if (rc == RB_OK)                                                                           \
            rc = arr_head(b, oid, n);                                                              \
        for (size_t i = 0; i < (n) && rc == RB_OK; i++)                                            \
            rc = (elem);                                                                           \
    } while (0)
    static const char ops[3] = {'d', 'u', 'i'};
    COLUMN(OID_TEXT, nst, cp_text(b, st[i]->addr));
    COLUMN(OID_TEXT, nst, cp_bytes(b, &ops[!st[i]->row ? 0 : st[i]->db_row ? 1 : 2], 1));
    COLUMN(OID_INT4, nst, cp_int4(b, st[i]->st.mbf_count));
    COLUMN(OID_INT4, nst, cp_int4(b, st[i]->st.soft_count));
    COLUMN(OID_INT8, nst, cp_int8(b, st[i]->st.soft_first));
    COLUMN(OID_INT8, nst, cp_int8(b, st[i]->st.last_failure));
    COLUMN(OID_TEXT, nst, cp_text(b, st[i]->st.keys));
    COLUMN(OID_TEXT, nsupp, cp_text(b, sp[i]->addr));
    COLUMN(OID_TEXT, nsupp, cp_text(b, sp[i]->reason));
    COLUMN(OID_TEXT, nsupp, cp_text(b, sp[i]->rule));
    COLUMN(OID_INT8, nsupp, cp_int8(b, sp[i]->since));
    COLUMN(OID_TEXT, nsupp, cp_text(b, sp[i]->keys));
    const struct alert *al = ps->alerts;
    COLUMN(OID_TEXT, ps->nalerts, cp_text(b, al[i].sd));
    COLUMN(OID_TEXT, ps->nalerts, cp_text(b, al[i].ip));
    COLUMN(OID_TEXT, ps->nalerts, cp_text(b, al[i].cat));
    COLUMN(OID_TEXT, ps->nalerts, cp_text(b, al[i].prov));
    COLUMN(OID_INT8, ps->nalerts, cp_int8(b, (long long)al[i].count));
    COLUMN(OID_INT8, ps->nalerts, cp_int8(b, al[i].first));
    COLUMN(OID_INT8, ps->nalerts, cp_int8(b, al[i].last));
    COLUMN(OID_TEXT, ps->nalerts, cp_text(b, al[i].key));
#undef COLUMN
    free(st);
    off[k] = b->len;
    if (rc != RB_OK)
        return say(ps, rc, "too much to write in one batch");
    const char *v[FLUSH_PARAMS];
    int len[FLUSH_PARAMS], fmt[FLUSH_PARAMS];
    for (int i = 0; i < FLUSH_PARAMS; i++) {
        v[i] = b->p + off[i];
        len[i] = (int)(off[i + 1] - off[i]);
        fmt[i] = 1;
    }
    stream_stop(ps);
    PGresult *res = PQexecPrepared(ps->conn, "rb_flush", FLUSH_PARAMS, v, len, fmt, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return res_fail(ps, res, "writing the batch's rule outcomes");
    PQclear(res);
    return RB_OK;
}

static int pg_commit(struct store *s)
{
    struct pg_store *ps = P(s);
    int rc = ps->cached ? flush_cached(ps) : RB_OK;
    cache_clear(ps);
    ps->cp_sp = false;
    if (rc != RB_OK)
        return rc;
    stream_stop(ps);
    PGresult *res = PQexec(ps->conn, "COMMIT");
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return res_fail(ps, res, "committing");
    /* COMMIT of a transaction that failed earlier answers ROLLBACK, not an error */
    rc = strcmp(PQcmdStatus(res), "COMMIT") == 0
             ? RB_OK
             : say(ps, RB_EIO, "committing: the transaction was rolled back");
    PQclear(res);
    return rc;
}

static int pg_rollback(struct store *s)
{
    struct pg_store *ps = P(s);
    cache_clear(ps);
    stream_stop(ps);
    ps->cp = CP_NONE;
    ps->cp_tx = ps->cp_sp = false;
    return run(ps, "ROLLBACK", "rolling back");
}

/* ---- events --------------------------------------------------------------------------------- */

/* Events go in COPY's text format: measured on this machine, PostgreSQL reads it about a
 * fifth faster than the binary format (one input function per field on the line buffer,
 * instead of a receive function per field on a copy of it). */

/* tx_str - (p, n) as a COPY text field: backslash, tab, newline and carriage return
 * escaped, invalid UTF-8 bytes replaced by U+FFFD, in one pass */
static int tx_str(struct buf *b, const char *p, size_t n)
{
    int rc = buf_reserve(b, n + 16);
    if (rc != RB_OK)
        return rc;
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0;
    while (i < n && rc == RB_OK) {
        size_t run = i; /* plain ASCII: copied as one block */
        while (run < n && u[run] < 0x80 && u[run] != '\\' && u[run] != '\t' && u[run] != '\n' &&
               u[run] != '\r')
            run++;
        if (run > i) {
            rc = buf_append(b, p + i, run - i);
            i = run;
            continue;
        }
        unsigned c = u[i];
        if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
            char esc[2] = {'\\', c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r'};
            rc = buf_append(b, esc, 2);
            i++;
            continue;
        }
        size_t k = utf8_seq_len(u + i, n - i);
        if (k) {
            rc = buf_append(b, p + i, k);
            i += k;
        } else {
            rc = buf_append(b, "\xef\xbf\xbd", 3);
            i++;
        }
    }
    return rc;
}

static int tx_text(struct buf *b, const char *s)
{
    return s ? tx_str(b, s, strlen(s)) : RB_OK;
}

static int tx_int(struct buf *b, long long v)
{
    char tmp[24];
    return buf_append(b, tmp, (size_t)(json_put_int(tmp, v) - tmp));
}

/* cp_event - one line of COPY events(EV_COLS) in text format */
static int cp_event(struct buf *b, const struct store_event *e)
{
    static const char hx[] = "0123456789abcdef";
    char key[3 + 2 * STORE_KEY_BYTES] = {'\\', '\\', 'x'}; /* bytea hex, backslash escaped */
    for (int i = 0; i < STORE_KEY_BYTES; i++) {
        key[3 + 2 * i] = hx[e->key[i] >> 4];
        key[4 + 2 * i] = hx[e->key[i] & 15];
    }
    int rc = buf_append(b, key, sizeof key);
#define SEP()                                                                                      \
    do {                                                                                           \
        if (rc == RB_OK)                                                                           \
            rc = buf_putc(b, '\t');                                                                \
    } while (0)
    SEP();
    if (rc == RB_OK)
        rc = tx_int(b, e->time);
    const char *a[] = {rb_event_kind_name(e->kind),
                       e->recipient,
                       e->domain,
                       e->sender,
                       e->sender_domain,
                       e->rhost,
                       e->provider};
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
        SEP();
        if (rc == RB_OK)
            rc = tx_text(b, a[i]);
    }
    SEP();
    if (rc == RB_OK)
        rc = tx_int(b, e->replycode);
    const char *c[] = {e->status, rb_reason_name(e->reason), rb_category_name(e->category),
                       rb_scope_name(e->scope), rb_remedy_name(e->remedy)};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        SEP();
        if (rc == RB_OK)
            rc = tx_text(b, c[i]);
    }
    SEP();
    if (rc == RB_OK)
        rc = buf_putc(b, e->permanent ? 't' : 'f');
    const char *d[] = {e->campaign, e->sending_ip, e->sending_domain, e->vmta,
                       e->queue_id, e->message_id, e->source_event_id};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        SEP();
        if (rc == RB_OK)
            rc = tx_text(b, d[i]);
    }
    const char *text = e->text ? e->text : "";
    SEP();
    if (rc == RB_OK)
        rc = tx_str(b, text, text_len(text));
    SEP();
    if (rc == RB_OK)
        rc = tx_text(b, e->format);
    SEP();
    if (rc == RB_OK)
        rc = tx_int(b, (long long)e->auth);
    SEP();
    if (rc == RB_OK)
        rc = tx_text(b, e->blocklist);
    SEP();
    if (rc == RB_OK)
        rc = tx_text(b, e->listed);
#undef SEP
    return rc == RB_OK ? buf_putc(b, '\n') : rc;
}

static uint64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* An event of the batch in (time, key) order. */
struct ord {
    long long time;
    const unsigned char *key;
    size_t i; /* index in the batch */
};

static int cmp_ord(const void *pa, const void *pb)
{
    const struct ord *a = pa, *b = pb;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    int c = memcmp(a->key, b->key, STORE_KEY_BYTES);
    return c ? c : a->i < b->i ? -1 : a->i > b->i;
}

/* find_ord - the entry of (time, key) in o (sorted, n), or NULL */
static struct ord *find_ord(struct ord *o, size_t n, long long time, const unsigned char *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = o[mid].time != time ? (o[mid].time < time ? -1 : 1)
                                    : memcmp(o[mid].key, key, STORE_KEY_BYTES);
        if (c == 0)
            return &o[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* mark_stored - clear inserted[] for the events of o (sorted, distinct, n) already stored:
 * their (time, key) pairs are staged and looked up in the (time, key) index one by one */
static int mark_stored(struct pg_store *ps, struct ord *o, size_t n, bool *inserted, size_t *dups)
{
    int rc = cp_header(&ps->copy);
    for (size_t j = 0; j < n && rc == RB_OK; j++) {
        rc = cp_row(&ps->copy, 2);
        if (rc == RB_OK)
            rc = cp_int8(&ps->copy, o[j].time);
        if (rc == RB_OK)
            rc = cp_bytes(&ps->copy, o[j].key, STORE_KEY_BYTES);
    }
    if (rc == RB_OK)
        rc = cp_trailer(&ps->copy);
    if (rc != RB_OK)
        return say(ps, rc, "out of memory checking events");
    if ((rc = copy_send(ps, "COPY rb_key_stage FROM STDIN (FORMAT binary)", "checking events")) !=
        RB_OK)
        return rc;
    /* LATERAL ... LIMIT 1: an index probe per staged key, never a scan of events (the
     * staging table has no statistics to plan a join with) */
    PGresult *res = PQexecParams(ps->conn,
                                 "SELECT k.time, k.key FROM rb_key_stage k, LATERAL"
                                 " (SELECT 1 FROM events e WHERE e.time = k.time AND e.key = k.key"
                                 " LIMIT 1) x",
                                 0, NULL, NULL, NULL, NULL, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return res_fail(ps, res, "checking events");
    for (int r = 0, nr = PQntuples(res); r < nr; r++) {
        if (PQgetlength(res, r, 0) != 8 || PQgetlength(res, r, 1) != STORE_KEY_BYTES)
            continue;
        struct ord *x =
            find_ord(o, n, (long long)be64((const unsigned char *)PQgetvalue(res, r, 0)),
                     (const unsigned char *)PQgetvalue(res, r, 1));
        if (x && inserted[x->i]) {
            inserted[x->i] = false;
            ++*dups;
        }
    }
    PQclear(res);
    return RB_OK;
}

/* copy_events - COPY the events of o marked in inserted[] straight into events */
static int copy_events(struct pg_store *ps, const struct store_event *ev, const struct ord *o,
                       size_t n, const bool *inserted, size_t *sent)
{
    buf_reset(&ps->copy);
    int rc = RB_OK;
    *sent = 0;
    for (size_t j = 0; j < n && rc == RB_OK; j++)
        if (inserted[o[j].i]) {
            rc = cp_event(&ps->copy, &ev[o[j].i]);
            ++*sent;
        }
    if (rc != RB_OK)
        return say(ps, rc, "too much event data in one batch (lower batch_events)");
    return *sent ? copy_send(ps, "COPY events(" EV_COLS ") FROM STDIN", "storing events") : RB_OK;
}

/* ---- streaming: the batch's COPY sent while it is queued ------------------------------------
 *
 * While batches bring no stored events, pg_stream opens the COPY into events at the first
 * event of a batch (under a savepoint, beginning the transaction when none is open) and
 * sends each event as it is queued: the server inserts while the reader parses on, instead
 * of both taking turns. pg_put_events ends the COPY. Any other use of the connection before
 * that (a list command between events, a rollback) abandons the stream: its COPY is failed
 * and rolled back to the savepoint, and pg_put_events takes the batch the ordinary way. */

/* stream_stop - abandon an open COPY (the server rolls its rows back with the savepoint's
 * part of the transaction, left in error until ROLLBACK TO SAVEPOINT) */
static void stream_stop(struct pg_store *ps)
{
    if (ps->early) { /* an early prefetch nobody asked for: its answer is dropped */
        ps->early = false;
        cache_clear(ps);
        PGresult *res;
        while ((res = PQgetResult(ps->conn)))
            PQclear(res);
    }
    if (ps->cp != CP_OPEN)
        return;
    ps->cp = CP_DEAD;
    buf_reset(&ps->row);
    PQputCopyEnd(ps->conn, "rebound: batch abandoned");
    PGresult *res;
    while ((res = PQgetResult(ps->conn)))
        PQclear(res);
    /* the transaction is usable again, without the abandoned rows */
    if (ps->cp_sp) {
        PQclear(PQexec(ps->conn, "ROLLBACK TO SAVEPOINT rb_copy"));
        ps->cp_sp = false;
    }
}

/* stream_send - send the gathered rows of the open COPY */
static int stream_send(struct pg_store *ps)
{
    int rc = RB_OK;
    if (ps->row.len && PQputCopyData(ps->conn, ps->row.p, (int)ps->row.len) != 1)
        rc = RB_EIO;
    buf_reset(&ps->row);
    return rc;
}

static void pg_stream(struct store *s, const struct store_event *e)
{
    struct pg_store *ps = P(s);
    if (ps->readonly || ps->check_dups || ps->cp == CP_DEAD)
        return;
    if (ps->cp == CP_NONE) {
        ps->streamed = 0;
        ps->cp_sp = false;
        stream_stop(ps);
        /* one round trip: the statements before COPY run, then the server waits for rows
         * (an error stops the string where it happens) */
        PGresult *res = PQexec(ps->conn, s->in_tx ? "SAVEPOINT rb_copy;"
                                                    " COPY events(" EV_COLS ") FROM STDIN"
                                                  : "BEGIN; SAVEPOINT rb_copy;"
                                                    " COPY events(" EV_COLS ") FROM STDIN");
        ExecStatusType st = PQresultStatus(res);
        PQclear(res);
        if (!s->in_tx) /* the batch's transaction, if BEGIN ran */
            ps->cp_tx = PQtransactionStatus(ps->conn) != PQTRANS_IDLE;
        if (st != PGRES_COPY_IN) {
            /* back to before the string, so the ordinary way says what failed */
            if (ps->cp_tx)
                PQclear(PQexec(ps->conn, "ROLLBACK"));
            else if (PQtransactionStatus(ps->conn) == PQTRANS_INERROR)
                PQclear(PQexec(ps->conn, "ROLLBACK TO SAVEPOINT rb_copy"));
            ps->cp_tx = false;
            goto dead;
        }
        ps->cp_sp = true;
        ps->cp = CP_OPEN;
        buf_reset(&ps->row);
    }
    /* rows are gathered and sent some KB at a time: a PQputCopyData per row made libpq send
     * a message per row and a send() per 8 KB, which showed in profiles of both processes */
    if (cp_event(&ps->row, e) != RB_OK)
        goto stop;
    ps->streamed++;
    if (ps->row.len >= PG_STREAM_SEND && stream_send(ps) != RB_OK)
        goto stop;
    return;
stop:
    stream_stop(ps);
dead:
    ps->cp = CP_DEAD;
}

/* stream_end - end the open COPY; RB_OK when every row went in */
static int stream_end(struct pg_store *ps)
{
    int rc = stream_send(ps);
    if (PQputCopyEnd(ps->conn, rc == RB_OK ? NULL : "rebound: sending rows failed") != 1)
        rc = RB_EIO;
    PGresult *res = PQgetResult(ps->conn);
    if (PQresultStatus(res) == PGRES_COMMAND_OK && rc == RB_OK)
        PQclear(res);
    else
        rc = res_fail(ps, res, "storing events");
    while ((res = PQgetResult(ps->conn)))
        PQclear(res);
    return rc;
}

/* key_hash - where (time, key) goes in pg_store.kslots (the key is a SipHash already) */
static size_t key_hash(long long time, const unsigned char *key)
{
    uint64_t h;
    memcpy(&h, key, sizeof h);
    return (size_t)((h ^ (uint64_t)time * 0x9e3779b97f4a7c15ull) >> 7);
}

/* batch_dups - 1 when two events of ev (n) have the same (time, key), 0 when none do, -1
 * when out of memory: a hash set, so the common batch (all distinct, already streamed)
 * skips the sort pg_put_events needs for the checked way */
static int batch_dups(struct pg_store *ps, const struct store_event *ev, size_t n)
{
    size_t want = 16;
    while (want < 2 * n)
        want *= 2;
    if (want > ps->nkslots) {
        free(ps->kslots);
        ps->kslots = malloc(want * sizeof *ps->kslots);
        ps->nkslots = ps->kslots ? want : 0;
        if (!ps->kslots)
            return -1;
    }
    size_t mask = want - 1;
    memset(ps->kslots, 0, want * sizeof *ps->kslots);
    for (size_t i = 0; i < n; i++) {
        size_t j = key_hash(ev[i].time, ev[i].key) & mask;
        for (; ps->kslots[j]; j = (j + 1) & mask) {
            const struct store_event *x = &ev[ps->kslots[j] - 1];
            if (x->time == ev[i].time && !memcmp(x->key, ev[i].key, STORE_KEY_BYTES))
                return 1;
        }
        ps->kslots[j] = i + 1;
    }
    return 0;
}

/* pg_put_events - COPY is PostgreSQL's fastest way in, and it has no ON CONFLICT: events
 * already stored are found first (mark_stored) and the rest copied straight into events.
 * While batches bring no duplicates (a first ingest: the common case), the check is skipped
 * and the COPY tried under a savepoint; a unique violation then rolls it back and the batch
 * takes the checked way. A duplicate inserted by another ingest after the check is a unique
 * violation too: the batch fails with base.retry set and store.c runs it again. Rows go in
 * (time, key) order, so two ingests wait on each other's keys in one order only. */
static int pg_put_events(struct store *s, const struct store_event *ev, size_t n, bool *inserted)
{
    struct pg_store *ps = P(s);
    if (n == 0)
        return RB_OK;
    for (size_t i = 0; i < n; i++)
        inserted[i] = true;
    bool checked = false; /* the stream failed on a stored event: the checked way */
    if (ps->cp == CP_OPEN && ps->streamed == n) {
        int d = batch_dups(ps, ev, n);
        if (d < 0)
            return say(ps, RB_ENOMEM, "out of memory storing events");
        if (d == 0) { /* all sent already, each once: end it (no sort needed) */
            /* while the server works through the rows still queued, list the recipients;
             * once it is done, ask for their state at once (pg_prefetch reads the answer) */
            bool early = early_prepare(ps, ev, n) == RB_OK;
            int rc = stream_end(ps);
            ps->cp = CP_NONE;
            if (rc == RB_OK && early && ps->nents && !early_send(ps))
                rc = res_fail(ps, NULL, "reading recipients' state");
            if (rc == RB_OK && !ps->early)
                cache_clear(ps);
            if (rc != RB_OK)
                cache_clear(ps);
            if (rc == RB_OK || !ps->base.retry || !ps->cp_sp)
                return rc;
            ps->base.retry = false;
            if ((rc = run(ps, "ROLLBACK TO SAVEPOINT rb_copy", "storing events")) != RB_OK)
                return rc;
            checked = true;
        }
    }
    struct ord *o = malloc(n * sizeof *o);
    if (!o)
        return say(ps, RB_ENOMEM, "out of memory storing events");
    for (size_t i = 0; i < n; i++)
        o[i] = (struct ord){ev[i].time, ev[i].key, i};
    qsort(o, n, sizeof *o, cmp_ord);
    size_t m = 0; /* distinct (time, key), the first occurrence of each kept */
    for (size_t j = 0; j < n; j++) {
        if (m && o[m - 1].time == o[j].time && !memcmp(o[m - 1].key, o[j].key, STORE_KEY_BYTES))
            inserted[o[j].i] = false;
        else
            o[m++] = o[j];
    }
    size_t dups = 0, sent = 0;
    int rc = RB_OK;
    if (checked) {
        /* rolled back above: mark_stored finds what is stored */
    } else if (ps->cp != CP_NONE) { /* a stream that failed, or does not match the batch */
        stream_stop(ps);
        ps->cp = CP_NONE;
        if (ps->cp_sp && (rc = run(ps, "ROLLBACK TO SAVEPOINT rb_copy", "storing events")) != RB_OK)
            goto out;
    } else if (!ps->check_dups) {
        rc = run(ps, "SAVEPOINT rb_copy", "storing events");
        if (rc == RB_OK)
            rc = copy_events(ps, ev, o, m, inserted, &sent);
        if (rc == RB_OK) {
            free(o);
            return RB_OK;
        }
        if (!ps->base.retry || PQtransactionStatus(ps->conn) != PQTRANS_INERROR)
            goto out;
        /* some were stored already: back to before the COPY, the checked way */
        ps->base.retry = false;
        if ((rc = run(ps, "ROLLBACK TO SAVEPOINT rb_copy", "storing events")) != RB_OK)
            goto out;
    }
    rc = mark_stored(ps, o, m, inserted, &dups);
    if (rc == RB_OK)
        rc = copy_events(ps, ev, o, m, inserted, &sent);
    ps->check_dups = dups > 0;
out:
    free(o);
    return rc;
}

static int pg_put_event(struct store *s, const struct store_event *e, bool *inserted)
{
    return pg_put_events(s, e, 1, inserted);
}

/* ---- state, list, alerts, notices ---------------------------------------------------------- */

static int pg_state_get(struct store *s, const char *addr, struct suppress_state *st, bool *found)
{
    struct pg_store *ps = P(s);
    char tmp[PG_ADDR_CLEAN];
    const char *a = addr_clean(addr, tmp);
    struct ent *e = cache_find(ps, a);
    if (e) {
        if (e->row || e->dirty)
            *st = e->st;
        else
            memset(st, 0, sizeof *st);
        *found = e->row;
        return RB_OK;
    }
    memset(st, 0, sizeof *st);
    *found = false;
    const char *p[1] = {a};
    PGresult *res;
    int rc = query(ps,
                   s->in_tx ? "SELECT mbf_count, soft_count, soft_first, last_failure, keys"
                              " FROM recipient_state WHERE address = $1 FOR UPDATE"
                            : "SELECT mbf_count, soft_count, soft_first, last_failure, keys"
                              " FROM recipient_state WHERE address = $1",
                   1, p, "reading a recipient's state", &res);
    if (rc != RB_OK)
        return rc;
    if (PQntuples(res) > 0) {
        row_state(res, 0, 0, st);
        *found = true;
    }
    PQclear(res);
    snprintf(ps->got_addr, sizeof ps->got_addr, "%s", a);
    ps->got_found = *found;
    return RB_OK;
}

static int pg_state_put(struct store *s, const char *addr, const struct suppress_state *in)
{
    struct pg_store *ps = P(s);
    char tmp[PG_ADDR_CLEAN];
    const char *a = addr_clean(addr, tmp);
    struct ent *e = cache_find(ps, a);
    bool empty = suppress_state_empty(in);
    if (e) {
        e->st = *in;
        e->row = !empty;
        e->dirty = true;
        return RB_OK;
    }
    PGresult *res;
    int rc;
    if (empty) {
        const char *p[1] = {a};
        rc = query(ps, "DELETE FROM recipient_state WHERE address = $1", 1, p,
                   "clearing a recipient's state", &res);
    } else {
        char v[4][24];
        snprintf(v[0], sizeof v[0], "%u", in->mbf_count);
        snprintf(v[1], sizeof v[1], "%u", in->soft_count);
        snprintf(v[2], sizeof v[2], "%lld", in->soft_first);
        snprintf(v[3], sizeof v[3], "%lld", in->last_failure);
        const char *p[6] = {a, v[0], v[1], v[2], v[3], in->keys};
        /* read as absent (no row to lock): create it, and if another writer created it
         * meanwhile, lose the race (the caller runs the transaction again) rather than
         * overwrite its state; read as present, the row is locked: update it */
        bool absent = s->in_tx && strcmp(ps->got_addr, a) == 0 && !ps->got_found;
        rc = query(ps,
                   absent ? "INSERT INTO recipient_state VALUES($1, $2, $3, $4, $5, $6)"
                            " ON CONFLICT (address) DO NOTHING"
                          : "INSERT INTO recipient_state VALUES($1, $2, $3, $4, $5, $6)"
                            " ON CONFLICT (address) DO UPDATE SET mbf_count = excluded.mbf_count,"
                            " soft_count = excluded.soft_count, soft_first = excluded.soft_first,"
                            " last_failure = excluded.last_failure, keys = excluded.keys",
                   6, p, "writing a recipient's state", &res);
        if (rc == RB_OK && absent && changed_rows(res) == 0) {
            PQclear(res);
            ps->base.retry = true;
            return say(ps, RB_EIO,
                       "another writer created this recipient's state at the same time: run the "
                       "transaction again");
        }
        ps->got_addr[0] = '\0';
    }
    if (rc == RB_OK)
        PQclear(res);
    return rc;
}

static void row_supp(PGresult *res, int r, struct store_suppression *out)
{
    out->address = PQgetvalue(res, r, 0);
    out->reason = PQgetvalue(res, r, 1);
    out->rule = PQgetvalue(res, r, 2);
    out->since = strtoll(PQgetvalue(res, r, 3), NULL, 10);
    out->event_keys = PQgetvalue(res, r, 4);
}

static int pg_supp_get(struct store *s, const char *addr, struct store_suppression *out,
                       bool *found)
{
    struct pg_store *ps = P(s);
    PQclear(ps->held); /* the previous answer's strings end here */
    ps->held = NULL;
    memset(out, 0, sizeof *out);
    *found = false;
    char tmp[PG_ADDR_CLEAN];
    const char *p[1] = {addr_clean(addr, tmp)};
    int rc = query(ps,
                   "SELECT address, reason, rule, since, event_keys FROM suppressions"
                   " WHERE address = $1",
                   1, p, "reading the suppression list", &ps->held);
    if (rc == RB_OK && PQntuples(ps->held) > 0) {
        *found = true;
        row_supp(ps->held, 0, out);
    }
    return rc;
}

static int pg_supp_set(struct store *s, const struct store_suppression *e, bool replace,
                       bool *changed)
{
    struct pg_store *ps = P(s);
    char tmp[PG_ADDR_CLEAN];
    const char *a = addr_clean(e->address, tmp);
    struct ent *c = replace ? NULL : cache_find(ps, a);
    if (c && c->list_known) {
        *changed = !c->listed;
        if (c->listed)
            return RB_OK;
        c->listed = c->supp_new = true;
        c->since = e->since;
        snprintf(c->reason, sizeof c->reason, "%s", e->reason ? e->reason : "");
        snprintf(c->rule, sizeof c->rule, "%s", e->rule ? e->rule : "");
        snprintf(c->keys, sizeof c->keys, "%s", e->event_keys ? e->event_keys : "");
        return RB_OK;
    }
    char since[24];
    snprintf(since, sizeof since, "%lld", e->since);
    const char *p[5] = {a, e->reason ? e->reason : "", e->rule ? e->rule : "", since,
                        e->event_keys ? e->event_keys : ""};
    PGresult *res;
    int rc = query(ps,
                   replace ? "INSERT INTO suppressions VALUES($1, $2, $3, $4, $5)"
                             " ON CONFLICT (address) DO UPDATE SET reason = excluded.reason,"
                             " rule = excluded.rule, since = excluded.since,"
                             " event_keys = excluded.event_keys"
                           : "INSERT INTO suppressions VALUES($1, $2, $3, $4, $5)"
                             " ON CONFLICT (address) DO NOTHING",
                   5, p, "writing the suppression list", &res);
    *changed = rc == RB_OK && changed_rows(res) > 0;
    if (rc == RB_OK)
        PQclear(res);
    return rc;
}

static int pg_supp_remove(struct store *s, const char *addr, bool *removed)
{
    struct pg_store *ps = P(s);
    char tmp[PG_ADDR_CLEAN];
    const char *p[1] = {addr_clean(addr, tmp)};
    PGresult *res;
    int rc = query(ps, "DELETE FROM suppressions WHERE address = $1", 1, p,
                   "removing from the suppression list", &res);
    *removed = rc == RB_OK && changed_rows(res) > 0;
    if (rc == RB_OK)
        PQclear(res);
    return rc;
}

/* stream - run sql in single-row mode, calling row(res, ud) per row; a non-zero return of
 * row cancels the query and is returned */
static int stream(struct pg_store *ps, const char *sql, int n, const char *const *v,
                  const char *what, int (*row)(PGresult *res, void *ud), void *ud)
{
    stream_stop(ps);
    if (!PQsendQueryParams(ps->conn, sql, n, NULL, v, NULL, NULL, 0) ||
        !PQsetSingleRowMode(ps->conn))
        return res_fail(ps, NULL, what);
    int rc = RB_OK, stop = 0;
    PGresult *res;
    while ((res = PQgetResult(ps->conn))) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_SINGLE_TUPLE && !stop) {
            if ((stop = row(res, ud)) != 0) {
                PGcancel *cancel = PQgetCancel(ps->conn);
                char ebuf[256];
                if (cancel) {
                    PQcancel(cancel, ebuf, sizeof ebuf);
                    PQfreeCancel(cancel);
                }
            }
            PQclear(res);
        } else if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK) {
            PQclear(res);
        } else if (!stop && rc == RB_OK) {
            rc = res_fail(ps, res, what);
        } else {
            PQclear(res); /* the cancel's error */
        }
    }
    return stop ? stop : rc;
}

struct supp_walk {
    store_supp_cb cb;
    void *ud;
};

static int supp_row(PGresult *res, void *ud)
{
    struct supp_walk *w = ud;
    struct store_suppression e;
    row_supp(res, 0, &e);
    return w->cb(&e, w->ud);
}

static int pg_supp_iterate(struct store *s, store_supp_cb cb, void *ud)
{
    struct supp_walk w = {cb, ud};
    return stream(P(s),
                  "SELECT address, reason, rule, since, event_keys FROM suppressions"
                  " ORDER BY address",
                  0, NULL, "reading the suppression list", supp_row, &w);
}

static int pg_supp_count(struct store *s, unsigned long long *n)
{
    long long x = 0;
    int rc = query_ll(P(s), "SELECT count(*) FROM suppressions", "counting the list", &x);
    *n = x > 0 ? (unsigned long long)x : 0;
    return rc;
}

static int pg_alert_add(struct store *s, const struct store_sender_alert *a)
{
    struct pg_store *ps = P(s);
    const char *sd = a->sender_domain ? a->sender_domain : "",
               *ip = a->sending_ip ? a->sending_ip : "", *cat = a->category ? a->category : "",
               *prov = a->provider ? a->provider : "";
    if (ps->cached) { /* summed per batch: one row per (domain, ip, category, provider) */
        struct alert *x = NULL;
        uint64_t h = str_hash(sd) ^ str_hash(ip) * 3 ^ str_hash(cat) * 5 ^ str_hash(prov) * 7;
        for (size_t i = 0; i < ps->nalerts && !x; i++)
            if (ps->alerts[i].h == h && !strcmp(ps->alerts[i].sd, sd) &&
                !strcmp(ps->alerts[i].ip, ip) && !strcmp(ps->alerts[i].cat, cat) &&
                !strcmp(ps->alerts[i].prov, prov))
                x = &ps->alerts[i];
        if (!x) {
            if (ps->nalerts == ps->capalerts) {
                size_t cap = ps->capalerts ? 2 * ps->capalerts : 16;
                struct alert *na = realloc(ps->alerts, cap * sizeof *na);
                if (!na)
                    return say(ps, RB_ENOMEM, "out of memory counting alerts");
                ps->alerts = na;
                ps->capalerts = cap;
            }
            x = &ps->alerts[ps->nalerts];
            memset(x, 0, sizeof *x);
            x->sd = strdup(sd);
            x->ip = strdup(ip);
            x->cat = strdup(cat);
            x->prov = strdup(prov);
            x->h = h;
            ps->nalerts++;
            if (!x->sd || !x->ip || !x->cat || !x->prov)
                return say(ps, RB_ENOMEM, "out of memory counting alerts");
            x->first = x->last = a->time;
        }
        x->count++;
        if (a->time < x->first)
            x->first = a->time;
        if (a->time > x->last)
            x->last = a->time;
        snprintf(x->key, sizeof x->key, "%s", a->key ? a->key : "");
        return RB_OK;
    }
    char t[24];
    snprintf(t, sizeof t, "%lld", a->time);
    const char *p[6] = {sd, ip, cat, prov, t, a->key ? a->key : ""};
    PGresult *res;
    int rc = query(ps,
                   "INSERT INTO sender_alerts VALUES($1, $2, $3, $4, 1, $5, $5, $6)"
                   " ON CONFLICT (sender_domain, sending_ip, category, provider) DO UPDATE"
                   " SET count = sender_alerts.count + 1,"
                   " first_time = least(sender_alerts.first_time, excluded.first_time),"
                   " last_time = greatest(sender_alerts.last_time, excluded.last_time),"
                   " last_key = excluded.last_key",
                   6, p, "counting a sender alert", &res);
    if (rc == RB_OK)
        PQclear(res);
    return rc;
}

static int pg_notice_add(struct store *s, const struct store_notice *n, bool *added)
{
    struct pg_store *ps = P(s);
    char t[24];
    snprintf(t, sizeof t, "%lld", n->time);
    struct buf c;
    buf_init(&c, 5 * (3 * (size_t)STORE_MAX_TEXT + 1), NULL);
    const char *in[4] = {n->kind, n->source, n->url, n->text};
    size_t off[4];
    int rc = RB_OK;
    for (int i = 0; i < 4 && rc == RB_OK; i++) { /* each made valid UTF-8, NUL-terminated */
        const char *v = in[i] ? in[i] : "";
        off[i] = c.len;
        rc = put_clean(&c, v, strnlen(v, STORE_MAX_TEXT));
        if (rc == RB_OK)
            rc = buf_putc(&c, '\0');
    }
    if (rc != RB_OK) {
        buf_free(&c);
        return say(ps, rc, "out of memory recording a notice");
    }
    const char *p[5] = {t, c.p + off[0], c.p + off[1], c.p + off[2], c.p + off[3]};
    PGresult *res;
    rc = query(ps,
               "INSERT INTO notices(time, kind, source, url, text) VALUES($1, $2, $3, $4, $5)"
               " ON CONFLICT (kind, source, url) DO NOTHING",
               5, p, "recording a notice", &res);
    buf_free(&c);
    if (added)
        *added = rc == RB_OK && changed_rows(res) > 0;
    if (rc == RB_OK)
        PQclear(res);
    return rc;
}

struct notice_walk {
    store_notice_cb cb;
    void *ud;
};

static int notice_row(PGresult *res, void *ud)
{
    struct notice_walk *w = ud;
    struct store_notice n = {
        .time = strtoll(PQgetvalue(res, 0, 0), NULL, 10),
        .kind = PQgetvalue(res, 0, 1),
        .source = PQgetvalue(res, 0, 2),
        .url = PQgetvalue(res, 0, 3),
        .text = PQgetvalue(res, 0, 4),
    };
    return w->cb(&n, w->ud);
}

static int pg_notices_iterate(struct store *s, store_notice_cb cb, void *ud)
{
    struct notice_walk w = {cb, ud};
    return stream(P(s), "SELECT time, kind, source, url, text FROM notices ORDER BY id", 0, NULL,
                  "reading the notices", notice_row, &w);
}

/* ---- reading events ---------------------------------------------------------------------- */

/* vocab - the index of name among count names produced by fn (0, unknown, when absent) */
static int vocab(const char *name, int count, const char *(*fn)(int))
{
    for (int i = 0; i < count; i++)
        if (strcmp(fn(i), name) == 0)
            return i;
    return 0;
}
static const char *kind_name(int i)
{
    return rb_event_kind_name((rb_event_kind)i);
}
static const char *cat_name(int i)
{
    return rb_category_name((rb_category)i);
}
static const char *scope_name(int i)
{
    return rb_scope_name((rb_scope)i);
}
static const char *remedy_name(int i)
{
    return rb_remedy_name((rb_remedy)i);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

struct ev_walk {
    int col[F__COUNT];
    store_event_cb cb;
    void *ud;
};

static int ev_row(PGresult *res, void *ud)
{
    struct ev_walk *w = ud;
    const int *col = w->col;
#define TXT(f) (col[f] >= 0 ? PQgetvalue(res, 0, col[f]) : "")
#define INT(f) (col[f] >= 0 ? strtoll(PQgetvalue(res, 0, col[f]), NULL, 10) : 0)
    struct store_event e;
    e.time = INT(F_TIME);
    e.kind = (rb_event_kind)vocab(TXT(F_KIND), RB_EVENT__COUNT, kind_name);
    e.recipient = TXT(F_RECIPIENT);
    e.domain = TXT(F_DOMAIN);
    e.sender = TXT(F_SENDER);
    e.sender_domain = TXT(F_SENDER_DOMAIN);
    e.rhost = TXT(F_RHOST);
    e.provider = TXT(F_PROVIDER);
    e.replycode = (int)INT(F_REPLYCODE);
    e.status = TXT(F_STATUS);
    const char *reason = TXT(F_REASON);
    rb_reason r = rb_reason_from_name(reason, strlen(reason));
    e.reason = r == RB_REASON__COUNT ? (rb_reason)0 : r;
    e.category = (rb_category)vocab(TXT(F_CATEGORY), RB_CAT__COUNT, cat_name);
    e.scope = col[F_SCOPE] >= 0 ? (rb_scope)vocab(TXT(F_SCOPE), RB_SCOPE__COUNT, scope_name)
                                : (rb_scope)0;
    e.remedy = col[F_REMEDY] >= 0 ? (rb_remedy)vocab(TXT(F_REMEDY), RB_REMEDY__COUNT, remedy_name)
                                  : (rb_remedy)0;
    e.permanent = TXT(F_PERMANENT)[0] == 't';
    e.campaign = TXT(F_CAMPAIGN);
    e.sending_ip = TXT(F_SENDING_IP);
    e.sending_domain = TXT(F_SENDING_DOMAIN);
    e.vmta = TXT(F_VMTA);
    e.queue_id = TXT(F_QUEUE_ID);
    e.message_id = TXT(F_MESSAGE_ID);
    e.source_event_id = TXT(F_SOURCE_EVENT_ID);
    e.text = TXT(F_TEXT);
    e.format = TXT(F_FORMAT);
    e.delay_ms = -1;
    e.auth = (unsigned)INT(F_AUTH);
    e.blocklist = TXT(F_BLOCKLIST);
    e.listed = TXT(F_LISTED);
    memset(e.key, 0, STORE_KEY_BYTES);
    const char *k = TXT(F_KEY); /* bytea as text: \x then hex */
    if (k[0] == '\\' && k[1] == 'x' && strlen(k) == 2 + 2 * STORE_KEY_BYTES) {
        for (int i = 0; i < STORE_KEY_BYTES; i++) {
            int hi = hexval(k[2 + 2 * i]), lo = hexval(k[3 + 2 * i]);
            e.key[i] = (unsigned char)(hi < 0 || lo < 0 ? 0 : hi << 4 | lo);
        }
    }
#undef TXT
#undef INT
    return w->cb(&e, w->ud);
}

static int pg_events_iterate(struct store *s, const struct store_iter *it, store_event_cb cb,
                             void *ud)
{
    struct pg_store *ps = P(s);
    struct ev_walk w = {.cb = cb, .ud = ud};
    struct buf q;
    buf_init(&q, 4096, NULL);
    int rc = buf_puts(&q, "SELECT "), ncol = 0;
    for (int f = 0; f < F__COUNT && rc == RB_OK; f++) {
        w.col[f] = -1;
        if ((it->flags & STORE_ITER_BRIEF) && !store_ev_brief[f])
            continue;
        w.col[f] = ncol++;
        if (ncol > 1)
            rc = buf_puts(&q, ", ");
        /* a report reads the text of failures only: skip sending the others */
        if (rc == RB_OK)
            rc = buf_puts(&q, f == F_TEXT && (it->flags & STORE_ITER_BRIEF)
                                  ? "CASE WHEN kind IN ('delivered', 'dropped') THEN '' ELSE"
                                    " text END"
                                  : store_ev_columns[f]);
    }
    if (rc == RB_OK)
        rc = buf_puts(&q, " FROM events WHERE time >= $1 AND time < $2");
    if (rc == RB_OK && it->id_to > 0)
        rc = buf_puts(&q, " AND id >= $3 AND id < $4");
    if (rc == RB_OK && !(it->flags & STORE_ITER_UNORDERED))
        rc = buf_puts(&q, " ORDER BY time, id");
    if (rc != RB_OK) {
        buf_free(&q);
        return say(ps, rc, "building the query");
    }
    char v[4][24];
    snprintf(v[0], sizeof v[0], "%lld", it->since > 0 ? it->since : -(1LL << 62));
    snprintf(v[1], sizeof v[1], "%lld", it->until > 0 ? it->until : (1LL << 62));
    snprintf(v[2], sizeof v[2], "%lld", it->id_from);
    snprintf(v[3], sizeof v[3], "%lld", it->id_to);
    const char *p[4] = {v[0], v[1], v[2], v[3]};
    rc = stream(ps, q.p, it->id_to > 0 ? 4 : 2, p, "reading events", ev_row, &w);
    buf_free(&q);
    return rc;
}

static int pg_events_ids(struct store *s, long long *lo, long long *hi)
{
    struct pg_store *ps = P(s);
    int rc = query_ll(ps, "SELECT coalesce(min(id), 0) FROM events", "reading events", lo);
    if (rc == RB_OK)
        rc = query_ll(ps, "SELECT coalesce(max(id), 0) FROM events", "reading events", hi);
    return rc;
}

static int pg_counts(struct store *s, struct store_counts *out)
{
    struct pg_store *ps = P(s);
    static const char *const q[4] = {"SELECT count(*) FROM events",
                                     "SELECT count(*) FROM suppressions",
                                     "SELECT count(*) FROM recipient_state",
                                     "SELECT coalesce(sum(count), 0) FROM sender_alerts"};
    long long n[4];
    for (int i = 0; i < 4; i++) {
        int rc = query_ll(ps, q[i], "counting", &n[i]);
        if (rc != RB_OK)
            return rc;
    }
    out->events = (unsigned long long)n[0];
    out->suppressions = (unsigned long long)n[1];
    out->recipients_tracked = (unsigned long long)n[2];
    out->sender_alerts = (unsigned long long)n[3];
    return RB_OK;
}

const struct store_ops store_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .put_event = pg_put_event,
    .state_get = pg_state_get,
    .state_put = pg_state_put,
    .supp_get = pg_supp_get,
    .supp_set = pg_supp_set,
    .supp_remove = pg_supp_remove,
    .supp_iterate = pg_supp_iterate,
    .supp_count = pg_supp_count,
    .alert_add = pg_alert_add,
    .events_iterate = pg_events_iterate,
    .events_ids = pg_events_ids,
    .counts = pg_counts,
    .notice_add = pg_notice_add,
    .notices_iterate = pg_notices_iterate,
    .put_events = pg_put_events,
    .prefetch = pg_prefetch,
    .stream = pg_stream,
};
