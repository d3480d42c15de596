/* SPDX-License-Identifier: BSD-2-Clause */
/* ingest_mta.c - placeholder readers: being written (issue 4). */
#include "ingest.h"
static int todo_line(rb_ingest *ig, void *state, const struct ingest_line *ln)
{
    (void)state;
    (void)ln;
    return ingest_malformed(ig, "format reader not written yet");
}
const struct ingest_reader ingest_reader_exim = {.name = "exim", .line = todo_line};
const struct ingest_reader ingest_reader_sendmail = {.name = "sendmail", .line = todo_line};
const struct ingest_reader ingest_reader_opensmtpd = {.name = "opensmtpd", .line = todo_line};
const struct ingest_reader ingest_reader_haraka = {.name = "haraka", .line = todo_line};
