/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest_sendmail.c - Sendmail syslog lines (sendmail, sm-mta, sm-msp-queue) -> events.
 *
 * DESCRIPTION
 *   Sendmail logs each message under its queue id:
 *     QID: from=<s>, size=N, class=0, nrcpts=N, msgid=<m>, proto=ESMTP, daemon=MTA, relay=..
 *     QID: to=<a>,<b>, [ctladdr=..,] delay=D, xdelay=D, mailer=esmtp, pri=N,
 *          relay=host. [ip], dsn=X.Y.Z, [reply=..,] stat=TEXT
 *   The from= line is kept in the queue cache (sender, Message-ID). A to= line gives one event
 *   per address of its comma list: stat=Sent (..) is a delivery, stat=Deferred: .. a deferral,
 *   any other stat= a permanent failure (dsn= 5.x.x; a 4.x.x or 2.x.x dsn= decides when the
 *   stat= word does not). reply= (when logged) is the remote reply, else the stat= text is.
 *   "QID: QID2: DSN: ..", "done", milter, STARTTLS, and ruleset=check_* .. reject= lines
 *   (inbound rejects) carry no outbound event and are counted as ignored.
 *
 * LIMITS
 *   Addresses in the to= list must not contain ", ". The stat= text runs to the end of the
 *   line (it is always the last field).
 */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include "ingest.h"

static const char *const sendmail_progs[] = {"sendmail", "sm-mta", "sm-msp-queue", NULL};

static bool starts(struct slice s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len >= n && memcmp(s.p, lit, n) == 0;
}

/* queue id: 6..20 alphanumerics, then ": " */
static bool queue_id(struct slice msg, struct slice *qid, struct slice *rest)
{
    size_t i = 0;
    while (i < msg.len && i <= 20) {
        char c = msg.p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
            break;
        i++;
    }
    if (i < 6 || i > 20 || i + 1 >= msg.len || msg.p[i] != ':' || msg.p[i + 1] != ' ')
        return false;
    *qid = slice_make(msg.p, i);
    *rest = slice_make(msg.p + i + 2, msg.len - i - 2);
    return true;
}

/* field - value of "key=" (a field start: line start or after ", ") up to the next ", " or
 * the end of the line; "stat=" always runs to the end. */
static bool field(struct slice s, const char *key, struct slice *val)
{
    size_t kl = strlen(key);
    const char *p = s.p, *end = s.p + s.len;
    while (p + kl <= end) {
        const char *hit = memmem(p, (size_t)(end - p), key, kl);
        if (!hit)
            return false;
        if (hit == s.p || (hit - s.p >= 2 && hit[-1] == ' ' && hit[-2] == ',')) {
            const char *v = hit + kl, *e = v;
            if (strcmp(key, "stat=") == 0) {
                e = end;
            } else {
                /* reply= text may hold ", ": it ends where stat= begins */
                const char *c = strcmp(key, "reply=") == 0
                                    ? memmem(v, (size_t)(end - v), ", stat=", 7)
                                    : memmem(v, (size_t)(end - v), ", ", 2);
                e = c ? c : end;
            }
            *val = slice_make(v, (size_t)(e - v));
            return true;
        }
        p = hit + 1;
    }
    return false;
}

/* "[d+]hh:mm:ss" -> seconds; -1 if not that */
static double sm_delay(struct slice v)
{
    long days = 0, parts[3] = {0, 0, 0};
    size_t i = 0, np = 0;
    const char *plus = memchr(v.p, '+', v.len);
    if (plus) {
        for (; v.p + i < plus; i++) {
            if (v.p[i] < '0' || v.p[i] > '9' || days > 100000)
                return -1;
            days = days * 10 + (v.p[i] - '0');
        }
        i++;
    }
    for (; i < v.len && np < 3; i++) {
        char c = v.p[i];
        if (c >= '0' && c <= '9' && parts[np] < 100000)
            parts[np] = parts[np] * 10 + (c - '0');
        else if (c == ':')
            np++;
        else
            return -1;
    }
    if (np != 2)
        return -1;
    return (double)(days * 86400 + parts[0] * 3600 + parts[1] * 60 + parts[2]);
}

/* relay=host. [ip] / [ip] [ip] / host -> name (without the root dot), ip */
static void split_relay(struct slice r, struct slice *host, struct slice *ip)
{
    const char *end = r.p + r.len, *e = r.p;
    while (e < end && *e != ' ')
        e++;
    struct slice h = slice_make(r.p, (size_t)(e - r.p));
    if (h.len && h.p[0] == '[') {
        const char *rb = memchr(h.p, ']', h.len);
        if (rb)
            *ip = slice_make(h.p + 1, (size_t)(rb - h.p - 1));
    } else {
        if (h.len > 1 && h.p[h.len - 1] == '.')
            h.len--;
        *host = h;
    }
    const char *lb = memchr(e, '[', (size_t)(end - e));
    if (lb) {
        const char *rb = memchr(lb, ']', (size_t)(end - lb));
        if (rb)
            *ip = slice_make(lb + 1, (size_t)(rb - lb - 1));
    }
}

static int to_line(rb_ingest *ig, const struct ingest_line *ln, struct slice qid, struct slice rest)
{
    struct slice to, stat, v;
    if (!field(rest, "to=", &to) || !to.len)
        return ingest_malformed(ig, "sendmail: to= line without an address");
    if (!field(rest, "stat=", &stat))
        return ingest_malformed(ig, "sendmail: to= line without stat=");
    struct ingest_ev ev;
    ingest_ev_init(&ev, RB_EVENT_BOUNCED, ln);
    ev.queueid = qid;
    if (ingest_kv(rest, "dsn=", &v))
        ev.status = v;
    if (starts(stat, "Sent")) {
        ev.kind = RB_EVENT_DELIVERED;
    } else if (starts(stat, "Deferred") || starts(stat, "deferred")) {
        ev.kind = RB_EVENT_DEFERRED;
    } else if (slice_eq_ci(stat, "queued")) {
        return ingest_ignored(ig); /* accepted into the queue, no attempt yet */
    } else if (ev.status.len && ev.status.p[0] == '4') {
        ev.kind = RB_EVENT_DEFERRED;
    } else if (ev.status.len && ev.status.p[0] == '2') {
        ev.kind = RB_EVENT_DELIVERED;
    }
    if (field(rest, "reply=", &v)) {
        ev.text = v;
    } else if (ev.kind == RB_EVENT_DELIVERED) {
        const char *lp = memchr(stat.p, '(', stat.len);
        ev.text = stat;
        if (lp && stat.p[stat.len - 1] == ')')
            ev.text = slice_make(lp + 1, (size_t)(stat.p + stat.len - 1 - lp - 1));
    } else {
        ev.text = stat;
    }
    if (field(rest, "relay=", &v))
        split_relay(v, &ev.rhost, &ev.rhost_ip);
    if (field(rest, "delay=", &v))
        ev.delay = sm_delay(v);
    ev.sender = ingest_qc_get(ig, qid, QC_FROM);
    ev.messageid = ingest_qc_get(ig, qid, QC_MSGID);

    /* one event per address of "<a>,<b>,c" */
    const char *p = to.p, *end = to.p + to.len;
    int rc = RB_OK, n = 0;
    while (p < end && rc == RB_OK) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *e = c ? c : end;
        struct slice a = slice_trim(slice_make(p, (size_t)(e - p)));
        if (a.len >= 2 && a.p[0] == '<' && a.p[a.len - 1] == '>')
            a = slice_make(a.p + 1, a.len - 2);
        if (a.len) {
            ev.recipient = a;
            rc = ingest_emit(ig, &ev);
            n++;
        }
        p = e + 1;
    }
    if (rc == RB_OK && !n)
        return ingest_malformed(ig, "sendmail: to= line without an address");
    return rc;
}

static int sendmail_line(rb_ingest *ig, void *state, const struct ingest_line *ln)
{
    (void)state;
    struct slice qid, rest, v;
    if (!queue_id(ln->msg, &qid, &rest))
        return ingest_ignored(ig); /* daemon start, alias rebuilds ... */
    if (starts(rest, "to="))
        return to_line(ig, ln, qid, rest);
    if (starts(rest, "from=")) {
        if (ingest_kv(rest, "from=", &v))
            ingest_qc_put(ig, qid, QC_FROM, v);
        if (ingest_kv(rest, "msgid=", &v))
            ingest_qc_put(ig, qid, QC_MSGID, v);
        return ingest_ignored(ig);
    }
    /* ruleset=check_rcpt ... reject=550 5.7.1: an inbound reject; "QID2: DSN: ..." etc. */
    return ingest_ignored(ig);
}

/* a file of bare Sendmail messages (no syslog header) */
static int sendmail_sniff(const struct ingest_line *ln)
{
    struct slice qid, rest;
    if (!queue_id(ln->raw, &qid, &rest))
        return 0;
    if (starts(rest, "to=") &&
        (memmem(rest.p, rest.len, ", stat=", 7) || memmem(rest.p, rest.len, ", mailer=", 9)))
        return 70;
    if (starts(rest, "from=") && memmem(rest.p, rest.len, ", nrcpts=", 9))
        return 70;
    return 0;
}

const struct ingest_reader ingest_reader_sendmail = {
    .name = "sendmail",
    .sniff = sendmail_sniff,
    .progs = sendmail_progs,
    .line = sendmail_line,
};
