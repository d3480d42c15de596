/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * serve_load.c - HTTP/1.1 load client for `rebound serve`'s webhook receivers: keep-alive
 *                connections posting generated ESP events, latency histogram, ack log.
 *
 * USAGE
 *   serve_load --url http://HOST:PORT/webhooks/sendgrid [--token T] [--connections N]
 *              [--duration S] [--requests N] [--batch N] [--format sendgrid|ses]
 *              [--mix realistic|bounces|delivered] [--id-prefix P] [--ack-log FILE]
 *              [--retry] [--close] [--timeout S] [--seed N] [--kv]
 *   serve_load --dump N [--batch N] [--format F] [--mix M] [--id-prefix P] > FILE
 *
 * DESCRIPTION
 *   One thread, one epoll set, --connections sockets. Each connection sends a POST, waits for
 *   the whole response, then sends the next (no pipelining: a webhook sender waits for its
 *   2xx before it forgets an event). Bodies are generated per request: --format sendgrid posts
 *   a JSON array of --batch events, --format ses one SNS-wrapped SES bounce notification (SES
 *   posts one per request; --batch is 1). Event ids are --id-prefix plus a counter, so every
 *   event is new to the server; the rest of an event (recipient, receiver, reply text,
 *   timestamp) is a function of its counter and --seed, so a retry resends identical bytes and
 *   the store can recognise it.
 *
 *   Responses may carry Content-Length, chunked bodies or end at close; `Connection: close`
 *   and HTTP/1.0 are honoured by reconnecting. A connection error (refused, reset, closed
 *   mid-response, --timeout) is counted and the connection comes back with backoff (10 ms
 *   doubling to 500 ms) until the run ends, so the client rides through a server restart.
 *   The failed request is never acknowledged; with --retry it is sent again, same bytes and
 *   ids (the server's dedup makes that safe), and counts as another request; 5xx answers are
 *   retried the same way, after the same backoff on a new connection.
 *
 *   --ack-log FILE appends the event id of every event whose request got a 2xx, one per line,
 *   with one write(2) per response as it arrives: whatever happens to the server or to this
 *   process afterwards, the file lists only events the server acknowledged.
 *
 *   The run lasts --duration seconds (default 10) or --requests new requests, whichever ends
 *   first; then no new request starts and those in flight are awaited (up to --timeout).
 *   Rates divide by the time from start to the last response. Latency is measured from a
 *   request's first byte written to its response's last byte read, over all responses.
 *
 *   The summary goes to stdout: human lines, or with --kv one line of key=value pairs for
 *   scripts. Exit status 0 when at least one request got a 2xx, 1 when none did, 2 on a usage
 *   error.
 *
 * LIMITS
 *   MAX_CONNS connections, RESP_MAX bytes per response, HDR_MAX bytes of response headers,
 *   REQ_MAX bytes per request body (so --batch is bounded by REQ_MAX / ~700 bytes). Plain
 *   HTTP only (no TLS). Allocation failure ends the program: this is a benchmark tool, not
 *   library code (the same exemption as cli/).
 *
 * SEE ALSO
 *   bench/run_serve.sh (the benchmark), tests/serve/restart.sh (crash restarts),
 *   tests/golden/ingest/sendgrid.in and ses-sns.in (the event shapes), bench/gen_maillog.c
 *   (the reply texts come from its table).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 4096        /* --connections cap (each holds a socket and two buffers) */
#define RESP_MAX (4u << 20)   /* bytes of one response: more is a protocol error */
#define HDR_MAX (64u << 10)   /* bytes of a response's status line and headers */
#define REQ_MAX (64u << 20)   /* bytes of one request body */
#define BACKOFF_MIN 0.010     /* seconds before the first reconnect after an error */
#define BACKOFF_MAX 0.500     /* reconnect delay cap: a restarting server is back within it */
#define ID_MAX 96             /* bytes of one event id (prefix + counter) */
#define BASE_TIME 1763900000u /* event timestamps start here (2025-11-23) */

/* ---- small helpers ------------------------------------------------------------------------ */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("serve_load: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* length-carrying growable byte buffer; appends past cap end the program (see LIMITS) */
struct obuf {
    char *p;
    size_t len, cap, max;
};

static void ob_init(struct obuf *b, size_t max)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

static void ob_reserve(struct obuf *b, size_t more)
{
    if (more > b->max || b->len > b->max - more)
        die("buffer over its cap of %zu bytes (lower --batch)", b->max);
    if (b->len + more <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + more)
        cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
    char *p = realloc(b->p, cap);
    if (!p)
        die("out of memory");
    b->p = p;
    b->cap = cap;
}

static void ob_add(struct obuf *b, const char *p, size_t n)
{
    ob_reserve(b, n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void ob_str(struct obuf *b, const char *s)
{
    ob_add(b, s, strlen(s));
}

static void ob_u64(struct obuf *b, uint64_t v)
{
    char t[24];
    size_t n = 0;
    do {
        t[sizeof t - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    ob_add(b, t + sizeof t - n, n);
}

/* ob_json - append s as JSON string content (no quotes); the texts here are ASCII */
static void ob_json(struct obuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            ob_add(b, e, 2);
        } else if (c < 0x20) {
            ob_add(b, " ", 1);
        } else {
            ob_add(b, (const char *)&c, 1);
        }
    }
}

/* splitmix64: the per-event generator, so an event is a function of (seed, counter) */
static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

struct rng {
    uint64_t s;
};

static uint32_t rnd(struct rng *r, uint32_t n)
{
    r->s = mix64(r->s);
    return (uint32_t)((r->s >> 32) % n);
}

/* ---- events ------------------------------------------------------------------------------- */

struct rcv {
    const char *domain, *mx, *ok; /* ok: the receiver's 250 reply; %X = an id */
};
static const struct rcv receivers[] = {
    {"gmail.com", "gmail-smtp-in.l.google.com", "250 2.0.0 OK  %T %X - gsmtp"},
    {"googlemail.com", "alt1.gmail-smtp-in.l.google.com", "250 2.0.0 OK  %T %X - gsmtp"},
    {"outlook.com", "outlook-com.olc.protection.outlook.com",
     "250 2.6.0 <%X@shop.example> [InternalId=%X, Hostname=AM8PR04MB%X.eurprd04.prod.outlook.com] "
     "Queued mail for delivery"},
    {"hotmail.com", "hotmail-com.olc.protection.outlook.com",
     "250 2.6.0 <%X@shop.example> Queued mail for delivery"},
    {"contoso.com", "contoso-com.mail.protection.outlook.com",
     "250 2.6.0 <%X@shop.example> Queued mail for delivery"},
    {"yahoo.com", "mta7.am0.yahoodns.net", "250 ok dirdel"},
    {"aol.com", "mx-aol.mail.gm0.yahoodns.net", "250 ok dirdel"},
    {"icloud.com", "mx01.mail.icloud.com", "250 2.0.0 Ok: queued as %X"},
    {"gmx.de", "mx00.emig.gmx.net", "250 Requested mail action okay, completed: id=%X"},
    {"orange.fr", "smtp-in.orange.fr", "250 2.0.0 %X mail accepted for delivery"},
    {"example-corp.com", "eu-smtp-inbound-1.mimecast.com", "250 Ok %X-1 [%X]"},
    {"bigbank.com", "mx0a-00123401.pphosted.com", "250 2.0.0 %X Message accepted for delivery"},
    {"smallbiz.net", "mail.smallbiz.net", "250 2.0.0 Ok: queued as %X"},
    {"uni-example.edu", "mx1.uni-example.edu", "250 OK id=%X"},
};
#define NRCV (sizeof receivers / sizeof receivers[0])

/* failure replies, from bench/gen_maillog.c's table: %R recipient, %D its domain, %M the MX,
 * %I the MX's IP, %S the sending IP, %X an id */
struct reply {
    int rcv;   /* index into receivers, -1 = any */
    char kind; /* b = bounce, d = deferral */
    const char *dsn;
    const char *text;
};
static const struct reply replies[] = {
    {0, 'b', "5.1.1",
     "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 "
     "double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. "
     "For more information, go to 550 5.1.1  https://support.google.com/mail/?p=NoSuchUser %X "
     "- gsmtp"},
    {0, 'd', "4.7.28",
     "421-4.7.28 Gmail has detected an unusual rate of unsolicited mail from your IP address "
     "[%S]. 421-4.7.28 To protect our users from spam, mail sent from your IP address has been "
     "temporarily rate limited. 421 4.7.28 "
     "https://support.google.com/mail/?p=UnsolicitedRateLimitError %X - gsmtp"},
    {0, 'b', "5.7.26",
     "550-5.7.26 Unauthenticated email from shop.example is not accepted due to domain's "
     "550-5.7.26 DMARC policy. Please contact the administrator of shop.example domain if "
     "550 5.7.26 this was a legitimate mail. %X - gsmtp"},
    {0, 'b', "5.2.2",
     "552-5.2.2 The recipient's inbox is out of storage space. Please direct the 552-5.2.2 "
     "recipient to 552 5.2.2  https://support.google.com/mail/?p=OverQuotaPerm %X - gsmtp"},
    {3, 'b', "5.5.0",
     "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). "
     "[DM6NAM12FT%X.eop-nam12.prod.protection.outlook.com]"},
    {2, 'b', "5.7.1",
     "550 5.7.1 Unfortunately, messages from [%S] weren't sent. Please contact your Internet "
     "service provider since part of their network is on our block list (S3150). You can "
     "also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. "
     "[AM4PEPF%X.eurprd04.prod.outlook.com]"},
    {4, 'b', "5.4.1",
     "550 5.4.1 Recipient address rejected: Access denied. For more information see "
     "https://aka.ms/EXOSmtpErrors [BN1NAM02FT%X.eop-nam02.prod.protection.outlook.com]"},
    {5, 'd', "4.7.0",
     "421 4.7.0 [TSS04] Messages from %S temporarily deferred due to unexpected volume or user "
     "complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes"},
    {5, 'b', "5.0.0",
     "554 delivery error: dd This user doesn't have a yahoo.com account (%R) [0] - "
     "mta%X.mail.bf1.yahoo.com"},
    {6, 'b', "5.7.9",
     "554 5.7.9 Message not accepted for policy reasons.  See "
     "https://postmaster.yahooinc.com/error-codes"},
    {7, 'b', "5.1.1", "550 5.1.1 <%R>: user does not exist"},
    {7, 'd', "4.7.0", "450 4.7.0 Service temporarily unavailable (CS01) %X"},
    {8, 'b', "5.1.1", "550 Requested action not taken: mailbox unavailable"},
    {8, 'b', "5.7.1",
     "554-gmx.net (mxgmx%X) Nemesis ESMTP Service not available 554-No SMTP service "
     "554-IP address is block listed. 554 For explanation visit "
     "https://www.gmx.net/mail/senderguidelines?ip=%S&c=bl"},
    {9, 'd', "4.2.1",
     "421 mwinf%X 4.2.1 Service refuse. Veuillez essayer plus tard. OFR004_104 [104]"},
    {10, 'b', "5.0.0",
     "550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550 [%X.mimecast]"},
    {11, 'b', "5.7.1",
     "550 5.7.1 Recipient <%R> rejected - "
     "https://www.proofpoint.com/us/products/email-protection/email-security-and-protection"},
    {12, 'b', "5.1.1",
     "550 5.1.1 <%R>: Recipient address rejected: User unknown in virtual mailbox table"},
    {12, 'd', "4.2.0",
     "450 4.2.0 <%R>: Recipient address rejected: Greylisted, see "
     "http://postgrey.schweikert.ch/help/smallbiz.net.html"},
    {12, 'd', "4.2.2", "452 4.2.2 <%R>: Recipient address rejected: Mailbox full"},
    {12, 'b', "5.7.1",
     "554 5.7.1 Service unavailable; Client host [%S] blocked using zen.spamhaus.org; "
     "https://www.spamhaus.org/query/ip/%S"},
    {13, 'b', "5.1.1", "550 5.1.1 <%R>... User unknown"},
    {13, 'd', "4.4.1", "connect to %M[%I]:25: Connection timed out"},
    {-1, 'b', "5.4.4",
     "Host or domain name not found. Name service error for name=%D type=MX: Host not found, try "
     "again"},
};
#define NREP (sizeof replies / sizeof replies[0])

static const char *const users[] = {"john.smith", "m.garcia",   "li.wei",        "anna", "info",
                                    "sales",      "k.nakamura", "pierre.dupont", "olga", "dev"};

enum mix { MIX_REALISTIC, MIX_BOUNCES, MIX_DELIVERED };
enum fmt { FMT_SENDGRID, FMT_SES };

struct opts {
    const char *url, *token, *prefix, *ack_log;
    unsigned conns, batch;
    double duration, timeout;
    uint64_t max_requests, seed, dump;
    enum mix mix;
    enum fmt fmt;
    int retry, close, kv;
};

/* one generated event, its strings in fixed buffers */
struct event {
    char kind; /* 'd' delivered, 'f' deferred, 'b' bounced */
    char rcpt[128], sip[24], rip[24], text[1024], msgid[48];
    const char *dsn, *domain;
    unsigned campaign;
    uint64_t ts;
};

static void hex(struct rng *r, char *out, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++)
        out[i] = hx[rnd(r, 16)];
}

/* expand - fill out[cap] from template t (see replies[]); returns the length */
static size_t expand(char *out, size_t cap, const char *t, const struct event *e,
                     const struct rcv *rv, struct rng *r)
{
    size_t n = 0;
    for (; *t && n + 40 < cap; t++) {
        if (*t != '%') {
            out[n++] = *t;
            continue;
        }
        t++;
        const char *s = *t == 'R'   ? e->rcpt
                        : *t == 'D' ? rv->domain
                        : *t == 'M' ? rv->mx
                        : *t == 'I' ? e->rip
                        : *t == 'S' ? e->sip
                                    : NULL;
        if (*t == 'X') {
            hex(r, out + n, 12);
            n += 12;
        } else if (*t == 'T') {
            uint64_t v = e->ts;
            char d[24];
            size_t k = 0;
            do {
                d[k++] = (char)('0' + v % 10);
                v /= 10;
            } while (v);
            while (k)
                out[n++] = d[--k];
        } else if (s) {
            size_t l = strlen(s);
            if (n + l + 40 >= cap)
                break;
            memcpy(out + n, s, l);
            n += l;
        } else if (!*t) {
            break;
        }
    }
    out[n] = '\0';
    return n;
}

static void u32s(char *out, size_t cap, const char *pre, unsigned v)
{
    snprintf(out, cap, "%s%u", pre, v);
}

/* gen_event - the event with counter n: a function of (seed, n) only */
static void gen_event(const struct opts *o, uint64_t n, struct event *e)
{
    struct rng r = {mix64(o->seed * 0x9E3779B97F4A7C15ull ^ n)};
    unsigned roll = rnd(&r, 100);
    /* realistic: what an ESP's event webhook carries for a healthy sender, once opens and
     * clicks are filtered out: mostly deliveries, some deferrals, fewer bounces */
    if (o->mix == MIX_DELIVERED)
        e->kind = 'd';
    else if (o->mix == MIX_BOUNCES)
        e->kind = roll < 75 ? 'b' : 'f';
    else
        e->kind = roll < 75 ? 'd' : roll < 87 ? 'f' : 'b';
    if (o->fmt == FMT_SES)
        e->kind = 'b'; /* SES deliveries carry no event id to key them by */
    const struct reply *rp = NULL;
    const struct rcv *rv = &receivers[rnd(&r, NRCV)];
    if (e->kind != 'd') {
        const struct reply *pick[NREP];
        unsigned np = 0;
        char want = e->kind == 'b' ? 'b' : 'd';
        for (unsigned k = 0; k < NREP; k++)
            if (replies[k].kind == want)
                pick[np++] = &replies[k];
        rp = pick[rnd(&r, np)];
        if (rp->rcv >= 0)
            rv = &receivers[rp->rcv];
    }
    e->domain = rv->domain;
    snprintf(e->rcpt, sizeof e->rcpt, "%s%u@%s", users[rnd(&r, 10)], rnd(&r, 100000), rv->domain);
    u32s(e->sip, sizeof e->sip, "192.0.2.", 10 + rnd(&r, 40));
    u32s(e->rip, sizeof e->rip, "198.51.100.", rnd(&r, 250));
    hex(&r, e->msgid, 22);
    e->msgid[22] = '\0';
    e->campaign = rnd(&r, 12);
    e->ts = BASE_TIME + n / 16; /* ~16 events a second of mail time, increasing with n */
    e->dsn = rp ? rp->dsn : "2.0.0";
    expand(e->text, sizeof e->text, rp ? rp->text : rv->ok, e, rv, &r);
}

static void event_id(const struct opts *o, uint64_t n, struct obuf *b)
{
    ob_str(b, o->prefix);
    ob_u64(b, n);
}

/* body_sendgrid - a SendGrid event webhook POST body: an array of batch events from first */
static void body_sendgrid(const struct opts *o, uint64_t first, unsigned batch, struct obuf *b)
{
    struct event e;
    ob_add(b, "[", 1);
    for (unsigned i = 0; i < batch; i++) {
        uint64_t n = first + i;
        gen_event(o, n, &e);
        if (i)
            ob_add(b, ",", 1);
        ob_str(b, "{\"email\":\"");
        ob_str(b, e.rcpt);
        ob_str(b, "\",\"timestamp\":");
        ob_u64(b, e.ts);
        ob_str(b, ",\"smtp-id\":\"<");
        ob_str(b, e.msgid);
        ob_str(b, "@shop.example>\",\"event\":\"");
        ob_str(b, e.kind == 'd' ? "delivered" : e.kind == 'f' ? "deferred" : "bounce");
        ob_str(b, "\",\"category\":[\"campaign-");
        ob_u64(b, e.campaign);
        ob_str(b, "\"],\"sg_event_id\":\"");
        event_id(o, n, b);
        ob_str(b, "\",\"sg_message_id\":\"");
        ob_str(b, e.msgid);
        ob_str(b, ".filterdrecv-5f6d8c7b9-x2k4q-1-6560A1B2-3.0\",\"ip\":\"");
        ob_str(b, e.sip);
        if (e.kind == 'b') {
            /* SendGrid's type: "blocked" when the receiver refused the sender, not the
             * address */
            ob_str(b, "\",\"type\":\"");
            ob_str(b, strncmp(e.dsn, "5.7.", 4) == 0 ? "blocked" : "bounce");
            ob_str(b, "\",\"status\":\"");
            ob_str(b, e.dsn);
            ob_str(b, "\",\"reason\":\"");
        } else {
            if (e.kind == 'f')
                ob_str(b, "\",\"attempt\":\"2");
            ob_str(b, "\",\"response\":\"");
        }
        ob_json(b, e.text, strlen(e.text));
        ob_str(b, "\"}");
    }
    ob_add(b, "]", 1);
}

static void iso_time(uint64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

/* body_ses - an SNS Notification wrapping one SES Bounce notification for event n (the
 * store keys SES bounces by bounce.feedbackId, which is the event id here) */
static void body_ses(const struct opts *o, uint64_t n, struct obuf *b, struct obuf *inner)
{
    struct event e;
    char ts[32];
    gen_event(o, n, &e);
    iso_time(e.ts, ts);
    inner->len = 0;
    ob_str(inner, "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"");
    ob_str(inner, e.dsn[0] == '4' ? "Transient" : "Permanent");
    ob_str(inner, "\",\"bounceSubType\":\"General\",\"bouncedRecipients\":[{\"emailAddress\":\"");
    ob_str(inner, e.rcpt);
    ob_str(inner, "\",\"action\":\"failed\",\"status\":\"");
    ob_str(inner, e.dsn);
    ob_str(inner, "\",\"diagnosticCode\":\"smtp; ");
    ob_json(inner, e.text, strlen(e.text));
    ob_str(inner, "\"}],\"timestamp\":\"");
    ob_str(inner, ts);
    ob_str(inner, "\",\"feedbackId\":\"");
    event_id(o, n, inner);
    ob_str(inner, "\",\"reportingMTA\":\"dsn; a4-1.smtp-out.eu-west-1.amazonses.com\","
                  "\"remoteMtaIp\":\"");
    ob_str(inner, e.rip);
    ob_str(inner, "\"},\"mail\":{\"timestamp\":\"");
    ob_str(inner, ts);
    ob_str(inner, "\",\"source\":\"News <news@shop.example>\",\"sourceIp\":\"");
    ob_str(inner, e.sip);
    ob_str(inner, "\",\"sendingAccountId\":\"111122223333\",\"messageId\":\"");
    ob_str(inner, e.msgid);
    ob_str(inner, "\",\"destination\":[\"");
    ob_str(inner, e.rcpt);
    ob_str(inner, "\"],\"tags\":{\"campaign\":[\"campaign-");
    ob_u64(inner, e.campaign);
    ob_str(inner, "\"]}}}");
    ob_str(b, "{\"Type\":\"Notification\",\"MessageId\":\"sns-");
    event_id(o, n, b);
    ob_str(b, "\",\"TopicArn\":\"arn:aws:sns:eu-west-1:111122223333:ses-bounces\",\"Message\":\"");
    ob_json(b, inner->p, inner->len);
    ob_str(b, "\",\"Timestamp\":\"");
    ob_str(b, ts);
    ob_str(b, "\",\"SignatureVersion\":\"1\",\"Signature\":\"EXAMPLEsig==\","
              "\"SigningCertURL\":\"https://sns.eu-west-1.amazonaws.com/cert.pem\"}");
}

/* ---- latency histogram: log-linear, 64 sub-buckets per power of two (~1.5% error) ------- */

#define H_SUB 64
#define H_BUCKETS (2 * H_SUB + 40 * H_SUB)

static uint64_t hist[H_BUCKETS];

static unsigned h_index(uint64_t us)
{
    if (us < 2 * H_SUB)
        return (unsigned)us;
    unsigned msb = 63u - (unsigned)__builtin_clzll(us);
    unsigned shift = msb - 6; /* 6 = log2(H_SUB) */
    unsigned i = 2 * H_SUB + (shift - 1) * H_SUB + (unsigned)((us >> shift) - H_SUB);
    return i < H_BUCKETS ? i : H_BUCKETS - 1;
}

/* h_value - the upper edge of bucket i, in microseconds */
static uint64_t h_value(unsigned i)
{
    if (i < 2 * H_SUB)
        return i;
    unsigned shift = (i - 2 * H_SUB) / H_SUB + 1;
    uint64_t m = (i - 2 * H_SUB) % H_SUB + H_SUB;
    return ((m + 1) << shift) - 1;
}

static double h_pct(double pct, uint64_t total)
{
    if (!total)
        return 0;
    uint64_t want = (uint64_t)((double)total * pct / 100.0 + 0.5), seen = 0;
    if (want < 1)
        want = 1;
    for (unsigned i = 0; i < H_BUCKETS; i++) {
        seen += hist[i];
        if (seen >= want)
            return (double)h_value(i) / 1000.0;
    }
    return 0;
}

/* ---- the HTTP client ---------------------------------------------------------------------- */

enum cstate { C_WAIT, C_CONNECTING, C_BUSY, C_IDLE };

struct conn {
    int fd;
    enum cstate st;
    struct obuf req;  /* the request: headers and body */
    size_t sent;      /* bytes of req written */
    struct obuf resp; /* the response so far */
    uint64_t first;   /* the request's events are counters first .. first + n - 1 */
    unsigned n;       /* 0 = no request held */
    double t_start;   /* when the request's first byte went out */
    double t_wake;    /* C_WAIT: when to reconnect */
    double backoff;   /* the next reconnect delay */
    int want_out;     /* EPOLLOUT is in the interest set */
};

struct stats {
    uint64_t responses, s2xx, s3xx, s4xx, s5xx, other, conn_errors, connect_errors, timeouts,
        reconnects, retries, events_ok, events_failed, stored, duplicates, ignored, issued, code401,
        code413, code400, code404;
    double max_ms;
};

static struct opts opt;
static struct stats st;
static struct conn *conns;
static int ep = -1, ack_fd = -1;
static struct addrinfo *addr;
static char host_hdr[300], path[2048];
static uint64_t next_counter;
static volatile sig_atomic_t interrupted;
static struct obuf scratch, scratch2;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* parse_url - split http://HOST[:PORT][/PATH] into the globals; returns 0 or -1 */
static int parse_url(const char *url)
{
    if (strncmp(url, "http://", 7) != 0)
        return -1;
    const char *h = url + 7, *p = strchr(h, '/');
    size_t hl = p ? (size_t)(p - h) : strlen(h);
    if (!hl || hl >= sizeof host_hdr)
        return -1;
    memcpy(host_hdr, h, hl);
    host_hdr[hl] = '\0';
    const char *ps = p ? p : "/";
    if (strlen(ps) >= sizeof path)
        return -1;
    memcpy(path, ps, strlen(ps) + 1);
    char host[300], port[16] = "80";
    memcpy(host, host_hdr, hl + 1);
    char *colon = strrchr(host, ':'), *br = strrchr(host, ']');
    if (colon && (!br || colon > br)) {
        size_t pl = strlen(colon + 1);
        if (!pl || pl >= sizeof port)
            return -1;
        memcpy(port, colon + 1, pl + 1);
        *colon = '\0';
    }
    char *hn = host;
    if (hn[0] == '[') { /* [v6] */
        hn++;
        char *e = strchr(hn, ']');
        if (!e)
            return -1;
        *e = '\0';
    }
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(hn, port, &hints, &addr);
    if (rc)
        die("%s: %s", hn, gai_strerror(rc));
    return 0;
}

static void set_interest(struct conn *c, int out)
{
    if (c->want_out == out)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0u), .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->want_out = out;
}

static void conn_close(struct conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->resp.len = 0;
    c->sent = 0;
}

/* conn_fail - a connection-level error (why: E_CONN, E_CONNECT, E_TIMEOUT): drop the socket,
 * keep (--retry) or forget the request, wait before reconnecting */
enum { E_CONN, E_CONNECT, E_TIMEOUT };
static void conn_fail(struct conn *c, double t, int why)
{
    if (why == E_CONNECT)
        st.connect_errors++;
    else if (why == E_TIMEOUT)
        st.timeouts++;
    else
        st.conn_errors++;
    if (c->n && !opt.retry) {
        st.events_failed += c->n;
        c->n = 0;
    }
    conn_close(c);
    c->st = C_WAIT;
    c->t_wake = t + c->backoff;
    c->backoff = c->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : c->backoff * 2;
}

static void conn_connect(struct conn *c, double t)
{
    int fd = socket(addr->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    c->want_out = 1;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
        die("epoll_ctl: %s", strerror(errno));
    c->st = C_CONNECTING;
    c->t_start = t; /* the connect timeout runs from here */
    /* loopback refusals may come back at once: the same as an asynchronous failure */
    if (connect(fd, addr->ai_addr, addr->ai_addrlen) < 0 && errno != EINPROGRESS)
        conn_fail(c, t, E_CONNECT);
}

static int stopping; /* the run is over: no new request, no retry */

static int can_issue(void)
{
    return !stopping && !interrupted && (!opt.max_requests || st.issued < opt.max_requests);
}

/* build_request - fill c->req with a new request of fresh event counters */
static void build_request(struct conn *c)
{
    unsigned n = opt.fmt == FMT_SES ? 1 : opt.batch;
    c->first = next_counter;
    c->n = n;
    next_counter += n;
    st.issued++;
    scratch.len = 0;
    if (opt.fmt == FMT_SES)
        body_ses(&opt, c->first, &scratch, &scratch2);
    else
        body_sendgrid(&opt, c->first, n, &scratch);
    struct obuf *r = &c->req;
    r->len = 0;
    ob_str(r, "POST ");
    ob_str(r, path);
    ob_str(r, " HTTP/1.1\r\nHost: ");
    ob_str(r, host_hdr);
    ob_str(r, "\r\nUser-Agent: serve_load\r\nContent-Type: application/json\r\n");
    if (opt.fmt == FMT_SES)
        ob_str(r, "x-amz-sns-message-type: Notification\r\n");
    if (opt.token) {
        ob_str(r, "Authorization: Bearer ");
        ob_str(r, opt.token);
        ob_str(r, "\r\n");
    }
    if (opt.close)
        ob_str(r, "Connection: close\r\n");
    ob_str(r, "Content-Length: ");
    ob_u64(r, scratch.len);
    ob_str(r, "\r\n\r\n");
    ob_add(r, scratch.p, scratch.len);
}

/* conn_write - write what is left of the request; returns 0, or -1 after conn_fail */
static int conn_write(struct conn *c, double t)
{
    while (c->sent < c->req.len) {
        ssize_t w = send(c->fd, c->req.p + c->sent, c->req.len - c->sent, MSG_NOSIGNAL);
        if (w > 0) {
            c->sent += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            set_interest(c, 1);
            return 0;
        }
        conn_fail(c, t, E_CONN);
        return -1;
    }
    set_interest(c, 0);
    return 0;
}

/* conn_start - send the held request (a retry) or a new one; idle when the run is over */
static void conn_start(struct conn *c, double t)
{
    if (c->n) {
        st.retries++;
    } else if (can_issue()) {
        build_request(c);
    } else {
        c->st = C_IDLE;
        return;
    }
    c->st = C_BUSY;
    c->sent = 0;
    c->resp.len = 0;
    c->t_start = t;
    conn_write(c, t);
}

static int ci_prefix(const char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    if (n < l)
        return 0;
    for (size_t i = 0; i < l; i++) {
        char a = p[i], b = lit[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a + 32);
        if (a != b)
            return 0;
    }
    return 1;
}

static int ci_contains(const char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    for (size_t i = 0; i + l <= n; i++)
        if (ci_prefix(p + i, n - i, lit))
            return 1;
    return 0;
}

static const char *find_crlf(const char *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == '\r' && p[i + 1] == '\n')
            return p + i;
    return NULL;
}

struct resp {
    int status, close;
    const char *body; /* into the response buffer, or into scratch when chunked */
    size_t body_len;
};

/* parse_resp - recognise one whole response in p[n]; eof: the peer closed after these bytes.
 * Returns 1 (complete: *r filled), 0 (need more), -1 (malformed). Responses are small, so an
 * incomplete one is parsed again from the start when more bytes come. */
static int parse_resp(const char *p, size_t n, int eof, struct resp *r, struct obuf *dechunk)
{
    size_t off = 0;
    for (;;) {
        const char *end = NULL;
        for (size_t i = off; i + 3 < n; i++)
            if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n') {
                end = p + i;
                break;
            }
        if (!end)
            return n - off > HDR_MAX || eof ? -1 : 0;
        const char *s = p + off;
        size_t hl = (size_t)(end - s);
        if (hl < 12 || !ci_prefix(s, hl, "http/1.") || s[8] != ' ')
            return -1;
        int code = 0;
        for (int i = 9; i < 12; i++) {
            if (s[i] < '0' || s[i] > '9')
                return -1;
            code = code * 10 + (s[i] - '0');
        }
        int http10 = s[7] == '0';
        const char *body = end + 4;
        if (code >= 100 && code < 200) { /* 100 Continue and friends: skip */
            off = (size_t)(body - p);
            continue;
        }
        long long clen = -1;
        int chunked = 0, close = http10, keep = 0;
        const char *line = find_crlf(s, hl + 2) + 2;
        while (line < end) {
            const char *le = find_crlf(line, (size_t)(end + 2 - line));
            size_t ll = (size_t)(le - line);
            const char *colon = memchr(line, ':', ll);
            if (colon) {
                size_t nl = (size_t)(colon - line);
                const char *v = colon + 1;
                size_t vl = (size_t)(le - v);
                if (nl == 14 && ci_prefix(line, nl, "content-length")) {
                    clen = 0;
                    for (size_t i = 0; i < vl; i++) {
                        if (v[i] >= '0' && v[i] <= '9') {
                            if (clen > (long long)RESP_MAX)
                                return -1;
                            clen = clen * 10 + (v[i] - '0');
                        } else if (v[i] != ' ' && v[i] != '\t') {
                            return -1;
                        }
                    }
                } else if (nl == 17 && ci_prefix(line, nl, "transfer-encoding")) {
                    chunked = ci_contains(v, vl, "chunked");
                } else if (nl == 10 && ci_prefix(line, nl, "connection")) {
                    if (ci_contains(v, vl, "close"))
                        close = 1;
                    if (ci_contains(v, vl, "keep-alive"))
                        keep = 1;
                }
            }
            line = le + 2;
        }
        if (http10 && keep)
            close = 0;
        r->status = code;
        r->close = close;
        size_t have = n - (size_t)(body - p);
        if (code == 204 || code == 304) {
            r->body = body;
            r->body_len = 0;
            return 1;
        }
        if (chunked) {
            size_t q = 0;
            dechunk->len = 0;
            for (;;) {
                const char *le = find_crlf(body + q, have - q);
                if (!le)
                    return eof ? -1 : 0;
                uint64_t sz = 0;
                const char *h = body + q;
                int digits = 0;
                for (; h < le; h++) {
                    int d = *h >= '0' && *h <= '9'   ? *h - '0'
                            : *h >= 'a' && *h <= 'f' ? *h - 'a' + 10
                            : *h >= 'A' && *h <= 'F' ? *h - 'A' + 10
                                                     : -1;
                    if (d < 0)
                        break; /* ";ext" or spaces end the size */
                    if (sz > RESP_MAX)
                        return -1;
                    sz = sz * 16 + (unsigned)d;
                    digits++;
                }
                if (!digits)
                    return -1;
                q = (size_t)(le + 2 - body);
                if (sz == 0) {
                    /* trailers, if any, then the empty line */
                    for (;;) {
                        const char *te = find_crlf(body + q, have - q);
                        if (!te)
                            return eof ? -1 : 0;
                        size_t tl = (size_t)(te - (body + q));
                        q += tl + 2;
                        if (!tl)
                            break;
                    }
                    r->body = dechunk->p;
                    r->body_len = dechunk->len;
                    return 1;
                }
                if (have - q < sz + 2)
                    return eof ? -1 : 0;
                ob_add(dechunk, body + q, (size_t)sz);
                q += (size_t)sz + 2;
            }
        }
        if (clen >= 0) {
            if (have < (size_t)clen)
                return eof ? -1 : 0;
            r->body = body;
            r->body_len = (size_t)clen;
            return 1;
        }
        /* no length: the body runs to the close */
        if (!eof)
            return 0;
        r->body = body;
        r->body_len = have;
        r->close = 1;
        return 1;
    }
}

/* json_count - the unsigned number after "key": in a small JSON object; 0 if absent */
static uint64_t json_count(const char *p, size_t n, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl + 2 < n; i++) {
        if (p[i] != '"' || memcmp(p + i + 1, key, kl) != 0 || p[i + 1 + kl] != '"')
            continue;
        size_t j = i + kl + 2;
        while (j < n && (p[j] == ' ' || p[j] == ':'))
            j++;
        uint64_t v = 0;
        while (j < n && p[j] >= '0' && p[j] <= '9')
            v = v * 10 + (uint64_t)(p[j++] - '0');
        return v;
    }
    return 0;
}

/* ack - append the ids of c's events to the ack log in one write */
static void ack(struct conn *c)
{
    if (ack_fd < 0)
        return;
    scratch.len = 0;
    for (unsigned i = 0; i < c->n; i++) {
        event_id(&opt, c->first + i, &scratch);
        ob_add(&scratch, "\n", 1);
    }
    size_t off = 0;
    while (off < scratch.len) {
        ssize_t w = write(ack_fd, scratch.p + off, scratch.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die("--ack-log: %s", strerror(errno));
        off += (size_t)w;
    }
}

/* finish - account for a whole response; then next request, or reconnect on close */
static void finish(struct conn *c, const struct resp *r, double t)
{
    double ms = (t - c->t_start) * 1000.0;
    hist[h_index((uint64_t)(ms * 1000.0))]++;
    if (ms > st.max_ms)
        st.max_ms = ms;
    st.responses++;
    int retry = 0;
    if (r->status >= 200 && r->status < 300) {
        st.s2xx++;
        st.events_ok += c->n;
        st.stored += json_count(r->body, r->body_len, "stored");
        st.duplicates += json_count(r->body, r->body_len, "duplicates");
        st.ignored += json_count(r->body, r->body_len, "ignored");
        ack(c);
    } else if (r->status >= 300 && r->status < 400) {
        st.s3xx++;
    } else if (r->status >= 400 && r->status < 500) {
        st.s4xx++;
        st.code400 += r->status == 400;
        st.code401 += r->status == 401;
        st.code404 += r->status == 404;
        st.code413 += r->status == 413;
    } else if (r->status >= 500 && r->status < 600) {
        st.s5xx++;
        retry = opt.retry; /* not stored: the same bytes again */
    } else {
        st.other++;
    }
    if (!retry) {
        if (!(r->status >= 200 && r->status < 300))
            st.events_failed += c->n;
        c->n = 0;
    }
    if (retry) {
        /* the server is failing or stopping (a 503 while it drains): back off as for a
         * connection error instead of spinning on it */
        conn_close(c);
        c->st = C_WAIT;
        c->t_wake = t + c->backoff;
        c->backoff = c->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : c->backoff * 2;
        return;
    }
    c->backoff = BACKOFF_MIN;
    /* a response that came before the whole request went out leaves the stream unusable */
    if (r->close || c->sent < c->req.len) {
        conn_close(c);
        st.reconnects++;
        if (c->n || can_issue())
            conn_connect(c, t);
        else
            c->st = C_IDLE;
        return;
    }
    conn_start(c, t);
}

static void conn_read(struct conn *c, double t)
{
    for (;;) {
        if (c->resp.len > RESP_MAX) {
            conn_fail(c, t, E_CONN);
            return;
        }
        ob_reserve(&c->resp, 16384);
        ssize_t r = recv(c->fd, c->resp.p + c->resp.len, c->resp.cap - c->resp.len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (r < 0) {
            conn_fail(c, t, E_CONN);
            return;
        }
        if (r == 0) {
            struct resp rs;
            if (c->st == C_BUSY && c->resp.len &&
                parse_resp(c->resp.p, c->resp.len, 1, &rs, &scratch2) == 1) {
                rs.close = 1;
                finish(c, &rs, t);
            } else {
                /* closed before a whole response: an idle keep-alive connection the server
                 * timed out, or a server that went away */
                conn_fail(c, t, E_CONN);
            }
            return;
        }
        c->resp.len += (size_t)r;
        if (c->st != C_BUSY) { /* bytes nobody asked for */
            conn_fail(c, t, E_CONN);
            return;
        }
    }
    if (c->st != C_BUSY || !c->resp.len)
        return;
    struct resp rs;
    int pr = parse_resp(c->resp.p, c->resp.len, 0, &rs, &scratch2);
    if (pr == 1)
        finish(c, &rs, t);
    else if (pr < 0)
        conn_fail(c, t, E_CONN);
}

static void on_event(struct conn *c, uint32_t events, double t)
{
    if (c->st == C_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err || (events & (EPOLLERR | EPOLLHUP))) {
            conn_fail(c, t, E_CONNECT);
            return;
        }
        conn_start(c, t);
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        conn_read(c, t);
        if (c->fd < 0)
            return;
    }
    if ((events & EPOLLOUT) && c->st == C_BUSY)
        conn_write(c, t);
}

/* ---- options and the main loop ------------------------------------------------------------ */

static void usage(FILE *f)
{
    fputs("usage: serve_load --url http://HOST:PORT/PATH [--token T] [--connections N]\n"
          "                  [--duration S] [--requests N] [--batch N] [--format sendgrid|ses]\n"
          "                  [--mix realistic|bounces|delivered] [--id-prefix P]\n"
          "                  [--ack-log FILE] [--retry] [--close] [--timeout S] [--seed N]\n"
          "                  [--kv]\n"
          "       serve_load --dump N [--batch N] [--format F] [--mix M] [--id-prefix P]\n",
          f);
}

static uint64_t num(const char *name, const char *v, uint64_t lo, uint64_t hi)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-' || x < lo || x > hi)
        die("%s: want a whole number from %llu to %llu, got '%s'", name, (unsigned long long)lo,
            (unsigned long long)hi, v);
    return x;
}

static double secs(const char *name, const char *v)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x > 0) || x > 1e6)
        die("%s: want a positive number of seconds, got '%s'", name, v);
    return x;
}

static void parse_args(int argc, char **argv)
{
    static char defprefix[64];
    snprintf(defprefix, sizeof defprefix, "sl-%ld-%ld-", (long)time(NULL), (long)getpid());
    opt.prefix = defprefix;
    opt.conns = 16;
    opt.batch = 10;
    opt.duration = 10;
    opt.timeout = 10;
    opt.seed = 1;
    int have_duration = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (strcmp(a, "--retry") == 0) {
            opt.retry = 1;
            takes = 0;
        } else if (strcmp(a, "--close") == 0) {
            opt.close = 1;
            takes = 0;
        } else if (strcmp(a, "--kv") == 0) {
            opt.kv = 1;
            takes = 0;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (!v) {
            usage(stderr);
            die("%s: unknown option or missing value", a);
        } else if (strcmp(a, "--url") == 0) {
            opt.url = v;
        } else if (strcmp(a, "--token") == 0) {
            opt.token = v;
        } else if (strcmp(a, "--id-prefix") == 0) {
            if (strlen(v) > ID_MAX - 24 || strpbrk(v, "\"\\\n\r"))
                die("--id-prefix: at most %d bytes, no quotes, backslashes or newlines",
                    ID_MAX - 24);
            opt.prefix = v;
        } else if (strcmp(a, "--ack-log") == 0) {
            opt.ack_log = v;
        } else if (strcmp(a, "--connections") == 0) {
            opt.conns = (unsigned)num(a, v, 1, MAX_CONNS);
        } else if (strcmp(a, "--batch") == 0) {
            opt.batch = (unsigned)num(a, v, 1, 50000);
        } else if (strcmp(a, "--requests") == 0) {
            opt.max_requests = num(a, v, 1, UINT64_MAX / 2);
        } else if (strcmp(a, "--dump") == 0) {
            opt.dump = num(a, v, 1, UINT64_MAX / 2);
        } else if (strcmp(a, "--seed") == 0) {
            opt.seed = num(a, v, 0, UINT64_MAX);
        } else if (strcmp(a, "--duration") == 0) {
            opt.duration = secs(a, v);
            have_duration = 1;
        } else if (strcmp(a, "--timeout") == 0) {
            opt.timeout = secs(a, v);
        } else if (strcmp(a, "--format") == 0) {
            if (strcmp(v, "sendgrid") == 0)
                opt.fmt = FMT_SENDGRID;
            else if (strcmp(v, "ses") == 0)
                opt.fmt = FMT_SES;
            else
                die("--format: sendgrid or ses, got '%s'", v);
        } else if (strcmp(a, "--mix") == 0) {
            if (strcmp(v, "realistic") == 0)
                opt.mix = MIX_REALISTIC;
            else if (strcmp(v, "bounces") == 0)
                opt.mix = MIX_BOUNCES;
            else if (strcmp(v, "delivered") == 0)
                opt.mix = MIX_DELIVERED;
            else
                die("--mix: realistic, bounces or delivered, got '%s'", v);
        } else {
            usage(stderr);
            die("%s: unknown option", a);
        }
        i += takes;
    }
    /* --requests alone runs until that many are done */
    if (opt.max_requests && !have_duration)
        opt.duration = 1e6;
    if (opt.fmt == FMT_SES)
        opt.batch = 1;
    if (!opt.dump && !opt.url) {
        usage(stderr);
        die("--url is required");
    }
}

/* dump - write --dump request bodies, one a line, for `rebound ingest` of the same events */
static int dump(void)
{
    struct obuf b, inner;
    ob_init(&b, REQ_MAX);
    ob_init(&inner, REQ_MAX);
    uint64_t n = 0;
    for (uint64_t r = 0; r < opt.dump; r++) {
        b.len = 0;
        if (opt.fmt == FMT_SES) {
            body_ses(&opt, n, &b, &inner);
            n++;
        } else {
            body_sendgrid(&opt, n, opt.batch, &b);
            n += opt.batch;
        }
        ob_add(&b, "\n", 1);
        if (fwrite(b.p, 1, b.len, stdout) != b.len)
            die("stdout: %s", strerror(errno));
    }
    free(b.p);
    free(inner.p);
    return fflush(stdout) == 0 ? 0 : 1;
}

static void report(double elapsed)
{
    double rps = elapsed > 0 ? (double)st.responses / elapsed : 0;
    double eps = elapsed > 0 ? (double)st.events_ok / elapsed : 0;
    double p50 = h_pct(50, st.responses), p90 = h_pct(90, st.responses),
           p99 = h_pct(99, st.responses);
    if (opt.kv) {
        printf("secs=%.3f connections=%u batch=%u requests=%llu req_per_s=%.1f ok=%llu "
               "events_ok=%llu events_per_s=%.1f s3xx=%llu s4xx=%llu s5xx=%llu other=%llu "
               "conn_errors=%llu connect_errors=%llu timeouts=%llu reconnects=%llu retries=%llu "
               "events_unacked=%llu stored=%llu duplicates=%llu ignored=%llu p50_ms=%.3f "
               "p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
               elapsed, opt.conns, opt.batch, (unsigned long long)st.responses, rps,
               (unsigned long long)st.s2xx, (unsigned long long)st.events_ok, eps,
               (unsigned long long)st.s3xx, (unsigned long long)st.s4xx,
               (unsigned long long)st.s5xx, (unsigned long long)st.other,
               (unsigned long long)st.conn_errors, (unsigned long long)st.connect_errors,
               (unsigned long long)st.timeouts, (unsigned long long)st.reconnects,
               (unsigned long long)st.retries, (unsigned long long)st.events_failed,
               (unsigned long long)st.stored, (unsigned long long)st.duplicates,
               (unsigned long long)st.ignored, p50, p90, p99, st.max_ms);
        return;
    }
    printf("serve_load: %s, %u connections, %s, batch %u, %.2f s\n", opt.url, opt.conns,
           opt.fmt == FMT_SES ? "ses" : "sendgrid", opt.batch, elapsed);
    printf("  requests  %llu answered = %.1f requests/s: %llu 2xx, %llu 3xx, %llu 4xx "
           "(400: %llu, 401: %llu, 404: %llu, 413: %llu), %llu 5xx, %llu other\n",
           (unsigned long long)st.responses, rps, (unsigned long long)st.s2xx,
           (unsigned long long)st.s3xx, (unsigned long long)st.s4xx, (unsigned long long)st.code400,
           (unsigned long long)st.code401, (unsigned long long)st.code404,
           (unsigned long long)st.code413, (unsigned long long)st.s5xx,
           (unsigned long long)st.other);
    printf("  events    %llu accepted (2xx) = %.1f events/s; server said stored %llu, "
           "duplicates %llu, ignored %llu; %llu not acknowledged\n",
           (unsigned long long)st.events_ok, eps, (unsigned long long)st.stored,
           (unsigned long long)st.duplicates, (unsigned long long)st.ignored,
           (unsigned long long)st.events_failed);
    printf("  latency   p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n", p50, p90, p99,
           st.max_ms);
    printf("  errors    %llu connection, %llu connect, %llu timeouts; %llu reconnects, "
           "%llu retries\n",
           (unsigned long long)st.conn_errors, (unsigned long long)st.connect_errors,
           (unsigned long long)st.timeouts, (unsigned long long)st.reconnects,
           (unsigned long long)st.retries);
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    if (opt.dump)
        return dump();
    if (parse_url(opt.url) < 0)
        die("--url: want http://HOST[:PORT][/PATH], got '%s'", opt.url);
    if (opt.ack_log) {
        ack_fd = open(opt.ack_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (ack_fd < 0)
            die("%s: %s", opt.ack_log, strerror(errno));
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    ob_init(&scratch, REQ_MAX + (64u << 10));
    ob_init(&scratch2, REQ_MAX + (64u << 10));
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1: %s", strerror(errno));
    conns = calloc(opt.conns, sizeof *conns);
    if (!conns)
        die("out of memory");
    double t0 = now(), t = t0, stop_at = 0, last = t0;
    for (unsigned i = 0; i < opt.conns; i++) {
        struct conn *c = &conns[i];
        c->fd = -1;
        c->backoff = BACKOFF_MIN;
        ob_init(&c->req, REQ_MAX + (64u << 10));
        ob_init(&c->resp, RESP_MAX + 16384);
        conn_connect(c, t);
    }
    struct epoll_event evs[256];
    int held = 1; /* some connection holds a request (sent, or waiting for a retry) */
    for (;;) {
        t = now();
        if (!stopping && (t - t0 >= opt.duration || interrupted ||
                          (opt.max_requests && st.issued >= opt.max_requests && !held))) {
            stopping = 1;
            stop_at = t;
        }
        int busy = 0;
        held = 0;
        for (unsigned i = 0; i < opt.conns; i++) {
            struct conn *c = &conns[i];
            if (c->st == C_WAIT && !stopping && t >= c->t_wake)
                conn_connect(c, t);
            else if ((c->st == C_BUSY || c->st == C_CONNECTING) && t - c->t_start > opt.timeout)
                conn_fail(c, t, c->st == C_BUSY ? E_TIMEOUT : E_CONNECT);
            if (stopping && c->st != C_BUSY && c->st != C_IDLE) {
                if (c->n) /* a retry the run ended before */
                    st.events_failed += c->n;
                c->n = 0;
                conn_close(c);
                c->st = C_IDLE;
            }
            busy += c->st == C_BUSY;
            held += c->n != 0;
        }
        if (stopping && (!busy || t - stop_at > opt.timeout))
            break;
        int n = epoll_wait(ep, evs, 256, 5);
        if (n < 0 && errno != EINTR)
            die("epoll_wait: %s", strerror(errno));
        t = now();
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            uint64_t before = st.responses;
            if (c->fd >= 0)
                on_event(c, evs[i].events, t);
            if (st.responses != before)
                last = t;
        }
    }
    for (unsigned i = 0; i < opt.conns; i++)
        if (conns[i].st == C_BUSY && conns[i].n)
            st.events_failed += conns[i].n; /* abandoned after the grace period */
    report((last > stop_at ? last : stop_at) - t0);
    for (unsigned i = 0; i < opt.conns; i++) {
        conn_close(&conns[i]);
        free(conns[i].req.p);
        free(conns[i].resp.p);
    }
    free(conns);
    free(scratch.p);
    free(scratch2.p);
    freeaddrinfo(addr);
    if (ack_fd >= 0)
        close(ack_fd);
    close(ep);
    return st.s2xx ? 0 : 1;
}
