/* Reading trace files one item at a time: the header's sections at open, then one
 * chunk in memory at a time, its records handed out as items. Nothing read is trusted:
 * lengths are checked against the bytes there are before anything is allocated for
 * them, checksums before anything is decoded, and decoding is bounded (codec.c). A
 * file cut anywhere reads back up to its last complete chunk; a checksum that fails
 * stops the reader there (no resync: what follows a corrupt chunk cannot be trusted to
 * be the same recording, and the caller learns exactly where it stopped). */
#include "trace/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "trace/compress.h"
#include "trace/format.h"
#include "trace/internal.h"
#include "trace/schema.h"

struct nl_trace_reader {
	int fd;                   /* -1: reading mem */
	bool regular;             /* fd is a regular file, so its size is known */
	const uint8_t *mem;
	size_t mem_len;
	uint64_t pos;             /* offset of the next byte to read */
	struct nl_trace_ropts o;
	struct nl_trace_meta meta;
	struct nl_source_state sources[NL_SRC_MAX]; /* the latest SOURCES */
	uint8_t *stored, *raw;    /* one chunk as read and as decompressed */
	size_t stored_cap, raw_cap;
	struct nl_dec recs;       /* the records of the current chunk not read yet */
	uint64_t chunk_off, next_seq;
	uint32_t chunk_records, rec_index;
	bool in_chunk;
	int state;                /* 0 reading, 1 at the end, < 0 the error */
	struct nl_zctx *z;
	struct nl_trace_rstats st;
	char msg[320];
	char notes[320];
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int rfail(struct nl_trace_reader *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int rfail(struct nl_trace_reader *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	r->state = err;
	return err;
}

/* Something the caller may want to tell the user that is not an error (what was
 * skipped); kept while it fits. */
static void note(struct nl_trace_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct nl_trace_reader *r, const char *fmt, ...)
{
	size_t len = strlen(r->notes);
	char line[120];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (strstr(r->notes, line) || len + strlen(line) + 3 > sizeof(r->notes))
		return;
	snprintf(r->notes + len, sizeof(r->notes) - len, "%s%s", len ? "; " : "", line);
}

/* ---- the bytes: a file descriptor or a buffer ---- */

/* Up to n bytes at the read position (fewer only at the end): *p points at them until
 * the next call. The count, or a negative errno. */
static long src_view(struct nl_trace_reader *r, size_t n, const uint8_t **p)
{
	size_t got = 0;

	if (r->fd < 0) {
		got = r->mem_len - r->pos < n ? r->mem_len - (size_t)r->pos : n;
		*p = r->mem + r->pos;
		r->pos += got;
		return (long)got;
	}
	if (n > r->stored_cap) {
		uint8_t *s = realloc(r->stored, n);
		if (!s)
			return -ENOMEM;
		r->stored = s;
		r->stored_cap = n;
	}
	while (got < n) {
		ssize_t k = read(r->fd, r->stored + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (!k)
			break;
		got += (size_t)k;
	}
	*p = r->stored;
	r->pos += got;
	return (long)got;
}

/* Bytes after the read position; UINT64_MAX when it cannot be known (a pipe). What a
 * length may claim is checked against it before memory is allocated for it. */
static uint64_t src_left(const struct nl_trace_reader *r)
{
	struct stat st;

	if (r->fd < 0)
		return r->mem_len - r->pos;
	if (!r->regular || fstat(r->fd, &st) || (uint64_t)st.st_size < r->pos)
		return UINT64_MAX;
	return (uint64_t)st.st_size - r->pos;
}

/* ---- the header ---- */

static int parse_section(struct nl_trace_reader *r, uint32_t id, const uint8_t *p, uint32_t len)
{
	struct nl_dctx c = { .budget = r->o.max_item_bytes };
	struct nl_dec d = { p, p + len };
	int rc;

	/* Absent fields are zero; an absent section leaves the default (-1: unknown). */
	if (id == NL_SEC_NUMA_BALANCING)
		r->meta.numa_balancing = 0;
	rc = nl_schema_dec_section(&c, id, &d, &r->meta);
	r->st.skipped_fields += c.skipped_fields;
	r->st.skipped_values += c.skipped_values;
	if (rc == 1) {
		r->st.skipped_sections++;
		note(r, "unknown section %u, skipped", id);
		return 0;
	}
	if (rc < 0)
		return rfail(r, rc, "header section %u: %s", id, c.msg);
	return 0;
}

static int parse_sections(struct nl_trace_reader *r, const uint8_t *p, uint32_t len, uint32_t nr)
{
	uint64_t seen = 0;
	uint32_t off = 0;

	for (uint32_t i = 0; i < nr; i++) {
		if (len - off < NL_TRACE_SECTION_HDR_LEN)
			return rfail(r, -EBADMSG, "header: section %u of %u runs past the header", i, nr);
		uint32_t id = le32(p + off), slen = le32(p + off + 4);
		off += NL_TRACE_SECTION_HDR_LEN;
		if (slen > len - off)
			return rfail(r, -EBADMSG, "header: section %u claims %u bytes, %u left", id,
				     slen, len - off);
		if (id < 64 && (seen & 1ull << id))
			return rfail(r, -EBADMSG, "header: section %u appears twice", id);
		if (id < 64)
			seen |= 1ull << id;
		if (parse_section(r, id, p + off, slen))
			return r->state;
		off += slen;
	}
	if (off != len)
		return rfail(r, -EBADMSG, "header: %u bytes after the last section", len - off);
	return 0;
}

static int read_header(struct nl_trace_reader *r)
{
	uint8_t h[NL_TRACE_HDR_LEN];
	const uint8_t *p;
	uint32_t crc, slen, nr;
	long n = src_view(r, sizeof(h), &p);

	if (n < 0)
		return rfail(r, (int)n, "%s", strerror((int)-n));
	if (!n)
		return rfail(r, -EBADMSG, "empty file: not a numalens trace");
	if (memcmp(p, NL_TRACE_MAGIC, n < NL_TRACE_MAGIC_LEN ? (size_t)n : NL_TRACE_MAGIC_LEN))
		return rfail(r, -EBADMSG, "not a numalens trace (no NLTRACE magic)");
	if (n < NL_TRACE_HDR_LEN)
		return rfail(r, -EBADMSG, "file ends inside its %d-byte header", NL_TRACE_HDR_LEN);
	memcpy(h, p, sizeof(h));
	if (le32(h + 8) != NL_TRACE_VERSION)
		return rfail(r, -EPROTONOSUPPORT, "trace format version %u; this numalens reads %d",
			     le32(h + 8), NL_TRACE_VERSION);
	slen = le32(h + 12);
	nr = le32(h + 16);
	if (slen > NL_TRACE_MAX_SECTIONS_LEN || nr > NL_TRACE_MAX_SECTIONS)
		return rfail(r, -EBADMSG, "header claims %u sections in %u bytes (limits %d, %u)",
			     nr, slen, NL_TRACE_MAX_SECTIONS, NL_TRACE_MAX_SECTIONS_LEN);
	if (slen > src_left(r) || (n = src_view(r, slen, &p)) < (long)slen)
		return rfail(r, n < 0 ? (int)n : -EBADMSG,
			     "file ends inside its header (%u bytes of sections)", slen);
	crc = (uint32_t)crc32(crc32(0L, h, 20), p, slen);
	if (crc != le32(h + 20) && !r->o.skip_checksums)
		return rfail(r, -EBADMSG, "header checksum mismatch (stored %08x, computed %08x)",
			     le32(h + 20), crc);
	r->meta.numa_balancing = -1;
	if (parse_sections(r, p, slen, nr))
		return r->state;
	r->next_seq = r->meta.first_seq;
	r->st.bytes_read = r->pos;
	if (nl_sources_copy(r->sources, r->meta.sources))
		return rfail(r, -ENOMEM, "out of memory");
	return 0;
}

/* ---- opening and closing ---- */

static struct nl_trace_reader *reader_new(const struct nl_trace_ropts *o)
{
	struct nl_trace_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = -1;
	if (o)
		r->o = *o;
	if (!r->o.max_chunk_bytes || r->o.max_chunk_bytes > NL_TRACE_MAX_CHUNK)
		r->o.max_chunk_bytes = NL_TRACE_MAX_CHUNK;
	if (!r->o.max_item_bytes)
		r->o.max_item_bytes = NL_TRACE_MAX_ITEM_BYTES;
	r->z = nl_zctx_new();
	if (!r->z) {
		free(r);
		return NULL;
	}
	return r;
}

static int finish_open(struct nl_trace_reader *r, struct nl_trace_reader **out, char *err,
		       size_t errlen)
{
	int rc = read_header(r);

	if (rc) {
		snprintf(err, errlen, "%s", r->msg);
		nl_trace_reader_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

int nl_trace_reader_open_opts(const char *path, const struct nl_trace_ropts *o,
			      struct nl_trace_reader **out, char *err, size_t errlen)
{
	struct nl_trace_reader *r = reader_new(o);
	struct stat st;

	*out = NULL;
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		int rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		nl_trace_reader_close(r);
		return rc;
	}
	r->regular = !fstat(r->fd, &st) && S_ISREG(st.st_mode);
	return finish_open(r, out, err, errlen);
}

int nl_trace_reader_open(const char *path, struct nl_trace_reader **out, char *err, size_t errlen)
{
	return nl_trace_reader_open_opts(path, NULL, out, err, errlen);
}

int nl_trace_reader_open_mem(const void *buf, size_t len, const struct nl_trace_ropts *o,
			     struct nl_trace_reader **out, char *err, size_t errlen)
{
	struct nl_trace_reader *r = reader_new(o);

	*out = NULL;
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->mem = buf ? buf : (const uint8_t *)""; /* pointer arithmetic on NULL is undefined */
	r->mem_len = buf ? len : 0;
	return finish_open(r, out, err, errlen);
}

void nl_trace_reader_close(struct nl_trace_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	nl_trace_meta_free(&r->meta);
	nl_sources_free(r->sources);
	free(r->stored);
	free(r->raw);
	nl_zctx_free(r->z);
	free(r);
}

const struct nl_trace_meta *nl_trace_reader_meta(const struct nl_trace_reader *r)
{
	return &r->meta;
}

void nl_trace_reader_stats(const struct nl_trace_reader *r, struct nl_trace_rstats *st)
{
	*st = r->st;
}

const char *nl_trace_reader_error(const struct nl_trace_reader *r)
{
	return r->msg;
}

const char *nl_trace_reader_notes(const struct nl_trace_reader *r)
{
	return r->notes;
}

/* ---- chunks ---- */

/* The end of what can be read before the END record: not an error (the complete
 * chunks before it were all handed out) but the caller is told what was lost. */
static int cut_short(struct nl_trace_reader *r, uint64_t lost)
{
	r->st.truncated = true;
	r->st.bytes_lost = lost;
	if (lost)
		snprintf(r->msg, sizeof(r->msg),
			 "file ends inside chunk %llu (offset %llu): %llu bytes after the last "
			 "complete chunk not read", (unsigned long long)r->next_seq,
			 (unsigned long long)r->chunk_off, (unsigned long long)lost);
	else
		snprintf(r->msg, sizeof(r->msg),
			 "file ends after %s without an end record: the writer did not finish it",
			 r->st.chunks ? "its last complete chunk" : "the header");
	r->state = 1;
	return 1;
}

struct chunk_hdr {
	uint32_t magic, comp, raw_len, stored_len, records, data_crc, hdr_crc;
	uint64_t seq;
};

static int check_chunk_hdr(struct nl_trace_reader *r, const uint8_t *p, struct chunk_hdr *h)
{
	unsigned long long off = r->chunk_off;
	uint32_t crc = (uint32_t)crc32(0L, p, 32);

	*h = (struct chunk_hdr){ le32(p), le32(p + 4), le32(p + 16), le32(p + 20), le32(p + 24),
				 le32(p + 28), le32(p + 32), le64(p + 8) };
	if (h->magic != NL_TRACE_CHUNK_MAGIC)
		return rfail(r, -EBADMSG, "no chunk at offset %llu (chunk %llu expected): bad magic",
			     off, (unsigned long long)r->next_seq);
	if (crc != h->hdr_crc && !r->o.skip_checksums)
		return rfail(r, -EBADMSG, "chunk %llu at offset %llu: header checksum mismatch "
			     "(stored %08x, computed %08x)", (unsigned long long)r->next_seq, off,
			     h->hdr_crc, crc);
	if (h->seq != r->next_seq)
		return rfail(r, -EBADMSG, "chunk at offset %llu has seq %llu, %llu expected "
			     "(chunks missing or from another recording)", off,
			     (unsigned long long)h->seq, (unsigned long long)r->next_seq);
	if (!nl_chunk_bound(h->comp, 1))
		return rfail(r, -EBADMSG, "chunk %llu at offset %llu: unknown compression %u",
			     (unsigned long long)h->seq, off, h->comp);
	if (h->raw_len > r->o.max_chunk_bytes || h->stored_len > nl_chunk_bound(h->comp, h->raw_len))
		return rfail(r, -EBADMSG, "chunk %llu at offset %llu: %u bytes stored for %u "
			     "(the limit is %u raw)", (unsigned long long)h->seq, off,
			     h->stored_len, h->raw_len, r->o.max_chunk_bytes);
	return 0;
}

/* Decompresses the stored bytes into the records to read. */
static int unpack(struct nl_trace_reader *r, const struct chunk_hdr *h, const uint8_t *p)
{
	static uint8_t nothing[1]; /* an empty chunk's records: never NULL + 0 (undefined) */
	char why[160] = "";
	uint8_t *raw = nothing;
	int rc;

	rc = nl_chunk_plausible(h->comp, p, h->stored_len, h->raw_len, why, sizeof(why));
	if (!rc && h->raw_len && h->comp == NL_CHUNK_NONE) {
		r->recs = (struct nl_dec){ p, p + h->raw_len };
		return 0;
	}
	if (!rc && h->raw_len > r->raw_cap) {
		raw = realloc(r->raw, h->raw_len);
		if (!raw)
			return rfail(r, -ENOMEM, "out of memory for a chunk of %u bytes", h->raw_len);
		r->raw = raw;
		r->raw_cap = h->raw_len;
	}
	if (h->raw_len)
		raw = r->raw;
	if (!rc && h->comp != NL_CHUNK_NONE)
		rc = nl_chunk_decompress(r->z, h->comp, p, h->stored_len, raw, h->raw_len, why,
					 sizeof(why));
	if (rc)
		return rfail(r, rc, "chunk %llu at offset %llu: %s", (unsigned long long)h->seq,
			     (unsigned long long)r->chunk_off, why);
	r->recs = (struct nl_dec){ raw, raw + h->raw_len };
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Reads the next chunk. 0: records to read; 1: the end; < 0: error. */
static int load_chunk(struct nl_trace_reader *r)
{
	struct chunk_hdr h;
	const uint8_t *p;
	uint32_t crc;
	uint64_t left;
	long n;

	r->chunk_off = r->pos;
	n = src_view(r, NL_TRACE_CHUNK_HDR_LEN, &p);
	if (n < 0)
		return rfail(r, (int)n, "offset %llu: %s", (unsigned long long)r->pos, strerror((int)-n));
	/* A power cut can leave the file longer than what reached the disk, in zeros. */
	if (n < NL_TRACE_CHUNK_HDR_LEN || all_zero(p, (size_t)n)) {
		left = src_left(r);
		return cut_short(r, (uint64_t)n + (left == UINT64_MAX ? 0 : left));
	}
	if (check_chunk_hdr(r, p, &h))
		return r->state;
	left = src_left(r);
	if (h.stored_len > left)
		return cut_short(r, NL_TRACE_CHUNK_HDR_LEN + left);
	n = src_view(r, h.stored_len, &p);
	if (n < (long)h.stored_len)
		return n < 0 ? rfail(r, (int)n, "chunk %llu: %s", (unsigned long long)h.seq,
				     strerror((int)-n))
			     : cut_short(r, NL_TRACE_CHUNK_HDR_LEN + (uint64_t)n);
	crc = (uint32_t)crc32(0L, p, h.stored_len);
	if (crc != h.data_crc && !r->o.skip_checksums)
		return rfail(r, -EBADMSG, "chunk %llu at offset %llu: checksum mismatch (stored "
			     "%08x, computed %08x)", (unsigned long long)h.seq,
			     (unsigned long long)r->chunk_off, h.data_crc, crc);
	if (unpack(r, &h, p))
		return r->state;
	r->chunk_records = h.records;
	r->rec_index = 0;
	r->in_chunk = true;
	r->next_seq++;
	r->st.chunks++;
	r->st.bytes_read = r->pos;
	return 0;
}

/* ---- records ---- */

static int rec_fail(struct nl_trace_reader *r, const struct nl_dctx *c, const char *what)
{
	return rfail(r, c->err ? c->err : -EBADMSG, "chunk %llu (offset %llu), record %u (%s): %s",
		     (unsigned long long)(r->next_seq - 1), (unsigned long long)r->chunk_off,
		     r->rec_index, what, c->msg);
}

static int rec_interval(struct nl_trace_reader *r, struct nl_dctx *c, struct nl_dec *d,
			struct nl_trace_item *it)
{
	int rc = nl_schema_dec_snapshot(c, d, &it->snap);

	if (!rc && nl_trace_fill_snapshot(&it->snap, &r->meta, r->sources))
		rc = nl_dec_fail(c, -ENOMEM, "out of memory");
	if (rc) {
		nl_snapshot_free(&it->snap);
		memset(&it->snap, 0, sizeof(it->snap));
		return rec_fail(r, c, "interval");
	}
	it->kind = NL_TRACE_ITEM_INTERVAL;
	return 1;
}

/* The latest sources change only when the whole record decoded. */
static int rec_sources(struct nl_trace_reader *r, struct nl_dctx *c, struct nl_dec *d)
{
	struct nl_source_state s[NL_SRC_MAX] = { 0 };

	if (nl_schema_dec_sources(c, d, s)) {
		nl_sources_free(s);
		return rec_fail(r, c, "sources");
	}
	nl_sources_free(r->sources);
	memcpy(r->sources, s, sizeof(s));
	return 0;
}

static int rec_events(struct nl_trace_reader *r, struct nl_dctx *c, struct nl_dec *d,
		      struct nl_trace_item *it)
{
	if (nl_schema_dec_events(c, d, &it->events, &it->nr_events)) {
		free(it->events);
		it->events = NULL;
		it->nr_events = 0;
		return rec_fail(r, c, "events");
	}
	it->kind = NL_TRACE_ITEM_EVENTS;
	return 1;
}

static int rec_requests(struct nl_trace_reader *r, struct nl_dctx *c, struct nl_dec *d,
			struct nl_trace_item *it)
{
	if (nl_schema_dec_requests(c, d, &it->requests, &it->nr_requests)) {
		free(it->requests);
		it->requests = NULL;
		it->nr_requests = 0;
		return rec_fail(r, c, "requests");
	}
	it->kind = NL_TRACE_ITEM_REQUESTS;
	return 1;
}

static int rec_thread(struct nl_trace_reader *r, struct nl_dctx *c, struct nl_dec *d,
		      struct nl_trace_item *it)
{
	if (nl_schema_dec_thread(c, d, &it->thread))
		return rec_fail(r, c, "thread");
	if (it->thread.kind < NL_TRACE_THREAD_NEW || it->thread.kind > NL_TRACE_THREAD_NAME) {
		r->st.skipped_records++;
		note(r, "thread records of unknown kind %u skipped", (unsigned)it->thread.kind);
		return 0;
	}
	it->kind = NL_TRACE_ITEM_THREAD;
	return 1;
}

static int rec_end(struct nl_trace_reader *r, struct nl_dctx *c, struct nl_dec *d)
{
	struct nl_trace_end e;
	uint64_t left;

	if (nl_schema_dec_end(c, d, &e))
		return rec_fail(r, c, "end");
	r->st.ended = true;
	r->st.continued = e.continued;
	r->state = 1;
	left = src_left(r);
	if (r->recs.p != r->recs.end || (left && left != UINT64_MAX))
		note(r, "%llu bytes after the end record not read",
		     (unsigned long long)(r->recs.end - r->recs.p) +
			     (left == UINT64_MAX ? 0 : left));
	return 0;
}

static int dispatch(struct nl_trace_reader *r, uint64_t type, struct nl_dctx *c, struct nl_dec *d,
		    struct nl_trace_item *it)
{
	switch (type) {
	case NL_REC_INTERVAL:
		return rec_interval(r, c, d, it);
	case NL_REC_SOURCES:
		return rec_sources(r, c, d);
	case NL_REC_EVENTS:
		return rec_events(r, c, d, it);
	case NL_REC_THREAD:
		return rec_thread(r, c, d, it);
	case NL_REC_END:
		return rec_end(r, c, d);
	case NL_REC_REQUESTS:
		return rec_requests(r, c, d, it);
	default: /* a record type from a newer writer: its length lets us step over it */
		r->st.skipped_records++;
		note(r, "unknown record type %llu skipped", (unsigned long long)type);
		return 0;
	}
}

/* The next record of the chunk: 1 an item, 0 none (consumed internally), < 0 error. */
static int next_record(struct nl_trace_reader *r, struct nl_trace_item *it)
{
	struct nl_dctx c = { .budget = r->o.max_item_bytes };
	struct nl_dec body;
	uint64_t type;
	int rc;

	r->rec_index++;
	if (nl_dec_varint(&c, &r->recs, &type) || nl_dec_len(&c, &r->recs, &body))
		return rec_fail(r, &c, "framing");
	r->st.records++;
	rc = dispatch(r, type, &c, &body, it);
	r->st.skipped_fields += c.skipped_fields;
	r->st.skipped_values += c.skipped_values;
	if (c.skipped_values)
		note(r, "entries this build has no place for left out (node ids >= %d, reason "
		     "indexes, source names it does not know)", NL_MAX_NODES);
	return rc;
}

int nl_trace_next(struct nl_trace_reader *r, struct nl_trace_item *it)
{
	int rc = 0;

	memset(it, 0, sizeof(*it));
	while (!r->state && !rc) {
		if (r->in_chunk && r->recs.p < r->recs.end) {
			rc = next_record(r, it);
			continue;
		}
		if (r->in_chunk && r->rec_index != r->chunk_records)
			return rfail(r, -EBADMSG, "chunk %llu at offset %llu: %u records, its header "
				     "says %u", (unsigned long long)(r->next_seq - 1),
				     (unsigned long long)r->chunk_off, r->rec_index, r->chunk_records);
		r->in_chunk = false;
		load_chunk(r);
	}
	if (rc)
		return rc;
	return r->state > 0 ? 0 : r->state;
}

void nl_trace_item_free(struct nl_trace_item *it)
{
	if (it->kind == NL_TRACE_ITEM_INTERVAL)
		nl_snapshot_free(&it->snap);
	free(it->events);
	free(it->requests);
	memset(it, 0, sizeof(*it));
}
