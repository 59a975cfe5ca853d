/* The tagged encoding inside trace records and header sections, in the spirit of
 * protobuf: a field is a varint key (tag << 3 | wire type) and a value; numbers are
 * varints (signed ones zigzag), doubles 8 little-endian bytes, strings and nested
 * messages length-delimited. Zero values are not written, so a field added later costs
 * nothing where it is zero, and a reader skips the tags it does not know by their wire
 * type. On top of that, three length-delimited shapes (docs/trace-format.md):
 *   list    varint count, then count x (varint len, message)
 *   vector  varint count, then count x (varint index, varint value)     non-zero only
 *   matrix  varint count, then count x (varint row, varint col, varint value)
 * Most messages are described by tables (struct nl_msg_desc) that drive both the
 * encoder and the decoder, so one table lists each field once. */
#ifndef NL_TRACE_CODEC_H
#define NL_TRACE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/matrix.h"

enum nl_wire {
	NL_WIRE_VARINT = 0,
	NL_WIRE_FIXED64 = 1,
	NL_WIRE_LEN = 2,
	NL_WIRE_FIXED32 = 5, /* not written by numalens; skipped by its width */
};

/* ---- encoding: a growing buffer whose first error sticks (checked once at the end) */

struct nl_buf {
	uint8_t *p;
	size_t len, cap;
	int err; /* 0 or -ENOMEM / -E2BIG */
};

void nl_buf_free(struct nl_buf *b);
void nl_buf_put(struct nl_buf *b, const void *data, size_t n);
void nl_put_varint(struct nl_buf *b, uint64_t v);
uint64_t nl_zigzag(int64_t v);
int64_t nl_unzigzag(uint64_t v);
size_t nl_varint_size(uint64_t v);

void nl_enc_u64(struct nl_buf *b, uint32_t tag, uint64_t v);      /* omitted when 0 */
void nl_enc_sint(struct nl_buf *b, uint32_t tag, int64_t v);      /* zigzag; omitted when 0 */
void nl_enc_double(struct nl_buf *b, uint32_t tag, double v);     /* omitted when +0.0 */
void nl_enc_bytes(struct nl_buf *b, uint32_t tag, const void *p, size_t n); /* always */
void nl_enc_str(struct nl_buf *b, uint32_t tag, const char *s);   /* NULL omitted, "" kept */
void nl_enc_chars(struct nl_buf *b, uint32_t tag, const char *s, size_t size); /* "" omitted */
/* Sparse vector of u64 / matrix of cells; omitted when all zero. */
void nl_enc_vec(struct nl_buf *b, uint32_t tag, const uint64_t *v, size_t n);
void nl_enc_mat(struct nl_buf *b, uint32_t tag, const struct nl_mat *m);

/* A length-delimited value whose length is known only after it is written: begin
 * writes the key (tag 0: no key, a list entry) and reserves room for the length; end
 * writes the length and closes the gap. Returns the mark end needs. */
size_t nl_enc_begin(struct nl_buf *b, uint32_t tag);
void nl_enc_end(struct nl_buf *b, size_t mark);
/* A list: begin with its count (written first), entries with nl_enc_begin(b, 0). */
size_t nl_enc_list_begin(struct nl_buf *b, uint32_t tag, uint64_t count);

/* ---- decoding: a cursor over bytes that are never trusted ---- */

struct nl_dec {
	const uint8_t *p, *end;
};

/* What one decode (one record or section) carries: the first error's text, the memory
 * it may still allocate, and what it skipped. */
struct nl_dctx {
	uint64_t budget;
	uint64_t skipped_fields; /* unknown tags, or known tags with another wire type */
	uint64_t skipped_values; /* vector entries past this reader's arrays, out-of-range ints */
	int depth;
	int err;
	bool located;            /* msg already names the innermost message and field */
	char msg[200];
};

/* Records the first error (later ones are consequences) and returns err (< 0). */
int nl_dec_fail(struct nl_dctx *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* calloc(n, size) charged to the budget: NULL (and a message) past it or on ENOMEM. */
void *nl_dec_alloc(struct nl_dctx *c, size_t n, size_t size);

int nl_dec_varint(struct nl_dctx *c, struct nl_dec *d, uint64_t *v);
int nl_dec_key(struct nl_dctx *c, struct nl_dec *d, uint32_t *tag, int *wire);
int nl_dec_skip(struct nl_dctx *c, struct nl_dec *d, int wire);
/* A length-delimited value: sub covers its bytes, d moves past them. */
int nl_dec_len(struct nl_dctx *c, struct nl_dec *d, struct nl_dec *sub);
int nl_dec_fixed64(struct nl_dctx *c, struct nl_dec *d, uint64_t *v);
/* A string value (wire LEN) into a new NUL-terminated buffer charged to the budget. */
int nl_dec_strdup(struct nl_dctx *c, struct nl_dec *d, char **out);
/* A string value into a fixed array, cut to size - 1 bytes and NUL-terminated. */
int nl_dec_chars(struct nl_dctx *c, struct nl_dec *d, char *dst, size_t size);
/* A list's header: body covers its entries; count is checked against limit and
 * against the bytes left (every entry takes at least one). */
int nl_dec_list(struct nl_dctx *c, struct nl_dec *d, uint32_t limit, const char *what,
		struct nl_dec *body, uint32_t *count);
/* The next entry of a list body. */
int nl_dec_entry(struct nl_dctx *c, struct nl_dec *body, struct nl_dec *entry);
/* A vector or matrix body: count, then the entries, each index checked. */
int nl_dec_vec(struct nl_dctx *c, struct nl_dec *d, uint64_t *v, size_t n);
/* Matrix cells beyond NL_MAX_NODES are counted in skipped_values. */
int nl_dec_mat(struct nl_dctx *c, struct nl_dec *d, struct nl_mat *m);

/* ---- message tables ---- */

enum nl_fkind {
	NL_F_U64,    /* uint64_t, varint */
	NL_F_U32,    /* uint32_t, varint */
	NL_F_SINT,   /* int (or an enum), zigzag varint */
	NL_F_BOOL,   /* bool, varint 1 */
	NL_F_DOUBLE, /* double, fixed64 */
	NL_F_CHARS,  /* char[n], string */
	NL_F_STR,    /* char *, string; NULL = absent */
	NL_F_VEC,    /* uint64_t[n], vector */
	NL_F_MAT,    /* struct nl_mat, matrix */
	NL_F_MSG,    /* nested struct described by sub */
	NL_F_CUSTOM, /* enc/dec below (lists, pointers) */
};

struct nl_dctx;
struct nl_msg_desc;

struct nl_field {
	uint32_t tag;
	enum nl_fkind kind;
	size_t off;    /* of the field in its struct (CUSTOM: unused) */
	uint32_t n, m; /* CHARS: size; VEC: n; MAT: n x m */
	const struct nl_msg_desc *sub;
	/* CUSTOM: obj is the whole struct the table describes. dec is called with the
	 * cursor at the value and must consume it; it returns 1 when the wire type is not
	 * the one it expects (then the value is skipped as unknown). */
	void (*enc)(struct nl_buf *b, uint32_t tag, const void *obj);
	int (*dec)(struct nl_dctx *c, struct nl_dec *d, int wire, void *obj);
};

struct nl_msg_desc {
	const char *name; /* for error messages: "thread" */
	const struct nl_field *fields;
	size_t nr;
};

/* Table rows for field f of struct st. Each checks at compile time that the field has
 * the width its kind reads and writes, so a model change cannot silently mis-encode. */
#define NL_MEMBER(st, f) (((st *)0)->f)
#define NL_WIDTH_IS(x, w) (0 * sizeof(char[sizeof(x) == (w) ? 1 : -1]))
#define NL_FIELD_AT(st, f, x, w) (offsetof(st, f) + NL_WIDTH_IS(x, w))
#define NL_FU64(t, st, f) { .tag = (t), .kind = NL_F_U64, \
	.off = NL_FIELD_AT(st, f, NL_MEMBER(st, f), 8) }
#define NL_FU32(t, st, f) { .tag = (t), .kind = NL_F_U32, \
	.off = NL_FIELD_AT(st, f, NL_MEMBER(st, f), 4) }
#define NL_FSINT(t, st, f) { .tag = (t), .kind = NL_F_SINT, \
	.off = NL_FIELD_AT(st, f, NL_MEMBER(st, f), sizeof(int)) }
#define NL_FBOOL(t, st, f) { .tag = (t), .kind = NL_F_BOOL, \
	.off = NL_FIELD_AT(st, f, NL_MEMBER(st, f), sizeof(bool)) }
#define NL_FDOUBLE(t, st, f) { .tag = (t), .kind = NL_F_DOUBLE, \
	.off = offsetof(st, f) + 0 * sizeof(char[__builtin_types_compatible_p( \
		__typeof__(NL_MEMBER(st, f)), double) ? 1 : -1]) }
#define NL_FCHARS(t, st, f) { .tag = (t), .kind = NL_F_CHARS, \
	.off = NL_FIELD_AT(st, f, NL_MEMBER(st, f)[0], 1), .n = sizeof(NL_MEMBER(st, f)) }
#define NL_FSTR(t, st, f) { .tag = (t), .kind = NL_F_STR, \
	.off = offsetof(st, f) + 0 * sizeof(char[__builtin_types_compatible_p( \
		__typeof__(NL_MEMBER(st, f)), char *) ? 1 : -1]) }
#define NL_FVEC(t, st, f) { .tag = (t), .kind = NL_F_VEC, \
	.off = NL_FIELD_AT(st, f, NL_MEMBER(st, f)[0], 8), \
	.n = sizeof(NL_MEMBER(st, f)) / 8 }
#define NL_FMAT(t, st, f) { .tag = (t), .kind = NL_F_MAT, \
	.off = offsetof(st, f) + 0 * sizeof(char[__builtin_types_compatible_p( \
		__typeof__(NL_MEMBER(st, f)), struct nl_mat) ? 1 : -1]) }
#define NL_FMSG(t, st, f, desc) { .tag = (t), .kind = NL_F_MSG, .off = offsetof(st, f), \
	.sub = (desc) }
#define NL_FCUSTOM(t, e, d) { .tag = (t), .kind = NL_F_CUSTOM, .enc = (e), .dec = (d) }
#define NL_DESC(nm, rows) { .name = (nm), .fields = (rows), \
	.nr = sizeof(rows) / sizeof((rows)[0]) }

void nl_enc_fields(struct nl_buf *b, const struct nl_msg_desc *m, const void *obj);
/* Decodes a message body into obj (which holds its previous values: a field that
 * appears twice is last-wins, and an old pointer is freed). */
int nl_dec_fields(struct nl_dctx *c, struct nl_dec *d, const struct nl_msg_desc *m, void *obj);

#endif
