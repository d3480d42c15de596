/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hmac_sha256.h - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for webhook signatures
 *                 (Mailgun signs timestamp + token with the account's signing key).
 *
 * DESCRIPTION
 *   A small self-contained implementation so the server needs no crypto library for one
 *   MAC. No allocation, no state outside the caller's struct.
 */
#ifndef RB_HMAC_SHA256_H
#define RB_HMAC_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES 32

struct sha256 {
    uint32_t h[8];
    uint64_t len; /* bytes hashed so far */
    unsigned char blk[64];
    size_t fill;
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *p, size_t n);
void sha256_final(struct sha256 *c, unsigned char out[SHA256_BYTES]);

/* hmac_sha256 - the MAC of msg under key into out. */
void hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                 unsigned char out[SHA256_BYTES]);

/* hmac_sha256_hex_equal - whether hex (any case) spells mac, compared in constant time. */
bool hmac_sha256_hex_equal(const unsigned char mac[SHA256_BYTES], const char *hex, size_t hexlen);

#endif /* RB_HMAC_SHA256_H */
