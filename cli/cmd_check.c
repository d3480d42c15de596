/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_check.c - `rebound check FILE|-`: pre-send list hygiene against the suppression list.
 *
 * DESCRIPTION
 *   Loads the whole suppression list once into an open-addressing hash table (addresses in
 *   one arena, reasons interned), then streams the input: one address a line (or the first
 *   field of a CSV line; a header line without an address is skipped). For each address it
 *   prints one verdict, tab-separated:
 *     ADDRESS  ok
 *     ADDRESS  suppressed  REASON  SINCE(UTC)  RULE
 *     ADDRESS  invalid     syntax
 *   (--bad-only leaves out the ok lines). Addresses are compared normalised (trimmed, <>
 *   dropped, lower-cased) and printed as given. The store is opened read-only, so a check
 *   runs while an ingest writes. A summary goes to stderr unless -q.
 *   Exit status: 0 if every address is ok, 1 if any is suppressed or invalid, 2 for errors.
 *
 * LIMITS
 *   Input lines longer than CHECK_MAX_LINE bytes are reported invalid. At most 2^31 list
 *   entries and 4 GB of addresses (the table uses 32-bit offsets).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "store.h"
#include "suppress.h"

#define CHECK_MAX_LINE 4096
#define OUT_FLUSH_AT (1u << 16)
#define MAX_REASONS 4096 /* distinct reason/rule strings interned; more share "other" */

struct entry {
    uint64_t hash;
    long long since;
    uint32_t off;    /* address in the arena */
    uint16_t reason; /* interned */
    uint16_t rule;
};

struct table {
    struct entry *e;
    size_t n, cap_e;
    uint32_t *slot; /* entry index + 1, 0 = empty */
    size_t mask;
    char *arena;
    size_t alen, acap;
    char *names[MAX_REASONS];
    size_t nnames;
    size_t placed; /* entries [0, placed) are in slot[] (placing lags LAG behind) */
};

static uint64_t hash_str(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a, then a final mix for the low bits */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static uint16_t intern(struct table *t, const char *s)
{
    for (size_t i = 0; i < t->nnames; i++)
        if (strcmp(t->names[i], s) == 0)
            return (uint16_t)i;
    if (t->nnames == MAX_REASONS)
        return (uint16_t)(MAX_REASONS - 1);
    char *c = strdup(s);
    if (!c)
        die("out of memory");
    t->names[t->nnames] = c;
    return (uint16_t)t->nnames++;
}

#define LAG 8 /* entries placed this many behind their append, their slot prefetched */

static void table_grow(struct table *t, size_t want)
{
    size_t cap = t->mask ? (t->mask + 1) * 2 : 1024;
    while (cap < want * 2)
        cap *= 2;
    uint32_t *slot = calloc(cap, sizeof *slot);
    if (!slot)
        die("out of memory");
    for (size_t i = 0; i < t->placed; i++) {
        size_t j = t->e[i].hash & (cap - 1);
        while (slot[j])
            j = (j + 1) & (cap - 1);
        slot[j] = (uint32_t)(i + 1);
    }
    free(t->slot);
    t->slot = slot;
    t->mask = cap - 1;
}

/* place - put entries up to upto into slot[] */
static void place(struct table *t, size_t upto)
{
    for (; t->placed < upto; t->placed++) {
        size_t j = t->e[t->placed].hash & t->mask;
        while (t->slot[j])
            j = (j + 1) & t->mask;
        t->slot[j] = (uint32_t)(t->placed + 1);
    }
}

static int load_one(const struct store_suppression *s, void *ud)
{
    struct table *t = ud;
    size_t len = strlen(s->address);
    if (t->n + 1 > (t->mask + 1) / 2)
        table_grow(t, t->n + 1);
    if (t->n == t->cap_e) {
        t->cap_e = t->cap_e ? t->cap_e * 2 : 1024;
        t->e = realloc(t->e, t->cap_e * sizeof *t->e);
        if (!t->e)
            die("out of memory");
    }
    if (t->alen + len + 1 > t->acap) {
        t->acap = t->acap ? t->acap * 2 : 1 << 16;
        while (t->acap < t->alen + len + 1)
            t->acap *= 2;
        if (t->acap > UINT32_MAX)
            die("check: the suppression list is too large for this table");
        t->arena = realloc(t->arena, t->acap);
        if (!t->arena)
            die("out of memory");
    }
    struct entry *e = &t->e[t->n];
    e->hash = hash_str(s->address, len);
    e->since = s->since;
    e->off = (uint32_t)t->alen;
    e->reason = intern(t, s->reason);
    e->rule = intern(t, s->rule);
    memcpy(t->arena + t->alen, s->address, len + 1);
    t->alen += len + 1;
    /* the slot array is larger than the caches: ask for this entry's slot now and fill it
     * LAG entries later, so the misses overlap */
    __builtin_prefetch(&t->slot[e->hash & t->mask], 1);
    t->n++;
    if (t->n > LAG)
        place(t, t->n - LAG);
    return 0;
}

static const struct entry *lookup(const struct table *t, const char *a, size_t len)
{
    if (!t->n)
        return NULL;
    uint64_t h = hash_str(a, len);
    for (size_t j = h & t->mask; t->slot[j]; j = (j + 1) & t->mask) {
        const struct entry *e = &t->e[t->slot[j] - 1];
        if (e->hash == h && memcmp(t->arena + e->off, a, len + 1) == 0)
            return e;
    }
    return NULL;
}

static void table_free(struct table *t)
{
    free(t->e);
    free(t->slot);
    free(t->arena);
    for (size_t i = 0; i < t->nnames; i++)
        free(t->names[i]);
}

static void put(int rc)
{
    if (rc != RB_OK)
        die("output: %s", rb_strerror(rc));
}

int cmd_check(int argc, char **argv)
{
    const char *db = NULL, *config = NULL, *path = NULL;
    int bad_only = 0, quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--db") == 0 && more) {
            db = argv[++i];
        } else if (strcmp(a, "--config") == 0 && more) {
            config = argv[++i];
        } else if (strcmp(a, "--bad-only") == 0 || strcmp(a, "-b") == 0) {
            bad_only = 1;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: rebound check [--db PATH] [--bad-only] [-q] FILE|-\n"
                   "Check a list of addresses (one a line, or the first CSV column) against\n"
                   "the suppression list: ADDRESS ok | suppressed REASON SINCE RULE |\n"
                   "invalid syntax. Exit 0 if all are ok, 1 if any is not, 2 on errors.\n");
            return 0;
        } else if ((a[0] != '-' || !a[1]) && !path) {
            path = a;
        } else {
            die("check: unknown option or extra argument: '%s'", a);
        }
    }
    if (!path)
        die("check: give a FILE of addresses (or - for stdin)");
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!in)
        die("%s: %s", path, strerror(errno));

    struct table t;
    memset(&t, 0, sizeof t);
    struct store *s = cli_store_open(db, config, 1);
    unsigned long long listed_n = 0;
    if (store_suppress_count(s, &listed_n) != RB_OK)
        die("store %s", store_error(s));
    if (listed_n > UINT32_MAX / 2)
        die("check: the suppression list is too large for this table");
    table_grow(&t, (size_t)listed_n); /* sized once: no rehash while loading */
    t.cap_e = (size_t)listed_n + 1;
    t.e = malloc(t.cap_e * sizeof *t.e);
    t.acap = ((size_t)listed_n + 1) * 32;
    if (t.acap > UINT32_MAX)
        t.acap = UINT32_MAX;
    t.arena = malloc(t.acap);
    if (!t.e || !t.arena)
        die("out of memory");
    if (store_suppress_iterate(s, load_one, &t) != RB_OK)
        die("store %s", store_error(s));
    place(&t, t.n);
    store_close(s);

    struct buf out;
    buf_init(&out, (size_t)1 << 30, NULL);
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    unsigned long lineno = 0;
    unsigned long long n_ok = 0, n_supp = 0, n_bad = 0;
    while ((got = getline(&line, &cap, in)) > 0) {
        lineno++;
        size_t len = (size_t)got;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        /* the first CSV field (a quoted one may hold a comma) */
        size_t flen = len;
        if (len && line[0] == '"') {
            const char *q = memchr(line + 1, '"', len - 1);
            if (q)
                flen = (size_t)(q - line) + 1; /* the quotes go in suppress_normalize */
        } else {
            const char *comma = memchr(line, ',', len);
            if (comma)
                flen = (size_t)(comma - line);
        }
        char shown[CHECK_MAX_LINE + 1];
        size_t slen = flen;
        const char *sp = line;
        while (slen && (*sp == ' ' || *sp == '\t'))
            sp++, slen--;
        while (slen && (sp[slen - 1] == ' ' || sp[slen - 1] == '\t'))
            slen--;
        if (!slen)
            continue;
        int toolong = slen > CHECK_MAX_LINE;
        if (toolong)
            slen = CHECK_MAX_LINE;
        memcpy(shown, sp, slen);
        shown[slen] = '\0';
        for (size_t i = 0; i < slen; i++)
            if (shown[i] == '\t' || shown[i] == '\0')
                shown[i] = ' ';
        char a[SUPPRESS_MAX_ADDRESS];
        size_t alen = toolong ? 0 : suppress_normalize(shown, slen, a, sizeof a);
        if (lineno == 1 && !memchr(shown, '@', slen))
            continue; /* a header line ("email", "Email Address") */
        if (!alen || !suppress_valid_syntax(a, alen)) {
            n_bad++;
            put(buf_puts(&out, shown));
            put(buf_puts(&out, "\tinvalid\tsyntax\n"));
        } else {
            const struct entry *e = lookup(&t, a, alen);
            if (e) {
                n_supp++;
                char when[40];
                cli_format_time(e->since, when, sizeof when);
                put(buf_puts(&out, shown));
                put(buf_printf(&out, "\tsuppressed\t%s\t%s\t%s\n", t.names[e->reason], when,
                               t.names[e->rule]));
            } else {
                n_ok++;
                if (!bad_only) {
                    put(buf_puts(&out, shown));
                    put(buf_puts(&out, "\tok\n"));
                }
            }
        }
        if (out.len >= OUT_FLUSH_AT)
            out_flush(&out);
    }
    int rerr = ferror(in);
    out_flush(&out);
    if (fflush(stdout) != 0)
        die("write error");
    free(line);
    if (in != stdin)
        fclose(in);
    buf_free(&out);
    size_t listed = t.n;
    table_free(&t);
    if (rerr)
        die("%s: read error", path);
    if (!quiet)
        fprintf(stderr,
                "rebound: checked %llu addresses against %zu suppressed: %llu ok, %llu "
                "suppressed, %llu invalid\n",
                n_ok + n_supp + n_bad, listed, n_ok, n_supp, n_bad);
    return n_supp || n_bad ? 1 : 0;
}
