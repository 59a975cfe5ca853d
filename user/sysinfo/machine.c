/* Doctor's machine and process data from the topology and /proc (machine.h). */
#include "sysinfo/machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static int pool_slot(struct nl_machine *m, uint64_t page_kb)
{
	for (int i = 0; i < m->nr_pools; i++)
		if (m->pools[i].page_kb == page_kb)
			return i;
	if (m->nr_pools == NL_MACHINE_MAX_POOLS) {
		nl_warn("doctor: more than %d huge page sizes; %llu kB left out", NL_MACHINE_MAX_POOLS,
			(unsigned long long)page_kb);
		return -1;
	}
	m->pools[m->nr_pools].page_kb = page_kb;
	return m->nr_pools++;
}

static void add_node(struct nl_machine *m, const struct nl_node *n)
{
	if (n->id < 0 || n->id >= NL_MAX_NODES)
		return;
	m->mem_known[n->id] = n->mem_known;
	m->mem_free_kb[n->id] = n->mem_free_bytes / 1024;
	for (int h = 0; h < n->nr_hugepages; h++) {
		int slot = pool_slot(m, n->hugepages[h].page_bytes / 1024);

		if (slot < 0)
			continue;
		m->pools[slot].total[n->id] = n->hugepages[h].total;
		m->pools[slot].free[n->id] = n->hugepages[h].free;
	}
}

/* Only what a process runs next to matters to doctor: GPUs, accelerators, NICs, NVMe. */
static void add_dev(struct nl_machine *m, const struct nl_pci_dev *d)
{
	struct nl_machine_dev *o;

	if (d->cls == NL_DEV_OTHER)
		return;
	if (m->nr_devs == NL_MACHINE_MAX_DEVS) {
		nl_warn("doctor: more than %d devices; %s left out", NL_MACHINE_MAX_DEVS, d->address);
		return;
	}
	o = &m->devs[m->nr_devs++];
	snprintf(o->address, sizeof(o->address), "%s", d->address);
	snprintf(o->kind, sizeof(o->kind), "%s", nl_dev_class_name(d->cls));
	if (d->netdevs && d->netdevs[0])
		snprintf(o->name, sizeof(o->name), "%s", d->netdevs[0]);
	else if (d->nvme && d->nvme[0])
		snprintf(o->name, sizeof(o->name), "%s", d->nvme[0]);
	o->node = d->node;
}

void nl_machine_from_topology(const struct nl_topology *t, struct nl_machine *m)
{
	memset(m, 0, sizeof(*m));
	m->numa_balancing = t->numa_balancing;
	for (int i = 0; i < t->nr_nodes; i++)
		add_node(m, &t->nodes[i]);
	for (int i = 0; i < t->nr_devices; i++)
		add_dev(m, &t->devices[i]);
}

void nl_node_mem_read(const char *root, const struct nl_topo_summary *t, struct nl_node_mem *m)
{
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < t->nr_nodes; i++) {
		int id = t->node_ids[i];
		uint64_t total, free_b;

		if (id < 0 || id >= NL_MAX_NODES || nl_node_meminfo(root, id, &total, &free_b))
			continue;
		m->known[id] = true;
		m->total_kb[id] = total / 1024;
		m->free_kb[id] = free_b / 1024;
	}
}
