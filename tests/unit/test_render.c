/* Renderers on hand-built snapshots: the JSON v1 shape (node-position indexing for
 * sparse node ids, null for unknowns, escaping, diagnosis) and the text table (rows,
 * thread rows, matrix, legend, lost events, diagnosis). No kernel involved. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/model.h"
#include "render/render_json.h"
#include "render/render_table.h"
#include "model/trend.h"

/* A 2-node machine whose nodes are 0 and 2 (node 1 offline), so node id and
 * position differ for the second node. */
static void topo_0_2(struct nl_snapshot *s)
{
	static int cpus0[] = { 0, 1 }, cpus2[] = { 2, 3 };

	s->topo.nr_nodes = 2;
	s->topo.node_ids[0] = 0;
	s->topo.node_ids[1] = 2;
	s->topo.distance[0][0] = 10;
	s->topo.distance[0][2] = 21;
	s->topo.distance[2][0] = 21;
	s->topo.distance[2][2] = 10;
	/* the snapshot owns cpus in real life; tests never call nl_snapshot_free */
	s->topo.cpus[0] = cpus0;
	s->topo.nr_cpus[0] = 2;
	s->topo.cpus[2] = cpus2;
	s->topo.nr_cpus[2] = 2;
}

static void add_source(struct nl_snapshot *s, const char *name, bool active, const char *detail)
{
	int id = nl_source_id(name);

	assert_true(id >= 0);
	assert_int_equal(nl_source_set(&s->sources[id], active, "%s", detail), 0);
}

struct fixture {
	struct nl_snapshot s;
	struct nl_process proc[2];
	struct nl_thread thr[2];
	struct nl_stack stack;
};

/* Process 42 "server": faults from CPU node 2 on pages of node 0 (remote) and node 2
 * (local), its init thread 43 first-touched pages from init_weights. Process 7 is idle. */
static struct fixture *make_fixture(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	struct nl_snapshot *s = &f->s;

	topo_0_2(s);
	nl_enum_names_default(&s->names);
	s->interval_ns = 1000000000ULL;
	s->timestamp_ns = 1700000000000000000ULL;
	s->numa_balancing = 0;
	add_source(s, "faults", true, "tp_btf/page_fault_user+kmem page alloc");
	add_source(s, "hint_faults", false, "numa_balancing is 0");
	add_source(s, "sched", true, "tp_btf/sched_switch");
	add_source(s, "residency", true, "numa_maps");

	f->stack.nr = 2;
	f->stack.frames[0] = (struct nl_frame){ .ip = 0x401136, .symbol = "init_weights+0x16",
						.module = "/usr/bin/server" };
	f->stack.frames[1] = (struct nl_frame){ .ip = 0x4011a0, .module = "[unknown]" };

	struct nl_thread *init = &f->thr[0], *worker = &f->thr[1];
	init->tid = 43;
	strcpy(init->comm, "init");
	nl_mat_set(&init->c.faults, 0, 0, 900);
	init->c.first_touch_pages[0] = 900;
	init->c.cpu_ns[0] = 50000000;
	init->first_touch_stack = &f->stack;
	init->first_touch_stack_pages = 900;
	worker->tid = 44;
	strcpy(worker->comm, "worker");
	nl_mat_set(&worker->c.faults, 2, 0, 5);
	nl_mat_set(&worker->c.faults, 2, 2, 11);
	nl_mat_set(&worker->c.faults, 0, 2, 7);
	worker->c.cpu_ns[2] = 900000000;
	worker->exited = true;

	struct nl_process *p = &f->proc[0];
	p->pid = 42;
	strcpy(p->comm, "server");
	nl_counts_add(&p->c, &init->c);
	nl_counts_add(&p->c, &worker->c);
	p->c.faults_unresolved = 3;
	p->resident_known = true;
	p->resident_pages[0] = 950;
	p->resident_pages[2] = 20;
	p->threads = f->thr;
	p->nr_threads = 2;

	struct nl_process *idle = &f->proc[1];
	idle->pid = 7;
	strcpy(idle->comm, "idle");
	idle->resident_known = false;

	s->procs = f->proc;
	s->nr_procs = 2;
	return f;
}

static void set_diag(struct nl_process *p)
{
	struct nl_diagnosis *d = &p->diag;
	d->kind = NL_DIAG_FIRST_TOUCH_BUG;
	d->mem_node = 0;
	d->cpu_node = 2;
	d->resident_share = 0.98;
	d->cpu_share = 0.95;
	d->init_tid = 43;
	strcpy(d->init_comm, "init");
	strcpy(d->text, "The pages were placed by the thread that initialized them.");
	strcpy(d->fix, "numactl --cpunodebind=2 --membind=2 server");
}

static char *json_of(const struct nl_snapshot *s, bool threads)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	nl_render_json(s, out, threads);
	assert_int_equal(fclose(out), 0);
	return buf;
}

/* The object for pid in the JSON text: from its "pid" key to the next one. */
static char *proc_json(const char *json, const char *pid_key)
{
	const char *a = strstr(json, pid_key);
	assert_non_null(a);
	const char *b = strstr(a + 1, "{\"pid\":");
	return strndup(a, b ? (size_t)(b - a) : strlen(a));
}

static void assert_has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("expected '%s' in:\n%s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("did not expect '%s' in:\n%s", needle, hay);
}

static void test_json_one_line_and_header(void **state)
{
	struct fixture *f = make_fixture();
	char *j = json_of(&f->s, true);

	/* JSON Lines: exactly one newline, at the end */
	assert_ptr_equal(strchr(j, '\n'), j + strlen(j) - 1);
	assert_true(!strncmp(j, "{\"version\":1,\"topology\":{", 25));
	assert_has(j, "\"topology\":{\"nodes\":[0,2],\"distance\":[[10,21],[21,10]],\"cpus\":[[0,1],[2,3]],"
		      "\"memory_only\":[]}");
	assert_has(j, "\"interval_ns\":1000000000,");
	assert_has(j, "\"timestamp_ns\":1700000000000000000,");
	assert_has(j, "\"lost_events\":0,");
	assert_has(j, "\"numa_balancing\":0,");
	/* in the model's source order: sched, faults, residency, pmu, hint_faults, ... */
	assert_has(j, "\"sources\":{\"sched\":{\"active\":true,\"via\":\"tp_btf/sched_switch\"},"
		      "\"faults\":{\"active\":true,\"via\":\"tp_btf/page_fault_user+kmem page alloc\"},"
		      "\"residency\":{\"active\":true,\"via\":\"numa_maps\"},"
		      "\"hint_faults\":{\"active\":false,\"reason\":\"numa_balancing is 0\"}");
	free(j);
	/* node 2 with memory and no CPUs (CXL, GPU memory): listed as memory-only */
	f->s.topo.nr_cpus[2] = 0;
	f->s.topo.mem_total_kb[2] = 1 << 20;
	j = json_of(&f->s, true);
	assert_has(j, "\"cpus\":[[0,1],[]],\"memory_only\":[2]}");
	free(j);
	free(f);
}

static void test_json_sparse_node_positions(void **state)
{
	struct fixture *f = make_fixture();
	char *j = json_of(&f->s, true);
	char *p = proc_json(j, "{\"pid\":42,");

	/* faults[cpu id 2][mem id 0] = 5 lands at [1][0]; node 1's (empty) slot is skipped */
	assert_has(p, "\"faults\":[[900,7],[5,11]]");
	assert_has(p, "\"faults_unresolved\":3");
	assert_has(p, "\"hint_faults\":[[0,0],[0,0]]");
	assert_has(p, "\"first_touch_pages\":[900,0]");
	assert_has(p, "\"resident_pages\":[950,20],\"resident_source\":\"numa_maps\"");
	assert_has(p, "\"cpu_ns\":[50000000,900000000]");
	assert_has(p, "\"migrated_pages\":[[0,0],[0,0]]");
	assert_has(p, "\"migrate_stall_ns\":0,\"numa_task_moves\":0");
	/* remote = 7 + 5 of 923 classified */
	assert_has(p, "\"remote_ratio\":0.0130011,");
	/* 923 of 926 faults classified (3 unresolved) */
	assert_has(p, "\"classified_share\":0.99676,");
	assert_has(p, "\"diagnosis\":null");
	free(p);
	free(j);
	free(f);
}

static void test_json_unknowns_are_null(void **state)
{
	struct fixture *f = make_fixture();
	f->s.numa_balancing = -1;
	char *j = json_of(&f->s, true);
	char *p = proc_json(j, "{\"pid\":7,");

	assert_has(j, "\"numa_balancing\":null,");
	assert_has(p, "\"remote_ratio\":null,");
	assert_has(p, "\"resident_pages\":null,\"resident_source\":null");
	assert_has(p, "\"threads\":[]");
	free(p);
	free(j);
	free(f);
}

static void test_json_escapes_comm(void **state)
{
	struct fixture *f = make_fixture();
	strcpy(f->proc[0].comm, "a\"b\\c\td");
	char *j = json_of(&f->s, true);

	assert_has(j, "\"comm\":\"a\\\"b\\\\c\\td\"");
	free(j);
	free(f);
}

static void test_json_threads(void **state)
{
	struct fixture *f = make_fixture();
	char *with = json_of(&f->s, true), *without = json_of(&f->s, false);

	assert_has(with, "\"threads\":[{\"tid\":43,\"comm\":\"init\",\"faults\":[[900,0],[0,0]],");
	assert_has(with, "\"first_touch_stack\":[{\"ip\":\"0x401136\",\"symbol\":\"init_weights+0x16\","
			 "\"module\":\"/usr/bin/server\"},{\"ip\":\"0x4011a0\",\"symbol\":null,\"module\":\"[unknown]\"}],"
			 "\"first_touch_stack_pages\":900}");
	assert_has(with, "{\"tid\":44,\"comm\":\"worker\",\"faults\":[[0,7],[5,11]],");
	assert_has(with, "\"cpu_ns\":[0,900000000]");
	assert_has(with, "\"exited\":true}");
	/* threads carry no residency: that belongs to the address space */
	char *t = strstr(with, "{\"tid\":44");
	assert_non_null(t);
	char *t44 = strndup(t, (size_t)(strstr(t, "}") - t));
	assert_lacks(t44, "resident_pages");
	free(t44);
	assert_lacks(without, "\"threads\"");
	assert_lacks(without, "\"tid\"");
	free(with);
	free(without);
	free(f);
}

static void test_json_diagnosis(void **state)
{
	struct fixture *f = make_fixture();
	set_diag(&f->proc[0]);
	char *j = json_of(&f->s, false);

	assert_has(j, "\"diagnosis\":{\"kind\":\"first_touch_bug\",\"mem_node\":0,\"cpu_node\":2,"
		      "\"resident_share\":0.98,\"cpu_share\":0.95,\"init_tid\":43,\"init_comm\":\"init\","
		      "\"init_stack\":[{\"ip\":\"0x401136\",\"symbol\":\"init_weights+0x16\"");
	assert_has(j, "\"fix\":\"numactl --cpunodebind=2 --membind=2 server\"}");
	free(j);
	free(f);
}

static void test_json_diagnosis_note(void **state)
{
	struct fixture *f = make_fixture();
	strcpy(f->proc[1].diag.text, "Too small to judge.");
	char *j = json_of(&f->s, false);
	assert_has(j, "\"diagnosis\":null,\"diagnosis_note\":\"Too small to judge.\"");
	free(j);
	free(f);
}

static void test_json_lost_events(void **state)
{
	struct fixture *f = make_fixture();
	f->s.lost_events = 12345;
	char *j = json_of(&f->s, false);
	assert_has(j, "\"lost_events\":12345,");
	free(j);
	free(f);
}

/* AutoNUMA on, pages of 42 moving n0 -> n2: hint faults, migrations by two reasons,
 * the stall histogram, task moves, TLB shootdowns, IPIs, scanner time; the vmstat
 * check agreeing. Reason slots are the 6.18 table's (5 = numa_misplaced, 0 =
 * compaction; TLB 1 = remote_shootdown): no kernel BTF is read in unit tests. */
static void set_autonuma(struct fixture *f)
{
	struct nl_snapshot *s = &f->s;
	struct nl_counts *c = &f->proc[0].c;

	s->numa_balancing = 1;
	add_source(s, "hint_faults", true, "fentry/task_numa_fault");
	add_source(s, "migrations", true, "tp_btf mm_migrate_pages*");
	add_source(s, "numa_sched", true, "tp_btf sched_move_numa");
	add_source(s, "tlb", true, "tp_btf tlb_flush");
	add_source(s, "numa_scan", true, "fentry/fexit task_numa_work");
	snprintf(s->autonuma_state, sizeof(s->autonuma_state), "AutoNUMA on (kernel.numa_balancing=1)");

	nl_mat_set(&c->hint_faults, 2, 0, 4000);
	nl_mat_set(&c->hint_faults, 2, 2, 96);
	c->hint_local = 96;
	c->hint_pages = 4096;
	c->hint_migrated_pages = 4000;
	c->hint_migrate_fail = 2;
	nl_mat_set(&c->migrated_pages, 0, 2, 4000);
	nl_mat_set(&c->migrated_pages, 2, 0, 8);
	c->migrate_fail = 3;
	c->migrate_pages_by_reason[5] = 4000;
	c->migrate_fail_by_reason[5] = 2;
	c->migrate_stall_ns_by_reason[5] = 138600000;
	c->migrate_pages_by_reason[0] = 8;
	c->migrate_fail_by_reason[0] = 1;
	c->migrate_stall_ns_by_reason[0] = 400000;
	c->migrate_stall_ns = 139000000;
	/* 100 calls: 60 in [32,64) us, 39 in [64,128) us, 1 in [1,2) ms */
	c->migrate_stall_hist[15] = 60;
	c->migrate_stall_hist[16] = 39;
	c->migrate_stall_hist[20] = 1;
	c->numa_task_moves = 3;
	c->numa_task_swaps = 1;
	c->numa_task_sticks = 2;
	c->tlb_shootdowns[1] = 17;
	c->tlb_autonuma_sent = 15;
	c->tlb_autonuma_recv = 4;
	c->ipi_count = 21;
	c->ipi_ns = 2500000;
	c->ipi_autonuma_ns = 1200000;
	c->numa_scan_count = 5;
	c->numa_scan_ns = 7000000;
	c->faults_unresolved = 5000;

	struct nl_vmstat_check *v = &s->vmstat;
	v->valid = v->bpf_valid = v->bpf_local_exact = true;
	v->hint_faults = v->bpf_hint_faults = 4096;
	v->hint_faults_local = v->bpf_hint_faults_local = 96;
	v->pages_migrated = v->bpf_pages_migrated = 4000;
	v->pgmigrate_success = v->bpf_pgmigrate_success = 4008;
	v->pgmigrate_fail = v->bpf_pgmigrate_fail = 3;
	snprintf(v->note, sizeof(v->note), "agree (hint faults 4096, local 96, numa pages migrated 4000)");
}

static void test_json_autonuma_fields(void **state)
{
	struct fixture *f = make_fixture();
	set_autonuma(f);
	char *j = json_of(&f->s, true);
	char *p = proc_json(j, "{\"pid\":42,");

	assert_has(j, "\"autonuma\":\"AutoNUMA on (kernel.numa_balancing=1)\",");
	assert_has(p, "\"hint_faults\":[[0,0],[4000,96]]");
	assert_has(p, "\"migrated_pages\":[[0,4000],[8,0]],\"migrate_stall_ns\":139000000,\"numa_task_moves\":3,"
		      "\"node_migrations\":0,\"hint_local\":96,\"hint_pages\":4096,\"hint_migrated_pages\":4000,"
		      "\"hint_migrate_fail\":2,\"migrate_fail\":3,"
		      "\"migrations_by_reason\":{\"compaction\":{\"pages\":8,\"fail\":1,\"stall_ns\":400000},"
		      "\"numa_misplaced\":{\"pages\":4000,\"fail\":2,\"stall_ns\":138600000}},"
		      "\"migrate_stall_hist_log2ns\":{\"32768\":60,\"65536\":39,\"1048576\":1},"
		      "\"numa_task_swaps\":1,\"numa_task_sticks\":2,\"tlb_shootdowns\":{\"remote_shootdown\":17},"
		      "\"tlb_autonuma_sent\":15,\"tlb_autonuma_recv\":4,\"ipi_count\":21,\"ipi_ns\":2500000,"
		      "\"ipi_autonuma_ns\":1200000,\"numa_scan_count\":5,\"numa_scan_ns\":7000000,"
		      "\"resident_remote_ratio\":0.92892,");
	/* a thread without AutoNUMA activity: empty objects, zeros, not missing keys */
	char *t = strstr(j, "{\"tid\":44");
	assert_non_null(t);
	assert_has(t, "\"migrations_by_reason\":{},\"migrate_stall_hist_log2ns\":{},");
	assert_has(t, "\"tlb_shootdowns\":{},");
	free(p);
	free(j);
	free(f);
}

static void test_json_vmstat_check(void **state)
{
	struct fixture *f = make_fixture();
	/* not read: null, and the note says why */
	snprintf(f->s.vmstat.note, sizeof(f->s.vmstat.note), "not compared: /proc/vmstat unreadable");
	char *j = json_of(&f->s, false);
	assert_has(j, "\"autonuma\":null,\"vmstat_check\":null,"
		      "\"vmstat_check_note\":\"not compared: /proc/vmstat unreadable\",\"processes\":");
	free(j);

	set_autonuma(f);
	f->s.vmstat.bpf_hint_faults = 3000;
	f->s.vmstat.disagree = true;
	snprintf(f->s.vmstat.note, sizeof(f->s.vmstat.note), "numa_hint_faults: vmstat 4096 vs bpf 3000");
	j = json_of(&f->s, false);
	assert_has(j, "\"vmstat_check\":{\"valid\":true,\"hint_faults\":4096,\"hint_faults_local\":96,"
		      "\"pages_migrated\":4000,\"pgmigrate_success\":4008,\"pgmigrate_fail\":3,"
		      "\"bpf_valid\":true,\"bpf_local_exact\":true,\"bpf_hint_faults\":3000,"
		      "\"bpf_hint_faults_local\":96,\"bpf_pages_migrated\":4000,\"bpf_pgmigrate_success\":4008,"
		      "\"bpf_pgmigrate_fail\":3,\"disagree\":true,"
		      "\"note\":\"numa_hint_faults: vmstat 4096 vs bpf 3000\"},\"processes\":");
	assert_lacks(j, "vmstat_check_note");
	free(j);
	free(f);
}

static void test_json_resident_remote_ratio(void **state)
{
	struct fixture *f = make_fixture();
	char *j = json_of(&f->s, true);
	char *p42 = proc_json(j, "{\"pid\":42,"), *p7 = proc_json(j, "{\"pid\":7,");

	/* resident 950 on n0, 20 on n2; CPU 50 ms on n0 (init), 900 ms on n2 (worker):
	 * (50 * 20/970 + 900 * 950/970) / 950 */
	assert_has(p42, "\"resident_remote_ratio\":0.92892,");
	/* threads use the process's pages with their own CPU time */
	assert_has(p42, "\"tid\":43,");
	char *t43 = strstr(p42, "{\"tid\":43"), *t44 = strstr(p42, "{\"tid\":44");
	assert_non_null(t43);
	assert_non_null(t44);
	*t44 = '\0'; /* cut t43 at t44 */
	assert_has(t43, "\"resident_remote_ratio\":0.0206186,");
	*t44 = '{';
	assert_has(t44, "\"resident_remote_ratio\":0.979381,");
	/* unknown residency, no CPU time: null */
	assert_has(p7, "\"resident_remote_ratio\":null");
	/* the estimate names its sources */
	assert_has(j, "\"resident_remote_ratio\":{\"active\":true,\"estimate\":true,"
		      "\"via\":\"estimate from residency x sched");
	free(p42);
	free(p7);
	free(j);

	/* residency known but nothing ran: null, not 0 */
	memset(f->proc[0].c.cpu_ns, 0, sizeof(f->proc[0].c.cpu_ns));
	j = json_of(&f->s, false);
	p42 = proc_json(j, "{\"pid\":42,");
	assert_has(p42, "\"resident_remote_ratio\":null");
	free(p42);
	free(j);
	free(f);
}

/* ---- table ---- */

static struct nl_lines table_of(const struct nl_snapshot *s, bool threads, int width)
{
	struct nl_lines l = { 0 };
	struct nl_table_opts o = { .threads = threads, .width = width };
	assert_int_equal(nl_table_render(s, &o, &l), 0);
	return l;
}

static int find_line(const struct nl_lines *l, const char *needle)
{
	for (int i = 0; i < l->nr; i++)
		if (strstr(l->v[i].text, needle))
			return i;
	return -1;
}

/* The table row whose first two words are id and comm (thread rows are indented). */
static int find_row(const struct nl_lines *l, const char *id, const char *comm)
{
	for (int i = 0; i < l->nr; i++) {
		char a[32], b[32];
		if (sscanf(l->v[i].text, "%31s %31s", a, b) == 2 && !strcmp(a, id) && !strcmp(b, comm))
			return i;
	}
	return -1;
}

static char *joined(const struct nl_lines *l)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	nl_lines_print(l, out);
	assert_int_equal(fclose(out), 0);
	return buf;
}

/* Most faults mapped pages already there (an mmapped file's page cache): the ratio over
 * the few classified ones is shown in parentheses, the JSON says what it rests on, and
 * hinting faults (classified by their own source) count as classified. */
/* 64 nodes (the most numalens handles): CPUs on 0..59, 60..63 memory-only (CXL). The
 * JSON matrices are 64 x 64 by position, the table has a column for node 63. */
static void test_64_nodes(void **state)
{
	static int cpus[60];
	struct nl_snapshot s = { 0 };
	struct nl_process p = { 0 };

	s.topo.nr_nodes = NL_MAX_NODES;
	for (int n = 0; n < NL_MAX_NODES; n++) {
		s.topo.node_ids[n] = n;
		for (int m = 0; m < NL_MAX_NODES; m++)
			s.topo.distance[n][m] = n == m ? 10 : 21;
		s.topo.mem_total_kb[n] = 1 << 20;
		if (n < 60) {
			cpus[n] = n;
			s.topo.cpus[n] = &cpus[n];
			s.topo.nr_cpus[n] = 1;
		}
	}
	nl_enum_names_default(&s.names);
	s.interval_ns = 1000000000ULL;
	add_source(&s, "faults", true, "test");
	p.pid = 9;
	strcpy(p.comm, "cxl");
	nl_mat_set(&p.c.faults, 0, 63, 4);
	nl_mat_set(&p.c.faults, 59, 60, 3);
	p.c.cpu_ns[59] = 1000;
	s.procs = &p;
	s.nr_procs = 1;

	char *j = json_of(&s, false);
	char *pj = proc_json(j, "{\"pid\":9,");
	/* the expected matrix, written out: 64 rows of 64 */
	char *want = malloc(64 * 64 * 3 + 64 * 3 + 32), *w = want;
	w += sprintf(w, "\"faults\":[");
	for (int r = 0; r < 64; r++) {
		w += sprintf(w, "%s[", r ? "," : "");
		for (int c = 0; c < 64; c++)
			w += sprintf(w, "%s%d", c ? "," : "", r == 0 && c == 63 ? 4 : r == 59 && c == 60 ? 3 : 0);
		w += sprintf(w, "]");
	}
	sprintf(w, "]");
	assert_has(pj, want);
	assert_has(j, "\"memory_only\":[60,61,62,63]");
	assert_has(pj, "\"remote_ratio\":1,");
	free(want);
	free(pj);
	free(j);

	struct nl_lines l = table_of(&s, false, 100);
	int m = find_line(&l, "access matrix of 9 (cxl)");
	assert_true(m >= 0);
	assert_has(l.v[m + 1].text, "page n63");
	assert_has(l.v[m + 1 + 60].text, "cpu n59");
	char cell[64];
	snprintf(cell, sizeof(cell), "%9d %9d %9d", 0, 3, 0); /* n59, n60, n61 */
	assert_has(l.v[m + 1 + 60].text, cell);
	nl_lines_free(&l);
	nl_counts_free(&p.c);
	nl_sources_free(s.sources);
}

static void test_classified_share(void **state)
{
	struct fixture *f = make_fixture();
	struct nl_process *p = &f->proc[0];

	p->c.faults_unresolved = 5000; /* 923 of 5923 classified */
	char *j = json_of(&f->s, true);
	char *pj = proc_json(j, "{\"pid\":42,");
	assert_has(pj, "\"remote_ratio\":0.0130011,\"classified_share\":0.155833,");
	struct nl_lines l = table_of(&f->s, false, 100);
	int r = find_row(&l, "42", "server");
	assert_true(r >= 0);
	assert_has(l.v[r].text, "(1.3%)");
	char *all = joined(&l);
	assert_has(all, "REMOTE = remote / all classified faults, (in parentheses) when under");
	free(all);
	nl_lines_free(&l);
	free(pj);
	free(j);

	nl_mat_set(&p->c.hint_faults, 2, 2, 4000); /* 4923 of 5923: enough */
	assert_true(nl_classified_share(&p->c) > NL_CLASSIFIED_ENOUGH);
	l = table_of(&f->s, false, 100);
	r = find_row(&l, "42", "server");
	assert_true(r >= 0);
	assert_lacks(l.v[r].text, "(");
	nl_lines_free(&l);
	nl_mat_set(&p->c.hint_faults, 2, 2, 9000); /* never above 1 */
	assert_true(nl_classified_share(&p->c) == 1.0);
	p->c = (struct nl_counts){ 0 };
	assert_true(isnan(nl_classified_share(&p->c)));
	free(f);
}

static void test_table_rows(void **state)
{
	struct fixture *f = make_fixture();
	struct nl_lines l = table_of(&f->s, false, 100);
	char *all = joined(&l);

	int h = find_line(&l, "PID");
	assert_true(h >= 0);
	assert_int_equal(l.v[h].style, NL_LINE_TITLE);
	assert_has(l.v[h].text, "COMM");
	assert_has(l.v[h].text, "CPU% n0/n2");
	assert_has(l.v[h].text, "FAULTS n0/n2");
	assert_has(l.v[h].text, "REMOTE");
	assert_has(l.v[h].text, "FIRST-TOUCH n0/n2");
	assert_has(l.v[h].text, "RESIDENT n0/n2");
	/* hint faults are off: no column that would read as "measured, zero" */
	assert_lacks(l.v[h].text, "HINT");

	/* busiest first: 42 before the idle 7 */
	int p42 = find_row(&l, "42", "server"), p7 = find_row(&l, "7", "idle");
	assert_true(p42 > h);
	assert_true(p7 > p42);
	/* CPU 5% on n0 and 90% on n2; faults by page node 905/18; 12 of 923 remote */
	const char *r = l.v[p42].text;
	assert_has(r, "5.0/90");
	assert_has(r, "905/18");
	assert_has(r, "1.3%");
	assert_has(r, "900/0");
	assert_has(r, "950/20");
	/* idle: no accesses -> "-" ratio, unknown residency -> "?" */
	assert_has(l.v[p7].text, "-");
	assert_has(l.v[p7].text, "?");
	assert_lacks(all, "worker"); /* no thread rows without --threads */
	free(all);
	nl_lines_free(&l);
	free(f);
}

static void test_table_threads(void **state)
{
	struct fixture *f = make_fixture();
	struct nl_lines l = table_of(&f->s, true, 100);

	int p = find_row(&l, "42", "server");
	int t43 = find_row(&l, "43", "init"), t44 = find_row(&l, "44", "worker");
	assert_true(!strncmp(l.v[t43].text, "  43", 4)); /* indented under the process */
	assert_true(p >= 0 && t43 > p && t44 > p);
	assert_true(t43 < t44); /* 900 faults before 23 */
	assert_int_equal(l.v[t43].style, NL_LINE_DIM);
	assert_has(l.v[t44].text, "worker (exited)");
	assert_has(l.v[find_line(&l, "PID")].text, "PID/TID");
	nl_lines_free(&l);
	free(f);
}

static void test_table_matrix(void **state)
{
	struct fixture *f = make_fixture();
	struct nl_lines l = table_of(&f->s, false, 100);

	int m = find_line(&l, "access matrix of 42 (server)");
	assert_true(m >= 0);
	assert_int_equal(find_line(&l, "access matrix of 7 "), -1); /* idle: no matrix */
	assert_has(l.v[m + 1].text, "page n0");
	assert_has(l.v[m + 1].text, "page n2");
	assert_has(l.v[m + 2].text, "cpu n0");
	assert_has(l.v[m + 2].text, "900");
	assert_has(l.v[m + 3].text, "cpu n2");
	char want[64];
	snprintf(want, sizeof(want), "%9d %9d", 5, 11);
	assert_has(l.v[m + 3].text, want);
	assert_has(l.v[m + 4].text, "3 faults whose page node is unknown");
	nl_lines_free(&l);
	free(f);
}

static void test_table_hint_and_migrations(void **state)
{
	struct fixture *f = make_fixture();
	f->s.sources[NL_SRC_HINT_FAULTS].active = true;
	f->s.numa_balancing = 1;
	nl_mat_set(&f->proc[0].c.hint_faults, 2, 0, 64);
	nl_mat_set(&f->proc[0].c.migrated_pages, 0, 2, 512);
	f->proc[0].c.migrate_stall_ns = 2500000;
	f->proc[0].c.numa_task_moves = 3;
	struct nl_lines l = table_of(&f->s, false, 100);

	assert_has(l.v[find_line(&l, "PID")].text, "HINT n0/n2");
	assert_has(l.v[find_row(&l, "42", "server")].text, "64/0");
	int m = find_line(&l, "access matrix of 42");
	assert_has(l.v[m].text, "hint faults");
	assert_has(l.v[m + 3].text, "|");
	assert_has(l.v[m + 3].text, "64");
	assert_true(find_line(&l, "migrated pages: n0->n2 512; stalled 2.5 ms; NUMA task moves 3") > m);
	assert_true(find_line(&l, "numa_balancing on") >= 0);
	nl_lines_free(&l);
	free(f);
}

static void test_table_autonuma(void **state)
{
	struct fixture *f = make_fixture();
	set_autonuma(f);
	struct nl_lines l = table_of(&f->s, true, 100);
	char *all = joined(&l);

	/* state and vmstat lines under the first header line */
	assert_int_equal(find_line(&l, "AutoNUMA on (kernel.numa_balancing=1)"), 1);
	int v = find_line(&l, "vmstat check: agree (hint faults 4096 = 4096, local 96 = 96, migrated 4000 = 4000)");
	assert_int_equal(v, 2);
	assert_int_equal(l.v[v].style, NL_LINE_PLAIN);

	/* the AutoNUMA table: same processes and threads, its own columns */
	int t = find_line(&l, "AutoNUMA, this interval:");
	assert_true(t > find_row(&l, "42", "server"));
	int h = t + 1;
	assert_int_equal(l.v[h].style, NL_LINE_TITLE);
	assert_has(l.v[h].text, "HINT loc/rem");
	assert_has(l.v[h].text, "MIGRATED");
	assert_has(l.v[h].text, "MIG-FAIL");
	assert_has(l.v[h].text, "STALL-ms");
	assert_has(l.v[h].text, "NUMA-MOVES");
	assert_has(l.v[h].text, "IPI-ms");
	assert_has(l.v[h].text, "SCAN-ms");
	const char *r = l.v[h + 1].text;
	assert_true(!strncmp(r, "42 ", 3));
	assert_has(r, "96/4000");             /* hint local/remote */
	assert_has(r, "4008 (100% n0->n2)"); /* the main pair rounds to 100% of 4008 */
	assert_has(r, "139");                 /* stall ms */
	assert_has(r, "3 (1 swap)");
	assert_has(r, "2.5");                 /* IPI ms */
	assert_has(r, "7.0");                 /* scanner ms */
	assert_true(!strncmp(l.v[h + 2].text, "  43", 4)); /* thread rows follow */

	/* under the access matrix: by reason, stall histogram, cost */
	assert_true(find_line(&l, "migrated pages: n0->n2 4000 n2->n0 8; stalled 139.0 ms; NUMA task moves 3") > t);
	int mr = find_line(&l, "  migrations by reason: compaction 8 (1 failed, stall 400.0 us); numa_misplaced "
			       "4000 (2 failed,");
	assert_true(mr > t);
	assert_string_equal(l.v[mr + 1].text, "                        stall 138.6 ms)"); /* wrapped at 100 */
	/* p50 in [32,64) us, p99 in [64,128) us, max in [1,2) ms */
	assert_true(find_line(&l, "  migrate_pages() stall: 100 calls, p50 < 65.5 us, p99 < 131.1 us, "
				  "max < 2.1 ms") > t);
	/* the cost line is prose: wrapped at the width */
	int cost = find_line(&l, "  cost: NUMA task swaps 1, sticks 2 (moves that did not happen); TLB");
	assert_true(cost > t);
	assert_true((int)strlen(l.v[cost].text) <= 100);
	assert_true(!strncmp(l.v[cost + 1].text, "        ", 8));
	struct nl_lines wide = table_of(&f->s, false, 400);
	char *wide_all = joined(&wide);
	assert_has(wide_all, "  cost: NUMA task swaps 1, sticks 2 (moves that did not happen); TLB shootdowns "
			     "remote_shootdown 17 (AutoNUMA sent 15, received 4); IPIs 21 (2.5 ms, AutoNUMA 1.2 ms); "
			     "scanner 5 runs, 7.0 ms\n");
	free(wide_all);
	nl_lines_free(&wide);
	/* the hinting faults among the unresolved ones, honestly */
	int u = find_line(&l, "  + 5000 faults that placed no page (4096 of them AutoNUMA hinting faults, "
			      "shown in the right-hand");
	assert_true(u > t);
	assert_string_equal(l.v[u + 1].text, "    matrix)"); /* wrapped at 100 */
	assert_lacks(all, "page node is unknown");
	assert_true(find_line(&l, "AutoNUMA: HINT loc/rem = hinting faults") > t);
	free(all);
	nl_lines_free(&l);

	/* more hint faults than unresolved faults: capped, "all" */
	f->proc[0].c.faults_unresolved = 100;
	l = table_of(&f->s, false, 100);
	assert_true(find_line(&l, "  + 100 faults that placed no page (all AutoNUMA hinting faults, shown in the "
				  "right-hand matrix)") >= 0);
	nl_lines_free(&l);
	/* hint source on but no hint faults */
	nl_mat_free(&f->proc[0].c.hint_faults);
	l = table_of(&f->s, false, 100);
	assert_true(find_line(&l, "+ 100 faults that placed no page (none of them AutoNUMA hinting faults)") >= 0);
	nl_lines_free(&l);
	free(f);
}

static void test_table_no_autonuma(void **state)
{
	struct fixture *f = make_fixture();
	struct nl_lines l = table_of(&f->s, false, 100);
	char *all = joined(&l);

	/* programs not run: no state line, no AutoNUMA table, no vmstat line */
	assert_int_equal(find_line(&l, "AutoNUMA, this"), -1);
	assert_int_equal(find_line(&l, "vmstat check"), -1);
	assert_int_equal(find_line(&l, "MIGRATED"), -1);
	assert_int_equal(find_line(&l, "AutoNUMA: HINT"), -1);
	assert_int_equal(find_line(&l, "by reason"), -1);
	assert_lacks(all, "cost:");
	free(all);
	nl_lines_free(&l);

	/* vmstat could not be compared: said, dimmed */
	snprintf(f->s.vmstat.note, sizeof(f->s.vmstat.note), "not compared: /proc/vmstat unreadable");
	l = table_of(&f->s, false, 100);
	int v = find_line(&l, "vmstat check: not compared: /proc/vmstat unreadable");
	assert_true(v >= 0);
	assert_int_equal(l.v[v].style, NL_LINE_DIM);
	nl_lines_free(&l);
	free(f);
}

static void test_table_vmstat_disagree(void **state)
{
	struct fixture *f = make_fixture();
	set_autonuma(f);
	f->s.vmstat.bpf_pages_migrated = 1000;
	f->s.vmstat.disagree = true;
	snprintf(f->s.vmstat.note, sizeof(f->s.vmstat.note),
		 "since start: numa_pages_migrated: vmstat 9000 vs bpf 6000");
	struct nl_lines l = table_of(&f->s, false, 100);

	int v = find_line(&l, "vmstat check: DISAGREE: since start: numa_pages_migrated: vmstat 9000 vs bpf 6000");
	assert_true(v >= 0);
	assert_int_equal(l.v[v].style, NL_LINE_WARN);
	/* wrapped at the width, every piece highlighted */
	assert_true((int)strlen(l.v[v].text) <= 100);
	assert_int_equal(l.v[v + 1].style, NL_LINE_WARN);
	char *all = joined(&l);
	assert_lacks(all, "vmstat check: agree");
	free(all);
	nl_lines_free(&l);
	/* this interval's pairs follow the note */
	l = table_of(&f->s, false, 300);
	assert_true(find_line(&l, "vmstat check: DISAGREE: since start: numa_pages_migrated: vmstat 9000 vs bpf "
				  "6000 (this interval: hint faults 4096 = 4096, local 96 = 96, "
				  "migrated 4000 vs 1000)") >= 0);
	nl_lines_free(&l);

	/* within the tolerance this interval but not equal: agree, with the note */
	f->s.vmstat.disagree = false;
	snprintf(f->s.vmstat.note, sizeof(f->s.vmstat.note),
		 "numa_pages_migrated: vmstat 4000 vs bpf 1000 (window-edge skew: totals since start agree)");
	l = table_of(&f->s, false, 200);
	v = find_line(&l, "vmstat check: agree (hint faults 4096 = 4096, local 96 = 96, "
			  "migrated 4000 vs 1000); numa_pages_migrated: vmstat 4000 vs bpf 1000 (window-edge skew");
	assert_true(v >= 0);
	assert_int_equal(l.v[v].style, NL_LINE_PLAIN);
	nl_lines_free(&l);
	free(f);
}

static void test_table_resident_remote(void **state)
{
	struct fixture *f = make_fixture();
	struct nl_lines l = table_of(&f->s, true, 100);

	assert_has(l.v[find_line(&l, "PID")].text, "REMOTE  RES-REM");
	assert_has(l.v[find_row(&l, "42", "server")].text, "~93%");
	assert_has(l.v[find_row(&l, "43", "init")].text, "~2%");
	assert_has(l.v[find_row(&l, "44", "worker")].text, "~98%");
	/* idle 7: residency unknown -> "-" */
	char a[16], b[16], c[16], d[16], e[16], g[16], rr[16];
	assert_int_equal(sscanf(l.v[find_row(&l, "7", "idle")].text, "%15s %15s %15s %15s %15s %15s",
				a, b, c, d, e, g), 6);
	(void)rr;
	assert_string_equal(g, "-"); /* REMOTE is e, RES-REM g */
	char *all = joined(&l);
	assert_has(all, "RES-REM = ESTIMATE from");
	free(all);
	nl_lines_free(&l);
	free(f);
}

static void test_table_trend(void **state)
{
	struct fixture *f = make_fixture();
	struct nl_trend t = { 0 };
	uint64_t res_n0[] = { 970, 800, 600, 200 };

	/* four intervals of 42 moving pages n0 -> n2 while it runs on n2 */
	f->proc[0].c.cpu_ns[0] = 0;
	f->proc[0].c.cpu_ns[2] = 1000000000ULL;
	f->s.nr_procs = 1;
	for (int i = 0; i < 4; i++) {
		f->proc[0].resident_pages[0] = res_n0[i];
		f->proc[0].resident_pages[2] = 970 - res_n0[i];
		nl_mat_set(&f->proc[0].c.migrated_pages, 0, 2, i ? 200 * (uint64_t)i : 0);
		if (i == 3)
			f->s.nr_procs = 0; /* pid 42 absent from the last interval: a gap */
		assert_int_equal(nl_trend_update(&t, &f->s), 0);
	}
	f->s.nr_procs = 1;
	struct nl_table_opts o = { .width = 100, .trend = &t };
	struct nl_lines l = { 0 };
	assert_int_equal(nl_table_render(&f->s, &o, &l), 0);

	int h = find_line(&l, "trend of 42 (server), last 4 intervals, oldest first:");
	assert_true(h > find_line(&l, "access matrix of 42"));
	assert_int_equal(l.v[h].style, NL_LINE_TITLE);
	assert_string_equal(l.v[h + 1].text, "  resident remote (est)    1.00   0.82   0.62      -");
	assert_has(l.v[h + 4].text, "migrated pages/s");
	assert_has(l.v[h + 4].text, "     0    200    400      -");
	assert_has(l.v[h + 3].text, "hint remote share           -      -      -      -");
	nl_lines_free(&l);

	/* narrow: only the newest points that fit */
	o.width = 40;
	assert_int_equal(nl_table_render(&f->s, &o, &l), 0);
	h = find_line(&l, "trend of 42 (server), last 2 intervals");
	assert_true(h >= 0);
	assert_string_equal(l.v[h + 1].text, "  resident remote (est)    0.62      -");
	nl_lines_free(&l);

	/* no trend passed, or a single interval: no trend lines */
	o.trend = NULL;
	assert_int_equal(nl_table_render(&f->s, &o, &l), 0);
	assert_int_equal(find_line(&l, "trend of"), -1);
	nl_lines_free(&l);
	struct nl_trend one = { 0 };
	assert_int_equal(nl_trend_update(&one, &f->s), 0);
	o.trend = &one;
	assert_int_equal(nl_table_render(&f->s, &o, &l), 0);
	assert_int_equal(find_line(&l, "trend of"), -1);
	nl_lines_free(&l);
	nl_trend_free(&one);
	nl_trend_free(&t);
	free(f);
}

static void test_table_legend_and_lost(void **state)
{
	struct fixture *f = make_fixture();
	struct nl_lines l = table_of(&f->s, false, 60);

	/* listed in the model's source order (sched, faults, residency, ...) */
	int s = find_line(&l, "sources: sched: tp_btf/sched_switch; faults:");
	assert_true(s >= 0);
	assert_true(find_line(&l, "tp_btf/page_fault_user+kmem") >= s);
	assert_true(find_line(&l, "hint_faults: off (numa_balancing is 0)") >= 0 ||
		    find_line(&l, "hint_faults: off (numa_balancing") >= 0);
	int lost = find_line(&l, "lost events: 0");
	assert_true(lost > s);
	assert_int_equal(l.v[lost].style, NL_LINE_DIM);
	/* prose is wrapped at the width */
	for (int i = s; i < l.nr; i++)
		if ((int)strlen(l.v[i].text) > 60)
			fail_msg("line longer than 60: '%s'", l.v[i].text);
	nl_lines_free(&l);

	f->s.lost_events = 17;
	l = table_of(&f->s, false, 60);
	lost = find_line(&l, "lost events: 17");
	assert_true(lost >= 0);
	assert_int_equal(l.v[lost].style, NL_LINE_WARN);
	nl_lines_free(&l);
	free(f);
}

/* Later tables of a --text run keep only the lost-events line of the legend. */
static void test_table_brief_legend(void **state)
{
	struct fixture *f = make_fixture();
	struct nl_lines l = { 0 };
	struct nl_table_opts o = { .width = 80, .brief_legend = true };

	f->s.lost_events = 3;
	assert_int_equal(nl_table_render(&f->s, &o, &l), 0);
	assert_int_equal(find_line(&l, "sources: "), -1);
	assert_int_equal(find_line(&l, "columns: "), -1);
	int lost = find_line(&l, "lost events: 3");
	assert_true(lost >= 0);
	assert_int_equal(l.v[lost].style, NL_LINE_WARN);
	nl_lines_free(&l);
	free(f);
}

static void test_table_diagnosis(void **state)
{
	struct fixture *f = make_fixture();
	struct nl_lines l = table_of(&f->s, false, 80);
	assert_int_equal(find_line(&l, "DIAGNOSIS"), -1);
	nl_lines_free(&l);

	set_diag(&f->proc[0]);
	l = table_of(&f->s, false, 80);
	int d = find_line(&l, "DIAGNOSIS 42 (server): first-touch bug");
	assert_true(d >= 0);
	assert_int_equal(l.v[d].style, NL_LINE_DIAG);
	assert_true(find_line(&l, "The pages were placed by the thread that initialized them.") > d);
	assert_int_equal(find_line(&l, "98% of its resident pages"), -1); /* the text says it */
	assert_true(find_line(&l, "first touched by thread 43 (init) at:") > d);
	assert_true(find_line(&l, "    init_weights+0x16 (/usr/bin/server)") > d);
	assert_true(find_line(&l, "    0x4011a0 ([unknown])") > d);
	assert_true(find_line(&l, "fix: numactl --cpunodebind=2 --membind=2 server") > d);
	assert_int_equal(find_line(&l, "stack cut"), -1);
	nl_lines_free(&l);

	/* a chain that went into no mapping: said under the frames, in JSON too */
	f->stack.cut = true;
	l = table_of(&f->s, false, 80);
	assert_true(find_line(&l, "    (stack cut: the next frame pointed into no mapping)") >
		    find_line(&l, "    0x4011a0 ([unknown])"));
	nl_lines_free(&l);
	char *j = json_of(&f->s, true);
	assert_has(j, "],\"init_stack_cut\":true,");
	assert_has(j, "],\"first_touch_stack_cut\":true,");
	free(j);
	f->stack.cut = false;

	/* no text: the shares are stated from the fields */
	f->proc[0].diag.text[0] = '\0';
	l = table_of(&f->s, false, 80);
	assert_true(find_line(&l, "98% of its resident pages are on node 0 while 95% of its CPU") >= 0);
	nl_lines_free(&l);
	free(f);
}

static void test_table_empty_and_whole_recording(void **state)
{
	struct fixture *f = make_fixture();
	f->s.nr_procs = 0;
	struct nl_lines l = table_of(&f->s, true, 80);
	assert_true(find_line(&l, "no activity") >= 0);
	assert_true(find_line(&l, "0 processes") >= 0);
	nl_lines_free(&l);

	f->s.nr_procs = 2;
	f->s.interval_ns = 0; /* a report over a whole recording: CPU in seconds */
	l = table_of(&f->s, false, 80);
	assert_has(l.v[find_line(&l, "PID")].text, "CPU-s n0/n2");
	assert_has(l.v[find_row(&l, "42", "server")].text, "0.05/0.90");
	assert_true(find_line(&l, "whole recording") >= 0);
	nl_lines_free(&l);
	free(f);
}

static void test_table_control_chars_in_comm(void **state)
{
	struct fixture *f = make_fixture();
	strcpy(f->proc[0].comm, "ev\x1b[2Jil");
	struct nl_lines l = table_of(&f->s, false, 80);
	assert_true(find_row(&l, "42", "ev?[2Jil") >= 0);
	nl_lines_free(&l);
	free(f);
}

static void test_table_to_file(void **state)
{
	struct fixture *f = make_fixture();
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	assert_int_equal(nl_render_table(&f->s, out, true), 0);
	assert_int_equal(fclose(out), 0);
	assert_has(buf, "\n  43  ");
	assert_has(buf, "lost events: 0\n");
	free(buf);
	free(f);
}

/* Faults that mapped pages already there (mapped_faults) are part of faults, named
 * apart; hugetlb pages resident are listed by node. JSON and table. */
static void test_mapped_and_hugetlb(void **state)
{
	struct fixture *f = make_fixture();
	struct nl_process *p = &f->proc[0];

	nl_mat_set(&p->c.faults_mapped, 2, 0, 4); /* 4 of faults[2][0] = 5 */
	p->resident_huge_pages[2] = 3;
	p->resident_huge_kb[2] = 3 * 2048;
	char *j = json_of(&f->s, false);
	char *pj = proc_json(j, "{\"pid\":42,");
	assert_has(pj, "\"faults\":[[900,7],[5,11]],\"faults_mapped\":[[0,0],[4,0]],");
	assert_has(pj, "\"resident_source\":\"numa_maps\",\"resident_huge_pages\":[0,3],"
		       "\"resident_huge_kb\":[0,6144]");
	free(pj);
	free(j);

	struct nl_table_opts o = { .width = 100 };
	struct nl_lines l = { 0 };
	assert_int_equal(nl_table_render(&f->s, &o, &l), 0);
	int m = find_line(&l, "  of them mapping pages already there: cpu n2 -> page n0 4");
	int h = find_line(&l, "  hugetlb pages resident: n2 3 (6.0 MiB)");
	assert_true(m > find_line(&l, "access matrix of 42"));
	assert_true(h > m);
	nl_lines_free(&l);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_one_line_and_header),
		cmocka_unit_test(test_json_sparse_node_positions),
		cmocka_unit_test(test_classified_share),
		cmocka_unit_test(test_mapped_and_hugetlb),
		cmocka_unit_test(test_json_unknowns_are_null),
		cmocka_unit_test(test_json_escapes_comm),
		cmocka_unit_test(test_json_threads),
		cmocka_unit_test(test_json_diagnosis),
		cmocka_unit_test(test_json_diagnosis_note),
		cmocka_unit_test(test_json_lost_events),
		cmocka_unit_test(test_json_autonuma_fields),
		cmocka_unit_test(test_json_vmstat_check),
		cmocka_unit_test(test_json_resident_remote_ratio),
		cmocka_unit_test(test_table_rows),
		cmocka_unit_test(test_table_threads),
		cmocka_unit_test(test_table_matrix),
		cmocka_unit_test(test_table_hint_and_migrations),
		cmocka_unit_test(test_table_autonuma),
		cmocka_unit_test(test_table_no_autonuma),
		cmocka_unit_test(test_table_vmstat_disagree),
		cmocka_unit_test(test_table_resident_remote),
		cmocka_unit_test(test_table_trend),
		cmocka_unit_test(test_table_legend_and_lost),
		cmocka_unit_test(test_table_brief_legend),
		cmocka_unit_test(test_table_diagnosis),
		cmocka_unit_test(test_table_empty_and_whole_recording),
		cmocka_unit_test(test_table_control_chars_in_comm),
		cmocka_unit_test(test_table_to_file),
		cmocka_unit_test(test_64_nodes),
	};
	return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
