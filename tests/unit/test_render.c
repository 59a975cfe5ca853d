/* Renderers on hand-built snapshots: the JSON v1 shape (node-position indexing for
 * sparse node ids, null for unknowns, escaping, diagnosis) and the text table (rows,
 * thread rows, matrix, legend, lost events, diagnosis). No kernel involved. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model.h"
#include "render_json.h"
#include "render_table.h"

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
	struct nl_source_state *src = &s->sources[s->nr_sources++];
	src->name = name;
	src->active = active;
	snprintf(src->detail, sizeof(src->detail), "%s", detail);
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
	s->interval_ns = 1000000000ULL;
	s->timestamp_ns = 1700000000000000000ULL;
	s->numa_balancing = 0;
	add_source(s, "faults", true, "tp_btf/page_fault_user+kmem page alloc");
	add_source(s, "hint_faults", false, "numa_balancing is 0");
	add_source(s, "sched", true, "tp_btf/sched_switch");
	add_source(s, "residency", true, "numa_maps");

	f->stack.nr = 2;
	f->stack.frames[0] = (struct nl_frame){ 0x401136, "init_weights+0x16", "/usr/bin/server" };
	f->stack.frames[1] = (struct nl_frame){ 0x4011a0, NULL, "[unknown]" };

	struct nl_thread *init = &f->thr[0], *worker = &f->thr[1];
	init->tid = 43;
	strcpy(init->comm, "init");
	init->c.faults[0][0] = 900;
	init->c.first_touch_pages[0] = 900;
	init->c.cpu_ns[0] = 50000000;
	init->first_touch_stack = &f->stack;
	init->first_touch_stack_pages = 900;
	worker->tid = 44;
	strcpy(worker->comm, "worker");
	worker->c.faults[2][0] = 5;
	worker->c.faults[2][2] = 11;
	worker->c.faults[0][2] = 7;
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
	assert_has(j, "\"topology\":{\"nodes\":[0,2],\"distance\":[[10,21],[21,10]],\"cpus\":[[0,1],[2,3]]}");
	assert_has(j, "\"interval_ns\":1000000000,");
	assert_has(j, "\"timestamp_ns\":1700000000000000000,");
	assert_has(j, "\"lost_events\":0,");
	assert_has(j, "\"numa_balancing\":0,");
	assert_has(j, "\"sources\":{\"faults\":{\"active\":true,\"via\":\"tp_btf/page_fault_user+kmem page alloc\"},"
		      "\"hint_faults\":{\"active\":false,\"reason\":\"numa_balancing is 0\"}");
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
	f->s.sources[1].active = true;
	f->s.numa_balancing = 1;
	f->proc[0].c.hint_faults[2][0] = 64;
	f->proc[0].c.migrated_pages[0][2] = 512;
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

static void test_table_legend_and_lost(void **state)
{
	struct fixture *f = make_fixture();
	struct nl_lines l = table_of(&f->s, false, 60);

	int s = find_line(&l, "sources: faults: tp_btf/page_fault_user+kmem");
	assert_true(s >= 0);
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
	nl_lines_free(&l);

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_one_line_and_header),
		cmocka_unit_test(test_json_sparse_node_positions),
		cmocka_unit_test(test_json_unknowns_are_null),
		cmocka_unit_test(test_json_escapes_comm),
		cmocka_unit_test(test_json_threads),
		cmocka_unit_test(test_json_diagnosis),
		cmocka_unit_test(test_json_diagnosis_note),
		cmocka_unit_test(test_json_lost_events),
		cmocka_unit_test(test_table_rows),
		cmocka_unit_test(test_table_threads),
		cmocka_unit_test(test_table_matrix),
		cmocka_unit_test(test_table_hint_and_migrations),
		cmocka_unit_test(test_table_legend_and_lost),
		cmocka_unit_test(test_table_diagnosis),
		cmocka_unit_test(test_table_empty_and_whole_recording),
		cmocka_unit_test(test_table_control_chars_in_comm),
		cmocka_unit_test(test_table_to_file),
	};
	return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
