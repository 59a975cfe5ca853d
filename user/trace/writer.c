/* Writing trace files: the header at open, records gathered into a chunk buffer, each
 * chunk compressed, checksummed and written whole with write(2); rotation to PATH.n at a
 * chunk boundary. A writer killed at any moment leaves a file whose complete chunks
 * read back (the reader stops at the first partial one). */
#include "trace/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "common/util.h"
#include "trace/compress.h"
#include "trace/format.h"
#include "trace/schema.h"

#define DEFAULT_CHUNK (1u << 20)

struct nl_trace_writer {
	char *path;
	char **files;             /* every file opened, PATH first */
	size_t nr_files;
	int fd;
	struct nl_trace_meta meta; /* deep copy; sources are the last written */
	struct nl_trace_wopts o;
	uint32_t comp;            /* enum nl_trace_chunk_comp */
	struct nl_buf rec;        /* the record being encoded */
	struct nl_buf chunk;      /* the records of the chunk being filled */
	uint32_t chunk_records;
	uint8_t *out;             /* header and stored bytes of a chunk */
	size_t out_cap;
	struct nl_zctx *z;
	uint64_t seq;             /* of the next chunk */
	uint64_t file_bytes;      /* in the current file */
	bool rotate_due;          /* the current file is full: the next record opens PATH.n */
	struct nl_trace_wstats st;
	int err;                  /* the first error; every call returns it from then on */
	char msg[320];
};

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static int fail(struct nl_trace_writer *w, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct nl_trace_writer *w, int err, const char *fmt, ...)
{
	va_list ap;

	if (w->err)
		return w->err;
	w->err = err;
	va_start(ap, fmt);
	vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
	va_end(ap);
	return err;
}

static int write_out(struct nl_trace_writer *w, const void *p, size_t n)
{
	if (nl_write_all(w->fd, p, n))
		return fail(w, -errno, "%s: %s", w->files[w->nr_files - 1], strerror(errno));
	w->file_bytes += n;
	w->st.bytes_written += n;
	return 0;
}

/* ---- the header ---- */

static void enc_sections(struct nl_buf *b, const struct nl_trace_meta *m)
{
	struct nl_buf sec = { 0 };

	for (size_t i = 0; i < nl_schema_nr_sections(); i++) {
		uint8_t h[NL_TRACE_SECTION_HDR_LEN];
		sec.len = 0;
		nl_schema_enc_section(&sec, i, m);
		if (sec.err)
			b->err = sec.err;
		put_le32(h, nl_schema_section_id(i));
		put_le32(h + 4, (uint32_t)sec.len);
		nl_buf_put(b, h, sizeof(h));
		nl_buf_put(b, sec.p, sec.len);
	}
	nl_buf_free(&sec);
}

static int write_header(struct nl_trace_writer *w)
{
	struct nl_buf b = { 0 };
	uint8_t h[NL_TRACE_HDR_LEN] = NL_TRACE_MAGIC;
	uLong crc;
	int rc;

	w->meta.part = (uint32_t)(w->nr_files - 1);
	w->meta.first_seq = w->seq;
	enc_sections(&b, &w->meta);
	if (b.err || b.len > NL_TRACE_MAX_SECTIONS_LEN) {
		nl_buf_free(&b);
		return fail(w, b.err ? b.err : -E2BIG, "the header does not fit its %u-byte limit",
			    NL_TRACE_MAX_SECTIONS_LEN);
	}
	put_le32(h + 8, NL_TRACE_VERSION);
	put_le32(h + 12, (uint32_t)b.len);
	put_le32(h + 16, (uint32_t)nl_schema_nr_sections());
	crc = crc32(crc32(0L, h, 20), b.p, (uInt)b.len);
	put_le32(h + 20, (uint32_t)crc);
	rc = write_out(w, h, sizeof(h));
	if (!rc)
		rc = write_out(w, b.p, b.len);
	nl_buf_free(&b);
	return rc;
}

/* Opens file number part of the recording (PATH, then PATH.1, ...) and writes its
 * header with the sources as they are now. */
static int open_file(struct nl_trace_writer *w, unsigned part)
{
	char **files = realloc(w->files, (w->nr_files + 1) * sizeof(*files));
	char *name;

	if (!files)
		return fail(w, -ENOMEM, "out of memory");
	w->files = files;
	if (part ? asprintf(&name, "%s.%u", w->path, part) < 0 : !(name = strdup(w->path)))
		return fail(w, -ENOMEM, "out of memory");
	w->files[w->nr_files++] = name;
	/* 0600: a trace names processes, command lines and code addresses. fchmod for a
	 * file that existed with wider permissions (O_CREAT's mode applies only to new). */
	w->fd = open(name, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
	if (w->fd < 0)
		return fail(w, -errno, "%s: %s", name, strerror(errno));
	if (fchmod(w->fd, 0600))
		return fail(w, -errno, "%s: chmod: %s", name, strerror(errno));
	w->file_bytes = 0;
	w->st.files++;
	return write_header(w);
}

/* ---- chunks ---- */

static int grow_out(struct nl_trace_writer *w, size_t n)
{
	uint8_t *p;

	if (n <= w->out_cap)
		return 0;
	p = realloc(w->out, n);
	if (!p)
		return fail(w, -ENOMEM, "out of memory");
	w->out = p;
	w->out_cap = n;
	return 0;
}

static void chunk_header(uint8_t *h, uint32_t comp, uint64_t seq, size_t raw_len,
			 size_t stored_len, uint32_t records, const uint8_t *stored)
{
	put_le32(h, NL_TRACE_CHUNK_MAGIC);
	put_le32(h + 4, comp);
	put_le64(h + 8, seq);
	put_le32(h + 16, (uint32_t)raw_len);
	put_le32(h + 20, (uint32_t)stored_len);
	put_le32(h + 24, records);
	put_le32(h + 28, (uint32_t)crc32(0L, stored, (uInt)stored_len));
	put_le32(h + 32, (uint32_t)crc32(0L, h, 32));
}

/* Compresses the chunk buffer and writes header and stored bytes in one write(2), so
 * a kill leaves at most one partial chunk at the end of the file. */
static int write_chunk(struct nl_trace_writer *w)
{
	size_t bound = nl_chunk_bound(w->comp, w->chunk.len);
	long stored;
	int rc;

	if (grow_out(w, NL_TRACE_CHUNK_HDR_LEN + bound))
		return w->err;
	stored = nl_chunk_compress(w->z, w->comp, w->o.level, w->chunk.p, w->chunk.len,
				   w->out + NL_TRACE_CHUNK_HDR_LEN, bound);
	if (stored < 0)
		return fail(w, (int)stored, "chunk %llu: compression failed",
			    (unsigned long long)w->seq);
	chunk_header(w->out, w->comp, w->seq, w->chunk.len, (size_t)stored, w->chunk_records,
		     w->out + NL_TRACE_CHUNK_HDR_LEN);
	rc = write_out(w, w->out, NL_TRACE_CHUNK_HDR_LEN + (size_t)stored);
	if (rc)
		return rc;
	w->st.chunks++;
	w->st.raw_bytes += w->chunk.len;
	w->seq++;
	w->chunk.len = 0;
	w->chunk_records = 0;
	return 0;
}

/* Adds a record to the chunk buffer as is: type, length, payload. */
static int add_record(struct nl_trace_writer *w, uint32_t type, const void *payload, size_t len)
{
	nl_put_varint(&w->chunk, type);
	nl_put_varint(&w->chunk, len);
	nl_buf_put(&w->chunk, payload, len);
	if (w->chunk.err)
		return fail(w, w->chunk.err, "out of memory");
	w->chunk_records++;
	w->st.records++;
	return 0;
}

/* The END record, in the chunk with whatever is pending; the file is complete after. */
static int finish_file(struct nl_trace_writer *w, bool continued)
{
	struct nl_trace_end e = { continued, w->st.chunks + 1, w->st.records };
	struct nl_buf end = { 0 };
	int rc;

	/* its own buffer: a rotation happens while w->rec holds the record that comes next */
	nl_schema_enc_end(&end, &e);
	rc = end.err ? fail(w, end.err, "out of memory") :
		       add_record(w, NL_REC_END, end.p, end.len);
	nl_buf_free(&end);
	if (!rc)
		rc = write_chunk(w);
	if (close(w->fd) && !rc)
		rc = fail(w, -errno, "%s: close: %s", w->files[w->nr_files - 1], strerror(errno));
	w->fd = -1;
	return rc;
}

/* Past max_bytes the file is full; the next file is opened only when a record comes
 * for it, so a recording that ends right there leaves no file with nothing in it. */
static int maybe_rotate(struct nl_trace_writer *w)
{
	if (w->o.max_bytes && w->file_bytes >= w->o.max_bytes)
		w->rotate_due = true;
	return 0;
}

static int rotate_if_due(struct nl_trace_writer *w)
{
	int rc;

	if (!w->rotate_due)
		return 0;
	w->rotate_due = false;
	rc = finish_file(w, true);
	return rc ? rc : open_file(w, (unsigned)w->nr_files);
}

int nl_trace_flush(struct nl_trace_writer *w)
{
	int rc;

	if (w->err)
		return w->err;
	if (!w->chunk.len)
		return 0;
	rc = write_chunk(w);
	return rc ? rc : maybe_rotate(w);
}

/* Appends an encoded record: a chunk is cut before a record that would overflow it
 * (records never span chunks) and after one that fills it. */
static int append(struct nl_trace_writer *w, uint32_t type, const void *payload, size_t len)
{
	size_t size = nl_varint_size(type) + nl_varint_size(len) + len;
	int rc = 0;

	if (w->err)
		return w->err;
	if (size > NL_TRACE_MAX_CHUNK)
		return fail(w, -E2BIG, "a record of %zu bytes: more than a chunk holds (%u)", size,
			    NL_TRACE_MAX_CHUNK);
	if (w->chunk.len && w->chunk.len + size > w->o.chunk_bytes)
		rc = nl_trace_flush(w);
	if (!rc)
		rc = rotate_if_due(w);
	if (!rc)
		rc = add_record(w, type, payload, len);
	if (!rc && w->chunk.len >= w->o.chunk_bytes)
		rc = nl_trace_flush(w);
	return rc;
}

/* Appends what the encoder left in w->rec. */
static int append_rec(struct nl_trace_writer *w, uint32_t type)
{
	if (w->rec.err)
		return fail(w, w->rec.err, "record type %u: %s", type,
			    w->rec.err == -ENOMEM ? "out of memory" : "too big");
	return append(w, type, w->rec.p, w->rec.len);
}

/* ---- the API ---- */

static uint64_t recording_id(void)
{
	uint64_t id;
	struct timespec ts;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) == sizeof(id))
		return id;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ ((uint64_t)getpid() << 48);
}

static int check_opts(const struct nl_trace_wopts *o, uint32_t *comp, char *err, size_t errlen)
{
	static const uint32_t kinds[] = { [NL_TRACE_ZSTD] = NL_CHUNK_ZSTD,
					  [NL_TRACE_ZLIB] = NL_CHUNK_ZLIB,
					  [NL_TRACE_NONE] = NL_CHUNK_NONE };

	if ((unsigned)o->comp > NL_TRACE_NONE) {
		snprintf(err, errlen, "unknown compression %d", (int)o->comp);
		return -EINVAL;
	}
	if (o->chunk_bytes > NL_TRACE_MAX_CHUNK) {
		snprintf(err, errlen, "chunks of %zu bytes: at most %u", o->chunk_bytes,
			 NL_TRACE_MAX_CHUNK);
		return -EINVAL;
	}
	*comp = kinds[o->comp];
	if (!nl_chunk_level_ok(*comp, o->level)) {
		snprintf(err, errlen, "compression level %d out of range", o->level);
		return -EINVAL;
	}
	return 0;
}

static struct nl_trace_writer *writer_new(const char *path, const struct nl_trace_meta *m,
					  const struct nl_trace_wopts *o, uint32_t comp)
{
	struct nl_trace_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->fd = -1;
	w->o = *o;
	w->comp = comp;
	if (!w->o.chunk_bytes)
		w->o.chunk_bytes = DEFAULT_CHUNK;
	w->path = strdup(path);
	w->z = nl_zctx_new();
	if (!w->path || !w->z || nl_trace_meta_copy(&w->meta, m)) {
		nl_zctx_free(w->z);
		free(w->path);
		free(w);
		return NULL;
	}
	w->meta.recording_id = recording_id();
	return w;
}

int nl_trace_writer_open(const char *path, const struct nl_trace_meta *m,
			 const struct nl_trace_wopts *o, struct nl_trace_writer **out,
			 char *err, size_t errlen)
{
	static const struct nl_trace_wopts defaults = { .comp = NL_TRACE_ZSTD };
	struct nl_trace_writer *w;
	uint32_t comp;
	int rc;

	*out = NULL;
	rc = check_opts(o ? o : &defaults, &comp, err, errlen);
	if (rc)
		return rc;
	w = writer_new(path, m, o ? o : &defaults, comp);
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = open_file(w, 0);
	if (rc) {
		snprintf(err, errlen, "%s", w->msg);
		nl_trace_writer_close(w);
		return rc;
	}
	*out = w;
	return 0;
}

int nl_trace_write_sources(struct nl_trace_writer *w, const struct nl_source_state *sources)
{
	int rc;

	if (w->err)
		return w->err;
	if (nl_schema_sources_equal(sources, w->meta.sources))
		return 0;
	w->rec.len = 0;
	nl_schema_enc_sources(&w->rec, sources);
	rc = append_rec(w, NL_REC_SOURCES);
	if (!rc && nl_sources_copy(w->meta.sources, sources))
		rc = fail(w, -ENOMEM, "out of memory");
	return rc;
}

int nl_trace_write_interval(struct nl_trace_writer *w, const struct nl_snapshot *s)
{
	char why[200];
	int rc = nl_trace_write_sources(w, s->sources);

	if (rc)
		return rc;
	rc = nl_schema_check_snapshot(s, why, sizeof(why));
	if (rc)
		return fail(w, rc, "interval %llu: %s: more than a trace holds",
			    (unsigned long long)s->seq, why);
	w->rec.len = 0;
	nl_schema_enc_snapshot(&w->rec, s);
	return append_rec(w, NL_REC_INTERVAL);
}

int nl_trace_write_events(struct nl_trace_writer *w, const struct nl_event *ev, size_t n)
{
	int rc = w->err;

	while (!rc && n) {
		size_t k = n < NL_TRACE_MAX_EVENTS ? n : NL_TRACE_MAX_EVENTS;
		w->rec.len = 0;
		nl_schema_enc_events(&w->rec, ev, k);
		rc = append_rec(w, NL_REC_EVENTS);
		ev += k;
		n -= k;
	}
	return rc;
}

int nl_trace_write_requests(struct nl_trace_writer *w, const struct nl_request *r, size_t n)
{
	int rc = w->err;

	while (!rc && n) {
		size_t k = n < NL_TRACE_MAX_REQUESTS ? n : NL_TRACE_MAX_REQUESTS;
		w->rec.len = 0;
		nl_schema_enc_requests(&w->rec, r, k);
		rc = append_rec(w, NL_REC_REQUESTS);
		r += k;
		n -= k;
	}
	return rc;
}

/* A THREAD record's payload into b (written at once or kept as a blob). */
static void enc_thread(struct nl_buf *b, enum nl_trace_thread_kind k, uint64_t mono_ns,
		       uint32_t tid, uint32_t pid, const char *comm)
{
	struct nl_trace_thread t = { .kind = k, .mono_ns = mono_ns, .tid = tid, .pid = pid };

	if (comm)
		snprintf(t.comm, sizeof(t.comm), "%s", comm);
	nl_schema_enc_thread(b, &t);
}

int nl_trace_write_thread(struct nl_trace_writer *w, enum nl_trace_thread_kind k,
			  uint64_t mono_ns, uint32_t tid, uint32_t pid, const char *comm)
{
	if (w->err)
		return w->err;
	w->rec.len = 0;
	enc_thread(&w->rec, k, mono_ns, tid, pid, comm);
	return append_rec(w, NL_REC_THREAD);
}

/* The encoder's buffer handed over as a blob. */
static int take_blob(struct nl_buf *b, uint32_t type, struct nl_trace_blob *out)
{
	if (b->err) {
		int err = b->err;
		nl_buf_free(b);
		return err;
	}
	*out = (struct nl_trace_blob){ .type = type, .p = b->p, .len = b->len };
	return 0;
}

int nl_trace_encode_interval(const struct nl_snapshot *s, struct nl_trace_blob *out)
{
	struct nl_buf b = { 0 };
	char why[200];

	memset(out, 0, sizeof(*out));
	if (nl_schema_check_snapshot(s, why, sizeof(why)))
		return -E2BIG;
	nl_schema_enc_snapshot(&b, s);
	return take_blob(&b, NL_REC_INTERVAL, out);
}

int nl_trace_encode_events(const struct nl_event *ev, size_t n, struct nl_trace_blob *out)
{
	struct nl_buf b = { 0 };

	memset(out, 0, sizeof(*out));
	if (n > NL_TRACE_MAX_EVENTS)
		return -E2BIG;
	nl_schema_enc_events(&b, ev, n);
	return take_blob(&b, NL_REC_EVENTS, out);
}

int nl_trace_encode_requests(const struct nl_request *r, size_t n, struct nl_trace_blob *out)
{
	struct nl_buf b = { 0 };

	memset(out, 0, sizeof(*out));
	if (n > NL_TRACE_MAX_REQUESTS)
		return -E2BIG;
	nl_schema_enc_requests(&b, r, n);
	return take_blob(&b, NL_REC_REQUESTS, out);
}

int nl_trace_encode_thread(enum nl_trace_thread_kind k, uint64_t mono_ns, uint32_t tid,
			   uint32_t pid, const char *comm, struct nl_trace_blob *out)
{
	struct nl_buf b = { 0 };

	memset(out, 0, sizeof(*out));
	enc_thread(&b, k, mono_ns, tid, pid, comm);
	return take_blob(&b, NL_REC_THREAD, out);
}

void nl_trace_blob_free(struct nl_trace_blob *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

int nl_trace_write_raw(struct nl_trace_writer *w, uint32_t type, const void *payload, size_t len)
{
	return append(w, type, payload, len);
}

int nl_trace_writer_close(struct nl_trace_writer *w)
{
	int rc;

	if (!w)
		return 0;
	if (w->fd >= 0 && !w->err)
		finish_file(w, false);
	if (w->fd >= 0)
		close(w->fd);
	rc = w->err;
	for (size_t i = 0; i < w->nr_files; i++)
		free(w->files[i]);
	free(w->files);
	free(w->path);
	free(w->out);
	nl_buf_free(&w->rec);
	nl_buf_free(&w->chunk);
	nl_zctx_free(w->z);
	nl_trace_meta_free(&w->meta);
	free(w);
	return rc;
}

void nl_trace_writer_stats(const struct nl_trace_writer *w, struct nl_trace_wstats *st)
{
	*st = w->st;
}

size_t nl_trace_writer_files(const struct nl_trace_writer *w, const char *const **paths)
{
	*paths = (const char *const *)w->files;
	return w->nr_files;
}

const char *nl_trace_writer_error(const struct nl_trace_writer *w)
{
	return w->msg;
}
