/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * server_writer.c - the single writer of `rebound serve`: group commit of the queued jobs,
 *                   the live report, and the jobs' memory.
 *
 * DESCRIPTION
 *   SQLite has one writer at a time, and a durable commit costs an fsync, so one thread
 *   takes every job queued since its last commit (up to SERVER_MAX_GROUP_EVENTS events),
 *   applies them in one transaction and commits once. Only then are the new events added to
 *   the live report and the waiting connections resumed, so no response claims an event
 *   that a crash could still lose. A failed transaction is rolled back as a whole (the store
 *   is reopened) and every job of the group answers 500: the senders retry, and the event
 *   keys make the retry idempotent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report_render.h"
#include "server_int.h"

/* ---- arena ---------------------------------------------------------------------------------- */

struct arena_blk {
    struct arena_blk *next;
    size_t used, cap;
    char data[];
};

char *arena_strdup(struct arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    struct arena_blk *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    char *p = b->data + b->used;
    memcpy(p, s, n);
    b->used += n;
    return p;
}

void arena_free(struct arena *a)
{
    while (a->head) {
        struct arena_blk *b = a->head;
        a->head = b->next;
        free(b);
    }
}

/* ---- jobs ---------------------------------------------------------------------------------------
 */

struct job *job_new(enum job_kind k, struct MHD_Connection *c)
{
    struct job *j = calloc(1, sizeof *j);
    if (j) {
        j->kind = k;
        j->conn = c;
        atomic_init(&j->done, false);
    }
    return j;
}

void job_free(struct job *j)
{
    if (!j)
        return;
    free(j->ev);
    free(j->inserted);
    arena_free(&j->ar);
    free(j);
}

int job_add_event(struct job *j, const struct store_event *e)
{
    if (j->nev == j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 16;
        struct store_event *ev = realloc(j->ev, cap * sizeof *ev);
        if (!ev)
            return RB_ENOMEM;
        j->ev = ev;
        bool *ins = realloc(j->inserted, cap * sizeof *ins);
        if (!ins)
            return RB_ENOMEM;
        j->inserted = ins;
        j->cap = cap;
    }
    struct store_event *d = &j->ev[j->nev];
    *d = *e;
    /* every string of the event, copied: e borrows from the ingest's buffers */
    const char **fields[] = {&d->recipient,  &d->domain,          &d->sender, &d->sender_domain,
                             &d->rhost,      &d->provider,        &d->status, &d->campaign,
                             &d->sending_ip, &d->sending_domain,  &d->vmta,   &d->queue_id,
                             &d->message_id, &d->source_event_id, &d->text,   &d->format,
                             &d->blocklist,  &d->listed};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!(*fields[i] = arena_strdup(&j->ar, *fields[i] ? *fields[i] : "")))
            return RB_ENOMEM;
    j->inserted[j->nev++] = false;
    return RB_OK;
}

/* ---- the queue
 * ------------------------------------------------------------------------------------ */

static size_t job_weight(const struct job *j)
{
    return j->kind == JOB_EVENTS ? (j->nev ? j->nev : 1) : 1;
}

int writer_reserve(struct srv *sv, const struct job *j)
{
    pthread_mutex_lock(&sv->q_mu);
    int rc = sv->stopping                                             ? RESERVE_STOPPING
             : sv->q_events + job_weight(j) > SERVER_MAX_QUEUE_EVENTS ? RESERVE_FULL
                                                                      : RESERVE_OK;
    if (rc == RESERVE_OK)
        sv->q_events += job_weight(j);
    pthread_mutex_unlock(&sv->q_mu);
    return rc;
}

void writer_push(struct srv *sv, struct job *j)
{
    pthread_mutex_lock(&sv->q_mu);
    j->next = NULL;
    if (sv->q_tail)
        sv->q_tail->next = j;
    else
        sv->q_head = j;
    sv->q_tail = j;
    pthread_cond_signal(&sv->q_cv);
    pthread_mutex_unlock(&sv->q_mu);
}

/* take - the jobs of the next group (NULL when stopping with nothing left) */
static struct job *take(struct srv *sv)
{
    pthread_mutex_lock(&sv->q_mu);
    while (!sv->q_head && !sv->stopping)
        pthread_cond_wait(&sv->q_cv, &sv->q_mu);
    struct job *first = sv->q_head, *last = NULL;
    size_t n = 0;
    for (struct job *j = first; j && (n == 0 || n + job_weight(j) <= SERVER_MAX_GROUP_EVENTS);
         j = j->next) {
        n += job_weight(j);
        last = j;
    }
    if (last) {
        sv->q_head = last->next;
        if (!sv->q_head)
            sv->q_tail = NULL;
        last->next = NULL;
        sv->q_events -= n;
    }
    pthread_mutex_unlock(&sv->q_mu);
    return first;
}

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* apply - one job inside the open transaction */
static int apply(struct srv *sv, struct job *j)
{
    struct store *s = sv->w;
    int rc = RB_OK;
    switch (j->kind) {
    case JOB_EVENTS:
        for (size_t i = 0; i < j->nev && rc == RB_OK; i++) {
            struct store_add_result r;
            rc = store_add(s, &j->ev[i], &r);
            j->inserted[i] = rc == RB_OK && r.inserted;
            if (rc == RB_OK) {
                j->stored += r.inserted;
                j->dups += !r.inserted;
                j->suppressed += r.suppressed;
            }
        }
        break;
    case JOB_SUPP_SET:
        rc = store_suppress_set(s, &j->supp, j->replace, &j->changed);
        break;
    case JOB_SUPP_REMOVE:
        rc = store_suppress_remove(s, j->supp.address, &j->changed);
        break;
    case JOB_NOTICE:
        rc = store_notice_add(s, &j->notice, &j->changed);
        break;
    }
    return rc;
}

/* open_writer - the writer's connection: durable commits, no batch boundary of its own (the
 * group is the transaction) */
static int open_writer(struct srv *sv)
{
    /* per_event: the writer answers each request with its events' outcomes */
    struct store_open_opts wo = {
        .create = true, .busy_timeout_ms = 10000, .durable = !sv->o.no_fsync, .per_event = true};
    struct suppress_config cfg = sv->cfg;
    cfg.batch_events = 0xffffffffu;
    int rc = store_open(&sv->w, sv->db, &wo, &cfg);
    if (rc != RB_OK) {
        fprintf(stderr, "rebound serve: %s\n", sv->w ? store_error(sv->w) : "out of memory");
        sv->w = store_close(sv->w);
    }
    return rc;
}

static void commit_group(struct srv *sv, struct job *group)
{
    long long t0 = now_us();
    int rc = sv->w ? store_begin(sv->w) : RB_EIO;
    struct job *bad = NULL;
    for (struct job *j = group; j && rc == RB_OK; j = j->next) {
        j->stored = j->dups = j->suppressed = 0;
        if ((rc = apply(sv, j)) != RB_OK)
            bad = j;
    }
    if (rc == RB_OK)
        rc = store_finish(sv->w);
    char err[STORE_ERR_CAP] = "the store is not open";
    if (rc != RB_OK) {
        if (sv->w)
            snprintf(err, sizeof err, "%s", store_error(sv->w));
        /* closing rolls the transaction back; a fresh connection starts clean */
        sv->w = store_close(sv->w);
        open_writer(sv);
    }
    unsigned long long stored = 0, dups = 0, supp_delta = 0, notices = 0, supp_removed = 0;
    if (rc == RB_OK) {
        pthread_mutex_lock(&sv->live_mu);
        report_reopen(sv->live); /* a rendered (finished) report takes no events */
        for (struct job *j = group; j; j = j->next) {
            if (j->kind == JOB_EVENTS) {
                for (size_t i = 0; i < j->nev; i++)
                    if (j->inserted[i])
                        report_add_stored(sv->live, &j->ev[i]);
                stored += j->stored;
                dups += j->dups;
                supp_delta += j->suppressed;
            } else if (j->kind == JOB_SUPP_SET) {
                /* a replaced entry was on the list already */
                supp_delta += j->changed && !j->replace;
            } else if (j->kind == JOB_SUPP_REMOVE) {
                supp_removed += j->changed;
            } else if (j->kind == JOB_NOTICE) {
                notices += j->changed;
            }
        }
        if (stored)
            sv->live_dirty = true;
        pthread_mutex_unlock(&sv->live_mu);
        atomic_fetch_add(&sv->events, stored);
        atomic_fetch_add(&sv->dups, dups);
        atomic_fetch_add(&sv->suppressions, supp_delta);
        atomic_fetch_sub(&sv->suppressions, supp_removed);
        atomic_fetch_add(&sv->notices, notices);
        atomic_fetch_add(&sv->commits, 1);
        atomic_fetch_add(&sv->commit_events, stored + dups);
        atomic_fetch_add(&sv->commit_us, (unsigned long long)(now_us() - t0));
    }
    while (group) {
        struct job *j = group;
        group = j->next;
        j->rc = rc;
        if (rc != RB_OK)
            snprintf(j->err, sizeof j->err, "%s%s", j == bad ? "" : "another write failed: ", err);
        atomic_store(&j->done, true);
        MHD_resume_connection(j->conn); /* the handler answers and frees the job */
    }
}

static void *writer_main(void *arg)
{
    struct srv *sv = arg;
    struct job *group;
    while ((group = take(sv)) != NULL)
        commit_group(sv, group);
    return NULL;
}

static int count_notice(const struct store_notice *n, void *ud)
{
    (void)n;
    (*(unsigned long long *)ud)++;
    return 0;
}

int writer_start(struct srv *sv)
{
    if (open_writer(sv) != RB_OK)
        return 1;
    /* the live report and the counters start from what the store holds */
    struct report_opts ro = {0};
    if (report_new(&sv->live, &ro) != RB_OK) {
        fputs("rebound serve: out of memory\n", stderr);
        sv->w = store_close(sv->w);
        return 1;
    }
    struct store *r = NULL;
    struct store_open_opts oo = {.readonly = true, .busy_timeout_ms = 5000};
    unsigned long long events = 0, supp = 0, notices = 0;
    int rc = store_open(&r, sv->db, &oo, &sv->cfg);
    if (rc == RB_OK)
        rc = report_add_store(sv->live, r, 0, 0, &events);
    if (rc == RB_OK)
        rc = store_suppress_count(r, &supp);
    if (rc == RB_OK)
        rc = store_notices_iterate(r, count_notice, &notices);
    if (rc != RB_OK) {
        fprintf(stderr, "rebound serve: reading the store: %s\n",
                r ? store_error(r) : "out of memory");
        store_close(r);
        sv->w = store_close(sv->w);
        return 1;
    }
    store_close(r);
    atomic_store(&sv->events, events);
    atomic_store(&sv->suppressions, supp);
    atomic_store(&sv->notices, notices);
    sv->live_dirty = true;
    if (!sv->o.quiet)
        fprintf(stderr, "rebound serve: store %s: %llu events, %llu suppressed\n", sv->w->shown,
                events, supp);
    if (pthread_create(&sv->writer, NULL, writer_main, sv) != 0) {
        fputs("rebound serve: cannot start the writer thread\n", stderr);
        sv->w = store_close(sv->w);
        return 1;
    }
    return 0;
}

void writer_stop(struct srv *sv)
{
    pthread_mutex_lock(&sv->q_mu);
    sv->stopping = true;
    pthread_cond_signal(&sv->q_cv);
    pthread_mutex_unlock(&sv->q_mu);
    pthread_join(sv->writer, NULL);
    sv->w = store_close(sv->w);
}

int live_report_json(struct srv *sv, struct buf *out)
{
    pthread_mutex_lock(&sv->live_mu);
    int rc = RB_OK;
    if (sv->live_dirty || !sv->live_json.len) {
        report_reopen(sv->live);
        rc = report_finish(sv->live);
        buf_reset(&sv->live_json);
        char source[4200];
        char shown[512];
        store_pg_redact(sv->db, shown, sizeof shown);
        snprintf(source, sizeof source, "store %s (live)", shown);
        struct report_render_opts ro = {.source = source, .generated = (long long)time(NULL)};
        if (rc == RB_OK)
            rc = report_render(sv->live, RF_JSON, &ro, &sv->live_json);
        sv->live_dirty = rc != RB_OK;
    }
    if (rc == RB_OK)
        rc = buf_append(out, sv->live_json.p, sv->live_json.len);
    pthread_mutex_unlock(&sv->live_mu);
    return rc;
}
