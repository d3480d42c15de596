/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest.c - the ingest framework: rb_ingest, line splitting, syslog headers, reader
 *            selection, event emission and classification, the queue-id cache.
 *
 * DESCRIPTION
 *   Bytes arrive in any chunking (rb_ingest_feed). Complete lines inside a chunk are handed
 *   on in place (zero copy); only a line split across chunks is assembled in a carry buffer,
 *   capped at INGEST_MAX_LINE: a longer line is skipped to its end with a reason, so memory
 *   stays bounded on any input. Each line is routed (see route_line): a forced format, the
 *   format locked for this input by sniffing its first meaningful line, or, in syslog
 *   streams, the reader registered for the line's program name, line by line, so a mixed
 *   maillog (Postfix, OpenSMTPD, Sendmail) needs no option.
 *
 *   ingest_emit copies an event's slices once into a reused buffer, classifies failures with
 *   the shared classifier, and calls the user's callback; nothing is allocated per event
 *   once the buffers have grown.
 */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "ingest.h"
#include "mem.h"
#include "textutil.h"

#define INGEST_MAX_LINE (1u << 20) /* longer lines are skipped with a reason */
#define INGEST_EV_CAP (4u << 20)   /* all strings of one event together */
#define MAX_SKIP_REASONS 32

/* queue cache geometry: QC_SETS sets of QC_WAYS ways, replaced oldest-first within a set.
 * A set's tags (hash, age, slot) share one cache line, so a lookup touches one line plus the
 * matching slot, not every slot of the set. The slots (half a kilobyte each) are not tied to
 * their set: a way takes a free slot when it is filled and gives it back when its queue id
 * is removed, last freed first, so a log whose messages come and go reuses a few warm slots
 * instead of walking all 17 MB of them (which once cost a cache miss per message). */
#define QC_SETS 8192
#define QC_WAYS 4
#define QC_SLOTS (QC_SETS * QC_WAYS)
#define QC_QID 40
static const unsigned short qc_field_cap[QC__FIELDS] = {160, 200, 72, 64};

struct qc_set {
    uint32_t tag[QC_WAYS];           /* hash of the queue id, 0 = free */
    unsigned long long seq[QC_WAYS]; /* last use, for replacement */
    uint32_t slot[QC_WAYS];          /* the way's slot (index into qc) while tag is set */
};

struct qc_slot {
    uint32_t home; /* set * QC_WAYS + way holding it */
    unsigned char qid_len;
    unsigned char len[QC__FIELDS];
    char qid[QC_QID];
    char from[160];
    char msgid[200];
    char extra[72];
    char campaign[64];
};

static const struct ingest_reader *const readers[] = {
    &ingest_reader_postfix,   &ingest_reader_exim,   &ingest_reader_sendmail,
    &ingest_reader_opensmtpd, &ingest_reader_haraka, &ingest_reader_powermta,
    &ingest_reader_json,      &ingest_reader_csv,
};
#define N_READERS (sizeof readers / sizeof readers[0])

static const char *const format_names[] = {
    "auto",     "syslog",   "postfix",  "exim",      "sendmail", "opensmtpd",
    "haraka",   "powermta", "json",     "csv",       "kumomta",  "ses",
    "sendgrid", "mailgun",  "postmark", "sparkpost", "mandrill", NULL,
};

enum mode { MODE_UNKNOWN, MODE_SYSLOG, MODE_LOCKED };

/* a syslog program name and the reader it routes to (-1: none); a maillog interleaves a few
 * (postfix/smtpd, cleanup, qmgr, smtp ...), so several are kept */
#define N_ROUTES 8
struct prog_route {
    unsigned char len; /* 0 = empty */
    char name[31];
    int reader;
};

struct skip_reason {
    const char *reason;
    unsigned long long count;
    unsigned long first_line;
};

struct rb_ingest {
    const rb_mem *mem;
    rb_scratch *scratch;
    rb_ingest_opts opts;
    char *map_copy;      /* owned copy of opts.map */
    char *campaign_copy; /* owned copy of opts.campaign_header */
    void *state[N_READERS];
    const struct ingest_reader *forced; /* --format NAME naming one reader, or NULL */
    bool forced_syslog;                 /* --format syslog */
    enum mode mode;
    const struct ingest_reader *locked;
    size_t locked_i;
    struct buf carry; /* a line split across chunks */
    bool skipping;    /* inside an over-long line: drop bytes to its end */
    unsigned long lineno;
    int year;         /* opts.year, or 0 */
    int year_now;     /* the current year (for dates without one) */
    long long now;    /* time of rb_ingest_new */
    struct buf evbuf; /* the strings of the event being emitted */
    rb_event_cb cb;
    void *ud;
    rb_ingest_stats stats;
    struct skip_reason skips[MAX_SKIP_REASONS];
    size_t n_skips;
    char err[256];
    struct prog_route routes[N_ROUTES]; /* routing cache: recent programs and their readers */
    unsigned route_last, route_next;    /* the entry that matched last; the next to replace */
    uint64_t stamp[2];                  /* the last RFC 3164 stamp parsed (bytes 0-7, 7-14) */
    long long stamp_ts;                 /* and its time */
    bool stamp_ok;
    char host_tok[32]; /* " host " after that stamp (a log has one host, or a few) */
    size_t host_tok_len;
    struct qc_set *qc_sets; /* QC_SETS, allocated on first use */
    struct qc_slot *qc;     /* QC_SLOTS */
    uint32_t *qc_free;      /* stack of the free slots' indexes */
    size_t qc_nfree;
    struct qc_slot *qc_last; /* the slot used last: a message's lines come close together */
    unsigned long long qc_seq;
};

/* ---- small helpers ------------------------------------------------------------------------- */

const char *rb_event_kind_name(rb_event_kind k)
{
    static const char *const names[RB_EVENT__COUNT] = {
        "unknown", "delivered", "deferred", "bounced", "expired", "complaint", "dropped",
    };
    return (unsigned)k < RB_EVENT__COUNT ? names[k] : "unknown";
}

const char *const *rb_ingest_formats(void)
{
    return format_names;
}

void ingest_set_error(rb_ingest *ig, const char *fmt, ...)
{
    rb_ingest *x = (rb_ingest *)ig;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err, sizeof x->err, fmt, ap);
    va_end(ap);
}

const char *rb_ingest_error(const rb_ingest *ig)
{
    return ig && ig->err[0] ? ig->err : "no error";
}

const char *rb_ingest_format(const rb_ingest *ig)
{
    if (!ig)
        return "";
    if (ig->mode == MODE_LOCKED && ig->locked)
        return ig->locked->name;
    if (ig->mode == MODE_SYSLOG)
        return "syslog";
    return "";
}

unsigned long ingest_lineno(const rb_ingest *ig)
{
    return (ig)->lineno;
}

const rb_ingest_opts *ingest_opts(const rb_ingest *ig)
{
    return &(ig)->opts;
}

const rb_mem *ingest_mem(const rb_ingest *ig)
{
    return (ig)->mem;
}

void rb_ingest_get_stats(const rb_ingest *ig, rb_ingest_stats *out)
{
    if (ig && out)
        *out = ig->stats;
}

bool rb_ingest_skip_reason(const rb_ingest *ig, size_t i, const char **reason,
                           unsigned long long *count, unsigned long *first_line)
{
    if (!ig || i >= ig->n_skips)
        return false;
    if (reason)
        *reason = ig->skips[i].reason;
    if (count)
        *count = ig->skips[i].count;
    if (first_line)
        *first_line = ig->skips[i].first_line;
    return true;
}

int ingest_malformed(rb_ingest *ig, const char *reason)
{

    ig->stats.malformed++;
    size_t i;
    for (i = 0; i < ig->n_skips; i++)
        if (ig->skips[i].reason == reason || strcmp(ig->skips[i].reason, reason) == 0)
            break;
    if (i == ig->n_skips && i < MAX_SKIP_REASONS) {
        ig->skips[i].reason = reason;
        ig->skips[i].first_line = ig->lineno;
        ig->n_skips++;
    }
    if (i < ig->n_skips)
        ig->skips[i].count++;
    else
        ig->skips[MAX_SKIP_REASONS - 1].count++; /* "other" bucket once the table is full */
    if (ig->opts.strict) {
        ingest_set_error(ig, "line %lu: %s", ig->lineno, reason);
        return RB_EPARSE;
    }
    return RB_OK;
}

int ingest_ignored(rb_ingest *ig)
{
    (ig)->stats.ignored++;
    return RB_OK;
}

void ingest_ev_init(struct ingest_ev *e, rb_event_kind k, const struct ingest_line *ln)
{
    memset(e, 0, sizeof *e);
    e->kind = k;
    e->delay = -1;
    if (ln) {
        e->ts = ln->ts;
        e->tzoff = ln->tzoff;
    }
}

/* ---- time ---------------------------------------------------------------------------------- */

static bool digits(const char *p, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    *out = v;
    return true;
}

/* digits2 - the two decimal digits at p, or -1 */
static inline int digits2(const char *p)
{
    unsigned a = (unsigned)(unsigned char)p[0] - '0', b = (unsigned)(unsigned char)p[1] - '0';
    return a < 10 && b < 10 ? (int)(a * 10 + b) : -1;
}

/* "hh:mm:ss" at p (8 bytes) */
static bool hms(const char *p, unsigned *h, unsigned *mi, unsigned *s)
{
    if (p[2] != ':' || p[5] != ':')
        return false;
    int a = digits2(p), b = digits2(p + 3), c = digits2(p + 6);
    if (a < 0 || b < 0 || c < 0)
        return false;
    *h = (unsigned)a, *mi = (unsigned)b, *s = (unsigned)c;
    return *h < 24 && *mi < 60 && *s <= 60;
}

/* ISO 8601 date-time at s; sep is 'T' or ' ' (either accepted when sep is 0). Sets *used. */
static bool iso_time(struct slice s, char sep, long long *t, int *tzoff, size_t *used)
{
    const char *p = s.p;
    size_t n = s.len;
    unsigned y, mo, d, h, mi, sec;
    if (n < 19 || p[4] != '-' || p[7] != '-' || !digits(p, 4, &y) || !digits(p + 5, 2, &mo) ||
        !digits(p + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
        return false;
    if (sep ? p[10] != sep : (p[10] != 'T' && p[10] != ' '))
        return false;
    if (!hms(p + 11, &h, &mi, &sec))
        return false;
    size_t i = 19;
    if (i < n && (p[i] == '.' || p[i] == ',')) {
        i++;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
    }
    int off = 0;
    if (i < n && (p[i] == 'Z' || p[i] == 'z')) {
        i++;
    } else if (i + 5 < n + 0 + 1 && i < n && (p[i] == '+' || p[i] == '-')) {
        unsigned oh, om;
        int sign = p[i] == '-' ? -1 : 1;
        if (i + 6 <= n && p[i + 3] == ':' && digits(p + i + 1, 2, &oh) &&
            digits(p + i + 4, 2, &om)) {
            off = sign * (int)(oh * 3600 + om * 60);
            i += 6;
        } else if (i + 5 <= n && digits(p + i + 1, 4, &oh)) {
            off = sign * (int)((oh / 100) * 3600 + (oh % 100) * 60);
            i += 5;
        }
    }
    *t = days_from_civil(y, (int)mo, (int)d) * 86400 + h * 3600 + mi * 60 + sec - off;
    *tzoff = off;
    *used = i;
    return true;
}

static int month_index(const char *p)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int m = 0; m < 12; m++)
        if (p[0] == months[m * 3] && p[1] == months[m * 3 + 1] && p[2] == months[m * 3 + 2])
            return m + 1;
    return 0;
}

bool ingest_parse_time(struct slice s, long long *t, int *tzoff)
{
    s = slice_trim(s);
    size_t used;
    if (s.len >= 19 && iso_time(s, 0, t, tzoff, &used))
        return true;
    /* Unix seconds, optionally with a fraction (SendGrid, Mailgun, KumoMTA); 13 and 16
     * digits are milli- and microseconds (JavaScript and Java exports) */
    if (s.len >= 9 && s.len <= 24 && s.p[0] >= '0' && s.p[0] <= '9') {
        long long v = 0;
        size_t i = 0;
        while (i < s.len && s.p[i] >= '0' && s.p[i] <= '9' && i < 17)
            v = v * 10 + (s.p[i++] - '0');
        if (i == s.len || s.p[i] == '.') {
            if (i >= 15)
                v /= 1000000;
            else if (i >= 12)
                v /= 1000;
            *t = v;
            *tzoff = 0;
            return true;
        }
    }
    return date_parse(s.p, s.len, t, tzoff) == 1;
}

/* ---- syslog header ------------------------------------------------------------------------- */

static size_t skip_sp(const char *p, size_t i, size_t n)
{
    while (i < n && p[i] == ' ')
        i++;
    return i;
}

static size_t word_end(const char *p, size_t i, size_t n)
{
    while (i < n && p[i] != ' ')
        i++;
    return i;
}

/* prog_tail - "prog[pid]: msg" starting at i (no space there); false if not a syslog tag */
static bool prog_tail(struct ingest_line *ln, size_t i)
{
    const char *p = ln->raw.p, *end = p + ln->raw.len;
    size_t n = ln->raw.len;
    /* the program ends at '[' or ':'; a space first means this is no syslog tag */
    size_t p0 = i;
    i = (size_t)(slice_find3(p + i, end, '[', ':', ' ') - p);
    if (i == p0 || i >= n)
        return false;
    ln->prog = slice_make(p + p0, i - p0);
    if (p[i] == '[') {
        const char *rb = slice_find3(p + i, end, ']', ']', ']');
        if (rb == end)
            return false;
        i = (size_t)(rb - p) + 1;
    }
    if (i >= n || p[i] != ':')
        return false;
    i++;
    if (i < n && p[i] == ' ')
        i++;
    ln->msg = slice_make(p + i, n - i);
    return true;
}

/* host_prog - "host prog[pid]: msg" starting at i; false if not a syslog tag */
static bool host_prog(struct ingest_line *ln, size_t i)
{
    const char *p = ln->raw.p;
    size_t n = ln->raw.len;
    i = skip_sp(p, i, n);
    if (i >= n)
        return false;
    const char *sp = slice_find3(p + i, p + n, ' ', ' ', ' ');
    if (sp == p + n || sp == p + i)
        return false;
    ln->host = slice_make(p + i, (size_t)(sp - (p + i)));
    return prog_tail(ln, skip_sp(p, (size_t)(sp - p), n));
}

static bool syslog_parse_at(struct ingest_line *ln, int year, long long now);

bool ingest_syslog_parse(struct ingest_line *ln, int year)
{
    return syslog_parse_at(ln, year, year ? 0 : (long long)time(NULL));
}

/* year 0: the year of now, or the one before for dates more than a day ahead of now
 * (December lines read in January) */
static bool syslog_parse_at(struct ingest_line *ln, int year, long long now)
{
    const char *p = ln->raw.p;
    size_t n = ln->raw.len, i = 0;
    ln->msg = ln->raw;
    ln->prog = ln->host = slice_make("", 0);
    ln->ts = 0;
    ln->tzoff = 0;
    if (n && p[0] == '<') { /* <PRI> */
        i = 1;
        while (i < n && i < 5 && p[i] >= '0' && p[i] <= '9')
            i++;
        if (i >= n || p[i] != '>')
            return false;
        i++;
        if (i + 1 < n && p[i] == '1' && p[i + 1] == ' ') { /* RFC 5424 */
            long long t;
            int off;
            size_t used;
            i += 2;
            if (!iso_time(slice_make(p + i, n - i), 'T', &t, &off, &used))
                return false;
            i += used;
            i = skip_sp(p, i, n);
            size_t h0 = i;
            i = word_end(p, i, n);
            ln->host = slice_make(p + h0, i - h0);
            i = skip_sp(p, i, n);
            size_t a0 = i;
            i = word_end(p, i, n);
            ln->prog = slice_make(p + a0, i - a0);
            /* procid, msgid */
            for (int k = 0; k < 2; k++) {
                i = skip_sp(p, i, n);
                i = word_end(p, i, n);
            }
            i = skip_sp(p, i, n);
            if (i < n && p[i] == '[') { /* structured data: [..][..] with quoted values */
                while (i < n && p[i] == '[') {
                    bool q = false;
                    for (i++; i < n; i++) {
                        if (q && p[i] == '\\') {
                            i++;
                            continue;
                        }
                        if (p[i] == '"')
                            q = !q;
                        else if (!q && p[i] == ']')
                            break;
                    }
                    i++;
                }
            } else if (i < n && p[i] == '-') {
                i++;
            }
            i = skip_sp(p, i, n);
            if (i + 3 <= n && (unsigned char)p[i] == 0xEF && (unsigned char)p[i + 1] == 0xBB &&
                (unsigned char)p[i + 2] == 0xBF)
                i += 3; /* BOM */
            ln->msg = slice_make(p + (i < n ? i : n), i < n ? n - i : 0);
            ln->ts = t;
            ln->tzoff = off;
            return ln->prog.len > 0;
        }
    }
    struct slice rest = slice_make(p + i, n - i);
    if (rest.len >= 16 && rest.p[3] == ' ' && rest.p[6] == ' ') { /* RFC 3164 */
        int mo = month_index(rest.p);
        unsigned d, h, mi, s;
        const char *dp = rest.p + 4;
        if (!mo || !(dp[0] == ' ' ? digits(dp + 1, 1, &d) : digits(dp, 2, &d)) || d < 1 || d > 31 ||
            !hms(rest.p + 7, &h, &mi, &s))
            return false;
        if (!host_prog(ln, i + 15))
            return false;
        long long y = year;
        if (!y) {
            time_t nt = (time_t)now;
            struct tm tmv;
            gmtime_r(&nt, &tmv);
            y = tmv.tm_year + 1900;
        }
        long long t = days_from_civil(y, mo, (int)d) * 86400 + h * 3600 + mi * 60 + s;
        if (!year && t > now + 86400)
            t = days_from_civil(y - 1, mo, (int)d) * 86400 + h * 3600 + mi * 60 + s;
        ln->ts = t;
        ln->tzoff = 0;
        return true;
    }
    if (rest.len >= 20 && rest.p[10] == 'T') { /* RFC 3339 timestamp (rsyslog, journald) */
        long long t;
        int off;
        size_t used;
        if (!iso_time(rest, 'T', &t, &off, &used))
            return false;
        if (!host_prog(ln, i + used))
            return false;
        ln->ts = t;
        ln->tzoff = off;
        return true;
    }
    return false;
}

/* ---- key=value ----------------------------------------------------------------------------- */

/* kv_value - the value of a key=value pair whose value starts at v */
static struct slice kv_value(const char *v, const char *end)
{
    const char *e;
    if (v < end && *v == '<') {
        v++;
        e = slice_find3(v, end, '>', '>', '>');
    } else {
        e = slice_find3(v, end, ',', ' ', ' ');
    }
    return slice_make(v, (size_t)(e - v));
}

/* kv_boundary - whether a key found at hit starts a pair (line start, after a separator) */
static bool kv_boundary(struct slice msg, const char *hit)
{
    return hit == msg.p || hit[-1] == ' ' || hit[-1] == ',' || hit[-1] == '\t';
}

bool ingest_kv(struct slice msg, const char *key, struct slice *val)
{
    size_t kl = strlen(key);
    const char *p = msg.p, *end = msg.p + msg.len;
    if (msg.len < kl)
        return false;
    if (memcmp(p, key, kl) == 0) { /* the usual place, and then the first match */
        *val = kv_value(p + kl, end);
        return true;
    }
    if (kl >= 2 && key[kl - 1] == '=') {
        /* every occurrence of the key ends at an '=': test the (few) '='s of the message in
         * order, the same first match as a substring search, without one */
        for (const char *q = p + kl - 1; q < end; q++) {
            q = slice_find3(q, end, '=', '=', '=');
            if (q == end)
                break;
            const char *hit = q - (kl - 1);
            if (q[-1] == key[kl - 2] && memcmp(hit, key, kl - 1) == 0 && kv_boundary(msg, hit)) {
                *val = kv_value(q + 1, end);
                return true;
            }
        }
        return false;
    }
    while (p + kl <= end) {
        const char *hit = memmem(p, (size_t)(end - p), key, kl);
        if (!hit)
            return false;
        if (kv_boundary(msg, hit)) {
            *val = kv_value(hit + kl, end);
            return true;
        }
        p = hit + 1;
    }
    return false;
}

/* ---- queue cache --------------------------------------------------------------------------- */

static uint32_t qid_hash(struct slice q)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < q.len; i++)
        h = (h ^ (unsigned char)q.p[i]) * 16777619u;
    return h;
}

static char *qc_field(struct qc_slot *s, int f)
{
    switch (f) {
    case QC_FROM:
        return s->from;
    case QC_MSGID:
        return s->msgid;
    case QC_EXTRA:
        return s->extra;
    default:
        return s->campaign;
    }
}

/* The slots are touched at random: ask for transparent huge pages where the system allows
 * them (a hint; fewer TLB misses on big logs). */
static void qc_huge_pages(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    uintptr_t a = ((uintptr_t)p + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1);
    uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)((2u << 20) - 1);
    if (e > a)
        (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

static struct qc_slot *qc_find(rb_ingest *ig, struct slice qid, bool create)
{
    if (!qid.len || qid.len > QC_QID)
        return NULL;
    if (!ig->qc) {
        if (!create)
            return NULL;
        ig->qc_sets = mem_calloc(ig->mem, QC_SETS, sizeof *ig->qc_sets);
        ig->qc = mem_calloc(ig->mem, QC_SLOTS, sizeof *ig->qc);
        ig->qc_free = mem_calloc(ig->mem, QC_SLOTS, sizeof *ig->qc_free);
        if (!ig->qc || !ig->qc_sets || !ig->qc_free) {
            mem_free(ig->mem, ig->qc);
            mem_free(ig->mem, ig->qc_sets);
            mem_free(ig->mem, ig->qc_free);
            ig->qc = NULL;
            ig->qc_sets = NULL;
            ig->qc_free = NULL;
            return NULL;
        }
        for (size_t k = 0; k < QC_SLOTS; k++) /* slot 0 on top */
            ig->qc_free[k] = (uint32_t)(QC_SLOTS - 1 - k);
        ig->qc_nfree = QC_SLOTS;
        qc_huge_pages(ig->qc, (size_t)QC_SLOTS * sizeof *ig->qc);
    }
    struct qc_slot *last = ig->qc_last;
    if (last && last->qid_len == qid.len && memcmp(last->qid, qid.p, qid.len) == 0)
        return last;
    uint32_t h = qid_hash(qid);
    size_t si = h % QC_SETS;
    uint32_t tag = h | 1u;
    struct qc_set *set = &ig->qc_sets[si];
    int victim = 0;
    for (int w = 0; w < QC_WAYS; w++) {
        if (set->tag[w] == tag) {
            struct qc_slot *s = &ig->qc[set->slot[w]];
            if (s->qid_len == qid.len && memcmp(s->qid, qid.p, qid.len) == 0) {
                set->seq[w] = ++ig->qc_seq;
                ig->qc_last = s;
                return s;
            }
        }
        if (set->seq[w] < set->seq[victim] || !set->tag[w])
            victim = set->tag[victim] ? w : victim;
    }
    if (!create)
        return NULL;
    if (!set->tag[victim]) { /* a free way takes the slot freed last */
        if (!ig->qc_nfree)   /* cannot happen: there are as many slots as ways */
            return NULL;
        set->slot[victim] = ig->qc_free[--ig->qc_nfree];
    }
    struct qc_slot *s = &ig->qc[set->slot[victim]];
    s->home = (uint32_t)(si * QC_WAYS + (size_t)victim);
    set->tag[victim] = tag;
    set->seq[victim] = ++ig->qc_seq;
    memset(s->len, 0, sizeof s->len);
    s->qid_len = (unsigned char)qid.len;
    memcpy(s->qid, qid.p, qid.len);
    ig->qc_last = s;
    return s;
}

/* the slot's set entry, to free it */
static void qc_free_slot(rb_ingest *ig, struct qc_slot *s)
{
    size_t i = s->home;
    if (ig->qc_last == s)
        ig->qc_last = NULL;
    s->qid_len = 0;
    ig->qc_sets[i / QC_WAYS].tag[i % QC_WAYS] = 0;
    ig->qc_sets[i / QC_WAYS].seq[i % QC_WAYS] = 0;
    ig->qc_free[ig->qc_nfree++] = (uint32_t)(s - ig->qc);
}

void ingest_qc_put(rb_ingest *ig, struct slice qid, int f, struct slice v)
{

    struct qc_slot *s = qc_find(ig, qid, true);
    if (!s || f < 0 || f >= QC__FIELDS)
        return;
    size_t n = v.len < qc_field_cap[f] ? v.len : qc_field_cap[f];
    memcpy(qc_field(s, f), v.p, n);
    s->len[f] = (unsigned char)n;
}

struct slice ingest_qc_get(rb_ingest *ig, struct slice qid, int f)
{
    struct qc_slot *s = qc_find(ig, qid, false);
    if (!s || f < 0 || f >= QC__FIELDS)
        return slice_make("", 0);
    return slice_make(qc_field(s, f), s->len[f]);
}

bool ingest_qc_get_all(rb_ingest *ig, struct slice qid, struct slice *out)
{
    struct qc_slot *s = qc_find(ig, qid, false);
    for (int f = 0; f < QC__FIELDS; f++)
        out[f] = s ? slice_make(qc_field(s, f), s->len[f]) : slice_make("", 0);
    return s != NULL;
}

void ingest_qc_drop(rb_ingest *ig, struct slice qid)
{
    struct qc_slot *s = qc_find(ig, qid, false);
    if (s)
        qc_free_slot(ig, s);
}

/* ---- emission ------------------------------------------------------------------------------ */

/* copies of the event's strings, offsets into evbuf until all are in place (evbuf may move) */
enum {
    F_RCPT,
    F_SENDER,
    F_SDOM,
    F_DEST,
    F_RHOST,
    F_RIP,
    F_QID,
    F_MSGID,
    F_EVID,
    F_CAMP,
    F_SIP,
    F_SENDDOM,
    F_VMTA,
    F_TEXT,
    F_FBT,
    F_STATUS,
    F_CMD,
    F__N
};

#define NO_FIELD ((size_t)-1) /* an empty field: points at a static "" */

/* lower_ascii - ASCII letters of d[0..n) to lower case. Words of eight: a byte is upper case
 * when, its high bit clear, adding 0x80 - 'A' sets its high bit and adding 0x80 - 'Z' - 1
 * does not (no carry leaves a byte); bit 0x20 is then set. The last word overlaps bytes
 * already lowered, which is harmless. */
static void lower_ascii(char *d, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    if (n >= 8) {
        for (size_t i = 0;; i += 8) {
            char *w0 = i + 8 <= n ? d + i : d + n - 8;
            uint64_t w, t;
            memcpy(&w, w0, 8);
            t = w & ~high;
            uint64_t up = (t + ones * (0x80 - 'A')) & ~(t + ones * (0x80 - 'Z' - 1)) & ~w & high;
            if (up) {
                w |= up >> 2;
                memcpy(w0, &w, 8);
            }
            if (i + 8 >= n)
                break;
        }
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (d[i] >= 'A' && d[i] <= 'Z')
            d[i] = (char)(d[i] + 32);
}

static int put_field(struct buf *b, size_t *off, struct slice s, bool lower, bool nul_free)
{
    if (!s.len) {
        *off = NO_FIELD;
        return RB_OK;
    }
    *off = b->len;
    int rc = buf_reserve(b, s.len + 1);
    if (rc != RB_OK)
        return rc;
    char *d = b->p + b->len;
    if (s.len)
        memcpy(d, s.p, s.len);
    d[s.len] = '\0';
    b->len += s.len + 1;
    /* a NUL inside (a JSON "\u0000") would cut the string short for C callers */
    if (!nul_free)
        for (char *z = memchr(d, '\0', s.len); z; z = memchr(z, '\0', (size_t)(d + s.len - z)))
            *z = ' ';
    if (lower)
        lower_ascii(d, s.len);
    return RB_OK;
}

/* "250 2.0.0 Ok ..." (the usual shape of a success reply): the codes without the reply
 * parser's full work; false for anything else */
static bool delivered_codes(const char *t, size_t n, rb_reply *r)
{
    if (n < 10 || t[0] != '2' || t[1] < '0' || t[1] > '9' || t[2] < '0' || t[2] > '9' ||
        t[3] != ' ' || t[4] != '2' || t[5] != '.' || t[6] < '0' || t[6] > '9' || t[7] != '.' ||
        t[8] < '0' || t[8] > '9')
        return false;
    size_t i = 8;
    while (i < n && i < 11 && t[i] >= '0' && t[i] <= '9')
        i++;
    if (i < n && t[i] != ' ')
        return false;
    r->replycode = (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
    r->status_class = 2;
    r->status_subject = t[6] - '0';
    r->status_detail = 0;
    for (size_t k = 8; k < i; k++)
        r->status_detail = r->status_detail * 10 + (t[k] - '0');
    memcpy(r->status, t + 4, i - 4);
    r->status[i - 4] = '\0';
    r->text = t;
    r->text_len = n;
    return true;
}

int ingest_emit(rb_ingest *ig, const struct ingest_ev *e)
{

    if (e->ts && ((ig->opts.since && e->ts < ig->opts.since) ||
                  (ig->opts.until && e->ts >= ig->opts.until))) {
        ig->stats.filtered++;
        return RB_OK;
    }
    struct buf *b = &ig->evbuf;
    buf_reset(b);
    size_t off[F__N];
    struct slice rcpt = slice_trim(e->recipient), sender = slice_trim(e->sender);
    struct slice src[F__N] = {
        [F_RCPT] = rcpt,
        [F_SENDER] = sender,
        [F_SDOM] = addr_domain(sender),
        [F_DEST] = addr_domain(rcpt),
        [F_RHOST] = e->rhost,
        [F_RIP] = e->rhost_ip,
        [F_QID] = e->queueid,
        [F_MSGID] = e->messageid,
        [F_EVID] = e->event_id,
        [F_CAMP] = e->campaign,
        [F_SIP] = e->sending_ip,
        [F_SENDDOM] = e->sending_domain,
        [F_VMTA] = e->vmta,
        [F_TEXT] = e->text,
        [F_FBT] = e->feedbacktype,
        [F_STATUS] = e->status,
        [F_CMD] = e->command,
    };
    for (int f = 0; f < F__N; f++) {
        bool lower = f == F_SDOM || f == F_DEST || f == F_RHOST;
        int rc = put_field(b, &off[f], src[f], lower, e->nul_free);
        if (rc != RB_OK) {
            return ingest_malformed(ig, "event fields larger than 4 MB");
        }
    }
#define FS(f) (off[f] == NO_FIELD ? "" : b->p + off[f])
    rb_event ev; /* every field is set below; the verdict by the classifier or here */
    ev.kind = e->kind;
    ev.format = e->format                               ? e->format
                : ig->mode == MODE_LOCKED && ig->locked ? ig->locked->name
                                                        : "";
    ev.recipient = FS(F_RCPT);
    ev.sender = FS(F_SENDER);
    ev.senderdomain = FS(F_SDOM);
    ev.destination = FS(F_DEST);
    ev.rhost = FS(F_RHOST);
    ev.rhost_ip = FS(F_RIP);
    ev.queueid = FS(F_QID);
    ev.messageid = FS(F_MSGID);
    ev.event_id = FS(F_EVID);
    ev.campaign = FS(F_CAMP);
    ev.sending_ip = FS(F_SIP);
    ev.sending_domain = FS(F_SENDDOM);
    ev.vmta = FS(F_VMTA);
    ev.diagnosticcode = FS(F_TEXT);
    ev.feedbacktype = FS(F_FBT);
    ev.timestamp = e->ts;
    ev.timezoneoffset = e->tzoff;
    ev.delay = e->delay;
    ev.line = ig->lineno;

    rb_verdict *v = &ev.verdict;
    int rc = RB_OK;
    switch (e->kind) {
    case RB_EVENT_DEFERRED:
    case RB_EVENT_BOUNCED:
    case RB_EVENT_EXPIRED:
    case RB_EVENT_DROPPED:
    case RB_EVENT_UNKNOWN: {
        rb_input in;
        memset(&in, 0, sizeof in);
        in.text = FS(F_TEXT);
        in.text_len = e->text.len;
        in.status = e->status.len ? FS(F_STATUS) : NULL;
        in.replycode = e->replycode;
        in.rhost = e->rhost.len ? FS(F_RHOST) : NULL;
        in.action = e->kind == RB_EVENT_DEFERRED ? "delayed" : "failed";
        in.hint = e->hint;
        if (e->kind == RB_EVENT_EXPIRED && !in.hint)
            in.hint = RB_REASON_EXPIRED;
        in.command = e->command.len ? FS(F_CMD) : NULL;
        rc = rb_classify(ig->scratch, &in, v);
        break;
    }
    case RB_EVENT_DELIVERED:
    case RB_EVENT_COMPLAINT:
    default:
        memset(v, 0, sizeof *v);
        if (!delivered_codes(FS(F_TEXT), e->text.len, &v->reply))
            rc = rb_parse_reply(ig->scratch, FS(F_TEXT), e->text.len, &v->reply);
        if (!v->reply.replycode && e->replycode)
            v->reply.replycode = e->replycode;
        /* the source's own status field (dsn=2.1.5) wins over a code in the text, as a DSN's
         * Status: does */
        if (e->status.len && e->status.len < sizeof v->reply.status)
            memcpy(v->reply.status, FS(F_STATUS), e->status.len + 1);
        if (e->kind == RB_EVENT_COMPLAINT) {
            v->reason = RB_REASON_FEEDBACK;
            v->category = RB_CAT_COMPLAINT;
            v->scope = RB_SCOPE_RECIPIENT;
            v->remedy = RB_REMEDY_SUPPRESS_RECIPIENT;
            v->rule = "event.complaint";
        } else {
            v->reason = RB_REASON_DELIVERED;
            v->category = RB_CAT_DELIVERED;
            v->rule = "event.delivered";
        }
        v->confidence = 100;
        break;
    }
#undef FS
    if (rc != RB_OK)
        return rc;
    ig->stats.events++;
    if ((unsigned)e->kind < RB_EVENT__COUNT)
        ig->stats.by_kind[e->kind]++;
    return ig->cb ? ig->cb(&ev, ig->ud) : RB_OK;
}

/* ---- reader selection ---------------------------------------------------------------------- */

static bool prog_matches(struct slice prog, const char *name)
{
    size_t n = strlen(name);
    if (n && name[n - 1] == '/') { /* "postfix/": postfix/smtp, postfix-out/smtp */
        n--;
        if (prog.len <= n || memcmp(prog.p, name, n) != 0)
            return false;
        return memchr(prog.p + n, '/', prog.len - n) != NULL;
    }
    return prog.len == n && memcmp(prog.p, name, n) == 0;
}

static int reader_for_prog(struct slice prog)
{
    for (size_t r = 0; r < N_READERS; r++) {
        const char *const *pp = readers[r]->progs;
        for (; pp && *pp; pp++)
            if (prog_matches(prog, *pp))
                return (int)r;
    }
    return -1;
}

static int call_reader(rb_ingest *ig, size_t r, const struct ingest_line *ln)
{
    return readers[r]->line(ig, ig->state[r], ln);
}

static int lock_reader(rb_ingest *ig, size_t r)
{
    ig->mode = MODE_LOCKED;
    ig->locked = readers[r];
    ig->locked_i = r;
    ig->carry.cap = readers[r]->max_line ? readers[r]->max_line : INGEST_MAX_LINE;
    return RB_OK;
}

/* syslog_header_parse - parse ln's syslog header with the year rules; false if none */
static bool syslog_header_parse(rb_ingest *ig, struct ingest_line *ln)
{
    if (ig->year)
        return syslog_parse_at(ln, ig->year, 0);
    /* the current year without a gmtime per line: parse as that year, then apply the
     * December-in-January rule against now */
    if (!syslog_parse_at(ln, ig->year_now, 0))
        return false;
    if (ln->ts > ig->now + 86400) { /* RFC 3164 dates only can be re-read with a year */
        struct ingest_line prev = *ln;
        if (syslog_parse_at(&prev, ig->year_now - 1, 0) && prev.ts < ln->ts)
            *ln = prev;
    }
    return true;
}

/* syslog_header - syslog_header_parse, with the repeated stamp and host taken as known */
static bool syslog_header(rb_ingest *ig, struct ingest_line *ln)
{
    /* A busy log repeats its RFC 3164 stamp ("Mar  1 00:00:02") over many lines, and its
     * time depends on those 15 bytes alone (the year settings are fixed): a line whose stamp
     * is the last one parsed, byte for byte, takes its time; only host and program are new.
     * syslog_parse_at takes this form whenever the line is this long, has these spaces and
     * no <PRI>. */
    const char *p = ln->raw.p;
    bool rfc3164 = ln->raw.len >= 16 && p[0] != '<' && p[3] == ' ' && p[6] == ' ';
    uint64_t k[2];
    if (rfc3164) {
        memcpy(&k[0], p, 8);
        memcpy(&k[1], p + 7, 8);
        if (ig->stamp_ok && k[0] == ig->stamp[0] && k[1] == ig->stamp[1]) {
            ln->msg = ln->raw;
            ln->prog = ln->host = slice_make("", 0);
            ln->ts = 0;
            ln->tzoff = 0;
            /* the same host as well (" relay1 ", then no space): only the program is new;
             * anything else, failures included, is left to host_prog */
            size_t hl = ig->host_tok_len;
            if (!(hl && ln->raw.len > 15 + hl && p[15 + hl] != ' ' &&
                  memcmp(p + 15, ig->host_tok, hl) == 0 &&
                  (ln->host = slice_make(p + 16, hl - 2), prog_tail(ln, 15 + hl))) &&
                !host_prog(ln, 15))
                return false;
            ln->ts = ig->stamp_ts;
            return true;
        }
    }
    if (!syslog_header_parse(ig, ln))
        return false;
    if (rfc3164) {
        ig->stamp[0] = k[0];
        ig->stamp[1] = k[1];
        ig->stamp_ts = ln->ts;
        ig->stamp_ok = true;
        /* " host " when one space each side */
        size_t hl = ln->host.len + 2;
        ig->host_tok_len = 0;
        if (ln->host.p == p + 16 && p[15] == ' ' && hl <= sizeof ig->host_tok &&
            p[14 + hl] == ' ') {
            memcpy(ig->host_tok, p + 15, hl);
            ig->host_tok_len = hl;
        }
    }
    return true;
}

/* route_eq - whether routing cache entry c names prog */
static bool route_eq(const struct prog_route *c, struct slice prog)
{
    if (c->len != prog.len)
        return false;
    if (prog.len >= 8 && prog.len <= 16) { /* two words cover it */
        uint64_t a0, a1, b0, b1;
        memcpy(&a0, c->name, 8);
        memcpy(&b0, prog.p, 8);
        memcpy(&a1, c->name + prog.len - 8, 8);
        memcpy(&b1, prog.p + prog.len - 8, 8);
        return a0 == b0 && a1 == b1;
    }
    return memcmp(c->name, prog.p, prog.len) == 0;
}

/* route_prog - the reader of a syslog program (-1: none), through the routing cache */
static int route_prog(rb_ingest *ig, struct slice prog)
{
    if (!prog.len || prog.len >= sizeof ig->routes[0].name)
        return reader_for_prog(prog);
    if (route_eq(&ig->routes[ig->route_last], prog))
        return ig->routes[ig->route_last].reader;
    for (unsigned k = 0; k < N_ROUTES; k++) {
        if (route_eq(&ig->routes[k], prog)) {
            ig->route_last = k;
            return ig->routes[k].reader;
        }
    }
    int r = reader_for_prog(prog);
    struct prog_route *c = &ig->routes[ig->route_next];
    ig->route_last = ig->route_next;
    ig->route_next = (ig->route_next + 1) % N_ROUTES;
    c->len = (unsigned char)prog.len;
    memcpy(c->name, prog.p, prog.len);
    c->reader = r;
    return r;
}

static int route_line(rb_ingest *ig, struct ingest_line *ln)
{
    if (ig->forced) {
        if (ig->forced->progs)
            syslog_header(ig, ln);
        return call_reader(ig, ig->locked_i, ln);
    }
    if (ig->mode == MODE_LOCKED) {
        /* a reader of syslog programs locked by sniffing (a file of its lines with or
         * without syslog headers) still gets the header parsed */
        if (ig->locked->progs && ln->raw.len)
            syslog_header(ig, ln);
        return call_reader(ig, ig->locked_i, ln);
    }
    size_t sp = 0; /* blank lines before the first meaningful one decide nothing */
    while (sp < ln->raw.len && (ln->raw.p[sp] == ' ' || ln->raw.p[sp] == '\t'))
        sp++;
    if (sp == ln->raw.len)
        return RB_OK;
    if (syslog_header(ig, ln)) {
        if (ig->mode == MODE_UNKNOWN)
            ig->mode = MODE_SYSLOG;
        int r = route_prog(ig, ln->prog);
        if (r < 0)
            return ingest_ignored(ig);
        ig->locked = readers[r]; /* for rb_event.format */
        ig->mode = MODE_SYSLOG;
        int rc;
        {
            /* format names the reader for this line only */
            const struct ingest_reader *save = ig->locked;
            enum mode m = ig->mode;
            ig->mode = MODE_LOCKED;
            rc = call_reader(ig, (size_t)r, ln);
            ig->mode = m;
            ig->locked = save;
        }
        return rc;
    }
    if (ig->mode == MODE_SYSLOG || ig->forced_syslog)
        return ingest_malformed(ig, "line without a syslog header");
    int best = 0;
    size_t best_r = 0;
    for (size_t r = 0; r < N_READERS; r++) {
        if (!readers[r]->sniff)
            continue;
        int s = readers[r]->sniff(ln);
        if (s > best)
            best = s, best_r = r;
    }
    if (!best)
        return ingest_malformed(ig, "unrecognised line format");
    lock_reader(ig, best_r);
    return call_reader(ig, best_r, ln);
}

/* may_nul: the line may hold a NUL byte (feed scans each chunk once, so lines of a chunk
 * without any skip the per-line check) */
static int process_line(rb_ingest *ig, const char *p, size_t n, bool may_nul)
{
    if (n && p[n - 1] == '\r')
        n--;
    ig->lineno++;
    ig->stats.lines++;
    struct ingest_line ln;
    memset(&ln, 0, sizeof ln);
    ln.raw = ln.msg = slice_make(p, n);
    ln.prog = ln.host = slice_make("", 0);
    ln.lineno = ig->lineno;
    if (may_nul && memchr(p, '\0', n))
        return ingest_malformed(ig, "binary data (NUL byte) in line");
    return route_line(ig, &ln);
}

/* ---- public entry points ------------------------------------------------------------------- */

static const struct ingest_reader *reader_by_name(const char *name, bool *syslog)
{
    *syslog = false;
    if (!name || !*name || strcmp(name, "auto") == 0)
        return NULL;
    if (strcmp(name, "syslog") == 0) {
        *syslog = true;
        return NULL;
    }
    for (size_t r = 0; r < N_READERS; r++)
        if (strcmp(readers[r]->name, name) == 0)
            return readers[r];
    /* JSON flavours are one reader: it recognises each document's shape */
    static const char *const json_names[] = {"kumomta",  "ses",       "sendgrid", "mailgun",
                                             "postmark", "sparkpost", "mandrill"};
    for (size_t i = 0; i < sizeof json_names / sizeof json_names[0]; i++)
        if (strcmp(json_names[i], name) == 0)
            return &ingest_reader_json;
    return (const struct ingest_reader *)-1;
}

int rb_ingest_new(const rb_classifier *c, const rb_ingest_opts *opts, rb_ingest **out)
{
    if (!c || !out)
        return RB_EINVAL;
    *out = NULL;
    rb_ingest *ig = calloc(1, sizeof *ig);
    if (!ig)
        return RB_ENOMEM;
    ig->mem = NULL;
    if (opts)
        ig->opts = *opts;
    ig->year = ig->opts.year;
    ig->now = (long long)time(NULL);
    {
        time_t nt = (time_t)ig->now;
        struct tm tmv;
        gmtime_r(&nt, &tmv);
        ig->year_now = tmv.tm_year + 1900;
    }
    buf_init(&ig->carry, INGEST_MAX_LINE, ig->mem);
    buf_init(&ig->evbuf, INGEST_EV_CAP, ig->mem);
    int rc = rb_scratch_new(c, &ig->scratch);
    if (rc != RB_OK) {
        rb_ingest_free(ig);
        return rc;
    }
    if (ig->opts.map) {
        ig->map_copy = strdup(ig->opts.map);
        if (!ig->map_copy) {
            rb_ingest_free(ig);
            return RB_ENOMEM;
        }
        ig->opts.map = ig->map_copy;
    }
    if (ig->opts.campaign_header) {
        ig->campaign_copy = strdup(ig->opts.campaign_header);
        if (!ig->campaign_copy) {
            rb_ingest_free(ig);
            return RB_ENOMEM;
        }
        ig->opts.campaign_header = ig->campaign_copy;
    }
    ig->opts.format = NULL; /* not kept: the caller's string may go away */
    bool sys;
    const struct ingest_reader *f = reader_by_name(opts ? opts->format : NULL, &sys);
    if (f == (const struct ingest_reader *)-1) {
        ingest_set_error(ig, "unknown format '%s' (see rb_ingest_formats)", opts->format);
        *out = ig;
        return RB_EINVAL;
    }
    ig->forced_syslog = sys;
    for (size_t r = 0; r < N_READERS; r++) {
        if (readers[r]->state_size) {
            ig->state[r] = calloc(1, readers[r]->state_size);
            if (!ig->state[r]) {
                rb_ingest_free(ig);
                return RB_ENOMEM;
            }
        }
        if (readers[r] == f) {
            ig->forced = f;
            lock_reader(ig, r);
        }
    }
    for (size_t r = 0; r < N_READERS; r++) {
        if (readers[r]->init) {
            rc = readers[r]->init(ig, ig->state[r]);
            if (rc == RB_EINVAL) {
                *out = ig; /* so the caller can read rb_ingest_error() */
                return rc;
            }
            if (rc != RB_OK) {
                rb_ingest_free(ig);
                return rc;
            }
        }
    }
    *out = ig;
    return RB_OK;
}

rb_ingest *rb_ingest_free(rb_ingest *ig)
{
    if (!ig)
        return NULL;
    for (size_t r = 0; r < N_READERS; r++) {
        if (ig->state[r] && readers[r]->fini)
            readers[r]->fini(ig, ig->state[r]);
        free(ig->state[r]);
    }
    buf_free(&ig->carry);
    buf_free(&ig->evbuf);
    rb_scratch_free(ig->scratch);
    mem_free(ig->mem, ig->qc);
    mem_free(ig->mem, ig->qc_sets);
    mem_free(ig->mem, ig->qc_free);
    free(ig->map_copy);
    free(ig->campaign_copy);
    free(ig);
    return NULL;
}

int rb_ingest_feed(rb_ingest *ig, const char *p, size_t n, rb_event_cb cb, void *ud)
{
    if (!ig || (!p && n))
        return RB_EINVAL;
    ig->cb = cb;
    ig->ud = ud;
    ig->stats.bytes += n;
    int rc = RB_OK;
    /* the next NUL byte at or after p: found by one vectorised pass instead of a search per
     * line (text logs have none); searched again only after a line that held one */
    const char *nul = n ? memchr(p, '\0', n) : NULL;
    while (n) {
        const char *nl = memchr(p, '\n', n);
        size_t seg = nl ? (size_t)(nl - p) : n;
        if (nul && nul < p)
            nul = memchr(p, '\0', n);
        bool chunk_nul = nul && nul < p + seg;
        if (ig->skipping) {
            if (nl)
                ig->skipping = false;
        } else if (ig->carry.len || !nl) {
            /* part of a line that began in an earlier chunk, or ends in a later one */
            if (buf_append(&ig->carry, p, seg) != RB_OK) {
                buf_reset(&ig->carry);
                ig->lineno++;
                ig->stats.lines++;
                rc = ingest_malformed(ig, ig->carry.cap > INGEST_MAX_LINE
                                              ? "line longer than the reader's limit"
                                              : "line longer than 1 MB");
                ig->skipping = nl == NULL;
            } else if (nl) {
                rc = process_line(ig, ig->carry.p, ig->carry.len, true);
                buf_reset(&ig->carry);
            }
        } else {
            rc = process_line(ig, p, seg, chunk_nul);
        }
        if (rc != RB_OK)
            return rc;
        if (!nl)
            break;
        p = nl + 1;
        n -= seg + 1;
    }
    return RB_OK;
}

int rb_ingest_end(rb_ingest *ig, rb_event_cb cb, void *ud)
{
    if (!ig)
        return RB_EINVAL;
    ig->cb = cb;
    ig->ud = ud;
    int rc = RB_OK;
    if (ig->carry.len && !ig->skipping)
        rc = process_line(ig, ig->carry.p, ig->carry.len, true);
    buf_reset(&ig->carry);
    ig->skipping = false;
    for (size_t r = 0; r < N_READERS && rc == RB_OK; r++) {
        if (readers[r]->end && (!ig->forced || readers[r] == ig->forced)) {
            /* a reader in the middle of a document gets to finish it */
            bool was_locked = ig->mode == MODE_LOCKED && ig->locked == readers[r];
            if (was_locked || ig->forced == readers[r])
                rc = readers[r]->end(ig, ig->state[r]);
        }
    }
    for (size_t r = 0; r < N_READERS; r++)
        if (readers[r]->reset)
            readers[r]->reset(ig, ig->state[r]);
    ig->lineno = 0;
    if (!ig->forced) {
        ig->mode = MODE_UNKNOWN;
        ig->locked = NULL;
        ig->carry.cap = INGEST_MAX_LINE;
    }
    return rc;
}
