/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * input.c - reading inputs for the commands that take them (parse, ingest, report): logs and
 *           events in 1 MB chunks through rb_ingest (gzip recognised by its magic bytes, a
 *           progress line on a TTY); bounce emails from files, mboxes and Maildirs through
 *           rb_parse_message; and the --since/--until time syntax.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cli.h"
#include "ingest.h"
#include "msgsrc.h"
#include "rebound.h"

#define CHUNK CLI_CHUNK
#define PROGRESS_MIN ((long long)64 << 20) /* smaller inputs end before a bar helps */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void show_progress(const char *name, long long done, long long total, double t0)
{
    double el = now_s() - t0;
    fprintf(stderr, "\r%s: %3d%% %lld/%lld MB %.0f MB/s ", name,
            (int)(100.0 * (double)done / (double)total), done >> 20, total >> 20,
            el > 0 ? (double)done / (double)(1 << 20) / el : 0.0);
}

int cli_feed_file(rb_ingest *ig, const char *path, char *chunk, int progress, rb_event_cb cb,
                  void *ud, struct buf *out)
{
    int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "rebound: %s: %s\n", path, strerror(errno));
        return 1;
    }
    struct stat st;
    long long total = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (long long)st.st_size : 0;
    if (fd != 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "rebound: %s: is a directory\n", path);
        close(fd);
        return 1;
    }
    /* gzip? look at the first bytes without losing them */
    ssize_t got = read(fd, chunk, 2);
    int failed = 0, rc = RB_OK;
    const char *why = NULL;
    int show = progress && total >= PROGRESS_MIN;
    double t0 = now_s(), last = t0;
    long long done = 0;
    if (got < 0) {
        why = strerror(errno);
        failed = 1;
    } else if (got == 2 && (unsigned char)chunk[0] == 0x1f && (unsigned char)chunk[1] == 0x8b) {
        if (lseek(fd, 0, SEEK_SET) != 0 && fd != 0) {
            why = strerror(errno);
            failed = 1;
        }
        gzFile gz = NULL;
        if (!failed) {
            /* stdin cannot seek back: hand zlib the two bytes through a pipe-free path */
            if (fd == 0) {
                fprintf(stderr, "rebound: -: gzip on stdin: pipe it through zcat\n");
                return 1;
            }
            gz = gzdopen(fd, "rb");
            if (!gz) {
                close(fd);
                fprintf(stderr, "rebound: %s: cannot open gzip stream\n", path);
                return 1;
            }
            fd = -1;
            gzbuffer(gz, 1 << 17);
        }
        while (gz && rc == RB_OK) {
            int n = gzread(gz, chunk, CHUNK);
            if (n < 0) {
                int zerr;
                why = gzerror(gz, &zerr);
                failed = 1;
                break;
            }
            if (n == 0) {
                int zerr;
                const char *m = gzerror(gz, &zerr);
                if (zerr != Z_OK) {
                    why = m;
                    failed = 1;
                }
                break;
            }
            rc = rb_ingest_feed(ig, chunk, (size_t)n, cb, ud);
            if (show && (done += n, now_s() - last > 0.5)) {
                last = now_s();
                show_progress(path, (long long)gzoffset(gz), total, t0);
            }
        }
        if (failed && why && strstr(why, "unexpected end"))
            why = "truncated gzip stream (events up to the cut were read)";
        if (gz)
            gzclose(gz);
    } else {
        size_t have = (size_t)got;
        for (;;) {
            if (have) {
                rc = rb_ingest_feed(ig, chunk, have, cb, ud);
                if (rc != RB_OK)
                    break;
                done += (long long)have;
                if (show && now_s() - last > 0.5) {
                    last = now_s();
                    show_progress(path, done, total, t0);
                }
            }
            ssize_t n = read(fd, chunk, CHUNK);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                why = strerror(errno);
                failed = 1;
                break;
            }
            if (n == 0)
                break;
            have = (size_t)n;
        }
    }
    if (fd > 0)
        close(fd);
    if (show)
        fprintf(stderr, "\r%*s\r", 60, "");
    if (rc == RB_OK)
        rc = rb_ingest_end(ig, cb, ud);
    if (rc == RB_EPARSE) {
        if (out)
            out_flush(out);
        fprintf(stderr, "rebound: %s: %s\n", path, rb_ingest_error(ig));
        return 1;
    }
    if (rc != RB_OK)
        die("%s: %s", path, rb_strerror(rc));
    if (failed) {
        if (out)
            out_flush(out);
        fprintf(stderr, "rebound: %s: %s\n", path, why ? why : "read error");
    }
    return failed;
}

/* --since/--until: ISO date or date-time, or Unix seconds */
long long cli_parse_time(const char *cmd, const char *opt, const char *s)
{
    long long t;
    int off;
    size_t n = strlen(s);
    char tmp[40];
    if (n == 10 && s[4] == '-' && s[7] == '-') { /* a date: midnight UTC */
        snprintf(tmp, sizeof tmp, "%sT00:00:00Z", s);
        s = tmp;
        n = strlen(s);
    }
    if (!ingest_parse_time(slice_make(s, n), &t, &off))
        die("%s: %s: not a date: '%s' (2024-05-01, 2024-05-01T12:00:00Z, Unix seconds)", cmd, opt,
            s);
    return t;
}

/* count_record - the callback around the caller's: counts what each message gave */
static int count_record(const rb_record *r, void *ud)
{
    struct cli_messages *m = ud;
    m->records++;
    return m->cb(r, m->ud);
}

void cli_parse_source(struct cli_messages *m, rb_parser *p, const char *path)
{
    struct msgsrc_opts opts;
    memset(&opts, 0, sizeof opts);
    struct stat st;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        opts.flags |= MSGSRC_O_ONE_PER_FILE;
    struct msgsrc *src;
    int rc = msgsrc_open(&src, path, &opts, NULL);
    if (rc != RB_OK)
        die("%s: %s", path, rb_strerror(rc));
    struct msgsrc_item it;
    for (;;) {
        rc = msgsrc_next(src, &it);
        if (rc == 1)
            break;
        if (rc != RB_OK) {
            if (m->out)
                out_flush(m->out);
            fprintf(stderr, "rebound: %s: %s\n", it.name ? it.name : path,
                    it.sys_errno ? strerror(it.sys_errno)
                    : it.why     ? it.why
                                 : rb_strerror(rc));
            m->errors++;
            continue;
        }
        m->messages++;
        m->origin = it.name;
        m->extra_defects = (it.flags & MSGSRC_F_TRUNCATED) ? RB_DEFECT_TRUNCATED : 0;
        unsigned long before = m->records;
        rc = rb_parse_message(p, it.p, it.len, count_record, m);
        if (rc != RB_OK) {
            if (m->out)
                out_flush(m->out);
            fprintf(stderr, "rebound: %s: %s\n", it.name, rb_strerror(rc));
            m->errors++;
        } else if (m->records == before && (rb_parser_defects(p) & RB_DEFECT_HIDDEN)) {
            /* nothing decoded from a message nested deeper (or split into more parts) than
             * the reader's limits: its report may be hidden there, so say so rather than
             * lose it silently */
            if (m->out)
                out_flush(m->out);
            fprintf(stderr, "rebound: %s: no record decoded: MIME nesting or part limit hit\n",
                    it.name);
            m->errors++;
        }
    }
    msgsrc_close(src);
}

/* looks_like_email - whether path holds bounce emails rather than log lines or events: a
 * directory (Maildir, a tree of messages), an mbox ("From " first), or a message (its first
 * line a header field "Name: value"). Logs, CSV and JSON start otherwise. */
int cli_looks_like_email(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* the reader says why */
    char b[512];
    ssize_t n = read(fd, b, sizeof b);
    close(fd);
    if (n <= 0)
        return 0;
    if (n >= 5 && memcmp(b, "From ", 5) == 0)
        return 1;
    ssize_t i = 0;
    while (i < n && b[i] > ' ' && b[i] < 127 && b[i] != ':')
        i++;
    return i > 0 && i + 1 < n && b[i] == ':' && (b[i + 1] == ' ' || b[i + 1] == '\t');
}
