/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rebound.h - public API of librebound, the bounce analyzer library.
 *
 * DESCRIPTION
 *   librebound turns SMTP replies and bounce messages into decisions: what failed, whose
 *   problem it is, and what the sender should do. This is the only installed header.
 *
 *   Threading: an rb_classifier is immutable after rb_classifier_new() and may be shared by
 *   any number of threads. Each thread needs its own rb_scratch (buffers and matcher
 *   scratch space). The library keeps no global mutable state.
 *
 *   Ownership: strings in result structs are either static (names from the catalog) or
 *   borrowed from the rb_scratch that produced them and valid until the next call that uses
 *   that scratch. Nothing in a result needs to be freed.
 *
 *   Errors: fallible calls return RB_OK (0) or a negative RB_E* code; rb_strerror() names it.
 *   The library never prints and never exits.
 *
 * SEE ALSO
 *   docs/classification.md for the reason/category/remedy vocabulary.
 */
#ifndef REBOUND_H
#define REBOUND_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RB_API __attribute__((visibility("default")))
#else
#define RB_API
#endif

#define RB_VERSION "0.1.0"

/* Error codes. */
enum {
    RB_OK = 0,
    RB_ENOMEM = -1,   /* allocation failed */
    RB_EINVAL = -2,   /* bad argument */
    RB_ETOOBIG = -3,  /* input or result beyond a documented limit */
    RB_EIO = -4,      /* read or write failed */
    RB_EMATCHER = -5, /* pattern database could not be loaded or scanned */
    RB_EPARSE = -6,   /* input is not in the expected format */
};

/* rb_strerror - static description of an RB_E* code; never NULL. */
RB_API const char *rb_strerror(int err);

/* rb_version - library version string (static). */
RB_API const char *rb_version(void);

/* Injectable allocator (tests use it to fail the Nth allocation). NULL means libc. */
typedef struct rb_mem {
    void *(*malloc)(size_t size, void *ud);
    void *(*realloc)(void *ptr, size_t size, void *ud);
    void (*free)(void *ptr, void *ud);
    void *ud;
} rb_mem;

/* ---- Vocabulary --------------------------------------------------------------------- */

/* Bounce reason, in Sisimai's taxonomy so results compare with the de facto standard. */
typedef enum rb_reason {
    RB_REASON_UNDEFINED = 0,
    RB_REASON_AUTHFAILURE,
    RB_REASON_BADREPUTATION,
    RB_REASON_BLOCKED,
    RB_REASON_CONTENTERROR,
    RB_REASON_DELIVERED,
    RB_REASON_EXCEEDLIMIT,
    RB_REASON_EXPIRED,
    RB_REASON_FAILEDSTARTTLS,
    RB_REASON_FEEDBACK,
    RB_REASON_FILTERED,
    RB_REASON_HASMOVED,
    RB_REASON_HOSTUNKNOWN,
    RB_REASON_MAILBOXFULL,
    RB_REASON_MAILERERROR,
    RB_REASON_MESGTOOBIG,
    RB_REASON_NETWORKERROR,
    RB_REASON_NORELAYING,
    RB_REASON_NOTACCEPT,
    RB_REASON_NOTCOMPLIANTRFC,
    RB_REASON_ONHOLD,
    RB_REASON_POLICYVIOLATION,
    RB_REASON_REJECTED,
    RB_REASON_REQUIREPTR,
    RB_REASON_SECURITYERROR,
    RB_REASON_SPAMDETECTED,
    RB_REASON_SPEEDING,
    RB_REASON_SUSPEND,
    RB_REASON_SYNTAXERROR,
    RB_REASON_SYSTEMERROR,
    RB_REASON_SYSTEMFULL,
    RB_REASON_TOOMANYCONN,
    RB_REASON_USERUNKNOWN,
    RB_REASON_VACATION,
    RB_REASON_VIRUSDETECTED,
    RB_REASON__COUNT
} rb_reason;

/* Operator category: what kind of problem, at the level an operator acts on. */
typedef enum rb_category {
    RB_CAT_UNKNOWN = 0,
    RB_CAT_ADDRESS,
    RB_CAT_MAILBOX,
    RB_CAT_GREYLISTING,
    RB_CAT_RATE_LIMIT,
    RB_CAT_REPUTATION,
    RB_CAT_BLOCKLIST,
    RB_CAT_AUTHENTICATION,
    RB_CAT_CONTENT,
    RB_CAT_VIRUS,
    RB_CAT_SIZE,
    RB_CAT_POLICY,
    RB_CAT_ROUTING,
    RB_CAT_PROTOCOL,
    RB_CAT_NETWORK,
    RB_CAT_RECEIVER,
    RB_CAT_EXPIRED,
    RB_CAT_AUTO_REPLY,
    RB_CAT_COMPLAINT,
    RB_CAT_DELIVERED,
    RB_CAT__COUNT
} rb_category;

/* Whose problem it is. */
typedef enum rb_scope {
    RB_SCOPE_UNKNOWN = 0,
    RB_SCOPE_RECIPIENT,
    RB_SCOPE_SENDER,
    RB_SCOPE_MESSAGE,
    RB_SCOPE_RECEIVER,
    RB_SCOPE_NETWORK,
    RB_SCOPE__COUNT
} rb_scope;

/* What the sender should do. Only address-level failures ever yield SUPPRESS_RECIPIENT. */
typedef enum rb_remedy {
    RB_REMEDY_NONE = 0,
    RB_REMEDY_SUPPRESS_RECIPIENT,
    RB_REMEDY_RETRY_LATER,
    RB_REMEDY_SLOW_DOWN,
    RB_REMEDY_FIX_AUTHENTICATION,
    RB_REMEDY_CHECK_BLOCKLIST,
    RB_REMEDY_FIX_CONTENT,
    RB_REMEDY_SHRINK_MESSAGE,
    RB_REMEDY_FIX_ADDRESS_SYNTAX,
    RB_REMEDY_FIX_SENDING_CONFIG,
    RB_REMEDY_CONTACT_RECEIVER,
    RB_REMEDY__COUNT
} rb_remedy;

/* Authentication mechanisms named by a reply (bit set). */
enum {
    RB_AUTH_SPF = 1u << 0,
    RB_AUTH_DKIM = 1u << 1,
    RB_AUTH_DMARC = 1u << 2,
    RB_AUTH_PTR = 1u << 3, /* reverse DNS / forward-confirmed rDNS */
    RB_AUTH_TLS = 1u << 4,
    RB_AUTH_SMTP_AUTH = 1u << 5, /* client authentication (submission) */
    RB_AUTH_ALIGNMENT = 1u << 6, /* From domain not aligned with SPF/DKIM domain */
};

/* Reply parser flags (rb_reply.flags). */
enum {
    RB_REPLY_CODE_MISMATCH = 1u << 0, /* basic and enhanced class disagree (550 with 4.x.x) */
    RB_REPLY_TRUNCATED = 1u << 1,     /* text longer than RB_MAX_REPLY_TEXT; tail ignored */
    RB_REPLY_MULTILINE = 1u << 2,     /* continuation lines were joined */
    RB_REPLY_BINARY = 1u << 3,        /* control or NUL bytes were replaced */
};

/* Longest reply text kept after unfolding; longer input is cut and flagged. */
#define RB_MAX_REPLY_TEXT 65536

/* rb_reason_name etc. - lower-case names used in JSON and TSV; static, never NULL. */
RB_API const char *rb_reason_name(rb_reason r);
RB_API const char *rb_category_name(rb_category c);
RB_API const char *rb_scope_name(rb_scope s);
RB_API const char *rb_remedy_name(rb_remedy r);
/* rb_auth_names - writes "spf,dkim"-style names of the set bits into buf (always
 * NUL-terminated when size > 0); returns buf. */
RB_API const char *rb_auth_names(unsigned auth, char *buf, size_t size);
/* rb_reason_from_name - inverse of rb_reason_name; RB_REASON__COUNT if unknown. */
RB_API rb_reason rb_reason_from_name(const char *name, size_t len);

/* ---- Reply parsing ------------------------------------------------------------------ */

/* A parsed SMTP reply. Text pointers are borrowed (see rb_parse_reply / rb_explain). */
typedef struct rb_reply {
    int replycode;      /* basic reply code (RFC 5321), 0 if none */
    int status_class;   /* enhanced status class 2/4/5, 0 if none */
    int status_subject; /* 0..999 */
    int status_detail;  /* 0..999 */
    char status[16];    /* "5.7.26", "" if none */
    char token[32];     /* provider reason token: TSS04, S3150, AUP#CXBL, HL:REP, "" */
    char command[16];   /* SMTP command the reply answered: RCPT, DATA, MAIL, "" */
    char diagtype[16];  /* Diagnostic-Code type: SMTP, X-Postfix, X-Unix, "" */
    const char *text;   /* unfolded reply text with codes kept, whitespace collapsed */
    size_t text_len;
    unsigned flags; /* RB_REPLY_* */
} rb_reply;

/* ---- Classifier --------------------------------------------------------------------- */

typedef struct rb_classifier rb_classifier; /* immutable, shareable across threads */
typedef struct rb_scratch rb_scratch;       /* per thread */

/* rb_classifier_new - load the compiled rule database; caller frees with
 * rb_classifier_free. mem may be NULL. Returns RB_OK or RB_ENOMEM / RB_EMATCHER. */
RB_API int rb_classifier_new(rb_classifier **out, const rb_mem *mem);
/* rb_classifier_free - NULL-safe; returns NULL. Free all scratches first. */
RB_API rb_classifier *rb_classifier_free(rb_classifier *c);
/* rb_classifier_rule_count - number of text rules compiled in. */
RB_API size_t rb_classifier_rule_count(const rb_classifier *c);

/* rb_scratch_new - per-thread working memory for c; caller frees with rb_scratch_free. */
RB_API int rb_scratch_new(const rb_classifier *c, rb_scratch **out);
RB_API rb_scratch *rb_scratch_free(rb_scratch *s);

/* What is known about one failure. Only text is required; the rest refine the verdict
 * (a DSN's Status: field, the remote MTA, a dialect's own reason). */
typedef struct rb_input {
    const char *text; /* reply / diagnostic text, need not be NUL-terminated */
    size_t text_len;
    const char *status;  /* enhanced status from a Status: field, NUL-terminated, or NULL */
    int replycode;       /* basic code known from elsewhere, 0 if none */
    const char *rhost;   /* remote host name (for provider detection), or NULL */
    const char *action;  /* DSN Action: failed/delayed/delivered/relayed/expanded, or NULL */
    rb_reason hint;      /* reason a dialect already determined, RB_REASON_UNDEFINED if none */
    const char *command; /* SMTP command the reply answered (RCPT, DATA ...), or NULL */
} rb_input;

/* The classifier's verdict on one reply. */
typedef struct rb_verdict {
    rb_reply reply; /* parsed codes and unfolded text (borrowed from the scratch) */
    rb_reason reason;
    rb_category category;
    rb_scope scope;
    rb_remedy remedy;
    bool permanent;        /* what the server claimed: 5xx / 5.x.x */
    bool hardbounce;       /* Sisimai's meaning: permanent address-level failure */
    unsigned auth;         /* RB_AUTH_* named by the text when the category is authentication */
    const char *provider;  /* receiving provider id (google, microsoft365, yahoo ...), or NULL */
    const char *blocklist; /* blocklist named (spamhaus-sbl, barracuda ...), or NULL */
    char listed[64];       /* IP or domain the blocklist text names, "" if none */
    int confidence;        /* 0..100 */
    const char *rule;      /* id of the deciding rule (static) */
    const char *provider_meaning; /* provider's documented meaning of this reply, or NULL */
} rb_verdict;

/* rb_explain - parse and classify one reply (any text that contains one); fills *out.
 * Returns RB_OK, or RB_EMATCHER if the scan failed. Borrowed pointers in *out stay valid
 * until the next call with s. */
RB_API int rb_explain(rb_scratch *s, const char *text, size_t len, rb_verdict *out);

/* rb_classify - like rb_explain with extra evidence (see rb_input). */
RB_API int rb_classify(rb_scratch *s, const rb_input *in, rb_verdict *out);

/* rb_parse_reply - parse codes and unfold text without classifying. The unfolded text is
 * written into s and valid until the next call with s. */
RB_API int rb_parse_reply(rb_scratch *s, const char *text, size_t len, rb_reply *out);

/* ---- Code catalog ------------------------------------------------------------------- */

/* Meaning of an enhanced status code, from the catalog compiled from data/. */
typedef struct rb_status_info {
    const char *class_title;   /* "Permanent Failure" */
    const char *subject_title; /* "Mailbox Status" */
    const char *detail_title;  /* IANA sample text for the detail code, or NULL */
    const char *meaning;       /* our description of the most specific known level */
    const char *action;        /* what the sender should do */
} rb_status_info;

/* rb_status_lookup - describe class.subject.detail; returns false if the class is unknown.
 * All strings are static. */
RB_API bool rb_status_lookup(int cls, int subject, int detail, rb_status_info *out);

/* Meaning of a basic reply code. */
typedef struct rb_replycode_info {
    const char *text;         /* RFC sample text, or NULL for codes not in the catalog */
    const char *meaning;      /* our description (falls back to the digit meanings) */
    const char *first_digit;  /* meaning of the first digit */
    const char *second_digit; /* meaning of the second digit */
    bool transient;           /* 4yz */
} rb_replycode_info;

/* rb_replycode_lookup - describe a 3-digit reply code; false if out of range. */
RB_API bool rb_replycode_lookup(int code, rb_replycode_info *out);

/* Provider code catalog entry (data/provider-codes.tsv). */
typedef struct rb_provider_code {
    const char *provider;  /* id, e.g. "google" */
    const char *replycode; /* as documented, "" if not stated */
    const char *status;    /* as documented, "" if not stated */
    const char *pattern;   /* distinctive text */
    const char *meaning;
    const char *cause; /* cause_category */
    const char *token; /* provider's own code, "" if none */
} rb_provider_code;

/* rb_provider_codes - the compiled provider catalog (static); count in *n. */
RB_API const rb_provider_code *rb_provider_codes(size_t *n);

/* ---- Bounce messages ---------------------------------------------------------------- */

typedef struct rb_parser rb_parser; /* per thread: MIME parts, buffers, a classifier scratch */

/* rb_parser_new - decoder of bounce messages using c; caller frees with rb_parser_free. */
RB_API int rb_parser_new(const rb_classifier *c, rb_parser **out);
/* rb_parser_free - NULL-safe; returns NULL. */
RB_API rb_parser *rb_parser_free(rb_parser *p);

/* Message-level defects reported on records (rb_record.defects). */
enum {
    RB_DEFECT_MIME = 1u << 0,      /* broken MIME structure (missing boundary, truncation) */
    RB_DEFECT_TRUNCATED = 1u << 1, /* the message was cut at a size limit */
    RB_DEFECT_NO_DIAG = 1u << 2,   /* no diagnostic text found for the recipient */
    RB_DEFECT_LIMIT = 1u << 3,     /* a recipient or size limit was hit; data dropped */
    RB_DEFECT_HIDDEN = 1u << 4,    /* MIME nesting or part limits hid parts of the message */
};

/* One failed (or reported) recipient of a bounce. All strings are NUL-terminated, never
 * NULL ("" when unknown), owned by the parser and valid until the callback returns. */
typedef struct rb_record {
    const char *recipient;      /* the address that bounced */
    const char *addresser;      /* the original sender (From of the returned message) */
    const char *senderdomain;   /* domain of addresser */
    const char *destination;    /* domain of recipient */
    long long timestamp;        /* Unix time of the failure (0 if unknown) */
    int timezoneoffset;         /* seconds east of UTC of that date */
    const char *diagnosticcode; /* the diagnostic text, unfolded */
    const char *action;         /* failed, delayed, delivered, ... */
    const char *lhost;          /* the reporting (local) MTA */
    const char *rhost;          /* the remote MTA that refused */
    const char *smtpagent;      /* dialect that decoded it: RFC3464, Postfix, Exim, ... */
    const char *messageid;      /* Message-ID of the original message */
    const char *subject;        /* Subject of the original message (UTF-8) */
    const char *listid;         /* List-Id of the original message */
    const char *feedbacktype;   /* ARF Feedback-Type (abuse, ...) */
    const char *dkim_domain;    /* d= of the original message's DKIM-Signature */
    const char *dkim_selector;  /* s= of it */
    rb_verdict verdict;         /* codes and classification */
    unsigned defects;           /* RB_DEFECT_* */
} rb_record;

/* rb_parser_defects - RB_DEFECT_* of the last message decoded (also when it gave no record:
 * a broken structure that hid every recipient is reported here). */
RB_API unsigned rb_parser_defects(const rb_parser *p);

/* Called once per record, in the order the bounce lists the recipients; a non-zero return
 * stops the decoding of this message and is returned by rb_parse_message. */
typedef int (*rb_record_cb)(const rb_record *r, void *ud);

/* rb_parse_message - decode one message held in memory (LF or CRLF line ends; convert
 * CR-only input first, as rb's message sources do). Calls cb for each record; a message
 * that is not a bounce yields none. Returns RB_OK, the callback's non-zero value, or
 * RB_ENOMEM. */
RB_API int rb_parse_message(rb_parser *p, const char *msg, size_t len, rb_record_cb cb, void *ud);

/* ---- Logs and events ---------------------------------------------------------------- */

/* What happened to one recipient, as a log line or an ESP event reports it. */
typedef enum rb_event_kind {
    RB_EVENT_UNKNOWN = 0,
    RB_EVENT_DELIVERED, /* accepted by the receiver (2xx, "sent", Delivery) */
    RB_EVENT_DEFERRED,  /* temporary failure; the sender will retry */
    RB_EVENT_BOUNCED,   /* permanent failure (5xx, hard or soft bounce event) */
    RB_EVENT_EXPIRED,   /* given up after retrying for too long */
    RB_EVENT_COMPLAINT, /* recipient marked the message as spam (ARF, FBL, ESP complaint) */
    RB_EVENT_DROPPED,   /* never attempted: the ESP or MTA suppressed or rejected it */
    RB_EVENT__COUNT
} rb_event_kind;

/* rb_event_kind_name - "delivered", "deferred", ...; static, never NULL. */
RB_API const char *rb_event_kind_name(rb_event_kind k);

/* One event. Strings are NUL-terminated, never NULL ("" when the source does not say),
 * owned by the rb_ingest and valid until the callback returns. */
typedef struct rb_event {
    rb_event_kind kind;
    const char *format;         /* reader that produced it: postfix, exim, ses, sendgrid ... */
    const char *recipient;      /* the address the event is about */
    const char *sender;         /* envelope sender or From of the message */
    const char *senderdomain;   /* domain of sender */
    const char *destination;    /* domain of recipient */
    const char *rhost;          /* receiving host name (relay=, H=, dsnMta, MX) */
    const char *rhost_ip;       /* its address, when given */
    const char *queueid;        /* MTA queue id / ESP message id */
    const char *messageid;      /* Message-ID header of the message */
    const char *event_id;       /* the source's own id of this event (sg_event_id ...), or "" */
    const char *campaign;       /* campaign/job key: PowerMTA jobId, SES tag, SendGrid category */
    const char *sending_ip;     /* the sender's outbound IP, when the source names it */
    const char *sending_domain; /* sending domain key when the source names one (else "") */
    const char *vmta;           /* PowerMTA virtual MTA / pool / IP pool name */
    const char *diagnosticcode; /* the receiver's reply or the source's failure text */
    const char *feedbacktype;   /* complaint type (abuse, ...) */
    long long timestamp;        /* Unix time (0 if unknown) */
    int timezoneoffset;         /* seconds east of UTC as written in the source */
    double delay;               /* seconds the message waited (Postfix delay=, Exim QT=), -1 */
    unsigned long line;         /* line number in the current input where the event ends */
    rb_verdict verdict;         /* codes and classification (reason delivered for deliveries) */
} rb_event;

typedef struct rb_ingest rb_ingest; /* per thread: reader state, buffers, a classifier scratch */

/* Options of a reader; zero-initialise and set what you need. */
typedef struct rb_ingest_opts {
    const char *format; /* NULL or "auto": detect per input (and per line in syslog streams);
                           else a name from rb_ingest_formats() */
    long long since;    /* drop events before this Unix time (0 = no bound) */
    long long until;    /* drop events at or after this Unix time (0 = no bound) */
    const char *map;    /* generic CSV column map: "recipient=Email,code=Bounce Code,..." */
    int year;           /* year of syslog dates that carry none (0 = infer from now) */
    const char *campaign_header; /* header whose logged value is the campaign key (Postfix
                                    header_checks INFO lines ...), NULL = X-Campaign-ID */
    bool strict;                 /* a malformed line stops rb_ingest_feed with RB_EPARSE */
} rb_ingest_opts;

/* rb_ingest_formats - NULL-terminated list of format names (static). */
RB_API const char *const *rb_ingest_formats(void);

/* rb_ingest_new - a reader using c; caller frees with rb_ingest_free. opts may be NULL
 * (strings in it are copied). Returns RB_OK, RB_ENOMEM, or RB_EINVAL (unknown format name,
 * bad map): then *out is still set, so rb_ingest_error() can say why; free it. */
RB_API int rb_ingest_new(const rb_classifier *c, const rb_ingest_opts *opts, rb_ingest **out);
/* rb_ingest_free - NULL-safe; returns NULL. */
RB_API rb_ingest *rb_ingest_free(rb_ingest *ig);

typedef int (*rb_event_cb)(const rb_event *e, void *ud);

/* rb_ingest_feed - give the next bytes of the current input (any chunking). Calls cb for each
 * event completed; a non-zero return from cb stops and is returned. Returns RB_OK, RB_ENOMEM,
 * or RB_EPARSE in strict mode (rb_ingest_error() says which line and why). Memory stays
 * bounded whatever the input: over-long lines and documents are skipped with a reason. */
RB_API int rb_ingest_feed(rb_ingest *ig, const char *p, size_t n, rb_event_cb cb, void *ud);
/* rb_ingest_end - end of the current input: flush a last unterminated line or document and
 * reset per-input state (format detection, line numbers) for the next input. Queue-id links
 * (Postfix from=/message-id=) survive so rotated logs can be read in order. */
RB_API int rb_ingest_end(rb_ingest *ig, rb_event_cb cb, void *ud);

/* Counters since rb_ingest_new. */
typedef struct rb_ingest_stats {
    unsigned long long bytes, lines;
    unsigned long long events;    /* events passed to the callback */
    unsigned long long filtered;  /* events dropped by since/until */
    unsigned long long ignored;   /* lines of a known format that carry no event */
    unsigned long long malformed; /* lines or documents skipped as broken (see reasons) */
    unsigned long long by_kind[RB_EVENT__COUNT];
} rb_ingest_stats;
RB_API void rb_ingest_get_stats(const rb_ingest *ig, rb_ingest_stats *out);
/* rb_ingest_skip_reason - i-th distinct reason lines were skipped as malformed, with its
 * count and the first line number (of its input) it happened on; false past the end. */
RB_API bool rb_ingest_skip_reason(const rb_ingest *ig, size_t i, const char **reason,
                                  unsigned long long *count, unsigned long *first_line);
/* rb_ingest_error - description of the last error (strict stop, bad option); never NULL. */
RB_API const char *rb_ingest_error(const rb_ingest *ig);
/* rb_ingest_format - name of the format detected for the current input ("" before any). */
RB_API const char *rb_ingest_format(const rb_ingest *ig);

#ifdef __cplusplus
}
#endif
#endif /* REBOUND_H */
