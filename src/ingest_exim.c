/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest_exim.c - Exim main log lines -> events.
 *
 * DESCRIPTION
 *   Exim writes one line per event to its main log (or syslog, program "exim"/"exim4"):
 *     DATE [+ZONE] [[PID]] MSGID FLAG ADDRESS [<PARENT>] R=.. T=.. H=host [ip]:port ... : TEXT
 *   where DATE is "YYYY-MM-DD hh:mm:ss[.fff]", ZONE is log_timezone's "+hhmm", MSGID is the
 *   message id (6-6-2 characters, or 6-11-4 since Exim 4.97) and FLAG is one of
 *     <=  arrival (the sender, S= size, id= Message-ID): kept in the queue cache
 *     (=  arrival, fakereject
 *     =>  delivery; ->  additional address in the same delivery; >>  cutthrough delivery;
 *     *>  delivery suppressed by -N              -> delivered (C="..." is the reply)
 *     **  delivery failed                        -> bounced ("retry timeout exceeded": expired)
 *     ==  delivery deferred                      -> deferred
 *   "Completed" forgets the message id. Lines without a message id (connections, ACL rejects
 *   of inbound mail, queue runs) and detail lines of a message carry no event and are counted
 *   as ignored. ADDRESS is the address delivered; when it is a local part, a pipe, a file or
 *   ":blackhole:" the address Exim routed it from (in <..>) is the recipient.
 *
 * LIMITS
 *   A pipe command containing spaces is not split from the router fields. The reply text is
 *   what follows the first ": " after the address (Exim's own layout); a DN= containing ": "
 *   before it would cut the text early.
 *
 * SEE ALSO
 *   The Exim specification, chapter "Log files" (log line flags, log_selector).
 */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include "ingest.h"

static const char *const exim_progs[] = {"exim", "exim4", NULL};

static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool starts(struct slice s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len >= n && memcmp(s.p, lit, n) == 0;
}

static struct slice tail(struct slice s, size_t from)
{
    return from >= s.len ? slice_make(s.p + s.len, 0) : slice_make(s.p + from, s.len - from);
}

static struct slice skip_spaces(struct slice s)
{
    while (s.len && s.p[0] == ' ')
        s.p++, s.len--;
    return s;
}

/* alnum run of min..max characters at p (n available); returns its length or 0 */
static size_t alnum_run(const char *p, size_t n, size_t min, size_t max)
{
    size_t i = 0;
    while (i < n && i <= max && is_alnum(p[i]))
        i++;
    return i >= min && i <= max ? i : 0;
}

/* exim_id - length of a message id at the start of s ("1rAbCd-000123-AB",
 * "10HmaX-000000005vi-0000") followed by a space or the end; 0 if none. */
static size_t exim_id(struct slice s)
{
    size_t a = alnum_run(s.p, s.len, 6, 6);
    if (!a || a >= s.len || s.p[a] != '-')
        return 0;
    size_t b = alnum_run(s.p + a + 1, s.len - a - 1, 6, 11);
    size_t i = a + 1 + b;
    if (!b || i >= s.len || s.p[i] != '-')
        return 0;
    size_t c = alnum_run(s.p + i + 1, s.len - i - 1, 2, 4);
    i += 1 + c;
    if (!c || (i < s.len && s.p[i] != ' '))
        return 0;
    return i;
}

/* exim_time - "YYYY-MM-DD hh:mm:ss[.fff][ +hhmm]" at the start of s. Returns the bytes used
 * (0 if s does not start with a date of that shape); *bad when it has the shape but is no
 * valid date. */
static size_t exim_time(struct slice s, long long *t, int *tzoff, bool *bad)
{
    *bad = false;
    if (s.len < 19 || s.p[4] != '-' || s.p[7] != '-' || s.p[10] != ' ' || s.p[13] != ':' ||
        s.p[16] != ':' || !is_digit(s.p[0]) || !is_digit(s.p[18]))
        return 0;
    size_t i = 19;
    if (i < s.len && s.p[i] == '.') /* log_selector +millisec */
        for (i++; i < s.len && is_digit(s.p[i]);)
            i++;
    if (!ingest_parse_time(slice_make(s.p, i), t, tzoff)) {
        *bad = true;
        return 0;
    }
    /* log_timezone: " +0100" */
    if (i + 6 <= s.len && s.p[i] == ' ' && (s.p[i + 1] == '+' || s.p[i + 1] == '-') &&
        is_digit(s.p[i + 2]) && is_digit(s.p[i + 3]) && is_digit(s.p[i + 4]) &&
        is_digit(s.p[i + 5]) && (i + 6 == s.len || s.p[i + 6] == ' ')) {
        int hh = (s.p[i + 2] - '0') * 10 + (s.p[i + 3] - '0');
        int mm = (s.p[i + 4] - '0') * 10 + (s.p[i + 5] - '0');
        int off = (s.p[i + 1] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
        *t -= off;
        *tzoff = off;
        i += 6;
    }
    return i;
}

/* exim_duration - "1d2h3m4s" / "3s" (QT=, DT=) in seconds; -1 if not one */
static double exim_duration(struct slice v)
{
    double total = 0, num = 0;
    bool any = false, have_num = false;
    for (size_t i = 0; i < v.len; i++) {
        char c = v.p[i];
        if (is_digit(c)) {
            num = num * 10 + (c - '0');
            have_num = true;
            continue;
        }
        if (c == '.') { /* "1.234s" with +millisec */
            double scale = 0.1;
            for (i++; i < v.len && is_digit(v.p[i]); i++, scale /= 10)
                num += (v.p[i] - '0') * scale;
            i--;
            continue;
        }
        if (!have_num)
            return -1;
        double mult = c == 's'   ? 1
                      : c == 'm' ? 60
                      : c == 'h' ? 3600
                      : c == 'd' ? 86400
                      : c == 'w' ? 604800
                                 : 0;
        if (mult == 0)
            return -1;
        total += num * mult;
        num = 0;
        have_num = false;
        any = true;
    }
    return any && !have_num ? total : -1;
}

/* field - value of " KEY" (e.g. " QT=") in s up to the next space; false if absent */
static bool field(struct slice s, const char *key, struct slice *val)
{
    size_t kl = strlen(key);
    const char *hit = memmem(s.p, s.len, key, kl);
    if (!hit)
        return false;
    const char *v = hit + kl, *end = s.p + s.len, *e = v;
    while (e < end && *e != ' ')
        e++;
    *val = slice_make(v, (size_t)(e - v));
    return true;
}

/* host_ip - "NAME [IP]:port" or "NAME (helo) [IP]" or "[IP]" at s -> name, ip */
static void host_ip(struct slice s, struct slice *host, struct slice *ip)
{
    const char *end = s.p + s.len, *e = s.p;
    while (e < end && *e != ' ' && *e != ':')
        e++;
    if (e > s.p && s.p[0] == '[') { /* "[ip]" alone */
        const char *rb = memchr(s.p, ']', s.len);
        if (rb) {
            *ip = slice_make(s.p + 1, (size_t)(rb - s.p - 1));
            return;
        }
    }
    *host = slice_make(s.p, (size_t)(e - s.p));
    const char *q = e;
    while (q < end && *q == ' ')
        q++;
    if (q < end && *q == '(') { /* HELO name */
        const char *rp = memchr(q, ')', (size_t)(end - q));
        if (!rp)
            return;
        q = rp + 1;
        while (q < end && *q == ' ')
            q++;
    }
    if (q < end && *q == '[') {
        const char *rb = memchr(q, ']', (size_t)(end - q));
        if (rb)
            *ip = slice_make(q + 1, (size_t)(rb - q - 1));
    }
}

/* text_host - "host NAME [IP]" inside older failure texts */
static void text_host(struct slice text, struct slice *host, struct slice *ip)
{
    if (!text.len)
        return;
    const char *p = text.p, *end = text.p + text.len;
    while (p < end) {
        const char *hit = memmem(p, (size_t)(end - p), "host ", 5);
        if (!hit)
            return;
        if (hit == text.p || hit[-1] == ' ') {
            const char *n = hit + 5, *e = n;
            while (e < end && *e != ' ' && *e != ':')
                e++;
            if (e > n && e + 1 < end && *e == ' ' && e[1] == '[') {
                host_ip(slice_make(n, (size_t)(end - n)), host, ip);
                return;
            }
        }
        p = hit + 5;
    }
}

/* reply_command - the SMTP command an Exim error text says the reply answered */
static struct slice reply_command(struct slice text)
{
    static const struct {
        const char *phrase, *cmd;
    } cmds[] = {
        {"RCPT TO", "RCPT"},
        {"MAIL FROM", "MAIL"},
        {"end of data", "DATA"},
        {"DATA", "DATA"},
        {"initial connection", "CONN"},
        {"EHLO", "EHLO"},
        {"HELO", "HELO"},
        {"LHLO", "EHLO"},
        {"STARTTLS", "STARTTLS"},
        {"AUTH", "AUTH"},
    };
    if (!text.len)
        return slice_make("", 0);
    size_t skip = 6;
    const char *after = memmem(text.p, text.len, "after ", 6);
    if (!after) {
        after = memmem(text.p, text.len, "in response to ", 15);
        skip = 15;
    }
    if (!after)
        return slice_make("", 0);
    const char *w = after + skip;
    struct slice rest = slice_make(w, (size_t)(text.p + text.len - w));
    if (starts(rest, "pipelined "))
        rest = tail(rest, 10);
    if (starts(rest, "to "))
        rest = tail(rest, 3);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (starts(rest, cmds[i].phrase))
            return slice_make(cmds[i].cmd, strlen(cmds[i].cmd));
    return slice_make("", 0);
}

/* "<= sender ... id=MSGID ...": remember sender and Message-ID for later lines */
static int arrival(rb_ingest *ig, struct slice qid, struct slice rest)
{
    rest = skip_spaces(rest);
    const char *e = rest.p;
    while (e < rest.p + rest.len && *e != ' ')
        e++;
    struct slice from = slice_make(rest.p, (size_t)(e - rest.p));
    if (slice_eq_ci(from, "<>"))
        from.len = 0;
    ingest_qc_put(ig, qid, QC_FROM, from);
    struct slice mid;
    if (field(rest, " id=", &mid)) {
        if (mid.len >= 2 && mid.p[0] == '<' && mid.p[mid.len - 1] == '>')
            mid = slice_make(mid.p + 1, mid.len - 2);
        ingest_qc_put(ig, qid, QC_MSGID, mid);
    }
    return ingest_ignored(ig);
}

/* a delivery (=> -> >> *>), failure (**) or deferral (==) line */
static int delivery(rb_ingest *ig, const struct ingest_line *ln, long long ts, int tzoff,
                    struct slice qid, rb_event_kind kind, struct slice rest)
{
    rest = skip_spaces(rest);
    if (!rest.len)
        return ingest_malformed(ig, "exim: delivery line without an address");
    const char *end = rest.p + rest.len, *e = rest.p;
    while (e < end && *e != ' ')
        e++;
    struct slice addr = slice_make(rest.p, (size_t)(e - rest.p));
    if (addr.len && addr.p[addr.len - 1] == ':')
        addr.len--;
    struct slice parent = slice_make("", 0);
    const char *q = e;
    while (q < end && *q == ' ')
        q++;
    if (q < end && *q == '<') {
        const char *gt = memchr(q, '>', (size_t)(end - q));
        if (gt) {
            parent = slice_make(q + 1, (size_t)(gt - q - 1));
            e = gt + 1;
        }
    }
    struct slice after = slice_make(e, (size_t)(end - e));

    struct ingest_ev ev;
    ingest_ev_init(&ev, kind, ln);
    ev.ts = ts;
    ev.tzoff = tzoff;
    ev.queueid = qid;
    /* a local part, pipe, file or :blackhole: names no address: use the one routed from */
    bool real = memchr(addr.p, '@', addr.len) && addr.p[0] != '|' && addr.p[0] != '/';
    ev.recipient = real || !parent.len ? addr : parent;
    if (!ev.recipient.len)
        return ingest_malformed(ig, "exim: delivery line without an address");

    struct slice v;
    const char *hh = memmem(after.p, after.len, " H=", 3);
    if (hh)
        host_ip(slice_make(hh + 3, (size_t)(end - hh - 3)), &ev.rhost, &ev.rhost_ip);
    if (field(after, " F=", &v)) {
        if (v.len >= 2 && v.p[0] == '<' && v.p[v.len - 1] == '>')
            v = slice_make(v.p + 1, v.len - 2);
        ev.sender = v;
    } else {
        ev.sender = ingest_qc_get(ig, qid, QC_FROM);
    }
    ev.messageid = ingest_qc_get(ig, qid, QC_MSGID);

    if (kind == RB_EVENT_DELIVERED) {
        const char *c = memmem(after.p, after.len, " C=\"", 4);
        if (c) {
            const char *s = c + 4, *x = s;
            while (x < end && *x != '"') {
                if (*x == '\\' && x + 1 < end)
                    x++;
                x++;
            }
            ev.text = slice_make(s, (size_t)(x - s));
        }
        if (field(after, " QT=", &v))
            ev.delay = exim_duration(v);
    } else {
        const char *colon = memmem(rest.p, rest.len, ": ", 2);
        if (colon)
            ev.text = slice_trim(slice_make(colon + 2, (size_t)(end - colon - 2)));
        if (!hh)
            text_host(ev.text, &ev.rhost, &ev.rhost_ip);
        ev.command = reply_command(ev.text);
        if (kind == RB_EVENT_BOUNCED && ev.text.len &&
            memmem(ev.text.p, ev.text.len, "retry timeout exceeded", 22))
            ev.kind = RB_EVENT_EXPIRED;
    }
    return ingest_emit(ig, &ev);
}

static int exim_line(rb_ingest *ig, void *state, const struct ingest_line *ln)
{
    (void)state;
    struct slice m = ln->msg;
    long long ts = ln->ts;
    int tzoff = ln->tzoff;
    bool bad;
    size_t used = exim_time(m, &ts, &tzoff, &bad);
    if (bad)
        return ingest_malformed(ig, "exim: bad timestamp");
    if (!used && !ln->prog.len)
        return ingest_malformed(ig, "exim: line without a timestamp");
    m = skip_spaces(tail(m, used));
    if (m.len && m.p[0] == '[') { /* log_selector +pid: "[1487]" */
        const char *rb = memchr(m.p, ']', m.len);
        if (rb && rb - m.p < 24)
            m = skip_spaces(tail(m, (size_t)(rb - m.p + 1)));
    }
    size_t il = exim_id(m);
    if (!il)
        return ingest_ignored(ig); /* daemon, connection, ACL reject lines */
    struct slice qid = slice_make(m.p, il);
    struct slice rest = skip_spaces(tail(m, il));
    if (rest.len >= 2 && (rest.len == 2 || rest.p[2] == ' ')) {
        struct slice args = tail(rest, 2);
        char a = rest.p[0], b = rest.p[1];
        if ((a == '<' || a == '(') && b == '=')
            return arrival(ig, qid, args);
        if (b == '>' && (a == '=' || a == '-' || a == '>' || a == '*'))
            return delivery(ig, ln, ts, tzoff, qid, RB_EVENT_DELIVERED, args);
        if (a == '*' && b == '*')
            return delivery(ig, ln, ts, tzoff, qid, RB_EVENT_BOUNCED, args);
        if (a == '=' && b == '=')
            return delivery(ig, ln, ts, tzoff, qid, RB_EVENT_DEFERRED, args);
    }
    if (starts(rest, "Completed"))
        ingest_qc_drop(ig, qid);
    return ingest_ignored(ig);
}

/* a main log: "YYYY-MM-DD hh:mm:ss [..] MSGID ..." or an Exim line without a message id */
static int exim_sniff(const struct ingest_line *ln)
{
    long long t;
    int off;
    bool bad;
    size_t used = exim_time(ln->raw, &t, &off, &bad);
    if (!used)
        return 0;
    struct slice m = skip_spaces(tail(ln->raw, used));
    if (m.len && m.p[0] == '[') {
        const char *rb = memchr(m.p, ']', m.len);
        if (rb)
            m = skip_spaces(tail(m, (size_t)(rb - m.p + 1)));
    }
    if (exim_id(m))
        return 80;
    static const char *const words[] = {
        "SMTP connection from", "Start queue run", "End queue run", "exim ", "H=",
        "no host name found",   "SMTP call from",  "TLS error"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (starts(m, words[i]))
            return 50;
    return 20;
}

const struct ingest_reader ingest_reader_exim = {
    .name = "exim",
    .sniff = exim_sniff,
    .progs = exim_progs,
    .line = exim_line,
};
