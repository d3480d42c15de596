/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_msgsrc.c - unit tests for the message sources (src/msgsrc.c).
 *
 * DESCRIPTION
 *   Table-driven: From_ line recognition, separator search, line-end conversion, and mbox
 *   splitting of in-memory inputs, each split run in map mode and streamed through the window
 *   with many chunk sizes (the results must be identical). Then fixtures built at run time in
 *   a temporary directory: a tree with mbox (>From), CRLF mbox, CR-only file, empty file,
 *   dotfiles, a Maildir (cur/new/tmp), a FIFO, a dangling symlink, an unreadable file, a gzip'd
 *   mbox, a truncated gzip; a message over RB_MAX_MESSAGE; stdin through a pipe; and every
 *   allocation failing in turn.
 *
 * LIMITS
 *   The permission test needs a non-root euid: as root it switches to uid 65534 for that check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "harness.h"
#include "mem.h"
#include "msgsrc.h"

/* ---- From_ lines ------------------------------------------------------------------------ */

static const struct {
    const char *line;
    bool want;
} from_cases[] = {
    {"From MAILER-DAEMON Thu Sep 18 17:54:04 2008", true},
    {"From MAILER-DAEMON  Wed Sep 17 22:25:40 2008", true},
    {"From () 2019-10-02 05:04:34 +0000", true},
    {"From <> Thu Apr 29 23:45:10 2008", true},
    {"From MAILER-DAEMON Fri Jan 1 00:0:00 2015", true},
    {"From bounce+x=y@z.net  Sat Oct  4 08:00:07 2025", true},
    {"From the desk of the postmaster", false},
    {"From 2019 onward we will reply", false},
    {"From: someone@example.org 10:00", false},
    {"From : someone 10:00", false},
    {"From ", false},
    {"From", false},
    {"from a 10:00", false},
    {"From 10:00", false}, /* the time must come after the sender */
};

static void test_from_line(void)
{
    for (size_t i = 0; i < sizeof from_cases / sizeof from_cases[0]; i++) {
        const char *l = from_cases[i].line;
        CHECK(msgsrc_is_from_line(l, strlen(l)) == from_cases[i].want, "from_line '%s'", l);
    }
}

/* ---- Separator search -------------------------------------------------------------------- */

static const struct {
    const char *name, *in;
    size_t from;
    bool eof;
    int want;
    size_t pos;
} sep_cases[] = {
    {"lf", "X\n\nFrom a 1:2\n", 1, true, MSGSRC_SEP_FOUND, 3},
    {"crlf", "X\r\n\r\nFrom a 1:2\r\n", 1, true, MSGSRC_SEP_FOUND, 5},
    {"cr", "X\r\rFrom a 1:2\r", 1, true, MSGSRC_SEP_FOUND, 3},
    {"mixed blank", "X\n\r\nFrom a 1:2\n", 1, true, MSGSRC_SEP_FOUND, 4},
    {"no blank", "X\nFrom a 1:2\n", 1, true, MSGSRC_SEP_NONE, 13},
    {"not from line", "X\n\nFrom here on\n", 1, true, MSGSRC_SEP_NONE, 16},
    {"mid-line", "X\n\nsaid From a 1:2\n", 1, true, MSGSRC_SEP_NONE, 19},
    {"incomplete line", "X\n\nFrom a 1:2", 1, false, MSGSRC_SEP_MORE, 3},
    {"complete at eof", "X\n\nFrom a 1:2", 1, true, MSGSRC_SEP_FOUND, 3},
    {"straddle", "X\n\nFro", 1, false, MSGSRC_SEP_MORE, 2},
    {"second", "\n\nFrom a 1:2\nY\n\nFrom b 3:4\n", 3, true, MSGSRC_SEP_FOUND, 16},
};

static void test_find_sep(void)
{
    for (size_t i = 0; i < sizeof sep_cases / sizeof sep_cases[0]; i++) {
        size_t pos = 99, nq = 0;
        const char *in = sep_cases[i].in;
        int r = msgsrc_find_sep(in, strlen(in), sep_cases[i].from, sep_cases[i].eof, &pos, &nq);
        CHECK_INT(r, sep_cases[i].want, sep_cases[i].name);
        CHECK_INT(pos, sep_cases[i].pos, sep_cases[i].name);
    }
    size_t pos, nq = 0;
    const char *q = "X\n>From a\n>>From b\n> From c\nx>From d\n";
    msgsrc_find_sep(q, strlen(q), 1, true, &pos, &nq);
    CHECK_INT(nq, 2, "nquoted");
}

/* ---- Line ends --------------------------------------------------------------------------- */

static const struct {
    const char *name, *in;
    bool unquote;
    const char *want;
    int eol;
    bool copied;
} norm_cases[] = {
    {"lf", "a\nb\n", false, "a\nb\n", MSGSRC_EOL_LF, false},
    {"none", "abc", false, "abc", MSGSRC_EOL_NONE, false},
    {"empty", "", false, "", MSGSRC_EOL_NONE, false},
    {"crlf", "a\r\nb\r\n", false, "a\nb\n", MSGSRC_EOL_CRLF, true},
    {"cr", "a\rb\r\r", false, "a\nb\n\n", MSGSRC_EOL_CR, true},
    {"mixed", "A\r\nB\nC\rD", false, "A\nB\nC\nD", MSGSRC_EOL_MIXED, true},
    {"cr at end", "a\r", false, "a\n", MSGSRC_EOL_CR, true},
    {"unquote", ">From a\n>>From b\n> From c\nx>From d\n", true,
     "From a\n>From b\n> From c\nx>From d\n", MSGSRC_EOL_LF, true},
    {"unquote not needed", "a\n>Fromage\n", true, "a\n>Fromage\n", MSGSRC_EOL_LF, false},
    {"unquote off", ">From a\n", false, ">From a\n", MSGSRC_EOL_LF, false},
    {"unquote cr", "x\r>From a\r", true, "x\nFrom a\n", MSGSRC_EOL_CR, true},
};

static void test_normalize(void)
{
    struct buf conv;
    buf_init(&conv, 1 << 20, NULL);
    for (size_t i = 0; i < sizeof norm_cases / sizeof norm_cases[0]; i++) {
        struct slice out;
        int eol = -1;
        bool copied = !norm_cases[i].copied;
        const char *in = norm_cases[i].in;
        int rc =
            msgsrc_normalize(in, strlen(in), norm_cases[i].unquote, &conv, &out, &eol, &copied);
        const char *n = norm_cases[i].name;
        CHECK_INT(rc, RB_OK, n);
        CHECK(out.len == strlen(norm_cases[i].want) &&
                  memcmp(out.p, norm_cases[i].want, out.len) == 0,
              "%s: got '%.*s'", n, (int)out.len, out.p);
        CHECK_INT(eol, norm_cases[i].eol, n);
        CHECK_INT(copied, norm_cases[i].copied, n);
        if (!copied)
            CHECK(out.p == in, "%s: zero-copy", n);
    }
    struct buf small;
    buf_init(&small, 3, NULL);
    struct slice out;
    int eol;
    bool copied;
    CHECK_INT(msgsrc_normalize("a\r\nbcdef", 8, false, &small, &out, &eol, &copied), RB_ETOOBIG,
              "normalize over cap");
    buf_free(&small);
    buf_free(&conv);
}

/* ---- mbox splitting in memory ------------------------------------------------------------ */

#define MAXMSG 6
static const struct {
    const char *name, *in;
    const char *want[MAXMSG + 1]; /* NULL-terminated */
    int eol;                      /* of the first message */
} split_cases[] = {
    {"single", "Subject: a\n\nbody\n", {"Subject: a\n\nbody\n"}, MSGSRC_EOL_LF},
    {"empty", "", {NULL}, 0},
    {"mbox 2",
     "From a@b Thu Sep 18 17:54:04 2008\nX: 1\n\nb1\n\nFrom c@d Thu Sep 18 17:54:05 2008\n"
     "X: 2\n\nb2\n",
     {"X: 1\n\nb1\n", "X: 2\n\nb2\n"},
     MSGSRC_EOL_LF},
    {"no blank before From",
     "From a 10:00\nX: 1\nFrom b 10:00\nY\n",
     {"X: 1\nFrom b 10:00\nY\n"},
     MSGSRC_EOL_LF},
    {"From in body",
     "From a 10:00\nX: 1\n\nFrom the desk\n",
     {"X: 1\n\nFrom the desk\n"},
     MSGSRC_EOL_LF},
    {">From unquote",
     "From a 10:00\nX\n\n>From x\n>>From y\n> From z\n>Fromage\n",
     {"X\n\nFrom x\n>From y\n> From z\n>Fromage\n"},
     MSGSRC_EOL_LF},
    {"crlf mbox",
     "From a 10:00\r\nX: 1\r\n\r\nb\r\n\r\nFrom b 10:01\r\nY: 2\r\n\r\nc\r\n",
     {"X: 1\n\nb\n", "Y: 2\n\nc\n"},
     MSGSRC_EOL_CRLF},
    {"cr mbox",
     "From a 10:00\rX: 1\r\rb\r\rFrom b 10:01\rY: 2\r\rc\r",
     {"X: 1\n\nb\n", "Y: 2\n\nc\n"},
     MSGSRC_EOL_CR},
    {"cr single", "Subject: a\r\rbody\r", {"Subject: a\n\nbody\n"}, MSGSRC_EOL_CR},
    {"mixed single", "A: 1\r\nB: 2\nC: 3\rD", {"A: 1\nB: 2\nC: 3\nD"}, MSGSRC_EOL_MIXED},
    {"only From line", "From a 10:00\n", {""}, MSGSRC_EOL_NONE},
    {"only From line no eol", "From a 10:00", {""}, MSGSRC_EOL_NONE},
    {"trailing blanks", "From a 10:00\nX\n\n\n", {"X\n\n"}, MSGSRC_EOL_LF},
    {"junk first", "junk\n\nFrom a 10:00\nX\n", {"junk\n\nFrom a 10:00\nX\n"}, MSGSRC_EOL_LF},
    {"crlf >From", "From a 1:2\r\nX\r\n\r\n>From q\r\n", {"X\n\nFrom q\n"}, MSGSRC_EOL_CRLF},
    {"colon sender", "From : a 10:00\nX\n", {"From : a 10:00\nX\n"}, MSGSRC_EOL_LF},
    {"mixed blank", "From a 1:2\nX\n\r\nFrom b 1:3\nY\n", {"X\n", "Y\n"}, MSGSRC_EOL_LF},
    {"empty message", "From a 1:2\n\nFrom b 1:3\nY\n", {"", "Y\n"}, MSGSRC_EOL_NONE},
    {"three",
     "From a 1:2\nA\n\nFrom b 1:3\nB\n\nFrom c 1:4\nC\n",
     {"A\n", "B\n", "C\n"},
     MSGSRC_EOL_LF},
    {"quoted separator",
     "From a 1:2\nA\n\n>From b 1:3\nB\n",
     {"A\n\nFrom b 1:3\nB\n"},
     MSGSRC_EOL_LF},
};

static const size_t chunks[] = {0, 1, 2, 3, 5, 7, 13, 64, 4096};

/* run_split - iterate (in, len) with the given chunk (0 = map mode); store up to MAXMSG. */
static int run_split(const char *in, size_t len, size_t chunk, size_t max, char **got, size_t *glen,
                     int *eol, unsigned *flags, char names[][64])
{
    struct msgsrc_opts o = {0};
    o.max_message = max;
    if (chunk) {
        o.flags = MSGSRC_O_STREAM;
        o.chunk = chunk;
    }
    struct msgsrc *s;
    if (msgsrc_open_mem(&s, in, len, "m", &o, NULL) != RB_OK)
        return -1;
    struct msgsrc_item it;
    int n = 0, rc;
    while ((rc = msgsrc_next(s, &it)) != 1) {
        if (rc < 0) {
            n = -100 + rc;
            break;
        }
        if (n < MAXMSG) {
            got[n] = malloc(it.len + 1);
            memcpy(got[n], it.p, it.len);
            glen[n] = it.len;
            eol[n] = it.eol;
            flags[n] = it.flags;
            snprintf(names[n], 64, "%s", it.name);
        }
        n++;
    }
    msgsrc_close(s);
    return n;
}

static void test_split(void)
{
    for (size_t i = 0; i < sizeof split_cases / sizeof split_cases[0]; i++) {
        const char *in = split_cases[i].in;
        size_t nwant = 0;
        while (split_cases[i].want[nwant])
            nwant++;
        for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
            char *got[MAXMSG] = {0};
            size_t glen[MAXMSG];
            int eol[MAXMSG];
            unsigned flags[MAXMSG];
            char names[MAXMSG][64];
            int n = run_split(in, strlen(in), chunks[c], 0, got, glen, eol, flags, names);
            char ctx[128];
            snprintf(ctx, sizeof ctx, "%s chunk %zu", split_cases[i].name, chunks[c]);
            CHECK_INT(n, nwant, ctx);
            for (int k = 0; k < n && k < MAXMSG && (size_t)k < nwant; k++) {
                const char *w = split_cases[i].want[k];
                CHECK(glen[k] == strlen(w) && memcmp(got[k], w, glen[k]) == 0,
                      "%s msg %d: got '%.*s'", ctx, k, (int)glen[k], got[k]);
                char wname[64];
                snprintf(wname, sizeof wname, nwant > 1 ? "m#%d" : "m", k + 1);
                CHECK_STR(names[k], wname, ctx);
            }
            if (n > 0)
                CHECK_INT(eol[0], split_cases[i].eol, ctx);
            for (int k = 0; k < n && k < MAXMSG; k++)
                free(got[k]);
        }
    }
}

/* test_split_truncate - messages longer than max_message, in map and stream mode. */
static void test_split_truncate(void)
{
    /* mbox: a short message, a 10 kB one (with From and >From text inside), a short one */
    char *in = malloc(20000);
    size_t n = 0;
    n += (size_t)snprintf(in + n, 100, "From a 1:2\nA\n\nFrom b 1:3\n");
    for (int i = 0; i < 500; i++)
        n += (size_t)snprintf(in + n, 100, "%s line %04d\r\n", i % 7 ? ">From x" : "From y", i);
    n += (size_t)snprintf(in + n, 100, "\nFrom c 1:4\nC\n");
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        char *got[MAXMSG] = {0};
        size_t glen[MAXMSG];
        int eol[MAXMSG];
        unsigned flags[MAXMSG];
        char names[MAXMSG][64];
        char ctx[64];
        snprintf(ctx, sizeof ctx, "truncate chunk %zu", chunks[c]);
        int k = run_split(in, n, chunks[c], 100, got, glen, eol, flags, names);
        CHECK_INT(k, 3, ctx);
        if (k == 3) {
            CHECK(glen[0] == 2 && !(flags[0] & MSGSRC_F_TRUNCATED), "%s: first", ctx);
            CHECK(glen[1] <= 100 && (flags[1] & MSGSRC_F_TRUNCATED), "%s: second len %zu", ctx,
                  glen[1]);
            CHECK(glen[1] > 80 && memcmp(got[1], "From y line 0000\n", 17) == 0,
                  "%s: second starts '%.20s'", ctx, got[1]);
            CHECK(glen[2] == 2 && memcmp(got[2], "C\n", 2) == 0, "%s: third", ctx);
            CHECK_STR(names[2], "m#3", ctx);
        }
        for (int i = 0; i < k && i < MAXMSG; i++)
            free(got[i]);
        /* one message, no mbox */
        k = run_split(in + 27, n - 27, chunks[c], 100, got, glen, eol, flags, names);
        CHECK(k == 1 && glen[0] <= 100 && (flags[0] & MSGSRC_F_TRUNCATED), "%s: single", ctx);
        for (int i = 0; i < k && i < MAXMSG; i++)
            free(got[i]);
    }
    free(in);
}

/* ---- Fixtures on disk -------------------------------------------------------------------- */

static char tmpdir[256];

static void put(const char *rel, const char *data, size_t len)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
    FILE *f = fopen(p, "wb");
    if (!f) {
        fprintf(stderr, "cannot create %s\n", p);
        exit(2);
    }
    if (len)
        fwrite(data, 1, len, f);
    fclose(f);
}

static void puts_file(const char *rel, const char *data)
{
    put(rel, data, strlen(data));
}

static void mk(const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
    mkdir(p, 0755);
}

/* gz - gzip (p, len) into *out (malloc'ed); members > 1 splits it into that many members. */
static size_t gz(const char *p, size_t len, int members, unsigned char **out)
{
    size_t cap = len + 1024 * (size_t)members + 64, n = 0;
    *out = malloc(cap);
    for (int m = 0; m < members; m++) {
        size_t a = len * (size_t)m / (size_t)members, b = len * (size_t)(m + 1) / (size_t)members;
        z_stream z;
        memset(&z, 0, sizeof z);
        deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
        z.next_in = (Bytef *)(uintptr_t)(p + a);
        z.avail_in = (uInt)(b - a);
        z.next_out = *out + n;
        z.avail_out = (uInt)(cap - n);
        deflate(&z, Z_FINISH);
        n += z.total_out;
        deflateEnd(&z);
    }
    return n;
}

/* a deterministic pseudo-random printable body that does not compress well */
static void noise(char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (i % 72 == 71) ? '\n' : (char)('!' + (seed >> 16) % 90);
    }
}

struct want_item {
    const char *name; /* relative to tmpdir */
    int rc;
    const char *body; /* NULL = do not check */
    size_t len;       /* checked when body is NULL and len != 0 */
};

/* expect - iterate path and compare with want (n items). */
static void expect(const char *path, const struct msgsrc_opts *o, const struct want_item *want,
                   size_t n, const char *ctx)
{
    struct msgsrc *s;
    char full[512];
    if (path[0] == '-' && path[1] == 0)
        snprintf(full, sizeof full, "-");
    else
        snprintf(full, sizeof full, "%s/%s", tmpdir, path);
    CHECK_INT(msgsrc_open(&s, full, o, NULL), RB_OK, ctx);
    struct msgsrc_item it;
    size_t i = 0;
    int rc;
    while ((rc = msgsrc_next(s, &it)) != 1 && i < n + 5) {
        char wname[512];
        if (i >= n) {
            CHECK(0, "%s: extra item %s rc %d", ctx, it.name, rc);
            i++;
            continue;
        }
        if (want[i].name[0] == '<')
            snprintf(wname, sizeof wname, "%s", want[i].name);
        else
            snprintf(wname, sizeof wname, "%s/%s", tmpdir, want[i].name);
        CHECK(strcmp(it.name, wname) == 0, "%s item %zu: name %s, want %s", ctx, i, it.name, wname);
        CHECK(rc == want[i].rc, "%s item %zu (%s): rc %d (%s errno %d), want %d", ctx, i, it.name,
              rc, it.why ? it.why : "-", it.sys_errno, want[i].rc);
        if (rc == RB_OK && want[i].body)
            CHECK(it.len == strlen(want[i].body) && memcmp(it.p, want[i].body, it.len) == 0,
                  "%s item %zu (%s): got '%.*s'", ctx, i, it.name, (int)it.len, it.p);
        else if (rc == RB_OK && want[i].len)
            CHECK(it.len == want[i].len, "%s item %zu (%s): len %zu want %zu", ctx, i, it.name,
                  it.len, want[i].len);
        i++;
    }
    CHECK(i == n, "%s: %zu items, want %zu", ctx, i, n);
    msgsrc_close(s);
}

static char *big_gz_src;
static size_t big_gz_len;

static void build_tree(void)
{
    mk("tree");
    puts_file("tree/a.eml", "Subject: a\n\nA\n");
    puts_file("tree/b.mbox", "From x@y Thu Sep 18 17:54:04 2008\nSubject: b1\n\n>From here\n\n"
                             "From x@y Thu Sep 18 17:54:05 2008\nSubject: b2\n\nFrom there\n\n"
                             "From x@y Thu Sep 18 17:54:06 2008\nSubject: b3\n\n>>From x\n\n");
    puts_file("tree/c-crlf.mbox", "From a 10:00\r\nSubject: c1\r\n\r\nc\r\n\r\n"
                                  "From b 10:01\r\nSubject: c2\r\n\r\nc\r\n");
    puts_file("tree/d-cr.eml", "Subject: d\r\rD\r");
    put("tree/e-empty.eml", "", 0);
    puts_file("tree/.hidden.eml", "Subject: hidden\n\n");
    mk("tree/.hiddendir");
    puts_file("tree/.hiddendir/x.eml", "Subject: hidden\n\n");
    mk("tree/sub");
    puts_file("tree/sub/f.eml", "Subject: f\n\n");
    mk("tree/sub/deeper");
    puts_file("tree/sub/deeper/g.eml", "From a 1:2\nSubject: g\n\n");
    mk("tree/sub/md");
    mk("tree/sub/md/cur");
    mk("tree/sub/md/new");
    mk("tree/sub/md/tmp");
    puts_file("tree/sub/md/cur/1700000002.M1.host:2,S", "Subject: md2\n\n");
    puts_file("tree/sub/md/new/1700000001.M1.host", "Subject: md1\n\n");
    puts_file("tree/sub/md/cur/1700000003.M1.host:2,", "Subject: md3\r\n\r\n");
    puts_file("tree/sub/md/cur/.dot", "Subject: no\n\n");
    puts_file("tree/sub/md/tmp/1700000000.M1.host", "Subject: tmp\n\n");
    char p[512];
    snprintf(p, sizeof p, "%s/tree/fifo", tmpdir);
    mkfifo(p, 0644);
    snprintf(p, sizeof p, "%s/tree/link-dangling", tmpdir);
    CHECK(symlink("/nonexistent/x", p) == 0, "symlink");
    snprintf(p, sizeof p, "%s/tree/link-dir", tmpdir);
    CHECK(symlink("sub", p) == 0, "symlink dir");
    snprintf(p, sizeof p, "%s/tree/link-file.eml", tmpdir);
    CHECK(symlink("a.eml", p) == 0, "symlink file");
    /* gzip'd mbox of 2 messages, in 2 members */
    const char *mb = "From a 10:00\nSubject: z1\n\nz\n\nFrom b 10:01\nSubject: z2\n\nz\n";
    unsigned char *g;
    size_t gn = gz(mb, strlen(mb), 2, &g);
    put("tree/z.mbox.gz", (const char *)g, gn);
    free(g);
    /* truncated gzip: 3 messages of 40 kB noise; cut the stream in the third */
    size_t one = 40000;
    big_gz_len = 3 * (one + 40);
    big_gz_src = malloc(big_gz_len);
    size_t n = 0;
    for (int m = 0; m < 3; m++) {
        n += (size_t)snprintf(big_gz_src + n, 40, "From m%d 10:00\nSubject: t%d\n\n", m, m);
        noise(big_gz_src + n, one, (unsigned)m);
        n += one;
        big_gz_src[n++] = '\n';
        big_gz_src[n++] = '\n';
    }
    big_gz_len = n;
    gn = gz(big_gz_src, n, 1, &g);
    put("tree/zz-trunc.gz", (const char *)g, gn * 85 / 100);
    free(g);
    puts_file("tree/unreadable.eml", "Subject: secret\n\n");
    snprintf(p, sizeof p, "%s/tree/unreadable.eml", tmpdir);
    chmod(p, 0);
}

static void test_tree(void)
{
    build_tree();
    bool root = geteuid() == 0;
    /* as root, permissions are not checked: read the tree as nobody for this test */
    char t[300];
    snprintf(t, sizeof t, "%s", tmpdir);
    chmod(t, 0755);
    if (root && seteuid(65534) != 0)
        fprintf(stderr, "note: seteuid failed, permission check skipped\n");
    bool dropped = geteuid() != 0;
    if (!dropped)
        fprintf(stderr, "note: running as root, permission-denied check skipped\n");

    const struct want_item want[] = {
        {"tree/a.eml", 0, "Subject: a\n\nA\n", 0},
        {"tree/b.mbox#1", 0, "Subject: b1\n\nFrom here\n", 0},
        {"tree/b.mbox#2", 0, "Subject: b2\n\nFrom there\n", 0},
        {"tree/b.mbox#3", 0, "Subject: b3\n\n>From x\n", 0},
        {"tree/c-crlf.mbox#1", 0, "Subject: c1\n\nc\n", 0},
        {"tree/c-crlf.mbox#2", 0, "Subject: c2\n\nc\n", 0},
        {"tree/d-cr.eml", 0, "Subject: d\n\nD\n", 0},
        {"tree/fifo", RB_EINVAL, NULL, 0},
        {"tree/link-dangling", RB_EIO, NULL, 0},
        {"tree/link-file.eml", 0, "Subject: a\n\nA\n", 0},
        {"tree/sub/deeper/g.eml", 0, "Subject: g\n", 0}, /* mbox: blank line dropped */
        {"tree/sub/f.eml", 0, "Subject: f\n\n", 0},
        {"tree/sub/md/new/1700000001.M1.host", 0, "Subject: md1\n\n", 0},
        {"tree/sub/md/cur/1700000002.M1.host:2,S", 0, "Subject: md2\n\n", 0},
        {"tree/sub/md/cur/1700000003.M1.host:2,", 0, "Subject: md3\n\n", 0},
        {"tree/unreadable.eml", dropped ? RB_EIO : RB_OK, NULL, 0},
        {"tree/z.mbox.gz#1", 0, "Subject: z1\n\nz\n", 0},
        {"tree/z.mbox.gz#2", 0, "Subject: z2\n\nz\n", 0},
        {"tree/zz-trunc.gz#1", 0, NULL, 40000 + 14},
        {"tree/zz-trunc.gz#2", 0, NULL, 40000 + 14},
        {"tree/zz-trunc.gz#3", RB_EPARSE, NULL, 0},
    };
    size_t n = sizeof want / sizeof want[0];
    expect("tree", NULL, want, n, "tree");
    struct msgsrc_opts o = {MSGSRC_O_MMAP, 0, 0};
    expect("tree", &o, want, n, "tree mmap");
    o.flags = 0;
    o.chunk = 3;
    expect("tree", &o, want, n, "tree read() chunk 3");
    expect("tree/sub/md", NULL, want + 12, 3, "maildir root");
    expect("tree/sub/md/", NULL, want + 12, 3, "maildir root slash");
    {
        const struct want_item one[] = {
            {"tree/b.mbox", 0,
             "Subject: b1\n\n>From here\n\nFrom x@y Thu Sep 18 17:54:05 2008\n"
             "Subject: b2\n\nFrom there\n\nFrom x@y Thu Sep 18 17:54:06 2008\n"
             "Subject: b3\n\n>>From x\n\n",
             0},
        };
        o.flags = MSGSRC_O_ONE_PER_FILE;
        o.chunk = 0;
        expect("tree/b.mbox", &o, one, 1, "one per file");
    }
    {
        const struct want_item miss[] = {{"tree/missing", RB_EIO, NULL, 0}};
        expect("tree/missing", NULL, miss, 1, "missing root");
        const struct want_item fifo[] = {{"tree/fifo", RB_EINVAL, NULL, 0}};
        (void)fifo; /* an explicitly named FIFO is read as a stream: not tested (would block) */
        const struct want_item empty[] = {{"", 0, NULL, 0}};
        expect("tree/e-empty.eml", NULL, empty, 0, "empty file");
    }
    if (root && dropped && seteuid(0) != 0)
        fprintf(stderr, "cannot restore euid\n");
}

/* test_deep - nesting beyond MSGSRC_MAX_DEPTH is one error item; the rest is still read. */
static void test_deep(void)
{
    char rel[8192] = "deep";
    mk(rel);
    size_t n = strlen(rel);
    for (int i = 0; i < MSGSRC_MAX_DEPTH + 3; i++) {
        n += (size_t)snprintf(rel + n, sizeof rel - n, "/d");
        mk(rel);
    }
    put("deep/m.eml", "Subject: m\n", 11);
    char full[8192];
    snprintf(full, sizeof full, "%s/deep", tmpdir);
    struct msgsrc *s;
    CHECK_INT(msgsrc_open(&s, full, NULL, NULL), RB_OK, "deep open");
    struct msgsrc_item it;
    int rc, ok = 0, toobig = 0, other = 0;
    while ((rc = msgsrc_next(s, &it)) != 1) {
        if (rc == RB_OK)
            ok++;
        else if (rc == RB_ETOOBIG)
            toobig++;
        else
            other++;
    }
    msgsrc_close(s);
    CHECK(ok == 1 && toobig == 1 && other == 0, "deep: ok %d toobig %d other %d", ok, toobig,
          other);
}

/* ---- Over the limit ---------------------------------------------------------------------- */

static void test_huge(void)
{
    /* an mbox: short message, one of RB_MAX_MESSAGE + 1 MiB, short message */
    size_t big = RB_MAX_MESSAGE + ((size_t)1 << 20);
    char *m = malloc(big + 200);
    size_t n =
        (size_t)snprintf(m, 200, "From a 1:2\nSubject: 1\n\nx\n\nFrom b 1:2\nSubject: 2\n\n");
    memset(m + n, 'y', big);
    for (size_t i = n + 79; i < n + big; i += 80)
        m[i] = '\n';
    n += big;
    n += (size_t)snprintf(m + n, 200, "\n\nFrom c 1:2\nSubject: 3\n\nz\n");
    put("huge.mbox", m, n);
    free(m);
    const struct want_item want[] = {
        {"huge.mbox#1", 0, "Subject: 1\n\nx\n", 0},
        {"huge.mbox#2", 0, NULL, RB_MAX_MESSAGE},
        {"huge.mbox#3", 0, "Subject: 3\n\nz\n", 0},
    };
    expect("huge.mbox", NULL, want, 3, "huge read()");
    struct msgsrc_opts o = {MSGSRC_O_MMAP, 0, 0};
    expect("huge.mbox", &o, want, 3, "huge mmap");
    char p[512];
    snprintf(p, sizeof p, "%s/huge.mbox", tmpdir);
    unlink(p);
}

/* ---- stdin ------------------------------------------------------------------------------- */

/* feed - fork a writer of (p, len) into a pipe; returns the read end. */
static int feed(const void *p, size_t len, pid_t *pid)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    *pid = fork();
    if (*pid == 0) {
        close(fds[0]);
        const char *q = p;
        while (len) {
            ssize_t w = write(fds[1], q, len > 4000 ? 4000 : len);
            if (w <= 0)
                _exit(1);
            q += w;
            len -= (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    return fds[0];
}

static void test_stdin(void)
{
    const char *mb = "From a 10:00\r\nSubject: s1\r\n\r\n>From x\r\n\r\n"
                     "From b 10:01\r\nSubject: s2\r\n\r\ns\r\n";
    const struct want_item want[] = {
        {"<stdin>#1", 0, "Subject: s1\n\nFrom x\n", 0},
        {"<stdin>#2", 0, "Subject: s2\n\ns\n", 0},
    };
    pid_t pid;
    int saved = dup(0);
    int fd = feed(mb, strlen(mb), &pid);
    dup2(fd, 0);
    close(fd);
    expect("-", NULL, want, 2, "stdin");
    waitpid(pid, NULL, 0);

    /* gzip through a pipe, via msgsrc_open_fd */
    unsigned char *g;
    size_t gn = gz(mb, strlen(mb), 1, &g);
    fd = feed(g, gn, &pid);
    struct msgsrc *s;
    CHECK_INT(msgsrc_open_fd(&s, fd, NULL, NULL, NULL), RB_OK, "open_fd");
    struct msgsrc_item it;
    int k = 0, rc;
    while ((rc = msgsrc_next(s, &it)) == RB_OK) {
        CHECK(it.flags & MSGSRC_F_GZIP, "gz flag");
        k++;
    }
    CHECK(rc == 1 && k == 2, "stdin gzip: rc %d, %d messages", rc, k);
    msgsrc_close(s);
    close(fd);
    waitpid(pid, NULL, 0);
    free(g);

    /* a single message over a small limit through a pipe: truncated, then the rest skipped */
    char *big = malloc(300000);
    noise(big, 300000, 7);
    fd = feed(big, 300000, &pid);
    struct msgsrc_opts o = {0, 1000, 0};
    CHECK_INT(msgsrc_open_fd(&s, fd, "pipe", &o, NULL), RB_OK, "open_fd big");
    k = 0;
    while ((rc = msgsrc_next(s, &it)) == RB_OK) {
        CHECK(it.len == 1000 && (it.flags & MSGSRC_F_TRUNCATED), "pipe truncated");
        k++;
    }
    CHECK(rc == 1 && k == 1, "pipe big: rc %d, %d messages", rc, k);
    msgsrc_close(s);
    close(fd);
    waitpid(pid, NULL, 0);
    free(big);
    dup2(saved, 0);
    close(saved);
}

/* ---- Allocation failures ----------------------------------------------------------------- */

struct failer {
    long countdown; /* fail when it reaches 0 */
    long fails;
};

static void *f_malloc(size_t n, void *ud)
{
    struct failer *f = ud;
    if (f->countdown-- == 0) {
        f->fails++;
        return NULL;
    }
    return malloc(n);
}

static void *f_realloc(void *p, size_t n, void *ud)
{
    struct failer *f = ud;
    if (f->countdown-- == 0) {
        f->fails++;
        return NULL;
    }
    return realloc(p, n);
}

static void f_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

static void test_alloc_failures(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tree", tmpdir);
    long total = -1;
    for (long k = 0; k < 400; k++) {
        struct failer f = {k, 0};
        rb_mem m = {f_malloc, f_realloc, f_free, &f};
        struct msgsrc *s;
        int rc = msgsrc_open(&s, path, NULL, &m);
        if (rc != RB_OK) {
            CHECK_INT(rc, RB_ENOMEM, "alloc fail open");
            continue;
        }
        struct msgsrc_item it;
        int ok = 0, steps = 0;
        while ((rc = msgsrc_next(s, &it)) != 1 && steps < 1000) {
            steps++;
            if (rc == RB_OK)
                ok++;
        }
        CHECK(steps < 1000, "alloc fail %ld: loops", k);
        msgsrc_close(s);
        if (f.fails == 0) {
            total = k;
            break;
        }
    }
    CHECK(total > 0, "alloc failure sweep finished (%ld allocations)", total);
    fprintf(stderr, "note: allocation failure sweep: %ld injection points\n", total);
}

int main(void)
{
    test_from_line();
    test_find_sep();
    test_normalize();
    test_split();
    test_split_truncate();

    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_msgsrc.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    test_tree();
    test_stdin();
    test_deep();
    test_huge();
    test_alloc_failures();

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    free(big_gz_src);
    return harness_done();
}
