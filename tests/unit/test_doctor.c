/* doctor's rules on hand-built snapshots and fixture trees: each rule fires on the case
 * it is for and stays silent on the well-placed one next to it; findings come most
 * severe first; the renderers write the v1 contract. */
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyze/doctor.h"
#include "render/render_doctor.h"
#include "sysinfo/machine.h"
#include "sysinfo/topology.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

static int cpus0[] = { 0, 1 }, cpus1[] = { 2, 3 }, cpus2[] = { 4, 5 }, cpus3[] = { 6, 7 };

/* nodes 0..n-1, two CPUs each, distance 10 local and 21 remote */
static struct nl_topo_summary topo_of(int n)
{
	struct nl_topo_summary t = { .nr_nodes = n };
	int *cpus[] = { cpus0, cpus1, cpus2, cpus3 };

	for (int i = 0; i < n; i++) {
		t.node_ids[i] = i;
		t.cpus[i] = cpus[i];
		t.nr_cpus[i] = 2;
		t.mem_total_kb[i] = 1024 * 1024;
		for (int j = 0; j < n; j++)
			t.distance[i][j] = i == j ? 10 : 21;
	}
	return t;
}

/* One test's world: a 2-node machine and a snapshot of up to 4 processes. */
struct world {
	struct nl_topo_summary topo;
	struct nl_machine m;
	struct nl_snapshot snap;
	struct nl_process procs[4];
	struct nl_vma vmas[4][4];
	struct nl_proc_env env[4];
	struct nl_doctor_in in;
	struct nl_findings f;
};

static void world_init(struct world *w, int nodes)
{
	memset(w, 0, sizeof(*w));
	w->topo = topo_of(nodes);
	w->m.numa_balancing = 0;
	w->snap.interval_ns = 3 * SEC;
	w->snap.procs = w->procs;
	w->in = (struct nl_doctor_in){ .topo = &w->topo, .m = &w->m, .snap = &w->snap,
				       .env = w->env, .self_pid = 1 };
}

/* A process with pages on nodes and CPU time on nodes (ms). */
static struct nl_process *add_proc(struct world *w, uint32_t pid, const uint64_t pages[2],
				   const uint64_t cpu_ms[2])
{
	struct nl_process *p = &w->procs[w->snap.nr_procs];

	p->pid = pid;
	snprintf(p->comm, sizeof(p->comm), "app%u", pid);
	p->resident_known = true;
	p->vmas = w->vmas[w->snap.nr_procs];
	for (int n = 0; n < 2; n++) {
		p->resident_pages[n] = pages[n];
		p->c.cpu_ns[n] = cpu_ms[n] * MS;
	}
	w->snap.nr_procs++;
	return p;
}

static void add_vma(struct nl_process *p, const char *policy, uint64_t n0, uint64_t n1,
		    uint64_t page_size)
{
	struct nl_vma *v = &p->vmas[p->nr_vmas++];

	snprintf(v->policy, sizeof(v->policy), "%s", policy);
	v->pages[0] = n0;
	v->pages[1] = n1;
	v->page_size = page_size;
}

static size_t count(const struct world *w, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < w->f.n; i++)
		n += !strcmp(w->f.v[i].id, id);
	return n;
}

static const struct nl_finding *find(const struct world *w, const char *id)
{
	for (size_t i = 0; i < w->f.n; i++)
		if (!strcmp(w->f.v[i].id, id))
			return &w->f.v[i];
	fail_msg("no %s finding", id);
	return NULL;
}

static void run_rule(struct world *w, const char *id)
{
	nl_doctor_rule_fn fn = nl_doctor_rule(id);

	assert_non_null(fn);
	nl_findings_free(&w->f);
	assert_int_equal(fn(&w->in, &w->f), 0);
}

static void test_single_node(void **state)
{
	struct world w;
	(void)state;

	world_init(&w, 1);
	assert_int_equal(nl_doctor_run(&w.in, &w.f), 0);
	assert_int_equal(w.f.n, 1);
	assert_string_equal(w.f.v[0].id, "single_node");
	assert_int_equal(w.f.v[0].sev, NL_SEV_INFO);
	nl_findings_free(&w.f);

	world_init(&w, 2);
	assert_int_equal(nl_doctor_run(&w.in, &w.f), 0);
	assert_int_equal(w.f.n, 0);
}

/* One node: a bound-elsewhere-looking process is still not judged by other rules. */
static void test_single_node_only(void **state)
{
	struct world w;
	(void)state;

	world_init(&w, 1);
	add_vma(add_proc(&w, 42, (uint64_t[]){ 4096, 0 }, (uint64_t[]){ 500, 0 }), "bind:1", 4096, 0,
		4096);
	assert_int_equal(nl_doctor_run(&w.in, &w.f), 0);
	assert_int_equal(w.f.n, 1);
	assert_string_equal(w.f.v[0].id, "single_node");
	nl_findings_free(&w.f);
}

static struct nl_stack *stack_of(const char *a, const char *b)
{
	struct nl_stack *st = calloc(1, sizeof(*st));

	assert_non_null(st);
	st->nr = 2;
	st->frames[0].symbol = (char *)a;
	st->frames[1].symbol = (char *)b;
	return st;
}

static void test_first_touch_bug(void **state)
{
	struct world w;
	struct nl_thread th[2] = { { .tid = 42 }, { .tid = 43 } };
	struct nl_process *p;
	(void)state;

	world_init(&w, 2);
	p = add_proc(&w, 42, (uint64_t[]){ 16384, 0 }, (uint64_t[]){ 0, 3000 });
	add_vma(p, "default", 16384, 0, 4096);
	th[0].first_touch_stack = stack_of("init_weights+0x59", "main+0x32d");
	p->threads = th;
	p->nr_threads = 2;
	nl_mat_set(&p->c.faults, 0, 0, 16384); /* touched on node 0, placed on node 0 */
	p->diag = (struct nl_diagnosis){ .kind = NL_DIAG_FIRST_TOUCH_BUG, .mem_node = 0, .cpu_node = 1,
					 .init_tid = 42, .text = "100% of resident pages are on node 0",
					 .fix = "numactl --cpunodebind=1 --membind=1 ./app" };
	run_rule(&w, "first_touch_bug");
	assert_int_equal(w.f.n, 1);
	assert_int_equal(w.f.v[0].sev, NL_SEV_CRITICAL);
	assert_int_equal(w.f.v[0].pid, 42);
	assert_non_null(strstr(w.f.v[0].evidence, "init_weights+0x59 <- main+0x32d"));
	assert_non_null(strstr(w.f.v[0].evidence, "distance 21"));
	assert_non_null(strstr(w.f.v[0].evidence, "2.1x"));
	assert_string_equal(w.f.v[0].fix, "numactl --cpunodebind=1 --membind=1 ./app");

	/* touched from node 1 but placed on node 0: a spill, for numa_miss to say */
	nl_mat_set(&p->c.faults, 0, 0, 0);
	nl_mat_set(&p->c.faults, 1, 0, 16384);
	run_rule(&w, "first_touch_bug");
	assert_int_equal(w.f.n, 0);
	run_rule(&w, "numa_miss");
	assert_int_equal(count(&w, "numa_miss"), 1);
	assert_non_null(strstr(find(&w, "numa_miss")->title, "touched from node 1 were placed on node 0"));

	/* no diagnosis: silent */
	p->diag.kind = NL_DIAG_NONE;
	run_rule(&w, "first_touch_bug");
	assert_int_equal(w.f.n, 0);
	free(th[0].first_touch_stack);
	nl_findings_free(&w.f);
}

static void test_remote_bind(void **state)
{
	struct world w;
	struct nl_process *p;
	(void)state;

	world_init(&w, 2);
	p = add_proc(&w, 42, (uint64_t[]){ 100, 16384 }, (uint64_t[]){ 900, 0 });
	add_vma(p, "bind:1", 0, 16384, 4096);
	w.env[0] = (struct nl_proc_env){ .pid = 42, .cmdline = "./server --port 1" };
	w.in.nr_env = 1;
	run_rule(&w, "remote_bind");
	assert_int_equal(w.f.n, 1);
	assert_int_equal(w.f.v[0].sev, NL_SEV_CRITICAL);
	assert_non_null(strstr(w.f.v[0].evidence, "bind:1"));
	assert_non_null(strstr(w.f.v[0].evidence, "CPU time, source sched"));
	assert_non_null(strstr(w.f.v[0].fix, "numactl --cpunodebind=0 --membind=0 ./server --port 1"));
	assert_non_null(strstr(w.f.v[0].fix, "migratepages 42 1 0"));

	/* the correct bind */
	snprintf(p->vmas[0].policy, sizeof(p->vmas[0].policy), "bind:0");
	run_rule(&w, "remote_bind");
	assert_int_equal(w.f.n, 0);

	/* idle: the allowed CPUs say where it runs; unknown, it is not judged */
	snprintf(p->vmas[0].policy, sizeof(p->vmas[0].policy), "bind:1");
	p->c.cpu_ns[0] = 1 * MS;
	run_rule(&w, "remote_bind");
	assert_int_equal(w.f.n, 0);
	w.env[0].allowed_known = true;
	w.env[0].allowed_nodes = 1ULL << 0;
	run_rule(&w, "remote_bind");
	assert_int_equal(w.f.n, 1);
	assert_non_null(strstr(w.f.v[0].evidence, "Cpus_allowed_list"));
	/* allowed on both nodes: memory is bound to one it may run on */
	w.env[0].allowed_nodes = 3;
	run_rule(&w, "remote_bind");
	assert_int_equal(w.f.n, 0);
	nl_findings_free(&w.f);
}

static void test_policy_mismatch(void **state)
{
	struct world w;
	struct nl_process *p;
	(void)state;

	world_init(&w, 2);
	p = add_proc(&w, 42, (uint64_t[]){ 8192, 8192 }, (uint64_t[]){ 1000, 0 });
	add_vma(p, "interleave:0-1", 8192, 8192, 4096);
	run_rule(&w, "policy_mismatch");
	assert_int_equal(w.f.n, 0); /* not latency-sensitive, not bandwidth-bound-looking */
	w.in.latency_sensitive = true;
	run_rule(&w, "policy_mismatch");
	assert_int_equal(w.f.n, 1);
	assert_int_equal(w.f.v[0].sev, NL_SEV_WARNING);
	assert_non_null(strstr(w.f.v[0].title, "interleaved"));
	assert_non_null(strstr(w.f.v[0].fix, "numactl --cpunodebind=0 --membind=0"));

	/* latency-sensitive and local: silent */
	p->resident_pages[0] = 16384;
	p->resident_pages[1] = 0;
	snprintf(p->vmas[0].policy, sizeof(p->vmas[0].policy), "default");
	run_rule(&w, "policy_mismatch");
	assert_int_equal(w.f.n, 0);

	/* bound to one node while running on two: info for a bandwidth-bound job */
	w.in.latency_sensitive = false;
	snprintf(p->vmas[0].policy, sizeof(p->vmas[0].policy), "bind:0");
	p->vmas[0].pages[0] = 16384;
	p->vmas[0].pages[1] = 0;
	p->c.cpu_ns[1] = 1000 * MS;
	run_rule(&w, "policy_mismatch");
	assert_int_equal(w.f.n, 1);
	assert_int_equal(w.f.v[0].sev, NL_SEV_INFO);
	assert_non_null(strstr(w.f.v[0].fix, "--interleave=all"));
	nl_findings_free(&w.f);
}

static void test_numa_miss_numastat(void **state)
{
	struct world w;
	(void)state;

	world_init(&w, 2);
	w.in.numastat_valid = true;
	w.in.numastat_ns = 3 * SEC;
	w.in.ns_before[1] = (struct nl_numastat){ .numa_hit = 1000, .numa_miss = 50 };
	w.in.ns_after[1] = (struct nl_numastat){ .numa_hit = 1100, .numa_miss = 10050 };
	w.in.ns_after[0] = (struct nl_numastat){ .numa_foreign = 10000 };
	run_rule(&w, "numa_miss");
	assert_int_equal(w.f.n, 1);
	assert_int_equal(w.f.v[0].pid, 0);
	assert_non_null(strstr(w.f.v[0].evidence, "numa_miss +10000, numa_hit +100"));
	assert_non_null(strstr(w.f.v[0].evidence, "node0 numa_foreign +10000"));
	assert_non_null(strstr(w.f.v[0].fix, "free memory on node 0"));
	assert_non_null(strstr(w.f.v[0].fix, "numactl --membind=0"));

	/* 4 % of allocations: below the 5 % line */
	w.in.ns_after[1] = (struct nl_numastat){ .numa_hit = 1000 + 9600, .numa_miss = 50 + 400 };
	run_rule(&w, "numa_miss");
	assert_int_equal(w.f.n, 0);
	/* numastat not read: nothing claimed */
	w.in.ns_after[1].numa_miss = 100000;
	w.in.numastat_valid = false;
	run_rule(&w, "numa_miss");
	assert_int_equal(w.f.n, 0);
	nl_findings_free(&w.f);
}

static void test_numa_miss_preferred(void **state)
{
	struct world w;
	struct nl_process *p;
	(void)state;

	world_init(&w, 2);
	p = add_proc(&w, 42, (uint64_t[]){ 3000, 5000 }, (uint64_t[]){ 0, 900 });
	add_vma(p, "prefer:1", 3000, 5000, 4096);
	run_rule(&w, "numa_miss");
	assert_int_equal(w.f.n, 1);
	assert_int_equal(w.f.v[0].pid, 42);
	if (!strstr(w.f.v[0].evidence, "3000 of 8000 pages in mappings with policy prefer:1"))
		fail_msg("%s", w.f.v[0].evidence);
	p->vmas[0].pages[0] = 0;
	p->resident_pages[0] = 0;
	p->vmas[0].pages[1] = 8000;
	run_rule(&w, "numa_miss");
	assert_int_equal(w.f.n, 0);
	nl_findings_free(&w.f);
}

static void test_autonuma_latency(void **state)
{
	struct world w;
	struct nl_process *p;
	(void)state;

	world_init(&w, 2);
	p = add_proc(&w, 42, (uint64_t[]){ 8192, 8192 }, (uint64_t[]){ 0, 900 });
	nl_mat_set(&p->c.hint_faults, 1, 0, 3000);
	nl_mat_set(&p->c.migrated_pages, 0, 1, 2900);
	p->c.migrate_stall_ns = 120 * MS;
	w.in.latency_sensitive = true;
	run_rule(&w, "autonuma_latency"); /* AutoNUMA off */
	assert_int_equal(w.f.n, 0);
	w.m.numa_balancing = 1;
	run_rule(&w, "autonuma_latency");
	assert_int_equal(w.f.n, 1);
	assert_int_equal(w.f.v[0].sev, NL_SEV_WARNING);
	assert_non_null(strstr(w.f.v[0].evidence, "3000 hinting faults (1000/s"));
	assert_non_null(strstr(w.f.v[0].evidence, "2900 pages migrated"));
	assert_non_null(strstr(w.f.v[0].fix, "kernel.numa_balancing=0"));
	assert_null(strstr(w.f.v[0].evidence, "Requests in the window"));
	/* with requests: the p99 and the share of its tail AutoNUMA's causes explain */
	struct nl_rq_summary rq = { .count = 5000, .p50_ns = 50000, .p99_ns = 2000000 };
	rq.tail.count = 50;
	for (int c = 0; c < NL_RQ_CAUSES; c++)
		rq.tail.share[c] = 0;
	rq.tail.share[NL_RQ_HINT_FAULT] = 0.25;
	rq.tail.share[NL_RQ_MIGRATE_STALL] = 0.45;
	rq.tail.share[NL_RQ_RUNQ_WAIT] = 0.10;   /* not AutoNUMA's */
	rq.tail.share[NL_RQ_NUMA_SCAN] = NAN;    /* unknown counts as 0 */
	w.in.rq = &rq;
	run_rule(&w, "autonuma_latency");
	assert_int_equal(w.f.n, 1);
	if (!strstr(w.f.v[0].evidence, "p99 2.000 ms; of the excess of the 50 requests above p99 "
		    "over the median request, AutoNUMA's causes explain 70% (hint_fault 25%, "
		    "migrate_stall 45%, numa_scan 0%"))
		fail_msg("%s", w.f.v[0].evidence);
	w.in.rq = NULL;
	/* nothing seen in the window: said, as info */
	memset(&p->c.hint_faults, 0, sizeof(p->c.hint_faults));
	memset(&p->c.migrated_pages, 0, sizeof(p->c.migrated_pages));
	run_rule(&w, "autonuma_latency");
	assert_int_equal(w.f.n, 1);
	assert_int_equal(w.f.v[0].sev, NL_SEV_INFO);
	w.in.latency_sensitive = false;
	run_rule(&w, "autonuma_latency");
	assert_int_equal(w.f.n, 0);
	nl_findings_free(&w.f);
}

static void test_unpinned_threads(void **state)
{
	struct world w;
	struct nl_process *p;
	(void)state;

	world_init(&w, 2);
	p = add_proc(&w, 42, (uint64_t[]){ 16000, 384 }, (uint64_t[]){ 500, 500 });
	p->c.node_migrations = 120;
	run_rule(&w, "unpinned_threads");
	assert_int_equal(w.f.n, 1);
	assert_non_null(strstr(w.f.v[0].evidence, "120 cross-node CPU migrations"));
	assert_non_null(strstr(w.f.v[0].fix, "taskset -a -cp 0-1 42"));
	/* pinned (no moves): the first-touch bug's or a bind's shape, not this rule's */
	p->c.node_migrations = 0;
	run_rule(&w, "unpinned_threads");
	assert_int_equal(w.f.n, 0);
	/* moving but staying on the memory's node */
	p->c.node_migrations = 120;
	p->c.cpu_ns[0] = 1000 * MS;
	p->c.cpu_ns[1] = 10 * MS;
	run_rule(&w, "unpinned_threads");
	assert_int_equal(w.f.n, 0);
	nl_findings_free(&w.f);
}

/* A memory-only node (node 2: memory, no CPUs): the pinning advice goes to the nearest
 * node with CPUs, and a spill onto it is never answered with "run it there". */
static void test_memory_only_node(void **state)
{
	struct world w;
	struct nl_process *p;
	(void)state;

	world_init(&w, 3);
	w.topo.nr_cpus[2] = 0;
	w.topo.cpus[2] = NULL;
	w.topo.distance[2][0] = w.topo.distance[0][2] = 31; /* node 1 is nearer */
	p = add_proc(&w, 42, (uint64_t[]){ 0, 384 }, (uint64_t[]){ 500, 500 });
	p->resident_pages[2] = 16000;
	p->c.node_migrations = 120;
	run_rule(&w, "unpinned_threads");
	assert_int_equal(w.f.n, 1);
	assert_non_null(strstr(w.f.v[0].title, "memory sits on node 2"));
	assert_non_null(strstr(w.f.v[0].fix, "pin it to node 1, the nearest with CPUs (node 2 is "
					      "memory-only): taskset -a -cp 2-3 42"));
	assert_non_null(strstr(w.f.v[0].fix, "--cpunodebind=1 --membind=2"));
	assert_null(strstr(w.f.v[0].fix, "cpunodebind=2"));

	/* first touches from node 0 that the kernel put on node 2 */
	add_vma(p, "default", 0, 384, 4096);
	p->vmas[0].pages[2] = 16000;
	p->c.node_migrations = 0;
	nl_mat_set(&p->c.faults, 0, 2, 16000);
	run_rule(&w, "numa_miss");
	assert_int_equal(count(&w, "numa_miss"), 1);
	assert_non_null(strstr(find(&w, "numa_miss")->fix, "migratepages 42 2 0 (node 2 is memory-only"));
	assert_null(strstr(find(&w, "numa_miss")->fix, "cpunodebind=2"));
	nl_findings_free(&w.f);
}

static char fixtures[PATH_MAX];

static const char *fixture(const char *name)
{
	static char path[PATH_MAX + 64];

	if (!fixtures[0]) {
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		assert_true(n > 0);
		exe[n] = '\0';
		snprintf(fixtures, sizeof(fixtures), "%s/../../tests/fixtures", dirname(exe));
	}
	snprintf(path, sizeof(path), "%s/%s", fixtures, name);
	return path;
}

/* A world whose machine is a fixture tree. */
static void world_fixture(struct world *w, const char *name, struct nl_topology *t)
{
	char err[512] = "";

	world_init(w, 1);
	if (nl_topology_read(fixture(name), t, err, sizeof(err)))
		fail_msg("reading fixture %s: %s", name, err);
	assert_int_equal(nl_topology_summary(t, &w->topo), 0);
	nl_machine_from_topology(t, &w->m);
}

static int dev_at(const struct nl_machine *m, const char *addr)
{
	for (int i = 0; i < m->nr_devs; i++)
		if (!strcmp(m->devs[i].address, addr))
			return i;
	fail_msg("no device %s", addr);
	return -1;
}

/* The lecture's 2-socket server: GPUs 0000:17 and 0000:31 on node 0, 0000:b1 and
 * 0000:ca on node 1. */
static void test_device_remote(void **state)
{
	struct world w;
	struct nl_topology t;
	struct nl_process *p;
	(void)state;

	world_fixture(&w, "gpu-2socket", &t);
	assert_int_equal(w.topo.nr_nodes, 2);
	p = add_proc(&w, 42, (uint64_t[]){ 16384, 0 }, (uint64_t[]){ 900, 0 });
	w.env[0] = (struct nl_proc_env){ .pid = 42, .nr_devs = 1 };
	w.env[0].devs[0] = dev_at(&w.m, "0000:b1:00.0");
	w.in.nr_env = 1;
	assert_int_equal(w.m.devs[w.env[0].devs[0]].node, 1);
	run_rule(&w, "device_remote");
	assert_int_equal(w.f.n, 1);
	assert_int_equal(w.f.v[0].sev, NL_SEV_WARNING);
	assert_non_null(strstr(w.f.v[0].title, "gpu 0000:b1:00.0 on node 1 but runs on node 0"));
	assert_non_null(strstr(w.f.v[0].fix, "numactl --cpunodebind=1 --membind=1"));
	/* the local alternatives: the GPUs on node 0 */
	assert_non_null(strstr(w.f.v[0].fix, "0000:17:00.0, 0000:31:00.0"));
	assert_non_null(strstr(w.f.v[0].evidence, "numa_node is 1"));

	/* a GPU on its own node */
	w.env[0].devs[0] = dev_at(&w.m, "0000:17:00.0");
	run_rule(&w, "device_remote");
	assert_int_equal(w.f.n, 0);
	/* the process moves to node 1: the remote GPU becomes local */
	w.env[0].devs[0] = dev_at(&w.m, "0000:b1:00.0");
	p->c.cpu_ns[0] = 0;
	p->c.cpu_ns[1] = 900 * MS;
	run_rule(&w, "device_remote");
	assert_int_equal(w.f.n, 0);
	nl_findings_free(&w.f);
	nl_topo_summary_free(&w.topo);
	nl_topology_free(&t);
}

static void test_hugepages_fixtures(void **state)
{
	struct world w;
	struct nl_topology t;
	(void)state;

	/* 4 x 1 GiB on each of 4 nodes: a system-wide reservation */
	world_fixture(&w, "server-4node", &t);
	w.in.snap = NULL;
	run_rule(&w, "hugepages_placement");
	assert_int_equal(w.f.n, 1);
	assert_int_equal(w.f.v[0].sev, NL_SEV_INFO);
	assert_non_null(strstr(w.f.v[0].title, "1048576 kB huge pages reserved system-wide: 4 on each of 4 nodes"));
	assert_non_null(strstr(w.f.v[0].fix, "hugepages-1048576kB/nr_hugepages"));
	nl_findings_free(&w.f);
	nl_topo_summary_free(&w.topo);
	nl_topology_free(&t);

	/* 256 x 2 MiB on node 0 only: reserved per node */
	world_fixture(&w, "gpu-2socket", &t);
	w.in.snap = NULL;
	assert_int_equal(nl_doctor_run(&w.in, &w.f), 0);
	assert_int_equal(w.f.n, 0);
	nl_findings_free(&w.f);
	nl_topo_summary_free(&w.topo);
	nl_topology_free(&t);

	/* the laptop: one node, single_node only */
	world_fixture(&w, "laptop", &t);
	w.in.snap = NULL;
	assert_int_equal(nl_doctor_run(&w.in, &w.f), 0);
	assert_int_equal(w.f.n, 1);
	assert_string_equal(w.f.v[0].id, "single_node");
	nl_findings_free(&w.f);
	nl_topo_summary_free(&w.topo);
	nl_topology_free(&t);
}

/* hugetlb pages on node 0 for a process that runs on node 1 (gpu-2socket's pool is
 * on node 0 only). */
static void test_hugepages_process(void **state)
{
	struct world w;
	struct nl_topology t;
	struct nl_process *p;
	(void)state;

	world_fixture(&w, "gpu-2socket", &t);
	p = add_proc(&w, 42, (uint64_t[]){ 128 * 512, 0 }, (uint64_t[]){ 0, 900 });
	add_vma(p, "default", 128, 0, 2 * 1024 * 1024);
	run_rule(&w, "hugepages_placement");
	assert_int_equal(w.f.n, 1);
	assert_int_equal(w.f.v[0].sev, NL_SEV_WARNING);
	assert_non_null(strstr(w.f.v[0].title, "128 of its 128 huge pages"));
	assert_non_null(strstr(w.f.v[0].fix,
			       "echo 128 > /sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages"));
	assert_non_null(strstr(w.f.v[0].evidence, "node 1's pool has 0 free of 0"));
	/* running on node 0, next to them */
	p->c.cpu_ns[0] = 900 * MS;
	p->c.cpu_ns[1] = 0;
	run_rule(&w, "hugepages_placement");
	assert_int_equal(w.f.n, 0);
	nl_findings_free(&w.f);
	nl_topo_summary_free(&w.topo);
	nl_topology_free(&t);
}

/* Critical before warning before info, whatever order the rules ran in. */
static void test_order_and_render(void **state)
{
	struct world w;
	struct nl_process *p;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	(void)state;

	world_init(&w, 2);
	w.m.numa_balancing = 1;
	w.in.latency_sensitive = true;
	p = add_proc(&w, 42, (uint64_t[]){ 16384, 0 }, (uint64_t[]){ 0, 900 });
	add_vma(p, "bind:0", 16384, 0, 4096);      /* remote_bind: critical */
	p = add_proc(&w, 43, (uint64_t[]){ 16000, 384 }, (uint64_t[]){ 500, 500 });
	p->c.node_migrations = 50;                /* unpinned_threads: warning */
	w.m.pools[0] = (struct nl_machine_pool){ .page_kb = 2048, .total = { 8, 8 } };
	w.m.nr_pools = 1;                         /* hugepages_placement: info */
	assert_int_equal(nl_doctor_run(&w.in, &w.f), 0);
	assert_true(w.f.n >= 3);
	for (size_t i = 1; i < w.f.n; i++)
		assert_true(w.f.v[i - 1].sev >= w.f.v[i].sev);
	assert_string_equal(w.f.v[0].id, "remote_bind");
	assert_int_equal(w.f.v[w.f.n - 1].sev, NL_SEV_INFO);

	mem = open_memstream(&buf, &len);
	assert_non_null(mem);
	nl_render_doctor_json(&w.f, mem);
	fclose(mem);
	assert_non_null(strstr(buf, "{\"version\":1,\"findings\":[{\"id\":\"remote_bind\",\"severity\":\"critical\",\"title\":"));
	assert_non_null(strstr(buf, "\"fix\":"));
	assert_non_null(strstr(buf, "\"pid\":42"));
	free(buf);
	buf = NULL;
	mem = open_memstream(&buf, &len);
	assert_non_null(mem);
	nl_render_doctor_text(&w.f, "pid 42", mem);
	fclose(mem);
	assert_non_null(strstr(buf, "numalens doctor: pid 42\n"));
	assert_non_null(strstr(buf, "[critical] remote_bind: pid 42"));
	assert_non_null(strstr(buf, "  evidence: "));
	/* wrapped at 100 columns (no word here is longer than a line) */
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		assert_true(strlen(line) <= 100);
	free(buf);
	nl_findings_free(&w.f);
}

static void test_policy_parse(void **state)
{
	char mode[32];
	uint64_t nodes;
	(void)state;

	nl_doctor_policy("prefer (many):0-1", mode, sizeof(mode), &nodes);
	assert_string_equal(mode, "prefer");
	assert_int_equal(nodes, 3);
	nl_doctor_policy("interleave=static:0,2", mode, sizeof(mode), &nodes);
	assert_string_equal(mode, "interleave");
	assert_int_equal(nodes, 5);
	nl_doctor_policy("default", mode, sizeof(mode), &nodes);
	assert_string_equal(mode, "default");
	assert_int_equal(nodes, 0);
	nl_doctor_policy("bind:1", mode, sizeof(mode), &nodes);
	assert_string_equal(mode, "bind");
	assert_int_equal(nodes, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_node),
		cmocka_unit_test(test_single_node_only),
		cmocka_unit_test(test_first_touch_bug),
		cmocka_unit_test(test_remote_bind),
		cmocka_unit_test(test_policy_mismatch),
		cmocka_unit_test(test_numa_miss_numastat),
		cmocka_unit_test(test_numa_miss_preferred),
		cmocka_unit_test(test_autonuma_latency),
		cmocka_unit_test(test_unpinned_threads),
		cmocka_unit_test(test_memory_only_node),
		cmocka_unit_test(test_device_remote),
		cmocka_unit_test(test_hugepages_fixtures),
		cmocka_unit_test(test_hugepages_process),
		cmocka_unit_test(test_order_and_render),
		cmocka_unit_test(test_policy_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
