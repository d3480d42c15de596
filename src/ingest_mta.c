/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest_mta.c - OpenSMTPD and Haraka log lines -> events (Exim and Sendmail have their own
 *                files: ingest_exim.c, ingest_sendmail.c).
 *
 * DESCRIPTION
 *   OpenSMTPD (syslog program "smtpd") logs one line per envelope and attempt:
 *     SESSION mta delivery evpid=E from=<s> to=<r> rcpt=<o> source="ip" relay="ip (name)"
 *             delay=1s result="Ok|TempFail|PermFail|Loop" stat="REPLY"
 *   (6.0 wrote "mta event=delivery"; "mda delivery" lines are local deliveries; 5.x wrote
 *   "relay: RESULT for ID: from=<..>, to=<..>, ..., stat=.."). source= is the sending IP. smtp-in,
 *   connection and TLS lines carry no event.
 *
 *   Haraka (its own log file, or syslog program "haraka") writes
 *     [ISO-TIME ][LEVEL] [UUID] [outbound] MESSAGE
 *   and the outbound queue reports, per recipient, "recipient <r> rejected: REPLY" (bounced)
 *   and "recipient <r> deferred: REPLY"; per message, "bouncing mail: TEXT", "Temp failing
 *   FILE for N seconds: TEXT" and "delivered file=F domain=D host=H ip=I port=P mode=M tls=Y
 *   auth=N response="REPLY" delay=S fails=N rcpts=a/b/c". Message-level lines name no
 *   recipient: they give events with an empty recipient, except those that only summarise
 *   per-recipient lines ("Some recipients failed ...").
 *
 * LIMITS
 *   OpenSMTPD writes stat="..." without escaping: the value runs to the last '"' of the line.
 *   Haraka's "delivered" line names the domain but not the recipients.
 */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include "ingest.h"

static bool starts(struct slice s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len >= n && memcmp(s.p, lit, n) == 0;
}

static struct slice tail(struct slice s, size_t from)
{
    return from >= s.len ? slice_make(s.p + s.len, 0) : slice_make(s.p + from, s.len - from);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* duration - "1d2h3m4s", "3s", "1.5" (seconds) -> seconds; -1 if not one */
static double duration(struct slice v)
{
    double total = 0, num = 0, scale = 0;
    bool have = false;
    for (size_t i = 0; i < v.len; i++) {
        char c = v.p[i];
        if (is_digit(c)) {
            if (scale != 0) {
                num += (c - '0') * scale;
                scale /= 10;
            } else {
                num = num * 10 + (c - '0');
            }
            have = true;
            continue;
        }
        if (c == '.' && scale == 0) {
            scale = 0.1;
            continue;
        }
        double mult = c == 's' ? 1 : c == 'm' ? 60 : c == 'h' ? 3600 : c == 'd' ? 86400 : 0;
        if (mult == 0 || !have)
            return -1;
        total += num * mult;
        num = 0;
        scale = 0;
        have = false;
    }
    return total + num;
}

/* ---- OpenSMTPD ------------------------------------------------------------------------------ */

static const char *const smtpd_progs[] = {"smtpd", "opensmtpd", NULL};

/* qkv - value of " key=" in an OpenSMTPD line: "quoted" (stat: to the last quote of the line),
 * <angle> or a bare word. false if absent. */
static bool qkv(struct slice s, const char *key, struct slice *val, bool v5)
{
    size_t kl = strlen(key);
    const char *p = s.p, *end = s.p + s.len;
    while (p + kl <= end) {
        const char *hit = memmem(p, (size_t)(end - p), key, kl);
        if (!hit)
            return false;
        if (hit == s.p || hit[-1] == ' ' || hit[-1] == ',') {
            const char *v = hit + kl, *e;
            if (v < end && *v == '"') {
                v++;
                if (strcmp(key, "stat=") == 0) {
                    e = end;
                    while (e > v && e[-1] != '"')
                        e--;
                    e = e > v ? e - 1 : end; /* no closing quote: a cut line */
                } else {
                    e = memchr(v, '"', (size_t)(end - v));
                    if (!e)
                        e = end;
                }
            } else if (v < end && *v == '<') {
                v++;
                e = memchr(v, '>', (size_t)(end - v));
                if (!e)
                    e = end;
            } else if (strcmp(key, "stat=") == 0) {
                e = end; /* the last field, unquoted in 5.x */
            } else {
                /* 5.x separates fields with ", " (relay=ip (name), ...) */
                e = v;
                while (e < end && *e != ',' && (v5 || *e != ' '))
                    e++;
            }
            *val = slice_make(v, (size_t)(e - v));
            return true;
        }
        p = hit + 1;
    }
    return false;
}

/* relay="ip (name)" (6.x) or "name [ip]" / "name (ip)" (5.x) -> name, ip */
static void smtpd_relay(struct slice r, struct slice *host, struct slice *ip)
{
    const char *end = r.p + r.len, *e = r.p;
    while (e < end && *e != ' ')
        e++;
    struct slice first = slice_make(r.p, (size_t)(e - r.p));
    struct slice second = slice_make("", 0);
    const char *o = e;
    while (o < end && *o == ' ')
        o++;
    if (o < end && (*o == '(' || *o == '[')) {
        const char *c = memchr(o, *o == '(' ? ')' : ']', (size_t)(end - o));
        if (c)
            second = slice_make(o + 1, (size_t)(c - o - 1));
    }
    /* an address has a ':' (IPv6) or only digits and dots */
    bool first_ip = first.len > 0;
    for (size_t i = 0; i < first.len; i++)
        if (!is_digit(first.p[i]) && first.p[i] != '.' && first.p[i] != ':' &&
            !(first.p[i] >= 'a' && first.p[i] <= 'f') && !(first.p[i] >= 'A' && first.p[i] <= 'F'))
            first_ip = false;
    if (first_ip && (memchr(first.p, '.', first.len) || memchr(first.p, ':', first.len))) {
        *ip = first;
        *host = second;
    } else {
        *host = first;
        *ip = second;
    }
}

static rb_event_kind smtpd_result(struct slice r)
{
    if (slice_eq_ci(r, "Ok"))
        return RB_EVENT_DELIVERED;
    if (slice_eq_ci(r, "TempFail"))
        return RB_EVENT_DEFERRED;
    if (slice_eq_ci(r, "PermFail") || slice_eq_ci(r, "Loop"))
        return RB_EVENT_BOUNCED;
    return RB_EVENT_UNKNOWN;
}

static int smtpd_delivery(rb_ingest *ig, const struct ingest_line *ln, struct slice rest,
                          struct slice result, struct slice id)
{
    struct slice v;
    bool v5 = result.len > 0; /* 5.x: "relay: RESULT for ID: k=v, k=v" */
    if (!result.len && !qkv(rest, "result=", &result, v5))
        return ingest_malformed(ig, "opensmtpd: delivery line without result=");
    rb_event_kind k = smtpd_result(result);
    if (k == RB_EVENT_UNKNOWN)
        return ingest_malformed(ig, "opensmtpd: unknown result= value");
    struct ingest_ev ev;
    ingest_ev_init(&ev, k, ln);
    if (!qkv(rest, "to=", &ev.recipient, v5) || !ev.recipient.len)
        return ingest_malformed(ig, "opensmtpd: delivery line without to=");
    qkv(rest, "from=", &ev.sender, v5);
    ev.queueid = id;
    if (qkv(rest, "evpid=", &v, v5))
        ev.queueid = v;
    if (qkv(rest, "source=", &v, v5))
        ev.sending_ip = v;
    if (qkv(rest, "relay=", &v, v5))
        smtpd_relay(v, &ev.rhost, &ev.rhost_ip);
    if (qkv(rest, "delay=", &v, v5))
        ev.delay = duration(v);
    if (qkv(rest, "stat=", &v, v5))
        ev.text = v;
    return ingest_emit(ig, &ev);
}

static int smtpd_line(rb_ingest *ig, void *state, const struct ingest_line *ln)
{
    (void)state;
    struct slice m = ln->msg;
    /* 5.x: "relay: PermFail for 1a2b3c4d: ..." / "delivery: Ok for ...: ..." */
    if (starts(m, "relay: ") || starts(m, "delivery: ")) {
        struct slice r = tail(m, m.p[0] == 'r' ? 7 : 10);
        const char *sp = memchr(r.p, ' ', r.len);
        if (!sp)
            return ingest_malformed(ig, "opensmtpd: delivery line without result=");
        struct slice result = slice_make(r.p, (size_t)(sp - r.p));
        struct slice rest = tail(r, result.len + 1), id = slice_make("", 0);
        if (starts(rest, "for ")) {
            const char *c = memchr(rest.p, ':', rest.len);
            if (c) {
                id = slice_make(rest.p + 4, (size_t)(c - rest.p - 4));
                rest = tail(rest, (size_t)(c - rest.p + 1));
            }
        }
        return smtpd_delivery(ig, ln, rest, result, id);
    }
    /* 6.x: "SESSION mta delivery ..." / "SESSION mta event=delivery ..." / "SESSION mda ..." */
    const char *sp = memchr(m.p, ' ', m.len);
    if (!sp)
        return ingest_ignored(ig);
    struct slice rest = tail(m, (size_t)(sp - m.p + 1));
    if (starts(rest, "mta delivery ") || starts(rest, "mta event=delivery ") ||
        starts(rest, "mda delivery ") || starts(rest, "mda event=delivery "))
        return smtpd_delivery(ig, ln, rest, slice_make("", 0), slice_make("", 0));
    return ingest_ignored(ig); /* smtp-in, connections, TLS, envelopes, queue lines */
}

/* bare OpenSMTPD messages: "0123456789abcdef mta delivery evpid=..." */
static int smtpd_sniff(const struct ingest_line *ln)
{
    struct slice m = ln->raw;
    size_t i = 0;
    while (i < m.len && ((m.p[i] >= '0' && m.p[i] <= '9') || (m.p[i] >= 'a' && m.p[i] <= 'f')))
        i++;
    if (i < 8 || i > 16 || i >= m.len || m.p[i] != ' ')
        return 0;
    struct slice rest = tail(m, i + 1);
    if (starts(rest, "mta delivery ") || starts(rest, "mta event=delivery ") ||
        starts(rest, "mda delivery ") || starts(rest, "smtp "))
        return 80;
    return 0;
}

const struct ingest_reader ingest_reader_opensmtpd = {
    .name = "opensmtpd",
    .sniff = smtpd_sniff,
    .progs = smtpd_progs,
    .line = smtpd_line,
};

/* ---- Haraka --------------------------------------------------------------------------------- */

static const char *const haraka_progs[] = {"haraka", "Haraka", NULL};

/* "[WORD]" at the start of s -> WORD, and s moved past it and the following spaces */
static bool bracket(struct slice *s, struct slice *word)
{
    if (!s->len || s->p[0] != '[')
        return false;
    const char *rb = memchr(s->p, ']', s->len);
    if (!rb)
        return false;
    *word = slice_make(s->p + 1, (size_t)(rb - s->p - 1));
    *s = tail(*s, (size_t)(rb - s->p + 1));
    while (s->len && s->p[0] == ' ')
        s->p++, s->len--;
    return true;
}

static bool haraka_level(struct slice w)
{
    static const char *const levels[] = {"DATA", "PROTOCOL", "DEBUG", "INFO",  "NOTICE",
                                         "WARN", "ERROR",    "CRIT",  "ALERT", "EMERG"};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (slice_eq_ci(w, levels[i]))
            return true;
    return false;
}

/* an own-file timestamp "2020-02-04T03:19:47.480Z " in front; returns bytes used */
static size_t haraka_time(struct slice m, long long *ts, int *tzoff)
{
    if (m.len < 20 || m.p[4] != '-' || m.p[10] != 'T')
        return 0;
    const char *sp = memchr(m.p, ' ', m.len);
    size_t n = sp ? (size_t)(sp - m.p) : m.len;
    if (!ingest_parse_time(slice_make(m.p, n), ts, tzoff))
        return 0;
    return sp ? n + 1 : n;
}

/* the message part after "[LEVEL] [uuid] [plugin...] " -> uuid, plugin, text */
static bool haraka_split(struct slice m, struct slice *uuid, struct slice *plugin,
                         struct slice *text)
{
    struct slice w;
    if (!bracket(&m, &w) || !haraka_level(w) || !bracket(&m, uuid))
        return false;
    *plugin = slice_make("", 0);
    /* [core] [outbound] / [outbound] [SUB-UUID]: the last known plugin word wins */
    while (bracket(&m, &w))
        if (!plugin->len || slice_eq_ci(w, "outbound"))
            *plugin = w;
    *text = m;
    return true;
}

/* "delivered file=F domain=D host=H ip=I port=P mode=M tls=Y auth=N response="R" delay=S" */
static int haraka_delivered(rb_ingest *ig, struct ingest_ev *ev, struct slice t)
{
    const char *end = t.p + t.len;
    struct slice v;
    if (qkv(t, "host=", &v, false))
        ev->rhost = v;
    if (qkv(t, "ip=", &v, false))
        ev->rhost_ip = v;
    if (qkv(t, "delay=", &v, false))
        ev->delay = duration(v);
    const char *r = memmem(t.p, t.len, " response=", 10);
    if (r) {
        const char *s = r + 10;
        const char *d = memmem(s, (size_t)(end - s), " delay=", 7);
        const char *e = d ? d : end;
        if (s < e && *s == '"') {
            s++;
            if (e > s && e[-1] == '"')
                e--;
        }
        ev->text = slice_make(s, (size_t)(e - s));
    }
    return ingest_emit(ig, ev);
}

static int haraka_line(rb_ingest *ig, void *state, const struct ingest_line *ln)
{
    (void)state;
    struct slice m = ln->msg, uuid, plugin, t;
    long long ts = ln->ts;
    int tzoff = ln->tzoff;
    m = tail(m, haraka_time(m, &ts, &tzoff));
    if (!haraka_split(m, &uuid, &plugin, &t)) {
        /* a syslog line inside a file locked to this format */
        struct ingest_line sl = *ln;
        if (ln->prog.len || !ingest_syslog_parse(&sl, ingest_opts(ig)->year) ||
            !haraka_split(sl.msg, &uuid, &plugin, &t))
            return ingest_malformed(ig, "haraka: line without a [LEVEL] [uuid] prefix");
        ts = sl.ts;
        tzoff = sl.tzoff;
    }
    if (!slice_eq_ci(plugin, "outbound"))
        return ingest_ignored(ig); /* inbound connections, plugins */
    struct ingest_ev ev;
    ingest_ev_init(&ev, RB_EVENT_UNKNOWN, ln);
    ev.ts = ts;
    ev.tzoff = tzoff;
    if (!slice_eq_ci(uuid, "-"))
        ev.queueid = uuid;
    if (starts(t, "recipient <")) {
        const char *gt = memchr(t.p, '>', t.len);
        if (!gt)
            return ingest_malformed(ig, "haraka: recipient line without <address>");
        ev.recipient = slice_make(t.p + 11, (size_t)(gt - t.p - 11));
        struct slice r = tail(t, (size_t)(gt - t.p + 1));
        if (starts(r, " rejected: "))
            ev.kind = RB_EVENT_BOUNCED, ev.text = tail(r, 11);
        else if (starts(r, " deferred: "))
            ev.kind = RB_EVENT_DEFERRED, ev.text = tail(r, 11);
        else
            return ingest_ignored(ig);
        return ingest_emit(ig, &ev);
    }
    if (starts(t, "bouncing mail: ")) {
        ev.text = tail(t, 15);
        if (starts(ev.text, "Some recipients failed"))
            return ingest_ignored(ig); /* the recipient lines were the events */
        ev.kind = starts(ev.text, "Too many failures") ? RB_EVENT_EXPIRED : RB_EVENT_BOUNCED;
        return ingest_emit(ig, &ev);
    }
    if (starts(t, "Temp failing ")) {
        const char *c = memmem(t.p, t.len, " seconds: ", 10);
        if (!c)
            return ingest_malformed(ig, "haraka: Temp failing line without a reason");
        ev.text = tail(t, (size_t)(c - t.p + 10));
        if (starts(ev.text, "Some recipients"))
            return ingest_ignored(ig);
        ev.kind = RB_EVENT_DEFERRED;
        return ingest_emit(ig, &ev);
    }
    if (starts(t, "delivered file=") || starts(t, "delivered: file=")) {
        ev.kind = RB_EVENT_DELIVERED;
        return haraka_delivered(ig, &ev, t);
    }
    return ingest_ignored(ig); /* MX lookups, connection attempts, pool messages */
}

static int haraka_sniff(const struct ingest_line *ln)
{
    long long ts;
    int off;
    struct slice m = tail(ln->raw, haraka_time(ln->raw, &ts, &off)), uuid, plugin, t;
    return haraka_split(m, &uuid, &plugin, &t) ? 70 : 0;
}

const struct ingest_reader ingest_reader_haraka = {
    .name = "haraka",
    .sniff = haraka_sniff,
    .progs = haraka_progs,
    .line = haraka_line,
};
