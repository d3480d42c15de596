/* SPDX-License-Identifier: BSD-2-Clause */
/* test_buf.c - the capped buffer: growth, cap, NUL termination, allocation failure. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "harness.h"

static int fail_after = -1;
static void *failing_malloc(size_t n, void *ud)
{
    (void)ud;
    if (fail_after == 0)
        return NULL;
    if (fail_after > 0)
        fail_after--;
    return malloc(n);
}
static void *failing_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    if (fail_after == 0)
        return NULL;
    if (fail_after > 0)
        fail_after--;
    return realloc(p, n);
}
static void plain_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

int main(void)
{
    struct buf b;
    buf_init(&b, 10, NULL);
    CHECK_INT(buf_append(&b, "hello", 5), RB_OK, "append");
    CHECK_STR(b.p, "hello", "content");
    CHECK_INT(buf_append(&b, "world", 5), RB_OK, "append to cap");
    CHECK_INT(b.len, 10, "len at cap");
    CHECK_INT(buf_putc(&b, '!'), RB_ETOOBIG, "past cap");
    CHECK_STR(b.p, "helloworld", "unchanged after refusal");
    buf_reset(&b);
    CHECK_INT(b.len, 0, "reset");
    CHECK_INT(buf_printf(&b, "%d-%s", 42, "x"), RB_OK, "printf");
    CHECK_STR(b.p, "42-x", "printf content");
    CHECK_INT(buf_printf(&b, "%s", "0123456789"), RB_ETOOBIG, "printf past cap");
    buf_truncate(&b, 2);
    CHECK_STR(b.p, "42", "truncate");
    buf_free(&b);
    CHECK(b.p == NULL && b.len == 0, "free empties");

    /* large printf goes through the slow path */
    buf_init(&b, 100000, NULL);
    char big[1000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK_INT(buf_printf(&b, "<%s>", big), RB_OK, "big printf");
    CHECK_INT(b.len, 1001, "big printf len");
    buf_free(&b);

    /* overflow-checked reserve */
    buf_init(&b, (size_t)-1, NULL);
    CHECK_INT(buf_reserve(&b, (size_t)-1), RB_ETOOBIG, "reserve SIZE_MAX");
    buf_free(&b);

    /* allocation failure leaves the buffer usable */
    rb_mem m = {failing_malloc, failing_realloc, plain_free, NULL};
    buf_init(&b, 1 << 20, &m);
    fail_after = 0;
    CHECK_INT(buf_append(&b, "x", 1), RB_ENOMEM, "alloc failure reported");
    fail_after = -1;
    CHECK_INT(buf_append(&b, "x", 1), RB_OK, "usable after failure");
    buf_free(&b);
    return harness_done();
}
