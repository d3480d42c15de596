/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest_postfix.c - Postfix log lines -> events.
 *
 * DESCRIPTION
 *   Delivery agents (smtp, lmtp, local, virtual, pipe, error, discard) log one line per
 *   recipient and attempt:
 *     QID: to=<r>, [orig_to=<o>,] relay=host[ip]:port, delay=D, delays=a/b/c/d, dsn=X.Y.Z,
 *          status=sent|deferred|bounced|expired (TEXT)
 *   where TEXT is "host H[ip] said: REPLY (in reply to CMD command)" or Postfix's own words.
 *   Earlier lines of the same queue id carry what the delivery line lacks: cleanup logs
 *   "QID: message-id=<..>" (and "info: header NAME: value" for header_checks INFO rules: the
 *   campaign header), qmgr logs "QID: from=<..>, size=.., nrcpt=..". Those are kept in the
 *   framework's bounded queue cache and dropped at "QID: removed". qmgr's
 *   "QID: from=<..>, status=expired, returned to sender" names no recipient: the event gets
 *   the last recipient deferred for that queue id.
 *   Lines are recognised by content, not by the daemon name, so bare messages (no syslog
 *   header, as grok test data has them) decode too.
 */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include "ingest.h"
#include "reply.h"

static const char *const postfix_progs[] = {"postfix/", NULL};

/* ASCII letters and digits */
static const unsigned char alnum[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
    ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1,
    ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
    ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
    ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

#if defined(__SSE2__)
/* alnum16 - bit k set when byte k of x is an ASCII letter or digit (bytes >= 0x80 are
 * negative in the signed compares, so they are neither) */
static inline unsigned alnum16(__m128i x)
{
    __m128i dig = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
                                _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));
    __m128i low = _mm_or_si128(x, _mm_set1_epi8(0x20)); /* letters to lower case */
    __m128i let = _mm_and_si128(_mm_cmpgt_epi8(low, _mm_set1_epi8('a' - 1)),
                                _mm_cmplt_epi8(low, _mm_set1_epi8('z' + 1)));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(dig, let));
}
#endif

/* queue id: "NOQUEUE" or 5..20 alphanumerics, then ': ' */
static bool queue_id(struct slice msg, struct slice *qid, struct slice *rest)
{
    const unsigned char *u = (const unsigned char *)msg.p;
    size_t lim = msg.len < 21 ? msg.len : 21, i = 0;
#if defined(__SSE2__)
    if (msg.len >= 32) { /* the run of alphanumerics from two blocks' masks */
        unsigned m = alnum16(_mm_loadu_si128((const __m128i *)(const void *)u)) |
                     alnum16(_mm_loadu_si128((const __m128i *)(const void *)(u + 16))) << 16;
        i = (size_t)__builtin_ctz(~m | 1u << 31);
        if (i > lim)
            i = lim;
    }
#endif
    while (i < lim && alnum[u[i]])
        i++;
    if (i < 5 || i > 20 || i + 1 >= msg.len || msg.p[i] != ':' || msg.p[i + 1] != ' ')
        return false;
    *qid = slice_make(msg.p, i);
    *rest = slice_make(msg.p + i + 2, msg.len - i - 2);
    return true;
}

static bool starts(struct slice s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len >= n && memcmp(s.p, lit, n) == 0;
}

/* relay=host[ip]:port -> host, ip */
static void split_relay(struct slice relay, struct slice *host, struct slice *ip)
{
    *host = relay;
    *ip = slice_make("", 0);
    const char *end = relay.p + relay.len, *lb = slice_find3(relay.p, end, '[', '[', '[');
    if (lb == end) {
        /* relay=none, local, virtual, or host:port */
        const char *colon = memchr(relay.p, ':', relay.len);
        if (colon)
            host->len = (size_t)(colon - relay.p);
        if (slice_eq_ci(*host, "none"))
            host->len = 0;
        return;
    }
    host->len = (size_t)(lb - relay.p);
    const char *rb = slice_find3(lb, end, ']', ']', ']');
    if (rb != end)
        *ip = slice_make(lb + 1, (size_t)(rb - lb - 1));
}

/* the parenthesised text after "status=word " (to the last ')' of the line) */
static struct slice status_text(struct slice after)
{
    const char *lp = memchr(after.p, '(', after.len);
    if (!lp)
        return slice_make("", 0);
    const char *end = after.p + after.len;
    while (end > lp + 1 && end[-1] != ')')
        end--;
    if (end == lp + 1)
        return slice_make(lp + 1, (size_t)(after.p + after.len - lp - 1)); /* cut line */
    return slice_make(lp + 1, (size_t)(end - 1 - lp - 1));
}

static rb_event_kind status_kind(struct slice st)
{
    if (slice_eq_ci(st, "sent") || slice_eq_ci(st, "delivered"))
        return RB_EVENT_DELIVERED;
    if (slice_eq_ci(st, "deferred"))
        return RB_EVENT_DEFERRED;
    if (slice_eq_ci(st, "bounced"))
        return RB_EVENT_BOUNCED;
    if (slice_eq_ci(st, "expired"))
        return RB_EVENT_EXPIRED;
    return RB_EVENT_UNKNOWN;
}

/* One pass over "k=v, k=v, ... status=word (text)": the keys a delivery line has, in the
 * order Postfix writes them (orig_to=, conn_use= and others are skipped). */
struct delivery {
    struct slice to, relay, delay, dsn, status, tail;
};

static bool delivery_fields(struct slice rest, struct delivery *d)
{
    const char *p = rest.p, *end = rest.p + rest.len;
    memset(d, 0, sizeof *d);
    while (p < end) {
        const char *eq = slice_find3(p, end, '=', '=', '=');
        if (eq == end)
            break;
        struct slice key = slice_make(p, (size_t)(eq - p));
        const char *v = eq + 1, *e;
        if (v < end && *v == '<') {
            e = memchr(v, '>', (size_t)(end - v));
            if (!e)
                e = end;
            v++;
        } else {
            e = slice_find3(v, end, ',', ' ', ' ');
        }
        struct slice val = slice_make(v, (size_t)(e - v));
        if (key.len == 6 && memcmp(key.p, "status", 6) == 0) {
            d->status = val;
            d->tail = slice_make(e, (size_t)(end - e));
            return d->to.p != NULL;
        }
        if (key.len == 2 && memcmp(key.p, "to", 2) == 0 && !d->to.p)
            d->to = val;
        else if (key.len == 5 && memcmp(key.p, "relay", 5) == 0)
            d->relay = val;
        else if (key.len == 5 && memcmp(key.p, "delay", 5) == 0)
            d->delay = val;
        else if (key.len == 3 && memcmp(key.p, "dsn", 3) == 0)
            d->dsn = val;
        if (e < end && *e == '>')
            e++;
        while (e < end && (*e == ',' || *e == ' '))
            e++;
        p = e;
    }
    return false;
}

static double parse_seconds(struct slice v)
{
    double d = 0, scale = 0;
    for (size_t i = 0; i < v.len; i++) {
        char c = v.p[i];
        if (c >= '0' && c <= '9') {
            if (scale > 0) {
                d += (c - '0') * scale;
                scale /= 10;
            } else {
                d = d * 10 + (c - '0');
            }
        } else if (c == '.' && scale <= 0) {
            scale = 0.1;
        } else {
            break;
        }
    }
    return d;
}

static int delivery_line(rb_ingest *ig, const struct ingest_line *ln, struct slice qid,
                         struct slice rest)
{
    struct delivery d;
    if (!delivery_fields(rest, &d))
        return ingest_malformed(ig, "postfix: delivery line without to= or status=");
    rb_event_kind k = status_kind(d.status);
    /* address-verification probes (verify(8): status=deliverable, undeliverable,
     * undeliverable-but-not-cached) check addresses for reject_unverified_*; no mail went
     * out, so they are not deliveries or bounces of the sender's mail */
    if (k == RB_EVENT_UNKNOWN &&
        ((d.status.len >= 11 && mem_eq_ci(d.status.p, "deliverable", 11)) ||
         (d.status.len >= 13 && mem_eq_ci(d.status.p, "undeliverable", 13))))
        return ingest_ignored(ig);
    if (k == RB_EVENT_UNKNOWN)
        return ingest_malformed(ig, "postfix: unknown status= value");
    struct ingest_ev e;
    ingest_ev_init(&e, k, ln);
    e.nul_free = true; /* slices of the line, the queue cache and cmd */
    e.recipient = d.to;
    e.queueid = qid;
    if (d.relay.p)
        split_relay(d.relay, &e.rhost, &e.rhost_ip);
    e.status = d.dsn;
    if (d.delay.p)
        e.delay = parse_seconds(d.delay);
    e.text = status_text(d.tail);
    char cmd[16]; /* "(in reply to RCPT TO command)": the classifier's reader of the text
                     takes no command from it, so name it here */
    if (k != RB_EVENT_DELIVERED) {
        reply_find_command(e.text.p, e.text.len, cmd);
        e.command = slice_make(cmd, strlen(cmd));
    }
    struct slice q[QC__FIELDS];
    ingest_qc_get_all(ig, qid, q);
    e.sender = q[QC_FROM];
    e.messageid = q[QC_MSGID];
    e.campaign = q[QC_CAMPAIGN];
    if (k == RB_EVENT_DEFERRED) /* for qmgr's "status=expired" line, which names nobody */
        ingest_qc_put(ig, qid, QC_EXTRA, d.to);
    return ingest_emit(ig, &e);
}

/* qmgr: "from=<s>, size=N, nrcpt=N (queue active)" or "from=<s>, status=expired, ..." */
static int qmgr_from(rb_ingest *ig, const struct ingest_line *ln, struct slice qid,
                     struct slice rest)
{
    struct slice from, st;
    if (!ingest_kv(rest, "from=", &from))
        return ingest_ignored(ig);
    if (!ingest_kv(rest, "status=", &st)) {
        ingest_qc_put(ig, qid, QC_FROM, from);
        return ingest_ignored(ig);
    }
    if (!slice_eq_ci(st, "expired"))
        return ingest_ignored(ig);
    struct ingest_ev e;
    ingest_ev_init(&e, RB_EVENT_EXPIRED, ln);
    e.nul_free = true; /* slices of the line and the queue cache */
    e.sender = from;
    e.queueid = qid;
    e.recipient = ingest_qc_get(ig, qid, QC_EXTRA);
    e.messageid = ingest_qc_get(ig, qid, QC_MSGID);
    e.campaign = ingest_qc_get(ig, qid, QC_CAMPAIGN);
    const char *stp = st.p + st.len;
    struct slice tail = slice_make(stp, (size_t)(rest.p + rest.len - stp));
    e.text = slice_trim(tail);
    if (e.text.len && e.text.p[0] == ',')
        e.text = slice_trim(slice_make(e.text.p + 1, e.text.len - 1));
    return ingest_emit(ig, &e);
}

/* cleanup: "info: header NAME: value from host[ip]; from=<..> to=<..> ..." */
static int header_info(rb_ingest *ig, struct slice qid, struct slice rest)
{
    const rb_ingest_opts *o = ingest_opts(ig);
    const char *want =
        o->campaign_header && *o->campaign_header ? o->campaign_header : "X-Campaign-ID";
    size_t wl = strlen(want);
    const char *h = rest.p, *end = rest.p + rest.len;
    /* skip "info: header " / "warning: header " */
    const char *hdr = memmem(h, rest.len, "header ", 7);
    if (!hdr)
        return ingest_ignored(ig);
    hdr += 7;
    if ((size_t)(end - hdr) <= wl + 1 || !mem_eq_ci(hdr, want, wl) || hdr[wl] != ':')
        return ingest_ignored(ig);
    const char *v = hdr + wl + 1;
    while (v < end && *v == ' ')
        v++;
    const char *ve = memmem(v, (size_t)(end - v), " from ", 6);
    if (!ve)
        ve = end;
    ingest_qc_put(ig, qid, QC_CAMPAIGN, slice_trim(slice_make(v, (size_t)(ve - v))));
    return ingest_ignored(ig);
}

static int postfix_line(rb_ingest *ig, void *state, const struct ingest_line *ln)
{
    (void)state;
    struct slice qid, rest;
    if (!queue_id(ln->msg, &qid, &rest))
        return ingest_ignored(ig); /* connect/disconnect, warnings, statistics ... */
    if (starts(rest, "to="))
        return delivery_line(ig, ln, qid, rest);
    if (starts(rest, "from="))
        return qmgr_from(ig, ln, qid, rest);
    if (starts(rest, "message-id=")) {
        struct slice mid;
        if (ingest_kv(rest, "message-id=", &mid))
            ingest_qc_put(ig, qid, QC_MSGID, mid);
        return ingest_ignored(ig);
    }
    if (starts(rest, "removed")) {
        ingest_qc_drop(ig, qid);
        return ingest_ignored(ig);
    }
    if (starts(rest, "info: header ") || starts(rest, "warning: header "))
        return header_info(ig, qid, rest);
    return ingest_ignored(ig);
}

/* a file of bare Postfix messages: "QID: to=<...>, relay=..." */
static int postfix_sniff(const struct ingest_line *ln)
{
    struct slice qid, rest;
    if (!queue_id(ln->raw, &qid, &rest))
        return 0;
    if (starts(rest, "to=") || starts(rest, "from=") || starts(rest, "message-id="))
        return 60;
    return 0;
}

const struct ingest_reader ingest_reader_postfix = {
    .name = "postfix",
    .sniff = postfix_sniff,
    .progs = postfix_progs,
    .line = postfix_line,
};
