/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_reply.c - reply parser: codes in every shape real MTAs print them, unfolding,
 * tokens, commands, mismatches, and pathological input (linear time, bounded memory).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "reply.h"

static const struct {
    const char *in;
    int code;
    const char *status;
    const char *token;
    const char *command;
    const char *text; /* NULL = not checked */
    unsigned flags;   /* flags that must be set */
} cases[] = {
    {"550 5.1.1 <a@example.org>: Recipient address rejected: User unknown", 550, "5.1.1", "", "",
     NULL, 0},
    {"550-5.7.26 This mail has been blocked because the sender is\n550-5.7.26 unauthenticated. "
     "Gmail requires all senders to authenticate with\n550 5.7.26 either SPF or DKIM. - gsmtp",
     550, "5.7.26", "", "",
     "550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail "
     "requires all senders to authenticate with either SPF or DKIM. - gsmtp",
     RB_REPLY_MULTILINE},
    {"550-5.7.26 a\r\n550-5.7.26 b\r\n550 5.7.26 c", 550, "5.7.26", "", "", "550-5.7.26 a b c",
     RB_REPLY_MULTILINE},
    {"host mx.example.org[192.0.2.1] said: 550 5.1.1 <a@example.org>: Recipient address "
     "rejected: User unknown (in reply to RCPT TO command)",
     550, "5.1.1", "", "RCPT", NULL, 0},
    {"Diagnostic-Code: smtp; 550 5.2.2 mailbox full", 550, "5.2.2", "", "",
     "550 5.2.2 mailbox full", 0},
    {"X-Postfix; connect to mx.example.net[198.51.100.7]:25: Connection timed out", 0, "", "", "",
     NULL, 0},
    {"smtp; 554 5.7.1 Message rejected", 554, "5.7.1", "", "", NULL, 0},
    {"#5.1.1 bad address", 0, "5.1.1", "", "", NULL, 0},
    {"#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##", 550, "5.1.1", "", "", NULL, 0},
    {"Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'", 550, "5.1.1", "",
     "", NULL, 0},
    {"550 5.7.350 Remote server returned message detected as spam", 550, "5.7.350", "", "", NULL,
     0},
    {"451 4.7.650 The mail server [192.0.2.5] has been temporarily rate limited due to IP "
     "reputation.",
     451, "4.7.650", "", "", NULL, 0},
    {"421 4.7.0 [TSS04] Messages from 192.0.2.5 temporarily deferred due to unexpected volume", 421,
     "4.7.0", "TSS04", "", NULL, 0},
    {"550 5.7.1 Unfortunately, messages from [192.0.2.4] weren't sent. (S3150) [xx.prod]", 550,
     "5.7.1", "S3150", "", NULL, 0},
    {"554 5.7.1 Message blocked: AUP#CXBL see http://example", 554, "5.7.1", "AUP#CXBL", "", NULL,
     0},
    {"550 SC-001 (BAY0-MC1-F21) Unfortunately, messages from 192.0.2.7 weren't sent.", 550, "",
     "SC-001", "", NULL, 0},
    {"550 MI:SPF connect from 192.0.2.8 HL:REP reputation", 550, "", "MI:SPF", "", NULL, 0},
    {"554 RP-001 (COL004) Unfortunately, some messages from 192.0.2.1 weren't sent.", 554, "",
     "RP-001", "", NULL, 0},
    {"Connection timed out", 0, "", "", "", "Connection timed out", 0},
    {"", 0, "", "", "", "", 0},
    {"550 4.2.2 mailbox full", 550, "4.2.2", "", "", NULL, RB_REPLY_CODE_MISMATCH},
    {"450 5.1.1 odd", 450, "5.1.1", "", "", NULL, RB_REPLY_CODE_MISMATCH},
    {"SMTP error from remote mail server after RCPT TO:<a@example.org>: 550 5.1.1 No such user",
     550, "5.1.1", "", "RCPT", NULL, 0},
    {"SMTP error from remote mail server after end of data: 552 5.3.4 Message size exceeds", 552,
     "5.3.4", "", "DATA", NULL, 0},
    /* not codes: IPs, versions, sizes, times */
    {"Connection to 192.0.2.5 refused at 12:45:50", 0, "", "", "", NULL, 0},
    {"resolver 4.2.2.1 failed", 0, "", "", "", NULL, 0},
    {"message of 5500 bytes; Postfix 2.3.5", 0, "", "", "", NULL, 0},
    {"553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)", 553, "5.7.1", "", "",
     NULL, 0},
    {"    550   5.1.1   spaced     out  ", 550, "5.1.1", "", "", "550 5.1.1 spaced out", 0},
    {"554-mx.example.net\n554 Your access to this mail system has been rejected", 554, "", "", "",
     "554-mx.example.net Your access to this mail system has been rejected", RB_REPLY_MULTILINE},
    {"Status: 5.1.1 but 550", 550, "5.1.1", "", "", NULL, 0},
    {"550 Requested action not taken: mailbox unavailable", 550, "", "", "", NULL, 0},
    {"a\x01\x02"
     "b\0c",
     0, "", "", "", "a b c", RB_REPLY_BINARY},
    {"250 2.0.0 OK 1700000000 x1si123 - gsmtp", 250, "2.0.0", "", "", NULL, 0},
    {"4.4.7 Delivery time expired", 0, "4.4.7", "", "", NULL, 0},
};

static void test_table(void)
{
    struct buf text;
    buf_init(&text, RB_MAX_REPLY_TEXT + 16, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rb_reply r;
        const char *in = cases[i].in;
        size_t len = strlen(in);
        if (strncmp(in, "a\x01", 2) == 0)
            len = 7; /* includes the NUL byte */
        CHECK_INT(reply_parse(in, len, &text, &r), RB_OK, in);
        CHECK_INT(r.replycode, cases[i].code, in);
        CHECK_STR(r.status, cases[i].status, in);
        CHECK_STR(r.token, cases[i].token, in);
        CHECK_STR(r.command, cases[i].command, in);
        if (cases[i].text)
            CHECK_STR(r.text, cases[i].text, in);
        CHECK((r.flags & cases[i].flags) == cases[i].flags, "%s: flags %u lack %u", in, r.flags,
              cases[i].flags);
        if (!(cases[i].flags & RB_REPLY_CODE_MISMATCH))
            CHECK(!(r.flags & RB_REPLY_CODE_MISMATCH), "%s: unexpected mismatch", in);
    }
    /* diagtype */
    rb_reply r;
    CHECK_INT(reply_parse("Diagnostic-Code: X-Postfix; host not found", 41, &text, &r), RB_OK,
              "diagtype");
    CHECK_STR(r.diagtype, "X-Postfix", "diagtype X-Postfix");
    CHECK_INT(reply_parse("smtp;550 x", 10, &text, &r), RB_OK, "diagtype smtp");
    CHECK_STR(r.diagtype, "SMTP", "diagtype SMTP");
    CHECK_INT(r.replycode, 550, "code after smtp;");
    buf_free(&text);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Pathological input: linear time, bounded memory, flags set. */
static void test_pathological(void)
{
    struct buf text;
    buf_init(&text, RB_MAX_REPLY_TEXT + 16, NULL);
    rb_reply r;

    size_t n = 1 << 20; /* a 1 MB line */
    char *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    memcpy(big, "550 5.1.1 ", 10);
    double t = now();
    CHECK_INT(reply_parse(big, n, &text, &r), RB_OK, "1 MB line");
    CHECK(now() - t < 0.5, "1 MB line took %.3fs", now() - t);
    CHECK(r.flags & RB_REPLY_TRUNCATED, "1 MB line truncated");
    CHECK(r.text_len <= RB_MAX_REPLY_TEXT, "text capped");
    CHECK_INT(r.replycode, 550, "1 MB line code");

    for (size_t i = 0; i < n; i++) /* binary junk */
        big[i] = (char)(i * 2654435761u >> 13);
    t = now();
    CHECK_INT(reply_parse(big, n, &text, &r), RB_OK, "binary junk");
    CHECK(now() - t < 0.5, "binary junk took %.3fs", now() - t);

    /* 10,000 continuation lines */
    struct buf in;
    buf_init(&in, 1 << 24, NULL);
    for (int i = 0; i < 10000; i++)
        if (buf_puts(&in, i < 9999 ? "550-5.7.1 more text here\r\n" : "550 5.7.1 end") != RB_OK)
            break;
    t = now();
    CHECK_INT(reply_parse(in.p, in.len, &text, &r), RB_OK, "10k lines");
    CHECK(now() - t < 0.5, "10k lines took %.3fs", now() - t);
    CHECK_INT(r.replycode, 550, "10k lines code");
    CHECK_STR(r.status, "5.7.1", "10k lines status");
    CHECK(r.flags & RB_REPLY_MULTILINE, "10k lines multiline");
    CHECK(strstr(r.text, "550-5.7.1 more text here more text here") == r.text,
          "10k lines unfolded: %.60s", r.text);

    /* digits everywhere: no quadratic scanning */
    for (size_t i = 0; i < n; i++)
        big[i] = "5.5.5 "[i % 6];
    t = now();
    CHECK_INT(reply_parse(big, n, &text, &r), RB_OK, "dense codes");
    CHECK(now() - t < 0.5, "dense codes took %.3fs", now() - t);
    buf_free(&in);
    buf_free(&text);
    free(big);
}

int main(void)
{
    test_table();
    test_pathological();
    return harness_done();
}
