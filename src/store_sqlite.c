/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store_sqlite.c - the SQLite backend of the store (the default).
 *
 * DESCRIPTION
 *   One database file in WAL mode (readers such as `rebound check` work while an ingest
 *   writes), synchronous=NORMAL (a committed batch survives a crash of the process; a power
 *   loss may drop the last batches but never corrupts), a busy timeout for a second writer,
 *   statements prepared once per connection and reused, write transactions taken with
 *   BEGIN IMMEDIATE (no lock-upgrade deadlocks between two writers).
 *
 *   Ours or not: a file is a rebound store when PRAGMA application_id is
 *   STORE_APPLICATION_ID and its meta table has schema_version. Before SQLite touches an
 *   existing file, its 100-byte header is read: a file that is not SQLite, or a SQLite
 *   database of another application, is refused with a clear error and left as it was
 *   (nothing is created next to it either). A new file is created in rollback-journal mode,
 *   tagged and given its schema in one transaction, and only then switched to WAL, so the
 *   tag is in the main file from the first commit on.
 *
 *   Schema: migrations[] is the ordered list of SQL scripts; migration i takes schema i to
 *   i + 1, and the meta table records the version reached. Opening a store runs the
 *   missing ones in one transaction; a store from a newer rebound is refused.
 *
 *   Ingest speed (schema 4): an event row holds numbers into the names table for its
 *   repeated strings (a writer remembers name -> number, and each column's last name), and
 *   a writer keeps the set of recipients with a recipient_state row, so a delivery to a
 *   recipient without an open streak costs no state lookup (struct rset says when the set
 *   is exact).
 *
 * LIMITS
 *   STORE_MAX_TEXT bytes of text per event. Page cache: SQLITE_CACHE_KB per connection;
 *   up to SQLITE_MMAP_BYTES of the file memory-mapped by writers. A writer remembers up to
 *   NAMES_MAX names (NAMES_ARENA_MAX bytes), then starts over; its recipient set takes 32 to
 *   48 bytes per recipient with an open streak, up to RSET_MAX of them (past that, SQLite
 *   answers every state lookup, as before schema 4).
 *
 * SEE ALSO
 *   store.h, docs/store.md
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "store.h"
#include "store_fields.h"

#define SQLITE_CACHE_KB 65536         /* page cache per connection */
#define SQLITE_MMAP_BYTES (1LL << 30) /* file bytes mapped per connection */
#define SCAN_CACHE_KB 2048            /* page cache of a reader while it scans the list */
/* WAL pages between automatic checkpoints (SQLite's default is 1000): a checkpoint writes
 * back and fsyncs; with 16 KB pages, 32768 is 512 MB of WAL. bench_store over 3M events:
 * 139k events/s at 1000, 156k at 8192, 165k at 32768. */
#define WAL_CHECKPOINT_PAGES 32768

static const char *const migrations[] = {
    /* 0 -> 1: the first schema */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE events("
    " id INTEGER PRIMARY KEY,"
    " key BLOB NOT NULL," /* store_event_key(): 16 bytes */
    " time INTEGER NOT NULL, kind TEXT NOT NULL,"
    " recipient TEXT NOT NULL, domain TEXT NOT NULL,"
    " sender TEXT NOT NULL, sender_domain TEXT NOT NULL,"
    " rhost TEXT NOT NULL, provider TEXT NOT NULL,"
    " replycode INTEGER NOT NULL, status TEXT NOT NULL,"
    " reason TEXT NOT NULL, category TEXT NOT NULL, scope TEXT NOT NULL, remedy TEXT NOT NULL,"
    " permanent INTEGER NOT NULL,"
    " campaign TEXT NOT NULL, sending_ip TEXT NOT NULL, sending_domain TEXT NOT NULL,"
    " vmta TEXT NOT NULL, queue_id TEXT NOT NULL, message_id TEXT NOT NULL,"
    " source_event_id TEXT NOT NULL, text TEXT NOT NULL, format TEXT NOT NULL,"
    /* duplicates are refused by (time, key), not by key alone: the same event always has
     * the same time, and logs arrive in time order, so this index grows at its right edge
     * instead of taking random inserts (and it serves time-range queries too) */
    " UNIQUE(time, key));"
    "CREATE TABLE recipient_state(address TEXT PRIMARY KEY,"
    " mbf_count INTEGER NOT NULL, soft_count INTEGER NOT NULL,"
    " soft_first INTEGER NOT NULL, last_failure INTEGER NOT NULL,"
    " keys TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE suppressions(address TEXT PRIMARY KEY, reason TEXT NOT NULL,"
    " rule TEXT NOT NULL, since INTEGER NOT NULL, event_keys TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE sender_alerts(sender_domain TEXT NOT NULL, sending_ip TEXT NOT NULL,"
    " category TEXT NOT NULL, provider TEXT NOT NULL, count INTEGER NOT NULL,"
    " first_time INTEGER NOT NULL, last_time INTEGER NOT NULL, last_key TEXT NOT NULL,"
    " PRIMARY KEY(sender_domain, sending_ip, category, provider)) WITHOUT ROWID;",
    /* 1 -> 2: what the reply named, for the report's diagnoses (events stored before keep
     * the defaults: nothing named) */
    "ALTER TABLE events ADD COLUMN auth INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE events ADD COLUMN blocklist TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE events ADD COLUMN listed TEXT NOT NULL DEFAULT '';",
    /* 2 -> 3: notices for people (an SNS subscription to confirm by hand), once each */
    "CREATE TABLE notices(id INTEGER PRIMARY KEY, time INTEGER NOT NULL, kind TEXT NOT NULL,"
    " source TEXT NOT NULL, url TEXT NOT NULL, text TEXT NOT NULL, UNIQUE(kind, source, url));",
    /* 3 -> 4: a slimmer event row, for ingest speed (page writes are its cost). The columns
     * that repeat a few values over millions of rows (the vocabulary words, domains, hosts,
     * IPs, campaigns, status codes: the NC_* columns) hold the number of their string in names
     * instead of the string; 0 is "". events becomes a view with the old columns, so people's
     * queries (SELECT * FROM events WHERE lower(hex(key)) = ...) read as before. The names are
     * collected in one scan of the old table (each row crossed with the 17 column numbers). */
    "CREATE TABLE names(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
    "INSERT OR IGNORE INTO names(name) SELECT v FROM (SELECT CASE c.column1"
    " WHEN 1 THEN e.kind WHEN 2 THEN e.domain WHEN 3 THEN e.sender_domain WHEN 4 THEN e.rhost"
    " WHEN 5 THEN e.provider WHEN 6 THEN e.status WHEN 7 THEN e.reason WHEN 8 THEN e.category"
    " WHEN 9 THEN e.scope WHEN 10 THEN e.remedy WHEN 11 THEN e.campaign"
    " WHEN 12 THEN e.sending_ip WHEN 13 THEN e.sending_domain WHEN 14 THEN e.vmta"
    " WHEN 15 THEN e.format WHEN 16 THEN e.blocklist ELSE e.listed END AS v"
    " FROM events e CROSS JOIN (VALUES(1),(2),(3),(4),(5),(6),(7),(8),(9),(10),(11),(12),(13),"
    "(14),(15),(16),(17)) c) WHERE v <> '';"
    "CREATE TABLE event_rows("
    " id INTEGER PRIMARY KEY, key BLOB NOT NULL, time INTEGER NOT NULL, kind INTEGER NOT NULL,"
    " recipient TEXT NOT NULL, domain INTEGER NOT NULL, sender TEXT NOT NULL,"
    " sender_domain INTEGER NOT NULL, rhost INTEGER NOT NULL, provider INTEGER NOT NULL,"
    " replycode INTEGER NOT NULL, status INTEGER NOT NULL, reason INTEGER NOT NULL,"
    " category INTEGER NOT NULL, scope INTEGER NOT NULL, remedy INTEGER NOT NULL,"
    " permanent INTEGER NOT NULL, campaign INTEGER NOT NULL, sending_ip INTEGER NOT NULL,"
    " sending_domain INTEGER NOT NULL, vmta INTEGER NOT NULL, queue_id TEXT NOT NULL,"
    " message_id TEXT NOT NULL, source_event_id TEXT NOT NULL, text TEXT NOT NULL,"
    " format INTEGER NOT NULL, auth INTEGER NOT NULL, blocklist INTEGER NOT NULL,"
    " listed INTEGER NOT NULL, UNIQUE(time, key));"
    "INSERT INTO event_rows SELECT id, key, time,"
    " coalesce((SELECT id FROM names WHERE name = kind), 0), recipient,"
    " coalesce((SELECT id FROM names WHERE name = domain), 0), sender,"
    " coalesce((SELECT id FROM names WHERE name = sender_domain), 0),"
    " coalesce((SELECT id FROM names WHERE name = rhost), 0),"
    " coalesce((SELECT id FROM names WHERE name = provider), 0), replycode,"
    " coalesce((SELECT id FROM names WHERE name = status), 0),"
    " coalesce((SELECT id FROM names WHERE name = reason), 0),"
    " coalesce((SELECT id FROM names WHERE name = category), 0),"
    " coalesce((SELECT id FROM names WHERE name = scope), 0),"
    " coalesce((SELECT id FROM names WHERE name = remedy), 0), permanent,"
    " coalesce((SELECT id FROM names WHERE name = campaign), 0),"
    " coalesce((SELECT id FROM names WHERE name = sending_ip), 0),"
    " coalesce((SELECT id FROM names WHERE name = sending_domain), 0),"
    " coalesce((SELECT id FROM names WHERE name = vmta), 0), queue_id, message_id,"
    " source_event_id, text, coalesce((SELECT id FROM names WHERE name = format), 0),"
    " auth, coalesce((SELECT id FROM names WHERE name = blocklist), 0),"
    " coalesce((SELECT id FROM names WHERE name = listed), 0) FROM events ORDER BY id;"
    "DROP TABLE events;"
    "CREATE VIEW events AS SELECT id, key, time,"
    " coalesce((SELECT name FROM names WHERE id = kind), '') AS kind, recipient,"
    " coalesce((SELECT name FROM names WHERE id = domain), '') AS domain, sender,"
    " coalesce((SELECT name FROM names WHERE id = sender_domain), '') AS sender_domain,"
    " coalesce((SELECT name FROM names WHERE id = rhost), '') AS rhost,"
    " coalesce((SELECT name FROM names WHERE id = provider), '') AS provider,"
    " replycode, coalesce((SELECT name FROM names WHERE id = status), '') AS status,"
    " coalesce((SELECT name FROM names WHERE id = reason), '') AS reason,"
    " coalesce((SELECT name FROM names WHERE id = category), '') AS category,"
    " coalesce((SELECT name FROM names WHERE id = scope), '') AS scope,"
    " coalesce((SELECT name FROM names WHERE id = remedy), '') AS remedy, permanent,"
    " coalesce((SELECT name FROM names WHERE id = campaign), '') AS campaign,"
    " coalesce((SELECT name FROM names WHERE id = sending_ip), '') AS sending_ip,"
    " coalesce((SELECT name FROM names WHERE id = sending_domain), '') AS sending_domain,"
    " coalesce((SELECT name FROM names WHERE id = vmta), '') AS vmta, queue_id,"
    " message_id, source_event_id, text,"
    " coalesce((SELECT name FROM names WHERE id = format), '') AS format, auth,"
    " coalesce((SELECT name FROM names WHERE id = blocklist), '') AS blocklist,"
    " coalesce((SELECT name FROM names WHERE id = listed), '') AS listed FROM event_rows;",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

enum {
    Q_INS_EVENT,
    Q_STATE_GET,
    Q_STATE_PUT,
    Q_STATE_DEL,
    Q_SUPP_GET,
    Q_SUPP_INS,
    Q_SUPP_REP,
    Q_SUPP_DEL,
    Q_SUPP_ALL,
    Q_ALERT,
    Q_NOTICE_ADD,
    Q_NOTICE_ALL,
    Q_NAME_GET,
    Q_NAME_ADD,
    Q_DATA_VERSION,
    Q_STATE_ALL,
    Q__COUNT
};

static const char *const queries[Q__COUNT] = {
    [Q_INS_EVENT] = "INSERT OR IGNORE INTO event_rows(key, time, kind, recipient, domain, sender,"
                    " sender_domain, rhost, provider, replycode, status, reason, category, scope,"
                    " remedy, permanent, campaign, sending_ip, sending_domain, vmta, queue_id,"
                    " message_id, source_event_id, text, format, auth, blocklist, listed)"
                    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
                    " ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)",
    [Q_STATE_GET] = "SELECT mbf_count, soft_count, soft_first, last_failure, keys"
                    " FROM recipient_state WHERE address = ?1",
    [Q_STATE_PUT] = "INSERT OR REPLACE INTO recipient_state(address, mbf_count, soft_count,"
                    " soft_first, last_failure, keys) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_STATE_DEL] = "DELETE FROM recipient_state WHERE address = ?1",
    [Q_SUPP_GET] = "SELECT address, reason, rule, since, event_keys FROM suppressions"
                   " WHERE address = ?1",
    [Q_SUPP_INS] = "INSERT OR IGNORE INTO suppressions(address, reason, rule, since, event_keys)"
                   " VALUES(?1, ?2, ?3, ?4, ?5)",
    [Q_SUPP_REP] = "INSERT OR REPLACE INTO suppressions(address, reason, rule, since,"
                   " event_keys) VALUES(?1, ?2, ?3, ?4, ?5)",
    [Q_SUPP_DEL] = "DELETE FROM suppressions WHERE address = ?1",
    [Q_SUPP_ALL] = "SELECT address, reason, rule, since, event_keys FROM suppressions"
                   " ORDER BY address",
    [Q_ALERT] = "INSERT INTO sender_alerts(sender_domain, sending_ip, category, provider, count,"
                " first_time, last_time, last_key) VALUES(?1, ?2, ?3, ?4, 1, ?5, ?5, ?6)"
                " ON CONFLICT(sender_domain, sending_ip, category, provider) DO UPDATE SET"
                " count = count + 1, first_time = min(first_time, excluded.first_time),"
                " last_time = max(last_time, excluded.last_time), last_key = excluded.last_key",
    [Q_NOTICE_ADD] = "INSERT OR IGNORE INTO notices(time, kind, source, url, text)"
                     " VALUES(?1, ?2, ?3, ?4, ?5)",
    [Q_NOTICE_ALL] = "SELECT time, kind, source, url, text FROM notices ORDER BY id",
    [Q_NAME_GET] = "SELECT id FROM names WHERE name = ?1",
    [Q_NAME_ADD] = "INSERT INTO names(name) VALUES(?1)",
    [Q_DATA_VERSION] = "PRAGMA data_version",
    [Q_STATE_ALL] = "SELECT address FROM recipient_state",
};

/* The columns of event_rows that hold a name's number (schema 4), in the order put_event
 * looks them up; each has a memo of its last name. */
enum {
    NC_KIND,
    NC_DOMAIN,
    NC_SENDER_DOMAIN,
    NC_RHOST,
    NC_PROVIDER,
    NC_STATUS,
    NC_REASON,
    NC_CATEGORY,
    NC_SCOPE,
    NC_REMEDY,
    NC_CAMPAIGN,
    NC_SENDING_IP,
    NC_SENDING_DOMAIN,
    NC_VMTA,
    NC_FORMAT,
    NC_BLOCKLIST,
    NC_LISTED,
    NC__COUNT
};

#define RSET_MAX (1u << 21)         /* recipients with an open streak a writer keeps a set of */
#define NAME_MEMO 48                /* bytes of a column's last name kept for the quick check */
#define NAMES_MAX (1u << 20)        /* names a writer remembers; past it, it starts over */
#define NAMES_ARENA_MAX (64u << 20) /* bytes of those names */

/* A writer's memory of names -> numbers. Names are only ever added (never renumbered or
 * removed), so an entry stays true across transactions and other writers' commits; only a
 * rollback of our own transaction can take back numbers we handed out, and then it is
 * cleared. */
struct name_slot {
    uint64_t h;
    uint32_t id;  /* 0 = empty slot */
    uint32_t off; /* name in the arena */
    uint32_t len;
};
struct names {
    struct name_slot *slot;
    size_t mask, used;
    char *arena;
    size_t alen, acap;
    struct {
        uint32_t len; /* UINT32_MAX = nothing remembered */
        uint32_t id;
        char s[NAME_MEMO];
    } memo[NC__COUNT];
};

/* The addresses that have a recipient_state row, as 128-bit hashes, for a writer: most
 * events are deliveries to recipients with no open streak, and this answers their state
 * lookup ("none") without SQLite. It is exact while valid: built from the table inside a
 * write transaction, kept in step with our own writes, dropped when another connection
 * committed since our last transaction (PRAGMA data_version) and on rollback. A hash
 * collision (2^-128) is as far out of reach as one of event keys. */
struct rset {
    uint64_t (*h)[2]; /* {0, 0} empty, {0, 1} deleted */
    size_t mask, used, dead;
    bool valid;
};

struct sqlite_store {
    struct store base; /* first: the generic head */
    sqlite3 *db;
    sqlite3_stmt *q[Q__COUNT];
    bool readonly;
    unsigned busy_ms;
    bool wtx;               /* in a write transaction of ours */
    long long data_version; /* at the end of our last transaction, -1 unknown */
    struct names names;     /* writers: name -> number */
    struct rset rs;         /* writers: who has a recipient_state row */
    bool rs_off;            /* more than RSET_MAX rows, or out of memory: no set */
};

static void names_clear(struct names *nm);
static void names_free(struct names *nm);
static void rset_drop(struct rset *r);

static struct sqlite_store *S(struct store *s)
{
    return (struct sqlite_store *)(void *)s;
}

/* err_set - the store's error text: the path, then the parts (NULLs skipped), cut to fit */
static void err_set(struct sqlite_store *ss, const char *a, const char *b, const char *c,
                    const char *d)
{
    const char *parts[] = {ss->base.path, ": ", a, b, c, d};
    size_t len = 0, cap = sizeof ss->base.err - 1;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (!parts[i])
            continue;
        size_t n = strlen(parts[i]);
        if (n > cap - len)
            n = cap - len;
        memcpy(ss->base.err + len, parts[i], n);
        len += n;
    }
    ss->base.err[len] = '\0';
}

/* db_fail - turn a SQLite result code into an RB_E* code with a message for people */
static int db_fail(struct sqlite_store *ss, int src, const char *what)
{
    const char *msg = ss->db ? sqlite3_errmsg(ss->db) : sqlite3_errstr(src);
    int rc = RB_EIO;
    const char *hint = NULL;
    switch (src & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        hint = "the store is locked by another writer: ";
        break;
    case SQLITE_READONLY:
        hint = "the store (or its directory) is read-only: ";
        break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        hint = "the store is corrupt or not a rebound store: ";
        rc = RB_EPARSE;
        break;
    case SQLITE_FULL:
        hint = "the disk is full: ";
        break;
    case SQLITE_NOMEM:
        rc = RB_ENOMEM;
        break;
    case SQLITE_CANTOPEN:
        hint = "cannot open the file: ";
        break;
    default:
        break;
    }
    char detail[STORE_ERR_CAP / 2];
    snprintf(detail, sizeof detail, " (%.200s)", msg ? msg : "");
    err_set(ss, hint, what, detail, NULL);
    return rc;
}

/* say - set the error text (msg, then arg if not NULL) and return rc */
static int say(struct sqlite_store *ss, int rc, const char *msg, const char *arg)
{
    err_set(ss, msg, arg ? ": " : NULL, arg, NULL);
    return rc;
}

static int exec(struct sqlite_store *ss, const char *sql, const char *what)
{
    int src = sqlite3_exec(ss->db, sql, NULL, NULL, NULL);
    return src == SQLITE_OK ? RB_OK : db_fail(ss, src, what);
}

/* query_int - the first column of the first row of sql as an integer (-1 if no row) */
static int query_int(struct sqlite_store *ss, const char *sql, long long *out)
{
    sqlite3_stmt *st;
    int src = sqlite3_prepare_v2(ss->db, sql, -1, &st, NULL);
    if (src != SQLITE_OK)
        return db_fail(ss, src, "reading the schema");
    src = sqlite3_step(st);
    *out = src == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return src == SQLITE_ROW || src == SQLITE_DONE ? RB_OK : db_fail(ss, src, "reading the schema");
}

/* mkdirs - create the directories above path (mode 0700), like mkdir -p */
static int mkdirs(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n >= sizeof tmp)
        return -1;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

/* check_file - look at an existing file before SQLite does; 1 = new or empty file */
static int check_file(struct sqlite_store *ss, const char *path, const struct store_open_opts *o,
                      int *fresh)
{
    struct stat st;
    *fresh = 0;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT)
            return say(ss, RB_EIO, strerror(errno), NULL);
        if (!o->create)
            return say(ss, RB_EIO,
                       "no store here yet (`rebound ingest --store` or `rebound suppress add` "
                       "creates it; --db PATH names another)",
                       NULL);
        if (mkdirs(path) != 0)
            return say(ss, RB_EIO, "cannot create its directory", strerror(errno));
        *fresh = 1;
        return RB_OK;
    }
    if (!S_ISREG(st.st_mode))
        return say(ss, RB_EIO, "not a regular file", NULL);
    /* root may write anything: honour the file's mode bits as the owner's intent */
    if (!o->readonly &&
        ((st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0 || access(path, W_OK) != 0))
        return say(ss, RB_EIO, "the store file is read-only (nothing was changed)", NULL);
    if (st.st_size == 0) {
        *fresh = 1;
        return RB_OK;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return say(ss, RB_EIO, strerror(errno), NULL);
    unsigned char h[100];
    ssize_t got = read(fd, h, sizeof h);
    close(fd);
    if (got != (ssize_t)sizeof h || memcmp(h, "SQLite format 3", 16) != 0)
        return say(ss, RB_EPARSE,
                   "not a SQLite database (garbage or a damaged header); refusing to touch it",
                   NULL);
    unsigned long appid = (unsigned long)h[68] << 24 | (unsigned long)h[69] << 16 |
                          (unsigned long)h[70] << 8 | (unsigned long)h[71];
    if (appid != 0 && appid != STORE_APPLICATION_ID)
        return say(ss, RB_EPARSE,
                   "a SQLite database of another application (application_id is not rebound's);"
                   " refusing to touch it",
                   NULL);
    return RB_OK;
}

/* init_or_migrate - tag a new database and bring the schema to SCHEMA_VERSION */
static int init_or_migrate(struct sqlite_store *ss)
{
    long long appid, ntables, version = 0;
    int rc = query_int(ss, "PRAGMA application_id", &appid);
    if (rc == RB_OK)
        rc = query_int(ss, "SELECT count(*) FROM sqlite_master", &ntables);
    if (rc != RB_OK)
        return rc;
    if (appid == 0 && ntables == 0) {
        if (ss->readonly)
            return say(ss, RB_EIO, "the store is empty (nothing stored yet)", NULL);
    } else if (appid != STORE_APPLICATION_ID) {
        return say(ss, RB_EPARSE,
                   "a SQLite database of another application (no rebound application_id);"
                   " refusing to touch it",
                   NULL);
    } else {
        rc = query_int(ss, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'",
                       &version);
        if (rc != RB_OK || version < 1)
            return say(ss, RB_EPARSE,
                       "tagged as a rebound store but has no schema version: damaged", NULL);
        if (version > SCHEMA_VERSION)
            return say(ss, RB_EPARSE,
                       "made by a newer rebound (its schema is newer than this one knows)", NULL);
        if (version == SCHEMA_VERSION)
            return RB_OK;
        if (ss->readonly)
            return say(ss, RB_EIO,
                       "its schema is older: run a writing command (ingest --store) once", NULL);
    }
    /* a new store: bigger pages (fewer page writes per event row); only takes effect
     * before the first table exists */
    if (version == 0 &&
        (rc = exec(ss, "PRAGMA page_size = 16384", "setting the page size")) != RB_OK)
        return rc;
    if ((rc = exec(ss, "BEGIN IMMEDIATE", "starting the schema migration")) != RB_OK)
        return rc;
    if (version == 0) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA application_id = %d", STORE_APPLICATION_ID);
        rc = exec(ss, sql, "tagging the store");
    }
    for (long long v = version; rc == RB_OK && v < SCHEMA_VERSION; v++)
        rc = exec(ss, migrations[v], "migrating the schema");
    if (rc == RB_OK) {
        char sql[128];
        snprintf(sql, sizeof sql,
                 "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', '%d')",
                 SCHEMA_VERSION);
        rc = exec(ss, sql, "recording the schema version");
    }
    if (rc == RB_OK)
        rc = exec(ss, "COMMIT", "committing the schema");
    if (rc != RB_OK)
        sqlite3_exec(ss->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int sq_open(struct store **out, const char *target, const struct store_open_opts *o)
{
    struct sqlite_store *ss = calloc(1, sizeof *ss);
    *out = (struct store *)ss;
    if (!ss)
        return RB_ENOMEM;
    ss->base.ops = &store_sqlite_ops;
    snprintf(ss->base.path, sizeof ss->base.path, "%s", target);
    snprintf(ss->base.shown, sizeof ss->base.shown, "%s", target);
    ss->readonly = o->readonly;
    ss->busy_ms = o->busy_timeout_ms;
    ss->data_version = -1;
    names_clear(&ss->names);
    int fresh, rc = check_file(ss, target, o, &fresh);
    if (rc != RB_OK)
        return rc;
    int flags = (o->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
                (fresh && !o->readonly ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
    int src = sqlite3_open_v2(target, &ss->db, flags, NULL);
    if (src != SQLITE_OK)
        return db_fail(ss, src, "opening");
    sqlite3_extended_result_codes(ss->db, 1);
    sqlite3_busy_timeout(ss->db, (int)ss->busy_ms);
    if ((rc = init_or_migrate(ss)) != RB_OK)
        return rc;
    if (!o->readonly) {
        sqlite3_stmt *st;
        src = sqlite3_prepare_v2(ss->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
        if (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
            const unsigned char *m = sqlite3_column_text(st, 0);
            if (!m || strcmp((const char *)m, "wal") != 0)
                src = SQLITE_ERROR;
            else
                src = SQLITE_OK;
        }
        sqlite3_finalize(st);
        if (src != SQLITE_OK)
            return db_fail(ss, src, "switching to WAL");
        /* NORMAL: a committed batch survives a crash of the process; FULL (durable) also
         * survives a power loss, at one fsync per commit (the server group-commits) */
        if ((rc = exec(ss, o->durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
                       "setting synchronous")) != RB_OK)
            return rc;
        char ck[64];
        snprintf(ck, sizeof ck, "PRAGMA wal_autocheckpoint = %d", WAL_CHECKPOINT_PAGES);
        if ((rc = exec(ss, ck, "setting wal_autocheckpoint")) != RB_OK)
            return rc;
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d", SQLITE_CACHE_KB);
    if ((rc = exec(ss, sql, "setting the cache size")) != RB_OK)
        return rc;
    if ((rc = exec(ss, "PRAGMA temp_store = MEMORY", "setting temp_store")) != RB_OK)
        return rc;
    /* writers read straight from the page cache of the OS, without a copy per page (SQLite
     * falls back to read() where mapping is not possible); readers do not map: a report
     * scanning a 4.5 GB store was faster with read() (5.6 s against 6.2 s) and its resident
     * size 150 MB instead of 1.2 GB of mapped pages */
    snprintf(sql, sizeof sql, "PRAGMA mmap_size = %lld",
             ss->readonly ? 0LL : (long long)SQLITE_MMAP_BYTES);
    if ((rc = exec(ss, sql, "setting mmap_size")) != RB_OK)
        return rc;
    for (int i = 0; i < Q__COUNT; i++) {
        src =
            sqlite3_prepare_v3(ss->db, queries[i], -1, SQLITE_PREPARE_PERSISTENT, &ss->q[i], NULL);
        if (src != SQLITE_OK)
            return db_fail(ss, src, "preparing statements");
    }
    return RB_OK;
}

static void sq_close(struct store *s)
{
    struct sqlite_store *ss = S(s);
    for (int i = 0; i < Q__COUNT; i++)
        sqlite3_finalize(ss->q[i]);
    names_free(&ss->names);
    rset_drop(&ss->rs);
    if (ss->db)
        sqlite3_close(ss->db);
    free(ss);
}

/* data_version - PRAGMA data_version: changes when another connection commits */
static long long data_version(struct sqlite_store *ss)
{
    sqlite3_stmt *st = ss->q[Q_DATA_VERSION];
    long long v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return v;
}

/* forget - what this connection remembers of the tables may be wrong now (a rollback took
 * back names and state rows we wrote; or we cannot tell) */
static void forget(struct sqlite_store *ss)
{
    names_clear(&ss->names);
    rset_drop(&ss->rs);
    ss->data_version = -1;
}

static int sq_begin(struct store *s)
{
    struct sqlite_store *ss = S(s);
    int rc = exec(ss, "BEGIN IMMEDIATE", "starting a transaction");
    if (rc != RB_OK)
        return rc;
    ss->wtx = true;
    /* another writer committed since our last transaction: its recipient_state rows are not
     * in our set (names stay true: they are only ever added) */
    long long v = data_version(ss);
    if (v < 0 || v != ss->data_version)
        rset_drop(&ss->rs);
    ss->data_version = v;
    return RB_OK;
}

static int sq_commit(struct store *s)
{
    struct sqlite_store *ss = S(s);
    int rc = exec(ss, "COMMIT", "committing");
    if (rc != RB_OK) {
        forget(ss); /* the caller rolls back */
        return rc;
    }
    ss->wtx = false;
    return RB_OK;
}

static int sq_rollback(struct store *s)
{
    struct sqlite_store *ss = S(s);
    ss->wtx = false;
    forget(ss);
    return exec(ss, "ROLLBACK", "rolling back");
}

/* run - step a write statement to its end and reset it */
static int run(struct sqlite_store *ss, sqlite3_stmt *st, const char *what)
{
    int src = sqlite3_step(st);
    sqlite3_reset(st);
    return src == SQLITE_DONE ? RB_OK : db_fail(ss, src, what);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_STATIC);
}

/* text_len - bytes of s kept: at most STORE_MAX_TEXT, not cutting a UTF-8 sequence */
static int text_len(const char *s)
{
    size_t n = strnlen(s, STORE_MAX_TEXT + 1);
    if (n > STORE_MAX_TEXT) {
        n = STORE_MAX_TEXT;
        while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    return (int)n;
}

/* hash128 - the tables' hash (store_hash128: SipHash, so the recipient set can treat equal
 * hashes as equal addresses) */
static void hash128(const char *p, size_t n, uint64_t out[2])
{
    store_hash128(p, n, out);
}

/* ---- names: the numbers of the repeated strings of an event row (schema 4) ----------------- */

static void names_clear(struct names *nm)
{
    if (nm->slot)
        memset(nm->slot, 0, (nm->mask + 1) * sizeof *nm->slot);
    nm->used = 0;
    nm->alen = 0;
    for (int c = 0; c < NC__COUNT; c++)
        nm->memo[c].len = UINT32_MAX;
}

static void names_free(struct names *nm)
{
    free(nm->slot);
    free(nm->arena);
    memset(nm, 0, sizeof *nm);
}

/* names_remember - add (name, id) to the memory; false when out of memory (the caller then
 * just goes on asking SQLite) */
static bool names_remember(struct names *nm, const char *p, uint32_t len, uint64_t h, uint32_t id)
{
    if (nm->used >= NAMES_MAX || nm->alen + len > NAMES_ARENA_MAX)
        names_clear(nm); /* a pathological input with endless distinct names: start over */
    if ((nm->used + 1) * 2 > nm->mask + 1) {
        size_t cap = nm->mask ? (nm->mask + 1) * 2 : 1024;
        struct name_slot *slot = calloc(cap, sizeof *slot);
        if (!slot)
            return false;
        for (size_t i = 0; nm->slot && i <= nm->mask; i++) {
            if (!nm->slot[i].id)
                continue;
            size_t j = nm->slot[i].h & (cap - 1);
            while (slot[j].id)
                j = (j + 1) & (cap - 1);
            slot[j] = nm->slot[i];
        }
        free(nm->slot);
        nm->slot = slot;
        nm->mask = cap - 1;
    }
    if (nm->alen + len > nm->acap) {
        size_t cap = nm->acap ? nm->acap : 1 << 16;
        while (cap < nm->alen + len)
            cap *= 2;
        char *a = realloc(nm->arena, cap);
        if (!a)
            return false;
        nm->arena = a;
        nm->acap = cap;
    }
    memcpy(nm->arena + nm->alen, p, len);
    size_t j = h & nm->mask;
    while (nm->slot[j].id)
        j = (j + 1) & nm->mask;
    nm->slot[j] = (struct name_slot){h, id, (uint32_t)nm->alen, len};
    nm->alen += len;
    nm->used++;
    return true;
}

/* name_id - the number of str in names (adding it when new, inside the open write
 * transaction); 0 for "". col picks the memo: a column mostly repeats its last value. */
static int name_id(struct sqlite_store *ss, int col, const char *str, sqlite3_int64 *id)
{
    *id = 0;
    if (!str || !str[0])
        return RB_OK;
    struct names *nm = &ss->names;
    size_t n = strlen(str);
    if (n == nm->memo[col].len && memcmp(nm->memo[col].s, str, n) == 0) {
        *id = nm->memo[col].id;
        return RB_OK;
    }
    if (n > UINT32_MAX / 2) /* not a name anyone repeats: no memory of it */
        n = UINT32_MAX / 2;
    uint64_t h[2];
    hash128(str, n, h);
    uint32_t found = 0;
    for (size_t j = nm->slot ? h[0] & nm->mask : 0; nm->slot && nm->slot[j].id;
         j = (j + 1) & nm->mask) {
        const struct name_slot *sl = &nm->slot[j];
        if (sl->h == h[0] && sl->len == n && memcmp(nm->arena + sl->off, str, n) == 0) {
            found = sl->id;
            break;
        }
    }
    if (!found) {
        sqlite3_stmt *st = ss->q[Q_NAME_GET];
        sqlite3_bind_text(st, 1, str, (int)n, SQLITE_STATIC);
        int src = sqlite3_step(st);
        sqlite3_int64 got = src == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        if (src != SQLITE_ROW && src != SQLITE_DONE)
            return db_fail(ss, src, "reading a name");
        if (!got) {
            st = ss->q[Q_NAME_ADD];
            sqlite3_bind_text(st, 1, str, (int)n, SQLITE_STATIC);
            int rc = run(ss, st, "adding a name");
            if (rc != RB_OK)
                return rc;
            got = sqlite3_last_insert_rowid(ss->db);
        }
        if (got <= 0 || got > UINT32_MAX) { /* not ours to remember: ask again next time */
            *id = got;
            return RB_OK;
        }
        found = (uint32_t)got;
        (void)names_remember(nm, str, (uint32_t)n, h[0], found);
    }
    if (n <= NAME_MEMO) {
        memcpy(nm->memo[col].s, str, n);
        nm->memo[col].len = (uint32_t)n;
        nm->memo[col].id = found;
    }
    *id = found;
    return RB_OK;
}

/* ---- rset: who has a recipient_state row ------------------------------------------------ */

static void rset_drop(struct rset *r)
{
    free(r->h);
    memset(r, 0, sizeof *r);
}

/* rset_slot - the slot of h, or the free slot where it would go (a deleted one first) */
static size_t rset_slot(const struct rset *r, const uint64_t h[2], bool *present)
{
    size_t j = h[0] & r->mask, free_at = SIZE_MAX;
    *present = false;
    for (;; j = (j + 1) & r->mask) {
        const uint64_t *x = r->h[j];
        if (x[0] == 0 && x[1] == 0)
            return free_at != SIZE_MAX ? free_at : j;
        if (x[0] == 0 && x[1] == 1) {
            if (free_at == SIZE_MAX)
                free_at = j;
            continue;
        }
        if (x[0] == h[0] && x[1] == h[1]) {
            *present = true;
            return j;
        }
    }
}

/* rset_resize - a table of cap slots holding the live hashes; false when out of memory */
static bool rset_resize(struct rset *r, size_t cap)
{
    uint64_t(*h)[2] = calloc(cap, sizeof *h);
    if (!h)
        return false;
    for (size_t i = 0; r->h && i <= r->mask; i++) {
        if (r->h[i][0] == 0)
            continue;
        size_t j = r->h[i][0] & (cap - 1);
        while (h[j][0] || h[j][1])
            j = (j + 1) & (cap - 1);
        h[j][0] = r->h[i][0];
        h[j][1] = r->h[i][1];
    }
    free(r->h);
    r->h = h;
    r->mask = cap - 1;
    r->dead = 0;
    return true;
}

static void addr_hash(const char *addr, uint64_t h[2])
{
    hash128(addr, strlen(addr), h);
    if (h[0] == 0) /* 0 marks free and deleted slots */
        h[0] = 1;
}

/* rset_add - note addr's row; false when out of memory or at RSET_MAX (the set is then
 * dropped) */
static bool rset_add(struct rset *r, const char *addr)
{
    if (r->used >= RSET_MAX) {
        rset_drop(r);
        return false;
    }
    if ((r->used + r->dead + 1) * 2 > r->mask + 1) {
        size_t cap = r->mask + 1;
        while ((r->used + 1) * 3 > cap) /* at most a third full after */
            cap *= 2;
        if (!rset_resize(r, cap)) {
            rset_drop(r);
            return false;
        }
    }
    uint64_t h[2];
    addr_hash(addr, h);
    bool present;
    size_t j = rset_slot(r, h, &present);
    if (present)
        return true;
    if (r->h[j][0] == 0 && r->h[j][1] == 1)
        r->dead--;
    r->h[j][0] = h[0];
    r->h[j][1] = h[1];
    r->used++;
    return true;
}

static void rset_del(struct rset *r, const char *addr)
{
    uint64_t h[2];
    addr_hash(addr, h);
    bool present;
    size_t j = rset_slot(r, h, &present);
    if (!present)
        return;
    r->h[j][0] = 0;
    r->h[j][1] = 1;
    r->used--;
    r->dead++;
}

static bool rset_has(const struct rset *r, const char *addr)
{
    uint64_t h[2];
    addr_hash(addr, h);
    bool present;
    (void)rset_slot(r, h, &present);
    return present;
}

/* rset_build - read every address of recipient_state (inside our write transaction, so no
 * one else changes the table until we commit) */
static int rset_build(struct sqlite_store *ss)
{
    struct rset *r = &ss->rs;
    rset_drop(r);
    if (!rset_resize(r, 1024)) {
        ss->rs_off = true;
        return RB_OK;
    }
    sqlite3_stmt *st = ss->q[Q_STATE_ALL];
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *a = sqlite3_column_text(st, 0);
        if (!rset_add(r, a ? (const char *)a : "")) {
            sqlite3_reset(st);
            ss->rs_off = true; /* too many streaks (or no memory): SQLite answers */
            return RB_OK;
        }
    }
    sqlite3_reset(st);
    if (src != SQLITE_DONE) {
        rset_drop(r);
        return db_fail(ss, src, "reading the recipients' state");
    }
    r->valid = true;
    return RB_OK;
}

static int sq_put_event(struct store *s, const struct store_event *e, bool *inserted)
{
    struct sqlite_store *ss = S(s);
    sqlite3_stmt *st = ss->q[Q_INS_EVENT];
    /* the parameter of each named column, and its string */
    static const int param[NC__COUNT] = {[NC_KIND] = 3,
                                         [NC_DOMAIN] = 5,
                                         [NC_SENDER_DOMAIN] = 7,
                                         [NC_RHOST] = 8,
                                         [NC_PROVIDER] = 9,
                                         [NC_STATUS] = 11,
                                         [NC_REASON] = 12,
                                         [NC_CATEGORY] = 13,
                                         [NC_SCOPE] = 14,
                                         [NC_REMEDY] = 15,
                                         [NC_CAMPAIGN] = 17,
                                         [NC_SENDING_IP] = 18,
                                         [NC_SENDING_DOMAIN] = 19,
                                         [NC_VMTA] = 20,
                                         [NC_FORMAT] = 25,
                                         [NC_BLOCKLIST] = 27,
                                         [NC_LISTED] = 28};
    const char *str[NC__COUNT] = {[NC_KIND] = rb_event_kind_name(e->kind),
                                  [NC_DOMAIN] = e->domain,
                                  [NC_SENDER_DOMAIN] = e->sender_domain,
                                  [NC_RHOST] = e->rhost,
                                  [NC_PROVIDER] = e->provider,
                                  [NC_STATUS] = e->status,
                                  [NC_REASON] = rb_reason_name(e->reason),
                                  [NC_CATEGORY] = rb_category_name(e->category),
                                  [NC_SCOPE] = rb_scope_name(e->scope),
                                  [NC_REMEDY] = rb_remedy_name(e->remedy),
                                  [NC_CAMPAIGN] = e->campaign,
                                  [NC_SENDING_IP] = e->sending_ip,
                                  [NC_SENDING_DOMAIN] = e->sending_domain,
                                  [NC_VMTA] = e->vmta,
                                  [NC_FORMAT] = e->format,
                                  [NC_BLOCKLIST] = e->blocklist,
                                  [NC_LISTED] = e->listed};
    for (int c = 0; c < NC__COUNT; c++) {
        sqlite3_int64 id;
        int rc = name_id(ss, c, str[c], &id);
        if (rc != RB_OK)
            return rc;
        sqlite3_bind_int64(st, param[c], id);
    }
    sqlite3_bind_blob(st, 1, e->key, STORE_KEY_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, e->time);
    bind_text(st, 4, e->recipient);
    bind_text(st, 6, e->sender);
    sqlite3_bind_int(st, 10, e->replycode);
    sqlite3_bind_int(st, 16, e->permanent);
    bind_text(st, 21, e->queue_id);
    bind_text(st, 22, e->message_id);
    bind_text(st, 23, e->source_event_id);
    const char *text = e->text ? e->text : "";
    sqlite3_bind_text(st, 24, text, text_len(text), SQLITE_STATIC);
    sqlite3_bind_int64(st, 26, e->auth);
    int rc = run(ss, st, "storing an event");
    *inserted = rc == RB_OK && sqlite3_changes(ss->db) > 0;
    return rc;
}

static int sq_state_get(struct store *s, const char *addr, struct suppress_state *out, bool *found)
{
    struct sqlite_store *ss = S(s);
    sqlite3_stmt *st = ss->q[Q_STATE_GET];
    memset(out, 0, sizeof *out);
    *found = false;
    if (ss->wtx && !ss->rs_off) {
        int rc;
        if (!ss->rs.valid && (rc = rset_build(ss)) != RB_OK)
            return rc;
        if (ss->rs.valid && !rset_has(&ss->rs, addr))
            return RB_OK;
    }
    bind_text(st, 1, addr);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        *found = true;
        out->mbf_count = (unsigned)sqlite3_column_int64(st, 0);
        out->soft_count = (unsigned)sqlite3_column_int64(st, 1);
        out->soft_first = sqlite3_column_int64(st, 2);
        out->last_failure = sqlite3_column_int64(st, 3);
        const unsigned char *k = sqlite3_column_text(st, 4);
        snprintf(out->keys, sizeof out->keys, "%s", k ? (const char *)k : "");
        src = SQLITE_DONE;
    }
    sqlite3_reset(st);
    return src == SQLITE_DONE ? RB_OK : db_fail(ss, src, "reading a recipient's state");
}

static int sq_state_put(struct store *s, const char *addr, const struct suppress_state *in)
{
    struct sqlite_store *ss = S(s);
    if (suppress_state_empty(in)) {
        if (ss->wtx && ss->rs.valid && !rset_has(&ss->rs, addr))
            return RB_OK; /* no row to delete (a hard bounce of a recipient without a streak) */
        if (ss->rs.valid)
            rset_del(&ss->rs, addr);
        bind_text(ss->q[Q_STATE_DEL], 1, addr);
        return run(ss, ss->q[Q_STATE_DEL], "clearing a recipient's state");
    }
    if (ss->rs.valid && !rset_add(&ss->rs, addr))
        ss->rs_off = true; /* dropped: too many streaks, or out of memory */
    sqlite3_stmt *st = ss->q[Q_STATE_PUT];
    bind_text(st, 1, addr);
    sqlite3_bind_int64(st, 2, in->mbf_count);
    sqlite3_bind_int64(st, 3, in->soft_count);
    sqlite3_bind_int64(st, 4, in->soft_first);
    sqlite3_bind_int64(st, 5, in->last_failure);
    bind_text(st, 6, in->keys);
    return run(ss, st, "writing a recipient's state");
}

/* row_supp - a suppressions row (address, reason, rule, since, event_keys) as an entry */
/* col_text - column i of the current row as a string, "" for NULL (valid until the next
 * step or reset) */
static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static void row_supp(sqlite3_stmt *st, struct store_suppression *out)
{
    out->address = col_text(st, 0);
    out->reason = col_text(st, 1);
    out->rule = col_text(st, 2);
    out->since = sqlite3_column_int64(st, 3);
    out->event_keys = col_text(st, 4);
}

static int sq_supp_get(struct store *s, const char *addr, struct store_suppression *out,
                       bool *found)
{
    struct sqlite_store *ss = S(s);
    sqlite3_stmt *st = ss->q[Q_SUPP_GET];
    sqlite3_reset(st); /* the previous answer's strings end here */
    memset(out, 0, sizeof *out);
    *found = false;
    bind_text(st, 1, addr);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        *found = true;
        row_supp(st, out); /* valid until the next call: the statement stays on its row */
        return RB_OK;
    }
    sqlite3_reset(st);
    return src == SQLITE_DONE ? RB_OK : db_fail(ss, src, "reading the suppression list");
}

static int sq_supp_set(struct store *s, const struct store_suppression *e, bool replace,
                       bool *changed)
{
    struct sqlite_store *ss = S(s);
    sqlite3_reset(ss->q[Q_SUPP_GET]); /* release a row a reader still holds */
    sqlite3_stmt *st = ss->q[replace ? Q_SUPP_REP : Q_SUPP_INS];
    bind_text(st, 1, e->address);
    bind_text(st, 2, e->reason);
    bind_text(st, 3, e->rule);
    sqlite3_bind_int64(st, 4, e->since);
    bind_text(st, 5, e->event_keys);
    int rc = run(ss, st, "writing the suppression list");
    *changed = rc == RB_OK && sqlite3_changes(ss->db) > 0;
    return rc;
}

static int sq_supp_remove(struct store *s, const char *addr, bool *removed)
{
    struct sqlite_store *ss = S(s);
    sqlite3_reset(ss->q[Q_SUPP_GET]);
    bind_text(ss->q[Q_SUPP_DEL], 1, addr);
    int rc = run(ss, ss->q[Q_SUPP_DEL], "removing from the suppression list");
    *removed = rc == RB_OK && sqlite3_changes(ss->db) > 0;
    return rc;
}

static int sq_supp_iterate(struct store *s, store_supp_cb cb, void *ud)
{
    struct sqlite_store *ss = S(s);
    sqlite3_stmt *st = ss->q[Q_SUPP_ALL];
    int src, rc = RB_OK;
    /* a reader's scan of the whole list (`check` loads it) reads each page once: a small
     * page cache whose buffers are reused, instead of faulting in fresh memory for every
     * page read (1M entries: 60 MB) */
    char sql[64];
    if (ss->readonly) {
        snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d", SCAN_CACHE_KB);
        sqlite3_exec(ss->db, sql, NULL, NULL, NULL);
    }
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_suppression e;
        row_supp(st, &e);
        if ((rc = cb(&e, ud)) != 0)
            break;
    }
    sqlite3_reset(st);
    if (ss->readonly) {
        snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d", SQLITE_CACHE_KB);
        sqlite3_exec(ss->db, sql, NULL, NULL, NULL);
    }
    if (rc != 0)
        return rc;
    return src == SQLITE_DONE ? RB_OK : db_fail(ss, src, "reading the suppression list");
}

static int sq_supp_count(struct store *s, unsigned long long *n)
{
    long long x;
    int rc = query_int(S(s), "SELECT count(*) FROM suppressions", &x);
    *n = rc == RB_OK && x > 0 ? (unsigned long long)x : 0;
    return rc;
}

static int sq_alert_add(struct store *s, const struct store_sender_alert *a)
{
    struct sqlite_store *ss = S(s);
    sqlite3_stmt *st = ss->q[Q_ALERT];
    bind_text(st, 1, a->sender_domain);
    bind_text(st, 2, a->sending_ip);
    bind_text(st, 3, a->category);
    bind_text(st, 4, a->provider);
    sqlite3_bind_int64(st, 5, a->time);
    bind_text(st, 6, a->key);
    return run(ss, st, "counting a sender alert");
}

static int sq_notice_add(struct store *s, const struct store_notice *n, bool *added)
{
    struct sqlite_store *ss = S(s);
    sqlite3_stmt *st = ss->q[Q_NOTICE_ADD];
    sqlite3_bind_int64(st, 1, n->time);
    bind_text(st, 2, n->kind);
    bind_text(st, 3, n->source);
    bind_text(st, 4, n->url);
    bind_text(st, 5, n->text);
    int rc = run(ss, st, "recording a notice");
    if (added)
        *added = rc == RB_OK && sqlite3_changes(ss->db) > 0;
    return rc;
}

static int sq_notices_iterate(struct store *s, store_notice_cb cb, void *ud)
{
    struct sqlite_store *ss = S(s);
    sqlite3_stmt *st = ss->q[Q_NOTICE_ALL];
    int src, rc = RB_OK;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_notice n = {
            .time = sqlite3_column_int64(st, 0),
            .kind = col_text(st, 1),
            .source = col_text(st, 2),
            .url = col_text(st, 3),
            .text = col_text(st, 4),
        };
        if ((rc = cb(&n, ud)) != 0)
            break;
    }
    sqlite3_reset(st);
    if (rc != 0)
        return rc;
    return src == SQLITE_DONE ? RB_OK : db_fail(ss, src, "reading the notices");
}

/* Names of the vocabulary words back to their enums: a small open-addressing table, used
 * once per name when an iteration loads the names table. */
#define VOCAB_SLOTS 256
struct vocab_index {
    struct {
        const char *name;
        unsigned char type, value;
    } slot[VOCAB_SLOTS];
};

static unsigned vocab_hash(const unsigned char *s, unsigned char type)
{
    unsigned h = 2166136261u ^ type;
    for (; *s; s++)
        h = (h ^ *s) * 16777619u;
    return h;
}

static void vocab_put(struct vocab_index *vi, unsigned char type, unsigned char value,
                      const char *name)
{
    unsigned i = vocab_hash((const unsigned char *)name, type) % VOCAB_SLOTS;
    while (vi->slot[i].name)
        i = (i + 1) % VOCAB_SLOTS;
    vi->slot[i].name = name;
    vi->slot[i].type = type;
    vi->slot[i].value = value;
}

enum { V_KIND, V_REASON, V_CAT, V_SCOPE, V_REMEDY, V__COUNT };

static void vocab_build(struct vocab_index *vi)
{
    memset(vi, 0, sizeof *vi);
    for (int k = 0; k < RB_EVENT__COUNT; k++)
        vocab_put(vi, V_KIND, (unsigned char)k, rb_event_kind_name((rb_event_kind)k));
    for (int k = 0; k < RB_REASON__COUNT; k++)
        vocab_put(vi, V_REASON, (unsigned char)k, rb_reason_name((rb_reason)k));
    for (int k = 0; k < RB_CAT__COUNT; k++)
        vocab_put(vi, V_CAT, (unsigned char)k, rb_category_name((rb_category)k));
    for (int k = 0; k < RB_SCOPE__COUNT; k++)
        vocab_put(vi, V_SCOPE, (unsigned char)k, rb_scope_name((rb_scope)k));
    for (int k = 0; k < RB_REMEDY__COUNT; k++)
        vocab_put(vi, V_REMEDY, (unsigned char)k, rb_remedy_name((rb_remedy)k));
}

/* vocab_get - the enum value of name in type's vocabulary; 0 (unknown) when absent */
static int vocab_get(const struct vocab_index *vi, unsigned char type, const unsigned char *name)
{
    if (!name)
        return 0;
    unsigned i = vocab_hash(name, type) % VOCAB_SLOTS;
    for (; vi->slot[i].name; i = (i + 1) % VOCAB_SLOTS)
        if (vi->slot[i].type == type && strcmp(vi->slot[i].name, (const char *)name) == 0)
            return vi->slot[i].value;
    return 0;
}

/* The names table as a reader holds it: number -> string, and for each name its value in
 * each vocabulary (0 = unknown, as an unknown word reads). */
struct name_tab {
    struct name_entry {
        const char *s;
        unsigned char voc[V__COUNT];
    } * e;
    size_t n; /* numbers 0 .. n-1 (0 is "") */
    char *arena;
};

static void name_tab_free(struct name_tab *t)
{
    free(t->e);
    free(t->arena);
    memset(t, 0, sizeof *t);
}

/* name_tab_load - read the names table (in the caller's read transaction, so it holds every
 * number the events read next can carry) */
static int name_tab_load(struct sqlite_store *ss, struct name_tab *t)
{
    name_tab_free(t);
    struct vocab_index vi;
    vocab_build(&vi);
    sqlite3_stmt *st;
    int src = sqlite3_prepare_v2(ss->db, "SELECT id, name FROM names ORDER BY id", -1, &st, NULL);
    if (src != SQLITE_OK)
        return db_fail(ss, src, "reading names");
    size_t cap = 0, alen = 0, acap = 0;
    int rc = RB_OK;
    /* first pass into growable arrays; the strings' offsets become pointers at the end */
    size_t *off = NULL;
    while (rc == RB_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(st, 0);
        const unsigned char *nm = sqlite3_column_text(st, 1);
        size_t len = (size_t)sqlite3_column_bytes(st, 1);
        if (id <= 0 || id > (1 << 30))
            continue; /* not a number we hand out */
        if ((size_t)id >= cap) {
            size_t ncap = cap ? cap : 1024;
            while (ncap <= (size_t)id)
                ncap *= 2;
            struct name_entry *e = realloc(t->e, ncap * sizeof *e);
            size_t *o = realloc(off, ncap * sizeof *o);
            if (e)
                t->e = e;
            if (o)
                off = o;
            if (!e || !o) {
                rc = RB_ENOMEM;
                break;
            }
            memset(t->e + cap, 0, (ncap - cap) * sizeof *e);
            for (size_t i = cap; i < ncap; i++)
                off[i] = SIZE_MAX;
            cap = ncap;
        }
        if (alen + len + 1 > acap) {
            size_t ncap = acap ? acap * 2 : 1 << 16;
            while (ncap < alen + len + 1)
                ncap *= 2;
            char *a = realloc(t->arena, ncap);
            if (!a) {
                rc = RB_ENOMEM;
                break;
            }
            t->arena = a;
            acap = ncap;
        }
        memcpy(t->arena + alen, nm ? (const char *)nm : "", len);
        t->arena[alen + len] = '\0';
        off[id] = alen;
        alen += len + 1;
        if ((size_t)id + 1 > t->n)
            t->n = (size_t)id + 1;
    }
    sqlite3_finalize(st);
    if (rc == RB_OK && src != SQLITE_DONE)
        rc = db_fail(ss, src, "reading names");
    if (rc == RB_OK && !t->e) { /* no names at all: just number 0 */
        t->e = calloc(1, sizeof *t->e);
        if (!t->e)
            rc = RB_ENOMEM;
    }
    if (rc != RB_OK) {
        free(off);
        name_tab_free(t);
        return rc == RB_ENOMEM ? say(ss, rc, "out of memory reading names", NULL) : rc;
    }
    if (!t->n)
        t->n = 1;
    for (size_t i = 0; i < t->n; i++) {
        struct name_entry *e = &t->e[i];
        e->s = off && i < cap && off[i] != SIZE_MAX ? t->arena + off[i] : "";
        for (int v = 0; v < V__COUNT; v++)
            e->voc[v] =
                (unsigned char)vocab_get(&vi, (unsigned char)v, (const unsigned char *)e->s);
    }
    free(off);
    return RB_OK;
}

/* name_num - the number of str in a loaded table, -1 when absent */
static long long name_num(const struct name_tab *t, const char *str)
{
    for (size_t i = 1; i < t->n; i++)
        if (strcmp(t->e[i].s, str) == 0)
            return (long long)i;
    return -1;
}

/* the fields stored as numbers into names (schema 4) */
static const bool ev_named[F__COUNT] = {
    [F_KIND] = 1,      [F_DOMAIN] = 1,     [F_SENDER_DOMAIN] = 1,  [F_RHOST] = 1, [F_PROVIDER] = 1,
    [F_STATUS] = 1,    [F_REASON] = 1,     [F_CATEGORY] = 1,       [F_SCOPE] = 1, [F_REMEDY] = 1,
    [F_CAMPAIGN] = 1,  [F_SENDING_IP] = 1, [F_SENDING_DOMAIN] = 1, [F_VMTA] = 1,  [F_FORMAT] = 1,
    [F_BLOCKLIST] = 1, [F_LISTED] = 1};

/* iterate_rows - step st (prepared by sq_events_iterate) and hand each row to cb */
static int iterate_rows(struct sqlite_store *ss, sqlite3_stmt *st, const int *col,
                        struct name_tab *nt, store_event_cb cb, void *ud)
{
    int src, rc = RB_OK;
    bool reloaded = false;
#define TXT(f) (col[f] >= 0 ? col_text(st, col[f]) : "")
#define INT(f) (col[f] >= 0 ? sqlite3_column_int64(st, col[f]) : 0)
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        /* the named columns: numbers into nt. The names were read in the same snapshot,
         * so every number is there; should one not be, the table is read again once (and
         * a number still unknown reads as "") */
        size_t num[F__COUNT];
        for (int f = 0; f < F__COUNT; f++) {
            num[f] = 0;
            if (col[f] < 0 || !ev_named[f])
                continue;
            sqlite3_int64 id = sqlite3_column_int64(st, col[f]);
            if (id > 0 && (size_t)id >= nt->n && !reloaded) {
                reloaded = true;
                if ((rc = name_tab_load(ss, nt)) != RB_OK)
                    return rc;
            }
            if (id > 0 && (size_t)id < nt->n)
                num[f] = (size_t)id;
        }
        const struct name_entry *ne[F__COUNT];
        for (int f = 0; f < F__COUNT; f++)
            ne[f] = &nt->e[num[f]];
        struct store_event e;
        e.time = INT(F_TIME);
        e.kind = (rb_event_kind)ne[F_KIND]->voc[V_KIND];
        e.recipient = TXT(F_RECIPIENT);
        e.domain = ne[F_DOMAIN]->s;
        e.sender = TXT(F_SENDER);
        e.sender_domain = ne[F_SENDER_DOMAIN]->s;
        e.rhost = ne[F_RHOST]->s;
        e.provider = ne[F_PROVIDER]->s;
        e.replycode = (int)INT(F_REPLYCODE);
        e.status = ne[F_STATUS]->s;
        e.reason = (rb_reason)ne[F_REASON]->voc[V_REASON];
        e.category = (rb_category)ne[F_CATEGORY]->voc[V_CAT];
        e.scope = (rb_scope)ne[F_SCOPE]->voc[V_SCOPE];
        e.remedy = (rb_remedy)ne[F_REMEDY]->voc[V_REMEDY];
        e.permanent = INT(F_PERMANENT) != 0;
        e.campaign = ne[F_CAMPAIGN]->s;
        e.sending_ip = ne[F_SENDING_IP]->s;
        e.sending_domain = ne[F_SENDING_DOMAIN]->s;
        e.vmta = ne[F_VMTA]->s;
        e.queue_id = TXT(F_QUEUE_ID);
        e.message_id = TXT(F_MESSAGE_ID);
        e.source_event_id = TXT(F_SOURCE_EVENT_ID);
        e.text = TXT(F_TEXT);
        e.format = ne[F_FORMAT]->s;
        e.delay_ms = -1;
        e.auth = (unsigned)INT(F_AUTH);
        e.blocklist = ne[F_BLOCKLIST]->s;
        e.listed = ne[F_LISTED]->s;
        const void *k = col[F_KEY] >= 0 ? sqlite3_column_blob(st, col[F_KEY]) : NULL;
        if (k && sqlite3_column_bytes(st, col[F_KEY]) == STORE_KEY_BYTES)
            memcpy(e.key, k, STORE_KEY_BYTES);
        else
            memset(e.key, 0, STORE_KEY_BYTES);
        if ((rc = cb(&e, ud)) != 0)
            return rc;
    }
#undef TXT
#undef INT
    return src == SQLITE_DONE ? RB_OK : db_fail(ss, src, "reading events");
}

static int sq_events_iterate(struct store *s, const struct store_iter *it, store_event_cb cb,
                             void *ud)
{
    struct sqlite_store *ss = S(s);
    unsigned flags = it->flags;
    int col[F__COUNT]; /* result column of each field, -1 = not selected */
    struct buf q;
    buf_init(&q, 4096, NULL);
    int rc = buf_puts(&q, "SELECT "), ncol = 0;
    for (int f = 0; f < F__COUNT && rc == RB_OK; f++) {
        col[f] = -1;
        if ((flags & STORE_ITER_BRIEF) && !store_ev_brief[f])
            continue;
        col[f] = ncol++;
        if (ncol > 1)
            rc = buf_puts(&q, ", ");
        /* a report reads the text of failures only: skip the copy of the others (?5, ?6:
         * the numbers of "delivered" and "dropped") */
        if (rc == RB_OK)
            rc = buf_puts(&q, f == F_TEXT && (flags & STORE_ITER_BRIEF)
                                  ? "CASE WHEN kind IN (?5, ?6) THEN '' ELSE text END"
                                  : store_ev_columns[f]);
    }
    /* ordered: the (time, key) index serves the range and the order; unordered: "+time"
     * keeps SQLite off that index, so the table is scanned in rowid order, sequentially,
     * instead of a table lookup per index entry. Open bounds become the extremes, so one
     * statement serves every range. */
    const char *t = flags & STORE_ITER_UNORDERED ? "+time" : "time";
    if (rc == RB_OK)
        rc = buf_printf(&q, " FROM event_rows WHERE %s >= ?1 AND %s < ?2%s%s", t, t,
                        it->id_to > 0 ? " AND id >= ?3 AND id < ?4" : "",
                        flags & STORE_ITER_UNORDERED ? "" : " ORDER BY time");
    if (rc == RB_OK)
        rc = buf_putc(&q, '\0');
    if (rc != RB_OK) {
        buf_free(&q);
        return say(ss, rc, "building the query", NULL);
    }
    /* one read transaction for the names and the events (unless the caller has one open),
     * so every number a row carries is in the names read */
    bool own = sqlite3_get_autocommit(ss->db) != 0;
    if (own && (rc = exec(ss, "BEGIN", "reading events")) != RB_OK) {
        buf_free(&q);
        return rc;
    }
    struct name_tab nt = {0};
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(ss->db, q.p, -1, &st, NULL);
    buf_free(&q);
    if (src != SQLITE_OK)
        rc = db_fail(ss, src, "reading events");
    if (rc == RB_OK)
        rc = name_tab_load(ss, &nt);
    if (rc == RB_OK) {
        sqlite3_bind_int64(st, 1, it->since > 0 ? it->since : -(1LL << 62));
        sqlite3_bind_int64(st, 2, it->until > 0 ? it->until : (1LL << 62));
        if (it->id_to > 0) {
            sqlite3_bind_int64(st, 3, it->id_from);
            sqlite3_bind_int64(st, 4, it->id_to);
        }
        if (flags & STORE_ITER_BRIEF) {
            sqlite3_bind_int64(st, 5, name_num(&nt, rb_event_kind_name(RB_EVENT_DELIVERED)));
            sqlite3_bind_int64(st, 6, name_num(&nt, rb_event_kind_name(RB_EVENT_DROPPED)));
        }
        rc = iterate_rows(ss, st, col, &nt, cb, ud);
    }
    sqlite3_finalize(st);
    name_tab_free(&nt);
    if (own)
        sqlite3_exec(ss->db, "COMMIT", NULL, NULL, NULL); /* a read: nothing to lose */
    return rc;
}

static int sq_events_ids(struct store *s, long long *lo, long long *hi)
{
    struct sqlite_store *ss = S(s);
    /* both ends of the rowid b-tree: two seeks, whatever the size */
    int rc = query_int(ss, "SELECT coalesce(min(id), 0) FROM event_rows", lo);
    if (rc == RB_OK)
        rc = query_int(ss, "SELECT coalesce(max(id), 0) FROM event_rows", hi);
    return rc;
}

static int sq_counts(struct store *s, struct store_counts *out)
{
    struct sqlite_store *ss = S(s);
    long long n[4];
    static const char *const q[4] = {"SELECT count(*) FROM event_rows",
                                     "SELECT count(*) FROM suppressions",
                                     "SELECT count(*) FROM recipient_state",
                                     "SELECT coalesce(sum(count), 0) FROM sender_alerts"};
    for (int i = 0; i < 4; i++) {
        int rc = query_int(ss, q[i], &n[i]);
        if (rc != RB_OK)
            return rc;
    }
    out->events = (unsigned long long)n[0];
    out->suppressions = (unsigned long long)n[1];
    out->recipients_tracked = (unsigned long long)n[2];
    out->sender_alerts = (unsigned long long)n[3];
    return RB_OK;
}

const struct store_ops store_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .put_event = sq_put_event,
    .state_get = sq_state_get,
    .state_put = sq_state_put,
    .supp_get = sq_supp_get,
    .supp_set = sq_supp_set,
    .supp_remove = sq_supp_remove,
    .supp_iterate = sq_supp_iterate,
    .supp_count = sq_supp_count,
    .alert_add = sq_alert_add,
    .events_iterate = sq_events_iterate,
    .events_ids = sq_events_ids,
    .counts = sq_counts,
    .notice_add = sq_notice_add,
    .notices_iterate = sq_notices_iterate,
};
