/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_mime.c - messages/s of the MIME reader (src/mime.c) versus GMime 3.
 *
 * DESCRIPTION
 *   usage: bench_mime DIR [N [nogmime]]
 *   Reads every regular file of DIR into memory once, then times N rounds (default 50) of:
 *     ours-tree   mime_parse() of every message (the part tree only);
 *     ours-full   mime_parse() + decoded Subject/From of the message and of each embedded
 *                 message + mime_decode_text() of every text/ * and delivery-status part;
 *     gmime-tree  g_mime_parser_construct_message() on a memory stream (the part tree
 *                 GMime builds, which already includes header parsing).
 *   Prints messages/s and MB/s for each, single-threaded, CLOCK_MONOTONIC.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "mime.h"

struct item {
    char *p;
    size_t len;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t load(const char *dir, struct item **out)
{
    DIR *d = opendir(dir);
    size_t n = 0, cap = 0;
    struct item *v = NULL;
    struct dirent *de;
    if (!d)
        return 0;
    while ((de = readdir(d)) != NULL) {
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            v = realloc(v, cap * sizeof *v);
        }
        v[n].p = malloc((size_t)sb.st_size + 1);
        v[n].len = fread(v[n].p, 1, (size_t)sb.st_size, f);
        fclose(f);
        n++;
    }
    closedir(d);
    *out = v;
    return n;
}

static size_t sink;
static struct mime_cvt g_cv;
#define CV (&g_cv)

static void ours_full(struct mime_msg *m, const struct item *it, struct buf *b)
{
    mime_parse(m, it->p, it->len);
    for (size_t i = 0; i < m->nparts; i++) {
        const struct mime_part *pt = &m->parts[i];
        struct slice hb = i == 0 ? pt->hdr : mime_part_inner_hdr(m, pt), v;
        if (hb.len) {
            buf_reset(b);
            if (mime_hdr_find(hb, "Subject", &v) && mime_hdr_decode(CV, v.p, v.len, b) == RB_OK)
                sink += b->len;
            buf_reset(b);
            if (mime_hdr_find(hb, "From", &v) && mime_hdr_decode(CV, v.p, v.len, b) == RB_OK)
                sink += b->len;
        }
        if (pt->kind == MIME_K_TEXT || pt->kind == MIME_K_DSN) {
            buf_reset(b);
            if (mime_decode_text(CV, pt, b, NULL) == RB_OK)
                sink += b->len;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_mime DIR [N]\n");
        return 2;
    }
    int rounds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 50;
    if (rounds < 1)
        rounds = 1;
    struct item *items;
    size_t n = load(argv[1], &items), bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += items[i].len;
    if (!n) {
        fprintf(stderr, "no files in %s\n", argv[1]);
        return 1;
    }
    struct mime_msg m;
    struct buf b;
    if (mime_msg_init(&m, 0, NULL) != RB_OK)
        return 1;
    buf_init(&b, 1 << 24, NULL);
    g_mime_init();
    mime_cvt_init(&g_cv);
    printf("%zu messages, %.2f MB, %d rounds\n", n, (double)bytes / 1e6, rounds);

    double t0 = now();
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < n; i++) {
            mime_parse(&m, items[i].p, items[i].len);
            sink += m.nparts;
        }
    double t1 = now();
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < n; i++)
            ours_full(&m, &items[i], &b);
    double t2 = now();
    int grounds = rounds / 5 ? rounds / 5 : 1;
    if (argc > 3 && !strcmp(argv[3], "nogmime"))
        grounds = 0;
    for (int r = 0; r < grounds; r++)
        for (size_t i = 0; i < n; i++) {
            GMimeStream *st = g_mime_stream_mem_new_with_buffer(items[i].p, items[i].len);
            GMimeParser *gp = g_mime_parser_new_with_stream(st);
            GMimeMessage *msg = g_mime_parser_construct_message(gp, NULL);
            if (msg) {
                sink++;
                g_object_unref(msg);
            }
            g_object_unref(gp);
            g_object_unref(st);
        }
    double t3 = now();
    double tot = (double)n * rounds, gtot = (double)n * grounds;
    printf("ours-tree   %10.0f msg/s %8.1f MB/s  (%.2f us/msg)\n", tot / (t1 - t0),
           (double)bytes * rounds / 1e6 / (t1 - t0), (t1 - t0) / tot * 1e6);
    printf("ours-full   %10.0f msg/s %8.1f MB/s  (%.2f us/msg)\n", tot / (t2 - t1),
           (double)bytes * rounds / 1e6 / (t2 - t1), (t2 - t1) / tot * 1e6);
    if (grounds)
        printf("gmime-tree  %10.0f msg/s %8.1f MB/s  (%.2f us/msg)\n", gtot / (t3 - t2),
               (double)bytes * grounds / 1e6 / (t3 - t2), (t3 - t2) / gtot * 1e6);
    fprintf(stderr, "(sink %zu)\n", sink);
    for (size_t i = 0; i < n; i++)
        free(items[i].p);
    free(items);
    buf_free(&b);
    mime_msg_free(&m);
    mime_cvt_free(&g_cv);
    g_mime_shutdown();
    return 0;
}
