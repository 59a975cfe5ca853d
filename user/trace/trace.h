/* numalens trace files (`numalens record`): a header of self-describing sections, then
 * checksummed, compressed chunks of length-prefixed records (INTERVAL snapshots,
 * SOURCES changes, EVENTS batches, THREAD lifecycle). docs/trace-format.md has the byte
 * layout. Any prefix of a file reads back up to its last complete chunk; the reader
 * streams one item at a time and bounds what a corrupt or hostile file can make it
 * allocate. */
#ifndef NL_TRACE_H
#define NL_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

/* What the header says about the recording. The reader copies topo and names into
 * every snapshot it returns, so a renderer needs nothing else. */
struct nl_trace_meta {
	struct nl_topo_summary topo;   /* cpus arrays owned */
	char kernel_release[65], hostname[65], machine[65];
	char *cmdline;                 /* numalens's own argv joined, malloc'd */
	char *target;                  /* "pid 42 (server)", "all processes", ... malloc'd */
	char *version;                 /* numalens version, malloc'd */
	char *request;                 /* --request/--usdt as given; NULL: none, malloc'd */
	struct nl_source_state sources[NL_SRC_MAX]; /* at the start of this file */
	struct nl_enum_names names;
	uint64_t start_realtime_ns, start_mono_ns, interval_ns, residency_interval_ns;
	int numa_balancing;            /* -1 unknown */
	/* Filled by the reader from the FILE section; the writer sets its own. */
	uint64_t recording_id;         /* the same in every file of a rotated recording */
	uint32_t part;                 /* 0 for PATH, n for PATH.n */
	uint64_t first_seq;            /* seq of this file's first chunk */
};

/* Frees what m owns and zeroes it. */
void nl_trace_meta_free(struct nl_trace_meta *m);
/* Deep copy into dst (which holds nothing to free). 0 or -ENOMEM (dst then empty). */
int nl_trace_meta_copy(struct nl_trace_meta *dst, const struct nl_trace_meta *src);

/* ---- writing ---- */

enum nl_trace_compression { NL_TRACE_ZSTD, NL_TRACE_ZLIB, NL_TRACE_NONE };

struct nl_trace_wopts {
	enum nl_trace_compression comp;
	int level;          /* 0: the kind's default (zstd 3, zlib 6) */
	size_t chunk_bytes; /* raw bytes before a chunk is cut; 0 = 1 MiB */
	uint64_t max_bytes; /* rotation: PATH, PATH.1, PATH.2, ... ; 0 = one file */
};

struct nl_trace_writer;

/* Creates path (mode 0600, truncated) and writes the header: m's sections, the
 * sources as the initial ones. o NULL: defaults (zstd 3, 1 MiB chunks, one file).
 * 0, or a negative errno with the reason in err. */
int nl_trace_writer_open(const char *path, const struct nl_trace_meta *m,
			 const struct nl_trace_wopts *o, struct nl_trace_writer **out,
			 char *err, size_t errlen);
/* One interval snapshot, every field but topo and names (the header's). Writes a
 * SOURCES record first when the snapshot's sources differ from the last written. */
int nl_trace_write_interval(struct nl_trace_writer *w, const struct nl_snapshot *interval);
/* A SOURCES record; a no-op when nothing changed since the last one (or the header). */
int nl_trace_write_sources(struct nl_trace_writer *w, const struct nl_source_state *sources);
/* Events in records of at most NL_TRACE_MAX_EVENTS. */
int nl_trace_write_events(struct nl_trace_writer *w, const struct nl_event *ev, size_t n);

/* Finished requests, in records of at most NL_TRACE_MAX_REQUESTS. */
int nl_trace_write_requests(struct nl_trace_writer *w, const struct nl_request *r, size_t n);

enum nl_trace_thread_kind { NL_TRACE_THREAD_NEW = 1, NL_TRACE_THREAD_EXIT, NL_TRACE_THREAD_NAME };

int nl_trace_write_thread(struct nl_trace_writer *w, enum nl_trace_thread_kind k,
			  uint64_t mono_ns, uint32_t tid, uint32_t pid, const char *comm);
/* A record of any type, payload already encoded (tests, tools, and record types this
 * library does not know yet). */
int nl_trace_write_raw(struct nl_trace_writer *w, uint32_t type, const void *payload, size_t len);
/* A record encoded ahead of time and kept in memory (the flight recorder's ring),
 * written later with nl_trace_write_raw(w, type, p, len). The encodings are the
 * writers' own: the file is the same as if it had been written at once (except for
 * SOURCES records, which nl_trace_write_interval adds on a change and these do not). */
struct nl_trace_blob {
	uint32_t type;
	uint8_t *p;
	size_t len;
};
/* An INTERVAL record. 0, -E2BIG (what the reader would refuse) or -ENOMEM. */
int nl_trace_encode_interval(const struct nl_snapshot *s, struct nl_trace_blob *out);
/* One EVENTS record of n <= NL_TRACE_MAX_EVENTS events. 0, -E2BIG or -ENOMEM. */
int nl_trace_encode_events(const struct nl_event *ev, size_t n, struct nl_trace_blob *out);
/* One REQUESTS record of n <= NL_TRACE_MAX_REQUESTS requests. 0, -E2BIG or -ENOMEM. */
int nl_trace_encode_requests(const struct nl_request *r, size_t n, struct nl_trace_blob *out);
/* One THREAD record, as nl_trace_write_thread writes it. 0 or -ENOMEM. */
int nl_trace_encode_thread(enum nl_trace_thread_kind k, uint64_t mono_ns, uint32_t tid,
			   uint32_t pid, const char *comm, struct nl_trace_blob *out);
void nl_trace_blob_free(struct nl_trace_blob *b);

/* Cuts the current chunk and writes it: what is flushed survives a kill. */
int nl_trace_flush(struct nl_trace_writer *w);
/* Flush, an END record, close. Returns the first error of the writer's life; frees w. */
int nl_trace_writer_close(struct nl_trace_writer *w);

struct nl_trace_wstats {
	uint64_t bytes_written, raw_bytes, chunks, records, files;
};
void nl_trace_writer_stats(const struct nl_trace_writer *w, struct nl_trace_wstats *st);
/* The files written so far (PATH first), valid until close. */
size_t nl_trace_writer_files(const struct nl_trace_writer *w, const char *const **paths);
/* The first error's text, "" when none. Once a write failed, every call fails. */
const char *nl_trace_writer_error(const struct nl_trace_writer *w);

/* ---- reading ---- */

struct nl_trace_ropts {
	/* Decode chunks whose checksums do not match (salvage, and fuzzing, where the
	 * decoder behind the checksum is what is tested). */
	bool skip_checksums;
	uint32_t max_chunk_bytes; /* 0 = NL_TRACE_MAX_CHUNK; lower only */
	uint64_t max_item_bytes;  /* memory one item may take; 0 = NL_TRACE_MAX_ITEM_BYTES */
};

struct nl_trace_reader;

int nl_trace_reader_open(const char *path, struct nl_trace_reader **out, char *err, size_t errlen);
int nl_trace_reader_open_opts(const char *path, const struct nl_trace_ropts *o,
			      struct nl_trace_reader **out, char *err, size_t errlen);
/* Reads a trace held in memory (buf must outlive the reader). */
int nl_trace_reader_open_mem(const void *buf, size_t len, const struct nl_trace_ropts *o,
			     struct nl_trace_reader **out, char *err, size_t errlen);
const struct nl_trace_meta *nl_trace_reader_meta(const struct nl_trace_reader *r);

enum nl_trace_item_kind { NL_TRACE_ITEM_INTERVAL = 1, NL_TRACE_ITEM_EVENTS, NL_TRACE_ITEM_THREAD,
			  NL_TRACE_ITEM_REQUESTS };

struct nl_trace_thread {
	enum nl_trace_thread_kind kind;
	uint64_t mono_ns;
	uint32_t tid, pid;
	char comm[16];
};

struct nl_trace_item {
	enum nl_trace_item_kind kind;
	struct nl_snapshot snap;   /* INTERVAL: topo, names, sources filled; nl_snapshot_free */
	struct nl_event *events;   /* EVENTS */
	size_t nr_events;
	struct nl_trace_thread thread; /* THREAD */
	struct nl_request *requests;   /* REQUESTS */
	size_t nr_requests;
};

/* 1: an item (free it with nl_trace_item_free); 0: the end (stats say whether the file
 * was cut short, and the error text then says what was lost); < 0: the file is corrupt
 * or hostile from here on, the message says where. After 0 or < 0 it stays so. */
int nl_trace_next(struct nl_trace_reader *r, struct nl_trace_item *it);
void nl_trace_item_free(struct nl_trace_item *it);

struct nl_trace_rstats {
	uint64_t chunks, records, bytes_read;
	uint64_t skipped_records;  /* record types this reader does not know */
	uint64_t skipped_sections; /* header sections this reader does not know */
	uint64_t skipped_fields;   /* unknown tags inside known records and sections */
	uint64_t skipped_values;   /* entries this build has no slot for (node ids >= NL_MAX_NODES) */
	bool truncated;            /* the file ends without an END record */
	uint64_t bytes_lost;       /* bytes after the last complete chunk */
	bool ended;                /* the END record was read */
	bool continued;            /* END says the recording goes on in the next file */
};
void nl_trace_reader_stats(const struct nl_trace_reader *r, struct nl_trace_rstats *st);
/* "" while all is well; after an error what and where; after a truncated end what
 * was lost. */
const char *nl_trace_reader_error(const struct nl_trace_reader *r);
/* What was skipped and is worth a line to the user ("unknown section 13, skipped"),
 * "" when nothing was. */
const char *nl_trace_reader_notes(const struct nl_trace_reader *r);
void nl_trace_reader_close(struct nl_trace_reader *r);

#endif
