/* Helpers the doctor rules share (doctor.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/doctor.h"
#include "common/util.h"

struct nl_finding *nl_finding_add(struct nl_findings *out, const char *id, enum nl_severity sev,
				  uint32_t pid)
{
	struct nl_finding *f;

	if (nl_grow(&out->v, &out->cap, out->n, sizeof(*out->v)))
		return NULL;
	f = &out->v[out->n++];
	memset(f, 0, sizeof(*f));
	f->id = id;
	f->sev = sev;
	f->pid = pid;
	return f;
}

uint64_t nl_doctor_cpu_total(const struct nl_process *p, uint64_t cpu_ns[NL_MAX_NODES])
{
	uint64_t total = 0;

	memcpy(cpu_ns, p->c.cpu_ns, sizeof(p->c.cpu_ns));
	for (int n = 0; n < NL_MAX_NODES; n++)
		total += cpu_ns[n];
	if (total)
		return total;
	/* a collector that filled only the threads */
	for (int i = 0; i < p->nr_threads; i++)
		for (int n = 0; n < NL_MAX_NODES; n++) {
			cpu_ns[n] += p->threads[i].c.cpu_ns[n];
			total += p->threads[i].c.cpu_ns[n];
		}
	return total;
}

uint64_t nl_doctor_resident_total(const struct nl_process *p)
{
	uint64_t total = 0;

	for (int n = 0; n < NL_MAX_NODES; n++)
		total += p->resident_pages[n];
	return total;
}

const struct nl_proc_env *nl_doctor_env(const struct nl_doctor_in *in, uint32_t pid)
{
	for (int i = 0; i < in->nr_env; i++)
		if (in->env[i].pid == pid)
			return &in->env[i];
	return NULL;
}

bool nl_doctor_judged(const struct nl_doctor_in *in, const struct nl_process *p)
{
	return p->pid != in->self_pid && p->resident_known &&
	       nl_doctor_resident_total(p) >= NL_DOCTOR_MIN_PAGES;
}

uint64_t nl_doctor_cpu_nodes(const struct nl_doctor_in *in, const struct nl_process *p,
			     bool *from_allowed)
{
	uint64_t cpu_ns[NL_MAX_NODES], total = nl_doctor_cpu_total(p, cpu_ns), mask = 0;
	const struct nl_proc_env *env;

	*from_allowed = false;
	if (total >= NL_DOCTOR_MIN_CPU_NS) {
		for (int n = 0; n < NL_MAX_NODES; n++)
			if ((double)cpu_ns[n] >= NL_DOCTOR_CPU_NODE_SHARE * (double)total)
				mask |= 1ULL << n;
		return mask;
	}
	/* An idle process (it sleeps on its data) shows where it may run instead. */
	env = nl_doctor_env(in, p->pid);
	if (!env || !env->allowed_known)
		return 0;
	*from_allowed = true;
	return env->allowed_nodes;
}

void nl_doctor_cost(const struct nl_topo_summary *t, int cpu_node, int mem_node, char *buf,
		    size_t len)
{
	int local, remote;

	buf[0] = '\0';
	if (cpu_node < 0 || mem_node < 0 || cpu_node >= NL_MAX_NODES || mem_node >= NL_MAX_NODES)
		return;
	local = t->distance[cpu_node][cpu_node];
	remote = t->distance[cpu_node][mem_node];
	if (local <= 0 || remote <= 0)
		return;
	/* The SLIT distance is the firmware's relative latency (10 = local); it is what
	 * the machine says, not a measurement of this process. */
	snprintf(buf, len,
		 "expected cost: distance %d from node %d to node %d against %d locally (sysfs "
		 "node%d/distance), about %.1fx the latency of a local memory access",
		 remote, cpu_node, mem_node, local, cpu_node, (double)remote / (double)local);
}

void nl_doctor_nodes_str(uint64_t mask, char *buf, size_t len)
{
	int ids[64], n = 0;

	for (int i = 0; i < 64; i++)
		if (mask & (1ULL << i))
			ids[n++] = i;
	if (!n)
		snprintf(buf, len, "none");
	else
		nl_format_cpulist(ids, n, buf, len);
}

const char *nl_doctor_cmd(const struct nl_doctor_in *in, uint32_t pid)
{
	const struct nl_proc_env *env = nl_doctor_env(in, pid);

	return env && env->cmdline[0] ? env->cmdline : "<command>";
}

void nl_doctor_policy(const char *policy, char *mode, size_t len, uint64_t *nodes)
{
	const char *colon = strchr(policy, ':');
	size_t mlen = colon ? (size_t)(colon - policy) : strlen(policy);
	int *ids = NULL, n;

	*nodes = 0;
	/* "prefer (many):0-1" is MPOL_PREFERRED_MANY: a prefer mode */
	if (mlen >= len)
		mlen = len - 1;
	memcpy(mode, policy, mlen);
	mode[mlen] = '\0';
	mode[strcspn(mode, " =")] = '\0';
	if (!colon)
		return;
	/* "interleave=static:0-1" and "bind=relative:1" carry flags before the list */
	const char *list = strrchr(policy, ':') + 1;
	n = nl_parse_cpulist(list, &ids);
	for (int i = 0; i < n; i++)
		if (ids[i] >= 0 && ids[i] < 64)
			*nodes |= 1ULL << ids[i];
	free(ids);
}

void nl_doctor_set(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Resident pages in mappings under the default (or local) policy, where the kernel
 * may fall back to another node without being asked. */
static uint64_t default_policy_pages(const struct nl_process *p)
{
	uint64_t pages = 0;

	for (int v = 0; v < p->nr_vmas; v++) {
		char mode[32];
		uint64_t nodes;

		nl_doctor_policy(p->vmas[v].policy, mode, sizeof(mode), &nodes);
		if (strcmp(mode, "default") && strcmp(mode, "local"))
			continue;
		for (int n = 0; n < NL_MAX_NODES; n++)
			pages += nl_vma_base_pages(&p->vmas[v], n);
	}
	return pages;
}

uint64_t nl_doctor_spilled(const struct nl_process *p, int mem, int *from)
{
	uint64_t off = 0, best = 0;

	*from = -1;
	for (int c = 0; c < NL_MAX_NODES; c++) {
		if (c == mem)
			continue;
		off += nl_mat_at(&p->c.faults, c, mem);
		if (nl_mat_at(&p->c.faults, c, mem) > best) {
			best = nl_mat_at(&p->c.faults, c, mem);
			*from = c;
		}
	}
	if (off < NL_DOCTOR_MISS_MIN_PAGES || off <= nl_mat_at(&p->c.faults, mem, mem) ||
	    2 * default_policy_pages(p) < nl_doctor_resident_total(p))
		return 0;
	return off;
}
