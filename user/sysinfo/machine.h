/* Fills doctor's plain machine and process data (model/machine.h) from the topology
 * and from /proc under a root directory ("/" or NULL = the real system), so tests run
 * them on fixture trees. */
#ifndef NL_SYSINFO_MACHINE_H
#define NL_SYSINFO_MACHINE_H

#include <stdint.h>

#include "model/machine.h"
#include "sysinfo/topology.h"

/* Huge page pools, GPUs/accelerators/NICs/NVMe, free memory per node and the AutoNUMA
 * mode of t. Devices of other classes are left out; past NL_MACHINE_MAX_DEVS devices
 * or NL_MACHINE_MAX_POOLS page sizes the rest are left out too (said on stderr). */
void nl_machine_from_topology(const struct nl_topology *t, struct nl_machine *m);

/* Each node of t's MemTotal and MemFree now (nodeN/meminfo under root); a node whose
 * file cannot be read stays unknown. */
void nl_node_mem_read(const char *root, const struct nl_topo_summary *t, struct nl_node_mem *m);

/* Reads <root>/proc/PID/status's Cpus_allowed_list (nodes from topo's CPU lists) and
 * <root>/proc/PID/fd: a character device whose <root>/sys/dev/char/MAJ:MIN/device
 * is a PCI device of m is held open. 0, or -ESRCH when the process is gone. Missing
 * pieces (an fd directory we may not read) leave their fields unknown/empty. */
int nl_proc_env_read(const char *root, uint32_t pid, const struct nl_topo_summary *topo,
		     const struct nl_machine *m, struct nl_proc_env *env);

#endif
