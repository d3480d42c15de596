/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tsv.h - read a tab-separated test table (header line, '#' comments) for unit tests.
 *
 * DESCRIPTION
 *   tsv_load() reads the whole file; rows and fields point into one allocation the caller
 *   frees with tsv_free(). Test-only: exits on I/O errors.
 */
#ifndef RB_TEST_TSV_H
#define RB_TEST_TSV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TSV_MAX_FIELDS 16

struct tsv_row {
    int line;
    int nf;
    char *f[TSV_MAX_FIELDS];
};

struct tsv {
    char *data;
    struct tsv_row *rows;
    int n;
};

static inline void tsv_free(struct tsv *t)
{
    free(t->data);
    free(t->rows);
}

static inline int tsv_load(struct tsv *t, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    t->data = malloc((size_t)sz + 1);
    if (!t->data || fread(t->data, 1, (size_t)sz, f) != (size_t)sz) {
        perror(path);
        exit(2);
    }
    fclose(f);
    t->data[sz] = '\0';
    int cap = 64;
    t->rows = malloc(sizeof *t->rows * (size_t)cap);
    t->n = 0;
    int header = 1, line = 0;
    for (char *p = t->data; p && *p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        line++;
        size_t len = strlen(p);
        if (len && p[len - 1] == '\r')
            p[len - 1] = '\0';
        if (*p && *p != '#') {
            if (header) {
                header = 0;
            } else {
                if (t->n == cap) {
                    cap *= 2;
                    t->rows = realloc(t->rows, sizeof *t->rows * (size_t)cap);
                }
                struct tsv_row *r = &t->rows[t->n++];
                r->line = line;
                r->nf = 0;
                for (char *q = p; q && r->nf < TSV_MAX_FIELDS;) {
                    char *tab = strchr(q, '\t');
                    if (tab)
                        *tab = '\0';
                    r->f[r->nf++] = q;
                    q = tab ? tab + 1 : NULL;
                }
            }
        }
        p = nl ? nl + 1 : NULL;
    }
    return t->n;
}

#endif /* RB_TEST_TSV_H */
