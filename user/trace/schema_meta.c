/* Header sections (topology, strings, sources, enum names, clock, file) and the small
 * records (SOURCES, EVENTS, THREAD, END) as tagged messages. */
#include "trace/schema.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "trace/format.h"

/* ---- topology: a list of nodes, each naming its id (no fixed 8-node arrays) ---- */

/* One node as it travels; placed into the topology once it decoded. */
struct topo_node {
	uint32_t id;
	int *cpus;
	uint32_t nr_cpus;
	uint64_t mem_kb;
	uint64_t distance[NL_MAX_NODES]; /* zigzag: distances are ints */
};

static void enc_cpus(struct nl_buf *b, uint32_t tag, const void *obj)
{
	const struct topo_node *n = obj;
	size_t mark;

	if (!n->nr_cpus)
		return;
	mark = nl_enc_list_begin(b, tag, n->nr_cpus);
	for (uint32_t i = 0; i < n->nr_cpus; i++)
		nl_put_varint(b, (uint32_t)n->cpus[i]);
	nl_enc_end(b, mark);
}

/* A packed list: count, then that many varints. */
static int dec_cpus(struct nl_dctx *c, struct nl_dec *d, int wire, void *obj)
{
	struct topo_node *n = obj;
	struct nl_dec body;
	uint32_t count;
	uint64_t v;
	int rc;

	if (wire != NL_WIRE_LEN)
		return 1;
	if (n->cpus)
		return nl_dec_fail(c, -EBADMSG, "a second CPU list");
	rc = nl_dec_list(c, d, NL_TRACE_MAX_CPUS, "CPU", &body, &count);
	if (!rc && !(n->cpus = nl_dec_alloc(c, count, sizeof(int))))
		rc = c->err;
	for (uint32_t i = 0; !rc && i < count; i++) {
		rc = nl_dec_varint(c, &body, &v);
		if (!rc && v > INT_MAX)
			rc = nl_dec_fail(c, -EBADMSG, "CPU %llu", (unsigned long long)v);
		if (!rc)
			n->cpus[n->nr_cpus++] = (int)v;
	}
	if (!rc && body.p != body.end)
		rc = nl_dec_fail(c, -EBADMSG, "bytes after the last CPU");
	return rc;
}

static const struct nl_field node_fields[] = {
	NL_FU32(NL_T_NODE_ID, struct topo_node, id),
	NL_FCUSTOM(NL_T_NODE_CPUS, enc_cpus, dec_cpus),
	NL_FU64(NL_T_NODE_MEM_KB, struct topo_node, mem_kb),
	NL_FVEC(NL_T_NODE_DISTANCE, struct topo_node, distance),
};
static const struct nl_msg_desc node_desc = NL_DESC("node", node_fields);

static bool node_valid(const struct nl_topo_summary *t, int i)
{
	return t->node_ids[i] >= 0 && t->node_ids[i] < NL_MAX_NODES;
}

static void enc_nodes(struct nl_buf *b, uint32_t tag, const void *obj)
{
	const struct nl_topo_summary *t = obj;
	int nr = t->nr_nodes < 0 ? 0 : t->nr_nodes > NL_MAX_NODES ? NL_MAX_NODES : t->nr_nodes;
	int count = 0;
	size_t mark, e;

	for (int i = 0; i < nr; i++)
		count += node_valid(t, i);
	if (!count)
		return;
	mark = nl_enc_list_begin(b, tag, (uint64_t)count);
	for (int i = 0; i < nr; i++) {
		int id = t->node_ids[i];
		if (!node_valid(t, i))
			continue;
		struct topo_node n = { .id = (uint32_t)id, .cpus = t->cpus[id],
				       .nr_cpus = t->cpus[id] && t->nr_cpus[id] > 0 ? (uint32_t)t->nr_cpus[id] : 0,
				       .mem_kb = t->mem_total_kb[id] };
		for (int to = 0; to < NL_MAX_NODES; to++)
			n.distance[to] = nl_zigzag(t->distance[id][to]);
		e = nl_enc_begin(b, 0);
		nl_enc_fields(b, &node_desc, &n);
		nl_enc_end(b, e);
	}
	nl_enc_end(b, mark);
}

/* A node this build cannot hold (id >= NL_MAX_NODES, a repeated id) is counted and
 * left out; the rest of the topology stands. */
static void place_node(struct nl_dctx *c, struct nl_topo_summary *t, struct topo_node *n)
{
	bool dup = false;

	for (int i = 0; i < t->nr_nodes; i++)
		dup |= t->node_ids[i] == (int)n->id;
	if (n->id >= NL_MAX_NODES || dup || t->nr_nodes >= NL_MAX_NODES) {
		c->skipped_values++;
		free(n->cpus);
		return;
	}
	t->node_ids[t->nr_nodes++] = (int)n->id;
	t->cpus[n->id] = n->cpus;
	t->nr_cpus[n->id] = (int)n->nr_cpus;
	t->mem_total_kb[n->id] = n->mem_kb;
	for (int to = 0; to < NL_MAX_NODES; to++) {
		int64_t v = nl_unzigzag(n->distance[to]);
		t->distance[n->id][to] = v < INT_MIN || v > INT_MAX ? 0 : (int)v;
	}
}

static int dec_nodes(struct nl_dctx *c, struct nl_dec *d, int wire, void *obj)
{
	struct nl_topo_summary *t = obj;
	struct nl_dec body, entry;
	uint32_t count;
	int rc;

	if (wire != NL_WIRE_LEN)
		return 1;
	if (t->nr_nodes)
		return nl_dec_fail(c, -EBADMSG, "a second list of nodes");
	rc = nl_dec_list(c, d, NL_TRACE_MAX_ENTRIES, "node", &body, &count);
	for (uint32_t i = 0; !rc && i < count; i++) {
		struct topo_node n = { 0 };
		rc = nl_dec_entry(c, &body, &entry);
		if (!rc)
			rc = nl_dec_fields(c, &entry, &node_desc, &n);
		if (rc)
			free(n.cpus);
		else
			place_node(c, t, &n);
	}
	if (!rc && body.p != body.end)
		rc = nl_dec_fail(c, -EBADMSG, "bytes after the last node");
	return rc;
}

static const struct nl_field topo_fields[] = {
	NL_FCUSTOM(NL_T_TOPO_NODES, enc_nodes, dec_nodes),
};
static const struct nl_msg_desc topo_desc = NL_DESC("topology", topo_fields);

/* ---- sources: by name, so a reader whose enum differs still finds them ---- */

struct source_entry {
	char *name;
	bool active;
	char *detail;
};

static const struct nl_field source_fields[] = {
	NL_FSTR(NL_T_SOURCE_NAME, struct source_entry, name),
	NL_FBOOL(NL_T_SOURCE_ACTIVE, struct source_entry, active),
	NL_FSTR(NL_T_SOURCE_DETAIL, struct source_entry, detail),
};
static const struct nl_msg_desc source_desc = NL_DESC("source", source_fields);

static void enc_source_list(struct nl_buf *b, uint32_t tag, const void *obj)
{
	const struct nl_source_state *src = obj;
	size_t count = 0, mark, e;

	for (int id = 0; id < NL_SRC_MAX; id++)
		count += src[id].known && nl_source_name(id);
	if (!count)
		return;
	mark = nl_enc_list_begin(b, tag, count);
	for (int id = 0; id < NL_SRC_MAX; id++) {
		if (!src[id].known || !nl_source_name(id))
			continue;
		struct source_entry s = { (char *)nl_source_name(id), src[id].active, src[id].detail };
		e = nl_enc_begin(b, 0);
		nl_enc_fields(b, &source_desc, &s);
		nl_enc_end(b, e);
	}
	nl_enc_end(b, mark);
}

/* A source this build does not know by name is counted and left out. */
static void place_source(struct nl_dctx *c, struct nl_source_state *dst, struct source_entry *s)
{
	int id = s->name ? nl_source_id(s->name) : -1;

	free(s->name);
	if (id < 0 || id >= NL_SRC_MAX) {
		c->skipped_values++;
		free(s->detail);
		return;
	}
	free(dst[id].detail);
	dst[id].known = true;
	dst[id].active = s->active;
	dst[id].detail = s->detail;
}

static int dec_source_list(struct nl_dctx *c, struct nl_dec *d, int wire, void *obj)
{
	struct nl_source_state *dst = obj;
	struct nl_dec body, entry;
	uint32_t count;
	int rc;

	if (wire != NL_WIRE_LEN)
		return 1;
	rc = nl_dec_list(c, d, NL_TRACE_MAX_ENTRIES, "source", &body, &count);
	for (uint32_t i = 0; !rc && i < count; i++) {
		struct source_entry s = { 0 };
		rc = nl_dec_entry(c, &body, &entry);
		if (!rc)
			rc = nl_dec_fields(c, &entry, &source_desc, &s);
		if (rc) {
			free(s.name);
			free(s.detail);
		} else {
			place_source(c, dst, &s);
		}
	}
	if (!rc && body.p != body.end)
		rc = nl_dec_fail(c, -EBADMSG, "bytes after the last source");
	return rc;
}

static const struct nl_field sources_fields[] = {
	NL_FCUSTOM(NL_T_SOURCES_LIST, enc_source_list, dec_source_list),
};
static const struct nl_msg_desc sources_desc = NL_DESC("sources", sources_fields);

void nl_schema_enc_sources(struct nl_buf *b, const struct nl_source_state *src)
{
	nl_enc_fields(b, &sources_desc, src);
}

int nl_schema_dec_sources(struct nl_dctx *c, struct nl_dec *d, struct nl_source_state *dst)
{
	nl_sources_free(dst);
	memset(dst, 0, NL_SRC_MAX * sizeof(*dst));
	return nl_dec_fields(c, d, &sources_desc, dst);
}

bool nl_schema_sources_equal(const struct nl_source_state *a, const struct nl_source_state *b)
{
	for (int id = 0; id < NL_SRC_MAX; id++) {
		if (a[id].known != b[id].known)
			return false;
		if (!a[id].known)
			continue;
		if (a[id].active != b[id].active || !a[id].detail != !b[id].detail ||
		    (a[id].detail && strcmp(a[id].detail, b[id].detail)))
			return false;
	}
	return true;
}

/* ---- enum names: (index, name) entries, the recording kernel's numbering ---- */

struct name_entry {
	uint32_t index;
	char name[sizeof(((struct nl_enum_names *)0)->migrate_reason[0])];
};

static const struct nl_field name_fields[] = {
	NL_FU32(NL_T_ENUM_INDEX, struct name_entry, index),
	NL_FCHARS(NL_T_ENUM_NAME, struct name_entry, name),
};
static const struct nl_msg_desc name_desc = NL_DESC("enum name", name_fields);

static void enc_names(struct nl_buf *b, uint32_t tag, char (*names)[32], size_t n)
{
	size_t count = 0, mark, e;

	for (size_t i = 0; i < n; i++)
		count += names[i][0] != '\0';
	if (!count)
		return;
	mark = nl_enc_list_begin(b, tag, count);
	for (size_t i = 0; i < n; i++) {
		if (!names[i][0])
			continue;
		struct name_entry ne = { .index = (uint32_t)i };
		memcpy(ne.name, names[i], sizeof(ne.name));
		e = nl_enc_begin(b, 0);
		nl_enc_fields(b, &name_desc, &ne);
		nl_enc_end(b, e);
	}
	nl_enc_end(b, mark);
}

static int dec_names(struct nl_dctx *c, struct nl_dec *d, int wire, char (*names)[32], size_t n)
{
	struct nl_dec body, entry;
	uint32_t count;
	int rc;

	if (wire != NL_WIRE_LEN)
		return 1;
	rc = nl_dec_list(c, d, NL_TRACE_MAX_ENTRIES, "enum name", &body, &count);
	for (uint32_t i = 0; !rc && i < count; i++) {
		struct name_entry ne = { 0 };
		rc = nl_dec_entry(c, &body, &entry);
		if (!rc)
			rc = nl_dec_fields(c, &entry, &name_desc, &ne);
		if (!rc && ne.index < n)
			memcpy(names[ne.index], ne.name, sizeof(ne.name));
		else if (!rc)
			c->skipped_values++;
	}
	if (!rc && body.p != body.end)
		rc = nl_dec_fail(c, -EBADMSG, "bytes after the last enum name");
	return rc;
}

static void enc_migrate_names(struct nl_buf *b, uint32_t tag, const void *obj)
{
	struct nl_enum_names *n = (struct nl_enum_names *)obj;

	enc_names(b, tag, n->migrate_reason, NL_MIGRATE_REASONS);
}

static int dec_migrate_names(struct nl_dctx *c, struct nl_dec *d, int wire, void *obj)
{
	struct nl_enum_names *n = obj;

	return dec_names(c, d, wire, n->migrate_reason, NL_MIGRATE_REASONS);
}

static void enc_tlb_names(struct nl_buf *b, uint32_t tag, const void *obj)
{
	struct nl_enum_names *n = (struct nl_enum_names *)obj;

	enc_names(b, tag, n->tlb_reason, NL_TLB_REASONS);
}

static int dec_tlb_names(struct nl_dctx *c, struct nl_dec *d, int wire, void *obj)
{
	struct nl_enum_names *n = obj;

	return dec_names(c, d, wire, n->tlb_reason, NL_TLB_REASONS);
}

static const struct nl_field names_fields[] = {
	NL_FCUSTOM(NL_T_NAMES_MIGRATE, enc_migrate_names, dec_migrate_names),
	NL_FCUSTOM(NL_T_NAMES_TLB, enc_tlb_names, dec_tlb_names),
};
static const struct nl_msg_desc names_desc = NL_DESC("enum names", names_fields);

/* ---- the scalar sections ---- */

static const struct nl_field clock_fields[] = {
	NL_FU64(NL_T_CLOCK_REALTIME, struct nl_trace_meta, start_realtime_ns),
	NL_FU64(NL_T_CLOCK_MONO, struct nl_trace_meta, start_mono_ns),
	NL_FU64(NL_T_CLOCK_INTERVAL, struct nl_trace_meta, interval_ns),
	NL_FU64(NL_T_CLOCK_RESIDENCY_INTERVAL, struct nl_trace_meta, residency_interval_ns),
};
static const struct nl_msg_desc clock_desc = NL_DESC("clock", clock_fields);

static const struct nl_field balancing_fields[] = {
	NL_FSINT(NL_T_NUMA_BALANCING, struct nl_trace_meta, numa_balancing),
};
static const struct nl_msg_desc balancing_desc = NL_DESC("numa_balancing", balancing_fields);

static const struct nl_field file_fields[] = {
	NL_FU64(NL_T_FILE_RECORDING_ID, struct nl_trace_meta, recording_id),
	NL_FU32(NL_T_FILE_PART, struct nl_trace_meta, part),
	NL_FU64(NL_T_FILE_FIRST_SEQ, struct nl_trace_meta, first_seq),
};
static const struct nl_msg_desc file_desc = NL_DESC("file", file_fields);

#define META_STRING(tag, f, kind) \
	static const struct nl_field f##_fields[] = { kind(tag, struct nl_trace_meta, f) }; \
	static const struct nl_msg_desc f##_desc = NL_DESC(#f, f##_fields)
META_STRING(NL_T_STRING_VALUE, kernel_release, NL_FCHARS);
META_STRING(NL_T_STRING_VALUE, hostname, NL_FCHARS);
META_STRING(NL_T_STRING_VALUE, machine, NL_FCHARS);
META_STRING(NL_T_STRING_VALUE, cmdline, NL_FSTR);
META_STRING(NL_T_STRING_VALUE, target, NL_FSTR);
META_STRING(NL_T_STRING_VALUE, version, NL_FSTR);
META_STRING(NL_T_STRING_VALUE, request, NL_FSTR);

/* Sections whose message describes a member of the meta rather than the meta itself
 * say where that member is. */
static const struct {
	uint32_t id;
	const struct nl_msg_desc *desc;
	size_t off;
} sections[] = {
	{ NL_SEC_TOPOLOGY, &topo_desc, offsetof(struct nl_trace_meta, topo) },
	{ NL_SEC_KERNEL_RELEASE, &kernel_release_desc, 0 },
	{ NL_SEC_HOSTNAME, &hostname_desc, 0 },
	{ NL_SEC_MACHINE, &machine_desc, 0 },
	{ NL_SEC_CMDLINE, &cmdline_desc, 0 },
	{ NL_SEC_TARGET, &target_desc, 0 },
	{ NL_SEC_SOURCES, &sources_desc, offsetof(struct nl_trace_meta, sources) },
	{ NL_SEC_ENUM_NAMES, &names_desc, offsetof(struct nl_trace_meta, names) },
	{ NL_SEC_CLOCK, &clock_desc, 0 },
	{ NL_SEC_VERSION, &version_desc, 0 },
	{ NL_SEC_NUMA_BALANCING, &balancing_desc, 0 },
	{ NL_SEC_FILE, &file_desc, 0 },
	{ NL_SEC_REQUEST, &request_desc, 0 },
};

size_t nl_schema_nr_sections(void)
{
	return sizeof(sections) / sizeof(sections[0]);
}

uint32_t nl_schema_section_id(size_t i)
{
	return sections[i].id;
}

void nl_schema_enc_section(struct nl_buf *b, size_t i, const struct nl_trace_meta *m)
{
	nl_enc_fields(b, sections[i].desc, (const char *)m + sections[i].off);
}

int nl_schema_dec_section(struct nl_dctx *c, uint32_t id, struct nl_dec *d, struct nl_trace_meta *m)
{
	for (size_t i = 0; i < nl_schema_nr_sections(); i++)
		if (sections[i].id == id)
			return nl_dec_fields(c, d, sections[i].desc, (char *)m + sections[i].off);
	return 1;
}

/* ---- EVENTS, THREAD, END records ---- */

static const struct nl_field event_fields[] = {
	NL_FU64(NL_T_EV_TS_NS, struct nl_event, ts_ns),
	NL_FU32(NL_T_EV_TYPE, struct nl_event, type),
	NL_FU32(NL_T_EV_TID, struct nl_event, tid),
	NL_FU32(NL_T_EV_TGID, struct nl_event, tgid),
	NL_FU32(NL_T_EV_CPU, struct nl_event, cpu),
	NL_FU32(NL_T_EV_A, struct nl_event, a),
	NL_FU32(NL_T_EV_B, struct nl_event, b),
	NL_FU64(NL_T_EV_V0, struct nl_event, v0),
	NL_FU64(NL_T_EV_V1, struct nl_event, v1),
	NL_FU64(NL_T_EV_V2, struct nl_event, v2),
};
static const struct nl_msg_desc event_desc = NL_DESC("event", event_fields);

/* A record whose only field is a list of one message kind (EVENTS, REQUESTS). */
static void enc_list_record(struct nl_buf *b, uint32_t tag, const void *items, size_t n,
			    size_t size, const struct nl_msg_desc *desc)
{
	size_t mark, e;

	if (!n)
		return;
	mark = nl_enc_list_begin(b, tag, n);
	for (size_t i = 0; i < n; i++) {
		e = nl_enc_begin(b, 0);
		nl_enc_fields(b, desc, (const char *)items + i * size);
		nl_enc_end(b, e);
	}
	nl_enc_end(b, mark);
}

static int dec_list_field(struct nl_dctx *c, struct nl_dec *d, uint32_t max, size_t size,
			  const struct nl_msg_desc *desc, void **items, size_t *n)
{
	struct nl_dec body, entry;
	uint32_t count;
	int rc;

	if (*items)
		return nl_dec_fail(c, -EBADMSG, "a second list of %ss", desc->name);
	rc = nl_dec_list(c, d, max, desc->name, &body, &count);
	if (!rc && !(*items = nl_dec_alloc(c, count, size)))
		rc = c->err;
	if (!rc)
		*n = count;
	for (uint32_t i = 0; !rc && i < count; i++) {
		rc = nl_dec_entry(c, &body, &entry);
		if (!rc)
			rc = nl_dec_fields(c, &entry, desc, (char *)*items + i * size);
	}
	if (!rc && body.p != body.end)
		rc = nl_dec_fail(c, -EBADMSG, "bytes after the last %s", desc->name);
	return rc;
}

/* The list is the record's only field: anything else is skipped as unknown. */
static int dec_list_record(struct nl_dctx *c, struct nl_dec *d, uint32_t tag, uint32_t max,
			   size_t size, const struct nl_msg_desc *desc, void **items, size_t *n)
{
	uint32_t key;
	int wire, rc = 0;

	*items = NULL;
	*n = 0;
	while (!rc && d->p < d->end) {
		rc = nl_dec_key(c, d, &key, &wire);
		if (rc)
			break;
		if (key == tag && wire == NL_WIRE_LEN) {
			rc = dec_list_field(c, d, max, size, desc, items, n);
		} else {
			c->skipped_fields++;
			rc = nl_dec_skip(c, d, wire);
		}
	}
	return rc;
}

void nl_schema_enc_events(struct nl_buf *b, const struct nl_event *ev, size_t n)
{
	enc_list_record(b, NL_T_EVENTS_LIST, ev, n, sizeof(*ev), &event_desc);
}

int nl_schema_dec_events(struct nl_dctx *c, struct nl_dec *d, struct nl_event **ev, size_t *n)
{
	return dec_list_record(c, d, NL_T_EVENTS_LIST, NL_TRACE_MAX_EVENTS, sizeof(**ev),
			       &event_desc, (void **)ev, n);
}

/* ---- REQUESTS records ---- */

static const struct nl_field request_rec_fields[] = {
	NL_FU64(NL_T_RQ_START_NS, struct nl_request, start_ns),
	NL_FU64(NL_T_RQ_LATENCY_NS, struct nl_request, latency_ns),
	NL_FVEC(NL_T_RQ_CAUSES, struct nl_request, causes_ns),
	NL_FVEC(NL_T_RQ_MIGRATE_BY_REASON, struct nl_request, migrate_stall_by_reason),
	NL_FU32(NL_T_RQ_TID, struct nl_request, tid),
	NL_FU32(NL_T_RQ_TGID, struct nl_request, tgid),
	NL_FU32(NL_T_RQ_HINT_FAULTS, struct nl_request, hint_faults),
	NL_FU32(NL_T_RQ_MIGRATE_CALLS, struct nl_request, migrate_calls),
	NL_FU32(NL_T_RQ_MIGRATED_PAGES, struct nl_request, migrated_pages),
	NL_FU32(NL_T_RQ_NUMA_MOVES, struct nl_request, numa_moves),
	NL_FU32(NL_T_RQ_IPIS, struct nl_request, ipis),
	NL_FU32(NL_T_RQ_RECLAIMS, struct nl_request, reclaims),
	NL_FU32(NL_T_RQ_CPU_START, struct nl_request, cpu_start),
	NL_FU32(NL_T_RQ_CPU_END, struct nl_request, cpu_end),
	NL_FU32(NL_T_RQ_FLAGS, struct nl_request, flags),
	NL_FU32(NL_T_RQ_DEPTH_MAX, struct nl_request, depth_max),
};
static const struct nl_msg_desc request_desc_rec = NL_DESC("request", request_rec_fields);

void nl_schema_enc_requests(struct nl_buf *b, const struct nl_request *r, size_t n)
{
	enc_list_record(b, NL_T_REQUESTS_LIST, r, n, sizeof(*r), &request_desc_rec);
}

int nl_schema_dec_requests(struct nl_dctx *c, struct nl_dec *d, struct nl_request **r, size_t *n)
{
	return dec_list_record(c, d, NL_T_REQUESTS_LIST, NL_TRACE_MAX_REQUESTS, sizeof(**r),
			       &request_desc_rec, (void **)r, n);
}

static const struct nl_field thread_rec_fields[] = {
	NL_FU32(NL_T_THREAD_KIND, struct nl_trace_thread, kind),
	NL_FU64(NL_T_THREAD_MONO_NS, struct nl_trace_thread, mono_ns),
	NL_FU32(NL_T_THREAD_TID, struct nl_trace_thread, tid),
	NL_FU32(NL_T_THREAD_PID, struct nl_trace_thread, pid),
	NL_FCHARS(NL_T_THREAD_COMM, struct nl_trace_thread, comm),
};
static const struct nl_msg_desc thread_rec_desc = NL_DESC("thread record", thread_rec_fields);

void nl_schema_enc_thread(struct nl_buf *b, const struct nl_trace_thread *t)
{
	nl_enc_fields(b, &thread_rec_desc, t);
}

int nl_schema_dec_thread(struct nl_dctx *c, struct nl_dec *d, struct nl_trace_thread *t)
{
	memset(t, 0, sizeof(*t));
	return nl_dec_fields(c, d, &thread_rec_desc, t);
}

static const struct nl_field end_fields[] = {
	NL_FBOOL(NL_T_END_CONTINUED, struct nl_trace_end, continued),
	NL_FU64(NL_T_END_CHUNKS, struct nl_trace_end, chunks),
	NL_FU64(NL_T_END_RECORDS, struct nl_trace_end, records),
};
static const struct nl_msg_desc end_desc = NL_DESC("end", end_fields);

void nl_schema_enc_end(struct nl_buf *b, const struct nl_trace_end *e)
{
	nl_enc_fields(b, &end_desc, e);
}

int nl_schema_dec_end(struct nl_dctx *c, struct nl_dec *d, struct nl_trace_end *e)
{
	memset(e, 0, sizeof(*e));
	return nl_dec_fields(c, d, &end_desc, e);
}
