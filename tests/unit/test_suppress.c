/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_suppress.c - unit tests for the suppression rules (src/suppress.c), without a store.
 *
 * DESCRIPTION
 *   Table-driven: each case is a sequence of replies (classified by the real classifier) with
 *   event kinds and day offsets, and the expected outcome after the last one (suppressed or
 *   not, by which rule). Then the config reader (good and bad files), address normalisation
 *   and the syntax check.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "suppress.h"

#define DAY 86400LL
#define T0 1709460000LL

struct step {
    rb_event_kind kind;
    double day; /* offset from T0 in days */
    const char *reply;
};

#define D RB_EVENT_DELIVERED
#define F RB_EVENT_DEFERRED
#define B RB_EVENT_BOUNCED
#define C RB_EVENT_COMPLAINT
#define X RB_EVENT_EXPIRED

static const char *const R_USER =
    "550 5.1.1 <a@example.com>: Recipient address rejected: User unknown";
static const char *const R_HOST = "550 5.1.2 host not found";
static const char *const R_MOVED = "550 5.1.6 recipient has moved";
static const char *const R_DISABLED = "550 5.2.1 mailbox disabled";
static const char *const R_SYNTAX = "553 5.1.3 invalid address syntax";
static const char *const R_FULL4 =
    "452 4.2.2 The email account that you tried to reach is over quota";
static const char *const R_FULL5 = "552 5.2.2 mailbox full";
static const char *const R_OK = "250 2.0.0 OK";
static const char *const R_TIMEOUT = "451 4.4.1 connection timed out";
static const char *const R_SYS = "451 4.3.0 Temporary local problem - please try later";
static const char *const R_SPAMHAUS =
    "550 5.7.1 Service unavailable; client host [1.2.3.4] blocked using zen.spamhaus.org";
static const char *const R_AUTH =
    "550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires "
    "all senders to authenticate with either SPF or DKIM.";
static const char *const R_GREY = "450 4.7.1 greylisted, try again later";
static const char *const R_RATE = "421 4.7.0 Try again later, closing connection. (TSS04)";
static const char *const R_SIZE = "552 5.3.4 Message size exceeds fixed limit";
static const char *const R_SPAM = "550 5.7.1 Message rejected as spam by Content Filtering";

static const struct {
    const char *name;
    struct step steps[8];
    bool suppressed;
    const char *rule; /* NULL when not suppressed */
    const char *reason;
} cases[] = {
    {"user unknown", {{B, 0, R_USER}}, true, "hard-bounce", "userunknown"},
    {"host unknown", {{B, 0, R_HOST}}, true, "hard-bounce", "hostunknown"},
    {"moved", {{B, 0, R_MOVED}}, true, "hard-bounce", "hasmoved"},
    {"disabled", {{B, 0, R_DISABLED}}, true, "hard-bounce", "suspend"},
    {"invalid syntax", {{B, 0, R_SYNTAX}}, true, "invalid-address", "userunknown"},
    {"complaint", {{C, 0, ""}}, true, "complaint", "complaint"},
    {"mailbox full x3",
     {{F, 0, R_FULL4}, {F, 0.1, R_FULL4}, {B, 0.2, R_FULL5}},
     true,
     "mailbox-full-repeated",
     "mailboxfull"},
    {"mailbox full x2", {{F, 0, R_FULL4}, {F, 0.1, R_FULL4}}, false, NULL, NULL},
    {"mailbox full 2 + delivery + 1",
     {{F, 0, R_FULL4}, {F, 0.1, R_FULL4}, {D, 0.2, R_OK}, {F, 0.3, R_FULL4}},
     false,
     NULL,
     NULL},
    {"soft 4 days", {{F, 0, R_SYS}, {F, 2, R_SYS}, {F, 4, R_SYS}}, false, NULL, NULL},
    {"soft 5 days",
     {{F, 0, R_SYS}, {F, 2, R_SYS}, {X, 5, R_SYS}},
     true,
     "soft-bounce-days",
     "systemerror"},
    {"soft 5 days, delivery between",
     {{F, 0, R_SYS}, {D, 3, R_OK}, {F, 5, R_SYS}},
     false,
     NULL,
     NULL},
    {"late old delivery does not clear",
     {{F, 1, R_SYS}, {F, 3, R_SYS}, {D, 0.5, R_OK}, {F, 6, R_SYS}},
     true,
     "soft-bounce-days",
     "systemerror"},
    {"blocklist 5.7.1 never",
     {{B, 0, R_SPAMHAUS}, {B, 1, R_SPAMHAUS}, {B, 9, R_SPAMHAUS}},
     false,
     NULL,
     NULL},
    {"auth 5.7.26 never", {{B, 0, R_AUTH}, {B, 10, R_AUTH}}, false, NULL, NULL},
    {"greylisting never", {{F, 0, R_GREY}, {F, 6, R_GREY}}, false, NULL, NULL},
    {"rate limit never", {{F, 0, R_RATE}, {F, 6, R_RATE}}, false, NULL, NULL},
    {"timeouts never", {{F, 0, R_TIMEOUT}, {F, 6, R_TIMEOUT}}, false, NULL, NULL},
    {"size never", {{B, 0, R_SIZE}}, false, NULL, NULL},
    {"spam content never", {{B, 0, R_SPAM}}, false, NULL, NULL},
    {"sender failures do not extend a streak",
     {{F, 0, R_FULL4}, {B, 1, R_SPAMHAUS}, {F, 2, R_FULL4}},
     false,
     NULL,
     NULL},
    {"delivery only", {{D, 0, R_OK}}, false, NULL, NULL},
};

static void test_rules(rb_scratch *sc)
{
    struct suppress_config cfg;
    suppress_config_default(&cfg);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct suppress_state st;
        memset(&st, 0, sizeof st);
        struct suppress_decision d;
        memset(&d, 0, sizeof d);
        bool any = false;
        for (size_t j = 0; j < 8 && cases[i].steps[j].reply; j++) {
            const struct step *s = &cases[i].steps[j];
            rb_verdict v;
            memset(&v, 0, sizeof v);
            if (s->reply[0])
                CHECK(rb_explain(sc, s->reply, strlen(s->reply), &v) == RB_OK, "%s: explain",
                      cases[i].name);
            char key[40];
            snprintf(key, sizeof key, "%032zx", j + 1);
            struct suppress_input in = {s->kind,
                                        v.reason,
                                        v.category,
                                        v.scope,
                                        v.remedy,
                                        v.permanent,
                                        T0 + (long long)(s->day * (double)DAY),
                                        key};
            suppress_apply(&cfg, &st, &in, &d);
            any |= d.suppress;
        }
        CHECK(d.suppress == cases[i].suppressed && any == cases[i].suppressed,
              "%s: suppressed %d (any %d), want %d", cases[i].name, d.suppress, any,
              cases[i].suppressed);
        if (cases[i].rule && d.suppress) {
            CHECK_STR(d.rule, cases[i].rule, cases[i].name);
            CHECK_STR(d.reason, cases[i].reason, cases[i].name);
            CHECK(d.keys[0] != '\0', "%s: no evidence keys", cases[i].name);
        }
    }
}

static void test_evidence(rb_scratch *sc)
{
    struct suppress_config cfg;
    suppress_config_default(&cfg);
    struct suppress_state st;
    memset(&st, 0, sizeof st);
    struct suppress_decision d;
    rb_verdict v;
    CHECK(rb_explain(sc, R_FULL4, strlen(R_FULL4), &v) == RB_OK, "explain");
    const char *keys[] = {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
                          "cccccccccccccccccccccccccccccccc"};
    for (int i = 0; i < 3; i++) {
        struct suppress_input in = {RB_EVENT_DEFERRED, v.reason,    v.category, v.scope,
                                    v.remedy,          v.permanent, T0 + i,     keys[i]};
        suppress_apply(&cfg, &st, &in, &d);
    }
    CHECK(d.suppress, "third mailbox-full suppresses");
    CHECK_STR(d.keys,
              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,"
              "cccccccccccccccccccccccccccccccc",
              "evidence keys");
    CHECK(suppress_state_empty(&st), "state cleared after suppression");

    /* a configured threshold of 5 */
    cfg.mailbox_full_repeats = 5;
    memset(&st, 0, sizeof st);
    int fired = 0;
    for (int i = 0; i < 5; i++) {
        struct suppress_input in = {RB_EVENT_DEFERRED, v.reason,    v.category, v.scope,
                                    v.remedy,          v.permanent, T0 + i,     keys[0]};
        suppress_apply(&cfg, &st, &in, &d);
        if (d.suppress && !fired)
            fired = i + 1;
    }
    CHECK_INT(fired, 5, "mailbox_full_repeats = 5");

    /* keys are capped at SUPPRESS_MAX_KEYS, oldest dropped */
    memset(&st, 0, sizeof st);
    cfg.mailbox_full_repeats = 1000;
    for (int i = 0; i < 20; i++) {
        char k[40];
        snprintf(k, sizeof k, "%032d", i);
        struct suppress_input in = {RB_EVENT_DEFERRED, v.reason,    v.category, v.scope,
                                    v.remedy,          v.permanent, T0 + i,     k};
        suppress_apply(&cfg, &st, &in, &d);
    }
    size_t commas = 0;
    for (const char *c = st.keys; *c; c++)
        commas += *c == ',';
    CHECK_INT(commas + 1, SUPPRESS_MAX_KEYS, "keys capped");
    CHECK(strstr(st.keys, "00000000000000000000000000000019") != NULL, "newest key kept");
    CHECK_INT(st.soft_count, 20, "soft count");
}

static const struct {
    const char *text;
    int ok;
    unsigned mbf, days, horizon;
    const char *err; /* substring of the error */
} configs[] = {
    {"", 1, 3, 5, 72, NULL},
    {"# comment\n\nmailbox_full_repeats = 4\nsoft_bounce_days=7 # a week\n", 1, 4, 7, 72, NULL},
    {"retry_horizon_hours\t=\t96\r\n", 1, 3, 5, 96, NULL},
    {"mailbox_full_repeats = 0\n", 0, 0, 0, 0, "out of range"},
    {"mailbox_full_repeats = three\n", 0, 0, 0, 0, "not a number"},
    {"soft_bounce_days\n", 0, 0, 0, 0, "line 1"},
    {"\nfoo = 1\n", 0, 0, 0, 0, "line 2: unknown key 'foo'"},
    {"soft_bounce_days = 99999999999\n", 0, 0, 0, 0, "expected a number"},
    {"soft_bounce_days = \n", 0, 0, 0, 0, "expected a number"},
};

static void test_config(void)
{
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        struct suppress_config cfg;
        suppress_config_default(&cfg);
        char err[256] = "";
        int rc =
            suppress_config_parse(&cfg, configs[i].text, strlen(configs[i].text), err, sizeof err);
        CHECK((rc == RB_OK) == configs[i].ok, "config %zu: rc %d (%s)", i, rc, err);
        if (configs[i].ok) {
            CHECK_INT(cfg.mailbox_full_repeats, configs[i].mbf, configs[i].text);
            CHECK_INT(cfg.soft_bounce_days, configs[i].days, configs[i].text);
            CHECK_INT(cfg.retry_horizon_hours, configs[i].horizon, configs[i].text);
        } else {
            CHECK(strstr(err, configs[i].err) != NULL, "config %zu: error '%s' lacks '%s'", i, err,
                  configs[i].err);
            CHECK_INT(cfg.mailbox_full_repeats, 3, "unchanged on error");
        }
    }
    struct suppress_config cfg;
    suppress_config_default(&cfg);
    char err[128];
    CHECK(suppress_config_parse(&cfg, "a\0b", 3, err, sizeof err) == RB_EPARSE, "NUL byte");
}

static const struct {
    const char *in;
    const char *norm; /* "" = nothing left */
    int valid;
} addrs[] = {
    {"Alice@Example.COM", "alice@example.com", 1},
    {"  <bob@example.org>\r\n", "bob@example.org", 1},
    {"mailto:Carol@example.net", "carol@example.net", 1},
    {"\"dave@example.com\"", "dave@example.com", 1},
    {"first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk", 1},
    {"user@[192.0.2.1]", "user@[192.0.2.1]", 1},
    {"plainaddress", "plainaddress", 0},
    {"@example.com", "@example.com", 0},
    {"user@", "user@", 0},
    {"user@localhost", "user@localhost", 0},
    {"user@-bad.com", "user@-bad.com", 0},
    {"user@bad-.com", "user@bad-.com", 0},
    {"us er@example.com", "us er@example.com", 0},
    {".user@example.com", ".user@example.com", 0},
    {"user..x@example.com", "user..x@example.com", 0},
    {"user@example..com", "user@example..com", 0},
    {"a@b@example.com", "a@b@example.com", 0},
    {"   ", "", 0},
    {"<>", "", 0},
};

static void test_addresses(void)
{
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        char out[SUPPRESS_MAX_ADDRESS];
        size_t n = suppress_normalize(addrs[i].in, strlen(addrs[i].in), out, sizeof out);
        const char *got = n ? out : "";
        CHECK_STR(got, addrs[i].norm, addrs[i].in);
        CHECK((n && suppress_valid_syntax(out, n)) == (addrs[i].valid != 0), "valid(%s) != %d",
              addrs[i].in, addrs[i].valid);
    }
    char big[400];
    memset(big, 'a', sizeof big);
    char out[SUPPRESS_MAX_ADDRESS];
    CHECK_INT(suppress_normalize(big, sizeof big, out, sizeof out), 0, "too long");
}

int main(void)
{
    rb_classifier *c;
    rb_scratch *sc;
    if (rb_classifier_new(&c, NULL) != RB_OK || rb_scratch_new(c, &sc) != RB_OK) {
        fprintf(stderr, "cannot load the classifier\n");
        return 1;
    }
    test_rules(sc);
    test_evidence(sc);
    test_config();
    test_addresses();
    rb_scratch_free(sc);
    rb_classifier_free(c);
    return harness_done();
}
