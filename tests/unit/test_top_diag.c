/* top's whole-run diagnosis: the initializer placed the pages in an earlier interval
 * (and exited); a later interval where only the worker runs must still name it, with
 * its stack, in the diagnosis and among the process's threads. Uses a fixture /proc
 * tree in a temporary directory, no kernel. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "model/model.h"
#include "analyze/top_diag.h"

static char root[64];

static void write_file(const char *rel, const char *data, size_t len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s%s", root, rel);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void mkdirs(const char *rel)
{
	char path[256];
	snprintf(path, sizeof(path), "%s%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int setup(void **state)
{
	snprintf(root, sizeof(root), "/tmp/nl-top-diag-XXXXXX");
	assert_non_null(mkdtemp(root));
	mkdirs("/proc");
	mkdirs("/proc/42");
	mkdirs("/proc/42/task");
	mkdirs("/proc/42/task/44"); /* 43, the initializer, has exited */
	write_file("/proc/42/cmdline", "./server\0--model\0a b\0", 22);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void two_nodes(struct nl_snapshot *s)
{
	s->topo.nr_nodes = 2;
	s->topo.node_ids[0] = 0;
	s->topo.node_ids[1] = 1;
	s->topo.distance[0][0] = s->topo.distance[1][1] = 10;
	s->topo.distance[0][1] = s->topo.distance[1][0] = 21;
}

static struct nl_stack *init_stack(void)
{
	struct nl_stack *st = calloc(1, sizeof(*st));
	assert_non_null(st);
	st->nr = 2;
	st->frames[0].ip = 0x401000;
	st->frames[0].symbol = strdup("memset");
	st->frames[0].module = strdup("/usr/lib/libc.so.6");
	st->frames[1].ip = 0x401136;
	st->frames[1].symbol = strdup("init_weights+0x16");
	st->frames[1].module = strdup("/usr/bin/server");
	return st;
}

/* Interval 1: thread 43 places 20000 pages on node 0. */
static void interval1(struct nl_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	two_nodes(s);
	s->procs = calloc(1, sizeof(*s->procs));
	assert_non_null(s->procs);
	s->nr_procs = 1;
	struct nl_process *p = &s->procs[0];
	p->pid = 42;
	strcpy(p->comm, "server");
	p->resident_known = true;
	p->resident_pages[0] = 20000;
	p->threads = calloc(1, sizeof(*p->threads));
	assert_non_null(p->threads);
	p->nr_threads = 1;
	struct nl_thread *t = &p->threads[0];
	t->tid = 43;
	strcpy(t->comm, "init");
	t->c.first_touch_pages[0] = 20000;
	t->c.cpu_ns[0] = 50000000;
	t->first_touch_stack = init_stack();
	t->first_touch_stack_pages = 20000;
	nl_counts_copy(&p->c, &t->c);
}

/* Interval 2: only worker 44 runs, on node 1; the pages stay on node 0. */
static void interval2(struct nl_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	two_nodes(s);
	s->procs = calloc(1, sizeof(*s->procs));
	assert_non_null(s->procs);
	s->nr_procs = 1;
	struct nl_process *p = &s->procs[0];
	p->pid = 42;
	strcpy(p->comm, "server");
	p->resident_known = true;
	p->resident_pages[0] = 19800;
	p->resident_pages[1] = 200;
	p->threads = calloc(1, sizeof(*p->threads));
	assert_non_null(p->threads);
	p->nr_threads = 1;
	struct nl_thread *t = &p->threads[0];
	t->tid = 44;
	strcpy(t->comm, "worker");
	t->c.cpu_ns[1] = 950000000;
	nl_mat_set(&t->c.faults, 1, 0, 10);
	nl_counts_copy(&p->c, &t->c);
}

static void test_initializer_from_earlier_interval(void **state)
{
	struct nl_touch_history *h = nl_touch_history_new();
	struct nl_snapshot s;

	assert_non_null(h);
	interval1(&s);
	assert_int_equal(nl_top_diagnose(h, &s, root), 0);
	/* CPU on the pages' node: nothing wrong yet, and it says why */
	assert_int_equal(s.procs[0].diag.kind, NL_DIAG_NONE);
	assert_true(s.procs[0].diag.text[0] != '\0');
	nl_snapshot_free(&s);

	interval2(&s);
	assert_int_equal(nl_top_diagnose(h, &s, root), 0);
	struct nl_process *p = &s.procs[0];
	assert_int_equal(p->diag.kind, NL_DIAG_FIRST_TOUCH_BUG);
	assert_int_equal(p->diag.mem_node, 0);
	assert_int_equal(p->diag.cpu_node, 1);
	assert_int_equal(p->diag.init_tid, 43);
	assert_string_equal(p->diag.init_comm, "init");
	assert_non_null(strstr(p->diag.text, "init_weights()"));
	assert_non_null(strstr(p->diag.fix, "numactl --cpunodebind=1 --membind=1 ./server --model 'a b'"));
	/* the initializer joins the interval's threads: no counts, exited, its stack */
	assert_int_equal(p->nr_threads, 2);
	struct nl_thread *t = &p->threads[1];
	assert_int_equal(t->tid, 43);
	assert_true(t->exited);
	assert_int_equal(t->c.cpu_ns[0] + t->c.first_touch_pages[0], 0);
	assert_non_null(t->first_touch_stack);
	assert_string_equal(t->first_touch_stack->frames[1].symbol, "init_weights+0x16");
	assert_int_equal(t->first_touch_stack_pages, 20000);
	nl_snapshot_free(&s);
	nl_touch_history_free(h);
}

static void test_forgets_processes_that_are_gone(void **state)
{
	struct nl_touch_history *h = nl_touch_history_new();
	struct nl_snapshot s;

	assert_non_null(h);
	interval1(&s);
	s.procs[0].pid = 77; /* no /proc/77 in the fixture */
	assert_int_equal(nl_top_diagnose(h, &s, root), 0);
	nl_snapshot_free(&s);

	interval2(&s);
	s.procs[0].pid = 77;
	assert_int_equal(nl_top_diagnose(h, &s, root), 0);
	/* the history of 77 was pruned (its pid may be reused): no initializer known */
	assert_int_equal(s.procs[0].diag.kind, NL_DIAG_FIRST_TOUCH_BUG);
	assert_int_equal(s.procs[0].diag.init_tid, 0);
	assert_int_equal(s.procs[0].nr_threads, 1);
	nl_snapshot_free(&s);
	nl_touch_history_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initializer_from_earlier_interval),
		cmocka_unit_test(test_forgets_processes_that_are_gone),
	};
	return cmocka_run_group_tests_name("top_diag", tests, setup, teardown);
}
