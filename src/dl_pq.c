/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dl_pq.c - the function table of dl_pq.h: PostgreSQL client library (libpq).
 */
#define DL_PQ_TABLE /* the real names here, not the table's macros */
#include "dl_pq.h"

#include <stddef.h>

#include "dl.h"

#ifndef RB_LIBPQ_SONAME
#define RB_LIBPQ_SONAME "libpq.so.5"
#endif

static struct dl_pq table;
static const struct dl_sym syms[] = {
    {"PQcancel", offsetof(struct dl_pq, PQcancel)},
    {"PQclear", offsetof(struct dl_pq, PQclear)},
    {"PQcmdStatus", offsetof(struct dl_pq, PQcmdStatus)},
    {"PQcmdTuples", offsetof(struct dl_pq, PQcmdTuples)},
    {"PQconnectdbParams", offsetof(struct dl_pq, PQconnectdbParams)},
    {"PQerrorMessage", offsetof(struct dl_pq, PQerrorMessage)},
    {"PQexec", offsetof(struct dl_pq, PQexec)},
    {"PQexecParams", offsetof(struct dl_pq, PQexecParams)},
    {"PQexecPrepared", offsetof(struct dl_pq, PQexecPrepared)},
    {"PQfinish", offsetof(struct dl_pq, PQfinish)},
    {"PQfreeCancel", offsetof(struct dl_pq, PQfreeCancel)},
    {"PQgetCancel", offsetof(struct dl_pq, PQgetCancel)},
    {"PQgetResult", offsetof(struct dl_pq, PQgetResult)},
    {"PQgetisnull", offsetof(struct dl_pq, PQgetisnull)},
    {"PQgetlength", offsetof(struct dl_pq, PQgetlength)},
    {"PQgetvalue", offsetof(struct dl_pq, PQgetvalue)},
    {"PQntuples", offsetof(struct dl_pq, PQntuples)},
    {"PQprepare", offsetof(struct dl_pq, PQprepare)},
    {"PQputCopyData", offsetof(struct dl_pq, PQputCopyData)},
    {"PQputCopyEnd", offsetof(struct dl_pq, PQputCopyEnd)},
    {"PQresultErrorField", offsetof(struct dl_pq, PQresultErrorField)},
    {"PQresultStatus", offsetof(struct dl_pq, PQresultStatus)},
    {"PQsendQueryParams", offsetof(struct dl_pq, PQsendQueryParams)},
    {"PQsendQueryPrepared", offsetof(struct dl_pq, PQsendQueryPrepared)},
    {"PQsetSingleRowMode", offsetof(struct dl_pq, PQsetSingleRowMode)},
    {"PQstatus", offsetof(struct dl_pq, PQstatus)},
    {"PQtransactionStatus", offsetof(struct dl_pq, PQtransactionStatus)},
};
static struct dl_lib lib = {RB_LIBPQ_SONAME, "libpq5",          syms, sizeof syms / sizeof syms[0],
                            &table,          PTHREAD_ONCE_INIT, -1,   ""};

static void load_once(void)
{
    dl_lib_resolve(&lib);
}

int dl_pq_load(char *err, size_t cap)
{
    return dl_lib_load(&lib, load_once, err, cap);
}

const struct dl_pq *dl_pq(void)
{
    return &table;
}
