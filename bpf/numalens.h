/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The one header shared by the BPF programs and user space: plain __u32/__u64 only,
 * no kernel types, so both sides agree on every layout. */
#ifndef NUMALENS_H
#define NUMALENS_H

#ifndef __VMLINUX_H__ /* BPF side gets __u32/__u64 from vmlinux.h */
#include <linux/types.h>
#endif

/* Nodes a matrix can hold. Bigger machines are reported as lost (never wrapped):
 * 8 covers every 2- and 4-socket server and the SNC/NPS splits of today's parts. */
#define NL_MAX_NODES 8

/* Per-thread on-CPU time by node, accumulated in nanoseconds. */
struct nl_thread_cpu {
	__u64 cpu_ns[NL_MAX_NODES];
	__u32 tgid;
	__u32 pad;
};

#endif /* NUMALENS_H */
