/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report_store.c - the bridge from stored events (store.h) to a report: one event at a time
 *                  (so every front end counts an event the same way), or a whole store
 *                  scanned by a second thread.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "store.h"

static const char *nz(const char *s)
{
    return s ? s : "";
}

int report_add_stored(struct report *r, const struct store_event *se)
{
    struct report_event e = {
        .time = se->time,
        .kind = se->kind,
        .recipient = nz(se->recipient),
        .domain = nz(se->domain),
        .provider = nz(se->provider),
        .replycode = se->replycode,
        .status = nz(se->status),
        .reason = se->reason,
        .category = se->category,
        .permanent = se->permanent,
        .auth = se->auth,
        .blocklist = nz(se->blocklist),
        .listed = nz(se->listed),
        .campaign = nz(se->campaign),
        .sending_ip = nz(se->sending_ip),
        .sending_domain = nz(se->sending_domain),
        .sender_domain = nz(se->sender_domain),
        .text = nz(se->text),
    };
    e.text_len = strlen(e.text);
    /* an auto-reply means the message arrived: count it as a delivery, not a failure */
    if (e.category == RB_CAT_AUTO_REPLY) {
        e.kind = RB_EVENT_DELIVERED;
        e.category = RB_CAT_DELIVERED;
    }
    return report_add(r, &e);
}

/* ---- a whole store, read by scanner threads ------------------------------------------------
 *
 * Decoding rows is nearly all the time of a report over a big store (bench/bench_report.c),
 * so the event numbers are split between SCANNERS threads, each with its own connection to
 * the store, copying events into batches; the caller's thread counts them (report_add is not
 * shared). A few batches per scanner circulate. Texts are cut at BATCH_TEXT_MAX bytes: a
 * template keeps far less (REPORT_TEMPLATE_BYTES), so nothing the report shows changes. */

#define SCANNERS 2
#define BATCH_EVENTS 4096
#define BATCH_BYTES (1u << 20)
#define BATCH_TEXT_MAX 4096
#define NBATCH (3 * SCANNERS)

struct batch {
    struct store_event ev[BATCH_EVENTS];
    size_t n;
    char *arena;
    size_t used;
};

struct scan;

struct scanner {
    struct scan *x;
    struct store *s; /* its own connection (the caller's for the first) */
    struct store_iter it;
    struct batch *cur; /* the batch it fills */
    int rc;
    bool started;
    pthread_t th;
};

struct scan {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct batch *b[NBATCH];
    size_t full[NBATCH], head, nfull; /* queue of filled batches (indexes into b) */
    size_t freelist[NBATCH], nfree;
    unsigned running; /* scanners not yet finished */
    bool stop;        /* the consumer failed: scanners stop */
    struct scanner sc[SCANNERS];
};

static size_t batch_index(const struct scan *x, const struct batch *b)
{
    size_t i = 0;
    while (i < NBATCH - 1 && x->b[i] != b)
        i++;
    return i;
}

/* queue_full - put batch cur on the full queue (mutex held) */
static void queue_full(struct scan *x, struct batch *cur)
{
    x->full[(x->head + x->nfull++) % NBATCH] = batch_index(x, cur);
}

/* hand_over - queue the scanner's batch and take a free one (waits); 1 when told to stop */
static int hand_over(struct scanner *sc)
{
    struct scan *x = sc->x;
    pthread_mutex_lock(&x->mu);
    queue_full(x, sc->cur);
    sc->cur = NULL;
    pthread_cond_broadcast(&x->cv);
    while (!x->nfree && !x->stop)
        pthread_cond_wait(&x->cv, &x->mu);
    if (!x->stop) {
        sc->cur = x->b[x->freelist[--x->nfree]];
        sc->cur->n = 0;
        sc->cur->used = 0;
    }
    bool stop = x->stop;
    pthread_mutex_unlock(&x->mu);
    return stop ? 1 : 0;
}

/* copy_str - s into the batch arena (cut at max bytes); NULL when it does not fit */
static const char *copy_str(struct batch *b, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max)
        n = max;
    if (b->used + n + 1 > BATCH_BYTES)
        return NULL;
    char *p = b->arena + b->used;
    memcpy(p, s, n);
    p[n] = '\0';
    b->used += n + 1;
    return p;
}

/* copy_event - e into batch b; false when the arena is full */
static bool copy_event(struct batch *b, const struct store_event *e)
{
    size_t mark = b->used;
    struct store_event *c = &b->ev[b->n];
    *c = *e;
    const char **f[] = {&c->recipient, &c->domain,    &c->sender_domain, &c->provider,
                        &c->status,    &c->campaign,  &c->sending_ip,    &c->sending_domain,
                        &c->text,      &c->blocklist, &c->listed};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        const char *p = copy_str(b, nz(*f[i]), f[i] == &c->text ? BATCH_TEXT_MAX : 1024);
        if (!p) {
            b->used = mark;
            return false;
        }
        *f[i] = p;
    }
    /* what the report never reads stays out of the copy */
    c->sender = c->rhost = c->vmta = c->queue_id = c->message_id = "";
    c->source_event_id = c->format = "";
    b->n++;
    return true;
}

static int scan_cb(const struct store_event *e, void *ud)
{
    struct scanner *sc = ud;
    if (sc->cur->n == BATCH_EVENTS || !copy_event(sc->cur, e)) {
        if (hand_over(sc))
            return 1;
        if (!copy_event(sc->cur, e))
            return 1; /* cannot happen: one event's copy is far below BATCH_BYTES */
    }
    return 0;
}

static void *scan_main(void *ud)
{
    struct scanner *sc = ud;
    struct scan *x = sc->x;
    int rc = store_events_iterate(sc->s, &sc->it, scan_cb, sc);
    pthread_mutex_lock(&x->mu);
    if (sc->cur && sc->cur->n) /* the last, partly filled batch */
        queue_full(x, sc->cur);
    else if (sc->cur)
        x->freelist[x->nfree++] = batch_index(x, sc->cur);
    sc->cur = NULL;
    sc->rc = rc == 1 ? RB_OK : rc; /* 1: stopped by the consumer */
    x->running--;
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->mu);
    return NULL;
}

/* consume - count the filled batches as they come until every scanner is done */
static int consume(struct scan *x, struct report *r, unsigned long long *events)
{
    int rc = RB_OK;
    for (;;) {
        pthread_mutex_lock(&x->mu);
        while (!x->nfull && x->running)
            pthread_cond_wait(&x->cv, &x->mu);
        if (!x->nfull) { /* every scanner done, queue drained */
            pthread_mutex_unlock(&x->mu);
            return rc;
        }
        size_t bi = x->full[x->head];
        x->head = (x->head + 1) % NBATCH;
        x->nfull--;
        pthread_mutex_unlock(&x->mu);
        struct batch *b = x->b[bi];
        for (size_t i = 0; i < b->n && rc == RB_OK; i++)
            rc = report_add_stored(r, &b->ev[i]);
        *events += b->n;
        pthread_mutex_lock(&x->mu);
        x->freelist[x->nfree++] = bi;
        if (rc != RB_OK)
            x->stop = true; /* keep draining so the scanners can finish */
        pthread_cond_broadcast(&x->cv);
        pthread_mutex_unlock(&x->mu);
    }
}

int report_add_store(struct report *r, struct store *s, long long since, long long until,
                     unsigned long long *events)
{
    *events = 0;
    long long lo = 0, hi = 0;
    int rc = store_events_ids(s, &lo, &hi);
    if (rc != RB_OK)
        return rc;
    struct scan *x = calloc(1, sizeof *x);
    if (!x)
        return RB_ENOMEM;
    for (size_t i = 0; i < NBATCH && rc == RB_OK; i++) {
        x->b[i] = calloc(1, sizeof *x->b[i]);
        if (!x->b[i] || !(x->b[i]->arena = malloc(BATCH_BYTES)))
            rc = RB_ENOMEM;
        else if (i >= SCANNERS)
            x->freelist[x->nfree++] = i;
    }
    /* scanner i reads event numbers [lo + i*step, lo + (i+1)*step); the extra connections
     * are read-only; one that cannot be opened leaves its part to the first */
    unsigned n = 1;
    long long step = (hi - lo) / SCANNERS + 1;
    for (unsigned i = 1; rc == RB_OK && i < SCANNERS && hi > lo + BATCH_EVENTS; i++) {
        struct store_open_opts ro = {.readonly = true, .busy_timeout_ms = 5000};
        if (store_open(&x->sc[n].s, s->path, &ro, NULL) != RB_OK) {
            x->sc[n].s = store_close(x->sc[n].s);
            break;
        }
        n++;
    }
    x->sc[0].s = s;
    for (unsigned i = 0; i < n; i++) {
        struct scanner *sc = &x->sc[i];
        sc->x = x;
        sc->cur = x->b[i];
        sc->it = (struct store_iter){.since = since,
                                     .until = until,
                                     .flags = STORE_ITER_UNORDERED | STORE_ITER_BRIEF,
                                     .id_from = i == 0 ? lo : lo + (long long)i * step,
                                     .id_to = i + 1 == n ? hi + 1 : lo + (long long)(i + 1) * step};
    }
    if (rc == RB_OK) {
        pthread_mutex_init(&x->mu, NULL);
        pthread_cond_init(&x->cv, NULL);
        for (unsigned i = 0; i < n; i++) {
            pthread_mutex_lock(&x->mu);
            x->running++;
            pthread_mutex_unlock(&x->mu);
            if (pthread_create(&x->sc[i].th, NULL, scan_main, &x->sc[i]) != 0) {
                pthread_mutex_lock(&x->mu);
                x->running--;
                x->stop = true;
                pthread_mutex_unlock(&x->mu);
                rc = RB_ENOMEM;
                break;
            }
            x->sc[i].started = true;
        }
        int crc = consume(x, r, events);
        for (unsigned i = 0; i < n; i++) {
            if (x->sc[i].started)
                pthread_join(x->sc[i].th, NULL);
            if (rc == RB_OK && x->sc[i].rc != RB_OK) {
                rc = x->sc[i].rc;
                if (i > 0) /* the caller reads the error of its own store */
                    snprintf(s->err, sizeof s->err, "%s", store_error(x->sc[i].s));
            }
        }
        if (rc == RB_OK)
            rc = crc;
        pthread_cond_destroy(&x->cv);
        pthread_mutex_destroy(&x->mu);
    }
    for (unsigned i = 1; i < SCANNERS; i++)
        store_close(x->sc[i].s);
    for (size_t i = 0; i < NBATCH; i++) {
        if (x->b[i])
            free(x->b[i]->arena);
        free(x->b[i]);
    }
    free(x);
    return rc;
}
