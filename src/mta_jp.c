/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mta_jp.c - dialects of the "jp" family (see dialect.h for the contract).
 */
#include "dialect.h"

const struct dialect *const dialects_jp[] = {NULL};
