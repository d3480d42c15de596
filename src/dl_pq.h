/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dl_pq.h - the PostgreSQL client library (libpq), loaded on first use (see dl.h): the functions
 * store_pg.c call.
 *
 * DESCRIPTION
 *   Include it after <libpq-fe.h>: each function name below becomes a call through the table
 *   (dl_pq()), so call sites keep the library's own names. dl_pq_load() must have
 *   succeeded before any of them is called.
 */
#ifndef RB_DL_PQ_H
#define RB_DL_PQ_H

#include <stddef.h>
#include <libpq-fe.h>

struct dl_pq {
    __typeof__(PQcancel) *PQcancel;
    __typeof__(PQclear) *PQclear;
    __typeof__(PQcmdStatus) *PQcmdStatus;
    __typeof__(PQcmdTuples) *PQcmdTuples;
    __typeof__(PQconnectdbParams) *PQconnectdbParams;
    __typeof__(PQerrorMessage) *PQerrorMessage;
    __typeof__(PQexec) *PQexec;
    __typeof__(PQexecParams) *PQexecParams;
    __typeof__(PQexecPrepared) *PQexecPrepared;
    __typeof__(PQfinish) *PQfinish;
    __typeof__(PQfreeCancel) *PQfreeCancel;
    __typeof__(PQgetCancel) *PQgetCancel;
    __typeof__(PQgetResult) *PQgetResult;
    __typeof__(PQgetisnull) *PQgetisnull;
    __typeof__(PQgetlength) *PQgetlength;
    __typeof__(PQgetvalue) *PQgetvalue;
    __typeof__(PQntuples) *PQntuples;
    __typeof__(PQprepare) *PQprepare;
    __typeof__(PQputCopyData) *PQputCopyData;
    __typeof__(PQputCopyEnd) *PQputCopyEnd;
    __typeof__(PQresultErrorField) *PQresultErrorField;
    __typeof__(PQresultStatus) *PQresultStatus;
    __typeof__(PQsendQueryParams) *PQsendQueryParams;
    __typeof__(PQsendQueryPrepared) *PQsendQueryPrepared;
    __typeof__(PQsetSingleRowMode) *PQsetSingleRowMode;
    __typeof__(PQstatus) *PQstatus;
    __typeof__(PQtransactionStatus) *PQtransactionStatus;
};

/* dl_pq_load - load libpq.so.5 once per process; 0, or -1 with the reason in err. */
int dl_pq_load(char *err, size_t cap);
/* dl_pq - the table (filled only after dl_pq_load succeeded). */
const struct dl_pq *dl_pq(void);

#ifndef DL_PQ_TABLE
#define PQcancel (dl_pq()->PQcancel)
#define PQclear (dl_pq()->PQclear)
#define PQcmdStatus (dl_pq()->PQcmdStatus)
#define PQcmdTuples (dl_pq()->PQcmdTuples)
#define PQconnectdbParams (dl_pq()->PQconnectdbParams)
#define PQerrorMessage (dl_pq()->PQerrorMessage)
#define PQexec (dl_pq()->PQexec)
#define PQexecParams (dl_pq()->PQexecParams)
#define PQexecPrepared (dl_pq()->PQexecPrepared)
#define PQfinish (dl_pq()->PQfinish)
#define PQfreeCancel (dl_pq()->PQfreeCancel)
#define PQgetCancel (dl_pq()->PQgetCancel)
#define PQgetResult (dl_pq()->PQgetResult)
#define PQgetisnull (dl_pq()->PQgetisnull)
#define PQgetlength (dl_pq()->PQgetlength)
#define PQgetvalue (dl_pq()->PQgetvalue)
#define PQntuples (dl_pq()->PQntuples)
#define PQprepare (dl_pq()->PQprepare)
#define PQputCopyData (dl_pq()->PQputCopyData)
#define PQputCopyEnd (dl_pq()->PQputCopyEnd)
#define PQresultErrorField (dl_pq()->PQresultErrorField)
#define PQresultStatus (dl_pq()->PQresultStatus)
#define PQsendQueryParams (dl_pq()->PQsendQueryParams)
#define PQsendQueryPrepared (dl_pq()->PQsendQueryPrepared)
#define PQsetSingleRowMode (dl_pq()->PQsetSingleRowMode)
#define PQstatus (dl_pq()->PQstatus)
#define PQtransactionStatus (dl_pq()->PQtransactionStatus)
#endif

#endif /* RB_DL_PQ_H */
