/* The model's structs as trace messages (tags in format.h): record bodies and header
 * sections, encoded into a buffer and decoded from untrusted bytes. Encoders leave
 * their first error in the buffer; decoders leave theirs in the context and leave the
 * destination in a state its free function handles. */
#ifndef NL_TRACE_SCHEMA_H
#define NL_TRACE_SCHEMA_H

#include <stddef.h>

#include "trace/codec.h"
#include "trace/trace.h"

/* INTERVAL: the snapshot without topo, sources and names (the header and SOURCES
 * records carry those). */
void nl_schema_enc_snapshot(struct nl_buf *b, const struct nl_snapshot *s);
int nl_schema_dec_snapshot(struct nl_dctx *c, struct nl_dec *d, struct nl_snapshot *s);
/* What the reader would refuse in s (counts over the limits): 0, or -E2BIG and why. */
int nl_schema_check_snapshot(const struct nl_snapshot *s, char *why, size_t len);

/* SOURCES record and section: every known source by name. Decoding replaces all of
 * dst (sources not listed become unknown). */
void nl_schema_enc_sources(struct nl_buf *b, const struct nl_source_state *src);
int nl_schema_dec_sources(struct nl_dctx *c, struct nl_dec *d, struct nl_source_state *dst);
bool nl_schema_sources_equal(const struct nl_source_state *a, const struct nl_source_state *b);

void nl_schema_enc_events(struct nl_buf *b, const struct nl_event *ev, size_t n);
int nl_schema_dec_events(struct nl_dctx *c, struct nl_dec *d, struct nl_event **ev, size_t *n);
void nl_schema_enc_requests(struct nl_buf *b, const struct nl_request *r, size_t n);
int nl_schema_dec_requests(struct nl_dctx *c, struct nl_dec *d, struct nl_request **r, size_t *n);

void nl_schema_enc_thread(struct nl_buf *b, const struct nl_trace_thread *t);
int nl_schema_dec_thread(struct nl_dctx *c, struct nl_dec *d, struct nl_trace_thread *t);

struct nl_trace_end {
	bool continued;
	uint64_t chunks, records;
};
void nl_schema_enc_end(struct nl_buf *b, const struct nl_trace_end *e);
int nl_schema_dec_end(struct nl_dctx *c, struct nl_dec *d, struct nl_trace_end *e);

/* Header sections, in the order the writer writes them. */
size_t nl_schema_nr_sections(void);
uint32_t nl_schema_section_id(size_t i);
void nl_schema_enc_section(struct nl_buf *b, size_t i, const struct nl_trace_meta *m);
/* 1: a section this build does not know (skip it), 0: decoded into m, < 0: error. */
int nl_schema_dec_section(struct nl_dctx *c, uint32_t id, struct nl_dec *d, struct nl_trace_meta *m);

#endif
