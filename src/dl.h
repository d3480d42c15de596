/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dl.h - optional client libraries (libpq, libunbound, libmicrohttpd) loaded on first use.
 *
 * DESCRIPTION
 *   Debian builds these libraries and the ones they pull in (Kerberos, LDAP, GnuTLS,
 *   OpenSSL, libevent: 25 shared objects) with immediate binding, so linking them made
 *   every `rebound explain` pay ~13M instructions in the dynamic loader for code it never
 *   runs. The modules that need one (store_pg.c, doctor_dns.c, server/) resolve it through
 *   a table of function pointers instead; dl_pq.h, dl_unbound.h and server/dl_mhd.h map the
 *   usual names onto the table, so call sites read as plain libpq, libunbound or
 *   libmicrohttpd calls.
 *
 *   Each table is filled once per process under pthread_once and never changes afterwards
 *   (the same contract as the loader's own binding), which keeps the library thread-safe.
 */
#ifndef RB_DL_H
#define RB_DL_H

#include <pthread.h>
#include <stddef.h>

/* One symbol to resolve: its name and where its address goes in the table. */
struct dl_sym {
    const char *name;
    size_t offset;
};

/* A library loaded on first use (one static instance per library, see dl_pq.c). */
struct dl_lib {
    const char *soname;  /* "libpq.so.5": from the build's library, see CMakeLists.txt */
    const char *package; /* Debian package that installs it, for the error message */
    const struct dl_sym *syms;
    size_t nsyms;
    void *table; /* the function-pointer struct the symbols fill */
    pthread_once_t once;
    int status;      /* after once: 0 loaded, -1 not */
    char error[256]; /* why not */
};

/* dl_lib_load - load lib once per process (thread-safe); 0, or -1 with the reason copied
 * into err (cap bytes, NUL-terminated). */
int dl_lib_load(struct dl_lib *lib, void (*once_fn)(void), char *err, size_t cap);

/* dl_lib_resolve - the body of a library's once function: dlopen and fill the table. */
void dl_lib_resolve(struct dl_lib *lib);

#endif /* RB_DL_H */
