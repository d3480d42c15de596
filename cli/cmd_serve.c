/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_serve.c - `rebound serve`: options, the token, then server_run (server/server.c).
 *
 * DESCRIPTION
 *   The token comes from --token-file (first line), --token, or $REBOUND_TOKEN, in that
 *   order of preference (a file or the environment keeps it out of `ps`). Without one the
 *   server still serves reads but refuses every write.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "server.h"
#include "store.h"
#include "suppress.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: rebound serve [OPTIONS]\n"
               "\n"
               "HTTP API, webhook receivers and a live dashboard over the store.\n"
               "\n"
               "  --db PATH            the store (default: the per-user store)\n"
               "  --config FILE        suppression rules (default: the per-user config)\n"
               "  --listen ADDR:PORT   where to listen (default 127.0.0.1:8025; port 0 = any\n"
               "                       free port; [::1]:8025 for IPv6)\n"
               "  --token TOKEN        bearer token for write endpoints (or $REBOUND_TOKEN)\n"
               "  --token-file FILE    read the token from the first line of FILE\n"
               "  --tls-cert FILE --tls-key FILE   serve HTTPS (PEM files)\n"
               "  --mailgun-key KEY    Mailgun webhook signing key (or $REBOUND_MAILGUN_KEY)\n"
               "  --max-body BYTES     request body limit (default 8388608)\n"
               "  --threads N          HTTP threads (default: the number of cores, at least 2)\n"
               "  --timeout S          close idle connections after S seconds (default 30)\n"
               "  --no-fsync           commit without fsync: survives a crash of the server,\n"
               "                       not of the machine (a 2xx is then not on disk yet)\n"
               "  -q, --quiet          no start-up and stop messages\n"
               "\n"
               "Endpoints: docs/serve.md. Stops on SIGINT or SIGTERM after committing what it\n"
               "has accepted.\n");
}

static unsigned long number(const char *opt, const char *v, unsigned long max)
{
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (!v[0] || *end || n == 0 || n > max)
        die("serve: %s wants a number from 1 to %lu", opt, max);
    return n;
}

static char *token_from_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("serve: cannot read the token file %s", path);
    static char tok[512];
    if (!fgets(tok, sizeof tok, f))
        tok[0] = '\0';
    fclose(f);
    tok[strcspn(tok, "\r\n")] = '\0';
    if (!tok[0])
        die("serve: the token file %s is empty", path);
    return tok;
}

int cmd_serve(int argc, char **argv)
{
    struct server_opts o = {0};
    const char *db = NULL, *config = NULL, *token_file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--db") == 0 && more)
            db = argv[++i];
        else if (strcmp(a, "--config") == 0 && more)
            config = argv[++i];
        else if (strcmp(a, "--listen") == 0 && more)
            o.listen = argv[++i];
        else if (strcmp(a, "--token") == 0 && more)
            o.token = argv[++i];
        else if (strcmp(a, "--token-file") == 0 && more)
            token_file = argv[++i];
        else if (strcmp(a, "--tls-cert") == 0 && more)
            o.tls_cert = argv[++i];
        else if (strcmp(a, "--tls-key") == 0 && more)
            o.tls_key = argv[++i];
        else if (strcmp(a, "--mailgun-key") == 0 && more)
            o.mailgun_key = argv[++i];
        else if (strcmp(a, "--max-body") == 0 && more)
            o.max_body = number(a, argv[++i], 1ul << 30);
        else if (strcmp(a, "--threads") == 0 && more)
            o.threads = (unsigned)number(a, argv[++i], 64);
        else if (strcmp(a, "--timeout") == 0 && more)
            o.timeout_s = (unsigned)number(a, argv[++i], 3600);
        else if (strcmp(a, "--no-fsync") == 0)
            o.no_fsync = 1;
        else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
            o.quiet = 1;
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "rebound serve: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (token_file)
        o.token = token_from_file(token_file);
    if (!o.token)
        o.token = getenv("REBOUND_TOKEN");
    if (!o.mailgun_key)
        o.mailgun_key = getenv("REBOUND_MAILGUN_KEY");
    struct suppress_config cfg;
    cli_config_load(config, &cfg);
    o.cfg = &cfg;
    char path[4096];
    if (!db) {
        if (store_default_path(path, sizeof path) != RB_OK)
            die("no store path: set HOME or XDG_DATA_HOME, or pass --db PATH");
        db = path;
    }
    o.db = db;
    return server_run(&o);
}
