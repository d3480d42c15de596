/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * server_int.h - the insides of `rebound serve` shared by its files: the server state, a
 *                request, and the writer's jobs.
 *
 * DESCRIPTION
 *   Data flow: libmicrohttpd threads (server.c) route a request and collect its body; the
 *   handlers (server_api.c, server_hooks.c) answer reads at once from read-only store
 *   connections, and turn writes (webhook events, suppression changes, notices) into a job.
 *   The request's connection is suspended and the job queued for the single writer thread
 *   (server_writer.c), which commits the jobs of many requests in one transaction (group
 *   commit: one fsync for all of them), feeds the new events to the live report, and resumes
 *   the connections, whose handlers then answer 2xx. So a 2xx always means "on disk".
 *
 *   Memory is bounded: bodies by opts.max_body each and SERVER_MAX_INFLIGHT in all, the
 *   writer's queue by SERVER_MAX_QUEUE_EVENTS (503 with Retry-After beyond), connections by
 *   SERVER_MAX_CONNECTIONS; the live report grows with distinct keys only.
 */
#ifndef RB_SERVER_INT_H
#define RB_SERVER_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "buf.h"
#include "dl_mhd.h" /* after <microhttpd.h>: libmicrohttpd is loaded on first use */
#include "rebound.h"
#include "report.h"
#include "server.h"
#include "store.h"
#include "suppress.h"

#define SERVER_MAX_QUEUE_EVENTS 200000u    /* events waiting for the writer before 503 */
#define SERVER_MAX_GROUP_EVENTS 20000u     /* events per commit at most */
#define SERVER_MAX_INFLIGHT (256ull << 20) /* request body bytes held, all requests */
#define SERVER_MAX_CONNECTIONS 1024u       /* open connections */
#define SERVER_OUT_CAP (64u << 20)         /* largest response body */
#define SERVER_DEFAULT_BODY (8ul << 20)    /* default opts.max_body */
#define SERVER_DEFAULT_LISTEN "127.0.0.1:8025"

/* ---- arena: a job's strings, freed together ------------------------------------------- */
struct arena_blk;
struct arena {
    struct arena_blk *head;
};
/* arena_strdup - copy of s (NUL-terminated) owned by a; NULL when out of memory. */
char *arena_strdup(struct arena *a, const char *s);
/* arena_free - free every string of a. */
void arena_free(struct arena *a);

/* ---- jobs for the writer ------------------------------------------------------------------ */
enum job_kind { JOB_EVENTS, JOB_SUPP_SET, JOB_SUPP_REMOVE, JOB_NOTICE };

struct job {
    struct job *next;
    enum job_kind kind;
    struct MHD_Connection *conn; /* resumed when the job is done */
    /* JOB_EVENTS: events with their keys computed, strings in ar */
    struct store_event *ev;
    bool *inserted;
    size_t nev, cap;
    struct arena ar;
    struct store_suppression supp; /* JOB_SUPP_*: strings in ar */
    bool replace;
    struct store_notice notice; /* JOB_NOTICE: strings in ar */
    /* results, written by the writer before it resumes conn */
    int rc;
    char err[STORE_ERR_CAP];
    unsigned long stored, dups, suppressed;
    bool changed;
    atomic_bool done;
};

/* job_new - an empty job of kind k for connection c; NULL when out of memory. Freed with
 * job_free. */
struct job *job_new(enum job_kind k, struct MHD_Connection *c);
void job_free(struct job *j);
/* job_add_event - append a copy of e (strings copied into the job); RB_OK or RB_ENOMEM. */
int job_add_event(struct job *j, const struct store_event *e);

/* ---- per-request resources, pooled --------------------------------------------------------- */
struct ctx {
    struct ctx *next;
    rb_ingest *ig;    /* JSON webhook bodies (strict: a broken document is refused) */
    rb_scratch *sc;   /* explain */
    struct store *ro; /* read-only store connection, opened on first use */
};

/* ---- the server ---------------------------------------------------------------------------- */
enum {
    HOOK_SES,
    HOOK_SENDGRID,
    HOOK_MAILGUN,
    HOOK_POSTMARK,
    HOOK_SPARKPOST,
    HOOK_GENERIC,
    HOOK__COUNT
};
extern const char *const server_hook_names[HOOK__COUNT];

/* HTTP statuses counted for /metrics (the rest counted as "other") */
enum { ST_200, ST_400, ST_401, ST_404, ST_405, ST_413, ST_500, ST_503, ST_OTHER, ST__COUNT };

struct srv {
    struct server_opts o;
    const char *token; /* NULL: every write is refused */
    size_t token_len;
    struct MHD_Daemon *d;
    char *cert, *key; /* PEM text of --tls-cert/--tls-key, or NULL */
    rb_classifier *cls;
    const char *db; /* store path */
    struct suppress_config cfg;
    long long started;

    pthread_mutex_t pool_mu;
    struct ctx *pool;

    /* the writer */
    pthread_t writer;
    pthread_mutex_t q_mu;
    pthread_cond_t q_cv;
    struct job *q_head, *q_tail;
    size_t q_events;
    bool stopping;
    struct store *w;

    /* the live report of every stored event, rendered on demand */
    pthread_mutex_t live_mu;
    struct report *live;
    bool live_dirty;
    struct buf live_json;

    /* counters (for /api/health and /metrics) */
    atomic_ullong events, suppressions, notices, dups, commits, commit_us, commit_events, inflight,
        queue_full;
    atomic_ullong status[ST__COUNT];
    atomic_ullong hook_requests[HOOK__COUNT], hook_events[HOOK__COUNT];
};

/* One HTTP request. */
struct req;
typedef void (*handler_fn)(struct srv *sv, struct MHD_Connection *c, struct req *rq);

struct req {
    handler_fn fn;
    const char *path; /* the URL path (MHD's, valid during the request) */
    const char *arg;  /* path after a prefix route ("/api/suppressions/ARG") */
    int hook;         /* HOOK_* of a webhook route */
    char *body;       /* the request body, NUL-terminated */
    size_t len, cap;
    unsigned long long charged; /* bytes counted in srv.inflight */
    bool too_big;
    struct job *job;       /* queued for the writer; the connection is suspended meanwhile */
    unsigned long ignored; /* documents/lines of a webhook body that carried no event */
    int status;            /* 0 until a response is ready */
    bool sent;             /* queued to MHD */
    struct buf out;
    const char *ctype;       /* NULL = application/json */
    const char *static_body; /* a compiled-in asset instead of out */
    size_t static_len;
    const char *retry_after; /* 503 */
    bool close;              /* answer with Connection: close (the server is stopping) */
};

/* ---- server.c ------------------------------------------------------------------------------ */
/* reply_error - set rq's response to status with {"error": msg}. */
void reply_error(struct req *rq, int status, const char *msg);
/* reply_json_begin - start a JSON response of status; the handler appends to rq->out. */
void reply_json(struct req *rq, int status);
/* ctx_get, ctx_put - per-request resources from the pool (NULL when out of memory). */
struct ctx *ctx_get(struct srv *sv);
void ctx_put(struct srv *sv, struct ctx *x);
/* ctx_store - x's read-only store connection (opened on first use); NULL with a reason in
 * rq's response when the store cannot be read. */
struct store *ctx_store(struct srv *sv, struct ctx *x, struct req *rq);
/* query - a GET argument of the request, or NULL. */
const char *query(struct MHD_Connection *c, const char *name);
/* submit - suspend c and queue rq->job for the writer; on overload answers 503 at once. */
void submit(struct srv *sv, struct MHD_Connection *c, struct req *rq);

/* ---- server_writer.c ----------------------------------------------------------------------- */
/* writer_start - open the writer's store, load the live report and counters, start the
 * thread. Returns 0, or 1 with the reason on stderr. */
int writer_start(struct srv *sv);
/* writer_reserve - room for j in the queue: RESERVE_OK, or RESERVE_FULL / RESERVE_STOPPING
 * (the caller answers 503). writer_push - queue j (after a successful reserve). */
enum { RESERVE_OK, RESERVE_FULL, RESERVE_STOPPING };
int writer_reserve(struct srv *sv, const struct job *j);
void writer_push(struct srv *sv, struct job *j);
/* writer_stop - commit what is queued, resume every waiting connection, join the thread,
 * close the store. */
void writer_stop(struct srv *sv);
/* live_report_json - the live report as JSON appended to out (cached until the next commit).
 * RB_OK or RB_E*. */
int live_report_json(struct srv *sv, struct buf *out);

/* ---- server_api.c -------------------------------------------------------------------------- */
void api_dashboard(struct srv *sv, struct MHD_Connection *c, struct req *rq);
void api_health(struct srv *sv, struct MHD_Connection *c, struct req *rq);
void api_report(struct srv *sv, struct MHD_Connection *c, struct req *rq);
void api_events(struct srv *sv, struct MHD_Connection *c, struct req *rq);
void api_explain(struct srv *sv, struct MHD_Connection *c, struct req *rq);
void api_notices(struct srv *sv, struct MHD_Connection *c, struct req *rq);
void api_supp_get(struct srv *sv, struct MHD_Connection *c, struct req *rq);
void api_supp_put(struct srv *sv, struct MHD_Connection *c, struct req *rq);
void api_supp_delete(struct srv *sv, struct MHD_Connection *c, struct req *rq);
void api_check(struct srv *sv, struct MHD_Connection *c, struct req *rq);
void api_metrics(struct srv *sv, struct MHD_Connection *c, struct req *rq);
/* job_reply - the response of a finished job (called when its connection resumes). */
void job_reply(struct srv *sv, struct req *rq);

/* ---- server_hooks.c ------------------------------------------------------------------------ */
/* hook_receive - a webhook body for receiver rq->hook: parsed, verified, turned into a job. */
void hook_receive(struct srv *sv, struct MHD_Connection *c, struct req *rq);

#endif /* RB_SERVER_INT_H */
