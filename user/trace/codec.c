/* The tagged encoding (codec.h): buffer, varints, fields, lists, sparse vectors, and the
 * table-driven message encoder/decoder. The decoder treats every byte as hostile: each
 * length is checked against the bytes left before it is used, counts against limits,
 * allocations against the item's budget, and nesting against NL_TRACE_MAX_DEPTH. */
#include "trace/codec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/format.h"

/* ---- encoding ---- */

/* The largest length nl_enc_begin reserves room for: 5 varint bytes hold 2^35 - 1,
 * far above NL_TRACE_MAX_CHUNK (nothing longer can be read back anyway). */
#define LEN_RESERVE 5

void nl_buf_free(struct nl_buf *b)
{
	free(b->p);
	*b = (struct nl_buf){ 0 };
}

static int buf_grow(struct nl_buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;

	if (b->err)
		return -1;
	if (n > SIZE_MAX / 2 - b->len) {
		b->err = -E2BIG;
		return -1;
	}
	while (cap < b->len + n)
		cap *= 2;
	if (cap != b->cap) {
		uint8_t *p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return -1;
		}
		b->p = p;
		b->cap = cap;
	}
	return 0;
}

void nl_buf_put(struct nl_buf *b, const void *data, size_t n)
{
	if (!n || buf_grow(b, n))
		return;
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

size_t nl_varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static size_t varint_write(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

void nl_put_varint(struct nl_buf *b, uint64_t v)
{
	if (buf_grow(b, 10))
		return;
	b->len += varint_write(b->p + b->len, v);
}

static void put_key(struct nl_buf *b, uint32_t tag, int wire)
{
	nl_put_varint(b, (uint64_t)tag << 3 | (uint64_t)wire);
}

void nl_enc_u64(struct nl_buf *b, uint32_t tag, uint64_t v)
{
	if (!v)
		return;
	put_key(b, tag, NL_WIRE_VARINT);
	nl_put_varint(b, v);
}

uint64_t nl_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

int64_t nl_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

void nl_enc_sint(struct nl_buf *b, uint32_t tag, int64_t v)
{
	nl_enc_u64(b, tag, nl_zigzag(v));
}

void nl_enc_double(struct nl_buf *b, uint32_t tag, double v)
{
	uint64_t bits;
	uint8_t le[8];

	memcpy(&bits, &v, sizeof(bits));
	if (!bits)
		return;
	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(bits >> (8 * i));
	put_key(b, tag, NL_WIRE_FIXED64);
	nl_buf_put(b, le, sizeof(le));
}

void nl_enc_bytes(struct nl_buf *b, uint32_t tag, const void *p, size_t n)
{
	put_key(b, tag, NL_WIRE_LEN);
	nl_put_varint(b, n);
	nl_buf_put(b, p, n);
}

void nl_enc_str(struct nl_buf *b, uint32_t tag, const char *s)
{
	if (s)
		nl_enc_bytes(b, tag, s, strlen(s));
}

void nl_enc_chars(struct nl_buf *b, uint32_t tag, const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n)
		nl_enc_bytes(b, tag, s, n);
}

void nl_enc_vec(struct nl_buf *b, uint32_t tag, const uint64_t *v, size_t n)
{
	size_t count = 0, mark;

	for (size_t i = 0; i < n; i++)
		count += v[i] != 0;
	if (!count)
		return;
	mark = nl_enc_list_begin(b, tag, count);
	for (size_t i = 0; i < n; i++) {
		if (!v[i])
			continue;
		nl_put_varint(b, i);
		nl_put_varint(b, v[i]);
	}
	nl_enc_end(b, mark);
}

void nl_enc_mat(struct nl_buf *b, uint32_t tag, const struct nl_mat *m)
{
	size_t count = 0, mark, cells = (size_t)m->n * m->n;

	for (size_t i = 0; i < cells; i++)
		count += m->v[i] != 0;
	if (!count)
		return;
	mark = nl_enc_list_begin(b, tag, count);
	for (size_t i = 0; i < cells; i++) {
		if (!m->v[i])
			continue;
		nl_put_varint(b, i / m->n);
		nl_put_varint(b, i % m->n);
		nl_put_varint(b, m->v[i]);
	}
	nl_enc_end(b, mark);
}

size_t nl_enc_begin(struct nl_buf *b, uint32_t tag)
{
	if (tag)
		put_key(b, tag, NL_WIRE_LEN);
	if (buf_grow(b, LEN_RESERVE))
		return 0;
	b->len += LEN_RESERVE;
	return b->len - LEN_RESERVE;
}

void nl_enc_end(struct nl_buf *b, size_t mark)
{
	size_t body, k;

	if (b->err)
		return;
	body = b->len - mark - LEN_RESERVE;
	if (body >= (1ull << (7 * LEN_RESERVE))) {
		b->err = -E2BIG;
		return;
	}
	/* The length goes in front of the body at its shortest encoding (as protobuf
	 * writes it), so the body moves back by the bytes the length did not need. */
	k = varint_write(b->p + mark, body);
	memmove(b->p + mark + k, b->p + mark + LEN_RESERVE, body);
	b->len -= LEN_RESERVE - k;
}

size_t nl_enc_list_begin(struct nl_buf *b, uint32_t tag, uint64_t count)
{
	size_t mark = nl_enc_begin(b, tag);

	nl_put_varint(b, count);
	return mark;
}

/* ---- decoding ---- */

int nl_dec_fail(struct nl_dctx *c, int err, const char *fmt, ...)
{
	va_list ap;

	if (!c->err) {
		c->err = err;
		va_start(ap, fmt);
		vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
		va_end(ap);
	}
	return err;
}

void *nl_dec_alloc(struct nl_dctx *c, size_t n, size_t size)
{
	void *p;

	if (size && n > c->budget / size) {
		nl_dec_fail(c, -E2BIG, "%zu x %zu bytes exceed the %llu bytes this item may still take",
			    n, size, (unsigned long long)c->budget);
		return NULL;
	}
	p = calloc(n ? n : 1, size ? size : 1);
	if (!p) {
		nl_dec_fail(c, -ENOMEM, "out of memory");
		return NULL;
	}
	c->budget -= n * size;
	return p;
}

int nl_dec_varint(struct nl_dctx *c, struct nl_dec *d, uint64_t *v)
{
	uint64_t r = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (d->p >= d->end)
			return nl_dec_fail(c, -EBADMSG, "varint runs past the end");
		uint8_t byte = *d->p++;
		/* The tenth byte holds bit 63 only. */
		if (shift == 63 && byte > 1)
			return nl_dec_fail(c, -EBADMSG, "varint longer than 64 bits");
		r |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return nl_dec_fail(c, -EBADMSG, "varint longer than 64 bits");
}

int nl_dec_key(struct nl_dctx *c, struct nl_dec *d, uint32_t *tag, int *wire)
{
	uint64_t key;
	int rc = nl_dec_varint(c, d, &key);

	if (rc)
		return rc;
	if (key >> 3 == 0 || key >> 3 > UINT32_MAX >> 3)
		return nl_dec_fail(c, -EBADMSG, "field tag %llu out of range",
				   (unsigned long long)(key >> 3));
	*tag = (uint32_t)(key >> 3);
	*wire = (int)(key & 7);
	return 0;
}

static int take(struct nl_dctx *c, struct nl_dec *d, size_t n, const uint8_t **out)
{
	if ((size_t)(d->end - d->p) < n)
		return nl_dec_fail(c, -EBADMSG, "%zu bytes needed, %zu left", n,
				   (size_t)(d->end - d->p));
	*out = d->p;
	d->p += n;
	return 0;
}

int nl_dec_len(struct nl_dctx *c, struct nl_dec *d, struct nl_dec *sub)
{
	uint64_t len;
	const uint8_t *p = NULL;
	int rc = nl_dec_varint(c, d, &len);

	if (rc)
		return rc;
	if (len > (uint64_t)(d->end - d->p))
		return nl_dec_fail(c, -EBADMSG, "length %llu beyond the %zu bytes left",
				   (unsigned long long)len, (size_t)(d->end - d->p));
	rc = take(c, d, (size_t)len, &p);
	sub->p = p;
	sub->end = p + len;
	return rc;
}

int nl_dec_fixed64(struct nl_dctx *c, struct nl_dec *d, uint64_t *v)
{
	const uint8_t *p = NULL;
	int rc = take(c, d, 8, &p);

	if (rc)
		return rc;
	*v = 0;
	for (int i = 0; i < 8; i++)
		*v |= (uint64_t)p[i] << (8 * i);
	return 0;
}

int nl_dec_skip(struct nl_dctx *c, struct nl_dec *d, int wire)
{
	const uint8_t *p = NULL;
	struct nl_dec sub;
	uint64_t v;

	switch (wire) {
	case NL_WIRE_VARINT:
		return nl_dec_varint(c, d, &v);
	case NL_WIRE_FIXED64:
		return take(c, d, 8, &p);
	case NL_WIRE_LEN:
		return nl_dec_len(c, d, &sub);
	case NL_WIRE_FIXED32:
		return take(c, d, 4, &p);
	default:
		return nl_dec_fail(c, -EBADMSG, "wire type %d cannot be skipped", wire);
	}
}

int nl_dec_strdup(struct nl_dctx *c, struct nl_dec *d, char **out)
{
	struct nl_dec s;
	size_t n;
	char *str;
	int rc = nl_dec_len(c, d, &s);

	if (rc)
		return rc;
	n = (size_t)(s.end - s.p);
	if (n > NL_TRACE_MAX_STRING)
		return nl_dec_fail(c, -E2BIG, "string of %zu bytes over the %u limit", n,
				   NL_TRACE_MAX_STRING);
	str = nl_dec_alloc(c, n + 1, 1);
	if (!str)
		return c->err;
	memcpy(str, s.p, n);
	free(*out);
	*out = str;
	return 0;
}

int nl_dec_chars(struct nl_dctx *c, struct nl_dec *d, char *dst, size_t size)
{
	struct nl_dec s;
	size_t n;
	int rc = nl_dec_len(c, d, &s);

	if (rc)
		return rc;
	n = (size_t)(s.end - s.p);
	if (n > size - 1) /* a longer string than this build holds: cut, as snprintf would */
		n = size - 1;
	memcpy(dst, s.p, n);
	dst[n] = '\0';
	return 0;
}

int nl_dec_list(struct nl_dctx *c, struct nl_dec *d, uint32_t limit, const char *what,
		struct nl_dec *body, uint32_t *count)
{
	uint64_t n;
	int rc = nl_dec_len(c, d, body);

	if (!rc)
		rc = nl_dec_varint(c, body, &n);
	if (rc)
		return rc;
	if (n > limit)
		return nl_dec_fail(c, -E2BIG, "a list of %llu %s entries, over the limit of %u",
				   (unsigned long long)n, what, limit);
	if (n > (uint64_t)(body->end - body->p))
		return nl_dec_fail(c, -EBADMSG, "a list of %llu %s entries in %zu bytes",
				   (unsigned long long)n, what, (size_t)(body->end - body->p));
	*count = (uint32_t)n;
	return 0;
}

int nl_dec_entry(struct nl_dctx *c, struct nl_dec *body, struct nl_dec *entry)
{
	return nl_dec_len(c, body, entry);
}

/* Reads the count of a vector or matrix whose entries take at least per bytes each. */
static int sparse_count(struct nl_dctx *c, struct nl_dec *d, unsigned per, uint64_t *count)
{
	int rc = nl_dec_varint(c, d, count);

	if (rc)
		return rc;
	if (*count > NL_TRACE_MAX_SPARSE || *count * per > (uint64_t)(d->end - d->p))
		return nl_dec_fail(c, -EBADMSG, "%llu entries in a %zu-byte vector",
				   (unsigned long long)*count, (size_t)(d->end - d->p));
	return 0;
}

int nl_dec_vec(struct nl_dctx *c, struct nl_dec *d, uint64_t *v, size_t n)
{
	uint64_t count, idx, val;
	int rc = sparse_count(c, d, 2, &count);

	for (uint64_t i = 0; !rc && i < count; i++) {
		rc = nl_dec_varint(c, d, &idx);
		if (!rc)
			rc = nl_dec_varint(c, d, &val);
		if (rc)
			break;
		if (idx < n)
			v[idx] = val;
		else
			c->skipped_values++; /* a node or reason this build has no slot for */
	}
	if (!rc && d->p != d->end)
		rc = nl_dec_fail(c, -EBADMSG, "bytes after a vector's entries");
	return rc;
}

int nl_dec_mat(struct nl_dctx *c, struct nl_dec *d, struct nl_mat *m)
{
	uint64_t count, r, col, val;
	int rc = sparse_count(c, d, 3, &count);

	for (uint64_t i = 0; !rc && i < count; i++) {
		rc = nl_dec_varint(c, d, &r);
		if (!rc)
			rc = nl_dec_varint(c, d, &col);
		if (!rc)
			rc = nl_dec_varint(c, d, &val);
		if (rc)
			break;
		if (r < NL_MAX_NODES && col < NL_MAX_NODES)
			nl_mat_set(m, (unsigned)r, (unsigned)col, val);
		else
			c->skipped_values++;
	}
	if (!rc && d->p != d->end)
		rc = nl_dec_fail(c, -EBADMSG, "bytes after a matrix's entries");
	return rc;
}

/* ---- message tables ---- */

static void enc_field(struct nl_buf *b, const struct nl_field *f, const void *obj)
{
	const char *at = (const char *)obj + f->off;

	switch (f->kind) {
	case NL_F_U64:
		nl_enc_u64(b, f->tag, *(const uint64_t *)at);
		break;
	case NL_F_U32:
		nl_enc_u64(b, f->tag, *(const uint32_t *)at);
		break;
	case NL_F_SINT:
		nl_enc_sint(b, f->tag, *(const int *)at);
		break;
	case NL_F_BOOL:
		nl_enc_u64(b, f->tag, *(const bool *)at);
		break;
	case NL_F_DOUBLE:
		nl_enc_double(b, f->tag, *(const double *)at);
		break;
	case NL_F_CHARS:
		nl_enc_chars(b, f->tag, at, f->n);
		break;
	case NL_F_STR:
		nl_enc_str(b, f->tag, *(char *const *)at);
		break;
	case NL_F_VEC:
		nl_enc_vec(b, f->tag, (const uint64_t *)at, f->n);
		break;
	case NL_F_MAT:
		nl_enc_mat(b, f->tag, (const struct nl_mat *)at);
		break;
	case NL_F_MSG: {
		size_t mark = nl_enc_begin(b, f->tag);
		nl_enc_fields(b, f->sub, at);
		/* An empty nested message is zero: take the key back off. */
		if (!b->err && b->len == mark + LEN_RESERVE)
			b->len = mark - nl_varint_size((uint64_t)f->tag << 3 | NL_WIRE_LEN);
		else
			nl_enc_end(b, mark);
		break;
	}
	case NL_F_CUSTOM:
		f->enc(b, f->tag, obj);
		break;
	}
}

void nl_enc_fields(struct nl_buf *b, const struct nl_msg_desc *m, const void *obj)
{
	for (size_t i = 0; i < m->nr; i++)
		enc_field(b, &m->fields[i], obj);
}

/* The wire type each kind is written with. */
static int kind_wire(enum nl_fkind k)
{
	switch (k) {
	case NL_F_U64:
	case NL_F_U32:
	case NL_F_SINT:
	case NL_F_BOOL:
		return NL_WIRE_VARINT;
	case NL_F_DOUBLE:
		return NL_WIRE_FIXED64;
	default:
		return NL_WIRE_LEN;
	}
}

/* A varint value for a narrower field: out of range is a value this build cannot hold,
 * counted and left as it was rather than wrapped. */
static int dec_number(struct nl_dctx *c, struct nl_dec *d, const struct nl_field *f, char *at)
{
	uint64_t v;
	int64_t s;
	int rc = nl_dec_varint(c, d, &v);

	if (rc)
		return rc;
	switch (f->kind) {
	case NL_F_U64:
		*(uint64_t *)at = v;
		break;
	case NL_F_U32:
		if (v > UINT32_MAX)
			c->skipped_values++;
		else
			*(uint32_t *)at = (uint32_t)v;
		break;
	case NL_F_SINT:
		s = nl_unzigzag(v);
		if (s < -2147483647 - 1 || s > 2147483647)
			c->skipped_values++;
		else
			*(int *)at = (int)s;
		break;
	default: /* NL_F_BOOL */
		*(bool *)at = v != 0;
		break;
	}
	return 0;
}

static int dec_nested(struct nl_dctx *c, struct nl_dec *d, const struct nl_field *f, char *at)
{
	struct nl_dec sub;
	int rc = nl_dec_len(c, d, &sub);

	if (rc)
		return rc;
	switch (f->kind) {
	case NL_F_VEC:
		return nl_dec_vec(c, &sub, (uint64_t *)at, f->n);
	case NL_F_MAT:
		return nl_dec_mat(c, &sub, (struct nl_mat *)at);
	default: /* NL_F_MSG */
		return nl_dec_fields(c, &sub, f->sub, at);
	}
}

/* 1: the value was not for this field (skip it), 0: decoded, < 0: error. */
static int dec_field(struct nl_dctx *c, struct nl_dec *d, const struct nl_field *f, int wire,
		     void *obj)
{
	char *at = (char *)obj + f->off;
	uint64_t bits;
	int rc;

	if (f->kind == NL_F_CUSTOM)
		return f->dec(c, d, wire, obj);
	if (wire != kind_wire(f->kind))
		return 1;
	switch (f->kind) {
	case NL_F_DOUBLE:
		rc = nl_dec_fixed64(c, d, &bits);
		if (!rc)
			memcpy(at, &bits, sizeof(double));
		return rc;
	case NL_F_CHARS:
		return nl_dec_chars(c, d, at, f->n);
	case NL_F_STR:
		return nl_dec_strdup(c, d, (char **)at);
	case NL_F_VEC:
	case NL_F_MAT:
	case NL_F_MSG:
		return dec_nested(c, d, f, at);
	default:
		return dec_number(c, d, f, at);
	}
}

static const struct nl_field *find_field(const struct nl_msg_desc *m, uint32_t tag)
{
	/* Tables are written in tag order from 1, so the index is usually the tag - 1. */
	if (tag <= m->nr && m->fields[tag - 1].tag == tag)
		return &m->fields[tag - 1];
	for (size_t i = 0; i < m->nr; i++)
		if (m->fields[i].tag == tag)
			return &m->fields[i];
	return NULL;
}

int nl_dec_fields(struct nl_dctx *c, struct nl_dec *d, const struct nl_msg_desc *m, void *obj)
{
	uint32_t tag = 0;
	int wire = 0, rc = 0;

	if (++c->depth > NL_TRACE_MAX_DEPTH) {
		c->depth--;
		return nl_dec_fail(c, -EBADMSG, "messages nested deeper than %d", NL_TRACE_MAX_DEPTH);
	}
	while (!rc && d->p < d->end) {
		rc = nl_dec_key(c, d, &tag, &wire);
		if (rc)
			break;
		const struct nl_field *f = find_field(m, tag);
		rc = f ? dec_field(c, d, f, wire, obj) : 1;
		if (rc == 1) { /* a field from a newer writer, or not the wire type we know */
			c->skipped_fields++;
			rc = nl_dec_skip(c, d, wire);
		}
		if (rc < 0 && !c->located) {
			c->located = true;
			size_t len = strlen(c->msg);
			snprintf(c->msg + len, sizeof(c->msg) - len, " (%s field %u)", m->name, tag);
		}
	}
	c->depth--;
	return rc;
}
