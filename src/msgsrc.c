/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * msgsrc.c - message sources (files, mbox, Maildir, trees, stdin, gzip); see msgsrc.h.
 *
 * DESCRIPTION
 *   One "input" (a file, a pipe, a memory block) at a time is read through a window: the whole
 *   memory block or mmap'ed file (map mode) or a buffer refilled by read()/inflate (stream
 *   mode). Files are streamed by default: on the development VM (2 cores, Debian 12) read()
 *   measured 2-6x faster than mmap (page faults and munmap are costly there), and a mapped
 *   file truncated by someone else while we read it would raise SIGBUS. The current
 *   message starts at in->cur; the mbox splitter (msgsrc_find_sep) searches for the next
 *   separator from in->scan, asking for more bytes in stream mode. A directory walk feeds the
 *   inputs one after the other from a stack of sorted directory listings.
 *
 * LIMITS
 *   See msgsrc.h. Map mode (MSGSRC_O_MMAP) relies on a 64-bit address space for multi-GB
 *   files; a file that cannot be mapped is streamed instead. A regular file is read up to the
 *   size fstat() gave when it was opened (bytes appended meanwhile are not seen).
 */
#define _GNU_SOURCE /* memmem, O_CLOEXEC, madvise */
#include "msgsrc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "mem.h"

#define STDIN_NAME "<stdin>"
/* Bytes kept before the search position when the window is compacted while skipping. */
#define LOOKBEHIND 8
/* Map mode releases consumed pages of big files in steps of this many bytes. */
#define RELEASE_STEP ((size_t)64 << 20)

enum { MODE_UNDECIDED = 0, MODE_MBOX, MODE_ONE };
enum { R_END = 1 }; /* internal: input exhausted */

struct input {
    bool active;
    bool stream;   /* window buffer (else: map/memory is the window) */
    bool eof;      /* all decoded bytes are in the window */
    bool src_eof;  /* raw source exhausted */
    bool done;     /* nothing more to yield */
    bool skipping; /* dropping the rest of a truncated message */
    bool gz, gz_end, z_init;
    long gz_err; /* error met after some output: reported by the next gz_read */
    int gz_errno;
    const char *gz_why;
    bool one; /* file must be read as one message (Maildir entry, option) */
    int mode;
    int fd; /* -1 when none */
    bool own_fd;
    const char *mem; /* raw memory source (mmap or caller's), or NULL */
    size_t mem_len, mem_pos;
    size_t fsize, fread; /* regular file: size at open (0 = unknown) and bytes read */
    void *map;           /* to munmap */
    size_t map_len, released;
    const char *w; /* window */
    size_t wlen;
    size_t cur;  /* start of the current message (its From_ line, if any) */
    size_t scan; /* separator search resumes here */
    size_t msgno;
    z_stream z;
    unsigned char *zin;
    struct buf path; /* owned copy of the input's path */
};

struct dent {
    const char *name;   /* into the frame's blob (set once the listing is complete) */
    size_t off;         /* offset of the name in the blob while listing */
    unsigned char sub;  /* 0 = plain, 1 = cur/, 2 = new/ */
    unsigned char type; /* d_type from readdir */
};

struct frame {
    char *dir;  /* owned, NUL-terminated */
    char *blob; /* owned names, NUL-separated */
    struct dent *ents;
    size_t n, i;
    bool maildir;
};

struct msgsrc {
    const rb_mem *mem;
    unsigned oflags;
    size_t max_message, chunk;
    /* pending root */
    bool root_pending;
    int root_fd;          /* open_fd */
    const char *root_mem; /* open_mem */
    size_t root_mem_len;
    bool root_is_fd, root_is_mem;
    struct buf root; /* root path or name */
    /* walk */
    struct frame stack[MSGSRC_MAX_DEPTH + 1];
    size_t depth;
    struct buf pathbuf; /* path being visited (error items point here) */
    /* current input and per-message buffers */
    struct input in;
    struct buf win;  /* stream window */
    struct buf conv; /* EOL / unquote conversion */
    struct buf name; /* item display name */
};

/* ---- Pure helpers --------------------------------------------------------------------- */

static inline bool is_lb(char c)
{
    return c == '\n' || c == '\r';
}

static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool msgsrc_is_from_line(const char *p, size_t n)
{
    if (n < 5 || memcmp(p, "From ", 5) != 0)
        return false;
    size_t i = 5;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i >= n || p[i] == ':')
        return false;
    while (i < n && p[i] != ' ' && p[i] != '\t') /* the sender */
        i++;
    for (; i + 2 < n; i++) /* the date: look for its time, "hh:mm" or "h:m" */
        if (p[i + 1] == ':' && is_digit(p[i]) && is_digit(p[i + 2]))
            return true;
    return false;
}

/* find_lb - index of the first '\r' or '\n' in p[i, lim), or lim. */
static size_t find_lb(const char *p, size_t i, size_t lim)
{
    for (; i < lim; i++)
        if (is_lb(p[i]))
            break;
    return i;
}

/* blank_before - p[k-1] is a line end: is the line that it ends empty? */
static bool blank_before(const char *p, size_t k)
{
    size_t s = k - 1; /* start of the line end before k */
    if (p[s] == '\n' && s > 0 && p[s - 1] == '\r')
        s--;
    return s > 0 && is_lb(p[s - 1]);
}

/* find_from - first "From " in p[i, len), or NULL. memchr for 'F' then a check: about 3x
 * faster than glibc memmem on mail (its short-needle loop goes byte by byte). */
static const char *find_from(const char *p, size_t i, size_t len)
{
    while (i + 5 <= len) {
        const char *q = memchr(p + i, 'F', len - i - 4);
        if (!q)
            return NULL;
        if (q[1] == 'r' && q[2] == 'o' && q[3] == 'm' && q[4] == ' ')
            return q;
        i = (size_t)(q - p) + 1;
    }
    return NULL;
}

int msgsrc_find_sep(const char *p, size_t len, size_t from, bool eof, size_t *pos, size_t *nquoted)
{
    size_t i = from ? from : 1;
    while (i < len) {
        const char *h = find_from(p, i, len);
        if (!h)
            break;
        size_t k = (size_t)(h - p);
        if (is_lb(p[k - 1])) {
            if (blank_before(p, k)) {
                size_t lim = len - k > MSGSRC_MAX_FROMLINE ? k + MSGSRC_MAX_FROMLINE : len;
                size_t e = find_lb(p, k, lim);
                if (e == len && !eof) {
                    *pos = k; /* the From_ line is not complete yet */
                    return MSGSRC_SEP_MORE;
                }
                if (e < lim || e == len) {
                    if (msgsrc_is_from_line(p + k, e - k)) {
                        *pos = k;
                        return MSGSRC_SEP_FOUND;
                    }
                }
            }
        } else if (p[k - 1] == '>' && nquoted) {
            size_t j = k - 1;
            while (j > 0 && p[j - 1] == '>')
                j--;
            if (j == 0 || is_lb(p[j - 1]))
                (*nquoted)++;
        }
        i = k + 1;
    }
    if (eof) {
        *pos = len;
        return MSGSRC_SEP_NONE;
    }
    /* a "From " may straddle the end: resume 4 bytes back, never before from */
    *pos = len >= 4 && len - 4 > i ? len - 4 : (i < len ? i : len);
    if (*pos < from)
        *pos = from;
    return MSGSRC_SEP_MORE;
}

/* quoted_from_at - does a line starting at p[i] match ^>+From ? */
static bool quoted_from_at(const char *p, size_t len, size_t i)
{
    size_t j = i;
    while (j < len && p[j] == '>')
        j++;
    return j > i && len - j >= 5 && memcmp(p + j, "From ", 5) == 0;
}

/* has_quoted_from - any line matching ^>+From in (p, len)? */
static bool has_quoted_from(const char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        const char *h = memmem(p + i, len - i, ">From ", 6);
        if (!h)
            return false;
        size_t j = (size_t)(h - p);
        while (j > 0 && p[j - 1] == '>')
            j--;
        if (j == 0 || is_lb(p[j - 1]))
            return true;
        i = (size_t)(h - p) + 1;
    }
    return false;
}

/* normalize - msgsrc_normalize, also telling whether lines were unquoted. */
static int normalize(const char *p, size_t len, bool unquote, struct buf *conv, struct slice *out,
                     int *eol, bool *copied, bool *unquoted)
{
    if (unquote && !has_quoted_from(p, len))
        unquote = false;
    *unquoted = unquote;
    if (!unquote && !memchr(p, '\r', len)) {
        *out = slice_make(p, len);
        *eol = memchr(p, '\n', len) ? MSGSRC_EOL_LF : MSGSRC_EOL_NONE;
        *copied = false;
        return RB_OK;
    }
    buf_reset(conv);
    int rc = buf_reserve(conv, len);
    if (rc != RB_OK)
        return rc;
    char *d = conv->p;
    size_t o = 0, nlf = 0, ncrlf = 0, ncr = 0;
    bool bol = true;
    for (size_t i = 0; i < len;) {
        if (bol && unquote && p[i] == '>' && quoted_from_at(p, len, i))
            i++; /* drop one '>' */
        bol = false;
        char c = p[i++];
        if (c == '\r') {
            if (i < len && p[i] == '\n') {
                i++;
                ncrlf++;
            } else {
                ncr++;
            }
            c = '\n';
            bol = true;
        } else if (c == '\n') {
            nlf++;
            bol = true;
        }
        d[o++] = c;
    }
    /* XXX writes past buf_reserve directly (no append-n-by-hand API in buf.h); o <= len. */
    conv->len = o;
    d[o] = '\0';
    int kinds = (nlf > 0) + (ncrlf > 0) + (ncr > 0);
    *eol = kinds > 1 ? MSGSRC_EOL_MIXED
           : nlf     ? MSGSRC_EOL_LF
           : ncrlf   ? MSGSRC_EOL_CRLF
           : ncr     ? MSGSRC_EOL_CR
                     : MSGSRC_EOL_NONE;
    *out = slice_make(conv->p, o);
    *copied = true;
    return RB_OK;
}

int msgsrc_normalize(const char *p, size_t len, bool unquote, struct buf *conv, struct slice *out,
                     int *eol, bool *copied)
{
    bool unquoted;
    return normalize(p, len, unquote, conv, out, eol, copied, &unquoted);
}

/* ---- Raw reading and gzip ------------------------------------------------------------- */

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    const struct msgsrc *s = opaque;
    return mem_calloc(s->mem, items, size);
}

static void z_free(voidpf opaque, voidpf p)
{
    const struct msgsrc *s = opaque;
    mem_free(s->mem, p);
}

/* raw_read - up to n raw bytes of the input into dst; returns bytes, 0 at end, or RB_EIO with
 * *err = errno. */
static long raw_read(struct msgsrc *s, struct input *in, void *dst, size_t n, int *err)
{
    if (n > s->chunk)
        n = s->chunk;
    if (in->mem) {
        size_t left = in->mem_len - in->mem_pos;
        if (n > left)
            n = left;
        memcpy(dst, in->mem + in->mem_pos, n);
        in->mem_pos += n;
        return (long)n;
    }
    if (in->fsize && in->fread >= in->fsize)
        return 0; /* saves the read() that would return 0 */
    for (;;) {
        ssize_t r = read(in->fd, dst, n);
        if (r >= 0) {
            in->fread += (size_t)r;
            return (long)r;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            /* a non-blocking pipe handed to us: wait for data without spinning */
            struct pollfd pfd = {in->fd, POLLIN, 0};
            (void)poll(&pfd, 1, -1);
            continue;
        }
        *err = errno;
        return RB_EIO;
    }
}

/* gz_read - inflate up to n bytes into dst; returns bytes, 0 at the end of the last member,
 * RB_EPARSE (truncated/corrupt, *why set), RB_EIO or RB_ENOMEM. */
static long gz_inflate(struct msgsrc *s, struct input *in, char *dst, size_t n, int *err,
                       const char **why);

static long gz_read(struct msgsrc *s, struct input *in, char *dst, size_t n, int *err,
                    const char **why)
{
    if (n > UINT32_MAX)
        n = UINT32_MAX;
    if (in->gz_err) {
        *err = in->gz_errno;
        *why = in->gz_why;
        return in->gz_err;
    }
    long r = gz_inflate(s, in, dst, n, err, why);
    if (r < 0 && in->z.avail_out < n) {
        /* deliver what was decoded before the error first */
        in->gz_err = r;
        in->gz_errno = *err;
        in->gz_why = *why;
        return (long)(n - in->z.avail_out);
    }
    return r;
}

static long gz_inflate(struct msgsrc *s, struct input *in, char *dst, size_t n, int *err,
                       const char **why)
{
    z_stream *z = &in->z;
    if (n > UINT32_MAX)
        n = UINT32_MAX;
    z->next_out = (Bytef *)dst;
    z->avail_out = (uInt)n;
    while (z->avail_out == n) {
        if (z->avail_in == 0 && !in->src_eof) {
            long r = raw_read(s, in, in->zin, MSGSRC_CHUNK, err);
            if (r < 0)
                return r;
            if (r == 0)
                in->src_eof = true;
            z->next_in = in->zin;
            z->avail_in = (uInt)r;
        }
        if (in->gz_end) {
            /* between members: another member follows only if it starts with the magic */
            if (z->avail_in == 0 || z->next_in[0] != 0x1f)
                return 0; /* end (trailing bytes that are not gzip are ignored, as gzip does) */
            if (inflateReset(z) != Z_OK)
                return RB_ENOMEM;
            in->gz_end = false;
        }
        int zr = inflate(z, Z_NO_FLUSH);
        if (zr == Z_STREAM_END) {
            in->gz_end = true;
        } else if (zr == Z_MEM_ERROR) {
            return RB_ENOMEM;
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            *why = "corrupt gzip data";
            return RB_EPARSE;
        } else if (zr == Z_BUF_ERROR && z->avail_in == 0 && in->src_eof && z->avail_out == n) {
            *why = "truncated gzip stream"; /* input ended inside a member */
            return RB_EPARSE;
        }
    }
    return (long)(n - z->avail_out);
}

/* gz_start - switch the input to gzip decoding; the raw bytes already in the window (nraw)
 * become the first inflate input. */
static int gz_start(struct msgsrc *s, struct input *in, const char *raw, size_t nraw)
{
    in->zin = mem_alloc(s->mem, MSGSRC_CHUNK > nraw ? MSGSRC_CHUNK : nraw);
    if (!in->zin)
        return RB_ENOMEM;
    memset(&in->z, 0, sizeof in->z);
    in->z.zalloc = z_alloc;
    in->z.zfree = z_free;
    in->z.opaque = s;
    if (inflateInit2(&in->z, 15 + 16) != Z_OK)
        return RB_ENOMEM;
    in->z_init = true;
    in->gz = true;
    if (nraw)
        memcpy(in->zin, raw, nraw);
    in->z.next_in = in->zin;
    in->z.avail_in = (uInt)nraw;
    return RB_OK;
}

/* ---- Inputs ----------------------------------------------------------------------------- */

static void input_close(struct msgsrc *s)
{
    struct input *in = &s->in;
    if (in->map)
        munmap(in->map, in->map_len);
    if (in->own_fd && in->fd >= 0)
        close(in->fd);
    if (in->z_init)
        inflateEnd(&in->z);
    mem_free(s->mem, in->zin);
    struct buf path = in->path;
    memset(in, 0, sizeof *in);
    in->fd = -1;
    in->path = path;
    buf_reset(&in->path);
    buf_reset(&s->win);
}

/* input_begin - common set-up; path is copied. */
static int input_begin(struct msgsrc *s, const char *path, bool one)
{
    struct input *in = &s->in;
    input_close(s);
    in->active = true;
    in->one = one || (s->oflags & MSGSRC_O_ONE_PER_FILE);
    in->fd = -1;
    int rc = buf_puts(&in->path, path);
    if (rc != RB_OK)
        input_close(s);
    return rc;
}

/* input_map - use memory (p, len) as the input: as the window itself, or streamed when
 * gzip'd or when force_stream (MSGSRC_O_STREAM). */
static int input_map(struct msgsrc *s, const char *p, size_t len, bool force_stream)
{
    struct input *in = &s->in;
    in->mem = p;
    in->mem_len = len;
    if (len >= 2 && (unsigned char)p[0] == 0x1f && (unsigned char)p[1] == 0x8b) {
        in->stream = true;
        return gz_start(s, in, NULL, 0);
    }
    if (force_stream) {
        in->stream = true;
        return RB_OK;
    }
    in->w = p;
    in->wlen = len;
    in->eof = in->src_eof = true;
    return RB_OK;
}

/* input_fill - append decoded bytes to the stream window, compacting it first (drops bytes
 * before in->cur). Returns bytes added (> 0), 0 at end (in->eof set), or an RB_E* error. */
static long input_fill(struct msgsrc *s, int *err, const char **why)
{
    struct input *in = &s->in;
    if (!in->stream || in->eof) {
        in->eof = true;
        return 0;
    }
    if (in->cur > 0) {
        size_t keep = s->win.len - in->cur;
        memmove(s->win.p, s->win.p + in->cur, keep);
        buf_truncate(&s->win, keep);
        in->scan = in->scan > in->cur ? in->scan - in->cur : 0;
        in->cur = 0;
    }
    size_t cap = s->win.cap;
    size_t n = s->chunk;
    if (n > cap - s->win.len)
        n = cap - s->win.len;
    if (n == 0)
        return RB_ETOOBIG; /* cannot happen: the callers truncate before the window is full */
    int rc = buf_reserve(&s->win, n);
    if (rc != RB_OK)
        return rc;
    long got;
    char *dst = s->win.p + s->win.len;
    if (in->gz) {
        got = gz_read(s, in, dst, n, err, why);
    } else {
        got = raw_read(s, in, dst, n, err);
        if (got > 0 && s->win.len == 0 && in->msgno == 0 && (size_t)got >= 2 &&
            (unsigned char)dst[0] == 0x1f && (unsigned char)dst[1] == 0x8b) {
            /* first bytes are the gzip magic: what was read is compressed input */
            rc = gz_start(s, in, dst, (size_t)got);
            if (rc != RB_OK)
                return rc;
            got = gz_read(s, in, dst, n, err, why);
        }
    }
    if (got < 0)
        return got;
    if (got == 0) {
        in->eof = true;
        in->src_eof = true;
    }
    s->win.len += (size_t)got;
    s->win.p[s->win.len] = '\0';
    in->w = s->win.p;
    in->wlen = s->win.len;
    return got;
}

/* ---- Message extraction -------------------------------------------------------------- */

/* set_name - "path" or "path#N" into s->name. */
static int set_name(struct msgsrc *s, size_t n)
{
    buf_reset(&s->name);
    int rc = buf_append(&s->name, s->in.path.p, s->in.path.len);
    if (rc == RB_OK && n)
        rc = buf_printf(&s->name, "#%zu", n);
    return rc;
}

/* item_error - fill *item for an error about the current input; returns err. */
static int item_error(struct msgsrc *s, struct msgsrc_item *item, const char *path, int err,
                      int sys_errno, const char *why)
{
    memset(item, 0, sizeof *item);
    item->name = path;
    item->path = path;
    item->err = err;
    item->sys_errno = sys_errno;
    item->why = why;
    (void)s;
    return err;
}

/* input_error - error for the current input, which is then abandoned. */
static int input_error(struct msgsrc *s, struct msgsrc_item *item, long rc, int sys_errno,
                       const char *why)
{
    struct input *in = &s->in;
    const char *name = in->path.p;
    if (in->mode == MODE_MBOX && in->msgno && set_name(s, in->msgno + 1) == RB_OK)
        name = s->name.p;
    in->done = true;
    item_error(s, item, name, (int)rc, sys_errno, why);
    item->path = in->path.p;
    return (int)rc;
}

/* line_end - for the line starting at i: *e = index of its line end (or wlen), *next = start
 * of the following line. Returns 0, 1 when more bytes are needed, or 2 when the line is longer
 * than limit (only the first limit bytes were examined). */
static int line_end(const struct input *in, size_t i, size_t limit, size_t *e, size_t *next)
{
    size_t lim = in->wlen - i > limit ? i + limit : in->wlen;
    size_t k = find_lb(in->w, i, lim);
    if (k == lim) {
        if (lim < in->wlen)
            return 2;
        if (!in->eof)
            return 1;
        *e = *next = k;
        return 0;
    }
    *e = k;
    if (in->w[k] == '\r') {
        if (k + 1 == in->wlen && !in->eof)
            return 1;
        *next = k + 1 < in->wlen && in->w[k + 1] == '\n' ? k + 2 : k + 1;
    } else {
        *next = k + 1;
    }
    return 0;
}

/* strip_blank - drop one trailing empty line from [c, end): the mbox separator line. */
static size_t strip_blank(const char *p, size_t c, size_t end)
{
    if (end == c || !is_lb(p[end - 1]))
        return end;
    size_t s = end - 1;
    if (p[s] == '\n' && s > c && p[s - 1] == '\r')
        s--;
    if (s == c || is_lb(p[s - 1]))
        return s;
    return end;
}

/* input_next - next message of the current input: RB_OK, R_END or an error. */
static int input_next(struct msgsrc *s, struct msgsrc_item *item)
{
    struct input *in = &s->in;
    int err = 0;
    const char *why = NULL;
    long fr;

    if (in->done)
        return R_END;

    /* Skipping the remainder of a truncated message (stream mode only). */
    while (in->skipping) {
        if (in->mode == MODE_ONE) {
            in->cur = in->wlen;
            fr = input_fill(s, &err, &why);
            if (fr < 0)
                return input_error(s, item, fr, err, why);
            if (fr == 0)
                return R_END;
            continue;
        }
        size_t pos;
        int r = msgsrc_find_sep(in->w, in->wlen, in->scan, in->eof, &pos, NULL);
        if (r == MSGSRC_SEP_FOUND) {
            in->cur = in->scan = pos;
            in->skipping = false;
        } else if (r == MSGSRC_SEP_NONE) {
            return R_END;
        } else {
            in->scan = pos;
            in->cur = pos > LOOKBEHIND ? pos - LOOKBEHIND : 0;
            fr = input_fill(s, &err, &why);
            if (fr < 0)
                return input_error(s, item, fr, err, why);
        }
    }

    /* Make sure the first line of the message (or of the input) is in the window. */
    size_t e = 0, next = 0;
    int lr;
    while ((lr = line_end(in, in->cur, MSGSRC_MAX_FROMLINE, &e, &next)) == 1) {
        fr = input_fill(s, &err, &why);
        if (fr < 0)
            return input_error(s, item, fr, err, why);
    }
    if (lr == 2)
        e = next = in->cur; /* a long first line: not a From_ line */
    if (in->cur >= in->wlen && in->eof)
        return R_END; /* empty input, or nothing after the last message */

    bool from_line = e > in->cur && msgsrc_is_from_line(in->w + in->cur, e - in->cur);
    if (in->mode == MODE_UNDECIDED)
        in->mode = from_line && !in->one ? MODE_MBOX : MODE_ONE;

    /* The message content starts after the From_ line. */
    size_t c = in->cur;
    const char *env = NULL;
    size_t env_len = 0;
    if (from_line) {
        c = next;
        env = in->w + in->cur + 5;
        env_len = e - in->cur - 5;
    }
    size_t env_off = env ? (size_t)(env - in->w) - in->cur : 0;

    size_t end, after;
    bool truncated = false;
    size_t nquoted = 0;
    if (in->mode == MODE_MBOX) {
        in->scan = c > in->scan ? c : in->scan;
        for (;;) {
            size_t pos;
            int r = msgsrc_find_sep(in->w, in->wlen, in->scan, in->eof, &pos, &nquoted);
            if (r == MSGSRC_SEP_FOUND) {
                end = strip_blank(in->w, c, pos);
                after = pos;
                break;
            }
            if (r == MSGSRC_SEP_NONE) {
                end = strip_blank(in->w, c, in->wlen);
                after = in->wlen;
                break;
            }
            in->scan = pos;
            /* + 2: the separator's empty line (up to CRLF) is not part of the message */
            if (pos - c > s->max_message + 2) {
                truncated = true;
                end = c + s->max_message;
                after = 0;
                break;
            }
            size_t cshift = in->cur;
            fr = input_fill(s, &err, &why);
            if (fr < 0)
                return input_error(s, item, fr, err, why);
            c -= cshift - in->cur; /* the window was compacted */
        }
    } else {
        for (;;) {
            if (in->eof) {
                end = after = in->wlen;
                break;
            }
            if (in->wlen - c > s->max_message) {
                truncated = true;
                end = c + s->max_message;
                after = 0;
                break;
            }
            size_t cshift = in->cur;
            fr = input_fill(s, &err, &why);
            if (fr < 0)
                return input_error(s, item, fr, err, why);
            c -= cshift - in->cur;
        }
    }
    if (env)
        env = in->w + in->cur + env_off;
    if (end - c > s->max_message) { /* map mode: the whole message is there */
        truncated = true;
        end = c + s->max_message;
    }

    in->msgno++;
    memset(item, 0, sizeof *item);
    struct slice msg;
    bool copied, unquoted;
    int rc =
        normalize(in->w + c, end - c, nquoted > 0, &s->conv, &msg, &item->eol, &copied, &unquoted);
    if (rc != RB_OK)
        return input_error(s, item, rc, 0, NULL);

    /* Where the next message starts. */
    if (truncated && after == 0) {
        in->skipping = true; /* stream mode: the rest is not in the window */
        in->cur = in->scan;
    } else if (after >= in->wlen && in->eof) {
        in->done = true;
        in->cur = in->wlen;
    } else {
        in->cur = in->scan = after;
    }

    bool mbox = in->mode == MODE_MBOX;
    /* "path" for an mbox of one message; a truncated one keeps "#1": in stream mode whether
     * another message follows is not known yet */
    bool only = in->msgno == 1 && in->done && !truncated;
    rc = set_name(s, mbox && !only ? in->msgno : 0);
    if (rc != RB_OK)
        return input_error(s, item, rc, 0, NULL);
    item->p = msg.p;
    item->len = msg.len;
    item->name = s->name.p;
    item->path = in->path.p;
    item->index = mbox ? in->msgno : 0;
    item->envelope = env;
    item->envelope_len = env_len;
    item->flags = (truncated ? MSGSRC_F_TRUNCATED : 0) | (copied ? MSGSRC_F_COPIED : 0) |
                  (mbox ? MSGSRC_F_MBOX : 0) | (in->gz ? MSGSRC_F_GZIP : 0) |
                  (unquoted ? MSGSRC_F_UNQUOTED : 0);

    /* Release pages of a big mapping that are behind us (they are file-backed: no data loss). */
    if (in->map && in->cur - in->released >= RELEASE_STEP) {
        size_t pg = (size_t)sysconf(_SC_PAGESIZE);
        size_t upto = (in->cur - RELEASE_STEP / 2) / pg * pg;
        if (upto > in->released) {
            madvise((char *)in->map + in->released, upto - in->released, MADV_DONTNEED);
            in->released = upto;
        }
    }
    return RB_OK;
}

/* ---- Opening files ------------------------------------------------------------------- */

/* open_file - open path as the current input. tree: inside a walk (non-regular files are an
 * error). Returns RB_OK or an error item. */
static int open_file(struct msgsrc *s, struct msgsrc_item *item, const char *path, bool tree,
                     bool one)
{
    int rc = input_begin(s, path, one);
    struct input *in = &s->in;
    int e = 0;
    const char *why = NULL;
    if (rc != RB_OK)
        goto fail;
    int fd = open(path, O_RDONLY | O_CLOEXEC | (tree ? O_NONBLOCK : 0));
    if (fd < 0) {
        e = errno;
        rc = RB_EIO;
        goto fail;
    }
    in->fd = fd;
    in->own_fd = true;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        e = errno;
        rc = RB_EIO;
        goto fail;
    }
    if (S_ISDIR(st.st_mode)) {
        e = EISDIR;
        rc = RB_EINVAL;
        why = "is a directory";
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        if (tree) {
            rc = RB_EINVAL;
            why = "not a regular file";
            goto fail;
        }
        in->stream = true; /* a pipe or device named explicitly */
        return RB_OK;
    }
    if (st.st_size > 0 && (uintmax_t)st.st_size <= SIZE_MAX)
        in->fsize = (size_t)st.st_size;
    if (in->fsize && (s->oflags & MSGSRC_O_MMAP)) {
        size_t len = (size_t)st.st_size;
        void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            (void)madvise(m, len, MADV_SEQUENTIAL);
            in->map = m;
            in->map_len = len;
            close(fd);
            in->fd = -1;
            in->own_fd = false;
            rc = input_map(s, m, len, false);
            if (rc != RB_OK)
                goto fail;
            return RB_OK;
        }
    }
    in->stream = true; /* the default; or empty per stat (maybe /proc), or mmap refused */
    return RB_OK;
fail:
    input_close(s); /* path (s->pathbuf or s->root) stays valid for the item */
    return item_error(s, item, path, rc, e, why);
}

/* ---- Directory walk ------------------------------------------------------------------ */

static int dent_cmp(const void *a, const void *b)
{
    const struct dent *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (int)x->sub - (int)y->sub;
}

static void frame_free(struct msgsrc *s, struct frame *f)
{
    mem_free(s->mem, f->dir);
    mem_free(s->mem, f->blob);
    mem_free(s->mem, f->ents);
    memset(f, 0, sizeof *f);
}

/* join - dir + "/" + sub + name into s->pathbuf. */
static int join(struct msgsrc *s, const char *dir, const char *sub, const char *name)
{
    buf_reset(&s->pathbuf);
    int rc = buf_puts(&s->pathbuf, dir);
    size_t n = strlen(dir);
    if (rc == RB_OK && (n == 0 || dir[n - 1] != '/'))
        rc = buf_putc(&s->pathbuf, '/');
    if (rc == RB_OK && sub)
        rc = buf_puts(&s->pathbuf, sub);
    if (rc == RB_OK)
        rc = buf_puts(&s->pathbuf, name);
    return rc;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* list_dir - append the non-dot names of dir to blob (as offsets in offs). */
static int list_dir(struct msgsrc *s, const char *dir, unsigned char sub, struct buf *blob,
                    struct buf *offs, int *sys_errno)
{
    DIR *d = opendir(dir);
    if (!d) {
        *sys_errno = errno;
        return RB_EIO;
    }
    int rc = RB_OK;
    struct dirent *de;
    (void)s;
    for (;;) {
        errno = 0;
        de = readdir(d);
        if (!de) {
            if (errno) {
                *sys_errno = errno;
                rc = RB_EIO;
            }
            break;
        }
        if (de->d_name[0] == '.')
            continue;
        if (offs->len / sizeof(struct dent) >= MSGSRC_MAX_DIR_ENTRIES) {
            rc = RB_ETOOBIG;
            break;
        }
        struct dent ent = {NULL, blob->len, sub, de->d_type};
        rc = buf_append(offs, &ent, sizeof ent);
        if (rc == RB_OK)
            rc = buf_append(blob, de->d_name, strlen(de->d_name) + 1);
        if (rc != RB_OK)
            break;
    }
    closedir(d);
    return rc;
}

/* push_dir - list path (copied from s->pathbuf or the root) and push it on the stack.
 * Returns RB_OK or an error item. */
static int push_dir(struct msgsrc *s, struct msgsrc_item *item, const char *path)
{
    if (s->depth > MSGSRC_MAX_DEPTH)
        return item_error(s, item, path, RB_ETOOBIG, 0, "directory nesting too deep");
    struct buf blob, offs, tmp;
    buf_init(&blob, SIZE_MAX / 2, s->mem);
    buf_init(&offs, MSGSRC_MAX_DIR_ENTRIES * sizeof(struct dent), s->mem);
    buf_init(&tmp, MSGSRC_MAX_PATH, s->mem);
    int rc = RB_OK, sys_errno = 0;
    const char *why = NULL;
    bool maildir = false;
    struct frame *f = &s->stack[s->depth];

    rc = buf_puts(&tmp, path);
    if (rc == RB_OK && (rc = join(s, tmp.p, "cur", "")) == RB_OK && is_dir(s->pathbuf.p) &&
        (rc = join(s, tmp.p, "new", "")) == RB_OK && is_dir(s->pathbuf.p))
        maildir = true;
    if (rc != RB_OK)
        goto out;
    if (maildir) {
        rc = join(s, tmp.p, "cur", "");
        if (rc == RB_OK)
            rc = list_dir(s, s->pathbuf.p, 1, &blob, &offs, &sys_errno);
        if (rc == RB_OK)
            rc = join(s, tmp.p, "new", "");
        if (rc == RB_OK)
            rc = list_dir(s, s->pathbuf.p, 2, &blob, &offs, &sys_errno);
    } else {
        rc = list_dir(s, tmp.p, 0, &blob, &offs, &sys_errno);
    }
    if (rc != RB_OK)
        goto out;
    memset(f, 0, sizeof *f);
    f->n = offs.len / sizeof(struct dent);
    f->maildir = maildir;
    f->ents = (struct dent *)(void *)offs.p;
    f->blob = blob.p;
    f->dir = tmp.p;
    for (size_t i = 0; i < f->n; i++)
        f->ents[i].name = blob.p + f->ents[i].off;
    if (f->n > 1)
        qsort(f->ents, f->n, sizeof *f->ents, dent_cmp);
    s->depth++;
    return RB_OK;
out:
    if (rc == RB_ETOOBIG && !why)
        why = "directory too large";
    buf_free(&blob);
    buf_free(&offs);
    /* the error item names the directory: keep the path in pathbuf */
    buf_reset(&s->pathbuf);
    if (buf_append(&s->pathbuf, tmp.p ? tmp.p : "", tmp.len) != RB_OK)
        buf_reset(&s->pathbuf);
    buf_free(&tmp);
    return item_error(s, item, s->pathbuf.p ? s->pathbuf.p : "", rc, sys_errno, why);
}

/* walk_step - visit the next directory entry: opens a file, pushes a directory, or returns an
 * error item. Returns RB_OK (look again), R_END (walk finished) or an error. */
static int walk_step(struct msgsrc *s, struct msgsrc_item *item)
{
    while (s->depth > 0) {
        struct frame *f = &s->stack[s->depth - 1];
        if (f->i == f->n) {
            frame_free(s, f);
            s->depth--;
            continue;
        }
        struct dent *d = &f->ents[f->i++];
        int rc = join(s, f->dir, d->sub == 1 ? "cur/" : d->sub == 2 ? "new/" : NULL, d->name);
        if (rc != RB_OK)
            return item_error(s, item, f->dir, rc, 0, "path too long");
        const char *path = s->pathbuf.p;
        struct stat st;
        if (d->type == DT_REG) /* open_file checks again with fstat: no lstat needed */
            return open_file(s, item, path, true, f->maildir);
        if (lstat(path, &st) != 0)
            return item_error(s, item, path, RB_EIO, errno, NULL);
        if (S_ISLNK(st.st_mode)) {
            if (stat(path, &st) != 0)
                return item_error(s, item, path, RB_EIO, errno, NULL);
            if (S_ISDIR(st.st_mode))
                continue; /* symlinked directories are not followed: no loops */
        }
        if (S_ISDIR(st.st_mode)) {
            if (f->maildir)
                continue; /* a directory inside cur/ or new/ is not a message */
            rc = push_dir(s, item, path);
            if (rc != RB_OK)
                return rc;
            continue;
        }
        if (!S_ISREG(st.st_mode))
            return item_error(s, item, path, RB_EINVAL, 0, "not a regular file");
        return open_file(s, item, path, true, f->maildir);
    }
    return R_END;
}

/* ---- Public API ---------------------------------------------------------------------- */

static int src_new(struct msgsrc **out, const char *name, const struct msgsrc_opts *opts,
                   const rb_mem *mem)
{
    if (!out || !name)
        return RB_EINVAL;
    *out = NULL;
    struct msgsrc *s = mem_calloc(mem, 1, sizeof *s);
    if (!s)
        return RB_ENOMEM;
    s->mem = mem;
    s->oflags = opts ? opts->flags : 0;
    s->max_message = opts && opts->max_message ? opts->max_message : RB_MAX_MESSAGE;
    s->chunk = opts && opts->chunk ? opts->chunk : MSGSRC_CHUNK;
    if (s->max_message > SIZE_MAX / 4)
        s->max_message = SIZE_MAX / 4;
    buf_init(&s->root, MSGSRC_MAX_PATH, mem);
    buf_init(&s->pathbuf, MSGSRC_MAX_PATH, mem);
    buf_init(&s->in.path, MSGSRC_MAX_PATH, mem);
    buf_init(&s->name, MSGSRC_MAX_PATH + 32, mem);
    buf_init(&s->conv, s->max_message, mem);
    buf_init(&s->win, s->max_message + 2 * MSGSRC_MAX_FROMLINE + s->chunk + 64, mem);
    s->in.fd = -1;
    s->root_fd = -1;
    int rc = buf_puts(&s->root, name);
    if (rc != RB_OK) {
        msgsrc_close(s);
        return rc;
    }
    s->root_pending = true;
    *out = s;
    return RB_OK;
}

int msgsrc_open(struct msgsrc **out, const char *path, const struct msgsrc_opts *opts,
                const rb_mem *mem)
{
    return src_new(out, path, opts, mem);
}

int msgsrc_open_fd(struct msgsrc **out, int fd, const char *name, const struct msgsrc_opts *opts,
                   const rb_mem *mem)
{
    if (fd < 0)
        return RB_EINVAL;
    int rc = src_new(out, name ? name : STDIN_NAME, opts, mem);
    if (rc == RB_OK) {
        (*out)->root_is_fd = true;
        (*out)->root_fd = fd;
    }
    return rc;
}

int msgsrc_open_mem(struct msgsrc **out, const char *p, size_t len, const char *name,
                    const struct msgsrc_opts *opts, const rb_mem *mem)
{
    if (!p && len)
        return RB_EINVAL;
    int rc = src_new(out, name ? name : "<memory>", opts, mem);
    if (rc == RB_OK) {
        (*out)->root_is_mem = true;
        (*out)->root_mem = p ? p : "";
        (*out)->root_mem_len = len;
    }
    return rc;
}

/* open_root - start on the root given to msgsrc_open*: RB_OK or an error item. */
static int open_root(struct msgsrc *s, struct msgsrc_item *item)
{
    const char *root = s->root.p;
    int rc;
    s->root_pending = false;
    if (s->root_is_mem || s->root_is_fd || strcmp(root, "-") == 0) {
        rc = input_begin(s, s->root_is_mem || s->root_is_fd ? root : STDIN_NAME, false);
        if (rc != RB_OK)
            return item_error(s, item, root, rc, 0, NULL);
        if (s->root_is_mem) {
            rc = input_map(s, s->root_mem, s->root_mem_len, s->oflags & MSGSRC_O_STREAM);
            if (rc != RB_OK) {
                input_close(s);
                return item_error(s, item, root, rc, 0, NULL);
            }
        } else {
            s->in.fd = s->root_is_fd ? s->root_fd : STDIN_FILENO;
            s->in.stream = true;
        }
        return RB_OK;
    }
    struct stat st;
    if (stat(root, &st) != 0)
        return item_error(s, item, root, RB_EIO, errno, NULL);
    if (S_ISDIR(st.st_mode))
        return push_dir(s, item, root);
    return open_file(s, item, root, false, false);
}

int msgsrc_next(struct msgsrc *s, struct msgsrc_item *item)
{
    if (!s || !item)
        return RB_EINVAL;
    for (;;) {
        if (s->in.active) {
            int rc = input_next(s, item);
            if (rc != R_END)
                return rc;
            input_close(s);
            continue;
        }
        if (s->root_pending) {
            int rc = open_root(s, item);
            if (rc != RB_OK)
                return rc;
            continue;
        }
        int rc = walk_step(s, item);
        if (rc == R_END) {
            memset(item, 0, sizeof *item);
            return 1;
        }
        if (rc != RB_OK)
            return rc;
    }
}

struct msgsrc *msgsrc_close(struct msgsrc *s)
{
    if (!s)
        return NULL;
    input_close(s);
    while (s->depth > 0)
        frame_free(s, &s->stack[--s->depth]);
    buf_free(&s->in.path);
    buf_free(&s->root);
    buf_free(&s->pathbuf);
    buf_free(&s->name);
    buf_free(&s->conv);
    buf_free(&s->win);
    mem_free(s->mem, s);
    return NULL;
}
