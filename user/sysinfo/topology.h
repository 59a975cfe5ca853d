/* The machine's NUMA topology, read from sysfs and procfs under a root directory so
 * tests can point it at fixture trees (tests/fixtures/). Reading only: rendering is
 * in topo.c, and the summary the collector and renderers carry is nl_topo_summary
 * (model.h).
 *
 * What is read, relative to root ("/" or NULL = the real system):
 *   sys/devices/system/node/online                 online node ids (may be sparse: "0,2")
 *   sys/devices/system/node/nodeN/cpulist          CPUs of the node (empty: CPU-less node)
 *   sys/devices/system/node/nodeN/meminfo          "Node N MemTotal: X kB", "... MemFree: Y kB"
 *   sys/devices/system/node/nodeN/distance         one entry per online node, in id order
 *   sys/devices/system/node/nodeN/hugepages/hugepages-<K>kB/{nr,free}_hugepages
 *   sys/devices/system/cpu/{possible,online}       CPU counts
 *   sys/bus/pci/devices/<addr>/{class,vendor,device,numa_node,local_cpulist},
 *       driver -> .../drivers/<name>, net/<ifname>, virtioN/net/<ifname>, nvme/<name>
 *   proc/sys/kernel/numa_balancing                 0 off, 1 normal, 2 memory tiering, 3 both
 *
 * A kernel built without NUMA (CONFIG_NUMA=n) has no sys/devices/system/node. When a
 * root has sys/devices/system/cpu/online but no node directory, that is what it is:
 * the topology is one node 0 holding every online CPU, memory from proc/meminfo,
 * distance [[10]], and numa_configured = false so renderers say so. This holds for
 * fixture roots too (tests/fixtures/nonuma is such a tree). A root with neither
 * directory is not a sysfs tree and is an error. */
#ifndef NL_TOPOLOGY_H
#define NL_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

struct nl_hugepage_pool {
	uint64_t page_bytes; /* 2097152 for hugepages-2048kB */
	uint64_t total;      /* nr_hugepages */
	uint64_t free;       /* free_hugepages */
};

struct nl_node {
	int id;
	int *cpus; /* sorted; NULL when nr_cpus is 0 */
	int nr_cpus;
	bool mem_known;  /* meminfo was readable */
	uint64_t mem_total_bytes;
	uint64_t mem_free_bytes;
	struct nl_hugepage_pool *hugepages; /* sorted by page size */
	int nr_hugepages;
};

enum nl_dev_class {
	NL_DEV_GPU,         /* class 0x03xxxx: VGA, 3D controller, other display */
	NL_DEV_ACCELERATOR, /* class 0x12xxxx: processing accelerators */
	NL_DEV_NETWORK,     /* class 0x02xxxx */
	NL_DEV_NVME,        /* class 0x0108xx */
	NL_DEV_OTHER,       /* everything else (bridges, USB, ...) */
};

struct nl_pci_dev {
	char address[32];     /* "0000:3b:00.0" */
	uint32_t class_code;  /* 0x030200 */
	enum nl_dev_class cls;
	uint16_t vendor;      /* 0x10de */
	uint16_t device;
	int node;             /* NUMA node, -1 when the firmware does not say */
	bool local_cpus_known; /* local_cpulist was readable */
	int *local_cpus;      /* sorted; NULL when empty or unknown */
	int nr_local_cpus;
	char *driver;         /* bound driver's name, NULL when none */
	char **netdevs;       /* interface names ("ib0", "enp59s0f0"); NULL-terminated or NULL */
	char **nvme;          /* controller names ("nvme0"); NULL-terminated or NULL */
};

struct nl_topology {
	bool numa_configured;  /* false: kernel without CONFIG_NUMA, one synthetic node */
	struct nl_node *nodes; /* online nodes, by increasing id */
	int nr_nodes;
	int *distance;         /* nr_nodes x nr_nodes, by position: distance[i * nr_nodes + j] */
	int possible_cpus;     /* count of sys/devices/system/cpu/possible, -1 unknown */
	int online_cpus;       /* count of sys/devices/system/cpu/online, -1 unknown */
	int numa_balancing;    /* 0..3 from proc/sys/kernel/numa_balancing, -1 when missing */
	struct nl_pci_dev *devices; /* every PCI device, sorted by address */
	int nr_devices;
	bool pci_known;        /* sys/bus/pci/devices was readable */
};

/* Reads the topology under root. Returns 0, or -1 with a one-line reason in err
 * (e.g. "/nonexistent: No such file or directory"). On failure *t is left empty. */
int nl_topology_read(const char *root, struct nl_topology *t, char *err, size_t errlen);
void nl_topology_free(struct nl_topology *t);

/* MemTotal and MemFree of <root>/sys/devices/system/node/nodeN/meminfo, in bytes.
 * 0, -ENOENT when the file cannot be read, -EINVAL when a line is missing. */
int nl_node_meminfo(const char *root, int node, uint64_t *total_bytes, uint64_t *free_bytes);

/* Position of node id in t->nodes, or -1. */
int nl_topology_node_index(const struct nl_topology *t, int id);
/* Distance between positions i and j. */
int nl_topology_distance(const struct nl_topology *t, int i, int j);

/* Fills the model's summary (distance and cpus indexed by node id; cpus malloc'd,
 * freed by nl_snapshot_free or nl_topo_summary_free). Returns 0, -E2BIG when a node id
 * is >= NL_MAX_NODES (printing which id and the limit), or -ENOMEM. On failure *s is
 * left empty. */
int nl_topology_summary(const struct nl_topology *t, struct nl_topo_summary *s);
void nl_topo_summary_free(struct nl_topo_summary *s);

/* Finds "KEY: N kB" in a meminfo text; lines may start with "Node N " (per-node
 * meminfo). Returns 0 and bytes, or -1 when the key is missing or malformed. */
int nl_meminfo_value(const char *text, const char *key, uint64_t *bytes);

const char *nl_dev_class_name(enum nl_dev_class c);   /* "gpu", "network", ... */
const char *nl_pci_vendor_name(uint16_t vendor);      /* "NVIDIA", or NULL if unknown */
/* "off", "normal", "memory-tiering", "normal+memory-tiering", "unsupported". */
const char *nl_numa_balancing_name(int mode);

#endif
