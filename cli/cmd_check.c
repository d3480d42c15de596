/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_check.c - `rebound check FILE|-`: pre-send list hygiene against the suppression list.
 *
 * DESCRIPTION
 *   Loads the whole suppression list once into an open-addressing hash table (addresses in
 *   arena chunks, reasons interned), then streams the input: one address a line (or the
 *   first field of a CSV line; a header line without an address is skipped), read a
 *   megabyte at a time and looked up BLOCK addresses together (each one's slot prefetched
 *   as its line is read, so the cache misses of a block overlap). For each address it
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
 *   Input lines longer than CHECK_MAX_LINE bytes are reported invalid. At most 2^27 list
 *   entries and 4 GB of addresses (MAX_CHUNKS of each); list entries of SUPPRESS_MAX_ADDRESS
 *   bytes or more are not loaded (no input address that long is looked up). Memory: about
 *   60 bytes per entry.
 */
#define _GNU_SOURCE /* MAP_ANONYMOUS, madvise */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include "cli.h"
#include "slice.h"
#include "store.h"
#include "suppress.h"

#define CHECK_MAX_LINE 4096
#define OUT_FLUSH_AT (1u << 16)
#define MAX_REASONS 4096      /* distinct reason/rule strings interned; more share "other" */
#define READ_CHUNK (1u << 20) /* bytes read at a time (the buffer grows for a longer line) */
#define BLOCK 32              /* addresses looked up together: their cache misses overlap */
#define LAG 8                 /* entries placed this many behind their slot's prefetch */

/* One list entry; the address is NUL-terminated in the arena. */
struct entry {
    uint64_t hash;
    long long since;
    uint32_t off;    /* address in the arena: chunk << ARENA_SHIFT | offset */
    uint32_t len;    /* of the address */
    uint16_t reason; /* interned */
    uint16_t rule;
};

/* An open-addressing table of entry numbers, built once the whole list is read (sized then:
 * no rehash). A slot carries the top half of its entry's hash, so a probe for an address not
 * on the list (the common case) reads only the slot array. */
struct slot {
    uint32_t tag; /* hash >> 32 */
    uint32_t idx; /* entry + 1, 0 = empty */
};

/* Entries and addresses live in chunks of CHUNK_BYTES that never move (growing by realloc
 * copied the whole list at every doubling), allocated as transparent huge pages where the
 * system offers them: page faults were a third of the load time. */
#define CHUNK_BYTES ((size_t)4 << 20)
#define ENTRY_SHIFT 17  /* entries per chunk: 2^17 of 32 bytes */
#define ARENA_SHIFT 22  /* bytes per arena chunk */
#define MAX_CHUNKS 1024 /* of each kind: 2^27 entries, 4 GB of addresses */

struct table {
    struct entry *ec[MAX_CHUNKS]; /* entry chunks */
    size_t n;
    struct slot *slot;
    size_t mask, slot_bytes;
    char *ac[MAX_CHUNKS]; /* arena chunks */
    size_t nac, apos;     /* chunks in use, bytes used in the last */
    char *names[MAX_REASONS];
    size_t nnames;
    uint16_t last_reason, last_rule; /* the previous entry's: lists repeat them */
};

/* big_alloc - n bytes (a multiple of 2 MB), zeroed, on huge pages where possible; dies when
 * out of memory. Free with big_free(p, n). */
static void *big_alloc(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("out of memory");
#ifdef MADV_HUGEPAGE
    (void)madvise(p, n, MADV_HUGEPAGE); /* a hint: without it, 4 KB pages as before */
#endif
    return p;
}

static void big_free(void *p, size_t n)
{
    if (p)
        munmap(p, n);
}

static struct entry *entry_at(const struct table *t, size_t i)
{
    return &t->ec[i >> ENTRY_SHIFT][i & (((size_t)1 << ENTRY_SHIFT) - 1)];
}

static const char *addr_at(const struct table *t, uint32_t off)
{
    return t->ac[off >> ARENA_SHIFT] + (off & ((1u << ARENA_SHIFT) - 1));
}

static uint16_t intern(struct table *t, const char *s, uint16_t last)
{
    if (last < t->nnames && strcmp(t->names[last], s) == 0)
        return last;
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

/* load_one - append an entry (the slots are built after the last one) */
static int load_one(const struct store_suppression *s, void *ud)
{
    struct table *t = ud;
    size_t len = strlen(s->address);
    if (len >= SUPPRESS_MAX_ADDRESS)
        return 0; /* longer than any address checked: it can never match */
    if ((t->n & (((size_t)1 << ENTRY_SHIFT) - 1)) == 0) {
        if ((t->n >> ENTRY_SHIFT) == MAX_CHUNKS)
            die("check: the suppression list is too large for this table");
        t->ec[t->n >> ENTRY_SHIFT] = big_alloc(CHUNK_BYTES);
    }
    if (!t->nac || t->apos + len + 1 > CHUNK_BYTES) {
        if (t->nac == MAX_CHUNKS)
            die("check: the suppression list is too large for this table");
        t->ac[t->nac++] = big_alloc(CHUNK_BYTES);
        t->apos = 0;
    }
    struct entry *e = entry_at(t, t->n++);
    e->hash = hash_bytes64(s->address, len);
    e->since = s->since;
    e->off = (uint32_t)((t->nac - 1) << ARENA_SHIFT | t->apos);
    e->len = (uint32_t)len;
    e->reason = t->last_reason = intern(t, s->reason, t->last_reason);
    e->rule = t->last_rule = intern(t, s->rule, t->last_rule);
    memcpy(t->ac[t->nac - 1] + t->apos, s->address, len + 1);
    t->apos += len + 1;
    return 0;
}

/* table_build - the slot array for the n entries, at most half full; the slot array is
 * larger than the caches, so each entry's slot is prefetched LAG entries ahead */
static void table_build(struct table *t)
{
    size_t cap = 1024;
    while (cap < t->n * 2)
        cap *= 2;
    t->slot_bytes = (cap * sizeof *t->slot + CHUNK_BYTES - 1) / CHUNK_BYTES * CHUNK_BYTES;
    t->slot = big_alloc(t->slot_bytes);
    t->mask = cap - 1;
    for (size_t i = 0; i < t->n; i++) {
        if (i + LAG < t->n)
            __builtin_prefetch(&t->slot[entry_at(t, i + LAG)->hash & t->mask], 1);
        uint64_t h = entry_at(t, i)->hash;
        size_t j = h & t->mask;
        while (t->slot[j].idx)
            j = (j + 1) & t->mask;
        t->slot[j].tag = (uint32_t)(h >> 32);
        t->slot[j].idx = (uint32_t)(i + 1);
    }
}

static const struct entry *lookup(const struct table *t, const char *a, size_t len, uint64_t h)
{
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t j = h & t->mask; t->slot[j].idx; j = (j + 1) & t->mask) {
        if (t->slot[j].tag != tag)
            continue;
        const struct entry *e = entry_at(t, t->slot[j].idx - 1);
        if (e->hash == h && e->len == len && memcmp(addr_at(t, e->off), a, len) == 0)
            return e;
    }
    return NULL;
}

static void table_free(struct table *t)
{
    for (size_t i = 0; i < MAX_CHUNKS; i++) {
        big_free(t->ec[i], CHUNK_BYTES);
        big_free(t->ac[i], CHUNK_BYTES);
    }
    big_free(t->slot, t->slot_bytes);
    for (size_t i = 0; i < t->nnames; i++)
        free(t->names[i]);
}

static void put(int rc)
{
    if (rc != RB_OK)
        die("output: %s", rb_strerror(rc));
}

/* One input address on its way through a block. */
struct item {
    const char *shown; /* as given (tabs made spaces), in the read buffer */
    size_t slen;
    enum { I_SKIP, I_INVALID, I_CHECK } what;
    uint64_t h;
    size_t alen;
    char a[SUPPRESS_MAX_ADDRESS]; /* normalised */
};

/* What the streaming part keeps: the table, the output, the counts. */
struct checker {
    struct table *t;
    struct buf out;
    bool bad_only;
    unsigned long lineno;
    unsigned long long n_ok, n_supp, n_bad;
    long long when_t; /* the last time formatted, and its text: lists share dates */
    char when[40];
};

/* take_line - the first field of one input line (line, len: without the newline), into it
 * (tabs and NULs made spaces, in place); fills *it. */
static void take_line(struct checker *c, char *line, size_t len, struct item *it)
{
    c->lineno++;
    while (len && line[len - 1] == '\r')
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
    size_t slen = flen;
    char *sp = line;
    while (slen && (*sp == ' ' || *sp == '\t'))
        sp++, slen--;
    while (slen && (sp[slen - 1] == ' ' || sp[slen - 1] == '\t'))
        slen--;
    it->what = I_SKIP;
    if (!slen)
        return;
    int toolong = slen > CHECK_MAX_LINE;
    if (toolong)
        slen = CHECK_MAX_LINE;
    for (size_t i = 0; i < slen; i++)
        if (sp[i] == '\t' || sp[i] == '\0')
            sp[i] = ' ';
    it->shown = sp;
    it->slen = slen;
    it->alen = toolong ? 0 : suppress_normalize(sp, slen, it->a, sizeof it->a);
    if (c->lineno == 1 && !memchr(sp, '@', slen))
        return; /* a header line ("email", "Email Address") */
    if (!it->alen || !suppress_valid_syntax(it->a, it->alen)) {
        it->what = I_INVALID;
        return;
    }
    it->what = I_CHECK;
    it->h = hash_bytes64(it->a, it->alen);
    if (c->t->n)
        __builtin_prefetch(&c->t->slot[it->h & c->t->mask]);
}

/* answer - the verdicts of a block of items, in input order */
static void answer(struct checker *c, struct item *items, size_t n)
{
    const struct table *t = c->t;
    /* the slots were prefetched as the lines were read; now the entries they point at */
    for (size_t i = 0; i < n && t->n; i++) {
        if (items[i].what != I_CHECK)
            continue;
        const struct slot *sl = &t->slot[items[i].h & t->mask];
        if (sl->idx && sl->tag == (uint32_t)(items[i].h >> 32))
            __builtin_prefetch(entry_at(t, sl->idx - 1));
    }
    for (size_t i = 0; i < n; i++) {
        struct item *it = &items[i];
        if (it->what == I_SKIP)
            continue;
        if (it->what == I_INVALID) {
            c->n_bad++;
            put(buf_append(&c->out, it->shown, it->slen));
            put(buf_puts(&c->out, "\tinvalid\tsyntax\n"));
            continue;
        }
        const struct entry *e = t->n ? lookup(t, it->a, it->alen, it->h) : NULL;
        if (e) {
            c->n_supp++;
            if (e->since != c->when_t || !c->when[0]) {
                cli_format_time(e->since, c->when, sizeof c->when);
                c->when_t = e->since;
            }
            put(buf_append(&c->out, it->shown, it->slen));
            put(buf_puts(&c->out, "\tsuppressed\t"));
            put(buf_puts(&c->out, t->names[e->reason]));
            put(buf_putc(&c->out, '\t'));
            put(buf_puts(&c->out, c->when));
            put(buf_putc(&c->out, '\t'));
            put(buf_puts(&c->out, t->names[e->rule]));
            put(buf_putc(&c->out, '\n'));
        } else {
            c->n_ok++;
            if (!c->bad_only) {
                put(buf_append(&c->out, it->shown, it->slen));
                put(buf_puts(&c->out, "\tok\n"));
            }
        }
    }
    if (c->out.len >= OUT_FLUSH_AT)
        out_flush(&c->out);
}

/* check_stream - read in, a block of lines at a time; returns non-zero on a read error */
static int check_stream(struct checker *c, FILE *in)
{
    size_t cap = READ_CHUNK, have = 0;
    char *b = malloc(cap);
    struct item *items = malloc(BLOCK * sizeof *items);
    if (!b || !items)
        die("out of memory");
    int eof = 0;
    while (!eof) {
        if (have == cap) { /* one line fills the buffer: make room for the rest of it */
            cap *= 2;
            b = realloc(b, cap);
            if (!b)
                die("out of memory");
        }
        size_t got = fread(b + have, 1, cap - have, in);
        if (got == 0) {
            if (ferror(in)) {
                free(b);
                free(items);
                return -1;
            }
            eof = 1;
        }
        have += got;
        /* every whole line (and at the end of input, the last one without a newline) */
        size_t pos = 0, n = 0;
        for (;;) {
            char *nl = memchr(b + pos, '\n', have - pos);
            if (!nl && !(eof && pos < have))
                break;
            size_t end = nl ? (size_t)(nl - b) : have;
            take_line(c, b + pos, end - pos, &items[n]);
            pos = nl ? end + 1 : have;
            if (items[n].what != I_SKIP && ++n == BLOCK) {
                answer(c, items, n);
                n = 0;
            }
        }
        answer(c, items, n); /* the items point into b: done before it moves */
        memmove(b, b + pos, have - pos);
        have -= pos;
    }
    free(b);
    free(items);
    return 0;
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

    struct table *t = calloc(1, sizeof *t); /* its chunk lists: 48 KB, not for the stack */
    if (!t)
        die("out of memory");
    struct store *s = cli_store_open(db, config, 1);
    if (store_suppress_iterate(s, load_one, t) != RB_OK)
        die("store %s", store_error(s));
    store_close(s);
    table_build(t);

    struct checker c = {.t = t, .bad_only = bad_only != 0};
    buf_init(&c.out, (size_t)1 << 30, NULL);
    int rerr = check_stream(&c, in);
    out_flush(&c.out);
    if (fflush(stdout) != 0)
        die("write error");
    if (in != stdin)
        fclose(in);
    buf_free(&c.out);
    size_t listed = t->n;
    table_free(t);
    free(t);
    if (rerr)
        die("%s: read error", path);
    if (!quiet)
        fprintf(stderr,
                "rebound: checked %llu addresses against %zu suppressed: %llu ok, %llu "
                "suppressed, %llu invalid\n",
                c.n_ok + c.n_supp + c.n_bad, listed, c.n_ok, c.n_supp, c.n_bad);
    return c.n_supp || c.n_bad ? 1 : 0;
}
