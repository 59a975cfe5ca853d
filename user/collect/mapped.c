/* Mapped faults: resolution in user space (collect/mapped.h). Why not in BPF: no hook
 * the development host allows sees the page such a fault maps (bpf/mapped.bpf.h). The
 * page is asked for after the fault, at the next sample: a page reclaimed, migrated or
 * unmapped meanwhile gives its node now or nothing, and a process gone by then cannot be
 * asked at all. Both are counted and shown, never guessed. */
#include "collect/mapped.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "collect/vma_kind.h"
#include "numalens.h"

/* Largest hugetlb order believed (1 GiB pages are order 18 on x86). */
#define MAX_HUGE_ORDER 30

struct nl_mapped {
	struct ring_buffer *rb;
	struct nl_mapped_event *ev; /* taken this sample */
	size_t n, cap;              /* cap: more than the ring can hold */
	uint64_t mapped, huge;      /* resolved since the start */
	uint64_t page_gone;         /* no page there any more (or the zero page) */
	uint64_t proc_gone;         /* the process could not be asked (exited) */
	uint64_t bad_order;         /* a hugetlb page whose size BPF could not read */
	uint64_t no_thread;         /* no table entry could be made (out of memory) */
	uint64_t by_smaps;          /* classified here (the mmap lock was busy in BPF) */
	uint64_t smaps_anon;        /* of them, private anonymous: unresolved, rightly */
};

static int take_event(void *ctx, void *data, size_t size)
{
	struct nl_mapped *m = ctx;

	if (size < sizeof(struct nl_mapped_event) || m->n == m->cap)
		return 0; /* cannot happen: cap exceeds what the ring holds */
	memcpy(&m->ev[m->n++], data, sizeof(struct nl_mapped_event));
	return 0;
}

int nl_mapped_open(struct nl_mapped **out, int ring_fd, uint32_t ring_bytes, char *err,
		   size_t len)
{
	struct nl_mapped *m = calloc(1, sizeof(*m));
	int ret;

	*out = NULL;
	if (!m)
		goto nomem;
	/* every record has an 8-byte header in the ring */
	m->cap = ring_bytes / (sizeof(struct nl_mapped_event) + 8) + 1;
	m->ev = calloc(m->cap, sizeof(*m->ev));
	if (!m->ev)
		goto nomem;
	m->rb = ring_buffer__new(ring_fd, take_event, m, NULL);
	if (!m->rb) {
		ret = -errno;
		snprintf(err, len, "cannot read the mapped-fault ring buffer: %s", strerror(errno));
		nl_mapped_free(m);
		return ret;
	}
	*out = m;
	return 0;
nomem:
	nl_mapped_free(m);
	snprintf(err, len, "out of memory");
	return -ENOMEM;
}

void nl_mapped_free(struct nl_mapped *m)
{
	if (!m)
		return;
	ring_buffer__free(m->rb);
	free(m->ev);
	free(m);
}

static int by_tgid(const void *a, const void *b)
{
	const struct nl_mapped_event *x = a, *y = b;

	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

/* The thread's resolved counts, made on first use; NULL on -ENOMEM (counted). */
static struct nl_resolved *resolved_of(struct nl_mapped *m, struct nl_thread_table *t,
				       const struct nl_mapped_event *e)
{
	struct nl_tracked *tr = nl_tt_live(t, e->tid, 0);

	if (!tr && !(tr = nl_tt_add(t, e->tid, e->tgid)))
		goto nomem;
	if (!tr->res && !(tr->res = calloc(1, sizeof(*tr->res))))
		goto nomem;
	return tr->res;
nomem:
	m->no_thread++;
	return NULL;
}

/* A reported fault that could not be resolved goes back to faults_unresolved. */
static int give_back(struct nl_mapped *m, struct nl_thread_table *t,
		     const struct nl_mapped_event *e, uint64_t *why)
{
	struct nl_resolved *r = resolved_of(m, t, e);

	if (!r)
		return -ENOMEM;
	r->failed++;
	(*why)++;
	return 0;
}

/* Adds one resolved fault to its thread. */
static int credit(struct nl_mapped *m, struct nl_thread_table *t,
		  const struct nl_mapped_event *e, int node)
{
	bool huge_first = e->kind == NL_VMA_HUGETLB_PRIVATE;
	struct nl_resolved *r;

	if (huge_first && (e->order == 0 || e->order > MAX_HUGE_ORDER))
		return give_back(m, t, e, &m->bad_order);
	if (!(r = resolved_of(m, t, e)))
		return -ENOMEM;
	nl_mat_add(&r->faults, e->cpu_node, (unsigned)node, 1);
	if (huge_first) {
		/* a private hugetlb mapping's fault takes a fresh pool page: first touch,
		 * in base pages as a THP's is */
		r->first_touch_pages[node] += 1ULL << e->order;
		m->huge++;
	} else {
		nl_mat_add(&r->mapped, e->cpu_node, (unsigned)node, 1);
		m->mapped++;
	}
	return 0;
}

/* Events BPF could not classify (NL_VMA_UNKNOWN) get their kind from the process's
 * smaps; those in private anonymous memory, or in no mapping, go back to unresolved
 * and are marked kind 0 so resolve_batch() skips them. */
static int classify_unknown(struct nl_mapped *m, struct nl_thread_table *t,
			    struct nl_mapped_event *e, size_t n)
{
	struct nl_vma_span *v = NULL;
	size_t nv = 0;
	int ret = 0, rd = -1;

	for (size_t i = 0; !ret && i < n; i++) {
		if (e[i].kind != NL_VMA_UNKNOWN)
			continue;
		if (rd < 0 && (rd = -nl_vma_spans_read(NULL, e[i].tgid, &v, &nv)) == ENOMEM)
			ret = -ENOMEM;
		const struct nl_vma_span *s = rd ? NULL : nl_vma_span_find(v, nv, e[i].addr);
		m->by_smaps++;
		if (!ret && s && s->kind) {
			e[i].kind = s->kind;
			e[i].order = s->order;
			continue;
		}
		if (!ret)
			ret = give_back(m, t, &e[i], rd ? &m->proc_gone : s ? &m->smaps_anon :
					&m->page_gone);
		e[i].kind = 0;
	}
	free(v);
	return ret;
}

/* One move_pages(2) query for the classified faults among n of one process (n <=
 * NL_MAPPED_BATCH). */
static int resolve_batch(struct nl_mapped *m, struct nl_thread_table *t,
			 struct nl_mapped_event *ev, size_t n)
{
	const struct nl_mapped_event *e[NL_MAPPED_BATCH];
	void *pages[NL_MAPPED_BATCH];
	int status[NL_MAPPED_BATCH];
	size_t k = 0;
	int ret = classify_unknown(m, t, ev, n);

	for (size_t i = 0; !ret && i < n; i++)
		if (ev[i].kind) {
			e[k] = &ev[i];
			pages[k++] = (void *)(uintptr_t)ev[i].addr;
		}
	if (ret || !k)
		return ret;
	/* nodes == NULL: only ask where each page is (status: node or -errno) */
	bool gone = syscall(SYS_move_pages, (int)ev[0].tgid, (unsigned long)k, pages, NULL,
			    status, 0) != 0;

	for (size_t i = 0; !ret && i < k; i++) {
		if (gone)
			ret = give_back(m, t, e[i], &m->proc_gone);
		else if (status[i] < 0 || status[i] >= NL_MAX_NODES)
			ret = give_back(m, t, e[i], &m->page_gone);
		else
			ret = credit(m, t, e[i], status[i]);
	}
	return ret;
}

int nl_mapped_drain(struct nl_mapped *m, struct nl_thread_table *t)
{
	int ret = 0;

	m->n = 0;
	if (ring_buffer__consume(m->rb) < 0)
		return 0; /* nothing readable: the faults stay unresolved */
	qsort(m->ev, m->n, sizeof(*m->ev), by_tgid);
	for (size_t i = 0; !ret && i < m->n;) {
		size_t j = i;

		while (j < m->n && j - i < NL_MAPPED_BATCH && m->ev[j].tgid == m->ev[i].tgid)
			j++;
		ret = resolve_batch(m, t, &m->ev[i], j - i);
		i = j;
	}
	return ret;
}

int nl_mapped_describe(const struct nl_mapped *m, uint64_t ring_full, uint64_t vma_gone,
		       struct nl_source_state *s)
{
	uint64_t lost = m->page_gone + m->proc_gone + m->bad_order + m->no_thread + ring_full +
			vma_gone;

	/* the private anonymous ones found in smaps are not lost: BPF would not send them */

	if (nl_source_append(s, "; %" PRIu64 " resolved (%" PRIu64 " mapped, %" PRIu64
			     " hugetlb first touches)", m->mapped + m->huge, m->mapped, m->huge))
		return -ENOMEM;
	if (m->by_smaps && nl_source_append(s, "; %" PRIu64 " classified from /proc/PID/smaps "
					    "(the mmap lock busy in BPF), %" PRIu64 " of them "
					    "private anonymous (unresolved)", m->by_smaps,
					    m->smaps_anon))
		return -ENOMEM;
	if (!lost)
		return 0;
	return nl_source_append(s, "; %" PRIu64 " left unresolved: %" PRIu64 " page gone, %"
				PRIu64 " process gone, %" PRIu64 " ring full, %" PRIu64
				" mapping gone or locked, %" PRIu64 " other", lost, m->page_gone,
				m->proc_gone, ring_full, vma_gone, m->bad_order + m->no_thread);
}
