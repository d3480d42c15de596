/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_serve_http.c - libFuzzer target: raw bytes as an HTTP request to a real
 *                     `rebound serve` running in-process (routing, authentication, bodies,
 *                     webhook parsing, the writer, every endpoint).
 *
 * The server starts once on 127.0.0.1 (a free port) with a store in a temporary directory;
 * each input is written to a new connection, which is then half-closed, and the answer is
 * read until the server closes it or goes quiet. The sanitizers watch the server's threads.
 */
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "server.h"

static struct srv *sv;
static unsigned port;
static char dir[256], db[300];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* a memory file system when there is one: every write waits for a durable commit */
    snprintf(dir, sizeof dir, "%s/fuzz_serve.XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm"
             : getenv("TMPDIR")            ? getenv("TMPDIR")
                                           : "/tmp");
    if (!mkdtemp(dir))
        abort();
    snprintf(db, sizeof db, "%s/s.db", dir);
    static struct server_opts o = {.listen = "127.0.0.1:0",
                                   .token = "t0ken",
                                   .mailgun_key = "mg-key",
                                   .max_body = 1 << 16,
                                   .threads = 2,
                                   .timeout_s = 2,
                                   .quiet = 1};
    o.db = db;
    sv = server_start(&o, &port);
    if (!sv)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {3, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        size_t off = 0;
        while (off < size) {
            ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);
            if (n <= 0)
                break;
            off += (size_t)n;
        }
        shutdown(fd, SHUT_WR);
        /* MHD keeps an HTTP/1.1 connection open after a half-close until its timeout: wait
         * up to 0.3 s for the first answer bytes (a write waits for a commit), then only
         * while more keep coming */
        char buf[65536];
        int wait_ms = 300;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        while (poll(&p, 1, wait_ms) > 0 && recv(fd, buf, sizeof buf, 0) > 0)
            wait_ms = 30;
    }
    close(fd);
    return 0;
}
