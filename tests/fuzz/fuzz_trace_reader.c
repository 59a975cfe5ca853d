/* libFuzzer target: the trace reader on arbitrary bytes (make fuzz; tests/fuzz/run).
 * Each input is read twice: with checksums, as numalens reads, and without, so the
 * decoders behind the checksums meet the mutations too. Every item must satisfy what a
 * renderer relies on (abort otherwise), and its INTERVAL/EVENTS/THREAD bodies must
 * re-encode to what they decoded from (encode(decode(encode(x))) == encode(x)). The
 * limits are lowered so a tiny input cannot spend seconds building a 64 MiB chunk. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/codec.h"
#include "trace/format.h"
#include "trace/schema.h"
#include "trace/trace.h"

/* The bytes of an encoding; never NULL (NULL + 0 is undefined behaviour). */
static struct nl_dec dec_of(const struct nl_buf *b)
{
	static const uint8_t empty[1];
	const uint8_t *p = b->p ? b->p : empty;

	return (struct nl_dec){ p, p + b->len };
}

#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "fuzz_trace_reader: %s:%d: %s\n", __FILE__, __LINE__, \
				#cond);                                                  \
			abort();                                                         \
		}                                                                        \
	} while (0)

/* A NUL within size: fixed char arrays are always terminated. */
static void check_chars(const char *s, size_t size)
{
	CHECK(memchr(s, '\0', size) != NULL);
}

static void check_topo(const struct nl_topo_summary *t)
{
	bool seen[NL_MAX_NODES] = { false };

	CHECK(t->nr_nodes >= 0 && t->nr_nodes <= NL_MAX_NODES);
	for (int i = 0; i < t->nr_nodes; i++) {
		int id = t->node_ids[i];
		CHECK(id >= 0 && id < NL_MAX_NODES && !seen[id]);
		seen[id] = true;
	}
	for (int n = 0; n < NL_MAX_NODES; n++) {
		CHECK(t->nr_cpus[n] >= 0);
		CHECK(!t->nr_cpus[n] || t->cpus[n]);
		for (int c = 0; c < t->nr_cpus[n]; c++)
			CHECK(t->cpus[n][c] >= 0);
	}
}

static void check_stack(const struct nl_stack *st)
{
	CHECK(st->nr >= 0 && st->nr <= NL_MAX_FRAMES);
	for (int i = 0; i < st->nr; i++) {
		const struct nl_frame *f = &st->frames[i];
		CHECK(!f->symbol || strlen(f->symbol) <= (1u << 20));
		CHECK(!f->module || strlen(f->module) <= (1u << 20));
		CHECK(!f->build_id || strlen(f->build_id) <= (1u << 20));
	}
}

static void check_proc(const struct nl_process *p)
{
	check_chars(p->comm, sizeof(p->comm));
	check_chars(p->diag.init_comm, sizeof(p->diag.init_comm));
	check_chars(p->diag.text, sizeof(p->diag.text));
	check_chars(p->diag.fix, sizeof(p->diag.fix));
	CHECK(p->nr_vmas >= 0 && (!p->nr_vmas || p->vmas));
	CHECK(p->nr_threads >= 0 && (!p->nr_threads || p->threads));
	for (int v = 0; v < p->nr_vmas; v++) {
		check_chars(p->vmas[v].policy, sizeof(p->vmas[v].policy));
		CHECK(!p->vmas[v].name || strlen(p->vmas[v].name) <= (1u << 20));
	}
	for (int t = 0; t < p->nr_threads; t++) {
		check_chars(p->threads[t].comm, sizeof(p->threads[t].comm));
		if (p->threads[t].first_touch_stack)
			check_stack(p->threads[t].first_touch_stack);
	}
}

static void check_snapshot(const struct nl_snapshot *s)
{
	check_topo(&s->topo);
	CHECK(s->nr_procs >= 0 && (!s->nr_procs || s->procs));
	for (int p = 0; p < s->nr_procs; p++)
		check_proc(&s->procs[p]);
	for (int i = 0; i < NL_SRC_MAX; i++)
		CHECK(!s->sources[i].detail || s->sources[i].known);
	for (int i = 0; i < NL_MIGRATE_REASONS; i++)
		check_chars(s->names.migrate_reason[i], sizeof(s->names.migrate_reason[i]));
	check_chars(s->autonuma_state, sizeof(s->autonuma_state));
	check_chars(s->vmstat.note, sizeof(s->vmstat.note));
	CHECK(s->recording == NULL);
}

/* encode(x) == encode(decode(encode(x))): the decoder keeps everything the encoder
 * writes, for any x the decoder can produce. */
static void check_reencode_snapshot(const struct nl_snapshot *s)
{
	struct nl_buf a = { 0 }, b = { 0 };
	struct nl_snapshot t = { 0 };
	struct nl_dctx c = { .budget = UINT64_MAX };
	struct nl_dec d;

	nl_schema_enc_snapshot(&a, s);
	CHECK(!a.err);
	d = dec_of(&a);
	CHECK(nl_schema_dec_snapshot(&c, &d, &t) == 0);
	CHECK(c.skipped_fields == 0 && c.skipped_values == 0);
	nl_schema_enc_snapshot(&b, &t);
	CHECK(a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len)));
	nl_snapshot_free(&t);
	nl_buf_free(&a);
	nl_buf_free(&b);
}

static void check_reencode_events(const struct nl_event *ev, size_t n)
{
	struct nl_buf a = { 0 };
	struct nl_dctx c = { .budget = UINT64_MAX };
	struct nl_event *back = NULL;
	size_t nback = 0;
	struct nl_dec d;

	nl_schema_enc_events(&a, ev, n);
	d = dec_of(&a);
	CHECK(nl_schema_dec_events(&c, &d, &back, &nback) == 0);
	CHECK(nback == n && (!n || !memcmp(back, ev, n * sizeof(*ev))));
	free(back);
	nl_buf_free(&a);
}

static void check_reencode_requests(const struct nl_request *r, size_t n)
{
	struct nl_buf a = { 0 };
	struct nl_dctx c = { .budget = UINT64_MAX };
	struct nl_request *back = NULL;
	size_t nback = 0;
	struct nl_dec d;

	nl_schema_enc_requests(&a, r, n);
	d = dec_of(&a);
	CHECK(nl_schema_dec_requests(&c, &d, &back, &nback) == 0);
	CHECK(nback == n && (!n || !memcmp(back, r, n * sizeof(*r))));
	free(back);
	nl_buf_free(&a);
}

static void check_reencode_meta(const struct nl_trace_meta *m)
{
	for (size_t i = 0; i < nl_schema_nr_sections(); i++) {
		struct nl_buf a = { 0 }, b = { 0 };
		struct nl_trace_meta t = { 0 };
		struct nl_dctx c = { .budget = UINT64_MAX };
		struct nl_dec d;

		nl_schema_enc_section(&a, i, m);
		d = dec_of(&a);
		CHECK(nl_schema_dec_section(&c, nl_schema_section_id(i), &d, &t) == 0);
		nl_schema_enc_section(&b, i, &t);
		CHECK(a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len)));
		nl_trace_meta_free(&t);
		nl_buf_free(&a);
		nl_buf_free(&b);
	}
}

static void check_item(const struct nl_trace_item *it)
{
	switch (it->kind) {
	case NL_TRACE_ITEM_INTERVAL:
		check_snapshot(&it->snap);
		check_reencode_snapshot(&it->snap);
		break;
	case NL_TRACE_ITEM_EVENTS:
		CHECK(it->nr_events <= NL_TRACE_MAX_EVENTS && (!it->nr_events || it->events));
		check_reencode_events(it->events, it->nr_events);
		break;
	case NL_TRACE_ITEM_REQUESTS:
		CHECK(it->nr_requests <= NL_TRACE_MAX_REQUESTS && (!it->nr_requests || it->requests));
		check_reencode_requests(it->requests, it->nr_requests);
		break;
	case NL_TRACE_ITEM_THREAD:
		CHECK(it->thread.kind >= NL_TRACE_THREAD_NEW && it->thread.kind <= NL_TRACE_THREAD_NAME);
		check_chars(it->thread.comm, sizeof(it->thread.comm));
		break;
	default:
		CHECK(!"an item of no kind");
	}
}

static void read_all(const uint8_t *data, size_t size, bool skip_checksums)
{
	struct nl_trace_ropts o = { .skip_checksums = skip_checksums,
				    .max_chunk_bytes = 1u << 20, .max_item_bytes = 64u << 20 };
	struct nl_trace_reader *r;
	struct nl_trace_item it;
	struct nl_trace_rstats st;
	char err[256];
	int rc;

	if (nl_trace_reader_open_mem(data, size, &o, &r, err, sizeof(err))) {
		CHECK(err[0]);
		return;
	}
	check_topo(&nl_trace_reader_meta(r)->topo);
	check_reencode_meta(nl_trace_reader_meta(r));
	while ((rc = nl_trace_next(r, &it)) == 1) {
		check_item(&it);
		nl_trace_item_free(&it);
	}
	CHECK(rc == 0 || *nl_trace_reader_error(r));
	CHECK(nl_trace_next(r, &it) == rc); /* the end and errors stay */
	nl_trace_reader_stats(r, &st);
	CHECK(st.bytes_read <= size);
	CHECK(!st.truncated || rc == 0);
	nl_trace_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_all(data, size, false);
	read_all(data, size, true);
	return 0;
}
