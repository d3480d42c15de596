/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * msgsrc.h - message sources: yield one email at a time from files, mbox, Maildir, trees, stdin.
 *
 * DESCRIPTION
 *   msgsrc_open() takes a path: a message file, an mbox file, a Maildir (a directory with cur/
 *   and new/), any other directory (walked recursively), or "-" for stdin. msgsrc_next() then
 *   yields one message per call as a contiguous (p, len) with LF line ends, a display name and
 *   the line-end style the input had. Errors that concern one item (unreadable file, permission
 *   denied, not a regular file, corrupt gzip) come back through msgsrc_next() with the failing
 *   path; the next call moves on to the next item.
 *
 *   Files:
 *   - A file whose first line is a From_ line ("From " + sender + a date with a time, see
 *     msgsrc_is_from_line) is an mbox; any other file is one message. MSGSRC_O_ONE_PER_FILE
 *     makes every file one message (a leading From_ line is then still dropped).
 *   - mbox (RFC 4155 "default" format): a separator is a From_ line at the start of the input
 *     or right after an empty line. The From_ line and the empty line before the next
 *     separator (or one trailing empty line at end of file) are framing and are not part of
 *     the message. mboxrd quoting is undone: one '>' is removed from lines matching ^>+From .
 *     Messages are named "path#N" (N from 1); an mbox that holds one message is named "path"
 *     (unless it was truncated).
 *   - Maildir: the messages in cur/ and new/ (tmp/ is skipped, it holds deliveries in
 *     progress), merged and sorted by file name (bytewise), each one message.
 *   - Trees: entries sorted by name (bytewise) for deterministic output, dotfiles and
 *     dot-directories skipped, symlinks to files followed, symlinks to directories skipped (no
 *     loops). A subdirectory that is a Maildir is read as one. Non-regular files are an error
 *     item.
 *   - gzip (magic 1f 8b, whatever the name): inflated in streaming fashion (concatenated
 *     members supported). A truncated or corrupt stream is an error item for the message being
 *     read; the messages before it were already yielded.
 *   - stdin / pipes / character devices: read in MSGSRC_CHUNK pieces, same auto-detection.
 *
 *   Line ends: LF, CRLF and bare CR are all line breaks (also mixed). Yielded messages always
 *   have LF line ends. When a message has no CR and needs no >From unquoting, the yielded bytes
 *   are a slice of the input (mmap or read window), otherwise a copy in a reusable buffer (no
 *   per-message allocation once the buffer has grown to the largest message seen).
 *
 *   Memory: files, pipes and gzip output go through a window buffer of at most
 *   max_message + 2*MSGSRC_MAX_FROMLINE + chunk bytes (in practice: the largest message plus a
 *   chunk), plus a conversion buffer of at most max_message bytes; a multi-GB mbox is never
 *   held whole. With MSGSRC_O_MMAP regular files are mapped instead (no copy; pages already
 *   consumed in big files are released with madvise) - slower on VMs where page faults are
 *   expensive, and a file truncated while mapped raises SIGBUS, so it is not the default. A message
 * longer than max_message is yielded cut to max_message bytes with MSGSRC_F_TRUNCATED; its
 * remainder is skipped without being stored.
 *
 * LIMITS
 *   RB_MAX_MESSAGE bytes per message (default, overridable per source), MSGSRC_MAX_FROMLINE
 *   bytes per From_ line, MSGSRC_MAX_DEPTH directory levels, MSGSRC_MAX_DIR_ENTRIES entries per
 *   directory, MSGSRC_MAX_PATH bytes per path. An empty file yields no message. gzip is
 *   recognised on a pipe only if its first read() returns at least 2 bytes (always the case
 *   in practice). Truncation counts input bytes (before line-end conversion).
 *
 * SEE ALSO
 *   RFC 4155 (mbox), https://cr.yp.to/proto/maildir.html, fuzz/fuzz_msgsrc.c.
 */
#ifndef RB_MSGSRC_H
#define RB_MSGSRC_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "rebound.h"
#include "slice.h"

/* Default cap on one message (64 MiB): above any MTA's size limit for a bounce that returns
 * the original (typically 10-50 MB), below what makes a 100 MB junk message costly. */
#define RB_MAX_MESSAGE ((size_t)64 << 20)
/* Longest From_ line recognised as a separator; longer "From " lines are message text. */
#define MSGSRC_MAX_FROMLINE 1000
/* read() size for files, pipes and stdin, and the inflate step for gzip input. */
#define MSGSRC_CHUNK ((size_t)64 << 10)
/* Directory nesting below the root that is walked; deeper directories are an error item. */
#define MSGSRC_MAX_DEPTH 64
/* Entries listed per directory (Maildir: cur + new); more is an error item for the directory. */
#define MSGSRC_MAX_DIR_ENTRIES ((size_t)1 << 22)
/* Longest path built while walking a tree. */
#define MSGSRC_MAX_PATH 4096

/* Line-end style of the original bytes of one message (msgsrc_item.eol). */
enum msgsrc_eol {
    MSGSRC_EOL_NONE = 0, /* no line break at all */
    MSGSRC_EOL_LF,
    MSGSRC_EOL_CRLF,
    MSGSRC_EOL_CR,
    MSGSRC_EOL_MIXED,
};

/* msgsrc_item.flags */
#define MSGSRC_F_TRUNCATED 0x01u /* message longer than max_message: p holds its first bytes */
#define MSGSRC_F_COPIED 0x02u    /* p points into the conversion buffer, not the input */
#define MSGSRC_F_MBOX 0x04u      /* taken from an mbox */
#define MSGSRC_F_GZIP 0x08u      /* the file was gzip-compressed */
#define MSGSRC_F_UNQUOTED 0x10u  /* at least one >From line was unquoted */

/* msgsrc_opts.flags */
#define MSGSRC_O_ONE_PER_FILE 0x01u /* never split files as mbox */
#define MSGSRC_O_MMAP 0x02u         /* mmap regular files instead of read() (zero-copy) */
#define MSGSRC_O_STREAM 0x04u       /* msgsrc_open_mem: feed the bytes through the read window */

/* Options; a zeroed struct (or NULL) means defaults. */
struct msgsrc_opts {
    unsigned flags;     /* MSGSRC_O_* */
    size_t max_message; /* 0 = RB_MAX_MESSAGE */
    size_t chunk;       /* read size, 0 = MSGSRC_CHUNK */
};

/* One message, or one error. All pointers are borrowed from the source and valid until the
 * next msgsrc_next() or msgsrc_close() on it. */
struct msgsrc_item {
    const char *p;        /* message bytes, LF line ends, not NUL-terminated (NULL on error) */
    size_t len;           /* bytes at p */
    const char *name;     /* display name: "path" or "path#N"; NUL-terminated */
    const char *path;     /* the file (or "<stdin>"); NUL-terminated */
    size_t index;         /* 1-based message number in an mbox, 0 for one-message files */
    const char *envelope; /* the From_ line after "From " (no line end), or NULL */
    size_t envelope_len;
    int eol;         /* enum msgsrc_eol of the original bytes */
    unsigned flags;  /* MSGSRC_F_* */
    int err;         /* RB_OK, or the RB_E* code msgsrc_next returned */
    int sys_errno;   /* errno behind an RB_EIO, else 0 */
    const char *why; /* static description of err ("not a regular file"...), or NULL */
};

struct msgsrc;

/* msgsrc_open - start iterating path ("-" = stdin). opts may be NULL, mem NULL = libc.
 * Problems with path itself (missing, unreadable) are reported by the first msgsrc_next().
 * Returns RB_OK (*out set, caller frees with msgsrc_close), RB_EINVAL or RB_ENOMEM. */
int msgsrc_open(struct msgsrc **out, const char *path, const struct msgsrc_opts *opts,
                const rb_mem *mem);

/* msgsrc_open_fd - iterate the messages readable from fd (a pipe, stdin, a file), named name
 * (copied). The fd is read in chunks and is not closed by msgsrc_close. Same returns. */
int msgsrc_open_fd(struct msgsrc **out, int fd, const char *name, const struct msgsrc_opts *opts,
                   const rb_mem *mem);

/* msgsrc_open_mem - iterate the messages in (p, len), named name (copied); p is borrowed and
 * must stay valid until msgsrc_close. gzip data is inflated. With MSGSRC_O_STREAM the bytes
 * are fed through the streaming window opts->chunk bytes at a time (tests, fuzzing). */
int msgsrc_open_mem(struct msgsrc **out, const char *p, size_t len, const char *name,
                    const struct msgsrc_opts *opts, const rb_mem *mem);

/* msgsrc_next - fill *item with the next message. Returns RB_OK, 1 at the end, or a negative
 * RB_E* for an item that failed (item->name/path name it, item->err/sys_errno/why say why);
 * iteration may continue after an error. RB_ENOMEM may also mean the source itself failed:
 * calling again then moves past the failed item. */
int msgsrc_next(struct msgsrc *s, struct msgsrc_item *item);

/* msgsrc_close - release everything (unmaps, closes owned fds); NULL is a no-op. Returns NULL. */
struct msgsrc *msgsrc_close(struct msgsrc *s);

/* ---- Pure helpers on memory (used by the iterator, unit tests and the fuzzer) ------------ */

/* msgsrc_is_from_line - is (p, n), one line without its line end, an mbox From_ line? It must
 * be "From ", a sender that does not start with ':', and later a digit ':' digit (the time in
 * the date). */
bool msgsrc_is_from_line(const char *p, size_t n);

/* msgsrc_find_sep results */
#define MSGSRC_SEP_FOUND 0 /* *pos = start of the separator's From_ line */
#define MSGSRC_SEP_MORE 1  /* need more bytes (eof false): search again from *pos */
#define MSGSRC_SEP_NONE 2  /* no separator before the end (eof true); *pos = len */

/* msgsrc_find_sep - find the first mbox separator starting at or after from (> 0) in (p, len):
 * a From_ line preceded by an empty line (any line-end style; looks back up to 3 bytes before
 * from). eof says whether len is the end of the input. *nquoted, if not NULL, is incremented
 * for each line matching ^>+From seen before the result. Returns MSGSRC_SEP_*. */
int msgsrc_find_sep(const char *p, size_t len, size_t from, bool eof, size_t *pos, size_t *nquoted);

/* msgsrc_normalize - line ends of (p, len) to LF and, if unquote, one '>' off lines matching
 * ^>+From . *out is (p, len) itself when nothing changes, else a view of conv (reset and
 * reused; its cap bounds len). *eol gets the enum msgsrc_eol, *copied whether conv was used.
 * Returns RB_OK, RB_ETOOBIG (len > conv cap) or RB_ENOMEM. */
int msgsrc_normalize(const char *p, size_t len, bool unquote, struct buf *conv, struct slice *out,
                     int *eol, bool *copied);

#endif /* RB_MSGSRC_H */
