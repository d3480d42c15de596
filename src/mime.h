/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mime.h - zero-copy MIME reader specialised for bounce reports.
 *
 * DESCRIPTION
 *   mime_parse() splits one whole message held in memory into a flat, pre-order array of
 *   parts. Every part records its header block and body as slices into the input (nothing is
 *   copied), its content type, the few parameters bounce decoding needs (boundary, charset,
 *   name, report-type), its Content-Transfer-Encoding, its parent/depth, and defect bits.
 *   Decoding (base64, quoted-printable, charset -> UTF-8, RFC 2047 words) happens only on
 *   demand, into a caller-supplied struct buf.
 *
 *   Tree shape (the same as GMime's): a multipart part has its body parts as children; a
 *   message/rfc822 or message/global part has exactly one child, the embedded message's
 *   top-level part, whose header block holds the original message's From/To/Subject/...;
 *   a text/rfc822-headers part is a leaf whose body is a header block (mime_part_inner_hdr()
 *   gives the embedded header block for both).
 *
 *   Line ends: LF or CRLF; a CR not followed by LF is an ordinary byte (the caller converts
 *   CR-only input to LF beforehand). Following RFC 2046, the line break before a boundary
 *   line belongs to the boundary, so a body slice never ends with it.
 *
 *   Memory: no allocation while parsing. The caller owns a struct mime_msg whose part array
 *   is either caller storage (mime_msg_init_static) or allocated once (mime_msg_init) and
 *   reused for every message: mime_parse() resets it. Decoding functions allocate only
 *   through the struct buf they are given, plus iconv_open for non-ASCII legacy charsets,
 *   whose descriptors the caller may keep in a per-thread struct mime_cvt.
 *   Everything is reentrant: no global mutable state.
 *
 * LIMITS
 *   MIME_MAX_DEPTH, MIME_MAX_PARTS, MIME_MAX_HEADER_BYTES, MIME_MAX_BOUNDARY and
 *   MIME_MAX_LINE below. Hitting one sets a defect bit and stops descending (the rest is kept
 *   as the body of the innermost part); parse time is linear in the input length (each
 *   line is compared with at most MIME_MAX_DEPTH boundaries).
 *
 * SEE ALSO
 *   RFC 2045-2047, 2231, 3462/6522 (multipart/report), 3464, 5965, 6532; GMime 3 (the oracle
 *   in tests/mime_oracle.c).
 */
#ifndef RB_MIME_H
#define RB_MIME_H

#include <iconv.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "slice.h"

/* Limits (every one is a DoS bound; see LIMITS above). */
#define MIME_MAX_DEPTH 32                    /* nesting of multipart and message parts */
#define MIME_MAX_PARTS 1000                  /* parts per message (mime_msg_init default) */
#define MIME_MAX_HEADER_BYTES (256u * 1024u) /* one header block; more is body + defect */
#define MIME_MAX_BOUNDARY 200                /* RFC 2046 says 70; we allow slack */
#define MIME_MAX_LINE 65536                  /* longer header lines are flagged, not cut */
#define MIME_MAX_CHARSET 64                  /* charset names longer than this are unknown */
#define MIME_CVT_SLOTS 4                     /* iconv descriptors a struct mime_cvt keeps */

/* Defect bits (struct mime_part.defects; mime_msg.defects is their union). */
enum {
    MIME_D_NO_END_BOUNDARY = 1u << 0, /* multipart closed by EOF or an outer boundary */
    MIME_D_TRUNC_HEADERS = 1u << 1,   /* header block ended by EOF/boundary, no blank line */
    MIME_D_BAD_HEADER = 1u << 2,      /* a header line without a field name (skipped) */
    MIME_D_NO_BOUNDARY = 1u << 3,     /* multipart without (usable) boundary parameter */
    MIME_D_DEPTH = 1u << 4,           /* MIME_MAX_DEPTH hit: part kept as a leaf */
    MIME_D_PARTS = 1u << 5,           /* part limit hit: rest of the message not split */
    MIME_D_HEADER_BYTES = 1u << 6,    /* MIME_MAX_HEADER_BYTES hit */
    MIME_D_LONG_LINE = 1u << 7,       /* a header line longer than MIME_MAX_LINE */
    MIME_D_BAD_CTYPE = 1u << 8,       /* unparsable Content-Type (defaulted) */
    MIME_D_ENCODED_MSG = 1u << 9,     /* message/rfc822 with base64/QP CTE: kept as a leaf */
    MIME_D_BAD_BASE64 = 1u << 10,     /* (decoding) garbage in base64 */
    MIME_D_BAD_QP = 1u << 11,         /* (decoding) malformed quoted-printable */
    MIME_D_BAD_CHARSET = 1u << 12,    /* (decoding) unknown charset or invalid bytes */
    MIME_D_BAD_CTE = 1u << 13,        /* unknown Content-Transfer-Encoding (treated as 8bit) */
};

enum mime_cte {
    MIME_CTE_7BIT = 0, /* also the default and unknown values */
    MIME_CTE_8BIT,
    MIME_CTE_BINARY,
    MIME_CTE_BASE64,
    MIME_CTE_QP,
};

/* Coarse kind of a part, so callers need not compare strings in the hot path. */
enum mime_kind {
    MIME_K_OTHER = 0,
    MIME_K_TEXT,        /* text/ * except text/rfc822-headers */
    MIME_K_MULTIPART,   /* multipart/ * */
    MIME_K_MESSAGE,     /* message/rfc822, message/global, message/news (has a child) */
    MIME_K_RFC822_HDRS, /* text/rfc822-headers, message/global-headers */
    MIME_K_DSN,         /* message/delivery-status, message/global-delivery-status */
    MIME_K_FEEDBACK,    /* message/feedback-report */
    MIME_K_DISPOSITION, /* message/disposition-notification (MDN) */
};

struct mime_part {
    struct slice hdr;      /* header lines incl. their line ends; no blank line */
    struct slice body;     /* raw (transfer-encoded) body */
    struct slice type;     /* e.g. "multipart"; borrowed from input or a literal */
    struct slice subtype;  /* e.g. "report" */
    struct slice boundary; /* parameter values, unquoted (borrowed; len 0 = absent) */
    struct slice charset;
    struct slice name;
    struct slice report_type;
    int parent;       /* index of the parent part, -1 for the root */
    int first_child;  /* -1 if none */
    int next_sibling; /* -1 if none */
    int nchildren;
    uint16_t depth;   /* 0 for the root */
    uint8_t cte;      /* enum mime_cte */
    uint8_t kind;     /* enum mime_kind */
    uint32_t defects; /* MIME_D_* found while splitting */
};

struct mime_msg {
    const char *p; /* the input (borrowed) */
    size_t len;
    struct mime_part *parts; /* pre-order; parts[0] is the message itself */
    size_t nparts;
    size_t cap;        /* capacity of parts[] (<= MIME_MAX_PARTS is enforced too) */
    uint32_t defects;  /* union of the parts' defects */
    const rb_mem *mem; /* allocator of parts[] when owned */
    bool owned;        /* parts[] allocated by mime_msg_init */
};

/* mime_msg_init - allocate room for cap parts (0 = MIME_MAX_PARTS) with mem (NULL = libc);
 * the array is reused by every mime_parse(); release with mime_msg_free. RB_OK/RB_ENOMEM. */
int mime_msg_init(struct mime_msg *m, size_t cap, const rb_mem *mem);
/* mime_msg_init_static - use caller storage parts[cap] (caller keeps ownership). */
void mime_msg_init_static(struct mime_msg *m, struct mime_part *parts, size_t cap);
/* mime_msg_free - release what mime_msg_init allocated; NULL-safe, idempotent. */
void mime_msg_free(struct mime_msg *m);

/* mime_parse - split (p, len) into m->parts; all slices borrow from p, which must outlive
 * their use. Malformed input is not an error (see defects). RB_OK, or RB_EINVAL when m has
 * no part storage. */
int mime_parse(struct mime_msg *m, const char *p, size_t len);

/* mime_part_is - true if the part's type/subtype equal (ASCII case-insensitively) the given
 * literals; subtype NULL matches any subtype. */
bool mime_part_is(const struct mime_part *pt, const char *type, const char *subtype);

/* mime_part_inner_hdr - the embedded header block of a message/rfc822, message/global or
 * text/rfc822-headers part (borrowed from the input); empty slice for other parts or when
 * the embedded message is transfer-encoded. */
struct slice mime_part_inner_hdr(const struct mime_msg *m, const struct mime_part *pt);

/* Charset conversion context: a few open iconv descriptors, owned by the caller and used by
 * one thread at a time (e.g. one per worker, reused for every message). glibc's iconv_open
 * loads (and iconv_close unloads) a gconv module each time, ~10 us: with a cvt, each legacy
 * charset is opened once. Every function taking a cvt also accepts NULL (open/close per
 * call: correct, slow). */
struct mime_cvt {
    struct {
        char name[MIME_MAX_CHARSET + 1]; /* normalised MIME name; "" = free slot */
        iconv_t cd;
    } slot[MIME_CVT_SLOTS];
    unsigned next; /* round-robin victim */
};

/* mime_cvt_init - empty context (no allocation). */
void mime_cvt_init(struct mime_cvt *cv);
/* mime_cvt_free - close the descriptors; NULL-safe; the context is empty afterwards. */
void mime_cvt_free(struct mime_cvt *cv);

/* ---- headers --------------------------------------------------------------------------- */

/* Iterator over a header block; initialise with mime_hdr_iter_init. */
struct mime_hdr_iter {
    const char *p, *end;
};

/* mime_hdr_iter_init - start iterating the header block hdr. */
void mime_hdr_iter_init(struct mime_hdr_iter *it, struct slice hdr);
/* mime_hdr_next - next field: name (no colon) and raw value (after the colon and leading
 * blanks, folds included, final line end excluded); both borrowed. false at the end.
 * Lines without a colon are skipped. */
bool mime_hdr_next(struct mime_hdr_iter *it, struct slice *name, struct slice *value);
/* mime_hdr_find - first field called name (ASCII case-insensitive) in hdr; its raw value in
 * *value (borrowed). Returns false if absent. */
bool mime_hdr_find(struct slice hdr, const char *name, struct slice *value);
/* mime_hdr_unfold - append value with folds removed (CR/LF dropped, leading/trailing
 * blanks trimmed) to out. RB_OK, RB_ETOOBIG or RB_ENOMEM. */
int mime_hdr_unfold(const char *p, size_t len, struct buf *out);
/* mime_hdr_decode - unfold and decode RFC 2047 encoded words (B and Q, any iconv charset,
 * whitespace between adjacent encoded words dropped) into UTF-8, appended to out. Raw 8-bit
 * bytes that are not valid UTF-8 are taken as ISO-8859-1. RB_OK, RB_ETOOBIG or RB_ENOMEM. */
int mime_hdr_decode(struct mime_cvt *cv, const char *p, size_t len, struct buf *out);

/* ---- bodies ---------------------------------------------------------------------------- */

/* mime_decode_base64 - append the base64 decoding of (p, len) to out; anything outside the
 * alphabet is skipped ('=' ends a quantum), garbage sets MIME_D_BAD_BASE64 in *defects
 * (defects may be NULL). RB_OK, RB_ETOOBIG or RB_ENOMEM. */
int mime_decode_base64(const char *p, size_t len, struct buf *out, uint32_t *defects);
/* mime_decode_qp - append the quoted-printable decoding of (p, len) to out (soft breaks
 * removed, bad escapes kept literally and flagged MIME_D_BAD_QP). */
int mime_decode_qp(const char *p, size_t len, struct buf *out, uint32_t *defects);
/* mime_decode_body - append the part's body after transfer decoding (no charset change). */
int mime_decode_body(const struct mime_part *pt, struct buf *out, uint32_t *defects);
/* mime_charset_to_utf8 - append (p, len) converted from charset (NULL/empty = US-ASCII)
 * to UTF-8. ASCII and UTF-8 are copied without iconv; undecodable bytes become U+FFFD;
 * an unknown charset falls back to UTF-8-or-ISO-8859-1 and sets MIME_D_BAD_CHARSET. */
int mime_charset_to_utf8(struct mime_cvt *cv, const char *charset, size_t cslen, const char *p,
                         size_t len, struct buf *out, uint32_t *defects);
/* mime_decode_text - transfer-decode the part's body and convert it to UTF-8 using its
 * charset parameter; appended to out. */
int mime_decode_text(struct mime_cvt *cv, const struct mime_part *pt, struct buf *out,
                     uint32_t *defects);

#endif /* RB_MIME_H */
