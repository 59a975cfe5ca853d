/* `numalens topo`: nodes, CPUs, memory, distances, huge pages, devices per node and
 * AutoNUMA state, as a table or as JSON. Reading is in topology.c. */
#include "cli/topo.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "render/json.h"
#include "common/util.h"

#define GiB (1024.0 * 1024 * 1024)
#define MiB (1024.0 * 1024)

static bool listed(const struct nl_pci_dev *d, const struct nl_topo_opts *o)
{
	return o->all || d->cls != NL_DEV_OTHER;
}

static void json_int_array(struct nl_json *j, const int *v, int n)
{
	nl_json_arr_begin(j);
	for (int i = 0; i < n; i++)
		nl_json_i64(j, v[i]);
	nl_json_arr_end(j);
}

static void json_str_array(struct nl_json *j, char *const *v)
{
	nl_json_arr_begin(j);
	for (char *const *p = v; p && *p; p++)
		nl_json_str(j, *p);
	nl_json_arr_end(j);
}

static void json_hex(struct nl_json *j, const char *key, unsigned v, int digits)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "0x%0*x", digits, v);
	nl_json_kstr(j, key, buf);
}

/* Memory and no CPUs: a node only pages live on. A node without CPUs whose memory is
 * unknown is not called that (it may have none either). */
static bool memory_only(const struct nl_node *n)
{
	return n->nr_cpus == 0 && n->mem_known && n->mem_total_bytes > 0;
}

/* The `topology` object of the JSON contract (DESIGN.md) plus what topo adds.
 * Arrays of per-node things are indexed by position in "nodes", not by node id.
 *   nodes                 online node ids, increasing
 *   distance[i][j]        sysfs distance from nodes[i] to nodes[j] (10 = local)
 *   cpus[i]               CPUs of nodes[i] (empty for a CPU-less node)
 *   memory_only           ids of the nodes with memory and no CPUs (CXL, GPU or other
 *                         attached memory): pages can live there, threads cannot run there
 *   memory[i]             {node, total_bytes, free_bytes}: node meminfo MemTotal/MemFree;
 *                         both null when the node has no readable meminfo
 *   hugepages[i]          {node, pools: [{page_bytes, total, free}]}: nr_hugepages and
 *                         free_hugepages per page size, smallest size first
 *   devices               PCI GPUs/accelerators/NICs/NVMe (every device with --all), by address:
 *                         {address, class ("gpu","accelerator","network","nvme","other"),
 *                          class_code "0x030200", vendor "0x10de", vendor_name (null if
 *                          unknown), device "0x20b0", node (null when numa_node is -1:
 *                          firmware gave no affinity), local_cpus (null if unreadable),
 *                          driver (null if unbound), netdevs [interface names], nvme [names]}
 *   pci_available         false when there is no sys/bus/pci/devices to read
 *   numa_balancing        kernel.numa_balancing 0-3, null when the kernel lacks it
 *   numa_balancing_state  "off","normal","memory-tiering","normal+memory-tiering","unsupported"
 *   possible_cpus, online_cpus   counts from sys/devices/system/cpu, null if unreadable
 *   numa_configured       false on a CONFIG_NUMA=n kernel (one synthetic node 0) */
void nl_topo_write_json(const struct nl_topology *t, const struct nl_topo_opts *o, FILE *out)
{
	struct nl_json j;

	nl_json_init(&j, out, o->pretty);
	nl_json_obj_begin(&j);

	nl_json_key(&j, "nodes");
	nl_json_arr_begin(&j);
	for (int i = 0; i < t->nr_nodes; i++)
		nl_json_i64(&j, t->nodes[i].id);
	nl_json_arr_end(&j);

	nl_json_key(&j, "distance");
	nl_json_arr_begin(&j);
	for (int i = 0; i < t->nr_nodes; i++)
		json_int_array(&j, &t->distance[i * t->nr_nodes], t->nr_nodes);
	nl_json_arr_end(&j);

	nl_json_key(&j, "cpus");
	nl_json_arr_begin(&j);
	for (int i = 0; i < t->nr_nodes; i++)
		json_int_array(&j, t->nodes[i].cpus, t->nodes[i].nr_cpus);
	nl_json_arr_end(&j);

	nl_json_key(&j, "memory_only");
	nl_json_arr_begin(&j);
	for (int i = 0; i < t->nr_nodes; i++)
		if (memory_only(&t->nodes[i]))
			nl_json_i64(&j, t->nodes[i].id);
	nl_json_arr_end(&j);

	nl_json_key(&j, "memory");
	nl_json_arr_begin(&j);
	for (int i = 0; i < t->nr_nodes; i++) {
		const struct nl_node *n = &t->nodes[i];
		nl_json_obj_begin(&j);
		nl_json_ki64(&j, "node", n->id);
		nl_json_key(&j, "total_bytes");
		n->mem_known ? nl_json_u64(&j, n->mem_total_bytes) : nl_json_null(&j);
		nl_json_key(&j, "free_bytes");
		n->mem_known ? nl_json_u64(&j, n->mem_free_bytes) : nl_json_null(&j);
		nl_json_obj_end(&j);
	}
	nl_json_arr_end(&j);

	nl_json_key(&j, "hugepages");
	nl_json_arr_begin(&j);
	for (int i = 0; i < t->nr_nodes; i++) {
		const struct nl_node *n = &t->nodes[i];
		nl_json_obj_begin(&j);
		nl_json_ki64(&j, "node", n->id);
		nl_json_key(&j, "pools");
		nl_json_arr_begin(&j);
		for (int h = 0; h < n->nr_hugepages; h++) {
			nl_json_obj_begin(&j);
			nl_json_ku64(&j, "page_bytes", n->hugepages[h].page_bytes);
			nl_json_ku64(&j, "total", n->hugepages[h].total);
			nl_json_ku64(&j, "free", n->hugepages[h].free);
			nl_json_obj_end(&j);
		}
		nl_json_arr_end(&j);
		nl_json_obj_end(&j);
	}
	nl_json_arr_end(&j);

	nl_json_key(&j, "devices");
	nl_json_arr_begin(&j);
	for (int i = 0; i < t->nr_devices; i++) {
		const struct nl_pci_dev *d = &t->devices[i];
		const char *vname = nl_pci_vendor_name(d->vendor);

		if (!listed(d, o))
			continue;
		nl_json_obj_begin(&j);
		nl_json_kstr(&j, "address", d->address);
		nl_json_kstr(&j, "class", nl_dev_class_name(d->cls));
		json_hex(&j, "class_code", d->class_code, 6);
		json_hex(&j, "vendor", d->vendor, 4);
		nl_json_key(&j, "vendor_name");
		vname ? nl_json_str(&j, vname) : nl_json_null(&j);
		json_hex(&j, "device", d->device, 4);
		nl_json_key(&j, "node");
		d->node >= 0 ? nl_json_i64(&j, d->node) : nl_json_null(&j);
		nl_json_key(&j, "local_cpus");
		if (d->local_cpus_known)
			json_int_array(&j, d->local_cpus, d->nr_local_cpus);
		else
			nl_json_null(&j);
		nl_json_key(&j, "driver");
		d->driver ? nl_json_str(&j, d->driver) : nl_json_null(&j);
		nl_json_key(&j, "netdevs");
		json_str_array(&j, d->netdevs);
		nl_json_key(&j, "nvme");
		json_str_array(&j, d->nvme);
		nl_json_obj_end(&j);
	}
	nl_json_arr_end(&j);
	nl_json_kbool(&j, "pci_available", t->pci_known);

	nl_json_key(&j, "numa_balancing");
	t->numa_balancing >= 0 ? nl_json_i64(&j, t->numa_balancing) : nl_json_null(&j);
	nl_json_kstr(&j, "numa_balancing_state", nl_numa_balancing_name(t->numa_balancing));
	nl_json_key(&j, "possible_cpus");
	t->possible_cpus >= 0 ? nl_json_i64(&j, t->possible_cpus) : nl_json_null(&j);
	nl_json_key(&j, "online_cpus");
	t->online_cpus >= 0 ? nl_json_i64(&j, t->online_cpus) : nl_json_null(&j);
	nl_json_kbool(&j, "numa_configured", t->numa_configured);

	nl_json_obj_end(&j);
	nl_json_end(&j);
}

static char *fmt_bytes(uint64_t b, char *buf, size_t len)
{
	if (b >= GiB)
		snprintf(buf, len, "%.1f GiB", b / GiB);
	else
		snprintf(buf, len, "%.0f MiB", b / MiB);
	return buf;
}

static char *fmt_page_size(uint64_t b, char *buf, size_t len)
{
	if (b >= GiB && b % (uint64_t)GiB == 0)
		snprintf(buf, len, "%" PRIu64 " GiB", b / (uint64_t)GiB);
	else if (b >= MiB && b % (uint64_t)MiB == 0)
		snprintf(buf, len, "%" PRIu64 " MiB", b / (uint64_t)MiB);
	else
		snprintf(buf, len, "%" PRIu64 " KiB", b / 1024);
	return buf;
}

#define MEMORY_ONLY "none (memory only)"

static void write_node_table(const struct nl_topology *t, FILE *out)
{
	char cpus[256], a[32], b[32];
	int w = 4;

	for (int i = 0; i < t->nr_nodes; i++) {
		int len = (int)strlen(nl_format_cpulist(t->nodes[i].cpus, t->nodes[i].nr_cpus, cpus, sizeof(cpus)));
		if (memory_only(&t->nodes[i]))
			len = (int)strlen(MEMORY_ONLY);
		if (len > w)
			w = len;
	}
	fprintf(out, "%-5s %-*s %11s %11s  %s\n", "node", w, "cpus", "mem total", "mem free",
		"huge pages (total/free per size)");
	for (int i = 0; i < t->nr_nodes; i++) {
		const struct nl_node *n = &t->nodes[i];

		nl_format_cpulist(n->cpus, n->nr_cpus, cpus, sizeof(cpus));
		fprintf(out, "%-5d %-*s ", n->id, w,
			n->nr_cpus ? cpus : memory_only(n) ? MEMORY_ONLY : "none");
		if (!n->mem_known)
			fprintf(out, "%11s %11s  ", "unknown", "unknown");
		else if (n->mem_total_bytes == 0)
			fprintf(out, "%11s %11s  ", "no memory", "-");
		else
			fprintf(out, "%11s %11s  ", fmt_bytes(n->mem_total_bytes, a, sizeof(a)),
				fmt_bytes(n->mem_free_bytes, b, sizeof(b)));
		if (!n->nr_hugepages)
			fputs("none", out);
		for (int h = 0; h < n->nr_hugepages; h++)
			fprintf(out, "%s%s: %" PRIu64 "/%" PRIu64, h ? ", " : "",
				fmt_page_size(n->hugepages[h].page_bytes, a, sizeof(a)),
				n->hugepages[h].total, n->hugepages[h].free);
		fputc('\n', out);
	}
}

/* Prints the matrix and, for each distinct remote distance, what it means in latency
 * terms: distances are relative to 10 = local (ACPI SLIT). */
static void write_distances(const struct nl_topology *t, FILE *out)
{
	int n = t->nr_nodes, seen[64], nseen = 0;

	fprintf(out, "\ndistance (relative memory latency, 10 = local):\n%5s", "");
	for (int j = 0; j < n; j++)
		fprintf(out, " %5d", t->nodes[j].id);
	fputc('\n', out);
	for (int i = 0; i < n; i++) {
		fprintf(out, "%5d", t->nodes[i].id);
		for (int j = 0; j < n; j++)
			fprintf(out, " %5d", nl_topology_distance(t, i, j));
		fputc('\n', out);
	}
	if (n == 1) {
		fputs("one node: all memory is local.\n", out);
		return;
	}
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			int d = nl_topology_distance(t, i, j), local = nl_topology_distance(t, i, i);
			int pairs = 0, k;

			for (k = 0; k < nseen && seen[k] != d; k++)
				;
			if (k < nseen || nseen == (int)NL_ARRAY_SIZE(seen))
				continue;
			seen[nseen++] = d;
			fprintf(out, "distance %d: remote access ≈%.1f× local (nodes", d,
				local > 0 ? (double)d / local : 0.0);
			for (int x = 0; x < n; x++)
				for (int y = x + 1; y < n; y++) {
					if (nl_topology_distance(t, x, y) != d)
						continue;
					if (pairs < 6)
						fprintf(out, "%s %d-%d", pairs ? "," : "", t->nodes[x].id, t->nodes[y].id);
					pairs++;
				}
			if (pairs > 6)
				fprintf(out, ", and %d more pairs", pairs - 6);
			fputs(")\n", out);
		}
}

/* The closest node (by distance from position pos) that has CPUs or memory. */
static int nearest(const struct nl_topology *t, int pos, bool want_cpus)
{
	int best = -1;

	for (int j = 0; j < t->nr_nodes; j++) {
		const struct nl_node *n = &t->nodes[j];
		bool has = want_cpus ? n->nr_cpus > 0 : (n->mem_known && n->mem_total_bytes > 0);
		if (has && (best < 0 || nl_topology_distance(t, pos, j) < nl_topology_distance(t, pos, best)))
			best = j;
	}
	return best;
}

static void write_bind_hint(const struct nl_topology *t, int node_id, FILE *out)
{
	int pos = nl_topology_node_index(t, node_id), cpu_pos, mem_pos;

	if (t->nr_nodes == 1) {
		fputs("  (one node: binding changes nothing)\n", out);
		return;
	}
	if (pos < 0) {
		fprintf(out, "  (node %d is not online)\n", node_id);
		return;
	}
	cpu_pos = t->nodes[pos].nr_cpus ? pos : nearest(t, pos, true);
	mem_pos = t->nodes[pos].mem_known && t->nodes[pos].mem_total_bytes == 0 ? nearest(t, pos, false) : pos;
	if (cpu_pos < 0 || mem_pos < 0) {
		fputs("  (no node with CPUs and memory to bind to)\n", out);
		return;
	}
	fprintf(out, "  bind: numactl --cpunodebind=%d --membind=%d CMD", t->nodes[cpu_pos].id,
		t->nodes[mem_pos].id);
	if (cpu_pos != pos)
		fprintf(out, "  (node %d has no CPUs; node %d is nearest)", node_id, t->nodes[cpu_pos].id);
	if (mem_pos != pos)
		fprintf(out, "  (node %d has no memory; node %d is nearest)", node_id, t->nodes[mem_pos].id);
	fputc('\n', out);
}

static void write_device(const struct nl_pci_dev *d, FILE *out)
{
	const char *vname = nl_pci_vendor_name(d->vendor);
	char cpus[256];

	fprintf(out, "    %-11s %s  %s%s[%04x:%04x]  driver %s", nl_dev_class_name(d->cls), d->address,
		vname ? vname : "", vname ? " " : "", d->vendor, d->device, d->driver ? d->driver : "none");
	for (char *const *p = d->netdevs; p && *p; p++)
		fprintf(out, "%s%s", p == d->netdevs ? "  net " : ",", *p);
	for (char *const *p = d->nvme; p && *p; p++)
		fprintf(out, "%s%s", p == d->nvme ? "  " : ",", *p);
	if (d->local_cpus_known)
		fprintf(out, "  local cpus %s", nl_format_cpulist(d->local_cpus, d->nr_local_cpus, cpus, sizeof(cpus)));
	fputc('\n', out);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static void write_devices(const struct nl_topology *t, const struct nl_topo_opts *o, FILE *out)
{
	int *nodes, nn = 0, shown = 0;

	fprintf(out, "\ndevices by node (%s):\n", o->all ? "all PCI devices" :
		"GPUs, accelerators, NICs, NVMe; --all lists every PCI device");
	if (!t->pci_known) {
		fputs("  none: no sys/bus/pci/devices to read\n", out);
		return;
	}
	/* The distinct device nodes, unknown (-1) last. */
	nodes = malloc((t->nr_devices + 1) * sizeof(*nodes));
	if (!nodes) {
		fputs("  (out of memory)\n", out);
		return;
	}
	for (int i = 0; i < t->nr_devices; i++) {
		int k;
		if (!listed(&t->devices[i], o))
			continue;
		shown++;
		for (k = 0; k < nn && nodes[k] != t->devices[i].node; k++)
			;
		if (k == nn)
			nodes[nn++] = t->devices[i].node;
	}
	qsort(nodes, nn, sizeof(*nodes), cmp_int);
	if (nn && nodes[0] < 0) { /* move unknown to the end */
		memmove(nodes, nodes + 1, (nn - 1) * sizeof(*nodes));
		nodes[nn - 1] = -1;
	}
	for (int k = 0; k < nn; k++) {
		if (nodes[k] >= 0) {
			fprintf(out, "  node %d", nodes[k]); /* the hint completes the line */
			write_bind_hint(t, nodes[k], out);
		} else {
			fputs("  node unknown (numa_node = -1: the firmware does not say which node these are attached to)\n", out);
			if (t->nr_nodes == 1)
				fputs("  (one node: they are local to every CPU)\n", out);
		}
		for (int i = 0; i < t->nr_devices; i++)
			if (listed(&t->devices[i], o) && t->devices[i].node == nodes[k])
				write_device(&t->devices[i], out);
	}
	if (!shown)
		fprintf(out, "  none found (%d PCI devices in all; --all lists them)\n", t->nr_devices);
	free(nodes);
}

static void write_balancing(const struct nl_topology *t, FILE *out)
{
	int m = t->numa_balancing;

	fputs("\nAutoNUMA (kernel.numa_balancing): ", out);
	switch (m) {
	case 0:
		fputs("0 = off\n  turn on:  sysctl -w kernel.numa_balancing=1\n", out);
		break;
	case 1:
		fputs("1 = on (normal: hinting faults migrate pages and tasks toward each other)\n"
		      "  turn off: sysctl -w kernel.numa_balancing=0\n", out);
		break;
	case 2:
		fputs("2 = memory tiering only (promotes hot pages from slow memory nodes)\n"
		      "  normal balancing: sysctl -w kernel.numa_balancing=1; off: sysctl -w kernel.numa_balancing=0\n", out);
		break;
	case 3:
		fputs("3 = on (normal + memory tiering)\n  turn off: sysctl -w kernel.numa_balancing=0\n", out);
		break;
	default:
		fputs("unsupported (no /proc/sys/kernel/numa_balancing: kernel built without CONFIG_NUMA_BALANCING)\n", out);
	}
	if (m > 0 && t->nr_nodes == 1)
		fputs("  (one node: AutoNUMA has nothing to balance)\n", out);
}

/* "memory-only nodes: 2, 3 (...)": said once, up front, as it changes what binding means */
static void write_memory_only(const struct nl_topology *t, FILE *out)
{
	int n = 0;

	for (int i = 0; i < t->nr_nodes; i++) {
		if (!memory_only(&t->nodes[i]))
			continue;
		fprintf(out, "%s%d", n++ ? ", " : "memory-only nodes (no CPUs: pages live there, "
						 "threads run elsewhere): ", t->nodes[i].id);
	}
	if (n)
		fputc('\n', out);
}

void nl_topo_write_text(const struct nl_topology *t, const struct nl_topo_opts *o, FILE *out)
{
	int cpus = 0;

	for (int i = 0; i < t->nr_nodes; i++)
		cpus += t->nodes[i].nr_cpus;
	fprintf(out, "%d NUMA node%s, %d CPUs online", t->nr_nodes, t->nr_nodes == 1 ? "" : "s", cpus);
	if (t->possible_cpus >= 0)
		fprintf(out, " (%d possible)", t->possible_cpus);
	fputc('\n', out);
	write_memory_only(t, out);
	if (!t->numa_configured)
		fputs("kernel without NUMA support (CONFIG_NUMA=n): shown as one node 0 with every CPU\n", out);
	fputc('\n', out);
	write_node_table(t, out);
	write_distances(t, out);
	write_devices(t, o, out);
	write_balancing(t, out);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: numalens topo [--json [--compact]] [--all] [--root DIR]\n"
		"\n"
		"Shows the NUMA topology: nodes and their CPUs, memory total/free, the distance\n"
		"matrix, huge pages per node and size, GPUs/accelerators/NICs/NVMe per node with\n"
		"the numactl binding for them, and the AutoNUMA (kernel.numa_balancing) state.\n"
		"\n"
		"  --json        one JSON object (nodes, distance, cpus, memory, hugepages, devices,\n"
		"                numa_balancing, possible_cpus, ...) instead of the table\n"
		"  --compact     with --json: on one line\n"
		"  --all         list every PCI device, not only GPUs, accelerators, NICs and NVMe\n"
		"  --root DIR    read sys/ and proc/ under DIR instead of / (a fixture tree);\n"
		"                default: $NUMALENS_SYSROOT, else /\n"
		"  -h, --help    this help\n");
}

int cmd_topo(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "compact", no_argument, NULL, 'c' },
		{ "all", no_argument, NULL, 'a' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nl_topo_opts o = { .all = false, .pretty = true };
	const char *root = getenv("NUMALENS_SYSROOT");
	struct nl_topology t;
	bool json = false, compact = false;
	char err[512];
	int c;

	optind = 0; /* reset getopt: a test may call several commands in one process */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'c': compact = true; break;
		case 'a': o.all = true; break;
		case 'r': root = optarg; break;
		case 'h': usage(stdout); return NL_EXIT_OK;
		default:
			nl_err("topo: unknown option or missing argument: '%s' (try 'numalens topo --help')",
			       argv[optind - 1]);
			return NL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		nl_err("topo: unexpected argument '%s' (try 'numalens topo --help')", argv[optind]);
		return NL_EXIT_USAGE;
	}
	if (compact && !json) {
		nl_err("topo: --compact only applies to --json");
		return NL_EXIT_USAGE;
	}
	if (root && !*root) {
		nl_err("topo: empty --root (or NUMALENS_SYSROOT)");
		return NL_EXIT_USAGE;
	}
	o.pretty = !compact;

	if (nl_topology_read(root, &t, err, sizeof(err))) {
		nl_err("topo: %s", err);
		return NL_EXIT_FAIL;
	}
	if (json)
		nl_topo_write_json(&t, &o, stdout);
	else
		nl_topo_write_text(&t, &o, stdout);
	nl_topology_free(&t);
	if (fflush(stdout) || ferror(stdout)) {
		nl_err("topo: writing output failed");
		return NL_EXIT_FAIL;
	}
	return NL_EXIT_OK;
}
