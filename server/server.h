/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * server.h - `rebound serve`: the HTTP API, webhook receivers and live dashboard
 *            (libmicrohttpd), as a library the command (cli/cmd_serve.c) runs.
 */
#ifndef RB_SERVER_H
#define RB_SERVER_H

struct suppress_config;

/* Options of server_run; zero-initialise, then set what you need. */
struct server_opts {
    const char *db;                    /* store path (required) */
    const struct suppress_config *cfg; /* the suppression rules (NULL = defaults) */
    const char *listen; /* "ADDR:PORT", "[v6]:PORT" or "PORT" (NULL = 127.0.0.1:8025) */
    const char *token;  /* bearer token required on write endpoints (NULL = refuse writes) */
    const char *tls_cert, *tls_key; /* PEM files: serve HTTPS when both are set */
    const char *mailgun_key;        /* Mailgun webhook signing key (NULL = refuse Mailgun) */
    unsigned long max_body;         /* request body limit in bytes (0 = 8 MB) */
    unsigned threads;               /* HTTP threads (0 = number of cores, at least 2) */
    unsigned timeout_s;             /* idle connection timeout (0 = 30 s) */
    int no_fsync; /* commits survive a crash of the server but not of the machine (no fsync
                     per commit): faster, and a 2xx no longer means "on disk" */
    int quiet;
};

/* server_run - serve until SIGINT/SIGTERM; returns 0, or 1 with the reason on stderr. */
int server_run(const struct server_opts *o);

/* server_start - start serving in the background (threads of its own); *port receives the
 * port bound (for a listen port of 0). NULL with the reason on stderr. Stop with
 * server_stop, which commits what was accepted and frees everything. Strings in o must
 * outlive the server. */
struct srv;
struct srv *server_start(const struct server_opts *o, unsigned *port);
void server_stop(struct srv *sv);

#endif /* RB_SERVER_H */
