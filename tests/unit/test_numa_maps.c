/* numa_maps parsing: policies as the kernel prints them, units (THP counted in base
 * pages by the kernel, hugetlb in huge pages), nodes beyond NL_MAX_NODES, errors. */
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

#include "collect/numa_maps.h"

#define FIXTURES "tests/fixtures/numa_maps"
#define FAKE_PID 4242

/* A root tree with <root>/proc/4242/numa_maps = a copy of the fixture. */
struct fake_root {
	char dir[64];
};

static void copy_file(const char *from, const char *to)
{
	char buf[4096];
	size_t n;
	FILE *in = fopen(from, "r"), *out;

	if (!in)
		fail_msg("fixture %s: %s (tests run from the repository root)", from, strerror(errno));
	out = fopen(to, "w");
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

static void make_root(struct fake_root *r, const char *fixture)
{
	char path[256];

	strcpy(r->dir, "/tmp/nl-numa-maps-XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	snprintf(path, sizeof(path), "%s/proc", r->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/%d", r->dir, FAKE_PID);
	assert_int_equal(mkdir(path, 0755), 0);
	if (fixture) {
		char src[256];
		snprintf(src, sizeof(src), "%s/%s", FIXTURES, fixture);
		snprintf(path, sizeof(path), "%s/proc/%d/numa_maps", r->dir, FAKE_PID);
		copy_file(src, path);
	}
}

static void remove_root(struct fake_root *r)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/proc/%d/numa_maps", r->dir, FAKE_PID);
	unlink(path);
	snprintf(path, sizeof(path), "%s/proc/%d", r->dir, FAKE_PID);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/proc", r->dir);
	rmdir(path);
	rmdir(r->dir);
}

static void test_line_anon_default(void **state)
{
	struct nl_numa_maps_entry e;

	assert_int_equal(nl_numa_maps_parse_line(
		"7f83f2484000 default anon=2 dirty=2 active=0 N0=2 kernelpagesize_kB=4", &e), 0);
	assert_int_equal(e.start, 0x7f83f2484000ULL);
	assert_string_equal(e.policy, "default");
	assert_null(e.name);
	assert_false(e.file || e.heap || e.stack || e.huge);
	assert_int_equal(e.anon, 2);
	assert_int_equal(e.dirty, 2);
	assert_true(e.has_active);
	assert_int_equal(e.active, 0);
	assert_int_equal(e.node_pages[0], 2);
	assert_int_equal(e.kernelpagesize_kB, 4);
	nl_numa_maps_entry_clear(&e);
}

static void test_line_file_fields(void **state)
{
	struct nl_numa_maps_entry e;

	assert_int_equal(nl_numa_maps_parse_line(
		"7f1d80000000 default file=/data/my\\040model\\075v2.bin mapped=64 mapmax=3 "
		"swapcache=1 writeback=2 N0=60 N1=4 kernelpagesize_kB=4", &e), 0);
	assert_true(e.file);
	assert_string_equal(e.name, "/data/my model=v2.bin");
	assert_int_equal(e.mapped, 64);
	assert_int_equal(e.mapmax, 3);
	assert_int_equal(e.swapcache, 1);
	assert_int_equal(e.writeback, 2);
	assert_false(e.has_active);
	assert_int_equal(e.node_pages[0], 60);
	assert_int_equal(e.node_pages[1], 4);
	nl_numa_maps_entry_clear(&e);
}

static void test_line_heap_stack_huge(void **state)
{
	struct nl_numa_maps_entry e;

	assert_int_equal(nl_numa_maps_parse_line(
		"01a2b000 default heap anon=33 dirty=33 N0=33 kernelpagesize_kB=4", &e), 0);
	assert_true(e.heap);
	assert_string_equal(e.name, "heap");
	nl_numa_maps_entry_clear(&e);

	assert_int_equal(nl_numa_maps_parse_line(
		"7ffd1a2b3000 default stack anon=12 dirty=12 N0=12 kernelpagesize_kB=4", &e), 0);
	assert_true(e.stack);
	assert_string_equal(e.name, "stack");
	nl_numa_maps_entry_clear(&e);

	/* pre-4.5 kernels named thread stacks "stack:TID" */
	assert_int_equal(nl_numa_maps_parse_line("7f0000000000 default stack:1234 anon=1 "
						 "dirty=1 N0=1 kernelpagesize_kB=4", &e), 0);
	assert_true(e.stack);
	nl_numa_maps_entry_clear(&e);

	assert_int_equal(nl_numa_maps_parse_line(
		"7f1d40000000 prefer:1 file=/anon_hugepage\\040(deleted) huge dirty=2 N1=2 "
		"kernelpagesize_kB=2048", &e), 0);
	assert_true(e.huge);
	assert_true(e.file);
	assert_string_equal(e.name, "/anon_hugepage (deleted)");
	assert_string_equal(e.policy, "prefer:1");
	assert_int_equal(e.node_pages[1], 2);
	assert_int_equal(e.kernelpagesize_kB, 2048);
	nl_numa_maps_entry_clear(&e);
}

static void test_line_no_pages(void **state)
{
	struct nl_numa_maps_entry e;

	/* The kernel prints nothing after the name when a VMA has no pages. */
	assert_int_equal(nl_numa_maps_parse_line("7f1e00400000 default", &e), 0);
	assert_string_equal(e.policy, "default");
	assert_false(e.has_nodes);
	assert_int_equal(e.kernelpagesize_kB, 0);
	nl_numa_maps_entry_clear(&e);

	assert_int_equal(nl_numa_maps_parse_line(
		"7f1e00200000 default file=/usr/lib/x86_64-linux-gnu/libc.so.6", &e), 0);
	assert_string_equal(e.name, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	nl_numa_maps_entry_clear(&e);
}

static void test_line_policies(void **state)
{
	static const struct {
		const char *line, *policy;
	} cases[] = {
		{ "7f0000100000 local anon=1 N0=1 kernelpagesize_kB=4", "local" },
		{ "7f0000300000 bind=static:0-1 anon=2 N0=1 N1=1 kernelpagesize_kB=4",
		  "bind=static:0-1" },
		{ "7f0000500000 prefer=relative:0 anon=1 N0=1 kernelpagesize_kB=4",
		  "prefer=relative:0" },
		{ "7f0000600000 prefer (many):0-1 anon=1 N1=1 kernelpagesize_kB=4",
		  "prefer (many):0-1" },
		{ "7f0000700000 interleave:0-3 anon=4 N0=1 N1=1 N2=1 N3=1 kernelpagesize_kB=4",
		  "interleave:0-3" },
		{ "7f0000800000 weighted interleave:0-1 anon=3 N0=2 N1=1 kernelpagesize_kB=4",
		  "weighted interleave:0-1" },
		{ "7f0000900000 bind=static|balancing:1 anon=1 N1=1 kernelpagesize_kB=4",
		  "bind=static|balancing:1" },
	};
	struct nl_numa_maps_entry e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(nl_numa_maps_parse_line(cases[i].line, &e), 0);
		assert_string_equal(e.policy, cases[i].policy);
		/* the page counts after a two-word policy are still found */
		assert_true(e.has_nodes);
		assert_int_equal(e.kernelpagesize_kB, 4);
		nl_numa_maps_entry_clear(&e);
	}
}

static void test_line_unknown_field_skipped(void **state)
{
	struct nl_numa_maps_entry e;

	assert_int_equal(nl_numa_maps_parse_line(
		"7f0000000000 default anon=1 futurekey=7 N0=1 kernelpagesize_kB=4", &e), 0);
	assert_int_equal(e.node_pages[0], 1);
	nl_numa_maps_entry_clear(&e);
}

static void test_line_errors(void **state)
{
	static const char *bad[] = {
		"",
		"zzzz default",
		"7f0000000000",                                        /* no policy */
		"7f0000000000 default N0=x kernelpagesize_kB=4",       /* bad count */
		"7f0000000000 default N0=-1 kernelpagesize_kB=4",      /* negative */
		"7f0000000000 default N0x=1 kernelpagesize_kB=4",      /* bad node id */
		"7f0000000000 default anon=1 N0=1",                    /* no page size */
		"7f0000000000 default anon=1 N0=1 kernelpagesize_kB=0",
		"7f0000000000 default anon=1 N0=1 kernelpagesize_kB=6", /* not 4 KiB multiple */
		"7f0000000000 default anon=abc N0=1 kernelpagesize_kB=4",
	};
	struct nl_numa_maps_entry e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = nl_numa_maps_parse_line(bad[i], &e);
		if (err != -EINVAL)
			fail_msg("\"%s\" gave %d, want -EINVAL", bad[i], err);
		assert_null(e.name);
	}
}

static void test_read_trainer(void **state)
{
	struct fake_root r;
	struct nl_vma *v;
	uint64_t res[NL_MAX_NODES], beyond = 99;
	int nr;

	make_root(&r, "trainer.txt");
	assert_int_equal(nl_numa_maps_read(r.dir, FAKE_PID, &v, &nr, res, &beyond), 0);
	assert_int_equal(nr, 13);
	/* N0: 180+2+33+4096+25600 + hugetlb 3*512 + 64+211+12 */
	assert_int_equal(res[0], 31734);
	/* N1: 16384+4096+512 + hugetlb 2*512 */
	assert_int_equal(res[1], 22016);
	for (int n = 2; n < NL_MAX_NODES; n++)
		assert_int_equal(res[n], 0);
	assert_int_equal(beyond, 0);

	assert_int_equal(v[0].start, 0x400000);
	assert_string_equal(v[0].name, "/opt/app/bin/trainer");
	assert_string_equal(v[2].name, "heap");
	assert_string_equal(v[3].policy, "bind:1");
	assert_null(v[3].name);
	assert_int_equal(v[3].pages[1], 16384);
	assert_string_equal(v[4].policy, "interleave:0-1");
	/* THP-backed anonymous memory: the kernel already counts base pages */
	assert_int_equal(v[5].page_size, 4096);
	assert_int_equal(v[5].pages[0], 25600);
	assert_int_equal(nl_vma_base_pages(&v[5], 0), 25600);
	/* hugetlb: kernel units are huge pages */
	assert_string_equal(v[6].name, "/dev/hugepages/weights");
	assert_int_equal(v[6].page_size, 2048 * 1024);
	assert_int_equal(v[6].pages[0], 3);
	assert_int_equal(nl_vma_base_pages(&v[6], 0), 3 * 512);
	assert_string_equal(v[7].name, "/anon_hugepage (deleted)");
	assert_int_equal(nl_vma_base_pages(&v[7], 1), 2 * 512);
	/* a line with no N fields */
	assert_int_equal(v[11].start, 0x7f1e00400000ULL);
	assert_null(v[11].name);
	for (int n = 0; n < NL_MAX_NODES; n++)
		assert_int_equal(v[11].pages[n], 0);
	assert_string_equal(v[12].name, "stack");

	nl_vmas_free(v, nr);
	remove_root(&r);
}

static void test_read_policies(void **state)
{
	struct fake_root r;
	struct nl_vma *v;
	uint64_t res[NL_MAX_NODES], beyond;
	int nr;

	make_root(&r, "policies.txt");
	assert_int_equal(nl_numa_maps_read(r.dir, FAKE_PID, &v, &nr, res, &beyond), 0);
	assert_int_equal(nr, 10);
	assert_string_equal(v[6].policy, "prefer (many):0-1");
	assert_string_equal(v[8].policy, "weighted interleave:0-1");
	assert_int_equal(res[0], 1 + 1 + 1 + 1 + 1 + 2);
	assert_int_equal(res[1], 1 + 1 + 1 + 1 + 1 + 1 + 1);
	assert_int_equal(res[2], 1);
	assert_int_equal(res[3], 1);
	nl_vmas_free(v, nr);
	remove_root(&r);
}

static void test_read_beyond_max_nodes(void **state)
{
	struct fake_root r;
	struct nl_vma *v;
	uint64_t res[NL_MAX_NODES], beyond;
	int nr;

	make_root(&r, "many_nodes.txt");
	assert_int_equal(nl_numa_maps_read(r.dir, FAKE_PID, &v, &nr, res, &beyond), 0);
	assert_int_equal(nr, 2);
	for (int n = 0; n < NL_MAX_NODES; n++)
		assert_int_equal(res[n], n < 8);
	/* N64..N71 of the first line, plus 2 huge pages on node 70 */
	assert_int_equal(beyond, 8 + 2 * 512);
	nl_vmas_free(v, nr);
	remove_root(&r);
}

static void test_read_empty(void **state)
{
	struct fake_root r;
	struct nl_vma *v = (struct nl_vma *)&r; /* must be overwritten */
	uint64_t res[NL_MAX_NODES], beyond;
	int nr = -1;

	make_root(&r, "empty.txt");
	assert_int_equal(nl_numa_maps_read(r.dir, FAKE_PID, &v, &nr, res, &beyond), 0);
	assert_int_equal(nr, 0);
	assert_null(v);
	for (int n = 0; n < NL_MAX_NODES; n++)
		assert_int_equal(res[n], 0);
	remove_root(&r);
}

static void test_read_errors(void **state)
{
	struct fake_root r;
	struct nl_vma *v;
	uint64_t res[NL_MAX_NODES], beyond;
	int nr;

	/* no such process */
	make_root(&r, NULL);
	assert_int_equal(nl_numa_maps_read(r.dir, 999999, &v, &nr, res, &beyond), -ESRCH);
	/* the process exists but the kernel has no numa_maps */
	assert_int_equal(nl_numa_maps_read(r.dir, FAKE_PID, &v, &nr, res, &beyond), -ENOENT);
	remove_root(&r);

	make_root(&r, "malformed.txt");
	assert_int_equal(nl_numa_maps_read(r.dir, FAKE_PID, &v, &nr, res, &beyond), -EINVAL);
	assert_null(v);
	assert_int_equal(nr, 0);
	remove_root(&r);
}

static void test_fill_process(void **state)
{
	struct fake_root r;
	struct nl_process p = { .pid = FAKE_PID };
	uint64_t beyond;

	make_root(&r, "trainer.txt");
	assert_int_equal(nl_numa_maps_fill_process(r.dir, &p, &beyond), 0);
	assert_true(p.resident_known);
	assert_int_equal(p.nr_vmas, 13);
	assert_int_equal(p.resident_pages[0], 31734);
	assert_int_equal(p.resident_pages[1], 22016);
	/* a second read replaces (and frees) the first */
	assert_int_equal(nl_numa_maps_fill_process(r.dir, &p, &beyond), 0);
	assert_int_equal(p.nr_vmas, 13);
	remove_root(&r);

	/* the process went away: residency becomes unknown, old vmas are released */
	assert_int_equal(nl_numa_maps_fill_process(r.dir, &p, &beyond), -ESRCH);
	assert_false(p.resident_known);
	assert_null(p.vmas);
	assert_int_equal(p.nr_vmas, 0);
	assert_int_equal(p.resident_pages[0], 0);
}

/* The real kernel file of this very process parses and shows some resident pages. */
static void test_read_self(void **state)
{
	struct nl_vma *v;
	uint64_t res[NL_MAX_NODES], beyond, total = 0;
	int nr, err;

	err = nl_numa_maps_read("/", (uint32_t)getpid(), &v, &nr, res, &beyond);
	if (err == -ENOENT)
		skip(); /* kernel without CONFIG_NUMA */
	assert_int_equal(err, 0);
	assert_true(nr > 5);
	for (int n = 0; n < NL_MAX_NODES; n++)
		total += res[n];
	assert_true(total + beyond > 10);
	nl_vmas_free(v, nr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_anon_default),
		cmocka_unit_test(test_line_file_fields),
		cmocka_unit_test(test_line_heap_stack_huge),
		cmocka_unit_test(test_line_no_pages),
		cmocka_unit_test(test_line_policies),
		cmocka_unit_test(test_line_unknown_field_skipped),
		cmocka_unit_test(test_line_errors),
		cmocka_unit_test(test_read_trainer),
		cmocka_unit_test(test_read_policies),
		cmocka_unit_test(test_read_beyond_max_nodes),
		cmocka_unit_test(test_read_empty),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_fill_process),
		cmocka_unit_test(test_read_self),
	};
	return cmocka_run_group_tests_name("numa_maps", tests, NULL, NULL);
}
