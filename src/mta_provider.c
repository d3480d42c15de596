/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mta_provider.c - dialects of the "provider" family (see dialect.h for the contract).
 */
#include "dialect.h"

const struct dialect *const dialects_provider[] = {NULL};
