/* What doctor's rules know of the machine and of each judged process besides the
 * snapshot: huge page pools and PCI devices per node, free memory per node, the
 * AutoNUMA mode (filled from user/sysinfo/topology by nl_machine_from_topology), and
 * per process the CPUs it may run on and the devices it holds open (sysinfo/procenv).
 * Plain data, so the rules in user/analyze are tested on hand-built values and fixture
 * trees without a kernel. Node ids index every per-node array (< NL_MAX_NODES). */
#ifndef NL_MACHINE_H
#define NL_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

#include "model/model.h"

#define NL_MACHINE_MAX_POOLS 4
#define NL_MACHINE_MAX_DEVS 64
#define NL_PROC_MAX_DEVS 8

/* One huge page size: reserved (nr_hugepages) and free pages on each node. */
struct nl_machine_pool {
	uint64_t page_kb;               /* 2048, 1048576 */
	uint64_t total[NL_MAX_NODES];
	uint64_t free[NL_MAX_NODES];
};

/* A GPU, accelerator, NIC or NVMe controller with the node sysfs gives it. */
struct nl_machine_dev {
	char address[32];  /* "0000:b1:00.0" */
	char kind[16];     /* "gpu", "accelerator", "network", "nvme" */
	char name[32];     /* first netdev or nvme name, "" when none */
	int node;          /* -1 when the firmware does not say */
};

struct nl_machine {
	int numa_balancing;                 /* kernel.numa_balancing, -1 unknown */
	bool mem_known[NL_MAX_NODES];
	uint64_t mem_free_kb[NL_MAX_NODES];
	struct nl_machine_pool pools[NL_MACHINE_MAX_POOLS];
	int nr_pools;
	struct nl_machine_dev devs[NL_MACHINE_MAX_DEVS];
	int nr_devs;
};

/* Each node's memory now (source: /sys/devices/system/node/nodeN/meminfo), for the
 * live view's header; by node id. */
struct nl_node_mem {
	bool known[NL_MAX_NODES];
	uint64_t total_kb[NL_MAX_NODES];
	uint64_t free_kb[NL_MAX_NODES];
};

/* One process as /proc shows it now (source: /proc/PID/status, /proc/PID/fd). */
struct nl_proc_env {
	uint32_t pid;
	bool allowed_known;       /* Cpus_allowed_list was read */
	uint64_t allowed_nodes;   /* bit n: the process may run on a CPU of node n */
	int devs[NL_PROC_MAX_DEVS]; /* indices into nl_machine.devs of devices held open */
	int nr_devs;
	char cmdline[256];        /* shell-quoted, "" when unknown */
};

#endif
