/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mta_vendor.c - dialects of the "vendor" family (see dialect.h for the contract).
 */
#include "dialect.h"

const struct dialect *const dialects_vendor[] = {NULL};
