/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mta_unix.c - dialects of the "unix" family (see dialect.h for the contract).
 */
#include "dialect.h"

const struct dialect *const dialects_unix[] = {NULL};
