/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_msgsrc.c - throughput of the message sources against the I/O floor.
 *
 * DESCRIPTION
 *   bench_msgsrc [-r N] [-o out.mbox] PATH
 *   If PATH is a directory, its messages (one per file) are first written to an mboxrd file
 *   (-o, default /tmp/bench_msgsrc.mbox): a From_ line, the message with ^>*From lines
 *   quoted, a blank line. Then, N times each (default 20), it reads the mbox with read() in
 *   64 KiB pieces (the floor, like cat), iterates it with msgsrc in mmap mode (MSGSRC_O_MMAP)
 *   and in read() mode (the default), and prints messages/s and MB/s (MB = 10^6 bytes of the file)
 * for each, and the peak RSS of the process.
 *
 * LIMITS
 *   Single-threaded; wall-clock (CLOCK_MONOTONIC) best-of-N. Not run as a test.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "msgsrc.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* write_mbox - every message under dir, as mboxrd, into out. Returns the message count. */
static long write_mbox(const char *dir, const char *out)
{
    struct msgsrc_opts o = {MSGSRC_O_ONE_PER_FILE, 0, 0};
    struct msgsrc *s;
    if (msgsrc_open(&s, dir, &o, NULL) != RB_OK)
        return -1;
    FILE *f = fopen(out, "wb");
    if (!f)
        return -1;
    struct msgsrc_item it;
    long n = 0;
    int rc;
    while ((rc = msgsrc_next(s, &it)) != 1) {
        if (rc < 0)
            continue;
        fputs("From MAILER-DAEMON Thu Jan  1 00:00:00 2024\n", f);
        size_t i = 0;
        while (i < it.len) {
            const char *nl = memchr(it.p + i, '\n', it.len - i);
            size_t e = nl ? (size_t)(nl - it.p) + 1 : it.len;
            size_t j = i;
            while (j < e && it.p[j] == '>')
                j++;
            if (e - j >= 5 && memcmp(it.p + j, "From ", 5) == 0)
                fputc('>', f);
            fwrite(it.p + i, 1, e - i, f);
            i = e;
        }
        if (it.len && it.p[it.len - 1] != '\n')
            fputc('\n', f);
        fputc('\n', f);
        n++;
    }
    msgsrc_close(s);
    fclose(f);
    return n;
}

static double floor_read(const char *path, size_t *bytes)
{
    static char buf[1 << 16];
    double t = now();
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t r;
    size_t n = 0;
    while ((r = read(fd, buf, sizeof buf)) > 0)
        n += (size_t)r;
    close(fd);
    *bytes = n;
    return now() - t;
}

static double run(const char *path, unsigned flags, long *msgs, unsigned long *sum)
{
    struct msgsrc_opts o = {flags, 0, 0};
    struct msgsrc *s;
    double t = now();
    if (msgsrc_open(&s, path, &o, NULL) != RB_OK)
        return -1;
    struct msgsrc_item it;
    long n = 0;
    unsigned long x = 0;
    int rc;
    while ((rc = msgsrc_next(s, &it)) != 1) {
        if (rc < 0)
            continue;
        n++;
        x += it.len + (it.len ? (unsigned char)it.p[it.len - 1] : 0u);
    }
    msgsrc_close(s);
    *msgs = n;
    *sum = x;
    return now() - t;
}

int main(int argc, char **argv)
{
    int reps = 20;
    const char *out = "/tmp/bench_msgsrc.mbox";
    int i = 1;
    for (; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-r") == 0)
            reps = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "-o") == 0)
            out = argv[i + 1];
        else
            break;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: bench_msgsrc [-r N] [-o out.mbox] PATH\n");
        return 2;
    }
    const char *path = argv[i];
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        return 1;
    }
    if (S_ISDIR(st.st_mode)) {
        long n = write_mbox(path, out);
        printf("wrote %ld messages from %s to %s\n", n, path, out);
        path = out;
    }
    size_t bytes = 0;
    double best_floor = 1e9, best_map = 1e9, best_read = 1e9;
    long msgs = 0, msgs2 = 0;
    unsigned long sum = 0;
    for (int r = 0; r < reps; r++) {
        double t = floor_read(path, &bytes);
        if (t < best_floor)
            best_floor = t;
        t = run(path, MSGSRC_O_MMAP, &msgs, &sum);
        if (t < best_map)
            best_map = t;
        t = run(path, 0, &msgs2, &sum);
        if (t < best_read)
            best_read = t;
    }
    double mb = (double)bytes / 1e6;
    printf("file: %s, %.1f MB, %ld messages (read() mode: %ld), best of %d\n", path, mb, msgs,
           msgs2, reps);
    /* msgs: mmap mode, msgs2: read() mode (the default) */
    printf("%-22s %10.3f ms %12.0f msg/s %9.0f MB/s\n", "read() floor (cat)", best_floor * 1e3,
           (double)msgs / best_floor, mb / best_floor);
    printf("%-22s %10.3f ms %12.0f msg/s %9.0f MB/s\n", "msgsrc mmap", best_map * 1e3,
           (double)msgs / best_map, mb / best_map);
    printf("%-22s %10.3f ms %12.0f msg/s %9.0f MB/s\n", "msgsrc read()", best_read * 1e3,
           (double)msgs2 / best_read, mb / best_read);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS %ld KiB\n", ru.ru_maxrss);
    return 0;
}
