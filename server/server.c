/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * server.c - `rebound serve`: the libmicrohttpd daemon, routing, authentication, request
 *            bodies and responses (see server_int.h for the data flow).
 *
 * DESCRIPTION
 *   Routes are a table (method, path or path prefix, whether it writes, handler). Write
 *   routes need the bearer token (Authorization: Bearer TOKEN, or Basic with the token as
 *   user or password, for ESPs that can only put credentials in the URL). Nothing is served
 *   from the file system: the dashboard is compiled in, so no path can traverse anywhere.
 */
#include <arpa/inet.h>
#include <strings.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json_out.h"
#include "server_int.h"

const char *const server_hook_names[HOOK__COUNT] = {"ses",      "sendgrid",  "mailgun",
                                                    "postmark", "sparkpost", "generic"};

/* ---- responses ---------------------------------------------------------------------------- */

void reply_json(struct req *rq, int status)
{
    buf_reset(&rq->out);
    rq->status = status;
    rq->ctype = NULL;
}

void reply_error(struct req *rq, int status, const char *msg)
{
    reply_json(rq, status);
    int first = 1;
    if (buf_putc(&rq->out, '{') != RB_OK || json_key_str(&rq->out, &first, "error", msg) != RB_OK ||
        buf_puts(&rq->out, "}\n") != RB_OK)
        buf_reset(&rq->out);
}

static int status_slot(int status)
{
    switch (status) {
    case 200:
        return ST_200;
    case 400:
        return ST_400;
    case 401:
        return ST_401;
    case 404:
        return ST_404;
    case 405:
        return ST_405;
    case 413:
        return ST_413;
    case 500:
        return ST_500;
    case 503:
        return ST_503;
    default:
        return ST_OTHER;
    }
}

static enum MHD_Result send_reply(struct srv *sv, struct MHD_Connection *c, struct req *rq)
{
    struct MHD_Response *r;
    if (rq->static_body)
        r = MHD_create_response_from_buffer(rq->static_len, (void *)rq->static_body,
                                            MHD_RESPMEM_PERSISTENT);
    else
        r = MHD_create_response_from_buffer(rq->out.len, rq->out.p, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", rq->ctype ? rq->ctype : "application/json");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (rq->ctype && strncmp(rq->ctype, "text/html", 9) == 0) {
        /* the page fetches nothing but its own API */
        MHD_add_response_header(r, "Content-Security-Policy",
                                "default-src 'self'; script-src 'unsafe-inline'; "
                                "style-src 'unsafe-inline'; img-src data:; "
                                "frame-ancestors 'none'");
        MHD_add_response_header(r, "X-Frame-Options", "DENY");
    }
    if (rq->status == 401)
        MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"rebound\"");
    if (rq->status == 503)
        MHD_add_response_header(r, "Retry-After", rq->retry_after ? rq->retry_after : "1");
    if (rq->close)
        MHD_add_response_header(r, "Connection", "close");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)rq->status, r);
    rq->sent = true;
    MHD_destroy_response(r);
    atomic_fetch_add(&sv->status[status_slot(rq->status)], 1);
    return ret;
}

/* ---- the pool of per-request resources ---------------------------------------------------- */

struct ctx *ctx_get(struct srv *sv)
{
    pthread_mutex_lock(&sv->pool_mu);
    struct ctx *x = sv->pool;
    if (x)
        sv->pool = x->next;
    pthread_mutex_unlock(&sv->pool_mu);
    if (x)
        return x;
    x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    rb_ingest_opts io = {.format = "json", .strict = true};
    if (rb_ingest_new(sv->cls, &io, &x->ig) != RB_OK || rb_scratch_new(sv->cls, &x->sc) != RB_OK) {
        rb_ingest_free(x->ig);
        rb_scratch_free(x->sc);
        free(x);
        return NULL;
    }
    return x;
}

void ctx_put(struct srv *sv, struct ctx *x)
{
    if (!x)
        return;
    if (x->ro) {
        /* store_suppress_get leaves its statement on the row it found (the strings live
         * there) and so holds a read transaction; on a pooled connection that would pin an
         * old snapshot of the store for the next request. A lookup that finds nothing ends
         * it. */
        struct store_suppression e;
        bool found;
        store_suppress_get(x->ro, "", &e, &found);
    }
    pthread_mutex_lock(&sv->pool_mu);
    x->next = sv->pool;
    sv->pool = x;
    pthread_mutex_unlock(&sv->pool_mu);
}

struct store *ctx_store(struct srv *sv, struct ctx *x, struct req *rq)
{
    if (x->ro)
        return x->ro;
    struct store_open_opts ro = {.readonly = true, .busy_timeout_ms = 5000};
    int rc = store_open(&x->ro, sv->db, &ro, &sv->cfg);
    if (rc != RB_OK) {
        reply_error(rq, 500, x->ro ? store_error(x->ro) : "out of memory");
        x->ro = store_close(x->ro);
    }
    return x->ro;
}

static void ctx_free_all(struct srv *sv)
{
    while (sv->pool) {
        struct ctx *x = sv->pool;
        sv->pool = x->next;
        rb_ingest_free(x->ig);
        rb_scratch_free(x->sc);
        store_close(x->ro);
        free(x);
    }
}

const char *query(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

void submit(struct srv *sv, struct MHD_Connection *c, struct req *rq)
{
    int r = writer_reserve(sv, rq->job);
    if (r != RESERVE_OK) {
        job_free(rq->job);
        rq->job = NULL;
        if (r == RESERVE_STOPPING) {
            reply_error(rq, 503, "the server is stopping; retry on a new connection");
            rq->close = true;
            rq->retry_after = "5";
        } else {
            atomic_fetch_add(&sv->queue_full, 1);
            reply_error(rq, 503, "the write queue is full; retry shortly");
        }
        return;
    }
    /* suspend before queueing: the writer may finish the job (and resume) at once */
    MHD_suspend_connection(c);
    writer_push(sv, rq->job);
}

/* ---- authentication ------------------------------------------------------------------------- */

static bool same(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned diff = alen != blen;
    for (size_t i = 0; i < alen; i++)
        diff |= (unsigned char)a[i] ^ (unsigned char)b[i % (blen ? blen : 1)];
    return diff == 0 && blen;
}

static int b64v(int ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    return ch == '+' || ch == '-' ? 62 : ch == '/' || ch == '_' ? 63 : -1;
}

/* authorized - whether the request carries the token */
static bool authorized(const struct srv *sv, struct MHD_Connection *c)
{
    if (!sv->token)
        return false;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!h)
        return false;
    if (strncasecmp(h, "Bearer ", 7) == 0) {
        h += 7;
        while (*h == ' ')
            h++;
        return same(h, strlen(h), sv->token, sv->token_len);
    }
    if (strncasecmp(h, "Basic ", 6) == 0) {
        char dec[768];
        size_t n = 0;
        unsigned acc = 0;
        int bits = 0;
        for (h += 6; *h && *h != '='; h++) {
            int v = b64v((unsigned char)*h);
            if (v < 0 || n >= sizeof dec - 1)
                return false;
            acc = (acc << 6) | (unsigned)v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                dec[n++] = (char)((acc >> bits) & 0xff);
            }
        }
        dec[n] = '\0';
        char *colon = memchr(dec, ':', n);
        if (!colon)
            return same(dec, n, sv->token, sv->token_len);
        size_t ulen = (size_t)(colon - dec);
        return same(colon + 1, n - ulen - 1, sv->token, sv->token_len) ||
               same(dec, ulen, sv->token, sv->token_len);
    }
    return false;
}

/* ---- routing ----------------------------------------------------------------------------------
 */

struct route {
    const char *method;
    const char *path;
    bool prefix; /* path is a prefix; the rest is rq->arg */
    bool write;  /* needs the token */
    handler_fn fn;
};

static const struct route routes[] = {
    {"GET", "/", false, false, api_dashboard},
    {"GET", "/index.html", false, false, api_dashboard},
    {"GET", "/api/health", false, false, api_health},
    {"GET", "/api/report", false, false, api_report},
    {"GET", "/api/events", false, false, api_events},
    {"GET", "/api/explain", false, false, api_explain},
    {"POST", "/api/explain", false, false, api_explain},
    {"GET", "/api/notices", false, false, api_notices},
    {"POST", "/api/check", false, false, api_check},
    {"GET", "/api/suppressions/", true, false, api_supp_get},
    {"PUT", "/api/suppressions/", true, true, api_supp_put},
    {"POST", "/api/suppressions/", true, true, api_supp_put},
    {"DELETE", "/api/suppressions/", true, true, api_supp_delete},
    {"GET", "/metrics", false, false, api_metrics},
    {"POST", "/webhooks/", true, true, hook_receive},
};

/* route - pick the handler; an error response when none fits */
static void route(struct req *rq, const char *method, const char *url, bool *write)
{
    bool path_known = false;
    *write = false;
    rq->hook = -1;
    if (strlen(url) > 2048) {
        reply_error(rq, 414, "URL too long");
        return;
    }
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const struct route *r = &routes[i];
        size_t n = strlen(r->path);
        bool hit = r->prefix ? strncmp(url, r->path, n) == 0 && url[n] && !strchr(url + n, '/')
                             : strcmp(url, r->path) == 0;
        if (!hit)
            continue;
        path_known = true;
        if (strcmp(method, r->method) != 0)
            continue;
        rq->fn = r->fn;
        rq->arg = r->prefix ? url + n : NULL;
        *write = r->write;
        if (r->fn == hook_receive) {
            for (int h = 0; h < HOOK__COUNT; h++)
                if (strcmp(rq->arg, server_hook_names[h]) == 0)
                    rq->hook = h;
            if (rq->hook < 0) {
                reply_error(rq, 404,
                            "no such webhook receiver (ses, sendgrid, mailgun, "
                            "postmark, sparkpost, generic)");
                rq->fn = NULL;
            }
        }
        return;
    }
    if (path_known)
        reply_error(rq, 405, "method not allowed here");
    else
        reply_error(rq, 404, "not found");
}

/* ---- the request cycle ------------------------------------------------------------------------
 */

static void uncharge(struct srv *sv, struct req *rq)
{
    if (rq->charged) {
        atomic_fetch_sub(&sv->inflight, rq->charged);
        rq->charged = 0;
    }
}

/* take_body - append upload data to the body within the limits; false once over them */
static bool take_body(struct srv *sv, struct req *rq, const char *p, size_t n)
{
    unsigned long max = sv->o.max_body ? sv->o.max_body : SERVER_DEFAULT_BODY;
    if (rq->too_big || n > max - rq->len) {
        rq->too_big = true;
        return false;
    }
    if (rq->len + n + 1 > rq->cap) {
        size_t cap = rq->cap ? rq->cap : 4096;
        while (cap < rq->len + n + 1)
            cap *= 2;
        if (cap > max + 1)
            cap = max + 1;
        unsigned long long extra = cap - rq->cap;
        if (atomic_fetch_add(&sv->inflight, extra) + extra > SERVER_MAX_INFLIGHT) {
            atomic_fetch_sub(&sv->inflight, extra);
            rq->too_big = true;
            return false;
        }
        char *nb = realloc(rq->body, cap);
        if (!nb) {
            atomic_fetch_sub(&sv->inflight, extra);
            rq->too_big = true;
            return false;
        }
        rq->charged += extra;
        rq->body = nb;
        rq->cap = cap;
    }
    memcpy(rq->body + rq->len, p, n);
    rq->len += n;
    rq->body[rq->len] = '\0';
    return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    struct srv *sv = cls;
    struct req *rq = *con_cls;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        buf_init(&rq->out, SERVER_OUT_CAP, NULL);
        rq->path = url;
        *con_cls = rq;
        bool write;
        route(rq, method, url, &write);
        if (!rq->status && write && !authorized(sv, c))
            reply_error(rq, 401,
                        sv->token ? "missing or wrong token (Authorization: Bearer TOKEN)"
                                  : "this server has no token configured: writes are refused");
        if (!rq->status) {
            const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
            unsigned long max = sv->o.max_body ? sv->o.max_body : SERVER_DEFAULT_BODY;
            if (cl && strtoull(cl, NULL, 10) > max)
                reply_error(rq, 413, "request body over the limit (--max-body)");
        }
        /* an error known before the body: answer now (MHD then closes the connection) */
        return rq->status ? send_reply(sv, c, rq) : MHD_YES;
    }
    if (*upload_size) {
        if (!rq->status)
            take_body(sv, rq, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->sent) /* answered before the body */
        return MHD_YES;
    if (rq->job) { /* resumed: the writer is done with it */
        job_reply(sv, rq);
        job_free(rq->job);
        rq->job = NULL;
        uncharge(sv, rq);
        return send_reply(sv, c, rq);
    }
    if (rq->too_big) {
        reply_error(rq, 413, "request body over the limit (--max-body)");
    } else {
        if (!rq->body)
            take_body(sv, rq, "", 0);
        rq->fn(sv, c, rq);
        if (rq->job && !rq->status)
            return MHD_YES; /* suspended until the writer commits */
    }
    uncharge(sv, rq);
    if (!rq->status)
        reply_error(rq, 500, "no response");
    return send_reply(sv, c, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    (void)c;
    (void)why;
    struct srv *sv = cls;
    struct req *rq = *con_cls;
    if (!rq)
        return;
    if (rq->job) /* never while the writer holds it: a suspended connection is not closed */
        job_free(rq->job);
    uncharge(sv, rq);
    free(rq->body);
    buf_free(&rq->out);
    free(rq);
    *con_cls = NULL;
}

/* ---- start-up ----------------------------------------------------------------------------------
 */

/* parse_listen - "ADDR:PORT", "[V6]:PORT", "PORT" or "ADDR" into ss */
static int parse_listen(const char *s, struct sockaddr_storage *ss, bool *v6)
{
    char host[256] = "127.0.0.1";
    const char *port = "8025";
    memset(ss, 0, sizeof *ss);
    if (s[0] == '[') {
        const char *e = strchr(s, ']');
        if (!e || (size_t)(e - s - 1) >= sizeof host)
            return -1;
        memcpy(host, s + 1, (size_t)(e - s - 1));
        host[e - s - 1] = '\0';
        if (e[1] == ':')
            port = e + 2;
        else if (e[1])
            return -1;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon && strchr(s, ':') == colon) {
            if ((size_t)(colon - s) >= sizeof host)
                return -1;
            memcpy(host, s, (size_t)(colon - s));
            host[colon - s] = '\0';
            port = colon + 1;
        } else if (strspn(s, "0123456789") == strlen(s)) {
            port = s;
        } else {
            if (strlen(s) >= sizeof host)
                return -1;
            memcpy(host, s, strlen(s) + 1);
        }
    }
    char *end;
    unsigned long p = strtoul(port, &end, 10);
    if (!port[0] || *end || p > 65535)
        return -1;
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)p);
        *v6 = false;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)p);
        *v6 = true;
        return 0;
    }
    return -1;
}

/* read_file - a whole small file (PEM) into a malloc'd string the caller frees; NULL on
 * failure */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *p = malloc(cap + 1);
    if (p)
        n = fread(p, 1, cap, f);
    fclose(f);
    if (!p || n == cap) { /* over 64 KB is no PEM file */
        free(p);
        return NULL;
    }
    p[n] = '\0';
    return p;
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
    const struct srv *sv = cls;
    if (sv->o.quiet)
        return;
    fputs("rebound serve: ", stderr);
    vfprintf(stderr, fmt, ap);
}

/* free_srv - everything of sv but the daemon and the writer (stopped before) */
static void free_srv(struct srv *sv)
{
    ctx_free_all(sv);
    report_free(sv->live);
    rb_classifier_free(sv->cls);
    buf_free(&sv->live_json);
    pthread_mutex_destroy(&sv->pool_mu);
    pthread_mutex_destroy(&sv->q_mu);
    pthread_cond_destroy(&sv->q_cv);
    pthread_mutex_destroy(&sv->live_mu);
    free(sv->cert);
    free(sv->key);
    free(sv);
}

struct srv *server_start(const struct server_opts *o, unsigned *port)
{
    struct srv *sv = calloc(1, sizeof *sv);
    if (!sv) {
        fputs("rebound serve: out of memory\n", stderr);
        return NULL;
    }
    sv->o = *o;
    sv->db = o->db;
    if (o->cfg)
        sv->cfg = *o->cfg;
    else
        suppress_config_default(&sv->cfg);
    sv->started = (long long)time(NULL);
    if (o->token && o->token[0]) {
        sv->token = o->token;
        sv->token_len = strlen(o->token);
    }
    pthread_mutex_init(&sv->pool_mu, NULL);
    pthread_mutex_init(&sv->q_mu, NULL);
    pthread_cond_init(&sv->q_cv, NULL);
    pthread_mutex_init(&sv->live_mu, NULL);
    buf_init(&sv->live_json, SERVER_OUT_CAP, NULL);
    struct sockaddr_storage ss;
    bool v6 = false;
    if (parse_listen(o->listen ? o->listen : SERVER_DEFAULT_LISTEN, &ss, &v6) != 0) {
        fprintf(stderr, "rebound serve: --listen wants ADDR:PORT, [V6ADDR]:PORT or PORT: %s\n",
                o->listen);
        goto fail;
    }
    if ((o->tls_cert != NULL) != (o->tls_key != NULL)) {
        fputs("rebound serve: TLS needs both --tls-cert and --tls-key\n", stderr);
        goto fail;
    }
    if (o->tls_cert &&
        (!(sv->cert = read_file(o->tls_cert)) || !(sv->key = read_file(o->tls_key)))) {
        fprintf(stderr, "rebound serve: cannot read the TLS certificate or key (%s, %s)\n",
                o->tls_cert, o->tls_key);
        goto fail;
    }
    char why[256];
    if (dl_mhd_load(why, sizeof why) != 0) {
        fprintf(stderr, "rebound serve: %s\n", why);
        goto fail;
    }
    if (rb_classifier_new(&sv->cls, NULL) != RB_OK) {
        fputs("rebound serve: cannot load the classifier\n", stderr);
        goto fail;
    }
    if (writer_start(sv) != 0)
        goto fail;
    signal(SIGPIPE, SIG_IGN);
    unsigned threads = o->threads;
    if (!threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 2 ? (unsigned)n : 2;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0) | (sv->cert ? MHD_USE_TLS : 0);
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)log_mhd, sv},
        {MHD_OPTION_SOCK_ADDR, 0, &ss},
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)threads, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)(o->timeout_s ? o->timeout_s : 30), NULL},
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)SERVER_MAX_CONNECTIONS, NULL},
        /* headers and the read buffer; MHD clears it between the requests of a connection,
         * so a big pool costs a big memset per request (64 KB: 6% of the CPU time) */
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)(16 * 1024), NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, sv},
        {MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL},
        {sv->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, sv->cert},
        {sv->cert ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, sv->key},
        {MHD_OPTION_END, 0, NULL},
    };
    sv->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, sv, MHD_OPTION_ARRAY, opts,
                             MHD_OPTION_END);
    if (!sv->d) {
        fprintf(stderr, "rebound serve: cannot listen on %s (%s)\n",
                o->listen ? o->listen : SERVER_DEFAULT_LISTEN, strerror(errno));
        writer_stop(sv);
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(sv->d, MHD_DAEMON_INFO_BIND_PORT);
    *port = di ? di->port : 0;
    char addr[INET6_ADDRSTRLEN] = "";
    if (v6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof addr);
    else
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof addr);
    if (!o->quiet || !o->listen || strstr(o->listen, ":0"))
        fprintf(stderr, "rebound serve: listening on %s://%s%s%s:%u\n", sv->cert ? "https" : "http",
                v6 ? "[" : "", addr, v6 ? "]" : "", *port);
    if (!sv->token && !o->quiet)
        fputs("rebound serve: no token configured (--token, --token-file or REBOUND_TOKEN): "
              "webhooks and suppression changes are refused\n",
              stderr);
    fflush(stderr);
    return sv;
fail:
    free_srv(sv);
    return NULL;
}

void server_stop(struct srv *sv)
{
    if (!sv)
        return;
    MHD_quiesce_daemon(sv->d); /* no new connections; queued jobs still finish */
    writer_stop(sv);           /* commits and resumes every waiting connection */
    MHD_stop_daemon(sv->d);
    free_srv(sv);
}

int server_run(const struct server_opts *o)
{
    /* signals go to sigwait below, never to the HTTP threads (they inherit this mask) */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    unsigned port;
    struct srv *sv = server_start(o, &port);
    if (!sv)
        return 1;
    int sig = 0;
    sigwait(&sigs, &sig);
    if (!o->quiet)
        fprintf(stderr, "rebound serve: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    server_stop(sv);
    return 0;
}
