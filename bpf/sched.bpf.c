// SPDX-License-Identifier: GPL-2.0
/* On-CPU time per thread per NUMA node, from sched_switch. tp_btf takes the
 * tracepoint's arguments directly, so it does not depend on the layout of the
 * tracepoint's context struct (which differs between 6.1 and 6.18). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "numalens.h"

char LICENSE[] SEC("license") = "GPL";

/* 0 = every process; set before load. */
const volatile __u32 target_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64); /* when the current task went on this CPU */
} oncpu_since SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32); /* tid */
	__type(value, struct nl_thread_cpu);
} thread_cpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64); /* updates that failed because thread_cpu was full */
} sched_drops SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(nl_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 zero = 0;
	__u64 now = bpf_ktime_get_ns();
	__u64 *since = bpf_map_lookup_elem(&oncpu_since, &zero);

	if (!since)
		return 0;
	__u64 start = *since;
	*since = now;

	__u32 tid = BPF_CORE_READ(prev, pid);
	__u32 tgid = BPF_CORE_READ(prev, tgid);
	if (start == 0 || tid == 0)
		return 0;
	if (target_tgid && tgid != target_tgid)
		return 0;

	__u32 node = bpf_get_numa_node_id();
	if (node >= NL_MAX_NODES)
		return 0;

	struct nl_thread_cpu *tc = bpf_map_lookup_elem(&thread_cpu, &tid);
	if (!tc) {
		struct nl_thread_cpu init = { .tgid = tgid };
		/* NOEXIST: another CPU may have created it meanwhile; the lookup tells. */
		bpf_map_update_elem(&thread_cpu, &tid, &init, BPF_NOEXIST);
		tc = bpf_map_lookup_elem(&thread_cpu, &tid);
		if (!tc) {
			__u64 *d = bpf_map_lookup_elem(&sched_drops, &zero);
			if (d)
				(*d)++;
			return 0;
		}
	}
	__sync_fetch_and_add(&tc->cpu_ns[node], now - start);
	return 0;
}
