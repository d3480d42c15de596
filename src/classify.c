/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * classify.c - the classifier for one reply: codes + text + evidence -> verdict.
 *
 * DESCRIPTION
 *   rb_classify() parses the reply (reply.c), scans the unfolded text once with the rule
 *   database (match.h), and decides:
 *     1. Among matched rules whose code constraints hold, the one with the highest prio
 *        decides the reason (ties: an exact documented code beats a class match, then the
 *        earlier rule). Tag-only rules add auth mechanisms, a blocklist, a provider.
 *     2. The status map (enhanced code, then basic code) competes at its own prio: a precise
 *        code like 5.1.1 beats a weak phrase; a generic 5.7.1 loses to any phrase.
 *     3. A dialect's hint (rb_input.hint) competes at HINT_PRIO.
 *   Category, scope and remedy come from the rule, else the reason's and category's
 *   defaults (data/reasons.tsv, data/categories.tsv).
 *
 *   Safety invariant: suppress-recipient is only ever returned for a permanent failure
 *   whose scope is the recipient. A reply about the sender (policy, reputation, blocklist,
 *   authentication, rate) can never suppress a recipient, whatever the rules say.
 *
 * LIMITS
 *   At most MAX_MATCHES matched rules are considered per reply (the rest are ignored,
 *   which only happens for texts that stack hundreds of phrases).
 */
#include <string.h>

#include "buf.h"
#include "match.h"
#include "mem.h"
#include "reply.h"
#include "rules.h"
#include "slice.h"
#include "bounce.h"

#define MAX_MATCHES 256
#define HINT_PRIO 65

struct rb_classifier {
    const rb_mem *mem;
    struct matcher *matcher;
};

struct rb_scratch {
    const rb_classifier *c;
    struct matcher_scratch *ms;
    struct buf text;
    unsigned ids[MAX_MATCHES];
};

int rb_classifier_new(rb_classifier **out, const rb_mem *mem)
{
    *out = NULL;
    rb_classifier *c = mem_calloc(mem, 1, sizeof *c);
    if (!c)
        return RB_ENOMEM;
    c->mem = mem;
    int rc = matcher_open(&c->matcher, mem);
    if (rc != RB_OK) {
        mem_free(mem, c);
        return rc;
    }
    *out = c;
    return RB_OK;
}

rb_classifier *rb_classifier_free(rb_classifier *c)
{
    if (c) {
        matcher_close(c->matcher);
        mem_free(c->mem, c);
    }
    return NULL;
}

size_t rb_classifier_rule_count(const rb_classifier *c)
{
    (void)c;
    return rules_count;
}

int rb_scratch_new(const rb_classifier *c, rb_scratch **out)
{
    *out = NULL;
    rb_scratch *s = mem_calloc(c->mem, 1, sizeof *s);
    if (!s)
        return RB_ENOMEM;
    s->c = c;
    buf_init(&s->text, RB_MAX_REPLY_TEXT + 16, c->mem);
    int rc = matcher_scratch_new(c->matcher, &s->ms);
    if (rc != RB_OK) {
        mem_free(c->mem, s);
        return rc;
    }
    *out = s;
    return RB_OK;
}

rb_scratch *rb_scratch_free(rb_scratch *s)
{
    if (s) {
        matcher_scratch_free(s->ms);
        buf_free(&s->text);
        mem_free(s->c->mem, s);
    }
    return NULL;
}

int rb_parse_reply(rb_scratch *s, const char *text, size_t len, rb_reply *out)
{
    return reply_parse(text ? text : "", text ? len : 0, &s->text, out);
}

/* reply_ok - does the basic-code constraint of r hold for code (0 = unknown)? */
static int reply_ok(const struct rule *r, int code)
{
    if (!r->reply[0])
        return 1;
    if (!code)
        return !r->reply_required;
    char digits[4] = {(char)('0' + code / 100), (char)('0' + code / 10 % 10),
                      (char)('0' + code % 10), 0};
    return strncmp(digits, r->reply, strlen(r->reply)) == 0;
}

/* status_ok - does the enhanced-code constraint of r hold? */
static int status_ok(const struct rule *r, const rb_reply *rp)
{
    if (r->st_class < 0 && r->st_subject < 0 && r->st_detail < 0)
        return 1;
    if (!rp->status_class)
        return !r->status_required;
    if (r->st_class >= 0 && r->st_class != rp->status_class)
        return 0;
    if (r->st_subject >= 0 && r->st_subject != rp->status_subject)
        return 0;
    if (r->st_detail >= 0 && r->st_detail != rp->status_detail)
        return 0;
    return 1;
}

/* class_of - the failure class claimed. An SMTP client acts on the basic reply code (the
 * enhanced code only refines it, RFC 3463), so "550 4.4.7" is permanent; but a DSN's
 * Status: field (dsn_status) is the reporting MTA's final word on the recipient. */
static int class_of(const rb_reply *rp, int dsn_status)
{
    if (dsn_status && rp->status_class)
        return rp->status_class;
    if (rp->replycode)
        return rp->replycode / 100;
    return rp->status_class;
}

/* status_map_find - best status-map entry for the reply's enhanced code (its own class
 * first, then an entry for either class), or NULL. */
static const struct status_map *status_map_find(const rb_reply *rp)
{
    if (!rp->status_class || status_map_count == 0)
        return NULL;
    unsigned mask = (1u << status_map_bits) - 1;
    for (int pass = 0; pass < 2; pass++) {
        int cls = pass == 0 ? rp->status_class : 0;
        unsigned h = status_map_slot(cls, rp->status_subject, rp->status_detail);
        for (unsigned e; (e = status_map_index[h]) != 0; h = (h + 1) & mask) {
            const struct status_map *m = &status_map_table[e - 1];
            if (m->cls == cls && m->subject == rp->status_subject && m->detail == rp->status_detail)
                return m;
        }
    }
    return NULL;
}

static int is_ip_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || c == '.' || c == ':' || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

/* find_listed - the IP address (or, failing that, nothing) a blocklist text names. */
static void find_listed(const char *p, size_t len, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!(c >= '0' && c <= '9') && c != ':' && !(c >= 'a' && c <= 'f') &&
            !(c >= 'A' && c <= 'F'))
            continue;
        if (i > 0 && (is_ip_char((unsigned char)p[i - 1]) ||
                      ((unsigned char)p[i - 1] >= 'g' && (unsigned char)p[i - 1] <= 'z') ||
                      p[i - 1] == '-' || p[i - 1] == '_'))
            continue;
        size_t j = i;
        int dots = 0, colons = 0, ok = 1;
        while (j < len && is_ip_char((unsigned char)p[j])) {
            if (p[j] == '.')
                dots++;
            if (p[j] == ':')
                colons++;
            j++;
        }
        while (j > i && (p[j - 1] == '.' || p[j - 1] == ':')) {
            if (p[j - 1] == '.')
                dots--;
            else
                colons--;
            j--;
        }
        size_t n = j - i;
        if (dots == 3 && colons == 0) {
            /* IPv4: four decimal groups of 1-3 digits */
            int groups = 0, digits = 0;
            for (size_t k = i; k < j && ok; k++) {
                if (p[k] == '.') {
                    ok = digits >= 1 && digits <= 3;
                    groups++, digits = 0;
                } else if (p[k] >= '0' && p[k] <= '9') {
                    digits++;
                } else {
                    ok = 0;
                }
            }
            ok = ok && groups == 3 && digits >= 1 && digits <= 3;
        } else {
            ok = colons >= 2 && dots == 0 && n >= 6;
        }
        if (ok && j < len &&
            (p[j] == '@' || ((unsigned char)p[j] >= 'g' && (unsigned char)p[j] <= 'z')))
            ok = 0;
        if (ok && n < cap) {
            memcpy(out, p + i, n);
            out[n] = '\0';
            return;
        }
        i = j;
    }
}

/* Characters of a host-name token: letters, digits, '-' and '.'. */
static int is_host_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
}

/* provider_from_host - provider id for a host name (host, n) by suffix, or NULL. The host
 * is lower-cased once into a bounded copy; the suffix table is lower case. Only rows whose
 * last two labels hash like the host's are compared (one integer test per row instead of
 * a memcmp), and the longest matching suffix wins, so ".olc.protection.outlook.com"
 * (Outlook.com) beats ".protection.outlook.com" (Microsoft 365) whatever the table order. */
static const char *provider_from_host(const char *host, size_t n)
{
    char low[256];
    while (n && host[n - 1] == '.')
        n--;
    if (n < 3 || n > sizeof low)
        return NULL;
    size_t dots = 0, last2 = 0;
    for (size_t i = n; i-- > 0;) {
        unsigned char c = (unsigned char)host[i];
        low[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        if (c == '.' && ++dots == 2 && !last2)
            last2 = i + 1;
    }
    if (dots == 0)
        return NULL;
    uint32_t key = 2166136261u;
    for (size_t i = last2; i < n; i++)
        key = (key ^ (unsigned char)low[i]) * 16777619u;
    const struct provider_host *best = NULL;
    for (size_t k = 0; k < provider_host_count; k++) {
        const struct provider_host *h = &provider_host_table[k];
        if (h->last2 != key || h->len > n || (best && h->len <= best->len))
            continue;
        const char *tail = low + n - h->len;
        if (memcmp(tail, h->suffix, h->len) == 0 && (h->len == n || tail[-1] == '.'))
            best = h;
    }
    return best ? best->provider : NULL;
}

/* provider_from_text - a provider named by a host name in the reply ("resimta-po-12v.sys.
 * comcast.net", "https://community.mimecast.com/..."); addresses (after '@') are skipped,
 * since the sender's own address may appear in a reply. Every suffix in the table ends in
 * an alphabetic label (tools/gen_tables.py checks), so only tokens with a dot followed by a
 * letter are looked at (memchr finds the dots): not every word, code or IP address. */
static const char *provider_from_text(const char *p, size_t n)
{
    const char *end = p + n;
    const char *q = p;
    while (q < end && (q = memchr(q, '.', (size_t)(end - q))) != NULL) {
        if (q + 1 >= end || ((unsigned char)q[1] | 32) < 'a' || ((unsigned char)q[1] | 32) > 'z') {
            q++;
            continue;
        }
        const char *s = q, *e = q + 1;
        while (s > p && is_host_char((unsigned char)s[-1]))
            s--;
        while (e < end && is_host_char((unsigned char)*e))
            e++;
        if (e - s > 4 && !(s > p && s[-1] == '@') && !(e < end && *e == '@')) {
            const char *prov = provider_from_host(s, (size_t)(e - s));
            if (prov)
                return prov;
        }
        q = e; /* the next dot after this token */
    }
    return NULL;
}

int rb_explain(rb_scratch *s, const char *text, size_t len, rb_verdict *out)
{
    rb_input in;
    memset(&in, 0, sizeof in);
    in.text = text;
    in.text_len = len;
    return rb_classify(s, &in, out);
}

/* finish_verdict - scope, remedy and hard-bounce flag of a verdict whose reason, category
 * and permanence are set; rule_scope/rule_remedy are the deciding rule's (__COUNT: the
 * reason's and category's defaults). Enforces the safety invariant. */
static void finish_verdict(rb_verdict *out, rb_scope rule_scope, rb_remedy rule_remedy)
{
    if (rule_scope == RB_SCOPE__COUNT)
        rule_scope = reason_table[out->reason].scope;
    if (rule_remedy == RB_REMEDY__COUNT)
        rule_remedy = reason_table[out->reason].remedy;
    /* A permanent reputation refusal that names a list is a listing: delisting is the fix. */
    if (out->category == RB_CAT_REPUTATION && out->blocklist && out->permanent) {
        out->category = RB_CAT_BLOCKLIST;
        rule_remedy = RB_REMEDY__COUNT;
    }
    const struct category_info *ci = &category_table[out->category];
    out->scope = rule_scope != RB_SCOPE__COUNT ? rule_scope : ci->scope;
    out->remedy = rule_remedy != RB_REMEDY__COUNT
                      ? rule_remedy
                      : (out->permanent ? ci->remedy_permanent : ci->remedy_transient);
    /* a transient address failure is retried, whatever the rule's remedy says */
    if (!out->permanent && out->category == RB_CAT_ADDRESS)
        out->remedy = RB_REMEDY_RETRY_LATER;
    /* the safety invariant (see the file comment) */
    if (out->remedy == RB_REMEDY_SUPPRESS_RECIPIENT &&
        (out->scope != RB_SCOPE_RECIPIENT ||
         (!out->permanent && out->category != RB_CAT_COMPLAINT)))
        out->remedy = out->permanent ? RB_REMEDY_CONTACT_RECEIVER : RB_REMEDY_RETRY_LATER;

    int hard = reason_table[out->reason].hard;
    out->hardbounce = hard == 1 || (hard == 2 && out->permanent);
}

const char *classify_host_provider(const char *host, size_t n)
{
    return host ? provider_from_host(host, n) : NULL;
}

/* How MTAs word RFC 3463's 4.4.1 "no answer from host" (errno ETIMEDOUT, as Postfix,
 * Exim, sendmail and Exchange print it). */
static const char *const no_answer_texts[] = {"connection timed out", "connection timeout"};

int classify_code_prio(const rb_reply *rp)
{
    const struct status_map *sm = status_map_find(rp);
    int prio = sm ? sm->prio : 0;
    if (rp->replycode >= 200 && rp->replycode < 600 &&
        basic_map_table[rp->replycode - 200].prio > prio)
        prio = basic_map_table[rp->replycode - 200].prio;
    return prio;
}

void classify_recast(rb_verdict *v, rb_reason reason, const char *rule)
{
    if (reason >= RB_REASON__COUNT)
        return;
    v->reason = reason;
    v->category = reason_table[reason].category;
    v->rule = rule;
    v->provider_meaning = NULL;
    finish_verdict(v, RB_SCOPE__COUNT, RB_REMEDY__COUNT);
}

int rb_classify(rb_scratch *s, const rb_input *in, rb_verdict *out)
{
    memset(out, 0, sizeof *out);
    rb_reply *rp = &out->reply;
    int rc = reply_parse_nocmd(in->text ? in->text : "", in->text ? in->text_len : 0, &s->text, rp);
    if (rc != RB_OK)
        return rc;

    /* Evidence from outside the text: a DSN Status: field is authoritative, except that a
     * generic X.0.0 yields to a precise code of the same class found in the text. */
    if (in->status && in->status[0]) {
        int c, sj, d;
        if (reply_parse_status(in->status, strlen(in->status), &c, &sj, &d)) {
            /* the remote server's own code in the diagnostic is more precise than the
             * reporting MTA's summary when it names a subject and a detail (4.7.1 beside a
             * Status: 4.4.7), as Sisimai 5 reads reports; a generic X.0.0 in the text never
             * overrides */
            int text_precise = rp->status_class && rp->status_subject && rp->status_detail;
            int same_class_generic = rp->status_class == c &&
                                     (rp->status_subject || rp->status_detail) && sj == 0 && d == 0;
            if (!(text_precise || same_class_generic)) {
                size_t n = strlen(in->status);
                memcpy(rp->status, in->status, n + 1);
                rp->status_class = c, rp->status_subject = sj, rp->status_detail = d;
            }
        }
    }
    if (in->replycode >= 200 && in->replycode <= 599 && !rp->replycode)
        rp->replycode = in->replycode;
    if (in->command && in->command[0] && !rp->command[0]) {
        size_t n = strlen(in->command);
        if (n < sizeof rp->command)
            memcpy(rp->command, in->command, n + 1);
    }
    rp->flags &= ~(unsigned)RB_REPLY_CODE_MISMATCH;
    if (rp->replycode && rp->status_class && rp->replycode / 100 != rp->status_class)
        rp->flags |= RB_REPLY_CODE_MISMATCH;

    size_t n = 0;
    int overflow = 0;
    rc = matcher_scan(s->c->matcher, s->ms, rp->text, rp->text_len, s->ids, MAX_MATCHES, &n,
                      &overflow);
    if (rc != RB_OK)
        return rc;

    const struct rule *best = NULL;
    const struct rule *cmd = NULL;
    int best_score = -1;
    int prov_prio = -1, bl_prio = -1;
    for (size_t k = 0; k < n; k++) {
        unsigned id = s->ids[k];
        if (id >= rules_count)
            continue;
        const struct rule *r = &rules_table[id];
        if (r->command) {
            if (!cmd || r < cmd)
                cmd = r; /* the first command phrase in file order */
            continue;
        }
        if (!reply_ok(r, rp->replycode) || !status_ok(r, rp))
            continue;
        out->auth |= r->auth;
        if (r->blocklist && r->prio > bl_prio) {
            out->blocklist = r->blocklist;
            bl_prio = r->prio;
        }
        if (r->provider && r->prio > prov_prio) {
            out->provider = r->provider;
            prov_prio = r->prio;
        }
        if (r->reason == RB_REASON__COUNT)
            continue;
        int score = r->prio * 4;
        if (r->bonus_status[0] && strcmp(r->bonus_status, rp->status) == 0)
            score += 2;
        if (r->bonus_reply[0] && rp->replycode && r->bonus_reply[0] - '0' == rp->replycode / 100 &&
            (r->bonus_reply[1] - '0') * 10 + (r->bonus_reply[2] - '0') == rp->replycode % 100)
            score += 1;
        /* ids arrive in match order, not rule order: break ties on the rule index */
        if (score > best_score || (score == best_score && best && r < best)) {
            best = r;
            best_score = score;
        }
    }

    if (cmd && !rp->command[0])
        memcpy(rp->command, cmd->command, strlen(cmd->command) + 1);

    rb_reason reason = RB_REASON_UNDEFINED;
    rb_category cat = RB_CAT__COUNT;
    int prio = 0;
    out->rule = "no-rule";
    if (best) {
        reason = best->reason;
        cat = best->category;
        prio = best->prio;
        out->rule = best->id;
        out->provider_meaning = best->meaning;
    }
    const struct status_map *sm = status_map_find(rp);
    if (sm && sm->prio > prio) {
        reason = sm->reason;
        cat = sm->category;
        prio = sm->prio;
        best = NULL;
        out->rule = "status-map";
        out->provider_meaning = NULL;
    }
    if (rp->replycode >= 200 && rp->replycode < 600) {
        const struct basic_map *bm = &basic_map_table[rp->replycode - 200];
        if (bm->prio > prio) {
            reason = bm->reason;
            cat = bm->category;
            prio = bm->prio;
            best = NULL;
            out->rule = "reply-code-map";
            out->provider_meaning = NULL;
        }
    }
    if (in->hint != RB_REASON_UNDEFINED && in->hint < RB_REASON__COUNT && HINT_PRIO > prio) {
        reason = in->hint;
        cat = RB_CAT__COUNT;
        prio = HINT_PRIO;
        best = NULL;
        out->rule = "dialect-hint";
        out->provider_meaning = NULL;
    }
    /* A report that gives up ("Action: failed") on a 4.4.1 (no answer from host), or on a
     * transient network error whose text says the same ("Connection timed out"), retried
     * until its queue lifetime ran out: the delivery expired. A 4.4.2 (bad connection: the
     * host answered, then dropped the session) stays a network error. */
    int no_answer = rp->status_subject == 4 && rp->status_detail == 1;
    if (!no_answer && reason == RB_REASON_NETWORKERROR && rp->status_class == 4)
        for (size_t k = 0; k < sizeof no_answer_texts / sizeof no_answer_texts[0]; k++)
            if (memmem_ci(rp->text, rp->text_len, no_answer_texts[k], strlen(no_answer_texts[k])))
                no_answer = 1;
    if (in->action && strcmp(in->action, "failed") == 0 && rp->status_class == 4 && no_answer &&
        prio < 70) {
        reason = RB_REASON_EXPIRED;
        cat = RB_CAT__COUNT;
        prio = 70;
        best = NULL;
        out->rule = "failed-after-retries";
        out->provider_meaning = NULL;
    }
    if (in->action && strcmp(in->action, "delivered") == 0 && !prio) {
        reason = RB_REASON_DELIVERED;
        out->rule = "action-delivered";
    }

    /* "User unknown" answered to DATA is no address verdict: the receiver accepted the
     * recipient at RCPT and then refused the message (per-recipient filters, notably at
     * Japanese carriers). Sisimai calls it filtered; suppressing would punish a valid
     * address. */
    if (reason == RB_REASON_USERUNKNOWN) {
        /* ... unless the status code itself says "bad destination mailbox" (X.1.1) */
        int by_status = sm && sm->reason == RB_REASON_USERUNKNOWN;
        if (strcmp(rp->command, "DATA") == 0 && !by_status) {
            reason = RB_REASON_FILTERED;
            cat = RB_CAT__COUNT;
            best = NULL;
            out->rule = "userunknown-after-data";
        }
    }
    /* "X-Unix; 255": a local delivery program's exit status, not an SMTP code */
    if (!prio && slice_eq_ci(slice_make(rp->diagtype, strlen(rp->diagtype)), "X-Unix")) {
        reason = RB_REASON_MAILERERROR;
        out->rule = "x-unix-exit";
    }
    int cls = class_of(rp, in->status && in->status[0]);
    out->permanent = cls == 5 || (cls == 0 && in->action && strcmp(in->action, "failed") == 0);
    /* No code and no DSN action: only an address-level text ("unknown user", "host not
     * found") is permanent by nature; anything else is treated as transient. */
    if (cls == 0 && !(in->action && in->action[0])) {
        rb_category c0 = cat != RB_CAT__COUNT ? cat : reason_table[reason].category;
        out->permanent = c0 == RB_CAT_ADDRESS;
    }
    out->reason = reason;
    out->category = cat != RB_CAT__COUNT ? cat : reason_table[reason].category;
    finish_verdict(out, best ? best->scope : RB_SCOPE__COUNT,
                   best ? best->remedy : RB_REMEDY__COUNT);
    if (out->category != RB_CAT_AUTHENTICATION)
        out->auth = 0;
    if (out->blocklist)
        find_listed(rp->text, rp->text_len, out->listed, sizeof out->listed);
    if (!out->provider && in->rhost && in->rhost[0])
        out->provider = provider_from_host(in->rhost, strlen(in->rhost));
    if (!out->provider)
        out->provider = provider_from_text(rp->text, rp->text_len);

    if (prio >= 80)
        out->confidence = 90;
    else if (prio >= 60)
        out->confidence = 60 + (prio - 60);
    else if (prio > 0)
        out->confidence = 30 + prio / 2;
    else
        out->confidence = rp->status_class || rp->replycode ? 20 : 5;
    if (overflow && out->confidence > 10)
        out->confidence -= 10;
    return RB_OK;
}
