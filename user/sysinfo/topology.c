/* Reads the NUMA topology from sysfs/procfs under a root directory (see topology.h
 * for the files and the CONFIG_NUMA=n rule). */
#include "sysinfo/topology.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

#define NODE_DIR "/sys/devices/system/node"
#define CPU_DIR "/sys/devices/system/cpu"
#define PCI_DIR "/sys/bus/pci/devices"

/* Distances are u8 in the kernel (numa_distance[]); 10 is local by definition. */
#define MAX_DISTANCE 255

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The full path of rel (absolute, "/sys/...") under root, for messages. */
static void shown_path(const char *root, const char *rel, char *buf, size_t len)
{
	char *p = nl_path(root, rel);

	snprintf(buf, len, "%s", p ? p : rel);
	free(p);
}

/* Reads a file whose path under root is given printf-style; NULL with errno set. */
static char *read_fmt(const char *root, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static char *read_fmt(const char *root, const char *fmt, ...)
{
	char rel[PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(rel)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return nl_read_file(root, rel);
}

static bool is_dir(const char *root, const char *rel)
{
	char *p = nl_path(root, rel);
	struct stat st;
	bool ret;

	if (!p)
		return false;
	ret = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
	free(p);
	return ret;
}

/* "0x10de" (sysfs writes hex with a 0x prefix); rejects anything else or > max. */
static int parse_hex(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2])
		return -1;
	for (const char *p = s + 2; *p; p++)
		if (!strchr("0123456789abcdefABCDEF", *p))
			return -1;
	errno = 0;
	v = strtoull(s + 2, &end, 16);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Number of CPUs in a cpulist file, -1 when missing or malformed. */
static int count_cpulist(const char *root, const char *rel)
{
	char *s = nl_read_file(root, rel);
	int *v, n;

	if (!s)
		return -1;
	n = nl_parse_cpulist(s, &v);
	free(s);
	if (n < 0)
		return -1;
	free(v);
	return n;
}

int nl_meminfo_value(const char *text, const char *key, uint64_t *bytes)
{
	size_t klen = strlen(key);

	const char *next;

	for (const char *line = text; line && *line; line = next) {
		const char *p = line, *eol = strchr(line, '\n');
		char num[32];
		size_t n = 0;
		uint64_t kb;

		next = eol ? eol + 1 : NULL;

		if (!strncmp(p, "Node ", 5)) {
			p += 5;
			while (*p >= '0' && *p <= '9')
				p++;
			while (*p == ' ')
				p++;
		}
		if (strncmp(p, key, klen) || p[klen] != ':')
			continue;
		p += klen + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		while (*p >= '0' && *p <= '9' && n + 1 < sizeof(num))
			num[n++] = *p++;
		num[n] = '\0';
		if (strncmp(p, " kB", 3) || nl_parse_u64(num, &kb) || kb > UINT64_MAX / 1024)
			return -1;
		*bytes = kb * 1024;
		return 0;
	}
	return -1;
}

int nl_node_meminfo(const char *root, int node, uint64_t *total_bytes, uint64_t *free_bytes)
{
	char *s = read_fmt(root, NODE_DIR "/node%d/meminfo", node);
	int rc;

	if (!s)
		return -ENOENT;
	rc = !nl_meminfo_value(s, "MemTotal", total_bytes) && !nl_meminfo_value(s, "MemFree", free_bytes) ?
		     0 : -EINVAL;
	free(s);
	return rc;
}

static int cmp_pool(const void *a, const void *b)
{
	const struct nl_hugepage_pool *x = a, *y = b;
	return (x->page_bytes > y->page_bytes) - (x->page_bytes < y->page_bytes);
}

/* Reads every hugepages-<K>kB pool in dir (relative to root). A missing directory is
 * a kernel without hugetlbfs: no pools, not an error. */
static int read_hugepages(const char *root, const char *dir, struct nl_node *node,
			  char *err, size_t errlen)
{
	char *full = nl_path(root, dir), shown[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int ret = -1;

	if (!full)
		return fail(err, errlen, "out of memory");
	d = opendir(full);
	free(full);
	if (!d)
		return errno == ENOENT ? 0 : fail(err, errlen, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		char numbuf[32], rel[PATH_MAX];
		const char *name = de->d_name, *kb_end;
		struct nl_hugepage_pool pool, *np;
		uint64_t kb;
		size_t n;

		if (strncmp(name, "hugepages-", 10))
			continue;
		kb_end = strstr(name + 10, "kB");
		n = kb_end ? (size_t)(kb_end - (name + 10)) : 0;
		if (!kb_end || kb_end[2] || n == 0 || n >= sizeof(numbuf))
			continue; /* not a pool directory */
		memcpy(numbuf, name + 10, n);
		numbuf[n] = '\0';
		snprintf(rel, sizeof(rel), "%s/%s", dir, name);
		shown_path(root, rel, shown, sizeof(shown));
		if (nl_parse_u64(numbuf, &kb) || kb == 0 || kb > UINT64_MAX / 1024) {
			fail(err, errlen, "%s: malformed huge page size", shown);
			goto out;
		}
		pool.page_bytes = kb * 1024;
		snprintf(rel, sizeof(rel), "%s/%s/nr_hugepages", dir, name);
		if (nl_read_u64(root, rel, &pool.total)) {
			fail(err, errlen, "%s/nr_hugepages: missing or malformed", shown);
			goto out;
		}
		snprintf(rel, sizeof(rel), "%s/%s/free_hugepages", dir, name);
		if (nl_read_u64(root, rel, &pool.free)) {
			fail(err, errlen, "%s/free_hugepages: missing or malformed", shown);
			goto out;
		}
		np = realloc(node->hugepages, (node->nr_hugepages + 1) * sizeof(*np));
		if (!np) {
			fail(err, errlen, "out of memory");
			goto out;
		}
		node->hugepages = np;
		node->hugepages[node->nr_hugepages++] = pool;
	}
	qsort(node->hugepages, node->nr_hugepages, sizeof(*node->hugepages), cmp_pool);
	ret = 0;
out:
	closedir(d);
	return ret;
}

/* Parses a distance row: exactly n positive integers separated by blanks. */
static int parse_distance_row(const char *s, int n, int *row)
{
	const char *p = s;

	for (int i = 0; i < n; i++) {
		char num[16];
		size_t len = 0;
		int v;

		while (*p == ' ' || *p == '\t')
			p++;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
			if (len + 1 >= sizeof(num))
				return -1;
			num[len++] = *p++;
		}
		num[len] = '\0';
		if (nl_parse_int(num, 1, MAX_DISTANCE, &v))
			return -1;
		row[i] = v;
	}
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	return *p ? -1 : 0; /* more entries than online nodes */
}

static int read_node(const char *root, struct nl_topology *t, int pos, char *err, size_t errlen)
{
	struct nl_node *node = &t->nodes[pos];
	char rel[PATH_MAX], shown[PATH_MAX], *s;
	int n, rc;

	snprintf(rel, sizeof(rel), NODE_DIR "/node%d/cpulist", node->id);
	shown_path(root, rel, shown, sizeof(shown));
	s = nl_read_file(root, rel);
	if (!s)
		return fail(err, errlen, "%s: %s", shown, strerror(errno));
	n = nl_parse_cpulist(s, &node->cpus);
	if (n < 0) {
		fail(err, errlen, "%s: malformed cpulist '%s'", shown, s);
		free(s);
		return -1;
	}
	free(s);
	node->nr_cpus = n;

	/* Memory is optional: a node without meminfo is reported as unknown, not fatal. */
	rc = nl_node_meminfo(root, node->id, &node->mem_total_bytes, &node->mem_free_bytes);
	if (rc != -ENOENT) {
		node->mem_known = rc == 0;
		if (!node->mem_known) {
			snprintf(rel, sizeof(rel), NODE_DIR "/node%d/meminfo", node->id);
			shown_path(root, rel, shown, sizeof(shown));
			return fail(err, errlen, "%s: no readable MemTotal/MemFree lines", shown);
		}
	}

	snprintf(rel, sizeof(rel), NODE_DIR "/node%d/distance", node->id);
	shown_path(root, rel, shown, sizeof(shown));
	s = nl_read_file(root, rel);
	if (!s)
		return fail(err, errlen, "%s: %s", shown, strerror(errno));
	if (parse_distance_row(s, t->nr_nodes, &t->distance[pos * t->nr_nodes])) {
		fail(err, errlen, "%s: malformed distance row '%s' (want %d numbers 1-%d, one per online node)",
		     shown, s, t->nr_nodes, MAX_DISTANCE);
		free(s);
		return -1;
	}
	free(s);

	snprintf(rel, sizeof(rel), NODE_DIR "/node%d/hugepages", node->id);
	return read_hugepages(root, rel, node, err, errlen);
}

static int read_nodes(const char *root, struct nl_topology *t, char *err, size_t errlen)
{
	char shown[PATH_MAX], *s;
	int *ids = NULL, n, ret = -1;

	shown_path(root, NODE_DIR "/online", shown, sizeof(shown));
	s = nl_read_file(root, NODE_DIR "/online");
	if (!s)
		return fail(err, errlen, "%s: %s", shown, strerror(errno));
	n = nl_parse_cpulist(s, &ids);
	if (n <= 0) {
		fail(err, errlen, "%s: malformed or empty node list '%s'", shown, s);
		goto out;
	}
	for (int i = 1; i < n; i++)
		if (ids[i] == ids[i - 1]) {
			fail(err, errlen, "%s: node %d listed twice", shown, ids[i]);
			goto out;
		}
	t->nodes = calloc(n, sizeof(*t->nodes));
	t->distance = calloc((size_t)n * n, sizeof(*t->distance));
	if (!t->nodes || !t->distance) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	t->nr_nodes = n;
	for (int i = 0; i < n; i++)
		t->nodes[i].id = ids[i];
	for (int i = 0; i < n; i++)
		if (read_node(root, t, i, err, errlen))
			goto out;
	ret = 0;
out:
	free(s);
	free(ids);
	return ret;
}

/* CONFIG_NUMA=n: one node 0 with every online CPU and the machine's memory. */
static int read_without_numa(const char *root, struct nl_topology *t, char *err, size_t errlen)
{
	struct nl_node *node;
	char shown[PATH_MAX], *s;
	int n;

	t->nodes = calloc(1, sizeof(*t->nodes));
	t->distance = calloc(1, sizeof(*t->distance));
	if (!t->nodes || !t->distance)
		return fail(err, errlen, "out of memory");
	t->nr_nodes = 1;
	t->distance[0] = 10;
	node = &t->nodes[0];
	node->id = 0;

	shown_path(root, CPU_DIR "/online", shown, sizeof(shown));
	s = nl_read_file(root, CPU_DIR "/online");
	if (!s)
		return fail(err, errlen, "%s: %s", shown, strerror(errno));
	n = nl_parse_cpulist(s, &node->cpus);
	if (n < 0) {
		fail(err, errlen, "%s: malformed cpulist '%s'", shown, s);
		free(s);
		return -1;
	}
	free(s);
	node->nr_cpus = n;

	s = nl_read_file(root, "/proc/meminfo");
	if (s) {
		node->mem_known = !nl_meminfo_value(s, "MemTotal", &node->mem_total_bytes) &&
				  !nl_meminfo_value(s, "MemFree", &node->mem_free_bytes);
		free(s);
	}
	return read_hugepages(root, "/sys/kernel/mm/hugepages", node, err, errlen);
}

static void free_strv(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

/* Appends the entry names of dir (relative to root) to a NULL-terminated list. */
static int add_dir_names(const char *root, const char *dir, const char *prefix, char ***list)
{
	char *full = nl_path(root, dir);
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (!full)
		return -1;
	d = opendir(full);
	free(full);
	if (!d)
		return 0; /* no such class of children */
	while (*list && (*list)[n])
		n++;
	while ((de = readdir(d))) {
		char **nl;

		if (de->d_name[0] == '.' || (prefix && strncmp(de->d_name, prefix, strlen(prefix))))
			continue;
		nl = realloc(*list, (n + 2) * sizeof(*nl));
		if (!nl)
			goto nomem;
		*list = nl;
		(*list)[n] = strdup(de->d_name);
		(*list)[n + 1] = NULL;
		if (!(*list)[n])
			goto nomem;
		n++;
	}
	closedir(d);
	return 0;
nomem:
	closedir(d);
	return -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_strv(char **v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_str);
}

/* Network interfaces sit under net/ for most NICs and under virtioN/net/ for virtio. */
static int read_netdevs(const char *root, const char *devdir, struct nl_pci_dev *dev)
{
	char rel[PATH_MAX], *full;

	if (strlen(devdir) > 512) /* keeps devdir + d_name + "/net" within rel */
		return -1;
	struct dirent *de;
	DIR *d;

	snprintf(rel, sizeof(rel), "%s/net", devdir);
	if (add_dir_names(root, rel, NULL, &dev->netdevs))
		return -1;
	full = nl_path(root, devdir);
	if (!full)
		return -1;
	d = opendir(full);
	free(full);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "virtio", 6))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s/net", devdir, de->d_name);
		if (add_dir_names(root, rel, NULL, &dev->netdevs)) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	sort_strv(dev->netdevs);
	return 0;
}

static enum nl_dev_class classify(uint32_t class_code)
{
	switch (class_code >> 16) {
	case 0x03: return NL_DEV_GPU;
	case 0x12: return NL_DEV_ACCELERATOR;
	case 0x02: return NL_DEV_NETWORK;
	case 0x01: return (class_code >> 8) == 0x0108 ? NL_DEV_NVME : NL_DEV_OTHER;
	default: return NL_DEV_OTHER;
	}
}

static void free_dev(struct nl_pci_dev *dev)
{
	free(dev->local_cpus);
	free(dev->driver);
	free_strv(dev->netdevs);
	free_strv(dev->nvme);
	memset(dev, 0, sizeof(*dev));
}

/* Reads one device. Returns 0, 1 when it vanished while reading (hot unplug), -1 on
 * malformed files or out of memory. */
static int read_dev(const char *root, const char *addr, struct nl_pci_dev *dev,
		    char *err, size_t errlen)
{
	static const char *const hexfiles[] = { "class", "vendor", "device" };
	static const uint64_t hexmax[] = { 0xffffff, 0xffff, 0xffff };
	/* Sized so the compiler can prove no path below is truncated: addr is a d_name. */
	char devdir[sizeof(PCI_DIR) + 1 + 256], rel[PATH_MAX], shown[PATH_MAX], *s, *full;
	uint64_t v[3];
	ssize_t n;

	memset(dev, 0, sizeof(*dev));
	dev->node = -1;
	if (strlen(addr) >= sizeof(dev->address))
		return fail(err, errlen, PCI_DIR "/%s: not a PCI address", addr);
	memcpy(dev->address, addr, strlen(addr) + 1);
	snprintf(devdir, sizeof(devdir), PCI_DIR "/%s", addr);
	for (size_t i = 0; i < NL_ARRAY_SIZE(hexfiles); i++) {
		snprintf(rel, sizeof(rel), "%s/%s", devdir, hexfiles[i]);
		shown_path(root, rel, shown, sizeof(shown));
		s = nl_read_file(root, rel);
		if (!s)
			return errno == ENOENT ? 1 : fail(err, errlen, "%s: %s", shown, strerror(errno));
		if (parse_hex(s, hexmax[i], &v[i])) {
			fail(err, errlen, "%s: malformed '%s' (want 0x-prefixed hex)", shown, s);
			free(s);
			return -1;
		}
		free(s);
	}
	dev->class_code = (uint32_t)v[0];
	dev->vendor = (uint16_t)v[1];
	dev->device = (uint16_t)v[2];
	dev->cls = classify(dev->class_code);

	/* numa_node is absent on CONFIG_NUMA=n kernels and -1 when the firmware gives
	 * no proximity for the device's bus: both mean "unknown". */
	snprintf(rel, sizeof(rel), "%s/numa_node", devdir);
	s = nl_read_file(root, rel);
	if (s) {
		int node;
		if (nl_parse_int(s, -1, INT_MAX, &node)) {
			shown_path(root, rel, shown, sizeof(shown));
			fail(err, errlen, "%s: malformed '%s'", shown, s);
			free(s);
			return -1;
		}
		dev->node = node;
		free(s);
	}

	snprintf(rel, sizeof(rel), "%s/local_cpulist", devdir);
	s = nl_read_file(root, rel);
	if (s) {
		int nc = nl_parse_cpulist(s, &dev->local_cpus);
		if (nc < 0) {
			shown_path(root, rel, shown, sizeof(shown));
			fail(err, errlen, "%s: malformed cpulist '%s'", shown, s);
			free(s);
			return -1;
		}
		dev->nr_local_cpus = nc;
		dev->local_cpus_known = true;
		free(s);
	}

	snprintf(rel, sizeof(rel), "%s/driver", devdir);
	full = nl_path(root, rel);
	if (!full)
		return fail(err, errlen, "out of memory");
	n = readlink(full, rel, sizeof(rel) - 1);
	free(full);
	if (n > 0) {
		rel[n] = '\0';
		const char *base = strrchr(rel, '/');
		dev->driver = strdup(base ? base + 1 : rel);
		if (!dev->driver)
			return fail(err, errlen, "out of memory");
	}

	if (read_netdevs(root, devdir, dev))
		return fail(err, errlen, "out of memory");
	snprintf(rel, sizeof(rel), "%s/nvme", devdir);
	if (add_dir_names(root, rel, "nvme", &dev->nvme))
		return fail(err, errlen, "out of memory");
	sort_strv(dev->nvme);
	return 0;
}

static int cmp_dev(const void *a, const void *b)
{
	return strcmp(((const struct nl_pci_dev *)a)->address, ((const struct nl_pci_dev *)b)->address);
}

static int read_pci(const char *root, struct nl_topology *t, char *err, size_t errlen)
{
	char *full = nl_path(root, PCI_DIR);
	struct dirent *de;
	DIR *d;
	int ret = -1;

	if (!full)
		return fail(err, errlen, "out of memory");
	d = opendir(full);
	free(full);
	if (!d)
		return 0; /* no PCI bus (or not exposed): no devices to show */
	t->pci_known = true;
	while ((de = readdir(d))) {
		struct nl_pci_dev *nd;
		int r;

		if (de->d_name[0] == '.')
			continue;
		nd = realloc(t->devices, (t->nr_devices + 1) * sizeof(*nd));
		if (!nd) {
			fail(err, errlen, "out of memory");
			goto out;
		}
		t->devices = nd;
		r = read_dev(root, de->d_name, &t->devices[t->nr_devices], err, errlen);
		if (r < 0) {
			free_dev(&t->devices[t->nr_devices]);
			goto out;
		}
		if (r == 0)
			t->nr_devices++;
		else
			free_dev(&t->devices[t->nr_devices]);
	}
	qsort(t->devices, t->nr_devices, sizeof(*t->devices), cmp_dev);
	ret = 0;
out:
	closedir(d);
	return ret;
}

int nl_topology_read(const char *root, struct nl_topology *t, char *err, size_t errlen)
{
	bool real = !root || !*root || !strcmp(root, "/");
	struct stat st;
	char *s;

	memset(t, 0, sizeof(*t));
	t->numa_balancing = -1;
	if (!real) {
		if (stat(root, &st))
			return fail(err, errlen, "%s: %s", root, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return fail(err, errlen, "%s: not a directory", root);
	}
	if (is_dir(root, NODE_DIR)) {
		t->numa_configured = true;
		if (read_nodes(root, t, err, errlen))
			goto fail;
	} else if (is_dir(root, CPU_DIR)) {
		if (read_without_numa(root, t, err, errlen))
			goto fail;
	} else {
		char shown[PATH_MAX];
		shown_path(root, NODE_DIR, shown, sizeof(shown));
		fail(err, errlen, "%s: no such directory (and no %s either): not a sysfs tree",
		     shown, CPU_DIR);
		goto fail;
	}

	t->possible_cpus = count_cpulist(root, CPU_DIR "/possible");
	t->online_cpus = count_cpulist(root, CPU_DIR "/online");

	s = nl_read_file(root, "/proc/sys/kernel/numa_balancing");
	if (s) {
		int mode;
		if (nl_parse_int(s, 0, 3, &mode)) {
			char shown[PATH_MAX];
			shown_path(root, "/proc/sys/kernel/numa_balancing", shown, sizeof(shown));
			fail(err, errlen, "%s: malformed '%s' (want 0-3)", shown, s);
			free(s);
			goto fail;
		}
		t->numa_balancing = mode;
		free(s);
	}

	if (read_pci(root, t, err, errlen))
		goto fail;
	return 0;
fail:
	nl_topology_free(t);
	return -1;
}

void nl_topology_free(struct nl_topology *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->nr_nodes; i++) {
		free(t->nodes[i].cpus);
		free(t->nodes[i].hugepages);
	}
	free(t->nodes);
	free(t->distance);
	for (int i = 0; i < t->nr_devices; i++)
		free_dev(&t->devices[i]);
	free(t->devices);
	memset(t, 0, sizeof(*t));
	t->numa_balancing = -1;
}

int nl_topology_node_index(const struct nl_topology *t, int id)
{
	for (int i = 0; i < t->nr_nodes; i++)
		if (t->nodes[i].id == id)
			return i;
	return -1;
}

int nl_topology_distance(const struct nl_topology *t, int i, int j)
{
	return t->distance[i * t->nr_nodes + j];
}

void nl_topo_summary_free(struct nl_topo_summary *s)
{
	for (int n = 0; n < NL_MAX_NODES; n++)
		free(s->cpus[n]);
	memset(s, 0, sizeof(*s));
}

int nl_topology_summary(const struct nl_topology *t, struct nl_topo_summary *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < t->nr_nodes; i++)
		if (t->nodes[i].id < 0 || t->nodes[i].id >= NL_MAX_NODES) {
			nl_err("node %d: numalens supports node ids 0-%d (NL_MAX_NODES = %d)",
			       t->nodes[i].id, NL_MAX_NODES - 1, NL_MAX_NODES);
			return -E2BIG;
		}
	s->nr_nodes = t->nr_nodes;
	for (int i = 0; i < t->nr_nodes; i++) {
		const struct nl_node *n = &t->nodes[i];

		s->node_ids[i] = n->id;
		for (int j = 0; j < t->nr_nodes; j++)
			s->distance[n->id][t->nodes[j].id] = nl_topology_distance(t, i, j);
		s->nr_cpus[n->id] = n->nr_cpus;
		s->mem_total_kb[n->id] = n->mem_total_bytes / 1024;
		if (n->nr_cpus) {
			s->cpus[n->id] = malloc(n->nr_cpus * sizeof(int));
			if (!s->cpus[n->id]) {
				nl_topo_summary_free(s);
				return -ENOMEM;
			}
			memcpy(s->cpus[n->id], n->cpus, n->nr_cpus * sizeof(int));
		}
	}
	return 0;
}

const char *nl_dev_class_name(enum nl_dev_class c)
{
	switch (c) {
	case NL_DEV_GPU: return "gpu";
	case NL_DEV_ACCELERATOR: return "accelerator";
	case NL_DEV_NETWORK: return "network";
	case NL_DEV_NVME: return "nvme";
	default: return "other";
	}
}

const char *nl_pci_vendor_name(uint16_t vendor)
{
	static const struct { uint16_t id; const char *name; } vendors[] = {
		{ 0x10de, "NVIDIA" },   { 0x1002, "AMD" },      { 0x1022, "AMD" },
		{ 0x8086, "Intel" },    { 0x15b3, "Mellanox" }, { 0x14e4, "Broadcom" },
		{ 0x1077, "QLogic" },   { 0x1924, "Solarflare" }, { 0x1d0f, "Amazon" },
		{ 0x144d, "Samsung" },  { 0x1c5c, "SK hynix" }, { 0x1e0f, "Kioxia" },
		{ 0x15b7, "Western Digital" }, { 0x1344, "Micron" }, { 0x1da3, "Habana Labs" },
		{ 0x1ae0, "Google" },   { 0x1af4, "Red Hat (virtio)" }, { 0x1b36, "Red Hat (QEMU)" },
		{ 0x1234, "QEMU" },
	};

	for (size_t i = 0; i < NL_ARRAY_SIZE(vendors); i++)
		if (vendors[i].id == vendor)
			return vendors[i].name;
	return NULL;
}

const char *nl_numa_balancing_name(int mode)
{
	switch (mode) {
	case 0: return "off";
	case 1: return "normal";
	case 2: return "memory-tiering";
	case 3: return "normal+memory-tiering";
	default: return "unsupported";
	}
}
