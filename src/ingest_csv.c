/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest_csv.c - CSV exports -> events: PowerMTA accounting files and generic CSV with a
 *                column map (sequencer and ESP exports).
 *
 * DESCRIPTION
 *   Both readers parse RFC 4180 CSV: fields separated by a delimiter, optionally quoted with
 *   '"', a doubled quote inside quotes standing for one, and line ends inside quotes belonging
 *   to the field. The framework hands over lines, so a quoted field that spans lines is
 *   accumulated in the reader's state (fields are unquoted into one reused buffer) until the
 *   record ends. The first record of each input is the header: it names the columns, which are
 *   resolved once to the event fields they feed.
 *
 *   powermta: the accounting file's header names PowerMTA fields (type, timeLogged, orig, rcpt,
 *   dsnAction, dsnStatus, dsnDiag, dsnMta, bounceCat, dlvSourceIp, dlvDestinationIp, vmta,
 *   jobId, envId, feedbackType, header_Message-Id, header_<campaign header>, ...). Record types:
 *   d delivered, b bounced (bounceCat message-expired: expired), t and tq deferred, f
 *   complaint, rb remote bounce, rs remote status (by dsnAction), r received (ignored). A file
 *   without a header line (first field a record type) is read in PowerMTA's default order.
 *   bounceCat becomes the classifier's hint (bad-mailbox -> userunknown ...).
 *
 *   csv: --map KEY=COLUMN,... names the columns (keys: recipient, sender, code, status, text,
 *   time, campaign, kind, rhost, rhost_ip, sending_ip, sending_domain, messageid, queueid,
 *   vmta, feedbacktype; a column name with ',' or spaces may be "quoted"). Without --map,
 *   common column names are recognised (Email, Recipient, Bounce Reason, Campaign ...). The
 *   delimiter (',', ';', tab or '|') is the one the header line uses most. The kind comes from
 *   the kind column (bounce/hard/soft/deferred/delivered/complaint/... ; rows of other events
 *   such as "opened" are ignored; a plain "bounce" with a 4xx code is deferred) or else from
 *   the code: 5xx bounced, 4xx deferred, 2xx delivered, none: bounced (a bounce export).
 *
 * LIMITS
 *   CSV_MAX_RECORD bytes per record and CSV_MAX_COLS columns: a longer record is skipped with a
 *   reason. Header names longer than MAP_MAX_NAME bytes cannot be mapped.
 */
#include <string.h>

#include "ingest.h"

#define CSV_MAX_RECORD (1u << 20) /* bytes of one record, unquoted */
#define CSV_MAX_COLS 512          /* columns of one record */
#define MAP_MAX_NAME 128          /* bytes of a --map column name */

enum csv_field {
    C_RCPT,
    C_SENDER,
    C_CODE,
    C_STATUS,
    C_TEXT,
    C_TIME,
    C_CAMPAIGN,
    C_KIND,
    C_RHOST,
    C_RHOST_IP,
    C_SIP,
    C_SDOM,
    C_MSGID,
    C_QID,
    C_VMTA,
    C_FBT,
    /* PowerMTA only */
    C_ACTION,
    C_BOUNCECAT,
    C_DESTIP,
    C_CAMPAIGN_HDR,
    C_DELAY,
    C__N
};

/* --map keys (csv) */
static const struct {
    const char *key;
    enum csv_field f;
} map_keys[] = {
    {"recipient", C_RCPT},    {"rcpt", C_RCPT},         {"sender", C_SENDER},
    {"from", C_SENDER},       {"code", C_CODE},         {"status", C_STATUS},
    {"text", C_TEXT},         {"reason", C_TEXT},       {"time", C_TIME},
    {"timestamp", C_TIME},    {"campaign", C_CAMPAIGN}, {"kind", C_KIND},
    {"event", C_KIND},        {"type", C_KIND},         {"rhost", C_RHOST},
    {"rhost_ip", C_RHOST_IP}, {"sending_ip", C_SIP},    {"sending_domain", C_SDOM},
    {"messageid", C_MSGID},   {"message_id", C_MSGID},  {"queueid", C_QID},
    {"vmta", C_VMTA},         {"feedbacktype", C_FBT},
};

/* column names recognised without --map (case-insensitive, spaces/underscores/dashes as
 * written) */
static const struct {
    const char *name;
    enum csv_field f;
} csv_aliases[] = {
    {"email", C_RCPT},
    {"email address", C_RCPT},
    {"email_address", C_RCPT},
    {"recipient", C_RCPT},
    {"rcpt", C_RCPT},
    {"to", C_RCPT},
    {"to_email", C_RCPT},
    {"lead_email", C_RCPT},
    {"lead email", C_RCPT},
    {"contact email", C_RCPT},
    {"sender", C_SENDER},
    {"from", C_SENDER},
    {"from_email", C_SENDER},
    {"from email", C_SENDER},
    {"email_account", C_SENDER},
    {"email account", C_SENDER},
    {"sender email", C_SENDER},
    {"code", C_CODE},
    {"bounce code", C_CODE},
    {"bounce_code", C_CODE},
    {"smtp code", C_CODE},
    {"smtp_code", C_CODE},
    {"error code", C_CODE},
    {"error_code", C_CODE},
    {"reply code", C_CODE},
    {"enhanced status", C_STATUS},
    {"enhanced_status", C_STATUS},
    {"dsn", C_STATUS},
    {"dsn status", C_STATUS},
    {"dsn_status", C_STATUS},
    {"reason", C_TEXT},
    {"bounce reason", C_TEXT},
    {"bounce_reason", C_TEXT},
    {"error", C_TEXT},
    {"error message", C_TEXT},
    {"error_message", C_TEXT},
    {"diagnostic code", C_TEXT},
    {"diagnostic_code", C_TEXT},
    {"response", C_TEXT},
    {"smtp response", C_TEXT},
    {"smtp_response", C_TEXT},
    {"bounce message", C_TEXT},
    {"bounce_message", C_TEXT},
    {"description", C_TEXT},
    {"timestamp", C_TIME},
    {"time", C_TIME},
    {"date", C_TIME},
    {"bounced at", C_TIME},
    {"bounced_at", C_TIME},
    {"created at", C_TIME},
    {"created_at", C_TIME},
    {"event_timestamp", C_TIME},
    {"campaign", C_CAMPAIGN},
    {"campaign name", C_CAMPAIGN},
    {"campaign_name", C_CAMPAIGN},
    {"campaign id", C_CAMPAIGN},
    {"campaign_id", C_CAMPAIGN},
    {"event", C_KIND},
    {"event_type", C_KIND},
    {"event type", C_KIND},
    {"bounce type", C_KIND},
    {"bounce_type", C_KIND},
    {"status", C_KIND},
    {"remote mta", C_RHOST},
    {"remote_mta", C_RHOST},
    {"mx", C_RHOST},
    {"sending ip", C_SIP},
    {"sending_ip", C_SIP},
    {"source ip", C_SIP},
    {"sending domain", C_SDOM},
    {"sending_domain", C_SDOM},
    {"message id", C_MSGID},
    {"message_id", C_MSGID},
    {"message-id", C_MSGID},
    {"queue id", C_QID},
    {"queue_id", C_QID},
};

/* PowerMTA accounting field names */
static const struct {
    const char *name;
    enum csv_field f;
} pmta_cols[] = {
    {"type", C_KIND},
    {"timeLogged", C_TIME},
    {"orig", C_SENDER},
    {"rcpt", C_RCPT},
    {"dsnAction", C_ACTION},
    {"dsnStatus", C_STATUS},
    {"dsnDiag", C_TEXT},
    {"dsnMta", C_RHOST},
    {"bounceCat", C_BOUNCECAT},
    {"dlvSourceIp", C_SIP},
    {"dlvDestinationIp", C_DESTIP},
    {"dlvDesintationIp", C_DESTIP}, /* spelled so in some copies of the guide */
    {"vmta", C_VMTA},
    {"jobId", C_CAMPAIGN},
    {"envId", C_QID},
    {"feedbackType", C_FBT},
    {"header_Message-Id", C_MSGID},
    {"totalSecondsQueued", C_DELAY},
};

/* PowerMTA's default field order, for files whose header line was cut off */
static const char *const pmta_default[] = {
    "type",
    "timeLogged",
    "timeQueued",
    "timeImprinted",
    "orig",
    "rcpt",
    "orcpt",
    "dsnAction",
    "dsnStatus",
    "dsnDiag",
    "dsnMta",
    "bounceCat",
    "srcType",
    "srcMta",
    "dlvType",
    "dlvSourceIp",
    "dlvDestinationIp",
    "dlvEsmtpAvailable",
    "dlvSize",
    "vmta",
    "jobId",
    "envId",
};

enum { S_START, S_UNQ, S_Q, S_QQ };

struct csv_state {
    bool pmta;
    char delim;
    bool have_header;
    bool header_bad; /* no usable recipient column: every row is skipped */
    bool overflow;   /* the record exceeds CSV_MAX_RECORD */
    bool too_many;   /* the record exceeds CSV_MAX_COLS */
    int st;          /* parser state, carried across lines inside quotes */
    size_t cur;      /* start of the field being read in data */
    size_t nf;       /* fields completed */
    struct buf data; /* unquoted fields of the record being read */
    size_t off[CSV_MAX_COLS], len[CSV_MAX_COLS];
    int col[C__N]; /* column of each field, -1 */
    bool mapped;   /* csv: --map given */
    char map[C__N][MAP_MAX_NAME + 1];
};

static bool lit_eq_ci(struct slice s, const char *lit)
{
    return slice_eq_ci(s, lit);
}

static struct slice get(const struct csv_state *st, enum csv_field f)
{
    int c = st->col[f];
    if (c < 0 || (size_t)c >= st->nf)
        return slice_make("", 0);
    return slice_trim(slice_make(st->data.p + st->off[c], st->len[c]));
}

static void clear_cols(struct csv_state *st)
{
    for (int f = 0; f < C__N; f++)
        st->col[f] = -1;
}

/* ---- --map ---------------------------------------------------------------------------------- */

/* parse_map - "key=Column,key="Quoted, Column",..." into st->map; RB_OK or RB_EINVAL */
static int parse_map(rb_ingest *ig, struct csv_state *st, const char *m)
{
    const char *p = m;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *k = p;
        while (*p && *p != '=' && *p != ',')
            p++;
        if (*p != '=') {
            ingest_set_error(ig, "csv: --map: '%.*s' has no '=COLUMN'", (int)(p - k), k);
            return RB_EINVAL;
        }
        struct slice key = slice_trim(slice_make(k, (size_t)(p - k)));
        p++;
        char val[MAP_MAX_NAME + 1];
        size_t vl = 0;
        bool toolong = false;
        while (*p == ' ')
            p++;
        if (*p == '"') {
            for (p++; *p; p++) {
                if (*p == '"') {
                    if (p[1] == '"') {
                        p++;
                    } else {
                        p++;
                        break;
                    }
                }
                if (vl < MAP_MAX_NAME)
                    val[vl++] = *p;
                else
                    toolong = true;
            }
            while (*p == ' ')
                p++;
            if (*p && *p != ',') {
                ingest_set_error(ig, "csv: --map: text after the quoted column of '%.*s'",
                                 (int)key.len, key.p);
                return RB_EINVAL;
            }
        } else {
            for (; *p && *p != ','; p++) {
                if (vl < MAP_MAX_NAME)
                    val[vl++] = *p;
                else
                    toolong = true;
            }
        }
        struct slice v = slice_trim(slice_make(val, vl));
        size_t i;
        for (i = 0; i < sizeof map_keys / sizeof map_keys[0]; i++)
            if (lit_eq_ci(key, map_keys[i].key))
                break;
        if (i == sizeof map_keys / sizeof map_keys[0]) {
            ingest_set_error(ig,
                             "csv: --map: unknown key '%.*s' (recipient, sender, code, status, "
                             "text, time, campaign, kind, rhost, rhost_ip, sending_ip, "
                             "sending_domain, messageid, queueid, vmta, feedbacktype)",
                             (int)key.len, key.p);
            return RB_EINVAL;
        }
        enum csv_field f = map_keys[i].f;
        if (!v.len || toolong) {
            ingest_set_error(ig, "csv: --map: %s column name of '%.*s'",
                             toolong ? "over-long" : "empty", (int)key.len, key.p);
            return RB_EINVAL;
        }
        if (st->map[f][0]) {
            ingest_set_error(ig, "csv: --map: '%.*s' given twice", (int)key.len, key.p);
            return RB_EINVAL;
        }
        memcpy(st->map[f], v.p, v.len);
        st->map[f][v.len] = '\0';
    }
    if (!st->map[C_RCPT][0]) {
        ingest_set_error(ig, "csv: --map must name the recipient column (recipient=COLUMN)");
        return RB_EINVAL;
    }
    st->mapped = true;
    return RB_OK;
}

/* ---- header ---------------------------------------------------------------------------------- */

/* the header record: resolve the columns; returns RB_OK or a strict-mode stop */
static int header(rb_ingest *ig, struct csv_state *st)
{
    clear_cols(st);
    int rc = RB_OK;
    for (size_t c = 0; c < st->nf; c++) {
        struct slice n = slice_trim(slice_make(st->data.p + st->off[c], st->len[c]));
        if (c == 0 && n.len >= 3 && memcmp(n.p, "\xEF\xBB\xBF", 3) == 0)
            n = slice_make(n.p + 3, n.len - 3); /* UTF-8 BOM */
        if (st->pmta) {
            for (size_t i = 0; i < sizeof pmta_cols / sizeof pmta_cols[0]; i++)
                if (lit_eq_ci(n, pmta_cols[i].name) && st->col[pmta_cols[i].f] < 0)
                    st->col[pmta_cols[i].f] = (int)c;
            const rb_ingest_opts *o = ingest_opts(ig);
            const char *ch =
                o->campaign_header && *o->campaign_header ? o->campaign_header : "X-Campaign-ID";
            if (n.len == 7 + strlen(ch) && mem_eq_ci(n.p, "header_", 7) &&
                mem_eq_ci(n.p + 7, ch, strlen(ch)))
                st->col[C_CAMPAIGN_HDR] = (int)c;
        } else if (st->mapped) {
            for (int f = 0; f < C__N; f++)
                if (st->map[f][0] && st->col[f] < 0 && lit_eq_ci(n, st->map[f]))
                    st->col[f] = (int)c;
        } else {
            for (size_t i = 0; i < sizeof csv_aliases / sizeof csv_aliases[0]; i++)
                if (lit_eq_ci(n, csv_aliases[i].name) && st->col[csv_aliases[i].f] < 0)
                    st->col[csv_aliases[i].f] = (int)c;
        }
    }
    st->have_header = true;
    st->header_bad = st->col[C_RCPT] < 0 || (st->pmta && st->col[C_KIND] < 0);
    if (st->header_bad)
        rc = ingest_malformed(ig, st->pmta ? "powermta: header without type and rcpt columns"
                                           : "csv: header has no recipient column (see --map)");
    else if (st->mapped) {
        for (int f = 0; f < C__N && rc == RB_OK; f++)
            if (st->map[f][0] && st->col[f] < 0)
                rc = ingest_malformed(ig, "csv: a --map column is not in the header");
    }
    if (rc == RB_OK)
        rc = ingest_ignored(ig);
    return rc;
}

/* ---- values ---------------------------------------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* enhanced status "d.ddd.ddd" inside s (the first one), or empty */
static struct slice find_status(struct slice s)
{
    for (size_t i = 0; i + 5 <= s.len; i++) {
        if ((s.p[i] != '2' && s.p[i] != '4' && s.p[i] != '5') || s.p[i + 1] != '.' ||
            (i && (is_digit(s.p[i - 1]) || s.p[i - 1] == '.')))
            continue;
        size_t j = i + 2, a = 0, b = 0;
        while (j < s.len && is_digit(s.p[j]) && a < 4)
            j++, a++;
        if (!a || a > 3 || j >= s.len || s.p[j] != '.')
            continue;
        j++;
        while (j < s.len && is_digit(s.p[j]) && b < 4)
            j++, b++;
        if (!b || b > 3 || (j < s.len && (is_digit(s.p[j]) || s.p[j] == '.')))
            continue;
        return slice_make(s.p + i, j - i);
    }
    return slice_make("", 0);
}

/* a leading basic reply code "550" (after "smtp;" and spaces), or 0 */
static int find_code(struct slice s)
{
    if (s.len >= 5 && mem_eq_ci(s.p, "smtp;", 5))
        s = slice_make(s.p + 5, s.len - 5);
    s = slice_trim(s);
    if (s.len >= 3 && (s.p[0] == '2' || s.p[0] == '4' || s.p[0] == '5') && is_digit(s.p[1]) &&
        is_digit(s.p[2]) && (s.len == 3 || !(is_digit(s.p[3]) || s.p[3] == '.')))
        return (s.p[0] - '0') * 100 + (s.p[1] - '0') * 10 + (s.p[2] - '0');
    return 0;
}

/* "mx.example.com (192.0.2.1)" / "mx.example.com [192.0.2.1]" / "192.0.2.1" -> name, ip */
static void host_ip(struct slice v, struct slice *host, struct slice *ip)
{
    if (v.len >= 5 && mem_eq_ci(v.p, "dns;", 4))
        v = slice_trim(slice_make(v.p + 4, v.len - 4));
    const char *end = v.p + v.len, *e = v.p;
    while (e < end && *e != ' ' && *e != '(' && *e != '[')
        e++;
    *host = slice_make(v.p, (size_t)(e - v.p));
    while (e < end && *e == ' ')
        e++;
    if (e < end && (*e == '(' || *e == '[')) {
        const char *c = memchr(e, *e == '(' ? ')' : ']', (size_t)(end - e));
        if (c)
            *ip = slice_make(e + 1, (size_t)(c - e - 1));
    }
    bool numeric = host->len > 0;
    for (size_t i = 0; i < host->len; i++)
        if (!is_digit(host->p[i]) && host->p[i] != '.')
            numeric = false;
    if (numeric && !ip->len) { /* a bare address */
        *ip = *host;
        host->len = 0;
    }
}

static struct slice strip_angle(struct slice s)
{
    if (s.len >= 2 && s.p[0] == '<' && s.p[s.len - 1] == '>')
        return slice_make(s.p + 1, s.len - 2);
    return s;
}

static bool contains_ci(struct slice s, const char *lit)
{
    return memmem_ci(s.p, s.len, lit, strlen(lit)) != NULL;
}

/* a kind column's word -> kind; RB_EVENT__COUNT for other events (opened ...), UNKNOWN for
 * an empty value */
static rb_event_kind csv_kind(struct slice v)
{
    static const struct {
        const char *w;
        rb_event_kind k;
    } words[] = {
        {"hard", RB_EVENT_BOUNCED},        {"permanent", RB_EVENT_BOUNCED},
        {"failed", RB_EVENT_BOUNCED},      {"fail", RB_EVENT_BOUNCED},
        {"failure", RB_EVENT_BOUNCED},     {"rejected", RB_EVENT_BOUNCED},
        {"reject", RB_EVENT_BOUNCED},      {"blocked", RB_EVENT_BOUNCED},
        {"invalid", RB_EVENT_BOUNCED},     {"undeliverable", RB_EVENT_BOUNCED},
        {"deferred", RB_EVENT_DEFERRED},   {"defer", RB_EVENT_DEFERRED},
        {"delayed", RB_EVENT_DEFERRED},    {"temporary", RB_EVENT_DEFERRED},
        {"transient", RB_EVENT_DEFERRED},  {"tempfail", RB_EVENT_DEFERRED},
        {"delivered", RB_EVENT_DELIVERED}, {"delivery", RB_EVENT_DELIVERED},
        {"sent", RB_EVENT_DELIVERED},      {"success", RB_EVENT_DELIVERED},
        {"ok", RB_EVENT_DELIVERED},        {"accepted", RB_EVENT_DELIVERED},
        {"abuse", RB_EVENT_COMPLAINT},     {"fbl", RB_EVENT_COMPLAINT},
        {"feedback", RB_EVENT_COMPLAINT},  {"dropped", RB_EVENT_DROPPED},
        {"suppressed", RB_EVENT_DROPPED},  {"skipped", RB_EVENT_DROPPED},
        {"expired", RB_EVENT_EXPIRED},
    };
    if (!v.len)
        return RB_EVENT_UNKNOWN;
    if (contains_ci(v, "soft"))
        return RB_EVENT_DEFERRED;
    if (contains_ci(v, "bounce"))
        return RB_EVENT_BOUNCED;
    if (contains_ci(v, "complain") || contains_ci(v, "spam"))
        return RB_EVENT_COMPLAINT;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (lit_eq_ci(v, words[i].w))
            return words[i].k;
    return RB_EVENT__COUNT;
}

static rb_event_kind class_kind(int code, struct slice status)
{
    int c = code ? code / 100 : status.len ? status.p[0] - '0' : 0;
    return c == 2 ? RB_EVENT_DELIVERED : c == 4 ? RB_EVENT_DEFERRED : RB_EVENT_BOUNCED;
}

/* ---- rows ------------------------------------------------------------------------------------ */

static int csv_row(rb_ingest *ig, struct csv_state *st, const struct ingest_line *ln)
{
    struct ingest_ev ev;
    ingest_ev_init(&ev, RB_EVENT_BOUNCED, ln);
    ev.recipient = strip_angle(get(st, C_RCPT));
    if (!ev.recipient.len)
        return ingest_malformed(ig, "csv: row without a recipient");
    struct slice code = get(st, C_CODE), status = get(st, C_STATUS), kind = get(st, C_KIND);
    ev.replycode = find_code(code);
    ev.status = find_status(status.len ? status : code);
    rb_event_kind k = csv_kind(kind);
    if (k == RB_EVENT__COUNT) {
        /* a status column holding codes rather than words */
        struct slice s = find_status(kind);
        int rc = find_code(kind);
        if (!s.len && !rc)
            return ingest_ignored(ig); /* opened, clicked, replied ... */
        if (!ev.status.len)
            ev.status = s;
        if (!ev.replycode)
            ev.replycode = rc;
        k = RB_EVENT_UNKNOWN;
    }
    ev.kind = k == RB_EVENT_UNKNOWN ? class_kind(ev.replycode, ev.status) : k;
    /* exports label soft bounces "bounce" too: a plain "bounce" with a 4xx code is deferred */
    if (k == RB_EVENT_BOUNCED && contains_ci(kind, "bounce") && !contains_ci(kind, "hard") &&
        (ev.replycode || ev.status.len) && class_kind(ev.replycode, ev.status) == RB_EVENT_DEFERRED)
        ev.kind = RB_EVENT_DEFERRED;
    ev.text = get(st, C_TEXT);
    if (!ev.text.len)
        ev.text = code;
    struct slice t = get(st, C_TIME);
    if (t.len && !ingest_parse_time(t, &ev.ts, &ev.tzoff))
        ev.ts = 0, ev.tzoff = 0;
    ev.sender = strip_angle(get(st, C_SENDER));
    ev.campaign = get(st, C_CAMPAIGN);
    host_ip(get(st, C_RHOST), &ev.rhost, &ev.rhost_ip);
    if (!ev.rhost_ip.len)
        ev.rhost_ip = get(st, C_RHOST_IP);
    ev.sending_ip = get(st, C_SIP);
    ev.sending_domain = get(st, C_SDOM);
    ev.messageid = strip_angle(get(st, C_MSGID));
    ev.queueid = get(st, C_QID);
    ev.vmta = get(st, C_VMTA);
    ev.feedbacktype = get(st, C_FBT);
    return ingest_emit(ig, &ev);
}

static rb_reason bounce_cat(struct slice c)
{
    static const struct {
        const char *cat;
        rb_reason r;
    } cats[] = {
        {"bad-mailbox", RB_REASON_USERUNKNOWN},
        {"inactive-mailbox", RB_REASON_SUSPEND},
        {"quota-issues", RB_REASON_MAILBOXFULL},
        {"spam-related", RB_REASON_SPAMDETECTED},
        {"policy-related", RB_REASON_POLICYVIOLATION},
        {"bad-domain", RB_REASON_HOSTUNKNOWN},
        {"content-related", RB_REASON_CONTENTERROR},
        {"virus-related", RB_REASON_VIRUSDETECTED},
        {"message-expired", RB_REASON_EXPIRED},
        {"no-answer-from-host", RB_REASON_NETWORKERROR},
        {"bad-connection", RB_REASON_NETWORKERROR},
        {"relaying-issues", RB_REASON_NORELAYING},
        {"routing-errors", RB_REASON_SYSTEMERROR},
        {"protocol-errors", RB_REASON_SYNTAXERROR},
        {"invalid-sender", RB_REASON_REJECTED},
        {"bad-configuration", RB_REASON_SYSTEMERROR},
    };
    for (size_t i = 0; i < sizeof cats / sizeof cats[0]; i++)
        if (lit_eq_ci(c, cats[i].cat))
            return cats[i].r;
    return RB_REASON_UNDEFINED; /* "other" */
}

static int pmta_row(rb_ingest *ig, struct csv_state *st, const struct ingest_line *ln)
{
    struct slice type = get(st, C_KIND), action = get(st, C_ACTION), v;
    rb_event_kind k;
    bool queue_level = false;
    if (lit_eq_ci(type, "d") || lit_eq_ci(type, "delivery"))
        k = RB_EVENT_DELIVERED;
    else if (lit_eq_ci(type, "b") || lit_eq_ci(type, "bounce") || lit_eq_ci(type, "rb") ||
             lit_eq_ci(type, "remote-bounce"))
        k = RB_EVENT_BOUNCED;
    else if (lit_eq_ci(type, "t") || lit_eq_ci(type, "transient"))
        k = RB_EVENT_DEFERRED;
    else if (lit_eq_ci(type, "tq") || lit_eq_ci(type, "transient-queue"))
        k = RB_EVENT_DEFERRED, queue_level = true;
    else if (lit_eq_ci(type, "f") || lit_eq_ci(type, "feedback-loop"))
        k = RB_EVENT_COMPLAINT;
    else if (lit_eq_ci(type, "rs") || lit_eq_ci(type, "remote-status"))
        k = lit_eq_ci(action, "failed")    ? RB_EVENT_BOUNCED
            : lit_eq_ci(action, "delayed") ? RB_EVENT_DEFERRED
                                           : RB_EVENT_DELIVERED;
    else if (lit_eq_ci(type, "r") || lit_eq_ci(type, "receipt") || lit_eq_ci(type, "type"))
        return ingest_ignored(ig); /* a received record, or the header again */
    else if (!type.len)
        return ingest_malformed(ig, "powermta: record without a type");
    else
        return ingest_malformed(ig, "powermta: unknown record type");
    struct ingest_ev ev;
    ingest_ev_init(&ev, k, ln);
    ev.recipient = strip_angle(get(st, C_RCPT));
    if (!ev.recipient.len && !queue_level)
        return ingest_malformed(ig, "powermta: record without rcpt");
    ev.sender = strip_angle(get(st, C_SENDER));
    v = get(st, C_STATUS); /* "5.1.1 (bad destination mailbox address)" */
    ev.status = find_status(v);
    ev.text = get(st, C_TEXT);
    struct slice cat = get(st, C_BOUNCECAT);
    if (k != RB_EVENT_DELIVERED && k != RB_EVENT_COMPLAINT)
        ev.hint = bounce_cat(cat);
    if (k == RB_EVENT_BOUNCED && lit_eq_ci(cat, "message-expired"))
        ev.kind = RB_EVENT_EXPIRED;
    v = get(st, C_TIME);
    if (v.len && !ingest_parse_time(v, &ev.ts, &ev.tzoff))
        ev.ts = 0, ev.tzoff = 0;
    host_ip(get(st, C_RHOST), &ev.rhost, &ev.rhost_ip);
    if (!ev.rhost_ip.len)
        ev.rhost_ip = get(st, C_DESTIP);
    ev.sending_ip = get(st, C_SIP);
    ev.vmta = get(st, C_VMTA);
    ev.campaign = get(st, C_CAMPAIGN);
    if (!ev.campaign.len)
        ev.campaign = get(st, C_CAMPAIGN_HDR);
    ev.queueid = get(st, C_QID);
    ev.messageid = strip_angle(get(st, C_MSGID));
    ev.feedbacktype = get(st, C_FBT);
    v = get(st, C_DELAY);
    if (v.len && is_digit(v.p[0])) {
        double d = 0;
        for (size_t i = 0; i < v.len && is_digit(v.p[i]) && d < 1e12; i++)
            d = d * 10 + (v.p[i] - '0');
        ev.delay = d;
    }
    return ingest_emit(ig, &ev);
}

/* a complete record: header, or one row */
static int record(rb_ingest *ig, struct csv_state *st, const struct ingest_line *ln)
{
    if (st->overflow || st->too_many)
        return ingest_malformed(ig, st->overflow ? "csv: record longer than 1 MB"
                                                 : "csv: record with more than 512 columns");
    if (st->nf == 1 && !st->len[0])
        return RB_OK; /* a blank line */
    if (!st->have_header) {
        if (st->pmta && st->nf > 5) {
            struct slice t = slice_trim(slice_make(st->data.p + st->off[0], st->len[0]));
            if (t.len && t.len <= 2 && !lit_eq_ci(t, "type")) {
                /* no header line: PowerMTA's default field order */
                clear_cols(st);
                for (size_t c = 0; c < sizeof pmta_default / sizeof pmta_default[0]; c++)
                    for (size_t i = 0; i < sizeof pmta_cols / sizeof pmta_cols[0]; i++)
                        if (strcmp(pmta_default[c], pmta_cols[i].name) == 0)
                            st->col[pmta_cols[i].f] = (int)c;
                st->have_header = true;
                return pmta_row(ig, st, ln);
            }
        }
        return header(ig, st);
    }
    if (st->header_bad)
        return ingest_malformed(ig, st->pmta ? "powermta: header without type and rcpt columns"
                                             : "csv: header has no recipient column (see --map)");
    return st->pmta ? pmta_row(ig, st, ln) : csv_row(ig, st, ln);
}

static void end_field(struct csv_state *st)
{
    if (st->nf < CSV_MAX_COLS) {
        st->off[st->nf] = st->cur;
        st->len[st->nf] = st->data.len - st->cur;
        st->nf++;
    } else {
        st->too_many = true;
    }
    st->cur = st->data.len;
}

static void put(struct csv_state *st, const char *p, size_t n)
{
    if (!st->overflow && buf_append(&st->data, p, n) != RB_OK)
        st->overflow = true;
}

/* the delimiter a header line uses most (outside quotes) */
static char sniff_delim(struct slice l)
{
    static const char cands[] = {',', ';', '\t', '|'};
    size_t best = 0;
    char d = ',';
    for (size_t k = 0; k < sizeof cands; k++) {
        size_t n = 0;
        bool q = false;
        for (size_t i = 0; i < l.len; i++) {
            if (l.p[i] == '"')
                q = !q;
            else if (!q && l.p[i] == cands[k])
                n++;
        }
        if (n > best)
            best = n, d = cands[k];
    }
    return d;
}

static int csv_line(rb_ingest *ig, void *state, const struct ingest_line *ln)
{
    struct csv_state *st = state;
    struct slice l = ln->raw;
    if (st->st == S_Q) {
        put(st, "\n", 1); /* a line end inside quotes belongs to the field */
    } else {
        buf_reset(&st->data);
        st->nf = 0;
        st->cur = 0;
        st->overflow = st->too_many = false;
        st->st = S_START;
        if (!st->have_header && !st->delim)
            st->delim = st->pmta ? ',' : sniff_delim(l);
    }
    const char d = st->delim;
    const char *p = l.p, *end = l.p + l.len;
    while (p < end) {
        switch (st->st) {
        case S_START:
            if (*p == '"') {
                st->st = S_Q;
                p++;
                break;
            }
            st->st = S_UNQ;
            /* fall through */
        case S_UNQ: {
            const char *s = p;
            while (p < end && *p != d)
                p++;
            put(st, s, (size_t)(p - s));
            if (p < end) {
                end_field(st);
                st->st = S_START;
                p++;
            }
            break;
        }
        case S_Q: {
            const char *s = p;
            while (p < end && *p != '"')
                p++;
            put(st, s, (size_t)(p - s));
            if (p < end) {
                st->st = S_QQ;
                p++;
            }
            break;
        }
        default: /* S_QQ: a quote inside quotes: doubled, or the closing one */
            if (*p == '"') {
                put(st, "\"", 1);
                st->st = S_Q;
                p++;
            } else if (*p == d) {
                end_field(st);
                st->st = S_START;
                p++;
            } else {
                st->st = S_UNQ; /* text after the closing quote: kept, leniently */
            }
            break;
        }
    }
    if (st->st == S_Q)
        return RB_OK; /* the record continues on the next line */
    end_field(st);
    st->st = S_START;
    return record(ig, st, ln);
}

static int csv_end(rb_ingest *ig, void *state)
{
    struct csv_state *st = state;
    if (st->st == S_Q) {
        st->st = S_START;
        return ingest_malformed(ig, "csv: quoted field not closed at the end of the input");
    }
    return RB_OK;
}

static void csv_reset(rb_ingest *ig, void *state)
{
    (void)ig;
    struct csv_state *st = state;
    st->st = S_START;
    st->have_header = st->header_bad = false;
    st->nf = 0;
    if (!st->pmta)
        st->delim = 0;
    buf_reset(&st->data);
}

static void csv_fini(rb_ingest *ig, void *state)
{
    (void)ig;
    struct csv_state *st = state;
    buf_free(&st->data);
}

static int csv_init(rb_ingest *ig, void *state)
{
    struct csv_state *st = state;
    buf_init(&st->data, CSV_MAX_RECORD, ingest_mem(ig));
    clear_cols(st);
    const char *m = ingest_opts(ig)->map;
    return m && *m ? parse_map(ig, st, m) : RB_OK;
}

static int pmta_init(rb_ingest *ig, void *state)
{
    struct csv_state *st = state;
    buf_init(&st->data, CSV_MAX_RECORD, ingest_mem(ig));
    clear_cols(st);
    st->pmta = true;
    st->delim = ',';
    return RB_OK;
}

/* an accounting file's header line: "type,timeLogged,...,rcpt,..." */
static int pmta_sniff(const struct ingest_line *ln)
{
    struct slice l = ln->raw;
    if (l.len >= 3 && memcmp(l.p, "\xEF\xBB\xBF", 3) == 0)
        l = slice_make(l.p + 3, l.len - 3);
    if (l.len < 10 || !mem_eq_ci(l.p, "type,", 5))
        return 0;
    return memmem_ci(l.p, l.len, ",rcpt", 5) || memmem_ci(l.p, l.len, ",orig", 5) ? 90 : 0;
}

const struct ingest_reader ingest_reader_powermta = {
    .name = "powermta",
    .sniff = pmta_sniff,
    .line = csv_line,
    .end = csv_end,
    .reset = csv_reset,
    .fini = csv_fini,
    .state_size = sizeof(struct csv_state),
    .init = pmta_init,
};

/* generic CSV is only read when asked for (--format csv): any file has commas */
const struct ingest_reader ingest_reader_csv = {
    .name = "csv",
    .line = csv_line,
    .end = csv_end,
    .reset = csv_reset,
    .fini = csv_fini,
    .state_size = sizeof(struct csv_state),
    .init = csv_init,
};
