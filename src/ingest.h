/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest.h - the interface between the ingest framework (ingest.c) and its format readers
 *            (ingest_postfix.c, ingest_mta.c, ingest_csv.c, ingest_json.c ...).
 *
 * DESCRIPTION
 *   The framework splits every input into lines (any chunking, LF or CRLF, bounded length),
 *   parses a syslog header when there is one, picks the reader (forced, sniffed per input,
 *   or per line from the syslog program name) and hands it one struct ingest_line at a time.
 *   A reader fills a struct ingest_ev with slices into the line (or into its own state) and
 *   calls ingest_emit(), which copies the strings once, classifies the reply and calls the
 *   user's callback. Readers of multi-line records (JSON documents, quoted CSV) keep their own
 *   bounded accumulation buffer in their state.
 *
 *   Readers never allocate per line. State that must outlive a line (Postfix queue-id links,
 *   CSV header columns) lives in the reader's state block (allocated once by the framework,
 *   state_size bytes, zeroed) or in the shared queue cache (ingest_qc_*).
 */
#ifndef RB_INGEST_H
#define RB_INGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "rebound.h"
#include "slice.h"

/* One input line as the framework saw it. */
struct ingest_line {
    struct slice raw;  /* the whole line, without its line end */
    struct slice msg;  /* after the syslog header, or the whole line if it has none */
    struct slice prog; /* syslog program without [pid] ("postfix/smtp"), or empty */
    struct slice host; /* syslog host, or empty */
    long long ts;      /* syslog time (Unix), 0 if the line has no syslog header */
    int tzoff;         /* seconds east of UTC of ts */
    unsigned long lineno;
};

/* An event under construction: slices borrowed from the line or reader state. */
struct ingest_ev {
    rb_event_kind kind;
    const char *format; /* static name of the source (ses, sendgrid ...); NULL = the reader's */
    struct slice recipient, sender, rhost, rhost_ip, queueid, messageid, event_id;
    struct slice campaign, sending_ip, sending_domain, vmta, feedbacktype;
    struct slice text;    /* reply / failure text to classify */
    struct slice status;  /* enhanced status from its own field (dsn=, dsnStatus) */
    struct slice command; /* SMTP command the reply answered (RCPT, DATA ...) */
    int replycode;        /* basic code from its own field, 0 if none */
    rb_reason hint;       /* reason the source states (SES NoEmail -> userunknown ...) */
    long long ts;
    int tzoff;
    double delay;  /* -1 when unknown (ingest_ev_init sets it) */
    bool nul_free; /* every slice comes from input lines (which the framework passes on only
                      without a NUL byte) or the queue cache: ingest_emit need not look for a
                      NUL (a decoded JSON "\u0000" can hold one: leave false) */
};

/* ingest_ev_init - empty event of kind k at the line's time. */
void ingest_ev_init(struct ingest_ev *e, rb_event_kind k, const struct ingest_line *ln);

/* ingest_emit - classify and deliver e to the user's callback (after since/until). Returns
 * RB_OK, the callback's non-zero value, or RB_ENOMEM/RB_ETOOBIG. */
int ingest_emit(rb_ingest *ig, const struct ingest_ev *e);

/* ingest_malformed - count a skipped line (reason: static string). In strict mode returns
 * RB_EPARSE (the reader must return it); else RB_OK. */
int ingest_malformed(rb_ingest *ig, const char *reason);

/* ingest_ignored - count a line of the reader's format that carries no event. Returns RB_OK. */
int ingest_ignored(rb_ingest *ig);

/* The current line number (of the current input). */
unsigned long ingest_lineno(const rb_ingest *ig);

/* The options the reader was created with (map, year ...). */
const rb_ingest_opts *ingest_opts(const rb_ingest *ig);

/* Memory functions of the reader (for readers' own buffers). */
const rb_mem *ingest_mem(const rb_ingest *ig);

/* ---- queue cache: bounded map queue id -> (from, message-id, extra) ------------------------
 * A fixed-size set-associative table (constant memory): links a Postfix/Exim/Sendmail queue
 * id to the sender and Message-ID seen on earlier lines. When full, the oldest entry of a
 * set is replaced, so a link may be lost on huge logs with very long queue lives, never the
 * event itself. Values longer than the slot are cut. */
enum { QC_FROM, QC_MSGID, QC_EXTRA, QC_CAMPAIGN, QC__FIELDS };
/* ingest_qc_put - remember field f of queue id qid (creates the entry). */
void ingest_qc_put(rb_ingest *ig, struct slice qid, int f, struct slice value);
/* ingest_qc_get - field f of qid, or an empty slice (borrowed from the cache; valid until
 * the next ingest_qc_put). */
struct slice ingest_qc_get(rb_ingest *ig, struct slice qid, int f);
/* ingest_qc_get_all - every field of qid in one lookup (out[QC__FIELDS]); false if unknown
 * (then all are empty). */
bool ingest_qc_get_all(rb_ingest *ig, struct slice qid, struct slice *out);
/* ingest_qc_drop - forget qid (Postfix "removed"). */
void ingest_qc_drop(rb_ingest *ig, struct slice qid);

/* ---- readers ---------------------------------------------------------------------------- */

struct ingest_reader {
    const char *name; /* format name for --format and rb_event.format */
    /* sniff - how sure (0..100) that a file whose first meaningful line is ln is in this
     * format; 0 = not this format. Readers of syslog programs may leave it NULL. */
    int (*sniff)(const struct ingest_line *ln);
    /* progs - syslog program names this reader handles: a name ending in '/' matches as a
     * prefix ("postfix/" matches "postfix/smtp", "postfix-out/smtp" via the alias table),
     * else exactly. NULL-terminated, or NULL. */
    const char *const *progs;
    /* line - one line. Returns RB_OK or an RB_E* / callback value to stop. */
    int (*line)(rb_ingest *ig, void *state, const struct ingest_line *ln);
    /* end - end of the current input (flush a pending document); may be NULL. */
    int (*end)(rb_ingest *ig, void *state);
    /* reset - new input begins (state is not zeroed by the framework); may be NULL. */
    void (*reset)(rb_ingest *ig, void *state);
    /* fini - release what the reader allocated in its state; may be NULL. */
    void (*fini)(rb_ingest *ig, void *state);
    size_t state_size; /* bytes of zeroed state allocated once per rb_ingest */
    size_t max_line;   /* longest line accepted while this reader is locked (0 = 1 MB); a
                          reader of documents that may sit on one line raises it */
    /* init - called once after the state is allocated (parse opts->map ...); may be NULL.
     * Returns RB_OK or RB_EINVAL/RB_ENOMEM. */
    int (*init)(rb_ingest *ig, void *state);
};

/* ingest_set_error - record a message for rb_ingest_error() (formatted, truncated). */
void ingest_set_error(rb_ingest *ig, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Readers, defined in their files (see the table in ingest.c). */
extern const struct ingest_reader ingest_reader_postfix;
extern const struct ingest_reader ingest_reader_exim;
extern const struct ingest_reader ingest_reader_sendmail;
extern const struct ingest_reader ingest_reader_opensmtpd;
extern const struct ingest_reader ingest_reader_haraka;
extern const struct ingest_reader ingest_reader_powermta;
extern const struct ingest_reader ingest_reader_csv;
extern const struct ingest_reader ingest_reader_json;

/* ---- helpers shared by readers (ingest.c) ------------------------------------------------ */

/* ingest_kv - value of key `key` (including its '=', e.g. "to=") in a Postfix/Sendmail-style
 * "k=v, k=v" message: the value ends at ',' or ' ' (or '>' after '<'); angle brackets are
 * stripped. Returns false if absent. */
bool ingest_kv(struct slice msg, const char *key, struct slice *val);

/* ingest_syslog_parse - parse a syslog header (RFC 3164 "Mon dd hh:mm:ss host prog[pid]: ",
 * RFC 3339 "2024-01-02T03:04:05.123+01:00 host prog[pid]: ", RFC 5424 "<pri>1 ts host app
 * procid msgid sd msg"). year: for RFC 3164 dates. Returns false if ln->raw has no header
 * (msg is then the whole line). */
bool ingest_syslog_parse(struct ingest_line *ln, int year);

/* ingest_parse_time - ISO 8601 / RFC 3339 ("2024-01-02T03:04:05Z", "2024-01-02 03:04:05",
 * fractions, offsets), Unix seconds (digits, optionally with a fraction) or an RFC 5322
 * date. Returns false if not a date. */
bool ingest_parse_time(struct slice s, long long *t, int *tzoff);

#endif /* RB_INGEST_H */
