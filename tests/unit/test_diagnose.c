/* The first-touch bug diagnosis on hand-built processes: the classic bug, correct
 * placement, interleaving, CPU spread, one node, too small, missing or partial evidence,
 * and the command line that goes into the fix. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyze/diagnose.h"

#define SEC 1000000000ULL
#define LIBC "/usr/lib/x86_64-linux-gnu/libc.so.6"
#define APP "/opt/app/trainer"

static struct nl_topo_summary topo_of(int nr_nodes)
{
	struct nl_topo_summary t = { .nr_nodes = nr_nodes };
	for (int n = 0; n < nr_nodes; n++)
		t.node_ids[n] = n;
	return t;
}

static struct nl_stack *stack_of(int nr, const char *const *symbols, const char *const *modules)
{
	struct nl_stack *st = calloc(1, sizeof(*st));
	assert_non_null(st);
	st->nr = nr;
	for (int i = 0; i < nr; i++) {
		st->frames[i].ip = 0x401000 + (uint64_t)i * 0x100;
		st->frames[i].symbol = symbols[i] ? strdup(symbols[i]) : NULL;
		st->frames[i].module = strdup(modules[i]);
	}
	return st;
}

static void free_process(struct nl_process *p)
{
	for (int i = 0; i < p->nr_threads; i++) {
		struct nl_stack *st = p->threads[i].first_touch_stack;
		for (int f = 0; st && f < st->nr; f++) {
			free(st->frames[f].symbol);
			free(st->frames[f].module);
		}
		free(st);
	}
	free(p->threads);
}

/* A trainer whose main thread ("init") first-touches the weights on node 0 and whose
 * worker runs on node 1: 92% of pages on node 0, 97% of CPU on node 1. */
static struct nl_process classic(void)
{
	static const char *const syms[] = { "__memset_avx2_unaligned_erms+0x20",
					    "init_weights+0x1c", "main+0x40" };
	static const char *const mods[] = { LIBC, APP, APP };
	struct nl_process p = { .pid = 4242, .comm = "trainer", .resident_known = true };

	p.resident_pages[0] = 92000;
	p.resident_pages[1] = 8000;
	p.c.cpu_ns[0] = 300000000;   /* 0.3 s */
	p.c.cpu_ns[1] = 9700000000;  /* 9.7 s */
	p.nr_threads = 2;
	p.threads = calloc(2, sizeof(*p.threads));
	assert_non_null(p.threads);
	p.threads[0].tid = 123;
	strcpy(p.threads[0].comm, "init");
	p.threads[0].c.first_touch_pages[0] = 90000;
	p.threads[0].c.cpu_ns[0] = 300000000;
	p.threads[0].first_touch_stack = stack_of(3, syms, mods);
	p.threads[1].tid = 124;
	strcpy(p.threads[1].comm, "worker");
	p.threads[1].c.first_touch_pages[0] = 1800;
	p.threads[1].c.first_touch_pages[1] = 8000;
	p.threads[1].c.cpu_ns[1] = 9700000000;
	return p;
}

static void test_classic_bug(void **state)
{
	struct nl_topo_summary t = topo_of(2);
	struct nl_process p = classic();

	nl_diagnose(&t, &p, "./trainer --epochs 3", &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_FIRST_TOUCH_BUG);
	assert_int_equal(p.diag.mem_node, 0);
	assert_int_equal(p.diag.cpu_node, 1);
	assert_true(p.diag.resident_share > 0.919 && p.diag.resident_share < 0.921);
	assert_true(p.diag.cpu_share > 0.969 && p.diag.cpu_share < 0.971);
	assert_int_equal(p.diag.init_tid, 123);
	assert_string_equal(p.diag.init_comm, "init");
	/* 90000 of the 91800 pages placed on node 0 were touched by thread 123 */
	assert_string_equal(p.diag.text,
			    "92% of resident pages are on node 0 but 97% of CPU time runs on node 1; "
			    "thread 123 (init) first touched 98% of them in init_weights(). "
			    "Every access from node 1 to them crosses the interconnect.");
	assert_string_equal(p.diag.fix,
			    "pin the initializer: numactl --cpunodebind=1 --membind=1 ./trainer "
			    "--epochs 3; or migrate now: migratepages 4242 0 1; or first-touch from "
			    "the worker (initialize the data in the thread that uses it)");
	free_process(&p);
}

/* The same layout, but the pages on node 0 sit in an mbind(MPOL_BIND, node 0)
 * mapping: placed on purpose, so no first-touch bug; a default-policy mapping with the
 * same pages still is one. */
static void test_explicit_policy(void **state)
{
	struct nl_topo_summary t = topo_of(2);
	struct nl_process p = classic();
	struct nl_vma v[2] = {
		{ .start = 0x7f0000000000, .policy = "default", .page_size = 4096 },
		{ .start = 0x7f1000000000, .policy = "bind:0", .page_size = 4096 },
	};

	v[0].pages[0] = 2000;
	v[1].pages[0] = 90000;
	p.vmas = v;
	p.nr_vmas = 2;
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_NONE);
	assert_non_null(strstr(p.diag.text, "explicit memory policy (bind:0, 98% of the pages on node 0)"));
	assert_non_null(strstr(p.diag.text, "numactl --cpunodebind=0"));

	strcpy(v[1].policy, "default");
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_FIRST_TOUCH_BUG);
	p.vmas = NULL;
	p.nr_vmas = 0;
	free_process(&p);
}

/* Pages bound to a memory-only node (no CPUs: CXL, GPU memory): never told to run the
 * threads there, only where else the memory could go. */
static void test_memory_only_node(void **state)
{
	struct nl_topo_summary t = topo_of(3);
	struct nl_process p = classic();
	struct nl_vma v = { .start = 0x7f1000000000, .policy = "bind:2", .page_size = 4096 };

	t.nr_cpus[0] = t.nr_cpus[1] = 1;
	t.mem_total_kb[0] = t.mem_total_kb[1] = t.mem_total_kb[2] = 1 << 20;
	p.resident_pages[2] = p.resident_pages[0];
	p.resident_pages[0] = 0;
	v.pages[2] = 90000;
	p.vmas = &v;
	p.nr_vmas = 1;
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_NONE);
	assert_int_equal(p.diag.mem_node, 2);
	assert_int_equal(p.diag.cpu_node, 1);
	assert_non_null(strstr(p.diag.text, "on node 2, a memory-only node (no CPUs)"));
	assert_non_null(strstr(p.diag.text, "numactl --membind=1"));
	assert_null(strstr(p.diag.text, "cpunodebind"));
	/* node 2 with CPUs: the usual advice, run the threads there */
	t.nr_cpus[2] = 1;
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_non_null(strstr(p.diag.text, "numactl --cpunodebind=2"));
	p.vmas = NULL;
	p.nr_vmas = 0;
	free_process(&p);
}

/* In a static binary memset lives in the application module: skipped by name. */
static void test_static_binary_runtime_frames(void **state)
{
	static const char *const syms[] = { "memset+0x10", "calloc+0x8", "[trainer+0x4011f0]",
					    "load_model+0x33", "main+0x40" };
	static const char *const mods[] = { APP, APP, APP, APP, APP };
	struct nl_topo_summary t = topo_of(2);
	struct nl_process p = classic();

	for (int f = 0; f < p.threads[0].first_touch_stack->nr; f++) {
		free(p.threads[0].first_touch_stack->frames[f].symbol);
		free(p.threads[0].first_touch_stack->frames[f].module);
	}
	free(p.threads[0].first_touch_stack);
	p.threads[0].first_touch_stack = stack_of(5, syms, mods);
	p.threads[0].exited = true;
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_FIRST_TOUCH_BUG);
	assert_non_null(strstr(p.diag.text,
			       "thread 123 (init, exited) first touched 98% of them in load_model()"));
	assert_non_null(strstr(p.diag.fix, "--membind=1 <command>;"));
	free_process(&p);
}

static void test_correct_placement(void **state)
{
	struct nl_topo_summary t = topo_of(2);
	struct nl_process p = classic();

	p.resident_pages[0] = 5000;
	p.resident_pages[1] = 95000;
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_NONE);
	assert_int_equal(p.diag.mem_node, 1);
	assert_int_equal(p.diag.cpu_node, 1);
	assert_string_equal(p.diag.text, "Placement is local: 95% of resident pages and 97% of CPU "
					 "time are on node 1.");
	assert_string_equal(p.diag.fix, "");
	assert_int_equal(p.diag.init_tid, 0);
	free_process(&p);
}

static void test_interleaved(void **state)
{
	struct nl_topo_summary t = topo_of(2);
	struct nl_process p = classic();

	p.resident_pages[0] = 50100;
	p.resident_pages[1] = 49900;
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_NONE);
	assert_non_null(strstr(p.diag.text, "Memory is spread over nodes (at most 50% of resident "
					    "pages on node 0)"));
	free_process(&p);
}

static void test_cpu_spread(void **state)
{
	struct nl_topo_summary t = topo_of(2);
	struct nl_process p = classic();

	p.c.cpu_ns[0] = 5 * SEC;
	p.c.cpu_ns[1] = 5 * SEC;
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_NONE);
	assert_non_null(strstr(p.diag.text, "CPU time is spread over nodes"));
	free_process(&p);
}

static void test_thresholds(void **state)
{
	struct nl_topo_summary t = topo_of(2);
	struct nl_process p = classic();

	/* exactly 70% is enough */
	p.resident_pages[0] = 70000;
	p.resident_pages[1] = 30000;
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_FIRST_TOUCH_BUG);
	/* 69% is not */
	p.resident_pages[0] = 69000;
	p.resident_pages[1] = 31000;
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_NONE);
	free_process(&p);
}

static void test_single_node(void **state)
{
	struct nl_topo_summary t = topo_of(1);
	struct nl_process p = classic();

	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_NONE);
	assert_non_null(strstr(p.diag.text, "One NUMA node"));
	free_process(&p);
}

static void test_too_small(void **state)
{
	struct nl_topo_summary t = topo_of(2);
	struct nl_process p = classic();

	p.resident_pages[0] = 900; /* < 1024 pages */
	p.resident_pages[1] = 10;
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_NONE);
	assert_non_null(strstr(p.diag.text, "Too small to judge: 910 resident pages"));

	p.resident_pages[0] = 92000;
	p.c.cpu_ns[0] = 0;
	p.c.cpu_ns[1] = 50000000; /* 50 ms */
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_NONE);
	assert_non_null(strstr(p.diag.text, "and 50 ms of CPU"));
	free_process(&p);
}

static void test_residency_unknown(void **state)
{
	struct nl_topo_summary t = topo_of(2);
	struct nl_process p = classic();

	p.resident_known = false;
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_NONE);
	assert_non_null(strstr(p.diag.text, "Residency unknown"));
	free_process(&p);
}

static void test_missing_stack(void **state)
{
	struct nl_topo_summary t = topo_of(2);
	struct nl_process p = classic();
	struct nl_stack *st = p.threads[0].first_touch_stack;

	for (int f = 0; f < st->nr; f++) {
		free(st->frames[f].symbol);
		free(st->frames[f].module);
	}
	free(st);
	p.threads[0].first_touch_stack = NULL;
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_FIRST_TOUCH_BUG);
	assert_int_equal(p.diag.init_tid, 123);
	assert_non_null(strstr(p.diag.text, "thread 123 (init) first touched 98% of them (no call "
					    "stack was captured). "));
	free_process(&p);
}

static void test_unsymbolized_stack(void **state)
{
	static const char *const syms[] = { NULL, "[trainer+0x4011f0]" };
	static const char *const mods[] = { "[unknown]", APP };
	struct nl_topo_summary t = topo_of(2);
	struct nl_process p = classic();
	struct nl_stack *st = p.threads[0].first_touch_stack;

	for (int f = 0; f < st->nr; f++) {
		free(st->frames[f].symbol);
		free(st->frames[f].module);
	}
	free(st);
	p.threads[0].first_touch_stack = stack_of(2, syms, mods);
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_FIRST_TOUCH_BUG);
	assert_non_null(strstr(p.diag.text, "(its call stack could not be symbolized)"));
	free_process(&p);
}

/* Profiling started after the pages were placed: the bug stands on residency and CPU
 * time alone, and the text says the initializer is unknown. */
static void test_no_first_touch_data(void **state)
{
	struct nl_topo_summary t = topo_of(2);
	struct nl_process p = classic();

	for (int i = 0; i < p.nr_threads; i++)
		memset(p.threads[i].c.first_touch_pages, 0, sizeof(p.threads[i].c.first_touch_pages));
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_FIRST_TOUCH_BUG);
	assert_int_equal(p.diag.init_tid, 0);
	assert_string_equal(p.diag.init_comm, "");
	assert_string_equal(p.diag.text,
			    "92% of resident pages are on node 0 but 97% of CPU time runs on node 1; "
			    "initializer unknown (pages were placed before numalens attached). "
			    "Every access from node 1 to them crosses the interconnect.");
	free_process(&p);
}

static void test_partial_first_touch(void **state)
{
	struct nl_topo_summary t = topo_of(2);
	struct nl_process p = classic();

	p.threads[0].c.first_touch_pages[0] = 18000; /* of 92000 resident on node 0 */
	p.threads[1].c.first_touch_pages[0] = 400;
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_FIRST_TOUCH_BUG);
	assert_non_null(strstr(p.diag.text, "numalens saw only 20% of them being placed"));
	free_process(&p);
}

static void test_no_dominant_initializer(void **state)
{
	struct nl_topo_summary t = topo_of(2);
	struct nl_process p = classic();

	/* three loader threads share the initialization */
	struct nl_thread *more = realloc(p.threads, 3 * sizeof(*p.threads));
	assert_non_null(more);
	p.threads = more;
	memset(&p.threads[2], 0, sizeof(p.threads[2]));
	p.nr_threads = 3;
	p.threads[2].tid = 125;
	strcpy(p.threads[2].comm, "loader");
	p.threads[0].c.first_touch_pages[0] = 30000;
	p.threads[1].c.first_touch_pages[0] = 30000;
	p.threads[2].c.first_touch_pages[0] = 32000;
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_FIRST_TOUCH_BUG);
	assert_int_equal(p.diag.init_tid, 0);
	assert_non_null(strstr(p.diag.text, "no single thread placed most of them (the most, 35%, "
					    "by thread 125 (loader))"));
	free_process(&p);
}

static void test_four_nodes(void **state)
{
	struct nl_topo_summary t = topo_of(4);
	struct nl_process p = classic();

	p.resident_pages[0] = 0;
	p.resident_pages[1] = 1000;
	p.resident_pages[2] = 90000;
	p.c.cpu_ns[0] = 0;
	p.c.cpu_ns[1] = 100000000;
	p.c.cpu_ns[3] = 9 * SEC;
	p.threads[0].c.first_touch_pages[0] = 0;
	p.threads[0].c.first_touch_pages[2] = 90000;
	nl_diagnose(&t, &p, "app", &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_FIRST_TOUCH_BUG);
	assert_int_equal(p.diag.mem_node, 2);
	assert_int_equal(p.diag.cpu_node, 3);
	assert_non_null(strstr(p.diag.text, "thread 123 (init) first touched 100% of them in "
					    "init_weights()"));
	assert_non_null(strstr(p.diag.fix, "numactl --cpunodebind=3 --membind=3 app;"));
	assert_non_null(strstr(p.diag.fix, "migratepages 4242 2 3;"));
	free_process(&p);
}

/* The collector may fill per-thread CPU time only. */
static void test_cpu_from_threads(void **state)
{
	struct nl_topo_summary t = topo_of(2);
	struct nl_process p = classic();

	memset(p.c.cpu_ns, 0, sizeof(p.c.cpu_ns));
	nl_diagnose(&t, &p, NULL, &p.diag);
	assert_int_equal(p.diag.kind, NL_DIAG_FIRST_TOUCH_BUG);
	assert_int_equal(p.diag.cpu_node, 1);
	free_process(&p);
}

static void write_cmdline(const char *root, const char *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/proc/77", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/proc/77/cmdline", root);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_read_cmdline(void **state)
{
	static const char raw[] = "./train\0--model\0a b\0it's\0";
	char root[] = "/tmp/nl-diag-XXXXXX", buf[128], path[256];

	assert_non_null(mkdtemp(root));
	write_cmdline(root, raw, sizeof(raw) - 1);
	assert_int_equal(nl_diag_read_cmdline(root, 77, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "./train --model 'a b' 'it'\\''s'");
	assert_int_equal(nl_diag_read_cmdline(root, 77, buf, 10), -ENOSPC);
	assert_int_equal(nl_diag_read_cmdline(root, 78, buf, sizeof(buf)), -ESRCH);
	write_cmdline(root, "", 0); /* kernel thread or zombie */
	assert_int_equal(nl_diag_read_cmdline(root, 77, buf, sizeof(buf)), -ENOENT);

	snprintf(path, sizeof(path), "%s/proc/77/cmdline", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/proc/77", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/proc", root);
	rmdir(path);
	rmdir(root);

	/* and this very process, from the real /proc */
	assert_int_equal(nl_diag_read_cmdline(NULL, (uint32_t)getpid(), buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "test_diagnose"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classic_bug),
		cmocka_unit_test(test_explicit_policy),
		cmocka_unit_test(test_memory_only_node),
		cmocka_unit_test(test_static_binary_runtime_frames),
		cmocka_unit_test(test_correct_placement),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_cpu_spread),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_single_node),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_residency_unknown),
		cmocka_unit_test(test_missing_stack),
		cmocka_unit_test(test_unsymbolized_stack),
		cmocka_unit_test(test_no_first_touch_data),
		cmocka_unit_test(test_partial_first_touch),
		cmocka_unit_test(test_no_dominant_initializer),
		cmocka_unit_test(test_four_nodes),
		cmocka_unit_test(test_cpu_from_threads),
		cmocka_unit_test(test_read_cmdline),
	};
	return cmocka_run_group_tests_name("diagnose", tests, NULL, NULL);
}
