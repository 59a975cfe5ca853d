/* Unit tests for user/topology.c (reading sysfs/procfs fixture trees) and user/topo.c
 * (rendering them as JSON and text). Fixtures are in tests/fixtures/ (see its README);
 * error cases build small trees in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/topo.h"
#include "sysinfo/topology.h"

#define GiB (1024ULL * 1024 * 1024)

static char fixtures[PATH_MAX];

/* tests/fixtures relative to this binary (build/tests/test_topology), so the test runs
 * from any directory; NUMALENS_FIXTURES overrides. */
static const char *fixture(const char *name)
{
	static char path[PATH_MAX + 64];

	if (!fixtures[0]) {
		const char *env = getenv("NUMALENS_FIXTURES");
		char exe[PATH_MAX];
		ssize_t n;

		if (env) {
			snprintf(fixtures, sizeof(fixtures), "%s", env);
		} else {
			n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
			assert_true(n > 0);
			exe[n] = '\0';
			snprintf(fixtures, sizeof(fixtures), "%s/../../tests/fixtures", dirname(exe));
		}
	}
	snprintf(path, sizeof(path), "%s/%s", fixtures, name);
	return path;
}

static void read_ok(const char *name, struct nl_topology *t)
{
	char err[512] = "";

	if (nl_topology_read(fixture(name), t, err, sizeof(err)))
		fail_msg("reading fixture %s: %s", name, err);
}

static void assert_cpus(const int *v, int n, int first, int count)
{
	assert_int_equal(n, count);
	for (int i = 0; i < n; i++)
		assert_int_equal(v[i], first + i);
}

static const struct nl_pci_dev *find_dev(const struct nl_topology *t, const char *addr)
{
	for (int i = 0; i < t->nr_devices; i++)
		if (!strcmp(t->devices[i].address, addr))
			return &t->devices[i];
	fail_msg("no device %s", addr);
	return NULL;
}

/* ---- temporary trees ---- */

struct tree {
	char root[64];
};

static void put(struct tree *tr, const char *rel, const char *content)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tr->root, rel);
	for (char *p = path + strlen(tr->root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

static void rm_file(struct tree *tr, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tr->root, rel);
	assert_int_equal(unlink(path), 0);
}

static void tree_new(struct tree *tr)
{
	snprintf(tr->root, sizeof(tr->root), "/tmp/nl-test-topo-XXXXXX");
	assert_non_null(mkdtemp(tr->root));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void tree_free(struct tree *tr)
{
	assert_int_equal(nftw(tr->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* A well-formed 2-node tree that tests then break in one place. */
static void tree_two_nodes(struct tree *tr)
{
	tree_new(tr);
	put(tr, "sys/devices/system/node/online", "0-1\n");
	put(tr, "sys/devices/system/node/node0/cpulist", "0-1\n");
	put(tr, "sys/devices/system/node/node0/distance", "10 20\n");
	put(tr, "sys/devices/system/node/node1/cpulist", "2-3\n");
	put(tr, "sys/devices/system/node/node1/distance", "20 10\n");
}

static void expect_read_error(struct tree *tr, const char *want)
{
	struct nl_topology t;
	char err[512] = "";

	assert_int_equal(nl_topology_read(tr->root, &t, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("error '%s' does not say '%s'", err, want);
	assert_int_equal(t.nr_nodes, 0); /* left empty */
	assert_null(t.nodes);
}

/* ---- fixtures ---- */

static void test_laptop(void **state)
{
	struct nl_topology t;
	const struct nl_pci_dev *d;

	read_ok("laptop", &t);
	assert_true(t.numa_configured);
	assert_int_equal(t.nr_nodes, 1);
	assert_int_equal(t.nodes[0].id, 0);
	assert_cpus(t.nodes[0].cpus, t.nodes[0].nr_cpus, 0, 8);
	assert_int_equal(nl_topology_distance(&t, 0, 0), 10);
	assert_true(t.nodes[0].mem_known);
	assert_true(t.nodes[0].mem_total_bytes == 16 * GiB - 256ULL * 1024 * 1024);
	assert_true(t.nodes[0].mem_free_bytes == 9 * GiB);
	/* Pools exist but none is configured. */
	assert_int_equal(t.nodes[0].nr_hugepages, 2);
	for (int h = 0; h < 2; h++)
		assert_true(t.nodes[0].hugepages[h].total == 0 && t.nodes[0].hugepages[h].free == 0);
	assert_int_equal(t.possible_cpus, 8);
	assert_int_equal(t.online_cpus, 8);
	assert_int_equal(t.numa_balancing, 0);

	assert_true(t.pci_known);
	assert_int_equal(t.nr_devices, 4);
	d = find_dev(&t, "0000:00:00.0");
	assert_int_equal(d->cls, NL_DEV_OTHER);
	assert_null(d->driver);
	d = find_dev(&t, "0000:00:02.0");
	assert_int_equal(d->cls, NL_DEV_GPU);
	assert_int_equal(d->vendor, 0x8086);
	assert_string_equal(nl_pci_vendor_name(d->vendor), "Intel");
	assert_int_equal(d->node, -1);
	assert_string_equal(d->driver, "i915");
	assert_true(d->local_cpus_known);
	assert_cpus(d->local_cpus, d->nr_local_cpus, 0, 8);
	d = find_dev(&t, "0000:00:14.3");
	assert_int_equal(d->cls, NL_DEV_NETWORK);
	assert_string_equal(d->netdevs[0], "wlp0s20f3");
	assert_null(d->netdevs[1]);
	d = find_dev(&t, "0000:01:00.0");
	assert_int_equal(d->cls, NL_DEV_NVME);
	assert_int_equal(d->class_code, 0x010802);
	assert_int_equal(d->node, -1);
	assert_string_equal(d->driver, "nvme");
	assert_string_equal(d->nvme[0], "nvme0");
	assert_null(d->nvme[1]);
	assert_null(d->netdevs);
	nl_topology_free(&t);
}

static void test_gpu_2socket(void **state)
{
	struct nl_topology t;
	const struct nl_pci_dev *d;
	int gpus[2] = { 0, 0 };

	read_ok("gpu-2socket", &t);
	assert_int_equal(t.nr_nodes, 2);
	assert_int_equal(t.nodes[0].id, 0);
	assert_int_equal(t.nodes[1].id, 1);
	assert_cpus(t.nodes[0].cpus, t.nodes[0].nr_cpus, 0, 24);
	assert_cpus(t.nodes[1].cpus, t.nodes[1].nr_cpus, 24, 24);
	assert_int_equal(nl_topology_distance(&t, 0, 0), 10);
	assert_int_equal(nl_topology_distance(&t, 0, 1), 21);
	assert_int_equal(nl_topology_distance(&t, 1, 0), 21);
	assert_int_equal(nl_topology_distance(&t, 1, 1), 10);
	for (int i = 0; i < 2; i++)
		assert_true(t.nodes[i].mem_total_bytes == 192 * GiB);
	assert_true(t.nodes[0].mem_free_bytes == 180 * GiB);
	assert_true(t.nodes[1].mem_free_bytes == 150 * GiB);
	/* 2 MiB pages: 256 on node 0 (192 free), none on node 1; sorted smallest first. */
	assert_int_equal(t.nodes[0].nr_hugepages, 2);
	assert_true(t.nodes[0].hugepages[0].page_bytes == 2 * 1024 * 1024);
	assert_true(t.nodes[0].hugepages[0].total == 256);
	assert_true(t.nodes[0].hugepages[0].free == 192);
	assert_true(t.nodes[0].hugepages[1].page_bytes == GiB);
	assert_true(t.nodes[1].hugepages[0].total == 0);
	assert_int_equal(t.possible_cpus, 48);
	assert_int_equal(t.numa_balancing, 1);

	assert_int_equal(t.nr_devices, 7);
	for (int i = 0; i < t.nr_devices; i++) {
		d = &t.devices[i];
		if (d->cls != NL_DEV_GPU)
			continue;
		assert_int_equal(d->vendor, 0x10de);
		assert_int_equal(d->class_code, 0x030200);
		assert_string_equal(d->driver, "nvidia");
		assert_in_range(d->node, 0, 1);
		gpus[d->node]++;
		assert_cpus(d->local_cpus, d->nr_local_cpus, d->node ? 24 : 0, 24);
	}
	assert_int_equal(gpus[0], 2);
	assert_int_equal(gpus[1], 2);
	d = find_dev(&t, "0000:98:00.0");
	assert_int_equal(d->cls, NL_DEV_NETWORK);
	assert_string_equal(nl_pci_vendor_name(d->vendor), "Mellanox");
	assert_int_equal(d->node, 1);
	assert_string_equal(d->driver, "mlx5_core");
	assert_string_equal(d->netdevs[0], "enp152s0f0np0");
	d = find_dev(&t, "0000:5e:00.0");
	assert_int_equal(d->cls, NL_DEV_NVME);
	assert_int_equal(d->node, 0);
	assert_string_equal(d->nvme[0], "nvme0");
	/* Sorted by address. */
	for (int i = 1; i < t.nr_devices; i++)
		assert_true(strcmp(t.devices[i - 1].address, t.devices[i].address) < 0);
	nl_topology_free(&t);
}

static void test_server_4node(void **state)
{
	static const int want[4][4] = {
		{ 10, 16, 32, 32 }, { 16, 10, 32, 32 }, { 32, 32, 10, 16 }, { 32, 32, 16, 10 },
	};
	struct nl_topology t;
	const struct nl_pci_dev *d;

	read_ok("server-4node", &t);
	assert_int_equal(t.nr_nodes, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(t.nodes[i].id, i);
		assert_cpus(t.nodes[i].cpus, t.nodes[i].nr_cpus, 16 * i, 16);
		assert_true(t.nodes[i].mem_total_bytes == 64 * GiB);
		assert_true(t.nodes[i].mem_free_bytes == (uint64_t)(60 - 10 * i) * GiB);
		for (int j = 0; j < 4; j++)
			assert_int_equal(nl_topology_distance(&t, i, j), want[i][j]);
		assert_int_equal(t.nodes[i].nr_hugepages, 2);
		assert_true(t.nodes[i].hugepages[1].page_bytes == GiB);
		assert_true(t.nodes[i].hugepages[1].total == 4);
		assert_true(t.nodes[i].hugepages[1].free == (uint64_t)(4 - i));
	}
	assert_int_equal(t.numa_balancing, 2);
	assert_string_equal(nl_numa_balancing_name(t.numa_balancing), "memory-tiering");
	d = find_dev(&t, "0000:41:00.0");
	assert_int_equal(d->node, 2);
	assert_string_equal(d->netdevs[0], "eno1np0"); /* sorted */
	assert_string_equal(d->netdevs[1], "eno2np1");
	assert_null(d->netdevs[2]);
	d = find_dev(&t, "0000:c1:00.0");
	assert_int_equal(d->cls, NL_DEV_ACCELERATOR);
	assert_int_equal(d->node, 3);
	nl_topology_free(&t);
}

static void test_nonuma(void **state)
{
	struct nl_topology t;

	read_ok("nonuma", &t);
	assert_false(t.numa_configured);
	assert_int_equal(t.nr_nodes, 1);
	assert_int_equal(t.nodes[0].id, 0);
	assert_cpus(t.nodes[0].cpus, t.nodes[0].nr_cpus, 0, 4);
	assert_int_equal(nl_topology_distance(&t, 0, 0), 10);
	assert_true(t.nodes[0].mem_total_bytes == 8000000ULL * 1024);
	assert_true(t.nodes[0].mem_free_bytes == 4000000ULL * 1024);
	assert_int_equal(t.nodes[0].nr_hugepages, 1);
	assert_true(t.nodes[0].hugepages[0].total == 16 && t.nodes[0].hugepages[0].free == 8);
	assert_int_equal(t.numa_balancing, -1);
	assert_string_equal(nl_numa_balancing_name(t.numa_balancing), "unsupported");
	assert_false(t.pci_known);
	assert_int_equal(t.nr_devices, 0);
	nl_topology_free(&t);
}

/* Sparse ids (0 and 2), a CPU-less node, a memoryless node, no meminfo at all. */
static void test_sparse_memoryless(void **state)
{
	struct nl_topology t;
	struct nl_topo_summary s;
	struct tree tr;
	char err[256];

	tree_new(&tr);
	put(&tr, "sys/devices/system/node/online", "0,2,5\n");
	put(&tr, "sys/devices/system/node/node0/cpulist", "0-3\n");
	put(&tr, "sys/devices/system/node/node0/distance", "10 20 30\n");
	put(&tr, "sys/devices/system/node/node0/meminfo", "Node 0 MemTotal: 1024 kB\nNode 0 MemFree: 512 kB\n");
	put(&tr, "sys/devices/system/node/node2/cpulist", "\n");
	put(&tr, "sys/devices/system/node/node2/distance", "20 10 30\n");
	put(&tr, "sys/devices/system/node/node2/meminfo", "Node 2 MemTotal: 2048 kB\nNode 2 MemFree: 2048 kB\n");
	put(&tr, "sys/devices/system/node/node5/cpulist", "4-5\n");
	put(&tr, "sys/devices/system/node/node5/distance", "30 30 10\n");
	put(&tr, "sys/devices/system/node/node5/meminfo", "Node 5 MemTotal: 0 kB\nNode 5 MemFree: 0 kB\n");
	assert_int_equal(nl_topology_read(tr.root, &t, err, sizeof(err)), 0);
	assert_int_equal(t.nr_nodes, 3);
	assert_int_equal(t.nodes[1].id, 2);
	assert_int_equal(t.nodes[2].id, 5);
	assert_int_equal(nl_topology_node_index(&t, 5), 2);
	assert_int_equal(nl_topology_node_index(&t, 1), -1);
	assert_int_equal(t.nodes[1].nr_cpus, 0);
	assert_null(t.nodes[1].cpus);
	assert_true(t.nodes[1].mem_total_bytes == 2048 * 1024);
	assert_true(t.nodes[2].mem_known && t.nodes[2].mem_total_bytes == 0);
	assert_int_equal(nl_topology_distance(&t, 2, 0), 30);
	assert_int_equal(t.possible_cpus, -1); /* no cpu directory in this tree */
	assert_int_equal(t.numa_balancing, -1);
	assert_false(t.pci_known);

	assert_int_equal(nl_topology_summary(&t, &s), 0);
	assert_int_equal(s.nr_nodes, 3);
	assert_int_equal(s.node_ids[2], 5);
	assert_int_equal(s.distance[0][2], 20);
	assert_int_equal(s.distance[5][0], 30);
	assert_int_equal(s.distance[5][5], 10);
	assert_int_equal(s.nr_cpus[2], 0);
	assert_null(s.cpus[2]);
	assert_int_equal(s.nr_cpus[5], 2);
	assert_int_equal(s.cpus[5][1], 5);
	nl_topo_summary_free(&s);
	nl_topology_free(&t);
	tree_free(&tr);
}

static void test_summary(void **state)
{
	struct nl_topology t;
	struct nl_topo_summary s;

	read_ok("gpu-2socket", &t);
	assert_int_equal(nl_topology_summary(&t, &s), 0);
	assert_int_equal(s.nr_nodes, 2);
	assert_int_equal(s.node_ids[0], 0);
	assert_int_equal(s.node_ids[1], 1);
	assert_int_equal(s.distance[0][1], 21);
	assert_int_equal(s.distance[1][1], 10);
	assert_cpus(s.cpus[1], s.nr_cpus[1], 24, 24);
	assert_cpus(s.cpus[0], s.nr_cpus[0], 0, 24);
	assert_null(s.cpus[2]);
	/* The summary owns copies: freeing the topology leaves it valid. */
	nl_topology_free(&t);
	assert_int_equal(s.cpus[1][23], 47);
	nl_topo_summary_free(&s);
}

static void test_summary_node_limit(void **state)
{
	struct nl_topology t;
	struct nl_topo_summary s;
	struct tree tr;
	char err[256], id[64];

	tree_new(&tr);
	snprintf(id, sizeof(id), "0,%d\n", NL_MAX_NODES);
	put(&tr, "sys/devices/system/node/online", id);
	put(&tr, "sys/devices/system/node/node0/cpulist", "0\n");
	put(&tr, "sys/devices/system/node/node0/distance", "10 20\n");
	snprintf(id, sizeof(id), "sys/devices/system/node/node%d/cpulist", NL_MAX_NODES);
	put(&tr, id, "1\n");
	snprintf(id, sizeof(id), "sys/devices/system/node/node%d/distance", NL_MAX_NODES);
	put(&tr, id, "20 10\n");
	/* Reading works (topo shows such machines); the fixed-size summary refuses. */
	assert_int_equal(nl_topology_read(tr.root, &t, err, sizeof(err)), 0);
	assert_int_equal(t.nodes[1].id, NL_MAX_NODES);
	assert_int_equal(nl_topology_summary(&t, &s), -E2BIG);
	assert_int_equal(s.nr_nodes, 0);
	nl_topology_free(&t);
	tree_free(&tr);
}

/* ---- errors ---- */

static void test_missing_root(void **state)
{
	struct nl_topology t;
	char err[256] = "";

	assert_int_equal(nl_topology_read("/nonexistent-numalens-root", &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent-numalens-root"));
	assert_non_null(strstr(err, "No such file or directory"));
}

static void test_root_not_sysfs(void **state)
{
	struct tree tr;

	tree_new(&tr);
	put(&tr, "file", "x");
	expect_read_error(&tr, "not a sysfs tree");
	tree_free(&tr);

	/* A root that is a regular file. */
	tree_new(&tr);
	put(&tr, "file", "x");
	{
		struct nl_topology t;
		char err[256] = "", path[128];
		snprintf(path, sizeof(path), "%s/file", tr.root);
		assert_int_equal(nl_topology_read(path, &t, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "not a directory"));
	}
	tree_free(&tr);
}

static void test_well_formed_tree_reads(void **state)
{
	struct nl_topology t;
	struct tree tr;
	char err[256];

	/* The base the error tests break must itself be fine. */
	tree_two_nodes(&tr);
	assert_int_equal(nl_topology_read(tr.root, &t, err, sizeof(err)), 0);
	assert_int_equal(t.nr_nodes, 2);
	assert_false(t.nodes[0].mem_known);
	nl_topology_free(&t);
	tree_free(&tr);
}

static void test_bad_distance(void **state)
{
	static const char *const rows[] = { "10 x\n", "10\n", "10 20 30\n", "10 -20\n", "10 256\n", "\n" };
	struct tree tr;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		tree_two_nodes(&tr);
		put(&tr, "sys/devices/system/node/node1/distance", rows[i]);
		expect_read_error(&tr, "malformed distance row");
		tree_free(&tr);
	}
	tree_two_nodes(&tr);
	rm_file(&tr, "sys/devices/system/node/node0/distance");
	expect_read_error(&tr, "node0/distance: No such file");
	tree_free(&tr);
}

static void test_bad_files(void **state)
{
	struct tree tr;

	tree_two_nodes(&tr);
	put(&tr, "sys/devices/system/node/online", "0-1,x\n");
	expect_read_error(&tr, "malformed or empty node list");
	tree_free(&tr);

	tree_two_nodes(&tr);
	put(&tr, "sys/devices/system/node/online", "\n");
	expect_read_error(&tr, "malformed or empty node list");
	tree_free(&tr);

	tree_two_nodes(&tr);
	put(&tr, "sys/devices/system/node/node1/cpulist", "2-\n");
	expect_read_error(&tr, "node1/cpulist: malformed cpulist");
	tree_free(&tr);

	tree_two_nodes(&tr);
	put(&tr, "sys/devices/system/node/node1/meminfo", "Node 1 MemTotal: lots kB\n");
	expect_read_error(&tr, "MemTotal");
	tree_free(&tr);

	tree_two_nodes(&tr);
	put(&tr, "proc/sys/kernel/numa_balancing", "7\n");
	expect_read_error(&tr, "numa_balancing: malformed");
	tree_free(&tr);

	tree_two_nodes(&tr);
	put(&tr, "sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages", "many\n");
	put(&tr, "sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages", "0\n");
	expect_read_error(&tr, "nr_hugepages");
	tree_free(&tr);

	tree_two_nodes(&tr);
	put(&tr, "sys/bus/pci/devices/0000:00:01.0/class", "030000\n"); /* no 0x */
	put(&tr, "sys/bus/pci/devices/0000:00:01.0/vendor", "0x10de\n");
	put(&tr, "sys/bus/pci/devices/0000:00:01.0/device", "0x1234\n");
	expect_read_error(&tr, "0000:00:01.0/class: malformed");
	tree_free(&tr);

	tree_two_nodes(&tr);
	put(&tr, "sys/bus/pci/devices/0000:00:01.0/class", "0x030000\n");
	put(&tr, "sys/bus/pci/devices/0000:00:01.0/vendor", "0x10de\n");
	put(&tr, "sys/bus/pci/devices/0000:00:01.0/device", "0x1234\n");
	put(&tr, "sys/bus/pci/devices/0000:00:01.0/numa_node", "-2\n");
	expect_read_error(&tr, "numa_node: malformed");
	tree_free(&tr);
}

/* ---- rendering ---- */

struct buf {
	char *data;
	size_t len;
	FILE *f;
};

static void buf_open(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->f = open_memstream(&b->data, &b->len);
	assert_non_null(b->f);
}

static char *buf_close(struct buf *b)
{
	assert_int_equal(fclose(b->f), 0);
	return b->data;
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("output lacks \"%s\":\n%s", needle, haystack);
}

static void test_json_gpu_2socket(void **state)
{
	static const char *const want =
		"{\"nodes\":[0,1],\"distance\":[[10,21],[21,10]],"
		"\"cpus\":[[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23],"
		"[24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47]],"
		"\"memory_only\":[],\"memory\":[{\"node\":0,\"total_bytes\":206158430208,\"free_bytes\":193273528320},"
		"{\"node\":1,\"total_bytes\":206158430208,\"free_bytes\":161061273600}],"
		"\"hugepages\":[{\"node\":0,\"pools\":[{\"page_bytes\":2097152,\"total\":256,\"free\":192},"
		"{\"page_bytes\":1073741824,\"total\":0,\"free\":0}]},"
		"{\"node\":1,\"pools\":[{\"page_bytes\":2097152,\"total\":0,\"free\":0},"
		"{\"page_bytes\":1073741824,\"total\":0,\"free\":0}]}],"
		"\"devices\":["
		"{\"address\":\"0000:17:00.0\",\"class\":\"gpu\",\"class_code\":\"0x030200\",\"vendor\":\"0x10de\","
		"\"vendor_name\":\"NVIDIA\",\"device\":\"0x20b0\",\"node\":0,"
		"\"local_cpus\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23],"
		"\"driver\":\"nvidia\",\"netdevs\":[],\"nvme\":[]},"
		"{\"address\":\"0000:31:00.0\",\"class\":\"gpu\",\"class_code\":\"0x030200\",\"vendor\":\"0x10de\","
		"\"vendor_name\":\"NVIDIA\",\"device\":\"0x20b0\",\"node\":0,"
		"\"local_cpus\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23],"
		"\"driver\":\"nvidia\",\"netdevs\":[],\"nvme\":[]},"
		"{\"address\":\"0000:5e:00.0\",\"class\":\"nvme\",\"class_code\":\"0x010802\",\"vendor\":\"0x144d\","
		"\"vendor_name\":\"Samsung\",\"device\":\"0xa824\",\"node\":0,"
		"\"local_cpus\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23],"
		"\"driver\":\"nvme\",\"netdevs\":[],\"nvme\":[\"nvme0\"]},"
		"{\"address\":\"0000:98:00.0\",\"class\":\"network\",\"class_code\":\"0x020000\",\"vendor\":\"0x15b3\","
		"\"vendor_name\":\"Mellanox\",\"device\":\"0x101b\",\"node\":1,"
		"\"local_cpus\":[24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47],"
		"\"driver\":\"mlx5_core\",\"netdevs\":[\"enp152s0f0np0\"],\"nvme\":[]},"
		"{\"address\":\"0000:b1:00.0\",\"class\":\"gpu\",\"class_code\":\"0x030200\",\"vendor\":\"0x10de\","
		"\"vendor_name\":\"NVIDIA\",\"device\":\"0x20b0\",\"node\":1,"
		"\"local_cpus\":[24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47],"
		"\"driver\":\"nvidia\",\"netdevs\":[],\"nvme\":[]},"
		"{\"address\":\"0000:ca:00.0\",\"class\":\"gpu\",\"class_code\":\"0x030200\",\"vendor\":\"0x10de\","
		"\"vendor_name\":\"NVIDIA\",\"device\":\"0x20b0\",\"node\":1,"
		"\"local_cpus\":[24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47],"
		"\"driver\":\"nvidia\",\"netdevs\":[],\"nvme\":[]}],"
		"\"pci_available\":true,\"numa_balancing\":1,\"numa_balancing_state\":\"normal\","
		"\"possible_cpus\":48,\"online_cpus\":48,\"numa_configured\":true}\n";
	struct nl_topo_opts o = { .all = false, .pretty = false };
	struct nl_topology t;
	struct buf b;
	char *s;

	read_ok("gpu-2socket", &t);
	buf_open(&b);
	nl_topo_write_json(&t, &o, b.f);
	s = buf_close(&b);
	assert_string_equal(s, want);
	free(s);

	/* --all adds the host bridge as "other", with a null driver. */
	o.all = true;
	buf_open(&b);
	nl_topo_write_json(&t, &o, b.f);
	s = buf_close(&b);
	assert_contains(s, "{\"address\":\"0000:00:00.0\",\"class\":\"other\",\"class_code\":\"0x060000\","
			   "\"vendor\":\"0x8086\",\"vendor_name\":\"Intel\",\"device\":\"0x09a2\",\"node\":0,");
	assert_contains(s, "\"driver\":null");
	free(s);
	nl_topology_free(&t);
}

static void test_json_nulls(void **state)
{
	struct nl_topo_opts o = { .all = false, .pretty = true };
	struct nl_topology t;
	struct buf b;
	char *s;

	/* Laptop: unknown device nodes are null; nonuma: numa_balancing and PCI absent. */
	read_ok("laptop", &t);
	buf_open(&b);
	nl_topo_write_json(&t, &o, b.f);
	s = buf_close(&b);
	assert_contains(s, "\"node\": null");
	assert_contains(s, "\"numa_balancing\": 0,\n  \"numa_balancing_state\": \"off\"");
	assert_int_equal(s[strlen(s) - 1], '\n');
	assert_int_equal(s[strlen(s) - 2], '}');
	free(s);
	nl_topology_free(&t);

	read_ok("nonuma", &t);
	buf_open(&b);
	nl_topo_write_json(&t, &o, b.f);
	s = buf_close(&b);
	assert_contains(s, "\"devices\": [],\n  \"pci_available\": false");
	assert_contains(s, "\"numa_balancing\": null");
	assert_contains(s, "\"numa_balancing_state\": \"unsupported\"");
	assert_contains(s, "\"numa_configured\": false");
	free(s);
	nl_topology_free(&t);
}

static void test_text_gpu_2socket(void **state)
{
	struct nl_topo_opts o = { .all = false, .pretty = false };
	struct nl_topology t;
	struct buf b;
	char *s;

	read_ok("gpu-2socket", &t);
	buf_open(&b);
	nl_topo_write_text(&t, &o, b.f);
	s = buf_close(&b);
	assert_contains(s, "2 NUMA nodes, 48 CPUs online (48 possible)\n");
	assert_contains(s, "\n0     0-23    192.0 GiB   180.0 GiB  2 MiB: 256/192, 1 GiB: 0/0\n");
	assert_contains(s, "\n1     24-47   192.0 GiB   150.0 GiB  2 MiB: 0/0, 1 GiB: 0/0\n");
	assert_contains(s, "\n    0    10    21\n    1    21    10\n");
	assert_contains(s, "distance 21: remote access ≈2.1× local (nodes 0-1)\n");
	assert_contains(s, "  node 0  bind: numactl --cpunodebind=0 --membind=0 CMD\n"
			   "    gpu         0000:17:00.0  NVIDIA [10de:20b0]  driver nvidia  local cpus 0-23\n");
	assert_contains(s, "  node 1  bind: numactl --cpunodebind=1 --membind=1 CMD\n"
			   "    network     0000:98:00.0  Mellanox [15b3:101b]  driver mlx5_core  net enp152s0f0np0  local cpus 24-47\n");
	assert_contains(s, "nvme        0000:5e:00.0  Samsung [144d:a824]  driver nvme  nvme0  local cpus 0-23");
	assert_contains(s, "kernel.numa_balancing): 1 = on");
	assert_contains(s, "turn off: sysctl -w kernel.numa_balancing=0");
	assert_null(strstr(s, "0000:00:00.0")); /* bridges only with --all */
	free(s);
	nl_topology_free(&t);
}

static void test_text_others(void **state)
{
	struct nl_topo_opts o = { .all = true, .pretty = false };
	struct nl_topology t;
	struct buf b;
	char *s;

	read_ok("server-4node", &t);
	buf_open(&b);
	nl_topo_write_text(&t, &o, b.f);
	s = buf_close(&b);
	assert_contains(s, "distance 16: remote access ≈1.6× local (nodes 0-1, 2-3)\n");
	assert_contains(s, "distance 32: remote access ≈3.2× local (nodes 0-2, 0-3, 1-2, 1-3)\n");
	assert_contains(s, "1 GiB: 4/1");
	assert_contains(s, "net eno1np0,eno2np1");
	assert_contains(s, "accelerator 0000:c1:00.0  Habana Labs [1da3:1020]");
	assert_contains(s, "0000:00:00.0"); /* --all */
	assert_contains(s, "2 = memory tiering");
	free(s);
	nl_topology_free(&t);

	read_ok("laptop", &t);
	buf_open(&b);
	nl_topo_write_text(&t, &o, b.f);
	s = buf_close(&b);
	assert_contains(s, "one node: all memory is local.");
	assert_contains(s, "node unknown (numa_node = -1");
	assert_contains(s, "turn on:  sysctl -w kernel.numa_balancing=1");
	free(s);
	nl_topology_free(&t);

	read_ok("nonuma", &t);
	buf_open(&b);
	nl_topo_write_text(&t, &o, b.f);
	s = buf_close(&b);
	assert_contains(s, "CONFIG_NUMA=n");
	assert_contains(s, "unsupported");
	free(s);
	nl_topology_free(&t);
}

/* A device on a memoryless node: bind CPUs there, memory to the nearest node. */
static void test_text_memoryless_hint(void **state)
{
	struct nl_topo_opts o = { .all = false, .pretty = false };
	struct nl_topology t;
	struct tree tr;
	struct buf b;
	char err[256], *s;

	tree_new(&tr);
	put(&tr, "sys/devices/system/node/online", "0-2\n");
	put(&tr, "sys/devices/system/node/node0/cpulist", "0-1\n");
	put(&tr, "sys/devices/system/node/node0/distance", "10 30 20\n");
	put(&tr, "sys/devices/system/node/node0/meminfo", "Node 0 MemTotal: 1024 kB\nNode 0 MemFree: 1024 kB\n");
	put(&tr, "sys/devices/system/node/node1/cpulist", "2-3\n");
	put(&tr, "sys/devices/system/node/node1/distance", "30 10 20\n");
	put(&tr, "sys/devices/system/node/node1/meminfo", "Node 1 MemTotal: 1024 kB\nNode 1 MemFree: 1024 kB\n");
	put(&tr, "sys/devices/system/node/node2/cpulist", "4-5\n");
	put(&tr, "sys/devices/system/node/node2/distance", "20 20 10\n");
	put(&tr, "sys/devices/system/node/node2/meminfo", "Node 2 MemTotal: 0 kB\nNode 2 MemFree: 0 kB\n");
	put(&tr, "sys/bus/pci/devices/0000:00:01.0/class", "0x030200\n");
	put(&tr, "sys/bus/pci/devices/0000:00:01.0/vendor", "0x1002\n");
	put(&tr, "sys/bus/pci/devices/0000:00:01.0/device", "0x740f\n");
	put(&tr, "sys/bus/pci/devices/0000:00:01.0/numa_node", "2\n");
	assert_int_equal(nl_topology_read(tr.root, &t, err, sizeof(err)), 0);
	buf_open(&b);
	nl_topo_write_text(&t, &o, b.f);
	s = buf_close(&b);
	/* Nodes 0 and 1 are both at distance 20 from node 2: the first wins. */
	assert_contains(s, "node 2  bind: numactl --cpunodebind=2 --membind=0 CMD  (node 2 has no memory; node 0 is nearest)");
	assert_contains(s, "gpu         0000:00:01.0  AMD [1002:740f]  driver none\n"); /* no local_cpulist */
	assert_contains(s, "\n2     4-5    no memory           -  none\n");
	free(s);
	nl_topology_free(&t);
	tree_free(&tr);
}

/* A memory-only node (no CPUs, memory: CXL or GPU memory) next to a memoryless one
 * (CPUs, no memory): only the first is listed in "memory_only" and named in the text. */
static void test_memory_only(void **state)
{
	struct nl_topo_opts o = { .all = false, .pretty = false };
	struct nl_topology t;
	struct tree tr;
	struct buf b;
	char err[256], *s;

	(void)state;
	tree_new(&tr);
	put(&tr, "sys/devices/system/node/online", "0-2\n");
	put(&tr, "sys/devices/system/node/node0/cpulist", "0-1\n");
	put(&tr, "sys/devices/system/node/node0/distance", "10 20 30\n");
	put(&tr, "sys/devices/system/node/node0/meminfo", "Node 0 MemTotal: 1024 kB\nNode 0 MemFree: 512 kB\n");
	put(&tr, "sys/devices/system/node/node1/cpulist", "\n");
	put(&tr, "sys/devices/system/node/node1/distance", "20 10 30\n");
	put(&tr, "sys/devices/system/node/node1/meminfo", "Node 1 MemTotal: 2048 kB\nNode 1 MemFree: 2048 kB\n");
	put(&tr, "sys/devices/system/node/node2/cpulist", "2-3\n");
	put(&tr, "sys/devices/system/node/node2/distance", "30 30 10\n");
	put(&tr, "sys/devices/system/node/node2/meminfo", "Node 2 MemTotal: 0 kB\nNode 2 MemFree: 0 kB\n");
	assert_int_equal(nl_topology_read(tr.root, &t, err, sizeof(err)), 0);
	buf_open(&b);
	nl_topo_write_json(&t, &o, b.f);
	s = buf_close(&b);
	assert_contains(s, "\"cpus\":[[0,1],[],[2,3]],\"memory_only\":[1],\"memory\":");
	free(s);
	buf_open(&b);
	nl_topo_write_text(&t, &o, b.f);
	s = buf_close(&b);
	assert_contains(s, "3 NUMA nodes, 4 CPUs online\nmemory-only nodes (no CPUs: pages live "
			   "there, threads run elsewhere): 1\n");
	assert_contains(s, "\n1     none (memory only)       2 MiB       2 MiB  none\n");
	assert_contains(s, "\n2     2-3                  no memory           -  none\n");
	free(s);
	nl_topology_free(&t);
	tree_free(&tr);
}

/* cmd_topo's exit codes for bad usage and a bad root (nothing on stdout for these). */
static void test_cmd_errors(void **state)
{
	char *bogus[] = { "topo", "--bogus", NULL };
	char *extra[] = { "topo", "extra", NULL };
	char *noarg[] = { "topo", "--root", NULL };
	char *compact[] = { "topo", "--compact", NULL };
	char *missing[] = { "topo", "--root", "/nonexistent-numalens-root", NULL };

	unsetenv("NUMALENS_SYSROOT");
	assert_int_equal(cmd_topo(2, bogus), NL_EXIT_USAGE);
	assert_int_equal(cmd_topo(2, extra), NL_EXIT_USAGE);
	assert_int_equal(cmd_topo(2, noarg), NL_EXIT_USAGE);
	assert_int_equal(cmd_topo(2, compact), NL_EXIT_USAGE);
	assert_int_equal(cmd_topo(3, missing), NL_EXIT_FAIL);
	setenv("NUMALENS_SYSROOT", "/nonexistent-numalens-root", 1);
	assert_int_equal(cmd_topo(1, (char *[]){ "topo", NULL }), NL_EXIT_FAIL);
	unsetenv("NUMALENS_SYSROOT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_laptop),
		cmocka_unit_test(test_gpu_2socket),
		cmocka_unit_test(test_server_4node),
		cmocka_unit_test(test_nonuma),
		cmocka_unit_test(test_sparse_memoryless),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_summary_node_limit),
		cmocka_unit_test(test_missing_root),
		cmocka_unit_test(test_root_not_sysfs),
		cmocka_unit_test(test_well_formed_tree_reads),
		cmocka_unit_test(test_bad_distance),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_json_gpu_2socket),
		cmocka_unit_test(test_json_nulls),
		cmocka_unit_test(test_text_gpu_2socket),
		cmocka_unit_test(test_text_others),
		cmocka_unit_test(test_text_memoryless_hint),
		cmocka_unit_test(test_memory_only),
		cmocka_unit_test(test_cmd_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
